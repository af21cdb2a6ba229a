//! Prunes what left Git, in reverse stage order (workloads first, Namespaces and CRDs last),
//! under the rules of [`crate::sync::prune`]: only objects that still carry this GitSync's
//! label and did not opt out, and never a Namespace that holds objects others manage. Failed
//! deletes are kept in the inventory and retried.

use kube::api::DeleteParams;
use tracing::info;

use crate::sync::apply::{ApplyError, Engine, OWNER_LABEL};
use crate::sync::inventory::Entry;
use crate::sync::prune::{self, Candidate, Verdict};
use crate::sync::render::ObjectKey;

/// Prunes the stale entries; returns how many were deleted and the entries kept for a retry.
pub async fn prune_stale(engine: &Engine, stale: Vec<Entry>, owner: &str) -> (usize, Vec<Entry>) {
    let mut deleted = 0;
    let mut kept = Vec::new();
    // Reverse stage order: workloads first, namespaces and CRDs last.
    let mut stale = stale;
    stale.sort_by_key(|e| {
        std::cmp::Reverse(matches!(
            e.kind.as_str(),
            "Namespace" | "CustomResourceDefinition"
        ))
    });
    stale.reverse();
    for entry in stale {
        match prune_one(engine, &entry, owner).await {
            Ok(Verdict::Delete) => deleted += 1,
            Ok(Verdict::NamespaceInUse) | Err(_) => kept.push(entry),
            Ok(Verdict::Gone | Verdict::NotOurs | Verdict::OptedOut) => {}
        }
    }
    (deleted, kept)
}

async fn prune_one(engine: &Engine, entry: &Entry, owner: &str) -> Result<Verdict, ApplyError> {
    let key = ObjectKey {
        group: entry
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g.to_owned())
            .unwrap_or_default(),
        kind: entry.kind.clone(),
        namespace: (!entry.namespace.is_empty()).then(|| entry.namespace.clone()),
        name: entry.name.clone(),
    };
    let api = engine.api_for(&entry.api_version, &key).await?;
    let live = api
        .get_opt(&entry.name)
        .await
        .map_err(|e| ApplyError::Api {
            key: key.clone(),
            what: "reading",
            detail: e.to_string(),
            code: None,
        })?;
    let labels = live
        .as_ref()
        .map(|o| o.metadata.labels.clone().unwrap_or_default());
    let unmanaged_inside = if entry.kind == "Namespace" && live.is_some() {
        unmanaged_in(engine, &entry.name, owner).await
    } else {
        0
    };
    let verdict = prune::decide(
        Candidate {
            labels: labels.as_ref(),
            unmanaged_inside,
        },
        owner,
    );
    if verdict == Verdict::Delete {
        info!(object = %key, "pruning: removed from Git");
        api.delete(&entry.name, &DeleteParams::background())
            .await
            .map_err(|e| ApplyError::Api {
                key: key.clone(),
                what: "deleting",
                detail: e.to_string(),
                code: None,
            })?;
    }
    Ok(verdict)
}

/// How many objects of common kinds in `namespace` this GitSync does not manage (the default
/// ServiceAccount and the root CA ConfigMap, which every namespace has, do not count).
async fn unmanaged_in(engine: &Engine, namespace: &str, owner: &str) -> usize {
    let kinds = [
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        ("v1", "Pod"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
    ];
    let mut count = 0;
    for (api_version, kind) in kinds {
        let key = ObjectKey {
            group: String::new(),
            kind: kind.into(),
            namespace: Some(namespace.into()),
            name: String::new(),
        };
        let Ok(api) = engine.api_for(api_version, &key).await else {
            continue;
        };
        // Metadata is all the count needs: a Secret's values are never read here.
        let Ok(list) = api.list_metadata(&Default::default()).await else {
            count += 1; // cannot tell: assume in use
            continue;
        };
        count += list
            .items
            .iter()
            .filter(|o| {
                let name = o.metadata.name.as_deref().unwrap_or_default();
                let builtin = (kind == "ServiceAccount" && name == "default")
                    || (kind == "ConfigMap" && name == "kube-root-ca.crt");
                let ours = o
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(OWNER_LABEL))
                    .is_some_and(|v| v == owner);
                !builtin && !ours
            })
            .count();
    }
    count
}
