//! RFC 6902 JSON patch, with kube-apiserver's (evanphx/json-patch v4) error texts.

use serde_json::{Map, Value};

use super::PatchError;
use super::merge::type_name;

/// RFC 6902 JSON patch (`application/json-patch+json`); `patch` is the JSON array of operations.
///
/// The patch applies atomically: on any error `target` is left as it was. A body that is not an
/// array of objects is a 400; an operation that cannot apply (unknown op, missing path, failed
/// `test`, bad index) is a 422, as kube-apiserver answers.
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    let Value::Array(ops) = patch else {
        return Err(malformed(format!(
            "the patch must be a JSON array of operations, not {}",
            type_name(patch)
        )));
    };
    let mut doc = target.clone();
    for (index, op) in ops.iter().enumerate() {
        let Value::Object(op) = op else {
            return Err(malformed(format!(
                "operation {index} must be a JSON object, not {}",
                type_name(op)
            )));
        };
        apply_op(&mut doc, op).map_err(|reason| PatchError::JsonPatchOp { index, reason })?;
    }
    *target = doc;
    Ok(())
}

fn malformed(reason: String) -> PatchError {
    PatchError::Malformed {
        format: "JSON",
        reason,
    }
}

/// Applies one operation; the error is the message kube-apiserver gives.
fn apply_op(doc: &mut Value, op: &Map<String, Value>) -> Result<(), String> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("");
    let path = string_field(op, "path", kind)?;
    let tokens = parse_pointer(path)?;
    match kind {
        "add" => add(doc, &tokens, path, value_field(op, kind)?.clone(), kind),
        "remove" => remove(doc, &tokens, path).map(drop),
        "replace" => replace(doc, &tokens, path, value_field(op, kind)?.clone()),
        "move" => {
            let from = string_field(op, "from", kind)?;
            let from_tokens = parse_pointer(from)?;
            if tokens.len() > from_tokens.len() && tokens[..from_tokens.len()] == from_tokens[..] {
                return Err(format!(
                    "move operation does not apply: \"{from}\" is a prefix of \"{path}\""
                ));
            }
            let value = remove(doc, &from_tokens, from).map_err(|_| {
                format!(
                    "move operation does not apply: doc is missing from path: {from}: missing value"
                )
            })?;
            add(doc, &tokens, path, value, kind)
        }
        "copy" => {
            let from = string_field(op, "from", kind)?;
            let value = get(doc, &parse_pointer(from)?).cloned().ok_or_else(|| {
                format!(
                    "copy operation does not apply: doc is missing from path: {from}: missing value"
                )
            })?;
            add(doc, &tokens, path, value, kind)
        }
        "test" => test(doc, &tokens, path, op.get("value")),
        other => Err(format!("Unexpected kind: {other}")),
    }
}

/// `test`, as evanphx/json-patch v4 (kube-apiserver's library) does it: a missing key and a
/// JSON `null` are the same absent value, so `{"op":"test","path":"/metadata/finalizers",
/// "value":null}` passes on an object without finalizers (kube-runtime's `finalizer()` starts
/// with exactly that). A missing parent is an error of its own.
fn test(doc: &Value, tokens: &[String], path: &str, want: Option<&Value>) -> Result<(), String> {
    let failed = || format!("testing value {path} failed: test failed");
    let have = match tokens.split_last() {
        None => Some(doc),
        Some((last, parent)) => match get(doc, parent) {
            Some(Value::Object(map)) => map.get(last),
            Some(Value::Array(items)) => parse_index(last).and_then(|i| items.get(i)),
            _ => {
                return Err(format!(
                    "test operation does not apply: is missing path: {path}: missing value"
                ));
            }
        },
    };
    let absent = |v: Option<&Value>| v.is_none_or(Value::is_null);
    match (absent(have), absent(want)) {
        (true, true) => Ok(()),
        (false, false) if have == want => Ok(()),
        _ => Err(failed()),
    }
}

fn string_field<'a>(op: &'a Map<String, Value>, name: &str, kind: &str) -> Result<&'a str, String> {
    op.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{kind} operation has no string \"{name}\""))
}

fn value_field<'a>(op: &'a Map<String, Value>, kind: &str) -> Result<&'a Value, String> {
    op.get("value")
        .ok_or_else(|| format!("{kind} operation has no \"value\""))
}

/// Splits an RFC 6901 pointer into unescaped reference tokens.
fn parse_pointer(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!(
            "JSON pointer must be empty or start with a \"/\": {path:?}"
        ));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// An array index token: decimal digits without a leading zero.
fn parse_index(token: &str) -> Option<usize> {
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    if valid { token.parse().ok() } else { None }
}

fn get<'a>(doc: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(doc, |node, token| match node {
        Value::Object(map) => map.get(token),
        Value::Array(items) => parse_index(token).and_then(|i| items.get(i)),
        _ => None,
    })
}

fn get_mut<'a>(doc: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    tokens.iter().try_fold(doc, |node, token| match node {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => parse_index(token).and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

fn add(
    doc: &mut Value,
    tokens: &[String],
    path: &str,
    value: Value,
    kind: &str,
) -> Result<(), String> {
    let Some((last, parent)) = tokens.split_last() else {
        *doc = value;
        return Ok(());
    };
    let missing = || {
        format!("{kind} operation does not apply: doc is missing path: \"{path}\": missing value")
    };
    match get_mut(doc, parent).ok_or_else(missing)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index = if last == "-" {
                Some(items.len())
            } else {
                parse_index(last)
            };
            match index {
                Some(i) if i <= items.len() => {
                    items.insert(i, value);
                    Ok(())
                }
                _ => Err(format!(
                    "error in {kind} for path: '{path}': Unable to access invalid index: {last}: invalid index referenced"
                )),
            }
        }
        _ => Err(missing()),
    }
}

fn remove(doc: &mut Value, tokens: &[String], path: &str) -> Result<Value, String> {
    let Some((last, parent)) = tokens.split_last() else {
        return Err("remove operation does not apply: cannot remove the whole document".into());
    };
    let nonexistent = || {
        format!(
            "error in remove for path: '{path}': Unable to remove nonexistent key: {last}: missing value"
        )
    };
    match get_mut(doc, parent) {
        Some(Value::Object(map)) => map.remove(last).ok_or_else(nonexistent),
        Some(Value::Array(items)) => match parse_index(last) {
            Some(i) if i < items.len() => Ok(items.remove(i)),
            _ => Err(format!(
                "error in remove for path: '{path}': Unable to access invalid index: {last}: invalid index referenced"
            )),
        },
        _ => Err(format!(
            "remove operation does not apply: doc is missing path: \"{path}\": missing value"
        )),
    }
}

fn replace(doc: &mut Value, tokens: &[String], path: &str, value: Value) -> Result<(), String> {
    let slot = get_mut(doc, tokens).ok_or_else(|| {
        format!("replace operation does not apply: doc is missing key: {path}: missing value")
    })?;
    *slot = value;
    Ok(())
}

#[cfg(test)]
#[path = "json_patch_suite.rs"]
mod suite;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(target: Value, patch: Value) -> Result<Value, PatchError> {
        let mut t = target;
        json_patch(&mut t, &patch).map(|()| t)
    }

    fn op_error(target: Value, patch: Value) -> String {
        let err = run(target, patch).unwrap_err();
        assert_eq!(err.http_status(), 422, "{err}");
        err.to_string()
    }

    #[test]
    fn kubectl_patch_type_json_adds_a_key() {
        let out = run(
            json!({"data":{"a":"1"}}),
            json!([{"op":"add","path":"/data/j","value":"2"}]),
        )
        .unwrap();
        assert_eq!(out, json!({"data":{"a":"1","j":"2"}}));
    }

    #[test]
    fn every_operation_applies_in_order() {
        let target = json!({"a":{"b":1},"list":[1,2,3],"s":"x"});
        let patch = json!([
            {"op":"add","path":"/list/1","value":9},
            {"op":"add","path":"/list/-","value":4},
            {"op":"remove","path":"/list/0"},
            {"op":"replace","path":"/s","value":"y"},
            {"op":"copy","from":"/a/b","path":"/c"},
            {"op":"move","from":"/a","path":"/moved"},
            {"op":"test","path":"/moved/b","value":1},
            {"op":"add","path":"/esc~1aped~0","value":true}
        ]);
        let out = run(target, patch).unwrap();
        assert_eq!(
            out,
            json!({"list":[9,2,3,4],"s":"y","c":1,"moved":{"b":1},"esc/aped~":true})
        );
    }

    #[test]
    fn a_failed_test_leaves_the_object_untouched() {
        let mut t = json!({"data":{"a":"1"}});
        let err = json_patch(
            &mut t,
            &json!([{"op":"add","path":"/data/b","value":"2"},{"op":"test","path":"/data/a","value":"2"}]),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "testing value /data/a failed: test failed");
        assert!(matches!(err, PatchError::JsonPatchOp { index: 1, .. }));
        assert_eq!(t, json!({"data":{"a":"1"}}));
    }

    /// kube-runtime's `finalizer()` tests `/metadata/finalizers` for null on an object that has
    /// none; evanphx/json-patch treats the missing key as null, so kube-apiserver accepts it.
    #[test]
    fn test_of_a_missing_key_against_null_passes() {
        let out = run(
            json!({"metadata":{"name":"a"}}),
            json!([{"op":"test","path":"/metadata/finalizers","value":null},
                   {"op":"add","path":"/metadata/finalizers","value":["f"]}]),
        )
        .unwrap();
        assert_eq!(out, json!({"metadata":{"name":"a","finalizers":["f"]}}));
        assert!(
            run(
                json!({"x":null}),
                json!([{"op":"test","path":"/x","value":null}])
            )
            .is_ok()
        );
    }

    #[test]
    fn test_of_a_missing_key_against_a_value_fails() {
        let msg = op_error(json!({}), json!([{"op":"test","path":"/x","value":1}]));
        assert_eq!(msg, "testing value /x failed: test failed");
        let msg = op_error(
            json!({"x":1}),
            json!([{"op":"test","path":"/x","value":null}]),
        );
        assert_eq!(msg, "testing value /x failed: test failed");
        let msg = op_error(json!({}), json!([{"op":"test","path":"/a/b","value":null}]));
        assert_eq!(
            msg,
            "test operation does not apply: is missing path: /a/b: missing value"
        );
    }

    #[test]
    fn missing_paths_and_bad_indexes_are_422() {
        let doc = json!({"data":{"a":"1"},"list":[1]});
        assert_eq!(
            op_error(doc.clone(), json!([{"op":"remove","path":"/data/x"}])),
            "error in remove for path: '/data/x': Unable to remove nonexistent key: x: missing value"
        );
        assert_eq!(
            op_error(
                doc.clone(),
                json!([{"op":"replace","path":"/data/x","value":1}])
            ),
            "replace operation does not apply: doc is missing key: /data/x: missing value"
        );
        assert_eq!(
            op_error(
                doc.clone(),
                json!([{"op":"add","path":"/nope/x","value":1}])
            ),
            "add operation does not apply: doc is missing path: \"/nope/x\": missing value"
        );
        assert_eq!(
            op_error(
                doc.clone(),
                json!([{"op":"add","path":"/list/5","value":1}])
            ),
            "error in add for path: '/list/5': Unable to access invalid index: 5: invalid index referenced"
        );
        assert_eq!(
            op_error(doc.clone(), json!([{"op":"remove","path":"/list/01"}])),
            "error in remove for path: '/list/01': Unable to access invalid index: 01: invalid index referenced"
        );
        assert_eq!(
            op_error(
                doc.clone(),
                json!([{"op":"move","from":"/data/zz","path":"/b"}])
            ),
            "move operation does not apply: doc is missing from path: /data/zz: missing value"
        );
        assert_eq!(
            op_error(
                doc.clone(),
                json!([{"op":"move","from":"/data","path":"/data/x"}])
            ),
            "move operation does not apply: \"/data\" is a prefix of \"/data/x\""
        );
        assert_eq!(
            op_error(doc.clone(), json!([{"op":"copy","from":"/q","path":"/b"}])),
            "copy operation does not apply: doc is missing from path: /q: missing value"
        );
        assert_eq!(
            op_error(doc.clone(), json!([{"op":"frobnicate","path":"/a"}])),
            "Unexpected kind: frobnicate"
        );
        assert_eq!(
            op_error(doc.clone(), json!([{"op":"add","path":"/a"}])),
            "add operation has no \"value\""
        );
        assert_eq!(
            op_error(doc, json!([{"op":"add","path":"a","value":1}])),
            "JSON pointer must be empty or start with a \"/\": \"a\""
        );
    }

    #[test]
    fn malformed_bodies_are_400() {
        let err = run(json!({}), json!({"op":"add"})).unwrap_err();
        assert_eq!(err.http_status(), 400);
        assert_eq!(
            err.to_string(),
            "invalid JSON patch: the patch must be a JSON array of operations, not an object"
        );
        let err = run(json!({}), json!(["add"])).unwrap_err();
        assert_eq!(err.http_status(), 400);
    }

    #[test]
    fn add_at_the_root_replaces_the_document() {
        let out = run(
            json!({"a":1}),
            json!([{"op":"add","path":"","value":{"b":2}}]),
        )
        .unwrap();
        assert_eq!(out, json!({"b":2}));
    }
}
