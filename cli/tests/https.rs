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

impl TlsServer {
    fn start(body: String) -> TlsServer {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("server certificate");
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
