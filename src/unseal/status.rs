//! The SealedSecret's status: `Ready` with a fixed reason and an actionable message,
//! `observedGeneration`, and which key opened each value. Written only when it changes, so a
//! status write never triggers another reconcile that writes it again.

use std::collections::BTreeMap;

use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::api::{Condition, Group, Reason, Sealed, SealedSecretStatus};
use crate::keyring::{renew::FIELD_MANAGER, short};

/// What a reconcile concluded.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The reason.
    pub reason: Reason,
    /// What happened and what to do.
    pub message: String,
    /// Value key → fingerprint, when values opened.
    pub sealing_keys: Option<BTreeMap<String, String>>,
}

/// The condition each group's tools read: `Ready` (kstatus) for ours, `Synced` for Bitnami's,
/// as its controller writes it and Argo CD's health check reads it.
pub fn condition_type(group: Group) -> &'static str {
    match group {
        Group::Sealsync => "Ready",
        Group::Bitnami => "Synced",
    }
}

/// The status the outcome calls for, in the group's shape: Bitnami's CRD keeps only
/// `observedGeneration` and `conditions` (type, status, reason, message, times), so the key
/// fingerprints stay out of it, or every comparison with what the server kept would differ
/// and every reconcile would write again. `lastTransitionTime` moves only when the condition's
/// status does.
pub fn desired(sealed: &Sealed, group: Group, outcome: &Outcome, now: &str) -> SealedSecretStatus {
    let previous = sealed.status.clone().unwrap_or_default();
    let status = outcome.reason.status().as_str();
    let type_ = condition_type(group);
    let transition = previous
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .filter(|c| c.status == status)
        .and_then(|c| c.last_transition_time.clone())
        .unwrap_or_else(|| now.to_owned());
    let generation = sealed.metadata.generation;
    let condition = Condition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(outcome.reason.as_str().into()),
        message: Some(outcome.message.clone()),
        last_transition_time: Some(transition),
        observed_generation: generation,
    };
    match group {
        Group::Sealsync => {
            let sealing_keys = outcome
                .sealing_keys
                .clone()
                .unwrap_or(previous.sealing_keys);
            SealedSecretStatus {
                observed_generation: generation,
                conditions: vec![condition],
                key_short: most_used(&sealing_keys).map(|f| short(f)),
                sealing_keys,
            }
        }
        Group::Bitnami => SealedSecretStatus {
            observed_generation: generation,
            conditions: vec![Condition {
                observed_generation: None,
                ..condition
            }],
            ..SealedSecretStatus::default()
        },
    }
}

/// Writes the status if it differs from what the object has; true if it wrote.
pub async fn write(
    api: &Api<Sealed>,
    api_version: &str,
    sealed: &Sealed,
    status: SealedSecretStatus,
) -> Result<bool, kube::Error> {
    if sealed.status.as_ref() == Some(&status) {
        return Ok(false);
    }
    let name = sealed.metadata.name.as_deref().unwrap_or_default();
    let body = json!({"apiVersion": api_version, "kind": "SealedSecret", "status": status});
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(body),
    )
    .await?;
    Ok(true)
}

fn most_used(sealing_keys: &BTreeMap<String, String>) -> Option<&String> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for f in sealing_keys.values() {
        *counts.entry(f).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(f, _)| f)
}
