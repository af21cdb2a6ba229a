//! The hybrid wire format of one sealed value, byte-compatible with Bitnami Sealed Secrets:
//!
//! ```text
//! u16 big-endian len(rsa_ct) ‖ rsa_ct ‖ AES-256-GCM ciphertext ‖ tag
//! ```
//!
//! `rsa_ct` is RSA-OAEP (SHA-256, MGF1-SHA-256, label = the scope label) over a fresh 32-byte
//! AES-256-GCM key; the AES-GCM nonce is 12 zero bytes and there is no associated data. In YAML the
//! bytes are standard base64 with padding.
//!
//! The functions that take any value ([`open_with_any`], [`layout`], [`plaintext_len`]) also read
//! sealsync's opt-in multi-recipient format ([`super::multi`]), told apart by its first bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::keys::{Fingerprint, PrivateKey, PublicKey};
use super::multi;
use super::primitives::{self, GCM_TAG_LEN};

/// Size of the big-endian length prefix that precedes the RSA ciphertext.
pub const LEN_PREFIX: usize = 2;

/// Why sealing failed. Sealing only fails inside the crypto library or on an RSA key too large
/// for the length prefix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The RSA ciphertext would not fit the 16-bit length prefix.
    #[error("the RSA key is too large for the sealed-secrets format ({bytes} bytes of ciphertext)")]
    KeyTooLarge {
        /// Size of the RSA ciphertext.
        bytes: usize,
    },
    /// Random generation, RSA-OAEP or AES-GCM failed.
    #[error("encryption failed")]
    Encrypt,
    /// A multi-recipient value needs at least one key.
    #[error("no certificate to seal to")]
    NoRecipients,
    /// The same key was given twice.
    #[error("the key {fingerprint} is given twice: each certificate may be named once")]
    DuplicateRecipient {
        /// The key named twice.
        fingerprint: super::keys::Fingerprint,
    },
    /// More keys than the format's one-byte count holds.
    #[error(
        "{count} certificates given: a multi-recipient value holds at most {}",
        super::multi::MAX_RECIPIENTS
    )]
    TooManyRecipients {
        /// How many were given.
        count: usize,
    },
}

/// A value could not be opened. On purpose this says nothing about why: wrong key, wrong scope,
/// truncation and tampering all look the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("decryption failed: no key could open the value for this scope")]
pub struct DecryptionFailed;

/// A value opened with one of several keys.
pub struct Opened {
    /// The plaintext, wiped on drop.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// Index into the key list of the key that opened it.
    pub key_index: usize,
}

/// The two parts of a sealed value.
#[derive(Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// RSA-OAEP ciphertext of the session key.
    pub wrapped_key: &'a [u8],
    /// AES-GCM ciphertext followed by its tag.
    pub sealed_body: &'a [u8],
}

/// Splits a sealed value into its parts, checking the length prefix.
pub fn read(value: &[u8]) -> Result<Parts<'_>, DecryptionFailed> {
    let (prefix, rest) = value
        .split_first_chunk::<LEN_PREFIX>()
        .ok_or(DecryptionFailed)?;
    let rsa_len = usize::from(u16::from_be_bytes(*prefix));
    if rest.len() < rsa_len + GCM_TAG_LEN {
        return Err(DecryptionFailed);
    }
    let (wrapped_key, sealed_body) = rest.split_at(rsa_len);
    Ok(Parts {
        wrapped_key,
        sealed_body,
    })
}

/// The length of the plaintext inside a sealed value, read from its layout without opening it;
/// `None` if it is not one. What a value weighs in the Secret it becomes.
pub fn plaintext_len(value: &[u8]) -> Option<usize> {
    layout(value).map(|l| match l {
        Layout::Bitnami { plaintext_len, .. } | Layout::MultiRecipient { plaintext_len, .. } => {
            plaintext_len
        }
    })
}

/// What a sealed value's bytes say about it without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// Bitnami's hybrid format. It names no key: which key sealed it is only knowable by
    /// opening it.
    Bitnami {
        /// Length of the RSA-OAEP block: the sealing key's modulus in bytes.
        rsa_len: usize,
        /// Length of the plaintext.
        plaintext_len: usize,
    },
    /// sealsync's multi-recipient format: it names the keys it was sealed to.
    MultiRecipient {
        /// The recipients' key fingerprints, in the order they were written.
        recipients: Vec<Fingerprint>,
        /// Length of the plaintext.
        plaintext_len: usize,
    },
}

/// Smallest and largest RSA blocks a value holds: 1024- to 8192-bit keys.
pub(crate) const RSA_BLOCK_BYTES: std::ops::RangeInclusive<usize> = 128..=1024;

/// The layout of a sealed value, or `None` when it is no known format.
pub fn layout(value: &[u8]) -> Option<Layout> {
    if multi::is_multi(value) {
        let parsed = multi::parse(value).ok()?;
        return Some(Layout::MultiRecipient {
            recipients: parsed.fingerprints(),
            plaintext_len: parsed.plaintext_len(),
        });
    }
    let parts = read(value).ok()?;
    let rsa_len = parts.wrapped_key.len();
    RSA_BLOCK_BYTES.contains(&rsa_len).then(|| Layout::Bitnami {
        rsa_len,
        plaintext_len: parts.sealed_body.len() - GCM_TAG_LEN,
    })
}

/// Joins the parts into a sealed value.
pub fn write(parts: &Parts<'_>) -> Result<Vec<u8>, SealError> {
    let rsa_len = u16::try_from(parts.wrapped_key.len()).map_err(|_| SealError::KeyTooLarge {
        bytes: parts.wrapped_key.len(),
    })?;
    let mut out =
        Vec::with_capacity(LEN_PREFIX + parts.wrapped_key.len() + parts.sealed_body.len());
    out.extend_from_slice(&rsa_len.to_be_bytes());
    out.extend_from_slice(parts.wrapped_key);
    out.extend_from_slice(parts.sealed_body);
    Ok(out)
}

/// Seals `plaintext` to `key` under `label`.
pub fn seal(key: &PublicKey, plaintext: &[u8], label: &[u8]) -> Result<Vec<u8>, SealError> {
    let session_key = primitives::fresh_session_key().map_err(|_| SealError::Encrypt)?;
    let wrapped_key = primitives::oaep_wrap(key.oaep(), session_key.as_ref(), label)
        .map_err(|_| SealError::Encrypt)?;
    let sealed_body =
        primitives::gcm_seal(session_key.as_ref(), plaintext).map_err(|_| SealError::Encrypt)?;
    write(&Parts {
        wrapped_key: &wrapped_key,
        sealed_body: &sealed_body,
    })
}

/// Opens a sealed value (of either format) with one key.
pub fn open(
    key: &PrivateKey,
    value: &[u8],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptionFailed> {
    if multi::is_multi(value) {
        return multi::open(std::slice::from_ref(key), value, label).map(|o| o.plaintext);
    }
    let parts = read(value)?;
    let session_key = primitives::oaep_unwrap(key.oaep(), parts.wrapped_key, label)
        .map_err(|_| DecryptionFailed)?;
    primitives::gcm_open(&session_key, parts.sealed_body).map_err(|_| DecryptionFailed)
}

/// Opens a sealed value with the first of `keys` that can, and says which one it was. A
/// multi-recipient value is opened by the key it names, with one RSA operation; a Bitnami value
/// names none, so each key is tried in turn.
pub fn open_with_any(
    keys: &[PrivateKey],
    value: &[u8],
    label: &[u8],
) -> Result<Opened, DecryptionFailed> {
    if multi::is_multi(value) {
        return multi::open(keys, value, label);
    }
    read(value)?;
    keys.iter()
        .enumerate()
        .find_map(|(key_index, key)| {
            open(key, value, label).ok().map(|plaintext| Opened {
                plaintext,
                key_index,
            })
        })
        .ok_or(DecryptionFailed)
}

/// Seals and encodes as standard base64 with padding, the form of `spec.encryptedData` values.
pub fn seal_base64(key: &PublicKey, plaintext: &[u8], label: &[u8]) -> Result<String, SealError> {
    seal(key, plaintext, label).map(|bytes| STANDARD.encode(bytes))
}

/// Decodes standard base64 (line breaks ignored, as Go's decoder does) and opens with any key.
pub fn open_base64(
    keys: &[PrivateKey],
    value: &str,
    label: &[u8],
) -> Result<Opened, DecryptionFailed> {
    let bytes = decode_base64(value).ok_or(DecryptionFailed)?;
    open_with_any(keys, &bytes, label)
}

/// Decodes standard base64, ignoring `\r` and `\n`. `None` if it is not valid base64.
pub fn decode_base64(value: &str) -> Option<Vec<u8>> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    STANDARD.decode(compact.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::KeyBits;
    use std::sync::OnceLock;

    fn key() -> &'static PrivateKey {
        static KEY: OnceLock<PrivateKey> = OnceLock::new();
        KEY.get_or_init(|| PrivateKey::generate(KeyBits::Rsa2048).unwrap())
    }

    #[test]
    fn layout_is_prefix_rsa_then_gcm() {
        let value = seal(key().public_key(), b"abc", b"ns/name").unwrap();
        assert_eq!(&value[..2], &256u16.to_be_bytes());
        assert_eq!(value.len(), 2 + 256 + 3 + 16);
        let parts = read(&value).unwrap();
        assert_eq!(parts.wrapped_key.len(), 256);
        assert_eq!(write(&parts).unwrap(), value);
        assert_eq!(plaintext_len(&value), Some(3));
        assert_eq!(plaintext_len(&value[..100]), None);
        assert_eq!(
            layout(&value),
            Some(Layout::Bitnami {
                rsa_len: 256,
                plaintext_len: 3
            })
        );
        assert_eq!(layout(&value[..100]), None);
        assert_eq!(
            layout(&[
                0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]),
            None
        );
    }

    #[test]
    fn round_trip_and_label_binding() {
        let value = seal(key().public_key(), b"secret", b"ns/name").unwrap();
        assert_eq!(&open(key(), &value, b"ns/name").unwrap()[..], b"secret");
        assert_eq!(open(key(), &value, b"ns/other"), Err(DecryptionFailed));
        assert_eq!(open(key(), &value, b""), Err(DecryptionFailed));
    }

    #[test]
    fn short_and_inconsistent_inputs_fail_cleanly() {
        for bad in [
            &[][..],
            &[0x01][..],
            &[0x01, 0x00][..],
            &[0x00, 0x00, 1, 2, 3][..],
        ] {
            assert_eq!(open(key(), bad, b"").err(), Some(DecryptionFailed));
        }
    }

    #[test]
    fn open_with_any_reports_the_key() {
        let other = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let value = seal(key().public_key(), b"x", b"").unwrap();
        let keys = [
            other,
            PrivateKey::from_pkcs8_der(key().pkcs8_der()).unwrap(),
        ];
        let opened = open_with_any(&keys, &value, b"").unwrap();
        assert_eq!(opened.key_index, 1);
        assert_eq!(&opened.plaintext[..], b"x");
        assert!(open_with_any(&keys[..1], &value, b"").is_err());
    }

    #[test]
    fn base64_is_standard_with_padding() {
        // 2 + 256 + 1 + 16 = 275 bytes: not a multiple of 3, so the encoding is padded.
        let text = seal_base64(key().public_key(), b"h", b"").unwrap();
        assert!(
            ["AQA", "AQB", "AQC", "AQD"]
                .iter()
                .any(|p| text.starts_with(p)),
            "a 2048-bit value starts with the prefix 0x01 0x00"
        );
        assert!(text.ends_with('='));
        let wrapped: String = text
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
            .collect();
        let opened = open_base64(std::slice::from_ref(key()), &wrapped, b"").unwrap();
        assert_eq!(&opened.plaintext[..], b"h");
        assert!(open_base64(std::slice::from_ref(key()), "%%%", b"").is_err());
    }
}
