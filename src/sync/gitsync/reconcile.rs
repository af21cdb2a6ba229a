//! One run of one GitSync: fetch (skipped when ls-remote shows the revision already checked
//! out), render, apply by stage (waiting for CRDs to be Established and SealedSecrets to be
//! Ready before the workloads that use them), prune what left Git under the safety rules, and
//! report. A failed fetch or render applies and prunes nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::Api;
use kube::Resource;
use kube::api::DeleteParams;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use tracing::{info, warn};

use super::Context;
use super::status::{self, Outcome};
use crate::api::gitsync::{GitSync, check_url};
use crate::sync::apply::{ApplyError, Change, Engine, OWNER_LABEL, stages};
use crate::sync::health::{Health, assess};
use crate::sync::inventory::{Entry, Inventory};
use crate::sync::prune::{self, Candidate, Run, Verdict};
use crate::sync::render::{self, ObjectKey, RenderError, Rendered};
use crate::sync::source;

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
        return Ok(Action::requeue(interval));
    }
    let started = Instant::now();
    let (outcome, attempted, inventory) = run_once(&gs, &ctx).await;
    info!(gitsync = %format!("{ns}/{name}"), elapsed_ms = started.elapsed().as_millis() as u64, ?outcome, "GitSync reconciled");
    let now = crate::api::now_rfc3339();
    let api: Api<GitSync> = Api::namespaced(ctx.client.clone(), &ns);
    let previous_message = gs
        .status
        .as_ref()
        .and_then(|s| s.conditions.first())
        .and_then(|c| c.message.clone());
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

type Run3 = (
    Outcome,
    Option<String>,
    Option<std::collections::BTreeMap<String, Vec<String>>>,
);

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
    let (branch, reference) = match reference(gs) {
        Ok(r) => r,
        Err(outcome) => return (outcome, None, None),
    };
    let dir = ctx
        .cache_dir
        .join(gs.metadata.namespace.as_deref().unwrap_or_default())
        .join(gs.metadata.name.as_deref().unwrap_or_default());
    let url = gs.spec.url.clone();
    let fetched = tokio::task::spawn_blocking(move || checkout(&url, &reference, &dir)).await;
    let (hex, tree) = match fetched {
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
    let path = gs.spec.path.clone().unwrap_or_default();
    let objects = match render::render(&tree, &path) {
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
    let owner = format!("{ns}.{}", gs.metadata.name.as_deref().unwrap_or_default());
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
    let (entries, changed) = match apply_stages(&engine, objects, gs.spec.force, timeout).await {
        Ok(done) => done,
        Err(message) => {
            return (
                failed("ApplyFailed", format!("revision {revision}: {message}")),
                attempted,
                None,
            );
        }
    };
    let current = Inventory::new(entries);
    let previous = gs
        .status
        .as_ref()
        .map(|s| Inventory::from_status(&s.inventory).0)
        .unwrap_or_default();
    let run = Run {
        fetched: true,
        rendered: true,
        objects: count,
        allow_empty: gs.spec.allow_empty,
        prune: gs.spec.prune,
    };
    let (pruned, kept) = match prune::may_prune(run) {
        Ok(()) => prune_stale(&engine, previous.stale(&current), &owner).await,
        Err(_) => (0, previous.stale(&current)),
    };
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
    (
        Outcome::Applied { revision, message },
        attempted,
        Some(inventory.to_status()),
    )
}

/// Applies every stage; the entries applied and how many changed, or a message naming the
/// object that failed.
async fn apply_stages(
    engine: &Engine,
    objects: Vec<Rendered>,
    force: bool,
    timeout: Duration,
) -> Result<(Vec<Entry>, usize), String> {
    let mut entries = Vec::new();
    let mut changed = 0;
    for (stage, list) in stages::plan(objects) {
        for object in &list {
            if apply_one(engine, object, force)
                .await
                .map_err(|e| format!("{e}. Hint: {}", e.hint()))?
            {
                changed += 1;
            }
            let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
            let key = engine.key_of(object).await.map_err(|e| e.to_string())?;
            entries.push(Entry::of(&key, api_version));
        }
        match stage {
            stages::Stage::Definitions => {
                engine.forget_kinds();
                wait_ready(engine, &list, timeout, "Established").await?;
            }
            stages::Stage::Secrets => wait_ready(engine, &list, timeout, "Ready").await?,
            stages::Stage::Workloads => {}
        }
    }
    Ok((entries, changed))
}

/// Plans and, if it differs, applies one object; with `force`, an object whose fields the API
/// refuses is deleted and created again. True if it changed.
async fn apply_one(engine: &Engine, object: &Rendered, force: bool) -> Result<bool, ApplyError> {
    let planned = match engine.plan(object).await {
        Err(ApplyError::Refused { .. }) if force => {
            return recreate(engine, object).await.map(|()| true);
        }
        other => other?,
    };
    if planned.change == Change::Unchanged {
        return Ok(false);
    }
    match engine.apply(object).await {
        Err(ApplyError::Refused { .. }) if force => recreate(engine, object).await.map(|()| true),
        Err(e) => Err(e),
        Ok(_) => Ok(true),
    }
}

async fn recreate(engine: &Engine, object: &Rendered) -> Result<(), ApplyError> {
    let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
    let key = engine.key_of(object).await?;
    let api = engine.api_for(api_version, &key).await?;
    let name = &key.name;
    warn!(object = %key, "the API refuses the change; force: deleting and creating it again");
    let _ = api.delete(name, &DeleteParams::foreground()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while api.get_opt(name).await.ok().flatten().is_some() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    engine.apply(object).await.map(|_| ())
}

/// Waits until every object of the stage reports the condition (CRDs: Established; SealedSecrets:
/// Ready), at most `timeout`; the message names the one still waiting.
async fn wait_ready(
    engine: &Engine,
    list: &[Rendered],
    timeout: Duration,
    condition: &str,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    for object in list.iter().filter(|o| o.key.kind != "Namespace") {
        let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
        let key = engine.key_of(object).await.map_err(|e| e.to_string())?;
        let api = engine
            .api_for(api_version, &key)
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let live = api
                .get_opt(&object.key.name)
                .await
                .ok()
                .flatten()
                .map(|o| serde_json::to_value(o).unwrap_or_default());
            let health = match &live {
                Some(v) if condition == "Established" => established(v),
                Some(v) => assess(v),
                None => Health::InProgress("not created yet".into()),
            };
            match health {
                Health::Ready => break,
                Health::Failed(why) => {
                    return Err(format!("{} is not {condition}: {why}", object.key));
                }
                Health::InProgress(why) if Instant::now() >= deadline => {
                    return Err(format!(
                        "{} is not {condition} after {}s: {why}",
                        object.key,
                        timeout.as_secs()
                    ));
                }
                Health::InProgress(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    Ok(())
}

fn established(crd: &serde_json::Value) -> Health {
    let ok = crd["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Established" && c["status"] == "True");
    if ok {
        Health::Ready
    } else {
        Health::InProgress("the CRD is not Established yet".into())
    }
}

/// Prunes the stale entries; returns how many were deleted and the entries kept for a retry.
async fn prune_stale(engine: &Engine, stale: Vec<Entry>, owner: &str) -> (usize, Vec<Entry>) {
    let mut deleted = 0;
    let mut kept = Vec::new();
    // Reverse stage order: workloads first, namespaces and CRDs last.
    let mut stale = stale;
    stale.sort_by_key(|e| {
        std::cmp::Reverse(matches!(
            e.kind.as_str(),
            "Namespace" | "CustomResourceDefinition"
        ))
    });
    stale.reverse();
    for entry in stale {
        match prune_one(engine, &entry, owner).await {
            Ok(Verdict::Delete) => deleted += 1,
            Ok(Verdict::NamespaceInUse) | Err(_) => kept.push(entry),
            Ok(Verdict::Gone | Verdict::NotOurs | Verdict::OptedOut) => {}
        }
    }
    (deleted, kept)
}

async fn prune_one(engine: &Engine, entry: &Entry, owner: &str) -> Result<Verdict, ApplyError> {
    let key = ObjectKey {
        group: entry
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g.to_owned())
            .unwrap_or_default(),
        kind: entry.kind.clone(),
        namespace: (!entry.namespace.is_empty()).then(|| entry.namespace.clone()),
        name: entry.name.clone(),
    };
    let api = engine.api_for(&entry.api_version, &key).await?;
    let live = api
        .get_opt(&entry.name)
        .await
        .map_err(|e| ApplyError::Api {
            key: key.clone(),
            what: "reading",
            detail: e.to_string(),
            code: None,
        })?;
    let labels = live
        .as_ref()
        .map(|o| o.metadata.labels.clone().unwrap_or_default());
    let unmanaged_inside = if entry.kind == "Namespace" && live.is_some() {
        unmanaged_in(engine, &entry.name, owner).await
    } else {
        0
    };
    let verdict = prune::decide(
        Candidate {
            labels: labels.as_ref(),
            unmanaged_inside,
        },
        owner,
    );
    if verdict == Verdict::Delete {
        info!(object = %key, "pruning: removed from Git");
        api.delete(&entry.name, &DeleteParams::background())
            .await
            .map_err(|e| ApplyError::Api {
                key: key.clone(),
                what: "deleting",
                detail: e.to_string(),
                code: None,
            })?;
    }
    Ok(verdict)
}

/// How many objects of common kinds in `namespace` this GitSync does not manage (the default
/// ServiceAccount and the root CA ConfigMap, which every namespace has, do not count).
async fn unmanaged_in(engine: &Engine, namespace: &str, owner: &str) -> usize {
    let kinds = [
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        ("v1", "Pod"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
    ];
    let mut count = 0;
    for (api_version, kind) in kinds {
        let key = ObjectKey {
            group: String::new(),
            kind: kind.into(),
            namespace: Some(namespace.into()),
            name: String::new(),
        };
        let Ok(api) = engine.api_for(api_version, &key).await else {
            continue;
        };
        // Metadata is all the count needs: a Secret's values are never read here.
        let Ok(list) = api.list_metadata(&Default::default()).await else {
            count += 1; // cannot tell: assume in use
            continue;
        };
        count += list
            .items
            .iter()
            .filter(|o| {
                let name = o.metadata.name.as_deref().unwrap_or_default();
                let builtin = (kind == "ServiceAccount" && name == "default")
                    || (kind == "ConfigMap" && name == "kube-root-ca.crt");
                let ours = o
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(OWNER_LABEL))
                    .is_some_and(|v| v == owner);
                !builtin && !ours
            })
            .count();
    }
    count
}

/// The branch or tag to follow, and its full ref name; what is not built yet is Stalled.
fn reference(gs: &GitSync) -> Result<(String, String), Outcome> {
    let r = gs.spec.r#ref.clone().unwrap_or_default();
    let unsupported = |what: &str| Outcome::Stalled {
        reason: "UnsupportedRef",
        message: format!("spec.ref.{what} is not supported yet; follow a branch or a tag"),
    };
    match (r.branch, r.tag, r.semver, r.commit) {
        (_, _, Some(_), _) => Err(unsupported("semver")),
        (_, _, _, Some(_)) => Err(unsupported("commit")),
        (_, Some(tag), None, None) => Ok((tag.clone(), format!("refs/tags/{tag}"))),
        (branch, None, None, None) => {
            let branch = branch.unwrap_or_else(|| "main".into());
            Ok((branch.clone(), format!("refs/heads/{branch}")))
        }
    }
}

/// ls-remote, and a fetch only when the revision differs from the one checked out in `dir`.
fn checkout(
    url: &str,
    reference: &str,
    dir: &Path,
) -> Result<(String, PathBuf), source::SourceError> {
    let revision = source::remote_revision(url, reference)?;
    let tree = dir.join("tree");
    let marker = dir.join("revision");
    let have = std::fs::read_to_string(&marker).ok();
    if have.as_deref() == Some(revision.as_str()) && tree.is_dir() {
        return Ok((revision, tree));
    }
    std::fs::create_dir_all(dir).map_err(|e| source::SourceError::Write {
        path: dir.to_owned(),
        source: e,
    })?;
    let checkout = source::fetch(url, reference, &tree)?;
    if !checkout.shallow {
        info!(
            url,
            "the server ignored the fetch depth; the whole history was fetched"
        );
    }
    std::fs::write(&marker, &checkout.revision).map_err(|e| source::SourceError::Write {
        path: marker.clone(),
        source: e,
    })?;
    Ok((checkout.revision, tree))
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
