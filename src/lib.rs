//! sealsync: the in-cluster controller. It holds the sealing keys, turns SealedSecrets into
//! Secrets, and serves the certificate and the verify/rotate endpoints.
//!
//! - [`api`]: the CRD types and the CRD YAML.
//! - [`keyring`]: key Secrets: load, generate, renew, import, hot reload.
//! - [`unseal`]: the SealedSecret reconciler.
//! - [`http`]: health, readiness, metrics, certificate, verify, rotate.
//! - [`sync`]: the Git reconciler (GitSync), `sealsync build` and `sealsync diff`.
//! - [`run`]: `sealsync run`: leader election and the wiring of the above.
//! - [`dev`]: `sealsync dev`: devcluster, the controller and a GitSync on a laptop.
//! - [`cli`]: flags, each with a `SEALSYNC_*` environment twin.

pub mod api;
pub mod cli;
pub mod dev;
pub mod http;
pub mod keyring;
pub mod metrics;
pub mod run;
pub mod sync;
pub mod unseal;
