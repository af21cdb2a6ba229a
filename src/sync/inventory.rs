//! The inventory: what a GitSync applied, compactly, so the next revision knows what to prune.
//! Entries are grouped by apiVersion, each `<namespace>_<name>_<kind>` (an empty namespace for
//! cluster-scoped objects). Kubernetes names cannot hold `_`, so the split is unambiguous.

use std::collections::{BTreeMap, BTreeSet};

use super::render::ObjectKey;

/// One applied object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// `group/version`, or `version` for the core group.
    pub api_version: String,
    /// The kind.
    pub kind: String,
    /// The namespace; empty for cluster-scoped objects.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl Entry {
    /// The entry of an applied object.
    pub fn of(key: &ObjectKey, api_version: &str) -> Entry {
        Entry {
            api_version: api_version.to_owned(),
            kind: key.kind.clone(),
            namespace: key.namespace.clone().unwrap_or_default(),
            name: key.name.clone(),
        }
    }
}

/// A set of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    entries: BTreeSet<Entry>,
}

impl Inventory {
    /// An inventory of these entries.
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Inventory {
        Inventory {
            entries: entries.into_iter().collect(),
        }
    }

    /// The entries, sorted.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What `self` holds and `current` does not: the prune candidates.
    pub fn stale(&self, current: &Inventory) -> Vec<Entry> {
        self.entries.difference(&current.entries).cloned().collect()
    }

    /// The status form: apiVersion → sorted `<namespace>_<name>_<kind>`.
    pub fn to_status(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for e in &self.entries {
            out.entry(e.api_version.clone())
                .or_default()
                .push(format!("{}_{}_{}", e.namespace, e.name, e.kind));
        }
        out
    }

    /// Reads the status form; malformed entries are skipped (and returned, to be reported).
    pub fn from_status(status: &BTreeMap<String, Vec<String>>) -> (Inventory, Vec<String>) {
        let mut entries = BTreeSet::new();
        let mut bad = Vec::new();
        for (api_version, items) in status {
            for item in items {
                let mut parts = item.splitn(3, '_');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(ns), Some(name), Some(kind)) if !name.is_empty() && !kind.is_empty() => {
                        entries.insert(Entry {
                            api_version: api_version.clone(),
                            kind: kind.to_owned(),
                            namespace: ns.to_owned(),
                            name: name.to_owned(),
                        });
                    }
                    _ => bad.push(item.clone()),
                }
            }
        }
        (Inventory { entries }, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(api: &str, kind: &str, ns: &str, name: &str) -> Entry {
        Entry {
            api_version: api.into(),
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
        }
    }

    #[test]
    fn round_trips_through_the_status_and_finds_stale_entries() {
        let old = Inventory::new([
            entry("v1", "ConfigMap", "web", "a"),
            entry("apps/v1", "Deployment", "web", "api"),
            entry("v1", "Namespace", "", "web"),
        ]);
        let (back, bad) = Inventory::from_status(&old.to_status());
        assert_eq!(back, old);
        assert!(bad.is_empty());
        let new = Inventory::new([
            entry("v1", "ConfigMap", "web", "a"),
            entry("v1", "Namespace", "", "web"),
        ]);
        assert_eq!(
            old.stale(&new),
            vec![entry("apps/v1", "Deployment", "web", "api")]
        );
        let (_, bad) = Inventory::from_status(&BTreeMap::from([(
            "v1".to_owned(),
            vec!["nonsense".to_owned()],
        )]));
        assert_eq!(bad, vec!["nonsense".to_owned()]);
    }
}
