//! Deletion: finalizers and `deletionTimestamp`, owner-reference garbage collection (background,
//! foreground, orphan), namespace termination and CRD removal. Collection runs synchronously
//! inside the write that triggers it, so its effects are visible as soon as the request returns.

use super::{ObjRef, State, WriteCtx, crd_served_key};
use crate::meta;
use crate::registry::{ResourceKey, ResourceType};
use crate::status::ApiError;
use serde_json::{Value, json};
use std::sync::Arc;

const FOREGROUND: &str = "foregroundDeletion";
const NAMESPACE_FINALIZER: &str = "kubernetes";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    #[default]
    Background,
    Foreground,
    Orphan,
}

impl Propagation {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "Background" => Ok(Propagation::Background),
            "Foreground" => Ok(Propagation::Foreground),
            "Orphan" => Ok(Propagation::Orphan),
            other => Err(ApiError::bad_request(format!(
                "unsupported propagationPolicy {other:?}"
            ))),
        }
    }
}

/// The parts of `metav1.DeleteOptions` devcluster honours.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub propagation: Option<Propagation>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
}

/// The result of a delete.
#[derive(Debug)]
pub enum DeleteOutcome {
    /// The object is still there (finalizers, foreground dependents, a terminating namespace).
    Pending(Arc<Value>),
    /// The object is gone; this was its last state.
    Gone(Arc<Value>),
}

impl State {
    /// DELETE of one object.
    pub fn delete(
        &mut self,
        ctx: &WriteCtx,
        rt: &ResourceType,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<DeleteOutcome, ApiError> {
        let r = ObjRef {
            key: rt.key(),
            namespace: ns.unwrap_or_default().to_string(),
            name: name.to_string(),
        };
        let cur = self
            .get_ref(&r)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        if let Some(uid) = &opts.precondition_uid
            && uid != meta::uid(&cur)
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta::uid(&cur)
                ),
            ));
        }
        if let Some(rv) = &opts.precondition_rv
            && rv != meta::resource_version(&cur)
        {
            return Err(ApiError::conflict_with(
                &rt.group,
                &rt.plural,
                name,
                format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta::resource_version(&cur)
                ),
            ));
        }
        if rt.is_namespace() && matches!(name, "default" | "kube-system" | "kube-public") {
            return Err(ApiError::forbidden(format!(
                "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
            ))
            .with_details(json!({ "name": name, "kind": "namespaces" })));
        }
        if meta::is_deleting(&cur) {
            return Ok(DeleteOutcome::Pending(cur));
        }
        let policy = opts.propagation.unwrap_or_default();
        if ctx.dry_run {
            let has_dependents = self
                .dependents
                .get(meta::uid(&cur))
                .is_some_and(|d| !d.is_empty());
            // Namespaces and CRDs always pass through Terminating.
            let pending = rt.is_namespace()
                || rt.is_crd()
                || !meta::finalizers(&cur).is_empty()
                || (policy == Propagation::Foreground && has_dependents);
            if pending && rt.is_crd() {
                let obj = super::crd_lifecycle::terminating(&cur, &ctx.now);
                return Ok(DeleteOutcome::Pending(Arc::new(obj)));
            }
            if pending {
                let mut obj = (*cur).clone();
                meta::meta_mut(&mut obj).insert("deletionTimestamp".into(), json!(ctx.now));
                return Ok(DeleteOutcome::Pending(Arc::new(obj)));
            }
            return Ok(DeleteOutcome::Gone(cur));
        }
        Ok(self.delete_ref(&r, policy, &ctx.now))
    }

    /// Deletes the object at `r` (it exists), honouring finalizers and `policy`.
    pub(super) fn delete_ref(
        &mut self,
        r: &ObjRef,
        policy: Propagation,
        now: &str,
    ) -> DeleteOutcome {
        let Some(cur) = self.get_ref(r).cloned() else {
            return DeleteOutcome::Gone(Arc::new(Value::Null));
        };
        if meta::is_deleting(&cur) {
            return DeleteOutcome::Pending(cur);
        }
        let uid = meta::uid(&cur).to_string();
        let dependents: Vec<ObjRef> = self
            .dependents
            .get(&uid)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        if r.key.group.is_empty() && r.key.plural == "namespaces" {
            let mut obj = (*cur).clone();
            meta::meta_mut(&mut obj).insert("deletionTimestamp".into(), json!(now));
            meta::meta_mut(&mut obj).insert("deletionGracePeriodSeconds".into(), json!(0));
            obj["status"] = json!({ "phase": "Terminating" });
            let terminating = self.commit_put(r, obj);
            for content in self.in_namespace(&r.name) {
                self.delete_ref(&content, Propagation::Background, now);
            }
            self.try_finalize_namespace(&r.name);
            // kube-apiserver answers with the Terminating namespace (its controller empties it
            // later); here it may already be gone.
            return match self.outcome(r) {
                DeleteOutcome::Gone(_) => DeleteOutcome::Gone(terminating),
                pending => pending,
            };
        }
        if crate::registry::is_crd_key(&r.key) {
            return self.delete_crd(r, &cur, now);
        }
        let mut finalizers = meta::finalizers(&cur);
        match policy {
            Propagation::Orphan => {
                for d in &dependents {
                    self.drop_owner_refs(d, std::slice::from_ref(&uid));
                }
            }
            Propagation::Foreground if !dependents.is_empty() => {
                finalizers.push(FOREGROUND.into());
            }
            _ => {}
        }
        if finalizers.is_empty() {
            let last = self.remove_cascade(r).unwrap_or(cur);
            return DeleteOutcome::Gone(last);
        }
        let mut obj = (*cur).clone();
        meta::set_finalizers(&mut obj, &finalizers);
        meta::meta_mut(&mut obj).insert("deletionTimestamp".into(), json!(now));
        meta::meta_mut(&mut obj).insert("deletionGracePeriodSeconds".into(), json!(0));
        self.commit_put(r, obj);
        if policy == Propagation::Foreground {
            for d in &dependents {
                self.collect(d, &uid, Propagation::Foreground, now);
            }
            self.check_foreground(r);
        }
        self.outcome(r)
    }

    fn outcome(&self, r: &ObjRef) -> DeleteOutcome {
        match self.get_ref(r) {
            Some(o) => DeleteOutcome::Pending(o.clone()),
            None => DeleteOutcome::Gone(Arc::new(Value::Null)),
        }
    }

    /// Replaces an object without an event (its removal follows at once).
    pub(super) fn replace_silently(&mut self, r: &ObjRef, obj: Value) {
        let obj = Arc::new(obj);
        if let Some(old) = self
            .objects
            .entry(r.key.clone())
            .or_default()
            .insert((r.namespace.clone(), r.name.clone()), obj.clone())
        {
            self.index_remove(r, &old);
        }
        self.index_put(r, &obj);
    }

    /// Removes an object and everything that follows from it: dependents without a remaining
    /// owner, a foreground owner waiting for it, its terminating namespace, a CRD's objects.
    pub(super) fn remove_cascade(&mut self, r: &ObjRef) -> Option<Arc<Value>> {
        let last = self.commit_remove(r)?;
        let uid = meta::uid(&last).to_string();
        if let Some(deps) = self.dependents.remove(&uid) {
            for d in deps {
                self.collect(&d, "", Propagation::Background, &crate::meta::now());
            }
        }
        for owner in meta::owner_uids(&last) {
            if let Some(o) = self.uids.get(&owner).cloned() {
                self.check_foreground(&o);
            }
        }
        if !r.namespace.is_empty() {
            self.try_finalize_namespace(&r.namespace);
        }
        if !self.registry.get(&r.key).is_some_and(|rt| rt.is_builtin()) {
            self.finish_crd_cleanup(&r.key);
        }
        if crate::registry::is_crd_key(&r.key)
            && let Some(served) = crd_served_key(&last)
        {
            self.remove_crd_objects(&served);
        }
        Some(last)
    }

    /// The garbage collector's view of a written object: when it names owners and none of them
    /// resolves (`gc`), it is deleted (background), as kube's GC does a moment later.
    pub(super) fn collect_if_orphaned(&mut self, r: &ObjRef) {
        self.collect(r, "", Propagation::Background, &crate::meta::now());
    }

    /// A foreground-deleting owner goes once its blocking dependents (`blockOwnerDeletion`) are
    /// gone.
    fn check_foreground(&mut self, r: &ObjRef) {
        let Some(obj) = self.get_ref(r).cloned() else {
            return;
        };
        let mut finalizers = meta::finalizers(&obj);
        if !meta::is_deleting(&obj) || !finalizers.iter().any(|f| f == FOREGROUND) {
            return;
        }
        let uid = meta::uid(&obj);
        let waiting = self
            .dependents
            .get(uid)
            .is_some_and(|deps| deps.iter().any(|d| self.blocks_owner(d, uid)));
        if waiting {
            return;
        }
        finalizers.retain(|f| f != FOREGROUND);
        let mut new = (*obj).clone();
        meta::set_finalizers(&mut new, &finalizers);
        if finalizers.is_empty() {
            self.replace_silently(r, new);
            self.remove_cascade(r);
        } else {
            self.commit_put(r, new);
        }
    }

    /// Removes the owner references with these uids from the dependent at `d`.
    pub(super) fn drop_owner_refs(&mut self, d: &ObjRef, owner_uids: &[String]) {
        let Some(obj) = self.get_ref(d).cloned() else {
            return;
        };
        let mut new = (*obj).clone();
        if let Some(Value::Array(refs)) = new.pointer_mut("/metadata/ownerReferences") {
            refs.retain(|o| {
                o.get("uid")
                    .and_then(Value::as_str)
                    .is_none_or(|u| !owner_uids.iter().any(|g| g == u))
            });
            if refs.is_empty()
                && let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut)
            {
                m.remove("ownerReferences");
            }
        }
        if new != *obj {
            self.commit_put(d, new);
        }
    }

    /// A terminating namespace goes once nothing is left in it.
    fn try_finalize_namespace(&mut self, ns: &str) {
        let r = ObjRef {
            key: ResourceKey {
                group: String::new(),
                plural: "namespaces".into(),
            },
            namespace: String::new(),
            name: ns.into(),
        };
        let Some(obj) = self.get_ref(&r).cloned() else {
            return;
        };
        if !meta::is_deleting(&obj) || !self.in_namespace(ns).is_empty() {
            return;
        }
        let mut new = (*obj).clone();
        if let Some(Value::Array(f)) = new.pointer_mut("/spec/finalizers") {
            f.retain(|v| v.as_str() != Some(NAMESPACE_FINALIZER));
        }
        if meta::finalizers(&new).is_empty() {
            self.replace_silently(&r, new);
            self.remove_cascade(&r);
        } else if new != *obj {
            self.commit_put(&r, new);
        }
    }

    /// A deleted CRD takes its objects and its served resource with it.
    fn remove_crd_objects(&mut self, served: &ResourceKey) {
        for r in self.all_of(served) {
            self.remove_cascade(&r);
        }
        self.objects.remove(served);
        self.hub.close_resource(served);
        self.registry.unregister(served);
    }
}
