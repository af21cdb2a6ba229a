//! Lists and their pages. A paginated list is a snapshot, as etcd paging is: every page reads
//! the objects as they were at the first page's resourceVersion, which the `continue` token
//! carries. A past state is the live objects with the keys changed since then put back as they
//! were, from the watch history (`WatchHub::state_before`), so a page costs the changes since
//! its snapshot, not a copy. A token older than the history is 410 Expired with a fresh token
//! that continues from the latest state, as kube-apiserver answers.

use super::{Objects, Query, State};
use crate::registry::ResourceKey;
use crate::status::ApiError;
use serde_json::{Value, json};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

/// kube-apiserver's message for a `continue` token older than the kept history (etcd3
/// `inconsistentContinue`).
pub const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a \
consistent list result. You can start a new list without the continue parameter, or use the \
continue token in this response to retrieve the remainder of the results. Continuing with the \
provided token results in an inconsistent list - objects that were created, modified, or \
deleted between the time the first chunk was returned and now may show up in the list.";

/// kube-apiserver's message for `resourceVersionMatch=Exact` older than the kept history.
pub const LIST_EXPIRED: &str = "The resourceVersion for the provided list is too old.";

/// A stored object's key within its resource: `(namespace, name)`.
type Key = (String, String);

/// A page of a list.
#[derive(Debug)]
pub struct ListPage {
    pub items: Vec<Arc<Value>>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<usize>,
}

/// Which state a list page reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFrom {
    /// The latest state (no `resourceVersion`, or `0`).
    Latest,
    /// The latest state, which must be at least this new (`resourceVersion=N`, with
    /// `resourceVersionMatch` unset or `NotOlderThan`).
    NotOlderThan(u64),
    /// The state at exactly this resourceVersion (`resourceVersionMatch=Exact`).
    Exact(u64),
    /// The next page of a paginated list.
    Continue(ContinueToken),
}

/// The snapshot a `continue` token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenVersion {
    At(u64),
    /// Continue from the latest state (the token a 410 Expired hands out; `-1` on the wire,
    /// as etcd3's).
    Latest,
}

/// What a `continue` token carries: the snapshot and the last key of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContinueToken {
    pub version: TokenVersion,
    pub after: Key,
}

impl ContinueToken {
    /// The token as sent: URL-safe base64 of `{"rv":N,"ns":..,"name":..}`.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let rv = match self.version {
            TokenVersion::At(rv) => json!(rv),
            TokenVersion::Latest => json!(-1),
        };
        let (ns, name) = &self.after;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({ "rv": rv, "ns": ns, "name": name }).to_string())
    }

    /// Decodes a token; anything malformed is a 400.
    pub fn decode(token: &str) -> Result<Self, ApiError> {
        use base64::Engine;
        let bad = || ApiError::bad_request(format!("invalid continue token {token:?}"));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let version = match v.get("rv").and_then(Value::as_i64) {
            Some(-1) => TokenVersion::Latest,
            Some(rv) if rv > 0 => TokenVersion::At(rv.unsigned_abs()),
            _ => return Err(bad()),
        };
        let after = field("ns").zip(field("name")).ok_or_else(bad)?;
        Ok(ContinueToken { version, after })
    }
}

/// `resourceVersion` ahead of the server: kube-apiserver's watch cache waits for it, then
/// answers this 504.
fn too_large(requested: u64, current: u64) -> ApiError {
    ApiError::new(
        504,
        crate::status::Reason::Timeout,
        format!("Timeout: Too large resource version: {requested}, current: {current}"),
    )
    .with_details(json!({
        "causes": [{ "reason": "ResourceVersionTooLarge", "message": "Too large resource version" }],
        "retryAfterSeconds": 1,
    }))
}

/// The keys of one resource changed since a snapshot, as they were then.
type Past = crate::watch::PastStates;

/// Entries of a key-ordered map in `namespace` (all for None) after `after`.
fn range<'a, V>(
    map: &'a BTreeMap<Key, V>,
    namespace: Option<&'a str>,
    after: Option<&Key>,
) -> impl Iterator<Item = (&'a Key, &'a V)> + 'a {
    let start = match (after, namespace) {
        (Some(a), Some(ns)) if a.0.as_str() >= ns => Bound::Excluded(a.clone()),
        (_, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
        (Some(a), None) => Bound::Excluded(a.clone()),
        (None, None) => Bound::Unbounded,
    };
    map.range((start, Bound::Unbounded))
        .take_while(move |((n, _), _)| namespace.is_none_or(|ns| n == ns))
}

/// The live objects with the changed keys replaced by their past state, in key order.
fn merged<'a>(
    live: impl Iterator<Item = (&'a Key, &'a Arc<Value>)>,
    past: impl Iterator<Item = (&'a Key, &'a Option<Arc<Value>>)>,
) -> impl Iterator<Item = &'a Arc<Value>> {
    let (mut live, mut past) = (live.peekable(), past.peekable());
    std::iter::from_fn(move || {
        loop {
            let order = match (live.peek(), past.peek()) {
                (None, None) => return None,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some((l, _)), Some((p, _))) => l.cmp(p),
            };
            let next = match order {
                Ordering::Less => live.next().map(|(_, v)| v),
                Ordering::Greater => past.next().and_then(|(_, v)| v.as_ref()),
                Ordering::Equal => {
                    live.next();
                    past.next().and_then(|(_, v)| v.as_ref())
                }
            };
            if next.is_some() {
                return next;
            }
        }
    })
}

impl State {
    /// A list page read from the state `from` names.
    pub fn list(
        &self,
        key: &ResourceKey,
        q: &Query,
        limit: Option<usize>,
        from: ListFrom,
    ) -> Result<ListPage, ApiError> {
        let (snapshot, after) = match from {
            ListFrom::Latest => (self.rv, None),
            ListFrom::NotOlderThan(rv) if rv > self.rv => return Err(too_large(rv, self.rv)),
            ListFrom::NotOlderThan(_) => (self.rv, None),
            ListFrom::Exact(rv) if rv > self.rv => return Err(too_large(rv, self.rv)),
            ListFrom::Exact(rv) => (rv, None),
            ListFrom::Continue(ContinueToken {
                version: TokenVersion::Latest,
                after,
            }) => (self.rv, Some(after)),
            ListFrom::Continue(ContinueToken {
                version: TokenVersion::At(rv),
                after,
            }) if rv > self.rv => {
                let token = ContinueToken {
                    version: TokenVersion::At(rv),
                    after,
                };
                return Err(ApiError::bad_request(format!(
                    "invalid continue token {:?}",
                    token.encode()
                )));
            }
            ListFrom::Continue(ContinueToken {
                version: TokenVersion::At(rv),
                after,
            }) => (rv, Some(after)),
        };
        let past = self.past(key, snapshot).map_err(|()| match &after {
            Some(after) => ApiError::gone(CONTINUE_EXPIRED).with_continue(
                ContinueToken {
                    version: TokenVersion::Latest,
                    after: after.clone(),
                }
                .encode(),
            ),
            None => ApiError::gone(LIST_EXPIRED),
        })?;
        let empty = Objects::new();
        let live = self.objects.get(key).unwrap_or(&empty);
        let ns = q.namespace.as_deref();
        let matching = merged(
            range(live, ns, after.as_ref()),
            range(&past, ns, after.as_ref()),
        )
        .filter(|o| q.fields.matches(o) && q.labels.matches(o));
        Ok(page(matching, limit, snapshot))
    }

    /// The keys of `key` changed after `rv`, as they were at `rv`; Err when the history no
    /// longer reaches back to `rv`.
    fn past(&self, key: &ResourceKey, rv: u64) -> Result<Past, ()> {
        if rv == self.rv {
            return Ok(Past::new());
        }
        self.hub.state_before(key, rv).map_err(|_| ())
    }
}

/// Cuts one page of at most `limit` items from `matching`; the token names `snapshot`.
fn page<'a>(
    matching: impl Iterator<Item = &'a Arc<Value>>,
    limit: Option<usize>,
    snapshot: u64,
) -> ListPage {
    let mut items = Vec::new();
    let mut remaining = 0usize;
    for o in matching {
        if limit.is_some_and(|l| items.len() >= l) {
            remaining += 1;
        } else {
            items.push(o.clone());
        }
    }
    let continue_token = match (remaining, items.last()) {
        (1.., Some(last)) => Some(
            ContinueToken {
                version: TokenVersion::At(snapshot),
                after: (
                    crate::meta::namespace(last).to_string(),
                    crate::meta::name(last).to_string(),
                ),
            }
            .encode(),
        ),
        _ => None,
    };
    ListPage {
        items,
        resource_version: snapshot,
        remaining: continue_token.as_ref().map(|_| remaining),
        continue_token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ObjRef, StoreConfig};

    fn cms() -> ResourceKey {
        ResourceKey {
            group: String::new(),
            plural: "configmaps".into(),
        }
    }

    fn put(st: &mut State, name: &str, v: &str) -> u64 {
        let r = ObjRef {
            key: cms(),
            namespace: "default".into(),
            name: name.into(),
        };
        let obj = json!({"metadata": {"name": name, "namespace": "default"}, "data": {"v": v}});
        st.commit_put(&r, obj);
        st.rv
    }

    fn remove(st: &mut State, name: &str) {
        let r = ObjRef {
            key: cms(),
            namespace: "default".into(),
            name: name.into(),
        };
        st.commit_remove(&r);
    }

    fn view(page: &ListPage) -> Vec<String> {
        page.items
            .iter()
            .map(|o| {
                format!(
                    "{}={}",
                    crate::meta::name(o),
                    o["data"]["v"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    fn next(st: &State, page: &ListPage, limit: usize) -> Result<ListPage, ApiError> {
        let token = page.continue_token.as_deref().unwrap_or_default();
        let from = ListFrom::Continue(ContinueToken::decode(token)?);
        st.list(&cms(), &Query::default(), Some(limit), from)
    }

    #[test]
    fn every_page_reads_the_first_pages_snapshot() {
        let mut st = State::new(StoreConfig::default(), None);
        for name in ["a", "b", "c", "d", "e"] {
            put(&mut st, name, "1");
        }
        let first = st
            .list(&cms(), &Query::default(), Some(2), ListFrom::Latest)
            .expect("first page");
        assert_eq!(view(&first), ["a=1", "b=1"]);
        let snapshot = first.resource_version;
        // After the first page: one changed, one deleted, one created, one deleted and
        // created again, one changed twice.
        put(&mut st, "c", "2");
        remove(&mut st, "d");
        put(&mut st, "cc", "new");
        remove(&mut st, "e");
        put(&mut st, "e", "again");
        put(&mut st, "b", "2");
        put(&mut st, "b", "3");
        let second = next(&st, &first, 2).expect("second page");
        assert_eq!(view(&second), ["c=1", "d=1"]);
        assert_eq!(second.resource_version, snapshot);
        assert_eq!(second.remaining, Some(1));
        let third = next(&st, &second, 2).expect("third page");
        assert_eq!(view(&third), ["e=1"]);
        assert_eq!(third.resource_version, snapshot);
        assert!(third.continue_token.is_none());
        // The objects carry their resourceVersion of then.
        assert_eq!(
            crate::meta::resource_version(&second.items[0]),
            "3",
            "c as first written"
        );
    }

    #[test]
    fn exact_reads_a_past_state_and_too_old_is_gone() {
        let mut st = State::new(
            StoreConfig {
                watch_history: 2,
                ..StoreConfig::default()
            },
            None,
        );
        let rv1 = put(&mut st, "a", "1");
        put(&mut st, "a", "2");
        put(&mut st, "b", "1");
        put(&mut st, "a", "3");
        let q = Query::default();
        let at = |st: &State, rv| st.list(&cms(), &q, None, ListFrom::Exact(rv));
        let page = at(&st, rv1 + 1).expect("within history");
        assert_eq!(view(&page), ["a=2"]);
        let e = at(&st, rv1).expect_err("compacted");
        assert_eq!(
            (e.code, e.reason, e.message.as_str()),
            (410, crate::status::Reason::Expired, LIST_EXPIRED)
        );
        let e = at(&st, st.rv + 1).expect_err("future");
        assert_eq!(e.code, 504);
        assert_eq!(
            e.message,
            format!(
                "Timeout: Too large resource version: {}, current: {}",
                st.rv + 1,
                st.rv
            )
        );
    }

    #[test]
    fn an_expired_token_is_gone_with_a_token_that_continues_from_the_latest_state() {
        let mut st = State::new(
            StoreConfig {
                watch_history: 2,
                ..StoreConfig::default()
            },
            None,
        );
        for name in ["a", "b", "c"] {
            put(&mut st, name, "1");
        }
        let first = st
            .list(&cms(), &Query::default(), Some(1), ListFrom::Latest)
            .expect("first page");
        for v in ["2", "3", "4"] {
            put(&mut st, "c", v);
        }
        let e = next(&st, &first, 1).expect_err("expired");
        assert_eq!((e.code, e.reason), (410, crate::status::Reason::Expired));
        assert_eq!(e.message, CONTINUE_EXPIRED);
        let fresh = e.continue_token.clone().expect("a fresh token");
        let token = ContinueToken::decode(&fresh).expect("decodes");
        assert_eq!(token.version, TokenVersion::Latest);
        let page = st
            .list(&cms(), &Query::default(), None, ListFrom::Continue(token))
            .expect("inconsistent continuation");
        assert_eq!(view(&page), ["b=1", "c=4"]);
        assert_eq!(page.resource_version, st.rv);
    }

    #[test]
    fn namespaces_and_bad_tokens() {
        let mut st = State::new(StoreConfig::default(), None);
        for (ns, name) in [("a", "x"), ("b", "x"), ("b", "y"), ("c", "x")] {
            let r = ObjRef {
                key: cms(),
                namespace: ns.into(),
                name: name.into(),
            };
            st.commit_put(&r, json!({"metadata": {"name": name, "namespace": ns}}));
        }
        remove_ns(&mut st, "b", "x");
        let q = Query {
            namespace: Some("b".into()),
            ..Query::default()
        };
        let from = ListFrom::Exact(st.rv - 1);
        let page = st.list(&cms(), &q, Some(1), from).expect("past");
        assert_eq!(page.items.len(), 1);
        assert_eq!(crate::meta::name(&page.items[0]), "x");
        let token = ContinueToken::decode(page.continue_token.as_deref().unwrap_or_default())
            .expect("token");
        let page = st
            .list(&cms(), &q, Some(1), ListFrom::Continue(token))
            .expect("next");
        assert_eq!(crate::meta::name(&page.items[0]), "y");
        assert!(page.continue_token.is_none());
        for bad in ["%%", "e30", "eyJucyI6ImEiLCJuYW1lIjoiYiJ9"] {
            assert_eq!(
                ContinueToken::decode(bad).map_err(|e| e.code).err(),
                Some(400)
            );
        }
    }

    fn remove_ns(st: &mut State, ns: &str, name: &str) {
        let r = ObjRef {
            key: cms(),
            namespace: ns.into(),
            name: name.into(),
        };
        st.commit_remove(&r);
    }
}
