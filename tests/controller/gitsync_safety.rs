//! GitSync behaviour a platform team relies on, through the running controller and a real
//! `git daemon`: drift is reverted within seconds (the interval is an hour), `git revert` rolls
//! back, `suspend` holds, pruning keeps what it must, a bad revision changes nothing, and a
//! failing Deployment is named in the status.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, PostParams};
use sealsync::api::gitsync::GitSync;

use super::*;
use crate::gitd::{commit_and_push, daemon, git, http_backend, repository};

fn configmap(name: &str, ns: Option<&str>, mode: &str) -> String {
    let ns = ns
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{ns}data:\n  mode: {mode}\n"
    )
}

/// devcluster and the running controller, its checkouts cached in the scratch folder.
async fn with_controller(extra: &[&str]) -> (Env, Controller) {
    let env = env().await;
    let cache = env.dir.path().join("cache");
    let mut args = vec!["--cache-dir", cache.to_str().expect("utf8")];
    args.extend_from_slice(extra);
    let (controller, _) = running(&env, &args).await;
    (env, controller)
}

/// A GitSync `sync` in `app` for `path` of the served repository.
async fn create_gitsync(client: &Client, port: u16, path: &str, interval: &str) {
    let gs: GitSync = serde_json::from_value(json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{port}/config.git"), "path": path,
                 "interval": interval, "timeout": "20s"},
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(client.clone(), "app")
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
}

/// Ready's status, reason and message, and the last applied revision.
async fn ready(client: &Client) -> Option<(String, String, String, Option<String>)> {
    let gs = Api::<GitSync>::namespaced(client.clone(), "app")
        .get_opt("sync")
        .await
        .ok()??;
    let st = gs.status?;
    let c = st.conditions.iter().find(|c| c.type_ == "Ready")?.clone();
    Some((
        c.status,
        c.reason.unwrap_or_default(),
        c.message.unwrap_or_default(),
        st.last_applied_revision,
    ))
}

/// Suspends or resumes, and waits until the controller has seen it.
async fn suspend(client: &Client, on: bool) {
    let api: Api<GitSync> = Api::namespaced(client.clone(), "app");
    let patch = json!({"spec": {"suspend": on}});
    let gs = api
        .patch("sync", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("suspend");
    let generation = gs.metadata.generation;
    eventually_for(
        Duration::from_secs(10),
        "the controller sees it",
        || async {
            let gs = api.get("sync").await.expect("get");
            gs.status.and_then(|s| s.observed_generation) >= generation
        },
    )
    .await;
}

/// Asks for a run now, as `kubectl annotate` would.
async fn reconcile_now(client: &Client, stamp: &str) {
    let patch = json!({"metadata": {"annotations": {"sealsync.io/reconcile-at": stamp}}});
    Api::<GitSync>::namespaced(client.clone(), "app")
        .patch("sync", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotate");
}

async fn applied_at(client: &Client, work: &Path) {
    let head = git(work, &["rev-parse", "main"]);
    let want = format!("main@sha1:{head}");
    eventually_for(Duration::from_secs(30), &format!("Ready at {want}"), || {
        let want = want.clone();
        async move {
            ready(client)
                .await
                .is_some_and(|s| s.0 == "True" && s.3.as_deref() == Some(want.as_str()))
        }
    })
    .await;
}

async fn mode(client: &Client, ns: &str, name: &str) -> Option<String> {
    Api::<ConfigMap>::namespaced(client.clone(), ns)
        .get_opt(name)
        .await
        .ok()
        .flatten()
        .and_then(|c| c.data)
        .and_then(|d| d.get("mode").cloned())
}

/// With an interval of an hour: an edit through kubectl and a delete are both undone within
/// seconds by the drift watch; `git revert` rolls a change back; `suspend` holds the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_undone_revert_rolls_back_and_suspend_holds() {
    let Some(kubectl) = kubectl() else {
        panic!("kubectl is required (.ci/run installs it)");
    };
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let config = configmap("settings", None, "fast");
    let served = repository(root, &[("app/config.yaml", &config)]);
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    applied_at(&env.client, &work).await;

    // kubectl edit, as a user would (a merge patch): reverted without waiting for the interval.
    kubectl_in_app(
        &kubectl,
        &env,
        &[
            "patch",
            "configmap",
            "settings",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"mode":"edited"}}"#,
        ],
    );
    eventually_for(Duration::from_secs(10), "the edit is reverted", || async {
        mode(&env.client, "app", "settings").await.as_deref() == Some("fast")
    })
    .await;
    Api::<ConfigMap>::namespaced(env.client.clone(), "app")
        .delete("settings", &DeleteParams::default())
        .await
        .expect("delete");
    eventually_for(
        Duration::from_secs(10),
        "the deleted object is back",
        || async { mode(&env.client, "app", "settings").await.as_deref() == Some("fast") },
    )
    .await;

    // A change, then `git revert`: the previous state is back.
    std::fs::write(
        work.join("app/config.yaml"),
        configmap("settings", None, "slow"),
    )
    .expect("w");
    commit_and_push(root, "slow down");
    reconcile_now(&env.client, "1").await;
    applied_at(&env.client, &work).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("slow")
    );
    git(&work, &["revert", "--no-edit", "HEAD"]);
    commit_and_push(root, "nothing else");
    reconcile_now(&env.client, "2").await;
    applied_at(&env.client, &work).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("fast")
    );

    // Suspended: neither a push nor an edit is acted on, until resumed.
    suspend(&env.client, true).await;
    std::fs::write(
        work.join("app/config.yaml"),
        configmap("settings", None, "held"),
    )
    .expect("w");
    commit_and_push(root, "while suspended");
    reconcile_now(&env.client, "3").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("fast"),
        "a suspended GitSync applies nothing"
    );
    suspend(&env.client, false).await;
    applied_at(&env.client, &work).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("held")
    );
}

/// Runs `kubectl -n app ARGS` against the dev cluster, as a user would; it must succeed.
fn kubectl_in_app(kubectl: &Path, env: &Env, args: &[&str]) {
    let kubeconfig = env.kubeconfig.to_str().expect("utf8");
    let out = Command::new(kubectl)
        .args(["--kubeconfig", kubeconfig, "-n", "app"])
        .args(args)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `sealsync_gitsync_runs_total`, summed over its reasons.
fn runs(c: &Controller) -> u64 {
    let (_, metrics) = http(&c.url, "GET", "/metrics", "").expect("metrics");
    metrics
        .lines()
        .filter(|l| l.starts_with("sealsync_gitsync_runs_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A status write to a managed object is not drift (no run, so no fetch), while `kubectl scale`
/// on a managed Deployment is, and is undone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_writes_are_not_drift_but_kubectl_scale_is() {
    let Some(kubectl) = kubectl() else {
        panic!("kubectl is required (.ci/run installs it)");
    };
    let (env, controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";
    let served = repository(root, &[("app/deployment.yaml", deployment)]);
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    applied_at(&env.client, &work).await;
    // Whatever the cluster's own controllers do after the apply has settled.
    let mut settled = runs(&controller);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = runs(&controller);
        if now == settled {
            break;
        }
        settled = now;
    }

    let deployments: Api<Deployment> = Api::namespaced(env.client.clone(), "app");
    for ready in [0, 1, 2] {
        let patch = json!({"status": {"readyReplicas": ready, "availableReplicas": ready}});
        deployments
            .patch_status("web", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("status written");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        runs(&controller),
        settled,
        "a status write set off a GitSync run"
    );

    kubectl_in_app(
        &kubectl,
        &env,
        &["scale", "deployment", "web", "--replicas=5"],
    );
    eventually_for(Duration::from_secs(10), "the scale is undone", || async {
        deployments
            .get("web")
            .await
            .ok()
            .and_then(|d| d.spec?.replicas)
            == Some(2)
    })
    .await;
    assert!(runs(&controller) > settled, "the scale set off a run");
}

/// A SealedSecret whose controller writes no status (Bitnami's with `--update-status=false`):
/// the GitSync holds the rest of the revision until the Secret the SealedSecret owns exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_secret_without_status_is_ready_once_its_secret_exists() {
    // Without --bitnami, nothing in this controller unseals bitnami.com SealedSecrets.
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n    password: AgA=\n";
    let config = configmap("settings", None, "fast");
    // The repository installs Bitnami's CRD, as one that runs Bitnami's controller would.
    let served = repository(
        root,
        &[
            ("app/crd.yaml", BITNAMI_CRD),
            ("app/db.yaml", sealed),
            ("app/config.yaml", &config),
        ],
    );
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;

    let gvk = kube::api::GroupVersionKind::gvk("bitnami.com", "v1alpha1", "SealedSecret");
    let resource = kube::api::ApiResource::from_gvk(&gvk);
    let sealed_secrets: Api<kube::api::DynamicObject> =
        Api::namespaced_with(env.client.clone(), "app", &resource);
    let uid = async {
        for _ in 0..200 {
            if let Some(uid) = sealed_secrets
                .get_opt("db")
                .await
                .ok()
                .flatten()
                .and_then(|o| o.metadata.uid)
            {
                return uid;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SealedSecret was not applied within 20 s");
    }
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await,
        None,
        "nothing after the SealedSecret stage is applied before its Secret exists"
    );

    // What such a controller does: the Secret, owned by the SealedSecret, and no status.
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db", "namespace": "app", "ownerReferences": [{
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "name": "db",
            "uid": uid, "controller": true}]},
        "data": {"password": "b3Blbg=="},
    }))
    .expect("secret");
    Api::<Secret>::namespaced(env.client.clone(), "app")
        .create(&PostParams::default(), &secret)
        .await
        .expect("created");
    applied_at(&env.client, &work).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("fast")
    );
}

/// Pruning keeps what it must: an object someone took over (our label removed), an object that
/// opted out, and a Namespace that still holds objects others manage. An empty revision
/// without `allowEmpty` prunes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruning_keeps_what_it_must() {
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n";
    let opted_out = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  labels:\n    sealsync.io/prune: disabled\ndata:\n  mode: kept\n";
    let served = repository(
        root,
        &[
            ("app/0-namespace.yaml", namespace),
            ("app/a.yaml", &configmap("a", Some("team"), "a")),
            ("app/b.yaml", &configmap("b", None, "b")),
            ("app/c.yaml", &configmap("c", None, "c")),
            ("app/keep.yaml", opted_out),
            ("app/stay.yaml", &configmap("stay", None, "stay")),
            (
                "app/README.md",
                "Not an object: the folder stays when the objects go.\n",
            ),
        ],
    );
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    applied_at(&env.client, &work).await;
    // Someone else's object in the namespace, and a take-over of c (while suspended, so the
    // GitSync does not put its label back).
    let handmade: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "handmade", "namespace": "team"}}))
            .expect("cm");
    Api::<ConfigMap>::namespaced(env.client.clone(), "team")
        .create(&PostParams::default(), &handmade)
        .await
        .expect("create");
    suspend(&env.client, true).await;
    let unlabel = json!({"metadata": {"labels": {"sealsync.io/owned-by": null}}});
    Api::<ConfigMap>::namespaced(env.client.clone(), "app")
        .patch("c", &PatchParams::default(), &Patch::Merge(&unlabel))
        .await
        .expect("unlabel");

    for file in [
        "0-namespace.yaml",
        "a.yaml",
        "b.yaml",
        "c.yaml",
        "keep.yaml",
    ] {
        std::fs::remove_file(work.join("app").join(file)).expect("rm");
    }
    commit_and_push(root, "remove all but stay");
    suspend(&env.client, false).await;
    applied_at(&env.client, &work).await;
    let cms = |ns: &str| Api::<ConfigMap>::namespaced(env.client.clone(), ns);
    eventually_for(Duration::from_secs(10), "a and b are pruned", || async {
        cms("team").get_opt("a").await.ok().flatten().is_none()
            && cms("app").get_opt("b").await.ok().flatten().is_none()
    })
    .await;
    assert!(
        cms("app").get_opt("c").await.expect("get").is_some(),
        "not ours any more: kept"
    );
    assert!(
        cms("app").get_opt("keep").await.expect("get").is_some(),
        "opted out: kept"
    );
    let team = Api::<Namespace>::all(env.client.clone())
        .get_opt("team")
        .await
        .expect("get");
    assert!(
        team.is_some(),
        "a Namespace holding others' objects is kept"
    );
    let (_, _, message, _) = ready(&env.client).await.expect("status");
    assert!(
        message.contains("Namespace /team"),
        "the status says why: {message}"
    );

    // Everything removed, allowEmpty unset: nothing is pruned, and the status says so.
    std::fs::remove_file(work.join("app/stay.yaml")).expect("rm");
    commit_and_push(root, "empty");
    reconcile_now(&env.client, "empty").await;
    eventually_for(
        Duration::from_secs(20),
        "EmptyRevision is reported",
        || async {
            ready(&env.client)
                .await
                .is_some_and(|s| s.1 == "EmptyRevision")
        },
    )
    .await;
    assert_eq!(
        mode(&env.client, "app", "stay").await.as_deref(),
        Some("stay")
    );
}

/// Each bad revision: Ready=False, the message names the file, and the cluster is unchanged
/// (the good object in the same revision is not applied; nothing is pruned).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_revision_changes_nothing_and_names_the_file() {
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let served = repository(
        root,
        &[("app/config.yaml", &configmap("settings", None, "fast"))],
    );
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    applied_at(&env.client, &work).await;

    let unknown = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "invalid YAML",
            "app/broken.yaml",
            "apiVersion: v1\nkind: [unclosed\n",
            "RenderFailed",
        ),
        ("a duplicate", "app/again.yaml", "", "RenderFailed"),
        ("an unknown kind", "app/widget.yaml", unknown, "ApplyFailed"),
        (
            "an unsupported kustomize field",
            "app/kustomization.yaml",
            "resources:\n- config.yaml\n- fresh.yaml\npatches:\n- path: p.yaml\n",
            "UnsupportedKustomization",
        ),
    ];
    for (i, (what, file, text, reason)) in cases.into_iter().enumerate() {
        let text = if text.is_empty() {
            configmap("settings", None, "other")
        } else {
            text.to_owned()
        };
        std::fs::write(
            work.join("app/config.yaml"),
            configmap("settings", None, "changed"),
        )
        .expect("w");
        std::fs::write(work.join("app/fresh.yaml"), configmap("fresh", None, "new")).expect("w");
        std::fs::write(work.join(file), &text).expect("w");
        commit_and_push(root, what);
        reconcile_now(&env.client, &format!("bad-{i}")).await;
        let name = file.trim_start_matches("app/");
        eventually_for(
            Duration::from_secs(20),
            &format!("{what} is reported"),
            || async {
                ready(&env.client)
                    .await
                    .is_some_and(|s| s.0 == "False" && s.1 == reason && s.2.contains(name))
            },
        )
        .await;
        assert_eq!(
            mode(&env.client, "app", "settings").await.as_deref(),
            Some("fast"),
            "{what}: the cluster is unchanged"
        );
        assert_eq!(
            mode(&env.client, "app", "fresh").await,
            None,
            "{what}: nothing new"
        );
        // Back to the good state for the next case.
        std::fs::remove_file(work.join(file)).expect("rm");
        std::fs::remove_file(work.join("app/fresh.yaml")).expect("rm");
        std::fs::write(
            work.join("app/config.yaml"),
            configmap("settings", None, "fast"),
        )
        .expect("w");
        commit_and_push(root, "fixed");
        reconcile_now(&env.client, &format!("good-{i}")).await;
        applied_at(&env.client, &work).await;
    }
}

/// A Deployment that cannot roll out (devcluster's simulation, image tag `:fail`) is named in
/// the status with the controller's reason, well before the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_deployment_is_named_in_the_status() {
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: registry.example/web:fail\n";
    let served = repository(root, &[("app/web.yaml", deployment)]);
    let daemon = daemon(&served);
    let started = Instant::now();
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    eventually_for(
        Duration::from_secs(15),
        "the failing Deployment is named",
        || async {
            ready(&env.client).await.is_some_and(|s| {
                s.0 == "False"
                    && s.2.contains("Deployment.apps app/web")
                    && s.2.contains("ProgressDeadlineExceeded")
            })
        },
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "before the 20 s timeout"
    );
}

/// An HTTPS repository behind basic auth, its CA trusted through SSL_CERT_FILE: the GitSync's
/// `secretRef` opens it; a missing Secret and a wrong password are reported, and the status never
/// holds the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_basic_auth_from_the_secret_ref() {
    let env = env().await;
    let root = env.dir.path();
    let served = repository(
        root,
        &[("app/config.yaml", &configmap("settings", None, "fast"))],
    );
    let tls = root.join("tls");
    std::fs::create_dir_all(&tls).expect("mkdir");
    let server = http_backend(&served, "basic", "ci:s3cret-pw", Some(&tls));
    let cache = root.join("cache");
    let ca = tls.join("ca.pem");
    let controller = spawn_with(
        &env,
        &["--cache-dir", cache.to_str().expect("utf8")],
        &[("SSL_CERT_FILE", &ca)],
    );
    super::ready(&controller).await;
    create_https_gitsync(&env.client, server.1).await;
    eventually_for(
        Duration::from_secs(20),
        "a missing Secret is reported",
        || async {
            ready(&env.client)
                .await
                .is_some_and(|s| s.1 == "CredentialsNotFound" && s.2.contains("app/git-auth"))
        },
    )
    .await;

    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "app");
    let secret = |password: &str| -> Secret {
        serde_json::from_value(json!({
            "metadata": {"name": "git-auth", "namespace": "app"},
            "stringData": {"username": "ci", "password": password},
        }))
        .expect("secret")
    };
    secrets
        .create(&PostParams::default(), &secret("wrong-pw"))
        .await
        .expect("secret");
    reconcile_now(&env.client, "wrong").await;
    let message = fetch_failed(&env.client, "the refused login is reported").await;
    assert!(!message.contains("wrong-pw"), "{message}");

    secrets
        .replace("git-auth", &PostParams::default(), &secret("s3cret-pw"))
        .await
        .expect("secret");
    reconcile_now(&env.client, "right").await;
    applied_at(&env.client, &root.join("work")).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("fast")
    );
    let logs = controller
        .logs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    assert!(
        !logs.contains("s3cret-pw") && !logs.contains("wrong-pw"),
        "no password in logs"
    );
}

/// Waits until the GitSync reports `FetchFailed` (`what` names the wait); its message.
async fn fetch_failed(client: &Client, what: &str) -> String {
    eventually_for(Duration::from_secs(20), what, || async {
        ready(client).await.is_some_and(|s| s.1 == "FetchFailed")
    })
    .await;
    ready(client).await.expect("status").2
}

/// The GitSync `app/sync` following `https://127.0.0.1:PORT/config.git` with the credentials
/// of the Secret `git-auth`.
async fn create_https_gitsync(client: &Client, port: u16) {
    let gs: GitSync = serde_json::from_value(json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("https://127.0.0.1:{port}/config.git"), "path": "app",
                 "interval": "1h", "secretRef": {"name": "git-auth"}},
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(client.clone(), "app")
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
}

/// A private CA given in the `secretRef` Secret as `ca.crt` (as Flux's GitRepository takes it):
/// without it the controller refuses the server's certificate, with it the revision applies;
/// the controller itself trusts no extra CA (no SSL_CERT_FILE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_from_the_secret_ref_is_trusted() {
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let served = repository(
        root,
        &[("app/config.yaml", &configmap("settings", None, "fast"))],
    );
    let tls = root.join("tls");
    std::fs::create_dir_all(&tls).expect("mkdir");
    let server = http_backend(&served, "bearer", "t0ken-value", Some(&tls));
    let ca = std::fs::read_to_string(tls.join("ca.pem")).expect("ca");
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), "app");
    let secret = |data: Value| -> Secret {
        serde_json::from_value(json!({
            "metadata": {"name": "git-auth", "namespace": "app"}, "stringData": data,
        }))
        .expect("secret")
    };
    secrets
        .create(
            &PostParams::default(),
            &secret(json!({"bearerToken": "t0ken-value"})),
        )
        .await
        .expect("secret");
    create_https_gitsync(&env.client, server.1).await;
    let message = fetch_failed(&env.client, "the untrusted certificate is reported").await;
    assert!(
        message.to_lowercase().contains("certificate"),
        "the message names the certificate: {message}"
    );
    assert!(!message.contains("t0ken-value"), "{message}");

    secrets
        .replace(
            "git-auth",
            &PostParams::default(),
            &secret(json!({"bearerToken": "t0ken-value", "ca.crt": ca})),
        )
        .await
        .expect("secret");
    reconcile_now(&env.client, "with-ca").await;
    applied_at(&env.client, &root.join("work")).await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("fast")
    );
}

/// `ref.semver`: the highest matching tag is applied, a new matching tag is followed, a tag
/// outside the range is not; the revision names the tag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semver_range_follows_the_highest_matching_tag() {
    let (env, _controller) = with_controller(&[]).await;
    let root = env.dir.path();
    let served = repository(
        root,
        &[("app/config.yaml", &configmap("settings", None, "1.0"))],
    );
    let work = root.join("work");
    let bare = served.join("config.git");
    let tag = |name: &str, mode: &str| {
        std::fs::write(
            work.join("app/config.yaml"),
            configmap("settings", None, mode),
        )
        .expect("w");
        commit_and_push(root, name);
        git(&work, &["tag", name]);
        git(&work, &["push", "-q", bare.to_str().expect("utf8"), name]);
    };
    tag("v1.0.0", "one");
    tag("v1.1.0", "one-one");
    tag("v2.0.0", "two");
    let daemon = daemon(&served);
    let gs: GitSync = serde_json::from_value(json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{}/config.git", daemon.1), "path": "app",
                 "interval": "1h", "ref": {"semver": ">=1.0.0, <2.0.0"}},
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(env.client.clone(), "app")
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
    // The status is written after the apply: wait for it, not only for the object.
    eventually_for(
        Duration::from_secs(20),
        "v1.1.0 applied and recorded",
        || async {
            ready(&env.client).await.is_some_and(|s| {
                s.0 == "True" && s.3.is_some_and(|r| r.starts_with("v1.1.0@sha1:"))
            })
        },
    )
    .await;
    assert_eq!(
        mode(&env.client, "app", "settings").await.as_deref(),
        Some("one-one")
    );
    tag("v1.2.0", "one-two");
    reconcile_now(&env.client, "new tag").await;
    eventually_for(Duration::from_secs(20), "v1.2.0 applied", || async {
        mode(&env.client, "app", "settings").await.as_deref() == Some("one-two")
    })
    .await;
}

/// An inventory past `--inventory-spill-bytes` goes to the ConfigMap `<name>-inventory`, owned
/// by the GitSync; the next revision prunes from it; it is written only when the inventory
/// changes, and deleted once the inventory fits in the status again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_inventory_spills_to_a_configmap_and_still_prunes() {
    let (env, _controller) = with_controller(&["--inventory-spill-bytes", "200"]).await;
    let root = env.dir.path();
    let files: Vec<(String, String)> = (0..10)
        .map(|i| {
            (
                format!("app/cm-{i}.yaml"),
                configmap(&format!("cm-{i}"), None, "x"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let served = repository(root, &borrowed);
    let work = root.join("work");
    let daemon = daemon(&served);
    create_gitsync(&env.client, daemon.1, "app", "1h").await;
    applied_at(&env.client, &work).await;
    let gs = Api::<GitSync>::namespaced(env.client.clone(), "app")
        .get("sync")
        .await
        .expect("get");
    let status = gs.status.expect("status");
    assert!(status.inventory.is_empty(), "{:?}", status.inventory);
    assert_eq!(
        status.inventory_config_map.as_deref(),
        Some("sync-inventory")
    );
    let spilled = Api::<ConfigMap>::namespaced(env.client.clone(), "app")
        .get("sync-inventory")
        .await
        .expect("the inventory ConfigMap");
    let text = spilled
        .data
        .and_then(|d| d.get("inventory.json").cloned())
        .expect("inventory.json");
    assert!(text.contains("app_cm-9_ConfigMap"), "{text}");
    assert!(
        spilled
            .metadata
            .owner_references
            .is_some_and(|o| o.iter().any(|r| r.kind == "GitSync" && r.name == "sync"))
    );

    for i in [3, 7] {
        std::fs::remove_file(work.join(format!("app/cm-{i}.yaml"))).expect("rm");
    }
    commit_and_push(root, "two fewer");
    reconcile_now(&env.client, "fewer").await;
    applied_at(&env.client, &work).await;
    for i in [3, 7] {
        assert_eq!(
            mode(&env.client, "app", &format!("cm-{i}")).await,
            None,
            "cm-{i} pruned"
        );
    }
    assert_eq!(mode(&env.client, "app", "cm-0").await.as_deref(), Some("x"));

    // A change of content only: the inventory is the same, so its ConfigMap is not written.
    let writes = || {
        env.cluster
            .requests()
            .iter()
            .filter(|r| {
                r.resource.as_deref() == Some("configmaps")
                    && r.name.as_deref() == Some("sync-inventory")
                    && matches!(r.verb.as_deref(), Some("create" | "patch" | "update"))
            })
            .count()
    };
    let before = writes();
    std::fs::write(work.join("app/cm-0.yaml"), configmap("cm-0", None, "y")).expect("w");
    commit_and_push(root, "content only");
    reconcile_now(&env.client, "content").await;
    applied_at(&env.client, &work).await;
    assert_eq!(mode(&env.client, "app", "cm-0").await.as_deref(), Some("y"));
    assert_eq!(
        writes(),
        before,
        "the unchanged inventory was written again"
    );

    // Down to one object: the inventory fits in the status again, and its ConfigMap goes.
    for i in [1, 2, 4, 5, 6, 8, 9] {
        std::fs::remove_file(work.join(format!("app/cm-{i}.yaml"))).expect("rm");
    }
    commit_and_push(root, "one left");
    reconcile_now(&env.client, "one").await;
    applied_at(&env.client, &work).await;
    let status = Api::<GitSync>::namespaced(env.client.clone(), "app")
        .get("sync")
        .await
        .expect("get")
        .status
        .expect("status");
    assert_eq!(status.inventory_config_map, None);
    assert!(!status.inventory.is_empty());
    eventually_for(
        Duration::from_secs(10),
        "the inventory ConfigMap is deleted",
        || async {
            Api::<ConfigMap>::namespaced(env.client.clone(), "app")
                .get_opt("sync-inventory")
                .await
                .is_ok_and(|c| c.is_none())
        },
    )
    .await;
    assert_eq!(mode(&env.client, "app", "cm-2").await, None, "cm-2 pruned");
}
