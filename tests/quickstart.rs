//! The README's two-command quickstart works when copied. Its `sh` blocks are read from the
//! README and run as written, with two substitutions: this build's `sealsync` stands in for
//! `cargo run --release --`, and the third block, run in its own shell, gets the `export
//! KUBECONFIG` the second block did in the user's terminal. The first block (`sealsync dev`) runs in the background in a scratch
//! folder; the next two (look, then change the demo repository and wait for the change) run in
//! bash beside it; the last must be the test command `.ci/run` runs.

#[path = "support/kubectl.rs"]
mod tools;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tools::kubectl;

fn quickstart_blocks() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("\n## Quickstart\n")
        .expect("a Quickstart section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    section
        .split("```sh\n")
        .skip(1)
        .map(|b| b[..b.find("\n```").expect("the block ends")].to_owned())
        .collect()
}

/// The `sealsync dev` process group; killed on drop.
struct Dev(Child);

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", "--", &format!("-{}", self.0.id())])
            .status();
        // Ctrl-C: sealsync dev stops its controller and git daemon, then exits.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

fn bash(script: &str, dir: &std::path::Path, path: &str) -> (bool, String) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("GIT_AUTHOR_NAME", "Quickstart")
        .env("GIT_AUTHOR_EMAIL", "quickstart@example.com")
        .env("GIT_COMMITTER_NAME", "Quickstart")
        .env("GIT_COMMITTER_EMAIL", "quickstart@example.com")
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_two_command_quickstart_runs_as_written() {
    let kubectl = kubectl().expect("kubectl is required (.ci/run installs it)");
    let blocks = quickstart_blocks();
    assert_eq!(blocks.len(), 4, "dev, look, change, test: {blocks:?}");
    assert_eq!(blocks[0], "cargo run --release -- dev");
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).expect("ci");
    assert!(
        ci.contains(&blocks[3]),
        "the test command is what .ci/run runs"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let dev_command =
        blocks[0].replacen("cargo run --release --", env!("CARGO_BIN_EXE_sealsync"), 1);
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(format!("exec {dev_command}"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("sealsync dev starts");
    let stderr = child.stderr.take().expect("stderr");
    let dev = Dev(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = String::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(240)) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
                if line.contains("sealsync dev is running") {
                    break;
                }
            }
            Err(_) => panic!("sealsync dev did not get Ready:\n{log}"),
        }
    }
    assert!(log.contains("Secrets unsealed: demo/db"), "{log}");

    let path = format!(
        "{}:{}",
        kubectl.parent().expect("dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (ok, out) = bash(&blocks[1], dir.path(), &path);
    assert!(ok, "the look block failed:\n{out}");
    assert!(out.contains("deployment.apps/web"), "{out}");
    assert!(
        out.lines().any(|l| l.trim() == "demo"),
        "the unsealed username: {out}"
    );
    assert!(
        !out.contains("dev-only-password"),
        "no value printed but the one asked"
    );

    let (ok, out) = bash(
        &format!("export KUBECONFIG=$PWD/.sealsync/kubeconfig\n{}", blocks[2]),
        dir.path(),
        &path,
    );
    assert!(ok, "the change block failed:\n{out}\nsealsync dev:\n{log}");
    assert!(out.contains("deployment.apps/web condition met"), "{out}");
    drop(dev);
}
