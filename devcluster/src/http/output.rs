//! Response building: JSON bodies, Status errors, objects presented under the requested version,
//! lists written without cloning their items, and Tables.

use super::request::Shape;
use crate::registry::ResourceType;
use crate::status::ApiError;
use crate::table;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

pub fn bytes_response(code: u16, body: Vec<u8>, content_type: &str) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    resp
}

/// Adds one `Warning: 299 - "..."` header per warning (kubectl prints them as `Warning: ...`).
pub fn with_warnings(mut resp: Response, warnings: &[String]) -> Response {
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

pub fn json_with_type(code: u16, v: &Value, content_type: &str) -> Response {
    bytes_response(
        code,
        serde_json::to_vec(v).unwrap_or_default(),
        content_type,
    )
}

pub fn json(code: u16, v: &Value) -> Response {
    json_with_type(code, v, "application/json")
}

pub fn error(e: &ApiError) -> Response {
    json(e.code, &e.to_status())
}

/// The object as read through `gv` (objects are stored under the version they were written in).
pub fn present<'a>(obj: &'a Value, gv: &str) -> Cow<'a, Value> {
    if obj.get("apiVersion").and_then(Value::as_str) == Some(gv) {
        Cow::Borrowed(obj)
    } else {
        let mut o = obj.clone();
        o["apiVersion"] = json!(gv);
        Cow::Owned(o)
    }
}

/// The Table columns for a resource read through `version`.
pub fn columns(rt: &ResourceType, version: &str) -> Vec<table::Column> {
    if rt.is_builtin() {
        table::builtin_columns(&rt.group, &rt.plural)
    } else {
        table::crd_columns(rt.printer_columns.get(version))
    }
}

/// The object as a `meta.k8s.io/v1` PartialObjectMetadata.
pub fn metadata_only(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// One object, in the shape asked for.
pub fn object(code: u16, rt: &ResourceType, version: &str, obj: &Value, shape: Shape) -> Response {
    match shape {
        Shape::Table => {
            let rv = crate::meta::resource_version(obj).to_string();
            let t = table::to_table(&columns(rt, version), &[obj], &rv, true, SystemTime::now());
            json(code, &t)
        }
        Shape::Metadata => json(code, &metadata_only(obj)),
        Shape::Full => json(code, &present(obj, &rt.group_version(version))),
    }
}

/// A list (`{Kind}List`), or a Table when asked.
pub fn list(
    rt: &ResourceType,
    version: &str,
    items: &[Arc<Value>],
    rv: u64,
    continue_token: Option<&str>,
    remaining: Option<usize>,
    shape: Shape,
) -> Response {
    let mut meta = json!({ "resourceVersion": rv.to_string() });
    if let Some(c) = continue_token {
        meta["continue"] = json!(c);
    }
    if let Some(r) = remaining {
        meta["remainingItemCount"] = json!(r);
    }
    if shape == Shape::Table {
        let objs: Vec<&Value> = items.iter().map(|o| &**o).collect();
        let mut t = table::to_table(
            &columns(rt, version),
            &objs,
            &rv.to_string(),
            true,
            SystemTime::now(),
        );
        t["metadata"] = meta;
        return json(200, &t);
    }
    let gv = rt.group_version(version);
    let mut out = Vec::with_capacity(256 + items.len() * 512);
    let head = match shape {
        Shape::Metadata => {
            json!({ "kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta })
        }
        _ => json!({ "kind": rt.list_kind, "apiVersion": gv, "metadata": meta }),
    };
    let head = serde_json::to_vec(&head).unwrap_or_default();
    // `{"kind":..,"apiVersion":..,"metadata":{..}` then `,"items":[...]}`.
    out.extend_from_slice(&head[..head.len().saturating_sub(1)]);
    out.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = match shape {
            Shape::Metadata => serde_json::to_writer(&mut out, &metadata_only(item)),
            _ => serde_json::to_writer(&mut out, &*present(item, &gv)),
        };
    }
    out.extend_from_slice(b"]}");
    bytes_response(200, out, "application/json")
}
