//! Opt-in stand-in for the Deployment controller (`Builder::simulate_workloads`, `serve
//! --simulate-workloads`): after a Deployment changes, its status reports every replica updated,
//! ready and available, as if its pods had started at once. Nothing runs; this only lets tools
//! that wait for rollouts (kstatus-style health checks, `kubectl rollout status`) finish.

use super::{ObjRef, State};
use crate::meta;
use serde_json::{Value, json};

impl State {
    /// Writes the simulated status of the Deployment at `r`, when simulation is on and it differs.
    pub(super) fn simulate_workload(&mut self, r: &ObjRef) {
        if !self.simulate_workloads || r.key.group != "apps" || r.key.plural != "deployments" {
            return;
        }
        let Some(obj) = self.get_ref(r).cloned() else {
            return;
        };
        if meta::is_deleting(&obj) {
            return;
        }
        let status = deployment_status(&obj, &meta::now());
        if obj.get("status") == Some(&status) {
            return;
        }
        let mut new = (*obj).clone();
        new["status"] = status;
        self.commit_put(r, new);
    }
}

/// The status of a Deployment whose rollout finished; condition times are kept while the
/// condition does not change.
fn deployment_status(obj: &Value, now: &str) -> Value {
    let generation = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let replicas = obj
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let name = meta::name(obj);
    let old = obj.pointer("/status/conditions").and_then(Value::as_array);
    let time_of = |type_: &str, field: &str| {
        old.into_iter()
            .flatten()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
            .and_then(|c| c.get(field).cloned())
            .unwrap_or_else(|| json!(now))
    };
    let mut status = json!({
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability.",
             "lastUpdateTime": time_of("Available", "lastUpdateTime"),
             "lastTransitionTime": time_of("Available", "lastTransitionTime")},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": format!("ReplicaSet \"{name}\" has successfully progressed."),
             "lastUpdateTime": time_of("Progressing", "lastUpdateTime"),
             "lastTransitionTime": time_of("Progressing", "lastTransitionTime")}
        ]
    });
    if replicas == 0 {
        for key in ["updatedReplicas", "readyReplicas", "availableReplicas"] {
            if let Some(m) = status.as_object_mut() {
                m.remove(key);
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_stable_once_written() {
        let mut d = json!({"metadata": {"name": "web", "generation": 3}, "spec": {"replicas": 2}});
        let s = deployment_status(&d, "t1");
        assert_eq!(
            (
                s["observedGeneration"].as_i64(),
                s["availableReplicas"].as_i64()
            ),
            (Some(3), Some(2))
        );
        d["status"] = s.clone();
        assert_eq!(
            deployment_status(&d, "t2"),
            s,
            "times change without a change"
        );
    }
}
