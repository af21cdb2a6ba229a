//! The libraries controllers are built from, run against devcluster as they run against a real
//! cluster: kube-runtime's `Controller` with its `finalizer()` helper, and kube-lease-manager's
//! leader election.

use super::{cm, start};
use futures_util::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use kube_lease_manager::{LeaseCreateMode, LeaseManager, LeaseParams};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FINALIZER: &str = "devcluster.test/cleanup";

#[derive(Debug, thiserror::Error)]
enum ReconcileError {
    #[error("kube: {0}")]
    Kube(#[source] kube::Error),
}

struct Ctx {
    client: Client,
    cleaned: Mutex<Vec<String>>,
}

async fn reconcile(
    cm: Arc<ConfigMap>,
    ctx: Arc<Ctx>,
) -> Result<Action, kube::runtime::finalizer::Error<ReconcileError>> {
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), "default");
    finalizer(&api, FINALIZER, cm, |event| async {
        match event {
            Finalizer::Apply(cm) => {
                let patch = json!({"metadata": {"annotations": {"reconciled": "yes"}}});
                api.patch(
                    &cm.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(patch),
                )
                .await
                .map_err(ReconcileError::Kube)?;
                Ok(Action::await_change())
            }
            Finalizer::Cleanup(cm) => {
                ctx.cleaned
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(cm.name_any());
                Ok(Action::await_change())
            }
        }
    })
    .await
}

fn error_policy(
    _cm: Arc<ConfigMap>,
    _e: &kube::runtime::finalizer::Error<ReconcileError>,
    _ctx: Arc<Ctx>,
) -> Action {
    Action::requeue(Duration::from_millis(200))
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// kube-runtime's `finalizer()` opens with a JSON patch that tests `/metadata/finalizers` for
/// null on an object without finalizers; kube-apiserver accepts it, and so must devcluster.
#[tokio::test]
async fn kube_runtime_finalizer_reconciles_finalizes_and_deletes() {
    let (_cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        cleaned: Mutex::new(Vec::new()),
    });
    let controller = Controller::new(api.clone(), watcher::Config::default())
        .run(reconcile, error_policy, ctx.clone())
        .for_each(|_| async {});
    let running = tokio::spawn(controller);

    api.create(&PostParams::default(), &cm("guarded", json!({"a": "1"})))
        .await
        .expect("created");
    eventually("the finalizer and the reconcile", || async {
        let cm = api.get("guarded").await.expect("get");
        cm.finalizers().iter().any(|f| f == FINALIZER)
            && cm.annotations().get("reconciled").map(String::as_str) == Some("yes")
    })
    .await;

    api.delete("guarded", &DeleteParams::default())
        .await
        .expect("delete accepted");
    eventually("cleanup and removal", || async {
        api.get_opt("guarded").await.expect("get").is_none()
    })
    .await;
    assert_eq!(
        *ctx.cleaned.lock().unwrap_or_else(|p| p.into_inner()),
        vec!["guarded".to_string()]
    );
    running.abort();
}

async fn manager(client: &Client, identity: &str) -> LeaseManager {
    LeaseManager::new(
        client.clone(),
        "sealsync-leader",
        "default",
        LeaseParams::new(identity, 2, 1),
        LeaseCreateMode::AutoCreate,
    )
    .await
    .expect("lease manager")
}

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref()?.holder_identity.clone()
}

/// Two replicas elect one leader; the other takes over when the leader releases the lease, and
/// again when a leader vanishes without releasing it (its lease expires).
#[tokio::test]
async fn kube_lease_manager_elects_fails_over_and_releases() {
    let (_cluster, client) = start().await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
    let a = manager(&client, "replica-a").await;
    assert!(a.changed().await.expect("a elects"), "a leads");
    let b = manager(&client, "replica-b").await;
    let b_wins = tokio::time::timeout(Duration::from_millis(800), b.changed()).await;
    assert!(b_wins.is_err(), "b must not lead while a renews");
    let lease = leases.get("sealsync-leader").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some("replica-a"));

    a.release().await.expect("a releases");
    let b_leads = tokio::time::timeout(Duration::from_secs(10), b.changed())
        .await
        .expect("b elected after release")
        .expect("b changed");
    assert!(b_leads);
    let lease = leases.get("sealsync-leader").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some("replica-b"));

    // b vanishes without releasing: c takes over once the lease expires.
    drop(b);
    let c = manager(&client, "replica-c").await;
    let c_leads = tokio::time::timeout(Duration::from_secs(15), c.changed())
        .await
        .expect("c elected after expiry")
        .expect("c changed");
    assert!(c_leads);
    c.release().await.expect("c releases");
    let lease = leases.get("sealsync-leader").await.expect("lease");
    assert_eq!(holder(&lease), None, "released");
}
