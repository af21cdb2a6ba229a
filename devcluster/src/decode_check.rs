//! Built-in objects must decode as their Go type: kube-apiserver refuses a body (or a patched
//! result) whose values have the wrong JSON type with 400 BadRequest
//! `ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number
//! into Go struct field ConfigMap.data of type string`. devcluster decodes the final object into
//! its k8s-openapi type and answers the same shape; the Go field path and type are best effort,
//! found from the line serde_json reports in a pretty-printed copy of the object.

use serde_json::Value;

/// Why `obj` does not decode as the built-in `group`/`kind`, as kube-apiserver's message (the
/// part after `cannot be handled as a <Kind>: `); None when it decodes or the kind is unknown.
pub fn decode_error(group: &str, kind: &str, obj: &Value) -> Option<String> {
    let compact = serde_json::to_string(obj).ok()?;
    crate::schema_check::decode_typed(group, kind, &compact)?.err()?;
    // Decoded again from a pretty copy, whose error line names the field.
    let text = serde_json::to_string_pretty(obj).ok()?;
    let err = crate::schema_check::decode_typed(group, kind, &text)?.err()?;
    let path = path_at_line(obj, err.line());
    Some(go_message(kind, &path, &err.to_string()))
}

/// A base64 error of a `[]byte` field (a Secret's data) as Go's `encoding/base64` words it,
/// `illegal base64 data at input byte N`: the offset only, never the offending byte (the base64
/// crate's message names the byte, which would put a piece of the secret in the answer).
fn base64_message(msg: &str) -> Option<String> {
    let base64 = [
        "Invalid symbol",
        "Invalid last symbol",
        "Invalid padding",
        "Invalid input length",
        "Invalid byte",
    ];
    if !base64.iter().any(|b| msg.contains(b)) {
        return None;
    }
    // "Invalid input length: N" names the length (not secret); the others name an offset.
    let number_after = msg
        .split_once("offset ")
        .or_else(|| msg.split_once("length: "));
    let offset = number_after.and_then(|(_, rest)| {
        rest.trim_end_matches('.')
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse::<usize>().ok())
    });
    Some(match offset {
        Some(n) => format!("illegal base64 data at input byte {n}"),
        None => "illegal base64 data".to_string(),
    })
}

/// Maps serde's `invalid type: integer `8080`, expected a string at line ..` onto Go's
/// `json: cannot unmarshal number into Go struct field ConfigMap.data of type string`.
fn go_message(kind: &str, path: &[String], serde_msg: &str) -> String {
    let msg = serde_msg
        .rsplit_once(" at line ")
        .map_or(serde_msg, |(m, _)| m);
    if let Some(base64) = base64_message(msg) {
        return base64;
    }
    let Some(rest) = msg.strip_prefix("invalid type: ") else {
        return format!("json: {msg}");
    };
    let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
    let go_found = match found.split_whitespace().next().unwrap_or_default() {
        "integer" | "floating" => "number",
        "string" => "string",
        "boolean" => "bool",
        "map" => "object",
        "sequence" => "array",
        "null" => "null",
        other => other,
    };
    let go_type = match expected.trim_start_matches("a ").trim_start_matches("an ") {
        "string" => "string".to_string(),
        "boolean" => "bool".to_string(),
        "i32" => "int32".to_string(),
        "i64" => "int64".to_string(),
        "f64" => "float64".to_string(),
        "sequence" => "[]interface {}".to_string(),
        "map" => "map[string]string".to_string(),
        e if e.starts_with("struct ") => format!("v1.{}", e.trim_start_matches("struct ")),
        e => e.to_string(),
    };
    let mut field = kind.to_string();
    for p in path {
        field.push('.');
        field.push_str(p);
    }
    format!("json: cannot unmarshal {go_found} into Go struct field {field} of type {go_type}")
}

/// Maps whose keys are data, not Go struct fields: Go names the map field, not the key.
const MAP_FIELDS: &[&str] = &[
    "data",
    "binaryData",
    "stringData",
    "labels",
    "annotations",
    "matchLabels",
    "nodeSelector",
    "selector",
    "limits",
    "requests",
];

/// The Go-style field path (struct fields only: no list indexes, no map keys) of the value on
/// `line` (1-based) of `serde_json::to_string_pretty(obj)`.
fn path_at_line(obj: &Value, line: usize) -> Vec<String> {
    let mut cur = 1usize;
    let mut out = Vec::new();
    find(obj, line, &mut cur, &mut Vec::new(), &mut out);
    out
}

/// Walks `v` as the pretty printer lays it out (`cur` is the line `v` starts on); records the
/// path in `out` once the line is reached. Returns true when found.
fn find(
    v: &Value,
    line: usize,
    cur: &mut usize,
    path: &mut Vec<String>,
    out: &mut Vec<String>,
) -> bool {
    if *cur >= line {
        *out = path.clone();
        return true;
    }
    let in_map = path
        .last()
        .is_some_and(|p| MAP_FIELDS.contains(&p.as_str()));
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                *cur += 1;
                let pushed = !in_map;
                if pushed {
                    path.push(k.clone());
                }
                let found = find(child, line, cur, path, out);
                if pushed {
                    path.pop();
                }
                if found {
                    return true;
                }
            }
            *cur += 1;
        }
        Value::Array(a) if !a.is_empty() => {
            for child in a {
                *cur += 1;
                if find(child, line, cur, path, out) {
                    return true;
                }
            }
            *cur += 1;
        }
        _ => {}
    }
    false
}

#[cfg(test)]
mod base64_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bad_secret_value_is_named_by_offset_only() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"password": "hunter!2"}});
        let why = decode_error("", "Secret", &secret).expect("not base64");
        assert!(
            why.starts_with("illegal base64 data at input byte "),
            "{why}"
        );
        assert!(
            !why.contains("33") && !why.contains('!'),
            "no byte of the secret: {why}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn configmap_data_number() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
            "data": {"enabled": "yes", "port": 8080}});
        assert_eq!(
            decode_error("", "ConfigMap", &cm).as_deref(),
            Some(
                "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
            )
        );
    }

    #[test]
    fn deployment_fields() {
        let d = |spec: Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec});
        let image = d(
            json!({"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": 123}]}}}),
        );
        assert_eq!(
            decode_error("apps", "Deployment", &image).as_deref(),
            Some(
                "json: cannot unmarshal number into Go struct field Deployment.spec.template.spec.containers.image of type string"
            )
        );
        let replicas = d(json!({"replicas": "x", "selector": {}, "template": {}}));
        assert_eq!(
            decode_error("apps", "Deployment", &replicas).as_deref(),
            Some(
                "json: cannot unmarshal string into Go struct field Deployment.spec.replicas of type int32"
            )
        );
        let ok = d(json!({"replicas": 2, "selector": {}, "template": {}}));
        assert_eq!(decode_error("apps", "Deployment", &ok), None);
        assert_eq!(decode_error("example.com", "Widget", &ok), None);
    }
}
