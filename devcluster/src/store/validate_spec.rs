//! Spec rules kube-apiserver enforces that tests must meet: a Service's allocated cluster IPs and
//! an apps/v1 Deployment's selector never change, and a Deployment's selector must be non-empty
//! and match its pod template's labels (422 Invalid, with kube-apiserver's field paths and
//! messages; values are printed as Go's `%#v` would, best effort).

use crate::status::Cause;
use serde_json::{Map, Value};

fn invalid(field: &str, value: String, why: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid".into(),
        message: format!("Invalid value: {value}: {why}"),
        field: field.into(),
    }
}

fn go_string_map(m: Option<&Map<String, Value>>) -> String {
    let entries: Vec<String> = m
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default()))
        .collect();
    format!("map[string]string{{{}}}", entries.join(", "))
}

fn go_label_selector(sel: &Value) -> String {
    let labels = sel.get("matchLabels").and_then(Value::as_object);
    let labels = match labels {
        Some(m) if !m.is_empty() => go_string_map(Some(m)),
        _ => "map[string]string(nil)".into(),
    };
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        Some(e) if !e.is_empty() => format!("[]v1.LabelSelectorRequirement{{{}}}", e.len()),
        _ => "[]v1.LabelSelectorRequirement(nil)".into(),
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}")
}

fn is_external_name(svc: &Value) -> bool {
    svc.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName")
}

/// A Service update: `spec.clusterIP` and the primary `spec.clusterIPs` entry may not change
/// (switching to or from ExternalName excepted).
pub(super) fn service_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if is_external_name(old) || is_external_name(new) {
        return causes;
    }
    let old_ip = old.pointer("/spec/clusterIP").and_then(Value::as_str);
    let new_ip = new.pointer("/spec/clusterIP").and_then(Value::as_str);
    if let Some(o) = old_ip.filter(|o| !o.is_empty())
        && new_ip != Some(o)
    {
        let shown = format!("{:?}", new_ip.unwrap_or_default());
        causes.push(invalid("spec.clusterIP", shown, "field is immutable"));
    }
    let first = |v: &Value| {
        v.pointer("/spec/clusterIPs/0")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if let Some(o) = first(old)
        && first(new).is_some_and(|n| n != o)
    {
        let ips: Vec<String> = new
            .pointer("/spec/clusterIPs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|ip| format!("{:?}", ip.as_str().unwrap_or_default()))
            .collect();
        let shown = format!("[]string{{{}}}", ips.join(", "));
        causes.push(invalid(
            "spec.clusterIPs[0]",
            shown,
            "may not change once set",
        ));
    }
    causes
}

/// Whether a `metav1.LabelSelector` selects `labels`.
fn selects(sel: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    let match_labels = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(k, v)| get(k) == v.as_str());
    let exprs = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e.get("operator").and_then(Value::as_str) {
                Some("In") => get(key).is_some_and(|v| values.contains(&v)),
                Some("NotIn") => get(key).is_none_or(|v| !values.contains(&v)),
                Some("Exists") => get(key).is_some(),
                Some("DoesNotExist") => get(key).is_none(),
                _ => false,
            }
        });
    match_labels && exprs
}

fn selector_is_empty(sel: &Value) -> bool {
    let empty = |k: &str| {
        sel.get(k).is_none_or(|v| {
            v.is_null()
                || v.as_object().is_some_and(Map::is_empty)
                || v.as_array().is_some_and(Vec::is_empty)
        })
    };
    empty("matchLabels") && empty("matchExpressions")
}

/// A Deployment: a non-empty selector that matches the template's labels; on update the
/// selector is unchanged (apps/v1).
pub(super) fn deployment(old: Option<&Value>, new: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(sel) = new.pointer("/spec/selector").filter(|s| !s.is_null()) else {
        causes.push(Cause {
            reason: "FieldValueRequired".into(),
            message: "Required value".into(),
            field: "spec.selector".into(),
        });
        return causes;
    };
    if selector_is_empty(sel) {
        causes.push(invalid(
            "spec.selector",
            go_label_selector(sel),
            "empty selector is invalid for deployment",
        ));
    }
    if let Some(old_sel) = old.and_then(|o| o.pointer("/spec/selector"))
        && old_sel != sel
    {
        causes.push(invalid(
            "spec.selector",
            go_label_selector(sel),
            "field is immutable",
        ));
    }
    let labels = new
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object);
    if !selector_is_empty(sel) && !selects(sel, labels) {
        causes.push(invalid(
            "spec.template.metadata.labels",
            go_string_map(labels),
            "`selector` does not match template `labels`",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(selector: Value, labels: Value) -> Value {
        json!({"spec": {"selector": selector, "template": {"metadata": {"labels": labels}}}})
    }

    #[test]
    fn deployment_selector_rules() {
        let ok = d(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web", "x": "y"}),
        );
        assert!(deployment(None, &ok).is_empty());
        let exprs = d(
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
            json!({"app": "web"}),
        );
        assert!(deployment(None, &exprs).is_empty());
        let mismatch = d(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "api"}),
        );
        let causes = deployment(None, &mismatch);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
        assert_eq!(
            causes[0].message,
            "Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`"
        );
        let changed = d(
            json!({"matchLabels": {"app": "api"}}),
            json!({"app": "api"}),
        );
        let causes = deployment(Some(&ok), &changed);
        assert_eq!(causes.len(), 1);
        assert_eq!(
            causes[0].message,
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"api\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        assert_eq!(
            deployment(None, &json!({"spec": {}}))[0].field,
            "spec.selector"
        );
    }

    #[test]
    fn service_cluster_ip_is_immutable() {
        let old = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]}});
        assert!(service_update(&old, &old).is_empty());
        let new = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.6"]}});
        let causes = service_update(&old, &new);
        assert_eq!(causes[0].field, "spec.clusterIP");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"10.96.0.6\": field is immutable"
        );
        assert_eq!(causes[1].field, "spec.clusterIPs[0]");
        let external = json!({"spec": {"type": "ExternalName", "externalName": "x.example"}});
        assert!(service_update(&old, &external).is_empty());
    }
}
