//! The controller's Kubernetes types: the `sealsync.io/v1alpha1` SealedSecret custom resource
//! (kube derive, so its CRD is generated from these types), its status and conditions, and the
//! CRD YAML that `sealsync crds` prints.
//!
//! At run time one type, [`Sealed`], holds SealedSecrets of both API groups: ours and, with
//! `--bitnami`, `bitnami.com/v1alpha1`. The two share the spec and status shape, so one
//! reconciler serves both.

mod condition;
mod crds;
pub mod gitsync;

use std::collections::BTreeMap;

use kube::CustomResource;
use kube::core::{ApiResource, GroupVersionKind, Object};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use condition::{Condition, ConditionStatus, Reason, now_rfc3339};
pub use crds::{all_crds, crds_yaml};

/// A SealedSecret of either API group, as the reconciler sees it.
pub type Sealed = Object<SealedSecretSpec, SealedSecretStatus>;

/// `spec` of a SealedSecret: the sealed values and the template of the Secret to make.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "sealsync.io",
    version = "v1alpha1",
    kind = "SealedSecret",
    namespaced,
    status = "SealedSecretStatus",
    shortname = "sls",
    category = "sealsync",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    printcolumn = r#"{"name":"Key","type":"string","jsonPath":".status.keyShort"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretSpec {
    /// Key → sealed value (standard base64), as `seal` or kubeseal writes it.
    #[serde(default)]
    pub encrypted_data: BTreeMap<String, String>,
    /// The Secret to make from the opened values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<SecretTemplate>,
    /// The deprecated single-blob format of Bitnami's first releases: recognised so that it gets
    /// a clear `InvalidSpec` status instead of an empty Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `spec.template`: what the made Secret looks like besides its values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretTemplate {
    /// Labels and annotations of the Secret. Its name and namespace are always the
    /// SealedSecret's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TemplateMetadata>,
    /// The Secret `type` (default `Opaque`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the Secret is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Bitnami's Go-template values. Not supported: a SealedSecret using it gets `InvalidSpec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
}

/// `spec.template.metadata`. It keeps fields it does not model (kubeseal writes
/// `creationTimestamp: null`), as Bitnami's CRD does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct TemplateMetadata {
    /// Written by `seal` and kubeseal; ignored: the Secret's name is the SealedSecret's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Written by `seal` and kubeseal; ignored: the Secret's namespace is the SealedSecret's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels of the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Other metadata fields, kept as they are and not applied.
    #[serde(flatten)]
    #[schemars(skip)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `status` of a SealedSecret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SealedSecretStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, with a reason and a message a person can act on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// For each value key, the SHA-256 fingerprint (hex) of the certificate's public key that
    /// opened it: which key sealed what. The controller tries that key first on its next start.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sealing_keys: BTreeMap<String, String>,
    /// The first 12 hex digits of the fingerprint that opened most values, for `kubectl get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_short: Option<String>,
}

impl SealedSecretStatus {
    /// The `Ready` condition, if any.
    pub fn ready(&self) -> Option<&Condition> {
        self.condition("Ready")
    }

    /// The condition of this type, if any.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// The API group a SealedSecret belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// `sealsync.io/v1alpha1`.
    Sealsync,
    /// `bitnami.com/v1alpha1`, reconciled with `--bitnami`.
    Bitnami,
}

impl Group {
    /// The group's API resource, for dynamic `Api`s.
    pub fn api_resource(self) -> ApiResource {
        let group = match self {
            Group::Sealsync => "sealsync.io",
            Group::Bitnami => "bitnami.com",
        };
        ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, "v1alpha1", "SealedSecret"),
            "sealedsecrets",
        )
    }

    /// The CRD's name.
    pub fn crd_name(self) -> &'static str {
        match self {
            Group::Sealsync => "sealedsecrets.sealsync.io",
            Group::Bitnami => "sealedsecrets.bitnami.com",
        }
    }

    /// For logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Sealsync => "sealsync.io",
            Group::Bitnami => "bitnami.com",
        }
    }
}
