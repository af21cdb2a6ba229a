//! Fault injection for tests: fail the next N requests that match a verb and resource, add
//! latency to every request, close every open watch.

use crate::status::ApiError;
use crate::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
struct Rule {
    verb: String,
    resource: String,
    remaining: u32,
    code: u16,
}

#[derive(Default)]
struct Inner {
    rules: Vec<Rule>,
    latency: Duration,
}

/// A handle on the running server's fault injection. Cheap to clone.
#[derive(Clone)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
    store: Arc<Store>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").finish_non_exhaustive()
    }
}

impl Faults {
    pub(crate) fn new(store: Arc<Store>) -> Self {
        Faults {
            inner: Arc::default(),
            store,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails the next `count` requests whose verb (`get`, `list`, `watch`, `create`, `update`,
    /// `patch`, `delete`, `deletecollection`, or `*`) and resource (plural such as `configmaps`,
    /// or `*`) match, answering a `metav1.Status` with `code` (e.g. 500, 503, 429, 409).
    pub fn fail_next(&self, verb: &str, resource: &str, count: u32, code: u16) {
        self.lock().rules.push(Rule {
            verb: verb.into(),
            resource: resource.into(),
            remaining: count,
            code,
        });
    }

    /// Delays every request by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Ends every open watch stream now; clients see the stream close and re-watch.
    pub fn close_watches(&self) {
        self.store.lock().hub.close_all();
    }

    /// Removes every rule and the latency.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        inner.latency = Duration::ZERO;
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// The injected error for this request, if a rule matches (consuming one of its uses).
    pub(crate) fn check(&self, verb: &str, resource: &str) -> Option<ApiError> {
        let mut inner = self.lock();
        let rule = inner.rules.iter_mut().find(|r| {
            r.remaining > 0
                && (r.verb == "*" || r.verb == verb)
                && (r.resource == "*" || r.resource == resource)
        })?;
        rule.remaining -= 1;
        let code = rule.code;
        inner.rules.retain(|r| r.remaining > 0);
        Some(ApiError::from_code(
            code,
            format!("injected fault: {verb} {resource} fails with {code}"),
        ))
    }
}
