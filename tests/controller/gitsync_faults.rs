//! Faults in the middle of a GitSync apply: API errors, slow answers and closed watches, then the
//! controller killed (SIGKILL) half-way through applying a revision and started again. Each
//! converges to Git, with nothing lost and nothing wrongly deleted.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use sealsync::api::gitsync::GitSync;

use super::*;
use crate::gitd::{commit_and_push, daemon, git, repository};

const OBJECTS: usize = 40;

fn configmap(i: usize, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02}\ndata:\n  value: {value}\n"
    )
}

async fn ready_at(client: &Client, work: &Path, limit: Duration) {
    let want = format!("main@sha1:{}", git(work, &["rev-parse", "main"]));
    let api: Api<GitSync> = Api::namespaced(client.clone(), "app");
    eventually_for(limit, &format!("Ready at {want}"), || {
        let (api, want) = (api.clone(), want.clone());
        async move {
            let Ok(gs) = api.get("sync").await else {
                return false;
            };
            let st = gs.status.unwrap_or_default();
            st.conditions.first().is_some_and(|c| c.status == "True")
                && st.last_applied_revision.as_deref() == Some(want.as_str())
        }
    })
    .await;
}

/// The managed ConfigMaps' values, by name.
async fn values_of(client: &Client) -> BTreeMap<String, String> {
    Api::<ConfigMap>::namespaced(client.clone(), "app")
        .list(&ListParams::default().labels("sealsync.io/owned-by=app.sync"))
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|c| {
            let value = c
                .data
                .and_then(|d| d.get("value").cloned())
                .unwrap_or_default();
            (c.metadata.name.unwrap_or_default(), value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_a_killed_controller_converge_without_loss() {
    let env = env().await;
    let root = env.dir.path();
    let files: Vec<(String, String)> = (0..OBJECTS)
        .map(|i| (format!("app/cm-{i:02}.yaml"), configmap(i, "one")))
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let served = repository(root, &borrowed);
    let work = root.join("work");
    let daemon = daemon(&served);
    // Someone else's ConfigMap beside the managed ones: never touched.
    let theirs: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "theirs"}, "data": {"v": "x"}}))
            .expect("cm");
    let configmaps: Api<ConfigMap> = Api::namespaced(env.client.clone(), "app");
    configmaps
        .create(&PostParams::default(), &theirs)
        .await
        .expect("create");

    let cache = root.join("cache");
    let cache = cache.to_str().expect("utf8");
    let controller = spawn(&env, &["--cache-dir", cache]);
    super::ready(&controller).await;
    let faults = env.cluster.faults();
    faults.fail_next("patch", "configmaps", 6, 500);
    faults.fail_next("get", "configmaps", 3, 503);
    faults.set_latency(Duration::from_millis(5));
    let gs: GitSync = serde_json::from_value(json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": "sync", "namespace": "app"},
        "spec": {"url": format!("git://127.0.0.1:{}/config.git", daemon.1), "path": "app",
                 "interval": "1h", "retryInterval": "1s"},
    }))
    .expect("gitsync");
    Api::<GitSync>::namespaced(env.client.clone(), "app")
        .create(&PostParams::default(), &gs)
        .await
        .expect("created");
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        faults.close_watches();
    }
    ready_at(&env.client, &work, Duration::from_secs(60)).await;
    let values = values_of(&env.client).await;
    assert_eq!(
        values.len(),
        OBJECTS,
        "every object applied despite the faults"
    );
    assert!(values.values().all(|v| v == "one"), "{values:?}");

    // A new revision: every value changes and five files go. The controller is killed while it
    // applies (each request slowed), then started again.
    for i in 0..OBJECTS {
        let file = work.join(format!("app/cm-{i:02}.yaml"));
        if i < 5 {
            std::fs::remove_file(file).expect("rm");
        } else {
            std::fs::write(file, configmap(i, "two")).expect("write");
        }
    }
    commit_and_push(root, "two");
    faults.set_latency(Duration::from_millis(150));
    let patch = json!({"metadata": {"annotations": {"sealsync.io/reconcile-at": "now"}}});
    Api::<GitSync>::namespaced(env.client.clone(), "app")
        .patch("sync", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("annotate");
    eventually_for(
        Duration::from_secs(30),
        "the apply is under way",
        || async { values_of(&env.client).await.values().any(|v| v == "two") },
    )
    .await;
    drop(controller); // SIGKILL, half-way
    let halfway = values_of(&env.client).await;
    assert!(
        halfway.values().any(|v| v == "one"),
        "killed before the end: {halfway:?}"
    );
    faults.clear();
    let _restarted = spawn(&env, &["--cache-dir", cache]);
    ready_at(&env.client, &work, Duration::from_secs(60)).await;
    let values = values_of(&env.client).await;
    let want: BTreeMap<String, String> = (5..OBJECTS)
        .map(|i| (format!("cm-{i:02}"), "two".to_owned()))
        .collect();
    assert_eq!(
        values, want,
        "converged: the changes applied, the five removed pruned"
    );
    assert!(
        configmaps.get_opt("theirs").await.expect("get").is_some(),
        "someone else's object is untouched"
    );
}
