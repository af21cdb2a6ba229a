//! The controller's endpoints for the modes that need private keys, when `seal` has none:
//! `--validate` posts each SealedSecret to `URL/v1/verify`, `--re-encrypt` to `URL/v1/rotate`.
//! The keys never leave the cluster, and no plaintext crosses the wire.

use sealsync_core::api::SealedSecret;
use serde_json::Value;

use crate::error::CliError;
use crate::http::{self, Wait};

/// The largest answer accepted from the controller.
const MAX_ANSWER_BYTES: u64 = 4 * 1024 * 1024;

/// `Ok(Ok(values))` if every value opens, `Ok(Err(detail))` if the controller says some do not.
pub fn verify(
    base: &str,
    wait: Wait,
    sealed: &SealedSecret,
) -> Result<Result<usize, String>, CliError> {
    let (url, status, body) = post(base, wait, "/v1/verify", sealed)?;
    let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    match status {
        200 => Ok(Ok(answer["values"].as_u64().unwrap_or(0) as usize)),
        409 => Ok(Err(answer["error"]
            .as_str()
            .unwrap_or("values do not open")
            .to_owned())),
        _ => Err(status_error(url, status, &answer, &body)),
    }
}

/// The SealedSecret re-sealed by the controller to its newest key.
pub fn rotate(base: &str, wait: Wait, sealed: &SealedSecret) -> Result<SealedSecret, CliError> {
    let (url, status, body) = post(base, wait, "/v1/rotate", sealed)?;
    if status != 200 {
        let answer: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        return Err(status_error(url, status, &answer, &body));
    }
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| SealedSecret::from_value(v).ok())
        .ok_or_else(|| CliError::ControllerStatus {
            url,
            status,
            message: "the answer is not a SealedSecret".into(),
        })
}

fn post(
    base: &str,
    wait: Wait,
    path: &str,
    sealed: &SealedSecret,
) -> Result<(String, u16, String), CliError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let body = serde_json::to_string(sealed).map_err(|e| CliError::ControllerStatus {
        url: url.clone(),
        status: 0,
        message: e.to_string(),
    })?;
    let request_error = |error| {
        CliError::http(&url, error, wait, |source| CliError::Controller {
            url: url.clone(),
            source,
        })
    };
    let mut response = http::public_agent(wait)?
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body.as_bytes())
        .map_err(request_error)?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .map_err(request_error)?;
    Ok((url, status, text))
}

fn status_error(url: String, status: u16, answer: &Value, body: &str) -> CliError {
    let message = answer["error"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| body.chars().take(200).collect());
    CliError::ControllerStatus {
        url,
        status,
        message,
    }
}
