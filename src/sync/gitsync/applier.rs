//! Applies one rendered revision, stage by stage: CRDs and Namespaces (then waits until they
//! are Established), SealedSecrets (then waits until they are Ready, so their Secrets exist
//! before anything mounts them), then the rest in a stable kind order, and last waits for the
//! workloads this run touched to be healthy.
//!
//! Within a stage, the objects of one kind are handled concurrently, at most [`CONCURRENCY`] at a
//! time. An object whose record in [`Drift`] still matches is skipped without a request; one the
//! kind's drift watch shows absent is applied at once (the apply is the check); others are read,
//! planned with a server-side dry run and written only if they differ.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::DeleteParams;
use serde_json::Value;
use tracing::warn;

use crate::sync::apply::{ApplyError, Change, Engine, stages};
use crate::sync::drift::{Drift, LiveKey, hash_of, state_of};
use crate::sync::health::{Health, assess};
use crate::sync::inventory::Entry;
use crate::sync::render::{ObjectKey, Rendered};

/// Objects of one kind applied at once.
pub const CONCURRENCY: usize = 16;

/// One object after a run.
#[derive(Debug, Clone)]
pub struct Done {
    /// Its inventory entry.
    pub entry: Entry,
    /// Its key for the drift tracker.
    pub live: LiveKey,
    /// The hash of its desired body.
    pub hash: u64,
    /// Its state afterwards ([`state_of`]).
    pub state: String,
    /// Whether this run wrote it.
    pub changed: bool,
    /// The object as last seen, when this run read or wrote it.
    pub value: Option<Value>,
}

/// How to apply: the engine, the tracker and the GitSync's settings.
pub struct Applier<'a> {
    /// The engine.
    pub engine: &'a Engine,
    /// The drift tracker.
    pub drift: &'a Arc<Drift>,
    /// `namespace.name` of the GitSync.
    pub owner: &'a str,
    /// `spec.force`.
    pub force: bool,
    /// `spec.timeout`: the bound of each wait.
    pub timeout: Duration,
}

impl Applier<'_> {
    /// Applies every stage; what was done, or a message naming the object that failed.
    pub async fn run(&self, objects: Vec<Rendered>) -> Result<Vec<Done>, String> {
        self.preflight(&objects).await?;
        let mut done = Vec::with_capacity(objects.len());
        for (stage, list) in stages::plan(objects) {
            let mut touched = Vec::new();
            for batch in by_kind(list) {
                // The kind's drift watch lists first, so objects that surely do not exist yet
                // are applied without a read.
                if let Some(first) = batch.first()
                    && let Ok((ar, _)) = self.engine.resource_of(first).await
                {
                    self.drift.watch(&ar);
                    self.drift.wait_listed(&ar, Duration::from_secs(2)).await;
                }
                let pending: Vec<_> = batch.iter().map(|object| self.one(object)).collect();
                let results: Vec<Result<Done, String>> =
                    stream::iter(pending).buffered(CONCURRENCY).collect().await;
                for (result, object) in results.into_iter().zip(&batch) {
                    let d = result?;
                    if d.value.is_some() {
                        touched.push((object.clone(), d.value.clone()));
                    }
                    done.push(d);
                }
                if stage == stages::Stage::Definitions {
                    self.engine.forget_kinds();
                }
            }
            let condition = match stage {
                stages::Stage::Definitions => "Established",
                stages::Stage::Secrets => "Ready",
                stages::Stage::Workloads => "healthy",
            };
            self.wait_ready(&touched, condition).await?;
        }
        Ok(done)
    }

    /// Before anything is written: every object's kind is served by the cluster, or defined by
    /// a CRD of the same revision. A revision with an unknown kind changes nothing.
    async fn preflight(&self, objects: &[Rendered]) -> Result<(), String> {
        let defined = stages::defined_kinds(objects);
        for object in objects {
            let key = &object.key;
            if defined.contains(&(key.group.clone(), key.kind.clone())) {
                continue;
            }
            if let Err(e @ ApplyError::UnknownKind { .. }) = self.engine.resource_of(object).await {
                return Err(format!(
                    "{e} (from {}); nothing was applied or pruned",
                    object.origin
                ));
            }
        }
        Ok(())
    }

    /// Skips, plans or applies one object.
    async fn one(&self, object: &Rendered) -> Result<Done, String> {
        let hint = |e: ApplyError| format!("{e}. Hint: {}", e.hint());
        let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
        // The batch started the kind's drift watch (`run`).
        let (_, key) = self.engine.resource_of(object).await.map_err(hint)?;
        let live = live_key(&key);
        let hash = hash_of(&object.value);
        let entry = Entry::of(&key, api_version);
        if let Some(state) = self.drift.unchanged(self.owner, &live, hash) {
            return Ok(Done {
                entry,
                live,
                hash,
                state,
                changed: false,
                value: None,
            });
        }
        let (changed, value) = if self.drift.known_absent(&live) {
            self.create(object).await.map_err(hint)?
        } else {
            self.apply_one(object).await.map_err(hint)?
        };
        let state = serde_json::from_value(value["metadata"].clone())
            .map(|meta| state_of(&meta))
            .unwrap_or_default();
        Ok(Done {
            entry,
            live,
            hash,
            state,
            changed,
            value: Some(value),
        })
    }

    /// Plans and, if it differs, applies one object; with `force`, an object whose fields the API
    /// refuses is deleted and created again. Whether it changed, and the object afterwards.
    async fn apply_one(&self, object: &Rendered) -> Result<(bool, Value), ApplyError> {
        let engine = self.engine;
        let planned = match engine.plan_quick(object).await {
            Err(ApplyError::Refused { .. }) if self.force => {
                return self.recreate(object).await.map(|v| (true, v));
            }
            other => other?,
        };
        if planned.change == Change::Unchanged {
            return Ok((false, planned.live.unwrap_or_default()));
        }
        match engine.apply(object).await {
            Err(ApplyError::Refused { .. }) if self.force => {
                self.recreate(object).await.map(|v| (true, v))
            }
            Err(e) => Err(e),
            Ok(v) => Ok((true, v)),
        }
    }

    /// Applies an object that does not exist yet: the apply is the check.
    async fn create(&self, object: &Rendered) -> Result<(bool, Value), ApplyError> {
        match self.engine.apply(object).await {
            Err(ApplyError::Refused { .. }) if self.force => {
                self.recreate(object).await.map(|v| (true, v))
            }
            other => other.map(|v| (true, v)),
        }
    }

    async fn recreate(&self, object: &Rendered) -> Result<Value, ApplyError> {
        let engine = self.engine;
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
        engine.apply(object).await
    }

    /// Waits, at most `timeout`, until every object this stage wrote or read reports the
    /// condition (CRDs: Established; SealedSecrets: Ready; workloads: healthy); the message names
    /// the one still waiting and why. Namespaces are ready once applied.
    async fn wait_ready(
        &self,
        touched: &[(Rendered, Option<Value>)],
        condition: &str,
    ) -> Result<(), String> {
        let deadline = Instant::now() + self.timeout;
        for (object, seen) in touched.iter().filter(|(o, _)| o.key.kind != "Namespace") {
            if seen
                .as_ref()
                .is_some_and(|v| health(v, condition) == Health::Ready)
            {
                continue;
            }
            let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
            let key = self
                .engine
                .key_of(object)
                .await
                .map_err(|e| e.to_string())?;
            let api = self
                .engine
                .api_for(api_version, &key)
                .await
                .map_err(|e| e.to_string())?;
            loop {
                let live = api.get_opt(&key.name).await.ok().flatten();
                let state = match live.map(|o| serde_json::to_value(o).unwrap_or_default()) {
                    Some(v) => self.health_of(&v, condition).await,
                    None => Health::InProgress("not created yet".into()),
                };
                match state {
                    Health::Ready => break,
                    Health::Failed(why) => return Err(format!("{key} is not {condition}: {why}")),
                    Health::InProgress(why) if Instant::now() >= deadline => {
                        return Err(format!(
                            "{key} is not {condition} after {}s: {why}",
                            self.timeout.as_secs()
                        ));
                    }
                    Health::InProgress(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Ok(())
    }

    /// [`health`], and for a SealedSecret whose controller writes no status at all (Bitnami's
    /// with `--update-status=false`, or older than 0.17): ready once the Secret it owns exists.
    async fn health_of(&self, object: &Value, condition: &str) -> Health {
        let verdict = health(object, condition);
        let silent = object["kind"] == "SealedSecret" && object["status"]["conditions"].is_null();
        if verdict != Health::Ready && silent && self.owned_secret_exists(object).await {
            return Health::Ready;
        }
        verdict
    }

    /// Whether the Secret of the same name exists and is owned by this SealedSecret (its uid).
    async fn owned_secret_exists(&self, sealed: &Value) -> bool {
        let meta = &sealed["metadata"];
        let (Some(ns), Some(name), Some(uid)) = (
            meta["namespace"].as_str(),
            meta["name"].as_str(),
            meta["uid"].as_str(),
        ) else {
            return false;
        };
        let secrets: Api<Secret> = Api::namespaced(self.engine.client().clone(), ns);
        secrets
            .get_opt(name)
            .await
            .ok()
            .flatten()
            .and_then(|s| s.metadata.owner_references)
            .is_some_and(|owners| owners.iter().any(|o| o.uid == uid))
    }
}

fn health(object: &Value, condition: &str) -> Health {
    if condition == "Established" {
        established(object)
    } else {
        assess(object)
    }
}

fn established(crd: &Value) -> Health {
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

/// The objects of a stage in runs of one kind, keeping their order.
fn by_kind(list: Vec<Rendered>) -> Vec<Vec<Rendered>> {
    let mut batches: Vec<Vec<Rendered>> = Vec::new();
    for object in list {
        match batches.last_mut() {
            Some(batch) if batch[0].key.kind == object.key.kind => batch.push(object),
            _ => batches.push(vec![object]),
        }
    }
    batches
}

/// The drift tracker's key of an applied object.
pub fn live_key(key: &ObjectKey) -> LiveKey {
    (
        key.group.clone(),
        key.kind.clone(),
        key.namespace.clone().unwrap_or_default(),
        key.name.clone(),
    )
}
