//! sealsync: sealed secrets for GitOps.
//!
//! The library holds the wire-compatible crypto ([`crypto`]), plain serde types for Secrets and
//! SealedSecrets ([`api`]), and sealing, unsealing, re-encryption and merging ([`sealing`]), which
//! the `seal` CLI uses; the controller pieces land beside them as they are built.

pub mod api;
pub mod crypto;
pub mod sealing;
