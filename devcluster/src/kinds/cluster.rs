//! The kinds of the smaller groups: policy, autoscaling, scheduling, storage, coordination,
//! events.k8s.io, apiextensions, and the review resources.

use super::{Generation, Immutable, Strategy, round_trip};
use crate::status::{Cause, CauseType};
use crate::table::builtin as columns;
use crate::verb;
use k8s_openapi::api::{
    authentication, authorization, autoscaling, coordination, events, policy, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
use serde_json::{Value, json};

pub(super) static KINDS: &[&Strategy] = &[
    &POD_DISRUPTION_BUDGET,
    &HORIZONTAL_POD_AUTOSCALER,
    &PRIORITY_CLASS,
    &STORAGE_CLASS,
    &LEASE,
    &EVENTS_EVENT,
    &CUSTOM_RESOURCE_DEFINITION,
    &SELF_SUBJECT_ACCESS_REVIEW,
    &SELF_SUBJECT_RULES_REVIEW,
    &SELF_SUBJECT_REVIEW,
];

static POD_DISRUPTION_BUDGET: Strategy = Strategy {
    short_names: &["pdb"],
    status: true,
    validate: pdb_validate,
    columns: columns::poddisruptionbudgets,
    protobuf: Some(crate::protobuf::message_json::<k8s_pb::api::policy::v1::PodDisruptionBudget>),
    ..Strategy::plain(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        round_trip::<policy::v1::PodDisruptionBudget>,
    )
};

/// `ValidatePodDisruptionBudgetSpec`: at most one of `minAvailable` and `maxUnavailable`. The
/// spec is printed as Go's `%#v` prints it, pointers as a placeholder address.
fn pdb_validate(obj: &Value) -> Vec<Cause> {
    let set = |k: &str| {
        obj.pointer(&format!("/spec/{k}"))
            .is_some_and(|v| !v.is_null())
    };
    if !(set("minAvailable") && set("maxUnavailable")) {
        return Vec::new();
    }
    let ptr = |k: &str, ty: &str| {
        let address = if set(k) { "0xc000000000" } else { "nil" };
        format!("{k_up}:(*{ty})({address})", k_up = go_field(k))
    };
    let spec = format!(
        "policy.PodDisruptionBudgetSpec{{{}, {}, {}, {}}}",
        ptr("minAvailable", "intstr.IntOrString"),
        ptr("selector", "v1.LabelSelector"),
        ptr("maxUnavailable", "intstr.IntOrString"),
        ptr(
            "unhealthyPodEvictionPolicy",
            "policy.UnhealthyPodEvictionPolicyType"
        ),
    );
    vec![crate::field::invalid(
        "spec",
        spec,
        "minAvailable and maxUnavailable cannot be both set",
    )]
}

/// A JSON field name as its Go field (`minAvailable` → `MinAvailable`).
fn go_field(json_name: &str) -> String {
    let mut chars = json_name.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

static HORIZONTAL_POD_AUTOSCALER: Strategy = Strategy {
    short_names: &["hpa"],
    defaults: hpa_defaults,
    categories: &["all"],
    status: true,
    generation: Generation::None,
    columns: columns::horizontalpodautoscalers,
    protobuf: Some(
        crate::protobuf::message_json::<k8s_pb::api::autoscaling::v2::HorizontalPodAutoscaler>,
    ),
    ..Strategy::plain(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        round_trip::<autoscaling::v2::HorizontalPodAutoscaler>,
    )
};

static PRIORITY_CLASS: Strategy = Strategy {
    short_names: &["pc"],
    namespaced: false,
    generation: Generation::None,
    defaults: priority_class_defaults,
    validate_update: priority_value_unchanged,
    immutable: &[Immutable::scalar("preemptionPolicy")],
    columns: columns::priorityclasses,
    protobuf: Some(crate::protobuf::message_json::<k8s_pb::api::scheduling::v1::PriorityClass>),
    ..Strategy::plain(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        round_trip::<scheduling::v1::PriorityClass>,
    )
};

static STORAGE_CLASS: Strategy = Strategy {
    short_names: &["sc"],
    namespaced: false,
    generation: Generation::None,
    defaults: storage_class_defaults,
    validate_update: storage_class_validate_update,
    immutable: &[Immutable::scalar("volumeBindingMode")],
    columns: columns::storageclasses,
    protobuf: Some(crate::protobuf::message_json::<k8s_pb::api::storage::v1::StorageClass>),
    ..Strategy::plain(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        round_trip::<storage::v1::StorageClass>,
    )
};

static LEASE: Strategy = Strategy {
    generation: Generation::None,
    unconditional_update: false,
    columns: columns::leases,
    protobuf: Some(crate::protobuf::message_json::<k8s_pb::api::coordination::v1::Lease>),
    ..Strategy::plain(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        round_trip::<coordination::v1::Lease>,
    )
};

/// events.k8s.io/v1 Events: a view of the core Event store (`events_view`).
static EVENTS_EVENT: Strategy = Strategy {
    short_names: &["ev"],
    generation: Generation::None,
    columns: columns::events,
    field_selectors: super::EVENT_FIELDS,
    protobuf: Some(crate::protobuf::message_json::<k8s_pb::api::events::v1::Event>),
    ..Strategy::plain(
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        round_trip::<events::v1::Event>,
    )
};

static CUSTOM_RESOURCE_DEFINITION: Strategy = Strategy {
    short_names: &["crd", "crds"],
    categories: &["api-extensions"],
    namespaced: false,
    status: true,
    unconditional_update: false,
    returns_deleted_object: true,
    prepare: crd_prepare,
    protobuf: Some(
        crate::protobuf::message_json::<
            k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >,
    ),
    ..Strategy::plain(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        round_trip::<apiext::CustomResourceDefinition>,
    )
};

/// A create-only review resource (cluster-scoped, never stored).
const fn review(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    decode: fn(&str) -> Result<Value, serde_json::Error>,
    pb: crate::protobuf::Decode,
) -> Strategy {
    Strategy {
        namespaced: false,
        verbs: verb::CREATE_ONLY,
        protobuf: Some(pb),
        review: true,
        generation: Generation::None,
        ..Strategy::plain(group, "v1", kind, plural, decode)
    }
}

static SELF_SUBJECT_ACCESS_REVIEW: Strategy = review(
    "authorization.k8s.io",
    "SelfSubjectAccessReview",
    "selfsubjectaccessreviews",
    round_trip::<authorization::v1::SelfSubjectAccessReview>,
    crate::protobuf::message_json::<k8s_pb::api::authorization::v1::SelfSubjectAccessReview>,
);

static SELF_SUBJECT_RULES_REVIEW: Strategy = review(
    "authorization.k8s.io",
    "SelfSubjectRulesReview",
    "selfsubjectrulesreviews",
    round_trip::<authorization::v1::SelfSubjectRulesReview>,
    crate::protobuf::message_json::<k8s_pb::api::authorization::v1::SelfSubjectRulesReview>,
);

static SELF_SUBJECT_REVIEW: Strategy = review(
    "authentication.k8s.io",
    "SelfSubjectReview",
    "selfsubjectreviews",
    round_trip::<authentication::v1::SelfSubjectReview>,
    crate::protobuf::message_json::<k8s_pb::api::authentication::v1::SelfSubjectReview>,
);

/// autoscaling/v2 `SetDefaults_HorizontalPodAutoscaler`: `minReplicas: 1`, and CPU at 80 %
/// when no metric is named.
fn hpa_defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    super::pod_template::set_missing(spec, "minReplicas", json!(1));
    if spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        );
    }
}

/// `SetDefaults_PriorityClass`: `preemptionPolicy: PreemptLowerPriority`.
fn priority_class_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(m) = obj.as_object_mut() {
        super::pod_template::set_missing(m, "preemptionPolicy", json!("PreemptLowerPriority"));
    }
}

/// `ValidatePriorityClassUpdate`: the value never changes.
fn priority_value_unchanged(old: &Value, new: &Value) -> Vec<Cause> {
    if old.get("value") == new.get("value") {
        return Vec::new();
    }
    vec![Cause {
        reason: CauseType::FieldValueForbidden,
        message: "Forbidden: may not be changed in an update.".into(),
        field: "value".into(),
    }]
}

/// StorageClass defaults: `reclaimPolicy: Delete`, `volumeBindingMode: Immediate`.
fn storage_class_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(m) = obj.as_object_mut() {
        super::pod_template::set_missing(m, "reclaimPolicy", json!("Delete"));
        super::pod_template::set_missing(m, "volumeBindingMode", json!("Immediate"));
    }
}

/// `ValidateStorageClassUpdate`: parameters, provisioner and reclaim policy never change.
fn storage_class_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    ["parameters", "provisioner", "reclaimPolicy"]
        .into_iter()
        .filter(|f| old.get(*f) != new.get(*f))
        .map(|f| Cause {
            reason: CauseType::FieldValueForbidden,
            message: format!("Forbidden: updates to {f} are forbidden."),
            field: f.into(),
        })
        .collect()
}

/// A new CRD is accepted and established at once (kube-apiserver's controllers do it a moment
/// later).
fn crd_prepare(obj: &mut Value, old: Option<&Value>) {
    if old.is_none() {
        crd_status(obj, &crate::meta::now());
    }
}

/// A CRD is accepted and established at once (kube-apiserver's controllers do it a moment later).
pub(crate) fn crd_status(obj: &mut Value, now: &str) {
    let names = obj
        .pointer("/spec/names")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let storage: Vec<Value> = obj
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").cloned())
        .collect();
    let mut accepted = names;
    if accepted.get("singular").is_none() {
        let kind = accepted
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        accepted["singular"] = json!(kind);
    }
    if accepted.get("listKind").is_none() {
        let kind = accepted
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        accepted["listKind"] = json!(format!("{kind}List"));
    }
    obj["status"] = json!({"acceptedNames": accepted, "storedVersions": storage});
    let set = crate::conditions::set;
    set(
        obj,
        "NamesAccepted",
        "True",
        "NoConflicts",
        "no conflicts found",
        now,
    );
    let established = "the initial names have been accepted";
    set(
        obj,
        "Established",
        "True",
        "InitialNamesAccepted",
        established,
        now,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdb_sets_min_available_or_max_unavailable() {
        let one = json!({"spec": {"minAvailable": 1, "selector": {}}});
        assert!(pdb_validate(&one).is_empty());
        let both = json!({"spec": {"minAvailable": 1, "maxUnavailable": "50%"}});
        let causes = pdb_validate(&both);
        assert_eq!(causes.len(), 1);
        assert_eq!(
            causes[0].message,
            "Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000000000), Selector:(*v1.LabelSelector)(nil), MaxUnavailable:(*intstr.IntOrString)(0xc000000000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set"
        );
    }
}
