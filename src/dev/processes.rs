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

/// A child process, stopped (SIGTERM, then SIGKILL) on drop; `group` kills its process group.
pub struct Process {
    child: Child,
    group: bool,
}

impl Drop for Process {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let target = if self.group { format!("-{pid}") } else { pid };
        let _ = Command::new("kill").args(["-TERM", "--", &target]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &target]).status();
        let _ = self.child.wait();
    }
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
