//! Closed pipes: `seal … | head -c1` and a closed stderr stop quietly with the right exit code,
//! never with a panic (exit code 101).

mod common;

use std::process::Stdio;

use common::*;

/// Runs `seal` with its stdout a pipe whose read end is closed before `seal` writes.
fn with_closed_stdout(fx: &Fixture, args: &[&str], stdin: &str) -> std::process::Output {
    let mut cmd = seal_bin_env(std::process::Command::new(env!("CARGO_BIN_EXE_seal")));
    let mut child = cmd
        .current_dir(fx.dir.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    if let Some(mut input) = child.stdin.take() {
        use std::io::Write;
        // seal may fail before reading all of it; a write error here is not the test's concern.
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_pipe_is_a_quiet_stop_not_a_panic() {
    let fx = Fixture::new();
    let cert = fx.cert().display().to_string();
    for args in [
        vec!["--help"],
        vec!["keygen", "--help"],
        vec!["--version"],
        vec!["--cert", &cert],
        vec!["--cert", &cert, "--fetch-cert"],
    ] {
        let out = with_closed_stdout(&fx, &args, SECRET_YAML);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_stderr_pipe_is_not_a_panic() {
    let fx = Fixture::new();
    for (args, expected) in [
        (vec!["--cert", "nope.crt", "-f", "a.yaml"], 1),
        (vec!["--frobnicate"], 2),
    ] {
        let mut cmd = seal_bin_env(std::process::Command::new(env!("CARGO_BIN_EXE_seal")));
        let mut child = cmd
            .current_dir(fx.dir.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(expected), "{args:?}");
    }
}
