//! devcluster: a Kubernetes-API-compatible server for tests and for running without a cluster.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cluster = devcluster::DevCluster::start().await?;
//! let client = kube::Client::try_from(cluster.kube_config())?;
//! # let _ = client; Ok(()) }
//! ```

pub mod cli;
mod conditions;
mod decode_check;
mod discovery;
mod events_view;
mod faults;
mod field;
mod http;
mod kinds;
mod kubeconfig;
mod meta;
mod openapi;
mod openapi_v2;
mod patch;
mod persist;
mod protobuf;
mod registry;
mod requests;
mod schema_check;
mod selector;
mod server;
mod ssa;
mod status;
mod store;
mod table;
mod verb;
mod watch;

pub use faults::Faults;
pub use kubeconfig::KubeconfigError;
pub use requests::RecordedRequest;
pub use server::{Builder, DevCluster, StartError};
