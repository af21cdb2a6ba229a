//! Watches: kube-runtime watcher and reflector, 410 Gone, slow watchers, streaming lists.

use crate::*;
use kube::runtime::{WatchStreamExt, reflector, watcher};

async fn eventually(mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached within 10 s");
}

fn names(store: &reflector::Store<ConfigMap>) -> Vec<String> {
    let mut n: Vec<String> = store
        .state()
        .iter()
        .filter_map(|o| o.metadata.name.clone())
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn a_reflector_follows_changes_and_recovers_from_gone_and_closed_watches() {
    let cluster = DevCluster::builder()
        .watch_history(20)
        .start()
        .await
        .expect("start");
    let client = Client::try_from(cluster.kube_config()).expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api.clone(), watcher::Config::default()))
        .default_backoff()
        .applied_objects();
    let task = tokio::spawn(stream.for_each(|_| async {}));

    api.create(&PostParams::default(), &cm("one", json!({"v": "1"})))
        .await
        .expect("create");
    eventually(|| names(&reader) == ["one"]).await;
    api.patch(
        "one",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"v": "2"}})),
    )
    .await
    .expect("update");
    eventually(|| {
        reader
            .state()
            .iter()
            .any(|o| o.data.as_ref().and_then(|d| d.get("v")).map(String::as_str) == Some("2"))
    })
    .await;
    api.delete("one", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(|| names(&reader).is_empty()).await;

    // A closed watch: the watcher re-watches and misses nothing.
    cluster.faults().close_watches();
    api.create(&PostParams::default(), &cm("two", json!({})))
        .await
        .expect("create");
    eventually(|| names(&reader) == ["two"]).await;

    // 410 Gone: the re-watch fails once, history moves past its resourceVersion meanwhile,
    // so the next watch gets 410 and the watcher relists.
    cluster.faults().fail_next("watch", "configmaps", 1, 500);
    cluster.faults().close_watches();
    for i in 0..40 {
        api.create(
            &PostParams::default(),
            &cm(&format!("bulk{i:02}"), json!({})),
        )
        .await
        .expect("create");
    }
    api.delete("two", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(|| names(&reader).len() == 40 && !names(&reader).contains(&"two".to_string())).await;
    task.abort();
}

#[tokio::test]
async fn streaming_lists_end_their_initial_events() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("before", json!({})))
        .await
        .expect("create");
    let (reader, writer) = reflector::store();
    let config = watcher::Config::default().streaming_lists();
    let stream = reflector(writer, watcher(api.clone(), config))
        .default_backoff()
        .applied_objects();
    let task = tokio::spawn(stream.for_each(|_| async {}));
    reader.wait_until_ready().await.expect("initial events end");
    assert_eq!(names(&reader), ["before"]);
    api.create(&PostParams::default(), &cm("after", json!({})))
        .await
        .expect("create");
    eventually(|| names(&reader) == ["after", "before"]).await;
    task.abort();
}

#[tokio::test]
async fn watch_from_an_old_resource_version_is_gone() {
    let cluster = DevCluster::builder()
        .watch_history(5)
        .start()
        .await
        .expect("start");
    let client = Client::try_from(cluster.kube_config()).expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    for i in 0..10 {
        api.create(&PostParams::default(), &cm(&format!("c{i}"), json!({})))
            .await
            .expect("create");
    }
    let mut stream = api
        .watch(&kube::api::WatchParams::default(), "1")
        .await
        .expect("watch")
        .boxed();
    match stream.next().await {
        Some(Ok(kube::core::WatchEvent::Error(e))) => assert_eq!(e.code, 410),
        other => panic!("expected a 410 ERROR event, got {other:?}"),
    }
}

#[tokio::test]
async fn a_slow_watcher_blocks_neither_writers_nor_other_watchers() {
    let cluster = DevCluster::builder()
        .watch_queue(16)
        .start()
        .await
        .expect("start");
    let client = Client::try_from(cluster.kube_config()).expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let rv = cluster.resource_version().to_string();
    // Never polled: its queue fills and the server closes it.
    let _slow = api
        .watch(&kube::api::WatchParams::default(), &rv)
        .await
        .expect("slow watch");
    let fast = api
        .watch(&kube::api::WatchParams::default(), &rv)
        .await
        .expect("fast watch");
    let reader = tokio::spawn(fast.take(300).filter_map(|e| async move { e.ok() }).count());
    for i in 0..300 {
        api.create(&PostParams::default(), &cm(&format!("w{i:03}"), json!({})))
            .await
            .expect("writes go on");
    }
    assert_eq!(reader.await.expect("reader"), 300);
}

#[tokio::test]
async fn an_object_leaving_the_selector_is_deleted_with_its_previous_state() {
    let (cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let mut labelled = cm("leaver", json!({"v": "1"}));
    labelled.metadata.labels = Some([("team".to_string(), "a".to_string())].into());
    api.create(&PostParams::default(), &labelled)
        .await
        .expect("create");
    let rv = cluster.resource_version().to_string();
    let params = kube::api::WatchParams::default().labels("team=a");
    let mut stream = api.watch(&params, &rv).await.expect("watch").boxed();
    let moved = api
        .patch(
            "leaver",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": "b"}}, "data": {"v": "2"}})),
        )
        .await
        .expect("relabel");
    match stream.next().await {
        Some(Ok(kube::core::WatchEvent::Deleted(gone))) => {
            let labels = gone.metadata.labels.unwrap_or_default();
            assert_eq!(labels.get("team").map(String::as_str), Some("a"));
            let data = gone.data.unwrap_or_default();
            assert_eq!(data.get("v").map(String::as_str), Some("1"));
            assert_eq!(
                gone.metadata.resource_version,
                moved.metadata.resource_version
            );
        }
        other => panic!("expected DELETED, got {other:?}"),
    }
}

/// A raw GET through `client` (for query options kube's typed params cannot express).
async fn raw_get(client: &Client, path_and_query: &str) -> Result<Value, Error> {
    let mut req = kube::core::Request::new("/api/v1")
        .list(&ListParams::default())
        .expect("request");
    *req.uri_mut() = path_and_query.parse().expect("uri");
    client.request::<Value>(req).await
}

#[tokio::test]
async fn send_initial_events_needs_not_older_than_and_a_watch() {
    let (_c, client) = start().await;
    let path = "/api/v1/namespaces/default/configmaps";
    let e = raw_get(
        &client,
        &format!("{path}?watch=true&sendInitialEvents=true"),
    )
    .await
    .expect_err("422");
    let Error::Api(status) = e else {
        panic!("expected an API error, got {e:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        status.message,
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: \
         sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"
    );
    let e = raw_get(&client, &format!("{path}?sendInitialEvents=true"))
        .await
        .expect_err("422");
    assert_eq!(code(&e), (422, "Invalid".into()));
    // What kube-runtime's streaming lists send is fine.
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let params = kube::api::WatchParams::streaming_lists();
    let _stream = api
        .watch(&params, "0")
        .await
        .expect("streaming list accepted");
}

#[tokio::test]
async fn a_watch_from_now_without_initial_events_sends_only_later_changes() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client.clone());
    api.create(&PostParams::default(), &cm("old", json!({})))
        .await
        .expect("create");
    let mut req = kube::core::Request::new("/api/v1/namespaces/default/configmaps")
        .watch(&kube::api::WatchParams::default(), "0")
        .expect("request");
    *req.uri_mut() = "/api/v1/namespaces/default/configmaps?watch=true&\
        sendInitialEvents=false&resourceVersionMatch=NotOlderThan"
        .parse()
        .expect("uri");
    let mut events = client
        .request_events::<ConfigMap>(req)
        .await
        .expect("watch")
        .boxed();
    api.create(&PostParams::default(), &cm("new", json!({})))
        .await
        .expect("create");
    match events.next().await {
        Some(Ok(kube::core::WatchEvent::Added(o))) => {
            assert_eq!(o.metadata.name.as_deref(), Some("new"))
        }
        other => panic!("expected ADDED new, got {other:?}"),
    }
}
