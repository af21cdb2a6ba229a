//! Watch fan-out: the event history (for `resourceVersion=N` watches and 410 Gone) and the
//! per-watcher bounded queues. The events of one write (a deletecollection or namespace deletion
//! may make thousands) are gathered and queued as one item when the write ends (`flush`), so the
//! bound counts writes, and a burst from one write does not close a reader that keeps up.
//! Publishing never blocks: a watcher whose queue is full is closed, and its client re-watches
//! (from history, or relists after a 410), as with kube-apiserver.

use crate::registry::ResourceKey;
use crate::selector::{FieldSelector, LabelSelector};
use bytes::Bytes;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Debug)]
pub struct Event {
    pub rv: u64,
    pub key: ResourceKey,
    pub kind: EventType,
    pub object: Arc<Value>,
    /// The object before a MODIFIED or DELETED change: to turn selector transitions into
    /// ADDED/DELETED, and to reconstruct past states for paginated lists.
    pub old: Option<Arc<Value>>,
    /// The object serialized once for every watcher.
    json: OnceLock<Bytes>,
    /// What watchers the object left get (see `seen_as`), built once for all of them.
    left: OnceLock<(Arc<Value>, Bytes)>,
}

impl Event {
    pub fn new(
        rv: u64,
        key: ResourceKey,
        kind: EventType,
        object: Arc<Value>,
        old: Option<Arc<Value>>,
    ) -> Self {
        Event {
            rv,
            key,
            kind,
            object,
            old,
            json: OnceLock::new(),
            left: OnceLock::new(),
        }
    }

    /// The object a watcher that sees this event as `kind` receives, with its JSON. A MODIFIED
    /// change that takes the object out of the watcher's selector is a DELETED carrying the
    /// previous state (the one that matched) at this event's resourceVersion, as the cacher's
    /// `convertToWatchEvent` sends it; every other view carries the new state.
    pub fn seen_as(&self, kind: EventType) -> (Arc<Value>, Bytes) {
        match (self.kind, kind, &self.old) {
            (EventType::Modified, EventType::Deleted, Some(old)) => {
                self.left.get_or_init(|| left_state(old, self.rv)).clone()
            }
            _ => (self.object.clone(), self.object_json()),
        }
    }

    /// The object as JSON bytes, serialized on first use.
    pub fn object_json(&self) -> Bytes {
        self.json
            .get_or_init(|| Bytes::from(serde_json::to_vec(&*self.object).unwrap_or_default()))
            .clone()
    }
}

/// `old` with its resourceVersion set to `rv`, and its JSON.
fn left_state(old: &Value, rv: u64) -> (Arc<Value>, Bytes) {
    let mut obj = old.clone();
    crate::meta::meta_mut(&mut obj).insert("resourceVersion".into(), Value::from(rv.to_string()));
    let json = Bytes::from(serde_json::to_vec(&obj).unwrap_or_default());
    (Arc::new(obj), json)
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchStart {
    /// A synthetic ADDED per current object first; `end_bookmark` asks for the
    /// `k8s.io/initial-events-end` BOOKMARK after them.
    Initial { end_bookmark: bool },
    /// Changes after the current resourceVersion only.
    Now,
    /// Changes after this resourceVersion (replayed from history, 410 when too old).
    After(u64),
}

/// What one watcher receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// An event as this watcher sees it (type adjusted for selector transitions).
    Event { kind: EventType, event: Arc<Event> },
    /// A synthetic ADDED for an object that existed when the watch started.
    Initial(Arc<Value>),
    /// A BOOKMARK at this resourceVersion.
    Bookmark(u64),
    /// The BOOKMARK that ends the initial events of a `sendInitialEvents=true` watch.
    InitialEventsEnd(u64),
    /// The events one write produced, in order.
    Batch(Vec<Delivery>),
}

/// Which objects a watcher wants.
#[derive(Debug, Clone, Default)]
pub struct WatchFilter {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl WatchFilter {
    pub fn matches(&self, obj: &Value) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| crate::meta::namespace(obj) == ns)
            && self.labels.matches(obj)
            && self.fields.matches(obj)
    }

    /// How this watcher sees `event`, or None when it does not concern it.
    pub fn view(&self, event: &Event) -> Option<EventType> {
        let now = self.matches(&event.object);
        match event.kind {
            EventType::Added | EventType::Deleted => now.then_some(event.kind),
            EventType::Modified => {
                let before = event.old.as_deref().is_some_and(|o| self.matches(o));
                match (before, now) {
                    (true, true) => Some(EventType::Modified),
                    (false, true) => Some(EventType::Added),
                    (true, false) => Some(EventType::Deleted),
                    (false, false) => None,
                }
            }
        }
    }
}

struct Watcher {
    filter: WatchFilter,
    bookmarks: bool,
    tx: mpsc::Sender<Delivery>,
    /// Events of the write in progress, queued at `flush`.
    pending: Vec<Delivery>,
}

impl Watcher {
    /// Queues the pending events as one item; false when the queue is full or closed.
    fn flush(&mut self) -> bool {
        let item = match self.pending.len() {
            0 => return !self.tx.is_closed(),
            1 => self.pending.pop(),
            _ => Some(Delivery::Batch(std::mem::take(&mut self.pending))),
        };
        item.is_some_and(|d| self.tx.try_send(d).is_ok())
    }
}

/// The resourceVersion asked for is older than the kept history.
#[derive(Debug, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

/// Objects keyed by `(namespace, name)` as they were at some resourceVersion (None: absent).
pub type PastStates = BTreeMap<(String, String), Option<Arc<Value>>>;

/// Event history plus the registered watchers.
pub struct WatchHub {
    history: VecDeque<Arc<Event>>,
    history_limit: usize,
    /// Every event with `rv <= compacted` has left the history.
    compacted: u64,
    queue_len: usize,
    watchers: HashMap<ResourceKey, Vec<Watcher>>,
}

impl WatchHub {
    pub fn new(history_limit: usize, queue_len: usize) -> Self {
        WatchHub {
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted: 0,
            queue_len: queue_len.max(1),
            watchers: HashMap::new(),
        }
    }

    /// History starts after `rv` (used after loading persisted state: nothing older is kept).
    pub fn set_compacted(&mut self, rv: u64) {
        self.compacted = rv;
    }

    /// Records an event and gives it to every interested watcher, to be queued at `flush`.
    pub fn publish(&mut self, event: Event) {
        let event = Arc::new(event);
        if let Some(list) = self.watchers.get_mut(&event.key) {
            for w in list.iter_mut() {
                if let Some(kind) = w.filter.view(&event) {
                    w.pending.push(Delivery::Event {
                        kind,
                        event: event.clone(),
                    });
                }
            }
        }
        self.history.push_back(event);
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.rv;
            }
        }
    }

    /// Events for `key` after `rv` as `filter` sees them, or 410 when `rv` is too old.
    pub fn since(
        &self,
        key: &ResourceKey,
        rv: u64,
        filter: &WatchFilter,
    ) -> Result<Vec<Delivery>, TooOld> {
        if rv < self.compacted {
            return Err(TooOld {
                requested: rv,
                oldest: self.compacted + 1,
            });
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        Ok(self
            .history
            .range(start..)
            .filter(|e| &e.key == key)
            .filter_map(|e| {
                filter.view(e).map(|kind| Delivery::Event {
                    kind,
                    event: e.clone(),
                })
            })
            .collect())
    }

    /// The objects of `key` changed after `rv`, keyed by `(namespace, name)`, as they were at
    /// `rv` (None: absent then): the state before the first change after `rv`. Costs the
    /// number of events after `rv`. Err when the history no longer reaches back to `rv`.
    pub fn state_before(&self, key: &ResourceKey, rv: u64) -> Result<PastStates, TooOld> {
        if rv < self.compacted {
            return Err(TooOld {
                requested: rv,
                oldest: self.compacted + 1,
            });
        }
        let start = self.history.partition_point(|e| e.rv <= rv);
        let mut past = BTreeMap::new();
        for e in self.history.range(start..).filter(|e| &e.key == key) {
            let id = (
                crate::meta::namespace(&e.object).to_string(),
                crate::meta::name(&e.object).to_string(),
            );
            past.entry(id).or_insert_with(|| match e.kind {
                EventType::Added => None,
                EventType::Modified | EventType::Deleted => e.old.clone(),
            });
        }
        Ok(past)
    }

    /// Ends a write: every watcher's events from it are queued as one item, without blocking;
    /// a watcher whose queue is full (or whose client left) is closed.
    pub fn flush(&mut self) {
        for list in self.watchers.values_mut() {
            list.retain_mut(Watcher::flush);
        }
        self.watchers.retain(|_, list| !list.is_empty());
    }

    /// Registers a watcher; events published from now on reach the returned receiver.
    pub fn subscribe(
        &mut self,
        key: ResourceKey,
        filter: WatchFilter,
        bookmarks: bool,
    ) -> mpsc::Receiver<Delivery> {
        let (tx, rx) = mpsc::channel(self.queue_len);
        self.watchers.entry(key).or_default().push(Watcher {
            filter,
            bookmarks,
            tx,
            pending: Vec::new(),
        });
        rx
    }

    /// Sends a BOOKMARK at `rv` to every watcher that asked for them.
    pub fn bookmark_all(&mut self, rv: u64) {
        self.flush();
        for list in self.watchers.values_mut() {
            list.retain(|w| !w.bookmarks || w.tx.try_send(Delivery::Bookmark(rv)).is_ok());
        }
    }

    /// Ends every open watch (their streams finish once drained).
    pub fn close_all(&mut self) {
        self.flush();
        self.watchers.clear();
    }

    /// Ends the watches on one resource (a CRD was deleted), after the events already given.
    pub fn close_resource(&mut self, key: &ResourceKey) {
        if let Some(mut list) = self.watchers.remove(key) {
            for w in &mut list {
                w.flush();
            }
        }
    }

    #[cfg(test)]
    pub fn watcher_count(&self) -> usize {
        self.watchers.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> ResourceKey {
        ResourceKey {
            group: String::new(),
            plural: "configmaps".into(),
        }
    }

    fn ev(rv: u64, kind: EventType, labels: Value, old: Option<Value>) -> Event {
        let o = json!({"metadata":{"name":"x","namespace":"a","labels":labels}});
        Event::new(rv, key(), kind, Arc::new(o), old.map(Arc::new))
    }

    #[test]
    fn history_and_gone() {
        let mut hub = WatchHub::new(2, 10);
        for rv in 1..=3 {
            hub.publish(ev(rv, EventType::Added, json!({}), None));
        }
        let f = WatchFilter::default();
        assert!(hub.since(&key(), 0, &f).is_err());
        assert_eq!(hub.since(&key(), 1, &f).map(|v| v.len()).ok(), Some(2));
        assert_eq!(hub.since(&key(), 3, &f).map(|v| v.len()).ok(), Some(0));
    }

    #[test]
    fn selector_transitions() {
        let f = WatchFilter {
            labels: LabelSelector::parse("a=b").expect("valid"),
            ..Default::default()
        };
        let old = json!({"metadata":{"name":"x","namespace":"a","labels":{"a":"b"}}});
        assert_eq!(
            f.view(&ev(1, EventType::Modified, json!({}), Some(old.clone()))),
            Some(EventType::Deleted)
        );
        assert_eq!(
            f.view(&ev(1, EventType::Modified, json!({"a":"b"}), Some(old))),
            Some(EventType::Modified)
        );
        assert_eq!(
            f.view(&ev(1, EventType::Modified, json!({"a":"b"}), None)),
            Some(EventType::Added)
        );
    }

    #[test]
    fn leaving_the_selector_delivers_the_previous_state_at_the_new_resource_version() {
        let old = json!({"metadata":{"name":"x","namespace":"a","labels":{"a":"b"},
            "resourceVersion":"4"}, "data": {"v": "old"}});
        let event = ev(7, EventType::Modified, json!({"a":"c"}), Some(old));
        let (obj, bytes) = event.seen_as(EventType::Deleted);
        assert_eq!(obj["metadata"]["labels"], json!({"a":"b"}));
        assert_eq!(obj["metadata"]["resourceVersion"], "7");
        assert_eq!(obj["data"]["v"], "old");
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).ok().as_ref(),
            Some(&*obj)
        );
        // Every other view carries the new state.
        let (obj, _) = event.seen_as(EventType::Modified);
        assert_eq!(obj["metadata"]["labels"], json!({"a":"c"}));
        let added = ev(8, EventType::Added, json!({"a":"b"}), None);
        assert!(Arc::ptr_eq(
            &added.seen_as(EventType::Added).0,
            &added.object
        ));
    }

    #[test]
    fn full_queue_closes_only_that_watcher() {
        let mut hub = WatchHub::new(100, 1);
        let mut slow = hub.subscribe(key(), WatchFilter::default(), false);
        hub.publish(ev(1, EventType::Added, json!({}), None));
        hub.flush();
        let mut fast = hub.subscribe(key(), WatchFilter::default(), false);
        hub.publish(ev(2, EventType::Added, json!({}), None));
        hub.flush();
        assert_eq!(hub.watcher_count(), 1);
        assert!(fast.try_recv().is_ok());
        assert!(slow.try_recv().is_ok());
        assert!(slow.try_recv().is_err());
    }

    #[test]
    fn one_write_is_one_queue_item() {
        let mut hub = WatchHub::new(100, 1);
        let mut rx = hub.subscribe(key(), WatchFilter::default(), false);
        for rv in 1..=10 {
            hub.publish(ev(rv, EventType::Added, json!({}), None));
        }
        hub.flush();
        assert_eq!(hub.watcher_count(), 1);
        match rx.try_recv() {
            Ok(Delivery::Batch(events)) => assert_eq!(events.len(), 10),
            other => panic!("expected one batch, got {other:?}"),
        }
        hub.publish(ev(11, EventType::Added, json!({}), None));
        hub.flush();
        hub.publish(ev(12, EventType::Added, json!({}), None));
        hub.flush();
        assert_eq!(hub.watcher_count(), 0, "a second unread write overflows");
    }
}
