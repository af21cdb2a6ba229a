//! A GitSync's status: kstatus conditions (`Ready`, `Reconciling`, `Stalled`), the revisions, the
//! inventory. Written only when it changes.

use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::api::Condition;
use crate::api::gitsync::{GitSync, GitSyncStatus};
use crate::sync::apply::FIELD_MANAGER;

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The revision is applied (and pruned).
    Applied {
        /// `main@sha1:<hex>`.
        revision: String,
        /// What was done.
        message: String,
    },
    /// Something a retry may fix (fetch, apply, health): Ready=False, Reconciling.
    Failed {
        /// The fixed reason.
        reason: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// Something only an edit fixes (unsupported field, bad URL): Ready=False, Stalled.
    Stalled {
        /// The fixed reason.
        reason: &'static str,
        /// What to change.
        message: String,
    },
}

/// The status after `outcome`, keeping what it does not change.
pub fn desired(
    gs: &GitSync,
    outcome: &Outcome,
    attempted: Option<String>,
    inventory: Option<super::spill::Stored>,
    now: &str,
) -> GitSyncStatus {
    let mut status = gs.status.clone().unwrap_or_default();
    status.observed_generation = gs.metadata.generation;
    if attempted.is_some() {
        status.last_attempted_revision = attempted;
    }
    if let Some((inventory, config_map)) = inventory {
        status.inventory = inventory;
        status.inventory_config_map = config_map;
    }
    let (ready, reason, message, stalled) = match outcome {
        Outcome::Applied { revision, message } => {
            status.last_applied_revision = Some(revision.clone());
            ("True", "ReconciliationSucceeded", message.clone(), false)
        }
        Outcome::Failed { reason, message } => ("False", *reason, message.clone(), false),
        Outcome::Stalled { reason, message } => ("False", *reason, message.clone(), true),
    };
    let previous = status.conditions.clone();
    let condition = |type_: &str, value: &str, reason: &str, message: &str| {
        let transition = previous
            .iter()
            .find(|c| c.type_ == type_ && c.status == value)
            .and_then(|c| c.last_transition_time.clone())
            .unwrap_or_else(|| now.to_owned());
        Condition {
            type_: type_.into(),
            status: value.into(),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_transition_time: Some(transition),
            observed_generation: gs.metadata.generation,
        }
    };
    status.conditions = vec![condition("Ready", ready, reason, &message)];
    if stalled {
        status
            .conditions
            .push(condition("Stalled", "True", reason, &message));
    }
    status
}

/// Writes the status if it changed.
pub async fn write(
    api: &Api<GitSync>,
    gs: &GitSync,
    status: GitSyncStatus,
) -> Result<(), kube::Error> {
    if gs.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let name = gs.metadata.name.as_deref().unwrap_or_default();
    let body = json!({"apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync", "status": status});
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(body),
    )
    .await
    .map(|_| ())
}
