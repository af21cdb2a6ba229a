//! `apps/v1`: Deployment, ReplicaSet, StatefulSet, DaemonSet.

use super::pod_template::{object_at, selector_matches_template, set_missing, template_defaults};
use super::{Immutable, Strategy, pod_spec, round_trip, workload_status};
use crate::status::Cause;
use crate::table::builtin as columns;
use k8s_openapi::api::apps::v1 as api;
use k8s_pb::api::apps::v1 as pb;
use serde_json::{Value, json};

pub(super) static KINDS: &[&Strategy] = &[&DEPLOYMENT, &REPLICA_SET, &STATEFUL_SET, &DAEMON_SET];

const SELECTOR: &[Immutable] = &[Immutable::selector("spec.selector")];

/// What the four workloads share: a status and (but DaemonSet) a scale subresource, the `all`
/// category, a generation, the pod template schemas.
const fn workload(
    kind: &'static str,
    plural: &'static str,
    decode: fn(&str) -> Result<Value, serde_json::Error>,
) -> Strategy {
    Strategy {
        categories: &["all"],
        status: true,
        scale: true,
        ssa: &crate::ssa::schema::WORKLOAD,
        smp: &crate::patch::schema::WORKLOAD,
        ..Strategy::plain("apps", "v1", kind, plural, decode)
    }
}

static DEPLOYMENT: Strategy = Strategy {
    short_names: &["deploy"],
    generation: super::Generation::SpecAndAnnotations,
    defaults: deployment_defaults,
    validate: deployment_validate,
    immutable: SELECTOR,
    columns: columns::deployments,
    simulate: Some(workload_status::deployment),
    protobuf: Some(crate::protobuf::message_json::<pb::Deployment>),
    ..workload("Deployment", "deployments", round_trip::<api::Deployment>)
};

static REPLICA_SET: Strategy = Strategy {
    short_names: &["rs"],
    field_selectors: super::FieldSelectors::Fields(&[super::count(
        "status.replicas",
        &["status.replicas"],
    )]),
    defaults: replica_set_defaults,
    validate: replica_set_validate,
    immutable: SELECTOR,
    columns: columns::replicasets,
    simulate: Some(workload_status::replica_set),
    protobuf: Some(crate::protobuf::message_json::<pb::ReplicaSet>),
    ..workload("ReplicaSet", "replicasets", round_trip::<api::ReplicaSet>)
};

static STATEFUL_SET: Strategy = Strategy {
    short_names: &["sts"],
    defaults: stateful_set_defaults,
    validate: stateful_set_validate,
    validate_update: stateful_set_validate_update,
    columns: columns::statefulsets,
    simulate: Some(workload_status::stateful_set),
    protobuf: Some(crate::protobuf::message_json::<pb::StatefulSet>),
    ..workload(
        "StatefulSet",
        "statefulsets",
        round_trip::<api::StatefulSet>,
    )
};

static DAEMON_SET: Strategy = Strategy {
    short_names: &["ds"],
    scale: false,
    defaults: daemon_set_defaults,
    validate: daemon_set_validate,
    immutable: SELECTOR,
    columns: columns::daemonsets,
    simulate: Some(workload_status::daemon_set),
    protobuf: Some(crate::protobuf::message_json::<pb::DaemonSet>),
    ..workload("DaemonSet", "daemonsets", round_trip::<api::DaemonSet>)
};

fn deployment_defaults(obj: &mut Value, _old: Option<&Value>) {
    super::pod_template::deployment_defaults(obj);
}

fn deployment_validate(obj: &Value) -> Vec<Cause> {
    let mut causes = selector_matches_template(obj, "deployment");
    causes.extend(pod_spec::validate_template(obj));
    causes
}

fn replica_set_defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "replicas", json!(1));
    template_defaults(spec);
}

fn replica_set_validate(obj: &Value) -> Vec<Cause> {
    let mut causes = selector_matches_template(obj, "replicaset");
    causes.extend(pod_spec::validate_template(obj));
    causes
}

fn stateful_set_defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "replicas", json!(1));
    set_missing(spec, "podManagementPolicy", json!("OrderedReady"));
    set_missing(spec, "revisionHistoryLimit", json!(10));
    // SetDefaults_StatefulSet: an unset type becomes RollingUpdate with a rollingUpdate; a
    // rollingUpdate gets partition 0.
    set_missing(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {}}),
    );
    if let Some(strategy) = spec
        .get_mut("updateStrategy")
        .and_then(Value::as_object_mut)
    {
        if strategy
            .get("type")
            .is_none_or(|t| t.is_null() || t.as_str() == Some(""))
        {
            strategy.insert("type".into(), json!("RollingUpdate"));
            set_missing(strategy, "rollingUpdate", json!({}));
        }
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
            && let Some(rolling) = strategy
                .get_mut("rollingUpdate")
                .and_then(Value::as_object_mut)
        {
            set_missing(rolling, "partition", json!(0));
        }
    }
    set_missing(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    template_defaults(spec);
}

/// The selector only: upstream leaves a StatefulSet's pod spec unchecked (see `pod_spec`).
fn stateful_set_validate(obj: &Value) -> Vec<Cause> {
    selector_matches_template(obj, "statefulset")
}

/// `ValidateStatefulSetUpdate`: only these spec fields may change; the selector and
/// `volumeClaimTemplates` may not.
fn stateful_set_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    const MUTABLE: &[&str] = &[
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    ];
    let mutable = |spec: &mut serde_json::Map<String, Value>| {
        spec.retain(|k, _| !MUTABLE.contains(&k.as_str()));
    };
    super::immutable::spec_forbidden(
        old,
        new,
        mutable,
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    )
}

fn daemon_set_defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "revisionHistoryLimit", json!(10));
    set_missing(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
    );
    template_defaults(spec);
}

fn daemon_set_validate(obj: &Value) -> Vec<Cause> {
    let mut causes = selector_matches_template(obj, "daemonset");
    causes.extend(pod_spec::validate_template(obj));
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statefulsets_claim_templates_are_immutable() {
        let old = json!({"spec": {"replicas": 1, "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}});
        let scaled = json!({"spec": {"replicas": 3, "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}});
        assert!(stateful_set_validate_update(&old, &scaled).is_empty());
        let grown = json!({"spec": {"replicas": 1, "volumeClaimTemplates": [{"metadata": {"name": "logs"}}]}});
        let causes = stateful_set_validate_update(&old, &grown);
        assert_eq!(
            (causes[0].field.as_str(), causes[0].reason.as_str()),
            ("spec", "FieldValueForbidden")
        );
    }
}
