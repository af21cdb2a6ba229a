//! What the bench binaries share: the controller as its own process, its listening port, and
//! its metrics and peak RSS read from outside. Each bench uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};

use futures::{StreamExt, stream};
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use sealsync::api::{Group, Sealed};
use sealsync_core::api::{ObjectMeta, Secret as SecretDoc};
use sealsync_core::crypto::Certificate;
use sealsync_core::sealing::{SealOptions, seal_secret};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The controller process; killed on drop.
pub struct Controller {
    child: Option<Child>,
    /// Its HTTP listener, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Controller {
    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Stops it with SIGTERM and waits.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `sealsync run` (this build) against `kubeconfig`, with `extra` arguments.
pub fn spawn(kubeconfig: &std::path::Path, namespace: &str, extra: &[&str]) -> Controller {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .args([
            "run",
            "--namespace",
            namespace,
            "--listen-addr",
            "127.0.0.1:0",
            "--lease-duration",
            "3s",
            "--key-renew-period",
            "0",
        ])
        .args(extra)
        .env("KUBECONFIG", kubeconfig)
        // BENCH_LOG=info (say) shows the controller's log, to see where time goes.
        .env(
            "SEALSYNC_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sealsync starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.split("listening on ").nth(1) {
                let _ = tx.send(url.trim().to_owned());
            } else if line.contains("WARN")
                || line.contains("ERROR")
                || std::env::var_os("BENCH_LOG").is_some()
            {
                eprintln!("controller: {line}");
            }
        }
    });
    // The listening line is INFO; with SEALSYNC_LOG=warn it is not printed, so find the port
    // from /proc instead.
    let url = rx
        .recv_timeout(Duration::from_millis(10))
        .ok()
        .unwrap_or_else(|| wait_port(child.id()));
    Controller {
        child: Some(child),
        url,
    }
}

/// The controller's listening port, read from /proc (its only listening TCP socket).
fn wait_port(pid: u32) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(port) = listening_port(pid) {
            return format!("http://127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the controller did not listen");
}

fn listening_port(pid: u32) -> Option<u16> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| {
            l.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_owned)
        })
        .collect();
    let tcp = std::fs::read_to_string("/proc/net/tcp").ok()?;
    tcp.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.get(3) == Some(&"0A") && inodes.iter().any(|i| Some(&i.as_str()) == f.get(9)))
            .then(|| u16::from_str_radix(f[1].split(':').nth(1)?, 16).ok())
            .flatten()
    })
}

/// See the module documentation.
pub fn get(url: &str, path: &str) -> Option<String> {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// One series (`name` or `name{labels}`) of the controller's `/metrics` at `url`; 0 when absent.
pub fn metric_f64(url: &str, series: &str) -> f64 {
    let text = get(url, "/metrics").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .filter(|rest| rest.starts_with(' '))
                .and_then(|rest| rest.trim().parse::<f64>().ok())
        })
        .unwrap_or(0.0)
}

/// [`metric_f64`] as a count.
pub fn metric(url: &str, series: &str) -> u64 {
    metric_f64(url, series) as u64
}

/// See the module documentation.
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmHWM:")
                    .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
            })
        })
        .unwrap_or(0)
}

/// Applies `count` SealedSecrets `s0000`… in `namespace`, each with `values` values
/// (`value0`…), sealed to `cert`, 16 at a time.
pub async fn create_sealed(
    client: &Client,
    namespace: &str,
    count: usize,
    values: usize,
    cert: &Certificate,
) {
    let api: Api<Sealed> =
        Api::namespaced_with(client.clone(), namespace, &Group::Sealsync.api_resource());
    stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            let meta = ObjectMeta {
                name: Some(format!("s{i:04}")),
                namespace: Some(namespace.into()),
                ..Default::default()
            };
            let mut secret = SecretDoc::new(meta);
            for v in 0..values {
                secret.set_value(
                    &format!("value{v}"),
                    format!("plaintext-{i}-{v}").as_bytes(),
                );
            }
            let options = SealOptions {
                overrides: Default::default(),
                api: sealsync_core::api::Api::Sealsync,
                allow_empty_data: false,
            };
            let doc = serde_json::to_value(
                seal_secret(&secret, cert.public_key(), &options).expect("seal"),
            )
            .expect("json");
            async move {
                let name = format!("s{i:04}");
                api.patch(&name, &PatchParams::apply("bench"), &Patch::Apply(doc))
                    .await
                    .expect("create");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}
