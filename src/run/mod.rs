//! `sealsync run`: the wiring. Every replica loads keys and serves HTTP; the replica holding the
//! lease also reconciles and renews keys. SIGTERM or Ctrl-C stops gracefully: in-flight
//! reconciles finish, then the lease is released.
//!
//! - [`leader`]: what runs while this replica leads, and how it stops.
//! - [`startup`]: checks made before anything starts, each failing with a hint.

pub mod leader;
pub mod startup;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kube::Client;
use kube::runtime::events::{Recorder, Reporter};
use kube_lease_manager::{LeaseCreateMode, LeaseManager, LeaseParams};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::cli::RunArgs;
use crate::http::{self, AppState, limit::Limiter};
use crate::keyring::{self, Keyring};
use crate::metrics::Metrics;
use crate::unseal::decrypt::Decryptor;
use startup::StartError;

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
    let sources = keyring::watch::Sources {
        namespace: args.namespace.clone(),
        bitnami_namespace: args.import_bitnami_keys.then(|| {
            args.bitnami_keys_namespace
                .clone()
                .unwrap_or_else(|| args.namespace.clone())
        }),
    };
    tokio::spawn(keyring::watch::run(
        client.clone(),
        sources,
        keyring.clone(),
    ));

    let state = Arc::new(AppState {
        keyring: keyring.clone(),
        decryptor: decryptor.clone(),
        metrics: metrics.clone(),
        leading: AtomicBool::new(false),
        synced: AtomicBool::new(false),
        limiter: Limiter::new(args.http_rate_limit, args.http_burst),
    });
    let listener = http::bind(args.listen_addr)
        .await
        .map_err(|source| StartError::Listen {
            addr: args.listen_addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: args.listen_addr,
        source,
    })?;
    info!("listening on http://{addr}");
    let (http_stop, mut http_stopped) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, state.clone(), async move {
        let _ = http_stopped.wait_for(|s| *s).await;
    }));

    let identity = startup::identity(&args);
    let lease_name = startup::lease_name(&args);
    let secs = args.lease_duration.as_secs().max(2);
    let params = LeaseParams::new(identity.clone(), secs, (secs / 3).max(1));
    let manager = LeaseManager::new(
        client.clone(),
        &lease_name,
        &args.namespace,
        params,
        LeaseCreateMode::AutoCreate,
    )
    .await
    .map_err(|e| StartError::Lease {
        name: lease_name.clone(),
        detail: e.to_string(),
    })?;
    info!(lease = %lease_name, identity = %identity, "waiting to lead");
    let (mut leader_rx, lease_task) = manager.watch().await;

    let reporter = Reporter {
        controller: "sealsync".into(),
        instance: Some(identity),
    };
    let parts = leader::Parts {
        client: client.clone(),
        args: Arc::new(args),
        keyring,
        decryptor,
        recorder: Recorder::new(client, reporter),
        metrics,
        state: state.clone(),
    };
    let mut leading: Option<leader::Leader> = None;
    let mut term = signal(SignalKind::terminate()).map_err(StartError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(StartError::Signal)?;
    loop {
        tokio::select! {
            _ = term.recv() => { info!("SIGTERM: stopping"); break }
            _ = interrupt.recv() => { info!("interrupted: stopping"); break }
            changed = leader_rx.changed() => {
                if changed.is_err() {
                    error!("leader election stopped unexpectedly; exiting so the Pod restarts");
                    break;
                }
                let is_leader = *leader_rx.borrow_and_update();
                match (is_leader, leading.take()) {
                    (true, None) => {
                        info!(lease = %lease_name, "became the leader: reconciling");
                        state.leading.store(true, Ordering::Relaxed);
                        leading = Some(leader::start(&parts));
                    }
                    (false, Some(l)) => {
                        warn!(lease = %lease_name, "lost the lease: stopping reconciles");
                        l.stop().await;
                        state.leading.store(false, Ordering::Relaxed);
                        state.synced.store(false, Ordering::Relaxed);
                    }
                    (_, current) => leading = current,
                }
            }
        }
    }
    if let Some(l) = leading.take() {
        l.stop().await;
    }
    drop(leader_rx);
    match tokio::time::timeout(Duration::from_secs(10), lease_task).await {
        Ok(Ok(Ok(_))) => info!(lease = %lease_name, "lease released"),
        Ok(Ok(Err(e))) => warn!(error = %e, "could not release the lease; it expires on its own"),
        _ => warn!("could not release the lease in time; it expires on its own"),
    }
    http_stop.send_replace(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    info!("stopped");
    Ok(())
}
