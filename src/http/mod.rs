//! The HTTP endpoints every replica serves, leader or not:
//!
//! - `GET /healthz`: the process is up.
//! - `GET /readyz`: keys are loaded and, on the leader, the SealedSecret cache has synced.
//! - `GET /metrics`: Prometheus text.
//! - `GET /v1/cert.pem`: the newest certificate.
//! - `POST /v1/verify` (a SealedSecret): 200 if every value opens, 409 if not.
//! - `POST /v1/rotate` (a SealedSecret): the same object re-sealed to the newest key, in the
//!   format it came in. Its scope comes from its top-level metadata only.
//!
//! - `POST /hooks/<namespace>/<name>`: a Git server's webhook for a GitSync ([`hooks`]).
//!
//! verify, rotate and hooks are rate-limited (429 over the limit). None ever returns plaintext.

pub mod hooks;
pub mod limit;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sealsync_core::api::SealedSecret;
use sealsync_core::api::docs::{self, Format};
use sealsync_core::sealing::{ReEncryptError, re_encrypt_opened};
use serde_json::json;
use tokio::net::TcpListener;

use crate::keyring::Keyring;
use crate::metrics::Metrics;
use crate::unseal::decrypt::{Cache, Decryptor, OpenError, OpenedValues};
use limit::Limiter;

/// The most values one verify/rotate request may hold: each costs up to one RSA operation per
/// key, on the pool the reconciler shares.
const MAX_VALUES: usize = 256;

/// What the handlers share.
pub struct AppState {
    /// The keys.
    pub keyring: Keyring,
    /// Opens values.
    pub decryptor: Arc<Decryptor>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// True while this replica leads.
    pub leading: AtomicBool,
    /// True once the leader's SealedSecret cache has synced.
    pub synced: AtomicBool,
    /// The verify/rotate/hooks rate limit.
    pub limiter: Limiter,
    /// The API client, for the webhook receiver.
    pub client: Option<kube::Client>,
}

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/cert.pem", get(cert))
        .route("/v1/verify", post(verify))
        .route("/v1/rotate", post(rotate))
        .route("/hooks/{namespace}/{name}", post(hooks::hook))
        .with_state(state)
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let keys = state.keyring.current();
    let keys_ready = keys.synced() && !keys.keys().is_empty();
    let cache_ready =
        !state.leading.load(Ordering::Relaxed) || state.synced.load(Ordering::Relaxed);
    match (keys_ready, cache_ready) {
        (true, true) => (StatusCode::OK, "ready\n").into_response(),
        (false, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no sealing keys loaded yet\n",
        )
            .into_response(),
        (true, false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "SealedSecret cache not synced yet\n",
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    state
        .metrics
        .keys
        .set(state.keyring.current().keys().len() as i64);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn cert(State(state): State<Arc<AppState>>) -> Response {
    match state.keyring.current().newest() {
        Some(key) => (
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            key.cert.to_pem(),
        )
            .into_response(),
        None => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "no sealing key yet",
            "the controller generates one at start; retry in a few seconds",
        ),
    }
}

async fn verify(State(state): State<Arc<AppState>>, body: String) -> Response {
    let (sealed, _) = match admit(&state, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match open(&state, &sealed).await {
        Ok(opened) => (
            StatusCode::OK,
            axum::Json(json!({"ok": true, "values": opened.values.len()})),
        )
            .into_response(),
        Err(r) => r,
    }
}

async fn rotate(State(state): State<Arc<AppState>>, body: String) -> Response {
    let (sealed, format) = match admit(&state, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let opened = match open(&state, &sealed).await {
        Ok(opened) => opened,
        Err(r) => return r,
    };
    let keys = state.keyring.current();
    let Some(newest) = keys.newest().cloned() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "no sealing key yet",
            "retry in a few seconds",
        );
    };
    let openers = opened
        .fingerprints
        .iter()
        .filter_map(|(value, hex)| Some((value.clone(), keys.by_fingerprint(hex)?.fingerprint)))
        .collect();
    let rotated = match re_encrypt_opened(
        &sealed,
        &opened.values,
        newest.key.public_key(),
        &openers,
        None,
    ) {
        Ok(r) => r,
        Err(e @ ReEncryptError::WouldLockOut { .. }) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "the controller re-seals to its own newest key only; re-encrypt offline with \
                 `seal --re-encrypt --recovery-private-key KEY --cert NEW --cert OTHER ...`",
            );
        }
        Err(e) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                &e.to_string(),
                "check the SealedSecret's name, namespace and scope annotations",
            );
        }
    };
    let content_type = match format {
        Format::Json => "application/json",
        Format::Yaml => "application/yaml",
    };
    match docs::render(&rotated, format) {
        Ok(text) => ([(header::CONTENT_TYPE, content_type)], text).into_response(),
        Err(e) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
            "report this as a bug",
        ),
    }
}

/// Rate limit, then parse exactly one SealedSecret.
#[allow(clippy::result_large_err, reason = "a Response is the error to send")]
fn admit(state: &AppState, body: &str) -> Result<(SealedSecret, Format), Response> {
    if !state.limiter.try_acquire() {
        state.metrics.rate_limited.inc();
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too many verify/rotate requests",
            "retry after a second",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Err(r);
    }
    let bad = |e: String| {
        problem(
            StatusCode::BAD_REQUEST,
            &e,
            "send one SealedSecret as YAML or JSON, e.g. curl --data-binary @s.yaml",
        )
    };
    let docs = docs::parse_documents(body).map_err(|e| bad(e.to_string()))?;
    let [doc] = docs.as_slice() else {
        return Err(bad(format!(
            "expected one SealedSecret, got {} documents",
            docs.len()
        )));
    };
    let sealed = SealedSecret::from_value(doc.value.clone()).map_err(|e| bad(e.to_string()))?;
    if sealed.spec.encrypted_data.len() > MAX_VALUES {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "{} values; at most {MAX_VALUES} per request",
                sealed.spec.encrypted_data.len()
            ),
            "split the SealedSecret, or verify it offline with seal --validate --recovery-private-key",
        ));
    }
    Ok((sealed, Format::sniff(body)))
}

async fn open(state: &AppState, sealed: &SealedSecret) -> Result<OpenedValues, Response> {
    let keys = state.keyring.current();
    match state
        .decryptor
        .open(&sealed.view(), &keys, &Default::default(), Cache::Bypass)
        .await
    {
        Ok(opened) => Ok(opened),
        Err(OpenError::Failed { keys, total, .. }) => Err(problem(
            StatusCode::CONFLICT,
            &format!(
                "{} of {total} values do not open with this controller's keys: {}",
                keys.len(),
                keys.join(", ")
            ),
            "re-seal them with this cluster's certificate (seal --fetch-cert), for this name, namespace and scope",
        )),
        Err(e @ OpenError::Spec(_)) => Err(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            &e.to_string(),
            "check the SealedSecret's name, namespace and scope annotations",
        )),
        Err(OpenError::Interrupted) => Err(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "decryption was interrupted",
            "retry",
        )),
    }
}

pub(crate) fn problem(code: StatusCode, error: &str, hint: &str) -> Response {
    (code, axum::Json(json!({"error": error, "hint": hint}))).into_response()
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
