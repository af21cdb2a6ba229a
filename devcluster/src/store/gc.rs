//! How the garbage collector resolves owner references, after kube's documented rules:
//!
//! - a namespaced dependent may have cluster-scoped owners or owners in its own namespace; an
//!   owner in another namespace is treated as absent (the dependent is collected once every owner
//!   is absent), and reported with a Warning Event `OwnerRefInvalidNamespace`;
//! - a cluster-scoped dependent may have only cluster-scoped owners; one naming a namespaced
//!   kind is unresolvable: the dependent is never collected, and the same Event is reported;
//! - a foreground-deleting owner waits only for dependents whose reference to it says
//!   `blockOwnerDeletion: true`.

use super::delete::Propagation;
use super::{ObjRef, State};
use crate::meta;
use crate::registry::ResourceKey;
use serde_json::{Value, json};

/// What one owner reference of a dependent resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Present,
    Absent,
    /// Absent because it is in another namespace than its namespaced dependent.
    OtherNamespace,
    /// A namespaced kind named by a cluster-scoped dependent: never resolvable.
    Unresolvable,
    /// A kind that is not served: the collector cannot look it up, and keeps retrying.
    UnknownKind,
    /// Present but itself deleting in the foreground (`foregroundDeletion`): not a solid owner.
    Waiting,
}

impl Owner {
    /// A reference the collector removes from a dependent that keeps a solid owner.
    fn dangling(self) -> bool {
        matches!(self, Owner::Absent | Owner::OtherNamespace | Owner::Waiting)
    }
}

/// What the garbage collector does with a dependent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Some owner is solid; the uids of the dangling references are removed.
    Keep(Vec<String>),
    /// Every owner is absent.
    Collect,
    /// An owner reference can never resolve (or names a kind that is not served): the
    /// collector leaves the dependent alone.
    Never,
}

const REASON: &str = "OwnerRefInvalidNamespace";

fn owner_refs(obj: &Value) -> Vec<Value> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl State {
    /// An owner is found as the collector finds it: by kind (which must be served), namespace
    /// and name, and it must have the referenced uid.
    fn resolve(&self, dependent: &ObjRef, owner: &Value) -> Owner {
        let group = crate::kinds::group_of(text(owner, "apiVersion"));
        let Some(kind) = self.registry.by_kind(group, text(owner, "kind")) else {
            return Owner::UnknownKind;
        };
        if dependent.namespace.is_empty() && kind.namespaced {
            return Owner::Unresolvable;
        }
        match self.uids.get(text(owner, "uid")) {
            None => Owner::Absent,
            Some(o) if o.name != text(owner, "name") || o.key != kind.key() => Owner::Absent,
            Some(o)
                if !dependent.namespace.is_empty()
                    && !o.namespace.is_empty()
                    && o.namespace != dependent.namespace =>
            {
                Owner::OtherNamespace
            }
            Some(o) => match self.get_ref(o) {
                Some(owner)
                    if meta::is_deleting(owner)
                        && meta::finalizers(owner)
                            .iter()
                            .any(|f| f == "foregroundDeletion") =>
                {
                    Owner::Waiting
                }
                _ => Owner::Present,
            },
        }
    }

    /// The garbage collector's work on the dependent at `r` (`attemptToDeleteItem`), with the
    /// owner `gone_uid` (if any) counted as absent: with a solid owner left, its dangling
    /// references are removed; with every owner absent, it is deleted with `policy`; with an
    /// owner that can never resolve, it is left alone. Invalid references are reported.
    pub(super) fn collect(&mut self, r: &ObjRef, gone_uid: &str, policy: Propagation, now: &str) {
        match self.gc_verdict(r, gone_uid) {
            Verdict::Collect => {
                self.delete_ref(r, policy, now);
            }
            Verdict::Keep(dangling) if !dangling.is_empty() => self.drop_owner_refs(r, &dangling),
            Verdict::Keep(_) | Verdict::Never => {}
        }
    }

    fn gc_verdict(&mut self, r: &ObjRef, gone_uid: &str) -> Verdict {
        let Some(obj) = self.get_ref(r).cloned() else {
            return Verdict::Never;
        };
        let refs = owner_refs(&obj);
        if refs.is_empty() {
            return Verdict::Never;
        }
        let states: Vec<(Owner, &Value)> = refs
            .iter()
            .map(
                |o| match !gone_uid.is_empty() && text(o, "uid") == gone_uid {
                    true => (Owner::Absent, o),
                    false => (self.resolve(r, o), o),
                },
            )
            .collect();
        for (state, owner) in &states {
            if matches!(state, Owner::OtherNamespace | Owner::Unresolvable) {
                self.report_invalid_owner(r, &obj, owner);
            }
        }
        let any = |f: fn(Owner) -> bool| states.iter().any(|(s, _)| f(*s));
        if any(|s| matches!(s, Owner::Unresolvable | Owner::UnknownKind)) {
            // The collector cannot resolve every owner: it retries and changes nothing.
            Verdict::Never
        } else if any(|s| s == Owner::Present) {
            let dangling = states
                .iter()
                .filter(|(s, _)| s.dangling())
                .map(|(_, o)| text(o, "uid").to_string())
                .collect();
            Verdict::Keep(dangling)
        } else {
            Verdict::Collect
        }
    }

    /// Whether the foreground-deleting owner with `uid` still waits for the dependent at `d`:
    /// the dependent exists and blocks its owner's deletion.
    pub(super) fn blocks_owner(&self, d: &ObjRef, uid: &str) -> bool {
        self.get_ref(d).is_some_and(|o| {
            owner_refs(o).iter().any(|r| {
                text(r, "uid") == uid
                    && r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true)
            })
        })
    }

    /// A Warning Event on the dependent, once per dependent, as the garbage collector reports.
    fn report_invalid_owner(&mut self, r: &ObjRef, obj: &Value, owner: &Value) {
        let ns = if r.namespace.is_empty() {
            "default"
        } else {
            r.namespace.as_str()
        };
        let uid = meta::uid(obj).to_string();
        let events = ResourceKey {
            group: String::new(),
            plural: "events".into(),
        };
        let already = self.scan(&events, Some(ns)).any(|e| {
            e.pointer("/involvedObject/uid").and_then(Value::as_str) == Some(uid.as_str())
                && e.get("reason").and_then(Value::as_str) == Some(REASON)
        });
        if already
            || self
                .get(
                    &ResourceKey {
                        group: String::new(),
                        plural: "namespaces".into(),
                    },
                    "",
                    ns,
                )
                .is_none()
        {
            return;
        }
        let now = meta::now();
        let name = format!("{}.{}", r.name, meta::random_suffix());
        let message = format!(
            "ownerRef [{}/{}, namespace: {}, name: {}, uid: {}] does not exist in namespace {:?}",
            text(owner, "apiVersion"),
            text(owner, "kind"),
            r.namespace,
            text(owner, "name"),
            text(owner, "uid"),
            r.namespace
        );
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns, "uid": meta::new_uid(),
                "creationTimestamp": now},
            "involvedObject": {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                "name": r.name, "namespace": r.namespace, "uid": uid},
            "reason": REASON, "type": "Warning", "message": message,
            "source": {"component": "garbage-collector-controller"},
            "reportingComponent": "garbage-collector-controller",
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        });
        let event_ref = ObjRef {
            key: events,
            namespace: ns.to_string(),
            name,
        };
        self.commit_put(&event_ref, event);
    }
}
