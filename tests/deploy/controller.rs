//! The Deployment's own command, run with the RBAC it is installed with. A rendering is
//! installed in devcluster for real; its container's command, args and env (as rendered, but
//! for a loopback --listen-addr and a scratch --cache-dir) run as a `sealsync run` process; its
//! probes must answer; a SealedSecret of each group it reconciles must be unsealed; it stops on
//! SIGTERM. Then every API request it made goes to the RBAC authorizer in `rbac`, with the
//! rendering's roles and bindings minus the GitSync role (which allows everything): a request
//! the install would deny fails the test and is named.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use devcluster::RecordedRequest;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, PostParams};
use sealsync::api::Group;
use sealsync_core::api::{Api as SealApi, ObjectMeta, Secret as SecretDoc};
use sealsync_core::crypto::Certificate;
use sealsync_core::sealing::{SealOptions, seal_secret};
use serde_json::{Value, json};

use crate::rbac::{Access, Grants, accesses};
use crate::{Cluster, NS, documents, helm_template, kubectl, one, root, run, strings};

/// A `sealsync run` started as the Deployment starts it; killed on drop.
struct Controller {
    child: Option<Child>,
    addr: String,
    logs: Arc<Mutex<String>>,
}

impl Controller {
    /// Runs the Deployment's container against the cluster, waiting until it listens.
    fn start(cluster: &Cluster, deployment: &Value) -> Controller {
        let mut child = command(cluster, deployment)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sealsync starts");
        let (logs, listening) = capture(child.stderr.take().expect("stderr"));
        let Ok(addr) = listening.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            let logs = logs.lock().unwrap_or_else(|p| p.into_inner());
            panic!("it did not start listening; logs:\n{logs}");
        };
        Controller {
            child: Some(child),
            addr,
            logs,
        }
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// SIGTERM, as the kubelet stops a Pod; whether it exited successfully.
    fn terminate(&mut self) -> bool {
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
        let _ = child.wait();
        false
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("controller logs:\n{}", self.logs());
        }
    }
}

/// The container's command line and environment: args as rendered but for a loopback
/// --listen-addr on a free port and a scratch --cache-dir (`manifests` checks that the real
/// one is an emptyDir); env values, and the Pod fields its fieldRefs name.
fn command(cluster: &Cluster, deployment: &Value) -> Command {
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        strings(&container["command"]),
        ["/usr/local/bin/sealsync"],
        "the binary the Dockerfile installs"
    );
    let cache = cluster.dir.path().join("cache");
    let args = strings(&container["args"]).into_iter().map(|a| {
        if a.starts_with("--listen-addr=") {
            "--listen-addr=127.0.0.1:0".to_owned()
        } else if a.starts_with("--cache-dir=") {
            format!("--cache-dir={}", cache.display())
        } else {
            a.to_owned()
        }
    });
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sealsync"));
    cmd.args(args).env("KUBECONFIG", &cluster.kubeconfig);
    for var in container["env"].as_array().into_iter().flatten() {
        let name = var["name"].as_str().expect("env name");
        let field = var["valueFrom"]["fieldRef"]["fieldPath"].as_str();
        let value = match (&var["value"], field) {
            (Value::String(v), _) => v.clone(),
            (_, Some("metadata.namespace")) => deployment["metadata"]["namespace"]
                .as_str()
                .expect("namespace")
                .to_owned(),
            (_, Some("metadata.name")) => "sealsync-test-pod".to_owned(),
            _ => panic!("env {name}: a source this test cannot stand in for: {var}"),
        };
        cmd.env(name, value);
    }
    cmd
}

/// Collects the log lines, and sends the address from "listening on http://ADDR" (in a text
/// or a JSON line).
fn capture(stderr: ChildStderr) -> (Arc<Mutex<String>>, Receiver<String>) {
    let logs = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
                    .collect();
                let _ = tx.send(addr);
            }
            let mut logs = sink.lock().unwrap_or_else(|p| p.into_inner());
            logs.push_str(&line);
            logs.push('\n');
        }
    });
    (logs, rx)
}

/// A plain HTTP/1.1 GET: (status, body).
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    Some((status, body.to_owned()))
}

fn wait_for(what: &str, controller: &Controller, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting: {what}\nlogs:\n{}",
            controller.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Bitnami's CRD, reduced to what the API server needs to serve it.
fn bitnami_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "sealedsecrets.bitnami.com"},
        "spec": {
            "group": "bitnami.com",
            "scope": "Namespaced",
            "names": {"plural": "sealedsecrets", "singular": "sealedsecret",
                      "kind": "SealedSecret", "listKind": "SealedSecretList"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                          "subresources": {"status": {}},
                          "schema": {"openAPIV3Schema": {"type": "object",
                                     "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    }))
    .expect("a CRD")
}

/// A SealedSecret that the controller should unseal: its group, its name in `app`, and the
/// value of its key `password`.
struct Case {
    group: Group,
    api: SealApi,
    name: &'static str,
}

impl Case {
    fn value(&self) -> String {
        format!("{}-value", self.name)
    }

    /// The SealedSecret, sealed with `cert`, carrying `labels` (a shard's selector).
    fn sealed(&self, cert: &Certificate, labels: &[(&str, &str)]) -> DynamicObject {
        let meta = ObjectMeta {
            name: Some(self.name.into()),
            namespace: Some("app".into()),
            ..Default::default()
        };
        let mut secret = SecretDoc::new(meta);
        secret.set_value("password", self.value().as_bytes());
        let options = SealOptions {
            overrides: Default::default(),
            api: self.api,
            allow_empty_data: false,
        };
        let doc = seal_secret(&secret, cert.public_key(), &options).expect("sealed");
        let mut value = serde_json::to_value(doc).expect("json");
        for (k, v) in labels {
            value["metadata"]["labels"][*k] = json!(v);
        }
        serde_json::from_value(value).expect("an object")
    }

    /// Whether the controller has written the Secret and the SealedSecret's status.
    fn unsealed(&self, log: &[RecordedRequest]) -> bool {
        let written = |resource: &str, sub: Option<&str>| {
            log.iter().any(|r| {
                r.method == "PATCH"
                    && r.resource.as_deref() == Some(resource)
                    && r.namespace.as_deref() == Some("app")
                    && r.name.as_deref() == Some(self.name)
                    && r.subresource.as_deref() == sub
                    && (200..300).contains(&r.status)
            })
        };
        written("secrets", None) && written("sealedsecrets", Some("status"))
    }
}

/// Installs the rendering for real (its namespace first, as `helm install --create-namespace`
/// would), and Bitnami's CRD when it runs with --bitnami. Returns the cases to unseal.
async fn install(cluster: &Cluster, rendered: &str, deployment: &Value) -> Vec<Case> {
    for ns in [NS, "app", "kube-system"] {
        cluster.namespace(ns);
    }
    cluster.kubectl(&["apply", "--server-side", "-f", "-"], Some(rendered));
    let mut cases = vec![Case {
        group: Group::Sealsync,
        api: SealApi::Sealsync,
        name: "db",
    }];
    let args = strings(&deployment["spec"]["template"]["spec"]["containers"][0]["args"]);
    if args.contains(&"--bitnami") {
        Api::<CustomResourceDefinition>::all(cluster.client())
            .create(&PostParams::default(), &bitnami_crd())
            .await
            .expect("Bitnami's CRD");
        cases.push(Case {
            group: Group::Bitnami,
            api: SealApi::Bitnami,
            name: "legacy",
        });
    }
    cases
}

/// The controller's grants, and a check that they can say no: it never deletes Secrets, nor
/// writes a ConfigMap other than its certificate's.
fn controller_grants(objects: &[Value], deployment: &Value) -> Grants {
    let account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
        .as_str()
        .expect("a ServiceAccount");
    let grants = Grants::of(objects, (NS, account), "gitsync");
    for (verb, resource, name) in [
        ("delete", "secrets", "db"),
        ("patch", "configmaps", "other"),
    ] {
        let access = Access {
            verb: verb.into(),
            group: String::new(),
            resource: resource.into(),
            subresource: None,
            namespace: Some(NS.into()),
            name: Some(name.into()),
        };
        assert!(!grants.allow(&access), "{access} is allowed");
    }
    grants
}

/// Waits for the probes, seals and creates each case with the served certificate, and waits
/// until each is unsealed and an Event was recorded.
async fn exercise(
    cluster: &Cluster,
    c: &Controller,
    deployment: &Value,
    cases: &[Case],
    labels: &[(&str, &str)],
) {
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    for probe in ["livenessProbe", "readinessProbe"] {
        let path = container[probe]["httpGet"]["path"].as_str().expect("path");
        wait_for(&format!("{probe} {path} answers 200"), c, || {
            get(&c.addr, path).is_some_and(|r| r.0 == 200)
        });
    }
    let (status, pem) = get(&c.addr, "/v1/cert.pem").expect("cert.pem");
    assert_eq!(status, 200, "{pem}");
    let cert = Certificate::from_pem(pem.as_bytes()).expect("a certificate");
    for case in cases {
        Api::<DynamicObject>::namespaced_with(cluster.client(), "app", &case.group.api_resource())
            .create(&PostParams::default(), &case.sealed(&cert, labels))
            .await
            .expect("SealedSecret created");
    }
    for case in cases {
        wait_for(&format!("app/{} unsealed", case.name), c, || {
            case.unsealed(&cluster.dc.requests())
        });
    }
    wait_for("an Event recorded", c, || {
        cluster
            .dc
            .requests()
            .iter()
            .any(|r| r.resource.as_deref() == Some("events") && r.status == 201)
    });
}

/// Every request since `clear_requests` but the test's own (its SealedSecret creates: the
/// controller has no create on them) must be allowed.
fn assert_all_allowed(requests: &[RecordedRequest], grants: &Grants, cases: &[Case]) {
    let (own, theirs): (Vec<_>, Vec<_>) = requests
        .iter()
        .partition(|r| r.method == "POST" && r.resource.as_deref() == Some("sealedsecrets"));
    assert_eq!(own.len(), cases.len());
    let denied: Vec<String> = theirs
        .into_iter()
        .flat_map(accesses)
        .filter(|a| !grants.allow(a))
        .map(|a| a.to_string())
        .collect();
    assert!(
        denied.is_empty(),
        "the controller made requests its RBAC denies:\n{}",
        denied.join("\n")
    );
}

async fn run_with_installed_rbac(rendered: &str, labels: &[(&str, &str)]) {
    let Some(kubectl) = kubectl() else { return };
    let objects = documents(rendered);
    let deployment = one(&objects, "Deployment");
    let cluster = Cluster::start(kubectl).await;
    let cases = install(&cluster, rendered, deployment).await;
    let grants = controller_grants(&objects, deployment);

    cluster.dc.clear_requests();
    let mut controller = Controller::start(&cluster, deployment);
    exercise(&cluster, &controller, deployment, &cases, labels).await;
    assert!(
        controller.terminate(),
        "SIGTERM: not a clean exit\n{}",
        controller.logs()
    );
    assert_all_allowed(&cluster.dc.requests(), &grants, &cases);

    for case in &cases {
        let jsonpath = "jsonpath={.data.password}";
        let data = cluster.kubectl(
            &["get", "secret", case.name, "-n", "app", "-o", jsonpath],
            None,
        );
        let value = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .expect("base64");
        assert_eq!(value, case.value().as_bytes());
    }
}

/// deploy/bitnami: deploy/ plus --bitnami, so both SealedSecret groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kustomize_deployment_runs_with_only_the_rbac_it_installs() {
    let Some(kubectl) = kubectl() else { return };
    let rendered = run(
        Command::new(&kubectl)
            .arg("kustomize")
            .arg(root().join("deploy/bitnami")),
        None,
    );
    run_with_installed_rbac(&rendered, &[]).await;
}

/// A shard of the chart (its own name, ServiceAccount, selector and lease), without Bitnami.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helm_shard_runs_with_only_the_rbac_it_installs() {
    let rendered = helm_template(&[
        "fullnameOverride=sealsync-a",
        "serviceAccount.name=sealsync-a-sa",
        "controller.selector=shard=a",
        "controller.keySize=2048",
        "controller.leaseDuration=5s",
        "controller.logFormat=text",
    ]);
    run_with_installed_rbac(&rendered, &[("shard", "a")]).await;
}
