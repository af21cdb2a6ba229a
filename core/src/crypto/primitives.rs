//! The two primitives of the Sealed Secrets hybrid scheme, one function per operation.
//!
//! Every primitive of the wire format lives here, so the choice of implementation is made in one
//! place: aws-lc-rs, whose RSA private-key operation is constant time (the `rsa` crate's decrypt
//! path carries RUSTSEC-2023-0071), and whose AES-GCM accepts the fixed nonce the format needs.
//!
//! Errors from these functions are deliberately uninformative: a caller that decrypts maps every
//! failure to one opaque error, so that nothing tells an attacker which layer rejected the input.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey};
use zeroize::Zeroizing;

/// Length of the AES-256-GCM session key that RSA-OAEP wraps.
pub const SESSION_KEY_LEN: usize = 32;

/// Length of the GCM authentication tag appended to the ciphertext.
pub const GCM_TAG_LEN: usize = 16;

/// Length of an AES-GCM nonce.
pub const GCM_NONCE_LEN: usize = 12;

/// The GCM nonce: 12 zero bytes. Safe only because every session key encrypts exactly one value;
/// [`fresh_session_key`] is the only source of keys for [`gcm_seal`].
const ZERO_NONCE: [u8; GCM_NONCE_LEN] = [0; GCM_NONCE_LEN];

/// A primitive failed. It carries no detail on purpose (see the module docs).
#[derive(Debug, thiserror::Error)]
#[error("cryptographic operation failed")]
pub struct PrimitiveError;

/// A fresh random 32-byte session key from the operating system's CSPRNG.
pub fn fresh_session_key() -> Result<Zeroizing<[u8; SESSION_KEY_LEN]>, PrimitiveError> {
    let mut key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| PrimitiveError)?;
    Ok(key)
}

/// RSA-OAEP encryption of `session_key` with SHA-256 as both the OAEP hash and the MGF1 hash,
/// and `label` as the OAEP label (RFC 8017 §7.1.1). An empty label equals "no label".
pub fn oaep_wrap(
    key: &OaepPublicEncryptingKey,
    session_key: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, PrimitiveError> {
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(&OAEP_SHA256_MGF1SHA256, session_key, &mut out, Some(label))
        .map_err(|_| PrimitiveError)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// RSA-OAEP decryption (RFC 8017 §7.1.2), the inverse of [`oaep_wrap`].
pub fn oaep_unwrap(
    key: &OaepPrivateDecryptingKey,
    wrapped: &[u8],
    label: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PrimitiveError> {
    #[cfg(test)]
    UNWRAPS.with(|n| n.set(n.get() + 1));
    let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
    let len = key
        .decrypt(&OAEP_SHA256_MGF1SHA256, wrapped, &mut out, Some(label))
        .map_err(|_| PrimitiveError)?
        .len();
    out.truncate(len);
    Ok(out)
}

/// AES-256-GCM encryption under `session_key` with the zero nonce and no associated data.
/// Returns `ciphertext ‖ tag`, the layout Go's `cipher.AEAD.Seal` produces.
pub fn gcm_seal(session_key: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, PrimitiveError> {
    gcm_seal_with(session_key, ZERO_NONCE, &[], plaintext)
}

/// AES-256-GCM decryption of `ciphertext ‖ tag`, the inverse of [`gcm_seal`].
pub fn gcm_open(session_key: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, PrimitiveError> {
    gcm_open_with(session_key, ZERO_NONCE, &[], sealed)
}

/// AES-256-GCM encryption with an explicit nonce and associated data: `ciphertext ‖ tag`.
/// The caller guarantees the (key, nonce) pair is never used twice.
pub fn gcm_seal_with(
    session_key: &[u8],
    nonce: [u8; GCM_NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, PrimitiveError> {
    let key = gcm_key(session_key)?;
    let mut buf = Vec::with_capacity(plaintext.len() + GCM_TAG_LEN);
    buf.extend_from_slice(plaintext);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        &mut buf,
    )
    .map_err(|_| PrimitiveError)?;
    Ok(buf)
}

/// AES-256-GCM decryption with an explicit nonce and associated data, the inverse of
/// [`gcm_seal_with`].
pub fn gcm_open_with(
    session_key: &[u8],
    nonce: [u8; GCM_NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, PrimitiveError> {
    let key = gcm_key(session_key)?;
    let mut buf = Zeroizing::new(sealed.to_vec());
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| PrimitiveError)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// A fresh random GCM nonce.
pub fn fresh_nonce() -> Result<[u8; GCM_NONCE_LEN], PrimitiveError> {
    let mut nonce = [0u8; GCM_NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| PrimitiveError)?;
    Ok(nonce)
}

fn gcm_key(session_key: &[u8]) -> Result<LessSafeKey, PrimitiveError> {
    if session_key.len() != SESSION_KEY_LEN {
        return Err(PrimitiveError);
    }
    let unbound = UnboundKey::new(&AES_256_GCM, session_key).map_err(|_| PrimitiveError)?;
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
thread_local! {
    /// RSA private-key operations on this thread, for tests that count them.
    static UNWRAPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Sets this thread's count of RSA private-key operations to zero.
#[cfg(test)]
pub(crate) fn reset_unwrap_count() {
    UNWRAPS.with(|n| n.set(0));
}

/// This thread's count of RSA private-key operations since [`reset_unwrap_count`].
#[cfg(test)]
pub(crate) fn unwrap_count() -> usize {
    UNWRAPS.with(std::cell::Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcm_round_trip_and_tag_check() {
        let key = fresh_session_key().unwrap();
        let sealed = gcm_seal(key.as_ref(), b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + GCM_TAG_LEN);
        assert_eq!(&gcm_open(key.as_ref(), &sealed).unwrap()[..], b"hello");
        let mut tampered = sealed.clone();
        tampered[0] ^= 1;
        assert!(gcm_open(key.as_ref(), &tampered).is_err());
        assert!(gcm_open(&key[..31], &sealed).is_err());
    }

    #[test]
    fn gcm_matches_a_known_answer() {
        // AES-256-GCM, key = 0x00..0x1f, zero nonce, no AAD, plaintext "sealsync".
        // Computed with Python `cryptography` (AESGCM(key).encrypt(b"\0"*12, b"sealsync", None)).
        let key: Vec<u8> = (0u8..32).collect();
        let sealed = gcm_seal(&key, b"sealsync").unwrap();
        let hex: String = sealed.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, KNOWN_GCM_HEX);
    }

    const KNOWN_GCM_HEX: &str = "7dd9d4b2c655eddebd01963bce2eb40ee0d39f0bf94c24a2";

    #[test]
    fn session_keys_differ() {
        assert_ne!(*fresh_session_key().unwrap(), *fresh_session_key().unwrap());
    }
}
