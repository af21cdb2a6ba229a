//! GitSync benchmark: a bench binary that prints a table. Run with
//! `cargo bench -p sealsync --bench gitsync` (release build; a few minutes here).
//!
//! A real `git daemon` serves a repository of 1000 objects (a Namespace, ConfigMaps, Services
//! and ServiceAccounts, one file each). devcluster runs in this process, the controller
//! (`sealsync run`, this build) as its own process. Phases, all in one run:
//! 1. baseline: `kubectl apply --server-side -R -f` of the same folder on a fresh devcluster;
//! 2. first sync: a GitSync created on another fresh devcluster, until Ready at the revision;
//! 3. resync with no change (`sealsync.io/reconcile-at`), five times: the run's own duration
//!    (the controller's histogram) and the writes in devcluster's request log; beside it, git's
//!    own `git ls-remote` against the same server, the floor of a run that must ask the server;
//! 4. commit → applied through the webhook, 40 commits: p50 and p99;
//! 5. peak RSS (VmHWM) of the controller once 1000 SealedSecrets are Ready as well.

#[path = "../tests/support/gitd.rs"]
#[allow(dead_code)] // the HTTP server is for the tests
mod gitd;
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use devcluster::DevCluster;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use sealsync::api::gitsync::GitSync;
use sealsync_core::crypto::Certificate;
use serde_json::json;
use support::{Controller, create_sealed, get, metric, metric_f64, peak_rss_kib, spawn};

const OBJECTS: usize = 1000;
const SEALED: usize = 1000;
const WEBHOOK_RUNS: usize = 40;
const NS: &str = "sealsync-system";
const APP: &str = "bench";
const TOKEN: &str = "bench-webhook-token";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let root = tempfile::tempdir().expect("tempdir");
    let files = objects();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let served = gitd::repository(root.path(), &borrowed);
    let daemon = gitd::daemon(&served);
    let url = format!("git://127.0.0.1:{}/config.git", daemon.1);

    eprintln!("baseline: kubectl apply --server-side of {OBJECTS} objects…");
    let kubectl = kubectl_apply(&root.path().join("work")).await;

    let cluster = DevCluster::start().await.expect("devcluster");
    let client = cluster.client().expect("client");
    let kubeconfig = root.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    setup(&client).await;
    let cache = root.path().join("cache");
    let controller = spawn(
        &kubeconfig,
        NS,
        &["--cache-dir", cache.to_str().expect("utf8")],
    );
    wait_ready_endpoint(&controller).await;

    eprintln!("first sync…");
    let head = gitd::git(&root.path().join("work"), &["rev-parse", "HEAD"]);
    let started = Instant::now();
    create_gitsync(&client, &url).await;
    wait_applied(&client, &head).await;
    let first = started.elapsed();

    eprintln!("resync with no change…");
    let (resync, writes, managed_writes) = resyncs(&client, &cluster, &controller).await;

    let floor = git_ls_remote(&url);

    eprintln!("webhook: {WEBHOOK_RUNS} commits…");
    let latencies = webhook_runs(&client, root.path(), &controller).await;

    eprintln!("{SEALED} SealedSecrets…");
    create_sealed_for(&client, &controller).await;
    wait_unsealed(&controller, SEALED).await;
    let rss = peak_rss_kib(controller.pid());

    report(Report {
        kubectl,
        first,
        resync,
        floor,
        writes,
        managed_writes,
        latencies,
        rss,
    });
    drop(controller);
    drop(daemon);
}

/// The repository: one Namespace and 999 objects of three kinds, one file each.
fn objects() -> Vec<(String, String)> {
    let mut files = vec![(
        "00-namespace.yaml".to_owned(),
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {APP}\n"),
    )];
    for i in 1..OBJECTS {
        let (file, text) = match i % 4 {
            0 => (
                format!("services/svc-{i:04}.yaml"),
                format!(
                    "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:04}\n  namespace: {APP}\nspec:\n  selector:\n    app: a{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n"
                ),
            ),
            1 => (
                format!("accounts/sa-{i:04}.yaml"),
                format!(
                    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i:04}\n  namespace: {APP}\n  labels:\n    app: a{i}\n"
                ),
            ),
            _ => (
                format!("config/cm-{i:04}.yaml"),
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:04}\n  namespace: {APP}\ndata:\n  index: \"{i}\"\n  settings.ini: |\n    [server]\n    port = 8080\n    name = a{i}\n"
                ),
            ),
        };
        files.push((file, text));
    }
    files
}

/// The baseline: kubectl's server-side apply of the same folder on a fresh devcluster.
async fn kubectl_apply(work: &Path) -> Duration {
    let cluster = DevCluster::start().await.expect("devcluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let work = work.to_owned();
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("kubectl")
            .args(["apply", "--server-side", "-R", "-f"])
            .arg(&work)
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("kubectl runs")
    })
    .await
    .expect("join");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "kubectl apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let applied = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(applied, OBJECTS, "kubectl applied every object");
    elapsed
}

async fn setup(client: &Client) {
    let nss: Api<Namespace> = Api::all(client.clone());
    let n: Namespace = serde_json::from_value(json!({"metadata": {"name": NS}})).expect("ns");
    nss.create(&PostParams::default(), &n)
        .await
        .expect("namespace");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in sealsync::api::all_crds() {
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("crd");
    }
    let api: Api<GitSync> = Api::namespaced(client.clone(), NS);
    while api.list(&Default::default()).await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "hook", "namespace": NS},
        "stringData": {"token": TOKEN},
    }))
    .expect("secret");
    Api::<Secret>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &secret)
        .await
        .expect("webhook secret");
}

async fn wait_ready_endpoint(controller: &Controller) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get(&controller.url, "/readyz").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
        assert!(
            Instant::now() < deadline,
            "the controller did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn create_gitsync(client: &Client, url: &str) {
    let gs: GitSync = serde_json::from_value(json!({
        "apiVersion": "sealsync.io/v1alpha1",
        "kind": "GitSync",
        "metadata": {"name": "app", "namespace": NS},
        "spec": {
            "url": url,
            "interval": "1h",
            "timeout": "5m",
            "webhookSecretRef": {"name": "hook"},
        },
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(client.clone(), NS)
        .create(&PostParams::default(), &gs)
        .await
        .expect("create GitSync");
}

/// Waits until the GitSync is Ready at `head`, polling every 2 ms.
async fn wait_applied(client: &Client, head: &str) {
    let api: Api<GitSync> = Api::namespaced(client.clone(), NS);
    let want = format!("main@sha1:{head}");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let gs = api.get("app").await.expect("get GitSync");
        let status = gs.status.unwrap_or_default();
        let ready = status
            .conditions
            .first()
            .is_some_and(|c| c.type_ == "Ready" && c.status == "True");
        if ready && status.last_applied_revision.as_deref() == Some(want.as_str()) {
            return;
        }
        if let Some(c) = status.conditions.first().filter(|c| c.status == "False") {
            eprintln!("  (not ready: {:?})", c.message);
        }
        assert!(Instant::now() < deadline, "not applied within 10 minutes");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Five no-change runs: their median duration (from the controller's own histogram), all
/// writes in the request log during them, and the writes to managed objects.
async fn resyncs(
    client: &Client,
    cluster: &DevCluster,
    controller: &Controller,
) -> (Duration, usize, usize) {
    let api: Api<GitSync> = Api::namespaced(client.clone(), NS);
    let mut durations = Vec::new();
    cluster.clear_requests();
    for i in 0..5 {
        let sum = metric_f64(&controller.url, "sealsync_gitsync_run_duration_seconds_sum");
        let count = metric_f64(
            &controller.url,
            "sealsync_gitsync_run_duration_seconds_count",
        );
        let stamp = format!("resync-{i}");
        let patch = json!({"metadata": {"annotations": {"sealsync.io/reconcile-at": stamp}}});
        api.patch("app", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("annotate");
        let deadline = Instant::now() + Duration::from_secs(60);
        while metric_f64(
            &controller.url,
            "sealsync_gitsync_run_duration_seconds_count",
        ) < count + 1.0
        {
            assert!(Instant::now() < deadline, "no resync within a minute");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let took = metric_f64(&controller.url, "sealsync_gitsync_run_duration_seconds_sum") - sum;
        durations.push(Duration::from_secs_f64(took));
        // Let the status write of the handled annotation land.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    durations.sort();
    let requests = cluster.requests();
    let writes: Vec<_> = requests
        .iter()
        .filter(|r| {
            matches!(
                r.verb.as_deref(),
                Some("create" | "update" | "patch" | "delete")
            ) && !r.query.contains("dryRun")
        })
        .collect();
    let ours = |r: &&&devcluster::RecordedRequest| {
        !matches!(
            r.resource.as_deref(),
            Some("gitsyncs" | "leases" | "events")
        )
    };
    let managed = writes.iter().filter(ours).count();
    (durations[2], writes.len(), managed)
}

/// The floor of a resync: git's own `git ls-remote` of the branch against the same server,
/// median of five.
fn git_ls_remote(url: &str) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let out = Command::new("git")
                .args(["ls-remote", url, "refs/heads/main"])
                .output()
                .expect("git runs");
            assert!(out.status.success(), "git ls-remote works");
            started.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

/// Commit → push → webhook → Ready at the new revision, `WEBHOOK_RUNS` times.
async fn webhook_runs(client: &Client, root: &Path, controller: &Controller) -> Vec<Duration> {
    let work = root.join("work");
    let mut latencies = Vec::new();
    for i in 0..WEBHOOK_RUNS {
        let file = work.join("config/cm-0002.yaml");
        let text = std::fs::read_to_string(&file).expect("read");
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[6] = format!("  index: \"run-{i}\"");
        std::fs::write(&file, lines.join("\n") + "\n").expect("write");
        gitd::commit_and_push(root, &format!("bump {i}"));
        let head = gitd::git(&work, &["rev-parse", "HEAD"]);
        let started = Instant::now();
        let answer = post_hook(&controller.url);
        assert!(
            answer.starts_with("HTTP/1.1 202") || answer.starts_with("HTTP/1.1 200"),
            "webhook refused: {answer}"
        );
        wait_applied(client, &head).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

fn post_hook(url: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST /hooks/{NS}/app HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// 1000 SealedSecrets of one value each, sealed to the controller's certificate.
async fn create_sealed_for(client: &Client, controller: &Controller) {
    let pem = get(&controller.url, "/v1/cert.pem").expect("certificate");
    let body = pem.split("\r\n\r\n").nth(1).expect("body");
    let cert = Certificate::from_pem(body.as_bytes()).expect("PEM certificate");
    create_sealed(client, APP, SEALED, 1, &cert).await;
}

async fn wait_unsealed(controller: &Controller, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while metric(
        &controller.url,
        "sealsync_unseals_total{reason=\"Unsealed\"}",
    ) < count as u64
    {
        assert!(Instant::now() < deadline, "not unsealed within 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

struct Report {
    kubectl: Duration,
    first: Duration,
    resync: Duration,
    floor: Duration,
    writes: usize,
    managed_writes: usize,
    latencies: Vec<Duration>,
    rss: u64,
}

fn report(r: Report) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| r.latencies[((r.latencies.len() as f64 - 1.0) * q).round() as usize];
    let (p50, p99) = (pick(0.5), pick(0.99));
    println!();
    println!("GitSync benchmark ({OBJECTS} objects from git; same run)");
    println!("| measure | value | baseline / target | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| first sync (create → Ready) | {:.0} ms | kubectl apply --server-side: {:.0} ms | {:.2}× (target ≤ 0.5×) |",
        ms(r.first),
        ms(r.kubectl),
        ms(r.first) / ms(r.kubectl)
    );
    println!(
        "| resync, no change (median of 5 runs) | {:.1} ms | first sync: {:.0} ms | {:.3}× (target ≤ 0.05×) |",
        ms(r.resync),
        ms(r.first),
        ms(r.resync) / ms(r.first)
    );
    println!(
        "| `git ls-remote` (git's own CLI, same server), median of 5 | {:.1} ms | the resync's floor: one ls-remote | resync / ls-remote {:.2}× |",
        ms(r.floor),
        ms(r.resync) / ms(r.floor)
    );
    println!(
        "| writes during the 5 resyncs | {} to managed objects ({} in all, GitSync status included) | target 0 | |",
        r.managed_writes, r.writes
    );
    println!(
        "| commit → applied via webhook, p50 | {:.0} ms | target ≤ 250 ms | {:.2}× |",
        ms(p50),
        ms(p50) / 250.0
    );
    println!(
        "| commit → applied via webhook, p99 ({} runs) | {:.0} ms | target ≤ 1000 ms | {:.2}× |",
        r.latencies.len(),
        ms(p99),
        ms(p99) / 1000.0
    );
    println!(
        "| controller peak RSS ({OBJECTS} objects + {SEALED} SealedSecrets) | {:.1} MiB | target ≤ 64 MiB | {:.2}× |",
        r.rss as f64 / 1024.0,
        r.rss as f64 / 1024.0 / 64.0
    );
}
