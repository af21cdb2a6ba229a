//! Sealing through the binary: input and output forms, scopes, API groups, the template,
//! raw values, merges, certificates from files and URLs, and environment fallbacks.

mod common;

use common::*;
use sealsync_core::api::Api;
use sealsync_core::crypto::Scope;

#[test]
fn seals_stdin_to_yaml_with_template_and_string_data_winning() {
    let fx = Fixture::new();
    let out = fx.seal_ok(SECRET_YAML, &[]);
    assert!(out.starts_with("---\napiVersion: sealsync.io/v1alpha1\nkind: SealedSecret\n"));
    assert_no_plaintext(out.as_bytes());
    let sealed = &sealed_docs(&out)[0];
    let values = open_all(sealed, &fx.key);
    assert_eq!(values["password"], b"s3cr3t-Passw0rd", "stringData wins");
    assert_eq!(values["username"], b"admin");
    assert_eq!(values["token"], b"hunter2-token");
    let template = sealed.spec.template.as_ref().unwrap();
    assert_eq!(template.metadata.labels["app"], "db");
    assert_eq!(
        template.metadata.annotations.keys().collect::<Vec<_>>(),
        ["team"],
        "both last-applied annotations are stripped"
    );
    assert!(
        template.metadata.other.is_empty(),
        "server fields are stripped"
    );
    assert_eq!(template.type_.as_deref(), Some("kubernetes.io/basic-auth"));
    assert_eq!(template.immutable, Some(true));
    insta::with_settings!({filters => sealed_filters()}, {
        insta::assert_snapshot!("sealed_yaml", out);
    });
}

#[test]
fn reads_a_file_and_writes_json_when_asked_or_implied() {
    let fx = Fixture::new();
    fx.write("secret.yaml", SECRET_YAML);
    let json = fx.seal_ok("", &["-f", "secret.yaml", "-o", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    assert_eq!(value["kind"], "SealedSecret");

    fx.seal_ok(SECRET_YAML, &["-w", "out.json"]);
    serde_json::from_str::<serde_json::Value>(&fx.read("out.json")).expect("-w .json is JSON");
    fx.seal_ok(SECRET_YAML, &["-w", "out.yml"]);
    assert!(fx.read("out.yml").starts_with("---\n"));
    fx.seal_ok(SECRET_YAML, &["-w", "forced.json", "-o", "yaml"]);
    assert!(
        fx.read("forced.json").starts_with("---\n"),
        "-o wins over the extension"
    );
    fx.seal_ok(
        SECRET_YAML,
        &["--sealed-secret-file", "long.yaml", "--secret-file", "-"],
    );
    assert_eq!(sealed_docs(&fx.read("long.yaml")).len(), 1);
}

#[test]
fn json_input_and_several_documents() {
    let fx = Fixture::new();
    let json_input = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a","namespace":"n"},"stringData":{"k":"ZAPHOD-beeblebrox"}}
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"b","namespace":"n"},"stringData":{"k":"hunter2-token"}}"#;
    let out = fx.seal_ok(json_input, &[]);
    let docs = sealed_docs(&out);
    assert_eq!(docs.len(), 2);
    assert_eq!(open_all(&docs[1], &fx.key)["k"], b"hunter2-token");

    let yaml_input = format!(
        "{SECRET_YAML}---\n# a comment-only document\n---\n{}",
        SECRET_YAML.replace("name: db", "name: web")
    );
    let docs = sealed_docs(&fx.seal_ok(&yaml_input, &["-o", "json"]));
    let names: Vec<_> = docs
        .iter()
        .map(|d| d.metadata.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["db", "web"]);
}

#[test]
fn every_scope_sets_annotations_on_both_levels_and_its_label() {
    let fx = Fixture::new();
    for scope in Scope::ALL {
        let out = fx.seal_ok(SECRET_YAML, &["--scope", scope.as_str()]);
        let sealed = &sealed_docs(&out)[0];
        assert_eq!(Scope::from_annotations(&sealed.metadata.annotations), scope);
        let template = sealed.spec.template.as_ref().unwrap();
        assert_eq!(
            Scope::from_annotations(&template.metadata.annotations),
            scope
        );
        let label = scope.label("prod", "db");
        let value = &sealed.spec.encrypted_data["token"];
        let keys = std::slice::from_ref(&fx.key);
        assert!(
            sealsync_core::crypto::open_base64(keys, value, &label).is_ok(),
            "{scope}"
        );
        if scope != Scope::ClusterWide {
            assert!(
                sealsync_core::crypto::open_base64(keys, value, b"").is_err(),
                "{scope}"
            );
        }
    }
}

#[test]
fn scope_defaults_to_the_input_annotation() {
    let fx = Fixture::new();
    let input = SECRET_YAML.replace(
        "    team: payments\n",
        "    team: payments\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
    );
    let sealed = &sealed_docs(&fx.seal_ok(&input, &[]))[0];
    assert_eq!(
        Scope::from_annotations(&sealed.metadata.annotations),
        Scope::NamespaceWide
    );
    let keys = std::slice::from_ref(&fx.key);
    assert!(
        sealsync_core::crypto::open_base64(keys, &sealed.spec.encrypted_data["token"], b"prod")
            .is_ok()
    );
}

#[test]
fn name_and_namespace_fill_in_what_the_input_lacks() {
    let fx = Fixture::new();
    let input = "apiVersion: v1\nkind: Secret\nmetadata: {}\nstringData:\n  k: ZAPHOD-beeblebrox\n";
    let out = fx.seal_ok(input, &["--name", "api", "--namespace", "dev"]);
    let sealed = &sealed_docs(&out)[0];
    assert_eq!(sealed.metadata.name(), Some("api"));
    assert_eq!(sealed.metadata.namespace(), Some("dev"));
    assert_eq!(open_all(sealed, &fx.key)["k"], b"ZAPHOD-beeblebrox");
    let out = fx.seal_ok(input, &["--name", "api", "-n", "dev"]);
    assert_eq!(sealed_docs(&out)[0].metadata.namespace(), Some("dev"));
}

#[test]
fn name_replaces_the_input_name_as_kubeseal_does() {
    let fx = Fixture::new();
    let out = fx.seal_ok(SECRET_YAML, &["--name", "db-copy"]);
    let sealed = &sealed_docs(&out)[0];
    assert_eq!(sealed.metadata.name(), Some("db-copy"));
    let template = sealed.spec.template.as_ref().unwrap();
    assert_eq!(template.metadata.name(), Some("db-copy"));
    assert_eq!(label_of(sealed), b"prod/db-copy");
    assert_eq!(open_all(sealed, &fx.key)["token"], b"hunter2-token");
}

#[test]
fn api_flag_chooses_the_group() {
    let fx = Fixture::new();
    for api in Api::ALL {
        let sealed = &sealed_docs(&fx.seal_ok(SECRET_YAML, &["--api", api.as_str()]))[0];
        assert_eq!(sealed.api_version, api.api_version());
    }
}

#[test]
fn allow_empty_data_seals_an_empty_secret() {
    let fx = Fixture::new();
    let input = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\n  namespace: n\n";
    let out = fx.seal_ok(input, &["--allow-empty-data"]);
    assert!(sealed_docs(&out)[0].spec.encrypted_data.is_empty());
}

#[test]
fn raw_prints_bare_base64_for_the_scope() {
    let fx = Fixture::new();
    fx.write("value.txt", "ZAPHOD-beeblebrox");
    let keys = std::slice::from_ref(&fx.key);
    let out = fx.seal_ok(
        "",
        &[
            "--raw",
            "--name",
            "db",
            "--namespace",
            "prod",
            "--from-file",
            "value.txt",
        ],
    );
    assert!(!out.ends_with('\n'), "no trailing newline");
    assert!(!out.contains(char::is_whitespace));
    let opened = sealsync_core::crypto::open_base64(keys, &out, b"prod/db").unwrap();
    assert_eq!(&opened.plaintext[..], b"ZAPHOD-beeblebrox");

    let out = fx.seal_ok(
        "hunter2-token",
        &["--raw", "--scope", "namespace-wide", "--namespace", "prod"],
    );
    assert!(sealsync_core::crypto::open_base64(keys, &out, b"prod").is_ok());
    let out = fx.seal_ok(
        "",
        &[
            "--raw",
            "--scope",
            "cluster-wide",
            "--from-file",
            "password=value.txt",
        ],
    );
    assert!(sealsync_core::crypto::open_base64(keys, &out, b"").is_ok());
}

#[test]
fn merge_into_adds_and_replaces_keeping_everything_else() {
    let fx = Fixture::new();
    let first = fx.seal_ok(SECRET_YAML, &[]);
    // A field seal does not model must survive the merge.
    fx.write(
        "db.yaml",
        &format!("{first}status:\n  observedGeneration: 3\n"),
    );
    let before = sealed_docs(&fx.read("db.yaml")).remove(0);
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    tier: backend\nstringData:\n  token: ZAPHOD-beeblebrox\n  extra: more\n";
    let out = fx.seal_ok(update, &["--merge-into", "db.yaml"]);
    assert!(out.is_empty(), "the file is updated in place");
    let after = sealed_docs(&fx.read("db.yaml")).remove(0);
    assert_eq!(after.other["status"]["observedGeneration"], 3);
    assert_eq!(
        after.spec.encrypted_data["username"],
        before.spec.encrypted_data["username"]
    );
    let values = open_all(&after, &fx.key);
    assert_eq!(values["token"], b"ZAPHOD-beeblebrox");
    assert_eq!(values["extra"], b"more");
    assert_eq!(values["password"], b"s3cr3t-Passw0rd");
    let labels = &after.spec.template.as_ref().unwrap().metadata.labels;
    assert_eq!(labels["tier"], "backend");
    assert_eq!(labels["app"], "db");

    // A JSON file stays JSON.
    fx.write("db.json", &fx.seal_ok(SECRET_YAML, &["-o", "json"]));
    fx.seal_ok(update, &["--merge-into", "db.json"]);
    let merged: serde_json::Value = serde_json::from_str(&fx.read("db.json")).unwrap();
    assert!(merged["spec"]["encryptedData"]["extra"].is_string());
}

#[test]
fn merge_into_seals_for_the_file_identity_as_kubeseal_does() {
    let fx = Fixture::new();
    fx.write("db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\n  namespace: dev\nstringData:\n  extra: more\n";
    let out = fx
        .seal()
        .arg("--cert")
        .arg(fx.cert())
        .args(["--merge-into", "db.yaml"])
        .write_stdin(update)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: sealed for db.yaml's identity, not the input's: name \"web\" → \"db\", namespace \"dev\" → \"prod\""),
        "{stderr}"
    );
    let merged = sealed_docs(&fx.read("db.yaml")).remove(0);
    assert_eq!(merged.metadata.name.as_deref(), Some("db"));
    assert_eq!(merged.metadata.namespace.as_deref(), Some("prod"));
    let values = open_all(&merged, &fx.key);
    assert_eq!(values["extra"], b"more");
    assert_eq!(values["token"], b"hunter2-token");

    // The same identity, or none: no note.
    let quiet = "apiVersion: v1\nkind: Secret\nstringData:\n  more: yes\n";
    let out = fx
        .seal()
        .arg("--cert")
        .arg(fx.cert())
        .args(["--merge-into", "db.yaml"])
        .write_stdin(quiet)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"));
}

/// kubectl's connection flags as kubeseal scripts pass them.
const CLUSTER_FLAGS: [&str; 20] = [
    "--kubeconfig=/nonexistent/kubeconfig",
    "--context=prod",
    "--cluster",
    "prod-cluster",
    "--user=admin",
    "-s",
    "https://127.0.0.1:6443",
    "--token=not-a-real-token",
    "--as=jane",
    "--as-group=devs",
    "--as-group=ops",
    "--insecure-skip-tls-verify",
    "--request-timeout=30s",
    "--certificate-authority=ca.crt",
    "--client-certificate=client.crt",
    "--client-key=client.key",
    "--controller-namespace=sealed-secrets",
    "--controller-name=sealed-secrets",
    "--tls-server-name=api.example",
    "--as-uid=1000",
];

#[test]
fn kubectl_connection_flags_are_accepted_and_unused_with_a_cert() {
    let fx = Fixture::new();
    let out = fx.seal_ok(SECRET_YAML, &CLUSTER_FLAGS);
    assert_eq!(
        open_all(&sealed_docs(&out)[0], &fx.key)["token"],
        b"hunter2-token"
    );

    // Without --cert or --controller-url they pick the cluster: here a context that the
    // (missing) kubeconfig does not have, said so without echoing the token.
    let out = fx
        .seal()
        .args(CLUSTER_FLAGS)
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "cannot fetch the certificate through the kubeconfig: the kubeconfig has no context"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("not-a-real-token"), "{stderr}");
}

#[test]
fn certificates_from_file_urls_http_and_the_controller() {
    let fx = Fixture::new();
    let pem = fx.read("keys/tls.crt");
    let server = HttpServer::start(vec![
        ("/v1/cert.pem", 200, pem.clone()),
        ("/certs/sealing.pem", 200, pem.clone()),
        ("/broken", 500, "boom".into()),
    ]);
    let file_url = format!("file://{}", fx.cert().display());
    let http_url = format!("{}/certs/sealing.pem", server.base);
    for cert in [file_url.as_str(), http_url.as_str()] {
        let out = fx
            .seal()
            .args(["--cert", cert])
            .write_stdin(SECRET_YAML)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        open_all(
            &sealed_docs(&String::from_utf8(out.stdout).unwrap())[0],
            &fx.key,
        );
    }
    let out = fx
        .seal()
        .args(["--controller-url", &format!("{}/", server.base)])
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let fetched = fx
        .seal()
        .args(["--fetch-cert", "--controller-url", &server.base])
        .output()
        .unwrap();
    assert!(fetched.status.success());
    assert_eq!(
        String::from_utf8(fetched.stdout).unwrap().trim(),
        pem.trim()
    );
    let printed = fx
        .seal()
        .arg("--fetch-cert")
        .arg("--cert")
        .arg(fx.cert())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap().trim(),
        pem.trim()
    );
    fx.seal()
        .args(["--fetch-cert", "--cert", &http_url, "-w", "fetched.pem"])
        .assert()
        .success();
    assert_eq!(fx.read("fetched.pem").trim(), pem.trim());

    let broken = fx
        .seal()
        .args(["--cert", &format!("{}/broken", server.base)])
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
    let stderr = String::from_utf8(broken.stderr).unwrap();
    assert!(
        stderr.contains("returned HTTP 500") && stderr.contains("hint: "),
        "{stderr}"
    );
}

#[test]
fn environment_variables_stand_in_for_flags() {
    let fx = Fixture::new();
    for var in ["SEAL_CERT", "SEALED_SECRETS_CERT"] {
        let out = fx
            .seal()
            .env(var, fx.cert())
            .write_stdin(SECRET_YAML)
            .output()
            .unwrap();
        assert!(out.status.success(), "{var}");
    }
    let out = fx
        .seal()
        .env("SEAL_CERT", fx.cert())
        .env("SEAL_FORMAT", "json")
        .env("SEAL_SCOPE", "cluster-wide")
        .env("SEAL_API", "bitnami")
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    let sealed = &sealed_docs(&String::from_utf8(out.stdout.clone()).unwrap())[0];
    assert!(out.stdout.starts_with(b"{"));
    assert_eq!(sealed.api_version, "bitnami.com/v1alpha1");
    assert_eq!(
        Scope::from_annotations(&sealed.metadata.annotations),
        Scope::ClusterWide
    );
    // A flag wins over its variable.
    let out = fx
        .seal()
        .env("SEAL_CERT", "/nonexistent.pem")
        .arg("--cert")
        .arg(fx.cert())
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// As kubeseal does, a Secret that names no namespace is sealed for the kubeconfig context's
/// namespace (`--context` picks another context), else for `default`; the input's own namespace
/// and `--namespace` win over both.
#[test]
fn a_missing_namespace_comes_from_the_kubeconfig_context_else_default() {
    let fx = Fixture::new();
    let no_ns = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  k: v\n";
    let namespace_of = |out: &str| sealed_docs(out)[0].metadata.namespace().map(str::to_owned);
    let out = fx.seal_ok(no_ns, &[]);
    assert_eq!(
        namespace_of(&out).as_deref(),
        Some("default"),
        "no kubeconfig: default"
    );
    assert!(
        open_all(&sealed_docs(&out)[0], &fx.key).contains_key("k"),
        "sealed for default/db"
    );

    fx.write(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    namespace: team-a\n- name: ops\n  context:\n    cluster: c\n    namespace: ops\n",
    );
    let kubeconfig = fx.path("kubeconfig");
    let run = |args: &[&str]| {
        let out = fx
            .seal()
            .args(["--cert", "keys/tls.crt"])
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .write_stdin(no_ns)
            .output()
            .expect("run seal");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    assert_eq!(namespace_of(&run(&[])).as_deref(), Some("team-a"));
    assert_eq!(
        namespace_of(&run(&["--context", "ops"])).as_deref(),
        Some("ops")
    );
    assert_eq!(
        namespace_of(&run(&["--namespace", "flag"])).as_deref(),
        Some("flag")
    );
    let own = fx.seal_ok(SECRET_YAML, &[]);
    assert_ne!(
        namespace_of(&own).as_deref(),
        Some("default"),
        "the input's own namespace wins"
    );
}
