//! RFC 7386 JSON merge patch.

use serde_json::Value;

use super::PatchError;

/// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge recursively, `null`
/// deletes a key, anything else (lists included) replaces. The patch must be a JSON object, as
/// kube-apiserver requires of a patch to an object; anything else is a 400.
pub fn merge_patch(target: &mut Value, patch: &Value) -> Result<(), PatchError> {
    if !patch.is_object() {
        return Err(PatchError::Malformed {
            format: "merge",
            reason: format!("the patch must be a JSON object, not {}", type_name(patch)),
        });
    }
    apply(target, patch);
    Ok(())
}

/// The RFC 7386 `MergePatch(Target, Patch)` algorithm.
fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                apply(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The JSON type of `v`, for error messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(target: Value, patch: Value) -> Value {
        let mut t = target;
        merge_patch(&mut t, &patch).unwrap();
        t
    }

    #[test]
    fn rfc7386_appendix_a_examples() {
        // The test cases of RFC 7386 appendix A whose patch is an object.
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (target, patch, want) in cases {
            assert_eq!(
                patched(target.clone(), patch.clone()),
                want,
                "{target} + {patch}"
            );
        }
    }

    #[test]
    fn kubectl_label_removal_deletes_the_key() {
        let obj = json!({"metadata":{"name":"x","labels":{"foo":"bar","keep":"1"}}});
        let out = patched(obj, json!({"metadata":{"labels":{"foo":null}}}));
        assert_eq!(out, json!({"metadata":{"name":"x","labels":{"keep":"1"}}}));
    }

    #[test]
    fn a_non_object_patch_is_a_bad_request() {
        let mut t = json!({"a":1});
        let err = merge_patch(&mut t, &json!(["x"])).unwrap_err();
        assert_eq!(err.http_status(), 400);
        assert_eq!(
            err.to_string(),
            "invalid merge patch: the patch must be a JSON object, not an array"
        );
        assert_eq!(t, json!({"a":1}));
    }
}
