//! `sealsync diff --path DIR`: what applying the folder would change in the cluster of the
//! kubeconfig, object by object, from server-side dry runs. Secret values are never shown: a
//! changed value reads `*** (changed)`. Exit 0 with no difference, 1 with one, 2 on error, as
//! `flux diff` does.

use std::path::Path;

use kube::Client;
use sealsync_core::api::meta::LAST_APPLIED_ANNOTATIONS;
use serde_json::Value;
use similar::TextDiff;

use super::apply::{ApplyError, Change, Engine, Planned, stages};
use super::build::{BuildError, render_dir};
use super::render::{ObjectKey, Rendered};

/// Why a diff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The folder did not render.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// No client.
    #[error("cannot configure a Kubernetes client")]
    Client(#[source] kube::Error),
    /// An object could not be planned.
    #[error(transparent)]
    Plan(#[from] ApplyError),
}

impl DiffError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            DiffError::Build(e) => e.hint(),
            DiffError::Client(_) => "set KUBECONFIG to the cluster to compare with",
            DiffError::Plan(e) => e.hint(),
        }
    }
}

/// The diff text, and whether anything would change.
pub struct Diff {
    /// One section per object that would change.
    pub text: String,
    /// Whether any object would change.
    pub changed: bool,
}

/// Diffs `dir` against the cluster of the kubeconfig.
pub async fn diff(dir: &Path) -> Result<Diff, DiffError> {
    let objects = render_dir(dir)?;
    let client = Client::try_default().await.map_err(DiffError::Client)?;
    let namespace = client.default_namespace().to_owned();
    let engine = Engine::new(client, namespace, None);
    let created_namespaces: Vec<String> = objects
        .iter()
        .filter(|o| o.key.group.is_empty() && o.key.kind == "Namespace")
        .map(|o| o.key.name.clone())
        .collect();
    let defined = stages::defined_kinds(&objects);
    let mut text = String::new();
    let mut changed = false;
    for (_, stage) in stages::plan(objects) {
        for object in &stage {
            let planned = match engine.plan(object).await {
                Err(e) => match made_first(&e, object, &created_namespaces, &defined) {
                    Some(key) => Planned {
                        key,
                        change: Change::Create,
                        live: None,
                        desired: object.value.clone(),
                    },
                    None => return Err(e.into()),
                },
                Ok(planned) => planned,
            };
            if planned.change != Change::Unchanged {
                changed = true;
                text.push_str(&section(&planned));
            }
        }
    }
    Ok(Diff { text, changed })
}

/// When `error` only says that the folder itself creates what `object` needs first (its
/// Namespace, or the CRD of its kind), the object's key: the server cannot dry-run it before
/// that exists, so it shows as created whole.
fn made_first(
    error: &ApplyError,
    object: &Rendered,
    namespaces: &[String],
    kinds: &[(String, String)],
) -> Option<ObjectKey> {
    match error {
        ApplyError::NoNamespace { key, namespace } if namespaces.contains(namespace) => {
            Some(key.clone())
        }
        ApplyError::UnknownKind { key, .. }
            if kinds.contains(&(object.key.group.clone(), object.key.kind.clone())) =>
        {
            Some(key.clone())
        }
        _ => None,
    }
}

fn section(planned: &Planned) -> String {
    let is_secret = planned.key.group.is_empty() && planned.key.kind == "Secret";
    let desired = super::apply::compare::normalize(&planned.desired);
    let live = planned.live.as_ref().map(super::apply::compare::normalize);
    let (live, desired) = if is_secret {
        redact(live, desired)
    } else {
        (live, desired)
    };
    let verb = match planned.change {
        Change::Create => "created",
        Change::Update => "drifted",
        Change::Unchanged => "unchanged",
    };
    let old = live.as_ref().map(yaml).unwrap_or_default();
    let new = yaml(&desired);
    let body = TextDiff::from_lines(&old, &new)
        .unified_diff()
        .header("live", "desired")
        .to_string();
    format!("► {} {verb}\n{body}", planned.key)
}

fn yaml(value: &Value) -> String {
    sealsync_core::api::docs::render(value, sealsync_core::api::Format::Yaml).unwrap_or_default()
}

/// Secret values replaced by `***`, and `*** (changed)` where the desired one differs; the
/// last-applied annotations kubectl and kubecfg leave (a full copy of the object, values
/// included) are replaced too.
fn redact(live: Option<Value>, mut desired: Value) -> (Option<Value>, Value) {
    let mut live = live;
    for object in live.iter_mut().chain(std::iter::once(&mut desired)) {
        if let Some(annotations) = object["metadata"]["annotations"].as_object_mut() {
            for name in LAST_APPLIED_ANNOTATIONS {
                if let Some(v) = annotations.get_mut(name) {
                    *v = Value::String("***".into());
                }
            }
        }
    }
    for field in ["data", "stringData"] {
        let before = live
            .as_ref()
            .and_then(|l| l[field].as_object().cloned())
            .unwrap_or_default();
        if let Some(map) = desired.get_mut(field).and_then(Value::as_object_mut) {
            for (k, v) in map.iter_mut() {
                let same = before.get(k) == Some(v);
                *v = Value::String(if same {
                    "***".into()
                } else {
                    "*** (changed)".into()
                });
            }
        }
        if let Some(map) = live
            .as_mut()
            .and_then(|l| l.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            map.values_mut()
                .for_each(|v| *v = Value::String("***".into()));
        }
    }
    (live, desired)
}
