//! Resource requests: resolves the resource and verb, applies fault injection, and runs get,
//! list, watch, create, update and patch against the store (delete and deletecollection are in
//! `delete`).

use super::Shared;
use super::list_options::ListOptions;
use super::output::{self, json};
use super::path::ResourcePath;
use super::request::{self, Params};
use super::scale;
use super::stream;
use crate::registry::ResourceType;
use crate::schema_check::{FieldValidation, unknown_builtin_fields, unknown_fields};
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::{ManagerOp, Query, WriteCtx};
use crate::verb::Verb;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Warnings collected while a request runs (answered as `Warning` headers).
type Warnings = std::sync::Mutex<Vec<String>>;

/// One resource request, resolved.
pub(super) struct Req<'a> {
    /// The resource as requested (the view).
    pub(super) rt: Arc<ResourceType>,
    pub(super) version: String,
    /// Where its objects are stored: `rt` itself, except for events.k8s.io Events, which live
    /// in the core Event store (`events_view`).
    pub(super) store_rt: Arc<ResourceType>,
    pub(super) store_version: String,
    pub(super) events_view: bool,
    pub(super) namespace: Option<String>,
    pub(super) name: Option<String>,
    pub(super) subresource: Option<String>,
    pub(super) params: Params,
    pub(super) headers: &'a HeaderMap,
}

impl Req<'_> {
    pub(super) fn ns(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    pub(super) fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    fn is_scale(&self) -> bool {
        self.subresource.as_deref() == Some("scale")
    }

    /// A stored object as this request's resource serves it.
    pub(super) fn view(&self, obj: &Value) -> Value {
        if self.events_view {
            crate::events_view::to_events(obj)
        } else {
            obj.clone()
        }
    }

    pub(super) fn view_arc(&self, obj: Arc<Value>) -> Arc<Value> {
        if self.events_view {
            Arc::new(crate::events_view::to_events(&obj))
        } else {
            obj
        }
    }

    /// An object of this request's resource as it is stored.
    fn to_store(&self, obj: Value) -> Value {
        if self.events_view {
            crate::events_view::to_core(&obj)
        } else {
            obj
        }
    }

    /// The answer to a write: the object (or its Scale) plus any warnings.
    fn answer(&self, code: u16, obj: &Value, warnings: Warnings) -> Result<Response, ApiError> {
        let resp = if self.is_scale() {
            json(code, &scale::to_scale(&self.rt, obj)?)
        } else {
            output::object(
                code,
                &self.rt,
                &self.version,
                &self.view(obj),
                request::Shape::Full,
            )
        };
        let warnings = warnings.into_inner().unwrap_or_else(|p| p.into_inner());
        Ok(output::with_warnings(resp, &warnings))
    }

    fn shape(&self) -> request::Shape {
        request::shape(self.headers)
    }

    pub(super) fn write_ctx(&self, op: ManagerOp) -> Result<WriteCtx, ApiError> {
        Ok(WriteCtx {
            dry_run: self.params.dry_run()?,
            manager: field_manager(&self.params, self.headers),
            op,
            subresource: self.subresource.clone(),
            now: crate::meta::now(),
        })
    }

    /// `fieldValidation`: unknown fields fail the request (Strict), or are dropped with a
    /// warning (Warn, the default) or silently (Ignore), as kube-apiserver's decoding and
    /// pruning drop them.
    fn check_fields(&self, obj: &mut Value, warnings: &Warnings) -> Result<(), ApiError> {
        let mode = FieldValidation::parse(self.params.get("fieldValidation"))
            .map_err(ApiError::bad_request)?;
        if self.is_scale() {
            return Ok(());
        }
        let prune = mode != FieldValidation::Strict;
        let found = if self.rt.is_builtin() {
            unknown_builtin_fields(&self.rt.group, &self.rt.kind, obj, prune)
        } else {
            self.rt
                .schemas
                .get(&self.version)
                .map(|schema| unknown_fields(schema, obj, prune))
        };
        let Some(found) = found else { return Ok(()) };
        let unknown: Vec<String> = found
            .iter()
            .map(|f| format!("unknown field \"{}\"", f.trim_start_matches('.')))
            .collect();
        match mode {
            _ if unknown.is_empty() || mode == FieldValidation::Ignore => Ok(()),
            FieldValidation::Strict => Err(ApiError::bad_request(format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                unknown.join(", "),
                kind = self.rt.kind,
                version = self.version,
            ))),
            _ => {
                warnings
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend(unknown);
                Ok(())
            }
        }
    }

    pub(super) fn query(&self) -> Result<Query, ApiError> {
        let labels = LabelSelector::parse(self.params.get("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let mut field_selector = self
            .params
            .get("fieldSelector")
            .unwrap_or_default()
            .to_string();
        if self.events_view {
            field_selector = crate::events_view::selector_to_core(&field_selector);
        }
        let supported = self
            .rt
            .strategy
            .map_or(crate::kinds::FieldSelectors::Only(&[]), |s| {
                s.field_selectors
            });
        let fields = FieldSelector::parse(&field_selector, supported)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Query {
            namespace: self.namespace.clone(),
            labels,
            fields,
        })
    }
}

/// `fieldManager`, else the User-Agent up to its first '/', as kube-apiserver defaults it.
fn field_manager(params: &Params, headers: &HeaderMap) -> String {
    if let Some(m) = params.get("fieldManager") {
        return m.to_string();
    }
    let ua = request::header(headers, "user-agent");
    let prefix = ua.split('/').next().unwrap_or_default().trim();
    if prefix.is_empty() {
        "unknown".into()
    } else {
        prefix.chars().take(128).collect()
    }
}

/// The API verb of a resource request, or None when the method is not allowed there.
pub fn verb(method: &Method, p: &ResourcePath, watching: bool) -> Option<Verb> {
    Some(match (method, p.name.is_some()) {
        (&Method::GET, true) => Verb::Get,
        (&Method::GET, false) if watching => Verb::Watch,
        (&Method::GET, false) => Verb::List,
        (&Method::POST, false) => Verb::Create,
        (&Method::PUT, true) => Verb::Update,
        (&Method::PATCH, true) => Verb::Patch,
        (&Method::DELETE, true) if p.subresource.is_none() => Verb::Delete,
        (&Method::DELETE, false) => Verb::DeleteCollection,
        _ => return None,
    })
}

pub async fn handle(
    shared: &Shared,
    method: Method,
    p: ResourcePath,
    params: Params,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (rt, verb) = route(shared, &method, &p, &params)?;
    if rt.review {
        return super::reviews::create(&rt, headers, &body);
    }
    let events_view = crate::events_view::is_events_view(&rt);
    let (store_rt, store_version) = match events_view {
        true => (
            shared
                .store
                .resource("", "v1", "events")
                .ok_or_else(ApiError::no_route)?,
            "v1".to_string(),
        ),
        false => (rt.clone(), p.version.clone()),
    };
    let req = Req {
        rt,
        version: p.version,
        store_rt,
        store_version,
        events_view,
        namespace: p.namespace,
        name: p.name,
        subresource: p.subresource,
        params,
        headers,
    };
    let result = match verb {
        Verb::Get => get(shared, &req),
        Verb::List => list(shared, &req),
        Verb::Watch => watch(shared, &req),
        Verb::Create => create(shared, &req, &body).await,
        Verb::Update => update(shared, &req, &body).await,
        Verb::Patch => patch(shared, &req, &body).await,
        Verb::Delete => super::delete::delete(shared, &req, &body).await,
        Verb::DeleteCollection => super::delete::delete_collection(shared, &req, &body).await,
    };
    result.map_err(|e| match req.events_view {
        true => events_view_error(e, req.name()),
        false => e,
    })
}

/// The served resource and the verb of a request, or the 404 / 405 kube-apiserver answers: the
/// path must fit the resource's scope and subresources, and the method must make a verb the
/// resource serves. Injected faults apply from here on.
fn route(
    shared: &Shared,
    method: &Method,
    p: &ResourcePath,
    params: &Params,
) -> Result<(Arc<ResourceType>, Verb), ApiError> {
    let rt = shared
        .store
        .resource(&p.group, &p.version, &p.plural)
        .ok_or_else(ApiError::no_route)?;
    let scope_ok = !matches!(
        (rt.namespaced, p.namespace.is_some(), p.name.is_some()),
        (false, true, _) | (true, false, true)
    );
    let sub_ok = match p.subresource.as_deref() {
        None => true,
        Some("status") => rt.status_subresource,
        Some("scale") => rt.scale.is_some(),
        Some(_) => false,
    };
    if !scope_ok || !sub_ok || (p.name.is_none() && p.subresource.is_some()) {
        return Err(ApiError::no_route());
    }
    let not_allowed = || {
        ApiError::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )
    };
    let verb = verb(method, p, params.flag("watch")).ok_or_else(not_allowed)?;
    if !rt.verbs.contains(&verb) {
        return Err(not_allowed());
    }
    if let Some(err) = shared.faults.check(verb.as_str(), &rt.plural) {
        return Err(err);
    }
    Ok((rt, verb))
}

/// Errors of the shared Event store name the events.k8s.io resource when it was asked for.
fn events_view_error(e: ApiError, name: &str) -> ApiError {
    use crate::status::Reason;
    match e.reason {
        Reason::NotFound if e.details.as_ref().is_some_and(|d| d.get("name").is_some()) => {
            ApiError::not_found("events.k8s.io", "events", name)
        }
        Reason::AlreadyExists => ApiError::already_exists("events.k8s.io", "events", name),
        // An optimistic-lock conflict names the resource; a field-manager conflict (with
        // causes) does not.
        Reason::Conflict
            if e.details
                .as_ref()
                .is_some_and(|d| d.get("causes").is_none()) =>
        {
            ApiError::conflict("events.k8s.io", "events", name)
        }
        _ => e,
    }
}

fn get(shared: &Shared, req: &Req<'_>) -> Result<Response, ApiError> {
    let obj = shared
        .store
        .lock()
        .get(
            &req.store_rt.key(),
            req.ns().unwrap_or_default(),
            req.name(),
        )
        .cloned()
        .ok_or_else(|| ApiError::not_found(&req.rt.group, &req.rt.plural, req.name()))?;
    let obj = req.view_arc(obj);
    if req.is_scale() {
        return Ok(json(200, &scale::to_scale(&req.rt, &obj)?));
    }
    Ok(output::object(
        200,
        &req.rt,
        &req.version,
        &obj,
        req.shape(),
    ))
}

fn list(shared: &Shared, req: &Req<'_>) -> Result<Response, ApiError> {
    let opts = ListOptions::parse(&req.params, false);
    opts.validate()?;
    let from = opts.list_from()?;
    let q = req.query()?;
    let limit = match req.params.get("limit") {
        None => None,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => None,
            Ok(n) => Some(n),
            Err(_) => return Err(ApiError::bad_request(format!("invalid limit {l:?}"))),
        },
    };
    let page = shared
        .store
        .lock()
        .list(&req.store_rt.key(), &q, limit, from)?;
    let items: Vec<Arc<Value>> = page.items.into_iter().map(|o| req.view_arc(o)).collect();
    Ok(output::list(
        &req.rt,
        &req.version,
        &items,
        page.resource_version,
        page.continue_token.as_deref(),
        page.remaining,
        req.shape(),
    ))
}

fn watch(shared: &Shared, req: &Req<'_>) -> Result<Response, ApiError> {
    let opts = ListOptions::parse(&req.params, true);
    opts.validate()?;
    let q = req.query()?;
    let bookmarks = req.params.flag("allowWatchBookmarks");
    let start = opts.watch_start(bookmarks)?;
    let timeout = req
        .params
        .get("timeoutSeconds")
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds {t:?}")))
        })
        .transpose()?
        .map(Duration::from_secs);
    let started = shared
        .store
        .lock()
        .watch(&req.store_rt.key(), &q, start, bookmarks);
    match started {
        Ok((initial, rx)) => Ok(stream::watch_response(
            req.rt.clone(),
            &req.version,
            initial,
            rx,
            timeout,
            req.shape(),
            req.events_view
                .then_some(crate::events_view::to_events as fn(&Value) -> Value),
        )),
        Err(e) if e.code == 410 => Ok(stream::expired_response(&e)),
        Err(e) => Err(e),
    }
}

async fn create(shared: &Shared, req: &Req<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let mut obj = request::object_body(req.headers, body)?;
    if !crate::meta::resource_version(&obj).is_empty() {
        // kube-apiserver's answer (a 500: the storage layer refuses it).
        return Err(ApiError::internal(
            "Internal error occurred: resourceVersion should not be set on objects to be created",
        ));
    }
    let warnings = Warnings::default();
    req.check_fields(&mut obj, &warnings)?;
    let obj = req.to_store(obj);
    let ctx = req.write_ctx(ManagerOp::Update)?;
    let (rt, version, ns) = (
        req.store_rt.clone(),
        req.store_version.clone(),
        req.namespace.clone(),
    );
    let created = shared
        .store
        .write(|st| st.create(&ctx, &rt, &version, ns.as_deref(), obj))
        .await?;
    req.answer(201, &created, warnings)
}

async fn update(shared: &Shared, req: &Req<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let mut obj = request::object_body(req.headers, body)?;
    let warnings = Warnings::default();
    req.check_fields(&mut obj, &warnings)?;
    let obj = req.to_store(obj);
    let ctx = req.write_ctx(ManagerOp::Update)?;
    let rt = req.store_rt.clone();
    let (group, plural, name) = (rt.group.clone(), rt.plural.clone(), req.name().to_string());
    let (is_scale, scale_rt) = (req.is_scale(), rt.clone());
    let mutate = Box::new(move |cur: Option<&Value>| match cur {
        Some(cur) if is_scale => scale::from_scale(&scale_rt, cur, &obj),
        Some(_)
            if !scale_rt.unconditional_update()
                && crate::meta::resource_version(&obj).is_empty() =>
        {
            Err(resource_version_required(&scale_rt, &obj))
        }
        Some(_) => Ok(obj),
        None => Err(ApiError::not_found(&group, &plural, &name)),
    });
    let (updated, _) = shared
        .store
        .write(|st| st.update(&ctx, &rt, &req.store_version, req.ns(), req.name(), mutate))
        .await?;
    req.answer(200, &updated, warnings)
}

/// A PUT without `metadata.resourceVersion` to a kind that does not allow unconditional updates
/// (Leases, CRDs, custom resources): kube-apiserver's 422, which (unlike other 422s) names the
/// resource, not the kind (`leases.coordination.k8s.io "l" is invalid`).
fn resource_version_required(rt: &crate::registry::ResourceType, obj: &Value) -> ApiError {
    ApiError::invalid(
        &rt.group,
        &rt.plural,
        crate::meta::name(obj),
        vec![crate::status::Cause {
            reason: crate::status::CauseType::FieldValueInvalid,
            message: "Invalid value: 0x0: must be specified for an update".into(),
            field: "metadata.resourceVersion".into(),
        }],
    )
}

/// The PATCH body formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

fn patch_error(e: crate::patch::PatchError) -> ApiError {
    let code = e.http_status();
    ApiError::from_code(code, e.to_string())
}

async fn patch(shared: &Shared, req: &Req<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let kind = match request::media_type(req.headers).as_str() {
        "application/merge-patch+json" => PatchKind::Merge,
        "application/json-patch+json" => PatchKind::Json,
        "application/strategic-merge-patch+json" => PatchKind::Strategic,
        "application/apply-patch+yaml" | "application/apply-patch+json" => PatchKind::Apply,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if kind == PatchKind::Apply && req.is_scale() {
        return Err(ApiError::bad_request(
            "server-side apply to the scale subresource is not supported",
        ));
    }
    if kind == PatchKind::Apply {
        return apply(shared, req, body).await;
    }
    if kind == PatchKind::Strategic && !req.rt.is_builtin() {
        return Err(ApiError::unsupported_media_type(
            "application/strategic-merge-patch+json",
        ));
    }
    let patch_body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the patch body is not valid JSON: {e}")))?;
    let ctx = req.write_ctx(ManagerOp::Update)?;
    let rt = req.store_rt.clone();
    let (group, plural, name) = (rt.group.clone(), rt.plural.clone(), req.name().to_string());
    let gv = req.rt.group_version(&req.version);
    let warnings: Warnings = Warnings::default();
    let warnings_ref = &warnings;
    let kind_name = rt.kind.clone();
    let (is_scale, scale_rt) = (req.is_scale(), rt.clone());
    let mutate = Box::new(move |cur: Option<&Value>| {
        let cur = cur.ok_or_else(|| ApiError::not_found(&group, &plural, &name))?;
        let mut obj = if is_scale {
            scale::to_scale(&scale_rt, cur)?
        } else {
            req.view(cur)
        };
        match kind {
            PatchKind::Merge => crate::patch::merge_patch(&mut obj, &patch_body),
            PatchKind::Json => crate::patch::json_patch(&mut obj, &patch_body),
            // A Scale has no lists: strategic merge is merge patch there.
            PatchKind::Strategic | PatchKind::Apply if is_scale => {
                crate::patch::merge_patch(&mut obj, &patch_body)
            }
            PatchKind::Strategic | PatchKind::Apply => {
                crate::patch::strategic_merge_patch(&mut obj, &patch_body, &gv, &kind_name)
            }
        }
        .map_err(patch_error)?;
        if is_scale {
            return scale::from_scale(&scale_rt, cur, &obj);
        }
        req.check_fields(&mut obj, warnings_ref)?;
        Ok(req.to_store(obj))
    });
    let (patched, created) = shared
        .store
        .write(|st| st.update(&ctx, &rt, &req.store_version, req.ns(), req.name(), mutate))
        .await?;
    req.answer(if created { 201 } else { 200 }, &patched, warnings)
}

fn apply_error(e: crate::ssa::ApplyError, rt: &ResourceType, name: &str) -> ApiError {
    match &e {
        crate::ssa::ApplyError::Conflict { conflicts } => {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|c| json!({ "reason": "FieldManagerConflict", "message": format!("conflict with {}", c.manager), "field": c.field }))
                .collect();
            let mut details = json!({ "name": name, "kind": rt.plural, "causes": causes });
            if !rt.group.is_empty() {
                details["group"] = json!(rt.group);
            }
            ApiError::new(409, crate::status::Reason::Conflict, e.to_string()).with_details(details)
        }
        crate::ssa::ApplyError::Invalid { .. } => {
            ApiError::from_code(e.http_status(), e.to_string())
        }
    }
}

/// Server-side apply (`application/apply-patch+yaml`, JSON or YAML body).
async fn apply(shared: &Shared, req: &Req<'_>, body: &[u8]) -> Result<Response, ApiError> {
    let manager = req
        .params
        .get("fieldManager")
        .ok_or_else(|| ApiError::bad_request("fieldManager is required for apply requests"))?
        .to_string();
    let mut applied = request::json_or_yaml(body)?;
    let warnings = Warnings::default();
    req.check_fields(&mut applied, &warnings)?;
    let ctx = req.write_ctx(ManagerOp::Apply)?;
    let force = req.params.flag("force");
    let rt = req.store_rt.clone();
    let api_version = applied
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| rt.group_version(&req.version));
    let name = req.name().to_string();
    let (now, subresource) = (ctx.now.clone(), req.subresource.clone());
    let rt_for_err = rt.clone();
    let reset = crate::ssa::Reset::of_write(rt.status_subresource, subresource.as_deref());
    let mutate = Box::new(move |cur: Option<&Value>| {
        let params = crate::ssa::ApplyParams {
            manager: &manager,
            force,
            api_version: &api_version,
            kind: &rt_for_err.kind,
            now: &now,
            subresource: subresource.as_deref(),
            reset,
            crd_schema: rt_for_err.schemas.get(&req.store_version),
        };
        let cur = cur.map(|c| req.view(c));
        crate::ssa::apply(cur.as_ref(), &applied, &params)
            .map(|o| req.to_store(o))
            .map_err(|e| apply_error(e, &rt_for_err, &name))
    });
    let (obj, created) = shared
        .store
        .write(|st| st.update(&ctx, &rt, &req.store_version, req.ns(), req.name(), mutate))
        .await?;
    req.answer(if created { 201 } else { 200 }, &obj, warnings)
}
