//! The `SealedSecret`, in either API group. Fields this type does not model (status, the
//! deprecated `spec.data`, anything newer) are kept, so reading and rewriting a file loses nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::meta::{ObjectMeta, null_as_empty};

/// The `kind` of a SealedSecret.
pub const KIND: &str = "SealedSecret";

/// Which API group a SealedSecret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Api {
    /// `sealsync.io/v1alpha1`, sealsync's own group.
    #[default]
    Sealsync,
    /// `bitnami.com/v1alpha1`, the Bitnami Sealed Secrets group.
    Bitnami,
}

impl Api {
    /// Both groups.
    pub const ALL: [Api; 2] = [Api::Sealsync, Api::Bitnami];

    /// The `apiVersion` string.
    pub fn api_version(self) -> &'static str {
        match self {
            Api::Sealsync => "sealsync.io/v1alpha1",
            Api::Bitnami => "bitnami.com/v1alpha1",
        }
    }

    /// The group named by an `apiVersion`, if it is one of ours.
    pub fn from_api_version(api_version: &str) -> Option<Api> {
        Api::ALL
            .into_iter()
            .find(|api| api.api_version() == api_version)
    }

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Sealsync => "sealsync",
            Api::Bitnami => "bitnami",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API name that is neither `sealsync` nor `bitnami`.
#[derive(Debug, thiserror::Error)]
#[error("unknown API {given:?}: expected sealsync or bitnami")]
pub struct ParseApiError {
    /// What was given.
    pub given: String,
}

impl FromStr for Api {
    type Err = ParseApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Api::ALL
            .into_iter()
            .find(|api| api.as_str() == s)
            .ok_or_else(|| ParseApiError {
                given: s.to_owned(),
            })
    }
}

/// Why a document could not be read as a SealedSecret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealedSecretError {
    /// The document is not a SealedSecret of either group.
    #[error(
        "the input is not a SealedSecret (kind {kind:?}, apiVersion {api_version:?}); expected \
         kind SealedSecret in sealsync.io/v1alpha1 or bitnami.com/v1alpha1"
    )]
    NotASealedSecret {
        /// The `kind` found, or empty.
        kind: String,
        /// The `apiVersion` found, or empty.
        api_version: String,
    },
    /// A field has the wrong shape.
    #[error("the SealedSecret has a malformed field: {detail}")]
    Shape {
        /// What serde reported. SealedSecrets hold no plaintext, so this is safe to show.
        detail: String,
    },
}

/// A SealedSecret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecret {
    /// `sealsync.io/v1alpha1` or `bitnami.com/v1alpha1`.
    pub api_version: String,
    /// Always `SealedSecret`.
    pub kind: String,
    /// Top-level metadata: its name, namespace and scope annotations decide the label.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The sealed values and the template of the Secret to make.
    #[serde(default)]
    pub spec: SealedSecretSpec,
    /// Other top-level fields (e.g. `status`), unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `spec` of a SealedSecret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretSpec {
    /// Key → base64 sealed value.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub encrypted_data: BTreeMap<String, String>,
    /// The Secret to make from the opened values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<SecretTemplateSpec>,
    /// Other spec fields (e.g. the deprecated `data`), unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `spec.template`: metadata, type and immutability of the Secret to make.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplateSpec {
    /// Metadata of the Secret (labels, annotations, …).
    #[serde(default, skip_serializing_if = "ObjectMeta::is_empty")]
    pub metadata: ObjectMeta,
    /// The Secret type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the Secret is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Go-template values rendered against the opened values (Bitnami feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
    /// Other template fields, unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl SealedSecret {
    /// An empty SealedSecret of `api` with this top-level metadata.
    pub fn new(api: Api, metadata: ObjectMeta) -> SealedSecret {
        SealedSecret {
            api_version: api.api_version().to_owned(),
            kind: KIND.to_owned(),
            metadata,
            spec: SealedSecretSpec::default(),
            other: BTreeMap::new(),
        }
    }

    /// Reads a parsed document as a SealedSecret of either group.
    pub fn from_value(value: Value) -> Result<SealedSecret, SealedSecretError> {
        let (kind, api_version) = super::meta::type_of(&value);
        if kind != KIND || Api::from_api_version(&api_version).is_none() {
            return Err(SealedSecretError::NotASealedSecret { kind, api_version });
        }
        serde_json::from_value(value).map_err(|e| SealedSecretError::Shape {
            detail: e.to_string(),
        })
    }

    /// The API group, if the `apiVersion` is one of ours.
    pub fn api(&self) -> Option<Api> {
        Api::from_api_version(&self.api_version)
    }

    /// The template, created empty if missing.
    pub fn template_mut(&mut self) -> &mut SecretTemplateSpec {
        self.spec.template.get_or_insert_with(Default::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_groups_read_and_unknown_fields_survive() {
        for api in Api::ALL {
            let doc = json!({
                "apiVersion": api.api_version(), "kind": "SealedSecret",
                "metadata": {"name": "db", "namespace": "prod"},
                "spec": {
                    "encryptedData": {"a": "AgA="},
                    "template": {"metadata": {"labels": {"x": "y"}}, "type": "Opaque",
                                 "future": 1},
                    "data": "legacy"
                },
                "status": {"conditions": []}
            });
            let sealed = SealedSecret::from_value(doc.clone()).unwrap();
            assert_eq!(sealed.api(), Some(api));
            assert_eq!(serde_json::to_value(&sealed).unwrap(), doc);
        }
    }

    #[test]
    fn other_documents_are_refused() {
        for doc in [
            json!({"apiVersion": "v1", "kind": "Secret"}),
            json!({"apiVersion": "example.com/v1", "kind": "SealedSecret"}),
        ] {
            assert!(matches!(
                SealedSecret::from_value(doc),
                Err(SealedSecretError::NotASealedSecret { .. })
            ));
        }
    }

    #[test]
    fn api_names_parse() {
        for api in Api::ALL {
            assert_eq!(api.as_str().parse::<Api>().unwrap(), api);
        }
        assert!("kubeseal".parse::<Api>().is_err());
    }
}
