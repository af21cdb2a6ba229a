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
