//! `sealsync build --path DIR`: the objects a GitSync would apply from that folder, as
//! multi-document YAML. SealedSecrets stay sealed; nothing touches a cluster.

use std::path::{Path, PathBuf};

use sealsync_core::api::docs::{Format, render_all};

use super::render::{self, RenderError};

/// Why `sealsync build` failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The folder did not render.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The folder could not be resolved.
    #[error("cannot open {path}")]
    Path {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The objects could not be written.
    #[error("cannot write the objects as YAML")]
    Write(#[source] sealsync_core::api::DocError),
}

impl BuildError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            BuildError::Render(e) => e.hint(),
            BuildError::Path { .. } => "pass an existing folder with --path",
            BuildError::Write(_) => "report this as a bug",
        }
    }
}

/// Renders `dir` and writes its objects as YAML documents.
pub fn build(dir: &Path) -> Result<String, BuildError> {
    let values: Vec<_> = render_dir(dir)?.into_iter().map(|o| o.value).collect();
    render_all(&values, Format::Yaml).map_err(BuildError::Write)
}

/// Renders `dir`, with file names relative to the Git work tree that holds it.
pub fn render_dir(dir: &Path) -> Result<Vec<render::Rendered>, BuildError> {
    let dir = dir.canonicalize().map_err(|source| BuildError::Path {
        path: dir.to_owned(),
        source,
    })?;
    let root = repository_root(&dir);
    let path = dir
        .strip_prefix(&root)
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .into_owned();
    Ok(render::render(&root, &path)?)
}

/// The Git work tree holding `dir` (the nearest ancestor with `.git`), else `dir` itself.
fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .unwrap_or(dir)
        .to_owned()
}
