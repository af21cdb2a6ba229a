//! The apply engine: one code path for the Git reconciler and for `sealsync diff`.
//!
//! - [`stages`]: definitions, then SealedSecrets, then the rest, in a stable kind order.
//! - [`compare`]: what counts as a change.
//!
//! Every object is first applied server-side as a dry run (field manager `sealsync`, forced),
//! and compared with the live object; only objects that differ are written. Objects carry the
//! label `sealsync.io/owned-by: <namespace>.<name>` of the GitSync that applies them.

pub mod compare;
pub mod stages;

use std::collections::HashMap;
use std::sync::Mutex;

use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{Scope, pinned_kind};
use serde_json::{Value, json};

use super::render::{ObjectKey, Rendered};

/// The field manager of everything sealsync applies.
pub const FIELD_MANAGER: &str = "sealsync";
/// The label that marks an object as applied by a GitSync: `<namespace>.<name>`.
pub const OWNER_LABEL: &str = "sealsync.io/owned-by";

/// Why an object could not be planned or applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The cluster serves no such kind.
    #[error(
        "{key}: the cluster has no kind {api_version}/{kind}; install its CRD first (or add it to the repository)"
    )]
    UnknownKind {
        /// The object.
        key: ObjectKey,
        /// Its apiVersion.
        api_version: String,
        /// Its kind.
        kind: String,
    },
    /// The API refused fields of the object (a 422 with causes): with `force` it is recreated.
    #[error("{key}: the API server refuses the change ({reason}) to {}", fields.join(", "))]
    Refused {
        /// The object.
        key: ObjectKey,
        /// The status reason (e.g. `Invalid`).
        reason: String,
        /// The fields named by the causes.
        fields: Vec<String>,
    },
    /// The object's namespace does not exist, and the revision does not create it.
    #[error("{key}: namespace {namespace} does not exist")]
    NoNamespace {
        /// The object.
        key: ObjectKey,
        /// The namespace.
        namespace: String,
    },
    /// Any other API error.
    #[error("{key}: {what} failed: {detail}")]
    Api {
        /// The object.
        key: ObjectKey,
        /// The step.
        what: &'static str,
        /// The API server's answer (its status message and reason), or the transport error.
        detail: String,
        /// The HTTP status, if the server answered.
        code: Option<u16>,
    },
}

impl ApplyError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ApplyError::UnknownKind { .. } => "install the CRD, or check the apiVersion and kind",
            ApplyError::Refused { .. } => {
                "the cluster would refuse this change; an immutable field needs the object recreated (GitSync `force: true`)"
            }
            ApplyError::NoNamespace { .. } => "create the namespace, or add it to the folder",
            ApplyError::Api { .. } => {
                "check that the cluster is reachable and that you may read and dry-run these objects"
            }
        }
    }
}

/// What applying an object would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists and differs.
    Update,
    /// It exists and is the same.
    Unchanged,
}

/// One object's plan: the live object (if any) and the server's dry-run of the desired one.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The object.
    pub key: ObjectKey,
    /// What applying would do.
    pub change: Change,
    /// The live object.
    pub live: Option<Value>,
    /// The dry-run result.
    pub desired: Value,
}

/// The cluster side of the engine: a client, a discovery cache and the defaults.
pub struct Engine {
    client: Client,
    default_namespace: String,
    owner: Option<String>,
    kinds: Mutex<HashMap<(String, String), (ApiResource, bool)>>,
}

impl Engine {
    /// An engine that puts namespaced objects without a namespace into `default_namespace`
    /// and, with `owner`, labels what it applies `sealsync.io/owned-by: <owner>`.
    pub fn new(client: Client, default_namespace: String, owner: Option<String>) -> Engine {
        Engine {
            client,
            default_namespace,
            owner,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// The client it applies with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Plans one object with a server-side dry run. Without an owner (`sealsync diff`), an owner
    /// label the live object carries is kept, so the plan shows content, not ownership.
    pub async fn plan(&self, object: &Rendered) -> Result<Planned, ApplyError> {
        self.plan_with(object, true).await
    }

    /// Plans one object for an apply: as [`Engine::plan`], but an object that does not exist yet
    /// is not dry-run (the apply that follows is the check).
    pub async fn plan_quick(&self, object: &Rendered) -> Result<Planned, ApplyError> {
        self.plan_with(object, false).await
    }

    async fn plan_with(
        &self,
        object: &Rendered,
        dry_run_creates: bool,
    ) -> Result<Planned, ApplyError> {
        let (api, mut value, key) = self.prepare(object).await?;
        let name = key.name.clone();
        let live = api
            .get_opt(&name)
            .await
            .map_err(|e| api_error(&key, "reading the live object", e))?;
        let live = live.map(|o| serde_json::to_value(o).unwrap_or(Value::Null));
        if self.owner.is_none()
            && let Some(owner) = live
                .as_ref()
                .and_then(|l| l["metadata"]["labels"][OWNER_LABEL].as_str())
        {
            value["metadata"]["labels"][OWNER_LABEL] = json!(owner);
        }
        if live.is_none() && !dry_run_creates {
            return Ok(Planned {
                key,
                change: Change::Create,
                live,
                desired: value,
            });
        }
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        let dry = api
            .patch(&name, &params, &Patch::Apply(&value))
            .await
            .map_err(|e| refused(&key, e, "the dry run"))?;
        let desired = serde_json::to_value(dry).unwrap_or(Value::Null);
        let change = match &live {
            None => Change::Create,
            Some(l) if compare::differs(l, &desired) => Change::Update,
            Some(_) => Change::Unchanged,
        };
        Ok(Planned {
            key,
            change,
            live,
            desired,
        })
    }

    /// Applies one object (server-side, forced, as `sealsync`).
    pub async fn apply(&self, object: &Rendered) -> Result<Value, ApplyError> {
        let (api, value, key) = self.prepare(object).await?;
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let applied = api
            .patch(&key.name, &params, &Patch::Apply(&value))
            .await
            .map_err(|e| refused(&key, e, "applying"))?;
        Ok(serde_json::to_value(applied).unwrap_or(Value::Null))
    }

    /// The object's key as applied: a namespaced object without a namespace gets the default.
    pub async fn key_of(&self, object: &Rendered) -> Result<ObjectKey, ApplyError> {
        let (_, namespaced) = self.resolve(object).await?;
        Ok(self.defaulted(&object.key, namespaced))
    }

    /// The object's kind as the cluster serves it, and its key as applied.
    pub async fn resource_of(
        &self,
        object: &Rendered,
    ) -> Result<(ApiResource, ObjectKey), ApplyError> {
        let (ar, namespaced) = self.resolve(object).await?;
        let key = self.defaulted(&object.key, namespaced);
        Ok((ar, key))
    }

    fn defaulted(&self, key: &ObjectKey, namespaced: bool) -> ObjectKey {
        let mut key = key.clone();
        if namespaced && key.namespace.is_none() {
            key.namespace = Some(self.default_namespace.clone());
        }
        key
    }

    /// The object's Api, its body (namespace defaulted, owner label set) and its final key.
    async fn prepare(
        &self,
        object: &Rendered,
    ) -> Result<(Api<DynamicObject>, Value, ObjectKey), ApplyError> {
        let (ar, namespaced) = self.resolve(object).await?;
        let mut value = object.value.clone();
        let key = self.defaulted(&object.key, namespaced);
        if let Some(ns) = key.namespace.as_ref().filter(|_| namespaced) {
            value["metadata"]["namespace"] = json!(ns);
        }
        if let Some(owner) = &self.owner {
            value["metadata"]["labels"][OWNER_LABEL] = json!(owner);
        }
        let api = match (&key.namespace, namespaced) {
            (Some(ns), true) => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        };
        Ok((api, value, key))
    }

    async fn resolve(&self, object: &Rendered) -> Result<(ApiResource, bool), ApplyError> {
        let api_version = object.value["apiVersion"].as_str().unwrap_or_default();
        self.resolve_kind(api_version, &object.key).await
    }

    /// The Api of an object known by apiVersion and key (an inventory entry), and whether the
    /// kind is namespaced.
    pub async fn api_for(
        &self,
        api_version: &str,
        key: &ObjectKey,
    ) -> Result<Api<DynamicObject>, ApplyError> {
        let (ar, namespaced) = self.resolve_kind(api_version, key).await?;
        Ok(match (&key.namespace, namespaced) {
            (Some(ns), true) => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        })
    }

    async fn resolve_kind(
        &self,
        api_version: &str,
        key: &ObjectKey,
    ) -> Result<(ApiResource, bool), ApplyError> {
        let kind = key.kind.clone();
        let cache_key = (api_version.to_owned(), kind.clone());
        if let Some(hit) = self
            .kinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&cache_key)
        {
            return Ok(hit.clone());
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, &kind);
        let unknown = || ApplyError::UnknownKind {
            key: key.clone(),
            api_version: api_version.to_owned(),
            kind: kind.clone(),
        };
        let (ar, caps) = match pinned_kind(&self.client, &gvk).await {
            Ok(found) => found,
            Err(kube::Error::Api(s)) if s.code == 404 => return Err(unknown()),
            Err(kube::Error::Discovery(_)) => return Err(unknown()),
            Err(e) => return Err(api_error(key, "discovery", e)),
        };
        let resolved = (ar, caps.scope == Scope::Namespaced);
        self.kinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(cache_key, resolved.clone());
        Ok(resolved)
    }

    /// Forgets the kinds seen, after a CRD was applied.
    pub fn forget_kinds(&self) {
        self.kinds.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A 422 with causes is a refusal of named fields; anything else is an API error.
fn refused(key: &ObjectKey, error: kube::Error, what: &'static str) -> ApplyError {
    match error {
        kube::Error::Api(status) if status.code == 422 => {
            let fields: Vec<String> = status
                .details
                .as_ref()
                .map(|d| {
                    d.causes
                        .iter()
                        .filter(|c| !c.field.is_empty())
                        .map(|c| c.field.clone())
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                api_error(key, what, kube::Error::Api(status))
            } else {
                ApplyError::Refused {
                    key: key.clone(),
                    reason: status.reason.clone(),
                    fields,
                }
            }
        }
        kube::Error::Api(status)
            if status.code == 404
                && status
                    .details
                    .as_ref()
                    .is_some_and(|d| d.kind == "namespaces") =>
        {
            ApplyError::NoNamespace {
                key: key.clone(),
                namespace: status.details.map(|d| d.name).unwrap_or_default(),
            }
        }
        other => api_error(key, what, other),
    }
}

/// An API error in one line: the server's message and reason, never a debug dump.
fn api_error(key: &ObjectKey, what: &'static str, error: kube::Error) -> ApplyError {
    let (detail, code) = match error {
        kube::Error::Api(status) => (
            format!("{} ({})", status.message, status.reason),
            Some(status.code),
        ),
        other => (other.to_string(), None),
    };
    ApplyError::Api {
        key: key.clone(),
        what,
        detail,
        code,
    }
}
