//! The HTTP front: one fallback handler that routes by path (Kubernetes paths are irregular),
//! answers discovery and OpenAPI documents, and hands resource requests to [`resource`].

mod delete;
mod list_options;
mod output;
pub mod path;
pub mod request;
mod resource;
mod reviews;
mod scale;
mod stream;

use crate::faults::Faults;
use crate::requests::{RecordedRequest, RequestLog};
use crate::status::ApiError;
use crate::store::Store;
use crate::{discovery, openapi, openapi_v2};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use output::{error, json, json_with_type};
use path::Route;
use std::sync::Arc;

/// What every request handler shares.
pub struct Shared {
    pub store: Arc<Store>,
    pub faults: Faults,
    pub requests: Arc<RequestLog>,
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(dispatch)
        .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
        .with_state(shared)
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = path::parse(uri.path());
    let resource = match &route {
        Route::Resource(p) => Some(p.clone()),
        _ => None,
    };
    let content_type = request::media_type(&headers);
    let watching = request::Params::parse(uri.query()).flag("watch");
    let started = std::time::Instant::now();
    let arrival = shared.requests.arrive();
    let resp = answer(&shared, method.clone(), &uri, &headers, body, route).await;
    tracing::debug!(
        method = %method,
        uri = %uri,
        status = resp.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    shared.requests.record(
        arrival,
        RecordedRequest {
            method: method.to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            verb: resource
                .as_ref()
                .and_then(|p| resource::verb(&method, p, watching))
                .map(|v| v.as_str().to_string()),
            resource: resource.as_ref().map(|p| p.plural.clone()),
            namespace: resource.as_ref().and_then(|p| p.namespace.clone()),
            name: resource.as_ref().and_then(|p| p.name.clone()),
            subresource: resource.and_then(|p| p.subresource),
            content_type,
            status: resp.status().as_u16(),
        },
    );
    resp
}

async fn answer(
    shared: &Shared,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
    route: Route,
) -> Response {
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !matches!(route, Route::Resource(_)) && method != Method::GET {
        return error(&ApiError::method_not_allowed(format!(
            "{method} is not supported on {}",
            uri.path()
        )));
    }
    let accept = request::header(headers, "accept");
    match route {
        Route::Version => json(200, &discovery::version()),
        Route::Health => Response::new("ok".into()),
        Route::Api => match discovery::aggregated_version(accept) {
            Some(v) => {
                let doc = discovery::aggregated(&shared.store.lock().registry, true, v);
                json_with_type(200, &doc, &discovery::aggregated_content_type(v))
            }
            None => json(200, &discovery::api_versions()),
        },
        Route::Apis => {
            let agg = discovery::aggregated_version(accept);
            let doc = {
                let st = shared.store.lock();
                match agg {
                    Some(v) => discovery::aggregated(&st.registry, false, v),
                    None => discovery::api_group_list(&st.registry),
                }
            };
            match agg {
                Some(v) => json_with_type(200, &doc, &discovery::aggregated_content_type(v)),
                None => json(200, &doc),
            }
        }
        Route::ApiGroup(group) => {
            match discovery::api_group_doc(&shared.store.lock().registry, &group) {
                Some(doc) => json(200, &doc),
                None => error(&ApiError::no_route()),
            }
        }
        Route::ResourceList { group, version } => {
            match discovery::resource_list(&shared.store.lock().registry, &group, &version) {
                Some(doc) => json(200, &doc),
                None => error(&ApiError::no_route()),
            }
        }
        Route::OpenApiV2 => {
            let registry = &shared.store.lock().registry;
            if openapi_v2::wants_protobuf(accept) {
                let doc = openapi_v2::document_protobuf(registry);
                output::bytes_response(200, doc, openapi_v2::PROTOBUF_CONTENT_TYPE)
            } else {
                json(200, &openapi_v2::document(registry))
            }
        }
        Route::OpenApiV3Root => json(200, &openapi::root(&shared.store.lock().registry)),
        Route::OpenApiV3 { group, version } => {
            match openapi::group_version(&shared.store.lock().registry, &group, &version) {
                Some(doc) => json(200, &doc),
                None => error(&ApiError::no_route()),
            }
        }
        Route::Resource(p) => {
            let params = request::Params::parse(uri.query());
            resource::handle(shared, method, p, params, headers, body)
                .await
                .unwrap_or_else(|e| error(&e))
        }
        Route::NotFound => error(&ApiError::no_route()),
    }
}
