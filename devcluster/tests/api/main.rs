//! Behaviour through `kube::Client`: one test per lifecycle and admission rule, watches through
//! kube-runtime (including recovery from 410 Gone and from closed watches), fault injection and
//! persistence across a restart. One test binary; the helpers are here, the tests in modules.

mod controllers;
mod fidelity;
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
