//! Leader election over a Lease (kube-lease-manager): a channel that says whether this replica
//! holds the lease now, and a clean release at shutdown.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseCreateMode, LeaseManager, LeaseParams};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::startup::StartError;

/// One lease this replica competes for.
pub struct Election {
    /// The Lease's name.
    pub name: String,
    /// True while this replica holds it.
    pub leading: watch::Receiver<bool>,
    task: JoinHandle<kube_lease_manager::Result<LeaseManager>>,
}

impl Election {
    /// Joins the election for `name` in `namespace`.
    pub async fn join(
        client: &Client,
        name: String,
        namespace: &str,
        identity: &str,
        duration: Duration,
    ) -> Result<Election, StartError> {
        let secs = duration.as_secs().max(2);
        let params = LeaseParams::new(identity, secs, (secs / 3).max(1));
        let manager = LeaseManager::new(
            client.clone(),
            &name,
            namespace,
            params,
            LeaseCreateMode::AutoCreate,
        )
        .await
        .map_err(|e| StartError::Lease {
            name: name.clone(),
            detail: e.to_string(),
        })?;
        let (leading, task) = manager.watch().await;
        Ok(Election {
            name,
            leading,
            task,
        })
    }

    /// Leaves the election, releasing the lease if held, so a successor need not wait for it to
    /// expire.
    pub async fn release(self) {
        drop(self.leading);
        match tokio::time::timeout(Duration::from_secs(10), self.task).await {
            Ok(Ok(Ok(_))) => info!(lease = %self.name, "lease released"),
            Ok(Ok(Err(e))) => {
                warn!(lease = %self.name, error = %e, "could not release the lease; it expires on its own")
            }
            _ => {
                warn!(lease = %self.name, "could not release the lease in time; it expires on its own")
            }
        }
    }
}
