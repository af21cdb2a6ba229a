//! The processes `sealsync dev` runs beside its in-process cluster: the controller (this same
//! binary, `sealsync run`, as in production) and a `git daemon` for a local repository. Both
//! are stopped when dropped.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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

/// How many ports [`git_daemon`] tries before it gives up.
const PORT_TRIES: usize = 5;

/// Serves the repositories below `base` with `git daemon`, read-only, on a free loopback port:
/// the process and its port. A port some other process binds between the pick and the
/// daemon's own bind is noticed (the daemon says it is ready only once it listens; a port
/// check alone would be answered by the other process) and another port is tried.
pub fn git_daemon(base: &Path) -> Result<(Process, u16), DevError> {
    for _ in 0..PORT_TRIES {
        let port = free_port()?;
        match start_git_daemon(base, port)? {
            Started::Listening(process) => return Ok((process, port)),
            Started::PortTaken => continue,
        }
    }
    Err(DevError::Spawn {
        what: "git daemon",
        detail: format!("{PORT_TRIES} free ports in a row were taken before it could bind one"),
    })
}

/// How a start of `git daemon` went.
enum Started {
    /// It listens.
    Listening(Process),
    /// Another process bound the port first; the daemon exited.
    PortTaken,
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
        .process_group(0)
        .spawn()
        .map_err(|e| spawn_error(format!("{e}; is git installed?")))?;
    let stderr = child.stderr.take();
    let process = Process { child, group: true };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Some(stderr) = stderr else { return };
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let mut said = Vec::new();
        let ready = lines.by_ref().any(|line| {
            let ready = line.contains("Ready to rumble");
            said.push(line);
            ready
        });
        let _ = tx.send(ready.then_some(()).ok_or(said.join("\n")));
        // The daemon logs every connection (--verbose): keep reading so it never blocks.
        lines.for_each(drop);
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(Ok(())) => Ok(Started::Listening(process)),
        Ok(Err(said)) if said.contains("Address already in use") => Ok(Started::PortTaken),
        Ok(Err(said)) => Err(spawn_error(format!(
            "it exited before listening ({}); does `git daemon` exist in your git installation?",
            said.trim()
        ))),
        Err(_) => Err(spawn_error(format!(
            "it did not start listening on 127.0.0.1:{port} within 10 s"
        ))),
    }
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
            Ok(Started::PortTaken)
        ));
        let (process, port) = git_daemon(dir.path()).expect("git daemon");
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(process);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
