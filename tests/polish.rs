//! Both binaries, `sealsync` and `seal`: `--version` names the git revision; `completions SHELL`
//! prints a script the shell accepts; `man` writes a page per command.

use std::process::Command;

fn sealsync(args: &[&str]) -> (bool, String) {
    run(env!("CARGO_BIN_EXE_sealsync"), args)
}

/// `seal`, built beside `sealsync` by the workspace.
fn seal(args: &[&str]) -> (bool, String) {
    let path = std::path::Path::new(env!("CARGO_BIN_EXE_sealsync")).with_file_name("seal");
    assert!(
        path.exists(),
        "build the workspace first: cargo build --workspace"
    );
    run(path.to_str().expect("utf8"), args)
}

fn run(binary: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(binary)
        .args(args)
        .output()
        .expect("sealsync runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// What `--version` should name: this checkout's commit, or `unknown` outside a git checkout.
fn built_from() -> String {
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    if head.is_empty() {
        "unknown".into()
    } else {
        head
    }
}

#[test]
fn the_version_names_the_git_revision() {
    let expected = built_from();
    for args in [["--version"], ["version"]] {
        let (ok, out) = sealsync(&args);
        assert!(ok, "{out}");
        assert!(
            out.starts_with(&format!("sealsync {} (", env!("CARGO_PKG_VERSION"))),
            "{out}"
        );
        assert!(
            out.contains(&format!("({expected}")),
            "{out} names {expected}"
        );
    }
}

#[test]
fn completion_scripts_parse_in_their_shell() {
    let (ok, script) = sealsync(&["completions", "bash"]);
    assert!(ok, "{script}");
    assert!(
        script.contains("dev") && script.contains("--state-dir"),
        "{script}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sealsync.bash");
    std::fs::write(&file, &script).expect("write");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .expect("bash");
    assert!(check.success(), "bash -n accepts the script");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (ok, out) = sealsync(&["completions", shell]);
        assert!(ok && out.contains("sealsync"), "{shell}: {out}");
    }
    let (ok, out) = sealsync(&["completions", "tcsh"]);
    assert!(
        !ok && out.contains("bash"),
        "an unknown shell lists the known ones: {out}"
    );
}

#[test]
fn man_pages_are_written_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("man");
    let (ok, out) = sealsync(&["man", "--out-dir", out_dir.to_str().expect("utf8")]);
    assert!(ok, "{out}");
    for page in [
        "sealsync",
        "sealsync-run",
        "sealsync-dev",
        "sealsync-build",
        "sealsync-diff",
    ] {
        let text = std::fs::read_to_string(out_dir.join(format!("{page}.1"))).expect(page);
        assert!(text.contains(".TH"), "{page} is a man page");
    }
    let run = std::fs::read_to_string(out_dir.join("sealsync-run.1")).expect("run page");
    assert!(
        run.contains("SEALSYNC_NAMESPACE"),
        "flags and their variables are listed"
    );
}

#[test]
fn seal_names_its_revision_and_has_completions_and_man_pages() {
    let expected = built_from();
    let (ok, out) = seal(&["--version"]);
    assert!(
        ok && out.starts_with("seal ") && out.contains(&format!("({expected}")),
        "{out}"
    );

    let (ok, script) = seal(&["completions", "bash"]);
    assert!(
        ok && script.contains("--recovery-unseal") && script.contains("keygen"),
        "{script}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("seal.bash");
    std::fs::write(&file, &script).expect("write");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .expect("bash");
    assert!(check.success(), "bash -n accepts the script");

    let out_dir = dir.path().join("man");
    let (ok, out) = seal(&["man", "--out-dir", out_dir.to_str().expect("utf8")]);
    assert!(ok, "{out}");
    for page in ["seal", "seal-keygen"] {
        let text = std::fs::read_to_string(out_dir.join(format!("{page}.1"))).expect(page);
        assert!(text.contains(".TH"), "{page} is a man page");
    }
}
