//! Issue 10, item 7: `seal --cert A --cert B --cert C` writes one SealedSecret that opens in
//! each of those clusters, and nowhere else. Run through the binary, as a user runs it: the
//! values are opened with `seal --recovery-unseal` and each cluster's key, inspected with
//! `seal --inspect`, re-encrypted and merged. The refusals are snapshots.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use sealsync_core::crypto::format::{Layout, decode_base64, layout};
use sealsync_core::crypto::{KeyBits, KeyGenOptions, PrivateKey};

/// Clusters beside the fixture's own (`keys/`): `<name>.key` and `<name>.crt`.
const CLUSTERS: [&str; 4] = ["staging", "dr", "edge", "stranger"];

/// Writes a key and certificate per cluster; returns the keys, in [`CLUSTERS`] order.
fn clusters(fx: &Fixture) -> Vec<PrivateKey> {
    CLUSTERS
        .iter()
        .map(|name| {
            let key = PrivateKey::generate(KeyBits::Rsa2048).expect("keygen");
            let options = KeyGenOptions {
                bits: KeyBits::Rsa2048,
                common_name: (*name).into(),
                validity: Duration::from_secs(24 * 3600),
            };
            let cert = sealsync_core::crypto::keys::self_signed(&key, &options, SystemTime::now())
                .expect("cert");
            fx.write(&format!("{name}.key"), &key_pem(&key));
            fx.write(&format!("{name}.crt"), &cert.to_pem());
            key
        })
        .collect()
}

/// Runs `seal` with `args` and stdin; returns (success, stdout, stderr).
fn run(fx: &Fixture, args: &[&str], stdin: &str) -> (bool, String, String) {
    let out = fx.seal().args(args).write_stdin(stdin).output().unwrap();
    assert_no_plaintext(&out.stderr);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `seal --recovery-unseal` of `file` with one key file: the token value, or the error.
fn unseal_token(fx: &Fixture, file: &str, key: &str) -> Result<Vec<u8>, String> {
    let (ok, stdout, stderr) = run(
        fx,
        &[
            "--recovery-unseal",
            "-f",
            file,
            "--recovery-private-key",
            key,
        ],
        "",
    );
    if !ok {
        return Err(stderr);
    }
    let secret = secret_docs(&stdout).remove(0);
    Ok(secret.values().unwrap()["token"].to_vec())
}

fn recipients_of(file_text: &str) -> Vec<usize> {
    sealed_docs(file_text)[0]
        .spec
        .encrypted_data
        .values()
        .map(|v| match decode_base64(v).as_deref().and_then(layout) {
            Some(Layout::MultiRecipient { recipients, .. }) => recipients.len(),
            other => panic!("not multi-recipient: {other:?}"),
        })
        .collect()
}

#[test]
fn three_certificates_give_one_sealed_secret_that_each_cluster_opens() {
    let fx = Fixture::new();
    clusters(&fx);
    let (ok, out, err) = run(
        &fx,
        &[
            "--cert",
            "keys/tls.crt",
            "--cert",
            "staging.crt",
            "--cert",
            "dr.crt",
        ],
        SECRET_YAML,
    );
    assert!(ok, "{err}");
    fx.write("db.yaml", &out);
    assert_eq!(sealed_docs(&out).len(), 1);
    assert_eq!(recipients_of(&out), vec![3, 3, 3]);
    for key in ["keys/tls.key", "staging.key", "dr.key"] {
        assert_eq!(
            unseal_token(&fx, "db.yaml", key).as_deref(),
            Ok(&b"hunter2-token"[..]),
            "{key} opens it"
        );
    }
    let refused = unseal_token(&fx, "db.yaml", "stranger.key").unwrap_err();
    assert!(refused.contains("could not be decrypted"), "{refused}");

    // --validate with every cluster's key in one ring, and a raw value to two clusters.
    let (ok, _, err) = run(
        &fx,
        &[
            "--validate",
            "-f",
            "db.yaml",
            "--recovery-private-key",
            "stranger.key,dr.key",
        ],
        "",
    );
    assert!(ok, "{err}");
    let (ok, raw, err) = run(
        &fx,
        &[
            "--raw",
            "--cert",
            "staging.crt",
            "--cert",
            "edge.crt",
            "--namespace",
            "prod",
            "--name",
            "db",
        ],
        "v",
    );
    assert!(ok, "{err}");
    let bytes = decode_base64(&raw).unwrap();
    assert!(
        matches!(layout(&bytes), Some(Layout::MultiRecipient { ref recipients, .. }) if recipients.len() == 2)
    );

    // The same certificate twice is one recipient; one certificate stays Bitnami's format.
    let (ok, out, err) = run(
        &fx,
        &["--cert", "staging.crt", "--cert", "staging.crt"],
        SECRET_YAML,
    );
    assert!(ok, "{err}");
    let value = &sealed_docs(&out)[0].spec.encrypted_data["token"];
    assert!(matches!(
        decode_base64(value).as_deref().and_then(layout),
        Some(Layout::Bitnami { .. })
    ));
}

#[test]
fn inspect_names_the_keys_and_says_which_certificates_it_was_sealed_to() {
    let fx = Fixture::new();
    clusters(&fx);
    let out = fx.seal_ok(SECRET_YAML, &["--cert", "staging.crt"]);
    fx.write("db.yaml", &out);
    let (ok, report, err) = run(
        &fx,
        &[
            "--inspect",
            "-f",
            "db.yaml",
            "--cert",
            "keys/tls.crt",
            "--cert",
            "stranger.crt",
        ],
        "",
    );
    assert!(ok, "{err}");
    let fingerprint = |name: &str| {
        let pem = fx.read(name);
        sealsync_core::crypto::Certificate::from_pem(pem.as_bytes())
            .unwrap()
            .public_key()
            .fingerprint()
            .to_string()
    };
    let (own, staging, stranger) = (
        fingerprint("keys/tls.crt"),
        fingerprint("staging.crt"),
        fingerprint("stranger.crt"),
    );
    for line in [
        "  password  multi-recipient (sealsync only), 2 keys, 15 bytes of plaintext".to_owned(),
        format!("      sealed to {own}"),
        format!("      sealed to {staging}"),
        format!("certificate keys/tls.crt: RSA-2048, {own}"),
        "  sealed to it (the values name its key): prod/db:password, prod/db:token, prod/db:username"
            .to_owned(),
        format!("certificate stranger.crt: RSA-2048, {stranger}"),
        "  not sealed to it (another key size, another key named, or no sealed value): \
         prod/db:password, prod/db:token, prod/db:username"
            .to_owned(),
    ] {
        assert!(report.lines().any(|l| l == line), "missing {line:?} in:\n{report}");
    }
    assert!(
        !report.contains("only knowable with the private key"),
        "{report}"
    );
}

#[test]
fn re_encryption_and_merges_keep_every_cluster() {
    let fx = Fixture::new();
    clusters(&fx);
    fx.write(
        "db.yaml",
        &fx.seal_ok(SECRET_YAML, &["--cert", "staging.crt"]),
    );

    // prod renews its key: re-encrypted to the new one and staging, both open it, the old
    // key no longer does.
    let (ok, _, err) = run(
        &fx,
        &[
            "--re-encrypt",
            "-f",
            "db.yaml",
            "--recovery-private-key",
            "keys/tls.key",
            "--cert",
            "edge.crt",
            "--cert",
            "staging.crt",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(recipients_of(&fx.read("db.yaml")), vec![2, 2, 2]);
    assert!(unseal_token(&fx, "db.yaml", "edge.key").is_ok());
    assert!(unseal_token(&fx, "db.yaml", "staging.key").is_ok());
    assert!(unseal_token(&fx, "db.yaml", "keys/tls.key").is_err());

    // A merge with both certificates adds a value both open.
    let extra = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  extra: added-later\n";
    let (ok, _, err) = run(
        &fx,
        &[
            "--merge-into",
            "db.yaml",
            "--cert",
            "edge.crt",
            "--cert",
            "staging.crt",
        ],
        extra,
    );
    assert!(ok, "{err}");
    assert_eq!(recipients_of(&fx.read("db.yaml")), vec![2, 2, 2, 2]);
}

/// Replaces every fingerprint, which differs on each run, with `[FINGERPRINT]`.
fn scrub_fingerprints(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 7..];
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(if hex == 64 {
            "[FINGERPRINT]"
        } else {
            "sha256:"
        });
        rest = if hex == 64 { &after[64..] } else { after };
    }
    out + rest
}

#[test]
fn what_a_bitnami_controller_could_not_open_is_refused_with_a_hint() {
    let fx = Fixture::new();
    clusters(&fx);
    fx.write(
        "multi.yaml",
        &fx.seal_ok(SECRET_YAML, &["--cert", "staging.crt"]),
    );
    fx.write(
        "bitnami.yaml",
        &fx.seal_ok(SECRET_YAML, &["--api", "bitnami"]),
    );
    fx.write("out.yaml", "ORIGINAL CONTENT\n");
    let two = ["--cert", "keys/tls.crt", "--cert", "staging.crt"];
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "multi_api_bitnami",
            [&two[..], &["--api", "bitnami", "-w", "out.yaml"]].concat(),
            SECRET_YAML,
        ),
        (
            "multi_kubeseal_mode",
            [&["--kubeseal-compat"][..], &two, &["-w", "out.yaml"]].concat(),
            SECRET_YAML,
        ),
        (
            "multi_merge_into_bitnami",
            [&["--merge-into", "bitnami.yaml"][..], &two].concat(),
            SECRET_YAML,
        ),
        (
            "multi_fetch_cert",
            [&["--fetch-cert", "-w", "out.yaml"][..], &two].concat(),
            "",
        ),
        (
            // staging's key is at hand too, but only the opener (prod's) may be retired.
            "multi_re_encrypt_would_lock_out",
            vec![
                "--re-encrypt",
                "-f",
                "multi.yaml",
                "-w",
                "out.yaml",
                "--recovery-private-key",
                "keys/tls.key,staging.key",
                "--cert",
                "edge.crt",
            ],
            "",
        ),
        (
            "multi_merge_would_lock_out",
            vec!["--merge-into", "multi.yaml", "--cert", "keys/tls.crt"],
            SECRET_YAML,
        ),
        (
            "multi_raw_kubeseal_mode",
            [
                &[
                    "--kubeseal-compat",
                    "--raw",
                    "--name",
                    "db",
                    "-n",
                    "prod",
                    "-w",
                    "out.yaml",
                ][..],
                &two,
            ]
            .concat(),
            "v",
        ),
        (
            "multi_re_encrypt_by_the_controller",
            [
                &[
                    "--re-encrypt",
                    "-f",
                    "multi.yaml",
                    "-w",
                    "out.yaml",
                    "--controller-url",
                    "http://127.0.0.1:9",
                ][..],
                &two,
            ]
            .concat(),
            "",
        ),
    ];
    for (name, args, stdin) in cases {
        let before = (fx.read("multi.yaml"), fx.read("bitnami.yaml"));
        let out = fx.seal().args(&args).write_stdin(stdin).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("\nhint: "),
            "{name}: {stderr}"
        );
        assert_no_plaintext(&out.stderr);
        assert!(
            file_is(&fx.path("out.yaml"), "ORIGINAL CONTENT\n"),
            "{name}"
        );
        assert_eq!(
            (fx.read("multi.yaml"), fx.read("bitnami.yaml")),
            before,
            "{name}"
        );
        insta::assert_snapshot!(name, scrub_fingerprints(&fx.scrub(&stderr)));
    }
}

/// `--cert ""` stands for the default source (here `--controller-url`) among other `--cert`.
#[test]
fn an_empty_cert_among_others_is_the_controllers_certificate() {
    let fx = Fixture::new();
    clusters(&fx);
    let server = HttpServer::start(vec![("/v1/cert.pem", 200, fx.read("keys/tls.crt"))]);
    let (ok, out, err) = run(
        &fx,
        &[
            "--cert",
            "",
            "--cert",
            "staging.crt",
            "--controller-url",
            &server.base,
        ],
        SECRET_YAML,
    );
    assert!(ok, "{err}");
    fx.write("db.yaml", &out);
    assert_eq!(recipients_of(&out), vec![2, 2, 2]);
    assert!(unseal_token(&fx, "db.yaml", "keys/tls.key").is_ok());
    assert!(unseal_token(&fx, "db.yaml", "staging.key").is_ok());
}
