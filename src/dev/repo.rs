//! The repository `sealsync dev` follows: the bundled demo, copied into the state folder and
//! committed (its Secret sealed with the dev cluster's own key), or the user's.

use std::path::{Path, PathBuf};
use std::process::Command;

use sealsync_core::api::{Api as ApiGroup, ObjectMeta, Secret};
use sealsync_core::crypto::Certificate;
use sealsync_core::sealing::{SealOptions, seal_secret};

use super::DevError;

/// The demo's files, bundled so `sealsync dev` works from any folder.
const DEMO: [(&str, &str); 7] = [
    ("README.md", include_str!("../../examples/demo/README.md")),
    (
        "kustomization.yaml",
        include_str!("../../examples/demo/kustomization.yaml"),
    ),
    (
        "namespace.yaml",
        include_str!("../../examples/demo/namespace.yaml"),
    ),
    (
        "configmap.yaml",
        include_str!("../../examples/demo/configmap.yaml"),
    ),
    (
        "deployment.yaml",
        include_str!("../../examples/demo/deployment.yaml"),
    ),
    (
        "service.yaml",
        include_str!("../../examples/demo/service.yaml"),
    ),
    (
        "db.sealed.yaml",
        include_str!("../../examples/demo/db.sealed.yaml"),
    ),
];

/// Where the repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local repository (served by a `git daemon`): its folder.
    Local(PathBuf),
    /// A URL the controller fetches directly.
    Remote(String),
}

/// What `REPO` names: a URL, or a local folder that must be a Git repository.
pub fn source(repo: &str) -> Result<Source, DevError> {
    if repo.contains("://") {
        return Ok(Source::Remote(repo.to_owned()));
    }
    let path = std::fs::canonicalize(repo).map_err(|e| DevError::Repo {
        repo: repo.to_owned(),
        detail: e.to_string(),
    })?;
    if !path.join(".git").exists() {
        return Err(DevError::Repo {
            repo: repo.to_owned(),
            detail: "not a Git repository (no .git); run `git init` and commit there first".into(),
        });
    }
    Ok(Source::Local(path))
}

/// The demo copy in `state/demo`, created and committed on the first run; sealed again when the
/// cluster's certificate changed (a fresh state). Returns its folder.
pub fn demo(state: &Path, cert: &Certificate, fingerprint: &str) -> Result<PathBuf, DevError> {
    let dir = state.join("demo");
    let marker = state.join("demo.sealed-for");
    let sealed_for = std::fs::read_to_string(&marker).unwrap_or_default();
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        for (name, text) in DEMO {
            write(&dir.join(name), text.as_bytes())?;
        }
        git(&dir, &["init", "-q", "-b", "main"])?;
    }
    if sealed_for.trim() != fingerprint {
        write(&dir.join("db.sealed.yaml"), sealed_db(cert)?.as_bytes())?;
        git(&dir, &["add", "-A"])?;
        git(
            &dir,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "Seal the demo Secret for this dev cluster",
            ],
        )?;
        write(&marker, fingerprint.as_bytes())?;
    }
    Ok(dir)
}

/// The demo's SealedSecret `demo/db`, sealed to `cert`, as YAML.
fn sealed_db(cert: &Certificate) -> Result<String, DevError> {
    let mut secret = Secret::new(ObjectMeta {
        name: Some("db".into()),
        namespace: Some("demo".into()),
        ..Default::default()
    });
    secret.set_value("username", b"demo");
    secret.set_value("password", b"dev-only-password");
    let options = SealOptions {
        overrides: Default::default(),
        api: ApiGroup::Sealsync,
        allow_empty_data: false,
    };
    let sealed = seal_secret(&secret, cert.public_key(), &options)
        .map_err(|e| DevError::Seal(e.to_string()))?;
    let yaml = serde_saphyr::to_string(&sealed).map_err(|e| DevError::Seal(e.to_string()))?;
    Ok(format!(
        "# Sealed by `sealsync dev` with its dev cluster's key; only that cluster opens it.\n{yaml}"
    ))
}

/// The commit checked out in `dir`.
pub fn head(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The branch checked out in `dir`.
pub fn branch(dir: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--abbrev-ref", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "main".into())
}

fn git(dir: &Path, args: &[&str]) -> Result<(), DevError> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=sealsync dev",
            "-c",
            "user.email=dev@sealsync.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| DevError::Git {
            args: args.join(" "),
            detail: format!("{e}; is git installed?"),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(DevError::Git {
            args: args.join(" "),
            detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Writes a file atomically (a temporary beside it, then a rename).
fn write(path: &Path, bytes: &[u8]) -> Result<(), DevError> {
    let staging = path.with_extension("sealsync-tmp");
    std::fs::write(&staging, bytes).map_err(|e| io(&staging, e))?;
    std::fs::rename(&staging, path).map_err(|e| io(path, e))
}

fn io(path: &Path, e: std::io::Error) -> DevError {
    DevError::Io {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}
