//! Leader election, sharding and graceful shutdown, with several controller processes.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use sealsync::api::Group;
use serde_json::json;

use super::*;

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref()?.holder_identity.clone()
}

/// Two replicas: one leads. Kill the leader without warning; the other takes over within the
/// lease duration and reconciles a new SealedSecret. Every replica serves the certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_when_the_leader_dies() {
    let env = env().await;
    let mut a = spawn(&env, &["--identity", "replica-a"]);
    ready(&a).await;
    let b = spawn(&env, &["--identity", "replica-b"]);
    ready(&b).await;
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), NS);
    let lease = leases.get("sealsync-controller").await.expect("lease");
    assert_eq!(holder(&lease).as_deref(), Some("replica-a"));
    assert_eq!(
        cert(&a).der(),
        cert(&b).der(),
        "both serve the same certificate"
    );
    let cert = cert(&b);
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&cert, "app", "before", &[("k", "v")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "before", "Unsealed").await;
    assert!(
        !b.logs().contains("app/before"),
        "the standby does not reconcile"
    );

    a.kill();
    eventually_for(Duration::from_secs(20), "replica-b leads", || async {
        lease_holder(&env.client, "sealsync-controller")
            .await
            .as_deref()
            == Some("replica-b")
    })
    .await;
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&cert, "app", "after", &[("k", "v")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "after", "Unsealed").await;
}

/// Two shards with different selectors: each reconciles only its own SealedSecrets, each under
/// its own lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_reconcile_only_their_own_sealed_secrets() {
    let env = env().await;
    let a = spawn(&env, &["--selector", "shard=a"]);
    ready(&a).await;
    let cert = cert(&a);
    for shard in ["a", "b"] {
        let mut obj = sealed(&cert, "app", &format!("in-{shard}"), &[("k", "v")], false);
        obj["metadata"]["labels"] = json!({"shard": shard});
        apply(&env.client, Group::Sealsync, "app", &obj).await;
    }
    wait_reason(&env.client, Group::Sealsync, "app", "in-a", "Unsealed").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        ready_of(&env.client, Group::Sealsync, "app", "in-b")
            .await
            .is_none(),
        "shard a leaves shard b's object alone"
    );
    assert!(secret(&env.client, "app", "in-b").await.is_none());

    let b = spawn(&env, &["--selector", "shard=b"]);
    ready(&b).await;
    wait_reason(&env.client, Group::Sealsync, "app", "in-b", "Unsealed").await;
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), NS);
    let names: Vec<String> = leases
        .list(&Default::default())
        .await
        .expect("leases")
        .items
        .into_iter()
        .filter_map(|l| l.metadata.name)
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("sealsync-controller-"))
            .count(),
        2,
        "{names:?}"
    );
    // Key duties sit under one lease for the whole namespace: two shards, one key.
    let keys: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(env.client.clone(), NS);
    let listed = keys
        .list(&kube::api::ListParams::default().labels("sealsync.io/sealing-key=active"))
        .await
        .expect("keys");
    assert_eq!(listed.items.len(), 1, "one key, however many shards");
}

/// SIGTERM: the process exits cleanly and releases its lease, so a successor need not wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_gracefully_and_releases_the_lease() {
    let env = env().await;
    let mut c = spawn(&env, &["--identity", "leaving"]);
    ready(&c).await;
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), NS);
    eventually("it leads", || async {
        lease_holder(&env.client, "sealsync-controller")
            .await
            .as_deref()
            == Some("leaving")
    })
    .await;
    assert!(c.terminate(), "exits with success; logs:\n{}", c.logs());
    let lease = leases.get("sealsync-controller").await.expect("lease");
    assert_eq!(holder(&lease), None, "released; logs:\n{}", c.logs());
}
