//! `fieldValidation`: the fields of an object its schema does not declare.
//!
//! - Custom resources: the CRD version's structural schema. Only nodes that declare `properties`
//!   are checked; nodes with `x-kubernetes-preserve-unknown-fields` or
//!   `x-kubernetes-embedded-resource` accept anything, and `additionalProperties` schemas check
//!   map values.
//! - Built-ins: the object is decoded into its k8s-openapi type and encoded again; a field of
//!   the request that does not survive the round trip is unknown. Objects the typed decoder
//!   refuses (a value of the wrong type, say) are not checked.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How unknown fields are treated, from the `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    /// kube-apiserver's default, when the parameter is absent, is Warn.
    pub fn parse(v: Option<&str>) -> Result<Self, String> {
        match v {
            None | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(format!(
                "fieldValidation {other:?} is not one of Ignore, Warn, Strict"
            )),
        }
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(obj: &Value) -> Option<Value> {
    let typed: T = serde_json::from_value(obj.clone()).ok()?;
    serde_json::to_value(&typed).ok()
}

/// Fields of `input` missing from `output` (null inputs are not fields).
fn lost(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i.iter().filter(|(_, v)| !v.is_null()) {
                match o.get(k) {
                    None => out.push(format!("{path}.{k}")),
                    Some(ov) => lost(v, ov, &format!("{path}.{k}"), out),
                }
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, (iv, ov)) in i.iter().zip(o).enumerate() {
                lost(iv, ov, &format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

/// The unknown fields of a built-in object, or None when its type is not known or it does not
/// decode as that type.
pub fn unknown_builtin_fields(group: &str, kind: &str, obj: &Value) -> Option<Vec<String>> {
    use k8s_openapi::api::{apps, coordination, core, events};
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiext;
    let typed = match (group, kind) {
        ("", "Namespace") => round_trip::<core::v1::Namespace>(obj),
        ("", "Secret") => round_trip::<core::v1::Secret>(obj),
        ("", "ConfigMap") => round_trip::<core::v1::ConfigMap>(obj),
        ("", "ServiceAccount") => round_trip::<core::v1::ServiceAccount>(obj),
        ("", "Service") => round_trip::<core::v1::Service>(obj),
        ("", "Event") => round_trip::<core::v1::Event>(obj),
        ("events.k8s.io", "Event") => round_trip::<events::v1::Event>(obj),
        ("coordination.k8s.io", "Lease") => round_trip::<coordination::v1::Lease>(obj),
        ("apps", "Deployment") => round_trip::<apps::v1::Deployment>(obj),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            round_trip::<apiext::CustomResourceDefinition>(obj)
        }
        _ => None,
    }?;
    let mut out = Vec::new();
    lost(obj, &typed, "", &mut out);
    Some(out)
}

/// The undeclared fields of `obj` under `schema`, as dotted paths (`.spec.sizee`).
pub fn unknown_fields(schema: &Value, obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(map) = obj.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in map {
            if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            match props.and_then(|p| p.get(k)) {
                Some(sub) => walk(sub, v, &format!(".{k}"), &mut out),
                None if props.is_some() && !preserves(schema) => out.push(format!(".{k}")),
                None => {}
            }
        }
    }
    out
}

fn preserves(schema: &Value) -> bool {
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
    flag("x-kubernetes-preserve-unknown-fields") || flag("x-kubernetes-embedded-resource")
}

fn walk(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    if preserves(schema) {
        return;
    }
    match v {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (k, child) in map {
                let child_path = format!("{path}.{k}");
                match (props.and_then(|p| p.get(k)), additional) {
                    (Some(sub), _) => walk(sub, child, &child_path, out),
                    (None, Some(add)) if add.is_object() => walk(add, child, &child_path, out),
                    (None, Some(Value::Bool(true))) => {}
                    (None, _) if props.is_some() => out.push(child_path),
                    (None, _) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "integer"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
            "status": {"type": "object"}}})
    }

    #[test]
    fn finds_undeclared_fields() {
        let obj = json!({"apiVersion": "x/v1", "kind": "W", "metadata": {"name": "a"},
            "spec": {"size": 1, "sizee": 2, "labels": {"any": "x"}, "items": [{"name": "a", "nam": "b"}],
                     "free": {"whatever": 1}},
            "extra": true});
        assert_eq!(
            unknown_fields(&schema(), &obj),
            [".extra", ".spec.items[0].nam", ".spec.sizee"]
        );
    }

    #[test]
    fn built_in_round_trip_finds_unknown_fields() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labelz": {}},
            "data": {"k": "v"}, "dataa": {}, "immutable": null});
        assert_eq!(
            unknown_builtin_fields("", "ConfigMap", &cm),
            Some(vec![".dataa".to_string(), ".metadata.labelz".to_string()])
        );
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [
                {"name": "c", "image": "i", "imagePullPolicy": "Always", "imagee": "x"}]}}}});
        assert_eq!(
            unknown_builtin_fields("apps", "Deployment", &d),
            Some(vec![".spec.template.spec.containers[0].imagee".to_string()])
        );
        assert_eq!(
            unknown_builtin_fields("apps", "Deployment", &json!({"spec": {"replicas": "x"}})),
            None
        );
    }

    #[test]
    fn preserve_unknown_accepts_everything() {
        let s = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
        assert!(unknown_fields(&s, &json!({"spec": {"a": 1}})).is_empty());
    }
}
