//! Shared fixtures for the `seal` binary tests: a temporary directory with a fresh 2048-bit key
//! pair, the binary with a clean environment, and checks for plaintext leaks.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use sealsync_core::api::{SealedSecret, Secret, docs};
use sealsync_core::crypto::{self, KeyBits, KeyGenOptions, PrivateKey, Scope};

/// Plaintext values used by the fixtures. None of them may ever show up on stderr.
pub const PLAINTEXTS: [&str; 4] = [
    "s3cr3t-Passw0rd",
    "hunter2-token",
    "ZAPHOD-beeblebrox",
    "czNjcjN0LVBhc3N3MHJk", // base64 of the first: also a leak
];

/// A Secret with data, stringData, labels, annotations (two last-applied copies among them),
/// a type and immutability.
pub const SECRET_YAML: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
  uid: 0a1b
  creationTimestamp: null
  labels:
    app: db
  annotations:
    team: payments
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"s3cr3t-Passw0rd"}}'
    kubecfg.ksonnet.io/last-applied-configuration: '{"stringData":{"password":"s3cr3t-Passw0rd"}}'
type: kubernetes.io/basic-auth
immutable: true
data:
  password: c3VwZXJzZWRlZA==
  username: YWRtaW4=
stringData:
  password: s3cr3t-Passw0rd
  token: hunter2-token
"#;

/// A temporary working directory with a key pair in `keys/`.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub key: PrivateKey,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = PrivateKey::generate(KeyBits::Rsa2048).expect("keygen");
        let options = KeyGenOptions {
            bits: KeyBits::Rsa2048,
            common_name: "seal-test".into(),
            validity: Duration::from_secs(24 * 3600),
        };
        let cert = crypto::keys::self_signed(&key, &options, SystemTime::now()).expect("cert");
        let fixture = Fixture { dir, key };
        fixture.write("keys/tls.key", key_pem(&fixture.key).as_str());
        fixture.write("keys/tls.crt", &cert.to_pem());
        fixture
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn cert(&self) -> PathBuf {
        self.path("keys/tls.crt")
    }

    pub fn key_file(&self) -> PathBuf {
        self.path("keys/tls.key")
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write fixture");
        path
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read")
    }

    /// The `seal` binary, run in the fixture directory with no SEAL_* / SEALED_SECRETS_* set.
    pub fn seal(&self) -> Command {
        let mut cmd = seal_bin();
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// Seals SECRET_YAML-like input with the fixture certificate; returns stdout.
    pub fn seal_ok(&self, input: &str, args: &[&str]) -> String {
        let out = self
            .seal()
            .arg("--cert")
            .arg(self.cert())
            .args(args)
            .write_stdin(input)
            .output()
            .expect("run seal");
        assert_no_plaintext(&out.stderr);
        assert!(
            out.status.success(),
            "seal {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Replaces the fixture directory in `text` with `[TMP]`.
    pub fn scrub(&self, text: &str) -> String {
        let dir = self.dir.path().to_string_lossy().to_string();
        let real = std::fs::canonicalize(self.dir.path())
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_else(|_| dir.clone());
        text.replace(&real, "[TMP]").replace(&dir, "[TMP]")
    }
}

/// The `seal` binary with a clean environment.
pub fn seal_bin() -> Command {
    Command::from_std(seal_bin_env(std::process::Command::new(env!(
        "CARGO_BIN_EXE_seal"
    ))))
}

/// `cmd` without the variables `seal` reads, without proxies, and with no kubeconfig.
pub fn seal_bin_env(mut cmd: std::process::Command) -> std::process::Command {
    for (name, _) in std::env::vars() {
        if name.starts_with("SEAL_") || name.starts_with("SEALED_SECRETS_") {
            cmd.env_remove(name);
        }
    }
    // No kubeconfig of the machine's: the context namespace is `default` unless a test sets one.
    cmd.env("KUBECONFIG", "/nonexistent/sealsync-test-kubeconfig");
    cmd.env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy");
    cmd
}

pub fn key_pem(key: &PrivateKey) -> String {
    key.to_pkcs1_pem().expect("pem").as_str().to_owned()
}

/// Fails if any fixture plaintext (or its base64) appears in `bytes`.
pub fn assert_no_plaintext(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for p in PLAINTEXTS {
        assert!(!text.contains(p), "plaintext {p:?} leaked: {text}");
    }
}

/// Parses SealedSecrets from seal's output.
pub fn sealed_docs(text: &str) -> Vec<SealedSecret> {
    docs::parse_documents(text)
        .expect("parse output")
        .into_iter()
        .map(|d| SealedSecret::from_value(d.value).expect("a SealedSecret"))
        .collect()
}

/// Parses Secrets from seal's output.
pub fn secret_docs(text: &str) -> Vec<Secret> {
    docs::parse_documents(text)
        .expect("parse output")
        .into_iter()
        .map(|d| Secret::from_value(d.value).expect("a Secret"))
        .collect()
}

/// Opens every value of `sealed` with `key` under its top-level label.
pub fn open_all(sealed: &SealedSecret, key: &PrivateKey) -> BTreeMap<String, Vec<u8>> {
    let label = label_of(sealed);
    sealed
        .spec
        .encrypted_data
        .iter()
        .map(|(k, v)| {
            let opened = crypto::open_base64(std::slice::from_ref(key), v, &label)
                .unwrap_or_else(|_| panic!("value {k} does not open"));
            (k.clone(), opened.plaintext.to_vec())
        })
        .collect()
}

pub fn label_of(sealed: &SealedSecret) -> Vec<u8> {
    Scope::from_annotations(&sealed.metadata.annotations).label(
        sealed.metadata.namespace.as_deref().unwrap_or_default(),
        sealed.metadata.name.as_deref().unwrap_or_default(),
    )
}

/// Redactions for snapshots of sealed output: ciphertexts are random. Values start `AQ` for
/// 2048-bit keys and `Ag` for 4096-bit keys (the big-endian length prefix).
pub fn sealed_filters() -> Vec<(&'static str, &'static str)> {
    vec![(r"A[Qg][A-D][A-Za-z0-9+/]{60,}={0,2}", "[SEALED]")]
}

/// A one-thread HTTP server on 127.0.0.1 that serves fixed bodies by path; stops on drop.
pub struct HttpServer {
    pub base: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(routes: Vec<(&'static str, u16, String)>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let handle = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve(stream, &routes);
                }
            }
        });
        HttpServer {
            base: format!("http://{addr}"),
            stop,
            handle: Some(handle),
        }
    }
}

fn serve(mut stream: TcpStream, routes: &[(&'static str, u16, String)]) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
    }
    // Read the body too, so that closing the connection never resets it under the client.
    let mut body = vec![0; length];
    let _ = std::io::Read::read_exact(&mut reader, &mut body);
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = routes
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, s, b)| (*s, b.clone()))
        .unwrap_or((404, "not found\n".to_owned()));
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/x-pem-file\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Whether `path`'s contents equal `expected`.
pub fn file_is(path: &Path, expected: &str) -> bool {
    std::fs::read_to_string(path)
        .map(|s| s == expected)
        .unwrap_or(false)
}

/// Changes one base64 character inside the AES-GCM part of a sealed value.
pub fn tamper(value: &mut String) {
    let at = value.len() - 10;
    let replacement = if &value[at..=at] == "A" { "B" } else { "A" };
    value.replace_range(at..=at, replacement);
}
