//! The README's controller walkthrough works when copied: its `sh` block runs as written, with
//! two substitutions a test needs: the binaries this build made stand in for `cargo build
//! --release`, and a free port stands in for 8080. Files go to a scratch directory.

#[path = "support/kubectl.rs"]
mod tools;

use std::path::PathBuf;
use std::process::Command;

use tools::kubectl;

fn walkthrough() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let start = readme
        .find("\n## The controller: `sealsync run`\n")
        .expect("the controller section");
    let section = &readme[start..];
    let open = section.find("```sh\n").expect("an sh block") + "```sh\n".len();
    let close = open + section[open..].find("\n```").expect("the block ends");
    section[open..close].to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn the_controller_walkthrough_runs_as_written() {
    let Some(kubectl) = kubectl() else { return };
    let bins = PathBuf::from(env!("CARGO_BIN_EXE_sealsync"))
        .parent()
        .expect("bin dir")
        .to_owned();
    assert!(
        bins.join("seal").exists() && bins.join("devcluster").exists(),
        "build the workspace first: cargo build --workspace"
    );
    let script = walkthrough();
    assert!(
        script.starts_with("cargo build --release -p sealsync -p seal -p devcluster\n"),
        "{script}"
    );
    let port = free_port().to_string();
    let script = script
        .replacen(
            "cargo build --release -p sealsync -p seal -p devcluster\n",
            "",
            1,
        )
        .replace("$PWD/target/release", &bins.to_string_lossy())
        .replace("$PWD/target/dev-kubeconfig", "$PWD/dev-kubeconfig")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    let dir = tempfile::tempdir().expect("tempdir");
    // Whatever happens, the background servers die with the script.
    let guarded =
        format!("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&guarded)
        .current_dir(dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                kubectl.parent().expect("dir").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the walkthrough failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("serverside-applied"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("db ") && l.contains("True") && l.contains("Unsealed")),
        "kubectl get shows Ready: {stdout}"
    );
    assert!(
        stdout.contains("s3cret"),
        "the Secret holds the value: {stdout}"
    );
}
