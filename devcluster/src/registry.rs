//! The resource registry: which resources are served, under which group/version, with which kind,
//! names, scope and subresources. Built-ins are one table entry each; CRDs register and unregister
//! dynamically.

use crate::kinds::{Generation, Strategy};
use crate::meta::NameRule;
use crate::verb::Verb;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Identifies stored objects of one resource, independent of the version they are read through.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub group: String,
    pub plural: String,
}

/// One served resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub group: String,
    /// Served versions, the preferred (storage) version first.
    pub versions: Vec<String>,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub status_subresource: bool,
    /// The `scale` subresource, when served.
    pub scale: Option<ScalePaths>,
    pub name_rule: NameRule,
    /// A CRD version's `additionalPrinterColumns`, per version.
    pub printer_columns: BTreeMap<String, Value>,
    /// A CRD version's `schema.openAPIV3Schema`, per version.
    pub schemas: BTreeMap<String, Value>,
    /// The built-in kind's strategy; `None` for CRD-defined resources.
    pub strategy: Option<&'static Strategy>,
    /// The verbs served (and listed in discovery).
    pub verbs: &'static [Verb],
    /// A review (`SelfSubjectAccessReview` and kin): create-only, answered at once, never stored.
    pub review: bool,
    /// Listed in discovery and OpenAPI: built-ins always, a CRD's resource once its
    /// `Established` condition is True (it is served as soon as its names are accepted).
    pub established: bool,
}

impl ResourceType {
    pub fn key(&self) -> ResourceKey {
        ResourceKey {
            group: self.group.clone(),
            plural: self.plural.clone(),
        }
    }

    pub fn group_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    pub fn is_crd(&self) -> bool {
        self.group == "apiextensions.k8s.io" && self.plural == "customresourcedefinitions"
    }

    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.plural == "namespaces"
    }

    /// Whether a DELETE that removes the object answers with it rather than a Status: custom
    /// resources, and the built-ins whose kube-apiserver storage sets `ReturnDeletedObject`
    /// (Services, ServiceAccounts) or answers with the object itself (Namespaces, CRDs): the
    /// strategy says.
    pub fn returns_deleted_object(&self) -> bool {
        self.strategy.is_none_or(|s| s.returns_deleted_object)
    }

    /// True for built-ins, false for CRD-defined resources.
    pub fn is_builtin(&self) -> bool {
        self.strategy.is_some()
    }

    /// Whether a PUT without `metadata.resourceVersion` is accepted: never for custom
    /// resources, as their strategy says for built-ins.
    pub fn unconditional_update(&self) -> bool {
        self.strategy.is_some_and(|s| s.unconditional_update)
    }

    /// Whether objects carry `metadata.generation`, and what bumps it: the strategy's;
    /// custom resources have one, bumped by changes outside `metadata` and, with a status
    /// subresource, outside `status`.
    pub fn generation(&self) -> Generation {
        match self.strategy {
            Some(s) => s.generation,
            None if self.status_subresource => Generation::Spec,
            None => Generation::AllButMetadata,
        }
    }
}

/// Where the `scale` subresource reads and writes (JSON paths such as `.spec.replicas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub selector: ScaleSelector,
}

/// Where a Scale's `status.selector` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleSelector {
    /// A `metav1.LabelSelector` object (built-ins: `.spec.selector`), printed as a string.
    LabelSelectorAt(String),
    /// A string field (a CRD's `labelSelectorPath`).
    StringAt(String),
    None,
}

impl ScalePaths {
    fn replicas_of_spec() -> Self {
        ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            selector: ScaleSelector::LabelSelectorAt(".spec.selector".into()),
        }
    }
}

/// True for the key under which CRD objects are stored.
pub fn is_crd_key(key: &ResourceKey) -> bool {
    key.group == "apiextensions.k8s.io" && key.plural == "customresourcedefinitions"
}

/// Why a CRD could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("spec.{field}: Required value")]
    MissingField { field: &'static str },
    #[error("spec.names.plural: Invalid value: {plural:?}: {reason}")]
    NameTaken {
        plural: String,
        reason: &'static str,
    },
    #[error("metadata.name: Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group")]
    BadName { name: String },
}

/// All served resources.
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<ResourceKey, Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::with_builtins()
    }
}

impl Registry {
    pub fn with_builtins() -> Self {
        let types = crate::kinds::ALL
            .iter()
            .map(|&s| {
                let rt = ResourceType {
                    group: s.group.into(),
                    versions: vec![s.version.into()],
                    kind: s.kind.into(),
                    list_kind: format!("{}List", s.kind),
                    plural: s.plural.into(),
                    singular: s.kind.to_lowercase(),
                    short_names: s.short_names.iter().map(|n| n.to_string()).collect(),
                    categories: s.categories.iter().map(|c| c.to_string()).collect(),
                    namespaced: s.namespaced,
                    status_subresource: s.status,
                    scale: s.scale.then(ScalePaths::replicas_of_spec),
                    name_rule: s.name_rule,
                    printer_columns: BTreeMap::new(),
                    schemas: BTreeMap::new(),
                    strategy: Some(s),
                    verbs: s.verbs,
                    review: s.review,
                    established: true,
                };
                (rt.key(), Arc::new(rt))
            })
            .collect();
        Registry { types }
    }

    pub fn get(&self, key: &ResourceKey) -> Option<&Arc<ResourceType>> {
        self.types.get(key)
    }

    /// The resource of kind `kind` in `group`, in any served version.
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&Arc<ResourceType>> {
        self.types
            .values()
            .find(|rt| rt.group == group && rt.kind == kind)
    }

    /// The resource served at `group/version` under `plural`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        let key = ResourceKey {
            group: group.into(),
            plural: plural.into(),
        };
        self.types
            .get(&key)
            .filter(|rt| rt.versions.iter().any(|v| v == version))
            .cloned()
    }

    /// Groups in discovery order (core first, then by name) with their served versions.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rt in self.types.values().filter(|rt| rt.established) {
            let versions = groups.entry(rt.group.clone()).or_default();
            for v in &rt.versions {
                if !versions.contains(v) {
                    versions.push(v.clone());
                }
            }
        }
        groups.into_iter().collect()
    }

    /// The established resources served in one group/version (what discovery lists).
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.types
            .values()
            .filter(|rt| rt.established)
            .filter(|rt| rt.group == group && rt.versions.iter().any(|v| v == version))
            .cloned()
            .collect()
    }

    /// Registers (or re-registers) the resource a CRD defines. Returns its key.
    pub fn register_crd(&mut self, crd: &Value) -> Result<ResourceKey, RegistryError> {
        let rt = crd_resource(crd)?;
        let key = rt.key();
        if let Some(existing) = self.types.get(&key)
            && existing.is_builtin()
        {
            return Err(RegistryError::NameTaken {
                plural: rt.plural,
                reason: "is already served by a built-in resource",
            });
        }
        self.types.insert(key.clone(), Arc::new(rt));
        Ok(key)
    }

    /// Checks a CRD without registering it.
    pub fn check_crd(&self, crd: &Value) -> Result<ResourceType, RegistryError> {
        let rt = crd_resource(crd)?;
        if self.types.get(&rt.key()).is_some_and(|e| e.is_builtin()) {
            return Err(RegistryError::NameTaken {
                plural: rt.plural,
                reason: "is already served by a built-in resource",
            });
        }
        Ok(rt)
    }

    pub fn unregister(&mut self, key: &ResourceKey) {
        if self.types.get(key).is_some_and(|rt| !rt.is_builtin()) {
            self.types.remove(key);
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, p| v.get(p))?.as_str()
}

fn strings_at(v: &Value, path: &[&str]) -> Vec<String> {
    path.iter()
        .try_fold(v, |v, p| v.get(p))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the CRD object's status has condition `type_` True.
pub fn crd_condition_true(crd: &Value, type_: &str) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some(type_)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// What a CRD's served versions declare.
#[derive(Default)]
struct CrdVersions {
    /// Served versions, the storage version first.
    versions: Vec<String>,
    printer_columns: BTreeMap<String, Value>,
    schemas: BTreeMap<String, Value>,
    status_subresource: bool,
    scale: Option<ScalePaths>,
}

fn crd_versions(spec: &Value) -> CrdVersions {
    let mut out = CrdVersions::default();
    let served = spec
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true));
    for v in served {
        let Some(vname) = v.get("name").and_then(Value::as_str) else {
            continue;
        };
        if v.get("storage").and_then(Value::as_bool).unwrap_or(false) {
            out.versions.insert(0, vname.to_string());
        } else {
            out.versions.push(vname.to_string());
        }
        out.status_subresource |= v.pointer("/subresources/status").is_some();
        if let Some(sc) = v.pointer("/subresources/scale") {
            let path = |k: &str| sc.get(k).and_then(Value::as_str).map(str::to_string);
            out.scale = Some(ScalePaths {
                spec_replicas: path("specReplicasPath").unwrap_or_else(|| ".spec.replicas".into()),
                status_replicas: path("statusReplicasPath")
                    .unwrap_or_else(|| ".status.replicas".into()),
                selector: path("labelSelectorPath")
                    .map_or(ScaleSelector::None, ScaleSelector::StringAt),
            });
        }
        if let Some(schema) = v.pointer("/schema/openAPIV3Schema") {
            out.schemas.insert(vname.to_string(), schema.clone());
        }
        if let Some(cols) = v.get("additionalPrinterColumns") {
            out.printer_columns.insert(vname.to_string(), cols.clone());
        }
    }
    out
}

/// The resource a CRD object defines.
fn crd_resource(crd: &Value) -> Result<ResourceType, RegistryError> {
    let spec = crd
        .get("spec")
        .ok_or(RegistryError::MissingField { field: "group" })?;
    let group = str_at(spec, &["group"]).ok_or(RegistryError::MissingField { field: "group" })?;
    let plural = str_at(spec, &["names", "plural"]).ok_or(RegistryError::MissingField {
        field: "names.plural",
    })?;
    let kind = str_at(spec, &["names", "kind"]).ok_or(RegistryError::MissingField {
        field: "names.kind",
    })?;
    let name = crate::meta::name(crd);
    if name != format!("{plural}.{group}") {
        return Err(RegistryError::BadName {
            name: name.to_string(),
        });
    }
    let CrdVersions {
        versions,
        printer_columns,
        schemas,
        status_subresource,
        scale,
    } = crd_versions(spec);
    if versions.is_empty() {
        return Err(RegistryError::MissingField { field: "versions" });
    }
    Ok(ResourceType {
        group: group.into(),
        versions,
        kind: kind.into(),
        list_kind: str_at(spec, &["names", "listKind"])
            .map(str::to_string)
            .unwrap_or_else(|| format!("{kind}List")),
        plural: plural.into(),
        singular: str_at(spec, &["names", "singular"])
            .map(str::to_string)
            .unwrap_or_else(|| kind.to_lowercase()),
        short_names: strings_at(spec, &["names", "shortNames"]),
        categories: strings_at(spec, &["names", "categories"]),
        namespaced: str_at(spec, &["scope"]) != Some("Cluster"),
        status_subresource,
        scale,
        name_rule: NameRule::Subdomain,
        printer_columns,
        schemas,
        strategy: None,
        verbs: crate::verb::ALL,
        review: false,
        established: crd_condition_true(crd, "Established"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd() -> Value {
        json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
            "metadata":{"name":"widgets.example.com"},
            "spec":{"group":"example.com","scope":"Namespaced",
                "names":{"plural":"widgets","kind":"Widget","shortNames":["wd"]},
                "versions":[{"name":"v1beta1","served":true,"storage":false},
                            {"name":"v1","served":true,"storage":true,"subresources":{"status":{}}}]}})
    }

    #[test]
    fn builtins_are_served() {
        let r = Registry::with_builtins();
        let cm = r
            .lookup("", "v1", "configmaps")
            .expect("configmaps is a built-in");
        assert_eq!(cm.short_names, vec!["cm"]);
        assert!(
            r.lookup("apps", "v1", "deployments")
                .is_some_and(|d| d.status_subresource)
        );
        assert!(r.lookup("apps", "v2", "deployments").is_none());
    }

    #[test]
    fn crd_registers_and_unregisters() {
        let mut r = Registry::with_builtins();
        let key = r.register_crd(&crd()).expect("valid CRD");
        let w = r
            .lookup("example.com", "v1", "widgets")
            .expect("registered");
        assert_eq!(w.versions, vec!["v1", "v1beta1"]);
        assert!(w.status_subresource && w.namespaced);
        assert_eq!(w.list_kind, "WidgetList");
        r.unregister(&key);
        assert!(r.lookup("example.com", "v1", "widgets").is_none());
    }

    #[test]
    fn crd_name_must_match() {
        let mut c = crd();
        c["metadata"]["name"] = json!("other");
        assert!(matches!(
            Registry::with_builtins().register_crd(&c),
            Err(RegistryError::BadName { .. })
        ));
    }
}
