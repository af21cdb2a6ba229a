//! What counts as a difference between the live object and the server-side dry-run of the
//! desired one: everything but the fields the server owns (managedFields, resourceVersion,
//! generation, uid, creationTimestamp) and `status`.

use serde_json::Value;

/// Metadata fields the server sets; they never make a difference.
const SERVER_METADATA: [&str; 6] = [
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// The object with server-owned fields removed, for comparison and display.
pub fn normalize(object: &Value) -> Value {
    let mut out = object.clone();
    if let Some(map) = out.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                meta.remove(field);
            }
            let empty_annotations = meta
                .get("annotations")
                .and_then(Value::as_object)
                .is_some_and(|a| a.is_empty());
            if empty_annotations {
                meta.remove("annotations");
            }
        }
    }
    out
}

/// Whether applying would change the live object.
pub fn differs(live: &Value, dry_run: &Value) -> bool {
    normalize(live) != normalize(dry_run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_fields_and_status_do_not_count() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "1", "managedFields": [1]}, "data": {"k": "v"}, "status": {"x": 1}});
        let dry = json!({"metadata": {"name": "a", "resourceVersion": "2"}, "data": {"k": "v"}});
        assert!(!differs(&live, &dry));
        let changed = json!({"metadata": {"name": "a"}, "data": {"k": "w"}});
        assert!(differs(&live, &changed));
    }
}
