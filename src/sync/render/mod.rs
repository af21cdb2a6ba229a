//! A revision's folder → the objects to apply.
//!
//! - [`files`]: every `*.yaml`, `*.yml` and `*.json` below the folder, recursive, sorted by
//!   path, dotfiles and dot-folders skipped; multi-document files and `kind: List` read whole.
//! - [`kustomize`]: a folder with a `kustomization.yaml` is built natively (a subset of
//!   kustomize; any other field is an error that names it).
//! - [`object`]: what each object must have (apiVersion, kind, name), and its identity.
//!
//! Everything renders or nothing does: one bad document fails the revision, with the file and
//! the document number, so a half-rendered revision is never applied (or pruned against).

pub mod files;
pub mod kustomize;
pub mod object;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use object::{ObjectKey, Origin};

/// One object to apply, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Its identity.
    pub key: ObjectKey,
    /// The object.
    pub value: Value,
    /// The file and document it came from.
    pub origin: Origin,
}

/// An object that appears twice, and where.
#[derive(Debug)]
pub struct Duplicate {
    /// The object.
    pub key: ObjectKey,
    /// The first place.
    pub first: Origin,
    /// The second place.
    pub second: Origin,
}

/// Why a revision did not render. Every variant names the file (relative to the rendered root).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The folder to render does not exist.
    #[error("path {path} does not exist in the revision")]
    NoPath {
        /// The path.
        path: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML or JSON.
    #[error("{file}: document {index}: {detail}")]
    Parse {
        /// The file.
        file: String,
        /// 1-based document number.
        index: usize,
        /// What is wrong, with the line.
        detail: String,
    },
    /// An object lacks a field every object needs.
    #[error("{origin}: the object has no {field}")]
    MissingField {
        /// Where.
        origin: Origin,
        /// `apiVersion`, `kind` or `metadata.name`.
        field: &'static str,
    },
    /// The same object appears twice.
    #[error("{} appears twice: in {} and in {}", .0.key, .0.first, .0.second)]
    Duplicate(Box<Duplicate>),
    /// A kustomization uses something sealsync does not build.
    #[error("{file}: {what} is not supported yet")]
    Unsupported {
        /// The kustomization file.
        file: String,
        /// The field or form.
        what: String,
    },
    /// A kustomization is malformed or names something that is not there.
    #[error("{file}: {detail}")]
    Kustomization {
        /// The kustomization file.
        file: String,
        /// What is wrong.
        detail: String,
    },
}

impl RenderError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            RenderError::NoPath { .. } => "check the path, relative to the repository root",
            RenderError::Read { .. } => "check the file's permissions in the repository",
            RenderError::Parse { .. } => {
                "fix the YAML or JSON; `kubectl apply --dry-run=client -f FILE` shows the same problem"
            }
            RenderError::MissingField { .. } => {
                "every object needs apiVersion, kind and metadata.name"
            }
            RenderError::Duplicate(_) => "keep one of the two",
            RenderError::Unsupported { .. } => {
                "render that folder in CI and commit the output, or use only resources, namespace, images, labels, commonLabels and commonAnnotations"
            }
            RenderError::Kustomization { .. } => {
                "fix the kustomization; `kubectl kustomize DIR` shows what kustomize makes of it"
            }
        }
    }
}

/// Renders the folder `path` of a checked-out tree at `root`: plain files, or a kustomization.
pub fn render(root: &Path, path: &str) -> Result<Vec<Rendered>, RenderError> {
    let dir = root.join(path.trim_start_matches('/'));
    if !dir.is_dir() {
        return Err(RenderError::NoPath {
            path: path.to_owned(),
        });
    }
    let objects = if kustomize::file_in(&dir).is_some() {
        kustomize::build(root, &dir)?
    } else {
        files::read_tree(root, &dir)?
    };
    check_unique(&objects)?;
    Ok(objects)
}

/// The path of `file` relative to `root`, for messages.
pub fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}

fn check_unique(objects: &[Rendered]) -> Result<(), RenderError> {
    let mut seen: BTreeMap<&ObjectKey, &Origin> = BTreeMap::new();
    for o in objects {
        if let Some(first) = seen.insert(&o.key, &o.origin) {
            return Err(RenderError::Duplicate(Box::new(Duplicate {
                key: o.key.clone(),
                first: first.clone(),
                second: o.origin.clone(),
            })));
        }
    }
    Ok(())
}

/// The files of a folder, sorted, dot-entries skipped.
pub(crate) fn entries(root: &Path, dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let read = |source| RenderError::Read {
        path: relative(root, dir),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.starts_with('.'))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
