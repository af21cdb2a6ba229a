//! Paginated lists are snapshots: every page reads the first page's resourceVersion; an
//! expired token is 410 Expired; `resourceVersionMatch=Exact` reads a past state.

use crate::*;

fn names_and_values(l: &kube::core::ObjectList<ConfigMap>) -> Vec<String> {
    l.items
        .iter()
        .map(|o| {
            let v = o.data.as_ref().and_then(|d| d.get("v")).cloned();
            format!(
                "{}={}",
                o.metadata.name.as_deref().unwrap_or(""),
                v.unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn every_page_of_a_paginated_list_shows_the_first_pages_snapshot() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    for name in ["a", "b", "c", "d"] {
        api.create(&PostParams::default(), &cm(name, json!({"v": "1"})))
            .await
            .expect("create");
    }
    let page1 = api
        .list(&ListParams::default().limit(2))
        .await
        .expect("page 1");
    assert_eq!(names_and_values(&page1), ["a=1", "b=1"]);
    let snapshot = page1.metadata.resource_version.clone();
    // Between the pages: c changes, d goes, bb and e come.
    api.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"v": "2"}})),
    )
    .await
    .expect("patch");
    api.delete("d", &DeleteParams::default())
        .await
        .expect("delete");
    for name in ["bb", "e"] {
        api.create(&PostParams::default(), &cm(name, json!({"v": "new"})))
            .await
            .expect("create");
    }
    let token = page1.metadata.continue_.clone().expect("continue token");
    let page2 = api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .expect("page 2");
    assert_eq!(names_and_values(&page2), ["c=1", "d=1"]);
    assert_eq!(page2.metadata.resource_version, snapshot);
    assert_eq!(page2.metadata.continue_, None);
    // A new list sees the latest state.
    let now = api.list(&ListParams::default()).await.expect("list");
    assert_eq!(
        names_and_values(&now),
        ["a=1", "b=1", "bb=new", "c=2", "e=new"]
    );
    // resourceVersionMatch=Exact reads the past state too.
    let exact = ListParams::default()
        .at(snapshot.as_deref().unwrap_or_default())
        .matching(kube::api::VersionMatch::Exact);
    let then = api.list(&exact).await.expect("exact list");
    assert_eq!(names_and_values(&then), ["a=1", "b=1", "c=1", "d=1"]);
}

#[tokio::test]
async fn an_expired_continue_token_is_gone_with_a_token_that_continues_inconsistently() {
    let cluster = DevCluster::builder()
        .watch_history(3)
        .start()
        .await
        .expect("start");
    let client = cluster.client().expect("client");
    let api: Api<ConfigMap> = Api::default_namespaced(client.clone());
    for name in ["a", "b", "c"] {
        api.create(&PostParams::default(), &cm(name, json!({"v": "1"})))
            .await
            .expect("create");
    }
    let page1 = api
        .list(&ListParams::default().limit(1))
        .await
        .expect("page 1");
    let token = page1.metadata.continue_.clone().expect("continue token");
    for v in ["2", "3", "4", "5"] {
        api.patch(
            "c",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"v": v}})),
        )
        .await
        .expect("patch");
    }
    let req = kube::core::Request::new("/api/v1/namespaces/default/configmaps")
        .list(&ListParams::default().limit(1).continue_token(&token))
        .expect("request");
    let resp = client
        .send(req.map(kube::client::Body::from))
        .await
        .expect("answered");
    assert_eq!(resp.status().as_u16(), 410);
    let body = resp.into_body().collect_bytes().await.expect("body");
    let status: Value = serde_json::from_slice(&body).expect("a Status");
    assert_eq!(status["reason"], "Expired");
    assert_eq!(
        status["message"],
        "The provided continue parameter is too old to display a consistent list result. You \
         can start a new list without the continue parameter, or use the continue token in this \
         response to retrieve the remainder of the results. Continuing with the provided token \
         results in an inconsistent list - objects that were created, modified, or deleted \
         between the time the first chunk was returned and now may show up in the list."
    );
    let fresh = status["metadata"]["continue"]
        .as_str()
        .expect("a fresh continue token");
    let rest = api
        .list(&ListParams::default().continue_token(fresh))
        .await
        .expect("the remainder, from the latest state");
    assert_eq!(names_and_values(&rest), ["b=1", "c=5"]);
    assert_eq!(
        rest.metadata.resource_version,
        Some(cluster.resource_version().to_string())
    );
    // A malformed token stays a 400.
    let e = api
        .list(&ListParams::default().continue_token("not-a-token"))
        .await
        .expect_err("400");
    assert_eq!(code(&e).0, 400);
}
