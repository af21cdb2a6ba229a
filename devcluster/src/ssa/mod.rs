//! Server-side apply and field ownership (`metadata.managedFields`), after kube-apiserver's
//! field manager and structured-merge-diff.
//!
//! - [`apply`] merges an applied configuration into the live object and makes its manager own
//!   exactly the fields it applied. Fields it applied before and no longer applies are removed
//!   unless another manager (Apply or Update) owns them. Changing the value of a field another
//!   manager owns is a [`ApplyError::Conflict`] unless `force`, which moves the field to the
//!   applier. Applying the same value as another manager is not a conflict: both own the field.
//! - [`record_update`] does the bookkeeping of every other write (create, PUT, merge / JSON /
//!   strategic patch): the fields it set or changed move to the writer's Update entry.
//!
//! How lists merge: associative lists (`+listType=map`: containers, initContainers, env and
//! volumes by `name`, container ports by `containerPort`+`protocol`, Service ports by
//! `port`+`protocol`, volumeMounts by `mountPath`, ownerReferences by `uid`, conditions by
//! `type`, ...) merge item by item and are owned per item (`k:{...}`); sets (`finalizers`) merge
//! by value (`v:...`); every other list is atomic: the applier's list replaces the live one and
//! is owned as a whole. Maps merge key by key.
//!
//! Differences from kube-apiserver, all deliberate simplifications: no schema validation or
//! defaulting (an omitted `protocol` in a port key counts as `TCP`, as kube's default makes it);
//! list items whose key is missing or duplicated make their list atomic instead of failing; no
//! version conversion between managers' API versions; Update entries are not capped at 10; null
//! values in an applied configuration are ignored; the last-applied annotation is not updated by
//! server-side apply; status/spec isolation of the status subresource is the caller's job (the
//! reset fields, [`Reset`], are neither owned nor conflicted on here).
//!
//! Custom resources take their list and map types from their CRD version's schema
//! (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`), as
//! kube-apiserver does: a list without a list type is atomic.

mod crd_schema;
mod fieldset;
mod managed;
pub(crate) mod schema;
mod walk;

use serde_json::{Map, Value};

use fieldset::{FieldSet, display_path, field_pe};
use managed::{Entry, Operation};
use schema::Ty;

/// The request context of an apply or a recorded update.
#[derive(Clone, Copy, Debug)]
pub struct ApplyParams<'a> {
    /// `fieldManager`, required for apply.
    pub manager: &'a str,
    /// `force=true`: take conflicting fields from their owners.
    pub force: bool,
    /// The applied (or written) object's `apiVersion`.
    pub api_version: &'a str,
    pub kind: &'a str,
    /// RFC 3339 time for `managedFields[].time`, e.g. "2026-11-27T14:00:00Z".
    pub now: &'a str,
    /// `Some("status")` when written through `/status`.
    pub subresource: Option<&'a str>,
    /// The fields this write may not set (kube's reset fields).
    pub reset: Reset,
    /// A custom resource's CRD version schema (`openAPIV3Schema`), which gives its list and
    /// map types; None for built-ins, whose types are their strategy's.
    pub crd_schema: Option<&'a Value>,
}

impl ApplyParams<'_> {
    /// The structured-merge-diff type of the written object, and whether it is a Go struct
    /// (built-in) whose empty optional fields vanish.
    fn schema(&self) -> (&'static Ty, bool) {
        match self.crd_schema {
            Some(s) => (crd_schema::for_crd(s), false),
            None => (
                schema::for_kind(self.api_version, self.kind),
                schema::is_built_in(self.api_version),
            ),
        }
    }
}

/// The fields a write may not set, which it therefore neither owns nor conflicts on: kube's
/// `GetResetFields` of the main and the status strategy of a kind with a status subresource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// No status subresource: the write may set everything.
    Nothing,
    /// The main endpoint of a kind with a status subresource: `status` is reset.
    Status,
    /// The `/status` endpoint: everything but `status` (and the object's identity) is reset.
    AllButStatus,
}

impl Reset {
    /// The reset fields of a write to `subresource` of a kind with or without a status
    /// subresource.
    pub fn of_write(status_subresource: bool, subresource: Option<&str>) -> Reset {
        match subresource {
            Some("status") => Reset::AllButStatus,
            // `/scale` writes reach here as the parent object, replicas only (see http::scale).
            Some("scale") | None if status_subresource => Reset::Status,
            Some("scale") | None => Reset::Nothing,
            // No other subresource is served (a 404 before any write).
            Some(_) => Reset::Nothing,
        }
    }

    /// `config` without the reset fields.
    fn strip(self, mut config: Value) -> Value {
        let Some(obj) = config.as_object_mut() else {
            return config;
        };
        match self {
            Reset::Nothing => {}
            Reset::Status => {
                obj.remove("status");
            }
            Reset::AllButStatus => {
                obj.retain(|k, _| {
                    matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status")
                });
                if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
                    meta.remove("labels");
                    meta.remove("annotations");
                }
            }
        }
        config
    }
}

/// One field another manager owns with a different value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The owner as kube prints it: `"mgr"` (Apply), `"mgr" using v1` (Update).
    pub manager: String,
    /// The field path as kube prints it: `.data.a`, `.spec.containers[name="app"].image`.
    pub field: String,
}

/// Why an apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// 409: fields owned by other managers would change. The message is kube-apiserver's.
    #[error("{}", conflict_message(conflicts))]
    Conflict { conflicts: Vec<Conflict> },
    /// 400: the applied configuration is not an applicable object.
    #[error("invalid apply configuration: {message}")]
    Invalid { message: String },
}

impl ApplyError {
    /// The HTTP status kube-apiserver answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            ApplyError::Conflict { .. } => 409,
            ApplyError::Invalid { .. } => 400,
        }
    }
}

/// kube's `getConflictMessage`: one conflict on one line, several grouped by manager.
fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager, only.field
        );
    }
    let mut lines: Vec<String> = Vec::new();
    let mut current: Option<&str> = None;
    for c in conflicts {
        if current != Some(c.manager.as_str()) {
            lines.push(format!("conflicts with {}:", c.manager));
            current = Some(&c.manager);
        }
        lines.push(format!("- {}", c.field));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// The manager name kube gives the owner of an object's fields the first time it is applied to
/// when nothing recorded their owners before.
const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Server-side apply. `live` is the stored object (None when creating). Returns the new object
/// with `metadata.managedFields` updated. Server-owned metadata of `live` (uid,
/// resourceVersion, creationTimestamp, generation, deletionTimestamp) is kept and never owned.
pub fn apply(
    live: Option<&Value>,
    applied: &Value,
    params: &ApplyParams,
) -> Result<Value, ApplyError> {
    validate(applied)?;
    let (ty, go_structs) = params.schema();
    let config = params.reset.strip(without_nulls(applied));
    let live_obj = live.map_or_else(|| Value::Object(Map::new()), without_managed_fields);
    let mut entries = live.map(managed::decode).unwrap_or_default();
    if live.is_some() && entries.is_empty() {
        entries.extend(before_first_apply(&live_obj, params, ty, go_structs));
    }

    let merged = walk::merge(&live_obj, &config, ty);
    let me = Entry::new(
        params.manager,
        Operation::Apply,
        params.api_version,
        params.subresource,
    );
    let mine = match entries.iter().position(|e| e.same_manager(&me)) {
        Some(i) => i,
        None => {
            entries.push(me);
            entries.len() - 1
        }
    };
    let last_set = std::mem::replace(&mut entries[mine].set, walk::to_field_set(&config, ty));
    entries[mine].api_version = params.api_version.to_owned();
    let result = if last_set.is_empty() {
        merged
    } else {
        prune(&merged, &entries, &last_set, ty)
    };

    let diff = walk::compare(&live_obj, &result, ty, go_structs);
    let changed = diff.modified.union(&diff.added);
    let conflicts: Vec<(usize, FieldSet)> = entries
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != mine)
        .map(|(i, e)| (i, e.set.intersection(&changed)))
        .filter(|(_, set)| !set.is_empty())
        .collect();
    if !params.force && !conflicts.is_empty() {
        return Err(ApplyError::Conflict {
            conflicts: describe_conflicts(&entries, &conflicts),
        });
    }
    for (i, taken) in &conflicts {
        entries[*i].set = entries[*i].set.difference(taken);
    }
    for (i, entry) in entries.iter_mut().enumerate() {
        if i != mine {
            entry.set = entry.set.difference(&diff.removed);
        }
    }
    entries[mine].set = strip_server_fields(&entries[mine].set);
    if result != live_obj || entries[mine].time.is_none() {
        entries[mine].time = Some(params.now.to_owned());
    }
    let mut result = result;
    managed::encode_into(&mut result, &entries);
    Ok(result)
}

/// Book-keeping for a non-apply write (create, update/PUT, merge/JSON/strategic patch) by
/// `params.manager` (operation "Update"): fields this write set or changed become owned by the
/// manager's Update entry and leave every other manager's set; removed fields leave all sets.
/// `old` is the object before the write (None on create); `new` is mutated in place. As in kube,
/// `managedFields` sent in `new` replace the recorded ones (`[{}]` clears them), except through
/// a subresource.
pub fn record_update(old: Option<&Value>, new: &mut Value, params: &ApplyParams) {
    let (ty, go_structs) = params.schema();
    let from_old = || old.map(managed::decode).unwrap_or_default();
    let mut entries = if params.subresource.is_some() {
        from_old()
    } else if managed::is_reset_request(new) {
        Vec::new()
    } else {
        let sent = managed::decode(new);
        if sent.is_empty() { from_old() } else { sent }
    };
    if let Some(Value::Object(meta)) = new.get_mut("metadata") {
        meta.remove("managedFields");
    }
    let old_obj = old.map_or_else(|| Value::Object(Map::new()), without_managed_fields);
    let diff = walk::compare(&old_obj, new, ty, go_structs);
    let changed = diff.modified.union(&diff.added);
    for entry in &mut entries {
        entry.set = entry.set.difference(&changed).difference(&diff.removed);
    }
    let owned = strip_server_fields(&changed);
    if !owned.is_empty() {
        let me = Entry::new(
            params.manager,
            Operation::Update,
            params.api_version,
            params.subresource,
        );
        let i = match entries.iter().position(|e| e.same_manager(&me)) {
            Some(i) => i,
            None => {
                entries.push(me);
                entries.len() - 1
            }
        };
        entries[i].set = entries[i].set.union(&owned);
        entries[i].time = Some(params.now.to_owned());
    }
    managed::encode_into(new, &entries);
}

fn validate(applied: &Value) -> Result<(), ApplyError> {
    let invalid = |message: &str| {
        Err(ApplyError::Invalid {
            message: message.to_owned(),
        })
    };
    let Value::Object(obj) = applied else {
        return invalid("the applied configuration must be a JSON or YAML object");
    };
    for field in ["apiVersion", "kind"] {
        if obj
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return invalid(&format!(
                "Object '{}' is missing",
                if field == "kind" { "Kind" } else { field }
            ));
        }
    }
    let managed = applied.pointer("/metadata/managedFields");
    if managed
        .and_then(Value::as_array)
        .is_some_and(|m| !m.is_empty())
    {
        return invalid("metadata.managedFields must be nil");
    }
    Ok(())
}

/// kube's "before-first-apply": an object applied to for the first time with no recorded owners
/// is taken as owned by that Update manager, so that applying other values conflicts.
fn before_first_apply(
    live: &Value,
    params: &ApplyParams,
    ty: &'static Ty,
    go_structs: bool,
) -> Option<Entry> {
    let api_version = live
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or(params.api_version);
    let diff = walk::compare(&Value::Object(Map::new()), live, ty, go_structs);
    let mut entry = Entry::new(BEFORE_FIRST_APPLY, Operation::Update, api_version, None);
    entry.set = strip_server_fields(&diff.added.union(&diff.modified));
    entry.time = Some(params.now.to_owned());
    (!entry.set.is_empty()).then_some(entry)
}

/// structured-merge-diff's `prune`: removes what the applier owned last time and no manager,
/// the applier's new configuration included, owns now.
fn prune(merged: &Value, entries: &[Entry], last_set: &FieldSet, ty: &'static Ty) -> Value {
    let owned = entries
        .iter()
        .fold(FieldSet::default(), |acc, e| acc.union(&e.set));
    let removable =
        walk::ensure_named_fields(last_set, ty).difference(&walk::ensure_named_fields(&owned, ty));
    walk::remove_items(merged, &removable, ty)
}

/// Conflicts grouped by manager (sorted by kube's manager identifier), paths in set order.
fn describe_conflicts(entries: &[Entry], conflicts: &[(usize, FieldSet)]) -> Vec<Conflict> {
    let mut by_manager: Vec<&(usize, FieldSet)> = conflicts.iter().collect();
    by_manager.sort_by_key(|(i, _)| entries[*i].identifier());
    by_manager
        .into_iter()
        .flat_map(|(i, set)| {
            let manager = entries[*i].describe();
            set.paths().into_iter().map(move |path| Conflict {
                manager: manager.clone(),
                field: display_path(&path),
            })
        })
        .collect()
}

/// kube's strip set: type metadata and server-managed object metadata are never owned.
fn strip_server_fields(set: &FieldSet) -> FieldSet {
    let mut strip = FieldSet::default();
    strip.insert(&[field_pe("apiVersion")]);
    strip.insert(&[field_pe("kind")]);
    strip.insert(&[field_pe("metadata")]);
    for field in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        strip.insert(&[field_pe("metadata"), field_pe(field)]);
    }
    set.difference(&strip)
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
        meta.remove("managedFields");
    }
    obj
}

/// The applied configuration without null values, which an apply cannot own.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        scalar => scalar.clone(),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod vector_tests;
