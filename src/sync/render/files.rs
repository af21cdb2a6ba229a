//! Plain files: every `*.yaml`, `*.yml` and `*.json` below a folder, recursive and sorted, with
//! dotfiles and dot-folders skipped. A sub-folder with its own kustomization is built as one.

use std::path::Path;

use sealsync_core::api::docs::{DocError, flatten_lists, parse_documents};

use super::object::{ObjectKey, Origin};
use super::{RenderError, Rendered, entries, kustomize, relative};

/// Every object below `dir`, in path order.
pub fn read_tree(root: &Path, dir: &Path) -> Result<Vec<Rendered>, RenderError> {
    let mut out = Vec::new();
    for path in entries(root, dir)? {
        if path.is_dir() {
            if kustomize::file_in(&path).is_some() {
                out.extend(kustomize::build(root, &path)?);
            } else {
                out.extend(read_tree(root, &path)?);
            }
        } else if is_manifest(&path) {
            out.extend(read_file(root, &path)?);
        }
    }
    Ok(out)
}

/// Whether a file is read as manifests.
pub fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Every object of one file; a `List` counts as its items.
pub fn read_file(root: &Path, path: &Path) -> Result<Vec<Rendered>, RenderError> {
    let file = relative(root, path);
    let text = std::fs::read_to_string(path).map_err(|source| RenderError::Read {
        path: file.clone(),
        source,
    })?;
    let parse_error = |e: DocError| RenderError::Parse {
        index: document_at(&text, &e),
        detail: e.to_string(),
        file: file.clone(),
    };
    let docs = parse_documents(&text)
        .and_then(flatten_lists)
        .map_err(parse_error)?;
    docs.into_iter()
        .map(|doc| {
            let origin = Origin {
                file: file.clone(),
                index: doc.index,
            };
            let key = ObjectKey::of(&doc.value, &origin)?;
            Ok(Rendered {
                key,
                value: doc.value,
                origin,
            })
        })
        .collect()
}

/// The 1-based document a parse error is in, from its line: the `---` separators before it.
fn document_at(text: &str, error: &DocError) -> usize {
    let line = match error {
        DocError::Yaml { line: Some(l), .. } => *l as usize,
        DocError::Json { line, .. } => *line,
        DocError::ListItemsNotArray { index } => return *index,
        _ => return 1,
    };
    let lines: Vec<&str> = text.lines().collect();
    let first_is_separator = lines
        .iter()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("---"));
    let separators = lines
        .iter()
        .take(line.saturating_sub(1))
        .filter(|l| l.starts_with("---"))
        .count();
    if first_is_separator {
        separators.max(1)
    } else {
        separators + 1
    }
}
