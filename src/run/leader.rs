//! What runs while this replica leads: key renewal and certificate publishing, the sealsync.io
//! controller and, with `--bitnami`, the bitnami.com controller (once that CRD exists).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kube::Client;
use kube::runtime::events::Recorder;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::api::Group;
use crate::cli::RunArgs;
use crate::http::AppState;
use crate::keyring::{Keyring, renew};
use crate::unseal::{self, Context, Options, decrypt::Decryptor};

/// How often `--bitnami` looks for the Bitnami CRD while it is absent.
const CRD_POLL: Duration = Duration::from_secs(10);
/// The longest wait for in-flight reconciles at shutdown.
const DRAIN: Duration = Duration::from_secs(30);

/// What the leader's tasks are built from.
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
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The HTTP state (readiness).
    pub state: Arc<AppState>,
}

/// The running leader tasks.
pub struct Leader {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Leader {
    /// Stops every task; in-flight reconciles finish first.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            if tokio::time::timeout(DRAIN, task).await.is_err() {
                warn!("a leader task did not stop in time");
            }
        }
    }
}

/// Starts the leader's tasks.
pub fn start(parts: &Parts) -> Leader {
    let (stop, stopped) = watch::channel(false);
    let args = &parts.args;
    let policy = renew::Policy {
        period: (!args.key_renew_period.is_zero()).then_some(args.key_renew_period),
        cutoff: args.key_cutoff_time,
        bits: args.key_size.bits(),
    };
    let mut tasks = vec![tokio::spawn(renew::run(
        parts.client.clone(),
        args.namespace.clone(),
        parts.keyring.clone(),
        policy,
        stopped.clone(),
    ))];
    let (synced_tx, mut synced_rx) = watch::channel(false);
    let state = parts.state.clone();
    tasks.push(tokio::spawn(async move {
        if synced_rx.wait_for(|s| *s).await.is_ok() {
            state.synced.store(true, Ordering::Relaxed);
        }
    }));
    tasks.push(tokio::spawn(unseal::run(
        context(parts, Group::Sealsync),
        options(args),
        stopped.clone(),
        synced_tx,
    )));
    if args.bitnami {
        let ctx = context(parts, Group::Bitnami);
        let (options, stopped) = (options(args), stopped.clone());
        tasks.push(tokio::spawn(async move {
            if wait_for_crd(&ctx.client, Group::Bitnami, stopped.clone()).await {
                let (synced, _) = watch::channel(false);
                unseal::run(ctx, options, stopped, synced).await;
            }
        }));
    }
    Leader { stop, tasks }
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

/// Waits until the group's CRD is served; false if stopped first. Logs its absence once.
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
            _ if !logged => {
                info!(
                    crd = group.crd_name(),
                    "CRD not installed; --bitnami will pick it up when it appears"
                );
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
