//! Secret → SealedSecret, as kubeseal does it:
//!
//! - the scope comes from `--scope`, else the input's scope annotations, else strict;
//! - `--name` replaces the input's name; `--namespace` fills in a missing namespace and must
//!   match one that is there ("namespace mismatch", as kubeseal);
//! - the top-level metadata carries the name, the namespace and the scope annotation only;
//! - the template carries the input's labels, annotations (minus last-applied copies, which hold
//!   plaintext), type and immutability, plus the scope annotation;
//! - `data` is decoded from base64 and `stringData` wins on the same key.

use std::collections::BTreeMap;

use crate::api::secret::SecretError;
use crate::api::{Api, ObjectMeta, SealedSecret, Secret, SecretTemplateSpec};
use crate::crypto::{self, Scope, Sealer};

use super::target::{NameRule, Overrides, Target, TargetError};

/// How to seal.
#[derive(Debug, Clone, Default)]
pub struct SealOptions {
    /// Name, namespace and scope from the command line.
    pub overrides: Overrides,
    /// The API group of the output.
    pub api: Api,
    /// Whether a Secret with no values is acceptable.
    pub allow_empty_data: bool,
}

/// Why a Secret could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealSecretError {
    /// The Secret's values could not be read.
    #[error("cannot read the values of Secret {name:?}")]
    ReadValues {
        /// The Secret's name, or empty.
        name: String,
        /// What was wrong.
        #[source]
        source: SecretError,
    },
    /// The name, namespace or scope is missing or contradictory.
    #[error("cannot tell what to seal{} for", describe(name))]
    Target {
        /// The Secret's name, or empty.
        name: String,
        /// What was wrong.
        #[source]
        source: TargetError,
    },
    /// The Secret has no `data` and no `stringData`.
    #[error("Secret {name:?} has no data and no stringData")]
    EmptyData {
        /// The Secret's name.
        name: String,
    },
    /// Encryption of one value failed.
    #[error("cannot seal value {key:?}")]
    Encrypt {
        /// The key of the value.
        key: String,
        /// What failed.
        #[source]
        source: crypto::SealError,
    },
}

/// ` Secret "name"` for messages, or nothing when there is no name.
fn describe(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!(" Secret {name:?}")
    }
}

/// Seals every value of `secret` to `key` (one key: Bitnami's format; a
/// [`crypto::Recipients`] list: its format). `--name` replaces the Secret's name, as kubeseal's
/// does; `--namespace` only fills in a missing namespace and must otherwise match.
pub fn seal_secret(
    secret: &Secret,
    key: &(impl Sealer + ?Sized),
    options: &SealOptions,
) -> Result<SealedSecret, SealSecretError> {
    let renamed = options.overrides.name.as_deref().filter(|n| !n.is_empty());
    let name = renamed.or(secret.metadata.name());
    let shown_name = name.unwrap_or_default().to_owned();
    let overrides = Overrides {
        name: None,
        ..options.overrides.clone()
    };
    let target = Target::resolve(
        name,
        secret.metadata.namespace(),
        Scope::from_annotations(&secret.metadata.annotations),
        &overrides,
        NameRule::Always,
    )
    .map_err(|source| SealSecretError::Target {
        name: shown_name.clone(),
        source,
    })?;
    let values = secret
        .values()
        .map_err(|source| SealSecretError::ReadValues {
            name: shown_name.clone(),
            source,
        })?;
    if values.is_empty() && !options.allow_empty_data {
        return Err(SealSecretError::EmptyData { name: shown_name });
    }

    let mut top = ObjectMeta {
        name: target.name.clone(),
        namespace: target.namespace.clone(),
        ..ObjectMeta::default()
    };
    target.scope.write_annotations(&mut top.annotations);
    let mut sealed = SealedSecret::new(options.api, top);
    sealed.spec.template = Some(template_for(secret, &target));
    sealed.spec.encrypted_data = seal_values(key, &target, &values)?;
    Ok(sealed)
}

/// Seals each value under the label of `target`.
pub fn seal_values(
    key: &(impl Sealer + ?Sized),
    target: &Target,
    values: &BTreeMap<String, zeroize::Zeroizing<Vec<u8>>>,
) -> Result<BTreeMap<String, String>, SealSecretError> {
    let label = target.label();
    values
        .iter()
        .map(|(k, v)| {
            key.seal_base64(v, &label)
                .map(|sealed| (k.clone(), sealed))
                .map_err(|source| SealSecretError::Encrypt {
                    key: k.clone(),
                    source,
                })
        })
        .collect()
}

/// The template of the Secret the controller will make: the input's metadata without server
/// fields and last-applied copies, the resolved name and namespace, and the scope annotation.
pub fn template_for(secret: &Secret, target: &Target) -> SecretTemplateSpec {
    let mut metadata = secret.metadata.clone();
    metadata.strip_for_manifest();
    metadata.name = target.name.clone();
    metadata.namespace = target.namespace.clone();
    target.scope.write_annotations(&mut metadata.annotations);
    SecretTemplateSpec {
        metadata,
        type_: secret.type_.clone(),
        immutable: secret.immutable,
        data: None,
        other: BTreeMap::new(),
    }
}

/// Seals one raw value (`seal --raw`): returns the base64 string that goes in `encryptedData`.
pub fn seal_raw(
    key: &(impl Sealer + ?Sized),
    value: &[u8],
    overrides: &Overrides,
) -> Result<String, SealSecretError> {
    let target = Target::resolve(None, None, Scope::Strict, overrides, NameRule::WhenStrict)
        .map_err(|source| SealSecretError::Target {
            name: overrides.name.clone().unwrap_or_default(),
            source,
        })?;
    key.seal_base64(value, &target.label())
        .map_err(|source| SealSecretError::Encrypt {
            key: "raw value".to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::open_base64;
    use crate::sealing::test_key as key;
    use serde_json::json;

    fn input() -> Secret {
        Secret::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {
                "name": "db", "namespace": "prod", "uid": "x", "creationTimestamp": null,
                "labels": {"app": "db"},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"password\":\"s3cr3t\"}}",
                    "team": "a"
                }
            },
            "type": "Opaque", "immutable": true,
            "data": {"user": "YWRtaW4="},
            "stringData": {"password": "s3cr3t"}
        }))
        .unwrap()
    }

    #[test]
    fn seals_values_and_builds_the_template() {
        let sealed = seal_secret(&input(), key().public_key(), &SealOptions::default()).unwrap();
        assert_eq!(sealed.api_version, "sealsync.io/v1alpha1");
        assert_eq!(sealed.metadata.name(), Some("db"));
        assert!(sealed.metadata.annotations.is_empty());
        let template = sealed.spec.template.as_ref().unwrap();
        assert_eq!(template.metadata.labels["app"], "db");
        assert_eq!(
            template.metadata.annotations.keys().collect::<Vec<_>>(),
            ["team"]
        );
        assert!(
            template.metadata.other.is_empty(),
            "uid and creationTimestamp stripped"
        );
        assert_eq!(template.type_.as_deref(), Some("Opaque"));
        assert_eq!(template.immutable, Some(true));
        let keys = std::slice::from_ref(key());
        let opened = open_base64(keys, &sealed.spec.encrypted_data["password"], b"prod/db");
        assert_eq!(&opened.unwrap().plaintext[..], b"s3cr3t");
        let text = serde_json::to_string(&sealed).unwrap();
        assert!(
            !text.contains("s3cr3t") && !text.contains("YWRtaW4"),
            "{text}"
        );
    }

    #[test]
    fn scope_from_flag_or_annotation_lands_on_both_levels() {
        let options = SealOptions {
            overrides: Overrides {
                scope: Some(Scope::NamespaceWide),
                ..Overrides::default()
            },
            api: Api::Bitnami,
            ..SealOptions::default()
        };
        let sealed = seal_secret(&input(), key().public_key(), &options).unwrap();
        assert_eq!(sealed.api_version, "bitnami.com/v1alpha1");
        assert_eq!(
            Scope::from_annotations(&sealed.metadata.annotations),
            Scope::NamespaceWide
        );
        let template = sealed.spec.template.as_ref().unwrap();
        assert_eq!(
            Scope::from_annotations(&template.metadata.annotations),
            Scope::NamespaceWide
        );
        let keys = std::slice::from_ref(key());
        assert!(open_base64(keys, &sealed.spec.encrypted_data["user"], b"prod").is_ok());

        let mut annotated = input();
        annotated.metadata.annotations.insert(
            "sealedsecrets.bitnami.com/cluster-wide".into(),
            "true".into(),
        );
        annotated.metadata.namespace = None;
        let sealed = seal_secret(&annotated, key().public_key(), &SealOptions::default()).unwrap();
        assert!(open_base64(keys, &sealed.spec.encrypted_data["user"], b"").is_ok());
    }

    #[test]
    fn name_override_renames_and_namespace_must_match() {
        let options = SealOptions {
            overrides: Overrides {
                name: Some("web".into()),
                ..Overrides::default()
            },
            ..SealOptions::default()
        };
        let sealed = seal_secret(&input(), key().public_key(), &options).unwrap();
        assert_eq!(sealed.metadata.name(), Some("web"));
        let template = sealed.spec.template.as_ref().unwrap();
        assert_eq!(template.metadata.name(), Some("web"));
        let keys = std::slice::from_ref(key());
        let opened = open_base64(keys, &sealed.spec.encrypted_data["user"], b"prod/web");
        assert!(opened.is_ok());
        let options = SealOptions {
            overrides: Overrides {
                namespace: Some("dev".into()),
                ..Overrides::default()
            },
            ..SealOptions::default()
        };
        let err = seal_secret(&input(), key().public_key(), &options);
        assert!(matches!(
            err,
            Err(SealSecretError::Target {
                source: TargetError::NamespaceMismatch { .. },
                ..
            })
        ));
    }

    #[test]
    fn empty_secrets_need_allow_empty_data() {
        let empty = Secret::from_value(json!({
            "kind": "Secret", "metadata": {"name": "e", "namespace": "n"}
        }))
        .unwrap();
        let err = seal_secret(&empty, key().public_key(), &SealOptions::default());
        assert!(matches!(err, Err(SealSecretError::EmptyData { .. })));
        let options = SealOptions {
            allow_empty_data: true,
            ..SealOptions::default()
        };
        let sealed = seal_secret(&empty, key().public_key(), &options).unwrap();
        assert!(sealed.spec.encrypted_data.is_empty());
    }

    #[test]
    fn raw_values_use_the_scope_label() {
        let overrides = Overrides {
            name: Some("db".into()),
            namespace: Some("prod".into()),
            ..Overrides::default()
        };
        let value = seal_raw(key().public_key(), b"v", &overrides).unwrap();
        let keys = std::slice::from_ref(key());
        assert!(open_base64(keys, &value, b"prod/db").is_ok());
        assert!(open_base64(keys, &value, b"prod").is_err());
        let missing = seal_raw(key().public_key(), b"v", &Overrides::default());
        assert!(matches!(missing, Err(SealSecretError::Target { .. })));
    }
}
