//! Turning Secrets into SealedSecrets and back: the logic behind the `seal` CLI, kept free of
//! I/O so the controller can use it too.
//!
//! - [`target`]: which name, namespace and scope a value is sealed for, and its label.
//! - [`seal`]: Secret → SealedSecret, and single raw values.
//! - [`unseal`]: SealedSecret + private keys → Secret, all values or none.
//! - [`reencrypt`]: re-seal every value of a SealedSecret to a new certificate.
//! - [`merge`]: add or replace values in an existing SealedSecret.
//! - [`lockout`]: a rewrite must not take a cluster's access to a multi-recipient value away.
//! - [`keyfile`]: private keys from PEM, key Secrets and Bitnami key backups (`List`).
//! - [`parallel`]: opening the values of many SealedSecrets on every core.

pub mod keyfile;
pub mod lockout;
pub mod merge;
pub mod parallel;
pub mod reencrypt;
pub mod seal;
pub mod target;
pub mod unseal;

pub use keyfile::{KeyFileError, PemKeyError, private_key_from_pem, read_private_keys};
pub use merge::{MergeError, MergeOptions, Merged, merge_into};
pub use reencrypt::{ReEncryptError, re_encrypt, re_encrypt_opened, re_encrypt_with};
pub use seal::{SealOptions, SealSecretError, seal_raw, seal_secret};
pub use target::{Overrides, Target, TargetError};
pub use unseal::{SealedView, UnsealError, Unsealed, open_all, unseal, verify};

/// One 2048-bit key shared by the unit tests of this module.
#[cfg(test)]
pub(crate) fn test_key() -> &'static crate::crypto::PrivateKey {
    static KEY: std::sync::OnceLock<crate::crypto::PrivateKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        crate::crypto::PrivateKey::generate(crate::crypto::KeyBits::Rsa2048)
            .expect("key generation works in tests")
    })
}
