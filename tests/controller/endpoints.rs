//! The HTTP endpoints: health, readiness, certificate, verify, rotate and the rate limit.

use kube::api::Api;
use sealsync::api::Group;

use super::*;

/// verify answers 200 for a SealedSecret that opens and 409 for one that does not; rotate
/// re-seals to the newest key and the result still opens; bad input is a 400 with a hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate() {
    let env = env().await;
    let c = spawn(&env, &["--http-burst", "100"]);
    ready(&c).await;
    assert_eq!(http(&c.url, "GET", "/healthz", "").map(|r| r.0), Some(200));
    let cert = cert(&c);
    let good = serde_json::to_string(&sealed(&cert, "app", "db", &[("password", "p")], false))
        .expect("json");
    let (status, body) = http(&c.url, "POST", "/v1/verify", &good).expect("verify");
    assert_eq!(status, 200, "{body}");
    let moved = good.replace("\"namespace\":\"app\"", "\"namespace\":\"elsewhere\"");
    let (status, body) = http(&c.url, "POST", "/v1/verify", &moved).expect("verify");
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("password"), "{body}");
    let (status, body) =
        http(&c.url, "POST", "/v1/verify", "not: [a sealed secret").expect("verify");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("hint"), "{body}");

    let (status, rotated) = http(&c.url, "POST", "/v1/rotate", &good).expect("rotate");
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated, good);
    let (status, body) = http(&c.url, "POST", "/v1/verify", &rotated).expect("verify rotated");
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value =
        serde_json::from_str(&rotated).expect("rotate answers JSON for JSON");
    apply(&env.client, Group::Sealsync, "app", &doc).await;
    wait_reason(&env.client, Group::Sealsync, "app", "db", "Unsealed").await;
}

/// Over the limit, verify answers 429 with Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_is_rate_limited() {
    let env = env().await;
    let (c, cert) = running(&env, &["--http-burst", "2", "--http-rate-limit", "0.01"]).await;
    let good = serde_json::to_string(&sealed(&cert, "app", "db", &[("password", "p")], false))
        .expect("json");
    let codes: Vec<u16> = (0..4)
        .filter_map(|_| http(&c.url, "POST", "/v1/verify", &good).map(|r| r.0))
        .collect();
    assert_eq!(codes, vec![200, 200, 429, 429]);
    let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
    assert!(
        metrics.contains("sealsync_http_rate_limited_total 2"),
        "{metrics}"
    );
}

/// A missing CRD or a bad selector stops the start with an error and a hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_errors_have_hints() {
    let cluster = DevCluster::start().await.expect("devcluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let out = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .args(["run", "--listen-addr", "127.0.0.1:0"])
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: the CRD sealedsecrets.sealsync.io is not installed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: install it: sealsync crds | kubectl apply --server-side -f -"),
        "{stderr}"
    );
}

/// `seal --validate` and `seal --re-encrypt` with no private key go through the controller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_validate_and_re_encrypt_through_the_controller() {
    let env = env().await;
    let (c, cert) = running(&env, &["--http-burst", "100"]).await;
    let seal = bin("seal");
    let good = serde_json::to_string(&sealed(&cert, "app", "db", &[("password", "p")], false))
        .expect("json");
    let (ok, _, err) = run_cmd(
        &seal,
        &["--validate", "--controller-url", &c.url],
        &good,
        &[],
    );
    assert!(ok, "{err}");
    assert!(err.contains("ok: app/db: 1 values open"), "{err}");

    let moved = good.replace("\"namespace\":\"app\"", "\"namespace\":\"elsewhere\"");
    let (ok, _, err) = run_cmd(
        &seal,
        &["--validate", "--controller-url", &c.url],
        &moved,
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("elsewhere/db") && err.contains("password"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");

    let (ok, rotated, err) = run_cmd(
        &seal,
        &["--re-encrypt", "--controller-url", &c.url],
        &good,
        &[],
    );
    assert!(ok, "{err}");
    assert_ne!(rotated.trim(), good.trim());
    let (ok, _, err) = run_cmd(
        &seal,
        &["--validate", "--controller-url", &c.url],
        &rotated,
        &[],
    );
    assert!(ok, "the re-encrypted SealedSecret opens: {err}");

    let (ok, _, err) = run_cmd(
        &seal,
        &["--validate", "--controller-url", "http://127.0.0.1:1"],
        &good,
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("cannot reach the controller at http://127.0.0.1:1/v1/verify"),
        "{err}"
    );
}

/// `seal --fetch-cert` with neither `--cert` nor `--controller-url` reads the `sealsync-cert`
/// ConfigMap through the kubeconfig: no port-forward, no API proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_fetch_cert_through_the_kubeconfig() {
    let env = env().await;
    let (_controller, cert) = running(&env, &[]).await;
    let configmaps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(env.client.clone(), NS);
    eventually("the certificate ConfigMap is published", || async {
        configmaps
            .get_opt("sealsync-cert")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let seal = bin("seal");
    let (ok, pem, err) = run_cmd(
        &seal,
        &["--fetch-cert"],
        "",
        &[("KUBECONFIG", &env.kubeconfig)],
    );
    assert!(ok, "{err}");
    assert_eq!(pem, cert.to_pem());
    let (ok, _, err) = run_cmd(
        &seal,
        &["--fetch-cert", "--controller-namespace", "elsewhere"],
        "",
        &[("KUBECONFIG", &env.kubeconfig)],
    );
    assert!(!ok);
    assert!(
        err.contains("no certificate in ConfigMap elsewhere/sealsync-cert"),
        "{err}"
    );
    assert!(err.contains("hint: check --controller-namespace"), "{err}");
}
