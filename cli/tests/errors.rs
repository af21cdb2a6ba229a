//! Every bad input and failing flag combination: each prints `error: …` then `hint: …`, exits
//! with 1 (or 2 for flag syntax), never 101, never shows a plaintext value, and leaves the -w
//! file untouched. The messages are snapshots.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use sealsync_core::crypto::{KeyBits, KeyGenOptions, PrivateKey};

/// A case: a name, the arguments, stdin, and files to create first.
struct Case {
    name: &'static str,
    args: Vec<String>,
    stdin: String,
    env: Vec<(&'static str, &'static str)>,
}

fn case(name: &'static str, args: &[&str], stdin: &str) -> Case {
    Case {
        name,
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: stdin.to_owned(),
        env: Vec::new(),
    }
}

/// Files every case can refer to, all under the fixture directory.
fn prepare(fx: &Fixture) {
    fx.write("secret.yaml", SECRET_YAML);
    fx.write("sealed.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    let mut sealed = sealed_docs(&fx.read("sealed.yaml")).remove(0);
    tamper(sealed.spec.encrypted_data.get_mut("password").unwrap());
    fx.write(
        "tampered.yaml",
        &sealsync_core::api::docs::render(&sealed, sealsync_core::api::Format::Yaml).unwrap(),
    );
    let mut templated = sealed_docs(&fx.read("sealed.yaml")).remove(0);
    templated.template_mut().data = Some([("dsn".to_owned(), "{{ .password }}".to_owned())].into());
    fx.write(
        "templated.yaml",
        &sealsync_core::api::docs::render(&templated, sealsync_core::api::Format::Yaml).unwrap(),
    );
    let stranger = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
    fx.write("stranger.key", &key_pem(&stranger));
    let options = KeyGenOptions {
        bits: KeyBits::Rsa2048,
        common_name: "expired".into(),
        validity: Duration::from_secs(3600),
    };
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let expired = sealsync_core::crypto::keys::self_signed(&fx.key, &options, past).unwrap();
    fx.write("expired.crt", &expired.to_pem());
    fx.write("garbage.crt", "this is not a certificate\n");
    fx.write(
        "configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    fx.write("keys/existing/tls.key", "placeholder");
    fx.write("empty-list.yaml", EMPTY_LIST);
    // Encrypted keys as openssl writes them (bodies cut short: only the framing matters).
    fx.write(
        "encrypted.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    fx.write(
        "legacy-encrypted.key",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,A5DF10ADA6D319B1CD3E1C8551319355\n\nMAA=\n-----END RSA PRIVATE KEY-----\n",
    );
    fx.write("out.yaml", "ORIGINAL CONTENT\n");
}

const EMPTY_LIST: &str = "apiVersion: v1\nkind: List\nitems: []\n";

fn cases() -> Vec<Case> {
    let cert = "--cert=keys/tls.crt";
    let key = "--recovery-private-key=keys/tls.key";
    let mut env_case = case("bad_env_scope", &[cert], SECRET_YAML);
    env_case.env.push(("SEAL_SCOPE", "global"));
    vec![
        case(
            "malformed_yaml",
            &[cert],
            "apiVersion: v1\nkind: Secret\nstringData:\n  password: s3cr3t-Passw0rd\n  token: [hunter2-token\n",
        ),
        case(
            "malformed_json",
            &[cert],
            "{\"kind\": \"Secret\", \"stringData\": {\"password\": s3cr3t-Passw0rd}}",
        ),
        case("empty_input", &[cert], ""),
        case(
            "empty_list",
            &[cert],
            "apiVersion: v1\nkind: List\nitems: []\n",
        ),
        case(
            "list_without_items",
            &[cert],
            "{\"apiVersion\": \"v1\", \"kind\": \"List\"}",
        ),
        case(
            "list_items_not_an_array",
            &[cert],
            "apiVersion: v1\nkind: List\nitems:\n  kind: Secret\n",
        ),
        case(
            "validate_empty_list",
            &["--validate", key, "-f", "empty-list.yaml"],
            "",
        ),
        case(
            "unseal_empty_list",
            &["--recovery-unseal", key, "-f", "empty-list.yaml"],
            "",
        ),
        case(
            "not_a_secret",
            &[cert],
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  password: s3cr3t-Passw0rd\n",
        ),
        case(
            "strict_without_name",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: prod\nstringData:\n  password: s3cr3t-Passw0rd\n",
        ),
        case(
            "without_name",
            &[cert, "--scope", "cluster-wide"],
            "apiVersion: v1\nkind: Secret\nstringData:\n  password: s3cr3t-Passw0rd\n",
        ),
        case(
            "namespace_mismatch",
            &[cert, "--namespace", "dev"],
            SECRET_YAML,
        ),
        case(
            "data_not_base64",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\ndata:\n  password: s3cr3t-Passw0rd!\n",
        ),
        case(
            "value_not_string",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  pin: 1234567\n",
        ),
        case(
            "invalid_key",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  db password: s3cr3t-Passw0rd\n",
        ),
        case(
            "empty_data",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n",
        ),
        case("unreadable_cert", &["--cert", "missing.crt"], SECRET_YAML),
        case("garbage_cert", &["--cert", "garbage.crt"], SECRET_YAML),
        case("expired_cert", &["--cert", "expired.crt"], SECRET_YAML),
        case("no_cert_source", &[], SECRET_YAML),
        case("fetch_cert_from_cluster", &["--fetch-cert"], ""),
        case(
            "controller_unreachable",
            &["--controller-url", "http://127.0.0.1:1"],
            SECRET_YAML,
        ),
        case(
            "tampered_ciphertext",
            &["--recovery-unseal", key, "-f", "tampered.yaml"],
            "",
        ),
        case(
            "wrong_key",
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                "stranger.key",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "validate_wrong_key",
            &[
                "--validate",
                "--recovery-private-key",
                "stranger.key",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "unseal_a_plain_secret",
            &["--recovery-unseal", key, "-f", "secret.yaml"],
            "",
        ),
        case(
            "unseal_template_data",
            &["--recovery-unseal", key, "-f", "templated.yaml"],
            "",
        ),
        case(
            "unseal_without_keys",
            &["--recovery-unseal", "-f", "sealed.yaml"],
            "",
        ),
        case(
            "unseal_with_scope",
            &[
                "--recovery-unseal",
                key,
                "--scope",
                "strict",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "key_file_missing",
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                "nope.key",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "key_file_not_a_key",
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                "configmap.yaml",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "key_file_encrypted",
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                "encrypted.key",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "key_file_legacy_encrypted",
            &[
                "--validate",
                "--recovery-private-key",
                "legacy-encrypted.key",
                "-f",
                "sealed.yaml",
            ],
            "",
        ),
        case(
            "merge_into_a_directory",
            &[cert, "--merge-into", "keys"],
            SECRET_YAML,
        ),
        case(
            "cert_url_with_credentials",
            &["--cert", "http://user:s3cr3t-Passw0rd@127.0.0.1:1/cert.pem"],
            SECRET_YAML,
        ),
        case(
            "controller_url_with_credentials",
            &["--controller-url", "https://s3cr3t-Passw0rd@127.0.0.1:1"],
            SECRET_YAML,
        ),
        case(
            "merge_into_missing_file",
            &[cert, "--merge-into", "absent.yaml"],
            SECRET_YAML,
        ),
        case(
            "merge_into_other_scope",
            &[
                cert,
                "--merge-into",
                "sealed.yaml",
                "--scope",
                "cluster-wide",
            ],
            SECRET_YAML,
        ),
        case(
            "raw_strict_without_name",
            &[cert, "--raw", "--namespace", "prod"],
            "s3cr3t-Passw0rd",
        ),
        case("two_modes", &[cert, "--raw", "--validate"], ""),
        case("from_file_without_raw", &[cert, "--from-file", "x"], ""),
        case("unknown_flag", &["--frobnicate"], ""),
        case("bad_scope_value", &[cert, "--scope", "global"], SECRET_YAML),
        case(
            "keygen_would_overwrite",
            &["keygen", "--out-dir", "keys/existing"],
            "",
        ),
        case(
            "keygen_validity_too_long",
            &[
                "keygen",
                "--out-dir",
                "keys/new",
                "--validity-days",
                "4294967295",
            ],
            "",
        ),
        env_case,
    ]
}

#[test]
fn every_error_says_what_and_what_to_do_and_leaks_nothing() {
    let fx = Fixture::new();
    prepare(&fx);
    for case in cases() {
        let mut cmd = fx.seal();
        cmd.args(&case.args).args(["-w", "out.yaml"]);
        if case.args.iter().any(|a| a == "--merge-into")
            || case.args.first().is_some_and(|a| a == "keygen")
        {
            // -w conflicts with --merge-into and is not a keygen flag: run those without it.
            cmd = fx.seal();
            cmd.args(&case.args);
        }
        for (k, v) in &case.env {
            cmd.env(k, v);
        }
        let out = cmd.write_stdin(case.stdin.clone()).output().unwrap();
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            matches!(code, Some(1) | Some(2)),
            "{}: exit code {code:?} (101 would be a panic)\n{stderr}",
            case.name
        );
        assert!(stderr.starts_with("error: "), "{}: {stderr}", case.name);
        assert!(stderr.contains("\nhint: "), "{}: {stderr}", case.name);
        assert_no_plaintext(&out.stderr);
        assert_no_plaintext(&out.stdout);
        assert!(
            file_is(&fx.path("out.yaml"), "ORIGINAL CONTENT\n"),
            "{}: the -w file was touched",
            case.name
        );
        let shown = format!("exit: {}\n{}", code.unwrap_or(-1), fx.scrub(&stderr));
        insta::assert_snapshot!(case.name, shown);
    }
    // The merge target of the failing merges is unchanged too.
    assert_eq!(
        sealed_docs(&fx.read("sealed.yaml")).len(),
        1,
        "sealed.yaml still parses"
    );
}

#[test]
fn the_output_file_is_replaced_only_on_success() {
    let fx = Fixture::new();
    fx.write("out.yaml", "ORIGINAL CONTENT\n");
    fx.seal()
        .args(["--cert", "keys/tls.crt", "-w", "out.yaml"])
        .write_stdin(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: prod\nstringData:\n  k: v\n",
        )
        .assert()
        .failure();
    assert!(file_is(&fx.path("out.yaml"), "ORIGINAL CONTENT\n"));
    let leftovers: Vec<_> = std::fs::read_dir(fx.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".seal-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files are left");
    fx.seal()
        .args(["--cert", "keys/tls.crt", "-w", "out.yaml"])
        .write_stdin(SECRET_YAML)
        .assert()
        .success()
        .stdout("");
    assert_eq!(sealed_docs(&fx.read("out.yaml")).len(), 1);
}

#[test]
fn an_empty_list_never_rewrites_a_file() {
    let fx = Fixture::new();
    let cert = fx.cert();
    let key = fx.key_file();
    fx.write("empty-list.yaml", EMPTY_LIST);
    fx.write("target.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    let target_before = fx.read("target.yaml");
    let runs: Vec<Vec<std::ffi::OsString>> = vec![
        // --re-encrypt with only -f rewrites the input file in place.
        vec![
            "--re-encrypt".into(),
            "--recovery-private-key".into(),
            key.clone().into(),
            "--cert".into(),
            cert.clone().into(),
            "-f".into(),
            "empty-list.yaml".into(),
        ],
        vec![
            "--cert".into(),
            cert.clone().into(),
            "--merge-into".into(),
            "target.yaml".into(),
            "-f".into(),
            "empty-list.yaml".into(),
        ],
    ];
    for args in runs {
        let out = fx.seal().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("no objects"), "{args:?}: {stderr}");
        assert_eq!(fx.read("empty-list.yaml"), EMPTY_LIST, "{args:?}");
        assert_eq!(fx.read("target.yaml"), target_before, "{args:?}");
    }
}

#[test]
fn a_stdout_that_cannot_be_written_gets_a_stdout_hint() {
    let fx = Fixture::new();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = seal_bin_env(std::process::Command::new(env!("CARGO_BIN_EXE_seal")))
        .current_dir(fx.dir.path())
        .args(["--cert", "keys/tls.crt", "-f"])
        .arg(fx.write("secret.yaml", SECRET_YAML))
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: cannot write stdout"), "{stderr}");
    assert!(
        stderr.contains("hint: stdout could not be written"),
        "{stderr}"
    );
    assert!(!stderr.contains("output directory"), "{stderr}");
}
