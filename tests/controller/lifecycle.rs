//! Unsealing, ownership, drift, deletion and failures, seen from the API.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use sealsync::api::Group;
use serde_json::json;

use super::*;

const PLAINTEXT: &str = "hunter2-very-secret-plaintext";

/// The user's day: fetch the certificate with `seal`, seal a Secret kubectl made, apply it with
/// `kubectl apply --server-side`; the Secret appears, owned, and the status names the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_fetch_cert_then_kubectl_apply_unseals_into_an_owned_secret() {
    let env = env().await;
    let c = spawn(&env, &[]);
    ready(&c).await;
    let seal = bin("seal");
    let (ok, pem, err) = run_cmd(
        &seal,
        &["--fetch-cert", "--controller-url", &c.url],
        "",
        &[],
    );
    assert!(ok, "seal --fetch-cert: {err}");
    let cert_path = env.dir.path().join("cert.pem");
    std::fs::write(&cert_path, &pem).expect("write cert");
    let secret_yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: app\n  labels:\n    team: payments\ntype: kubernetes.io/basic-auth\nstringData:\n  username: admin\n  password: {PLAINTEXT}\n"
    );
    let (ok, sealed_yaml, err) = run_cmd(
        &seal,
        &["--cert", cert_path.to_str().expect("utf8")],
        &secret_yaml,
        &[],
    );
    assert!(ok, "seal: {err}");
    assert!(!sealed_yaml.contains(PLAINTEXT));
    match kubectl() {
        Some(kubectl) => {
            let (ok, _, err) = run_cmd(
                &kubectl,
                &["apply", "--server-side", "-f", "-"],
                &sealed_yaml,
                &[("KUBECONFIG", &env.kubeconfig)],
            );
            assert!(ok, "kubectl apply: {err}");
        }
        None => {
            let doc: serde_json::Value = serde_saphyr::from_str(&sealed_yaml).expect("yaml");
            apply(&env.client, Group::Sealsync, "app", &doc).await;
        }
    }
    let (status, reason, message) =
        wait_reason(&env.client, Group::Sealsync, "app", "db", "Unsealed").await;
    assert_eq!(status, "True");
    assert!(message.contains("2 values"), "{message}");
    let s = secret(&env.client, "app", "db")
        .await
        .expect("Secret created");
    assert_eq!(
        values(&s).get("password").map(String::as_str),
        Some(PLAINTEXT)
    );
    assert_eq!(
        values(&s).get("username").map(String::as_str),
        Some("admin")
    );
    assert_eq!(s.type_.as_deref(), Some("kubernetes.io/basic-auth"));
    assert_eq!(
        s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("payments")
    );
    let owner = &s.metadata.owner_references.as_ref().expect("owner")[0];
    let sealed = get_sealed(&env.client, Group::Sealsync, "app", "db")
        .await
        .expect("sealed");
    assert_eq!(owner.kind, "SealedSecret");
    assert_eq!(owner.api_version, "sealsync.io/v1alpha1");
    assert_eq!(Some(owner.uid.clone()), sealed.metadata.uid);
    assert_eq!(owner.controller, Some(true));
    let st = sealed.status.expect("status");
    let fingerprint = cert(&c).public_key().fingerprint().to_string();
    assert_eq!(st.sealing_keys.get("password"), Some(&fingerprint));
    assert_eq!(st.observed_generation, sealed.metadata.generation);
    assert_eq!(
        st.key_short.as_deref(),
        Some(&fingerprint["sha256:".len().."sha256:".len() + 12])
    );
    let _ = reason;

    let events: Api<Event> = Api::namespaced(env.client.clone(), "app");
    eventually("a Normal Unsealed event", || async {
        events
            .list(&ListParams::default())
            .await
            .expect("events")
            .items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("Unsealed") && e.type_.as_deref() == Some("Normal")
            })
    })
    .await;
    let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
    assert!(
        metrics.contains("sealsync_rsa_decrypt_operations_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("sealsync_unseals_total{reason=\"Unsealed\"}"),
        "{metrics}"
    );
    assert_no_plaintext(&env, &c, &metrics).await;
}

/// Nothing but the Secret itself holds the plaintext: not the logs (debug level), the events,
/// the SealedSecret's status or the metrics.
async fn assert_no_plaintext(env: &Env, c: &Controller, metrics: &str) {
    assert!(!c.logs().contains(PLAINTEXT), "plaintext in the logs");
    assert!(!metrics.contains(PLAINTEXT), "plaintext in the metrics");
    let events: Api<Event> = Api::all(env.client.clone());
    let all = serde_json::to_string(
        &events
            .list(&ListParams::default())
            .await
            .expect("events")
            .items,
    )
    .expect("json");
    assert!(!all.contains(PLAINTEXT), "plaintext in events");
    let sealed = get_sealed(&env.client, Group::Sealsync, "app", "db")
        .await
        .expect("sealed");
    assert!(
        !serde_json::to_string(&sealed)
            .expect("json")
            .contains(PLAINTEXT),
        "plaintext in the SealedSecret"
    );
}

/// A Secret that is not ours is refused (SecretNotOwned, Warning event, untouched); the Bitnami
/// `managed` annotation lets us take one over; `patch` merges our keys into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_managed_and_patch_secrets() {
    let env = env().await;
    let (_controller, cert) = running(&env, &[]).await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "app");
    for (name, annotation) in [
        ("foreign", None),
        ("managed", Some("managed")),
        ("patched", Some("patch")),
    ] {
        let mut annotations = json!({});
        if let Some(a) = annotation {
            annotations[format!("sealedsecrets.bitnami.com/{a}")] = json!("true");
        }
        let s: Secret = serde_json::from_value(json!({
            "metadata": {"name": name, "annotations": annotations},
            "stringData": {"theirs": "kept", "shared": "old"},
        }))
        .expect("secret");
        secrets
            .create(&PostParams::default(), &s)
            .await
            .expect("created");
        apply(
            &env.client,
            Group::Sealsync,
            "app",
            &sealed(&cert, "app", name, &[("shared", "new")], false),
        )
        .await;
    }
    let (status, _, message) = wait_reason(
        &env.client,
        Group::Sealsync,
        "app",
        "foreign",
        "SecretNotOwned",
    )
    .await;
    assert_eq!(status, "False");
    assert!(
        message.contains("managed"),
        "the message says how to opt in: {message}"
    );
    let foreign = secret(&env.client, "app", "foreign")
        .await
        .expect("still there");
    assert_eq!(
        values(&foreign).get("shared").map(String::as_str),
        Some("old"),
        "untouched"
    );
    assert!(foreign.metadata.owner_references.is_none());
    let events: Api<Event> = Api::namespaced(env.client.clone(), "app");
    eventually("a Warning SecretNotOwned event", || async {
        events
            .list(&ListParams::default())
            .await
            .expect("events")
            .items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("SecretNotOwned")
                    && e.type_.as_deref() == Some("Warning")
            })
    })
    .await;

    wait_reason(&env.client, Group::Sealsync, "app", "managed", "Unsealed").await;
    let managed = secret(&env.client, "app", "managed")
        .await
        .expect("managed");
    assert_eq!(
        values(&managed).get("shared").map(String::as_str),
        Some("new")
    );
    assert!(managed.metadata.owner_references.is_some(), "taken over");

    wait_reason(&env.client, Group::Sealsync, "app", "patched", "Unsealed").await;
    let patched = secret(&env.client, "app", "patched")
        .await
        .expect("patched");
    assert_eq!(
        values(&patched).get("shared").map(String::as_str),
        Some("new")
    );
    assert_eq!(
        values(&patched).get("theirs").map(String::as_str),
        Some("kept"),
        "other keys kept"
    );
    assert!(
        patched.metadata.owner_references.is_none(),
        "patch does not take ownership"
    );
}

/// Someone edits or deletes the generated Secret: it is restored. Deleting the SealedSecret
/// removes the Secret it owns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_restored_and_delete_cascades() {
    let env = env().await;
    let (_controller, cert) = running(&env, &[]).await;
    apply(
        &env.client,
        Group::Sealsync,
        "app",
        &sealed(&cert, "app", "api", &[("token", "t0ken")], false),
    )
    .await;
    wait_reason(&env.client, Group::Sealsync, "app", "api", "Unsealed").await;
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "app");
    let edit = json!({"data": {"token": "ZWRpdGVk"}});
    secrets
        .patch("api", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .expect("edited");
    eventually("the edit is reverted", || async {
        secret(&env.client, "app", "api")
            .await
            .is_some_and(|s| values(&s).get("token").map(String::as_str) == Some("t0ken"))
    })
    .await;
    secrets
        .delete("api", &DeleteParams::default())
        .await
        .expect("deleted");
    eventually("the Secret is recreated", || async {
        secret(&env.client, "app", "api")
            .await
            .is_some_and(|s| values(&s).get("token").map(String::as_str) == Some("t0ken"))
    })
    .await;
    let sealed_api: Api<Sealed> =
        Api::namespaced_with(env.client.clone(), "app", &Group::Sealsync.api_resource());
    sealed_api
        .delete("api", &DeleteParams::default())
        .await
        .expect("SealedSecret deleted");
    eventually("the owned Secret is garbage-collected", || async {
        secret(&env.client, "app", "api").await.is_none()
    })
    .await;
}

/// A strict-scope SealedSecret copied to another namespace does not open there; nor does a
/// tampered value. Both get DecryptionFailed and no Secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_and_tampered_values_fail_to_decrypt() {
    let env = env().await;
    create_ns(&env.client, "other").await;
    let (c, cert) = running(&env, &[]).await;
    let mut copied = sealed(&cert, "app", "db", &[("password", PLAINTEXT)], false);
    copied["metadata"]["namespace"] = json!("other");
    apply(&env.client, Group::Sealsync, "other", &copied).await;
    let (status, _, message) = wait_reason(
        &env.client,
        Group::Sealsync,
        "other",
        "db",
        "DecryptionFailed",
    )
    .await;
    assert_eq!(status, "False");
    assert!(message.contains("password"), "names the key: {message}");
    assert!(secret(&env.client, "other", "db").await.is_none());

    let mut tampered = sealed(&cert, "app", "tampered", &[("password", PLAINTEXT)], false);
    let value = tampered["spec"]["encryptedData"]["password"]
        .as_str()
        .expect("value")
        .to_owned();
    let mut bytes = sealsync_core::crypto::format::decode_base64(&value).expect("base64");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    use base64::Engine;
    tampered["spec"]["encryptedData"]["password"] =
        json!(base64::engine::general_purpose::STANDARD.encode(bytes));
    apply(&env.client, Group::Sealsync, "app", &tampered).await;
    wait_reason(
        &env.client,
        Group::Sealsync,
        "app",
        "tampered",
        "DecryptionFailed",
    )
    .await;
    assert!(secret(&env.client, "app", "tampered").await.is_none());
    assert!(!c.logs().contains(PLAINTEXT));
}

/// API faults during reconciles (500, 409, 429 on the Secret write, latency, closed watches):
/// the controller retries and converges, with exactly one Secret per SealedSecret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_faults_are_retried_until_converged() {
    let env = env().await;
    let (c, cert) = running(&env, &[]).await;
    let faults = env.cluster.faults();
    faults.fail_next("patch", "secrets", 2, 500);
    faults.fail_next("patch", "secrets", 1, 409);
    faults.fail_next("patch", "secrets", 1, 429);
    faults.set_latency(Duration::from_millis(30));
    for i in 0..5 {
        apply(
            &env.client,
            Group::Sealsync,
            "app",
            &sealed(&cert, "app", &format!("s{i}"), &[("k", "v")], false),
        )
        .await;
    }
    faults.close_watches();
    for i in 0..5 {
        wait_reason(
            &env.client,
            Group::Sealsync,
            "app",
            &format!("s{i}"),
            "Unsealed",
        )
        .await;
    }
    faults.clear();
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "app");
    let owned = secrets
        .list(&ListParams::default().labels("sealsync.io/managed=true"))
        .await
        .expect("list");
    assert_eq!(owned.items.len(), 5, "one Secret per SealedSecret");
    let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
    assert!(
        metrics.contains("sealsync_reconcile_errors_total{kind=\"write_secret\"}"),
        "{metrics}"
    );
}
