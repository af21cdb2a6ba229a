//! DELETE of one object and of a collection: DeleteOptions from the body and query, and the
//! answer kube-apiserver gives (the object, or a Success Status, or the list of deleted objects).

use super::Shared;
use super::output::{self, json};
use super::request;
use super::resource::Req;
use crate::registry::ResourceType;
use crate::status::ApiError;
use crate::store::{DeleteOptions, DeleteOutcome, ListFrom, ManagerOp, Propagation};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// DeleteOptions from the body (kubectl sends one with DELETE) and the query.
fn delete_options(req: &Req<'_>, body: &[u8]) -> Result<(DeleteOptions, bool), ApiError> {
    let mut opts = DeleteOptions::default();
    let mut dry_run = req.params.dry_run()?;
    if !body.is_empty() {
        let v: Value = if body.starts_with(b"k8s\0") {
            crate::protobuf::delete_options(body).map_err(|e| {
                ApiError::bad_request(format!("the protobuf DeleteOptions body: {e}"))
            })?
        } else {
            serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!("the DeleteOptions body is not valid JSON: {e}"))
            })?
        };
        if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
            opts.propagation = Some(Propagation::parse(p)?);
        } else if let Some(orphan) = v.get("orphanDependents").and_then(Value::as_bool) {
            opts.propagation = Some(if orphan {
                Propagation::Orphan
            } else {
                Propagation::Background
            });
        }
        opts.precondition_uid = v
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string);
        opts.precondition_rv = v
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(d) = v.get("dryRun").and_then(Value::as_array) {
            dry_run |= d.iter().any(|x| x == "All");
        }
    }
    if let Some(p) = req.params.get("propagationPolicy") {
        opts.propagation = Some(Propagation::parse(p)?);
    }
    Ok((opts, dry_run))
}

fn success_status(rt: &ResourceType, obj: &Value) -> Value {
    let mut details =
        json!({ "name": crate::meta::name(obj), "kind": rt.plural, "uid": crate::meta::uid(obj) });
    if !rt.group.is_empty() {
        details["group"] = json!(rt.group);
    }
    json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details })
}

pub(super) async fn delete(
    shared: &Shared,
    req: &Req<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (opts, dry_run) = delete_options(req, body)?;
    let mut ctx = req.write_ctx(ManagerOp::Update)?;
    ctx.dry_run = dry_run;
    let rt = req.store_rt.clone();
    let outcome = shared
        .store
        .write(|st| st.delete(&ctx, &rt, req.ns(), req.name(), &opts))
        .await?;
    Ok(match outcome {
        DeleteOutcome::Pending(obj) => output::object(
            200,
            &req.rt,
            &req.version,
            &req.view(&obj),
            request::Shape::Full,
        ),
        DeleteOutcome::Gone(obj) if obj.is_null() => json(
            200,
            &success_status(&req.rt, &json!({"metadata": {"name": req.name()}})),
        ),
        DeleteOutcome::Gone(obj) if req.store_rt.returns_deleted_object() => output::object(
            200,
            &req.rt,
            &req.version,
            &req.view(&obj),
            request::Shape::Full,
        ),
        DeleteOutcome::Gone(obj) => json(200, &success_status(&req.rt, &obj)),
    })
}

pub(super) async fn delete_collection(
    shared: &Shared,
    req: &Req<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (opts, dry_run) = delete_options(req, body)?;
    let mut ctx = req.write_ctx(ManagerOp::Update)?;
    ctx.dry_run = dry_run;
    let q = req.query()?;
    let rt = req.store_rt.clone();
    let deleted = shared
        .store
        .write(|st| {
            let page = st.list(&rt.key(), &q, None, ListFrom::Latest)?;
            let mut out = Vec::new();
            for item in page.items {
                let ns = crate::meta::namespace(&item).to_string();
                let ns = (!ns.is_empty()).then_some(ns);
                match st.delete(&ctx, &rt, ns.as_deref(), crate::meta::name(&item), &opts) {
                    Ok(DeleteOutcome::Pending(o)) => out.push(o),
                    Ok(DeleteOutcome::Gone(_)) => out.push(item),
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
        .await?;
    let deleted: Vec<Arc<Value>> = deleted.into_iter().map(|o| req.view_arc(o)).collect();
    let rv = shared.store.lock().resource_version();
    Ok(output::list(
        &req.rt,
        &req.version,
        &deleted,
        rv,
        None,
        None,
        request::Shape::Full,
    ))
}
