//! An object's identity and where it came from.

use std::fmt;

use serde_json::Value;

use super::RenderError;

/// Where an object came from: a file relative to the rendered root, and its 1-based document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// The file.
    pub file: String,
    /// The document number (a List's items share their List's).
    pub index: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (document {})", self.file, self.index)
    }
}

/// What makes two objects the same object: group, kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The API group (empty for core).
    pub group: String,
    /// The kind.
    pub kind: String,
    /// The namespace, if the object names one.
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        };
        match &self.namespace {
            Some(ns) => write!(f, "{kind} {ns}/{}", self.name),
            None => write!(f, "{kind} {}", self.name),
        }
    }
}

impl ObjectKey {
    /// The identity of `value`, or the field it lacks.
    pub fn of(value: &Value, origin: &Origin) -> Result<ObjectKey, RenderError> {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let missing = |field| RenderError::MissingField {
            origin: origin.clone(),
            field,
        };
        let api_version = text(&value["apiVersion"]).ok_or_else(|| missing("apiVersion"))?;
        let kind = text(&value["kind"]).ok_or_else(|| missing("kind"))?;
        let name = text(&value["metadata"]["name"]).ok_or_else(|| missing("metadata.name"))?;
        let group = api_version
            .rsplit_once('/')
            .map(|(g, _)| g.to_owned())
            .unwrap_or_default();
        Ok(ObjectKey {
            group,
            kind,
            namespace: text(&value["metadata"]["namespace"]),
            name,
        })
    }
}
