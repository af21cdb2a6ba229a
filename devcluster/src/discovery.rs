//! Discovery documents: `/version`, `/api`, `/apis` (legacy `APIVersions`/`APIGroupList`, or
//! aggregated `APIGroupDiscoveryList` when the Accept header asks for it), `/apis/{group}` and the
//! per-group-version `APIResourceList`s.

use crate::registry::{Registry, ResourceType};
use serde_json::{Value, json};

const STATUS_VERBS: [&str; 3] = ["get", "patch", "update"];

/// `/version`: minor "32" makes the kubectl dispatcher run kubectl 1.32.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-devcluster",
        "gitCommit": "devcluster", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64"
    })
}

/// The aggregated discovery version the Accept header asks for first (`v2` or `v2beta1`).
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    for part in accept.split(',') {
        let params: Vec<&str> = part.split(';').map(str::trim).collect();
        if !params.contains(&"g=apidiscovery.k8s.io")
            || !params.contains(&"as=APIGroupDiscoveryList")
        {
            continue;
        }
        if params.contains(&"v=v2") {
            return Some("v2");
        }
        if params.contains(&"v=v2beta1") {
            return Some("v2beta1");
        }
    }
    None
}

/// The Content-Type that labels an aggregated answer; kubectl decides by it.
pub fn aggregated_content_type(version: &str) -> String {
    format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList")
}

fn gv(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// `/api`, legacy form.
pub fn api_versions() -> Value {
    json!({
        "kind": "APIVersions", "apiVersion": "v1", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]
    })
}

fn api_group(name: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": gv(name, v), "version": v}))
        .collect();
    json!({ "name": name, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(Value::Null) })
}

/// `/apis`, legacy form.
pub fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .groups()
        .iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, vs)| api_group(g, vs))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups })
}

/// `/apis/{group}`.
pub fn api_group_doc(reg: &Registry, group: &str) -> Option<Value> {
    let (_, versions) = reg
        .groups()
        .into_iter()
        .find(|(g, _)| g == group && !g.is_empty())?;
    let mut doc = api_group(group, &versions);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `/api/v1` or `/apis/{group}/{version}`.
pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for rt in types {
        let mut r = json!({
            "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
            "kind": rt.kind, "verbs": rt.verbs,
        });
        if !rt.short_names.is_empty() {
            r["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            r["categories"] = json!(rt.categories);
        }
        resources.push(r);
        if rt.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", rt.plural), "singularName": "", "namespaced": rt.namespaced,
                "kind": rt.kind, "verbs": STATUS_VERBS,
            }));
        }
        if rt.scale.is_some() {
            resources.push(json!({
                "name": format!("{}/scale", rt.plural), "singularName": "", "namespaced": rt.namespaced,
                "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": STATUS_VERBS,
            }));
        }
    }
    Some(
        json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv(group, version), "resources": resources }),
    )
}

fn aggregated_resource(rt: &ResourceType, version: &str) -> Value {
    let kind = json!({"group": rt.group, "version": version, "kind": rt.kind});
    let mut r = json!({
        "resource": rt.plural, "responseKind": kind, "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": rt.singular, "verbs": rt.verbs,
    });
    if !rt.short_names.is_empty() {
        r["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        r["categories"] = json!(rt.categories);
    }
    let mut subresources = Vec::new();
    if rt.status_subresource {
        subresources
            .push(json!({ "subresource": "status", "responseKind": kind, "verbs": STATUS_VERBS }));
    }
    if rt.scale.is_some() {
        subresources.push(json!({ "subresource": "scale",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": STATUS_VERBS }));
    }
    if !subresources.is_empty() {
        r["subresources"] = Value::Array(subresources);
    }
    r
}

/// Aggregated discovery for `/api` (`core` true: the core group only) or `/apis` (the others).
pub fn aggregated(reg: &Registry, core: bool, version: &str) -> Value {
    let items: Vec<Value> = reg
        .groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| {
            let vs: Vec<Value> = versions
                .iter()
                .map(|v| {
                    let resources: Vec<Value> = reg
                        .in_group_version(&g, v)
                        .iter()
                        .map(|rt| aggregated_resource(rt, v))
                        .collect();
                    json!({ "version": v, "resources": resources, "freshness": "Current" })
                })
                .collect();
            json!({ "metadata": { "name": g }, "versions": vs })
        })
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {}, "items": items
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECTL_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

    #[test]
    fn accept_selects_aggregated() {
        assert_eq!(aggregated_version(KUBECTL_ACCEPT), Some("v2"));
        assert_eq!(
            aggregated_version(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
            ),
            Some("v2beta1")
        );
        assert_eq!(aggregated_version("application/json, */*"), None);
    }

    #[test]
    fn core_aggregated_lists_short_names() {
        let doc = aggregated(&Registry::with_builtins(), true, "v2");
        let resources = &doc["items"][0]["versions"][0]["resources"];
        let cm = resources
            .as_array()
            .and_then(|a| a.iter().find(|r| r["resource"] == "configmaps"))
            .cloned();
        assert_eq!(cm.map(|c| c["shortNames"].clone()), Some(json!(["cm"])));
    }

    #[test]
    fn resource_list_has_status_subresource() {
        let doc =
            resource_list(&Registry::with_builtins(), "apps", "v1").expect("apps/v1 is served");
        assert!(
            doc["resources"]
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["name"] == "deployments/status"))
        );
        assert!(resource_list(&Registry::with_builtins(), "apps", "v9").is_none());
    }
}
