//! Secrets and ConfigMaps: `stringData` folded into `data`, the `Opaque` default, and
//! kube-apiserver's validation (`ValidateSecret`, `ValidateConfigMap` and their updates): data
//! keys are valid config keys, values are base64 (Secrets), the total size is at most 1 MiB, a
//! typed Secret has the keys its type needs, a Secret's `type` never changes, a key is not in
//! both `data` and `binaryData`, and an `immutable` object keeps its data. Messages never show a
//! Secret's values.

use crate::status::{Cause, CauseType};
use base64::Engine;
use serde_json::{Map, Value, json};

/// `core.MaxSecretSize`, which ConfigMaps share.
pub const MAX_SIZE: usize = 1024 * 1024;

const CONFIG_KEY_FMT: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn cause(reason: CauseType, field: String, message: String) -> Cause {
    Cause {
        reason,
        message,
        field,
    }
}

fn required(field: String) -> Cause {
    cause(
        CauseType::FieldValueRequired,
        field,
        "Required value".into(),
    )
}

/// Why `key` is not a valid config key (`IsConfigMapKey`), if it is not.
pub fn config_key_errors(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    if key.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        out.push(CONFIG_KEY_FMT.to_string());
    }
    match key {
        "." => out.push("must not be '.'".into()),
        ".." => out.push("must not be '..'".into()),
        k if k.starts_with("..") => out.push("must not start with '..'".into()),
        _ => {}
    }
    out
}

fn key_causes(map_name: &str, map: Option<&Map<String, Value>>, out: &mut Vec<Cause>) {
    for key in map.into_iter().flatten().map(|(k, _)| k) {
        for why in config_key_errors(key) {
            out.push(cause(
                CauseType::FieldValueInvalid,
                format!("{map_name}[{key}]"),
                format!("Invalid value: {key:?}: {why}"),
            ));
        }
    }
}

fn too_long(field: &str) -> Cause {
    cause(
        CauseType::FieldValueTooLong,
        field.into(),
        format!("Too long: may not be more than {MAX_SIZE} bytes"),
    )
}

/// Secret `PrepareForCreate`/`PrepareForUpdate`: `stringData` is merged into `data` (base64),
/// `type` defaults to `Opaque`.
pub(super) fn secret_defaults(obj: &mut Value, _old: Option<&Value>) {
    if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|o| o.remove("stringData")) {
        if !obj.get("data").is_some_and(Value::is_object) {
            obj["data"] = Value::Object(Map::new());
        }
        for (k, v) in sd {
            let s = v.as_str().unwrap_or_default();
            obj["data"][k] = Value::from(b64().encode(s));
        }
    }
    if obj.get("type").is_none_or(Value::is_null) {
        obj["type"] = json!("Opaque");
    }
}

/// The keys a typed Secret must hold (`ValidateSecret`'s switch on the type).
fn type_causes(secret: &Value, data: Option<&Map<String, Value>>, out: &mut Vec<Cause>) {
    let has = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let need = |k: &str, out: &mut Vec<Cause>| {
        if !has(k) {
            out.push(required(format!("data[{k}]")));
        }
    };
    match secret
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Opaque")
    {
        "kubernetes.io/service-account-token" => {
            let annotated = secret
                .pointer("/metadata/annotations")
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !annotated {
                out.push(required(
                    "metadata.annotations[kubernetes.io/service-account.name]".into(),
                ));
            }
        }
        "kubernetes.io/dockercfg" => need(".dockercfg", out),
        "kubernetes.io/dockerconfigjson" => need(".dockerconfigjson", out),
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            need("username", out);
            need("password", out);
        }
        "kubernetes.io/ssh-auth" => {
            // Present and not empty.
            let empty = data
                .and_then(|d| d.get("ssh-privatekey"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                out.push(required("data[ssh-privatekey]".into()));
            }
        }
        "kubernetes.io/tls" => {
            need("tls.crt", out);
            need("tls.key", out);
        }
        _ => {}
    }
}

/// `ValidateSecret`.
pub(super) fn secret_validate(secret: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let data = secret.get("data").and_then(Value::as_object);
    key_causes("data", data, &mut out);
    let mut size = 0usize;
    for (k, v) in data.into_iter().flatten() {
        match v.as_str().map(|s| b64().decode(s)) {
            Some(Ok(bytes)) => size += bytes.len(),
            _ => out.push(cause(
                CauseType::FieldValueInvalid,
                format!("data[{k}]"),
                "Invalid value: \"<secret contents redacted>\": illegal base64 data".into(),
            )),
        }
    }
    if size > MAX_SIZE {
        out.push(too_long("data"));
    }
    type_causes(secret, data, &mut out);
    out
}

/// `ValidateSecretUpdate`: the type is immutable, and so is the data of an immutable Secret.
pub(super) fn secret_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let ty = |o: &Value| o.get("type").and_then(Value::as_str).map(str::to_string);
    if ty(old) != ty(new) {
        out.push(cause(
            CauseType::FieldValueInvalid,
            "type".into(),
            format!(
                "Invalid value: {:?}: field is immutable",
                ty(new).unwrap_or_default()
            ),
        ));
    }
    out.extend(immutable_data(&["data"], old, new));
    out
}

/// `ValidateConfigMap`.
pub(super) fn configmap_validate(cm: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let data = cm.get("data").and_then(Value::as_object);
    let binary = cm.get("binaryData").and_then(Value::as_object);
    key_causes("data", data, &mut out);
    key_causes("binaryData", binary, &mut out);
    let mut size: usize = data
        .into_iter()
        .flatten()
        .map(|(_, v)| v.as_str().map_or(0, str::len))
        .sum();
    for (k, v) in binary.into_iter().flatten() {
        if data.is_some_and(|d| d.contains_key(k)) {
            out.push(cause(
                CauseType::FieldValueInvalid,
                "binaryData".into(),
                format!("Invalid value: {k:?}: duplicate of key present in data"),
            ));
        }
        size += v
            .as_str()
            .and_then(|s| b64().decode(s).ok())
            .map_or(0, |b| b.len());
    }
    if size > MAX_SIZE {
        out.push(too_long(""));
    }
    out
}

/// `ValidateConfigMapUpdate`: an immutable ConfigMap keeps its data.
pub(super) fn configmap_validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    immutable_data(&["data", "binaryData"], old, new)
}

/// An object with `immutable: true` keeps `fields` and stays immutable.
fn immutable_data(fields: &[&str], old: &Value, new: &Value) -> Vec<Cause> {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return Vec::new();
    }
    let forbidden = |field: &str| {
        cause(
            CauseType::FieldValueForbidden,
            field.into(),
            "Forbidden: field is immutable when `immutable` is set".into(),
        )
    };
    let empty = |v: Option<&Value>| {
        v.is_none_or(|v| v.is_null() || v.as_object().is_some_and(Map::is_empty))
    };
    let mut out: Vec<Cause> = fields
        .iter()
        .filter(|f| {
            let (o, n) = (old.get(**f), new.get(**f));
            o != n && !(empty(o) && empty(n))
        })
        .map(|f| forbidden(f))
        .collect();
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        out.insert(0, forbidden("immutable"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(causes: &[Cause]) -> Vec<&str> {
        causes.iter().map(|c| c.field.as_str()).collect()
    }

    #[test]
    fn string_data_becomes_data() {
        let mut s = json!({"metadata":{"name":"s"},"stringData":{"a":"hello"}});
        secret_defaults(&mut s, None);
        assert_eq!(s["data"]["a"], "aGVsbG8=");
        assert_eq!(s["type"], "Opaque");
        assert!(s.get("stringData").is_none());
    }

    #[test]
    fn typed_secrets_need_their_keys() {
        let tls = json!({"type": "kubernetes.io/tls", "data": {"tls.crt": ""}});
        assert_eq!(fields(&secret_validate(&tls)), ["data[tls.key]"]);
        let none = json!({"type": "kubernetes.io/tls", "data": {}});
        assert_eq!(
            fields(&secret_validate(&none)),
            ["data[tls.crt]", "data[tls.key]"]
        );
        let empty_ssh = json!({"type": "kubernetes.io/ssh-auth", "data": {"ssh-privatekey": ""}});
        assert_eq!(
            fields(&secret_validate(&empty_ssh)),
            ["data[ssh-privatekey]"]
        );
        let basic = json!({"type": "kubernetes.io/basic-auth", "data": {}});
        assert_eq!(
            fields(&secret_validate(&basic)),
            ["data[username]", "data[password]"]
        );
        let basic_user = json!({"type": "kubernetes.io/basic-auth", "data": {"username": ""}});
        assert!(secret_validate(&basic_user).is_empty());
        let sa = json!({"type": "kubernetes.io/service-account-token"});
        assert_eq!(
            fields(&secret_validate(&sa)),
            ["metadata.annotations[kubernetes.io/service-account.name]"]
        );
        let ssh = json!({"type": "kubernetes.io/ssh-auth", "data": {}});
        assert_eq!(fields(&secret_validate(&ssh)), ["data[ssh-privatekey]"]);
        let docker = json!({"type": "kubernetes.io/dockerconfigjson"});
        assert_eq!(
            fields(&secret_validate(&docker)),
            ["data[.dockerconfigjson]"]
        );
    }

    #[test]
    fn keys_sizes_and_types() {
        let bad_key = json!({"data": {"a b": "eA=="}});
        let causes = secret_validate(&bad_key);
        assert_eq!(causes[0].field, "data[a b]");
        assert!(
            causes[0]
                .message
                .starts_with("Invalid value: \"a b\": a valid config key")
        );
        let big = "A".repeat(MAX_SIZE / 3 * 4 + 8);
        let causes = secret_validate(&json!({"data": {"k": big}}));
        assert_eq!(causes[0].reason, CauseType::FieldValueTooLong);
        assert_eq!(causes[0].field, "data");
        assert!(!causes[0].message.contains("AAAA"), "no value in messages");
        let changed = secret_validate_update(
            &json!({"type": "Opaque"}),
            &json!({"type": "kubernetes.io/tls"}),
        );
        assert_eq!(changed[0].field, "type");
        assert_eq!(
            changed[0].message,
            "Invalid value: \"kubernetes.io/tls\": field is immutable"
        );
    }

    #[test]
    fn configmap_rules() {
        let dup = json!({"data": {"a": "1"}, "binaryData": {"a": "MQ=="}});
        let causes = configmap_validate(&dup);
        assert_eq!(causes[0].field, "binaryData");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"a\": duplicate of key present in data"
        );
        let big = json!({"data": {"a": "x".repeat(MAX_SIZE + 1)}});
        assert_eq!(configmap_validate(&big)[0].field, "");
        assert_eq!(
            fields(&configmap_validate(&json!({"data": {"..a": "1"}}))),
            ["data[..a]"]
        );
    }

    #[test]
    fn immutable_configmap_rejects_data_change() {
        let old = json!({"immutable": true, "data": {"a": "1"}});
        assert!(configmap_validate_update(&old, &old).is_empty());
        let changed = json!({"immutable": true, "data": {"a": "2"}});
        assert_eq!(fields(&configmap_validate_update(&old, &changed)), ["data"]);
    }
}
