//! Certificates over HTTPS: rustls on aws-lc-rs (no ring, no provider conflict) with the
//! platform trust store, checked against a TLS server on 127.0.0.1 whose certificate is trusted
//! through `SSL_CERT_FILE` only.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use common::*;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS server on 127.0.0.1 that answers every request with `body`; stops on drop.
struct TlsServer {
    port: u16,
    ca_pem: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// A self-signed server certificate for `names`; `ca` sets `CA:TRUE`, as certificates made with
/// `openssl req -x509` often do; `expired` makes it a day old and expired.
fn server_certificate(
    names: &[&str],
    ca: bool,
    expired: bool,
) -> rcgen::CertifiedKey<rcgen::KeyPair> {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("names");
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    if expired {
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(2);
        params.not_after = now - time::Duration::days(1);
    }
    let signing_key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&signing_key).expect("certificate");
    rcgen::CertifiedKey { cert, signing_key }
}

impl TlsServer {
    fn start(body: String) -> TlsServer {
        TlsServer::start_with(body, server_certificate(&["127.0.0.1"], false, false))
    }

    fn start_with(body: String, certified: rcgen::CertifiedKey<rcgen::KeyPair>) -> TlsServer {
        let ca_pem = certified.cert.pem();
        let cert_der = CertificateDer::from(certified.cert.der().to_vec());
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let handle = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(tcp), Ok(conn)) = (stream, rustls::ServerConnection::new(config.clone()))
                else {
                    continue;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(&mut tls);
                let mut line = String::new();
                // A failed handshake (an untrusting client) ends here.
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        TlsServer {
            port,
            ca_pem,
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn certificates_are_fetched_over_https_from_a_trusted_server_only() {
    let fx = Fixture::new();
    let pem = fx.read("keys/tls.crt");
    let server = TlsServer::start(pem.clone());
    fx.write("server-ca.pem", &server.ca_pem);
    let base = format!("https://127.0.0.1:{}", server.port);

    let fetched = fx
        .seal()
        .env("SSL_CERT_FILE", fx.path("server-ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .args(["--fetch-cert", "--controller-url", &base])
        .output()
        .unwrap();
    assert!(
        fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    assert_eq!(
        String::from_utf8(fetched.stdout).unwrap().trim(),
        pem.trim()
    );

    let sealed = fx
        .seal()
        .env("SSL_CERT_FILE", fx.path("server-ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .args(["--cert", &format!("{base}/anything.pem")])
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    open_all(
        &sealed_docs(&String::from_utf8(sealed.stdout).unwrap())[0],
        &fx.key,
    );

    // Without trusting the server's certificate, the fetch fails with an error and a hint.
    fx.write("other-ca.pem", &fx.read("keys/tls.crt"));
    let untrusted = fx
        .seal()
        .env("SSL_CERT_FILE", fx.path("other-ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .args(["--fetch-cert", "--controller-url", &base])
        .output()
        .unwrap();
    assert_eq!(untrusted.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    assert!(
        stderr.starts_with("error: cannot fetch the certificate from https://"),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: "), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "a TLS verification error: {stderr}"
    );
}

/// Issue 10, item 5: a self-signed server certificate with `CA:TRUE`, trusted through
/// `SSL_CERT_FILE`, works as it does for kubeseal (Go accepts a server certificate that is one
/// of its trusted roots). Its name and dates are still checked, and an untrusted one still fails.
#[test]
fn a_self_signed_ca_certificate_trusted_through_ssl_cert_file_works_as_with_go() {
    let fx = Fixture::new();
    let pem = fx.read("keys/tls.crt");
    let fetch = |server: &TlsServer, trusted: &str| {
        fx.write("trusted.pem", trusted);
        fx.seal()
            .env("SSL_CERT_FILE", fx.path("trusted.pem"))
            .env_remove("SSL_CERT_DIR")
            .args(["--fetch-cert", "--controller-url"])
            .arg(format!("https://127.0.0.1:{}", server.port))
            .output()
            .unwrap()
    };

    let server =
        TlsServer::start_with(pem.clone(), server_certificate(&["127.0.0.1"], true, false));
    let out = fetch(&server, &server.ca_pem);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), pem.trim());

    let other = server_certificate(&["127.0.0.1"], true, false).cert.pem();
    let out = fetch(&server, &other);
    assert_eq!(
        out.status.code(),
        Some(1),
        "another CA:TRUE certificate is not this one"
    );

    let misnamed = TlsServer::start_with(
        pem.clone(),
        server_certificate(&["other.example"], true, false),
    );
    let out = fetch(&misnamed, &misnamed.ca_pem);
    assert_eq!(out.status.code(), Some(1), "the name is checked");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("certificate"), "{stderr}");

    let expired = TlsServer::start_with(pem, server_certificate(&["127.0.0.1"], true, true));
    let out = fetch(&expired, &expired.ca_pem);
    assert_eq!(out.status.code(), Some(1), "the dates are checked");
    assert!(String::from_utf8_lossy(&out.stderr).contains("xpired"));
}

/// The kubeconfig's certificate authority and `--tls-server-name`, as kubectl reads them: the
/// API server's certificate names `api.internal`, and the connection goes to 127.0.0.1.
#[test]
fn the_api_server_certificate_is_checked_against_tls_server_name() {
    let fx = Fixture::new();
    let pem = fx.read("keys/tls.crt");
    let configmap = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "sealsync-cert", "namespace": "sealsync-system"},
        "data": {"cert.pem": pem}
    });
    let server = TlsServer::start_with(
        configmap.to_string(),
        server_certificate(&["api.internal"], false, false),
    );
    fx.write("api-ca.pem", &server.ca_pem);
    let fetch = |extra: &[&str]| {
        fx.seal()
            .args([
                "--fetch-cert",
                "--token",
                "t0k3n",
                "--certificate-authority",
                "api-ca.pem",
            ])
            .arg(format!("--server=https://127.0.0.1:{}", server.port))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = fetch(&["--tls-server-name", "api.internal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), pem.trim());
    let out = fetch(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("certificate"));
}
