//! Opt-in stand-in for the workload controllers (`Builder::simulate_workloads`, `serve
//! --simulate-workloads`): after a workload changes, its status is what its controller would
//! write (see `kinds::workload_status`: rolled out, complete, failed or hanging). Nothing runs;
//! this lets tools that wait for rollouts (kstatus-style health checks, `kubectl rollout status`,
//! `kubectl wait --for=condition=complete`) finish, fail or time out.

use super::{ObjRef, State};
use crate::meta;

impl State {
    /// Writes the simulated status of the workload at `r`, when simulation is on, its kind has
    /// one, and it differs.
    pub(super) fn simulate_workload(&mut self, r: &ObjRef) {
        if !self.simulate_workloads {
            return;
        }
        let Some(simulate) = self
            .registry
            .get(&r.key)
            .and_then(|rt| rt.strategy)
            .and_then(|s| s.simulate)
        else {
            return;
        };
        let Some(obj) = self.get_ref(r).cloned() else {
            return;
        };
        if meta::is_deleting(&obj) {
            return;
        }
        let status = simulate(&obj, &meta::now());
        if obj.get("status") == Some(&status) {
            return;
        }
        let mut new = (*obj).clone();
        new["status"] = status;
        self.commit_put(r, new);
    }
}
