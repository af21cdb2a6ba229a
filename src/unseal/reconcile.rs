//! One reconcile: decide ownership, open the values, write the Secret, write the status, tell
//! people through events. Transient API failures return an error and retry with backoff;
//! everything a person must fix becomes a status reason.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::{Api, Resource};
use sealsync_core::api::SecretTemplateSpec;
use sealsync_core::crypto::{Layout, format};
use sealsync_core::sealing::SealedView;
use tracing::{debug, info, instrument, warn};

use super::decrypt::{Cache, OpenError, OpenedValues};
use super::ownership::Ownership;
use super::status::{self, Outcome};
use super::{Context, secret};
use crate::api::{Reason, Sealed};
use crate::keyring::renew::FIELD_MANAGER;

/// How long before a Ready object is looked at again without a trigger.
const RESYNC: Duration = Duration::from_secs(3600);

/// A transient failure: retried with backoff, never written to status.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Reading the existing Secret failed.
    #[error("cannot read Secret {name}")]
    ReadSecret {
        /// `namespace/name`.
        name: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// Writing the Secret failed on a transient error.
    #[error("cannot write Secret {name}")]
    WriteSecret {
        /// `namespace/name`.
        name: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// Writing the status failed.
    #[error("cannot write the status of SealedSecret {name}")]
    WriteStatus {
        /// `namespace/name`.
        name: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// A decrypt task died.
    #[error("decryption of SealedSecret {name} was interrupted")]
    Interrupted {
        /// `namespace/name`.
        name: String,
    },
}

impl ReconcileError {
    /// The fixed metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            ReconcileError::ReadSecret { .. } => "read_secret",
            ReconcileError::WriteSecret { .. } => "write_secret",
            ReconcileError::WriteStatus { .. } => "write_status",
            ReconcileError::Interrupted { .. } => "interrupted",
        }
    }
}

/// What the Secret write did.
struct Written {
    outcome: Outcome,
    changed: bool,
}

/// Reconciles one SealedSecret.
#[instrument(skip(sealed, ctx), fields(object = %display_name(&sealed), group = ctx.group.as_str()))]
pub async fn reconcile(sealed: Arc<Sealed>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    if sealed.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let keys = ctx.keyring.current();
    if !keys.synced() || keys.keys().is_empty() {
        debug!("no sealing keys loaded yet; waiting");
        return Ok(Action::requeue(Duration::from_secs(2)));
    }
    let started = Instant::now();
    let name = display_name(&sealed);
    let written = unseal(&sealed, &ctx, &keys).await?;
    let outcome = &written.outcome;
    info!(
        reason = outcome.reason.as_str(),
        changed = written.changed,
        "{}",
        outcome.message
    );
    let now = crate::api::now_rfc3339();
    let desired = status::desired(&sealed, ctx.group, outcome, &now);
    let api: Api<Sealed> = Api::namespaced_with(
        ctx.client.clone(),
        sealed.metadata.namespace.as_deref().unwrap_or_default(),
        &ctx.group.api_resource(),
    );
    let status_changed = status::write(&api, &ctx.api_version, &sealed, desired)
        .await
        .map_err(|source| ReconcileError::WriteStatus {
            name: name.clone(),
            source,
        })?;
    publish_event(&ctx, &sealed, &written, status_changed).await;
    ctx.metrics
        .unseals
        .get_or_create(&crate::metrics::ReasonLabel {
            reason: outcome.reason.as_str(),
        })
        .inc();
    ctx.metrics
        .reconcile_duration
        .observe(started.elapsed().as_secs_f64());
    Ok(next_action(&ctx, &name, outcome.reason))
}

/// What to do after a failed reconcile: count it and retry with backoff.
pub fn error_policy(sealed: Arc<Sealed>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    warn!(error = %error, source = ?std::error::Error::source(error).map(|s| s.to_string()), "reconcile failed; retrying");
    ctx.metrics
        .errors
        .get_or_create(&crate::metrics::KindLabel { kind: error.kind() })
        .inc();
    Action::requeue(ctx.backoff(&display_name(&sealed), Duration::from_millis(500)))
}

fn next_action(ctx: &Context, name: &str, reason: Reason) -> Action {
    match reason {
        Reason::Unsealed => {
            ctx.reset_backoff(name);
            Action::requeue(RESYNC)
        }
        // A key may arrive (a key change triggers every object), or the foreign Secret go away.
        Reason::DecryptionFailed | Reason::SecretNotOwned => {
            Action::requeue(ctx.backoff(name, Duration::from_secs(5)))
        }
        // An edit of the SealedSecret triggers a reconcile; a refusal by the cluster (a webhook,
        // a quota) may pass later, so look again, slowly.
        Reason::InvalidSpec => Action::requeue(ctx.backoff(name, Duration::from_secs(60))),
    }
}

/// A reconcile that ended in a status reason rather than a written Secret.
fn verdict(reason: Reason, message: String) -> Result<Written, ReconcileError> {
    Ok(Written {
        outcome: Outcome {
            reason,
            message,
            sealing_keys: None,
        },
        changed: false,
    })
}

async fn unseal(
    sealed: &Sealed,
    ctx: &Context,
    keys: &Arc<crate::keyring::KeySet>,
) -> Result<Written, ReconcileError> {
    let ns = sealed.metadata.namespace.as_deref().unwrap_or_default();
    let name = sealed.metadata.name.as_deref().unwrap_or_default();
    let full = format!("{ns}/{name}");
    let template = match core_template(sealed) {
        Ok(t) => t,
        Err(message) => return verdict(Reason::InvalidSpec, message),
    };
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let existing =
        secrets
            .get_metadata_opt(name)
            .await
            .map_err(|source| ReconcileError::ReadSecret {
                name: full.clone(),
                source,
            })?;
    let uid = sealed.metadata.uid.as_deref().unwrap_or_default();
    let existing = existing.map(|m| m.metadata);
    let ownership = Ownership::of(existing.as_ref(), uid);
    if ownership == Ownership::Foreign {
        return verdict(Reason::SecretNotOwned, not_owned_message(&full));
    }
    let empty = BTreeMap::new();
    let view = SealedView {
        name: Some(name),
        namespace: Some(ns),
        annotations: sealed.metadata.annotations.as_ref().unwrap_or(&empty),
        encrypted_data: &sealed.spec.encrypted_data,
        template: template.as_ref(),
        legacy_data: sealed.spec.data.is_some(),
    };
    let hints = sealed
        .status
        .as_ref()
        .map(|s| s.sealing_keys.clone())
        .unwrap_or_default();
    let opened = match ctx.decryptor.open(&view, keys, &hints, Cache::Use).await {
        Ok(opened) => opened,
        Err(OpenError::Spec(e)) => return verdict(Reason::InvalidSpec, e.to_string()),
        Err(e @ OpenError::Failed { .. }) => {
            let foreign = foreign_recipients(&sealed.spec.encrypted_data, keys);
            let message = match foreign.is_empty() {
                true => format!(
                    "{e}. Check that it was sealed for {full} with this cluster's certificate (seal --fetch-cert), and under the scope its annotations name; a copy moved to another name or namespace does not open under the strict scope"
                ),
                false => format!(
                    "{e}. Its multi-recipient values are sealed to {}, none of which this cluster holds: re-seal them with this cluster's certificate among the --cert flags (seal --fetch-cert)",
                    foreign.join(", ")
                ),
            };
            return verdict(Reason::DecryptionFailed, message);
        }
        Err(OpenError::Interrupted) => return Err(ReconcileError::Interrupted { name: full }),
    };
    let before = existing.and_then(|m| m.resource_version);
    write_secret(sealed, ctx, &secrets, &opened, ownership, before).await
}

/// The keys named by multi-recipient values that name no key of `keys`, for the status: such a
/// value was sealed for other clusters only.
fn foreign_recipients(
    encrypted_data: &BTreeMap<String, String>,
    keys: &crate::keyring::KeySet,
) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    for value in encrypted_data.values() {
        let Some(Layout::MultiRecipient { recipients, .. }) = format::decode_base64(value)
            .as_deref()
            .and_then(format::layout)
        else {
            continue;
        };
        if recipients
            .iter()
            .any(|r| keys.keys().iter().any(|k| k.fingerprint == *r))
        {
            continue;
        }
        for r in recipients.iter().map(ToString::to_string) {
            if !named.contains(&r) {
                named.push(r);
            }
        }
    }
    named
}

fn not_owned_message(full: &str) -> String {
    format!(
        "Secret {full} exists and is not managed by this SealedSecret, so it was left untouched. Delete it to let sealsync create it, or annotate it sealedsecrets.bitnami.com/managed=\"true\" (take it over) or sealedsecrets.bitnami.com/patch=\"true\" (merge the sealed keys into it)"
    )
}

/// Writes the Secret with server-side apply. A new Secret is applied without force, so one that
/// someone created since the read makes a conflict (retried, then seen as not ours) instead of
/// being taken over; an existing one carries the resourceVersion that was read, so a change in
/// between is a conflict too.
async fn write_secret(
    sealed: &Sealed,
    ctx: &Context,
    secrets: &Api<Secret>,
    opened: &OpenedValues,
    ownership: Ownership,
    before: Option<String>,
) -> Result<Written, ReconcileError> {
    let ns = sealed.metadata.namespace.as_deref().unwrap_or_default();
    let name = sealed.metadata.name.as_deref().unwrap_or_default();
    let full = format!("{ns}/{name}");
    let mut body = secret::apply_body(
        sealed,
        &ctx.api_version,
        sealed.spec.template.as_ref(),
        opened,
        ownership,
    );
    let params = match &before {
        None => PatchParams::apply(FIELD_MANAGER),
        Some(rv) => {
            body["metadata"]["resourceVersion"] = serde_json::json!(rv);
            PatchParams::apply(FIELD_MANAGER).force()
        }
    };
    let written = match secrets.patch(name, &params, &Patch::Apply(body)).await {
        Ok(s) => s,
        Err(kube::Error::Api(status)) if status.code == 400 || status.code == 422 => {
            return verdict(
                Reason::InvalidSpec,
                format!(
                    "the API server rejected Secret {full} ({}). Fix the SealedSecret's template; an immutable Secret must be deleted to change it",
                    status.reason
                ),
            );
        }
        Err(source) => return Err(ReconcileError::WriteSecret { name: full, source }),
    };
    let how = match ownership {
        Ownership::Patch => "merged into the existing",
        Ownership::Managed => "taken over into",
        Ownership::Absent | Ownership::Owned => "unsealed into",
        Ownership::Foreign => "left untouched in",
    };
    Ok(Written {
        outcome: Outcome {
            reason: Reason::Unsealed,
            message: format!("{} values {how} Secret {full}", opened.values.len()),
            sealing_keys: Some(opened.fingerprints.clone()),
        },
        changed: before != written.metadata.resource_version,
    })
}

/// The template in the shape the shared unsealing code reads; `Err` with a message for a
/// template sealsync cannot render.
fn core_template(sealed: &Sealed) -> Result<Option<SecretTemplateSpec>, String> {
    let Some(template) = &sealed.spec.template else {
        return Ok(None);
    };
    if let Some(data) = template.data.as_ref().filter(|d| !d.is_empty()) {
        let keys: Vec<&str> = data.keys().map(String::as_str).collect();
        return Err(format!(
            "spec.template.data ({}) uses Go templates, which sealsync does not render yet; seal the final values instead",
            keys.join(", ")
        ));
    }
    serde_json::to_value(template)
        .and_then(serde_json::from_value)
        .map(Some)
        .map_err(|e| format!("spec.template cannot be read: {e}"))
}

async fn publish_event(ctx: &Context, sealed: &Sealed, written: &Written, status_changed: bool) {
    let outcome = &written.outcome;
    let type_ = match outcome.reason {
        Reason::Unsealed if written.changed => EventType::Normal,
        Reason::Unsealed => return,
        _ if status_changed => EventType::Warning,
        _ => return,
    };
    let event = Event {
        type_,
        reason: outcome.reason.as_str().into(),
        note: Some(outcome.message.clone()),
        action: "Unseal".into(),
        secondary: None,
    };
    let reference = sealed.object_ref(&ctx.group.api_resource());
    if let Err(e) = ctx.recorder.publish(&event, &reference).await {
        warn!(error = %e, "cannot record an event");
    }
}

fn display_name(sealed: &Sealed) -> String {
    format!(
        "{}/{}",
        sealed.metadata.namespace.as_deref().unwrap_or_default(),
        sealed.metadata.name.as_deref().unwrap_or_default()
    )
}
