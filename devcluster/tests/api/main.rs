//! Behaviour through `kube::Client`: one test per lifecycle and admission rule, watches through
//! kube-runtime (including recovery from 410 Gone and from closed watches), fault injection and
//! persistence across a restart. One test binary; the helpers are here, the tests in modules.

mod controllers;
mod fidelity;
mod kind_validation;
mod lists;
mod persistence;
mod rules;
mod semantics;
mod ssa;
mod watching;

use devcluster::DevCluster;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use kube::{Client, Error};
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) async fn start() -> (DevCluster, Client) {
    let cluster = DevCluster::start().await.expect("devcluster starts");
    let client = cluster.client().expect("client");
    (cluster, client)
}

pub(crate) fn code(e: &Error) -> (u16, String) {
    match e {
        Error::Api(s) => (s.code, s.reason.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub(crate) fn cm(name: &str, data: Value) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": data})).expect("configmap")
}

pub(crate) async fn create_ns(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("namespace");
    api.create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
}

pub(crate) const WIDGET_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "widgets.example.com"},
  "spec": {"group": "example.com", "scope": "Namespaced",
    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
      "subresources": {"status": {}}}]}}"#;

pub(crate) async fn widgets(client: &Client, ns: &str) -> Api<DynamicObject> {
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let crd: DynamicObject = serde_json::from_str(WIDGET_CRD).expect("crd json");
    crds.create(&PostParams::default(), &crd)
        .await
        .expect("CRD created");
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Widget"),
        "widgets",
    );
    Api::namespaced_with(client.clone(), ns, &ar)
}

pub(crate) fn widget(name: &str, spec: Value) -> DynamicObject {
    serde_json::from_value(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}))
        .expect("widget")
}

/// The status code and JSON body of a raw request (kube's `ErrorResponse` has no details).
pub(crate) async fn status_of(client: &Client, req: http::Request<Vec<u8>>) -> (u16, Value) {
    let resp = client
        .send(req.map(kube::client::Body::from))
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&body).expect("json"))
}

/// The `details.causes[]` of a 422 as (field, reason), via a raw request.
pub(crate) async fn causes_of(
    client: &Client,
    req: http::Request<Vec<u8>>,
) -> (u16, Vec<(String, String)>) {
    let (status, v) = status_of(client, req).await;
    (status, causes(&v))
}

/// The `details.causes[]` of a Status as (field, reason).
pub(crate) fn causes(status: &Value) -> Vec<(String, String)> {
    status
        .pointer("/details/causes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let s = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (s("field"), s("reason"))
        })
        .collect()
}

pub(crate) fn json_req(method: &str, uri: &str, body: Value) -> http::Request<Vec<u8>> {
    let content_type = match method {
        "PATCH" => "application/merge-patch+json",
        _ => "application/json",
    };
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(serde_json::to_vec(&body).expect("json"))
        .expect("request")
}
