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
    assert!(dir.path().join("snapshot.json").is_file(), "compaction wrote no snapshot");
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
