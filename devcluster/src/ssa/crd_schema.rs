//! The structured-merge-diff type of a custom resource, read from its CRD version's
//! `openAPIV3Schema` as kube-apiserver builds it: `x-kubernetes-list-type` (`map` with
//! `x-kubernetes-list-map-keys`, `set`, `atomic`; arrays are atomic by default),
//! `x-kubernetes-map-type` (`atomic` or `granular`) on objects, `properties` as struct fields,
//! `additionalProperties` as a map's element type. `metadata` always has ObjectMeta's rules.
//!
//! Types are `&'static` like the built-in ones: each distinct schema is converted once and kept
//! for the life of the process (interned by its JSON text), so re-registering a CRD costs
//! nothing and memory grows only with the number of distinct schemas served.

use super::schema::{Key, OBJECT_META, OPEN, Ty};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

static INTERNED: LazyLock<Mutex<HashMap<String, &'static Ty>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The type of objects validated by `schema` (a CRD version's `openAPIV3Schema`).
pub fn for_crd(schema: &Value) -> &'static Ty {
    let text = schema.to_string();
    let mut interned = INTERNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(ty) = interned.get(&text) {
        return ty;
    }
    let ty = root(schema);
    interned.insert(text, ty);
    ty
}

fn leak(ty: Ty) -> &'static Ty {
    Box::leak(Box::new(ty))
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// The top level: ObjectMeta's rules for `metadata`, the schema for the rest.
fn root(schema: &Value) -> &'static Ty {
    let mut fields: Vec<(&'static str, &'static Ty)> = vec![("metadata", &OBJECT_META)];
    for (name, prop) in properties(schema) {
        if name != "metadata" {
            fields.push((leak_str(name), convert(prop)));
        }
    }
    leak(Ty::Struct(Box::leak(fields.into_boxed_slice())))
}

fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn str_at<'a>(schema: &'a Value, key: &str) -> Option<&'a str> {
    schema.get(key).and_then(Value::as_str)
}

fn convert(schema: &Value) -> &'static Ty {
    match str_at(schema, "type") {
        Some("array") => array(schema),
        Some("object") => object(schema),
        // Scalars, and untyped nodes (`x-kubernetes-int-or-string`, preserve-unknown-fields):
        // a struct of unknown fields is a leaf for scalars and deduced for the rest.
        _ if schema.get("properties").is_some() => object(schema),
        _ => &OPEN,
    }
}

fn object(schema: &Value) -> &'static Ty {
    if str_at(schema, "x-kubernetes-map-type") == Some("atomic") {
        return &Ty::Atomic;
    }
    if let Some(elem) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        return leak(Ty::Map(convert(elem)));
    }
    let fields: Vec<(&'static str, &'static Ty)> = properties(schema)
        .map(|(name, prop)| (leak_str(name), convert(prop)))
        .collect();
    if fields.is_empty() {
        return &OPEN;
    }
    leak(Ty::Struct(Box::leak(fields.into_boxed_slice())))
}

fn array(schema: &Value) -> &'static Ty {
    let items = schema.get("items").map_or(&OPEN, convert);
    match str_at(schema, "x-kubernetes-list-type") {
        Some("set") => &Ty::Set,
        Some("map") => {
            let keys: Vec<Key> = schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|k| Key {
                    name: leak_str(k),
                    default: None,
                })
                .collect();
            if keys.is_empty() {
                return &Ty::Atomic;
            }
            leak(Ty::Assoc(Box::leak(keys.into_boxed_slice()), items))
        }
        _ => &Ty::Atomic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_and_map_types_come_from_the_schema() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                    "additionalProperties": {"type": "string"}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}}}}});
        let ty = for_crd(&schema);
        let (spec, _) = ty.field("spec").expect("spec");
        assert!(
            matches!(spec.field("ports"), Some((Ty::Assoc(keys, _), true)) if keys[0].name == "name")
        );
        assert!(matches!(spec.field("tags"), Some((Ty::Set, true))));
        assert!(matches!(spec.field("args"), Some((Ty::Atomic, true))));
        assert!(matches!(spec.field("selector"), Some((Ty::Atomic, true))));
        assert!(matches!(spec.field("labels"), Some((Ty::Map(_), true))));
        assert!(std::ptr::eq(ty, for_crd(&schema)), "interned");
        assert!(matches!(ty.field("metadata"), Some((Ty::Struct(_), true))));
    }
}
