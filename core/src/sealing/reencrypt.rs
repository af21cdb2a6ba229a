//! Re-seal every value of a SealedSecret to a new certificate, offline. The values are opened
//! and re-sealed under the same label (top-level name, namespace and scope); everything else in
//! the object, the template included, is kept as it was.
//!
//! A multi-recipient value also opens in other clusters. Re-sealing it to keys that leave one of
//! those out would lock that cluster out of a file it could read, so that is refused: every key
//! the value names must be among the new keys or be one of the keys that opened it here.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::api::{Api, SealedSecret};
use crate::crypto::{Fingerprint, Opened, PrivateKey, Sealer};

use super::lockout;
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
    /// A multi-recipient value names keys the new certificates leave out.
    #[error(
        "value {value:?} of {name} is also sealed to {}, which re-encrypting to the new \
         certificates alone would lock out",
        lockout::list(fingerprints)
    )]
    WouldLockOut {
        /// The SealedSecret.
        name: String,
        /// The value's key in `encryptedData`.
        value: String,
        /// The keys that would lose it.
        fingerprints: Vec<Fingerprint>,
    },
}

/// Re-seals `sealed` to `new_key`; `api`, if given, also moves it to that API group.
pub fn re_encrypt(
    sealed: &SealedSecret,
    keys: &[PrivateKey],
    new_key: &(impl Sealer + ?Sized),
    api: Option<Api>,
) -> Result<SealedSecret, ReEncryptError> {
    let opened = open_all(sealed, keys).map_err(|source| ReEncryptError::Open { source })?;
    re_encrypt_with(sealed, opened, keys, new_key, api)
}

/// [`re_encrypt`] from values already opened with `keys` (e.g. on every core by
/// [`super::parallel::open_views`]).
pub fn re_encrypt_with(
    sealed: &SealedSecret,
    opened: BTreeMap<String, Opened>,
    keys: &[PrivateKey],
    new_key: &(impl Sealer + ?Sized),
    api: Option<Api>,
) -> Result<SealedSecret, ReEncryptError> {
    let openers = opened
        .iter()
        .map(|(k, o)| (k.clone(), keys[o.key_index].public_key().fingerprint()))
        .collect();
    let plaintexts = opened.into_iter().map(|(k, o)| (k, o.plaintext)).collect();
    re_encrypt_opened(sealed, &plaintexts, new_key, &openers, api)
}

/// Re-seals `sealed` to `new_key` from values already opened (the controller opens them with
/// its own key order and cache); the label is the SealedSecret's own, as in [`re_encrypt`].
/// `openers` maps each value to the key that opened it: a multi-recipient value may drop that
/// key (it is the one being retired), and no other it names.
pub fn re_encrypt_opened(
    sealed: &SealedSecret,
    plaintexts: &BTreeMap<String, Zeroizing<Vec<u8>>>,
    new_key: &(impl Sealer + ?Sized),
    openers: &BTreeMap<String, Fingerprint>,
    api: Option<Api>,
) -> Result<SealedSecret, ReEncryptError> {
    let target = identity(sealed).map_err(|source| ReEncryptError::Open { source })?;
    let kept: Vec<Fingerprint> = new_key.keys().iter().map(|k| k.fingerprint()).collect();
    if let Some(found) = lockout::find(sealed, &kept, |value| openers.get(value).copied()) {
        return Err(ReEncryptError::WouldLockOut {
            name: crate::sealing::unseal::display_name(&sealed.metadata),
            value: found.value,
            fingerprints: found.fingerprints,
        });
    }
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

    #[test]
    fn a_multi_recipient_value_keeps_its_other_clusters() {
        use crate::crypto::Recipients;
        let secret = Secret::from_value(json!({
            "kind": "Secret", "metadata": {"name": "db", "namespace": "prod"},
            "stringData": {"a": "1"}
        }))
        .unwrap();
        let prod = key();
        let staging = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let both = Recipients::for_keys(vec![
            prod.public_key().clone(),
            staging.public_key().clone(),
        ])
        .unwrap();
        let sealed = seal_secret(&secret, &both, &SealOptions::default()).unwrap();
        let prod_keys = std::slice::from_ref(prod);

        // To prod's new key alone: staging would be locked out.
        let new_prod = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let err = re_encrypt(&sealed, prod_keys, new_prod.public_key(), None).unwrap_err();
        assert!(
            err.to_string()
                .contains(&staging.public_key().fingerprint().to_string()),
            "{err}"
        );

        // To prod's new key and staging: both open it, prod's old key no longer does.
        let next = Recipients::for_keys(vec![
            new_prod.public_key().clone(),
            staging.public_key().clone(),
        ])
        .unwrap();
        let out = re_encrypt(&sealed, prod_keys, &next, None).unwrap();
        assert!(unseal(&out, std::slice::from_ref(&new_prod)).is_ok());
        assert!(unseal(&out, std::slice::from_ref(&staging)).is_ok());
        assert!(unseal(&out, prod_keys).is_err());
    }
}
