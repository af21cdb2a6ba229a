//! The typed-value operations of structured-merge-diff that server-side apply is built from:
//! `ToFieldSet`, `Merge`, `Compare`, `RemoveItems` and `EnsureNamedFieldsAreMembers`, over
//! objects in JSON form typed by a [`Ty`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::fieldset::{FieldSet, field_pe, key_pe, value_pe};
use super::schema::{Key, OPEN, Ty};

/// The path elements of a list's items, or `None` when the list is owned as a whole: atomic by
/// type, or its items cannot be identified (a missing key field, duplicate keys, a non-scalar in
/// a set). kube rejects the latter; treating them as atomic keeps every write possible.
fn item_pes(ty: &Ty, items: &[Value]) -> Option<Vec<String>> {
    let pes: Vec<String> = match ty {
        Ty::Assoc(keys, _) => items
            .iter()
            .map(|item| assoc_pe(keys, item))
            .collect::<Option<_>>()?,
        Ty::Set => items
            .iter()
            .map(|item| (!item.is_object() && !item.is_array()).then(|| value_pe(item)))
            .collect::<Option<_>>()?,
        Ty::Struct(_) | Ty::Map(_) | Ty::Atomic | Ty::Required(_) => return None,
    };
    let mut seen = BTreeSet::new();
    pes.iter().all(|pe| seen.insert(pe)).then_some(pes)
}

fn assoc_pe(keys: &[Key], item: &Value) -> Option<String> {
    let item = item.as_object()?;
    let mut fields = BTreeMap::new();
    for key in keys {
        let value = match (item.get(key.name), key.default) {
            (Some(v), _) if !v.is_null() => v.clone(),
            (_, Some(default)) => Value::String(default.to_owned()),
            _ => return None,
        };
        fields.insert(key.name, value);
    }
    Some(key_pe(&fields))
}

fn elem(ty: &Ty) -> &'static Ty {
    match ty {
        Ty::Assoc(_, elem) => elem,
        Ty::Struct(_) | Ty::Map(_) | Ty::Atomic | Ty::Set | Ty::Required(_) => &Ty::Atomic,
    }
}

/// `ToFieldSet`: the paths a value sets. Struct fields holding non-empty objects are not members
/// themselves (only their leaves are); map entries, list items, leaves and empty objects are.
pub(super) fn to_field_set(value: &Value, ty: &'static Ty) -> FieldSet {
    let mut set = FieldSet::default();
    walk_set(value, ty, &mut set);
    set.prune();
    set
}

fn walk_set(value: &Value, ty: &'static Ty, node: &mut FieldSet) {
    match (ty, value) {
        (Ty::Struct(_) | Ty::Map(_), Value::Object(map)) => {
            for (key, child_value) in map {
                let (child_ty, named) = ty.field(key).unwrap_or((&OPEN, true));
                let child = node.child_mut(&field_pe(key));
                walk_set(child_value, child_ty, child);
                let empty =
                    child_value.is_null() || child_value.as_object().is_some_and(Map::is_empty);
                if empty || !named {
                    child.set_member();
                }
            }
        }
        (Ty::Assoc(..) | Ty::Set, Value::Array(items)) => match item_pes(ty, items) {
            Some(pes) => {
                for (pe, item) in pes.iter().zip(items) {
                    let child = node.child_mut(pe);
                    walk_set(item, elem(ty), child);
                    child.set_member();
                }
            }
            None => node.set_member(),
        },
        _ => node.set_member(),
    }
}

/// `EnsureNamedFieldsAreMembers`: struct fields that have members below them become members too.
pub(super) fn ensure_named_fields(set: &FieldSet, ty: &'static Ty) -> FieldSet {
    let mut out = set.clone();
    ensure_walk(&mut out, ty);
    out
}

fn ensure_walk(node: &mut FieldSet, ty: &'static Ty) {
    for (pe, child) in node.children_mut() {
        let (child_ty, named) = match pe.strip_prefix("f:") {
            Some(name) => ty.field(name).unwrap_or((&OPEN, false)),
            None => (elem(ty), false),
        };
        let has_children = child.children().next().is_some();
        ensure_walk(child, child_ty);
        if named && has_children {
            child.set_member();
        }
    }
}

/// `Merge`: `rhs` (the applied configuration) over `lhs` (the live object). Maps merge by key,
/// associative lists and sets by item, everything else is taken from `rhs`.
pub(super) fn merge(lhs: &Value, rhs: &Value, ty: &'static Ty) -> Value {
    match (ty, lhs, rhs) {
        (Ty::Struct(_) | Ty::Map(_), Value::Object(l), Value::Object(r)) => {
            let mut out = l.clone();
            for (key, rv) in r {
                let (child_ty, _) = ty.field(key).unwrap_or((&OPEN, true));
                let merged = match l.get(key) {
                    Some(lv) => merge(lv, rv, child_ty),
                    None => rv.clone(),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        (Ty::Assoc(..) | Ty::Set, Value::Array(l), Value::Array(r)) => {
            match (item_pes(ty, l), item_pes(ty, r)) {
                (Some(lpes), Some(rpes)) => Value::Array(merge_lists(l, &lpes, r, &rpes, elem(ty))),
                _ => rhs.clone(),
            }
        }
        _ => rhs.clone(),
    }
}

/// structured-merge-diff's `visitListItems` ordering: live-only items keep their places, the
/// applied items come in applied order, merged with their live counterparts.
fn merge_lists(
    l: &[Value],
    lpes: &[String],
    r: &[Value],
    rpes: &[String],
    ty: &'static Ty,
) -> Vec<Value> {
    let lhs: HashMap<&str, &Value> = lpes.iter().map(String::as_str).zip(l).collect();
    let rhs: HashMap<&str, &Value> = rpes.iter().map(String::as_str).zip(r).collect();
    let mut shared = rpes.iter().filter(|pe| lhs.contains_key(pe.as_str()));
    let mut next_shared = shared.next();
    let mut merged_rhs = BTreeSet::new();
    let mut out = Vec::with_capacity(l.len().max(r.len()));
    let (mut li, mut ri) = (0, 0);
    let merge_item = |pe: &str| -> Value {
        match (lhs.get(pe), rhs.get(pe)) {
            (Some(lv), Some(rv)) => merge(lv, rv, ty),
            (None, Some(rv)) => (*rv).clone(),
            (Some(lv), None) => (*lv).clone(),
            (None, None) => Value::Null,
        }
    };
    while li < lpes.len() || ri < rpes.len() {
        if li < lpes.len() && ri < rpes.len() {
            let pe = &lpes[li];
            if *pe == rpes[ri] {
                merged_rhs.insert(pe.as_str());
                out.push(merge_item(pe));
                li += 1;
                ri += 1;
                next_shared = shared.next();
                continue;
            }
            if rhs.contains_key(pe.as_str()) && next_shared.is_some_and(|next| next != pe) {
                li += 1;
                continue;
            }
        }
        if li < lpes.len() {
            let pe = &lpes[li];
            if !rhs.contains_key(pe.as_str()) {
                out.push(l[li].clone());
                li += 1;
                continue;
            }
            if merged_rhs.contains(pe.as_str()) {
                li += 1;
                continue;
            }
        }
        if ri < rpes.len() {
            let pe = &rpes[ri];
            merged_rhs.insert(pe.as_str());
            out.push(merge_item(pe));
            ri += 1;
            if next_shared == Some(pe) {
                next_shared = shared.next();
            }
        }
    }
    out
}

/// What changed between two versions of an object (`typed.Comparison`).
#[derive(Debug, Default)]
pub(super) struct Comparison {
    pub added: FieldSet,
    pub modified: FieldSet,
    pub removed: FieldSet,
}

/// `Compare`: leaves added, modified or removed, and containers added or removed.
///
/// With `go_structs` (built-in kinds), an added or removed struct field, or a list field Go
/// never omits ([`Ty::Required`]), is not itself reported when its parent is not either: kube
/// compares Go objects, and an empty Go object has those from its root down (not inside list
/// items). Maps, other lists, list items and leaves are reported. Struct fields are taken to be
/// non-pointer fields; kube does report a pointer struct (`securityContext`) that a write adds.
/// Custom resources are compared as plain JSON, where every added object is reported (kube's
/// `".": {}` on a new `spec`).
pub(super) fn compare(lhs: &Value, rhs: &Value, ty: &'static Ty, go_structs: bool) -> Comparison {
    let mut c = Comparison::default();
    let mut walker = CompareWalker {
        go_structs,
        path: Vec::new(),
        c: &mut c,
    };
    walker.walk(Some(lhs), Some(rhs), ty, true);
    c
}

struct CompareWalker<'c> {
    go_structs: bool,
    path: Vec<String>,
    c: &'c mut Comparison,
}

impl CompareWalker<'_> {
    /// Compares one node; `always_present` tells whether Go's empty object has it already.
    fn walk(
        &mut self,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        ty: &'static Ty,
        always_present: bool,
    ) {
        if lhs == rhs {
            return;
        }
        let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
        let is_list = |v: Option<&Value>| v.is_none_or(Value::is_array);
        match ty {
            Ty::Struct(_) | Ty::Map(_) if is_map(lhs) && is_map(rhs) => {
                let empty = Map::new();
                let l = lhs.and_then(Value::as_object).unwrap_or(&empty);
                let r = rhs.and_then(Value::as_object).unwrap_or(&empty);
                let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
                for key in keys {
                    let (child_ty, named) = ty.field(key).unwrap_or((&OPEN, true));
                    let present = always_present
                        && self.go_structs
                        && ((named && matches!(child_ty, Ty::Struct(_)))
                            || ty.is_required_field(key));
                    self.path.push(field_pe(key));
                    self.walk(l.get(key), r.get(key), child_ty, present);
                    self.path.pop();
                }
                if !always_present {
                    container_added_or_removed(lhs, rhs, &self.path, self.c);
                }
            }
            Ty::Assoc(..) | Ty::Set if is_list(lhs) && is_list(rhs) => {
                let (l, r) = (list_items(lhs), list_items(rhs));
                let (Some(lpes), Some(rpes)) = (item_pes(ty, l), item_pes(ty, r)) else {
                    return leaf(lhs, rhs, &self.path, self.c);
                };
                let lmap: HashMap<&String, &Value> = lpes.iter().zip(l).collect();
                let rmap: HashMap<&String, &Value> = rpes.iter().zip(r).collect();
                let pes: BTreeSet<&String> = lpes.iter().chain(&rpes).collect();
                for pe in pes {
                    self.path.push(pe.clone());
                    self.walk(
                        lmap.get(pe).copied(),
                        rmap.get(pe).copied(),
                        elem(ty),
                        false,
                    );
                    self.path.pop();
                }
                if !always_present {
                    container_added_or_removed(lhs, rhs, &self.path, self.c);
                }
            }
            _ => leaf(lhs, rhs, &self.path, self.c),
        }
    }
}

fn list_items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn leaf(lhs: Option<&Value>, rhs: Option<&Value>, path: &[String], c: &mut Comparison) {
    match (lhs, rhs) {
        (None, _) => c.added.insert(path),
        (_, None) => c.removed.insert(path),
        (Some(l), Some(r)) if l != r => c.modified.insert(path),
        _ => {}
    }
}

fn container_added_or_removed(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    path: &[String],
    c: &mut Comparison,
) {
    if lhs.is_none() {
        c.added.insert(path);
    } else if rhs.is_none() {
        c.removed.insert(path);
    }
}

/// `RemoveItems`: drops every field, map entry and list item whose path is a member of `set`
/// (with everything below it). A map or list that this empties is dropped as well, as the Go
/// types' `omitempty` would.
pub(super) fn remove_items(value: &Value, set: &FieldSet, ty: &'static Ty) -> Value {
    match (ty, value) {
        (Ty::Struct(_) | Ty::Map(_), Value::Object(map)) => {
            let mut out = Map::new();
            for (key, child) in map {
                let (child_ty, _) = ty.field(key).unwrap_or((&OPEN, true));
                match set.child(&field_pe(key)) {
                    Some(sub) if sub.is_member() => {}
                    Some(sub) => {
                        let kept = remove_items(child, sub, child_ty);
                        if !emptied(child, &kept) {
                            out.insert(key.clone(), kept);
                        }
                    }
                    None => {
                        out.insert(key.clone(), child.clone());
                    }
                }
            }
            Value::Object(out)
        }
        (Ty::Assoc(..) | Ty::Set, Value::Array(items)) => {
            let Some(pes) = item_pes(ty, items) else {
                return value.clone();
            };
            let mut out = Vec::with_capacity(items.len());
            for (pe, item) in pes.iter().zip(items) {
                match set.child(pe) {
                    Some(sub) if sub.is_member() => {}
                    Some(sub) => out.push(remove_items(item, sub, elem(ty))),
                    None => out.push(item.clone()),
                }
            }
            Value::Array(out)
        }
        _ => value.clone(),
    }
}

/// Whether removal turned a non-empty map or list into an empty one.
fn emptied(before: &Value, after: &Value) -> bool {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => !b.is_empty() && a.is_empty(),
        (Value::Array(b), Value::Array(a)) => !b.is_empty() && a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::schema::for_kind;
    use super::*;

    fn deploy_ty() -> &'static Ty {
        for_kind("apps/v1", "Deployment")
    }

    #[test]
    fn field_set_of_an_applied_deployment_is_kube_shaped() {
        let obj = json!({"spec":{"replicas":1,"selector":{"matchLabels":{"app":"x"}},
            "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[
                {"name":"nginx","image":"nginx","ports":[{"containerPort":80}],
                 "env":[{"name":"A","value":"1"}]}]}}}});
        let set = to_field_set(&obj, deploy_ty());
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{
                "f:metadata":{"f:labels":{"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},
                    "f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},
                    "f:image":{},"f:name":{},
                    "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})
        );
    }

    #[test]
    fn sets_and_empty_objects_are_members() {
        let obj = json!({"metadata":{"finalizers":["a","b"],"annotations":{}}});
        let set = to_field_set(&obj, for_kind("v1", "ConfigMap"));
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:metadata":{"f:annotations":{},"f:finalizers":{"v:\"a\"":{},"v:\"b\"":{}}}})
        );
    }

    #[test]
    fn merge_keeps_live_only_items_and_merges_by_key() {
        let live = json!({"spec":{"template":{"spec":{"containers":[
            {"name":"a","image":"a:1","tty":true},{"name":"b","image":"b:1"}]}}}});
        let applied = json!({"spec":{"template":{"spec":{"containers":[
            {"name":"c","image":"c:1"},{"name":"a","image":"a:2"}]}}}});
        let merged = merge(&live, &applied, deploy_ty());
        assert_eq!(
            merged["spec"]["template"]["spec"]["containers"],
            json!([{"name":"c","image":"c:1"},{"name":"a","image":"a:2","tty":true},{"name":"b","image":"b:1"}])
        );
    }

    #[test]
    fn compare_reports_leaves_and_new_containers() {
        let old = json!({"data":{"a":"1","b":"2"}});
        let new = json!({"data":{"a":"9","c":"3"},"metadata":{"labels":{"x":"y"}}});
        let c = compare(&old, &new, for_kind("v1", "ConfigMap"), false);
        assert_eq!(c.modified.to_fields_v1(), json!({"f:data":{"f:a":{}}}));
        assert_eq!(
            c.added.to_fields_v1(),
            json!({"f:data":{"f:c":{}},"f:metadata":{".":{},"f:labels":{".":{},"f:x":{}}}})
        );
        assert_eq!(c.removed.to_fields_v1(), json!({"f:data":{"f:b":{}}}));
    }

    #[test]
    fn remove_items_drops_members_and_emptied_maps() {
        let obj = json!({"data":{"a":"1"},"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}});
        let set = FieldSet::from_fields_v1(&json!({"f:data":{"f:a":{}},
            "f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{}}}}}}));
        let out = remove_items(&obj, &set, deploy_ty());
        assert_eq!(
            out,
            json!({"spec":{"template":{"spec":{"containers":[{"name":"b"}]}}}})
        );
    }

    #[test]
    fn ensure_named_fields_marks_struct_fields_not_map_keys() {
        let set = FieldSet::from_fields_v1(
            &json!({"f:metadata":{"f:labels":{"f:a":{}}},"f:data":{"f:x":{}}}),
        );
        let ensured = ensure_named_fields(&set, for_kind("v1", "ConfigMap"));
        assert_eq!(
            ensured.to_fields_v1(),
            json!({"f:metadata":{".":{},"f:labels":{".":{},"f:a":{}}},"f:data":{".":{},"f:x":{}}})
        );
    }

    #[test]
    fn unidentifiable_items_make_the_list_atomic() {
        let obj = json!({"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}});
        let set = to_field_set(&obj, deploy_ty());
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec":{"f:template":{"f:spec":{"f:containers":{}}}}})
        );
    }
}
