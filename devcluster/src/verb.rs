//! The API verbs a resource request can have, as kube-apiserver's RequestInfo names them.

use serde::Serialize;

/// One API verb. A request whose method and path make no verb is a 405, never another verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Create,
    Delete,
    #[serde(rename = "deletecollection")]
    DeleteCollection,
    Get,
    List,
    Patch,
    Update,
    Watch,
}

impl Verb {
    /// The verb's name in discovery, audit and RBAC (`deletecollection`, `watch`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Patch => "patch",
            Verb::Update => "update",
            Verb::Watch => "watch",
        }
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verbs of an ordinary resource, in discovery order.
pub const ALL: &[Verb] = &[
    Verb::Create,
    Verb::Delete,
    Verb::DeleteCollection,
    Verb::Get,
    Verb::List,
    Verb::Patch,
    Verb::Update,
    Verb::Watch,
];

/// Namespaces: no deletecollection, as in kube-apiserver.
pub const NAMESPACE: &[Verb] = &[
    Verb::Create,
    Verb::Delete,
    Verb::Get,
    Verb::List,
    Verb::Patch,
    Verb::Update,
    Verb::Watch,
];

/// Review resources (`SelfSubjectAccessReview` and kin).
pub const CREATE_ONLY: &[Verb] = &[Verb::Create];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_serialize_as_discovery_names() {
        let names = serde_json::to_value(ALL).expect("verbs serialize");
        assert_eq!(
            names,
            serde_json::json!([
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch"
            ])
        );
        assert!(ALL.iter().all(|v| {
            names
                .as_array()
                .is_some_and(|a| a.contains(&v.as_str().into()))
        }));
    }
}
