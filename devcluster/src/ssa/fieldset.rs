//! Sets of field paths, as structured-merge-diff's `fieldpath.Set`, stored as a trie keyed by
//! the `FieldsV1` spelling of each path element: `f:<field>`, `k:<key JSON>`, `v:<value JSON>`.
//! Because the keys are the wire spelling, a set reads from and writes to `fieldsV1` directly.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A set of paths. A node is a *member* when the path ending there is in the set; it may also
/// have children (kube writes such a node as `{".": {}, ...children}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FieldSet {
    member: bool,
    children: BTreeMap<String, FieldSet>,
}

impl FieldSet {
    pub(super) fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    pub(super) fn is_member(&self) -> bool {
        self.member
    }

    pub(super) fn child(&self, pe: &str) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    pub(super) fn children(&self) -> impl Iterator<Item = (&String, &FieldSet)> {
        self.children.iter()
    }

    /// Adds `path` as a member.
    pub(super) fn insert(&mut self, path: &[String]) {
        let mut node = self;
        for pe in path {
            node = node.children.entry(pe.clone()).or_default();
        }
        node.member = true;
    }

    /// Marks this node itself as a member.
    pub(super) fn set_member(&mut self) {
        self.member = true;
    }

    /// The node for `pe`, created when missing.
    pub(super) fn child_mut(&mut self, pe: &str) -> &mut FieldSet {
        self.children.entry(pe.to_owned()).or_default()
    }

    pub(super) fn children_mut(&mut self) -> impl Iterator<Item = (&String, &mut FieldSet)> {
        self.children.iter_mut()
    }

    /// Drops empty child nodes so that `is_empty` and equality are structural.
    pub(super) fn prune(&mut self) {
        self.children.retain(|_, child| {
            child.prune();
            !child.is_empty()
        });
    }

    pub(super) fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.member |= other.member;
        for (pe, child) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    /// Paths of `self` that are not in `other` (exact paths: a member of `other` does not remove
    /// the members below it).
    pub(super) fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (pe, child) in &self.children {
            let rest = match other.children.get(pe) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            out.children.insert(pe.clone(), rest);
        }
        out.prune();
        out
    }

    pub(super) fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (pe, child) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                out.children.insert(pe.clone(), child.intersection(theirs));
            }
        }
        out.prune();
        out
    }

    /// Every member path, in structured-merge-diff's `Set.Iterate` order: at each node the
    /// members among its children first, then the children's subtrees, each in sorted order.
    pub(super) fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        for (pe, child) in &self.children {
            if child.member {
                let mut path = prefix.clone();
                path.push(pe.clone());
                out.push(path);
            }
        }
        for (pe, child) in &self.children {
            if !child.children.is_empty() {
                prefix.push(pe.clone());
                child.collect_paths(prefix, out);
                prefix.pop();
            }
        }
    }

    /// Parses a `fieldsV1` object. Unknown shapes (non-objects) are ignored.
    pub(super) fn from_fields_v1(v: &Value) -> FieldSet {
        let mut set = FieldSet::default();
        if let Value::Object(map) = v {
            for (key, child) in map {
                if key == "." {
                    set.member = true;
                    continue;
                }
                let mut node = FieldSet::from_fields_v1(child);
                if node.children.is_empty() {
                    node.member = true;
                }
                set.children.insert(key.clone(), node);
            }
        }
        set
    }

    /// The `fieldsV1` form: `{}` for a leaf member, `"."` for a member with children.
    pub(super) fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        if self.member && !self.children.is_empty() {
            map.insert(".".into(), Value::Object(Map::new()));
        }
        for (pe, child) in &self.children {
            map.insert(pe.clone(), child.to_fields_v1());
        }
        Value::Object(map)
    }
}

/// The path element of a struct or map field.
pub(super) fn field_pe(name: &str) -> String {
    format!("f:{name}")
}

/// The path element of an associative-list item: its key fields as JSON with sorted names.
pub(super) fn key_pe(fields: &BTreeMap<&str, Value>) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{}:{}", Value::String((*name).to_owned()), value))
        .collect();
    format!("k:{{{}}}", body.join(","))
}

/// The path element of a set-list item.
pub(super) fn value_pe(value: &Value) -> String {
    format!("v:{value}")
}

/// A path as structured-merge-diff prints it: `.spec.containers[name="app"].image`.
pub(super) fn display_path(path: &[String]) -> String {
    let mut out = String::new();
    for pe in path {
        if let Some(name) = pe.strip_prefix("f:") {
            out.push('.');
            out.push_str(name);
        } else if let Some(key) = pe.strip_prefix("k:") {
            let parts: Vec<String> = match serde_json::from_str::<Map<String, Value>>(key) {
                Ok(fields) => fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", display_value(v)))
                    .collect(),
                Err(_) => vec![key.to_owned()],
            };
            out.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(value) = pe.strip_prefix("v:") {
            let shown = serde_json::from_str::<Value>(value)
                .map_or_else(|_| value.to_owned(), |v| display_value(&v));
            out.push_str(&format!("[={shown}]"));
        } else if let Some(index) = pe.strip_prefix("i:") {
            out.push_str(&format!("[{index}]"));
        } else {
            out.push_str(pe);
        }
    }
    out
}

/// `value.ToString`: strings quoted, everything else as JSON.
fn display_value(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn set(v: Value) -> FieldSet {
        FieldSet::from_fields_v1(&v)
    }

    #[test]
    fn fields_v1_round_trips() {
        let v = json!({"f:data":{".":{},"f:a":{}},"f:spec":{"f:containers":{"k:{\"name\":\"x\"}":{".":{},"f:image":{}}}}});
        assert_eq!(set(v.clone()).to_fields_v1(), v);
    }

    #[test]
    fn set_algebra_is_by_exact_path() {
        let a = set(json!({"f:data":{".":{},"f:a":{},"f:b":{}}}));
        let b = set(json!({"f:data":{"f:a":{}}}));
        assert_eq!(
            a.difference(&b).to_fields_v1(),
            json!({"f:data":{".":{},"f:b":{}}})
        );
        assert_eq!(
            a.intersection(&b).to_fields_v1(),
            json!({"f:data":{"f:a":{}}})
        );
        assert_eq!(b.union(&a), a);
        assert!(b.difference(&a).is_empty());
    }

    #[test]
    fn paths_iterate_members_before_subtrees() {
        let s = set(
            json!({"f:spec":{"f:c":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}},"f:z":{}},"f:data":{"f:b":{}}}),
        );
        let shown: Vec<String> = s.paths().iter().map(|p| display_path(p)).collect();
        assert_eq!(
            shown,
            vec![
                ".data.b",
                ".spec.z",
                ".spec.c[name=\"a\"]",
                ".spec.c[name=\"a\"].image"
            ]
        );
    }

    #[test]
    fn key_and_value_elements_are_kube_spelled() {
        let fields = BTreeMap::from([("protocol", json!("TCP")), ("containerPort", json!(80))]);
        let pe = key_pe(&fields);
        assert_eq!(pe, "k:{\"containerPort\":80,\"protocol\":\"TCP\"}");
        assert_eq!(
            display_path(&[field_pe("ports"), pe]),
            ".ports[containerPort=80,protocol=\"TCP\"]"
        );
        let pe = value_pe(&json!("example.com/x"));
        assert_eq!(pe, "v:\"example.com/x\"");
        assert_eq!(display_path(&[pe]), "[=\"example.com/x\"]");
    }
}
