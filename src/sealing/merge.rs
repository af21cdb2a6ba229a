//! `--merge-into`: seal a Secret's values into an existing SealedSecret, adding or replacing
//! keys and keeping every other key and field.
//!
//! The existing object decides the identity: its top-level name, namespace and scope make the
//! label, so merged values open together with the ones already there. An input that names a
//! different name or namespace, or a `--scope` that differs, is an error rather than a value that
//! would never open.

use crate::api::{SealedSecret, Secret};
use crate::crypto::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use crate::crypto::{PublicKey, Scope};

use super::seal::{SealSecretError, seal_values};
use super::target::{NameRule, Overrides, Target, TargetError};
use super::unseal::display_name;

/// How to merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// `--scope`, which must match the existing object's scope if given.
    pub scope: Option<Scope>,
    /// Whether an input with no values is acceptable.
    pub allow_empty_data: bool,
}

/// Why a merge failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// The input disagrees with the existing object about name or namespace, or the existing
    /// object lacks what its scope needs.
    #[error("the input does not fit SealedSecret {existing:?}")]
    Target {
        /// The existing object's `namespace/name`.
        existing: String,
        /// What disagreed.
        #[source]
        source: TargetError,
    },
    /// `--scope`, or the input's scope annotation, differs from the existing object's scope.
    #[error("scope mismatch: the input asks for {given} but {existing:?} is {found}")]
    ScopeMismatch {
        /// From the command line.
        given: Scope,
        /// The existing object's scope.
        found: Scope,
        /// The existing object's `namespace/name`.
        existing: String,
    },
    /// The input has no values.
    #[error("the input Secret has no data and no stringData")]
    EmptyData,
    /// Reading or sealing the values failed.
    #[error("cannot seal the input values")]
    Seal {
        /// What failed.
        #[source]
        source: SealSecretError,
    },
}

/// Seals `secret`'s values into `existing`. Returns the keys that were added or replaced.
pub fn merge_into(
    existing: &mut SealedSecret,
    secret: &Secret,
    key: &PublicKey,
    options: &MergeOptions,
) -> Result<Vec<String>, MergeError> {
    let existing_name = display_name(&existing.metadata);
    let found = Scope::from_annotations(&existing.metadata.annotations);
    let declared = declares_scope(&secret.metadata.annotations)
        .then(|| Scope::from_annotations(&secret.metadata.annotations));
    if let Some(given) = options.scope.or(declared).filter(|s| *s != found) {
        return Err(MergeError::ScopeMismatch {
            given,
            found,
            existing: existing_name,
        });
    }
    let overrides = Overrides {
        name: secret.metadata.name.clone(),
        namespace: secret.metadata.namespace.clone(),
        scope: None,
    };
    let target = Target::resolve(
        existing.metadata.name(),
        existing.metadata.namespace(),
        found,
        &overrides,
        NameRule::WhenStrict,
    )
    .map_err(|source| MergeError::Target {
        existing: existing_name,
        source,
    })?;
    let values = secret.values().map_err(|source| MergeError::Seal {
        source: SealSecretError::ReadValues {
            name: secret.metadata.name().unwrap_or_default().to_owned(),
            source,
        },
    })?;
    if values.is_empty() && !options.allow_empty_data {
        return Err(MergeError::EmptyData);
    }
    let sealed =
        seal_values(key, &target, &values).map_err(|source| MergeError::Seal { source })?;
    let merged: Vec<String> = sealed.keys().cloned().collect();
    existing.spec.encrypted_data.extend(sealed);

    let mut incoming = secret.metadata.clone();
    incoming.strip_for_manifest();
    // The existing object's scope stands; the input cannot change it through the template.
    Scope::Strict.write_annotations(&mut incoming.annotations);
    let template = existing.template_mut();
    template.metadata.labels.extend(incoming.labels);
    template.metadata.annotations.extend(incoming.annotations);
    if template.type_.is_none() {
        template.type_ = secret.type_.clone();
    }
    Ok(merged)
}

/// Whether the annotations carry a scope annotation set to `"true"`.
fn declares_scope(annotations: &std::collections::BTreeMap<String, String>) -> bool {
    [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION]
        .iter()
        .any(|a| annotations.get(*a).map(String::as_str) == Some("true"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealing::seal::{SealOptions, seal_secret};
    use crate::sealing::test_key as key;
    use crate::sealing::unseal::unseal;
    use serde_json::json;

    fn secret(doc: serde_json::Value) -> Secret {
        Secret::from_value(doc).unwrap()
    }

    fn existing() -> SealedSecret {
        let s = secret(json!({
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "prod", "labels": {"a": "1"},
                         "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}},
            "stringData": {"user": "admin", "password": "old"}
        }));
        let mut sealed = seal_secret(&s, key().public_key(), &SealOptions::default()).unwrap();
        sealed.other.insert("status".into(), json!({"kept": true}));
        sealed
    }

    #[test]
    fn adds_and_replaces_keeping_the_rest() {
        let mut target = existing();
        let user_before = target.spec.encrypted_data["user"].clone();
        let update = secret(json!({
            "kind": "Secret", "metadata": {"name": "db", "labels": {"b": "2"}},
            "stringData": {"password": "new", "token": "t"}
        }));
        let merged = merge_into(
            &mut target,
            &update,
            key().public_key(),
            &MergeOptions::default(),
        )
        .unwrap();
        assert_eq!(merged, ["password", "token"]);
        assert_eq!(target.spec.encrypted_data["user"], user_before);
        assert_eq!(target.other["status"], json!({"kept": true}));
        let labels = &target.spec.template.as_ref().unwrap().metadata.labels;
        assert_eq!(labels.len(), 2);
        let out = unseal(&target, std::slice::from_ref(key())).unwrap();
        let values = out.secret.values().unwrap();
        assert_eq!(&values["password"][..], b"new");
        assert_eq!(&values["user"][..], b"admin");
        assert_eq!(&values["token"][..], b"t");
        assert_eq!(
            Scope::from_annotations(&out.secret.metadata.annotations),
            Scope::NamespaceWide
        );
    }

    #[test]
    fn contradictions_are_errors() {
        let update = secret(json!({
            "kind": "Secret", "metadata": {"namespace": "dev"}, "stringData": {"k": "v"}
        }));
        let err = merge_into(
            &mut existing(),
            &update,
            key().public_key(),
            &MergeOptions::default(),
        );
        assert!(matches!(err, Err(MergeError::Target { .. })));
        let ok = secret(json!({"kind": "Secret", "stringData": {"k": "v"}}));
        let options = MergeOptions {
            scope: Some(Scope::ClusterWide),
            ..MergeOptions::default()
        };
        let err = merge_into(&mut existing(), &ok, key().public_key(), &options);
        assert!(matches!(err, Err(MergeError::ScopeMismatch { .. })));
        let wider = secret(json!({
            "kind": "Secret", "stringData": {"k": "v"},
            "metadata": {"annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}}
        }));
        let err = merge_into(
            &mut existing(),
            &wider,
            key().public_key(),
            &MergeOptions::default(),
        );
        assert!(matches!(err, Err(MergeError::ScopeMismatch { .. })));
        let empty = secret(json!({"kind": "Secret"}));
        let err = merge_into(
            &mut existing(),
            &empty,
            key().public_key(),
            &MergeOptions::default(),
        );
        assert!(matches!(err, Err(MergeError::EmptyData)));
    }
}
