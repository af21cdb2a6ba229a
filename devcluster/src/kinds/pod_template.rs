//! What the workload kinds share: the pod template's defaults, and the rule that a workload's
//! selector is non-empty and selects its template's labels (422 Invalid, with kube-apiserver's
//! field paths and messages; values are printed as Go's `%#v` would, best effort).

use crate::field::invalid;
use crate::status::{Cause, CauseType};
use serde_json::{Map, Value, json};

/// As [`set_missing`], an empty string counting as missing too (Go's `== ""` checks).
pub(super) fn set_missing_or_empty(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if obj.get(key).and_then(Value::as_str) == Some("") {
        obj.remove(key);
    }
    set_missing(obj, key, value);
}

pub(super) fn set_missing(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if obj.get(key).is_none_or(Value::is_null) {
        obj.insert(key.into(), value);
    }
}

pub(super) fn object_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.get_mut(key).and_then(Value::as_object_mut)
}

pub(super) fn image_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let tagged = last.contains(':') || image.contains('@');
    if !tagged || last.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// Deployment defaults (apps/v1 `SetDefaults_Deployment`) and its pod template's.
pub(super) fn deployment_defaults(obj: &mut Value) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "replicas", json!(1));
    set_missing(spec, "revisionHistoryLimit", json!(10));
    set_missing(spec, "progressDeadlineSeconds", json!(600));
    set_missing(spec, "strategy", json!({"type": "RollingUpdate"}));
    if let Some(strategy) = spec.get_mut("strategy").and_then(Value::as_object_mut) {
        set_missing_or_empty(strategy, "type", json!("RollingUpdate"));
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            set_missing(strategy, "rollingUpdate", json!({}));
            if let Some(rolling) = strategy
                .get_mut("rollingUpdate")
                .and_then(Value::as_object_mut)
            {
                set_missing(rolling, "maxUnavailable", json!("25%"));
                set_missing(rolling, "maxSurge", json!("25%"));
            }
        }
    }
    template_defaults(spec);
}

/// The pod template defaults (`SetDefaults_PodSpec`, `SetDefaults_Container`) under `spec.template`
/// of a workload whose `spec` is `spec`.
pub(super) fn template_defaults(spec: &mut Map<String, Value>) {
    let Some(pod) = spec.get_mut("template").and_then(|t| object_at(t, "spec")) else {
        return;
    };
    set_missing(pod, "restartPolicy", json!("Always"));
    set_missing(pod, "terminationGracePeriodSeconds", json!(30));
    set_missing(pod, "dnsPolicy", json!("ClusterFirst"));
    set_missing(pod, "schedulerName", json!("default-scheduler"));
    set_missing(pod, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = pod.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                let image = c
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                set_missing(c, "imagePullPolicy", json!(image_pull_policy(&image)));
                set_missing(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_missing(c, "terminationMessagePolicy", json!("File"));
                set_missing(c, "resources", json!({}));
                if let Some(Value::Array(ports)) = c.get_mut("ports") {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_missing(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

pub(super) fn go_string_map(m: Option<&Map<String, Value>>) -> String {
    let entries: Vec<String> = m
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default()))
        .collect();
    format!("map[string]string{{{}}}", entries.join(", "))
}

pub(super) fn go_label_selector(sel: &Value) -> String {
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

/// A workload (Deployment, ReplicaSet, StatefulSet, DaemonSet): a non-empty selector that
/// matches the template's labels (apps/v1 `ValidateDeploymentSpec` and kin). Its immutability is
/// one of the kind's immutable fields.
pub(super) fn selector_matches_template(new: &Value, kind_word: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(sel) = new.pointer("/spec/selector").filter(|s| !s.is_null()) else {
        causes.push(Cause {
            reason: CauseType::FieldValueRequired,
            message: "Required value".into(),
            field: "spec.selector".into(),
        });
        return causes;
    };
    if selector_is_empty(sel) {
        causes.push(invalid(
            "spec.selector",
            go_label_selector(sel),
            &format!("empty selector is invalid for {kind_word}"),
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

    #[test]
    fn deployment_gets_template_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}});
        deployment_defaults(&mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            (
                c["imagePullPolicy"].as_str(),
                c["terminationMessagePolicy"].as_str()
            ),
            (Some("Always"), Some("File"))
        );
        assert_eq!(image_pull_policy("registry:5000/nginx:1.2"), "IfNotPresent");
        assert_eq!(image_pull_policy("registry:5000/nginx"), "Always");
    }

    fn d(selector: Value, labels: Value) -> Value {
        json!({"spec": {"selector": selector, "template": {"metadata": {"labels": labels}}}})
    }

    #[test]
    fn deployment_selector_rules() {
        let ok = d(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web", "x": "y"}),
        );
        assert!(selector_matches_template(&ok, "deployment").is_empty());
        let exprs = d(
            json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
            json!({"app": "web"}),
        );
        assert!(selector_matches_template(&exprs, "deployment").is_empty());
        let mismatch = d(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "api"}),
        );
        let causes = selector_matches_template(&mismatch, "deployment");
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
        let causes = super::super::immutable::check(
            &[super::super::Immutable::selector("spec.selector")],
            &ok,
            &changed,
        );
        assert_eq!(causes.len(), 1);
        assert_eq!(
            causes[0].message,
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"api\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        assert_eq!(
            selector_matches_template(&json!({"spec": {}}), "deployment")[0].field,
            "spec.selector"
        );
    }
}
