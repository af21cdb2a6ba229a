//! Re-seal every value of a SealedSecret to a new certificate, offline. The values are opened
//! and re-sealed under the same label (top-level name, namespace and scope); everything else in
//! the object, the template included, is kept as it was.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::api::{Api, SealedSecret};
use crate::crypto::{PrivateKey, PublicKey};

use super::seal::{SealSecretError, seal_values};
use super::unseal::{UnsealError, identity, open_all};

/// Server-set fields dropped from the top-level metadata, as `kubeseal --re-encrypt` does.
const DROPPED_FIELDS: [&str; 3] = ["creationTimestamp", "deletionTimestamp", "generation"];

/// Why re-encryption failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReEncryptError {
    /// The existing values could not all be opened.
    #[error("cannot open the existing values")]
    Open {
        /// What failed.
        #[source]
        source: UnsealError,
    },
    /// A value could not be sealed to the new certificate.
    #[error("cannot seal to the new certificate")]
    Seal {
        /// What failed.
        #[source]
        source: SealSecretError,
    },
}

/// Re-seals `sealed` to `new_key`; `api`, if given, also moves it to that API group.
pub fn re_encrypt(
    sealed: &SealedSecret,
    keys: &[PrivateKey],
    new_key: &PublicKey,
    api: Option<Api>,
) -> Result<SealedSecret, ReEncryptError> {
    let opened = open_all(sealed, keys).map_err(|source| ReEncryptError::Open { source })?;
    let plaintexts = opened.into_iter().map(|(k, o)| (k, o.plaintext)).collect();
    re_encrypt_opened(sealed, &plaintexts, new_key, api)
}

/// Re-seals `sealed` to `new_key` from values already opened (the controller opens them with
/// its own key order and cache); the label is the SealedSecret's own, as in [`re_encrypt`].
pub fn re_encrypt_opened(
    sealed: &SealedSecret,
    plaintexts: &BTreeMap<String, Zeroizing<Vec<u8>>>,
    new_key: &PublicKey,
    api: Option<Api>,
) -> Result<SealedSecret, ReEncryptError> {
    let target = identity(sealed).map_err(|source| ReEncryptError::Open { source })?;
    let mut out = sealed.clone();
    out.spec.encrypted_data = seal_values(new_key, &target, plaintexts)
        .map_err(|source| ReEncryptError::Seal { source })?;
    for field in DROPPED_FIELDS {
        out.metadata.other.remove(field);
    }
    if let Some(api) = api {
        out.api_version = api.api_version().to_owned();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Secret;
    use crate::crypto::KeyBits;
    use crate::sealing::seal::{SealOptions, seal_secret};
    use crate::sealing::test_key as key;
    use crate::sealing::unseal::unseal;
    use serde_json::json;

    #[test]
    fn values_move_to_the_new_key_and_the_rest_stays() {
        let secret = Secret::from_value(json!({
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "prod",
                         "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"}},
            "stringData": {"password": "s3cr3t"}
        }))
        .unwrap();
        let mut sealed = seal_secret(&secret, key().public_key(), &SealOptions::default()).unwrap();
        sealed
            .template_mut()
            .metadata
            .labels
            .insert("only".into(), "template".into());
        sealed
            .metadata
            .other
            .insert("creationTimestamp".into(), json!(null));
        sealed.other.insert("status".into(), json!({"x": 1}));

        let new = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let old_keys = std::slice::from_ref(key());
        let out = re_encrypt(&sealed, old_keys, new.public_key(), Some(Api::Bitnami)).unwrap();
        assert_eq!(out.api_version, "bitnami.com/v1alpha1");
        assert_eq!(out.spec.template, sealed.spec.template);
        assert_eq!(out.other, sealed.other);
        assert!(!out.metadata.other.contains_key("creationTimestamp"));
        assert!(unseal(&out, old_keys).is_err());
        let opened = unseal(&out, std::slice::from_ref(&new)).unwrap();
        assert_eq!(&opened.secret.values().unwrap()["password"][..], b"s3cr3t");
    }

    #[test]
    fn nothing_is_produced_if_a_value_does_not_open() {
        let secret = Secret::from_value(json!({
            "kind": "Secret", "metadata": {"name": "db", "namespace": "prod"},
            "stringData": {"a": "1"}
        }))
        .unwrap();
        let sealed = seal_secret(&secret, key().public_key(), &SealOptions::default()).unwrap();
        let stranger = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let err = re_encrypt(
            &sealed,
            std::slice::from_ref(&stranger),
            key().public_key(),
            None,
        );
        assert!(matches!(err, Err(ReEncryptError::Open { .. })));
    }
}
