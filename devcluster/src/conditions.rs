//! `status.conditions` as Kubernetes controllers write them (`meta.SetStatusCondition`).

use serde_json::{Value, json};

/// Sets (or replaces) condition `type_` in `obj.status.conditions`, keeping its transition time
/// while its status does not change.
pub fn set(obj: &mut Value, type_: &str, status: &str, reason: &str, message: &str, now: &str) {
    if !obj.get("status").is_some_and(Value::is_object) {
        obj["status"] = json!({});
    }
    if !obj["status"].get("conditions").is_some_and(Value::is_array) {
        obj["status"]["conditions"] = json!([]);
    }
    let Some(conditions) = obj["status"]["conditions"].as_array_mut() else {
        return;
    };
    let old = conditions
        .iter()
        .position(|c| c.get("type").and_then(Value::as_str) == Some(type_));
    let since = old
        .map(|i| &conditions[i])
        .filter(|c| c.get("status").and_then(Value::as_str) == Some(status))
        .and_then(|c| c.get("lastTransitionTime").cloned())
        .unwrap_or_else(|| json!(now));
    let cond = json!({"type": type_, "status": status, "lastTransitionTime": since,
        "reason": reason, "message": message});
    match old {
        Some(i) => conditions[i] = cond,
        None => conditions.push(cond),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_keeps_its_transition_time_while_its_status_holds() {
        let mut o = json!({});
        set(&mut o, "Ready", "False", "Waiting", "w", "t1");
        set(&mut o, "Ready", "False", "StillWaiting", "w", "t2");
        assert_eq!(o["status"]["conditions"][0]["lastTransitionTime"], "t1");
        assert_eq!(o["status"]["conditions"][0]["reason"], "StillWaiting");
        set(&mut o, "Ready", "True", "Done", "d", "t3");
        assert_eq!(o["status"]["conditions"][0]["lastTransitionTime"], "t3");
        assert_eq!(o["status"]["conditions"].as_array().map(Vec::len), Some(1));
    }
}
