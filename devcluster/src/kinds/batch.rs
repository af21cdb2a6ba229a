//! `batch/v1`: Job and CronJob.

use super::pod_template::{invalid, object_at, set_missing, template_defaults};
use super::{Immutable, Strategy, round_trip, workload_status};
use crate::status::Cause;
use crate::table::builtin as columns;
use k8s_openapi::api::batch::v1 as api;
use k8s_pb::api::batch::v1 as pb;
use serde_json::{Map, Value, json};

pub(super) static KINDS: &[&Strategy] = &[&JOB, &CRON_JOB];

static JOB: Strategy = Strategy {
    categories: &["all"],
    status: true,
    defaults: job_defaults,
    prepare: job_selector,
    validate: job_validate,
    immutable: &[
        Immutable::selector("spec.selector"),
        Immutable::structure("spec.template", "core.PodTemplateSpec"),
        Immutable::scalar("spec.completionMode"),
    ],
    ssa: &crate::ssa::schema::WORKLOAD,
    smp: &crate::patch::schema::WORKLOAD,
    columns: columns::jobs,
    simulate: Some(workload_status::job),
    protobuf: Some(crate::protobuf::message_json::<pb::Job>),
    ..Strategy::plain("batch", "v1", "Job", "jobs", round_trip::<api::Job>)
};

static CRON_JOB: Strategy = Strategy {
    short_names: &["cj"],
    categories: &["all"],
    status: true,
    defaults: cron_job_prepare,
    ssa: &crate::ssa::schema::CRON_JOB,
    smp: &crate::patch::schema::CRON_JOB,
    columns: columns::cronjobs,
    protobuf: Some(crate::protobuf::message_json::<pb::CronJob>),
    ..Strategy::plain(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        round_trip::<api::CronJob>,
    )
};

/// The labels the Job strategy puts on a generated selector and the pod template.
const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
const JOB_NAME: &str = "batch.kubernetes.io/job-name";

fn job_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(spec) = object_at(obj, "spec") {
        job_spec_defaults(spec);
    }
}

/// On create (without `manualSelector`), the generated selector on
/// `batch.kubernetes.io/controller-uid` with its labels on the pod template, as the Job
/// strategy's `generateSelector` does (owned by nobody, so a re-apply keeps them).
fn job_selector(obj: &mut Value, old: Option<&Value>) {
    let uid = crate::meta::uid(obj).to_string();
    let name = crate::meta::name(obj).to_string();
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if old.is_some() || manual || uid.is_empty() {
        return;
    }
    let labels =
        json!({CONTROLLER_UID: uid, JOB_NAME: name, "controller-uid": uid, "job-name": name});
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {CONTROLLER_UID: uid}}),
    );
    let template = spec.entry("template").or_insert_with(|| json!({}));
    if !template.get("metadata").is_some_and(Value::is_object) {
        template["metadata"] = json!({});
    }
    let meta = &mut template["metadata"];
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta["labels"] = json!({});
    }
    if let (Some(have), Some(add)) = (meta["labels"].as_object_mut(), labels.as_object()) {
        for (k, v) in add {
            have.insert(k.clone(), v.clone());
        }
    }
}

fn job_spec_defaults(spec: &mut Map<String, Value>) {
    let completions_set = spec.get("completions").is_some_and(|c| !c.is_null());
    let parallelism_set = spec.get("parallelism").is_some_and(|c| !c.is_null());
    if !completions_set && !parallelism_set {
        spec.insert("completions".into(), json!(1));
    }
    set_missing(spec, "parallelism", json!(1));
    set_missing(spec, "backoffLimit", json!(6));
    set_missing(spec, "completionMode", json!("NonIndexed"));
    set_missing(spec, "suspend", json!(false));
    set_missing(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    template_defaults(spec);
}

/// `ValidateJob`: the template's restart policy is `OnFailure` or `Never` (an unset one was
/// defaulted to `Always` with the pod spec, so it is refused as that).
fn job_validate(obj: &Value) -> Vec<Cause> {
    match obj
        .pointer("/spec/template/spec/restartPolicy")
        .and_then(Value::as_str)
    {
        Some("OnFailure" | "Never") => Vec::new(),
        Some(other) => vec![Cause {
            reason: crate::status::CauseType::FieldValueNotSupported,
            message: format!(
                "Unsupported value: {other:?}: supported values: \"OnFailure\", \"Never\""
            ),
            field: "spec.template.spec.restartPolicy".into(),
        }],
        None => vec![invalid(
            "spec.template.spec.restartPolicy",
            "\"\"".into(),
            "valid values: \"OnFailure\", \"Never\"",
        )],
    }
}

fn cron_job_prepare(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "concurrencyPolicy", json!("Allow"));
    set_missing(spec, "suspend", json!(false));
    set_missing(spec, "successfulJobsHistoryLimit", json!(3));
    set_missing(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(job_spec) = spec
        .get_mut("jobTemplate")
        .and_then(|t| object_at(t, "spec"))
    {
        job_spec_defaults(job_spec);
    }
}
