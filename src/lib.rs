//! sealsync: sealed secrets for GitOps.
//!
//! The library holds the wire-compatible crypto ([`crypto`]); the controller
//! pieces land beside it as they are built.

pub mod api;
pub mod crypto;
pub mod sealing;
