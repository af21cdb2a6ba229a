//! The core (`v1`) kinds.

use super::{
    FieldSelectors, Generation, Strategy, config, pod_spec, pod_template, round_trip, service,
};
use crate::meta::NameRule;
use crate::status::Cause;
use crate::table::builtin as columns;
use crate::verb;
use k8s_openapi::api::core::v1 as api;
use k8s_pb::api::core::v1 as pb;
use serde_json::{Value, json};

pub(super) static KINDS: &[&Strategy] = &[
    &NAMESPACE,
    &SECRET,
    &CONFIG_MAP,
    &SERVICE_ACCOUNT,
    &SERVICE,
    &EVENT,
    &POD,
    &PERSISTENT_VOLUME_CLAIM,
    &ENDPOINTS,
    &LIMIT_RANGE,
    &RESOURCE_QUOTA,
    &REPLICATION_CONTROLLER,
    &PERSISTENT_VOLUME,
];

static NAMESPACE: Strategy = Strategy {
    short_names: &["ns"],
    namespaced: false,
    status: true,
    name_rule: NameRule::Label,
    verbs: verb::NAMESPACE,
    generation: Generation::None,
    returns_deleted_object: true,
    defaults: namespace_label,
    prepare: namespace_prepare,
    smp: &crate::patch::schema::NAMESPACE,
    columns: columns::namespaces,
    field_selectors: FieldSelectors::Only(&["status.phase"]),
    protobuf: Some(crate::protobuf::message_json::<pb::Namespace>),
    ..Strategy::plain(
        "",
        "v1",
        "Namespace",
        "namespaces",
        round_trip::<api::Namespace>,
    )
};

static SECRET: Strategy = Strategy {
    generation: Generation::None,
    defaults: config::secret_defaults,
    validate: config::secret_validate,
    validate_update: config::secret_validate_update,
    columns: columns::secrets,
    field_selectors: FieldSelectors::Only(&["type"]),
    protobuf: Some(crate::protobuf::message_json::<pb::Secret>),
    ..Strategy::plain("", "v1", "Secret", "secrets", round_trip::<api::Secret>)
};

static CONFIG_MAP: Strategy = Strategy {
    short_names: &["cm"],
    generation: Generation::None,
    validate: config::configmap_validate,
    validate_update: config::configmap_validate_update,
    columns: columns::configmaps,
    protobuf: Some(crate::protobuf::message_json::<pb::ConfigMap>),
    ..Strategy::plain(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        round_trip::<api::ConfigMap>,
    )
};

static SERVICE_ACCOUNT: Strategy = Strategy {
    short_names: &["sa"],
    generation: Generation::None,
    returns_deleted_object: true,
    ssa: &crate::ssa::schema::SERVICE_ACCOUNT,
    smp: &crate::patch::schema::SERVICE_ACCOUNT,
    columns: columns::serviceaccounts,
    protobuf: Some(crate::protobuf::message_json::<pb::ServiceAccount>),
    ..Strategy::plain(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        round_trip::<api::ServiceAccount>,
    )
};

static SERVICE: Strategy = Strategy {
    short_names: &["svc"],
    categories: &["all"],
    status: true,
    name_rule: NameRule::Label1035,
    generation: Generation::None,
    returns_deleted_object: true,
    defaults: service::defaults,
    prepare: service::allocate,
    validate: service::validate,
    validate_update: service::validate_update,
    ssa: &crate::ssa::schema::SERVICE,
    smp: &crate::patch::schema::SERVICE,
    columns: columns::services,
    protobuf: Some(crate::protobuf::message_json::<pb::Service>),
    ..Strategy::plain("", "v1", "Service", "services", round_trip::<api::Service>)
};

static EVENT: Strategy = Strategy {
    short_names: &["ev"],
    generation: Generation::None,
    columns: columns::events,
    field_selectors: super::EVENT_FIELDS,
    protobuf: Some(crate::protobuf::message_json::<pb::Event>),
    ..Strategy::plain("", "v1", "Event", "events", round_trip::<api::Event>)
};

static POD: Strategy = Strategy {
    short_names: &["po"],
    categories: &["all"],
    status: true,
    generation: Generation::None,
    defaults: pod_defaults,
    validate: pod_validate,
    validate_update: pod_validate_update,
    ssa: &crate::ssa::schema::POD,
    smp: &crate::patch::schema::POD,
    columns: columns::pods,
    field_selectors: FieldSelectors::Only(&[
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ]),
    protobuf: Some(crate::protobuf::message_json::<pb::Pod>),
    ..Strategy::plain("", "v1", "Pod", "pods", round_trip::<api::Pod>)
};

static PERSISTENT_VOLUME_CLAIM: Strategy = Strategy {
    short_names: &["pvc"],
    status: true,
    generation: Generation::None,
    defaults: pvc_defaults,
    validate_update: pvc_validate_update,
    columns: columns::persistentvolumeclaims,
    protobuf: Some(crate::protobuf::message_json::<pb::PersistentVolumeClaim>),
    ..Strategy::plain(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        round_trip::<api::PersistentVolumeClaim>,
    )
};

static ENDPOINTS: Strategy = Strategy {
    short_names: &["ep"],
    generation: Generation::None,
    columns: columns::endpoints,
    protobuf: Some(crate::protobuf::message_json::<pb::Endpoints>),
    ..Strategy::plain(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        round_trip::<api::Endpoints>,
    )
};

static LIMIT_RANGE: Strategy = Strategy {
    short_names: &["limits"],
    generation: Generation::None,
    protobuf: Some(crate::protobuf::message_json::<pb::LimitRange>),
    ..Strategy::plain(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        round_trip::<api::LimitRange>,
    )
};

static RESOURCE_QUOTA: Strategy = Strategy {
    short_names: &["quota"],
    status: true,
    generation: Generation::None,
    columns: columns::resourcequotas,
    protobuf: Some(crate::protobuf::message_json::<pb::ResourceQuota>),
    ..Strategy::plain(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        round_trip::<api::ResourceQuota>,
    )
};

/// Served so that `kubectl apply --prune` (whose default list names it) works; no controller
/// runs it.
static REPLICATION_CONTROLLER: Strategy = Strategy {
    short_names: &["rc"],
    field_selectors: FieldSelectors::Fields(&[super::count(
        "status.replicas",
        &["status.replicas"],
    )]),
    categories: &["all"],
    status: true,
    scale: true,
    columns: columns::replicationcontrollers,
    protobuf: Some(crate::protobuf::message_json::<pb::ReplicationController>),
    ..Strategy::plain(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        round_trip::<api::ReplicationController>,
    )
};

static PERSISTENT_VOLUME: Strategy = Strategy {
    short_names: &["pv"],
    namespaced: false,
    status: true,
    generation: Generation::None,
    columns: columns::persistentvolumes,
    protobuf: Some(crate::protobuf::message_json::<pb::PersistentVolume>),
    ..Strategy::plain(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        round_trip::<api::PersistentVolume>,
    )
};

/// A new Namespace gets the `kubernetes` finalizer and phase `Active`; the namespace lifecycle
/// owns both afterwards.
fn namespace_prepare(obj: &mut Value, old: Option<&Value>) {
    match old {
        None => {
            obj["spec"] = json!({ "finalizers": ["kubernetes"] });
            obj["status"] = json!({ "phase": "Active" });
        }
        Some(old) => {
            if obj.pointer("/spec/finalizers").is_none() {
                obj["spec"] = old.get("spec").cloned().unwrap_or_else(|| json!({}));
            }
            if let Some(status) = old.get("status") {
                obj["status"] = status.clone();
            }
        }
    }
    namespace_label(obj, old);
}

/// A Namespace always carries `kubernetes.io/metadata.name=<name>` (`SetDefaults_Namespace`;
/// set again if removed or changed).
fn namespace_label(obj: &mut Value, _old: Option<&Value>) {
    let name = crate::meta::name(obj).to_string();
    let meta = crate::meta::meta_mut(obj);
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta.insert("labels".into(), json!({}));
    }
    if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
}

/// A Pod gets the pod spec defaults.
fn pod_defaults(obj: &mut Value, _old: Option<&Value>) {
    let mut wrapper = serde_json::Map::new();
    let Some(spec) = obj.get("spec").cloned() else {
        return;
    };
    wrapper.insert("template".into(), json!({ "spec": spec }));
    pod_template::template_defaults(&mut wrapper);
    if let Some(spec) = wrapper.get("template").and_then(|t| t.get("spec")) {
        obj["spec"] = spec.clone();
    }
}

/// `ValidatePodCreate` / `ValidatePod`: its pod spec.
fn pod_validate(obj: &Value) -> Vec<Cause> {
    pod_spec::validate_at(obj, "/spec", "spec")
}

/// A Pod's spec is immutable except container images, `activeDeadlineSeconds`, tolerations and
/// `terminationGracePeriodSeconds` (`ValidatePodUpdate`).
fn pod_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mutable = |spec: &mut serde_json::Map<String, Value>| {
        for list in ["containers", "initContainers"] {
            if let Some(Value::Array(cs)) = spec.get_mut(list) {
                for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                    c.remove("image");
                }
            }
        }
        for f in [
            "activeDeadlineSeconds",
            "tolerations",
            "terminationGracePeriodSeconds",
        ] {
            spec.remove(f);
        }
    };
    super::immutable::spec_forbidden(
        old,
        new,
        mutable,
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    )
}

/// A claim's `volumeMode` defaults to `Filesystem`.
fn pvc_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        pod_template::set_missing(spec, "volumeMode", json!("Filesystem"));
    }
}

/// A claim's spec is immutable except `resources.requests` and `volumeAttributesClassName`
/// (`ValidatePersistentVolumeClaimUpdate`): a changed storage class is refused.
fn pvc_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let unbound = old.pointer("/spec/volumeName").is_none();
    let mutable = |spec: &mut serde_json::Map<String, Value>| {
        spec.remove("volumeAttributesClassName");
        if let Some(r) = spec.get_mut("resources").and_then(Value::as_object_mut) {
            r.remove("requests");
        }
        // Binding fills in the volume name.
        if unbound {
            spec.remove("volumeName");
        }
    };
    super::immutable::spec_forbidden(
        old,
        new,
        mutable,
        "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claims_storage_class_is_immutable() {
        let old = json!({"spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "1Gi"}}}});
        let grown = json!({"spec": {"storageClassName": "fast", "resources": {"requests": {"storage": "2Gi"}}}});
        assert!(pvc_validate_update(&old, &grown).is_empty());
        let moved = json!({"spec": {"storageClassName": "slow", "resources": {"requests": {"storage": "1Gi"}}}});
        assert_eq!(pvc_validate_update(&old, &moved)[0].field, "spec");
    }

    #[test]
    fn a_pods_image_may_change() {
        let old = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}]}});
        let new = json!({"spec": {"containers": [{"name": "a", "image": "x:2"}]}});
        assert!(pod_validate_update(&old, &new).is_empty());
        let renamed = json!({"spec": {"containers": [{"name": "b", "image": "x:1"}]}});
        assert_eq!(
            pod_validate_update(&old, &renamed)[0].reason,
            crate::status::CauseType::FieldValueForbidden
        );
    }
}
