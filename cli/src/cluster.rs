//! The certificate through the cluster of the kubeconfig, when neither `--cert` nor
//! `--controller-url` is given: first the ConfigMap `sealsync-cert` (key `cert.pem`) that the
//! controller publishes in its namespace, which needs only `get configmaps`; then, as kubeseal
//! does, the controller Service's `/v1/cert.pem` through the API server's proxy.

use std::sync::Arc;

use serde_json::Value;
use ureq::tls::{ClientCert, PemItem, RootCerts, TlsConfig, TlsProvider, parse_pem};

use crate::args::ClusterArgs;
use crate::config::Env;
use crate::error::CliError;
use crate::kubeconfig::{self, Connection};

/// The ConfigMap the controller publishes its newest certificate in, and its key.
const CONFIGMAP: (&str, &str) = ("sealsync-cert", "cert.pem");

/// Fetches the certificate of the controller `name` in `namespace`: (where it came from, PEM).
pub fn fetch_cert(
    args: &ClusterArgs,
    env: Env<'_>,
    namespace: &str,
    name: &str,
) -> Result<(String, Vec<u8>), CliError> {
    let conn =
        kubeconfig::connection(args, env).map_err(|source| CliError::Kubeconfig { source })?;
    let agent = agent(&conn)?;
    let base = conn.server.trim_end_matches('/');
    let configmap = format!(
        "{base}/api/v1/namespaces/{namespace}/configmaps/{}",
        CONFIGMAP.0
    );
    let (status, body) = get(&agent, &conn, &configmap)?;
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
            url: configmap,
            status,
        });
    }
    let proxy =
        format!("{base}/api/v1/namespaces/{namespace}/services/http:{name}:/proxy/v1/cert.pem");
    match get(&agent, &conn, &proxy)? {
        (200, body) => Ok((format!("service {namespace}/{name}"), body)),
        (status, _) => Err(CliError::ClusterCertNotFound {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            status,
        }),
    }
}

fn get(agent: &ureq::Agent, conn: &Connection, url: &str) -> Result<(u16, Vec<u8>), CliError> {
    let fail = |source| CliError::FetchCert {
        url: url.to_owned(),
        source,
    };
    let mut request = agent.get(url).header("Accept", "application/json");
    if let Some(token) = &conn.token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    } else if let Some((user, password)) = &conn.basic {
        use base64::Engine;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request = request.header("Authorization", &format!("Basic {encoded}"));
    }
    let mut response = request.call().map_err(fail)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(fail)?;
    Ok((status, body))
}

fn agent(conn: &Connection) -> Result<ureq::Agent, CliError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(provider)
        .disable_verification(conn.insecure);
    let bad = |what: &'static str| CliError::ClusterTls { what };
    if let Some(ca) = &conn.ca_pem {
        let certs: Vec<_> = parse_pem(ca)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(bad("the certificate authority holds no PEM certificate"));
        }
        tls = tls.root_certs(RootCerts::Specific(Arc::new(certs)));
    } else {
        tls = tls.root_certs(RootCerts::PlatformVerifier);
    }
    if let Some((cert, key)) = &conn.client {
        let chain: Vec<_> = parse_pem(cert)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        let key = parse_pem(key)
            .find_map(|item| match item {
                Ok(PemItem::PrivateKey(k)) => Some(k),
                _ => None,
            })
            .ok_or(bad("the client key holds no PEM private key"))?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
    }
    Ok(ureq::Agent::config_builder()
        .tls_config(tls.build())
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .new_agent())
}
