//! `batch/v1`: Job and CronJob.

use super::pod_template::{object_at, set_missing, template_defaults};
use super::{Immutable, Strategy, pod_spec, round_trip, workload_status};
use crate::field::{invalid, not_supported};
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
        Immutable::scalar("spec.completionMode"),
        Immutable::structure("spec.podFailurePolicy", "batch.PodFailurePolicy"),
        Immutable::scalar("spec.backoffLimitPerIndex"),
        Immutable::scalar("spec.managedBy"),
        Immutable::structure("spec.successPolicy", "batch.SuccessPolicy"),
    ],
    validate_update: job_validate_update,
    field_selectors: super::FieldSelectors::Fields(&[super::count(
        "status.successful",
        &["status.succeeded"],
    )]),
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
    defaults: cron_job_defaults,
    validate: cron_job_validate,
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

/// `SetDefaults_Job`: the spec's defaults, and the Job's labels from its template's when it has
/// none.
fn job_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(spec) = object_at(obj, "spec") {
        job_spec_defaults(spec);
    }
    labels_from_template(obj);
}

/// A Job without labels takes its template's (`SetDefaults_Job`, which kube-apiserver also
/// applies when it reads a stored Job, so they include the generated selector labels).
fn labels_from_template(obj: &mut Value) {
    let template_labels = obj
        .pointer("/spec/template/metadata/labels")
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        .cloned();
    let has_labels = obj
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty());
    if let Some(labels) = template_labels
        && !has_labels
    {
        crate::meta::meta_mut(obj).insert("labels".into(), labels);
    }
}

/// On create (without `manualSelector`), the generated selector on
/// `batch.kubernetes.io/controller-uid` with its labels on the pod template, as the Job
/// strategy's `generateSelector` does (owned by nobody, so a re-apply keeps them).
fn job_selector(obj: &mut Value, old: Option<&Value>) {
    let uid = crate::meta::uid(obj).to_string();
    let name = crate::meta::name(obj).to_string();
    // Upstream the Job's labels, when defaulted from the template's, are the very same map, so
    // they get the generated labels too.
    let labels_are_the_templates = obj.pointer("/metadata/labels").is_none_or(|l| {
        l.as_object().is_none_or(|m| m.is_empty())
            || Some(l) == obj.pointer("/spec/template/metadata/labels")
    });
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    let manual = spec.get("manualSelector").and_then(Value::as_bool) == Some(true);
    if old.is_some() || manual || uid.is_empty() {
        return;
    }
    // Labels the user set are kept (a conflict fails validation), as upstream.
    let Some(labels) = object_entry(spec, "template")
        .and_then(|t| object_entry(t, "metadata"))
        .and_then(|m| object_entry(m, "labels"))
    else {
        return;
    };
    for (key, value) in [
        ("job-name", &name),
        (JOB_NAME, &name),
        ("controller-uid", &uid),
        (CONTROLLER_UID, &uid),
    ] {
        labels.entry(key).or_insert_with(|| json!(value));
    }
    let template_labels = Value::Object(labels.clone());
    if let Some(match_labels) =
        object_entry(spec, "selector").and_then(|s| object_entry(s, "matchLabels"))
    {
        match_labels
            .entry(CONTROLLER_UID)
            .or_insert_with(|| json!(uid));
    }
    if labels_are_the_templates {
        crate::meta::meta_mut(obj).insert("labels".into(), template_labels);
    }
}

/// The map at `key` of `m`, made an empty object first when it is not one.
fn object_entry<'a>(
    m: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    let v = m.entry(key).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut()
}

fn job_spec_defaults(spec: &mut Map<String, Value>) {
    let completions_set = spec.get("completions").is_some_and(|c| !c.is_null());
    let parallelism_set = spec.get("parallelism").is_some_and(|c| !c.is_null());
    if !completions_set && !parallelism_set {
        spec.insert("completions".into(), json!(1));
    }
    set_missing(spec, "parallelism", json!(1));
    // With per-index backoff the Job-wide limit is effectively off (math.MaxInt32).
    let per_index = spec
        .get("backoffLimitPerIndex")
        .is_some_and(|v| !v.is_null());
    set_missing(
        spec,
        "backoffLimit",
        json!(if per_index { i32::MAX } else { 6 }),
    );
    set_missing(spec, "completionMode", json!("NonIndexed"));
    set_missing(spec, "suspend", json!(false));
    // A pod failure policy needs terminated pods, so replacements wait for Failed.
    let failure_policy = spec.get("podFailurePolicy").is_some_and(|v| !v.is_null());
    let replacement = if failure_policy {
        "Failed"
    } else {
        "TerminatingOrFailed"
    };
    set_missing(spec, "podReplacementPolicy", json!(replacement));
    template_defaults(spec);
}

/// `ValidateJob`: the template's restart policy is `OnFailure` or `Never` (an unset one was
/// defaulted to `Always` with the pod spec, so it is refused as that), and its pod spec is valid.
fn job_validate(obj: &Value) -> Vec<Cause> {
    const POLICIES: &[&str] = &["OnFailure", "Never"];
    let field = "spec.template.spec.restartPolicy";
    let mut causes = match obj
        .pointer("/spec/template/spec/restartPolicy")
        .and_then(Value::as_str)
    {
        Some(policy) if POLICIES.contains(&policy) => Vec::new(),
        Some(other) => vec![not_supported(field, other, POLICIES)],
        None => vec![invalid(
            field,
            "\"\"".into(),
            "valid values: \"OnFailure\", \"Never\"",
        )],
    };
    causes.extend(pod_spec::validate_template(obj));
    causes
}

/// `ValidateCronJob`: the pod spec of its Job template.
fn cron_job_validate(obj: &Value) -> Vec<Cause> {
    pod_spec::validate_at(
        obj,
        "/spec/jobTemplate/spec/template/spec",
        "spec.jobTemplate.spec.template.spec",
    )
}

/// `ValidateJobSpecUpdate` beyond the plain immutable fields: the pod template may not change,
/// except its scheduling directives (node selector, affinity, tolerations, scheduling gates,
/// labels, annotations) while the Job is suspended and has never started; `spec.completions`
/// may not change, except on an Indexed Job in tandem with `spec.parallelism`.
fn job_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let suspended_unstarted = old.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true)
        && old.pointer("/status/startTime").is_none_or(Value::is_null);
    let template = |o: &Value| {
        let mut t = o.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        if suspended_unstarted {
            for (parent, field) in [
                ("spec", "nodeSelector"),
                ("spec", "tolerations"),
                ("spec", "schedulingGates"),
                ("metadata", "labels"),
                ("metadata", "annotations"),
            ] {
                if let Some(m) = t.get_mut(parent).and_then(Value::as_object_mut) {
                    m.remove(field);
                }
            }
            // Of the affinity, only the node affinity.
            if let Some(affinity) = t
                .pointer_mut("/spec/affinity")
                .and_then(Value::as_object_mut)
            {
                affinity.remove("nodeAffinity");
            }
        }
        t
    };
    if template(old) != template(new) {
        causes.extend(super::immutable::check(
            &[Immutable::structure(
                "spec.template",
                "core.PodTemplateSpec",
            )],
            &json!({"spec": {"template": template(old)}}),
            &json!({"spec": {"template": template(new)}}),
        ));
    }
    let indexed = new.pointer("/spec/completionMode").and_then(Value::as_str) == Some("Indexed");
    let completions = |o: &Value| o.pointer("/spec/completions").cloned();
    if completions(old) != completions(new) {
        let elastic = indexed && completions(new).is_some();
        if !elastic {
            causes.extend(super::immutable::check(
                &[Immutable::scalar("spec.completions")],
                old,
                new,
            ));
        } else if completions(new) != new.pointer("/spec/parallelism").cloned() {
            let shown = completions(new).map_or_else(String::new, |c| c.to_string());
            causes.push(invalid(
                "spec.completions",
                shown,
                "can only be modified in tandem with spec.parallelism",
            ));
        }
    }
    causes
}

fn cron_job_defaults(obj: &mut Value, _old: Option<&Value>) {
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
