//! Whom a value is sealed to, and so in which format: one key gives Bitnami's format, which
//! kubeseal and every Bitnami controller open; several keys give sealsync's multi-recipient
//! format, which only sealsync opens. The sealing code above this takes any [`Sealer`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::format::{self, SealError};
use super::keys::PublicKey;
use super::multi;

/// Something values can be sealed to.
pub trait Sealer {
    /// Seals `plaintext` under `label`.
    fn seal(&self, plaintext: &[u8], label: &[u8]) -> Result<Vec<u8>, SealError>;

    /// The keys values are sealed to.
    fn keys(&self) -> &[PublicKey];

    /// Seals and encodes as standard base64 with padding, the form of `encryptedData` values.
    fn seal_base64(&self, plaintext: &[u8], label: &[u8]) -> Result<String, SealError> {
        self.seal(plaintext, label).map(|v| STANDARD.encode(v))
    }
}

/// One key: Bitnami's format.
impl Sealer for PublicKey {
    fn seal(&self, plaintext: &[u8], label: &[u8]) -> Result<Vec<u8>, SealError> {
        format::seal(self, plaintext, label)
    }

    fn keys(&self) -> &[PublicKey] {
        std::slice::from_ref(self)
    }
}

/// The keys a value is sealed to.
#[derive(Debug, Clone)]
pub enum Recipients {
    /// One key, Bitnami's format.
    Bitnami(PublicKey),
    /// One or more distinct keys, the multi-recipient format.
    Multi(Vec<PublicKey>),
}

impl Recipients {
    /// The format a list of keys calls for: Bitnami's for one key, multi-recipient for several.
    /// Checks the list (not empty, no key twice, not too many).
    pub fn for_keys(mut keys: Vec<PublicKey>) -> Result<Recipients, SealError> {
        multi::check_recipients(&keys)?;
        match keys.len() {
            1 => Ok(Recipients::Bitnami(keys.remove(0))),
            _ => Ok(Recipients::Multi(keys)),
        }
    }

    /// The multi-recipient format even for one key (so the value names its key).
    pub fn multi(keys: Vec<PublicKey>) -> Result<Recipients, SealError> {
        multi::check_recipients(&keys)?;
        Ok(Recipients::Multi(keys))
    }

    /// Whether values come out in the multi-recipient format.
    pub fn is_multi(&self) -> bool {
        matches!(self, Recipients::Multi(_))
    }
}

impl Sealer for Recipients {
    fn seal(&self, plaintext: &[u8], label: &[u8]) -> Result<Vec<u8>, SealError> {
        match self {
            Recipients::Bitnami(key) => format::seal(key, plaintext, label),
            Recipients::Multi(keys) => multi::seal(keys, plaintext, label),
        }
    }

    fn keys(&self) -> &[PublicKey] {
        match self {
            Recipients::Bitnami(key) => std::slice::from_ref(key),
            Recipients::Multi(keys) => keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::{KeyBits, PrivateKey};
    use crate::crypto::{Layout, format::layout};

    #[test]
    fn one_key_is_bitnami_several_are_multi() {
        let a = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let b = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let one = Recipients::for_keys(vec![a.public_key().clone()]).unwrap();
        assert!(!one.is_multi());
        let value = one.seal(b"x", b"").unwrap();
        assert!(matches!(layout(&value), Some(Layout::Bitnami { .. })));

        let both =
            Recipients::for_keys(vec![a.public_key().clone(), b.public_key().clone()]).unwrap();
        let value = both.seal(b"x", b"").unwrap();
        assert_eq!(
            layout(&value),
            Some(Layout::MultiRecipient {
                recipients: vec![a.public_key().fingerprint(), b.public_key().fingerprint()],
                plaintext_len: 1
            })
        );
        let forced = Recipients::multi(vec![a.public_key().clone()]).unwrap();
        assert!(forced.is_multi());
        assert!(Recipients::for_keys(Vec::new()).is_err());
    }
}
