//! State survives a restart with a data directory.

use crate::*;
#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rv_before;
    {
        let cluster = DevCluster::builder()
            .data_dir(dir.path())
            .snapshot_every(5)
            .start()
            .await
            .expect("start");
        let client = Client::try_from(cluster.kube_config()).expect("client");
        let api = widgets(&client, "default").await;
        api.create(&PostParams::default(), &widget("kept", json!({"size": 3})))
            .await
            .expect("create");
        let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
        cms.create(&PostParams::default(), &cm("kept", json!({"a": "1"})))
            .await
            .expect("create");
        cms.create(&PostParams::default(), &cm("removed", json!({})))
            .await
            .expect("create");
        cms.delete("removed", &DeleteParams::default())
            .await
            .expect("delete");
        rv_before = cluster.resource_version();
    }
    assert!(
        dir.path().join("snapshot.json").is_file(),
        "compaction wrote no snapshot"
    );
    let cluster = DevCluster::builder()
        .data_dir(dir.path())
        .start()
        .await
        .expect("restart");
    assert_eq!(
        cluster.resource_version(),
        rv_before,
        "restart wrote something or lost something"
    );
    let client = Client::try_from(cluster.kube_config()).expect("client");
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let kept = cms.get("kept").await.expect("configmap kept");
    assert_eq!(
        kept.data.unwrap_or_default().get("a").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        code(&cms.get("removed").await.expect_err("deletion kept")).0,
        404
    );
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    let w: Api<DynamicObject> = Api::default_namespaced_with(client, &ar);
    assert_eq!(
        w.get("kept").await.expect("CRD and object kept").data["spec"]["size"],
        json!(3)
    );
    let next = cms
        .create(&PostParams::default(), &cm("after", json!({})))
        .await
        .expect("create");
    let rv: u64 = next
        .metadata
        .resource_version
        .unwrap_or_default()
        .parse()
        .expect("numeric rv");
    assert!(rv > rv_before, "resourceVersion went backwards");
}

/// Kills the child process when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on `dir`; returns the process and a client for it.
fn serve(dir: &std::path::Path) -> (Killed, Client) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_devcluster"))
        .args(["serve", "--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(dir.join("kubeconfig"))
        .arg("--data")
        .arg(dir.join("data"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("devcluster starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let guard = Killed(child);
    let mut url = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut url)
        .expect("URL line");
    let config = kube::Config::new(url.trim().parse().expect("URL"));
    (guard, Client::try_from(config).expect("client"))
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (mut server, client) = serve(dir.path());
        let cms: Api<ConfigMap> = Api::default_namespaced(client);
        for i in 0..30 {
            cms.create(
                &PostParams::default(),
                &cm(&format!("c{i:02}"), json!({"i": i.to_string()})),
            )
            .await
            .expect("create");
        }
        server.0.kill().expect("SIGKILL");
        let _ = server.0.wait();
    }
    // A crash in the middle of an append leaves a torn last line.
    let log = dir.path().join("data").join("log.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("log");
    std::io::Write::write_all(&mut f, b"{\"rv\":999,\"group\":\"\",\"plu").expect("torn write");
    drop(f);
    let (_server, client) = serve(dir.path());
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let listed = cms.list(&ListParams::default()).await.expect("list");
    assert_eq!(listed.items.len(), 30);
    cms.create(&PostParams::default(), &cm("after-crash", json!({})))
        .await
        .expect("writes go on");
}

#[tokio::test]
async fn a_torn_last_log_line_is_dropped_and_later_writes_still_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = || DevCluster::builder().data_dir(dir.path()).start();
    {
        let cluster = start().await.expect("start");
        let cms: Api<ConfigMap> = Api::default_namespaced(cluster.client().expect("client"));
        cms.create(&PostParams::default(), &cm("before", json!({})))
            .await
            .expect("create");
        cluster.shutdown().await;
    }
    // A crash in the middle of an append.
    let log = dir.path().join("log.jsonl");
    let mut bytes = std::fs::read(&log).expect("log");
    bytes.extend_from_slice(b"{\"rv\":99,\"group\":\"\",\"plu");
    std::fs::write(&log, bytes).expect("tear the log");
    {
        let cluster = start().await.expect("loads with a torn tail");
        let cms: Api<ConfigMap> = Api::default_namespaced(cluster.client().expect("client"));
        cms.create(&PostParams::default(), &cm("after", json!({})))
            .await
            .expect("create");
        cluster.shutdown().await;
    }
    let cluster = start().await.expect("loads again");
    let cms: Api<ConfigMap> = Api::default_namespaced(cluster.client().expect("client"));
    let names: Vec<String> = cms
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(names, ["after", "before"]);
}
