//! The statuses that the workload controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! Job) would write, for `--simulate-workloads`. Nothing runs: a workload is reported rolled out
//! (or a Job complete) at once, unless it asks to fail or hang:
//!
//! - the annotation `devcluster.sealsync.io/simulate: fail` or `hang` on the workload, or
//! - a container image in its pod template whose tag is `fail` or `hang` (`busybox:fail`).
//!
//! `fail` is what a controller reports when it gives up (Deployment `Progressing=False`
//! `ProgressDeadlineExceeded`, Job `Failed` `BackoffLimitExceeded`); `hang` leaves the workload
//! in progress for ever (no ready replica, a Job still active). Kinds with no failure condition
//! (StatefulSet, DaemonSet, ReplicaSet) report `fail` as `hang`.

use serde_json::{Map, Value, json};

/// The annotation that selects the simulated outcome.
pub const ANNOTATION: &str = "devcluster.sealsync.io/simulate";

/// Computes a workload's simulated status from the object and the current time.
pub type Simulated = fn(&Value, &str) -> Value;

/// What the simulated pods do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeed,
    Fail,
    Hang,
}

/// The outcome a workload asks for: its annotation first, then its images' tags.
pub fn outcome(obj: &Value) -> Outcome {
    let parse = |s: &str| match s {
        "fail" => Some(Outcome::Fail),
        "hang" => Some(Outcome::Hang),
        _ => None,
    };
    if let Some(o) = obj
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(ANNOTATION))
        .and_then(Value::as_str)
        .and_then(parse)
    {
        return o;
    }
    let template = obj
        .pointer("/spec/template/spec")
        .or_else(|| obj.pointer("/spec/jobTemplate/spec/template/spec"));
    let images = ["containers", "initContainers"]
        .iter()
        .filter_map(|l| template.and_then(|t| t.get(*l)).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str));
    for image in images {
        let tag = image
            .rsplit_once(':')
            .filter(|(_, t)| !t.contains('/'))
            .map(|(_, t)| t);
        if let Some(o) = tag.and_then(parse) {
            return o;
        }
    }
    Outcome::Succeed
}

fn int_at(obj: &Value, pointer: &str, default: i64) -> i64 {
    obj.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(default)
}

fn generation(obj: &Value) -> i64 {
    int_at(obj, "/metadata/generation", 1)
}

/// A condition whose times are kept from the live status while its status (and, for
/// `lastUpdateTime`/`lastProbeTime`, its reason) does not change. Deployment conditions carry
/// `lastUpdateTime`, Job conditions `lastProbeTime`.
fn condition(old: &Value, type_: &str, status: &str, reason: &str, msg: &str, now: &str) -> Value {
    let prev = old
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_));
    let same = prev.filter(|c| c.get("status").and_then(Value::as_str) == Some(status));
    let same_reason = same.filter(|c| c.get("reason").and_then(Value::as_str) == Some(reason));
    let keep = |c: Option<&Value>, field: &str| {
        c.and_then(|c| c.get(field))
            .cloned()
            .unwrap_or_else(|| json!(now))
    };
    let mut c = json!({"type": type_, "status": status, "reason": reason, "message": msg,
        "lastTransitionTime": keep(same, "lastTransitionTime")});
    let probe = if matches!(type_, "Available" | "Progressing") {
        "lastUpdateTime"
    } else {
        "lastProbeTime"
    };
    c[probe] = keep(same_reason, probe);
    c
}

/// Removes the zero counters a Go status leaves out (`omitempty`).
fn drop_zeros(status: &mut Value, keys: &[&str]) {
    if let Some(m) = status.as_object_mut() {
        for k in keys {
            if m.get(*k).and_then(Value::as_i64) == Some(0) {
                m.remove(*k);
            }
        }
    }
}

/// apps/v1 Deployment.
pub fn deployment(obj: &Value, now: &str) -> Value {
    let replicas = int_at(obj, "/spec/replicas", 1);
    let name = crate::meta::name(obj);
    let outcome = outcome(obj);
    let ready = if outcome == Outcome::Succeed {
        replicas
    } else {
        0
    };
    let available = match outcome {
        Outcome::Succeed => condition(
            obj,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
        ),
        Outcome::Hang | Outcome::Fail => condition(
            obj,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
        ),
    };
    let (status, reason, message) = match outcome {
        Outcome::Succeed => (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{name}\" has successfully progressed."),
        ),
        Outcome::Hang => (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{name}\" is progressing."),
        ),
        Outcome::Fail => (
            "False",
            "ProgressDeadlineExceeded",
            format!("ReplicaSet \"{name}\" has timed out progressing."),
        ),
    };
    let progressing = condition(obj, "Progressing", status, reason, &message, now);
    let mut status = json!({
        "observedGeneration": generation(obj),
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "unavailableReplicas": replicas - ready,
        "conditions": [available, progressing],
    });
    drop_zeros(
        &mut status,
        &[
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
        ],
    );
    status
}

/// apps/v1 ReplicaSet.
pub fn replica_set(obj: &Value, _now: &str) -> Value {
    let replicas = int_at(obj, "/spec/replicas", 1);
    let ready = if outcome(obj) == Outcome::Succeed {
        replicas
    } else {
        0
    };
    let mut status = json!({
        "observedGeneration": generation(obj),
        "replicas": replicas,
        "fullyLabeledReplicas": replicas,
        "readyReplicas": ready,
        "availableReplicas": ready,
    });
    drop_zeros(
        &mut status,
        &["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
    );
    status
}

/// apps/v1 StatefulSet (revisions are named after the object and its generation).
pub fn stateful_set(obj: &Value, _now: &str) -> Value {
    let replicas = int_at(obj, "/spec/replicas", 1);
    let ready = if outcome(obj) == Outcome::Succeed {
        replicas
    } else {
        0
    };
    let revision = format!("{}-{}", crate::meta::name(obj), generation(obj));
    let mut status = json!({
        "observedGeneration": generation(obj),
        "replicas": replicas,
        "readyReplicas": ready,
        "currentReplicas": replicas,
        "updatedReplicas": replicas,
        "availableReplicas": ready,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    });
    drop_zeros(
        &mut status,
        &["readyReplicas", "currentReplicas", "updatedReplicas"],
    );
    status
}

/// apps/v1 DaemonSet, on a cluster of one node.
pub fn daemon_set(obj: &Value, _now: &str) -> Value {
    let ready = i64::from(outcome(obj) == Outcome::Succeed);
    let mut status = json!({
        "observedGeneration": generation(obj),
        "currentNumberScheduled": 1,
        "desiredNumberScheduled": 1,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "updatedNumberScheduled": 1,
        "numberAvailable": ready,
        "numberUnavailable": 1 - ready,
    });
    drop_zeros(&mut status, &["numberAvailable", "numberUnavailable"]);
    status
}

/// batch/v1 Job: `Complete` (with `SuccessCriteriaMet`), `Failed` after the backoff limit, or
/// still active.
pub fn job(obj: &Value, now: &str) -> Value {
    let completions = int_at(obj, "/spec/completions", 1);
    let started = obj
        .pointer("/status/startTime")
        .cloned()
        .unwrap_or_else(|| json!(now));
    let mut status = Map::new();
    status.insert("startTime".into(), started);
    status.insert("ready".into(), json!(0));
    status.insert("terminating".into(), json!(0));
    status.insert("uncountedTerminatedPods".into(), json!({}));
    match outcome(obj) {
        Outcome::Succeed => {
            let done = obj
                .pointer("/status/completionTime")
                .cloned()
                .unwrap_or_else(|| json!(now));
            status.insert("succeeded".into(), json!(completions));
            status.insert("completionTime".into(), done);
            status.insert(
                "conditions".into(),
                json!([
                    condition(
                        obj,
                        "SuccessCriteriaMet",
                        "True",
                        "CompletionsReached",
                        "Reached expected number of succeeded pods",
                        now
                    ),
                    condition(
                        obj,
                        "Complete",
                        "True",
                        "CompletionsReached",
                        "Reached expected number of succeeded pods",
                        now
                    ),
                ]),
            );
        }
        Outcome::Fail => {
            let failed = int_at(obj, "/spec/backoffLimit", 6) + 1;
            status.insert("failed".into(), json!(failed));
            status.insert(
                "conditions".into(),
                json!([
                    condition(
                        obj,
                        "FailureTarget",
                        "True",
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit",
                        now
                    ),
                    condition(
                        obj,
                        "Failed",
                        "True",
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit",
                        now
                    ),
                ]),
            );
        }
        Outcome::Hang => {
            status.insert("active".into(), json!(1));
        }
    }
    Value::Object(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_status_is_stable_once_written() {
        let mut d = json!({"metadata": {"name": "web", "generation": 3}, "spec": {"replicas": 2}});
        let s = deployment(&d, "t1");
        assert_eq!(
            (
                s["observedGeneration"].as_i64(),
                s["availableReplicas"].as_i64()
            ),
            (Some(3), Some(2))
        );
        d["status"] = s.clone();
        assert_eq!(deployment(&d, "t2"), s, "times change without a change");
    }

    #[test]
    fn outcome_comes_from_the_annotation_or_an_image_tag() {
        let by_tag = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "registry:5000/app:hang"}]}}}});
        assert_eq!(outcome(&by_tag), Outcome::Hang);
        let port_only = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "fail:5000/app"}]}}}});
        assert_eq!(outcome(&port_only), Outcome::Succeed);
        let annotated = json!({"metadata": {"annotations": {ANNOTATION: "fail"}}});
        assert_eq!(outcome(&annotated), Outcome::Fail);
    }

    #[test]
    fn failing_workloads_report_it() {
        let d = json!({"metadata": {"name": "web", "annotations": {ANNOTATION: "fail"}},
            "spec": {"replicas": 2}});
        let s = deployment(&d, "t");
        assert_eq!(s["conditions"][1]["reason"], "ProgressDeadlineExceeded");
        assert_eq!(s["unavailableReplicas"], 2);
        let j = json!({"metadata": {"name": "j", "annotations": {ANNOTATION: "fail"}},
            "spec": {"backoffLimit": 1}});
        let s = job(&j, "t");
        assert_eq!(s["conditions"][1]["type"], "Failed");
        assert_eq!(s["failed"], 2);
        let hung = json!({"metadata": {"name": "j", "annotations": {ANNOTATION: "hang"}}});
        assert_eq!(job(&hung, "t")["active"], 1);
        assert!(job(&hung, "t").get("conditions").is_none());
        let done = job(&json!({"metadata": {"name": "j"}}), "t");
        assert_eq!(done["conditions"][1]["type"], "Complete");
        assert_eq!(done["succeeded"], 1);
    }
}
