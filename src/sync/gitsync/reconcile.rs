//! One run of one GitSync: fetch (skipped when ls-remote shows the revision already checked
//! out), render, apply by stage (waiting for CRDs to be Established and SealedSecrets to be
//! Ready before the workloads that use them), prune what left Git under the safety rules, and
//! report. A failed fetch or render applies and prunes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use tracing::{debug, info, warn};

use super::Context;
use super::applier::Applier;
use super::status::{self, Outcome};
use super::{pruner, spill};
use crate::api::gitsync::{GitSync, check_url};
use crate::metrics::{ReasonLabel, ResultLabel};
use crate::sync::apply::Engine;
use crate::sync::drift::Applied;
use crate::sync::inventory::Inventory;
use crate::sync::prune::{self, Run};
use crate::sync::render::{self, RenderError, Rendered};
use crate::sync::source;
use sealsync_core::redact::redact_urls;

/// A failure to record the outcome: retried.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The status could not be written.
    #[error("cannot write the status of GitSync {name}")]
    Status {
        /// `namespace/name`.
        name: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
}

/// Reconciles one GitSync.
pub async fn reconcile(gs: Arc<GitSync>, ctx: Arc<Context>) -> Result<Action, SyncError> {
    let ns = gs.metadata.namespace.clone().unwrap_or_default();
    let name = gs.metadata.name.clone().unwrap_or_default();
    let interval = duration(gs.spec.interval.as_deref(), Duration::from_secs(60));
    let retry = duration(gs.spec.retry_interval.as_deref(), interval);
    if gs.spec.suspend {
        // Nothing is applied; the status only acknowledges the generation that suspended it,
        // so `kubectl wait` (and a script) can tell the suspension took effect.
        let mut status = gs.status.clone().unwrap_or_default();
        status.observed_generation = gs.metadata.generation;
        let api: Api<GitSync> = Api::namespaced(ctx.client.clone(), &ns);
        status::write(&api, &gs, status)
            .await
            .map_err(|source| SyncError::Status {
                name: format!("{ns}/{name}"),
                source,
            })?;
        return Ok(Action::requeue(interval));
    }
    let started = Instant::now();
    let (outcome, attempted, inventory) = run_once(&gs, &ctx).await;
    observe(&ctx, &outcome, started.elapsed());
    info!(gitsync = %format!("{ns}/{name}"), elapsed_ms = started.elapsed().as_millis() as u64, ?outcome, "GitSync reconciled");
    let now = crate::api::now_rfc3339();
    let api: Api<GitSync> = Api::namespaced(ctx.client.clone(), &ns);
    let previous_message = gs
        .status
        .as_ref()
        .and_then(|s| s.conditions.first())
        .and_then(|c| c.message.clone());
    let inline = matches!(inventory, Some((_, None)));
    let mut desired = status::desired(&gs, &outcome, attempted, inventory, &now);
    if let Some(asked) = gs
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(crate::http::hooks::RECONCILE_AT))
    {
        desired.last_handled_reconcile_at = Some(asked.clone());
    }
    let message_changed =
        desired.conditions.first().and_then(|c| c.message.clone()) != previous_message;
    status::write(&api, &gs, desired)
        .await
        .map_err(|source| SyncError::Status {
            name: format!("{ns}/{name}"),
            source,
        })?;
    if inline {
        spill::retire(&ctx, &gs).await;
    }
    if message_changed {
        publish(&ctx, &gs, &outcome).await;
    }
    Ok(Action::requeue(match outcome {
        Outcome::Applied { .. } => interval,
        _ => retry,
    }))
}

/// Retries a failed status write.
pub fn error_policy(_gs: Arc<GitSync>, error: &SyncError, _ctx: Arc<Context>) -> Action {
    warn!(error = %error, "GitSync status write failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

type Run3 = (Outcome, Option<String>, Option<spill::Stored>);

async fn run_once(gs: &GitSync, ctx: &Context) -> Run3 {
    if let Err(e) = check_url(&gs.spec.url) {
        return (
            Outcome::Stalled {
                reason: "InvalidURL",
                message: e.to_string(),
            },
            None,
            None,
        );
    }
    let wanted = match reference(gs) {
        Ok(r) => r,
        Err(outcome) => return (outcome, None, None),
    };
    let dir = ctx
        .cache_dir
        .join(gs.metadata.namespace.as_deref().unwrap_or_default())
        .join(gs.metadata.name.as_deref().unwrap_or_default());
    let auth = match credentials(gs, ctx).await {
        Ok(auth) => auth,
        Err(outcome) => return (outcome, None, None),
    };
    let url = gs.spec.url.clone();
    let fetching = Instant::now();
    let fetched = tokio::task::spawn_blocking(move || checkout(&url, wanted, &dir, &auth)).await;
    ctx.metrics
        .fetch_duration
        .observe(fetching.elapsed().as_secs_f64());
    let (branch, hex, tree) = match fetched {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => {
            return (
                failed(
                    "FetchFailed",
                    format!(
                        "{e}. Nothing was applied or pruned; the last applied revision stays in place. Check spec.url and spec.ref, and that the Git server is reachable from the controller"
                    ),
                ),
                None,
                None,
            );
        }
        Err(_) => {
            return (
                failed("FetchFailed", "the fetch was interrupted".into()),
                None,
                None,
            );
        }
    };
    let revision = format!("{branch}@sha1:{hex}");
    let attempted = Some(revision.clone());
    if let Some(outcome) = settled(gs, ctx, &revision) {
        return (outcome, attempted, None);
    }
    let path = gs.spec.path.clone().unwrap_or_default();
    let rendering = Instant::now();
    let rendered = render::render(&tree, &path);
    debug!(
        fetch_ms = rendering.duration_since(fetching).as_millis() as u64,
        render_ms = rendering.elapsed().as_millis() as u64,
        "fetched and rendered"
    );
    let objects = match rendered {
        Ok(objects) => objects,
        Err(e @ RenderError::Unsupported { .. }) => {
            return (
                Outcome::Stalled {
                    reason: "UnsupportedKustomization",
                    message: format!("{e}; {}", e.hint()),
                },
                attempted,
                None,
            );
        }
        Err(e) => {
            return (
                failed(
                    "RenderFailed",
                    format!(
                        "revision {revision}: {e}; nothing was applied or pruned. {}",
                        e.hint()
                    ),
                ),
                attempted,
                None,
            );
        }
    };
    if objects.is_empty() && !gs.spec.allow_empty {
        return (
            failed(
                "EmptyRevision",
                format!(
                    "revision {revision} renders no object, so nothing was applied or pruned; set spec.allowEmpty to accept it"
                ),
            ),
            attempted,
            None,
        );
    }
    apply_and_prune(gs, ctx, objects, revision, attempted).await
}

async fn apply_and_prune(
    gs: &GitSync,
    ctx: &Context,
    objects: Vec<Rendered>,
    revision: String,
    attempted: Option<String>,
) -> Run3 {
    let ns = gs.metadata.namespace.clone().unwrap_or_default();
    let owner = owner_of(gs);
    let target = gs
        .spec
        .target_namespace
        .clone()
        .unwrap_or_else(|| ns.clone());
    let engine = Engine::new(ctx.client.clone(), target, Some(owner.clone()));
    let timeout = duration(
        gs.spec.timeout.as_deref(),
        duration(gs.spec.interval.as_deref(), Duration::from_secs(60)),
    );
    let count = objects.len();
    let applier = Applier {
        engine: &engine,
        drift: &ctx.drift,
        owner: &owner,
        force: gs.spec.force,
        timeout,
    };
    let applying = Instant::now();
    let applied = applier.run(objects).await;
    debug!(apply_ms = applying.elapsed().as_millis() as u64, "applied");
    let done = match applied {
        Ok(done) => done,
        Err(message) => {
            ctx.drift.forget(&owner);
            return (
                failed("ApplyFailed", format!("revision {revision}: {message}")),
                attempted,
                None,
            );
        }
    };
    let changed = done.iter().filter(|d| d.changed).count();
    count_objects(ctx, "applied", changed);
    count_objects(ctx, "unchanged", done.len() - changed);
    let current = Inventory::new(done.iter().map(|d| d.entry.clone()));
    let previous = spill::load(ctx, gs).await;
    let run = Run {
        fetched: true,
        rendered: true,
        objects: count,
        allow_empty: gs.spec.allow_empty,
        prune: gs.spec.prune,
    };
    let (pruned, kept, unreadable) = match (&previous, prune::may_prune(run)) {
        (Ok(previous), Ok(())) => {
            let (pruned, kept) =
                pruner::prune_stale(&engine, previous.stale(&current), &owner).await;
            (pruned, kept, None)
        }
        (Ok(previous), Err(_)) => (0, previous.stale(&current), None),
        // Without the previous inventory nothing is known to have left Git: prune nothing.
        (Err(e), _) => (0, Vec::new(), Some(e.to_string())),
    };
    count_objects(ctx, "pruned", pruned);
    ctx.drift.record(
        &owner,
        Applied {
            revision: revision.clone(),
            generation: gs.metadata.generation.unwrap_or_default(),
            objects: done
                .into_iter()
                .map(|d| (d.live, (d.hash, d.state)))
                .collect(),
        },
    );
    let inventory = Inventory::new(current.entries().cloned().chain(kept.iter().cloned()));
    let mut message =
        format!("Applied revision {revision}: {count} objects, {changed} changed, {pruned} pruned");
    if !kept.is_empty() {
        let names: Vec<String> = kept
            .iter()
            .map(|e| format!("{} {}/{}", e.kind, e.namespace, e.name))
            .collect();
        message.push_str(&format!(
            "; kept {} that still hold objects others manage or failed to delete: {}",
            kept.len(),
            names.join(", ")
        ));
    }
    if let Some(why) = unreadable {
        message.push_str(&format!(
            "; nothing was pruned: the previous inventory could not be read ({why}). Objects removed from Git since then stay in the cluster; find them by the label sealsync.io/owned-by and delete them by hand"
        ));
    }
    let stored =
        match spill::store(ctx, gs, &inventory, previous.as_ref().ok(), ctx.spill_bytes).await {
            Ok(stored) => stored,
            Err(e) => {
                warn!(error = %e, "keeping the inventory in the status");
                (inventory.to_status(), None)
            }
        };
    (
        Outcome::Applied { revision, message },
        attempted,
        Some(stored),
    )
}

fn count_objects(ctx: &Context, result: &'static str, n: usize) {
    ctx.metrics
        .gitsync_objects
        .get_or_create(&ResultLabel { result })
        .inc_by(n as u64);
}

/// Records a run's duration and outcome; an applied revision sets the last-applied time.
fn observe(ctx: &Context, outcome: &Outcome, elapsed: Duration) {
    let m = &ctx.metrics;
    m.gitsync_duration.observe(elapsed.as_secs_f64());
    let reason = match outcome {
        Outcome::Applied { .. } => "ReconciliationSucceeded",
        Outcome::Failed { reason, .. } | Outcome::Stalled { reason, .. } => reason,
    };
    m.gitsync_runs.get_or_create(&ReasonLabel { reason }).inc();
    if matches!(outcome, Outcome::Applied { .. }) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        m.last_applied.set(now as i64);
    }
}

/// `namespace.name`: the value of the owner label.
fn owner_of(gs: &GitSync) -> String {
    format!(
        "{}.{}",
        gs.metadata.namespace.as_deref().unwrap_or_default(),
        gs.metadata.name.as_deref().unwrap_or_default()
    )
}

/// The outcome of a run that found nothing to do: the revision is the one applied, and every
/// object is as the last run left it. The status stays as it is.
fn settled(gs: &GitSync, ctx: &Context, revision: &str) -> Option<Outcome> {
    let status = gs.status.as_ref()?;
    let ready = status.conditions.first()?;
    let generation = gs.metadata.generation.unwrap_or_default();
    let same = status.last_applied_revision.as_deref() == Some(revision)
        && ready.status == "True"
        && status.observed_generation == gs.metadata.generation
        && ctx.drift.settled(&owner_of(gs), revision, generation);
    same.then(|| Outcome::Applied {
        revision: revision.to_owned(),
        message: ready.message.clone().unwrap_or_default(),
    })
}

/// The credentials of `spec.secretRef`, or anonymous access without one.
async fn credentials(gs: &GitSync, ctx: &Context) -> Result<source::Auth, Outcome> {
    let Some(reference) = &gs.spec.secret_ref else {
        return Ok(source::Auth::default());
    };
    let ns = gs.metadata.namespace.as_deref().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let secret = match secrets.get_opt(&reference.name).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            return Err(failed(
                "CredentialsNotFound",
                format!(
                    "the Secret {ns}/{} named by spec.secretRef does not exist; create it with username and password, or bearerToken",
                    reference.name
                ),
            ));
        }
        Err(e) => {
            return Err(failed(
                "CredentialsNotFound",
                format!(
                    "cannot read the Secret {ns}/{} named by spec.secretRef: {e}. Check that the controller's service account may get secrets in {ns} (deploy/ grants it through the sealsync-gitsync ClusterRole)",
                    reference.name
                ),
            ));
        }
    };
    let data: std::collections::BTreeMap<String, Vec<u8>> = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    source::Auth::from_secret(&data).map_err(|e| Outcome::Stalled {
        reason: match e {
            source::AuthError::Unsupported { .. } => "UnsupportedCredentials",
            _ => "InvalidCredentials",
        },
        message: format!("Secret {ns}/{}: {e}", reference.name),
    })
}

/// What a GitSync follows.
enum Wanted {
    /// A branch or a tag: the name shown in revisions, and the full ref.
    Ref(String, String),
    /// The highest tag matching a semver range.
    Semver(String),
}

/// What to follow; `ref.commit` is not built yet and is Stalled.
fn reference(gs: &GitSync) -> Result<Wanted, Outcome> {
    let r = gs.spec.r#ref.clone().unwrap_or_default();
    match (r.branch, r.tag, r.semver, r.commit) {
        (_, _, _, Some(_)) => Err(Outcome::Stalled {
            reason: "UnsupportedRef",
            message:
                "spec.ref.commit is not supported yet; follow a branch, a tag or a semver range"
                    .into(),
        }),
        (_, _, Some(range), None) => match semver::VersionReq::parse(&range) {
            Ok(_) => Ok(Wanted::Semver(range)),
            Err(e) => Err(Outcome::Stalled {
                reason: "InvalidRef",
                message: format!(
                    "spec.ref.semver {range:?} is not a semver range ({e}); write e.g. \">=1.2.0, <2.0.0\""
                ),
            }),
        },
        (_, Some(tag), None, None) => Ok(Wanted::Ref(tag.clone(), format!("refs/tags/{tag}"))),
        (branch, None, None, None) => {
            let branch = branch.unwrap_or_else(|| "main".into());
            Ok(Wanted::Ref(branch.clone(), format!("refs/heads/{branch}")))
        }
    }
}

/// One connection: the remote's revision, and a fetch only when it differs from the one checked
/// out in `dir` (the cache repository keeps what earlier fetches brought). A semver range is
/// resolved to its highest matching tag first. Returns the name shown in revisions (branch or
/// tag), the commit and the checkout.
fn checkout(
    url: &str,
    wanted: Wanted,
    dir: &Path,
    auth: &source::Auth,
) -> Result<(String, String, PathBuf), source::SourceError> {
    let (label, reference) = match wanted {
        Wanted::Ref(label, reference) => (label, reference),
        Wanted::Semver(range) => source::latest_tag(url, &range, auth)?,
    };
    let tree = dir.join("tree");
    let marker = dir.join("revision");
    let have = std::fs::read_to_string(&marker).ok();
    std::fs::create_dir_all(dir).map_err(|e| source::SourceError::Write {
        path: dir.to_owned(),
        source: e,
    })?;
    let update = source::update(
        url,
        &reference,
        &dir.join("repo"),
        &tree,
        have.as_deref(),
        auth,
    )?;
    let checkout = match update {
        source::Update::Unchanged(revision) => return Ok((label, revision, tree)),
        source::Update::Fetched(checkout) => checkout,
    };
    if !checkout.shallow {
        info!(
            url = %redact_urls(url),
            "the server ignored the fetch depth; the whole history was fetched"
        );
    }
    std::fs::write(&marker, &checkout.revision).map_err(|e| source::SourceError::Write {
        path: marker.clone(),
        source: e,
    })?;
    Ok((label, checkout.revision, tree))
}

fn failed(reason: &'static str, message: String) -> Outcome {
    Outcome::Failed { reason, message }
}

fn duration(text: Option<&str>, fallback: Duration) -> Duration {
    text.and_then(|t| crate::cli::parse_duration(t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(fallback)
}

async fn publish(ctx: &Context, gs: &GitSync, outcome: &Outcome) {
    let (type_, reason, note) = match outcome {
        Outcome::Applied { message, .. } => (EventType::Normal, "ReconciliationSucceeded", message),
        Outcome::Failed { reason, message } | Outcome::Stalled { reason, message } => {
            (EventType::Warning, *reason, message)
        }
    };
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1000).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&event, &gs.object_ref(&())).await {
        warn!(error = %e, "cannot record an event");
    }
}
