//! Conformance: the real `kubectl` (found on PATH) against the `devcluster` binary. Each test
//! starts its own server and uses its own `--cache-dir`, so discovery runs every time.

#[path = "kubectl/fidelity.rs"]
mod fidelity;
#[path = "kubectl/kinds.rs"]
mod kinds;

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Kills the child process when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kubectl_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
        .expect("kubectl must be on PATH for the conformance tests (.ci/run installs it)")
}

/// A devcluster binary plus a kubectl configured for it.
struct Cluster {
    _server: ChildGuard,
    dir: tempfile::TempDir,
    kubectl: PathBuf,
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = Command::new(env!("CARGO_BIN_EXE_devcluster"))
            .args(["serve", "--listen", "127.0.0.1:0", "--kubeconfig"])
            .arg(&kubeconfig)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("devcluster starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let server = ChildGuard(child);
        let mut url = String::new();
        BufReader::new(stdout)
            .read_line(&mut url)
            .expect("devcluster prints its URL");
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "unexpected first line {url:?}"
        );
        assert!(
            kubeconfig.is_file(),
            "the kubeconfig is written before the URL is printed"
        );
        Cluster {
            _server: server,
            dir,
            kubectl: kubectl_path(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.kubectl);
        cmd.arg("--kubeconfig")
            .arg(self.dir.path().join("kubeconfig"))
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(args);
        cmd
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl runs");
        let mut input = child.stdin.take().expect("piped stdin");
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .expect("stdin");
        drop(input);
        child.wait_with_output().expect("kubectl finishes")
    }

    /// Runs kubectl, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, None)
    }

    fn ok_with(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            out.status.success(),
            "kubectl {args:?} failed\nstdout: {stdout}\nstderr: {stderr}"
        );
        stdout.into_owned()
    }

    /// Runs kubectl, asserts failure, returns stderr.
    fn fails(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "kubectl {args:?} should fail; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("kubectl -o json prints JSON")
    }

    fn write(&self, name: &str, content: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write manifest");
        p.to_string_lossy().into_owned()
    }

    /// Starts a long-running kubectl whose stdout lines arrive on the returned channel.
    fn spawn_lines(&self, args: &[&str]) -> (ChildGuard, mpsc::Receiver<String>) {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (ChildGuard(child), rx)
    }
}

/// Waits for a line that contains every needle (what kubectl prints is the judge).
fn expect_line(rx: &mpsc::Receiver<String>, needles: &[&str]) -> String {
    loop {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if needles.iter().all(|n| line.contains(n)) => return line,
            Ok(_) => continue,
            Err(e) => panic!("no line with {needles:?}: {e}"),
        }
    }
}

const ALL: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: demo
stringData:
  password: hunter2
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: demo
  labels: {tier: web}
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {tier: web}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: demo
spec:
  size: big
"#;

#[test]
fn server_side_apply_get_selectors_labels_and_patches() {
    let c = Cluster::start();
    let file = c.write("all.yaml", ALL);
    // As on a real cluster, the custom object cannot be validated before its CRD exists; the
    // rest is applied, and a second apply after the CRD is established takes the object too.
    let out = c.run(&["apply", "--server-side", "-f", &file], None);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied"
        ),
        "{stdout}"
    );
    c.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=30s",
    ]);
    let out = c.ok(&["apply", "--server-side", "-f", &file]);
    assert!(
        out.contains("widget.example.com/w1 serverside-applied"),
        "{out}"
    );

    let secret = c.json(&["get", "secret", "creds", "-n", "demo"]);
    assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
    assert_eq!(secret["type"], "Opaque");
    let cfg = c.json(&["get", "cm", "cfg", "-n", "demo"]);
    assert_eq!(cfg["data"]["a"], "1");
    assert_eq!(
        c.json(&["get", "deploy", "web", "-n", "demo"])["spec"]["template"]["spec"]["containers"]
            [0]["image"],
        "nginx:1.27"
    );
    assert_eq!(
        c.json(&["get", "wd", "w1", "-n", "demo"])["spec"]["size"],
        "big"
    );
    assert_eq!(c.json(&["get", "ns", "demo"])["status"]["phase"], "Active");
    let table = c.ok(&["get", "wd", "-n", "demo"]);
    assert!(
        table.contains("SIZE") && table.contains("w1") && table.contains("big"),
        "{table}"
    );
    let table = c.ok(&["get", "cm", "-n", "demo"]);
    assert!(table.contains("DATA") && table.contains("cfg"), "{table}");

    assert_eq!(
        c.ok(&[
            "get",
            "cm,deploy",
            "-n",
            "demo",
            "-l",
            "tier in (web)",
            "-o",
            "name"
        ])
        .lines()
        .count(),
        2
    );
    assert_eq!(
        c.ok(&["get", "cm", "-n", "demo", "-l", "tier=web", "-o", "name"])
            .trim(),
        "configmap/cfg"
    );
    assert_eq!(
        c.ok(&["get", "cm", "-n", "demo", "-l", "!tier", "-o", "name"])
            .trim(),
        ""
    );
    assert_eq!(
        c.ok(&["get", "cm", "-A", "-l", "tier notin (db)", "-o", "name"])
            .trim(),
        "configmap/cfg"
    );
    let wide = c.ok(&["get", "cm", "-A", "-l", "tier", "--show-labels"]);
    assert!(
        wide.contains("NAMESPACE") && wide.contains("demo") && wide.contains("tier=web"),
        "{wide}"
    );

    assert!(
        c.ok(&["label", "cm", "cfg", "-n", "demo", "owner=me"])
            .contains("labeled")
    );
    assert!(
        c.ok(&["annotate", "cm", "cfg", "-n", "demo", "note=hi"])
            .contains("annotated")
    );
    c.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=merge",
        "-p",
        r#"{"data":{"m":"1"}}"#,
    ]);
    c.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/j","value":"2"}]"#,
    ]);
    let again = c.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=merge",
        "-p",
        r#"{"data":{"m":"1"}}"#,
    ]);
    assert!(again.contains("patched (no change)"), "{again}");
    let cfg = c.json(&["get", "cm", "cfg", "-n", "demo"]);
    assert_eq!(
        (cfg["data"]["m"].as_str(), cfg["data"]["j"].as_str()),
        (Some("1"), Some("2"))
    );
    assert_eq!(cfg["metadata"]["labels"]["owner"], "me");
    assert_eq!(cfg["metadata"]["annotations"]["note"], "hi");

    assert!(
        c.ok(&["scale", "deploy", "web", "-n", "demo", "--replicas=3"])
            .contains("scaled")
    );
    let web = c.json(&["get", "deploy", "web", "-n", "demo"]);
    assert_eq!(web["spec"]["replicas"], 3);

    // Strict field validation (kubectl's default) names the unknown field.
    let typo = c.write("typo.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\n  namespace: demo\ndataa:\n  a: \"1\"\n");
    let err = c.fails(&["apply", "-f", &typo], None);
    assert!(
        err.contains("strict decoding error: unknown field \"dataa\""),
        "{err}"
    );

    // A second field manager conflicts, then takes the field with --force-conflicts.
    let other = c.write("other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: demo\ndata:\n  a: \"2\"\n");
    let err = c.fails(
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "-f",
            &other,
        ],
        None,
    );
    assert!(err.contains("conflict") && err.contains(".data.a"), "{err}");
    c.ok(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        &other,
    ]);
    assert_eq!(
        c.json(&["get", "cm", "cfg", "-n", "demo"])["data"]["a"],
        "2"
    );
}

#[test]
fn create_generators_client_side_apply_and_replace() {
    let c = Cluster::start();
    // `kubectl create <generator>` sends protobuf.
    c.ok(&["create", "namespace", "gen"]);
    c.ok(&[
        "create",
        "configmap",
        "lit",
        "-n",
        "gen",
        "--from-literal=k=v",
    ]);
    c.ok(&[
        "create",
        "secret",
        "generic",
        "sec",
        "-n",
        "gen",
        "--from-literal=pw=s3cret",
    ]);
    assert_eq!(c.json(&["get", "cm", "lit", "-n", "gen"])["data"]["k"], "v");
    assert_eq!(
        c.json(&["get", "secret", "sec", "-n", "gen"])["data"]["pw"],
        "czNjcmV0"
    );
    let dry = c.ok(&[
        "create",
        "configmap",
        "dry",
        "-n",
        "gen",
        "--from-literal=a=b",
        "--dry-run=server",
    ]);
    assert!(dry.contains("created (server dry run)"), "{dry}");
    assert!(
        c.fails(&["get", "cm", "dry", "-n", "gen"], None)
            .contains("NotFound")
    );
    c.ok(&[
        "create",
        "service",
        "clusterip",
        "web",
        "-n",
        "gen",
        "--tcp=80:8080",
    ]);
    let svc = c.ok(&["get", "svc", "web", "-n", "gen"]);
    assert!(
        svc.contains("ClusterIP") && svc.contains("10.96.") && svc.contains("80/TCP"),
        "{svc}"
    );
    let err = c.fails(
        &[
            "create",
            "configmap",
            "lit",
            "-n",
            "gen",
            "--from-literal=k=v",
        ],
        None,
    );
    assert!(err.contains("already exists"), "{err}");

    // Client-side apply: create, then a strategic-merge update that drops a key.
    let v1 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: gen\ndata:\n  a: \"1\"\n  b: \"2\"\n";
    let v2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: gen\n  labels:\n    app: demo\ndata:\n  a: \"1\"\n";
    assert!(
        c.ok_with(&["apply", "-f", "-"], Some(v1))
            .contains("configmap/app created")
    );
    assert!(
        c.ok_with(&["apply", "-f", "-"], Some(v2))
            .contains("configmap/app configured")
    );
    assert!(
        c.ok_with(&["apply", "-f", "-"], Some(v2))
            .contains("configmap/app unchanged")
    );
    let app = c.json(&["get", "cm", "app", "-n", "gen"]);
    assert!(app["data"].get("b").is_none(), "{app}");
    let last = app["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
        .as_str()
        .unwrap_or_default();
    assert!(
        last.starts_with("{\"apiVersion\":\"v1\"")
            && last.ends_with("}\n")
            && last.contains("\"labels\":{\"app\":\"demo\"}"),
        "{last:?}"
    );

    // Deployment client-side apply twice: the strategic merge keeps the container list keyed by name.
    let d1 = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: gen\nspec:\n  selector:\n    matchLabels: {app: d}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1\n";
    c.ok_with(&["apply", "-f", "-"], Some(d1));
    c.ok_with(
        &["apply", "-f", "-"],
        Some(&d1.replace("nginx:1", "nginx:2")),
    );
    let d = c.json(&["get", "deploy", "d", "-n", "gen"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:2"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // replace with a stale object.
    let mut stale = c.json(&["get", "cm", "lit", "-n", "gen"]);
    c.ok(&[
        "patch",
        "cm",
        "lit",
        "-n",
        "gen",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"w"}}"#,
    ]);
    stale["data"]["k"] = Value::from("stale");
    let stale_file = c.write("stale.json", &stale.to_string());
    let err = c.fails(&["replace", "-f", &stale_file], None);
    assert!(
        err.contains("Conflict") && err.contains("the object has been modified"),
        "{err}"
    );
}

#[test]
fn watch_prints_added_modified_and_deleted() {
    let c = Cluster::start();
    c.ok(&["create", "namespace", "w"]);
    c.ok(&[
        "create",
        "configmap",
        "first",
        "-n",
        "w",
        "--from-literal=a=1",
    ]);
    let (_watch, lines) = c.spawn_lines(&["get", "cm", "-n", "w", "-w", "--output-watch-events"]);
    expect_line(&lines, &["ADDED", "first"]);
    c.ok(&[
        "create",
        "configmap",
        "second",
        "-n",
        "w",
        "--from-literal=a=1",
    ]);
    expect_line(&lines, &["ADDED", "second"]);
    c.ok(&["label", "cm", "second", "-n", "w", "x=y"]);
    expect_line(&lines, &["MODIFIED", "second"]);
    c.ok(&["delete", "cm", "second", "-n", "w"]);
    expect_line(&lines, &["DELETED", "second"]);

    // A single object with -o json: kubectl swallows the synthetic ADDED of its resourceVersion=0
    // watch, so only changes made after the watch started print. It starts a moment after the
    // object is printed; label until a change shows up.
    let (_json_watch, json_lines) = c.spawn_lines(&[
        "get",
        "cm",
        "first",
        "-n",
        "w",
        "-w",
        "--output-watch-events",
        "-o",
        "json",
    ]);
    expect_line(&json_lines, &["\"type\":\"ADDED\""]);
    let modified = (0..30).any(|i| {
        c.ok(&[
            "label",
            "--overwrite",
            "cm",
            "first",
            "-n",
            "w",
            &format!("x=z{i}"),
        ]);
        std::iter::from_fn(|| json_lines.recv_timeout(Duration::from_secs(1)).ok())
            .any(|l| l.contains("\"type\":\"MODIFIED\""))
    });
    assert!(
        modified,
        "no MODIFIED event printed for the single-object watch"
    );
}

#[test]
fn deletion_waits_for_finalizers_and_namespaces_empty() {
    let c = Cluster::start();
    c.ok(&["create", "namespace", "d"]);
    c.ok(&["create", "configmap", "plain", "-n", "d"]);
    assert!(
        c.ok(&["delete", "cm", "plain", "-n", "d", "--wait"])
            .contains("deleted")
    );
    assert!(
        c.fails(&["get", "cm", "plain", "-n", "d"], None)
            .contains("NotFound")
    );

    let held = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: d\n  finalizers: [example.com/hold]\n";
    c.ok_with(&["apply", "--server-side", "-f", "-"], Some(held));
    c.ok(&["delete", "cm", "held", "-n", "d", "--wait=false"]);
    let obj = c.json(&["get", "cm", "held", "-n", "d"]);
    assert!(obj["metadata"]["deletionTimestamp"].is_string(), "{obj}");
    // `kubectl wait --for=delete` ends when the finalizer is removed.
    let (mut waiter, _) = c.spawn_lines(&[
        "wait",
        "--for=delete",
        "cm/held",
        "-n",
        "d",
        "--timeout=60s",
    ]);
    c.ok(&[
        "patch",
        "cm",
        "held",
        "-n",
        "d",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    let status = waiter.0.wait().expect("kubectl wait ends");
    assert!(status.success());
    assert!(
        c.fails(&["get", "cm", "held", "-n", "d"], None)
            .contains("NotFound")
    );

    c.ok(&["create", "configmap", "inside", "-n", "d"]);
    assert!(c.ok(&["delete", "namespace", "d"]).contains("deleted"));
    assert!(
        c.fails(&["get", "namespace", "d"], None)
            .contains("NotFound")
    );
    assert!(
        c.fails(&["get", "cm", "inside", "-n", "d"], None)
            .contains("NotFound")
    );
}

#[test]
fn kubeconfig_is_usable_on_its_own() {
    let c = Cluster::start();
    let version = c.ok(&["version", "-o", "json"]);
    let v: Value = serde_json::from_str(&version).expect("json");
    assert_eq!(v["serverVersion"]["minor"], "32");
    let ns = c.ok(&["get", "ns"]);
    assert!(ns.contains("default") && ns.contains("Active"), "{ns}");
    let resources = c.ok(&["api-resources"]);
    assert!(
        resources.contains("configmaps") && resources.contains("deployments"),
        "{resources}"
    );
}

#[test]
fn simulated_workloads_let_rollout_status_finish() {
    let c = Cluster::start_with(&["--simulate-workloads"]);
    c.ok(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=2",
    ]);
    let out = c.ok(&["rollout", "status", "deployment/web", "--timeout=30s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    c.ok(&["scale", "deployment", "web", "--replicas=3"]);
    let d = c.json(&["get", "deployment", "web"]);
    assert_eq!(d["status"]["availableReplicas"], 3);
    assert_eq!(
        d["status"]["observedGeneration"],
        d["metadata"]["generation"]
    );
    let table = c.ok(&["get", "deployment", "web"]);
    assert!(table.contains("3/3"), "{table}");
}

/// A `kind: List` file, as `kubectl get -o yaml` writes it: kubectl validates its items on the
/// client against `/openapi/v2`, for `create -f` and `apply -f` alike.
#[test]
fn apply_and_create_of_a_kind_list_file() {
    let c = Cluster::start();
    c.ok(&["create", "configmap", "one", "--from-literal=a=1"]);
    c.ok(&["create", "configmap", "two", "--from-literal=b=2"]);
    let listed = c.ok(&["get", "configmap", "one", "two", "-o", "yaml"]);
    assert!(listed.contains("kind: List"), "{listed}");
    let file = c.write("list.yaml", &listed);
    c.ok(&["delete", "configmap", "one", "two"]);

    let created = c.ok(&["create", "-f", &file]);
    assert!(
        created.contains("configmap/one created") && created.contains("configmap/two created"),
        "{created}"
    );
    assert_eq!(c.json(&["get", "cm", "two"])["data"]["b"], "2");

    // Get, edit, apply (the file carries the current resourceVersions and uids).
    let current = c.ok(&["get", "configmap", "one", "two", "-o", "yaml"]);
    let changed = c.write(
        "changed.yaml",
        &current.replace("a: \"1\"", "a: \"changed\""),
    );
    let applied = c.ok(&["apply", "-f", &changed]);
    assert!(
        applied.contains("configmap/one configured") && applied.contains("configmap/two"),
        "{applied}"
    );
    assert_eq!(c.json(&["get", "cm", "one"])["data"]["a"], "changed");

    let fresh = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: three}\n  data: {c: \"3\"}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: four}\n  stringData: {d: \"4\"}\n";
    let fresh = c.write("fresh.yaml", fresh);
    let applied = c.ok(&["apply", "-f", &fresh]);
    assert!(
        applied.contains("configmap/three created") && applied.contains("secret/four created"),
        "{applied}"
    );
}
