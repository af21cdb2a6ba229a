//! The two duties a lease grants:
//!
//! - **reconciling** (the controller lease, one per shard): the sealsync.io controller, the
//!   GitSync controller and, with `--bitnami`, the bitnami.com controller once that CRD exists;
//! - **keys** (the `sealsync-keys` lease, one per cluster namespace, whatever the shard): key
//!   generation, renewal and the certificate ConfigMap. So N shards never generate N keys.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kube::Client;
use kube::runtime::events::Recorder;
use tokio::sync::watch;
use tracing::{info, warn};

use super::duty::Duty;
use crate::api::Group;
use crate::cli::RunArgs;
use crate::http::AppState;
use crate::keyring::{Keyring, renew};
use crate::metrics::Metrics;
use crate::unseal::{self, Context, Options, decrypt::Decryptor};

/// How often `--bitnami` looks for the Bitnami CRD while it is absent.
const CRD_POLL: Duration = Duration::from_secs(10);

/// What the duties are built from.
pub struct Parts {
    /// The API client.
    pub client: Client,
    /// The flags.
    pub args: Arc<RunArgs>,
    /// The keys.
    pub keyring: Keyring,
    /// Opens values.
    pub decryptor: Arc<Decryptor>,
    /// Records events.
    pub recorder: Recorder,
    /// Counts.
    pub metrics: Arc<Metrics>,
    /// The HTTP state (readiness).
    pub state: Arc<AppState>,
}

/// Starts key generation, renewal and certificate publishing.
pub fn start_keys(parts: &Parts) -> Duty {
    let (mut duty, stopped) = Duty::new();
    let args = &parts.args;
    let policy = renew::Policy {
        period: (!args.key_renew_period.is_zero()).then_some(args.key_renew_period),
        cutoff: args.key_cutoff_time,
        bits: args.key_size.bits(),
    };
    duty.spawn(renew::run(
        parts.client.clone(),
        args.namespace.clone(),
        parts.keyring.clone(),
        policy,
        stopped,
    ));
    duty
}

/// Starts the reconcilers.
pub fn start_reconciling(parts: &Parts) -> Duty {
    let (mut duty, stopped) = Duty::new();
    let args = &parts.args;
    let (synced_tx, mut synced_rx) = watch::channel(false);
    let state = parts.state.clone();
    duty.spawn(async move {
        if synced_rx.wait_for(|s| *s).await.is_ok() {
            state.synced.store(true, Ordering::Relaxed);
        }
    });
    duty.spawn(unseal::run(
        context(parts, Group::Sealsync),
        options(args),
        stopped.clone(),
        synced_tx,
    ));
    let (drift, drifted) = crate::sync::drift::Drift::new(parts.client.clone(), stopped.clone());
    let gitsync = Arc::new(crate::sync::gitsync::Context {
        drift,
        metrics: parts.metrics.clone(),
        spill_bytes: args.inventory_spill_bytes,
        client: parts.client.clone(),
        cache_dir: args
            .cache_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("sealsync")),
        recorder: parts.recorder.clone(),
    });
    duty.spawn(crate::sync::gitsync::run(
        gitsync,
        args.selector.clone(),
        drifted,
        stopped.clone(),
    ));
    if args.bitnami {
        let ctx = context(parts, Group::Bitnami);
        let options = options(args);
        duty.spawn(async move {
            if wait_for_crd(&ctx.client, Group::Bitnami, stopped.clone()).await {
                let (synced, _) = watch::channel(false);
                unseal::run(ctx, options, stopped, synced).await;
            }
        });
    }
    duty
}

fn context(parts: &Parts, group: Group) -> Arc<Context> {
    Arc::new(Context::new(
        parts.client.clone(),
        group,
        parts.keyring.clone(),
        parts.decryptor.clone(),
        parts.recorder.clone(),
        parts.metrics.clone(),
    ))
}

fn options(args: &RunArgs) -> Options {
    Options {
        selector: args.selector.clone(),
        workers: args.workers,
    }
}

/// Waits until the group's CRD is served; false if stopped first. Says once why it waits.
async fn wait_for_crd(client: &Client, group: Group, mut stop: watch::Receiver<bool>) -> bool {
    let api_version = group.api_resource().api_version;
    let mut logged = false;
    loop {
        match client.list_api_group_resources(&api_version).await {
            Ok(list) if list.resources.iter().any(|r| r.name == "sealedsecrets") => {
                if logged {
                    info!(
                        crd = group.crd_name(),
                        "CRD appeared: reconciling its SealedSecrets"
                    );
                }
                return true;
            }
            Ok(_) | Err(kube::Error::Api(_)) if !logged => {
                info!(
                    crd = group.crd_name(),
                    "CRD not installed; --bitnami will pick it up when it appears"
                );
                logged = true;
            }
            Err(e) if !logged => {
                warn!(crd = group.crd_name(), error = %e, "cannot look for the CRD; retrying");
                logged = true;
            }
            _ => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(CRD_POLL) => {}
            _ = stop.wait_for(|s| *s) => return false,
        }
    }
}
