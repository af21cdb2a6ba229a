//! HTTP clients: rustls on aws-lc-rs with Go's certificate rules ([`crate::tls`]), the usual
//! proxy variables, error statuses returned as responses, and one time limit per request, which
//! `--request-timeout` sets as kubectl's does (30 seconds by default, `0` waits forever).

use std::time::Duration;

use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};

use crate::error::CliError;
use crate::tls::{self, Roots, TlsConnector, TlsSettings};

/// How long a request may take when `--request-timeout` is not given.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// How long `seal` waits for an HTTP answer, and what sets that limit (for the hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// The limit; `None` waits forever.
    pub after: Option<Duration>,
    /// What to do about it, for the hint.
    pub limit: &'static str,
}

impl Default for Wait {
    fn default() -> Wait {
        Wait {
            after: Some(DEFAULT_WAIT),
            limit: "seal waits 30s by default: raise it with --request-timeout (0 waits forever)",
        }
    }
}

impl Wait {
    /// `--request-timeout` as client-go reads it (`ParseTimeout`): empty is the default, a bare
    /// integer is seconds, otherwise a Go duration such as `1m30s` or `500ms`; `0` waits forever.
    pub fn from_flag(value: Option<&str>) -> Result<Wait, CliError> {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Ok(Wait::default());
        };
        let after = match value.parse::<u64>() {
            Ok(seconds) => Duration::from_secs(seconds),
            Err(_) => go_duration(value).ok_or_else(|| {
                CliError::usage(
                    format!("--request-timeout {value:?} is not a duration"),
                    "give a whole number of seconds, or a number with a unit (e.g. 1s, 2m, 3h); \
                     0 waits forever",
                )
            })?,
        };
        Ok(Wait {
            after: (!after.is_zero()).then_some(after),
            limit: "raise it with --request-timeout (0 waits forever)",
        })
    }
}

/// A Go `time.ParseDuration` string of non-negative parts: `1h2m3.5s`, `300ms`, `2us`.
fn go_duration(text: &str) -> Option<Duration> {
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += number * seconds;
    }
    Duration::try_from_secs_f64(total).ok()
}

/// An agent with `tls`, waiting at most `wait`, returning error statuses as responses. Without
/// `proxy`, the usual proxy variables apply.
pub fn agent(
    tls: TlsSettings,
    wait: Wait,
    proxy: Option<ureq::Proxy>,
) -> Result<ureq::Agent, tls::TlsError> {
    let rustls_config = tls::client_config(tls)?;
    let mut config = ureq::Agent::config_builder()
        .timeout_global(wait.after)
        .http_status_as_error(false);
    if let Some(proxy) = proxy {
        config = config.proxy(Some(proxy));
    }
    // ureq's own chain (CONNECT proxy, TCP, TLS) with our TLS step.
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpConnector::default())
            .chain(TlsConnector {
                config: rustls_config,
            });
    Ok(ureq::Agent::with_parts(
        config.build(),
        connector,
        DefaultResolver::default(),
    ))
}

/// The largest answer accepted from a controller or an API server.
pub const MAX_ANSWER_BYTES: u64 = 4 * 1024 * 1024;

/// POSTs `body` as JSON with `request` (to `url`) and reads the answer: (status, text). A
/// failure is the controller's: the POSTs `seal` makes go to the controller's endpoints.
pub fn post_json(
    request: ureq::RequestBuilder<ureq::typestate::WithBody>,
    url: &str,
    body: &[u8],
    wait: Wait,
) -> Result<(u16, String), CliError> {
    let fail = |error| {
        CliError::http(url, error, wait, |source| CliError::Controller {
            url: url.to_owned(),
            source,
        })
    };
    let mut response = request
        .header("Content-Type", "application/json")
        .send(body)
        .map_err(fail)?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .map_err(fail)?;
    Ok((status, text))
}

/// An agent that trusts the platform's store (and `SSL_CERT_FILE`), for certificate URLs and
/// the controller.
pub fn public_agent(wait: Wait) -> Result<ureq::Agent, CliError> {
    let settings = TlsSettings {
        roots: Roots::Platform,
        insecure: false,
        server_name: None,
        client: None,
    };
    agent(settings, wait, None).map_err(|source| CliError::Tls { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_timeouts_read_as_client_go_reads_them() {
        let after = |v: &str| Wait::from_flag(Some(v)).map(|w| w.after);
        assert_eq!(after("").unwrap(), Some(DEFAULT_WAIT));
        assert_eq!(after("5").unwrap(), Some(Duration::from_secs(5)));
        assert_eq!(after("0").unwrap(), None);
        assert_eq!(after("1m30s").unwrap(), Some(Duration::from_secs(90)));
        assert_eq!(after("500ms").unwrap(), Some(Duration::from_millis(500)));
        assert_eq!(after("1.5h").unwrap(), Some(Duration::from_secs(5400)));
        assert!(after("soon").is_err());
        assert!(after("5 s").is_err());
        assert!(after("-1s").is_err());
    }
}
