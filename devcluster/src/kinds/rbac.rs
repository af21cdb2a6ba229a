//! `rbac.authorization.k8s.io/v1`: Role, ClusterRole, RoleBinding, ClusterRoleBinding. devcluster
//! stores them and authorizes nothing with them, but validates their shape as kube-apiserver's
//! `pkg/apis/rbac/validation` does: each rule's verbs and resources, each binding's `roleRef`.

use super::{Generation, Strategy, round_trip};
use crate::field::{invalid, not_supported, required};
use crate::status::Cause;
use crate::table::builtin as columns;
use k8s_openapi::api::rbac::v1 as api;
use k8s_pb::api::rbac::v1 as pb;
use serde_json::{Value, json};

pub(super) static KINDS: &[&Strategy] =
    &[&ROLE, &CLUSTER_ROLE, &ROLE_BINDING, &CLUSTER_ROLE_BINDING];

const GROUP: &str = "rbac.authorization.k8s.io";

static ROLE: Strategy = Strategy {
    generation: Generation::None,
    validate: role_validate,
    protobuf: Some(crate::protobuf::message_json::<pb::Role>),
    ..Strategy::plain(GROUP, "v1", "Role", "roles", round_trip::<api::Role>)
};

static CLUSTER_ROLE: Strategy = Strategy {
    namespaced: false,
    generation: Generation::None,
    validate: cluster_role_validate,
    protobuf: Some(crate::protobuf::message_json::<pb::ClusterRole>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "ClusterRole",
        "clusterroles",
        round_trip::<api::ClusterRole>,
    )
};

static ROLE_BINDING: Strategy = Strategy {
    generation: Generation::None,
    defaults: binding_defaults,
    validate: role_binding_validate,
    validate_update: role_ref_unchanged,
    columns: columns::bindings,
    protobuf: Some(crate::protobuf::message_json::<pb::RoleBinding>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "RoleBinding",
        "rolebindings",
        round_trip::<api::RoleBinding>,
    )
};

static CLUSTER_ROLE_BINDING: Strategy = Strategy {
    namespaced: false,
    generation: Generation::None,
    defaults: binding_defaults,
    validate: cluster_role_binding_validate,
    validate_update: role_ref_unchanged,
    columns: columns::bindings,
    protobuf: Some(crate::protobuf::message_json::<pb::ClusterRoleBinding>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        round_trip::<api::ClusterRoleBinding>,
    )
};

/// `SetDefaults_RoleBinding` / `SetDefaults_Subject`: `roleRef.apiGroup` and the apiGroup of
/// User and Group subjects default to `rbac.authorization.k8s.io`, a ServiceAccount's to "".
/// `roleRef` is a struct, not a pointer, in Go, so a binding without one gets its apiGroup too.
fn binding_defaults(obj: &mut Value, _old: Option<&Value>) {
    let group = |v: &Value| {
        v.get("apiGroup")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    };
    if let Some(o) = obj.as_object_mut()
        && o.get("roleRef").is_none_or(Value::is_null)
    {
        o.insert("roleRef".into(), json!({}));
    }
    if let Some(role_ref) = obj.get_mut("roleRef").filter(|r| r.is_object())
        && group(role_ref)
    {
        role_ref["apiGroup"] = json!(GROUP);
    }
    let subjects = obj.get_mut("subjects").and_then(Value::as_array_mut);
    for subject in subjects.into_iter().flatten().filter(|s| s.is_object()) {
        let user_or_group = matches!(
            subject.get("kind").and_then(Value::as_str),
            Some("User" | "Group")
        );
        // A ServiceAccount's default is "", which Go's `omitempty` leaves out.
        if group(subject) && user_or_group {
            subject["apiGroup"] = json!(GROUP);
        }
    }
}

fn role_validate(obj: &Value) -> Vec<Cause> {
    rules_validate(obj, true)
}

fn cluster_role_validate(obj: &Value) -> Vec<Cause> {
    rules_validate(obj, false)
}

/// `ValidateRole` / `ValidateClusterRole`: `ValidatePolicyRule` on each of `rules`.
fn rules_validate(obj: &Value, namespaced: bool) -> Vec<Cause> {
    let rules = obj.get("rules").and_then(Value::as_array);
    rules
        .into_iter()
        .flatten()
        .enumerate()
        .flat_map(|(i, rule)| policy_rule(rule, namespaced, &format!("rules[{i}]")))
        .collect()
}

/// `ValidatePolicyRule`: verbs are required; a rule is either a non-resource rule (cluster-wide
/// only, nothing else named) or a resource rule with API groups and resources.
fn policy_rule(rule: &Value, namespaced: bool, path: &str) -> Vec<Cause> {
    let list = |k: &str| -> Vec<&str> {
        rule.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    };
    let mut causes = Vec::new();
    if list("verbs").is_empty() {
        causes.push(required(
            &format!("{path}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = list("nonResourceURLs");
    if !urls.is_empty() {
        let field = format!("{path}.nonResourceURLs");
        let shown = || go_strings(&urls);
        if namespaced {
            causes.push(invalid(
                &field,
                shown(),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if ["apiGroups", "resources", "resourceNames"]
            .iter()
            .any(|k| !list(k).is_empty())
        {
            causes.push(invalid(
                &field,
                shown(),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return causes;
    }
    if list("apiGroups").is_empty() {
        causes.push(required(
            &format!("{path}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if list("resources").is_empty() {
        causes.push(required(
            &format!("{path}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
    causes
}

/// A `[]string` as Go's `%#v` prints it.
fn go_strings(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

fn role_binding_validate(obj: &Value) -> Vec<Cause> {
    role_ref_validate(obj, &["Role", "ClusterRole"])
}

fn cluster_role_binding_validate(obj: &Value) -> Vec<Cause> {
    role_ref_validate(obj, &["ClusterRole"])
}

/// `ValidateRoleBinding` / `ValidateClusterRoleBinding`: the `roleRef` names this group, one of
/// `kinds` and a role (a binding without `roleRef` fails on its kind and name; its apiGroup was
/// defaulted).
fn role_ref_validate(obj: &Value, kinds: &[&str]) -> Vec<Cause> {
    let r = |k: &str| {
        obj.pointer(&format!("/roleRef/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let mut causes = Vec::new();
    if r("apiGroup") != GROUP {
        causes.push(not_supported("roleRef.apiGroup", r("apiGroup"), &[GROUP]));
    }
    if !kinds.contains(&r("kind")) {
        causes.push(not_supported("roleRef.kind", r("kind"), kinds));
    }
    if r("name").is_empty() {
        causes.push(required("roleRef.name", ""));
    }
    causes
}

/// `ValidateRoleBindingUpdate`: the role a binding grants never changes (delete and recreate it).
fn role_ref_unchanged(old: &Value, new: &Value) -> Vec<Cause> {
    if old.get("roleRef") == new.get("roleRef") {
        return Vec::new();
    }
    let r = |k: &str| {
        new.pointer(&format!("/roleRef/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    vec![Cause {
        reason: crate::status::CauseType::FieldValueInvalid,
        message: format!(
            "Invalid value: rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}: cannot change roleRef",
            r("apiGroup"),
            r("kind"),
            r("name")
        ),
        field: "roleRef".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(causes: &[Cause]) -> Vec<(&str, &str)> {
        causes
            .iter()
            .map(|c| (c.field.as_str(), c.reason.as_str()))
            .collect()
    }

    #[test]
    fn rules_need_verbs_and_resources() {
        let ok = json!({"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
        assert!(cluster_role_validate(&ok).is_empty());
        let no_verbs = json!({"rules": [{"apiGroups": [""], "resources": ["pods"]}]});
        let causes = role_validate(&no_verbs);
        assert_eq!(fields(&causes), [("rules[0].verbs", "FieldValueRequired")]);
        assert_eq!(
            causes[0].message,
            "Required value: verbs must contain at least one value"
        );
        let urls =
            role_validate(&json!({"rules": [{"nonResourceURLs": ["/x"], "verbs": ["get"]}]}));
        assert_eq!(
            urls[0].message,
            "Invalid value: []string{\"/x\"}: namespaced rules cannot apply to non-resource URLs"
        );
    }

    #[test]
    fn a_binding_needs_a_role_ref() {
        let mut none = json!({"subjects": []});
        binding_defaults(&mut none, None);
        assert_eq!(
            fields(&role_binding_validate(&none)),
            [
                ("roleRef.kind", "FieldValueNotSupported"),
                ("roleRef.name", "FieldValueRequired")
            ]
        );
        let role = json!({"roleRef": {"apiGroup": GROUP, "kind": "Role", "name": "r"}});
        assert!(role_binding_validate(&role).is_empty());
        assert_eq!(
            cluster_role_binding_validate(&role)[0].message,
            "Unsupported value: \"Role\": supported values: \"ClusterRole\""
        );
    }
}
