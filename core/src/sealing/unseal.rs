//! SealedSecret + private keys → Secret. The label comes from the SealedSecret's top-level
//! name, namespace and scope annotations only. Every value is tried; if any fails, the error
//! names all failing keys and nothing is returned: never a partial Secret.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use crate::api::{ObjectMeta, SealedSecret, Secret, SecretTemplateSpec};
use crate::crypto::{Opened, PrivateKey, Scope};

use super::target::{NameRule, Overrides, Target, TargetError};

/// Why a SealedSecret could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnsealError {
    /// The top-level name, namespace or scope is incomplete.
    #[error("cannot tell which label SealedSecret {name:?} was sealed with")]
    Target {
        /// The SealedSecret's name, or empty.
        name: String,
        /// What was missing.
        #[source]
        source: TargetError,
    },
    /// Some values did not open with any key under this scope.
    #[error(
        "{} of {total} values of SealedSecret {name:?} could not be decrypted: {}",
        keys.len(),
        keys.join(", ")
    )]
    Decrypt {
        /// The SealedSecret's `namespace/name`.
        name: String,
        /// The keys that failed, sorted.
        keys: Vec<String>,
        /// How many values there are.
        total: usize,
    },
    /// The template uses Go-template `data`, which sealsync cannot render yet.
    #[error("SealedSecret {name:?} uses spec.template.data ({}), which is not supported yet", keys.join(", "))]
    TemplateData {
        /// The SealedSecret's name.
        name: String,
        /// The template keys.
        keys: Vec<String>,
    },
    /// The SealedSecret uses the deprecated single-blob `spec.data` format.
    #[error("SealedSecret {name:?} uses the deprecated spec.data format, which is not supported")]
    LegacyData {
        /// The SealedSecret's name.
        name: String,
    },
}

/// The result of [`unseal`].
pub struct Unsealed {
    /// The Secret, values in `data`.
    pub secret: Secret,
    /// For each key, the index of the private key that opened it.
    pub key_indices: BTreeMap<String, usize>,
}

/// What unsealing reads of a SealedSecret, borrowed from whichever type holds it (the CLI's
/// document, the controller's CRD type): its identity from the top-level metadata only (name,
/// namespace, scope annotations), its sealed values and its template. Both types feed the same
/// code through this.
#[derive(Debug, Clone, Copy)]
pub struct SealedView<'a> {
    /// Top-level `metadata.name`.
    pub name: Option<&'a str>,
    /// Top-level `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// Top-level `metadata.annotations` (the scope annotations are read here, never from the
    /// template).
    pub annotations: &'a BTreeMap<String, String>,
    /// `spec.encryptedData`.
    pub encrypted_data: &'a BTreeMap<String, String>,
    /// `spec.template`.
    pub template: Option<&'a SecretTemplateSpec>,
    /// Whether the deprecated single-blob `spec.data` is there.
    pub legacy_data: bool,
}

impl SealedSecret {
    /// This document as [`SealedView`].
    pub fn view(&self) -> SealedView<'_> {
        SealedView {
            name: self.metadata.name(),
            namespace: self.metadata.namespace(),
            annotations: &self.metadata.annotations,
            encrypted_data: &self.spec.encrypted_data,
            template: self.spec.template.as_ref(),
            legacy_data: self.spec.other.contains_key("data"),
        }
    }
}

impl SealedView<'_> {
    /// `namespace/name`, or what there is of it.
    pub fn display_name(&self) -> String {
        names(self.namespace, self.name)
    }

    /// The label the values were sealed with, from the top-level metadata only.
    pub fn identity(&self) -> Result<Target, UnsealError> {
        Target::resolve(
            self.name,
            self.namespace,
            Scope::from_annotations(self.annotations),
            &Overrides::default(),
            NameRule::WhenStrict,
        )
        .map_err(|source| UnsealError::Target {
            name: self.display_name(),
            source,
        })
    }

    /// The label its values were sealed under, or why it has none (Bitnami's legacy `data`).
    pub fn label(&self) -> Result<Vec<u8>, UnsealError> {
        if self.encrypted_data.is_empty() && self.legacy_data {
            return Err(UnsealError::LegacyData {
                name: self.display_name(),
            });
        }
        self.identity().map(|target| target.label())
    }

    /// Opens every value, on this thread. All or nothing: the error names every key that
    /// failed.
    pub fn open_all(&self, keys: &[PrivateKey]) -> Result<BTreeMap<String, Opened>, UnsealError> {
        // One view in, one result out.
        super::parallel::open_views(std::slice::from_ref(self), keys, NonZeroUsize::MIN)
            .pop()
            .unwrap_or_else(|| Ok(BTreeMap::new()))
    }

    /// Opens the SealedSecret into the Secret it describes: the template's metadata, type and
    /// immutability, with name and namespace forced to the SealedSecret's own.
    pub fn unseal(&self, keys: &[PrivateKey]) -> Result<Unsealed, UnsealError> {
        self.check_template()?;
        self.unseal_opened(self.open_all(keys)?)
    }

    /// Refuses a template this code cannot render (Go-template `data`).
    pub fn check_template(&self) -> Result<(), UnsealError> {
        match self
            .template
            .and_then(|t| t.data.as_ref())
            .filter(|d| !d.is_empty())
        {
            Some(data) => Err(UnsealError::TemplateData {
                name: self.display_name(),
                keys: data.keys().cloned().collect(),
            }),
            None => Ok(()),
        }
    }

    /// The Secret of [`SealedView::unseal`] from values already opened (e.g. on every core by
    /// [`super::parallel::open_views`]).
    pub fn unseal_opened(&self, opened: BTreeMap<String, Opened>) -> Result<Unsealed, UnsealError> {
        self.check_template()?;
        let template = self.template.cloned().unwrap_or_default();
        let mut metadata = template.metadata;
        metadata.name = self.name.map(str::to_owned);
        metadata.namespace = self.namespace.map(str::to_owned);
        let mut secret = Secret::new(metadata);
        secret.type_ = template.type_;
        secret.immutable = template.immutable;
        let mut key_indices = BTreeMap::new();
        for (key, o) in opened {
            secret.set_value(&key, &o.plaintext);
            key_indices.insert(key, o.key_index);
        }
        Ok(Unsealed {
            secret,
            key_indices,
        })
    }
}

/// The identity of a SealedSecret, from its top-level metadata only.
pub fn identity(sealed: &SealedSecret) -> Result<Target, UnsealError> {
    sealed.view().identity()
}

/// Opens every value. All or nothing: the error names every key that failed.
pub fn open_all(
    sealed: &SealedSecret,
    keys: &[PrivateKey],
) -> Result<BTreeMap<String, Opened>, UnsealError> {
    sealed.view().open_all(keys)
}

/// Checks that every value opens; returns how many there are.
pub fn verify(sealed: &SealedSecret, keys: &[PrivateKey]) -> Result<usize, UnsealError> {
    open_all(sealed, keys).map(|opened| opened.len())
}

/// Opens a SealedSecret document into the Secret it describes ([`SealedView::unseal`]).
pub fn unseal(sealed: &SealedSecret, keys: &[PrivateKey]) -> Result<Unsealed, UnsealError> {
    sealed.view().unseal(keys)
}

/// `namespace/name`, or what there is of it.
pub fn display_name(meta: &ObjectMeta) -> String {
    names(meta.namespace(), meta.name())
}

fn names(namespace: Option<&str>, name: Option<&str>) -> String {
    match (namespace, name) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_owned(),
        (Some(ns), None) => format!("{ns}/"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyBits;
    use crate::sealing::seal::{SealOptions, seal_secret};
    use crate::sealing::test_key as key;
    use serde_json::json;

    fn sealed() -> SealedSecret {
        let secret = Secret::from_value(json!({
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "prod", "labels": {"app": "db"}},
            "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "admin", "password": "s3cr3t"}
        }))
        .unwrap();
        seal_secret(&secret, key().public_key(), &SealOptions::default()).unwrap()
    }

    /// Another type's fields (the controller's CRD type) unseal through the same code as the
    /// document, and only the top-level annotations decide the scope.
    #[test]
    fn a_view_of_separate_parts_unseals_like_the_document() {
        let doc = sealed();
        let annotations = doc.metadata.annotations.clone();
        let encrypted = doc.spec.encrypted_data.clone();
        let mut template = doc.spec.template.clone().unwrap_or_default();
        template.metadata.annotations.insert(
            "sealedsecrets.bitnami.com/cluster-wide".into(),
            "true".into(),
        );
        let view = SealedView {
            name: Some("db"),
            namespace: Some("prod"),
            annotations: &annotations,
            encrypted_data: &encrypted,
            template: Some(&template),
            legacy_data: false,
        };
        let keys = std::slice::from_ref(key());
        let from_view = view.unseal(keys).unwrap();
        let from_doc = unseal(&doc, keys).unwrap();
        assert_eq!(from_view.secret.data, from_doc.secret.data);
        assert_eq!(from_view.key_indices, from_doc.key_indices);
        let moved = SealedView {
            namespace: Some("staging"),
            ..view
        };
        assert!(matches!(
            moved.unseal(keys),
            Err(UnsealError::Decrypt { .. })
        ));
    }

    #[test]
    fn round_trip_restores_values_and_template() {
        let other = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let keys = [
            other,
            PrivateKey::from_pkcs8_der(key().pkcs8_der()).unwrap(),
        ];
        let out = unseal(&sealed(), &keys).unwrap();
        let values = out.secret.values().unwrap();
        assert_eq!(&values["password"][..], b"s3cr3t");
        assert_eq!(out.secret.metadata.labels["app"], "db");
        assert_eq!(
            out.secret.type_.as_deref(),
            Some("kubernetes.io/basic-auth")
        );
        assert_eq!(out.key_indices["username"], 1);
    }

    #[test]
    fn a_moved_or_tampered_value_fails_and_is_named() {
        let mut moved = sealed();
        moved.metadata.namespace = Some("dev".into());
        let keys = std::slice::from_ref(key());
        match unseal(&moved, keys) {
            Err(UnsealError::Decrypt { keys, total, .. }) => {
                assert_eq!(keys, ["password", "username"]);
                assert_eq!(total, 2);
            }
            other => panic!("expected a decrypt error, got {:?}", other.err()),
        }

        let mut tampered = sealed();
        let value = tampered.spec.encrypted_data.get_mut("password").unwrap();
        let last = value.pop().unwrap();
        value.push(if last == 'A' { 'B' } else { 'A' });
        let err = verify(&tampered, keys).unwrap_err();
        assert!(err.to_string().contains("1 of 2 values"), "{err}");
        assert!(err.to_string().ends_with("password"), "{err}");
    }

    #[test]
    fn scope_is_read_from_the_top_level_only() {
        let mut sealed = sealed();
        // A template claiming cluster-wide must not widen what the value opens as.
        sealed.template_mut().metadata.annotations.insert(
            "sealedsecrets.bitnami.com/cluster-wide".into(),
            "true".into(),
        );
        sealed.metadata.namespace = Some("elsewhere".into());
        assert!(verify(&sealed, std::slice::from_ref(key())).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        /// Sealing a Secret then unsealing it gives back every value, for any bytes, keys,
        /// names, namespaces and scopes.
        #[test]
        fn seal_then_unseal_is_the_identity(
            values in proptest::collection::btree_map(
                proptest::prelude::Strategy::prop_filter(
                    "[-._a-zA-Z0-9]{1,20}",
                    "a key the API server accepts",
                    |k| crate::api::validation::config_map_key(k).is_empty(),
                ),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                1..4,
            ),
            name in "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?",
            namespace in "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?",
            scope in proptest::sample::select(Scope::ALL.to_vec()),
        ) {
            let mut secret = Secret::new(crate::api::ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                ..Default::default()
            });
            for (k, v) in &values {
                secret.set_value(k, v);
            }
            let options = SealOptions {
                overrides: crate::sealing::Overrides { scope: Some(scope), ..Default::default() },
                ..SealOptions::default()
            };
            let sealed = seal_secret(&secret, key().public_key(), &options).unwrap();
            let out = unseal(&sealed, std::slice::from_ref(key())).unwrap();
            let opened = out.secret.values().unwrap();
            proptest::prop_assert_eq!(opened.len(), values.len());
            for (k, v) in &values {
                proptest::prop_assert_eq!(&opened[k][..], &v[..]);
            }
            proptest::prop_assert_eq!(out.secret.metadata.name.as_deref(), Some(name.as_str()));
        }
    }

    #[test]
    fn template_data_and_legacy_data_are_refused_clearly() {
        let mut templated = sealed();
        templated.template_mut().data = Some([("dsn".into(), "{{ .password }}".into())].into());
        assert!(matches!(
            unseal(&templated, std::slice::from_ref(key())),
            Err(UnsealError::TemplateData { .. })
        ));
        let mut legacy = sealed();
        legacy.spec.encrypted_data.clear();
        legacy.spec.other.insert("data".into(), json!("AgA="));
        assert!(matches!(
            verify(&legacy, std::slice::from_ref(key())),
            Err(UnsealError::LegacyData { .. })
        ));
    }
}
