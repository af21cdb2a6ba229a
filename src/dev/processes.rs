//! The processes `sealsync dev` runs beside its in-process cluster: the controller (this same
//! binary, `sealsync run`, as in production) and a `git daemon` for a local repository. Both
//! are stopped when dropped.

use std::fs::OpenOptions;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::DevError;

/// A child process, stopped (SIGTERM, then SIGKILL) on drop; `group` kills its process group,
/// and the drop returns only once every member of the group has exited (a `git daemon` serves
/// each connection from a child of its own).
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

/// Serves the repositories below `base` with `git daemon` on `port`, read-only.
pub fn git_daemon(base: &Path, port: u16) -> Result<Process, DevError> {
    let child = Command::new("git")
        .args([
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| DevError::Spawn {
            what: "git daemon",
            detail: format!("{e}; is git installed?"),
        })?;
    let mut process = Process { child, group: true };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if process.exited() || Instant::now() > deadline {
            return Err(DevError::Spawn {
                what: "git daemon",
                detail:
                    "it did not start listening; does `git daemon` exist in your git installation?"
                        .into(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(process)
}
