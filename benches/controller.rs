//! Controller benchmark: a bench binary that prints a table. Run with
//! `cargo bench -p sealsync --bench controller` (release build; about two minutes here).
//!
//! devcluster runs in this process, the controller (`sealsync run`, release build) as its own
//! process, as in production. Phases, all in one run:
//! 1. cold start: 1000 SealedSecrets × 2 values (RSA-4096) already in the cluster; time from
//!    process start until all are Ready, against 2000 × openssl's RSA-4096 private operation ÷
//!    cores, measured in the same run;
//! 2. resync: a template label changed on all 1000 (ciphertexts kept): RSA operations and time;
//! 3. restart with 10 keys: nine newer keys added, then a restart: RSA operations per value;
//! 4. peak RSS (VmHWM) of the controller with the 1000 SealedSecrets and 1000 Secrets.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use devcluster::DevCluster;
use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use sealsync::api::{Group, Sealed};
use sealsync_core::crypto::{Certificate, KeyBits, KeyGenOptions, PrivateKey, generate};
use serde_json::json;
use support::{create_sealed, metric, peak_rss_kib, spawn};

const OBJECTS: usize = 1000;
const VALUES: usize = 2;
const NS: &str = "sealsync-system";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let openssl = openssl_rsa4096_private_ops_per_sec();
    let cluster = DevCluster::start().await.expect("devcluster");
    let client = cluster.client().expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    setup(&client).await;
    let (key, cert) = keypair(KeyBits::Rsa4096);
    store_key(&client, "bench-key-0", &key, &cert).await;
    eprintln!("creating {OBJECTS} SealedSecrets × {VALUES} values…");
    create_sealed(&client, "app", OBJECTS, VALUES, &cert).await;

    // 1. Cold start.
    let started = Instant::now();
    let mut controller = spawn(&kubeconfig, NS, &[]);
    wait_all_ready(&client, &controller.url, 1).await;
    let cold = started.elapsed();
    let cold_ops = metric(&controller.url, "sealsync_rsa_decrypt_operations_total");

    // 2. Resync: a template label on every object, ciphertexts unchanged.
    let before = metric(&controller.url, "sealsync_rsa_decrypt_operations_total");
    let started = Instant::now();
    relabel(&client).await;
    wait_all_ready(&client, &controller.url, 2).await;
    let resync = started.elapsed();
    let resync_ops = metric(&controller.url, "sealsync_rsa_decrypt_operations_total") - before;
    let rss = peak_rss_kib(controller.pid());

    // 3. Restart with 10 keys: nine newer keys, then a restart.
    eprintln!("generating 9 more RSA-4096 keys…");
    for i in 1..10 {
        let (k, c) = keypair(KeyBits::Rsa4096);
        tokio::time::sleep(Duration::from_millis(1100)).await; // newer creationTimestamps
        store_key(&client, &format!("bench-key-{i}"), &k, &c).await;
    }
    controller.terminate();
    let started = Instant::now();
    let controller = spawn(&kubeconfig, NS, &[]);
    wait_reconciled(&controller.url, OBJECTS).await;
    let restart = started.elapsed();
    let restart_ops = metric(&controller.url, "sealsync_rsa_decrypt_operations_total");
    let rss_restart = peak_rss_kib(controller.pid());

    let values = (OBJECTS * VALUES) as f64;
    let bound = values / openssl / cores as f64;
    println!();
    println!(
        "sealsync controller benchmark ({OBJECTS} SealedSecrets × {VALUES} values, RSA-4096, {cores} cores; devcluster shares them)"
    );
    println!(
        "{:<44} {:>12} {:>14} {:>8} {:>10}",
        "measure", "sealsync", "baseline", "ratio", "target"
    );
    println!(
        "{:<44} {:>11.2}s {:>13.2}s {:>8.2} {:>10}",
        "cold start until all Ready",
        cold.as_secs_f64(),
        bound,
        cold.as_secs_f64() / bound,
        "≤ 1.0"
    );
    println!(
        "{:<44} {:>12} {:>14} {:>8} {:>10}",
        "  RSA operations",
        cold_ops,
        OBJECTS * VALUES,
        "",
        ""
    );
    println!(
        "{:<44} {:>11.2}s {:>14} {:>8} {:>10}",
        "  one openssl thread, 2000 private ops",
        values / openssl,
        "",
        "",
        ""
    );
    println!(
        "{:<44} {:>11.2}s {:>14} {:>8} {:>10}",
        "resync (template label on all 1000)",
        resync.as_secs_f64(),
        "2.00s",
        format!("{:.2}", resync.as_secs_f64() / 2.0),
        "< 2 s"
    );
    println!(
        "{:<44} {:>12} {:>14} {:>8} {:>10}",
        "  RSA operations during resync", resync_ops, 0, "", "0"
    );
    println!(
        "{:<44} {:>12.2} {:>14} {:>8} {:>10}",
        "restart with 10 keys: RSA ops per value",
        restart_ops as f64 / values,
        "10 (no hint)",
        format!("{:.2}", restart_ops as f64 / values / 10.0),
        "≤ 1.1"
    );
    println!(
        "{:<44} {:>11.2}s {:>14} {:>8} {:>10}",
        "  restart until all reconciled",
        restart.as_secs_f64(),
        "",
        "",
        ""
    );
    println!(
        "{:<44} {:>9.1} MiB {:>14} {:>8} {:>10}",
        "peak RSS (VmHWM), cold start + resync",
        rss as f64 / 1024.0,
        "64 MiB",
        format!("{:.2}", rss as f64 / 1024.0 / 64.0),
        "≤ 64 MiB"
    );
    println!(
        "{:<44} {:>9.1} MiB {:>14} {:>8} {:>10}",
        "peak RSS (VmHWM), after the restart",
        rss_restart as f64 / 1024.0,
        "64 MiB",
        format!("{:.2}", rss_restart as f64 / 1024.0 / 64.0),
        "≤ 64 MiB"
    );
    println!("openssl speed rsa4096: {openssl:.1} private ops/s on one thread");
}

async fn setup(client: &Client) {
    let nss: Api<Namespace> = Api::all(client.clone());
    for ns in [NS, "app"] {
        let n: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}})).expect("ns");
        nss.create(&PostParams::default(), &n)
            .await
            .expect("namespace");
    }
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in sealsync::api::all_crds() {
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("crd");
    }
    let api: Api<Sealed> =
        Api::namespaced_with(client.clone(), "app", &Group::Sealsync.api_resource());
    while api.list(&ListParams::default()).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn keypair(bits: KeyBits) -> (PrivateKey, Certificate) {
    generate(&KeyGenOptions {
        bits,
        ..KeyGenOptions::default()
    })
    .expect("key")
}

async fn store_key(client: &Client, name: &str, key: &PrivateKey, cert: &Certificate) {
    // The key Secret exactly as the controller writes its own, under a fixed name.
    let mut secret = sealsync::keyring::secret::build(NS, key, cert).expect("key Secret");
    secret.metadata.generate_name = None;
    secret.metadata.name = Some(name.into());
    Api::<Secret>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &secret)
        .await
        .expect("key Secret");
}

async fn relabel(client: &Client) {
    let api: Api<Sealed> =
        Api::namespaced_with(client.clone(), "app", &Group::Sealsync.api_resource());
    stream::iter(0..OBJECTS)
        .map(|i| {
            let api = api.clone();
            async move {
                let patch =
                    json!({"spec": {"template": {"metadata": {"labels": {"resynced": "yes"}}}}});
                api.patch(
                    &format!("s{i:04}"),
                    &PatchParams::default(),
                    &Patch::Merge(patch),
                )
                .await
                .expect("relabel");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// Waits until every SealedSecret is Ready=True for generation `generation`.
async fn wait_all_ready(client: &Client, url: &str, generation: i64) {
    let api: Api<Sealed> =
        Api::namespaced_with(client.clone(), "app", &Group::Sealsync.api_resource());
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        // Cheap first: the controller's own count of Unsealed outcomes.
        if metric(url, "sealsync_unseals_total{reason=\"Unsealed\"}")
            >= OBJECTS as u64 * generation as u64
        {
            let list = api.list(&ListParams::default()).await.expect("list");
            let ready = list.items.iter().filter(|s| {
                let st = s.status.as_ref();
                st.and_then(|st| st.observed_generation) == Some(generation)
                    && st
                        .and_then(|st| st.ready())
                        .is_some_and(|c| c.status == "True")
            });
            if ready.count() == OBJECTS {
                return;
            }
        }
        assert!(Instant::now() < deadline, "not all Ready within 10 minutes");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the controller has reconciled `count` objects to Unsealed.
async fn wait_reconciled(url: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while metric(url, "sealsync_unseals_total{reason=\"Unsealed\"}") < count as u64 {
        assert!(
            Instant::now() < deadline,
            "not reconciled within 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// openssl's single-thread RSA-4096 private-key operations per second (`openssl speed`).
fn openssl_rsa4096_private_ops_per_sec() -> f64 {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa4096"])
        .output()
        .expect("openssl speed runs (install openssl)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("rsa 4096 bits"))
        .and_then(|l| l.split_whitespace().nth(5))
        .and_then(|v| v.parse().ok())
        .expect("openssl speed prints 'rsa 4096 bits … sign/s'")
}
