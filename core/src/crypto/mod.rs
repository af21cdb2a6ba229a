//! Sealed-Secrets-compatible cryptography. No Kubernetes types live here.
//!
//! - [`format`]: the byte layout of one sealed value, and seal/open.
//! - [`multi`]: sealsync's opt-in multi-recipient value format (spec in `MULTI_RECIPIENT.md`).
//! - [`recipients`]: whom a value is sealed to, and so in which format.
//! - [`primitives`]: RSA-OAEP and AES-256-GCM, one function each.
//! - [`scope`]: strict, namespace-wide and cluster-wide scopes and their labels.
//! - [`keys`]: RSA keys, certificates, PEM, fingerprints and key generation.

pub mod format;
pub mod keys;
pub mod multi;
pub mod primitives;
pub mod recipients;
pub mod scope;

pub use format::{
    DecryptionFailed, Layout, Opened, SealError, open, open_base64, open_with_any, seal,
    seal_base64,
};
pub use keys::{
    Certificate, Fingerprint, KeyBits, KeyError, KeyGenOptions, PrivateKey, PublicKey, generate,
};
pub use recipients::{Recipients, Sealer};
pub use scope::Scope;
