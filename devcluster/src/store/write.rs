//! Create and update (PUT, PATCH, server-side apply all end here): identity and type checks,
//! namespace admission, optimistic concurrency, status-subresource isolation, generation,
//! managedFields book-keeping, no-op detection and dry-run.

use super::{ObjRef, State, admission};
use crate::kinds::Generation;
use crate::meta;
use crate::registry::ResourceType;
use crate::status::{ApiError, Cause, CauseType};
use serde_json::{Value, json};
use std::sync::Arc;

/// How the write's field manager is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerOp {
    /// create, update, merge/JSON/strategic patch: `ssa::record_update`.
    Update,
    /// server-side apply: the caller's `ssa::apply` already updated managedFields.
    Apply,
}

/// Per-request write settings.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub dry_run: bool,
    pub manager: String,
    pub op: ManagerOp,
    /// `Some("status")` for writes to `/status`.
    pub subresource: Option<String>,
    /// RFC 3339 time of the request.
    pub now: String,
}

impl WriteCtx {
    fn is_status(&self) -> bool {
        self.subresource.as_deref() == Some("status")
    }
}

/// What an update closure sees and returns.
pub type Mutation<'a> = Box<dyn FnOnce(Option<&Value>) -> Result<Value, ApiError> + 'a>;

fn bad_request(msg: String) -> ApiError {
    ApiError::bad_request(msg)
}

/// Fills in and checks `apiVersion` and `kind` against the resource served at `version`.
fn check_type(rt: &ResourceType, version: &str, obj: &mut Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(bad_request("the request body must be a JSON object".into()));
    }
    let gv = rt.group_version(version);
    match obj.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => obj["apiVersion"] = json!(gv),
        Some(v) if rt.versions.iter().any(|sv| rt.group_version(sv) == v) => {}
        Some(v) => {
            return Err(bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({gv})"
            )));
        }
    }
    match obj.get("kind").and_then(Value::as_str) {
        None | Some("") => obj["kind"] = json!(rt.kind),
        Some(k) if k == rt.kind => {}
        Some(k) => {
            return Err(bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )));
        }
    }
    // Objects are stored and served under the version they are read through.
    obj["apiVersion"] = json!(gv);
    Ok(())
}

fn check_namespace(
    rt: &ResourceType,
    ns: Option<&str>,
    obj: &mut Value,
) -> Result<String, ApiError> {
    let body_ns = meta::namespace(obj).to_string();
    match (rt.namespaced, ns) {
        (true, Some(ns)) => {
            if !body_ns.is_empty() && body_ns != ns {
                return Err(bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                ));
            }
            meta::meta_mut(obj).insert("namespace".into(), json!(ns));
            Ok(ns.to_string())
        }
        (true, None) => Err(bad_request(
            "a namespace is required for a namespaced resource".into(),
        )),
        (false, _) => {
            meta::meta_mut(obj).remove("namespace");
            Ok(String::new())
        }
    }
}

/// The object with managedFields times removed: two objects equal under this are a no-op write.
fn without_times(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(Value::Array(mf)) = o.pointer_mut("/metadata/managedFields") {
        for entry in mf {
            if let Some(m) = entry.as_object_mut() {
                m.remove("time");
            }
        }
    }
    o
}

impl State {
    /// A CRD's spec must define a resource the registry can serve (422 otherwise).
    fn check_crd_spec(&self, rt: &ResourceType, crd: &Value, name: &str) -> Result<(), ApiError> {
        self.registry.check_crd(crd).map(drop).map_err(|e| {
            ApiError::invalid(
                &rt.group,
                &rt.kind,
                name,
                vec![Cause {
                    reason: CauseType::FieldValueInvalid,
                    message: e.to_string(),
                    field: "spec".into(),
                }],
            )
        })
    }

    /// Namespace admission: the namespace must exist and not be terminating.
    fn admit_namespace(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<(), ApiError> {
        if !rt.namespaced {
            return Ok(());
        }
        let key = crate::registry::ResourceKey {
            group: String::new(),
            plural: "namespaces".into(),
        };
        match self.get(&key, "", ns) {
            None => Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if meta::is_deleting(n) => Err(ApiError::forbidden(format!(
                "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                crate::status::qualified(&rt.group, &rt.plural)
            ))
            .with_details(json!({
                "name": name, "kind": rt.plural,
                "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]
            }))),
            Some(_) => Ok(()),
        }
    }

    /// Creates an object (POST, or server-side apply of a missing object).
    pub fn create(
        &mut self,
        ctx: &WriteCtx,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        mut obj: Value,
    ) -> Result<Arc<Value>, ApiError> {
        check_type(rt, version, &mut obj)?;
        let ns = check_namespace(rt, ns, &mut obj)?;
        meta::drop_empty_metadata(&mut obj);
        let name = object_name(rt, &mut obj)?;
        if rt.is_crd() {
            self.check_crd_spec(rt, &obj, &name)?;
        }
        self.admit_namespace(rt, &ns, &name)?;
        let r = ObjRef {
            key: rt.key(),
            namespace: ns,
            name,
        };
        if self.get_ref(&r).is_some() {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &r.name));
        }
        if !rt.is_builtin() {
            self.admit_custom_resource(&r.key)?;
        }
        server_metadata(ctx, rt, &mut obj);
        check_decodes(rt, version, &obj)?;
        crd_defaults(rt, version, &mut obj);
        admission::defaults(rt, &mut obj, None);
        record_manager(ctx, rt, version, None, &mut obj);
        admission::on_create(rt, &mut obj)?;
        if ctx.dry_run {
            return Ok(Arc::new(obj));
        }
        if rt.is_crd() {
            self.crd_created(&r, &mut obj);
        }
        let stored = self.commit_put(&r, obj);
        if rt.is_crd() {
            let _ = self.registry.register_crd(&stored);
        }
        self.simulate_workload(&r);
        self.collect_if_orphaned(&r);
        Ok(stored)
    }

    /// Updates an object: `mutate` turns the live object into the wanted one (PUT body, patched
    /// copy, applied result). For a missing object `mutate(None)` either fails (404 for PUT and
    /// patches) or yields one to create (server-side apply). Returns the result and whether it
    /// was created.
    pub fn update(
        &mut self,
        ctx: &WriteCtx,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        name: &str,
        mutate: Mutation<'_>,
    ) -> Result<(Arc<Value>, bool), ApiError> {
        let r = ObjRef {
            key: rt.key(),
            namespace: ns.unwrap_or_default().to_string(),
            name: name.to_string(),
        };
        let Some(cur) = self.get_ref(&r).cloned() else {
            if ctx.is_status() {
                return Err(ApiError::not_found(&rt.group, &rt.plural, name));
            }
            let mut obj = mutate(None)?;
            let body_name = meta::name(&obj).to_string();
            if !body_name.is_empty() && body_name != name {
                return Err(bad_request(format!(
                    "the name of the object ({body_name}) does not match the name on the URL ({name})"
                )));
            }
            meta::meta_mut(&mut obj).insert("name".into(), json!(name));
            return self.create(ctx, rt, version, ns, obj).map(|o| (o, true));
        };
        let mut new = mutate(Some(&cur))?;
        check_type(rt, version, &mut new)?;
        let body_name = meta::name(&new).to_string();
        if !body_name.is_empty() && body_name != name {
            return Err(bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        check_namespace(rt, ns.or(Some("")).filter(|_| rt.namespaced), &mut new)?;
        meta::drop_empty_metadata(&mut new);
        let rv = meta::resource_version(&new);
        if !rv.is_empty() && rv != meta::resource_version(&cur) {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        isolate_status(ctx, rt, &cur, &mut new);
        keep_server_metadata(&cur, &mut new);
        check_decodes(rt, version, &new)?;
        crd_defaults(rt, version, &mut new);
        admission::defaults(rt, &mut new, Some(&cur));
        record_manager(ctx, rt, version, Some(&cur), &mut new);
        admission::on_update(rt, &cur, &mut new)?;
        set_generation(rt, &cur, &mut new);
        if without_times(&new) == without_times(&cur) {
            return Ok((cur, false));
        }
        if rt.is_crd() {
            self.check_crd_spec(rt, &new, name)?;
        }
        if ctx.dry_run {
            return Ok((Arc::new(new), false));
        }
        if meta::is_deleting(&new) && meta::finalizers(&new).is_empty() {
            self.replace_silently(&r, new);
            let last = self.remove_cascade(&r).unwrap_or(cur);
            return Ok((last, false));
        }
        let stored = self.commit_put(&r, new);
        if rt.is_crd() {
            let _ = self.registry.register_crd(&stored);
        }
        self.simulate_workload(&r);
        self.collect_if_orphaned(&r);
        Ok((stored, false))
    }
}

/// The name of an object to create: `metadata.name`, or `generateName` plus a random suffix,
/// valid for the kind (422 otherwise).
fn object_name(rt: &ResourceType, obj: &mut Value) -> Result<String, ApiError> {
    let meta = meta::meta_mut(obj);
    let mut name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let invalid = |name: &str, reason, message: String| {
        let field = "metadata.name".into();
        ApiError::invalid(
            &rt.group,
            &rt.kind,
            name,
            vec![Cause {
                reason,
                message,
                field,
            }],
        )
    };
    if name.is_empty() {
        let prefix = meta
            .get("generateName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if prefix.is_empty() {
            let message = "Required value: name or generateName is required".to_string();
            return Err(invalid("", CauseType::FieldValueRequired, message));
        }
        name = format!("{prefix}{}", meta::random_suffix());
        meta.insert("name".into(), json!(name));
    }
    if let Err(msg) = meta::validate_name(rt.name_rule, &name) {
        let message = format!("Invalid value: {name:?}: {msg}");
        return Err(invalid(&name, CauseType::FieldValueInvalid, message));
    }
    Ok(name)
}

/// What the server sets on a new object: uid, creation time, generation (for kinds that have
/// one); what a client may not set is dropped, `status` too for kinds with a status subresource.
fn server_metadata(ctx: &WriteCtx, rt: &ResourceType, obj: &mut Value) {
    let meta = meta::meta_mut(obj);
    meta.insert("uid".into(), json!(meta::new_uid()));
    meta.insert("creationTimestamp".into(), json!(ctx.now));
    if rt.generation() != Generation::None {
        meta.insert("generation".into(), json!(1));
    } else {
        meta.remove("generation");
    }
    for server_owned in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        meta.remove(server_owned);
    }
    if rt.status_subresource
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
}

/// `metadata.generation` starts at 1 and counts the changes the kind's rule names
/// ([`Generation`]); kinds without a spec (ConfigMaps, Secrets, ...) carry none, as on a real
/// cluster.
fn set_generation(rt: &ResourceType, cur: &Value, new: &mut Value) {
    let changed = match rt.generation() {
        Generation::None => {
            meta::meta_mut(new).remove("generation");
            return;
        }
        Generation::Spec => meta::spec_part(new) != meta::spec_part(cur),
        Generation::SpecAndAnnotations => {
            // Semantic.DeepEqual: absent, null and empty annotations are the same.
            let annotations = |o: &Value| {
                o.pointer("/metadata/annotations")
                    .and_then(Value::as_object)
                    .filter(|m| !m.is_empty())
                    .cloned()
            };
            meta::spec_part(new) != meta::spec_part(cur) || annotations(new) != annotations(cur)
        }
        Generation::AllButMetadata => {
            let without_meta = |o: &Value| {
                let mut o = o.clone();
                if let Some(m) = o.as_object_mut() {
                    m.remove("metadata");
                }
                o
            };
            without_meta(new) != without_meta(cur)
        }
    };
    let generation = cur
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    meta::meta_mut(new).insert("generation".into(), json!(generation + i64::from(changed)));
}

/// A built-in object must decode as its Go type (400, kube-apiserver's message).
fn check_decodes(rt: &ResourceType, version: &str, obj: &Value) -> Result<(), ApiError> {
    if !rt.is_builtin() {
        return Ok(());
    }
    match crate::decode_check::decode_error(&rt.group, &rt.kind, obj) {
        None => Ok(()),
        Some(why) => Err(bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {why}",
            kind = rt.kind
        ))),
    }
}

/// A custom resource gets the defaults of its CRD version's schema.
fn crd_defaults(rt: &ResourceType, version: &str, obj: &mut Value) {
    if let Some(schema) = rt.schemas.get(version) {
        crate::schema_check::apply_defaults(schema, obj);
    }
}

/// With a status subresource, `/status` writes only `status` and the main endpoint never does.
fn isolate_status(ctx: &WriteCtx, rt: &ResourceType, cur: &Value, new: &mut Value) {
    let set_status = |target: &mut Value, status: Option<&Value>| match status {
        Some(s) => target["status"] = s.clone(),
        None => {
            if let Some(o) = target.as_object_mut() {
                o.remove("status");
            }
        }
    };
    if ctx.is_status() {
        let mut merged = cur.clone();
        set_status(&mut merged, new.get("status"));
        if let Some(mf) = new.pointer("/metadata/managedFields") {
            meta::meta_mut(&mut merged).insert("managedFields".into(), mf.clone());
        }
        *new = merged;
    } else if rt.status_subresource {
        set_status(new, cur.get("status"));
    }
}

/// Metadata only the server sets is kept from the live object; managedFields too unless the
/// write sends its own.
fn keep_server_metadata(cur: &Value, new: &mut Value) {
    let cur_meta = cur
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let meta = meta::meta_mut(new);
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "resourceVersion",
        "name",
        "generateName",
    ] {
        match cur_meta.get(field) {
            Some(v) => meta.insert(field.into(), v.clone()),
            None => meta.remove(field),
        };
    }
    if !meta.contains_key("managedFields")
        && let Some(mf) = cur_meta.get("managedFields")
    {
        meta.insert("managedFields".into(), mf.clone());
    }
}

/// managedFields book-keeping for non-apply writes (apply wrote its own).
fn record_manager(
    ctx: &WriteCtx,
    rt: &ResourceType,
    version: &str,
    old: Option<&Value>,
    new: &mut Value,
) {
    if ctx.op != ManagerOp::Update {
        return;
    }
    let api_version = rt.group_version(version);
    let params = crate::ssa::ApplyParams {
        manager: &ctx.manager,
        force: false,
        api_version: &api_version,
        kind: &rt.kind,
        now: &ctx.now,
        subresource: ctx.subresource.as_deref(),
        reset: crate::ssa::Reset::of_write(rt.status_subresource, ctx.subresource.as_deref()),
        crd_schema: rt.schemas.get(version),
    };
    crate::ssa::record_update(old, new, &params);
}
