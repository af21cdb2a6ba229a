//! sealsync-core: what the `seal` CLI and the controller share, with no tokio, kube or git in
//! it (the crate boundary makes that a compile error).
//!
//! The wire-compatible crypto ([`crypto`]), plain serde types for Secrets and SealedSecrets
//! ([`api`]), and sealing, unsealing, re-encryption and merging ([`sealing`]).

pub mod api;
pub mod crypto;
pub mod redact;
pub mod sealing;
