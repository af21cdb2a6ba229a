//! Drift: what each GitSync last applied, and what the cluster holds now.
//!
//! For every kind a GitSync applies, one metadata-only watch (label `sealsync.io/owned-by`,
//! cluster-wide) keeps the live state of every managed object ([`state_of`]: its spec
//! generation with its labels and annotations where the API tracks a generation, else its
//! `resourceVersion`, so a status write is not drift). After an apply the reconciler records,
//! per object, a hash of what it applied and the state it left. Then:
//! - a change to a managed object (an edit, a delete) no longer matches its record, and its
//!   GitSync is triggered at once, without waiting for the interval;
//! - a run whose revision is unchanged and whose objects all still match skips the render and
//!   the API entirely: no dry run, no write;
//! - an object whose record matches is skipped without a request, even in a run that applies
//!   others.
//!
//! Nothing here is trusted before its watch has listed once; until then every object is
//! planned against the API.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, PartialObjectMeta};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::{self, Event, watcher};
use kube::{Client, ResourceExt};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tracing::{debug, info};

use super::apply::OWNER_LABEL;
use crate::api::gitsync::GitSync;

/// An object, as the watches see it: group, kind, namespace (empty if none), name.
pub type LiveKey = (String, String, String, String);

/// What one GitSync applied: the revision, the spec generation, and per object the hash of its
/// desired body and the state ([`state_of`]) it had afterwards.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The revision, `main@sha1:<hex>`.
    pub revision: String,
    /// The GitSync's `metadata.generation` when it was applied.
    pub generation: i64,
    /// Per object: (hash of the desired body, state after the apply).
    pub objects: HashMap<LiveKey, (u64, String)>,
}

#[derive(Default)]
struct State {
    /// Kinds watched: (group, kind); and whether each has listed once.
    watched: HashMap<(String, String), bool>,
    /// Live states ([`state_of`]) of the managed objects.
    live: HashMap<LiveKey, String>,
    /// Per GitSync (`namespace.name`), what it last applied.
    applied: HashMap<String, Applied>,
}

/// The shared drift tracker.
pub struct Drift {
    client: Client,
    state: Mutex<State>,
    trigger: mpsc::UnboundedSender<ObjectRef<GitSync>>,
    /// Turns true when this replica's duty ends: every watch stops with it.
    stopped: watch::Receiver<bool>,
}

impl Drift {
    /// A tracker whose watches run until `stopped` turns true; the receiver yields the GitSyncs
    /// to reconcile because their objects drifted.
    pub fn new(
        client: Client,
        stopped: watch::Receiver<bool>,
    ) -> (Arc<Drift>, mpsc::UnboundedReceiver<ObjectRef<GitSync>>) {
        let (trigger, rx) = mpsc::unbounded_channel();
        let drift = Drift {
            client,
            state: Mutex::new(State::default()),
            trigger,
            stopped,
        };
        (Arc::new(drift), rx)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts watching a kind, once.
    pub fn watch(self: &Arc<Self>, ar: &ApiResource) {
        let kind = (ar.group.clone(), ar.kind.clone());
        // One lock for the check and the insert: objects of a kind are applied concurrently.
        match self.state().watched.entry(kind.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => return,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(false);
            }
        }
        let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(self.client.clone(), ar);
        let config = watcher::Config::default().labels(OWNER_LABEL);
        let this = Arc::clone(self);
        let mut stopped = self.stopped.clone();
        info!(group = %kind.0, kind = %kind.1, "watching managed objects for drift");
        tokio::spawn(async move {
            let mut stream = watcher(api, config).boxed();
            let mut listing: Option<HashMap<LiveKey, String>> = None;
            loop {
                let event = tokio::select! {
                    _ = stopped.wait_for(|s| *s) => break,
                    event = stream.next() => event,
                };
                match event {
                    Some(Ok(event)) => this.on_event(&kind, event, &mut listing),
                    Some(Err(e)) => {
                        debug!(error = %e, kind = %kind.1, "drift watch error; retrying");
                    }
                    None => break,
                }
            }
        });
    }

    fn on_event(
        &self,
        kind: &(String, String),
        event: Event<PartialObjectMeta<DynamicObject>>,
        listing: &mut Option<HashMap<LiveKey, String>>,
    ) {
        match event {
            Event::Init => *listing = Some(HashMap::new()),
            Event::InitApply(object) => {
                if let Some(listing) = listing.as_mut() {
                    let (key, version) = live_of(kind, &object);
                    listing.insert(key, version);
                }
            }
            Event::InitDone => {
                let fresh = listing.take().unwrap_or_default();
                let mut state = self.state();
                state.live.retain(|k, _| k.0 != kind.0 || k.1 != kind.1);
                state.live.extend(fresh);
                state.watched.insert(kind.clone(), true);
                let drifted = drifted_owners(&state, kind);
                drop(state);
                drifted.into_iter().for_each(|o| self.send(&o));
            }
            Event::Apply(object) => {
                let (key, version) = live_of(kind, &object);
                let owner = owner_of(&object);
                let mut state = self.state();
                state.live.insert(key.clone(), version.clone());
                let moved = owner
                    .as_ref()
                    .and_then(|o| state.applied.get(o))
                    .and_then(|a| a.objects.get(&key))
                    .is_some_and(|(_, recorded)| *recorded != version);
                drop(state);
                if moved && let Some(owner) = owner {
                    debug!(object = ?key, "a managed object changed");
                    self.send(&owner);
                }
            }
            Event::Delete(object) => {
                let (key, _) = live_of(kind, &object);
                let owner = owner_of(&object);
                let recorded = {
                    let mut state = self.state();
                    state.live.remove(&key);
                    owner
                        .as_ref()
                        .and_then(|o| state.applied.get(o))
                        .is_some_and(|a| a.objects.contains_key(&key))
                };
                if recorded && let Some(owner) = owner {
                    debug!(object = ?key, "a managed object was deleted");
                    self.send(&owner);
                }
            }
        }
    }

    fn send(&self, owner: &str) {
        if let Some((ns, name)) = owner.split_once('.') {
            let _ = self.trigger.send(ObjectRef::new(name).within(ns));
        }
    }

    /// The recorded state, if the object still is as recorded: same desired hash, and the live
    /// state the apply left (the kind's watch has listed). `None` when it changed or
    /// nothing is known.
    pub fn unchanged(&self, owner: &str, key: &LiveKey, hash: u64) -> Option<String> {
        let state = self.state();
        let (recorded_hash, recorded_version) =
            state.applied.get(owner).and_then(|a| a.objects.get(key))?;
        (*recorded_hash == hash
            && state.watched.get(&(key.0.clone(), key.1.clone())) == Some(&true)
            && state.live.get(key) == Some(recorded_version))
        .then(|| recorded_version.clone())
    }

    /// Whether the object surely does not exist with our label: its kind's watch has listed and
    /// holds no such object. (An object without the label may exist; applying it is an upsert
    /// either way, so the read before the write can be skipped.)
    pub fn known_absent(&self, key: &LiveKey) -> bool {
        let state = self.state();
        state.watched.get(&(key.0.clone(), key.1.clone())) == Some(&true)
            && !state.live.contains_key(key)
    }

    /// Waits, at most `limit`, until the kind's watch has listed once.
    pub async fn wait_listed(&self, ar: &ApiResource, limit: std::time::Duration) {
        let kind = (ar.group.clone(), ar.kind.clone());
        let deadline = tokio::time::Instant::now() + limit;
        while self.state().watched.get(&kind) != Some(&true) {
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Whether a whole run can be skipped: the same revision and generation were applied, and
    /// every object still is as recorded.
    pub fn settled(&self, owner: &str, revision: &str, generation: i64) -> bool {
        let state = self.state();
        let Some(applied) = state.applied.get(owner) else {
            return false;
        };
        applied.revision == revision
            && applied.generation == generation
            && applied.objects.iter().all(|(key, (_, version))| {
                state.watched.get(&(key.0.clone(), key.1.clone())) == Some(&true)
                    && state.live.get(key) == Some(version)
            })
    }

    /// Records a finished run.
    pub fn record(&self, owner: &str, applied: Applied) {
        self.state().applied.insert(owner.to_owned(), applied);
    }

    /// Forgets a GitSync (a failed run: everything is planned again next time).
    pub fn forget(&self, owner: &str) {
        self.state().applied.remove(owner);
    }
}

/// The GitSyncs with an object of `kind` whose live version left its record.
fn drifted_owners(state: &State, kind: &(String, String)) -> HashSet<String> {
    state
        .applied
        .iter()
        .filter(|(_, applied)| {
            applied.objects.iter().any(|(key, (_, version))| {
                kind.0 == key.0 && kind.1 == key.1 && state.live.get(key) != Some(version)
            })
        })
        .map(|(owner, _)| owner.clone())
        .collect()
}

fn live_of(
    kind: &(String, String),
    object: &PartialObjectMeta<DynamicObject>,
) -> (LiveKey, String) {
    (
        (
            kind.0.clone(),
            kind.1.clone(),
            object.namespace().unwrap_or_default(),
            object.name_any(),
        ),
        state_of(&object.metadata),
    )
}

/// What the watches compare to notice drift. Where the API tracks a spec generation, the
/// object's uid and generation with a hash of its labels and annotations (those its cluster's
/// controllers write aside): a status write changes none of them, so a Deployment rolling out,
/// or a SealedSecret its controller just unsealed, does not set off a run (and a fetch), while
/// an edit of the spec or the metadata, or a delete and re-create, does. Elsewhere (ConfigMaps,
/// Secrets, ...), the `resourceVersion`.
pub fn state_of(meta: &ObjectMeta) -> String {
    match meta.generation {
        Some(generation) if generation > 0 => {
            let mut hasher = DefaultHasher::new();
            meta.labels.hash(&mut hasher);
            meta.annotations
                .iter()
                .flatten()
                .filter(|(key, _)| !CONTROLLER_ANNOTATIONS.contains(&key.as_str()))
                .for_each(|pair| pair.hash(&mut hasher));
            format!(
                "uid {}, generation {generation}, metadata {:016x}",
                meta.uid.as_deref().unwrap_or_default(),
                hasher.finish()
            )
        }
        _ => meta.resource_version.clone().unwrap_or_default(),
    }
}

/// Annotations the cluster's own controllers write on objects we apply, never in Git: the
/// Deployment controller's revision counter changes with every rollout.
const CONTROLLER_ANNOTATIONS: &[&str] = &["deployment.kubernetes.io/revision"];

fn owner_of(object: &PartialObjectMeta<DynamicObject>) -> Option<String> {
    object.labels().get(OWNER_LABEL).cloned()
}

/// The hash of a desired body, to notice that Git changed an object.
pub fn hash_of(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(
        uid: &str,
        generation: Option<i64>,
        version: &str,
        annotations: &[(&str, &str)],
    ) -> ObjectMeta {
        ObjectMeta {
            uid: Some(uid.into()),
            generation,
            resource_version: Some(version.into()),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn the_state_moves_with_the_spec_the_metadata_and_the_uid_not_the_status() {
        let applied = state_of(&meta("u1", Some(2), "10", &[("team", "a")]));
        // A status write: a new resourceVersion, nothing else.
        assert_eq!(
            state_of(&meta("u1", Some(2), "11", &[("team", "a")])),
            applied
        );
        // The Deployment controller's revision counter.
        let revised = meta(
            "u1",
            Some(2),
            "12",
            &[("team", "a"), ("deployment.kubernetes.io/revision", "3")],
        );
        assert_eq!(state_of(&revised), applied);
        // A spec edit, an annotation edit, a delete and re-create.
        assert_ne!(
            state_of(&meta("u1", Some(3), "13", &[("team", "a")])),
            applied
        );
        assert_ne!(
            state_of(&meta("u1", Some(2), "13", &[("team", "b")])),
            applied
        );
        assert_ne!(
            state_of(&meta("u2", Some(2), "13", &[("team", "a")])),
            applied
        );
        // No generation (a ConfigMap): every write counts.
        assert_eq!(state_of(&meta("u1", None, "14", &[])), "14");
    }
}
