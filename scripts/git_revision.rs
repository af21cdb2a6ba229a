// Shared by the build scripts of `sealsync` and `seal` (`include!`d): the git revision the binary
// is built from, `-dirty` when tracked files changed, `unknown` outside a git checkout.

fn emit_git_revision(variable: &str, git_dir: &str) {
    let revision = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let dirty = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| !o.stdout.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env={variable}={revision}{suffix}");
    for path in ["HEAD", "index", "refs/heads"] {
        println!("cargo:rerun-if-changed={git_dir}/{path}");
    }
}
