//! The controller's endpoints for the modes that need private keys, when `seal` has none:
//! `--validate` posts each SealedSecret to `/v1/verify`, `--re-encrypt` to `/v1/rotate`, either
//! at `--controller-url` or, as kubeseal does, through the API server's proxy to the
//! controller's Service. The keys never leave the cluster, and no plaintext crosses the wire.

use sealsync_core::api::SealedSecret;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::error::CliError;
use crate::http::{self, Wait};

/// Where the controller is.
pub enum Controller {
    /// `--controller-url`.
    Url {
        /// The base URL.
        base: String,
        /// One HTTP agent (its TLS set-up reads the system's trust store) for every request.
        agent: ureq::Agent,
        /// How long a request may take.
        wait: Wait,
    },
    /// The Service `name` in `namespace`, through the API server of the kubeconfig.
    Cluster {
        /// The API server.
        cluster: Box<Cluster>,
        /// The controller's namespace.
        namespace: String,
        /// The controller's Service.
        name: String,
    },
}

impl Controller {
    /// POSTs `sealed` to `path`: (URL, status, body).
    fn post(&self, path: &str, sealed: &SealedSecret) -> Result<(String, u16, String), CliError> {
        let body = serde_json::to_vec(sealed).map_err(|e| CliError::ControllerStatus {
            url: path.to_owned(),
            status: 0,
            message: e.to_string(),
        })?;
        match self {
            Controller::Url { base, agent, wait } => post_url(base, agent, *wait, path, &body),
            Controller::Cluster {
                cluster,
                namespace,
                name,
            } => cluster.post(&Cluster::service_path(namespace, name, path), &body),
        }
    }
}

/// `Ok(Ok(values))` if every value opens, `Ok(Err(detail))` if the controller says some do not.
pub fn verify(
    controller: &Controller,
    sealed: &SealedSecret,
) -> Result<Result<usize, String>, CliError> {
    let (url, status, body) = controller.post("/v1/verify", sealed)?;
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
pub fn rotate(controller: &Controller, sealed: &SealedSecret) -> Result<SealedSecret, CliError> {
    let (url, status, body) = controller.post("/v1/rotate", sealed)?;
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

fn post_url(
    base: &str,
    agent: &ureq::Agent,
    wait: Wait,
    path: &str,
    body: &[u8],
) -> Result<(String, u16, String), CliError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let request = agent.post(&url);
    let (status, text) = http::post_json(request, &url, body, wait)?;
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
