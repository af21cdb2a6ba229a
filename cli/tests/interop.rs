//! Interop with an independent implementation (Python `cryptography`, tests/python/interop.py),
//! through the binary, in both directions:
//! - what `seal` writes, Python opens, for every scope and both API groups, and only under the
//!   right label;
//! - what Python seals (YAML and JSON), `seal --recovery-unseal` opens, and only where it belongs.

mod common;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use sealsync_core::api::Api;
use sealsync_core::crypto::Scope;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/interop.py")
}

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("python3 runs; .ci/run installs `cryptography`")
}

const BINARY: [u8; 6] = [0x00, 0xff, 0xfe, 0x80, 0x0a, 0x00];

#[test]
fn python_opens_what_seal_writes_for_every_scope_and_api() {
    let fx = Fixture::new();
    let input = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ndata:\n  blob: {}\nstringData:\n  password: ZAPHOD-beeblebrox\n  empty: \"\"\n",
        STANDARD.encode(BINARY)
    );
    let expected = serde_json::json!({
        "blob": STANDARD.encode(BINARY),
        "password": STANDARD.encode("ZAPHOD-beeblebrox"),
        "empty": "",
    });
    fx.write("expected.json", &expected.to_string());
    for api in Api::ALL {
        for scope in Scope::ALL {
            let out = fx.seal_ok(
                &input,
                &[
                    "-o",
                    "json",
                    "--scope",
                    scope.as_str(),
                    "--api",
                    api.as_str(),
                ],
            );
            let file = format!("sealed-{api}-{scope}.json");
            fx.write(&file, &out);
            let key = fx.key_file();
            let res = python(&[
                "open",
                key.to_str().unwrap(),
                fx.path(&file).to_str().unwrap(),
                fx.path("expected.json").to_str().unwrap(),
            ]);
            assert!(
                res.status.success(),
                "{api} {scope}: {}{}",
                String::from_utf8_lossy(&res.stdout),
                String::from_utf8_lossy(&res.stderr)
            );
        }
    }
}

#[test]
fn python_refuses_a_value_moved_to_another_namespace_or_name() {
    let fx = Fixture::new();
    let expected = serde_json::json!({"token": STANDARD.encode("hunter2-token"), "password": STANDARD.encode("s3cr3t-Passw0rd"), "username": STANDARD.encode("admin")});
    fx.write("expected.json", &expected.to_string());
    let out = fx.seal_ok(SECRET_YAML, &["-o", "json"]);
    for (from, to) in [
        ("\"namespace\": \"prod\"", "\"namespace\": \"dev\""),
        ("\"name\": \"db\"", "\"name\": \"web\""),
    ] {
        // Move the top-level identity only: the first occurrence is the top-level metadata.
        let moved = out.replacen(from, to, 1);
        assert_ne!(moved, out);
        fx.write("moved.json", &moved);
        let res = python(&[
            "open",
            fx.key_file().to_str().unwrap(),
            fx.path("moved.json").to_str().unwrap(),
            fx.path("expected.json").to_str().unwrap(),
        ]);
        assert!(
            !res.status.success(),
            "a value moved with {to} must not open"
        );
        assert!(String::from_utf8_lossy(&res.stderr).contains("does not open"));
    }
}

#[test]
fn seal_opens_what_python_seals_in_yaml_and_json() {
    let fx = Fixture::new();
    let cert = fx.cert();
    let value = format!("password={}", STANDARD.encode("ZAPHOD-beeblebrox"));
    let blob = format!("blob={}", STANDARD.encode(BINARY));
    for api in ["sealsync", "bitnami"] {
        for scope in Scope::ALL {
            for format in ["yaml", "json"] {
                let res = python(&[
                    "seal",
                    cert.to_str().unwrap(),
                    format,
                    api,
                    scope.as_str(),
                    "db",
                    "prod",
                    &value,
                    &blob,
                ]);
                assert!(
                    res.status.success(),
                    "{}",
                    String::from_utf8_lossy(&res.stderr)
                );
                let file = format!("py-{api}-{scope}.{format}");
                fx.write(&file, &String::from_utf8(res.stdout).unwrap());
                let out = fx
                    .seal()
                    .args([
                        "--recovery-unseal",
                        "--recovery-private-key",
                        "keys/tls.key",
                        "-f",
                        &file,
                    ])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{file}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let secret = &secret_docs(&String::from_utf8(out.stdout).unwrap())[0];
                let values = secret.values().unwrap();
                assert_eq!(&values["password"][..], b"ZAPHOD-beeblebrox", "{file}");
                assert_eq!(&values["blob"][..], &BINARY, "{file}");
                assert_eq!(secret.metadata.labels["made-by"], "python");
                fx.seal()
                    .args([
                        "--validate",
                        "--recovery-private-key",
                        "keys/tls.key",
                        "-f",
                        &file,
                    ])
                    .assert()
                    .success();
            }
        }
    }
}

#[test]
fn seal_refuses_what_python_sealed_for_elsewhere() {
    let fx = Fixture::new();
    let value = format!("password={}", STANDARD.encode("ZAPHOD-beeblebrox"));
    let res = python(&[
        "seal",
        fx.cert().to_str().unwrap(),
        "json",
        "sealsync",
        "strict",
        "db",
        "prod",
        &value,
    ]);
    let text = String::from_utf8(res.stdout).unwrap();
    for (from, to) in [
        ("\"namespace\": \"prod\"", "\"namespace\": \"dev\""),
        ("\"name\": \"db\"", "\"name\": \"web\""),
    ] {
        fx.write("moved.json", &text.replacen(from, to, 1));
        let out = fx
            .seal()
            .args([
                "--recovery-unseal",
                "--recovery-private-key",
                "keys/tls.key",
                "-f",
                "moved.json",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "moved with {to}");
        assert!(out.stdout.is_empty());
        assert_no_plaintext(&out.stderr);
        assert!(String::from_utf8_lossy(&out.stderr).contains("could not be decrypted: password"));
    }
    // A namespace-wide claim on a strict value must not widen it either.
    let widened = text.replacen(
        "\"namespace\": \"prod\"",
        "\"namespace\": \"prod\", \"annotations\": {\"sealedsecrets.bitnami.com/namespace-wide\": \"true\"}",
        1,
    );
    fx.write("widened.json", &widened);
    fx.seal()
        .args([
            "--validate",
            "--recovery-private-key",
            "keys/tls.key",
            "-f",
            "widened.json",
        ])
        .assert()
        .code(1);
}
