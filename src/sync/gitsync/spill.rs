//! Where a GitSync's inventory lives: in its status while small, in a ConfigMap beside it
//! (`<name>-inventory`, owned by the GitSync so it goes with it) once it would pass the spill
//! size, about 500 KiB by default, which keeps the GitSync far from etcd's object limit. The
//! ConfigMap is written only when the inventory changed, and deleted once the inventory fits in
//! the status again (after the status no longer points at it).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::json;
use tracing::{info, warn};

use super::Context;
use crate::api::gitsync::GitSync;
use crate::sync::apply::FIELD_MANAGER;
use crate::sync::inventory::Inventory;

/// The ConfigMap key that holds the inventory, in the status's JSON form.
const KEY: &str = "inventory.json";

/// The inventory as the status records it: inline, or the name of the ConfigMap holding it.
pub type Stored = (BTreeMap<String, Vec<String>>, Option<String>);

/// Why the previous inventory cannot be read: then nothing is pruned.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// The ConfigMap could not be read or written.
    #[error("the inventory ConfigMap {name}: {detail}")]
    ConfigMap {
        /// Its name.
        name: String,
        /// Why.
        detail: String,
    },
}

/// The inventory the last run recorded.
pub async fn load(ctx: &Context, gs: &GitSync) -> Result<Inventory, SpillError> {
    let Some(status) = gs.status.as_ref() else {
        return Ok(Inventory::default());
    };
    let Some(name) = &status.inventory_config_map else {
        return Ok(Inventory::from_status(&status.inventory).0);
    };
    let fail = |detail: String| SpillError::ConfigMap {
        name: name.clone(),
        detail,
    };
    let api: Api<ConfigMap> =
        Api::namespaced(ctx.client.clone(), &gs.namespace().unwrap_or_default());
    let Some(map) = api.get_opt(name).await.map_err(|e| fail(e.to_string()))? else {
        return fresh_inline(ctx, gs)
            .await
            .ok_or_else(|| fail("it does not exist".into()));
    };
    let text = map
        .data
        .and_then(|d| d.get(KEY).cloned())
        .ok_or_else(|| fail(format!("it has no key {KEY}")))?;
    let entries: BTreeMap<String, Vec<String>> =
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    Ok(Inventory::from_status(&entries).0)
}

/// The inventory in the GitSync's current status, read from the API, when it is inline there:
/// the status this run started from may be older than the run that moved the inventory back
/// into the status and deleted the ConfigMap.
async fn fresh_inline(ctx: &Context, gs: &GitSync) -> Option<Inventory> {
    let api: Api<GitSync> = Api::namespaced(ctx.client.clone(), &gs.namespace()?);
    let status = api.get_opt(&gs.name_any()).await.ok()??.status?;
    status
        .inventory_config_map
        .is_none()
        .then(|| Inventory::from_status(&status.inventory).0)
}

/// Records `inventory`: inline when its JSON is at most `limit` bytes, else in the ConfigMap
/// (not written again when it already holds `previous` and that is the same inventory).
pub async fn store(
    ctx: &Context,
    gs: &GitSync,
    inventory: &Inventory,
    previous: Option<&Inventory>,
    limit: usize,
) -> Result<Stored, SpillError> {
    let entries = inventory.to_status();
    let text = serde_json::to_string(&entries).unwrap_or_default();
    if text.len() <= limit {
        return Ok((entries, None));
    }
    let name = format!("{}-inventory", gs.name_any());
    if spilled_to(gs) == Some(&name) && previous == Some(inventory) {
        return Ok((BTreeMap::new(), Some(name)));
    }
    let owner = gs
        .controller_owner_ref(&())
        .map(|o| vec![o])
        .unwrap_or_default();
    let body = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": gs.namespace(), "ownerReferences": owner,
                     "labels": {"sealsync.io/inventory-of": gs.name_any()}},
        "data": {KEY: text},
    });
    Api::<ConfigMap>::namespaced(ctx.client.clone(), &gs.namespace().unwrap_or_default())
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&body),
        )
        .await
        .map_err(|e| SpillError::ConfigMap {
            name: name.clone(),
            detail: e.to_string(),
        })?;
    Ok((BTreeMap::new(), Some(name)))
}

/// The ConfigMap the GitSync's status points at, if any.
fn spilled_to(gs: &GitSync) -> Option<&String> {
    gs.status.as_ref()?.inventory_config_map.as_ref()
}

/// Deletes the ConfigMap `gs`'s status pointed at before a run that stored its inventory
/// inline; call it once the new status is written. A failure only leaves the ConfigMap behind
/// (owned by the GitSync, so it goes with it), and is logged.
pub async fn retire(ctx: &Context, gs: &GitSync) {
    let Some(name) = spilled_to(gs) else {
        return;
    };
    let api: Api<ConfigMap> =
        Api::namespaced(ctx.client.clone(), &gs.namespace().unwrap_or_default());
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => {
            info!(configmap = %name, "the inventory fits in the status again; its ConfigMap is deleted")
        }
        Err(kube::Error::Api(e)) if e.code == 404 => {}
        Err(e) => {
            warn!(configmap = %name, error = %e, "cannot delete the inventory ConfigMap the status no longer uses")
        }
    }
}
