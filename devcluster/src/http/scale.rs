//! The `scale` subresource (`autoscaling/v1` Scale): read from and written to the object at the
//! resource's replica and selector paths (`kubectl scale`, `Api::patch_scale`).

use crate::registry::{ResourceType, ScalePaths, ScaleSelector};
use crate::status::ApiError;
use serde_json::{Map, Value, json};

fn pointer(path: &str) -> String {
    path.replace('.', "/")
}

/// A `metav1.LabelSelector` as its string form (`a=b,c in (d)`).
fn selector_string(sel: &Value) -> String {
    let mut parts: Vec<String> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(
            match e
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_string(),
                _ => format!("!{key}"),
            },
        );
    }
    parts.join(",")
}

fn paths(rt: &ResourceType) -> Result<&ScalePaths, ApiError> {
    rt.scale.as_ref().ok_or_else(ApiError::no_route)
}

/// The Scale view of an object.
pub fn to_scale(rt: &ResourceType, obj: &Value) -> Result<Value, ApiError> {
    let p = paths(rt)?;
    let meta: Map<String, Value> = [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ]
    .iter()
    .filter_map(|k| {
        Some((
            k.to_string(),
            obj.pointer(&format!("/metadata/{k}"))?.clone(),
        ))
    })
    .collect();
    let replicas = obj
        .pointer(&pointer(&p.spec_replicas))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let current = obj
        .pointer(&pointer(&p.status_replicas))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut status = json!({ "replicas": current });
    let selector = match &p.selector {
        ScaleSelector::LabelSelectorAt(path) => obj.pointer(&pointer(path)).map(selector_string),
        ScaleSelector::StringAt(path) => obj
            .pointer(&pointer(path))
            .and_then(Value::as_str)
            .map(str::to_string),
        ScaleSelector::None => None,
    };
    if let Some(sel) = selector {
        status["selector"] = json!(sel);
    }
    Ok(json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
        "spec": { "replicas": replicas }, "status": status,
    }))
}

/// The object with the replicas (and resourceVersion precondition) of `scale` written into it.
pub fn from_scale(rt: &ResourceType, obj: &Value, scale: &Value) -> Result<Value, ApiError> {
    let p = paths(rt)?;
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request("the Scale has no integer spec.replicas"))?;
    if replicas < 0 {
        return Err(ApiError::invalid(
            "autoscaling",
            "Scale",
            crate::meta::name(obj),
            vec![crate::status::Cause {
                reason: crate::status::CauseType::FieldValueInvalid,
                message: format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                field: "spec.replicas".into(),
            }],
        ));
    }
    let mut out = obj.clone();
    let mut node = &mut out;
    let segments: Vec<&str> = p.spec_replicas.trim_start_matches('.').split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        if !node.is_object() {
            *node = json!({});
        }
        if i + 1 == segments.len() {
            node[*seg] = json!(replicas);
            break;
        }
        node = &mut node[*seg];
    }
    if let Some(rv) = scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        crate::meta::meta_mut(&mut out).insert("resourceVersion".into(), json!(rv));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn deployment_scale_round_trip() {
        let rt = Registry::with_builtins()
            .lookup("apps", "v1", "deployments")
            .expect("built-in");
        let d = json!({"metadata": {"name": "web", "resourceVersion": "7"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}}, "status": {"replicas": 1}});
        let s = to_scale(&rt, &d).expect("scale");
        assert_eq!(
            (
                s["spec"]["replicas"].as_i64(),
                s["status"]["selector"].as_str()
            ),
            (Some(2), Some("app=web"))
        );
        let scaled = from_scale(&rt, &d, &json!({"spec": {"replicas": 5}})).expect("scaled");
        assert_eq!(scaled["spec"]["replicas"], 5);
        assert!(from_scale(&rt, &d, &json!({"spec": {"replicas": -1}})).is_err());
    }
}
