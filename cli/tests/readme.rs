//! The README's quickstart works when copied: its `sh` blocks run, exactly as written, in an
//! empty directory with `seal` and `kubectl` on the PATH. And the README's test command is the
//! one `.ci/run` runs.

mod common;

use std::path::{Path, PathBuf};

use sealsync_core::crypto::PrivateKey;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

/// The `sh` code blocks of the section that starts with `heading`.
fn sh_blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has a {heading:?} section"));
    let section = &readme[start + heading.len() + 2..];
    let section = section.find("\n## ").map_or(section, |end| &section[..end]);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_quickstart_runs_as_written() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    let blocks = sh_blocks(&readme, "## Sealing offline: a `seal` quickstart");
    assert!(blocks.len() >= 5, "the quickstart has its commands");
    let script = blocks.concat();
    assert!(script.contains("seal keygen --out-dir keys\n"));

    let kubectl = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output();
    assert!(
        kubectl.is_ok_and(|o| o.status.success()),
        "kubectl must be on the PATH for the README test (.ci/run installs it)"
    );

    let dir = tempfile::tempdir().unwrap();
    let seal_dir = Path::new(env!("CARGO_BIN_EXE_seal")).parent().unwrap();
    let path = format!(
        "{}:{}",
        seal_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = common::seal_bin_env(std::process::Command::new("bash"))
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "quickstart failed:\n{stdout}\n{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3t") && !stderr.contains("t0ken"),
        "{stderr}"
    );

    // The recovery step printed both values, base64-encoded.
    assert!(stdout.contains("password: czNjcjN0\n"), "{stdout}");
    assert!(stdout.contains("api-token: dDBrZW4=\n"), "{stdout}");
    // The raw step printed one sealed value on its own line.
    assert!(
        stdout.lines().any(|l| l.len() > 300 && !l.contains(' ')),
        "{stdout}"
    );
    // After the re-encryption the file opens with the new key only.
    let text = std::fs::read_to_string(dir.path().join("db.sealed.yaml")).unwrap();
    let sealed = &common::sealed_docs(&text)[0];
    let next = std::fs::read_to_string(dir.path().join("keys-next/tls.key")).unwrap();
    let next = PrivateKey::from_pem(next.as_bytes()).unwrap();
    let values = common::open_all(sealed, &next);
    assert_eq!(values["password"], b"s3cr3t");
    assert_eq!(values["api-token"], b"t0ken");
}

#[test]
fn the_readme_test_command_is_the_one_ci_runs() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    let blocks = sh_blocks(&readme, "## Testing");
    assert_eq!(blocks.len(), 1, "one test command");
    let command = blocks[0].trim();
    let ci = std::fs::read_to_string(workspace().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == command),
        "`{command}` is not what .ci/run runs"
    );
}
