//! TLS as Go's `crypto/tls` accepts it, which is what kubeseal and kubectl use.
//!
//! rustls (webpki) refuses a server certificate that says `CA:TRUE` (`CaUsedAsEndEntity`), even
//! when that very certificate is in the trust store, as with a self-signed certificate trusted
//! through `SSL_CERT_FILE`. Go accepts a server certificate that is itself one of the trusted
//! roots, after checking the host name and the validity period. [`GoVerifier`] does the same: it
//! asks the usual verifier first, and only when that refuses a certificate that is byte for byte
//! a trusted root does it accept it, checking its name and dates itself.
//!
//! It also carries `--tls-server-name`: the name the certificate is checked against when it is
//! not the host of the URL.
//!
//! ureq 3 takes no custom verifier, so [`TlsConnector`] is the TLS step of ureq's connector chain
//! (proxy, TCP, TLS), built on rustls with this verifier.

use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
    TransportAdapter,
};

/// Which certificates are trusted.
#[derive(Clone)]
pub enum Roots {
    /// The platform's store, and the certificates of `SSL_CERT_FILE` / `SSL_CERT_DIR`.
    Platform,
    /// These only (a kubeconfig's certificate authority).
    Specific(Vec<CertificateDer<'static>>),
}

/// How to check the server, and who the client is.
pub struct TlsSettings {
    /// Trusted certificates.
    pub roots: Roots,
    /// Do not check the server's certificate at all (`--insecure-skip-tls-verify`).
    pub insecure: bool,
    /// The name to check the certificate against instead of the URL's host.
    pub server_name: Option<String>,
    /// A client certificate chain and its key.
    pub client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The trusted certificates are unusable.
    #[error("cannot use the trusted certificates")]
    Roots {
        /// Why.
        #[source]
        source: rustls::Error,
    },
    /// The platform verifier could not start.
    #[error("cannot load the platform's trusted certificates")]
    Platform {
        /// Why.
        #[source]
        source: rustls::Error,
    },
    /// `--tls-server-name` is not a DNS name or IP address.
    #[error("the TLS server name {name:?} is not a DNS name or an IP address")]
    ServerName {
        /// The name given.
        name: String,
    },
    /// The client certificate or key is unusable.
    #[error("cannot use the client certificate and key")]
    ClientCert {
        /// Why.
        #[source]
        source: rustls::Error,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls client configuration for `settings`.
pub fn client_config(settings: TlsSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let verifier: Arc<dyn ServerCertVerifier> = if settings.insecure {
        Arc::new(NoVerification(provider()))
    } else {
        Arc::new(GoVerifier::new(&settings.roots, settings.server_name)?)
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|source| TlsError::Roots { source })?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match settings.client {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|source| TlsError::ClientCert { source })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The usual verifier, plus Go's acceptance of a server certificate that is a trusted root.
#[derive(Debug)]
pub struct GoVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    roots: Vec<CertificateDer<'static>>,
    server_name: Option<ServerName<'static>>,
}

impl GoVerifier {
    fn new(roots: &Roots, server_name: Option<String>) -> Result<GoVerifier, TlsError> {
        let server_name = match server_name {
            Some(name) => Some(
                ServerName::try_from(name.clone()).map_err(|_| TlsError::ServerName { name })?,
            ),
            None => None,
        };
        let (inner, roots): (Arc<dyn ServerCertVerifier>, _) = match roots {
            Roots::Platform => {
                let verifier = rustls_platform_verifier::Verifier::new(provider())
                    .map_err(|source| TlsError::Platform { source })?;
                // The same files the platform verifier reads on Linux (SSL_CERT_FILE and
                // SSL_CERT_DIR, else the system's bundle); unreadable entries are skipped.
                (
                    Arc::new(verifier),
                    rustls_native_certs::load_native_certs().certs,
                )
            }
            Roots::Specific(certs) => {
                let mut store = rustls::RootCertStore::empty();
                store.add_parsable_certificates(certs.iter().cloned());
                let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(store),
                    provider(),
                )
                .build()
                .map_err(|e| TlsError::Roots {
                    source: rustls::Error::General(e.to_string()),
                })?;
                (verifier as Arc<dyn ServerCertVerifier>, certs.clone())
            }
        };
        Ok(GoVerifier {
            inner,
            roots,
            server_name,
        })
    }
}

/// Go's rule for a server certificate that is itself a trusted root: its name and its dates
/// are what is left to check.
fn accept_trusted_leaf(
    leaf: &CertificateDer<'_>,
    name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(leaf)?;
    rustls::client::verify_server_name(&parsed, name)?;
    let (not_before, not_after) = validity(leaf).ok_or(rustls::Error::InvalidCertificate(
        rustls::CertificateError::BadEncoding,
    ))?;
    let now = now.as_secs();
    if now < not_before {
        return Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidYet,
        ));
    }
    if now > not_after {
        return Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::Expired,
        ));
    }
    Ok(())
}

/// A certificate's validity period, in seconds since the epoch.
fn validity(der: &[u8]) -> Option<(u64, u64)> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let validity = cert.tbs_certificate().validity();
    Some((
        validity.not_before.to_unix_duration().as_secs(),
        validity.not_after.to_unix_duration().as_secs(),
    ))
}

impl ServerCertVerifier for GoVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = self.server_name.as_ref().unwrap_or(server_name);
        let usual =
            self.inner
                .verify_server_cert(end_entity, intermediates, name, ocsp_response, now);
        match usual {
            Err(_) if self.roots.iter().any(|root| root == end_entity) => {
                accept_trusted_leaf(end_entity, name, now).map(|()| ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure-skip-tls-verify`: the handshake's signatures are still checked, the certificate
/// is not.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS step of ureq's connector chain, with our client configuration.
pub struct TlsConnector {
    /// The rustls configuration.
    pub config: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .authority()
            .map(|a| a.host())
            .unwrap_or_default();
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| ureq::Error::Tls("the host is not a DNS name or an IP address"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        let stream = StreamOwned { conn, sock };
        Ok(Some(Either::B(TlsTransport { buffers, stream })))
    }
}

/// A TLS connection as a ureq transport.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
