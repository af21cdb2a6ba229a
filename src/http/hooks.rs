//! `POST /hooks/<namespace>/<name>`: a Git server says "I have a new commit". The call is
//! authenticated against the GitSync's `webhookSecretRef` (key `token`), then the GitSync gets
//! the `sealsync.io/reconcile-at` annotation, which the leader (whichever replica that is) sees
//! at once through its watch. Unknown or webhook-less GitSyncs are 404, bad credentials 401.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::{AppState, problem};
use crate::api::gitsync::GitSync;
use crate::sync::webhook::authenticate;

/// The annotation that asks for a reconcile now.
pub const RECONCILE_AT: &str = "sealsync.io/reconcile-at";

/// The handler.
pub async fn hook(
    State(state): State<Arc<AppState>>,
    Path((namespace, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !state.limiter.try_acquire() {
        state.metrics.rate_limited.inc();
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests",
            "retry after a second",
        );
    }
    let Some(client) = state.client.clone() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "no API client",
            "retry later",
        );
    };
    let gitsyncs: Api<GitSync> = Api::namespaced(client.clone(), &namespace);
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            &format!("no GitSync {namespace}/{name} with a webhook"),
            "check the URL: /hooks/<namespace>/<name>, and the GitSync's spec.webhookSecretRef",
        )
    };
    let Ok(Some(gs)) = gitsyncs.get_opt(&name).await else {
        return not_found();
    };
    let Some(secret_ref) = gs.spec.webhook_secret_ref.as_ref() else {
        return not_found();
    };
    let secrets: Api<Secret> = Api::namespaced(client, &namespace);
    let token = secrets
        .get_opt(&secret_ref.name)
        .await
        .ok()
        .flatten()
        .and_then(|s| s.data)
        .and_then(|d| d.get("token").map(|t| t.0.clone()));
    let Some(token) = token else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "the webhook Secret has no token",
            "create the Secret named by spec.webhookSecretRef with a key `token`",
        );
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Err(e) = authenticate(header, &body, &token) {
        return problem(
            StatusCode::UNAUTHORIZED,
            &e.to_string(),
            "configure the Git server's webhook with the GitSync's token",
        );
    }
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let patch = json!({"metadata": {"annotations": {RECONCILE_AT: now}}});
    match gitsyncs
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => (
            StatusCode::ACCEPTED,
            axum::Json(json!({"reconcileAt": now})),
        )
            .into_response(),
        Err(_) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "cannot ask for a reconcile",
            "retry; the GitSync is still reconciled at its interval",
        ),
    }
}
