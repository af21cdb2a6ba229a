//! Fidelity gaps found by comparing with kube-apiserver: wrong JSON types, create with a
//! resourceVersion, the shared Event store, namespace labels, immutable fields, watch bursts,
//! DELETE answers and the authorization reviews.

use super::*;
use k8s_openapi::api::apps::v1::Deployment;

fn dynamic(
    client: &Client,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    ns: &str,
) -> Api<DynamicObject> {
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(client.clone(), ns, &ar)
}

fn message(e: &Error) -> String {
    match e {
        Error::Api(s) => s.message.clone(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub(crate) fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

#[tokio::test]
async fn wrong_json_types_are_400_and_nothing_is_stored() {
    let (_cluster, client) = start().await;
    let cms = dynamic(&client, "", "v1", "ConfigMap", "configmaps", "default");
    let bad: DynamicObject =
        serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "typed"}, "data": {"port": 8080, "enabled": true}}))
        .expect("object");
    let e = cms
        .create(&PostParams::default(), &bad)
        .await
        .expect_err("refused");
    assert_eq!(code(&e), (400, "BadRequest".into()));
    assert_eq!(
        message(&e),
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string"
    );
    let typed: Api<ConfigMap> = Api::default_namespaced(client.clone());
    assert!(
        typed
            .list(&ListParams::default())
            .await
            .expect("typed list")
            .items
            .is_empty()
    );

    let deps = dynamic(
        &client,
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "default",
    );
    let d: DynamicObject = serde_json::from_value(deployment("web")).expect("deployment");
    deps.create(&PostParams::default(), &d)
        .await
        .expect("created");
    let pp = PatchParams::default();
    let image =
        json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": 123}]}}}});
    for patch in [
        Patch::Merge(json!({"spec": {"replicas": "x"}})),
        Patch::Strategic(image.clone()),
        Patch::Json(serde_json::from_value(json!([{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": 123}])).expect("json patch")),
    ] {
        let e = deps.patch("web", &pp, &patch).await.expect_err("patch refused");
        assert_eq!(code(&e), (400, "BadRequest".into()));
        assert!(
            message(&e).starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal "),
            "{}",
            message(&e)
        );
    }
    let apply = PatchParams::apply("test").force();
    let mut applied = deployment("web");
    applied["spec"]["template"]["spec"]["containers"][0]["image"] = json!(123);
    let e = deps
        .patch("web", &apply, &Patch::Apply(applied))
        .await
        .expect_err("apply refused");
    assert_eq!(code(&e), (400, "BadRequest".into()));
    let typed: Api<Deployment> = Api::default_namespaced(client);
    let list = typed
        .list(&ListParams::default())
        .await
        .expect("typed list decodes");
    assert_eq!(list.items.len(), 1);
}

#[tokio::test]
async fn create_with_resource_version_is_an_internal_error() {
    let (_cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let mut obj = cm("rv", json!({"a": "1"}));
    obj.metadata.resource_version = Some("5".into());
    let e = api
        .create(&PostParams::default(), &obj)
        .await
        .expect_err("refused");
    assert_eq!(code(&e), (500, "InternalError".into()));
    assert_eq!(
        message(&e),
        "Internal error occurred: resourceVersion should not be set on objects to be created"
    );
    obj.metadata.resource_version = None;
    api.create(&PostParams::default(), &obj)
        .await
        .expect("created without one");
}

#[tokio::test]
async fn core_and_events_k8s_io_events_are_one_store() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use k8s_openapi::api::events::v1::Event as NewEvent;
    let (_cluster, client) = start().await;
    let core: Api<CoreEvent> = Api::default_namespaced(client.clone());
    let modern: Api<NewEvent> = Api::default_namespaced(client.clone());
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let target = cms
        .create(&PostParams::default(), &cm("target", json!({})))
        .await
        .expect("cm");
    let uid = target.metadata.uid.clone().expect("uid");

    let mut core_watch = core
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("core watch")
        .boxed();
    let mut modern_watch = modern
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("modern watch")
        .boxed();

    let ev: NewEvent = serde_json::from_value(json!({"metadata": {"name": "target.1"},
        "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/ctl",
        "reportingInstance": "ctl-0", "action": "Reconcile", "reason": "Synced", "type": "Normal",
        "note": "all good", "regarding": {"apiVersion": "v1", "kind": "ConfigMap", "name": "target", "namespace": "default", "uid": uid}}))
    .expect("event");
    let created = modern
        .create(&PostParams::default(), &ev)
        .await
        .expect("events.k8s.io create");
    let read = core.get("target.1").await.expect("read through /api/v1");
    assert_eq!(read.message.as_deref(), Some("all good"));
    assert_eq!(read.reporting_component.as_deref(), Some("example.com/ctl"));
    assert_eq!(read.involved_object.uid.as_deref(), Some(uid.as_str()));
    assert_eq!(
        read.metadata.resource_version,
        created.metadata.resource_version
    );
    for selector in [
        format!("involvedObject.uid={uid}"),
        "involvedObject.name=target,involvedObject.kind=ConfigMap".into(),
    ] {
        let found = core
            .list(&ListParams::default().fields(&selector))
            .await
            .expect("field selector");
        assert_eq!(found.items.len(), 1, "{selector}");
    }
    let by_regarding = modern
        .list(&ListParams::default().fields("regarding.name=target"))
        .await
        .expect("list");
    assert_eq!(by_regarding.items.len(), 1);

    let old: CoreEvent = serde_json::from_value(json!({"metadata": {"name": "target.2"},
        "involvedObject": {"kind": "ConfigMap", "name": "target", "namespace": "default"},
        "reason": "Old", "message": "from a core client", "type": "Warning", "count": 3,
        "source": {"component": "legacy"}, "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:05Z"}))
    .expect("core event");
    core.create(&PostParams::default(), &old)
        .await
        .expect("core create");
    let read = modern
        .get("target.2")
        .await
        .expect("read through events.k8s.io");
    assert_eq!(read.note.as_deref(), Some("from a core client"));
    assert_eq!(read.deprecated_count, Some(3));
    assert_eq!(
        read.deprecated_source.and_then(|s| s.component).as_deref(),
        Some("legacy")
    );
    assert_eq!(
        read.regarding.and_then(|r| r.name).as_deref(),
        Some("target")
    );
    modern
        .patch(
            "target.2",
            &PatchParams::default(),
            &Patch::Merge(json!({"note": "patched"})),
        )
        .await
        .expect("merge patch through events.k8s.io");
    assert_eq!(
        core.get("target.2").await.expect("get").message.as_deref(),
        Some("patched")
    );

    let mut seen_core = Vec::new();
    while seen_core.len() < 3 {
        match core_watch.next().await.expect("core event").expect("ok") {
            kube::api::WatchEvent::Added(e) | kube::api::WatchEvent::Modified(e) => {
                seen_core.push(format!(
                    "{}:{}",
                    e.metadata.name.unwrap_or_default(),
                    e.message.unwrap_or_default()
                ))
            }
            // A watch from "0" is a streaming list in 1.32: its initial events end with a BOOKMARK.
            kube::api::WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen_core,
        [
            "target.1:all good",
            "target.2:from a core client",
            "target.2:patched"
        ]
    );
    let mut seen_modern = Vec::new();
    while seen_modern.len() < 3 {
        match modern_watch
            .next()
            .await
            .expect("modern event")
            .expect("ok")
        {
            kube::api::WatchEvent::Added(e) | kube::api::WatchEvent::Modified(e) => seen_modern
                .push(format!(
                    "{}:{}",
                    e.metadata.name.unwrap_or_default(),
                    e.note.unwrap_or_default()
                )),
            // A watch from "0" is a streaming list in 1.32: its initial events end with a BOOKMARK.
            kube::api::WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen_modern, seen_core);
    modern
        .delete("target.1", &DeleteParams::default())
        .await
        .expect("delete");
    assert_eq!(code(&core.get("target.1").await.expect_err("gone")).0, 404);
    let e = modern.get("target.1").await.expect_err("gone");
    assert!(
        message(&e).starts_with("events.events.k8s.io \"target.1\" not found"),
        "{}",
        message(&e)
    );
}

#[tokio::test]
async fn recorder_events_are_core_events() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let target = cms
        .create(&PostParams::default(), &cm("target", json!({})))
        .await
        .expect("cm");
    let reporter = Reporter {
        controller: "sealsync".into(),
        instance: Some("pod-0".into()),
    };
    let recorder = Recorder::new(client.clone(), reporter);
    let ev = Event {
        type_: EventType::Normal,
        reason: "Unsealed".into(),
        note: Some("secret written".into()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = kube::Resource::object_ref(&target, &());
    recorder
        .publish(&ev, &reference)
        .await
        .expect("first publish creates");
    recorder
        .publish(&ev, &reference)
        .await
        .expect("second publish patches the series");
    let core: Api<CoreEvent> = Api::default_namespaced(client);
    let uid = target.metadata.uid.clone().expect("uid");
    let found = core
        .list(&ListParams::default().fields(&format!(
            "involvedObject.name=target,involvedObject.uid={uid}"
        )))
        .await
        .expect("core list");
    assert_eq!(found.items.len(), 1);
    let e = &found.items[0];
    assert_eq!(e.message.as_deref(), Some("secret written"));
    assert_eq!(e.reporting_component.as_deref(), Some("sealsync"));
    assert_eq!(e.series.as_ref().and_then(|s| s.count), Some(2));
}

#[tokio::test]
async fn immutable_service_ips_and_deployment_selectors() {
    use k8s_openapi::api::core::v1::Service;
    let (_cluster, client) = start().await;
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let svc: Service = serde_json::from_value(json!({"metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
    .expect("service");
    let created = svcs
        .create(&PostParams::default(), &svc)
        .await
        .expect("service");
    let ip = created
        .spec
        .as_ref()
        .and_then(|s| s.cluster_ip.clone())
        .expect("allocated");
    let other = if ip == "10.96.200.200" {
        "10.96.200.201"
    } else {
        "10.96.200.200"
    };
    let e = svcs
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"clusterIP": other}})),
        )
        .await
        .expect_err("clusterIP is immutable");
    assert_eq!(code(&e), (422, "Invalid".into()));
    assert!(
        message(&e)
            == format!(
                "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{{\"{other}\"}}: may not change once set"
            ),
        "{}",
        message(&e)
    );
    let e = svcs
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"clusterIPs": [other]}})),
        )
        .await
        .expect_err("clusterIPs are immutable");
    assert_eq!(code(&e), (422, "Invalid".into()));
    // Leaving them out keeps them.
    svcs.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"ports": [{"port": 8080}]}})),
    )
    .await
    .expect("other changes are fine");

    let deps: Api<Deployment> = Api::default_namespaced(client);
    let mut bad = deployment("mismatch");
    bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let e = deps
        .create(
            &PostParams::default(),
            &serde_json::from_value(bad).expect("deployment"),
        )
        .await
        .expect_err("selector must match");
    assert_eq!(code(&e), (422, "Invalid".into()));
    assert_eq!(
        message(&e),
        "Deployment.apps \"mismatch\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"
    );
    deps.create(
        &PostParams::default(),
        &serde_json::from_value(deployment("web")).expect("deployment"),
    )
    .await
    .expect("created");
    let e = deps
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {
            "selector": {"matchLabels": {"app": "web2"}},
            "template": {"metadata": {"labels": {"app": "web2"}}}}})),
        )
        .await
        .expect_err("selector is immutable");
    assert_eq!(code(&e), (422, "Invalid".into()));
    assert!(message(&e).contains("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}"), "{}", message(&e));
    assert!(
        message(&e).ends_with("field is immutable"),
        "{}",
        message(&e)
    );
}

#[tokio::test]
async fn a_burst_from_one_write_reaches_a_reader_that_keeps_up() {
    // More events from one deletecollection than the default watch queue (4096) holds.
    const N: usize = 4200;
    let (_cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    futures_util::stream::iter(0..N)
        .map(|i| {
            let api = api.clone();
            async move {
                api.create(&PostParams::default(), &cm(&format!("b{i:05}"), json!({})))
                    .await
                    .expect("created")
            }
        })
        .buffer_unordered(32)
        .for_each(|_| async {})
        .await;
    let rv = api
        .list_metadata(&ListParams::default().limit(1))
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let events = api
        .watch(&kube::api::WatchParams::default(), &rv)
        .await
        .expect("watch");
    let reader = tokio::spawn(
        events
            .take_while(|e| futures_util::future::ready(e.is_ok()))
            .filter(|e| {
                futures_util::future::ready(matches!(e, Ok(kube::api::WatchEvent::Deleted(_))))
            })
            .take(N)
            .count(),
    );
    api.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .expect("deletecollection");
    assert_eq!(reader.await.expect("reader"), N);
}

#[tokio::test]
async fn delete_answers_like_kube_apiserver() {
    use k8s_openapi::api::core::v1::{Service, ServiceAccount};
    let (_cluster, client) = start().await;
    // Namespaces answer with the (Terminating) namespace.
    create_ns(&client, "gone").await;
    let nss: Api<Namespace> = Api::all(client.clone());
    let ns = nss
        .delete("gone", &DeleteParams::default())
        .await
        .expect("delete ns")
        .left()
        .expect("the namespace, not a Status");
    assert_eq!(ns.metadata.name.as_deref(), Some("gone"));
    assert!(ns.metadata.uid.is_some_and(|u| !u.is_empty()));
    assert!(ns.metadata.deletion_timestamp.is_some());
    assert_eq!(
        ns.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );
    // Custom resources, Services and ServiceAccounts answer with the deleted object.
    let w = widgets(&client, "default").await;
    w.create(&PostParams::default(), &widget("w1", json!({"size": 1})))
        .await
        .expect("widget");
    let obj = w
        .delete("w1", &DeleteParams::default())
        .await
        .expect("delete widget")
        .left()
        .expect("the widget, not a Status");
    assert_eq!(obj.data["spec"]["size"], 1);
    let svcs: Api<Service> = Api::default_namespaced(client.clone());
    let svc: Service = serde_json::from_value(
        json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}}),
    )
    .expect("svc");
    svcs.create(&PostParams::default(), &svc)
        .await
        .expect("svc");
    assert!(
        svcs.delete("s", &DeleteParams::default())
            .await
            .expect("delete svc")
            .is_left()
    );
    let sas: Api<ServiceAccount> = Api::default_namespaced(client.clone());
    let sa: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "sa"}})).expect("sa");
    sas.create(&PostParams::default(), &sa).await.expect("sa");
    assert!(
        sas.delete("sa", &DeleteParams::default())
            .await
            .expect("delete sa")
            .is_left()
    );
    // ConfigMaps answer with a Success Status naming the object.
    let cms: Api<ConfigMap> = Api::default_namespaced(client);
    let created = cms
        .create(&PostParams::default(), &cm("c", json!({})))
        .await
        .expect("cm");
    let s = cms
        .delete("c", &DeleteParams::default())
        .await
        .expect("delete cm")
        .right()
        .expect("a Status, not the object");
    assert_eq!(s.status, Some(kube::core::response::StatusSummary::Success));
    assert_eq!(s.details.map(|d| d.uid), created.metadata.uid);
}

#[tokio::test]
async fn namespaces_refuse_deletecollection() {
    let (_cluster, client) = start().await;
    let nss: Api<Namespace> = Api::all(client);
    let e = nss
        .delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .expect_err("not served");
    assert_eq!(code(&e), (405, "MethodNotAllowed".into()));
    assert!(nss.get("default").await.is_ok());
}

#[tokio::test]
async fn emptied_metadata_is_left_out_and_idle_managers_dropped() {
    let (_cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    api.create(&PostParams::default(), &cm("m", json!({"a": "1"})))
        .await
        .expect("created");
    let by = |m: &str| PatchParams {
        field_manager: Some(m.into()),
        ..PatchParams::default()
    };
    api.patch(
        "m",
        &by("annotator"),
        &Patch::Merge(
            json!({"metadata": {"annotations": {"note": "x"}, "finalizers": ["example.com/f"]}}),
        ),
    )
    .await
    .expect("annotated");
    let managers = |o: &ConfigMap| -> Vec<String> {
        o.metadata
            .managed_fields
            .iter()
            .flatten()
            .filter_map(|m| m.manager.clone())
            .collect()
    };
    let obj = api.get("m").await.expect("get");
    assert!(
        managers(&obj).contains(&"annotator".to_string()),
        "{:?}",
        managers(&obj)
    );
    let cleared = api
        .patch(
            "m",
            &by("cleaner"),
            &Patch::Json::<()>(
                serde_json::from_value(json!([
                    {"op": "remove", "path": "/metadata/annotations/note"},
                    {"op": "remove", "path": "/metadata/finalizers/0"}
                ]))
                .expect("json patch"),
            ),
        )
        .await
        .expect("cleared");
    let raw = serde_json::to_value(&cleared).expect("json");
    assert!(raw["metadata"].get("annotations").is_none(), "{raw}");
    assert!(raw["metadata"].get("finalizers").is_none(), "{raw}");
    assert!(
        !managers(&cleared).contains(&"annotator".to_string()),
        "a manager owning nothing is dropped: {:?}",
        managers(&cleared)
    );
}

/// helm (client-go) sends DeleteOptions as protobuf: the `k8s\0` magic, a runtime.Unknown
/// envelope, the message. kube-apiserver reads it as it reads JSON: a dry run keeps the object, a
/// failed precondition is 409, and a plain one deletes.
#[tokio::test]
async fn a_protobuf_delete_options_body_is_read_like_json() {
    use k8s_pb::apimachinery::pkg::apis::meta::v1::{DeleteOptions, Preconditions};
    use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
    use prost::Message;
    let (_cluster, client) = start().await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    api.create(&PostParams::default(), &cm("pb", json!({"a": "b"})))
        .await
        .expect("created");
    let request = |options: DeleteOptions| {
        let envelope = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some("v1".into()),
                kind: Some("DeleteOptions".into()),
            }),
            raw: Some(options.encode_to_vec()),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        let mut body = b"k8s\0".to_vec();
        body.extend(envelope.encode_to_vec());
        http::Request::delete("/api/v1/namespaces/default/configmaps/pb")
            .header("content-type", "application/vnd.kubernetes.protobuf")
            .body(body)
            .expect("request")
    };
    client
        .request_text(request(DeleteOptions {
            dry_run: vec!["All".into()],
            ..Default::default()
        }))
        .await
        .expect("a dry run is accepted");
    assert!(
        api.get_opt("pb").await.expect("get").is_some(),
        "dry run: kept"
    );
    let err = client
        .request_text(request(DeleteOptions {
            preconditions: Some(Preconditions {
                uid: Some("not-its-uid".into()),
                resource_version: None,
            }),
            ..Default::default()
        }))
        .await
        .expect_err("a uid precondition that does not hold");
    assert_eq!(code(&err).0, 409);
    client
        .request_text(request(DeleteOptions {
            propagation_policy: Some("Background".into()),
            ..Default::default()
        }))
        .await
        .expect("deleted");
    assert!(api.get_opt("pb").await.expect("get").is_none());
}
