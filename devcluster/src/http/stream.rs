//! Watch responses: a chunked stream of JSON lines (`{"type":..,"object":..}`), plain or with
//! each object wrapped in a one-row Table, ending at `timeoutSeconds`, when the watch is closed
//! (queue overflow, fault injection, shutdown), or never.

use super::output::{columns, metadata_only, present};
use super::request::Shape;
use crate::registry::ResourceType;
use crate::status::ApiError;
use crate::watch::Delivery;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// How to render events for one watcher.
struct Render {
    rt: Arc<ResourceType>,
    gv: String,
    table: Option<Vec<crate::table::Column>>,
    metadata_only: bool,
    sent: usize,
    /// Converts stored objects into the watched resource's shape (events.k8s.io Events).
    convert: Option<fn(&Value) -> Value>,
}

impl Render {
    fn line(&mut self, type_: &str, object: &Value, pre_serialized: Option<Bytes>) -> Bytes {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"type\":\"");
        out.extend_from_slice(type_.as_bytes());
        out.extend_from_slice(b"\",\"object\":");
        match &self.table {
            Some(cols) if type_ != "BOOKMARK" => {
                let rv = crate::meta::resource_version(object).to_string();
                let t =
                    crate::table::to_table(cols, &[object], &rv, self.sent == 0, SystemTime::now());
                let _ = serde_json::to_writer(&mut out, &t);
            }
            _ if self.metadata_only && type_ != "BOOKMARK" => {
                let _ = serde_json::to_writer(&mut out, &metadata_only(object));
            }
            _ => match pre_serialized {
                Some(b)
                    if object.get("apiVersion").and_then(Value::as_str)
                        == Some(self.gv.as_str()) =>
                {
                    out.extend_from_slice(&b)
                }
                _ => {
                    let _ = serde_json::to_writer(&mut out, &*present(object, &self.gv));
                }
            },
        }
        out.extend_from_slice(b"}\n");
        self.sent += 1;
        Bytes::from(out)
    }

    fn render(&mut self, d: Delivery) -> Bytes {
        match d {
            Delivery::Batch(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.extend_from_slice(&self.render(item));
                }
                Bytes::from(out)
            }
            Delivery::Initial(obj) => match self.convert {
                Some(f) => self.line("ADDED", &f(&obj), None),
                None => self.line("ADDED", &obj, None),
            },
            Delivery::Event { kind, event } => {
                let (object, pre) = event.seen_as(kind);
                match self.convert {
                    Some(f) => self.line(kind.as_str(), &f(&object), None),
                    None => self.line(kind.as_str(), &object, Some(pre)),
                }
            }
            Delivery::Bookmark(rv) => {
                let obj = json!({
                    "kind": self.rt.kind, "apiVersion": self.gv,
                    "metadata": { "resourceVersion": rv.to_string() }
                });
                self.line("BOOKMARK", &obj, None)
            }
            Delivery::InitialEventsEnd(rv) => {
                let obj = json!({
                    "kind": self.rt.kind, "apiVersion": self.gv,
                    "metadata": {
                        "resourceVersion": rv.to_string(),
                        "annotations": { "k8s.io/initial-events-end": "true" }
                    }
                });
                self.line("BOOKMARK", &obj, None)
            }
        }
    }
}

fn streaming(body: Body) -> Response {
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The watch stream: `initial` first, then whatever arrives on `rx`.
pub fn watch_response(
    rt: Arc<ResourceType>,
    version: &str,
    initial: Vec<Delivery>,
    rx: mpsc::Receiver<Delivery>,
    timeout: Option<Duration>,
    shape: Shape,
    convert: Option<fn(&Value) -> Value>,
) -> Response {
    let table = (shape == Shape::Table).then(|| columns(&rt, version));
    let gv = rt.group_version(version);
    let mut render = Render {
        rt,
        gv,
        table,
        metadata_only: shape == Shape::Metadata,
        sent: 0,
        convert,
    };
    let live =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|d| (d, rx)) });
    let end = async move {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending::<()>().await,
        }
    };
    let stream = futures_util::stream::iter(initial)
        .chain(live)
        .map(move |d| Ok::<_, Infallible>(render.render(d)))
        .take_until(Box::pin(end));
    streaming(Body::from_stream(stream))
}

/// A watch that starts too far back: one ERROR event carrying the 410 Status, then the end.
pub fn expired_response(e: &ApiError) -> Response {
    let line = json!({ "type": "ERROR", "object": e.to_status() });
    let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
    bytes.push(b'\n');
    streaming(Body::from(bytes))
}
