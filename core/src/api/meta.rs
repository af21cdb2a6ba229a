//! Object metadata: name, namespace, labels and annotations, plus every other field kept as is.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Annotations `kubectl apply` and kubecfg leave on objects. They hold a copy of the whole
/// object, plaintext included, so they must never reach a sealed template.
pub const LAST_APPLIED_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];

/// Server-set metadata fields that do not belong in a manifest: stripped when sealing, as
/// kubeseal does, together with `ownerReferences` and `managedFields`.
pub const SERVER_FIELDS: [&str; 9] = [
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "managedFields",
];

/// `metadata` of an object. Fields this type does not model are kept in `other`. Its `Debug`
/// shows the name, the namespace and key names only: an annotation value can be a last-applied
/// copy of the whole object, plaintext included.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `metadata.namespace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.labels`; `null` reads as empty.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`; `null` reads as empty.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// Every other metadata field, unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl std::fmt::Debug for ObjectMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectMeta")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .field("labels", &self.labels.keys().collect::<Vec<_>>())
            .field("annotations", &self.annotations.keys().collect::<Vec<_>>())
            .field("other", &self.other.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ObjectMeta {
    /// The name, if set and not empty.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref().filter(|n| !n.is_empty())
    }

    /// The namespace, if set and not empty.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref().filter(|n| !n.is_empty())
    }

    /// Removes server-set fields and last-applied annotations, leaving what belongs in a manifest.
    pub fn strip_for_manifest(&mut self) {
        for field in SERVER_FIELDS {
            self.other.remove(field);
        }
        for annotation in LAST_APPLIED_ANNOTATIONS {
            self.annotations.remove(annotation);
        }
    }

    /// Whether nothing at all is set.
    pub fn is_empty(&self) -> bool {
        self == &ObjectMeta::default()
    }
}

/// The `kind` and `apiVersion` of a parsed document, empty where missing or not text.
pub(crate) fn type_of(value: &Value) -> (String, String) {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (text("kind"), text("apiVersion"))
}

/// Reads a map that may be written as `null`.
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let input = json!({
            "name": "db", "namespace": "prod",
            "labels": {"app": "x"}, "annotations": null,
            "finalizers": ["a"], "generateName": "db-"
        });
        let meta: ObjectMeta = serde_json::from_value(input).unwrap();
        assert!(meta.annotations.is_empty());
        let back = serde_json::to_value(&meta).unwrap();
        assert_eq!(back["finalizers"], json!(["a"]));
        assert_eq!(back["generateName"], json!("db-"));
        assert!(back.get("annotations").is_none());
    }

    #[test]
    fn strip_removes_server_fields_and_last_applied() {
        let mut meta: ObjectMeta = serde_json::from_value(json!({
            "name": "db",
            "uid": "1", "resourceVersion": "2", "creationTimestamp": null,
            "managedFields": [], "ownerReferences": [], "finalizers": ["keep"],
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{...}",
                "kubecfg.ksonnet.io/last-applied-configuration": "{...}",
                "keep": "me"
            }
        }))
        .unwrap();
        meta.strip_for_manifest();
        assert_eq!(meta.other.keys().collect::<Vec<_>>(), ["finalizers"]);
        assert_eq!(meta.annotations.keys().collect::<Vec<_>>(), ["keep"]);
    }

    #[test]
    fn empty_name_counts_as_missing() {
        let meta = ObjectMeta {
            name: Some(String::new()),
            ..ObjectMeta::default()
        };
        assert_eq!(meta.name(), None);
        assert!(!meta.is_empty());
    }
}
