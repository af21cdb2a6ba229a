//! The offline modes that use private keys: --recovery-unseal (PEM, key Secrets, Bitnami
//! backup Lists), --re-encrypt and --validate; and `seal keygen`.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use sealsync_core::crypto::{Certificate, KeyBits, PrivateKey};

fn key_secret_yaml(name: &str, key: &PrivateKey) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata:\n  name: {name}\n  namespace: kube-system\n  labels:\n    sealedsecrets.bitnami.com/sealed-secrets-key: active\ndata:\n  tls.crt: \"\"\n  tls.key: {}\n",
        STANDARD.encode(key_pem(key))
    )
}

fn unseal(fx: &Fixture, keys: &[&str], file: &str) -> std::process::Output {
    let mut cmd = fx.seal();
    cmd.args(["--recovery-unseal", "-f", file]);
    for k in keys {
        cmd.args(["--recovery-private-key", k]);
    }
    cmd.output().unwrap()
}

#[test]
fn recovery_unseal_prints_the_secret_with_base64_data() {
    let fx = Fixture::new();
    fx.write("db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    let out = unseal(&fx, &["keys/tls.key"], "db.yaml");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("---\napiVersion: v1\nkind: Secret\n"),
        "{text}"
    );
    assert!(text.contains("password: czNjcjN0LVBhc3N3MHJk"), "{text}");
    let secret = &secret_docs(&text)[0];
    assert_eq!(secret.metadata.name(), Some("db"));
    assert_eq!(secret.metadata.labels["app"], "db");
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/basic-auth"));
    assert_eq!(&secret.values().unwrap()["token"][..], b"hunter2-token");
    insta::assert_snapshot!("recovered_secret", text);

    let json = fx
        .seal()
        .args([
            "--recovery-unseal",
            "--recovery-private-key",
            "keys/tls.key",
            "-f",
            "db.yaml",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&json.stdout).expect("JSON");

    fx.seal()
        .args([
            "--recovery-unseal",
            "--recovery-private-key",
            "keys/tls.key",
            "-f",
            "db.yaml",
            "-w",
            "plain.json",
        ])
        .assert()
        .success()
        .stdout("");
    assert!(
        fx.read("plain.json").trim_start().starts_with('{'),
        "format from the extension"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(fx.path("plain.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a recovered Secret is readable by its owner only"
        );
    }
}

#[test]
fn recovery_keys_in_every_form() {
    let fx = Fixture::new();
    fx.write("db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    let stranger = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
    fx.write("stranger.key", &key_pem(&stranger));
    fx.write("pkcs8.key", fx.key.to_pkcs8_pem().as_str());
    fx.write(
        "key-secret.yaml",
        &key_secret_yaml("sealed-secrets-keyabc", &fx.key),
    );
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}\n- {}",
        serde_json::to_string(
            &sealsync_core::api::docs::parse_documents(&key_secret_yaml("old", &stranger)).unwrap()
                [0]
            .value
        )
        .unwrap(),
        serde_json::to_string(
            &sealsync_core::api::docs::parse_documents(&key_secret_yaml("new", &fx.key)).unwrap()
                [0]
            .value
        )
        .unwrap(),
    );
    fx.write("backup.yaml", &list);
    let backup_json = serde_json::to_string_pretty(
        &sealsync_core::api::docs::parse_documents(&list).unwrap()[0].value,
    )
    .unwrap();
    fx.write("backup.json", &backup_json);

    for keys in [
        vec!["pkcs8.key"],
        vec!["key-secret.yaml"],
        vec!["backup.yaml"],
        vec!["backup.json"],
        vec!["stranger.key,keys/tls.key"],
        vec!["stranger.key", "keys/tls.key"],
    ] {
        let out = unseal(&fx, &keys, "db.yaml");
        assert!(
            out.status.success(),
            "{keys:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_plaintext(&out.stderr);
    }
    let out = unseal(&fx, &["stranger.key"], "db.yaml");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing is printed when a value does not open"
    );
}

#[test]
fn re_encrypt_moves_values_to_the_new_certificate() {
    let fx = Fixture::new();
    fx.write("db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    fx.seal()
        .args(["keygen", "--out-dir", "new", "--bits", "2048"])
        .assert()
        .success();
    let new_key = PrivateKey::from_pem(fx.read("new/tls.key").as_bytes()).unwrap();

    let out = fx
        .seal()
        .args([
            "--re-encrypt",
            "--recovery-private-key",
            "keys/tls.key",
            "--cert",
            "new/tls.crt",
            "-f",
            "db.yaml",
            "-w",
            "db.new.yaml",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let old = sealed_docs(&fx.read("db.yaml")).remove(0);
    let new = sealed_docs(&fx.read("db.new.yaml")).remove(0);
    assert_eq!(new.spec.template, old.spec.template);
    assert_eq!(open_all(&new, &new_key), open_all(&old, &fx.key));

    // With only -f, the file is rewritten in place (kubeseal #405); --rotate is the old name.
    fx.seal()
        .args([
            "--rotate",
            "--recovery-private-key",
            "keys/tls.key",
            "--cert",
            "new/tls.crt",
            "-f",
            "db.yaml",
            "--api",
            "bitnami",
        ])
        .assert()
        .success()
        .stdout("");
    let rewritten = sealed_docs(&fx.read("db.yaml")).remove(0);
    assert_eq!(rewritten.api_version, "bitnami.com/v1alpha1");
    open_all(&rewritten, &new_key);
}

#[test]
fn validate_exits_zero_or_names_the_failing_keys() {
    let fx = Fixture::new();
    fx.write("db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    fx.seal()
        .args([
            "--validate",
            "--recovery-private-key",
            "keys/tls.key",
            "-f",
            "db.yaml",
        ])
        .assert()
        .success();

    let mut sealed = sealed_docs(&fx.read("db.yaml")).remove(0);
    tamper(sealed.spec.encrypted_data.get_mut("token").unwrap());
    fx.write(
        "tampered.yaml",
        &sealsync_core::api::docs::render(&sealed, sealsync_core::api::Format::Yaml).unwrap(),
    );
    let out = fx
        .seal()
        .args([
            "--validate",
            "--recovery-private-key",
            "keys/tls.key",
            "-f",
            "tampered.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: validation failed: prod/db: token\n"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "));
}

#[test]
fn keygen_writes_a_pkcs1_key_0600_and_a_certificate() {
    let fx = Fixture::new();
    fx.seal()
        .args(["keygen", "--out-dir", "k", "--cn", "sealsync-test"])
        .assert()
        .success();
    let key_text = fx.read("k/tls.key");
    assert!(key_text.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let key = PrivateKey::from_pem(key_text.as_bytes()).unwrap();
    assert_eq!(key.public_key().bits(), 4096, "4096 bits by default");
    let cert = Certificate::from_pem(fx.read("k/tls.crt").as_bytes()).unwrap();
    assert_eq!(
        cert.public_key().fingerprint(),
        key.public_key().fingerprint()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(fx.path("k/tls.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An existing key is never replaced without --force.
    let out = fx
        .seal()
        .args(["keygen", "--out-dir", "k", "--bits", "2048"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(fx.read("k/tls.key"), key_text);
    fx.seal()
        .args(["keygen", "--out-dir", "k", "--bits", "2048", "--force"])
        .assert()
        .success();
    assert_ne!(fx.read("k/tls.key"), key_text);
}

#[test]
fn a_list_of_sealed_secrets_and_the_key_from_the_environment() {
    let fx = Fixture::new();
    let first =
        serde_json::from_str::<serde_json::Value>(&fx.seal_ok(SECRET_YAML, &["-o", "json"]))
            .unwrap();
    let second = serde_json::from_str::<serde_json::Value>(&fx.seal_ok(
        &SECRET_YAML.replace("name: db", "name: web"),
        &["-o", "json"],
    ))
    .unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [first, second]});
    fx.write("list.json", &list.to_string());
    let out = fx
        .seal()
        .env("SEAL_RECOVERY_PRIVATE_KEY", fx.key_file())
        // A scope set for sealing in the environment does not get in the way of unsealing.
        .env("SEAL_SCOPE", "cluster-wide")
        .args(["--recovery-unseal", "-f", "list.json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secrets = secret_docs(&String::from_utf8(out.stdout).unwrap());
    let names: Vec<_> = secrets
        .iter()
        .map(|s| s.metadata.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["db", "web"]);
}

/// Issue 10, item 6: the values are opened on several threads; the result does not depend on
/// how many, and a failing value is named whatever thread met it.
#[test]
fn every_thread_count_gives_the_same_result() {
    let fx = Fixture::new();
    let mut docs = String::new();
    for i in 0..6 {
        let mut secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n  namespace: prod\nstringData:\n"
        );
        for k in 0..5 {
            secret.push_str(&format!("  k{k}: value-{i}-{k}\n"));
        }
        docs.push_str(&fx.seal_ok(&secret, &[]));
    }
    fx.write("many.yaml", &docs);
    let run = |mode: &str, threads: &str| {
        fx.seal()
            .args([
                mode,
                "--recovery-private-key",
                "keys/tls.key",
                "-f",
                "many.yaml",
            ])
            .args(["--threads", threads])
            .output()
            .unwrap()
    };
    let one = run("--recovery-unseal", "1");
    assert!(
        one.status.success(),
        "{}",
        String::from_utf8_lossy(&one.stderr)
    );
    for threads in ["2", "7", "64"] {
        let many = run("--recovery-unseal", threads);
        assert_eq!(one.stdout, many.stdout, "--threads {threads}");
        assert!(run("--validate", threads).status.success());
    }
    let secrets = secret_docs(&String::from_utf8(one.stdout).unwrap());
    assert_eq!(secrets.len(), 6);
    assert_eq!(&secrets[5].values().unwrap()["k4"][..], b"value-5-4");

    let mut broken = sealed_docs(&docs);
    tamper(broken[3].spec.encrypted_data.get_mut("k2").unwrap());
    let text =
        sealsync_core::api::docs::render_all(&broken, sealsync_core::api::Format::Yaml).unwrap();
    fx.write("many.yaml", &text);
    for threads in ["1", "3"] {
        let out = run("--validate", threads);
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("validation failed: prod/s3: k2"),
            "{stderr}"
        );
    }
}
