//! The processes `sealsync dev` runs beside its in-process cluster: the controller (this same
//! binary, `sealsync run`, as in production) and a `git daemon` for a local repository. Both
//! are stopped when dropped.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::DevError;

/// A child process, stopped (SIGTERM, then SIGKILL) on drop; `group` kills its process group,
/// and the drop returns only once every member of the group has exited (a `git daemon` serves
/// each connection from a child of its own; the members are found in `/proc`, so elsewhere than
/// on Linux only the leader is waited for).
pub struct Process {
    child: Child,
    group: bool,
}

/// How long a stopped process has to exit before it is killed.
const GRACE: Duration = Duration::from_secs(10);

impl Drop for Process {
    fn drop(&mut self) {
        let pid = self.child.id();
        let target = if self.group {
            format!("-{pid}")
        } else {
            pid.to_string()
        };
        for signal in ["-TERM", "-KILL"] {
            let _ = Command::new("kill").args([signal, "--", &target]).status();
            let deadline = Instant::now() + GRACE;
            while Instant::now() < deadline {
                if self.exited() && !(self.group && group_alive(pid)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.wait();
    }
}

/// Whether a process of group `pgid` is still running (zombies aside), from `/proc`.
fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
                let rest = &stat[stat.rfind(')')? + 1..];
                let mut fields = rest.split_whitespace();
                let state = fields.next()?;
                let pgrp = fields.nth(1)?.parse::<u32>().ok()?;
                Some(pgrp == pgid && state != "Z" && state != "X")
            })
            .unwrap_or(false)
    })
}

impl Process {
    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

/// A free loopback port.
pub fn free_port() -> Result<u16, DevError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| DevError::Io {
            path: "127.0.0.1:0".into(),
            detail: e.to_string(),
        })
}

/// Starts `sealsync run` against the dev cluster, its log appended to `log`.
pub fn controller(
    kubeconfig: &Path,
    cache: &Path,
    log: &Path,
    port: u16,
) -> Result<Process, DevError> {
    let exe = std::env::current_exe().map_err(|e| DevError::Io {
        path: "the sealsync binary".into(),
        detail: e.to_string(),
    })?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| DevError::Io {
            path: log.to_owned(),
            detail: e.to_string(),
        })?;
    let err = file.try_clone().map_err(|e| DevError::Io {
        path: log.to_owned(),
        detail: e.to_string(),
    })?;
    let child = Command::new(exe)
        .args([
            "run",
            "--namespace",
            "sealsync-system",
            "--lease-duration",
            "5s",
        ])
        .arg("--listen-addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--cache-dir")
        .arg(cache)
        .env("KUBECONFIG", kubeconfig)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| DevError::Spawn {
            what: "the controller (sealsync run)",
            detail: e.to_string(),
        })?;
    Ok(Process {
        child,
        group: false,
    })
}

/// How many ports [`git_daemon`] tries before it gives up.
const PORT_TRIES: usize = 5;

/// Serves the repositories below `base` with `git daemon`, read-only, on a free loopback port:
/// the process and its port. A port some other process binds between the pick and the
/// daemon's own bind is noticed (the daemon says it is ready only once it listens; a port
/// check alone would be answered by the other process) and another port is tried.
pub fn git_daemon(base: &Path) -> Result<(Process, u16), DevError> {
    let mut said = String::new();
    for _ in 0..PORT_TRIES {
        let port = free_port()?;
        match start_git_daemon(base, port)? {
            Started::Listening(process) => return Ok((process, port)),
            Started::NotBound(why) => said = why,
        }
    }
    Err(DevError::Spawn {
        what: "git daemon",
        detail: format!(
            "it could bind none of {PORT_TRIES} free loopback ports; the last time it said: {}",
            said.trim()
        ),
    })
}

/// How a start of `git daemon` went.
enum Started {
    /// It listens.
    Listening(Process),
    /// It could not bind the port (another process bound it first) and exited: what it said.
    NotBound(String),
}

fn start_git_daemon(base: &Path, port: u16) -> Result<Started, DevError> {
    let spawn_error = |detail: String| DevError::Spawn {
        what: "git daemon",
        detail,
    };
    let mut child = Command::new("git")
        .args([
            "daemon",
            "--verbose",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Untranslated messages: the bind failure is recognised by its text.
        .env("LC_ALL", "C")
        .process_group(0)
        .spawn()
        .map_err(|e| spawn_error(format!("{e}; is git installed?")))?;
    let stderr = child.stderr.take();
    let process = Process { child, group: true };
    let (tx, rx) = mpsc::channel();
    if let Some(stderr) = stderr {
        std::thread::spawn(move || until_ready(stderr, &tx));
    }
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(())) => Ok(Started::Listening(process)),
        Ok(Err(said)) if said.contains("unable to allocate any listen sockets") => {
            Ok(Started::NotBound(said))
        }
        Ok(Err(said)) => Err(spawn_error(format!(
            "it exited before listening ({}); does `git daemon` exist in your git installation?",
            said.trim()
        ))),
        Err(_) => Err(spawn_error(format!(
            "it did not start listening on 127.0.0.1:{port} within 10 s"
        ))),
    }
}

/// Reads the daemon's log until it says it listens (sends `Ok`) or exits (sends what it said),
/// then keeps reading until it exits: with `--verbose` it logs every connection, and a full pipe
/// would block it.
fn until_ready(stderr: impl Read, tx: &mpsc::Sender<Result<(), String>>) {
    let mut reader = BufReader::new(stderr);
    let mut said = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => {
                let _ = tx.send(Err(said));
                return;
            }
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                if text.contains("Ready to rumble") {
                    let _ = tx.send(Ok(()));
                    break;
                }
                said.push_str(&text);
            }
        }
    }
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_taken_port_is_noticed_and_the_daemon_is_gone_once_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        assert!(matches!(
            start_git_daemon(dir.path(), port),
            Ok(Started::NotBound(_))
        ));
        let (process, port) = git_daemon(dir.path()).expect("git daemon");
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(process);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
