//! The cluster of the kubeconfig, as kubeseal reaches it.
//!
//! - The certificate, when neither `--cert` nor `--controller-url` is given: first the ConfigMap
//!   `sealsync-cert` (key `cert.pem`) that the controller publishes in its namespace, which
//!   needs only `get configmaps`; then, as kubeseal does, the controller Service's
//!   `/v1/cert.pem` through the API server's proxy.
//! - `--validate` and `--re-encrypt` without keys or `--controller-url`: the controller's
//!   `/v1/verify` and `/v1/rotate` through the same proxy, as kubeseal does.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;

use crate::args::ClusterArgs;
use crate::config::Env;
use crate::error::CliError;
use crate::http::{self, Wait};
use crate::kubeconfig::{self, Connection};
use crate::tls::{Roots, TlsSettings};

/// The ConfigMap the controller publishes its newest certificate in, and its key.
const CONFIGMAP: (&str, &str) = ("sealsync-cert", "cert.pem");

/// A client for the API server of the kubeconfig. No `Debug`: it holds credentials.
pub struct Cluster {
    agent: ureq::Agent,
    conn: Connection,
    wait: Wait,
}

impl Cluster {
    /// Connects as the kubeconfig and the connection flags say.
    pub fn connect(args: &ClusterArgs, env: Env<'_>) -> Result<Cluster, CliError> {
        let conn =
            kubeconfig::connection(args, env).map_err(|source| CliError::Kubeconfig { source })?;
        let wait = Wait::from_flag(args.request_timeout.as_deref())?;
        let agent = agent(&conn, wait)?;
        Ok(Cluster { agent, conn, wait })
    }

    /// `path` on the API server, as a URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.conn.server.trim_end_matches('/'))
    }

    /// The API server's proxy path to the controller Service `name` in `namespace`.
    pub fn service_path(namespace: &str, name: &str, path: &str) -> String {
        format!("/api/v1/namespaces/{namespace}/services/http:{name}:/proxy{path}")
    }

    fn fail<'a>(&self, url: &'a str) -> impl Fn(ureq::Error) -> CliError + 'a {
        let wait = self.wait;
        move |error| {
            CliError::http(url, error, wait, |source| CliError::FetchCert {
                url: url.to_owned(),
                source,
            })
        }
    }

    /// GETs `path`: (status, body).
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>), CliError> {
        let url = self.url(path);
        let request = self.agent.get(&url).header("Accept", "application/json");
        let mut response = authorize(request, &self.conn)
            .call()
            .map_err(self.fail(&url))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(http::MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(self.fail(&url))?;
        Ok((status, body))
    }

    /// POSTs a JSON `body` to `path`: (URL, status, body).
    pub fn post(&self, path: &str, body: &[u8]) -> Result<(String, u16, String), CliError> {
        let url = self.url(path);
        let request = authorize(self.agent.post(&url), &self.conn);
        let (status, text) = http::post_json(request, &url, body, self.wait)?;
        Ok((url, status, text))
    }
}

/// Fetches the certificate of the controller `name` in `namespace`: (where it came from, PEM).
pub fn fetch_cert(
    args: &ClusterArgs,
    env: Env<'_>,
    namespace: &str,
    name: &str,
) -> Result<(String, Vec<u8>), CliError> {
    let cluster = Cluster::connect(args, env)?;
    let configmap = format!("/api/v1/namespaces/{namespace}/configmaps/{}", CONFIGMAP.0);
    let (status, body) = cluster.get(&configmap)?;
    if status == 200 {
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if let Some(pem) = value["data"][CONFIGMAP.1].as_str() {
            return Ok((
                format!("ConfigMap {namespace}/{}", CONFIGMAP.0),
                pem.as_bytes().to_vec(),
            ));
        }
    }
    if status != 200 && status != 404 && status != 403 {
        return Err(CliError::ClusterStatus {
            url: cluster.url(&configmap),
            status,
        });
    }
    match cluster.get(&Cluster::service_path(namespace, name, "/v1/cert.pem"))? {
        (200, body) => Ok((format!("service {namespace}/{name}"), body)),
        (status, _) => Err(CliError::ClusterCertNotFound {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            status,
        }),
    }
}

/// The kubeconfig's credentials and impersonation, as client-go sends them.
fn authorize<B>(
    mut request: ureq::RequestBuilder<B>,
    conn: &Connection,
) -> ureq::RequestBuilder<B> {
    if let Some(token) = &conn.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    } else if let Some((user, password)) = &conn.basic {
        use base64::Engine;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request = request.header("Authorization", &format!("Basic {encoded}"));
    }
    if let Some(user) = &conn.impersonate.user {
        request = request.header("Impersonate-User", user);
    }
    for group in &conn.impersonate.groups {
        request = request.header("Impersonate-Group", group);
    }
    if let Some(uid) = &conn.impersonate.uid {
        request = request.header("Impersonate-Uid", uid);
    }
    request
}

fn agent(conn: &Connection, wait: Wait) -> Result<ureq::Agent, CliError> {
    let bad = |what: &'static str| CliError::ClusterTls { what };
    let roots = match &conn.ca_pem {
        Some(ca) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(ca)
                .filter_map(Result::ok)
                .collect();
            if certs.is_empty() {
                return Err(bad("the certificate authority holds no PEM certificate"));
            }
            Roots::Specific(certs)
        }
        None => Roots::Platform,
    };
    let client = match &conn.client {
        Some((cert, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
                .filter_map(Result::ok)
                .collect();
            let key = PrivateKeyDer::from_pem_slice(key)
                .map_err(|_| bad("the client key holds no PEM private key"))?;
            Some((chain, key))
        }
        None => None,
    };
    let settings = TlsSettings {
        roots,
        insecure: conn.insecure,
        server_name: conn.tls_server_name.clone(),
        client,
    };
    let proxy = match &conn.proxy {
        Some(url) => Some(proxy(url)?),
        None => None,
    };
    http::agent(settings, wait, proxy).map_err(|source| CliError::Tls { source })
}

/// `--proxy-url` (or the kubeconfig's `proxy-url`): an HTTP CONNECT proxy.
fn proxy(url: &str) -> Result<ureq::Proxy, CliError> {
    // The URL may carry credentials without a scheme (`user:pass@proxy:3128`), which the URL
    // redaction in messages would not recognise: never show what comes before the last `@`.
    let shown = url
        .rsplit_once('@')
        .map_or_else(|| url.to_owned(), |(_, host)| format!("***@{host}"));
    let unusable = || {
        CliError::usage(
            format!("the proxy URL {shown:?} is not usable"),
            "give --proxy-url (or the kubeconfig's proxy-url) as http://HOST:PORT or \
             https://HOST:PORT; SOCKS proxies are not supported",
        )
    };
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(unusable());
    }
    ureq::Proxy::new(url).map_err(|_| unusable())
}
