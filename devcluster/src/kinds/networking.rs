//! `networking.k8s.io/v1`: NetworkPolicy, Ingress, IngressClass.

use super::pod_template::set_missing;
use super::{Immutable, Strategy, round_trip};
use crate::field::{invalid, not_supported};
use crate::status::Cause;
use crate::table::builtin as columns;
use k8s_openapi::api::networking::v1 as api;
use k8s_pb::api::networking::v1 as pb;
use serde_json::{Value, json};

pub(super) static KINDS: &[&Strategy] = &[&NETWORK_POLICY, &INGRESS, &INGRESS_CLASS];

const GROUP: &str = "networking.k8s.io";

static NETWORK_POLICY: Strategy = Strategy {
    short_names: &["netpol"],
    defaults: network_policy_defaults,
    validate: network_policy_validate,
    columns: columns::networkpolicies,
    protobuf: Some(crate::protobuf::message_json::<pb::NetworkPolicy>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        round_trip::<api::NetworkPolicy>,
    )
};

static INGRESS: Strategy = Strategy {
    short_names: &["ing"],
    status: true,
    columns: columns::ingresses,
    protobuf: Some(crate::protobuf::message_json::<pb::Ingress>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "Ingress",
        "ingresses",
        round_trip::<api::Ingress>,
    )
};

static INGRESS_CLASS: Strategy = Strategy {
    namespaced: false,
    immutable: &[Immutable::scalar("spec.controller")],
    columns: columns::ingressclasses,
    protobuf: Some(crate::protobuf::message_json::<pb::IngressClass>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "IngressClass",
        "ingressclasses",
        round_trip::<api::IngressClass>,
    )
};

/// `SetDefaults_NetworkPolicy`: no `policyTypes` means Ingress, plus Egress when there are
/// egress rules; every port's protocol defaults to TCP.
fn network_policy_defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let has_egress = spec
        .get("egress")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    let no_types = spec
        .get("policyTypes")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if no_types {
        let types = if has_egress {
            json!(["Ingress", "Egress"])
        } else {
            json!(["Ingress"])
        };
        spec.insert("policyTypes".into(), types);
    }
    for direction in ["ingress", "egress"] {
        let rules = spec.get_mut(direction).and_then(Value::as_array_mut);
        for rule in rules.into_iter().flatten() {
            let ports = rule.get_mut("ports").and_then(Value::as_array_mut);
            for port in ports.into_iter().flatten().filter_map(Value::as_object_mut) {
                set_missing(port, "protocol", json!("TCP"));
            }
        }
    }
}

/// `ValidateNetworkPolicySpec`'s policy types: at most two, each `Ingress` or `Egress`.
fn network_policy_validate(obj: &Value) -> Vec<Cause> {
    const TYPES: &[&str] = &["Ingress", "Egress"];
    let types: Vec<&str> = obj
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| t.as_str().unwrap_or_default())
        .collect();
    if types.len() > TYPES.len() {
        let quoted: Vec<String> = types.iter().map(|t| format!("{t:?}")).collect();
        return vec![invalid(
            "spec.policyTypes",
            format!("&[]networking.PolicyType{{{}}}", quoted.join(", ")),
            "may not specify more than two policyTypes",
        )];
    }
    types
        .iter()
        .enumerate()
        .filter(|(_, t)| !TYPES.contains(t))
        .map(|(i, t)| not_supported(&format!("spec.policyTypes[{i}]"), t, TYPES))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_policy_defaults_follow_upstream() {
        let mut p = json!({"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}});
        network_policy_defaults(&mut p, None);
        assert_eq!(p["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert_eq!(p["spec"]["egress"][0]["ports"][0]["protocol"], "TCP");
        let mut deny = json!({"spec": {"podSelector": {}}});
        network_policy_defaults(&mut deny, None);
        assert_eq!(deny["spec"]["policyTypes"], json!(["Ingress"]));
    }

    #[test]
    fn policy_types_are_ingress_or_egress() {
        let ok = json!({"spec": {"policyTypes": ["Ingress", "Egress"]}});
        assert!(network_policy_validate(&ok).is_empty());
        let bogus = network_policy_validate(&json!({"spec": {"policyTypes": ["Bogus"]}}));
        assert_eq!(
            (bogus[0].field.as_str(), bogus[0].message.as_str()),
            (
                "spec.policyTypes[0]",
                "Unsupported value: \"Bogus\": supported values: \"Ingress\", \"Egress\""
            )
        );
        let three = json!({"spec": {"policyTypes": ["Ingress", "Egress", "Ingress"]}});
        assert_eq!(network_policy_validate(&three)[0].field, "spec.policyTypes");
    }
}
