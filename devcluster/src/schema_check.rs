//! `fieldValidation` for custom resources: the fields of an object that its CRD version's
//! structural schema does not declare. Only nodes that declare `properties` are checked; nodes
//! with `x-kubernetes-preserve-unknown-fields` or `x-kubernetes-embedded-resource` accept
//! anything, and `additionalProperties` schemas check map values.

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
    fn preserve_unknown_accepts_everything() {
        let s = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
        assert!(unknown_fields(&s, &json!({"spec": {"a": 1}})).is_empty());
    }
}
