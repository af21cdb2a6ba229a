//! kustomize, natively, for the fields a config repository's CI edits: `resources` (files and
//! folders with their own kustomization, recursively), `namespace`, `images`, `labels`,
//! `commonLabels` and `commonAnnotations`. Anything else is an error that names the field, so a
//! kustomization is never half-built. `kubectl kustomize` is the oracle the tests compare with.
//!
//! - [`fields`]: where labels and annotations go in each kind (kustomize's field specs).
//! - [`images`]: the `images` transformer.

pub mod fields;
pub mod images;

use std::path::{Path, PathBuf};

use sealsync_core::api::docs::parse_documents;
use serde_json::{Map, Value};

use super::{RenderError, Rendered, files, relative};

/// The names kustomize looks for, in its order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
/// The fields sealsync builds.
const SUPPORTED: [&str; 8] = [
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "images",
    "labels",
    "commonLabels",
    "commonAnnotations",
];

/// The kustomization file of `dir`, if it has one.
pub fn file_in(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// Builds the kustomization in `dir`.
pub fn build(root: &Path, dir: &Path) -> Result<Vec<Rendered>, RenderError> {
    let Some(path) = file_in(dir) else {
        return Err(RenderError::Kustomization {
            file: relative(root, dir),
            detail: "the folder has no kustomization.yaml".into(),
        });
    };
    let file = relative(root, &path);
    let spec = read(&path, &file)?;
    let mut objects = Vec::new();
    for resource in string_list(&spec, "resources", &file)? {
        objects.extend(resource_objects(root, dir, &resource, &file)?);
    }
    transform(&spec, &file, &mut objects)?;
    Ok(objects)
}

fn read(path: &Path, file: &str) -> Result<Map<String, Value>, RenderError> {
    let text = std::fs::read_to_string(path).map_err(|source| RenderError::Read {
        path: file.to_owned(),
        source,
    })?;
    let bad = |detail: String| RenderError::Kustomization {
        file: file.to_owned(),
        detail,
    };
    let docs = parse_documents(&text).map_err(|e| bad(e.to_string()))?;
    let spec = match docs.into_iter().next().map(|d| d.value) {
        Some(Value::Object(map)) => map,
        None => Map::new(),
        Some(_) => return Err(bad("not a mapping".into())),
    };
    if let Some(field) = spec.keys().find(|k| !SUPPORTED.contains(&k.as_str())) {
        return Err(RenderError::Unsupported {
            file: file.to_owned(),
            what: format!("the kustomization field `{field}`"),
        });
    }
    Ok(spec)
}

fn string_list(
    spec: &Map<String, Value>,
    field: &str,
    file: &str,
) -> Result<Vec<String>, RenderError> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| RenderError::Kustomization {
                        file: file.to_owned(),
                        detail: format!("`{field}` entries must be strings"),
                    })
            })
            .collect(),
        Some(_) => Err(RenderError::Kustomization {
            file: file.to_owned(),
            detail: format!("`{field}` must be a list"),
        }),
    }
}

fn resource_objects(
    root: &Path,
    dir: &Path,
    resource: &str,
    file: &str,
) -> Result<Vec<Rendered>, RenderError> {
    if resource.contains("://") || resource.starts_with("github.com/") || resource.contains("?ref=")
    {
        return Err(RenderError::Unsupported {
            file: file.to_owned(),
            what: format!("the remote resource `{resource}`"),
        });
    }
    let path = dir.join(resource);
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    match path.canonicalize() {
        Ok(p) if !p.starts_with(&canonical_root) => Err(RenderError::Kustomization {
            file: file.to_owned(),
            detail: format!("resource `{resource}` is outside the repository"),
        }),
        Ok(p) if p.is_dir() => build(root, &path),
        Ok(_) => files::read_file(root, &path),
        Err(_) => Err(RenderError::Kustomization {
            file: file.to_owned(),
            detail: format!("resource `{resource}` does not exist"),
        }),
    }
}

/// The transformers, in kustomize's order: namespace, labels, annotations, images.
fn transform(
    spec: &Map<String, Value>,
    file: &str,
    objects: &mut [Rendered],
) -> Result<(), RenderError> {
    let bad = |detail: &str| RenderError::Kustomization {
        file: file.to_owned(),
        detail: detail.to_owned(),
    };
    if let Some(ns) = spec.get("namespace").filter(|v| !v.is_null()) {
        let ns = ns
            .as_str()
            .ok_or_else(|| bad("`namespace` must be a string"))?;
        let service_accounts = objects
            .iter()
            .filter(|o| o.key.kind == "ServiceAccount" && o.key.group.is_empty())
            .map(|o| o.key.name.clone())
            .collect();
        for o in objects.iter_mut() {
            fields::set_namespace(&mut o.value, ns, &service_accounts);
            o.key.namespace = fields::namespace_of(&o.value);
        }
    }
    if let Some(labels) = spec.get("commonLabels").filter(|v| !v.is_null()) {
        let pairs =
            string_map(labels).ok_or_else(|| bad("`commonLabels` must map strings to strings"))?;
        objects
            .iter_mut()
            .for_each(|o| fields::add_labels(&mut o.value, &pairs, fields::LabelReach::Selectors));
    }
    for entry in spec
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pairs = string_map(&entry["pairs"])
            .ok_or_else(|| bad("`labels[].pairs` must map strings to strings"))?;
        let reach = match (
            entry["includeSelectors"].as_bool(),
            entry["includeTemplates"].as_bool(),
        ) {
            (Some(true), _) => fields::LabelReach::Selectors,
            (_, Some(true)) => fields::LabelReach::Templates,
            _ => fields::LabelReach::Metadata,
        };
        objects
            .iter_mut()
            .for_each(|o| fields::add_labels(&mut o.value, &pairs, reach));
    }
    if let Some(annotations) = spec.get("commonAnnotations").filter(|v| !v.is_null()) {
        let pairs = string_map(annotations)
            .ok_or_else(|| bad("`commonAnnotations` must map strings to strings"))?;
        objects
            .iter_mut()
            .for_each(|o| fields::add_annotations(&mut o.value, &pairs));
    }
    if let Some(list) = spec.get("images").filter(|v| !v.is_null()) {
        let rules = images::rules(list).map_err(|e| bad(&e))?;
        objects
            .iter_mut()
            .for_each(|o| images::apply(&mut o.value, &rules));
    }
    Ok(())
}

/// A map of strings; numbers and booleans are written as kustomize writes them.
fn string_map(value: &Value) -> Option<Vec<(String, String)>> {
    let map = value.as_object()?;
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.clone(), v))
        })
        .collect()
}
