//! The object store: every object in memory behind one lock, one cluster-wide resourceVersion
//! counter, the watch hub, indexes (uid, owner) and optional persistence. Reads clone `Arc`s under
//! the lock; writes run whole (read-modify-write, GC cascades) under it and then wait for
//! durability outside it.

mod admission;
mod crd_lifecycle;
mod delete;
mod gc;
mod list;
mod validate;
mod workloads;
mod write;

pub use delete::{DeleteOptions, DeleteOutcome, Propagation};
pub use list::{ContinueToken, ListFrom};
pub use write::{ManagerOp, WriteCtx};

use crate::persist::{Durability, Loaded, Persister, Record};
use crate::registry::{Registry, ResourceKey, ResourceType};
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::watch::{Delivery, Event, EventType, WatchFilter, WatchHub, WatchStart};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};

/// Identifies one stored object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub key: ResourceKey,
    pub namespace: String,
    pub name: String,
}

type Objects = BTreeMap<(String, String), Arc<Value>>;

/// What a list or watch selects.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Query {
    pub fn filter(&self) -> WatchFilter {
        WatchFilter {
            namespace: self.namespace.clone(),
            labels: self.labels.clone(),
            fields: self.fields.clone(),
        }
    }
}

/// Tuning knobs.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    pub watch_history: usize,
    pub watch_queue: usize,
    /// Log records between snapshots.
    pub snapshot_every: usize,
    /// Report workloads as rolled out (see `workloads`).
    pub simulate_workloads: bool,
    /// How long a new CRD stays un-established (see `crd_lifecycle`); None or zero: at once.
    pub crd_establish_delay: Option<std::time::Duration>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            watch_history: 10_000,
            watch_queue: 4096,
            snapshot_every: 20_000,
            simulate_workloads: false,
            crd_establish_delay: None,
        }
    }
}

/// Everything behind the lock.
pub struct State {
    pub registry: Registry,
    objects: HashMap<ResourceKey, Objects>,
    uids: HashMap<String, ObjRef>,
    /// owner uid -> dependents.
    dependents: HashMap<String, BTreeSet<ObjRef>>,
    rv: u64,
    pub hub: WatchHub,
    persister: Option<Persister>,
    records_since_snapshot: usize,
    snapshot_every: usize,
    simulate_workloads: bool,
    crd_establish_delay: Option<std::time::Duration>,
    /// CRDs waiting to be established, and when.
    establishing: Vec<(std::time::Instant, ObjRef, String)>,
    pending_ack: Option<oneshot::Receiver<Durability>>,
}

impl State {
    pub fn new(config: StoreConfig, persister: Option<Persister>) -> Self {
        State {
            registry: Registry::with_builtins(),
            objects: HashMap::new(),
            uids: HashMap::new(),
            dependents: HashMap::new(),
            rv: 0,
            hub: WatchHub::new(config.watch_history, config.watch_queue),
            persister,
            records_since_snapshot: 0,
            snapshot_every: config.snapshot_every.max(1),
            simulate_workloads: config.simulate_workloads,
            crd_establish_delay: config.crd_establish_delay,
            establishing: Vec::new(),
            pending_ack: None,
        }
    }

    /// Replays persisted records (CRDs register as they are replayed).
    pub fn replay(&mut self, loaded: Loaded) {
        for mut rec in loaded.records {
            if rec.group == "events.k8s.io" && rec.plural == "events" {
                // Older data directories kept events.k8s.io Events apart; they join the one
                // Event store now.
                rec.group = String::new();
                rec.object = rec.object.map(|o| crate::events_view::to_core(&o));
            }
            let key = ResourceKey {
                group: rec.group,
                plural: rec.plural,
            };
            let r = ObjRef {
                key,
                namespace: rec.namespace,
                name: rec.name,
            };
            match rec.object {
                Some(obj) => {
                    if crate::registry::is_crd_key(&r.key) {
                        let _ = self.registry.register_crd(&obj);
                    }
                    self.index_put(&r, &obj);
                    self.objects
                        .entry(r.key.clone())
                        .or_default()
                        .insert((r.namespace, r.name), Arc::new(obj));
                }
                None => {
                    if let Some(old) = self.remove_entry(&r)
                        && crate::registry::is_crd_key(&r.key)
                        && let Some(k) = crd_served_key(&old)
                    {
                        self.registry.unregister(&k);
                    }
                }
            }
        }
        self.rv = loaded.rv;
        self.hub.set_compacted(loaded.rv);
        self.establish_replayed_crds();
    }

    pub fn resource_version(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, key: &ResourceKey, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects
            .get(key)?
            .get(&(namespace.to_string(), name.to_string()))
    }

    pub fn get_ref(&self, r: &ObjRef) -> Option<&Arc<Value>> {
        self.get(&r.key, &r.namespace, &r.name)
    }

    /// Objects of `key` in `namespace` (all namespaces for None).
    fn scan<'a>(
        &'a self,
        key: &ResourceKey,
        namespace: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Value>> + 'a> {
        let Some(objs) = self.objects.get(key) else {
            return Box::new(std::iter::empty());
        };
        match namespace {
            None => Box::new(objs.values()),
            Some(ns) => Box::new(
                objs.range((ns.to_string(), String::new())..)
                    .take_while(move |((n, _), _)| n == ns)
                    .map(|(_, v)| v),
            ),
        }
    }

    /// Starts a watch: the deliveries to send first and the live receiver.
    pub fn watch(
        &mut self,
        key: &ResourceKey,
        q: &Query,
        start: WatchStart,
        bookmarks: bool,
    ) -> Result<(Vec<Delivery>, mpsc::Receiver<Delivery>), ApiError> {
        let filter = q.filter();
        let initial = match start {
            WatchStart::Initial { end_bookmark } => {
                let mut initial: Vec<Delivery> = self
                    .scan(key, q.namespace.as_deref())
                    .filter(|o| filter.matches(o))
                    .map(|o| Delivery::Initial(o.clone()))
                    .collect();
                if end_bookmark {
                    initial.push(Delivery::InitialEventsEnd(self.rv));
                }
                initial
            }
            WatchStart::Now => Vec::new(),
            WatchStart::After(rv) => {
                self.hub.since(key, rv.min(self.rv), &filter).map_err(|e| {
                    ApiError::gone(format!(
                        "too old resource version: {} ({})",
                        e.requested, e.oldest
                    ))
                })?
            }
        };
        let rx = self.hub.subscribe(key.clone(), filter, bookmarks);
        Ok((initial, rx))
    }

    /// Every stored object of resource `key`.
    fn all_of(&self, key: &ResourceKey) -> Vec<ObjRef> {
        self.objects
            .get(key)
            .map(|objs| {
                objs.keys()
                    .map(|(ns, name)| ObjRef {
                        key: key.clone(),
                        namespace: ns.clone(),
                        name: name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every object in a namespace, across resources.
    fn in_namespace(&self, ns: &str) -> Vec<ObjRef> {
        let mut out = Vec::new();
        for (key, objs) in &self.objects {
            for ((n, name), _) in objs
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
            {
                out.push(ObjRef {
                    key: key.clone(),
                    namespace: n.clone(),
                    name: name.clone(),
                });
            }
        }
        out
    }

    fn index_put(&mut self, r: &ObjRef, obj: &Value) {
        let uid = crate::meta::uid(obj);
        if !uid.is_empty() {
            self.uids.insert(uid.to_string(), r.clone());
        }
        for owner in crate::meta::owner_uids(obj) {
            self.dependents.entry(owner).or_default().insert(r.clone());
        }
    }

    fn index_remove(&mut self, r: &ObjRef, obj: &Value) {
        let uid = crate::meta::uid(obj);
        if self.uids.get(uid) == Some(r) {
            self.uids.remove(uid);
        }
        for owner in crate::meta::owner_uids(obj) {
            if let Some(set) = self.dependents.get_mut(&owner) {
                set.remove(r);
                if set.is_empty() {
                    self.dependents.remove(&owner);
                }
            }
        }
    }

    fn remove_entry(&mut self, r: &ObjRef) -> Option<Arc<Value>> {
        let old = self
            .objects
            .get_mut(&r.key)?
            .remove(&(r.namespace.clone(), r.name.clone()))?;
        self.index_remove(r, &old);
        Some(old)
    }

    /// Stores `obj` at a new resourceVersion, publishes the event and persists it.
    fn commit_put(&mut self, r: &ObjRef, mut obj: Value) -> Arc<Value> {
        self.rv += 1;
        crate::meta::meta_mut(&mut obj)
            .insert("resourceVersion".into(), Value::from(self.rv.to_string()));
        let obj = Arc::new(obj);
        let old = self
            .objects
            .entry(r.key.clone())
            .or_default()
            .insert((r.namespace.clone(), r.name.clone()), obj.clone());
        if let Some(old) = &old {
            self.index_remove(r, old);
        }
        self.index_put(r, &obj);
        let kind = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.persist(r, Some(&obj));
        self.hub
            .publish(Event::new(self.rv, r.key.clone(), kind, obj.clone(), old));
        obj
    }

    /// Removes an object at a new resourceVersion; the DELETED event carries its last state (at
    /// the new resourceVersion) and, as `old`, the state before (for past-state lists).
    fn commit_remove(&mut self, r: &ObjRef) -> Option<Arc<Value>> {
        let old = self.remove_entry(r)?;
        self.rv += 1;
        let mut last = (*old).clone();
        crate::meta::meta_mut(&mut last)
            .insert("resourceVersion".into(), Value::from(self.rv.to_string()));
        let last = Arc::new(last);
        self.persist(r, None);
        self.hub.publish(Event::new(
            self.rv,
            r.key.clone(),
            EventType::Deleted,
            last.clone(),
            Some(old),
        ));
        Some(last)
    }

    fn persist(&mut self, r: &ObjRef, obj: Option<&Value>) {
        let Some(p) = &self.persister else { return };
        let rec = Record {
            rv: self.rv,
            group: r.key.group.clone(),
            plural: r.key.plural.clone(),
            namespace: r.namespace.clone(),
            name: r.name.clone(),
            object: obj.cloned(),
        };
        self.pending_ack = Some(p.append(&rec));
        self.records_since_snapshot += 1;
        if self.records_since_snapshot >= self.snapshot_every {
            self.records_since_snapshot = 0;
            let records = self.snapshot_records();
            if let Some(p) = &self.persister {
                // Acked after the record above, so waiting on it covers both.
                self.pending_ack = Some(p.snapshot(self.rv, records));
            }
        }
    }

    /// The whole state as records, CRDs first so that replay registers them before their objects.
    fn snapshot_records(&self) -> Vec<Record> {
        let mut keys: Vec<&ResourceKey> = self.objects.keys().collect();
        keys.sort_by_key(|k| (!crate::registry::is_crd_key(k), (*k).clone()));
        keys.into_iter()
            .flat_map(|k| {
                self.objects[k].iter().map(move |((ns, name), obj)| Record {
                    rv: crate::meta::resource_version(obj).parse().unwrap_or(0),
                    group: k.group.clone(),
                    plural: k.plural.clone(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    object: Some((**obj).clone()),
                })
            })
            .collect()
    }
}

/// The served resource a stored CRD object defines.
fn crd_served_key(crd: &Value) -> Option<ResourceKey> {
    let group = crd.pointer("/spec/group")?.as_str()?;
    let plural = crd.pointer("/spec/names/plural")?.as_str()?;
    Some(ResourceKey {
        group: group.into(),
        plural: plural.into(),
    })
}

/// The store: the state behind one lock.
pub struct Store {
    state: Mutex<State>,
}

impl Store {
    pub fn new(state: State) -> Self {
        Store {
            state: Mutex::new(state),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a write under the lock, then waits until what it committed is durable.
    pub async fn write<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let (out, ack) = {
            let mut st = self.lock();
            let out = f(&mut st);
            st.hub.flush();
            (out, st.pending_ack.take())
        };
        if let Some(ack) = ack {
            match ack.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(ApiError::internal(format!(
                        "persisting the change: {}",
                        e.report()
                    )));
                }
                Err(_) => {
                    return Err(ApiError::internal(
                        "persisting the change: the writer stopped",
                    ));
                }
            }
        }
        out
    }

    pub fn resource(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.lock().registry.lookup(group, version, plural)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replayed_events_k8s_io_events_join_the_core_store() {
        let mut st = State::new(StoreConfig::default(), None);
        let event = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e", "namespace": "default", "resourceVersion": "3"},
            "regarding": {"kind": "ConfigMap", "name": "c"}, "note": "hello"});
        st.replay(Loaded {
            rv: 3,
            records: vec![Record {
                rv: 3,
                group: "events.k8s.io".into(),
                plural: "events".into(),
                namespace: "default".into(),
                name: "e".into(),
                object: Some(event),
            }],
        });
        let core = ResourceKey {
            group: String::new(),
            plural: "events".into(),
        };
        let stored = st.get(&core, "default", "e").expect("in the core store");
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["involvedObject"]["name"], "c");
        assert_eq!(stored["message"], "hello");
    }
}
