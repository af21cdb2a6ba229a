//! `--merge-into`: seal a Secret's values into an existing SealedSecret, adding or replacing
//! keys and keeping every other key and field.
//!
//! The existing object decides the identity, as kubeseal's `--merge-into` does (it seals the
//! input with the file's name and namespace as overrides): the file's top-level name, namespace
//! and scope make the label, so merged values open together with the ones already there. An input
//! that names another name, namespace or scope is merged under the file's identity, and the
//! differences are reported in [`Merged::overridden`]. Only an explicit `--scope` that contradicts
//! the file is an error.

use crate::api::{SealedSecret, Secret};
use crate::crypto::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use crate::crypto::{Scope, Sealer};

use super::lockout;
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

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Merged {
    /// The keys that were added or replaced.
    pub keys: Vec<String>,
    /// Where the input's own identity differed from the file's, which won: e.g.
    /// `name "web" → "db"`. Empty when they agreed or the input left them unset.
    pub overridden: Vec<String>,
}

/// Why a merge failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// The existing object lacks the name or namespace its scope needs.
    #[error("SealedSecret {existing:?} cannot take new values")]
    Target {
        /// The existing object's `namespace/name`.
        existing: String,
        /// What disagreed.
        #[source]
        source: TargetError,
    },
    /// The file's multi-recipient values open in clusters the new values would not.
    #[error(
        "value {value:?} of {existing:?} is also sealed to {}, which values sealed only to the \
         given certificates would lock out (a cluster opens a SealedSecret only if it opens \
         every value)",
        lockout::list(fingerprints)
    )]
    WouldLockOut {
        /// The existing object's `namespace/name`.
        existing: String,
        /// The existing value that names them.
        value: String,
        /// The keys that would lose the file.
        fingerprints: Vec<crate::crypto::Fingerprint>,
    },
    /// `--scope` differs from the existing object's scope.
    #[error("scope mismatch: --scope {given} was given but {existing:?} is {found}")]
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

/// Seals `secret`'s values into `existing`, under `existing`'s name, namespace and scope.
pub fn merge_into(
    existing: &mut SealedSecret,
    secret: &Secret,
    key: &(impl Sealer + ?Sized),
    options: &MergeOptions,
) -> Result<Merged, MergeError> {
    let existing_name = display_name(&existing.metadata);
    let found = Scope::from_annotations(&existing.metadata.annotations);
    if let Some(given) = options.scope.filter(|s| *s != found) {
        return Err(MergeError::ScopeMismatch {
            given,
            found,
            existing: existing_name,
        });
    }
    let target = Target::resolve(
        existing.metadata.name(),
        existing.metadata.namespace(),
        found,
        &Overrides::default(),
        NameRule::WhenStrict,
    )
    .map_err(|source| MergeError::Target {
        existing: existing_name,
        source,
    })?;
    let overridden = overridden(secret, &target);
    let values = secret.values().map_err(|source| MergeError::Seal {
        source: SealSecretError::ReadValues {
            name: secret.metadata.name().unwrap_or_default().to_owned(),
            source,
        },
    })?;
    if values.is_empty() && !options.allow_empty_data {
        return Err(MergeError::EmptyData);
    }
    let kept: Vec<_> = key.keys().iter().map(|k| k.fingerprint()).collect();
    if let Some(found) = lockout::find(existing, &kept, |_| None) {
        return Err(MergeError::WouldLockOut {
            existing: display_name(&existing.metadata),
            value: found.value,
            fingerprints: found.fingerprints,
        });
    }
    let sealed =
        seal_values(key, &target, &values).map_err(|source| MergeError::Seal { source })?;
    let keys: Vec<String> = sealed.keys().cloned().collect();
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
    Ok(Merged { keys, overridden })
}

/// The parts of the input's identity that differ from `target`, the file's.
fn overridden(secret: &Secret, target: &Target) -> Vec<String> {
    let mut out = Vec::new();
    let pairs = [
        ("name", secret.metadata.name(), target.name.as_deref()),
        (
            "namespace",
            secret.metadata.namespace(),
            target.namespace.as_deref(),
        ),
    ];
    for (what, input, file) in pairs {
        if let Some(input) = input.filter(|i| Some(*i) != file) {
            out.push(format!("{what} {input:?} → {:?}", file.unwrap_or_default()));
        }
    }
    let annotations = &secret.metadata.annotations;
    let declared = declares_scope(annotations).then(|| Scope::from_annotations(annotations));
    if let Some(scope) = declared.filter(|s| *s != target.scope) {
        out.push(format!("scope {scope} → {}", target.scope));
    }
    out
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
        assert_eq!(merged.keys, ["password", "token"]);
        assert!(merged.overridden.is_empty(), "{:?}", merged.overridden);
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
    fn the_file_identity_wins_over_the_input() {
        let mut target = existing();
        let other = secret(json!({
            "kind": "Secret",
            "metadata": {"name": "web", "namespace": "dev",
                         "annotations": {"sealedsecrets.bitnami.com/cluster-wide": "true"}},
            "stringData": {"k": "v"}
        }));
        let merged = merge_into(
            &mut target,
            &other,
            key().public_key(),
            &MergeOptions::default(),
        )
        .unwrap();
        assert_eq!(
            merged.overridden,
            [
                "name \"web\" → \"db\"",
                "namespace \"dev\" → \"prod\"",
                "scope cluster-wide → namespace-wide"
            ]
        );
        assert_eq!(target.metadata.name(), Some("db"));
        assert_eq!(target.metadata.namespace(), Some("prod"));
        let out = unseal(&target, std::slice::from_ref(key())).unwrap();
        assert_eq!(&out.secret.values().unwrap()["k"][..], b"v");
        assert_eq!(
            Scope::from_annotations(&out.secret.metadata.annotations),
            Scope::NamespaceWide
        );
    }

    #[test]
    fn contradictions_are_errors() {
        let ok = secret(json!({"kind": "Secret", "stringData": {"k": "v"}}));
        let options = MergeOptions {
            scope: Some(Scope::ClusterWide),
            ..MergeOptions::default()
        };
        let err = merge_into(&mut existing(), &ok, key().public_key(), &options);
        assert!(matches!(err, Err(MergeError::ScopeMismatch { .. })));
        let mut nameless = existing();
        nameless.metadata.namespace = None;
        let err = merge_into(
            &mut nameless,
            &ok,
            key().public_key(),
            &MergeOptions::default(),
        );
        assert!(matches!(
            err,
            Err(MergeError::Target {
                source: TargetError::MissingNamespace { .. },
                ..
            })
        ));
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
