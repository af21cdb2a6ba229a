//! sealsync's multi-recipient value format: one value that several keys open, each with one
//! RSA operation. It is an extension, written only when asked for, and a Bitnami controller
//! cannot open it. The byte layout and its reasons are in `MULTI_RECIPIENT.md` beside this file.
//!
//! ```text
//! 00 00 73 73 6d 72 ‖ 01 ‖ n ‖ nonce[12] ‖ commitment[32]
//!   ‖ n × (fingerprint[32] ‖ u16 BE len ‖ rsa_ct) ‖ gcm_ct ‖ tag
//! ```
//!
//! Every `rsa_ct` is RSA-OAEP (SHA-256, MGF1-SHA-256, label = the scope label) over the same
//! fresh 32-byte session key; `commitment` is HMAC-SHA256 of [`COMMITMENT_CONTEXT`] under that
//! key, so every recipient provably holds the same key (AES-GCM alone does not commit to its
//! key: two entries could otherwise wrap two keys under which the body opens to two different
//! plaintexts). The body is AES-256-GCM under that key and the nonce, with every byte before the
//! body as associated data: changing any recipient entry breaks every recipient's open.

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use super::format::{DecryptionFailed, Opened, RSA_BLOCK_BYTES, SealError};
use super::keys::{Fingerprint, PrivateKey, PublicKey};
use super::primitives::{self, GCM_NONCE_LEN, GCM_TAG_LEN};

/// The first six bytes of every multi-recipient value. A Bitnami value starts with the length of
/// its RSA block; `00 00` declares an empty one, which no RSA key can open, so no valid Bitnami
/// value starts this way. `ssmr` names the format to a human reading a hex dump.
pub const MAGIC: [u8; 6] = [0x00, 0x00, b's', b's', b'm', b'r'];

/// The format version this code writes and reads.
pub const VERSION: u8 = 1;

/// The most recipients one value can name (the count is one byte).
pub const MAX_RECIPIENTS: usize = u8::MAX as usize;

/// What the commitment authenticates under the session key.
pub const COMMITMENT_CONTEXT: &[u8] = b"sealsync multi-recipient v1 key commitment";

/// Length of the key commitment.
const COMMITMENT_LEN: usize = 32;

/// Bytes before the first entry: magic, version, count, nonce and commitment.
const HEADER_LEN: usize = MAGIC.len() + 2 + GCM_NONCE_LEN + COMMITMENT_LEN;

/// Bytes of an entry before its RSA block: the fingerprint and the block's length.
const ENTRY_HEAD_LEN: usize = 32 + 2;

/// One recipient's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// SHA-256 of the recipient key's canonical SubjectPublicKeyInfo DER.
    pub fingerprint: Fingerprint,
    /// RSA-OAEP ciphertext of the session key for this recipient.
    pub wrapped_key: &'a [u8],
}

/// A multi-recipient value, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The GCM nonce.
    pub nonce: [u8; GCM_NONCE_LEN],
    /// HMAC-SHA256 of [`COMMITMENT_CONTEXT`] under the session key.
    pub commitment: &'a [u8; COMMITMENT_LEN],
    /// The recipients, in the order they were written.
    pub entries: Vec<Entry<'a>>,
    /// Every byte before the body: the GCM associated data.
    pub header: &'a [u8],
    /// AES-GCM ciphertext followed by its tag.
    pub sealed_body: &'a [u8],
}

impl Parsed<'_> {
    /// The recipients' fingerprints, in order.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        self.entries.iter().map(|e| e.fingerprint).collect()
    }

    /// Length of the plaintext.
    pub fn plaintext_len(&self) -> usize {
        self.sealed_body.len() - GCM_TAG_LEN
    }
}

/// Whether `value` claims to be a multi-recipient value (it starts with [`MAGIC`]). A value that
/// claims it is read only as one; it is never tried as a Bitnami value.
pub fn is_multi(value: &[u8]) -> bool {
    value.starts_with(&MAGIC)
}

/// Splits a multi-recipient value, checking every length, the version, and that no key is named
/// twice. Anything else is [`DecryptionFailed`]: a parse says no more than an open does.
pub fn parse(value: &[u8]) -> Result<Parsed<'_>, DecryptionFailed> {
    let rest = value.strip_prefix(&MAGIC).ok_or(DecryptionFailed)?;
    let (&[version, count], rest) = rest.split_first_chunk::<2>().ok_or(DecryptionFailed)?;
    if version != VERSION || count == 0 {
        return Err(DecryptionFailed);
    }
    let (nonce, rest) = rest
        .split_first_chunk::<GCM_NONCE_LEN>()
        .ok_or(DecryptionFailed)?;
    let (commitment, mut rest) = rest
        .split_first_chunk::<COMMITMENT_LEN>()
        .ok_or(DecryptionFailed)?;
    let mut entries: Vec<Entry<'_>> = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let (entry, after) = parse_entry(rest)?;
        if entries.iter().any(|e| e.fingerprint == entry.fingerprint) {
            return Err(DecryptionFailed);
        }
        entries.push(entry);
        rest = after;
    }
    if rest.len() < GCM_TAG_LEN {
        return Err(DecryptionFailed);
    }
    let header_len = value.len() - rest.len();
    Ok(Parsed {
        nonce: *nonce,
        commitment,
        entries,
        header: &value[..header_len],
        sealed_body: rest,
    })
}

/// One entry, and what follows it.
fn parse_entry(bytes: &[u8]) -> Result<(Entry<'_>, &[u8]), DecryptionFailed> {
    let (fingerprint, rest) = bytes.split_first_chunk::<32>().ok_or(DecryptionFailed)?;
    let (len, rest) = rest.split_first_chunk::<2>().ok_or(DecryptionFailed)?;
    let rsa_len = usize::from(u16::from_be_bytes(*len));
    if !RSA_BLOCK_BYTES.contains(&rsa_len) || rest.len() < rsa_len {
        return Err(DecryptionFailed);
    }
    let (wrapped_key, rest) = rest.split_at(rsa_len);
    let entry = Entry {
        fingerprint: Fingerprint::from_bytes(*fingerprint),
        wrapped_key,
    };
    Ok((entry, rest))
}

/// Seals `plaintext` to every key of `recipients` under `label`. The keys must be distinct and
/// there must be 1 to [`MAX_RECIPIENTS`] of them.
pub fn seal(
    recipients: &[PublicKey],
    plaintext: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, SealError> {
    check_recipients(recipients)?;
    let session_key = primitives::fresh_session_key().map_err(|_| SealError::Encrypt)?;
    let nonce = primitives::fresh_nonce().map_err(|_| SealError::Encrypt)?;
    let count = u8::try_from(recipients.len()).map_err(|_| SealError::Encrypt)?;
    let mut out = Vec::with_capacity(
        HEADER_LEN
            + recipients
                .iter()
                .map(|k| ENTRY_HEAD_LEN + k.bits() / 8)
                .sum::<usize>()
            + plaintext.len()
            + GCM_TAG_LEN,
    );
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, count]);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&commitment(session_key.as_ref()));
    for key in recipients {
        let wrapped = primitives::oaep_wrap(key.oaep(), session_key.as_ref(), label)
            .map_err(|_| SealError::Encrypt)?;
        if !RSA_BLOCK_BYTES.contains(&wrapped.len()) {
            return Err(SealError::KeyTooLarge {
                bytes: wrapped.len(),
            });
        }
        let len = u16::try_from(wrapped.len()).map_err(|_| SealError::KeyTooLarge {
            bytes: wrapped.len(),
        })?;
        out.extend_from_slice(key.fingerprint().as_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&wrapped);
    }
    let body = primitives::gcm_seal_with(session_key.as_ref(), nonce, &out, plaintext)
        .map_err(|_| SealError::Encrypt)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Checks a recipient list: 1 to [`MAX_RECIPIENTS`] keys, none twice.
pub fn check_recipients(recipients: &[PublicKey]) -> Result<(), SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(SealError::TooManyRecipients {
            count: recipients.len(),
        });
    }
    for (i, key) in recipients.iter().enumerate() {
        if recipients[..i]
            .iter()
            .any(|k| k.fingerprint() == key.fingerprint())
        {
            return Err(SealError::DuplicateRecipient {
                fingerprint: key.fingerprint(),
            });
        }
    }
    Ok(())
}

/// Opens a multi-recipient value with the first of `keys` it names. A key it does not name costs
/// no RSA operation: the entry is found by fingerprint.
pub fn open(keys: &[PrivateKey], value: &[u8], label: &[u8]) -> Result<Opened, DecryptionFailed> {
    let parsed = parse(value)?;
    keys.iter()
        .enumerate()
        .filter_map(|(key_index, key)| {
            let fingerprint = key.public_key().fingerprint();
            let entry = parsed
                .entries
                .iter()
                .find(|e| e.fingerprint == fingerprint)?;
            Some((key_index, key, entry))
        })
        .find_map(|(key_index, key, entry)| {
            open_entry(key, &parsed, entry, label).map(|plaintext| Opened {
                plaintext,
                key_index,
            })
        })
        .ok_or(DecryptionFailed)
}

/// Unwraps one entry's session key, checks it against the commitment, and opens the body.
fn open_entry(
    key: &PrivateKey,
    parsed: &Parsed<'_>,
    entry: &Entry<'_>,
    label: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let session_key = primitives::oaep_unwrap(key.oaep(), entry.wrapped_key, label).ok()?;
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, &session_key);
    hmac::verify(&hmac_key, COMMITMENT_CONTEXT, parsed.commitment).ok()?;
    primitives::gcm_open_with(
        &session_key,
        parsed.nonce,
        parsed.header,
        parsed.sealed_body,
    )
    .ok()
}

/// HMAC-SHA256 of [`COMMITMENT_CONTEXT`] under `session_key`.
fn commitment(session_key: &[u8]) -> [u8; COMMITMENT_LEN] {
    let hmac_key = hmac::Key::new(hmac::HMAC_SHA256, session_key);
    let tag = hmac::sign(&hmac_key, COMMITMENT_CONTEXT);
    let mut out = [0u8; COMMITMENT_LEN];
    out.copy_from_slice(tag.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::KeyBits;
    use std::sync::OnceLock;

    /// Five keys, made once.
    fn ring() -> &'static [PrivateKey] {
        static RING: OnceLock<Vec<PrivateKey>> = OnceLock::new();
        RING.get_or_init(|| {
            (0..5)
                .map(|_| PrivateKey::generate(KeyBits::Rsa2048).unwrap())
                .collect()
        })
    }

    fn public(keys: &[PrivateKey]) -> Vec<PublicKey> {
        keys.iter().map(|k| k.public_key().clone()).collect()
    }

    #[test]
    fn layout_is_magic_version_count_nonce_commitment_entries_body() {
        let value = seal(&public(&ring()[..2]), b"abc", b"ns/name").unwrap();
        assert_eq!(&value[..6], b"\0\0ssmr");
        assert_eq!(value[6], 1);
        assert_eq!(value[7], 2);
        assert_eq!(value.len(), HEADER_LEN + 2 * (34 + 256) + 3 + 16);
        let parsed = parse(&value).unwrap();
        assert_eq!(
            parsed.fingerprints(),
            vec![
                ring()[0].public_key().fingerprint(),
                ring()[1].public_key().fingerprint()
            ]
        );
        assert_eq!(parsed.plaintext_len(), 3);
        assert_eq!(parsed.header.len(), value.len() - 3 - 16);
    }

    #[test]
    fn each_recipient_opens_and_no_other_key_does() {
        for n in [1, 2, 5] {
            let value = seal(&public(&ring()[..n]), b"secret", b"ns/name").unwrap();
            for (i, key) in ring().iter().enumerate() {
                let opened = open(std::slice::from_ref(key), &value, b"ns/name");
                assert_eq!(opened.is_ok(), i < n, "{n} recipients, key {i}");
                if let Ok(o) = opened {
                    assert_eq!(&o.plaintext[..], b"secret");
                }
            }
            assert!(open(ring(), &value, b"ns/other").is_err());
        }
    }

    #[test]
    fn one_rsa_operation_whatever_the_ring() {
        let value = seal(&public(&ring()[3..4]), b"x", b"").unwrap();
        primitives::reset_unwrap_count();
        let opened = open(ring(), &value, b"").unwrap();
        assert_eq!(opened.key_index, 3);
        assert_eq!(primitives::unwrap_count(), 1);
    }

    #[test]
    fn every_byte_is_bound() {
        let value = seal(&public(&ring()[..2]), b"body", b"l").unwrap();
        for i in 0..value.len() {
            let mut bad = value.clone();
            bad[i] ^= 0x01;
            assert!(open(ring(), &bad, b"l").is_err(), "flipped byte {i}");
        }
        for cut in 0..value.len() {
            assert!(open(ring(), &value[..cut], b"l").is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn bad_recipient_lists_are_refused() {
        let keys = public(&ring()[..1]);
        assert!(matches!(seal(&[], b"x", b""), Err(SealError::NoRecipients)));
        let twice = [keys[0].clone(), keys[0].clone()];
        assert!(matches!(
            seal(&twice, b"x", b""),
            Err(SealError::DuplicateRecipient { .. })
        ));
        let many = vec![keys[0].clone(); MAX_RECIPIENTS + 1];
        assert!(matches!(
            seal(&many, b"x", b""),
            Err(SealError::TooManyRecipients { count: 256 })
        ));
    }

    /// Two entries that wrap two different session keys (the body opens under the first): the
    /// second recipient must refuse it, or it could be shown a plaintext the first never sees.
    #[test]
    fn every_recipient_is_bound_to_the_same_session_key() {
        let (a, b) = (&ring()[0], &ring()[1]);
        let (k1, k2) = (
            primitives::fresh_session_key().unwrap(),
            primitives::fresh_session_key().unwrap(),
        );
        let nonce = [7u8; GCM_NONCE_LEN];
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&[VERSION, 2]);
        header.extend_from_slice(&nonce);
        header.extend_from_slice(&commitment(k1.as_ref()));
        for (key, session) in [(a, &k1), (b, &k2)] {
            let wrapped =
                primitives::oaep_wrap(key.public_key().oaep(), session.as_ref(), b"").unwrap();
            header.extend_from_slice(key.public_key().fingerprint().as_bytes());
            header.extend_from_slice(&u16::try_from(wrapped.len()).unwrap().to_be_bytes());
            header.extend_from_slice(&wrapped);
        }
        let body = primitives::gcm_seal_with(k1.as_ref(), nonce, &header, b"x").unwrap();
        let value = [header, body].concat();
        assert!(open(std::slice::from_ref(a), &value, b"").is_ok());
        assert!(open(std::slice::from_ref(b), &value, b"").is_err());
    }
}
