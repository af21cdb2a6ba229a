//! One strategy per built-in kind, after kube-apiserver's `pkg/registry/<group>/<kind>/strategy.go`:
//! everything devcluster knows about a kind lives in its entry of [`ALL`]. Its names and scope,
//! its defaults, its create and update validation and immutable fields, whether it has a status
//! subresource (whose fields are reset on the main endpoint), its list-merge schemas for
//! server-side apply and strategic merge, its table columns and field selectors, whether an
//! unconditional update is allowed, whether it carries `metadata.generation`, and its workload
//! simulation.
//!
//! Rules every kind shares (ObjectMeta, owner references, finalizers) are written once, in
//! `store::admission`; custom resources have no strategy here and get the generic rules plus their
//! CRD's schema.

mod apps;
mod batch;
mod cluster;
mod config;
mod core;
pub mod immutable;
mod networking;
mod pod_spec;
mod pod_template;
mod quantity;
mod rbac;
mod service;
mod workload_status;

use crate::meta::NameRule;
use crate::status::Cause;
use crate::table::Column;
use crate::verb::{self, Verb};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

pub use immutable::Immutable;
pub use workload_status::Simulated;

/// `metadata.generation`: absent, or bumped by which changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Kinds without a spec (ConfigMap, Secret, Service, Pod, RBAC, ...) carry none.
    None,
    /// Bumped when anything outside `metadata` and `status` changes.
    Spec,
    /// Bumped by spec and annotation changes (Deployment: annotations are copied to its
    /// ReplicaSets).
    SpecAndAnnotations,
    /// Bumped by any change outside `metadata` (custom resources without a status
    /// subresource).
    AllButMetadata,
}

/// One selectable field whose selector name is not simply its JSON path.
#[derive(Debug, Clone, Copy)]
pub struct Selectable {
    /// The selector's field name (`source`, `status.successful`).
    pub name: &'static str,
    /// Dotted JSON paths, the first non-empty value wins (`source.component`, then
    /// `reportingComponent`).
    pub paths: &'static [&'static str],
    /// The value of an absent field (`"0"` for counts Go prints with `strconv.Itoa`).
    pub absent: &'static str,
}

/// Which field selectors a kind supports beyond `metadata.name` and `metadata.namespace`
/// (kube's `ToSelectableFields` of the kind's strategy).
#[derive(Debug, Clone, Copy)]
pub enum FieldSelectors {
    /// These dotted paths, each selecting the string at that path.
    Only(&'static [&'static str]),
    /// Fields named otherwise than their path, with fallbacks and defaults.
    Fields(&'static [Selectable]),
}

/// Where a selector field's value is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    pub paths: Vec<&'static str>,
    pub absent: &'static str,
}

impl FieldSelectors {
    /// Where selector field `field` is read, or None when the kind does not support it.
    pub fn path(self, field: &str) -> Option<FieldPath> {
        let plain = |p: &'static str| FieldPath {
            paths: vec![p],
            absent: "",
        };
        match field {
            "metadata.name" => return Some(plain("metadata.name")),
            "metadata.namespace" => return Some(plain("metadata.namespace")),
            _ => {}
        }
        match self {
            FieldSelectors::Only(fields) => fields.iter().find(|f| **f == field).map(|f| plain(f)),
            FieldSelectors::Fields(fields) => {
                fields.iter().find(|s| s.name == field).map(|s| FieldPath {
                    paths: s.paths.to_vec(),
                    absent: s.absent,
                })
            }
        }
    }
}

const fn same(name: &'static str, paths: &'static [&'static str]) -> Selectable {
    Selectable {
        name,
        paths,
        absent: "",
    }
}

/// A core v1 Event's selectable fields; events.k8s.io selectors are translated to these names
/// first (`regarding.name` is `involvedObject.name`).
pub const EVENT_FIELDS: FieldSelectors = FieldSelectors::Fields(&[
    same("involvedObject.kind", &["involvedObject.kind"]),
    same("involvedObject.namespace", &["involvedObject.namespace"]),
    same("involvedObject.name", &["involvedObject.name"]),
    same("involvedObject.uid", &["involvedObject.uid"]),
    same("involvedObject.apiVersion", &["involvedObject.apiVersion"]),
    same(
        "involvedObject.resourceVersion",
        &["involvedObject.resourceVersion"],
    ),
    same("involvedObject.fieldPath", &["involvedObject.fieldPath"]),
    same("reason", &["reason"]),
    same("reportingComponent", &["reportingComponent"]),
    // `source.component`, else the reporting controller, as the Event strategy reads it.
    same("source", &["source.component", "reportingComponent"]),
    same("type", &["type"]),
]);

/// A count selected as Go prints an int: an absent one is `"0"`.
pub const fn count(name: &'static str, paths: &'static [&'static str]) -> Selectable {
    Selectable {
        name,
        paths,
        absent: "0",
    }
}

/// The facts about one built-in kind.
pub struct Strategy {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub namespaced: bool,
    /// A `status` subresource: the main endpoint resets `status`, `/status` resets the rest.
    pub status: bool,
    /// A `scale` subresource on `.spec.replicas`.
    pub scale: bool,
    pub name_rule: NameRule,
    pub verbs: &'static [Verb],
    /// A review (`SelfSubjectAccessReview` and kin): create-only, answered at once, never stored.
    pub review: bool,
    /// `AllowUnconditionalUpdate`: a PUT without `metadata.resourceVersion` is accepted.
    pub unconditional_update: bool,
    /// Whether objects carry `metadata.generation`, and what bumps it.
    pub generation: Generation,
    /// Whether a DELETE that removes the object answers with it rather than a Status.
    pub returns_deleted_object: bool,
    /// Defaulting (`SetDefaults_*`, applied when a request body is decoded): what it fills in
    /// belongs to the writer, in `managedFields`, as on a real cluster. Gets the old object on
    /// update.
    pub defaults: fn(&mut Value, Option<&Value>),
    /// `PrepareForCreate` / `PrepareForUpdate` and the storage layer (allocated cluster IPs,
    /// a Job's generated selector, a new Namespace's finalizer): runs after the writer's
    /// fields are recorded, so nobody owns what it sets.
    pub prepare: fn(&mut Value, Option<&Value>),
    /// `Validate` (create and update): the causes of a 422.
    pub validate: fn(&Value) -> Vec<Cause>,
    /// `ValidateUpdate` beyond the immutable fields: the causes of a 422.
    pub validate_update: fn(&Value, &Value) -> Vec<Cause>,
    /// Fields that may not change once set.
    pub immutable: &'static [Immutable],
    /// The structured-merge-diff schema (server-side apply).
    pub ssa: &'static crate::ssa::schema::Ty,
    /// The strategic-merge-patch schema.
    pub smp: &'static crate::patch::schema::Struct,
    /// `kubectl get` columns.
    pub columns: fn() -> Vec<Column>,
    pub field_selectors: FieldSelectors,
    /// With `--simulate-workloads`, the status a controller would write.
    pub simulate: Option<Simulated>,
    /// Decodes the JSON text as the kind's k8s-openapi type and encodes it again.
    pub decode: fn(&str) -> Result<Value, serde_json::Error>,
    /// Decodes the kind's protobuf message (`kubectl create <generator>` sends one).
    pub protobuf: Option<crate::protobuf::Decode>,
}

impl std::fmt::Debug for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Strategy({}/{} {})", self.group, self.version, self.kind)
    }
}

/// Strategies are statics: one kind, one strategy, compared by identity.
impl PartialEq for Strategy {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

fn no_prepare(_: &mut Value, _: Option<&Value>) {}
fn no_causes(_: &Value) -> Vec<Cause> {
    Vec::new()
}
fn no_update_causes(_: &Value, _: &Value) -> Vec<Cause> {
    Vec::new()
}

/// Decodes JSON text as `T` and encodes it again (unknown fields are dropped on the way).
pub fn round_trip<T>(text: &str) -> Result<Value, serde_json::Error>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let typed: T = serde_json::from_str(text)?;
    serde_json::to_value(typed)
}

impl Strategy {
    /// A plain kind: namespaced, no status, every verb, the generic rules only, a spec (so a
    /// generation), Name + Age columns. Entries override what differs.
    pub const fn plain(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
        decode: fn(&str) -> Result<Value, serde_json::Error>,
    ) -> Strategy {
        Strategy {
            group,
            version,
            kind,
            plural,
            short_names: &[],
            categories: &[],
            namespaced: true,
            status: false,
            scale: false,
            name_rule: NameRule::Subdomain,
            verbs: verb::ALL,
            review: false,
            unconditional_update: true,
            generation: Generation::Spec,
            returns_deleted_object: false,
            defaults: no_prepare,
            prepare: no_prepare,
            validate: no_causes,
            validate_update: no_update_causes,
            immutable: &[],
            ssa: &crate::ssa::schema::PLAIN,
            smp: &crate::patch::schema::PLAIN,
            columns: crate::table::builtin::name_created_at,
            field_selectors: FieldSelectors::Only(&[]),
            simulate: None,
            decode,
            protobuf: None,
        }
    }

    /// The strategy's `apiVersion`.
    #[cfg(test)]
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Every built-in kind. Adding a plain one is adding an entry to its group's list.
pub static ALL: LazyLock<Vec<&'static Strategy>> = LazyLock::new(|| {
    [
        core::KINDS,
        apps::KINDS,
        batch::KINDS,
        rbac::KINDS,
        networking::KINDS,
        cluster::KINDS,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
});

static BY_GROUP_KIND: LazyLock<HashMap<(&'static str, &'static str), &'static Strategy>> =
    LazyLock::new(|| ALL.iter().map(|s| ((s.group, s.kind), *s)).collect());

static BY_RESOURCE: LazyLock<HashMap<(&'static str, &'static str), &'static Strategy>> =
    LazyLock::new(|| ALL.iter().map(|s| ((s.group, s.plural), *s)).collect());

/// The strategy of the built-in `group`/`kind`, if it is one.
pub fn by_kind(group: &str, kind: &str) -> Option<&'static Strategy> {
    BY_GROUP_KIND.get(&(group, kind)).copied()
}

/// The strategy of the built-in resource `group`/`plural`, if it is one.
pub fn by_resource(group: &str, plural: &str) -> Option<&'static Strategy> {
    BY_RESOURCE.get(&(group, plural)).copied()
}

/// Whether `group` is a built-in API group (a Go type on the server) rather than a custom
/// resource's: the core group, a group without a dot, or one ending in `.k8s.io` (custom
/// resources must use a dotted group outside `k8s.io`).
pub fn is_built_in_group(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// The group of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_one_entry() {
        let mut seen = std::collections::HashSet::new();
        for s in ALL.iter() {
            assert!(seen.insert((s.group, s.plural)), "{} twice", s.plural);
            assert_eq!(by_kind(s.group, s.kind).map(|k| k.plural), Some(s.plural));
        }
        assert!(by_resource("apps", "statefulsets").is_some_and(|s| s.status && s.scale));
        assert!(by_resource("", "configmaps").is_some_and(|s| s.generation == Generation::None));
        assert!(
            by_resource("coordination.k8s.io", "leases").is_some_and(|s| !s.unconditional_update)
        );
    }

    #[test]
    fn every_kind_decodes_a_minimal_object() {
        for s in ALL.iter().filter(|s| !s.review) {
            let text = serde_json::json!({"apiVersion": s.api_version(), "kind": s.kind,
                "metadata": {"name": "x"}})
            .to_string();
            let out = (s.decode)(&text).unwrap_or_else(|e| panic!("{}: {e}", s.kind));
            assert_eq!(out["metadata"]["name"], "x", "{}", s.kind);
        }
    }

    #[test]
    fn field_selectors() {
        let paths = |s: FieldSelectors, f: &str| s.path(f).map(|p| p.paths);
        assert_eq!(
            paths(FieldSelectors::Only(&["type"]), "type"),
            Some(vec!["type"])
        );
        assert_eq!(
            paths(FieldSelectors::Only(&[]), "metadata.name"),
            Some(vec!["metadata.name"])
        );
        assert_eq!(paths(FieldSelectors::Only(&[]), "spec.x"), None);
        assert_eq!(
            paths(EVENT_FIELDS, "source"),
            Some(vec!["source.component", "reportingComponent"])
        );
        assert_eq!(paths(EVENT_FIELDS, "message"), None);
        let jobs = by_resource("batch", "jobs").map(|s| s.field_selectors);
        let successful = jobs.and_then(|j| j.path("status.successful"));
        assert_eq!(successful.map(|p| p.absent), Some("0"));
    }
}
