//! The controller as a user runs it: the `sealsync run` process against devcluster over HTTP,
//! driven through the API (kube::Client), the real `kubectl` and `seal`, and its HTTP endpoints.
//! One test binary; the harness is here, the tests in modules.

mod endpoints;
#[path = "../support/gitd.rs"]
mod gitd;
#[path = "../support/kubectl.rs"]
mod tools;

pub(crate) use tools::kubectl;
mod gitsync;
mod gitsync_faults;
mod gitsync_safety;
mod ha;
mod keys;
mod lifecycle;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devcluster::DevCluster;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use sealsync::api::{Group, Sealed};
use sealsync_core::api::{Api as Group2, ObjectMeta, Secret as SecretDoc};
use sealsync_core::crypto::Certificate;
use sealsync_core::sealing::{SealOptions, seal_secret};
use serde_json::{Value, json};

pub(crate) const NS: &str = "sealsync-system";

/// devcluster, a client, a kubeconfig file and a scratch directory.
pub(crate) struct Env {
    pub cluster: DevCluster,
    pub client: Client,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

pub(crate) async fn env() -> Env {
    // Workloads roll out as a cluster's controllers would report them, so health waits end.
    let cluster = DevCluster::builder()
        .simulate_workloads(true)
        .start()
        .await
        .expect("devcluster starts");
    let client = cluster.client().expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    create_ns(&client, NS).await;
    create_ns(&client, "app").await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in sealsync::api::all_crds() {
        crds.create(&PostParams::default(), &crd)
            .await
            .expect("CRD created");
    }
    eventually("the CRD is served", || async {
        Api::<Sealed>::all_with(client.clone(), &Group::Sealsync.api_resource())
            .list(&Default::default())
            .await
            .is_ok()
    })
    .await;
    Env {
        cluster,
        client,
        dir,
        kubeconfig,
    }
}

pub(crate) async fn create_ns(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).expect("ns");
    api.create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
}

/// A running `sealsync run`; killed on drop.
pub(crate) struct Controller {
    child: Option<Child>,
    pub url: String,
    pub logs: Arc<Mutex<String>>,
}

impl Controller {
    /// Everything it logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Sends SIGTERM and waits for the exit; returns whether it exited successfully.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        false
    }

    /// SIGKILL: a crash, with no chance to release anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("controller logs:\n{}", self.logs());
        }
        self.kill();
    }
}

pub(crate) fn bin(name: &str) -> PathBuf {
    let own = PathBuf::from(env!("CARGO_BIN_EXE_sealsync"));
    let path = own.with_file_name(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace` first",
        path.display()
    );
    path
}

/// Starts the controller with test-friendly defaults (2048-bit keys, a 3 s lease) plus `extra`.
pub(crate) fn spawn(env: &Env, extra: &[&str]) -> Controller {
    spawn_with(env, extra, &[])
}

/// [`spawn`], with environment variables for the controller.
pub(crate) fn spawn_with(env: &Env, extra: &[&str], vars: &[(&str, &Path)]) -> Controller {
    let mut args = vec![
        "run",
        "--namespace",
        NS,
        "--listen-addr",
        "127.0.0.1:0",
        "--key-size",
        "2048",
        "--lease-duration",
        "3s",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .args(&args)
        .env("KUBECONFIG", &env.kubeconfig)
        .env("SEALSYNC_LOG", "sealsync=debug,info")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealsync starts");
    let stderr = child.stderr.take().expect("stderr");
    let logs = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = tx.send(url.trim().to_owned());
            }
            let mut logs = sink.lock().unwrap_or_else(|p| p.into_inner());
            logs.push_str(&line);
            logs.push('\n');
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| {
            panic!(
                "the controller did not start listening; logs:\n{}",
                logs.lock().unwrap_or_else(|p| p.into_inner())
            )
        });
    Controller {
        child: Some(child),
        url,
        logs,
    }
}

/// Waits until `/readyz` answers 200.
pub(crate) async fn ready(c: &Controller) {
    let url = c.url.clone();
    eventually_for(Duration::from_secs(60), "the controller is ready", || {
        let url = url.clone();
        async move { http(&url, "GET", "/readyz", "").map(|r| r.0) == Some(200) }
    })
    .await;
}

/// Starts the controller, waits until it is ready, and fetches its certificate.
pub(crate) async fn running(env: &Env, extra: &[&str]) -> (Controller, Certificate) {
    let c = spawn(env, extra);
    ready(&c).await;
    let cert = cert(&c);
    (c, cert)
}

/// Who holds the Lease `name` in the controller's namespace.
pub(crate) async fn lease_holder(client: &Client, name: &str) -> Option<String> {
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), NS);
    leases.get(name).await.ok()?.spec?.holder_identity
}

/// A minimal HTTP/1.1 request: (status, body).
pub(crate) fn http(base: &str, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    http_with(base, method, path, body, &[])
}

/// [`http`] with extra headers.
pub(crate) fn http_with(
    base: &str,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Option<(u16, String)> {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/yaml\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (head, rest) = response.split_once("\r\n\r\n")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Some((status, body))
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}

/// The controller's current certificate.
pub(crate) fn cert(c: &Controller) -> Certificate {
    let (status, pem) = http(&c.url, "GET", "/v1/cert.pem", "").expect("cert.pem answers");
    assert_eq!(status, 200, "{pem}");
    Certificate::from_pem(pem.as_bytes()).expect("a certificate")
}

/// A SealedSecret (sealsync.io unless `bitnami`) sealing `values` for `ns/name`, as a JSON value.
pub(crate) fn sealed(
    cert: &Certificate,
    ns: &str,
    name: &str,
    values: &[(&str, &str)],
    bitnami: bool,
) -> Value {
    sealed_to(cert.public_key(), ns, name, values, bitnami)
}

/// [`sealed`] to any recipients: one key, or several in the multi-recipient format.
pub(crate) fn sealed_to(
    to: &(impl sealsync_core::crypto::Sealer + ?Sized),
    ns: &str,
    name: &str,
    values: &[(&str, &str)],
    bitnami: bool,
) -> Value {
    let meta = ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        ..Default::default()
    };
    let mut secret = SecretDoc::new(meta);
    for (k, v) in values {
        secret.set_value(k, v.as_bytes());
    }
    let api = if bitnami {
        Group2::Bitnami
    } else {
        Group2::Sealsync
    };
    let options = SealOptions {
        overrides: Default::default(),
        api,
        allow_empty_data: false,
    };
    let doc = seal_secret(&secret, to, &options).expect("sealed");
    serde_json::to_value(doc).expect("json")
}

/// Server-side applies an object as a user would (field manager `kubectl`).
pub(crate) async fn apply(client: &Client, group: Group, ns: &str, obj: &Value) {
    let api: Api<Sealed> = Api::namespaced_with(client.clone(), ns, &group.api_resource());
    let name = obj["metadata"]["name"].as_str().expect("name");
    api.patch(
        name,
        &PatchParams::apply("kubectl").force(),
        &Patch::Apply(obj),
    )
    .await
    .expect("applied");
}

pub(crate) async fn get_sealed(
    client: &Client,
    group: Group,
    ns: &str,
    name: &str,
) -> Option<Sealed> {
    let api: Api<Sealed> = Api::namespaced_with(client.clone(), ns, &group.api_resource());
    api.get_opt(name).await.expect("get")
}

/// The Ready condition's (status, reason, message).
pub(crate) async fn ready_of(
    client: &Client,
    group: Group,
    ns: &str,
    name: &str,
) -> Option<(String, String, String)> {
    let s = get_sealed(client, group, ns, name).await?;
    let c = s
        .status?
        .condition(sealsync::unseal::status::condition_type(group))?
        .clone();
    Some((
        c.status,
        c.reason.unwrap_or_default(),
        c.message.unwrap_or_default(),
    ))
}

pub(crate) async fn wait_reason(
    client: &Client,
    group: Group,
    ns: &str,
    name: &str,
    reason: &str,
) -> (String, String, String) {
    let what = format!("{ns}/{name} reaches {reason}");
    let api: Api<kube::core::DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &group.api_resource());
    let seen = api
        .get_opt(name)
        .await
        .ok()
        .flatten()
        .map(|o| serde_json::to_string(&o.data["status"]).unwrap_or_default());
    eprintln!("{ns}/{name} status before waiting: {seen:?}");
    eventually(&what, || async {
        ready_of(client, group, ns, name)
            .await
            .is_some_and(|r| r.1 == reason)
    })
    .await;
    ready_of(client, group, ns, name).await.expect("status")
}

pub(crate) async fn secret(client: &Client, ns: &str, name: &str) -> Option<Secret> {
    Api::<Secret>::namespaced(client.clone(), ns)
        .get_opt(name)
        .await
        .expect("get secret")
}

pub(crate) fn values(s: &Secret) -> BTreeMap<String, String> {
    s.data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
        .collect()
}

pub(crate) async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually_for(Duration::from_secs(30), what, check).await
}

pub(crate) async fn eventually_for<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Runs a command with stdin; (status ok, stdout, stderr).
pub(crate) fn run_cmd(
    program: &Path,
    args: &[&str],
    stdin: &str,
    envs: &[(&str, &Path)],
) -> (bool, String, String) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", program.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Bitnami's CRD, with the schema of its Helm chart (descriptions left out): its status keeps
/// only `observedGeneration` and `conditions`, and the server prunes anything else.
pub(crate) const BITNAMI_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "sealedsecrets.bitnami.com"},
  "spec": {"group": "bitnami.com", "scope": "Namespaced",
    "names": {"plural": "sealedsecrets", "singular": "sealedsecret", "kind": "SealedSecret", "listKind": "SealedSecretList"},
    "versions": [{"name": "v1alpha1", "served": true, "storage": true, "subresources": {"status": {}},
      "schema": {"openAPIV3Schema": {"type": "object", "required": ["spec"], "properties": {
        "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
        "spec": {"type": "object", "required": ["encryptedData"], "properties": {
          "data": {"type": "string", "format": "byte"},
          "encryptedData": {"type": "object", "additionalProperties": {"type": "string"}, "x-kubernetes-preserve-unknown-fields": true},
          "template": {"type": "object", "properties": {
            "data": {"type": "object", "nullable": true, "additionalProperties": {"type": "string"}},
            "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "type": {"type": "string"}}}}},
        "status": {"type": "object", "properties": {
          "conditions": {"type": "array", "items": {"type": "object", "required": ["status", "type"], "properties": {
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "lastUpdateTime": {"type": "string", "format": "date-time"},
            "message": {"type": "string"}, "reason": {"type": "string"},
            "status": {"type": "string"}, "type": {"type": "string"}}}},
          "observedGeneration": {"type": "integer", "format": "int64"}}}}}}}]}}"#;
