//! One test per lifecycle and admission rule.

use crate::*;
#[tokio::test]
async fn stale_resource_version_is_a_conflict() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let created = api
        .create(&PostParams::default(), &cm("x", json!({"a": "1"})))
        .await
        .expect("create");
    let mut first = created.clone();
    first.data = Some([("a".to_string(), "2".to_string())].into());
    api.replace("x", &PostParams::default(), &first)
        .await
        .expect("first replace");
    let mut stale = created;
    stale.data = Some([("a".to_string(), "3".to_string())].into());
    let err = api
        .replace("x", &PostParams::default(), &stale)
        .await
        .expect_err("stale");
    assert_eq!(code(&err), (409, "Conflict".into()));
    let dup = api
        .create(&PostParams::default(), &cm("x", json!({})))
        .await
        .expect_err("duplicate");
    assert_eq!(code(&dup), (409, "AlreadyExists".into()));
}

#[tokio::test]
async fn a_finalizer_holds_deletion() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let mut obj = cm("held", json!({}));
    obj.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &obj)
        .await
        .expect("create");
    let pending = api
        .delete("held", &DeleteParams::default())
        .await
        .expect("delete");
    let still = pending.left().expect("deletion is pending");
    assert!(still.metadata.deletion_timestamp.is_some());
    assert!(
        api.get("held")
            .await
            .expect("still there")
            .metadata
            .deletion_timestamp
            .is_some()
    );
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("finalizer removed");
    assert_eq!(
        code(&api.get("held").await.expect_err("gone")),
        (404, "NotFound".into())
    );
}

#[tokio::test]
async fn owner_references_are_garbage_collected() {
    let (_c, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let secrets: Api<Secret> = Api::default_namespaced(client);
    let owned_by = |owner: &ConfigMap, name: &str| -> Secret {
        serde_json::from_value(json!({"metadata": {"name": name, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name, "uid": owner.metadata.uid}]}}))
        .expect("secret")
    };
    // A dependent whose owners are all gone is collected as soon as it is written.
    let ghost: Secret = serde_json::from_value(json!({"metadata": {"name": "ghost", "ownerReferences": [{
        "apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "00000000-0000-0000-0000-000000000000"}]}}))
    .expect("secret");
    secrets
        .create(&PostParams::default(), &ghost)
        .await
        .expect("create");
    assert_eq!(
        code(&secrets.get("ghost").await.expect_err("collected")).0,
        404
    );
    // Background: the dependent goes with its owner.
    let owner = cms
        .create(&PostParams::default(), &cm("owner", json!({})))
        .await
        .expect("owner");
    secrets
        .create(&PostParams::default(), &owned_by(&owner, "dep"))
        .await
        .expect("dependent");
    cms.delete("owner", &DeleteParams::background())
        .await
        .expect("delete owner");
    assert_eq!(
        code(&secrets.get("dep").await.expect_err("collected")),
        (404, "NotFound".into())
    );
    // Orphan: the dependent stays, without the owner reference.
    let owner = cms
        .create(&PostParams::default(), &cm("owner2", json!({})))
        .await
        .expect("owner");
    secrets
        .create(&PostParams::default(), &owned_by(&owner, "dep2"))
        .await
        .expect("dependent");
    cms.delete("owner2", &DeleteParams::orphan())
        .await
        .expect("delete owner");
    let orphan = secrets.get("dep2").await.expect("orphan stays");
    assert!(
        orphan
            .metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
    // Foreground: the owner waits for a blocking dependent held by a finalizer.
    let owner = cms
        .create(&PostParams::default(), &cm("owner3", json!({})))
        .await
        .expect("owner");
    let mut dep = owned_by(&owner, "dep3");
    dep.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    for r in dep.metadata.owner_references.iter_mut().flatten() {
        r.block_owner_deletion = Some(true);
    }
    secrets
        .create(&PostParams::default(), &dep)
        .await
        .expect("dependent");
    let pending = cms
        .delete("owner3", &DeleteParams::foreground())
        .await
        .expect("delete owner");
    let owner_now = pending.left().expect("owner waits");
    assert!(
        owner_now
            .metadata
            .finalizers
            .unwrap_or_default()
            .contains(&"foregroundDeletion".to_string())
    );
    secrets
        .patch(
            "dep3",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("release dependent");
    assert_eq!(
        code(&secrets.get("dep3").await.expect_err("dependent gone")),
        (404, "NotFound".into())
    );
    assert_eq!(
        code(&cms.get("owner3").await.expect_err("owner gone")),
        (404, "NotFound".into())
    );
}

#[tokio::test]
async fn the_namespace_must_exist_and_deleting_it_empties_it() {
    let (_c, client) = start().await;
    let missing: Api<ConfigMap> = Api::namespaced(client.clone(), "nope");
    let err = missing
        .create(&PostParams::default(), &cm("x", json!({})))
        .await
        .expect_err("no namespace");
    assert_eq!(code(&err), (404, "NotFound".into()));
    assert!(
        err.to_string().contains("namespaces \"nope\" not found"),
        "{err}"
    );

    create_ns(&client, "team").await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    api.create(&PostParams::default(), &cm("plain", json!({})))
        .await
        .expect("create");
    let mut held = cm("held", json!({}));
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    api.create(&PostParams::default(), &held)
        .await
        .expect("create");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete("team", &DeleteParams::default())
        .await
        .expect("delete namespace");
    assert_eq!(
        code(&api.get("plain").await.expect_err("emptied")),
        (404, "NotFound".into())
    );
    let ns = namespaces
        .get("team")
        .await
        .expect("terminating while content is held");
    assert_eq!(
        ns.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );
    let err = api
        .create(&PostParams::default(), &cm("late", json!({})))
        .await
        .expect_err("terminating");
    assert_eq!(code(&err), (403, "Forbidden".into()));
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .expect("release");
    assert_eq!(
        code(&namespaces.get("team").await.expect_err("namespace gone")),
        (404, "NotFound".into())
    );
    let err = namespaces
        .delete("default", &DeleteParams::default())
        .await
        .expect_err("protected");
    assert_eq!(code(&err), (403, "Forbidden".into()));
}

#[tokio::test]
async fn dry_run_stores_nothing() {
    let (c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let rv = c.resource_version();
    let dry = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let would = api
        .create(&dry, &cm("d", json!({"a": "1"})))
        .await
        .expect("dry create");
    assert_eq!(would.metadata.name.as_deref(), Some("d"));
    assert_eq!(
        code(&api.get("d").await.expect_err("not stored")),
        (404, "NotFound".into())
    );
    api.create(&PostParams::default(), &cm("d", json!({"a": "1"})))
        .await
        .expect("create");
    let rv = c.resource_version().max(rv);
    let pp = PatchParams {
        dry_run: true,
        ..Default::default()
    };
    let patched = api
        .patch("d", &pp, &Patch::Merge(json!({"data": {"a": "2"}})))
        .await
        .expect("dry patch");
    assert_eq!(
        patched
            .data
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("2")
    );
    let applied = api
        .patch("d", &PatchParams::apply("m").force().dry_run(), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "data": {"a": "3"}})))
        .await
        .expect("dry apply");
    assert_eq!(
        applied
            .data
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("3")
    );
    let dp = DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    api.delete("d", &dp).await.expect("dry delete");
    let stored = api.get("d").await.expect("still there");
    assert_eq!(
        stored.data.unwrap_or_default().get("a").map(String::as_str),
        Some("1")
    );
    assert_eq!(c.resource_version(), rv, "a dry run committed something");
}

#[tokio::test]
async fn generation_tracks_spec_only_and_status_is_isolated() {
    let (_c, client) = start().await;
    let api = widgets(&client, "default").await;
    let w = api
        .create(&PostParams::default(), &widget("w", json!({"size": 1})))
        .await
        .expect("create");
    assert_eq!(w.metadata.generation, Some(1));
    let w = api
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .expect("label");
    assert_eq!(
        w.metadata.generation,
        Some(1),
        "metadata changes keep the generation"
    );
    let w = api
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 2}, "status": {"ready": true}})),
        )
        .await
        .expect("spec");
    assert_eq!(
        w.metadata.generation,
        Some(2),
        "spec changes bump the generation"
    );
    assert!(
        w.data.get("status").is_none(),
        "the main endpoint wrote status: {:?}",
        w.data
    );
    let w = api
        .patch_status(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 9}, "status": {"ready": true}})),
        )
        .await
        .expect("status");
    assert_eq!(
        w.metadata.generation,
        Some(2),
        "status changes keep the generation"
    );
    assert_eq!(w.data["status"]["ready"], json!(true));
    assert_eq!(w.data["spec"]["size"], json!(2), "/status wrote spec");
    // A no-op patch keeps the resourceVersion.
    let rv = w.metadata.resource_version.clone();
    let same = api
        .patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": 2}})),
        )
        .await
        .expect("noop");
    assert_eq!(same.metadata.resource_version, rv);
}

#[tokio::test]
async fn admission_rejects_invalid_names_and_immutable_changes() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let err = api
        .create(&PostParams::default(), &cm("Bad_Name", json!({})))
        .await
        .expect_err("invalid name");
    assert_eq!(code(&err), (422, "Invalid".into()));
    let mut badly_labelled = cm("labels", json!({}));
    badly_labelled.metadata.labels = Some([("app".to_string(), "not valid!".to_string())].into());
    let err = api
        .create(&PostParams::default(), &badly_labelled)
        .await
        .expect_err("invalid label");
    assert_eq!(code(&err), (422, "Invalid".into()));
    let mut frozen = cm("frozen", json!({"a": "1"}));
    frozen.immutable = Some(true);
    api.create(&PostParams::default(), &frozen)
        .await
        .expect("create");
    let err = api
        .patch(
            "frozen",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"a": "2"}})),
        )
        .await
        .expect_err("immutable");
    assert_eq!(code(&err), (422, "Invalid".into()));
    match err {
        Error::Api(s) => assert!(s.message.contains("field is immutable"), "{}", s.message),
        other => panic!("{other:?}"),
    }
    let generated: ConfigMap =
        serde_json::from_value(json!({"metadata": {"generateName": "gen-"}})).expect("configmap");
    let made = api
        .create(&PostParams::default(), &generated)
        .await
        .expect("generateName");
    assert!(made.metadata.name.unwrap_or_default().starts_with("gen-"));
}

#[tokio::test]
async fn lists_filter_by_selectors_and_page() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    for (name, env) in [("a", "prod"), ("b", "dev"), ("c", "prod"), ("d", "")] {
        let mut obj = cm(name, json!({}));
        if !env.is_empty() {
            obj.metadata.labels = Some([("env".to_string(), env.to_string())].into());
        }
        api.create(&PostParams::default(), &obj)
            .await
            .expect("create");
    }
    let names = |l: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
        l.items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect()
    };
    let cases = [
        (ListParams::default().labels("env=prod"), vec!["a", "c"]),
        (ListParams::default().labels("env in (dev)"), vec!["b"]),
        (
            ListParams::default().labels("env notin (prod)"),
            vec!["b", "d"],
        ),
        (ListParams::default().labels("!env"), vec!["d"]),
        (ListParams::default().fields("metadata.name=c"), vec!["c"]),
    ];
    for (params, expected) in cases {
        let got = names(api.list(&params).await.expect("list"));
        assert_eq!(got, expected, "{params:?}");
    }
    let page1 = api
        .list(&ListParams::default().limit(3))
        .await
        .expect("page 1");
    let token = page1.metadata.continue_.clone().expect("continue token");
    let page2 = api
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .expect("page 2");
    assert_eq!(
        (names(page1), names(page2)),
        (
            vec!["a".to_string(), "b".into(), "c".into()],
            vec!["d".to_string()]
        )
    );
}

#[tokio::test]
async fn unknown_resources_are_not_found() {
    let (_c, client) = start().await;
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("nope.example.com", "v1", "Nope"),
        "nopes",
    );
    let api: Api<DynamicObject> = Api::default_namespaced_with(client, &ar);
    assert_eq!(
        code(&api.list(&ListParams::default()).await.expect_err("unknown")).0,
        404
    );
}

#[tokio::test]
async fn faults_fail_requests_and_close_watches() {
    let (c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("f", json!({})))
        .await
        .expect("create");
    c.faults().fail_next("get", "configmaps", 2, 500);
    assert_eq!(
        code(&api.get("f").await.expect_err("injected")),
        (500, "InternalError".into())
    );
    assert_eq!(code(&api.get("f").await.expect_err("injected")).0, 500);
    api.get("f").await.expect("rules are used up");
    c.faults().set_latency(Duration::from_millis(20));
    api.get("f").await.expect("slow but fine");
    c.faults().clear();
    let mut stream = api
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("watch")
        .boxed();
    assert!(
        matches!(
            stream.next().await,
            Some(Ok(kube::core::WatchEvent::Added(_)))
        ),
        "synthetic ADDED"
    );
    // A watch from "0" is defaulted to a streaming list (WatchList is on in 1.32), so with
    // bookmarks allowed the initial-events-end BOOKMARK follows.
    assert!(
        matches!(
            stream.next().await,
            Some(Ok(kube::core::WatchEvent::Bookmark(_)))
        ),
        "initial-events-end BOOKMARK"
    );
    c.faults().close_watches();
    assert!(stream.next().await.is_none(), "the watch was closed");
}

#[tokio::test]
async fn crds_register_and_deleting_them_removes_their_objects() {
    let (_c, client) = start().await;
    let api = widgets(&client, "default").await;
    api.create(&PostParams::default(), &widget("w", json!({})))
        .await
        .expect("create");
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let crd = crds.get("widgets.example.com").await.expect("crd");
    let established = crd.data["status"]["conditions"]
        .as_array()
        .is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True")
        });
    assert!(established, "{:?}", crd.data["status"]);
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .expect("delete crd");
    assert_eq!(
        code(&api.get("w").await.expect_err("gone with its CRD")).0,
        404
    );
}

#[tokio::test]
async fn field_validation_rejects_or_prunes_fields_the_crd_schema_does_not_declare() {
    let (_c, client) = start().await;
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let mut crd: Value = serde_json::from_str(WIDGET_CRD).expect("crd json");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}}});
    crds.create(
        &PostParams::default(),
        &serde_json::from_value(crd).expect("crd"),
    )
    .await
    .expect("CRD");
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    let api: Api<DynamicObject> = Api::default_namespaced_with(client, &ar);
    let body = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1, "sizee": 2}});
    let strict = PatchParams::apply("m").validation(kube::api::ValidationDirective::Strict);
    let err = api
        .patch("w", &strict, &Patch::Apply(body.clone()))
        .await
        .expect_err("unknown field");
    assert_eq!(code(&err).0, 400);
    assert!(
        err.to_string().contains("unknown field \"spec.sizee\""),
        "{err}"
    );
    api.patch(
        "w",
        &PatchParams::apply("m").validation_ignore(),
        &Patch::Apply(body),
    )
    .await
    .expect("ignored");
    let stored = api.get("w").await.expect("get");
    assert_eq!(
        stored.data["spec"],
        json!({"size": 1}),
        "the unknown field was not pruned"
    );
}

#[tokio::test]
async fn metadata_only_lists_and_gets() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("m", json!({"secret-ish": "x"})))
        .await
        .expect("create");
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .expect("metadata list");
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("m"));
    assert_eq!(
        list.items[0].types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
    let one = api.get_metadata("m").await.expect("metadata get");
    assert_eq!(one.metadata.name.as_deref(), Some("m"));
}

#[tokio::test]
async fn the_scale_subresource_reads_and_writes_replicas() {
    let (_c, client) = start().await;
    let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::default_namespaced(client);
    let d = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "a", "image": "nginx:1"}]}}}}))
    .expect("deployment");
    api.create(&PostParams::default(), &d)
        .await
        .expect("create");
    let scale = api.get_scale("web").await.expect("scale");
    assert_eq!(scale.spec.and_then(|s| s.replicas), Some(1));
    assert_eq!(
        scale.status.map(|s| s.selector),
        Some(Some("app=web".to_string()))
    );
    api.patch_scale(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 4}})),
    )
    .await
    .expect("scale up");
    let d = api.get("web").await.expect("get");
    assert_eq!(d.spec.and_then(|s| s.replicas), Some(4));
    assert_eq!(d.metadata.generation, Some(2));
}

#[tokio::test]
async fn the_request_log_records_what_clients_sent() {
    let (c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    c.clear_requests();
    api.create(&PostParams::default(), &cm("r", json!({})))
        .await
        .expect("create");
    let apply = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r"}, "data": {"a": "1"}});
    api.patch("r", &PatchParams::apply("me"), &Patch::Apply(apply))
        .await
        .expect("apply");
    let _ = api.get("missing").await.expect_err("404");
    let seen: Vec<(Option<String>, Option<String>, String, u16)> = c
        .requests()
        .into_iter()
        .map(|r| (r.verb, r.name, r.content_type, r.status))
        .collect();
    assert_eq!(
        seen,
        [
            (Some("create".into()), None, "application/json".into(), 201),
            (
                Some("patch".into()),
                Some("r".into()),
                "application/apply-patch+yaml".into(),
                200
            ),
            (
                Some("get".into()),
                Some("missing".into()),
                String::new(),
                404
            ),
        ]
    );
    assert!(c.requests()[1].query.contains("fieldManager=me"));
    c.clear_requests();
    assert!(c.requests().is_empty());
}

#[tokio::test]
async fn a_dropped_cluster_stops_answering() {
    let (c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("x", json!({})))
        .await
        .expect("create");
    drop(c);
    // Pooled keep-alive connections are closed gracefully; a later request finds no server.
    let mut stopped = false;
    for _ in 0..80 {
        if let Err(e) = api.get("x").await {
            assert!(!matches!(e, Error::Api(_)), "the server answered: {e}");
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(stopped, "the dropped cluster kept answering");
}

#[tokio::test]
async fn crd_schema_defaults_are_applied() {
    let (_c, client) = start().await;
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let mut crd: Value = serde_json::from_str(WIDGET_CRD).expect("crd json");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "size": {"type": "integer"}, "interval": {"type": "string", "default": "5m"}}}}});
    crds.create(
        &PostParams::default(),
        &serde_json::from_value(crd).expect("crd"),
    )
    .await
    .expect("CRD");
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    let api: Api<DynamicObject> = Api::default_namespaced_with(client, &ar);
    let w = api
        .create(&PostParams::default(), &widget("w", json!({"size": 1})))
        .await
        .expect("create");
    assert_eq!(w.data["spec"], json!({"size": 1, "interval": "5m"}));
}
