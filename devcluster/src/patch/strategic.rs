//! Strategic merge patch, following k8s.io/apimachinery `strategicpatch.StrategicMergePatch`
//! with the options kube-apiserver uses (parallel deletion lists merged, unmatched nulls dropped).
//!
//! - Maps merge recursively; `null` deletes a key.
//! - Lists with a patch merge key merge item by item; lists of scalars with the merge strategy
//!   (finalizers) are unions; every other list is replaced by the patch's list.
//! - Directives: `$patch: replace|delete` in a map, `{"$patch": "delete", <key>: ...}` and
//!   `{"$patch": "replace"}` items in a keyed list, `$retainKeys`, `$setElementOrder/<field>` and
//!   `$deleteFromPrimitiveList/<field>`.
//! - The order of merged lists is kube's: patch items in patch order (or `$setElementOrder`
//!   order), live-only items in live order, the two runs interleaved by live position; an item
//!   new to the list goes before the live-only items that follow it (kube's `mergeSortedSlice`).

use serde_json::{Map, Value};

use super::PatchError;
use super::merge::type_name;
use super::schema::{self, FieldInfo, ListMerge, Struct};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// Strategic merge patch (`application/strategic-merge-patch+json`) for the kind
/// `api_version`/`kind`.
///
/// Custom resources are refused with [`PatchError::StrategicUnsupported`] (HTTP 415), exactly as
/// kube-apiserver refuses them: it has no Go struct, hence no merge keys, for a custom kind, and
/// kubectl sends merge patches for custom resources anyway. Built-in kinds are told apart from
/// custom ones by their API group (see `schema::for_kind`).
pub fn strategic_merge_patch(
    target: &mut Value,
    patch: &Value,
    api_version: &str,
    kind: &str,
) -> Result<(), PatchError> {
    let Some(ty) = schema::for_kind(api_version, kind) else {
        return Err(PatchError::StrategicUnsupported {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
        });
    };
    let Value::Object(patch) = patch else {
        return Err(bad(format!(
            "the patch must be a JSON object, not {}",
            type_name(patch)
        )));
    };
    let original = match target {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    *target = Value::Object(merge_map(original, patch.clone(), Some(ty))?);
    Ok(())
}

fn bad(reason: String) -> PatchError {
    PatchError::Malformed {
        format: "strategic merge",
        reason,
    }
}

fn conflict(reason: String) -> PatchError {
    PatchError::StrategicConflict { reason }
}

/// `mergeMap`: merges `patch` into `original`.
fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Option<&'static Struct>,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.remove(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => merge_map(Map::new(), patch, ty),
            Some("delete") => Ok(Map::new()),
            _ => Err(bad(format!("unknown patch type: {directive} in map"))),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    apply_set_element_order(&mut original, &mut patch, ty)?;
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            delete_from_primitive_list(&mut original, field, &value)?;
            continue;
        }
        if value.is_null() {
            original.remove(&key);
            continue;
        }
        let info = schema::field(ty, &key);
        match original.get_mut(&key) {
            Some(slot) => {
                let live = std::mem::take(slot);
                *slot = merge_value(live, value, info)?;
            }
            None => {
                original.insert(key, fresh(value, info)?);
            }
        }
    }
    Ok(original)
}

/// Merges one field's patch value into its live value.
fn merge_value(live: Value, patch: Value, info: FieldInfo) -> Result<Value, PatchError> {
    match (live, patch) {
        (Value::Object(live), Value::Object(patch)) => {
            Ok(Value::Object(merge_map(live, patch, info.ty)?))
        }
        (Value::Array(live), Value::Array(patch)) => {
            Ok(Value::Array(merge_list(live, patch, info)?))
        }
        (_, patch) => fresh(patch, info),
    }
}

/// A patch value for a field the object does not have: nulls and directives are processed away.
fn fresh(patch: Value, info: FieldInfo) -> Result<Value, PatchError> {
    match patch {
        Value::Object(patch) => Ok(Value::Object(merge_map(Map::new(), patch, info.ty)?)),
        Value::Array(patch) => Ok(Value::Array(merge_list(Vec::new(), patch, info)?)),
        scalar => Ok(scalar),
    }
}

/// `mergeSliceHandler` / `mergeSlice`: merges a patch list into a live list by the field's strategy.
fn merge_list(
    live: Vec<Value>,
    patch: Vec<Value>,
    info: FieldInfo,
) -> Result<Vec<Value>, PatchError> {
    let item_info = FieldInfo {
        list: ListMerge::Replace,
        ty: info.ty,
    };
    match info.list {
        ListMerge::Replace => patch
            .into_iter()
            .filter(|item| !is_directive_item(item))
            .map(|item| fresh(item, item_info))
            .collect(),
        ListMerge::Set => {
            if live.iter().chain(&patch).any(Value::is_object) {
                return Err(conflict(
                    "cannot merge a list of objects without a merge key".into(),
                ));
            }
            let mut merged: Vec<Value> = Vec::with_capacity(live.len() + patch.len());
            for item in live.iter().chain(&patch) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            Ok(order(merged, &patch, &live, None))
        }
        ListMerge::ByKey(key) => {
            if let Some(item) = live.iter().chain(&patch).find(|item| !item.is_object()) {
                return Err(conflict(format!(
                    "cannot merge {} into a list merged by key \"{key}\"",
                    type_name(item)
                )));
            }
            let (live, patch) = take_special_elements(live, patch, key)?;
            let server_order = live.clone();
            let mut merged = live;
            for item in &patch {
                let value = item.get(key).ok_or_else(|| {
                    conflict(format!(
                        "map: {item} does not contain declared merge key: {key}"
                    ))
                })?;
                let found = merged.iter_mut().find(|live| live.get(key) == Some(value));
                match (found, item.clone()) {
                    (Some(Value::Object(live)), Value::Object(item)) => {
                        let live_map = std::mem::take(live);
                        *live = merge_map(live_map, item, info.ty)?;
                    }
                    (_, item) => merged.push(fresh(item, item_info)?),
                }
            }
            Ok(order(merged, &patch, &server_order, Some(key)))
        }
    }
}

/// `mergeSliceWithSpecialElements`: applies `{"$patch": "delete", key: v}` and
/// `{"$patch": "replace"}` items and returns the live list and the remaining patch items.
fn take_special_elements(
    mut live: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut replace = false;
    let mut rest = Vec::with_capacity(patch.len());
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE) else {
            rest.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let value = item.get(key).ok_or_else(|| {
                    conflict(format!(
                        "map: {item} does not contain declared merge key: {key}"
                    ))
                })?;
                live.retain(|live| live.get(key) != Some(value));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(bad(
                    "merging lists cannot yet be specified in the patch".into()
                ));
            }
            _ => {
                return Err(bad(format!(
                    "unknown patch type: {directive} in map: {item}"
                )));
            }
        }
    }
    if replace {
        live.clear();
    }
    Ok((live, rest))
}

fn is_directive_item(item: &Value) -> bool {
    item.get(DIRECTIVE).is_some()
}

/// `$deleteFromPrimitiveList/<field>`: removes the listed scalars from the live list.
fn delete_from_primitive_list(
    original: &mut Map<String, Value>,
    field: &str,
    values: &Value,
) -> Result<(), PatchError> {
    let Value::Array(values) = values else {
        return Err(bad("invalid patch format of primitive list".into()));
    };
    if let Some(Value::Array(live)) = original.get_mut(field) {
        live.retain(|item| !values.contains(item));
    }
    Ok(())
}

/// `$retainKeys`: drops every live key not listed; the patch may only set listed keys.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let keys: Option<Vec<&str>> = match &retain {
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        _ => None,
    };
    let keys = keys.ok_or_else(|| bad("invalid patch format of retainKeys".into()))?;
    let unlisted = patch.iter().any(|(k, v)| {
        !(v.is_null()
            || k == DIRECTIVE
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || k.starts_with(SET_ELEMENT_ORDER)
            || keys.contains(&k.as_str()))
    });
    if unlisted {
        return Err(bad("invalid patch format of retainKeys".into()));
    }
    original.retain(|k, _| keys.contains(&k.as_str()));
    Ok(())
}

/// `$setElementOrder/<field>`: merges `<field>`'s patch list now and orders the result as the
/// directive lists, live-only items keeping their live positions.
fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Option<&'static Struct>,
) -> Result<(), PatchError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(Value::Array(wanted)) = patch.remove(&directive) else {
            return Err(bad("invalid patch format of setElementOrder list".into()));
        };
        let field = &directive[SET_ELEMENT_ORDER.len()..];
        let info = schema::field(ty, field);
        let key = match info.list {
            ListMerge::ByKey(key) => Some(key),
            ListMerge::Replace | ListMerge::Set => None,
        };
        let live = match original.get(field) {
            Some(Value::Array(live)) => Some(live.clone()),
            _ => None,
        };
        let patch_list = match patch.get(field) {
            Some(Value::Array(list)) => Some(list.clone()),
            Some(_) => continue,
            None => None,
        };
        if let Some(list) = &patch_list {
            validate_order(list, &wanted, key)?;
        }
        let merged = match (live.clone(), patch_list) {
            (Some(live), None) => live,
            (None, Some(list)) => merge_list(Vec::new(), list, info)?,
            (Some(live), Some(list)) => merge_list(live, list, info)?,
            (None, None) => continue,
        };
        let ordered = order(merged, &wanted, live.as_deref().unwrap_or(&[]), key);
        original.insert(field.to_owned(), Value::Array(ordered));
        patch.remove(field);
    }
    Ok(())
}

/// `validatePatchWithSetOrderList`: the patch list's items must appear in the directive's order.
fn validate_order(patch: &[Value], wanted: &[Value], key: Option<&str>) -> Result<(), PatchError> {
    let items: Vec<&Value> = patch
        .iter()
        .filter(|item| !is_directive_item(item))
        .collect();
    let (mut p, mut w) = (0, 0);
    while p < items.len() && w < wanted.len() {
        if identity(items[p], key).is_some() && identity(items[p], key) == identity(&wanted[w], key)
        {
            p += 1;
        }
        w += 1;
    }
    if p < items.len() && !wanted.is_empty() {
        return Err(bad(format!(
            "the order in patch list {} doesn't match the $setElementOrder list {}",
            Value::Array(patch.to_vec()),
            Value::Array(wanted.to_vec())
        )));
    }
    Ok(())
}

/// What identifies a list item: its merge key's value, or the scalar itself.
fn identity<'a>(item: &'a Value, key: Option<&str>) -> Option<&'a Value> {
    match key {
        Some(key) => item.get(key),
        None => Some(item),
    }
}

fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key)?;
    list.iter()
        .position(|other| identity(other, key) == Some(id))
}

/// `normalizeElementOrder`: items named in `patch_order` come in that order, the others keep
/// their order in `server_order`, and the two runs interleave by live position.
fn order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut patch_items, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position(patch_order, item, key).is_some());
    patch_items.sort_by_key(|item| position(patch_order, item, key));
    server_only.sort_by_key(|item| position(server_order, item, key).unwrap_or(usize::MAX));
    merge_sorted(server_only, patch_items, server_order, key)
}

/// `mergeSortedSlice`: inserts the live-only items (`left`) among the patch items (`right`),
/// before the first patch item that comes after them in the live list.
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (position(server_order, l, key), position(server_order, r, key)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

#[cfg(test)]
#[path = "strategic_tests.rs"]
mod tests;
