//! `fieldValidation`: the fields of an object its schema does not declare.
//!
//! - Custom resources: the CRD version's structural schema. Only nodes that declare `properties`
//!   are checked; nodes with `x-kubernetes-preserve-unknown-fields` or
//!   `x-kubernetes-embedded-resource` accept anything, and `additionalProperties` schemas check
//!   map values.
//! - Built-ins: the object is decoded into its k8s-openapi type and encoded again; a field of
//!   the request that does not survive the round trip is unknown. Objects the typed decoder
//!   refuses (a value of the wrong type, say) are refused by the store (`decode_check`).

use serde_json::{Map, Value};

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

/// Fields of `input` missing from `output` (null inputs are not fields); removed with `prune`.
fn lost(input: &mut Value, output: &Value, path: &str, out: &mut Vec<String>, prune: bool) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            let mut gone = Vec::new();
            for (k, v) in i.iter_mut().filter(|(_, v)| !v.is_null()) {
                match o.get(k) {
                    None => gone.push(k.clone()),
                    Some(ov) => lost(v, ov, &format!("{path}.{k}"), out, prune),
                }
            }
            finish(i, gone, path, out, prune);
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, (iv, ov)) in i.iter_mut().zip(o).enumerate() {
                lost(iv, ov, &format!("{path}[{n}]"), out, prune);
            }
        }
        _ => {}
    }
}

/// Records the unknown keys of one map, and removes them with `prune`.
fn finish(
    map: &mut Map<String, Value>,
    gone: Vec<String>,
    path: &str,
    out: &mut Vec<String>,
    prune: bool,
) {
    for k in gone {
        out.push(format!("{path}.{k}"));
        if prune {
            map.remove(&k);
        }
    }
}

/// Decodes `text` as the built-in `group`/`kind` and encodes it again; None when the kind is
/// not a built-in.
pub fn decode_typed(
    group: &str,
    kind: &str,
    text: &str,
) -> Option<Result<Value, serde_json::Error>> {
    crate::kinds::by_kind(group, kind).map(|s| (s.decode)(text))
}

/// The unknown fields of a built-in object (removed with `prune`, as decoding into kube's Go
/// types drops them), or None when its type is not known or it does not decode as that type
/// (the store refuses those: `decode_check`).
pub fn unknown_builtin_fields(
    group: &str,
    kind: &str,
    obj: &mut Value,
    prune: bool,
) -> Option<Vec<String>> {
    let text = serde_json::to_string(obj).ok()?;
    let typed = decode_typed(group, kind, &text)?.ok()?;
    let mut out = Vec::new();
    lost(obj, &typed, "", &mut out, prune);
    out.sort();
    Some(out)
}

/// The undeclared fields of `obj` under a CRD `schema`, as dotted paths (`.spec.sizee`);
/// removed with `prune`, as kube-apiserver prunes custom resources.
pub fn unknown_fields(schema: &Value, obj: &mut Value, prune: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(map) = obj.as_object_mut() {
        let props = schema.get("properties").and_then(Value::as_object);
        let mut gone = Vec::new();
        for (k, v) in map.iter_mut() {
            if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            match props.and_then(|p| p.get(k)) {
                Some(sub) => walk(sub, v, &format!(".{k}"), &mut out, prune),
                None if props.is_some() && !preserves(schema) => gone.push(k.clone()),
                None => {}
            }
        }
        finish(map, gone, "", &mut out, prune);
    }
    out.sort();
    out
}

fn preserves(schema: &Value) -> bool {
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool) == Some(true);
    flag("x-kubernetes-preserve-unknown-fields") || flag("x-kubernetes-embedded-resource")
}

fn walk(schema: &Value, v: &mut Value, path: &str, out: &mut Vec<String>, prune: bool) {
    if preserves(schema) {
        return;
    }
    match v {
        Value::Object(map) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let mut gone = Vec::new();
            for (k, child) in map.iter_mut() {
                let child_path = format!("{path}.{k}");
                match (props.and_then(|p| p.get(k)), additional) {
                    (Some(sub), _) => walk(sub, child, &child_path, out, prune),
                    (None, Some(add)) if add.is_object() => {
                        walk(add, child, &child_path, out, prune)
                    }
                    (None, Some(Value::Bool(true))) => {}
                    (None, _) if props.is_some() => gone.push(k.clone()),
                    (None, _) => {}
                }
            }
            finish(map, gone, path, out, prune);
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), out, prune);
                }
            }
        }
        _ => {}
    }
}

/// Fills in the `default`s a CRD schema declares for missing fields (and for nulls where the
/// field is not `nullable`), as kube-apiserver does for custom resources; present objects, list
/// items and map values get their nested defaults too.
pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    match obj {
        Value::Object(map) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, sub) in props {
                    let nullable = sub.get("nullable").and_then(Value::as_bool) == Some(true);
                    let missing = match map.get(k) {
                        None => true,
                        Some(Value::Null) => !nullable,
                        Some(_) => false,
                    };
                    if let Some(default) = sub.get("default")
                        && missing
                    {
                        map.insert(k.clone(), default.clone());
                    }
                }
                for (k, v) in map.iter_mut() {
                    if let Some(sub) = props.get(k) {
                        apply_defaults(sub, v);
                    }
                }
            } else if let Some(add) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                for v in map.values_mut() {
                    apply_defaults(add, v);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item_schema, item);
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
        let mut pruned = obj.clone();
        assert_eq!(
            unknown_fields(&schema(), &mut pruned, true),
            [".extra", ".spec.items[0].nam", ".spec.sizee"]
        );
        assert!(
            unknown_fields(&schema(), &mut pruned, false).is_empty(),
            "pruning left {pruned}"
        );
        assert_eq!(pruned["spec"]["free"], json!({"whatever": 1}));
        assert_eq!(pruned["metadata"], obj["metadata"]);
    }

    #[test]
    fn built_in_round_trip_finds_unknown_fields() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labelz": {}},
            "data": {"k": "v"}, "dataa": {}, "immutable": null});
        let mut pruned = cm.clone();
        assert_eq!(
            unknown_builtin_fields("", "ConfigMap", &mut pruned, true),
            Some(vec![".dataa".to_string(), ".metadata.labelz".to_string()])
        );
        assert_eq!(
            pruned,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
            "data": {"k": "v"}, "immutable": null})
        );
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [
                {"name": "c", "image": "i", "imagePullPolicy": "Always", "imagee": "x"}]}}}});
        assert_eq!(
            unknown_builtin_fields("apps", "Deployment", &mut d.clone(), false),
            Some(vec![".spec.template.spec.containers[0].imagee".to_string()])
        );
        assert_eq!(
            unknown_builtin_fields(
                "apps",
                "Deployment",
                &mut json!({"spec": {"replicas": "x"}}),
                true
            ),
            None
        );
    }

    #[test]
    fn defaults_fill_missing_fields_only() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "default": {},
            "properties": {"interval": {"type": "string", "default": "5m"}, "suspend": {"type": "boolean", "default": false},
                "targets": {"type": "array", "items": {"type": "object", "properties": {"prune": {"type": "boolean", "default": true}}}}}}}});
        let mut empty = json!({"metadata": {"name": "a"}});
        apply_defaults(&schema, &mut empty);
        assert_eq!(empty["spec"], json!({"interval": "5m", "suspend": false}));
        let mut set =
            json!({"spec": {"interval": "1m", "targets": [{"name": "x"}, {"prune": false}]}});
        apply_defaults(&schema, &mut set);
        assert_eq!(set["spec"]["interval"], "1m");
        assert_eq!(
            set["spec"]["targets"],
            json!([{"name": "x", "prune": true}, {"prune": false}])
        );
    }

    #[test]
    fn preserve_unknown_accepts_everything() {
        let s = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
        assert!(unknown_fields(&s, &mut json!({"spec": {"a": 1}}), true).is_empty());
    }
}
