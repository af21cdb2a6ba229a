//! `sealsync run`: the wiring. Every replica loads keys and serves HTTP. The replica holding the
//! controller lease (one per shard) reconciles; the replica holding the `sealsync-keys` lease
//! generates and renews keys. SIGTERM or Ctrl-C stops gracefully: in-flight reconciles finish,
//! then the leases are released.
//!
//! - [`startup`]: checks made before anything starts, each failing with a hint.
//! - [`election`]: one lease and whether this replica holds it.
//! - [`duty`]: tasks that run while a lease is held.
//! - [`leader`]: the two duties.

pub mod duty;
pub mod election;
pub mod leader;
pub mod startup;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::cli::RunArgs;
use crate::http::{self, AppState, limit::Limiter};
use crate::keyring::{self, Keyring};
use crate::metrics::Metrics;
use crate::unseal::decrypt::Decryptor;
use duty::Duty;
use election::Election;
use startup::StartError;

/// The lease for key duties.
pub const KEYS_LEASE: &str = "sealsync-keys";

/// Runs the controller until a signal stops it.
pub async fn run(args: RunArgs) -> Result<(), StartError> {
    let client = Client::try_default().await.map_err(StartError::Client)?;
    startup::check(&client, &args).await?;
    let metrics = Metrics::new();
    let keyring = Keyring::new();
    let parallelism = args
        .rsa_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let decryptor = Arc::new(Decryptor::new(parallelism, metrics.clone()));
    tokio::spawn(keyring::watch::run(
        client.clone(),
        key_sources(&args),
        keyring.clone(),
    ));
    let state = Arc::new(AppState {
        keyring: keyring.clone(),
        decryptor: decryptor.clone(),
        metrics: metrics.clone(),
        leading: AtomicBool::new(false),
        synced: AtomicBool::new(false),
        limiter: Limiter::new(args.http_rate_limit, args.http_burst),
        client: Some(client.clone()),
    });
    let (http_stop, server) = serve_http(&args, state.clone()).await?;

    let identity = startup::identity(&args);
    let controller = Election::join(
        &client,
        startup::lease_name(&args),
        &args.namespace,
        &identity,
        args.lease_duration,
    )
    .await?;
    let keys = Election::join(
        &client,
        KEYS_LEASE.into(),
        &args.namespace,
        &identity,
        args.lease_duration,
    )
    .await?;
    info!(lease = %controller.name, identity = %identity, "waiting to lead");
    let reporter = Reporter {
        controller: "sealsync".into(),
        instance: Some(identity),
    };
    let parts = leader::Parts {
        recorder: Recorder::new(client.clone(), reporter),
        client,
        args: Arc::new(args),
        keyring,
        decryptor,
        metrics,
        state,
    };
    let outcome = lead(&parts, controller, keys).await;
    http_stop.send_replace(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    info!("stopped");
    outcome
}

fn key_sources(args: &RunArgs) -> keyring::watch::Sources {
    keyring::watch::Sources {
        namespace: args.namespace.clone(),
        bitnami_namespace: args.import_bitnami_keys.then(|| {
            args.bitnami_keys_namespace
                .clone()
                .unwrap_or_else(|| args.namespace.clone())
        }),
    }
}

async fn serve_http(
    args: &RunArgs,
    state: Arc<AppState>,
) -> Result<
    (
        watch::Sender<bool>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ),
    StartError,
> {
    let listen = |source| StartError::Listen {
        addr: args.listen_addr,
        source,
    };
    let listener = tokio::net::TcpListener::bind(args.listen_addr)
        .await
        .map_err(listen)?;
    let addr = listener.local_addr().map_err(listen)?;
    info!("listening on http://{addr}");
    let (stop, mut stopped) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, state, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    Ok((stop, server))
}

/// Follows both elections until a signal, starting and stopping the duties as the leases come
/// and go; then stops the duties and releases the leases.
async fn lead(
    parts: &leader::Parts,
    mut controller: Election,
    mut keys: Election,
) -> Result<(), StartError> {
    let mut term = signal(SignalKind::terminate()).map_err(StartError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(StartError::Signal)?;
    let mut reconciling: Option<Duty> = None;
    let mut key_duty: Option<Duty> = None;
    let outcome = loop {
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: stopping"); break Ok(()) }
            _ = interrupt.recv() => { info!("interrupted: stopping"); break Ok(()) }
            changed = controller.leading.changed() => {
                if changed.is_err() {
                    break Err(StartError::Lease { name: controller.name.clone(), detail: "leader election stopped".into() });
                }
                let now = *controller.leading.borrow_and_update();
                switch(&controller.name, now, &mut reconciling, || {
                    parts.state.leading.store(true, Ordering::Relaxed);
                    leader::start_reconciling(parts)
                }).await;
                if !now {
                    parts.state.leading.store(false, Ordering::Relaxed);
                    parts.state.synced.store(false, Ordering::Relaxed);
                }
            }
            changed = keys.leading.changed() => {
                if changed.is_err() {
                    break Err(StartError::Lease { name: keys.name.clone(), detail: "leader election stopped".into() });
                }
                let now = *keys.leading.borrow_and_update();
                switch(&keys.name, now, &mut key_duty, || leader::start_keys(parts)).await;
            }
        }
    };
    if let Some(duty) = reconciling.take() {
        duty.stop().await;
    }
    if let Some(duty) = key_duty.take() {
        duty.stop().await;
    }
    controller.release().await;
    keys.release().await;
    if let Err(e) = &outcome {
        error!(error = %e, "exiting so the Pod restarts");
    }
    outcome
}

/// Starts the duty on gaining the lease, stops it on losing it.
async fn switch(lease: &str, leading: bool, duty: &mut Option<Duty>, start: impl FnOnce() -> Duty) {
    match (leading, duty.take()) {
        (true, None) => {
            info!(lease, "acquired the lease");
            *duty = Some(start());
        }
        (false, Some(running)) => {
            warn!(lease, "lost the lease: stopping its work");
            running.stop().await;
        }
        (_, current) => *duty = current,
    }
}
