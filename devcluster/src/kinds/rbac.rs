//! `rbac.authorization.k8s.io/v1`: Role, ClusterRole, RoleBinding, ClusterRoleBinding. devcluster
//! stores them and checks nothing with them (it has no authorization).

use super::{Generation, Strategy, round_trip};
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
    protobuf: Some(crate::protobuf::message_json::<pb::Role>),
    ..Strategy::plain(GROUP, "v1", "Role", "roles", round_trip::<api::Role>)
};

static CLUSTER_ROLE: Strategy = Strategy {
    namespaced: false,
    generation: Generation::None,
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
fn binding_defaults(obj: &mut Value, _old: Option<&Value>) {
    let group = |v: &Value| {
        v.get("apiGroup")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    };
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
