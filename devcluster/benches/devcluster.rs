//! devcluster throughput over real HTTP with `kube::Client`, printed as a table:
//! creates/s, listing 10k objects, server-side apply patches/s, and watch fan-out
//! (100 watchers x 1k events). Run with `cargo bench -p devcluster`.

use devcluster::DevCluster;
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchParams};
use serde_json::json;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 32;

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(
        json!({"metadata": {"name": name, "labels": {"bench": "yes"}}, "data": {"k": "v"}}),
    )
    .expect("configmap")
}

async fn creates(api: &Api<ConfigMap>, prefix: &str, n: usize) -> Duration {
    let start = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            let name = format!("{prefix}-{i:05}");
            async move {
                api.create(&PostParams::default(), &cm(&name))
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .expect("creates succeed");
    start.elapsed()
}

async fn applies(api: &Api<ConfigMap>, n: usize) -> Duration {
    let start = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            let name = format!("ssa-{:03}", i % 200);
            async move {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                    "data": {"round": i.to_string(), "fixed": "x"}});
                api.patch(&name, &PatchParams::apply("bench").force(), &Patch::Apply(body)).await.map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .expect("applies succeed");
    start.elapsed()
}

/// Server-side apply of Deployments: the path with the most per-kind work (defaults, the pod
/// template schema, selector validation, immutable fields).
async fn deployment_applies(client: &Client, n: usize) -> Duration {
    let api: Api<Deployment> = Api::default_namespaced(client.clone());
    let start = Instant::now();
    futures_util::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            let name = format!("web-{:03}", i % 100);
            async move {
                let body = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": name},
                    "spec": {"replicas": 1 + i % 3, "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}},
                            "spec": {"containers": [{"name": "web", "image": format!("nginx:1.{}", i % 7),
                                "ports": [{"containerPort": 80}],
                                "env": [{"name": "ROUND", "value": i.to_string()}]}]}}}});
                api.patch(&name, &PatchParams::apply("bench").force(), &Patch::Apply(body))
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .expect("applies succeed");
    start.elapsed()
}

async fn fan_out(client: &Client, watchers: usize, events: usize) -> Duration {
    let cluster_api: Api<ConfigMap> = Api::namespaced(client.clone(), "kube-public");
    let rv = cluster_api
        .list(&ListParams::default().limit(1))
        .await
        .expect("list")
        .metadata
        .resource_version
        .unwrap_or_default();
    let mut tasks = Vec::new();
    for _ in 0..watchers {
        let stream = cluster_api
            .watch(&WatchParams::default(), &rv)
            .await
            .expect("watch");
        tasks.push(tokio::spawn(async move {
            stream
                .take(events)
                .filter(|e| std::future::ready(e.is_ok()))
                .count()
                .await
        }));
    }
    let start = Instant::now();
    creates(&cluster_api, "fan", events).await;
    for t in tasks {
        assert_eq!(t.await.expect("watcher"), events, "a watcher missed events");
    }
    start.elapsed()
}

fn row(what: &str, n: usize, d: Duration) {
    println!(
        "| {what:<52} | {n:>7} | {:>9.3} s | {:>10.0} /s |",
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let cluster = DevCluster::builder()
        .watch_queue(8192)
        .start()
        .await
        .expect("devcluster starts");
    let client = Client::try_from(cluster.kube_config()).expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client.clone());
    println!(
        "| {:<52} | {:>7} | {:>11} | {:>13} |",
        "operation", "n", "time", "rate"
    );
    println!("|{:-<54}|{:-<9}|{:-<13}|{:-<15}|", "", "", "", "");

    let n = 10_000;
    row(
        &format!("create ConfigMap ({CONCURRENCY} in flight)"),
        n,
        creates(&api, "c", n).await,
    );

    let start = Instant::now();
    let listed = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .len();
    row(
        "list 10k ConfigMaps (one request, decoded)",
        listed,
        start.elapsed(),
    );
    let start = Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        api.list(&ListParams::default().labels("bench=yes"))
            .await
            .expect("list");
    }
    row(
        "list 10k with a label selector (x10)",
        rounds * listed,
        start.elapsed(),
    );

    let n = 5_000;
    row(
        &format!("server-side apply, 200 objects ({CONCURRENCY} in flight)"),
        n,
        applies(&api, n).await,
    );

    let n = 2_000;
    row(
        &format!("server-side apply, 100 Deployments ({CONCURRENCY} in flight)"),
        n,
        deployment_applies(&client, n).await,
    );

    let (watchers, events) = (100, 1_000);
    let d = fan_out(&client, watchers, events).await;
    row(
        &format!("watch fan-out: {watchers} watchers x {events} events"),
        watchers * events,
        d,
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let persisted = DevCluster::builder()
        .data_dir(dir.path())
        .start()
        .await
        .expect("devcluster starts");
    let client = Client::try_from(persisted.kube_config()).expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let n = 5_000;
    row(
        &format!("create with --data (fsync per batch, {CONCURRENCY} in flight)"),
        n,
        creates(&api, "p", n).await,
    );
}
