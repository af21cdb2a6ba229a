//! A minimal OpenAPI v3: the root lists every served group/version, and each group/version
//! document has, per kind, a PATCH operation with `x-kubernetes-group-version-kind` and the
//! `fieldValidation` query parameter. That is what kubectl's `apply`/`replace` check before they
//! trust the server to validate (see research/kubectl-protocol.md §2). No schemas are served.

use crate::registry::Registry;
use serde_json::{Map, Value, json};

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`.
pub fn root(reg: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, versions) in reg.groups() {
        for v in versions {
            let p = gv_path(&group, &v);
            paths.insert(
                p.clone(),
                json!({ "serverRelativeURL": format!("/openapi/v3/{p}") }),
            );
        }
    }
    json!({ "paths": paths })
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
pub fn group_version(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for rt in types {
        let base = format!("/{}", gv_path(group, version));
        let item = if rt.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{base}/{}/{{name}}", rt.plural)
        };
        let op = |path: &str| {
            json!({ "patch": {
                "operationId": format!("patch{}", rt.kind),
                "x-kubernetes-group-version-kind": { "group": rt.group, "version": version, "kind": rt.kind },
                "x-kubernetes-action": "patch",
                "parameters": [
                    { "name": "fieldValidation", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
                    { "name": "fieldManager", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
                    { "name": "dryRun", "in": "query", "schema": { "type": "string", "uniqueItems": true } },
                    { "name": "force", "in": "query", "schema": { "type": "boolean", "uniqueItems": true } }
                ],
                "description": path,
            }})
        };
        paths.insert(item.clone(), op(&item));
        if rt.status_subresource {
            let status = format!("{item}/status");
            paths.insert(status.clone(), op(&status));
        }
    }
    Some(
        json!({ "openapi": "3.0.0", "info": { "title": "Kubernetes", "version": "v1.32.0" }, "paths": paths }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_patch_op_has_field_validation() {
        let doc = group_version(&Registry::with_builtins(), "", "v1").expect("core is served");
        let op = &doc["paths"]["/api/v1/namespaces/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Namespace");
        assert_eq!(op["parameters"][0]["name"], "fieldValidation");
        assert!(
            doc["paths"]
                .get("/api/v1/namespaces/{namespace}/configmaps/{name}")
                .is_some()
        );
    }

    #[test]
    fn root_lists_every_group_version() {
        let doc = root(&Registry::with_builtins());
        assert_eq!(
            doc["paths"]["apis/apps/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/apps/v1"
        );
        assert!(doc["paths"].get("api/v1").is_some());
    }
}
