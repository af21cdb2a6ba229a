//! Where kustomize writes a namespace, labels and annotations in each kind: its built-in field
//! specs (`namespace`, `commonlabels`, `templatelabels`, `commonannotations`), as tables.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Kinds kustomize knows to be cluster-scoped: the namespace transformer leaves them alone.
/// Unknown kinds (custom resources) count as namespaced, as in kustomize.
const CLUSTER_SCOPED: [&str; 22] = [
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
];

/// One place a transformer writes: for objects of `kind` (any kind if `None`), the map at
/// `path`; `create` says whether a missing map is made. A segment ending in `[]` walks a list.
struct FieldSpec {
    kind: Option<&'static str>,
    path: &'static [&'static str],
    create: bool,
}

const fn spec(kind: &'static str, path: &'static [&'static str], create: bool) -> FieldSpec {
    FieldSpec {
        kind: Some(kind),
        path,
        create,
    }
}

const TEMPLATE_LABELS: &[&str] = &["spec", "template", "metadata", "labels"];
const MATCH_LABELS: &[&str] = &["spec", "selector", "matchLabels"];

/// Labels in selectors and pod templates, besides `metadata.labels` (commonLabels, and
/// `labels` with `includeSelectors`).
const SELECTOR_LABELS: &[FieldSpec] = &[
    spec("Service", &["spec", "selector"], true),
    spec("ReplicationController", &["spec", "selector"], true),
    spec("ReplicationController", TEMPLATE_LABELS, true),
    spec("Deployment", MATCH_LABELS, true),
    spec("Deployment", TEMPLATE_LABELS, true),
    spec("ReplicaSet", MATCH_LABELS, true),
    spec("ReplicaSet", TEMPLATE_LABELS, true),
    spec("DaemonSet", MATCH_LABELS, true),
    spec("DaemonSet", TEMPLATE_LABELS, true),
    spec("StatefulSet", MATCH_LABELS, true),
    spec("StatefulSet", TEMPLATE_LABELS, true),
    spec(
        "StatefulSet",
        &["spec", "volumeClaimTemplates[]", "metadata", "labels"],
        true,
    ),
    spec("Job", MATCH_LABELS, false),
    spec("Job", TEMPLATE_LABELS, true),
    spec(
        "CronJob",
        &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
        false,
    ),
    spec(
        "CronJob",
        &["spec", "jobTemplate", "metadata", "labels"],
        true,
    ),
    spec(
        "CronJob",
        &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "labels",
        ],
        true,
    ),
    spec("PodDisruptionBudget", MATCH_LABELS, false),
    spec(
        "NetworkPolicy",
        &["spec", "podSelector", "matchLabels"],
        false,
    ),
    spec(
        "NetworkPolicy",
        &["spec", "ingress[]", "from[]", "podSelector", "matchLabels"],
        false,
    ),
    spec(
        "NetworkPolicy",
        &["spec", "egress[]", "to[]", "podSelector", "matchLabels"],
        false,
    ),
];

/// Annotations in pod templates, besides `metadata.annotations` (commonAnnotations).
const TEMPLATE_ANNOTATIONS: &[FieldSpec] = &[
    spec(
        "ReplicationController",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "Deployment",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "ReplicaSet",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "DaemonSet",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "StatefulSet",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "Job",
        &["spec", "template", "metadata", "annotations"],
        true,
    ),
    spec(
        "CronJob",
        &["spec", "jobTemplate", "metadata", "annotations"],
        true,
    ),
    spec(
        "CronJob",
        &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "annotations",
        ],
        true,
    ),
];

const METADATA_LABELS: FieldSpec = FieldSpec {
    kind: None,
    path: &["metadata", "labels"],
    create: true,
};
const METADATA_ANNOTATIONS: FieldSpec = FieldSpec {
    kind: None,
    path: &["metadata", "annotations"],
    create: true,
};

/// How far a label reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelReach {
    /// `metadata.labels` only (`labels` without options).
    Metadata,
    /// Also pod templates (`labels` with `includeTemplates`).
    Templates,
    /// Also selectors and templates (`commonLabels`, `labels` with `includeSelectors`).
    Selectors,
}

/// Whether kustomize treats this object as namespaced.
pub fn is_namespaced(object: &Value) -> bool {
    object["kind"]
        .as_str()
        .is_none_or(|k| !CLUSTER_SCOPED.contains(&k))
}

/// The object's namespace, if it has one.
pub fn namespace_of(object: &Value) -> Option<String> {
    object["metadata"]["namespace"].as_str().map(str::to_owned)
}

/// The namespace transformer: namespaced objects move to `namespace`; a ServiceAccount subject
/// of a (Cluster)RoleBinding follows when it names a ServiceAccount of this kustomization and
/// was in `default` or in none (other subjects are left alone, as kustomize leaves them).
pub fn set_namespace(object: &mut Value, namespace: &str, service_accounts: &BTreeSet<String>) {
    if is_namespaced(object)
        && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.insert("namespace".into(), json!(namespace));
    }
    if matches!(
        object["kind"].as_str(),
        Some("RoleBinding" | "ClusterRoleBinding")
    ) {
        for subject in object["subjects"].as_array_mut().into_iter().flatten() {
            let is_ours = subject["kind"].as_str() == Some("ServiceAccount")
                && subject["name"]
                    .as_str()
                    .is_some_and(|n| service_accounts.contains(n));
            let in_default = subject["namespace"]
                .as_str()
                .is_none_or(|ns| ns == "default");
            if is_ours && in_default {
                subject["namespace"] = json!(namespace);
            }
        }
    }
}

/// Adds labels where `reach` says.
pub fn add_labels(object: &mut Value, pairs: &[(String, String)], reach: LabelReach) {
    write(object, &METADATA_LABELS, pairs);
    // `includeTemplates` reaches the same places as the selector specs, minus the selectors.
    let reaches = |s: &&FieldSpec| match reach {
        LabelReach::Metadata => false,
        LabelReach::Templates => !is_selector(s),
        LabelReach::Selectors => true,
    };
    SELECTOR_LABELS
        .iter()
        .filter(reaches)
        .for_each(|s| write(object, s, pairs));
}

/// Whether a field spec writes into a label selector rather than a template's labels.
fn is_selector(spec: &FieldSpec) -> bool {
    spec.path
        .iter()
        .any(|segment| segment.to_ascii_lowercase().contains("selector"))
}

/// Adds annotations to the object and its pod templates.
pub fn add_annotations(object: &mut Value, pairs: &[(String, String)]) {
    write(object, &METADATA_ANNOTATIONS, pairs);
    TEMPLATE_ANNOTATIONS
        .iter()
        .for_each(|s| write(object, s, pairs));
}

fn write(object: &mut Value, spec: &FieldSpec, pairs: &[(String, String)]) {
    if spec
        .kind
        .is_some_and(|k| object["kind"].as_str() != Some(k))
    {
        return;
    }
    write_at(object, spec.path, spec.create, pairs);
}

fn write_at(node: &mut Value, path: &[&str], create: bool, pairs: &[(String, String)]) {
    let Some((first, rest)) = path.split_first() else {
        if let Some(map) = node.as_object_mut() {
            for (k, v) in pairs {
                map.insert(k.clone(), json!(v));
            }
        }
        return;
    };
    let Some(map) = node.as_object_mut() else {
        return;
    };
    if let Some(list) = first.strip_suffix("[]") {
        for item in map
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            write_at(item, rest, create, pairs);
        }
        return;
    }
    if !map.get(*first).is_some_and(|v| v.is_object()) {
        if !create {
            return;
        }
        map.insert((*first).to_owned(), Value::Object(Map::new()));
    }
    if let Some(next) = map.get_mut(*first) {
        write_at(next, rest, create, pairs);
    }
}
