//! The request log: every request the server answered, in the order they arrived, so tests can
//! assert the exact requests a controller made (`cluster.requests()`), like a recording fake
//! client would.
//!
//! The order is that of arrival (an audit log's `RequestReceived` stage), not of completion: a
//! request is recorded once answered, and a controller that reacts to a write's watch event may
//! send, and have answered, its next request before the write's own answer is recorded.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many requests the log keeps (the oldest go first).
const LIMIT: usize = 100_000;

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query, e.g. `/api/v1/namespaces/default/configmaps/x`.
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// For resource requests: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` or
    /// `deletecollection`; None for discovery and other documents.
    pub verb: Option<String>,
    /// For resource requests: the plural resource name, e.g. `configmaps`.
    pub resource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The request's media type, e.g. `application/apply-patch+yaml` (empty when none).
    pub content_type: String,
    /// The HTTP status of the answer (200 for a watch that started).
    pub status: u16,
}

/// When a request arrived, relative to the others: taken before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arrival(u64);

/// The log itself: answered requests, each with its arrival.
#[derive(Debug, Default)]
pub struct RequestLog {
    arrivals: AtomicU64,
    log: Mutex<VecDeque<(Arrival, RecordedRequest)>>,
}

impl RequestLog {
    /// Marks a request's arrival; give it to [`RequestLog::record`] once it is answered.
    pub fn arrive(&self) -> Arrival {
        Arrival(self.arrivals.fetch_add(1, Ordering::Relaxed))
    }

    pub fn record(&self, arrival: Arrival, r: RecordedRequest) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() >= LIMIT {
            log.pop_front();
        }
        log.push_back((arrival, r));
    }

    /// The recorded requests in the order they arrived.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        let mut entries: Vec<_> = self
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        entries.sort_by_key(|(arrival, _)| *arrival);
        entries.into_iter().map(|(_, r)| r).collect()
    }

    pub fn clear(&self) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
