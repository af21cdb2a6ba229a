//! Kind-specific admission: defaults, normalization and validation that kube-apiserver applies
//! to the kinds devcluster serves (Secret `stringData`, immutable Secrets and ConfigMaps,
//! Namespace phase and finalizer, CRD status conditions, Service and Deployment defaults,
//! label and annotation keys).

use crate::meta;
use crate::registry::ResourceType;
use crate::status::{ApiError, Cause};
use base64::Engine;
use serde_json::{Map, Value, json};

fn is_core(rt: &ResourceType, kind: &str) -> bool {
    rt.builtin && rt.group.is_empty() && rt.kind == kind
}

/// Defaults and checks for a new object (metadata already filled in).
pub(super) fn on_create(rt: &ResourceType, obj: &mut Value, now: &str) -> Result<(), ApiError> {
    if is_core(rt, "Secret") {
        secret(rt, obj)?;
    }
    if rt.is_namespace() {
        obj["spec"] = json!({ "finalizers": ["kubernetes"] });
        obj["status"] = json!({ "phase": "Active" });
    }
    if rt.is_crd() {
        crd_status(obj, now);
    }
    defaults(rt, obj, None);
    check_metadata(rt, obj)?;
    if is_deployment(rt) {
        invalid_unless_empty(rt, obj, super::validate_spec::deployment(None, obj))?;
    }
    Ok(())
}

fn is_deployment(rt: &ResourceType) -> bool {
    rt.builtin && rt.group == "apps" && rt.kind == "Deployment"
}

fn defaults(rt: &ResourceType, obj: &mut Value, old: Option<&Value>) {
    if is_core(rt, "Service") {
        super::defaults::service(obj, old);
    }
    if is_deployment(rt) {
        super::defaults::deployment(obj);
    }
    if rt.is_namespace() {
        super::defaults::namespace(obj);
    }
}

fn check_metadata(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    invalid_unless_empty(rt, obj, super::validate::metadata(obj))
}

/// A 422 Invalid naming `obj` when any cause was found.
fn invalid_unless_empty(
    rt: &ResourceType,
    obj: &Value,
    causes: Vec<Cause>,
) -> Result<(), ApiError> {
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            meta::name(obj),
            causes,
        ))
    }
}

/// Defaults and checks for an update of `old` into `new`.
pub(super) fn on_update(rt: &ResourceType, old: &Value, new: &mut Value) -> Result<(), ApiError> {
    if is_core(rt, "Secret") {
        secret(rt, new)?;
    }
    if is_core(rt, "Secret") || is_core(rt, "ConfigMap") {
        immutable(rt, old, new)?;
    }
    if rt.is_namespace() {
        // The namespace lifecycle owns spec.finalizers and status.phase.
        if new.pointer("/spec/finalizers").is_none() {
            new["spec"] = old.get("spec").cloned().unwrap_or_else(|| json!({}));
        }
        if let Some(status) = old.get("status") {
            new["status"] = status.clone();
        }
    }
    defaults(rt, new, Some(old));
    check_metadata(rt, new)?;
    let causes = if is_deployment(rt) {
        super::validate_spec::deployment(Some(old), new)
    } else if is_core(rt, "Service") {
        super::validate_spec::service_update(old, new)
    } else {
        Vec::new()
    };
    invalid_unless_empty(rt, new, causes)
}

/// Secret: `stringData` merged into `data` (base64), `type` defaults to Opaque, data is base64.
fn secret(rt: &ResourceType, obj: &mut Value) -> Result<(), ApiError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|o| o.remove("stringData")) {
        if !obj.get("data").is_some_and(Value::is_object) {
            obj["data"] = Value::Object(Map::new());
        }
        for (k, v) in sd {
            let s = v.as_str().unwrap_or_default();
            obj["data"][k] = Value::from(b64.encode(s));
        }
    }
    if obj.get("type").is_none_or(Value::is_null) {
        obj["type"] = json!("Opaque");
    }
    let mut causes = Vec::new();
    if let Some(Value::Object(data)) = obj.get("data") {
        for (k, v) in data {
            if v.as_str().is_none_or(|s| b64.decode(s).is_err()) {
                causes.push(Cause {
                    reason: "FieldValueInvalid".into(),
                    message: "Invalid value: \"<secret contents redacted>\": illegal base64 data"
                        .into(),
                    field: format!("data[{k}]"),
                });
            }
        }
    }
    invalid_unless_empty(rt, obj, causes)
}

/// An immutable Secret or ConfigMap keeps its data and stays immutable (422 with causes).
fn immutable(rt: &ResourceType, old: &Value, new: &Value) -> Result<(), ApiError> {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return Ok(());
    }
    let forbidden = |field: &str| Cause {
        reason: "FieldValueForbidden".into(),
        message: "Forbidden: field is immutable when `immutable` is set".into(),
        field: field.into(),
    };
    let mut causes = Vec::new();
    let fields: &[&str] = if rt.kind == "Secret" {
        &["data"]
    } else {
        &["data", "binaryData"]
    };
    for f in fields {
        let empty = |v: Option<&Value>| {
            v.is_none_or(|v| v.is_null() || v.as_object().is_some_and(Map::is_empty))
        };
        let (o, n) = (old.get(*f), new.get(*f));
        if o != n && !(empty(o) && empty(n)) {
            causes.push(forbidden(f));
        }
    }
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        causes.push(forbidden("immutable"));
    }
    invalid_unless_empty(rt, new, causes)
}

/// A CRD is accepted and established at once (kube-apiserver's controllers do it a moment later).
fn crd_status(obj: &mut Value, now: &str) {
    let names = obj
        .pointer("/spec/names")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let storage: Vec<Value> = obj
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").cloned())
        .collect();
    let mut accepted = names;
    if accepted.get("singular").is_none() {
        let kind = accepted
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        accepted["singular"] = json!(kind);
    }
    if accepted.get("listKind").is_none() {
        let kind = accepted
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        accepted["listKind"] = json!(format!("{kind}List"));
    }
    obj["status"] = json!({
        "acceptedNames": accepted,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
             "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now,
             "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
        ],
        "storedVersions": storage,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn rt(group: &str, plural: &str) -> std::sync::Arc<ResourceType> {
        Registry::with_builtins()
            .lookup(group, "v1", plural)
            .expect("built-in")
    }

    #[test]
    fn secret_string_data_becomes_data() {
        let mut s = json!({"metadata":{"name":"s"},"stringData":{"a":"hello"}});
        on_create(&rt("", "secrets"), &mut s, "now").expect("valid");
        assert_eq!(s["data"]["a"], "aGVsbG8=");
        assert_eq!(s["type"], "Opaque");
        assert!(s.get("stringData").is_none());
    }

    #[test]
    fn immutable_configmap_rejects_data_change() {
        let old = json!({"metadata":{"name":"c"},"immutable":true,"data":{"a":"1"}});
        let mut same = old.clone();
        assert!(on_update(&rt("", "configmaps"), &old, &mut same).is_ok());
        let mut changed = json!({"metadata":{"name":"c"},"immutable":true,"data":{"a":"2"}});
        let err = on_update(&rt("", "configmaps"), &old, &mut changed).expect_err("immutable");
        assert_eq!(err.code, 422);
        assert_eq!(err.to_status()["details"]["causes"][0]["field"], "data");
    }
}
