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
    fx.write("empty.yaml", "");
    fx.write("value.txt", "s3cr3t-Passw0rd");
    fx.write(
        "closed.kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: 'http://127.0.0.1:1'}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t0}\n",
    );
}

/// A Secret in `prod` named `name` with one value under `key`.
fn secret_with(name: &str, namespace: &str, key: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\nstringData:\n  {key:?}: s3cr3t-Passw0rd\n"
    )
}

/// Issue 10, items 3 and 4: what the API server would refuse, and messages that say what to do.
fn issue_10_cases() -> Vec<Case> {
    let cert = "--cert=keys/tls.crt";
    let big = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: prod\nstringData:\n  a: {}\n  b: {}\n",
        "x".repeat(600 * 1024),
        "y".repeat(500 * 1024)
    );
    let mut bad_env_bool = case("env_bool_not_a_bool", &[cert], SECRET_YAML);
    bad_env_bool
        .env
        .push(("SEALED_SECRETS_ALLOW_EMPTY_DATA", "maybe"));
    vec![
        case("key_is_dot", &[cert], &secret_with("db", "prod", ".")),
        case("key_is_dot_dot", &[cert], &secret_with("db", "prod", "..")),
        case(
            "key_starts_with_dot_dot",
            &[cert],
            &secret_with("db", "prod", "..x"),
        ),
        case(
            "key_too_long",
            &[cert],
            &secret_with("db", "prod", &"k".repeat(254)),
        ),
        case(
            "key_with_a_slash",
            &[cert],
            &secret_with("db", "prod", "a/b"),
        ),
        case("name_upper_case", &[cert], &secret_with("DB", "prod", "k")),
        case("name_unicode", &[cert], &secret_with("dbé", "prod", "k")),
        case(
            "namespace_with_slash",
            &[cert],
            &secret_with("db", "ns/x", "k"),
        ),
        case(
            "namespace_flag_with_slash",
            &[cert, "-n", "ns/x"],
            &secret_with("db", "x", "k"),
        ),
        case(
            "namespace_flag_upper_case",
            &[cert, "-n", "Prod"],
            SECRET_YAML,
        ),
        case(
            "name_flag_invalid",
            &[cert, "--name", "my_secret"],
            SECRET_YAML,
        ),
        case("secret_over_one_mebibyte", &[cert], &big),
        case(
            "merge_into_with_another_namespace",
            &[cert, "--merge-into", "sealed.yaml", "-n", "dev"],
            SECRET_YAML,
        ),
        case(
            "kubeseal_merge_into_another_scope",
            &[cert, "--kubeseal-compat", "--merge-into", "sealed.yaml"],
            &SECRET_YAML.replace(
                "    team: payments\n",
                "    team: payments\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n",
            ),
        ),
        case(
            "from_file_missing",
            &[cert, "--raw", "--name", "db", "--from-file", "nope.txt"],
            "",
        ),
        case(
            "from_file_a_directory",
            &[cert, "--raw", "--name", "db", "--from-file", "keys"],
            "",
        ),
        case(
            "from_file_two_files",
            &[
                cert,
                "--raw",
                "--name",
                "db",
                "--from-file",
                "value.txt,value.txt",
            ],
            "",
        ),
        case(
            "merge_into_an_empty_file",
            &[cert, "--merge-into", "empty.yaml"],
            SECRET_YAML,
        ),
        case(
            "duplicate_yaml_key",
            &[cert],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: s3cr3t-Passw0rd\n  password: hunter2-token\n",
        ),
        case(
            "duplicate_json_key",
            &[cert],
            "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"db\", \"namespace\": \"prod\"},\n \"stringData\": {\"token\": \"s3cr3t-Passw0rd\", \"token\": \"hunter2-token\"}}",
        ),
        case("stray_argument", &[cert, "secret.yaml"], ""),
        case(
            "stray_boolean_value",
            &[cert, "--allow-empty-data", "false"],
            "",
        ),
        case("unsupported_format", &[cert, "-o", "toml"], SECRET_YAML),
        case(
            "validate_without_keys_or_cluster",
            &["--validate", "-f", "sealed.yaml"],
            "",
        ),
        bad_env_bool,
    ]
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
            "validate_through_an_unreachable_cluster",
            &[
                "--validate",
                "-f",
                "sealed.yaml",
                "--kubeconfig",
                "closed.kubeconfig",
            ],
            "",
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
    for case in cases().into_iter().chain(issue_10_cases()) {
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
        // Notes about flags with no effect (the harness adds -w to every case) come first.
        let report = stderr.trim_start_matches(|_| false);
        let report = report
            .lines()
            .skip_while(|l| l.starts_with("note: "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(report.starts_with("error: "), "{}: {stderr}", case.name);
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

/// Issue 10, item 4: a server that accepts the connection and never answers. The error names
/// the URL and how long `seal` waited, and the hint names the knob.
#[test]
fn a_timeout_names_the_url_and_the_wait() {
    let fx = Fixture::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for (args, url) in [
        (
            vec![
                "--cert".to_owned(),
                format!("http://127.0.0.1:{port}/cert.pem"),
            ],
            "/cert.pem",
        ),
        (
            vec![
                "--validate".to_owned(),
                "--controller-url".to_owned(),
                format!("http://127.0.0.1:{port}"),
                "-f".to_owned(),
                "sealed.yaml".to_owned(),
            ],
            "/v1/verify",
        ),
    ] {
        fx.write("sealed.yaml", &fx.seal_ok(SECRET_YAML, &[]));
        let started = std::time::Instant::now();
        let out = fx
            .seal()
            .args(&args)
            .args(["--request-timeout", "1s"])
            .write_stdin(SECRET_YAML)
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(20), "it gave up");
        let stderr = String::from_utf8_lossy(&out.stderr).replace(&port.to_string(), "PORT");
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr,
            format!(
                "error: no answer from http://127.0.0.1:PORT{url} within 1s\n\
                 hint: check that the server is up and reachable from here (a proxy in HTTPS_PROXY?); \
                 raise it with --request-timeout (0 waits forever)\n"
            )
        );
    }
    drop(listener);
}
