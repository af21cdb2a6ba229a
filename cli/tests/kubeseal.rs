//! kubeseal scripts, run unchanged against a `kubeseal` symlink to `seal`.
//!
//! Each script is written the way kubeseal's own README writes it (bitnami-labs/sealed-secrets
//! README.md, "Usage", "Update existing secrets", "Raw mode", "Scopes", "How to use kubeseal if
//! the controller is not running within the kube-system namespace"). The outputs are compared
//! field by field with what kubeseal's source (cmd/kubeseal/main.go, pkg/kubeseal/kubeseal.go,
//! `NewSealedSecret`) produces for the same input, with one deliberate difference:
//! kubeseal writes `creationTimestamp: null` in both metadata blocks (a zero `metav1.Time`), which
//! `seal` leaves out (it upsets Argo CD diffs, argo-cd#1009).
//!
//! The certificate comes from `SEALED_SECRETS_CERT`, kubeseal's own variable for `--cert`, as a
//! cluster is not reachable here. The kubeconfig's context namespace is `team-a`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use sealsync_core::crypto::{self, Scope};
use serde_json::{Value, json};

const KUBECONFIG: &str = "apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context:
    cluster: c
    user: u
    namespace: team-a
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:1
users:
- name: u
  user:
    token: t
";

/// A directory with keys, a kubeconfig, and `bin/kubeseal` → the `seal` binary.
struct Kubeseal {
    fx: Fixture,
    bin: PathBuf,
}

impl Kubeseal {
    fn new() -> Option<Kubeseal> {
        if !kubectl_available() {
            return None;
        }
        let fx = Fixture::new();
        fx.write("kubeconfig", KUBECONFIG);
        let bin = fx.path("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_seal"), bin.join("kubeseal")).unwrap();
        Some(Kubeseal { fx, bin })
    }

    /// Runs `script` with `sh -e` in the directory, `kubeseal` and kubectl on the PATH.
    fn run(&self, script: &str) -> Output {
        self.run_with(script, &[])
    }

    fn run_with(&self, script: &str, env: &[(&str, &str)]) -> Output {
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin.display());
        let mut cmd = seal_bin_env(std::process::Command::new("sh"));
        cmd.args(["-ec", script])
            .current_dir(self.fx.dir.path())
            .env("PATH", path)
            .env("HOME", self.fx.dir.path())
            .env("KUBECONFIG", self.fx.path("kubeconfig"))
            .env("SEALED_SECRETS_CERT", self.fx.cert());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_no_plaintext(&out.stderr);
        out
    }

    /// Runs `script`, which must succeed; returns its stdout.
    fn ok(&self, script: &str) -> String {
        let out = self.run(script);
        assert!(
            out.status.success(),
            "{script}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn read(&self, name: &str) -> String {
        self.fx.read(name)
    }

    /// Opens every value of a JSON SealedSecret under `label` and replaces it by its plaintext,
    /// so the document can be compared whole.
    fn opened(&self, text: &str, label: &[u8]) -> Value {
        let mut doc: Value = serde_json::from_str(text).expect("kubeseal writes JSON");
        let values = doc["spec"]["encryptedData"]
            .as_object_mut()
            .expect("encryptedData");
        for value in values.values_mut() {
            let sealed = value.as_str().unwrap();
            let opened =
                crypto::open_base64(std::slice::from_ref(&self.fx.key), sealed, label).unwrap();
            *value = Value::String(String::from_utf8(opened.plaintext.to_vec()).unwrap());
        }
        doc
    }
}

/// kubectl is needed to make the input, as kubeseal's README does. CI installs it; a local run
/// without it skips, saying so.
fn kubectl_available() -> bool {
    let found = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl must be on the PATH in CI"
        );
        eprintln!("skipped: kubectl is not on the PATH");
    }
    found
}

/// What kubeseal's `NewSealedSecret` writes for a strict Secret `name` in `namespace` with
/// `values`, after `resourceOutput` (JSON), less `creationTimestamp: null`.
fn kubeseal_strict(name: &str, namespace: &str, values: Value) -> Value {
    json!({
        "kind": "SealedSecret",
        "apiVersion": "bitnami.com/v1alpha1",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "template": {"metadata": {"name": name, "namespace": namespace}},
            "encryptedData": values
        }
    })
}

#[test]
fn readme_usage_seals_a_file_into_json_for_the_context_namespace() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("echo -n bar | kubectl create secret generic mysecret --dry-run=client --from-file=foo=/dev/stdin -o json >mysecret.json
kubeseal -f mysecret.json -w mysealedsecret.json");
    let text = k.read("mysealedsecret.json");
    assert!(text.starts_with("{\n  \""), "pretty JSON: {text}");
    assert!(text.ends_with("}\n"), "one newline after the object");
    assert_eq!(
        k.opened(&text, b"team-a/mysecret"),
        kubeseal_strict("mysecret", "team-a", json!({"foo": "bar"}))
    );
    assert!(!text.contains("creationTimestamp"));
}

#[test]
fn pipes_and_formats_as_kubeseal_writes_them() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json >mysecret.json");
    let json_out = k.ok("kubeseal < mysecret.json > mysealedsecret.json; cat mysealedsecret.json");
    assert_eq!(
        k.opened(&json_out, b"team-a/mysecret"),
        kubeseal_strict("mysecret", "team-a", json!({"foo": "bar"}))
    );
    // --format yaml, -o in any case: YAML prefixed with `---`.
    for flag in ["--format yaml", "-o YAML", "-o Yaml"] {
        let yaml = k.ok(&format!("kubeseal {flag} < mysecret.json"));
        assert!(
            yaml.starts_with("---\napiVersion: bitnami.com/v1alpha1\n"),
            "{flag}: {yaml}"
        );
        let doc = &sealed_docs(&yaml)[0];
        assert_eq!(open_all(doc, &k.fx.key)["foo"], b"bar");
    }
    // `-o ""` is the default: JSON.
    assert!(k.ok("kubeseal -o '' < mysecret.json").starts_with('{'));
    // -w: .yaml and .yml (exactly) force YAML even over -o json; any other name gives -o's
    // format, JSON by default.
    k.ok("kubeseal -o json -w out.yaml < mysecret.json
kubeseal -w out.yml < mysecret.json
kubeseal -w out.YAML < mysecret.json
kubeseal -w out.txt < mysecret.json
kubeseal -o yaml -w out.sealed < mysecret.json");
    for (file, yaml) in [
        ("out.yaml", true),
        ("out.yml", true),
        ("out.YAML", false),
        ("out.txt", false),
        ("out.sealed", true),
    ] {
        assert_eq!(k.read(file).starts_with("---\n"), yaml, "{file}");
    }
    let err = k.run("kubeseal -o toml < mysecret.json");
    assert_eq!(err.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&err.stderr).contains("expected json or yaml"));
}

#[test]
fn several_secrets_in_one_stream_give_several_objects() {
    let Some(k) = Kubeseal::new() else { return };
    let out = k.ok(
        "{ kubectl create secret generic a --dry-run=client --from-literal=k=1 -o yaml
echo ---
kubectl create secret generic b -n prod --dry-run=client --from-literal=k=2 -o yaml; } | kubeseal",
    );
    let docs = sealed_docs(&out);
    let names: Vec<_> = docs
        .iter()
        .map(|d| (d.metadata.name().unwrap(), d.metadata.namespace().unwrap()))
        .collect();
    assert_eq!(names, [("a", "team-a"), ("b", "prod")]);
}

#[test]
fn readme_raw_mode_for_each_scope() {
    let Some(k) = Kubeseal::new() else { return };
    let key = std::slice::from_ref(&k.fx.key);
    for (script, label) in [
        (
            "echo -n foo | kubeseal --raw --namespace bar --name mysecret",
            &b"bar/mysecret"[..],
        ),
        (
            "echo -n foo | kubeseal --raw --namespace bar --scope namespace-wide",
            b"bar",
        ),
        ("echo -n foo | kubeseal --raw --scope cluster-wide", b""),
        // The context's namespace when -n is not given.
        (
            "echo -n foo | kubeseal --raw --name mysecret",
            b"team-a/mysecret",
        ),
    ] {
        let out = k.ok(script);
        assert!(!out.ends_with('\n'), "{script}: no newline");
        let opened = crypto::open_base64(key, &out, label).expect(script);
        assert_eq!(&opened.plaintext[..], b"foo", "{script}");
    }
    k.fx.write("value.txt", "from a file");
    for from in ["value.txt", "password=value.txt"] {
        let out = k.ok(&format!(
            "kubeseal --raw --from-file={from} --namespace bar --name mysecret"
        ));
        let opened = crypto::open_base64(key, &out, b"bar/mysecret").unwrap();
        assert_eq!(&opened.plaintext[..], b"from a file");
    }
    let two = k.run("kubeseal --raw --from-file value.txt,value.txt --name x");
    assert_eq!(two.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&two.stderr);
    assert!(
        stderr
            .contains("must provide only one --from-file when encrypting a single item with --raw"),
        "{stderr}"
    );
}

#[test]
fn readme_merge_into_updates_the_file_in_place() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("echo -n bar | kubectl create secret generic mysecret --dry-run=client --from-file=foo=/dev/stdin -o json \\
  | kubeseal > mysealedsecret.json
echo -n baz | kubectl create secret generic mysecret --dry-run=client --from-file=bar=/dev/stdin -o json \\
  | kubeseal --merge-into mysealedsecret.json");
    let text = k.read("mysealedsecret.json");
    assert_eq!(
        k.opened(&text, b"team-a/mysecret"),
        kubeseal_strict("mysecret", "team-a", json!({"foo": "bar", "bar": "baz"}))
    );
    // kubeseal rewrites the merged file in -o's format, JSON by default, whatever it held.
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o yaml | kubeseal -o yaml > m.yaml
kubectl create secret generic mysecret --dry-run=client --from-literal=more=x -o yaml | kubeseal --merge-into m.yaml");
    assert!(k.read("m.yaml").starts_with('{'));
}

#[test]
fn merge_into_takes_the_scope_of_the_input_or_flag_and_refuses_one_that_would_not_open() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic db --dry-run=client --from-literal=a=1 -o yaml | kubeseal --scope namespace-wide > ns.json");
    // The input's scope (strict here, kubeseal's default) is not the file's: kubeseal would
    // write a value that never opens; kubeseal mode refuses, naming the fix.
    let out = k.run(
        "kubectl create secret generic db --dry-run=client --from-literal=b=2 -o yaml | kubeseal --merge-into ns.json",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scope mismatch: the input is strict"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: pass --scope namespace-wide"),
        "{stderr}"
    );
    let before = k.read("ns.json");
    k.ok("kubectl create secret generic db --dry-run=client --from-literal=b=2 -o yaml | kubeseal --merge-into ns.json --scope namespace-wide");
    let after = sealed_docs(&k.read("ns.json")).remove(0);
    assert_ne!(before, k.read("ns.json"));
    assert_eq!(open_all(&after, &k.fx.key)["b"], b"2");
    // The scope annotation of the input works as --scope does.
    k.ok("kubectl create secret generic db --dry-run=client --from-literal=c=3 -o json \\
  | sed 's/\"name\": \"db\",/\"name\": \"db\", \"annotations\": {\"sealedsecrets.bitnami.com\\/namespace-wide\": \"true\"},/' \\
  | kubeseal --merge-into ns.json");
    let after = sealed_docs(&k.read("ns.json")).remove(0);
    assert_eq!(open_all(&after, &k.fx.key)["c"], b"3");
    // A conflicting -n is refused, as kubeseal refuses it.
    let out = k.run(
        "kubectl create secret generic db --dry-run=client --from-literal=d=4 -o yaml | kubeseal --merge-into ns.json --scope namespace-wide -n other",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("namespace mismatch"));
}

#[test]
fn readme_scopes_and_the_namespace_rules() {
    let Some(k) = Kubeseal::new() else { return };
    k.fx.write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: s3cr3t-Passw0rd\n",
    );
    k.ok("kubeseal --scope cluster-wide <secret.yaml >sealed-secret.json");
    let text = k.read("sealed-secret.json");
    let doc: Value = serde_json::from_str(&text).unwrap();
    // Cluster-wide: no namespace is filled in, the annotation is on both levels, label "".
    assert_eq!(doc["metadata"].get("namespace"), None, "{text}");
    let cw = json!({"sealedsecrets.bitnami.com/cluster-wide": "true"});
    assert_eq!(doc["metadata"]["annotations"], cw);
    assert_eq!(doc["spec"]["template"]["metadata"]["annotations"], cw);
    let sealed = &sealed_docs(&text)[0];
    assert_eq!(
        Scope::from_annotations(&sealed.metadata.annotations),
        Scope::ClusterWide
    );
    assert_eq!(open_all(sealed, &k.fx.key)["password"], b"s3cr3t-Passw0rd");
    // ... and -n is not checked against the input for a cluster-wide Secret.
    k.fx.write(
        "prod.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  k: v\n",
    );
    k.ok("kubeseal --scope cluster-wide -n other <prod.yaml >cw.json");
    assert_eq!(
        sealed_docs(&k.read("cw.json"))[0].metadata.namespace(),
        Some("prod")
    );
    // Strict: -n must match; kubectl's `ns/` forms are stripped as client-go strips them.
    let out = k.run("kubeseal -n other <prod.yaml");
    assert_eq!(out.status.code(), Some(1));
    for form in ["ns/prod", "namespace/prod", "Namespaces/prod"] {
        let out = k.ok(&format!("kubeseal -n {form} <secret.yaml"));
        assert_eq!(
            sealed_docs(&out)[0].metadata.namespace(),
            Some("prod"),
            "{form}"
        );
    }
    // seal itself does not strip: ns/prod is not a namespace.
    let out = k.run("seal_bin=$(readlink bin/kubeseal); \"$seal_bin\" -n ns/prod <secret.yaml");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--namespace"));
}

#[test]
fn readme_controller_namespace_from_the_environment() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json >mysecret.json");
    // With the certificate from SEALED_SECRETS_CERT, the controller's namespace has no effect,
    // and a flag says so; the variable (set for every run) stays quiet.
    let out =
        k.run("kubeseal --controller-namespace sealed-secrets <mysecret.json >mysealedsecret.json");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "note: --controller-namespace has no effect: the certificate comes from --cert, not the cluster\n"
    );
    let out = k.run_with(
        "kubeseal <mysecret.json >mysealedsecret.json",
        &[("SEALED_SECRETS_CONTROLLER_NAMESPACE", "sealed-secrets")],
    );
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // Without a certificate, the variable is where kubeseal (here: seal) looks.
    let out = k.run_with(
        "kubeseal <mysecret.json",
        &[
            ("SEALED_SECRETS_CERT", ""),
            ("SEALED_SECRETS_CONTROLLER_NAMESPACE", "sealed-secrets"),
            ("SEALED_SECRETS_REQUEST_TIMEOUT", "2s"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/api/v1/namespaces/sealed-secrets/configmaps/"),
        "{stderr}"
    );
}

#[test]
fn every_flag_reads_its_sealed_secrets_variable() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json >mysecret.json");
    let vars = [
        ("SEALED_SECRETS_FORMAT", "yaml"),
        ("SEALED_SECRETS_SCOPE", "namespace-wide"),
        ("SEALED_SECRETS_NAMESPACE", "ns/env-ns"),
        ("SEALED_SECRETS_NAME", "renamed"),
    ];
    let out = k.run_with("kubeseal <mysecret.json", &vars);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = &sealed_docs(&String::from_utf8(out.stdout).unwrap())[0];
    assert_eq!(doc.metadata.name(), Some("renamed"));
    assert_eq!(doc.metadata.namespace(), Some("env-ns"));
    assert_eq!(
        Scope::from_annotations(&doc.metadata.annotations),
        Scope::NamespaceWide
    );
    // Booleans too, in any form Go's ParseBool reads; the command line wins.
    let out = k.run_with(
        "echo -n v | kubeseal --name n",
        &[("SEALED_SECRETS_RAW", "T")],
    );
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stdout).unwrap().contains('{'));
    let out = k.run_with(
        "kubeseal --raw=false <mysecret.json",
        &[("SEALED_SECRETS_RAW", "true")],
    );
    assert!(String::from_utf8(out.stdout).unwrap().starts_with('{'));
    // A value its flag refuses names the variable.
    let out = k.run_with(
        "kubeseal <mysecret.json",
        &[("SEALED_SECRETS_ALLOW_EMPTY_DATA", "maybe")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: SEALED_SECRETS_ALLOW_EMPTY_DATA is not valid")
    );
}

#[test]
fn fetch_cert_recovery_unseal_re_encrypt_and_version() {
    let Some(k) = Kubeseal::new() else { return };
    let pem = k.ok("kubeseal --fetch-cert > mycert.pem; cat mycert.pem");
    assert_eq!(pem.trim(), k.read("keys/tls.crt").trim());
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json | kubeseal --cert mycert.pem > s.json");
    // --recovery-unseal prints the Secret as JSON, kubeseal's default.
    let secret = k.ok("kubeseal --recovery-unseal --recovery-private-key keys/tls.key < s.json");
    let doc: Value = serde_json::from_str(&secret).unwrap();
    assert_eq!(doc["kind"], "Secret");
    assert_eq!(doc["data"]["foo"], "YmFy");
    // --rotate: kubeseal's deprecation line, on stderr (kubeseal prints it on stdout).
    let out = k.run("kubeseal --rotate --recovery-private-key keys/tls.key -f s.json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Flag --rotate has been deprecated, please use --re-encrypt instead\n"
    );
    assert!(out.stdout.is_empty(), "-f alone rewrites the file in place");
    assert!(k.read("s.json").starts_with('{'));
    let version = k.ok("kubeseal --version");
    assert!(version.starts_with("kubeseal version: "), "{version}");
}

#[test]
fn kubeseal_compat_flag_is_the_same_as_the_name() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json >mysecret.json");
    let seal = Path::new(env!("CARGO_BIN_EXE_seal")).display().to_string();
    let by_flag = k.ok(&format!("{seal} --kubeseal-compat < mysecret.json"));
    let by_name = k.ok("kubeseal < mysecret.json");
    let plain = k.ok(&format!("{seal} < mysecret.json"));
    assert_eq!(
        k.opened(&by_flag, b"team-a/mysecret"),
        k.opened(&by_name, b"team-a/mysecret")
    );
    assert!(
        plain.starts_with("---\napiVersion: sealsync.io/v1alpha1\n"),
        "{plain}"
    );
}

/// A kubeconfig whose API server is `server`, with the context namespace `team-a`.
fn kubeconfig_for(server: &str) -> String {
    KUBECONFIG.replace("https://127.0.0.1:1", server)
}

#[test]
fn readme_validate_and_re_encrypt_go_through_the_api_servers_proxy() {
    let Some(k) = Kubeseal::new() else { return };
    k.ok("kubectl create secret generic mysecret --dry-run=client --from-literal=foo=bar -o json | kubeseal > my_sealed_secret.json");
    let mut rotated: Value = serde_json::from_str(&k.read("my_sealed_secret.json")).unwrap();
    rotated["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    rotated["metadata"]["generation"] = json!(3);
    let proxy = "/api/v1/namespaces/sealsync-system/services/http:sealsync:/proxy";
    let verify = format!("{proxy}/v1/verify");
    let rotate = format!("{proxy}/v1/rotate");
    let routes = vec![
        (leak(verify), 200, json!({"values": 1}).to_string()),
        (leak(rotate), 200, rotated.to_string()),
    ];
    let server = HttpServer::start(routes);
    k.fx.write("kubeconfig", &kubeconfig_for(&server.base));
    let out = k.run("cat my_sealed_secret.json | kubeseal --validate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    k.ok("kubeseal --re-encrypt <my_sealed_secret.json >tmp.json \\
  && mv tmp.json my_sealed_secret.json");
    let text = k.read("my_sealed_secret.json");
    assert!(text.starts_with('{'), "{text}");
    assert!(
        !text.contains("creationTimestamp") && !text.contains("generation"),
        "{text}"
    );
    assert_eq!(open_all(&sealed_docs(&text)[0], &k.fx.key)["foo"], b"bar");

    // The controller says a value does not open: exit 1, naming it.
    let refusing = HttpServer::start(vec![(
        "/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:/proxy/v1/verify",
        409,
        json!({"error": "foo does not open"}).to_string(),
    )]);
    k.fx.write("kubeconfig", &kubeconfig_for(&refusing.base));
    let out = k.run(
        "kubeseal --validate --controller-namespace kube-system --controller-name sealed-secrets-controller < my_sealed_secret.json",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("foo does not open"));
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
