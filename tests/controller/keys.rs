//! The keyring at run time: keys added without a restart, renewal, and Bitnami key import.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, PostParams};
use sealsync::api::Group;
use sealsync_core::crypto::{KeyBits, KeyGenOptions, Recipients, generate};
use serde_json::json;

use super::*;

/// A key Secret in the given format and label, as a user or Bitnami would create it.
fn key_secret(name: &str, label: (&str, &str)) -> (Secret, Certificate) {
    let options = KeyGenOptions {
        bits: KeyBits::Rsa2048,
        ..KeyGenOptions::default()
    };
    let (key, cert) = generate(&options).expect("key");
    let data = BTreeMap::from([
        (
            "tls.key".to_owned(),
            ByteString(key.to_pkcs8_pem().as_bytes().to_vec()),
        ),
        ("tls.crt".to_owned(), ByteString(cert.to_pem().into_bytes())),
    ]);
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            labels: Some(BTreeMap::from([(label.0.to_owned(), label.1.to_owned())])),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(data),
        ..Default::default()
    };
    (secret, cert)
}

/// A key Secret created while the controller runs is used at once; the certificate ConfigMap
/// is published; the first key is generated only once and never deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_added_at_run_time_is_used_without_a_restart() {
    let env = env().await;
    let c = spawn(&env, &[]);
    ready(&c).await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NS);
    let generated = secrets
        .list(&ListParams::default().labels("sealsync.io/sealing-key=active"))
        .await
        .expect("list");
    assert_eq!(generated.items.len(), 1, "one key generated");
    let cms: Api<ConfigMap> = Api::namespaced(env.client.clone(), NS);
    let first = cert(&c);
    eventually("the certificate ConfigMap", || async {
        cms.get_opt("sealsync-cert")
            .await
            .expect("get")
            .and_then(|cm| cm.data)
            .and_then(|d| d.get("cert.pem").cloned())
            == Some(first.to_pem())
    })
    .await;

    let (added, added_cert) = key_secret("added-key", ("sealsync.io/sealing-key", "active"));
    secrets
        .create(&PostParams::default(), &added)
        .await
        .expect("key Secret created");
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&added_cert, "app", "later", &[("k", "v")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "later", "Unsealed").await;
    let status = get_sealed(&env.client, Group::Sealsync, "app", "later")
        .await
        .and_then(|s| s.status)
        .expect("status");
    assert_eq!(
        status.sealing_keys.get("k"),
        Some(&added_cert.public_key().fingerprint().to_string())
    );
}

/// Renewal adds a key on schedule; SealedSecrets sealed to the old key still open, and new
/// ones are sealed to the new certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_adds_a_key_and_old_sealed_secrets_still_open() {
    let env = env().await;
    let c = spawn(&env, &["--key-renew-period", "4s"]);
    ready(&c).await;
    let old = cert(&c);
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&old, "app", "old", &[("k", "v")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "old", "Unsealed").await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NS);
    eventually("a second key", || async {
        secrets
            .list(&ListParams::default().labels("sealsync.io/sealing-key=active"))
            .await
            .expect("list")
            .items
            .len()
            >= 2
    })
    .await;
    eventually("the newest certificate is served", || async {
        cert(&c).der() != old.der()
    })
    .await;
    let new = cert(&c);
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&new, "app", "new", &[("k", "v")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "new", "Unsealed").await;
    // Touch the old one: it still opens.
    let mut again = sealed(&old, "app", "old", &[("k", "v2")], false);
    again["spec"]["template"]["metadata"]["labels"] = json!({"touched": "yes"});
    apply(&env.client, Group::Sealsync, "app", &again).await;
    eventually("the old-key SealedSecret is still unsealed", || async {
        secret(&env.client, "app", "old")
            .await
            .is_some_and(|s| values(&s).get("k").map(String::as_str) == Some("v2"))
    })
    .await;
}

/// `--bitnami --import-bitnami-keys`: a bitnami.com SealedSecret sealed to an imported
/// Bitnami-format key opens, through the same code path; the Bitnami CRD is picked up when it
/// appears after start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitnami_sealed_secrets_open_with_imported_bitnami_keys() {
    let env = env().await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "kube-system");
    let (bitnami_key, bitnami_cert) = key_secret(
        "sealed-secrets-keyabcde",
        ("sealedsecrets.bitnami.com/sealed-secrets-key", "active"),
    );
    secrets
        .create(&PostParams::default(), &bitnami_key)
        .await
        .expect("bitnami key");
    let c = spawn(
        &env,
        &[
            "--bitnami",
            "--import-bitnami-keys",
            "--bitnami-keys-namespace",
            "kube-system",
        ],
    );
    ready(&c).await;
    eventually("the absence of the Bitnami CRD is logged", || async {
        c.logs().contains("CRD not installed")
    })
    .await;
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> = Api::all(env.client.clone());
    crds.create(
        &PostParams::default(),
        &serde_json::from_str(BITNAMI_CRD).expect("crd"),
    )
    .await
    .expect("bitnami CRD");
    eventually("the Bitnami CRD is served", || async {
        Api::<Sealed>::all_with(env.client.clone(), &Group::Bitnami.api_resource())
            .list(&Default::default())
            .await
            .is_ok()
    })
    .await;
    apply(
        &env.client,
        Group::Bitnami,
        "app",
        &sealed(
            &bitnami_cert,
            "app",
            "legacy",
            &[("password", "from-bitnami")],
            true,
        ),
    )
    .await;
    eventually_for(
        Duration::from_secs(45),
        "the bitnami.com SealedSecret is unsealed",
        || async {
            secret(&env.client, "app", "legacy").await.is_some_and(|s| {
                values(&s).get("password").map(String::as_str) == Some("from-bitnami")
            })
        },
    )
    .await;
    let s = secret(&env.client, "app", "legacy").await.expect("secret");
    assert_eq!(
        s.metadata.owner_references.expect("owner")[0].api_version,
        "bitnami.com/v1alpha1"
    );
    let (status, reason, _) =
        wait_reason(&env.client, Group::Bitnami, "app", "legacy", "Unsealed").await;
    assert_eq!((status.as_str(), reason.as_str()), ("True", "Unsealed"));
}

/// `sealsync_rsa_decrypt_operations_total` from the controller's metrics.
fn rsa_operations(c: &Controller) -> u64 {
    let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("sealsync_rsa_decrypt_operations_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the RSA operations counter")
}

/// A multi-recipient SealedSecret (sealed to this cluster's key and another cluster's) opens
/// with one RSA operation per value in a ring of four keys; one that names none of the ring's
/// keys costs none; the controller's rotate refuses to lock the other cluster out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_recipient_values_open_with_one_rsa_operation_each() {
    let env = env().await;
    let c = spawn(&env, &[]);
    ready(&c).await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), NS);
    let mut added = Vec::new();
    for name in ["ring-a", "ring-b", "ring-c"] {
        let (secret, cert) = key_secret(name, ("sealsync.io/sealing-key", "active"));
        secrets
            .create(&PostParams::default(), &secret)
            .await
            .expect("key Secret created");
        added.push(cert);
    }
    eventually("four keys loaded", || async {
        let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
        metrics.lines().any(|l| l == "sealsync_keys 4")
    })
    .await;

    let other_cluster = key_secret("elsewhere", ("x", "y")).1;
    let to = Recipients::for_keys(vec![
        other_cluster.public_key().clone(),
        added[0].public_key().clone(),
    ])
    .expect("recipients");
    let values = [("a", "1"), ("b", "2"), ("k", "3")];
    let before = rsa_operations(&c);
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed_to(&to, "app", "multi", &values, false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "multi", "Unsealed").await;
    assert_eq!(
        rsa_operations(&c) - before,
        values.len() as u64,
        "one RSA operation per value, with four keys in the ring"
    );
    let status = get_sealed(&env.client, Group::Sealsync, "app", "multi")
        .await
        .and_then(|s| s.status)
        .expect("status");
    assert_eq!(
        status.sealing_keys.get("k"),
        Some(&added[0].public_key().fingerprint().to_string())
    );
    let opened = secret(&env.client, "app", "multi").await.expect("Secret");
    assert_eq!(opened.data.expect("data")["b"], ByteString(b"2".to_vec()));

    // Named keys the ring lacks: refused without a single RSA operation.
    let strangers = Recipients::for_keys(vec![
        other_cluster.public_key().clone(),
        key_secret("elsewhere-too", ("x", "y"))
            .1
            .public_key()
            .clone(),
    ])
    .expect("recipients");
    let before = rsa_operations(&c);
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed_to(&strangers, "app", "not-for-us", &values, false),
    )
    .await;
    let (status, _, message) = wait_reason(
        &env.client,
        Group::Sealsync,
        "app",
        "not-for-us",
        "DecryptionFailed",
    )
    .await;
    assert_eq!(status, "False");
    assert!(
        message.contains(&other_cluster.public_key().fingerprint().to_string())
            && message.contains("none of which this cluster holds"),
        "the status names the keys it was sealed to: {message}"
    );
    assert_eq!(rsa_operations(&c), before, "no key of the ring is named");

    // Rotation to the controller's newest key alone would lock the other cluster out.
    let body = serde_json::to_string(&sealed_to(&to, "app", "multi", &values, false)).unwrap();
    let (code, answer) = http(&c.url, "POST", "/v1/rotate", &body).expect("rotate");
    assert_eq!(code, 422, "{answer}");
    assert!(
        answer.contains(&other_cluster.public_key().fingerprint().to_string()),
        "{answer}"
    );
}
