//! Where the sealing certificate comes from: a file, a `file://` or `http(s)://` URL, or a
//! controller's `/v1/cert.pem` endpoint. HTTPS goes through rustls on aws-lc-rs with the
//! platform's trust store, and honours the usual proxy variables.

use std::time::SystemTime;

use sealsync_core::crypto::Certificate;

use crate::error::CliError;
use crate::http::{self, Wait};

/// The largest certificate document accepted from a file or a server.
const MAX_CERT_BYTES: u64 = 1024 * 1024;

/// Where to get the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// `--cert`: a path, `file://PATH` or an `http(s)://` URL.
    Location(String),
    /// `--controller-url`: fetch `URL/v1/cert.pem`.
    Controller(String),
    /// Through the cluster of the kubeconfig: the `sealsync-cert` ConfigMap, else the
    /// controller Service through the API server's proxy.
    Cluster {
        /// Controller namespace.
        namespace: String,
        /// Controller service name.
        name: String,
    },
}

/// Loads the certificate: its PEM text, the parsed certificate, and where it came from.
pub fn fetch(
    source: &CertSource,
    cluster: &crate::args::ClusterArgs,
    env: crate::config::Env<'_>,
) -> Result<(String, Certificate, String), CliError> {
    let wait = Wait::from_flag(cluster.request_timeout.as_deref())?;
    let (location, bytes) = match source {
        CertSource::Location(location) => {
            let bytes = if is_http(location) {
                http_get(location, wait)?
            } else {
                let path = location.strip_prefix("file://").unwrap_or(location);
                read_file(path).map_err(|source| CliError::ReadCert {
                    location: location.clone(),
                    source,
                })?
            };
            (location.clone(), bytes)
        }
        CertSource::Controller(base) => {
            let url = format!("{}/v1/cert.pem", base.trim_end_matches('/'));
            let bytes = http_get(&url, wait)?;
            (url, bytes)
        }
        CertSource::Cluster { namespace, name } => {
            crate::cluster::fetch_cert(cluster, env, namespace, name)?
        }
    };
    let cert = Certificate::from_pem(&bytes).map_err(|source| CliError::BadCert {
        location: location.clone(),
        source,
    })?;
    Ok((cert.to_pem(), cert, location))
}

fn is_http(location: &str) -> bool {
    let lower = location.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn read_file(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_CERT_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn http_get(url: &str, wait: Wait) -> Result<Vec<u8>, CliError> {
    let fetch_error = |error| {
        CliError::http(url, error, wait, |source| CliError::FetchCert {
            url: url.to_owned(),
            source,
        })
    };
    let mut response = http::public_agent(wait)?
        .get(url)
        .call()
        .map_err(fetch_error)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(CliError::FetchCertStatus {
            url: url.to_owned(),
            status,
        });
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_CERT_BYTES)
        .read_to_vec()
        .map_err(fetch_error)
}

/// A time as RFC 3339, for messages.
pub fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "an unknown date".to_owned())
}
