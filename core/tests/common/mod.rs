//! What the interop tests share: a Python peer that answers one request per line.

use std::io::Write as _;
use std::process::{Child, Command, Stdio};

/// Kills the child if the test ends before it was waited for.
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `script` with `python3 -c script arg`, writes `requests` to it, and returns its lines.
pub fn python(script: &str, arg: &std::path::Path, requests: &str) -> Vec<String> {
    let child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(arg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (with `cryptography`; .ci/run installs it)");
    let mut guard = KillOnDrop(Some(child));
    let child = guard.0.as_mut().expect("just stored");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(requests.as_bytes())
        .expect("write requests to python3");
    let output = guard
        .0
        .take()
        .expect("just stored")
        .wait_with_output()
        .expect("python3 finishes");
    assert!(
        output.status.success(),
        "python3 peer failed (is `cryptography` installed?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("python3 prints ASCII")
        .lines()
        .map(str::to_owned)
        .collect()
}
