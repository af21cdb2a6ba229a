//! The order objects are applied in: definitions first (CRDs, Namespaces), then SealedSecrets
//! (so their Secrets exist before anything mounts them), then everything else in a stable kind
//! order. Prune runs the stages backwards.

use crate::sync::render::Rendered;

/// A stage of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// CustomResourceDefinitions and Namespaces: waited on until Established / Active.
    Definitions,
    /// SealedSecrets of both groups: waited on until Ready.
    Secrets,
    /// Everything else.
    Workloads,
}

/// The kinds of the last stage in the order they are applied (kustomize's and Helm's order:
/// what others depend on first); kinds not listed come after, by name.
const KIND_ORDER: [&str; 28] = [
    "ResourceQuota",
    "LimitRange",
    "PriorityClass",
    "StorageClass",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "IngressClass",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Ingress",
    "APIService",
];

/// The stage of one object.
pub fn stage_of(object: &Rendered) -> Stage {
    let key = &object.key;
    match (key.group.as_str(), key.kind.as_str()) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") | ("", "Namespace") => {
            Stage::Definitions
        }
        ("sealsync.io" | "bitnami.com", "SealedSecret") => Stage::Secrets,
        _ => Stage::Workloads,
    }
}

/// The kinds the CRDs among `objects` define, as (group, kind): objects of these kinds may be
/// planned before the cluster serves them.
pub fn defined_kinds(objects: &[Rendered]) -> Vec<(String, String)> {
    objects
        .iter()
        .filter(|o| {
            o.key.group == "apiextensions.k8s.io" && o.key.kind == "CustomResourceDefinition"
        })
        .map(|o| {
            let spec = &o.value["spec"];
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (text(&spec["group"]), text(&spec["names"]["kind"]))
        })
        .collect()
}

/// The objects grouped by stage, each stage in a stable order.
pub fn plan(objects: Vec<Rendered>) -> Vec<(Stage, Vec<Rendered>)> {
    let mut stages: Vec<(Stage, Vec<Rendered>)> = Vec::new();
    let mut sorted = objects;
    sorted.sort_by(|a, b| {
        (stage_of(a), kind_rank(&a.key.kind), &a.key).cmp(&(
            stage_of(b),
            kind_rank(&b.key.kind),
            &b.key,
        ))
    });
    for object in sorted {
        let stage = stage_of(&object);
        match stages.last_mut() {
            Some((s, list)) if *s == stage => list.push(object),
            _ => stages.push((stage, vec![object])),
        }
    }
    stages
}

fn kind_rank(kind: &str) -> (usize, String) {
    let rank = KIND_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(KIND_ORDER.len());
    (rank, kind.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::render::{ObjectKey, Origin};

    fn object(group: &str, kind: &str, name: &str) -> Rendered {
        Rendered {
            key: ObjectKey {
                group: group.into(),
                kind: kind.into(),
                namespace: None,
                name: name.into(),
            },
            value: serde_json::Value::Null,
            origin: Origin {
                file: "f".into(),
                index: 1,
            },
        }
    }

    #[test]
    fn definitions_then_sealed_secrets_then_the_rest_in_kind_order() {
        let objects = vec![
            object("apps", "Deployment", "web"),
            object("sealsync.io", "SealedSecret", "db"),
            object("", "Service", "web"),
            object("", "Namespace", "shop"),
            object("example.com", "Widget", "w"),
            object(
                "apiextensions.k8s.io",
                "CustomResourceDefinition",
                "widgets.example.com",
            ),
            object("bitnami.com", "SealedSecret", "legacy"),
            object("", "ConfigMap", "settings"),
        ];
        let order: Vec<(Stage, Vec<String>)> = plan(objects)
            .into_iter()
            .map(|(s, list)| (s, list.into_iter().map(|o| o.key.kind).collect()))
            .collect();
        assert_eq!(
            order,
            vec![
                (
                    Stage::Definitions,
                    vec!["CustomResourceDefinition".into(), "Namespace".into()]
                ),
                (
                    Stage::Secrets,
                    vec!["SealedSecret".into(), "SealedSecret".into()]
                ),
                (
                    Stage::Workloads,
                    vec![
                        "ConfigMap".into(),
                        "Service".into(),
                        "Deployment".into(),
                        "Widget".into()
                    ]
                ),
            ]
        );
    }
}
