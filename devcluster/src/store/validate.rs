//! Metadata validation every kind gets: label keys and values, annotation keys, owner reference
//! fields (422 Invalid with one cause per bad entry, as kube-apiserver answers).

use crate::status::{Cause, CauseType};
use serde_json::Value;

const NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn name_part_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !s.is_empty()
        && s.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Why a qualified name (`prefix/name` or `name`) is invalid, if it is.
fn qualified_name_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && crate::meta::validate_name(crate::meta::NameRule::Subdomain, p).is_err()
    {
        return Some("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into());
    }
    if name.len() > 63 {
        return Some("name part must be no more than 63 characters".into());
    }
    (!name_part_ok(name)).then(|| NAME_PART.to_string())
}

/// The problems with `metadata.labels` and `metadata.annotations` keys.
pub(super) fn metadata(obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let invalid = |field: &str, value: &str, why: &str| Cause {
        reason: CauseType::FieldValueInvalid,
        message: format!("Invalid value: {value:?}: {why}"),
        field: field.into(),
    };
    let map = |k: &str| {
        obj.get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_object)
    };
    for (k, v) in map("labels").into_iter().flatten() {
        if let Some(why) = qualified_name_error(k) {
            causes.push(invalid("metadata.labels", k, &why));
        }
        let value = v.as_str().unwrap_or_default();
        if !value.is_empty() && !name_part_ok(value) {
            causes.push(invalid(
                &format!("metadata.labels[{k}]"),
                value,
                LABEL_VALUE,
            ));
        }
    }
    let refs = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array);
    for (i, r) in refs.into_iter().flatten().enumerate() {
        for field in ["apiVersion", "kind", "name", "uid"] {
            if r.get(field)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(Cause {
                    reason: CauseType::FieldValueRequired,
                    message: "Required value".into(),
                    field: format!("metadata.ownerReferences[{i}].{field}"),
                });
            }
        }
    }
    let controllers: Vec<&str> = refs
        .into_iter()
        .flatten()
        .filter(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| r.get("name").and_then(Value::as_str).unwrap_or_default())
        .collect();
    if let [first, second, ..] = controllers.as_slice() {
        causes.push(Cause {
            reason: CauseType::FieldValueInvalid,
            message: format!(
                "Invalid value: []v1.OwnerReference{{...}}: Only one reference can have Controller set to true. Found \"true\" in references for {first} and {second}"
            ),
            field: "metadata.ownerReferences".into(),
        });
    }
    for k in map("annotations").into_iter().flatten().map(|(k, _)| k) {
        if let Some(why) = qualified_name_error(k) {
            causes.push(invalid("metadata.annotations", k, &why));
        }
    }
    causes
}

/// `ValidateObjectMetaUpdate`'s finalizer rule: an object being deleted gets no new finalizers.
pub(super) fn metadata_update(old: &Value, new: &Value) -> Vec<Cause> {
    if !crate::meta::is_deleting(old) {
        return Vec::new();
    }
    let before = crate::meta::finalizers(old);
    let mut added: Vec<String> = crate::meta::finalizers(new)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if added.is_empty() {
        return Vec::new();
    }
    added.sort();
    added.dedup();
    let shown: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
    vec![Cause {
        reason: CauseType::FieldValueForbidden,
        message: format!(
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
            shown.join(", ")
        ),
        field: "metadata.finalizers".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_and_annotation_keys() {
        let ok = json!({"metadata": {"labels": {"app.kubernetes.io/name": "x", "e": ""},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}});
        assert!(metadata(&ok).is_empty());
        let bad = json!({"metadata": {"labels": {"a": "no spaces", "-x": "y"}, "annotations": {"Bad/x": "1"}}});
        let fields: Vec<String> = metadata(&bad).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                "metadata.labels",
                "metadata.labels[a]",
                "metadata.annotations"
            ]
        );
    }

    #[test]
    fn one_controller_reference_at_most() {
        let r = |n: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "name": n, "uid": n, "controller": true});
        let two = json!({"metadata": {"ownerReferences": [r("a"), r("b")]}});
        let causes = metadata(&two);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "metadata.ownerReferences");
        assert!(
            causes[0]
                .message
                .ends_with("Found \"true\" in references for a and b")
        );
        assert!(metadata(&json!({"metadata": {"ownerReferences": [r("a")]}})).is_empty());
    }

    #[test]
    fn no_new_finalizers_while_deleting() {
        let old = json!({"metadata": {"deletionTimestamp": "t", "finalizers": ["a"]}});
        let new = json!({"metadata": {"deletionTimestamp": "t", "finalizers": ["a", "b"]}});
        let causes = metadata_update(&old, &new);
        assert_eq!(causes[0].field, "metadata.finalizers");
        assert_eq!(
            causes[0].message,
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b\"}"
        );
        assert!(metadata_update(&old, &json!({"metadata": {"finalizers": []}})).is_empty());
        assert!(metadata_update(&json!({}), &new).is_empty());
    }
}
