//! `sealsync diff` against devcluster, and the apply engine under it: creates, no change after
//! an apply, drift, Secret values redacted, and errors with exit code 2.

use std::path::Path;
use std::process::Command;

use devcluster::DevCluster;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
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

/// `sealsync diff` of a folder holding `files`, against a fresh devcluster: the cluster, and
/// (exit code, stdout, stderr).
async fn diff_fresh(
    files: &'static [(&'static str, &'static str)],
) -> (DevCluster, (i32, String, String)) {
    let cluster = DevCluster::start().await.expect("devcluster");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let repo = dir.path().join("repo");
    write(&repo, files);
    let result = tokio::task::spawn_blocking(move || diff(&kubeconfig, &repo))
        .await
        .expect("join");
    (cluster, result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kind_is_an_error_with_exit_code_2() {
    let (_cluster, (code, out, err)) = diff_fresh(&[(
        "widget.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
    )])
    .await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("error: Widget.example.com w: the cluster has no kind example.com/v1/Widget"),
        "{err}"
    );
    assert!(err.contains("hint: install the CRD"), "{err}");
}

/// A folder that brings a CRD and objects of its kind: both show as created (the server cannot
/// dry-run the objects before the CRD exists), and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_of_a_kind_defined_in_the_same_folder_show_as_created() {
    let (cluster, (code, out, err)) = diff_fresh(&[
        ("crd.yaml", WIDGET_CRD),
        (
            "widget.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nsize: 3\n",
        ),
    ])
    .await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("CustomResourceDefinition.apiextensions.k8s.io widgets.example.com created"),
        "{out}"
    );
    assert!(out.contains("Widget.example.com w created"), "{out}");
    assert!(out.contains("+size: 3"), "{out}");
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client().expect("client"));
    assert!(
        crds.get_opt("widgets.example.com")
            .await
            .expect("get")
            .is_none(),
        "a diff writes nothing"
    );
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";
