//! `sealsync diff` against devcluster, and the apply engine under it: creates, no change after
//! an apply, drift, Secret values redacted, and errors with exit code 2.

use std::path::Path;
use std::process::Command;

use devcluster::DevCluster;
use kube::api::{Api, Patch, PatchParams};
use sealsync::sync::apply::Engine;
use sealsync::sync::build::render_dir;

const FILES: &[(&str, &str)] = &[
    (
        "namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
    ),
    (
        "app/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: web\ndata:\n  mode: fast\n",
    ),
    (
        "app/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: web\nstringData:\n  token: plaintext-never-shown\n",
    ),
];

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

/// Runs `sealsync diff --path DIR`: (exit code, stdout, stderr).
fn diff(kubeconfig: &Path, dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .args(["diff", "--path"])
        .arg(dir)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("sealsync runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_creates_nothing_after_an_apply_then_drift_with_secrets_redacted() {
    let cluster = DevCluster::start().await.expect("devcluster");
    let client = cluster.client().expect("client");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let repo = dir.path().join("repo");
    write(&repo, FILES);

    let (code, out, err) = tokio::task::spawn_blocking({
        let (k, r) = (kubeconfig.clone(), repo.clone());
        move || diff(&k, &r)
    })
    .await
    .expect("join");
    assert_eq!(code, 1, "{err}");
    for line in [
        "► Namespace web created",
        "► ConfigMap web/settings created",
        "► Secret web/token created",
    ] {
        assert!(out.contains(line), "{out}");
    }
    assert!(out.contains("*** (changed)"), "{out}");
    assert!(
        !out.contains("plaintext-never-shown") && !err.contains("plaintext-never-shown"),
        "a Secret value leaked:\n{out}"
    );

    // Apply with the engine a GitSync uses; then nothing differs.
    let engine = Engine::new(
        client.clone(),
        "default".into(),
        Some("flux-system.demo".into()),
    );
    for (_, stage) in sealsync::sync::apply::stages::plan(render_dir(&repo).expect("render")) {
        for object in &stage {
            let applied = engine.apply(object).await.expect("applied");
            assert_eq!(
                applied["metadata"]["labels"]["sealsync.io/owned-by"],
                "flux-system.demo"
            );
        }
    }
    let (k, r) = (kubeconfig.clone(), repo.clone());
    let (code, out, err) = tokio::task::spawn_blocking(move || diff(&k, &r))
        .await
        .expect("join");
    assert_eq!(code, 0, "no change after the apply:\n{out}{err}");
    assert!(out.is_empty(), "{out}");

    // Someone edits the ConfigMap: the diff shows it.
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(client.clone(), "web");
    let edit = serde_json::json!({"data": {"mode": "slow"}});
    cms.patch("settings", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .expect("edited");
    let (k, r) = (kubeconfig.clone(), repo.clone());
    let (code, out, _) = tokio::task::spawn_blocking(move || diff(&k, &r))
        .await
        .expect("join");
    assert_eq!(code, 1);
    assert!(
        out.contains("► ConfigMap web/settings drifted")
            && out.contains("-  mode: slow")
            && out.contains("+  mode: fast"),
        "{out}"
    );
    assert!(
        !out.contains("Secret web/token"),
        "the Secret is unchanged: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kind_is_an_error_with_exit_code_2() {
    let cluster = DevCluster::start().await.expect("devcluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let repo = dir.path().join("repo");
    write(
        &repo,
        &[(
            "widget.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
        )],
    );
    let (code, out, err) = tokio::task::spawn_blocking(move || diff(&kubeconfig, &repo))
        .await
        .expect("join");
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("error: Widget.example.com w: the cluster has no kind example.com/v1/Widget"),
        "{err}"
    );
    assert!(err.contains("hint: install the CRD"), "{err}");
}
