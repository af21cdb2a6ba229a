//! The request log: every request the server answered, in order, so tests can assert the exact
//! requests a controller made (`cluster.requests()`), like a recording fake client would.

use std::collections::VecDeque;
use std::sync::Mutex;

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

/// The log itself.
#[derive(Debug, Default)]
pub struct RequestLog(Mutex<VecDeque<RecordedRequest>>);

impl RequestLog {
    pub fn record(&self, r: RecordedRequest) {
        let mut log = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() >= LIMIT {
            log.pop_front();
        }
        log.push_back(r);
    }

    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
