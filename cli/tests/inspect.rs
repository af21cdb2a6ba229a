//! Issue 10, item 8: `seal --inspect` says what can be known of a sealed file without any
//! private key, and with `--cert`, what can be known of whether it was sealed to it.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use sealsync_core::crypto::{KeyGenOptions, PrivateKey};

fn inspect(fx: &Fixture, args: &[&str]) -> String {
    let out = fx
        .seal()
        .args(["--inspect", "-f", "sealed.yaml"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_plaintext(&out.stdout);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn inspect_names_format_scope_label_and_what_a_certificate_can_tell() {
    let fx = Fixture::new();
    let strict = fx.seal_ok(SECRET_YAML, &[]);
    let cluster_wide = fx.seal_ok(
        &SECRET_YAML.replace("name: db", "name: shared"),
        &["--scope", "cluster-wide", "--api", "bitnami"],
    );
    let mut docs = sealed_docs(&format!("{strict}{cluster_wide}"));
    docs[1]
        .spec
        .encrypted_data
        .insert("broken".into(), "not base64!".into());
    docs[1]
        .spec
        .encrypted_data
        .insert("short".into(), "AAEC".into());
    fx.write(
        "sealed.yaml",
        &sealsync_core::api::docs::render_all(&docs, sealsync_core::api::Format::Yaml).unwrap(),
    );

    let plain = inspect(&fx, &[]);
    insta::assert_snapshot!("inspect_without_cert", plain);

    // The certificate the file was sealed to: the sizes fit, and only the key can tell more.
    let with_cert = inspect(&fx, &["--cert", "keys/tls.crt"]);
    let cert_line = with_cert
        .lines()
        .find(|l| l.starts_with("certificate keys/tls.crt: RSA-2048, sha256:"))
        .expect("the certificate is named");
    let shown = with_cert.replace(
        cert_line,
        "certificate keys/tls.crt: RSA-2048, [FINGERPRINT]",
    );
    insta::assert_snapshot!("inspect_with_its_cert", shown);

    // A certificate of another size: none of these values was sealed to it.
    let other = PrivateKey::from_pem(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../core/tests/vectors/keys/rsa4096-pkcs1.pem"),
        )
        .unwrap(),
    )
    .unwrap();
    let options = KeyGenOptions {
        bits: sealsync_core::crypto::KeyBits::Rsa4096,
        common_name: "other".into(),
        validity: Duration::from_secs(3600),
    };
    let cert =
        sealsync_core::crypto::keys::self_signed(&other, &options, SystemTime::now()).unwrap();
    fx.write("other.crt", &cert.to_pem());
    let with_other = inspect(&fx, &["--cert", "other.crt"]);
    assert!(
        with_other.contains("certificate other.crt: RSA-4096"),
        "{with_other}"
    );
    assert!(!with_other.contains("fit its key"), "{with_other}");
    assert!(
        with_other
            .contains("not sealed to it (another key size, another key named, or no sealed value): prod/db:password"),
        "{with_other}"
    );
}
