//! The lifecycle of a CustomResourceDefinition as apiextensions-apiserver's controllers drive it:
//!
//! - **Establishing.** With `crd_establish_delay`, a new CRD's names are accepted at once (its
//!   resource is served) but it is `Established=False` (`Installing`) and absent from discovery
//!   until the delay has passed; then `Established=True` (`InitialNamesAccepted`) arrives as a
//!   MODIFIED event, as the establishing controller writes it. Without a delay it is established
//!   at create.
//! - **Deleting.** A deleted CRD gets the `customresourcecleanup.apiextensions.k8s.io` finalizer
//!   and `Terminating=True` (`InstanceDeletionInProgress`); its objects are deleted, each
//!   honouring its own finalizers; new objects are refused (405). Once none is left, the
//!   condition says `InstanceDeletionCompleted`, the finalizer goes, and so does the CRD with its
//!   served resource.

use super::delete::{DeleteOutcome, Propagation};
use super::{ObjRef, State};
use crate::meta;
use crate::registry::ResourceKey;
use crate::status::ApiError;
use serde_json::{Value, json};
use std::time::Instant;

/// The finalizer the CRD finalizer controller owns.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

fn crd_key() -> ResourceKey {
    ResourceKey {
        group: "apiextensions.k8s.io".into(),
        plural: "customresourcedefinitions".into(),
    }
}

/// A CRD as its deletion leaves it: the cleanup finalizer, `deletionTimestamp` and
/// `Terminating=True` (`InstanceDeletionInProgress`). A dry-run delete answers with this too.
pub(super) fn terminating(cur: &Value, now: &str) -> Value {
    let mut obj = cur.clone();
    let mut finalizers = meta::finalizers(&obj);
    if !finalizers.iter().any(|f| f == CLEANUP_FINALIZER) {
        finalizers.push(CLEANUP_FINALIZER.into());
    }
    meta::set_finalizers(&mut obj, &finalizers);
    meta::meta_mut(&mut obj).insert("deletionTimestamp".into(), json!(now));
    meta::meta_mut(&mut obj).insert("deletionGracePeriodSeconds".into(), json!(0));
    crate::conditions::set(
        &mut obj,
        "Terminating",
        "True",
        "InstanceDeletionInProgress",
        "CustomResource deletion is in progress",
        now,
    );
    obj
}

impl State {
    /// A new CRD object before it is stored: not yet established when there is a delay.
    pub(super) fn crd_created(&mut self, r: &ObjRef, obj: &mut Value) {
        let Some(delay) = self.crd_establish_delay.filter(|d| !d.is_zero()) else {
            return;
        };
        crate::conditions::set(
            obj,
            "Established",
            "False",
            "Installing",
            "the initial names have been accepted",
            &meta::now(),
        );
        let uid = meta::uid(obj).to_string();
        self.establishing
            .push((Instant::now() + delay, r.clone(), uid));
    }

    /// CRDs persisted while waiting to be established wait again, from now.
    pub(super) fn establish_replayed_crds(&mut self) {
        let delay = self.crd_establish_delay.unwrap_or_default();
        let at = Instant::now() + delay;
        let waiting: Vec<(Instant, ObjRef, String)> = self
            .all_of(&crd_key())
            .into_iter()
            .filter_map(|r| {
                let crd = self.get_ref(&r)?;
                let waits = !meta::is_deleting(crd)
                    && !crate::registry::crd_condition_true(crd, "Established");
                let uid = meta::uid(crd).to_string();
                waits.then_some((at, r, uid))
            })
            .collect();
        self.establishing.extend(waiting);
        if delay.is_zero() {
            self.establish_due();
        }
    }

    /// Establishes the CRDs whose delay has passed (called by the server's ticker).
    pub(crate) fn establish_due(&mut self) {
        let now = Instant::now();
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.establishing)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.establishing = waiting;
        for (_, r, uid) in due {
            // The same CRD, not one deleted and created again under its name meanwhile.
            let Some(cur) = self.get_ref(&r).filter(|o| meta::uid(o) == uid).cloned() else {
                continue;
            };
            let mut obj = (*cur).clone();
            crate::conditions::set(
                &mut obj,
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
                &meta::now(),
            );
            let stored = self.commit_put(&r, obj);
            let _ = self.registry.register_crd(&stored);
        }
    }

    /// Deletes a CRD: finalizer, Terminating condition, then its objects (`DeleteOutcome` as
    /// for any object: Pending while instances remain).
    pub(super) fn delete_crd(&mut self, r: &ObjRef, cur: &Value, now: &str) -> DeleteOutcome {
        let obj = terminating(cur, now);
        let stored = self.commit_put(r, obj);
        if let Some(served) = super::crd_served_key(&stored) {
            for instance in self.all_of(&served) {
                self.delete_ref(&instance, Propagation::Background, now);
            }
            self.finish_crd_cleanup(&served);
        }
        match self.get_ref(r) {
            Some(o) => DeleteOutcome::Pending(o.clone()),
            None => DeleteOutcome::Gone(stored),
        }
    }

    /// The CRD object that serves `served`, if it is stored.
    fn crd_of(&self, served: &ResourceKey) -> Option<ObjRef> {
        let r = ObjRef {
            key: crd_key(),
            namespace: String::new(),
            name: format!("{}.{}", served.plural, served.group),
        };
        self.get_ref(&r).is_some().then_some(r)
    }

    /// Whether `served` belongs to a CRD that is being deleted.
    pub(super) fn crd_terminating(&self, served: &ResourceKey) -> bool {
        self.crd_of(served)
            .and_then(|r| self.get_ref(&r))
            .is_some_and(|crd| meta::is_deleting(crd))
    }

    /// Refuses new objects of a terminating CRD, as the custom resource handler does.
    pub(super) fn admit_custom_resource(&self, served: &ResourceKey) -> Result<(), ApiError> {
        if self.crd_terminating(served) {
            return Err(ApiError::method_not_allowed(
                "create not allowed while custom resource definition is terminating",
            ));
        }
        Ok(())
    }

    /// After an instance of `served` went: a terminating CRD with no instance left drops its
    /// cleanup finalizer, and goes when it has no other.
    pub(super) fn finish_crd_cleanup(&mut self, served: &ResourceKey) {
        let Some(r) = self.crd_of(served) else { return };
        let Some(cur) = self.get_ref(&r).cloned() else {
            return;
        };
        let has_instances = self.objects.get(served).is_some_and(|o| !o.is_empty());
        if !meta::is_deleting(&cur) || has_instances {
            return;
        }
        let mut obj = (*cur).clone();
        let finalizers: Vec<String> = meta::finalizers(&obj)
            .into_iter()
            .filter(|f| f != CLEANUP_FINALIZER)
            .collect();
        meta::set_finalizers(&mut obj, &finalizers);
        crate::conditions::set(
            &mut obj,
            "Terminating",
            "True",
            "InstanceDeletionCompleted",
            "removed all instances",
            &meta::now(),
        );
        if finalizers.is_empty() {
            self.replace_silently(&r, obj);
            self.remove_cascade(&r);
        } else if obj != *cur {
            self.commit_put(&r, obj);
        }
    }
}
