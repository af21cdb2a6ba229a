//! Is an applied object ready? kstatus-style, from its status alone: a controller that has not
//! observed the latest generation is still working; Deployments, StatefulSets, DaemonSets and
//! Jobs by their replica counts and conditions; SealedSecrets by the condition their controller
//! writes (`Ready` for sealsync.io, `Synced` for bitnami.com), so a SealedSecret is never ready
//! before its Secret exists; anything else by a `Ready` (or `Stalled`) condition if it reports
//! one; other objects without status are ready once applied.

use serde_json::Value;

/// The health of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Ready.
    Ready,
    /// Still converging: why.
    InProgress(String),
    /// Failed and will not converge by itself: why.
    Failed(String),
}

/// Assesses one live object.
pub fn assess(object: &Value) -> Health {
    let status = &object["status"];
    if let (Some(generation), observed) = (
        object["metadata"]["generation"].as_i64(),
        status["observedGeneration"].as_i64(),
    ) && status.is_object()
        && observed.is_some_and(|o| o < generation)
    {
        return Health::InProgress(format!(
            "its controller has not observed generation {generation} yet"
        ));
    }
    match (
        object["apiVersion"].as_str().unwrap_or_default(),
        object["kind"].as_str().unwrap_or_default(),
    ) {
        ("apps/v1", "Deployment") => deployment(object),
        ("apps/v1", "StatefulSet") => replicas(object, "readyReplicas", "ready"),
        ("apps/v1", "DaemonSet") => daemon_set(status),
        ("batch/v1", "Job") => job(status),
        ("sealsync.io/v1alpha1", "SealedSecret") => sealed_secret(status, "Ready"),
        ("bitnami.com/v1alpha1", "SealedSecret") => sealed_secret(status, "Synced"),
        _ => by_conditions(status),
    }
}

fn condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"].as_str() == Some(type_))
}

fn message(c: &Value) -> String {
    let reason = c["reason"].as_str().unwrap_or_default();
    let message = c["message"].as_str().unwrap_or_default();
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_owned(),
        _ => message.to_owned(),
    }
}

fn deployment(object: &Value) -> Health {
    let status = &object["status"];
    if let Some(c) = condition(status, "Progressing")
        && c["reason"].as_str() == Some("ProgressDeadlineExceeded")
    {
        return Health::Failed(message(c));
    }
    if let Some(c) = condition(status, "Available")
        && c["status"].as_str() == Some("False")
    {
        return Health::InProgress(message(c));
    }
    let wanted = object["spec"]["replicas"].as_i64().unwrap_or(1);
    let updated = status["updatedReplicas"].as_i64().unwrap_or(0);
    if updated < wanted {
        return Health::InProgress(format!("{updated} of {wanted} replicas updated"));
    }
    replicas(object, "availableReplicas", "available")
}

fn replicas(object: &Value, field: &str, word: &str) -> Health {
    let wanted = object["spec"]["replicas"].as_i64().unwrap_or(1);
    let have = object["status"][field].as_i64().unwrap_or(0);
    if have < wanted {
        Health::InProgress(format!("{have} of {wanted} replicas {word}"))
    } else {
        Health::Ready
    }
}

fn daemon_set(status: &Value) -> Health {
    let wanted = status["desiredNumberScheduled"].as_i64().unwrap_or(0);
    let ready = status["numberReady"].as_i64().unwrap_or(0);
    let updated = status["updatedNumberScheduled"].as_i64().unwrap_or(0);
    if ready < wanted || updated < wanted {
        Health::InProgress(format!("{ready} of {wanted} pods ready, {updated} updated"))
    } else {
        Health::Ready
    }
}

fn job(status: &Value) -> Health {
    let is_true = |t| condition(status, t).filter(|c| c["status"].as_str() == Some("True"));
    match (is_true("Failed"), is_true("Complete")) {
        (Some(c), _) => Health::Failed(message(c)),
        (None, Some(_)) => Health::Ready,
        (None, None) => Health::InProgress("the Job has not completed".into()),
    }
}

fn by_conditions(status: &Value) -> Health {
    let stalled = condition(status, "Stalled").filter(|c| c["status"].as_str() == Some("True"));
    match (stalled, condition(status, "Ready")) {
        (Some(c), _) => Health::Failed(message(c)),
        (None, Some(c)) if c["status"].as_str() == Some("True") => Health::Ready,
        (None, Some(c)) => Health::InProgress(message(c)),
        (None, None) => Health::Ready,
    }
}

/// A SealedSecret is ready once its controller says it unsealed it; until then (no status yet,
/// or another condition's verdict), it is in progress and the message says what the controller
/// reported.
fn sealed_secret(status: &Value, type_: &str) -> Health {
    match condition(status, type_) {
        Some(c) if c["status"].as_str() == Some("True") => Health::Ready,
        Some(c) => Health::InProgress(message(c)),
        None => Health::InProgress(format!(
            "no {type_} condition yet: the SealedSecret controller has not unsealed it; is it running?"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workloads_jobs_and_conditions() {
        let deploy = |status: Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status});
        assert_eq!(
            assess(&deploy(
                json!({"observedGeneration": 2, "updatedReplicas": 2, "availableReplicas": 2})
            )),
            Health::Ready
        );
        assert!(matches!(
            assess(&deploy(json!({"observedGeneration": 1}))),
            Health::InProgress(_)
        ));
        assert!(matches!(
            assess(&deploy(
                json!({"observedGeneration": 2, "updatedReplicas": 1})
            )),
            Health::InProgress(_)
        ));
        let failed = deploy(
            json!({"observedGeneration": 2, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet web-1 has timed out progressing."}]}),
        );
        assert_eq!(
            assess(&failed),
            Health::Failed(
                "ProgressDeadlineExceeded: ReplicaSet web-1 has timed out progressing.".into()
            )
        );
        let job = |conditions: Value| json!({"apiVersion": "batch/v1", "kind": "Job", "status": {"conditions": conditions}});
        assert_eq!(
            assess(&job(json!([{"type": "Complete", "status": "True"}]))),
            Health::Ready
        );
        assert!(matches!(
            assess(&job(
                json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}])
            )),
            Health::Failed(_)
        ));
        assert!(matches!(assess(&job(json!([]))), Health::InProgress(_)));
        let cr = |conditions: Value| json!({"apiVersion": "example.com/v1", "kind": "Widget", "status": {"conditions": conditions}});
        assert_eq!(
            assess(&cr(json!([{"type": "Ready", "status": "True"}]))),
            Health::Ready
        );
        assert!(matches!(
            assess(&cr(
                json!([{"type": "Ready", "status": "False", "reason": "Waiting"}])
            )),
            Health::InProgress(_)
        ));
        assert!(matches!(
            assess(&cr(json!([{"type": "Stalled", "status": "True"}]))),
            Health::Failed(_)
        ));
        assert_eq!(
            assess(&json!({"apiVersion": "v1", "kind": "ConfigMap"})),
            Health::Ready
        );
    }

    #[test]
    fn a_sealed_secret_is_ready_only_once_its_controller_says_so() {
        let sealed = |group: &str, status: Value| json!({"apiVersion": format!("{group}/v1alpha1"), "kind": "SealedSecret", "metadata": {"generation": 2}, "status": status});
        // Just applied: no status, so no Secret yet.
        assert!(matches!(
            assess(&json!({"apiVersion": "sealsync.io/v1alpha1", "kind": "SealedSecret", "metadata": {"generation": 1}})),
            Health::InProgress(m) if m.contains("has not unsealed it")
        ));
        assert_eq!(
            assess(&sealed(
                "sealsync.io",
                json!({"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]})
            )),
            Health::Ready
        );
        assert!(matches!(
            assess(&sealed("sealsync.io", json!({"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "False", "reason": "DecryptionFailed", "message": "no key"}]}))),
            Health::InProgress(m) if m == "DecryptionFailed: no key"
        ));
        // Ready for an older generation: the new one is not unsealed yet.
        assert!(matches!(
            assess(&sealed(
                "sealsync.io",
                json!({"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True"}]})
            )),
            Health::InProgress(_)
        ));
        // Bitnami's controller writes Synced, not Ready.
        assert_eq!(
            assess(&sealed(
                "bitnami.com",
                json!({"observedGeneration": 2, "conditions": [{"type": "Synced", "status": "True"}]})
            )),
            Health::Ready
        );
        assert!(matches!(
            assess(&sealed(
                "bitnami.com",
                json!({"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]})
            )),
            Health::InProgress(_)
        ));
    }
}
