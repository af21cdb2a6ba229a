//! The SealedSecret reconciler: SealedSecrets of one API group in, Secrets out.
//!
//! - [`ownership`]: who owns the existing Secret (one exhaustive match).
//! - [`decrypt`]: values opened on the blocking pool, in hint order, with a ciphertext cache.
//! - [`secret`]: the Secret's server-side apply body.
//! - [`status`]: the Ready condition and `sealingKeys`.
//! - [`reconcile`]: one reconcile, and the retry policy.
//!
//! The controller watches the SealedSecrets (optionally only those a label selector picks: a
//! shard) and, metadata only, the Secrets that carry our label, so an edited or deleted Secret
//! is restored within seconds and no other Secret is ever cached.

pub mod decrypt;
pub mod ownership;
pub mod reconcile;
pub mod secret;
pub mod status;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::Recorder;
use kube::runtime::watcher::{self, watcher};
use kube::{Api, Client};
use tokio::sync::watch;
use tracing::{debug, info};

use crate::api::{Group, Sealed};
use crate::keyring::Keyring;
use crate::metrics::Metrics;
use decrypt::Decryptor;

/// More failing objects than this and the backoff counts start over.
const MAX_TRACKED_FAILURES: usize = 10_000;
/// The longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What every reconcile of one API group shares.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Which SealedSecrets.
    pub group: Group,
    /// Their `apiVersion`.
    pub api_version: String,
    /// The keys.
    pub keyring: Keyring,
    /// Opens values.
    pub decryptor: Arc<Decryptor>,
    /// Records events.
    pub recorder: Recorder,
    /// Counts.
    pub metrics: Arc<Metrics>,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context for one group.
    pub fn new(
        client: Client,
        group: Group,
        keyring: Keyring,
        decryptor: Arc<Decryptor>,
        recorder: Recorder,
        metrics: Arc<Metrics>,
    ) -> Context {
        Context {
            api_version: group.api_resource().api_version,
            client,
            group,
            keyring,
            decryptor,
            recorder,
            metrics,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The next retry delay for this object: `base`, doubling per consecutive failure.
    fn backoff(&self, name: &str, base: Duration) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED_FAILURES {
            // Entries of deleted objects are never reset; start over rather than grow.
            failures.clear();
        }
        let n = failures.entry(name.to_owned()).or_default();
        *n = n.saturating_add(1);
        base.saturating_mul(1 << (*n - 1).min(16)).min(MAX_BACKOFF)
    }

    fn reset_backoff(&self, name: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
    }
}

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only SealedSecrets this label selector picks (a shard).
    pub selector: Option<String>,
    /// Reconciles at once.
    pub workers: u16,
}

/// Runs the controller for one group until `stop` turns true; in-flight reconciles finish
/// first. `synced` turns true once the SealedSecret cache has its initial listing.
pub async fn run(
    ctx: Arc<Context>,
    options: Options,
    mut stop: watch::Receiver<bool>,
    synced: watch::Sender<bool>,
) {
    let mut stopped = stop.clone();
    let client = ctx.client.clone();
    let ar = ctx.group.api_resource();
    let api: Api<Sealed> = Api::all_with(client.clone(), &ar);
    let mut config = watcher::Config::default();
    if let Some(selector) = &options.selector {
        config = config.labels(selector);
    }
    let owned = format!("{}={}", secret::OWNED_LABEL.0, secret::OWNED_LABEL.1);
    let secrets = watcher(
        Api::<PartialObjectMeta<Secret>>::all(client),
        watcher::Config::default().labels(&owned),
    )
    .touched_objects();
    let key_changes = stream::unfold(ctx.keyring.subscribe(), |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    });
    let controller = Controller::new_with(api, config, ar)
        .owns_stream_with(secrets, ())
        .reconcile_all_on(key_changes)
        .with_config(controller::Config::default().concurrency(options.workers))
        .graceful_shutdown_on(async move {
            let _ = stop.wait_for(|s| *s).await;
        });
    let store = controller.store();
    let group = ctx.group;
    tokio::spawn(async move {
        // kube-runtime's readiness is a oneshot that wakes only its latest waiter (the
        // controller's own), so poll it again until it reports ready.
        loop {
            let ready = tokio::time::timeout(Duration::from_millis(100), store.wait_until_ready());
            tokio::select! {
                r = ready => match r {
                    Ok(Ok(())) => {
                        info!(group = group.as_str(), "SealedSecret cache synced");
                        synced.send_replace(true);
                        return;
                    }
                    Ok(Err(_)) => return,
                    Err(_) => {}
                },
                _ = stopped.wait_for(|s| *s) => return,
            }
        }
    });
    info!(group = ctx.group.as_str(), selector = ?options.selector, "reconciling SealedSecrets");
    controller
        .run(reconcile::reconcile, reconcile::error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                debug!(error = %e, "controller event");
            }
        })
        .await;
    info!(group = group.as_str(), "SealedSecret controller stopped");
}
