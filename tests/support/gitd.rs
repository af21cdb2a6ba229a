//! A real `git daemon` on loopback, and `git` run in a folder, for the tests that fetch.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use sealsync::dev::processes::{Process, git_daemon};

/// Runs `git` in `dir` (main as the default branch, a CI identity); its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@example.com",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A `git daemon` serving `base` (the one `sealsync dev` starts), and its port; stopped with its
/// process group on drop.
pub struct Daemon(
    #[allow(dead_code, reason = "held for its drop")] Process,
    pub u16,
);

/// Serves the repositories below `base` on a free loopback port.
pub fn daemon(base: &Path) -> Daemon {
    let (process, port) = git_daemon(base).expect("git daemon starts");
    Daemon(process, port)
}

/// A repository at `root/work` holding `files`, committed, and its bare copy served from
/// `root/served/config.git`; returns `root/served`, the folder to give [`daemon`].
pub fn repository(root: &Path, files: &[(&str, &str)]) -> std::path::PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    git(&work, &["init", "-q"]);
    for (name, text) in files {
        let path = work.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "first"]);
    let served = root.join("served");
    std::fs::create_dir_all(&served).expect("mkdir");
    git(
        root,
        &["clone", "-q", "--bare", "work", "served/config.git"],
    );
    served
}

/// Commits everything changed in `root/work` and pushes it to the served copy.
pub fn commit_and_push(root: &Path, message: &str) {
    let work = root.join("work");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", message]);
    let target = root.join("served/config.git");
    git(
        &work,
        &["push", "-q", target.to_str().expect("utf8"), "main"],
    );
}

/// `git http-backend` behind a loopback HTTP server that demands basic (`user:password`) or
/// bearer (`token`) auth; killed on drop. Serves the repositories below `base`.
pub struct HttpServer(Child, pub u16);

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server for `mode` (`basic` or `bearer`) and its secret; with `tls`, HTTPS, its CA
/// written to `tls/ca.pem`.
pub fn http_backend(base: &Path, mode: &str, secret: &str, tls: Option<&Path>) -> HttpServer {
    use std::io::BufRead;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/git_http.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(base)
        .args([mode, secret])
        .args(tls)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the git http server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its port");
    let port = line.trim().parse().expect("a port");
    HttpServer(child, port)
}
