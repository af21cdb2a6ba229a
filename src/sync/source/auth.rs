//! Credentials for one repository, from a GitSync's `secretRef`: HTTP basic (`username` and
//! `password`) or a bearer token (`bearerToken`), and a CA to trust for https (`ca.crt`, PEM,
//! added to the system's roots, as Flux's GitRepository takes it). They live in memory only:
//! basic credentials answer gix's credential request (never a URL, which could reach a log),
//! the token is an in-memory `http.extraHeader`. Their `Debug` shows neither.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use gix::credentials::helper::Action;
use gix::credentials::protocol;
use gix::protocol::transport::client::blocking_io::http;
use gix::protocol::transport::client::blocking_io::http::reqwest as reqwest_backend;
use zeroize::Zeroizing;

/// Why a credentials Secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// `username` without `password`, or the other way round.
    #[error("the Secret has {present} but no {missing}; give both for HTTP basic auth")]
    Incomplete {
        /// The key present.
        present: &'static str,
        /// The key missing.
        missing: &'static str,
    },
    /// Keys this version cannot use yet.
    #[error(
        "the Secret's {key} is not supported yet (HTTPS with basic auth or a bearer token is); nothing was fetched"
    )]
    Unsupported {
        /// The key.
        key: &'static str,
    },
    /// `ca.crt` holds no PEM certificate.
    #[error(
        "the Secret's ca.crt is not a PEM certificate ({detail}); store the CA's certificate, -----BEGIN CERTIFICATE-----"
    )]
    BadCa {
        /// Why.
        detail: String,
    },
    /// A value is not UTF-8.
    #[error(
        "the Secret's {key} is not UTF-8 text; store it as plain text (kubectl create secret generic --from-literal={key}=…)"
    )]
    NotText {
        /// The key.
        key: &'static str,
    },
}

/// Credentials for a fetch; the default is anonymous.
#[derive(Clone, Default)]
pub struct Auth {
    basic: Option<(String, Zeroizing<String>)>,
    bearer: Option<Zeroizing<String>>,
    ca: Vec<reqwest::Certificate>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("basic", &self.basic.as_ref().map(|(user, _)| user))
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("ca", &self.ca.len())
            .finish()
    }
}

impl Auth {
    /// Reads a credentials Secret's data.
    pub fn from_secret(data: &BTreeMap<String, Vec<u8>>) -> Result<Auth, AuthError> {
        for key in ["identity", "known_hosts"] {
            if data.contains_key(key) {
                return Err(AuthError::Unsupported { key });
            }
        }
        let text = |key: &'static str| -> Result<Option<Zeroizing<String>>, AuthError> {
            data.get(key)
                .map(|v| {
                    String::from_utf8(v.clone())
                        .map(Zeroizing::new)
                        .map_err(|_| AuthError::NotText { key })
                })
                .transpose()
        };
        let basic = match (text("username")?, text("password")?) {
            (Some(user), Some(password)) => Some((user.to_string(), password)),
            (Some(_), None) => {
                return Err(AuthError::Incomplete {
                    present: "username",
                    missing: "password",
                });
            }
            (None, Some(_)) => {
                return Err(AuthError::Incomplete {
                    present: "password",
                    missing: "username",
                });
            }
            (None, None) => None,
        };
        Ok(Auth {
            basic,
            bearer: text("bearerToken")?,
            ca: data
                .get("ca.crt")
                .map(|pem| ca(pem))
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// gix's transport options for `url` from `repo`'s configuration, with the CA of
    /// `ca.crt` added to the https client's roots; `None` when there is no CA to add (gix then
    /// builds the same options itself).
    pub fn transport_options(&self, repo: &gix::Repository, url: &str) -> Option<Box<dyn Any>> {
        if self.ca.is_empty() {
            return None;
        }
        let mut options = repo.transport_options(url, None).ok()??;
        let http = options.downcast_mut::<http::Options>()?;
        let roots = self.ca.clone();
        let backend = reqwest_backend::Options {
            configure_client: Some(Box::new(move |builder| {
                Ok(roots
                    .iter()
                    .cloned()
                    .fold(builder, |b, cert| b.add_root_certificate(cert)))
            })),
            configure_request: None,
        };
        http.backend = Some(Arc::new(Mutex::new(backend)));
        Some(options)
    }

    /// In-memory git configuration: the bearer token's header.
    pub fn config_overrides(&self) -> Vec<String> {
        self.bearer
            .iter()
            .map(|t| format!("http.extraHeader=Authorization: Bearer {}", t.as_str()))
            .collect()
    }

    /// Answers gix's credential requests with the basic credentials; with none, refuses, so
    /// nothing ever prompts or asks a system helper.
    pub fn helper(
        &self,
    ) -> impl FnMut(Action) -> gix::error::Result<Option<protocol::Outcome>> + 'static + use<> {
        let basic = self.basic.clone();
        move |action| match (action, &basic) {
            (Action::Get(ctx), Some((username, password))) => Ok(Some(protocol::Outcome {
                identity: gix::sec::identity::Account {
                    username: username.clone(),
                    password: password.to_string(),
                    oauth_refresh_token: None,
                },
                next: ctx.into(),
            })),
            _ => Ok(None),
        }
    }
}

/// The certificates of a PEM bundle; at least one.
fn ca(pem: &[u8]) -> Result<Vec<reqwest::Certificate>, AuthError> {
    let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| AuthError::BadCa {
        detail: e.to_string(),
    })?;
    if certs.is_empty() {
        return Err(AuthError::BadCa {
            detail: "no certificate in it".into(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn basic_needs_both_halves_and_debug_hides_secrets() {
        let auth = Auth::from_secret(&data(&[("username", "ci"), ("password", "hunter2")]))
            .expect("basic");
        let shown = format!("{auth:?}");
        assert!(
            shown.contains("ci") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(
            Auth::from_secret(&data(&[("username", "ci")])).unwrap_err(),
            AuthError::Incomplete {
                present: "username",
                missing: "password"
            }
        );
    }

    #[test]
    fn a_token_becomes_a_header_and_ssh_keys_are_refused_for_now() {
        let auth = Auth::from_secret(&data(&[("bearerToken", "t0k")])).expect("token");
        assert_eq!(
            auth.config_overrides(),
            vec!["http.extraHeader=Authorization: Bearer t0k".to_owned()]
        );
        assert!(!format!("{auth:?}").contains("t0k"));
        assert_eq!(
            Auth::from_secret(&data(&[("identity", "key")])).unwrap_err(),
            AuthError::Unsupported { key: "identity" }
        );
    }

    #[test]
    fn a_ca_that_is_not_pem_is_refused_by_name() {
        for bad in ["not a certificate", ""] {
            let err = Auth::from_secret(&data(&[("ca.crt", bad)])).unwrap_err();
            assert!(matches!(err, AuthError::BadCa { .. }), "{err}");
            assert!(err.to_string().contains("ca.crt"), "{err}");
        }
    }
}
