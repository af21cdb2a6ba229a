//! The GitSync reconciler: source → render → apply by stage → prune → status.
//!
//! - [`reconcile`]: one run for one GitSync: fetch, render, apply, prune, status.
//! - [`applier`]: the staged apply, with its waits and `force`.
//! - [`pruner`]: deleting what left Git, under the safety rules.
//! - [`spill`]: the inventory in the status, or in a ConfigMap once it is large.
//! - [`status`]: the kstatus conditions and revisions it writes.
//!
//! What is not built yet is refused with a Stalled status rather than guessed: `ref.commit`, and
//! the `secretRef` keys `ca.crt`, `identity` and `known_hosts`.

pub mod applier;
pub mod pruner;
pub mod reconcile;
pub mod spill;
pub mod status;

use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info};

use crate::api::gitsync::GitSync;
use crate::metrics::Metrics;
use crate::sync::drift::Drift;

/// What every GitSync reconcile shares.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Where checkouts are kept, one folder per GitSync.
    pub cache_dir: PathBuf,
    /// Records events.
    pub recorder: Recorder,
    /// What each GitSync applied, and the watches that notice drift.
    pub drift: Arc<Drift>,
    /// Run and fetch durations, object counts.
    pub metrics: Arc<Metrics>,
    /// Inventories whose JSON passes this many bytes go to a ConfigMap.
    pub spill_bytes: usize,
}

/// Runs the GitSync controller until `stop` turns true; with a selector, only the GitSyncs it
/// picks (a shard).
pub async fn run(
    ctx: Arc<Context>,
    selector: Option<String>,
    drifted: mpsc::UnboundedReceiver<ObjectRef<GitSync>>,
    mut stop: watch::Receiver<bool>,
) {
    let api: Api<GitSync> = Api::all(ctx.client.clone());
    let mut config = watcher::Config::default();
    if let Some(selector) = &selector {
        config = config.labels(selector);
    }
    info!("reconciling GitSyncs");
    Controller::new(api, config)
        .reconcile_on(futures::stream::unfold(drifted, |mut rx| async move {
            rx.recv().await.map(|r| (r, rx))
        }))
        .with_config(controller::Config::default().concurrency(4))
        .graceful_shutdown_on(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .run(reconcile::reconcile, reconcile::error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                debug!(error = %e, "GitSync controller event");
            }
        })
        .await;
    info!("GitSync controller stopped");
}
