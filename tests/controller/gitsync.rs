//! The GitSync reconciler in the running controller, following a real `git daemon`: objects
//! appear (the SealedSecret's Secret before the Deployment), a push updates them and prunes what
//! left Git, and with the server down nothing is pruned and the status says why.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use sealsync::api::gitsync::GitSync;

use super::*;
use crate::gitd::{commit_and_push, daemon, git, repository};

const CONFIG: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n";
const EXTRA: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n";
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          envFrom:\n            - secretRef: {name: db}\n";

async fn gitsync_status(client: &Client) -> Option<(String, String, String, Option<String>)> {
    let api: Api<GitSync> = Api::namespaced(client.clone(), "app");
    let gs = api.get_opt("sync").await.ok()??;
    let st = gs.status?;
    let c = st.conditions.iter().find(|c| c.type_ == "Ready")?.clone();
    Some((
        c.status,
        c.reason.unwrap_or_default(),
        c.message.unwrap_or_default(),
        st.last_applied_revision,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gitsync_follows_pushes_prunes_and_holds_when_git_is_down() {
    let env = env().await;
    let cache = env.dir.path().join("cache");
    let (_controller, cert) = running(&env, &["--cache-dir", cache.to_str().expect("utf8")]).await;
    let sealed_json = serde_json::to_string_pretty(&sealed(
        &cert,
        "app",
        "db",
        &[("password", "from-git")],
        false,
    ))
    .expect("json");
    let root = env.dir.path();
    let served = repository(
        root,
        &[
            ("app/config.yaml", CONFIG),
            ("app/extra.yaml", EXTRA),
            ("app/deployment.yaml", DEPLOYMENT),
            ("app/db.sealed.json", &sealed_json),
        ],
    );
    let work = root.join("work");
    let daemon = daemon(&served);
    let port = daemon.1;

    let gitsyncs: Api<GitSync> = Api::namespaced(env.client.clone(), "app");
    let gs: GitSync = serde_json::from_value(serde_json::json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{port}/config.git"), "path": "app", "interval": "1s"},
    }))
    .expect("gitsync");
    gitsyncs
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");

    let head = git(&work, &["rev-parse", "main"]);
    eventually_for(
        Duration::from_secs(60),
        "the GitSync is Ready at the pushed revision",
        || async {
            gitsync_status(&env.client).await.is_some_and(|s| {
                s.0 == "True" && s.3.as_deref() == Some(format!("main@sha1:{head}").as_str())
            })
        },
    )
    .await;
    let configmaps: Api<ConfigMap> = Api::namespaced(env.client.clone(), "app");
    let settings = configmaps.get("settings").await.expect("applied");
    assert_eq!(
        settings
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("sealsync.io/owned-by"))
            .map(String::as_str),
        Some("app.sync")
    );
    let db = secret(&env.client, "app", "db")
        .await
        .expect("the SealedSecret's Secret");
    let web = Api::<Deployment>::namespaced(env.client.clone(), "app")
        .get("web")
        .await
        .expect("deployment");
    assert!(
        db.metadata.creation_timestamp.as_ref().map(|t| t.0)
            <= web.metadata.creation_timestamp.as_ref().map(|t| t.0),
        "the Secret exists before the Deployment that uses it"
    );
    // The same, to the request: the API server's log has the Secret written before the
    // Deployment is (dry runs aside).
    let requests = env.cluster.requests();
    let first_write = |resource: &str, name: &str| {
        requests.iter().position(|r| {
            r.resource.as_deref() == Some(resource)
                && r.name.as_deref() == Some(name)
                && matches!(r.verb.as_deref(), Some("create" | "patch" | "update"))
                && !r.query.contains("dryRun")
                && r.status < 300
        })
    };
    let (secret_at, deployment_at) = (
        first_write("secrets", "db"),
        first_write("deployments", "web"),
    );
    assert!(
        secret_at.is_some() && deployment_at.is_some() && secret_at < deployment_at,
        "the Secret is written before the Deployment: {secret_at:?} < {deployment_at:?}"
    );
    assert_eq!(
        values(&db).get("password").map(String::as_str),
        Some("from-git")
    );

    // A push: a changed value, a removed file.
    std::fs::write(work.join("app/config.yaml"), CONFIG.replace("fast", "slow")).expect("write");
    std::fs::remove_file(work.join("app/extra.yaml")).expect("rm");
    commit_and_push(root, "second");
    eventually_for(
        Duration::from_secs(30),
        "the change is applied and extra pruned",
        || async {
            let mode = configmaps
                .get_opt("settings")
                .await
                .ok()
                .flatten()
                .and_then(|c| c.data)
                .and_then(|d| d.get("mode").cloned());
            mode.as_deref() == Some("slow")
                && configmaps.get_opt("extra").await.ok().flatten().is_none()
        },
    )
    .await;

    // The server goes away, and Git loses a file: nothing is pruned, and the status says why.
    drop(daemon);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the git daemon still answers on port {port} after it was stopped"
    );
    std::fs::remove_file(work.join("app/config.yaml")).expect("rm");
    commit_and_push(root, "third");
    eventually_for(
        Duration::from_secs(30),
        "the GitSync reports the failed fetch",
        || async {
            gitsync_status(&env.client)
                .await
                .is_some_and(|s| s.0 == "False" && s.1 == "FetchFailed")
        },
    )
    .await;
    let (_, _, message, _) = gitsync_status(&env.client).await.expect("status");
    assert!(
        message.contains("Nothing was applied or pruned"),
        "{message}"
    );
    assert!(
        configmaps.get_opt("settings").await.expect("get").is_some(),
        "nothing pruned while Git is unreachable"
    );
}

/// A webhook call applies a push at once, with an interval of ten minutes: GitHub's signature or
/// a Bearer token; a bad token is 401, an unknown GitSync 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_call_applies_a_push_at_once() {
    let env = env().await;
    let cache = env.dir.path().join("cache");
    let (controller, _) = running(
        &env,
        &[
            "--cache-dir",
            cache.to_str().expect("utf8"),
            "--http-burst",
            "50",
        ],
    )
    .await;
    let root = env.dir.path();
    let served = repository(root, &[("config.yaml", CONFIG)]);
    let work = root.join("work");
    let daemon = daemon(&served);
    let token: k8s_openapi::api::core::v1::Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "hook", "namespace": "app"}, "stringData": {"token": "s3cret-hook-token"},
    }))
    .expect("secret");
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(env.client.clone(), "app")
        .create(&PostParams::default(), &token)
        .await
        .expect("token");
    let gs: GitSync = serde_json::from_value(serde_json::json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{}/config.git", daemon.1), "interval": "10m", "webhookSecretRef": {"name": "hook"}},
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(env.client.clone(), "app")
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
    eventually("the first revision is applied", || async {
        gitsync_status(&env.client)
            .await
            .is_some_and(|s| s.0 == "True")
    })
    .await;

    std::fs::write(work.join("config.yaml"), CONFIG.replace("fast", "hooked")).expect("write");
    commit_and_push(root, "second");
    let url = controller.url.clone();
    let bad = http_with(
        &url,
        "POST",
        "/hooks/app/sync",
        "{}",
        &[("Authorization", "Bearer wrong")],
    )
    .expect("answer");
    assert_eq!(bad.0, 401, "{}", bad.1);
    let unknown = http_with(
        &url,
        "POST",
        "/hooks/app/nope",
        "{}",
        &[("Authorization", "Bearer s3cret-hook-token")],
    )
    .expect("answer");
    assert_eq!(unknown.0, 404, "{}", unknown.1);
    let body = r#"{"ref":"refs/heads/main"}"#;
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"s3cret-hook-token");
    let tag: String = aws_lc_rs::hmac::sign(&key, body.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let signature = format!("sha256={tag}");
    let ok = http_with(
        &url,
        "POST",
        "/hooks/app/sync",
        body,
        &[("X-Hub-Signature-256", &signature)],
    )
    .expect("answer");
    assert_eq!(ok.0, 202, "{}", ok.1);
    let configmaps: Api<ConfigMap> = Api::namespaced(env.client.clone(), "app");
    eventually_for(
        Duration::from_secs(15),
        "the push is applied without waiting for the interval",
        || async {
            configmaps
                .get_opt("settings")
                .await
                .ok()
                .flatten()
                .and_then(|c| c.data)
                .and_then(|d| d.get("mode").cloned())
                .as_deref()
                == Some("hooked")
        },
    )
    .await;
    let gitsyncs: Api<GitSync> = Api::namespaced(env.client.clone(), "app");
    eventually("lastHandledReconcileAt is recorded", || async {
        let status = gitsyncs.get("sync").await.ok().and_then(|g| g.status);
        status.and_then(|s| s.last_handled_reconcile_at).is_some()
    })
    .await;
}

const JOB: &str = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: once\n          image: busybox:1\n";

/// A change to an immutable field (a Job's template): without `force` the GitSync reports the
/// object and the field and leaves it alone; with `force` the Job is recreated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_field_needs_force_and_force_recreates() {
    let env = env().await;
    let cache = env.dir.path().join("cache");
    let (_controller, _) = running(&env, &["--cache-dir", cache.to_str().expect("utf8")]).await;
    let root = env.dir.path();
    let served = repository(root, &[("job.yaml", JOB)]);
    let daemon = daemon(&served);
    let gitsyncs: Api<GitSync> = Api::namespaced(env.client.clone(), "app");
    let gs: GitSync = serde_json::from_value(serde_json::json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{}/config.git", daemon.1), "interval": "1s"},
    }))
    .expect("gitsync");
    gitsyncs
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
    eventually("the Job is applied", || async {
        gitsync_status(&env.client)
            .await
            .is_some_and(|s| s.0 == "True")
    })
    .await;
    let jobs: Api<k8s_openapi::api::batch::v1::Job> = Api::namespaced(env.client.clone(), "app");
    let first_uid = jobs.get("once").await.expect("job").metadata.uid;

    std::fs::write(
        root.join("work/job.yaml"),
        JOB.replace("busybox:1", "busybox:2"),
    )
    .expect("write");
    commit_and_push(root, "new image");
    eventually("the refusal is reported", || async {
        gitsync_status(&env.client).await.is_some_and(|s| {
            s.1 == "ApplyFailed"
                && s.2.contains("Job.batch app/once")
                && s.2.contains("spec.template")
        })
    })
    .await;
    assert_eq!(
        jobs.get("once").await.expect("job").metadata.uid,
        first_uid,
        "left alone without force"
    );

    let force = serde_json::json!({"spec": {"force": true}});
    gitsyncs
        .patch(
            "sync",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&force),
        )
        .await
        .expect("force on");
    eventually_for(
        Duration::from_secs(30),
        "the Job is recreated with the new template",
        || async {
            let job = jobs.get_opt("once").await.ok().flatten();
            job.is_some_and(|j| {
                let image = j
                    .spec
                    .and_then(|s| s.template.spec)
                    .and_then(|p| p.containers.first().and_then(|c| c.image.clone()));
                j.metadata.uid != first_uid && image.as_deref() == Some("busybox:2")
            })
        },
    )
    .await;
}
