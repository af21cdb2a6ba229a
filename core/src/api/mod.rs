//! Plain serde types for the Kubernetes objects sealsync reads and writes, with no Kubernetes
//! client dependency: the input `Secret` and the `SealedSecret` (both API groups).
//!
//! - [`meta`]: object metadata, keeping fields it does not model.
//! - [`secret`]: the `v1 Secret`, with plaintext held in wiped-on-drop maps.
//! - [`sealed`]: the `SealedSecret`, keeping unknown fields so that rewriting a file loses nothing.
//! - [`docs`]: YAML and JSON document streams in and out.
//! - [`validation`]: the API server's rules for keys, names and sizes.

pub mod docs;
pub mod meta;
pub mod sealed;
pub mod secret;
pub mod validation;

pub use docs::{DocError, Format};
pub use meta::ObjectMeta;
pub use sealed::{Api, SealedSecret, SealedSecretSpec, SecretTemplateSpec};
pub use secret::{Secret, SecretData};
