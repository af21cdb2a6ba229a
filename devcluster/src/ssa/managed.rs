//! `metadata.managedFields`: decoding entries into field sets and encoding them back in
//! kube's shape and order.

use serde_json::{Map, Value};

use super::fieldset::FieldSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Operation {
    Apply,
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `managedFields` entry.
#[derive(Clone, Debug)]
pub(super) struct Entry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    pub set: FieldSet,
}

impl Entry {
    pub(super) fn new(
        manager: &str,
        operation: Operation,
        api_version: &str,
        subresource: Option<&str>,
    ) -> Entry {
        Entry {
            manager: manager.to_owned(),
            operation,
            api_version: api_version.to_owned(),
            time: None,
            subresource: subresource.map(str::to_owned),
            set: FieldSet::default(),
        }
    }

    /// Whether `self` and `other` are the same manager (kube's `BuildManagerIdentifier`: the
    /// name, operation and subresource, plus the API version for Update entries).
    pub(super) fn same_manager(&self, other: &Entry) -> bool {
        self.identifier() == other.identifier()
    }

    /// kube's manager identifier: the entry's JSON without time and fields, and without the
    /// API version for an Apply entry.
    pub(super) fn identifier(&self) -> String {
        let mut out = format!(
            "{{\"manager\":{},\"operation\":\"{}\"",
            Value::String(self.manager.clone()),
            self.operation.as_str()
        );
        if self.operation == Operation::Update {
            out.push_str(&format!(
                ",\"apiVersion\":{}",
                Value::String(self.api_version.clone())
            ));
        }
        if let Some(sub) = &self.subresource {
            out.push_str(&format!(",\"subresource\":{}", Value::String(sub.clone())));
        }
        out.push('}');
        out
    }

    /// The manager as a conflict message names it (kube's `printManager` of the identifier,
    /// which carries no time): `"name"`, `"name" using v1`, `"name" with subresource "status"`.
    pub(super) fn describe(&self) -> String {
        let mut out = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            out.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.operation == Operation::Update {
            out.push_str(&format!(" using {}", self.api_version));
        }
        out
    }

    fn decode(v: &Value) -> Option<Entry> {
        let operation = match v.get("operation")?.as_str()? {
            "Apply" => Operation::Apply,
            "Update" => Operation::Update,
            _ => return None,
        };
        let text = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(Entry {
            manager: text("manager").unwrap_or_default(),
            operation,
            api_version: text("apiVersion").unwrap_or_default(),
            time: text("time"),
            subresource: text("subresource").filter(|s| !s.is_empty()),
            set: v
                .get("fieldsV1")
                .map(FieldSet::from_fields_v1)
                .unwrap_or_default(),
        })
    }

    fn encode(&self) -> Value {
        let mut map = Map::new();
        map.insert("manager".into(), Value::String(self.manager.clone()));
        map.insert(
            "operation".into(),
            Value::String(self.operation.as_str().into()),
        );
        map.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        if let Some(time) = &self.time {
            map.insert("time".into(), Value::String(time.clone()));
        }
        map.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        map.insert("fieldsV1".into(), self.set.to_fields_v1());
        if let Some(sub) = &self.subresource {
            map.insert("subresource".into(), Value::String(sub.clone()));
        }
        Value::Object(map)
    }
}

/// The entries of `obj.metadata.managedFields`; malformed entries are skipped, as kube resets
/// managed fields it cannot decode.
pub(super) fn decode(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| entries.iter().filter_map(Entry::decode).collect())
        .unwrap_or_default()
}

/// Whether `obj` carries a `managedFields` list of one empty entry: kube's request to reset.
pub(super) fn is_reset_request(obj: &Value) -> bool {
    matches!(
        obj.pointer("/metadata/managedFields").and_then(Value::as_array).map(Vec::as_slice),
        Some([Value::Object(only)]) if only.is_empty()
    )
}

/// Writes `entries` (empty sets dropped) into `obj.metadata.managedFields`, sorted as kube sorts
/// them: Apply before Update, then by time, manager, API version and subresource.
pub(super) fn encode_into(obj: &mut Value, entries: &[Entry]) {
    let mut kept: Vec<&Entry> = entries.iter().filter(|e| !e.set.is_empty()).collect();
    kept.sort_by(|a, b| {
        (
            a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    let Some(Value::Object(meta)) = obj.get_mut("metadata") else {
        return;
    };
    if kept.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert(
            "managedFields".into(),
            Value::Array(kept.iter().map(|e| e.encode()).collect()),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn managers_are_described_as_kube_prints_them() {
        let apply = Entry::new("kubectl", Operation::Apply, "v1", None);
        assert_eq!(apply.describe(), "\"kubectl\"");
        assert_eq!(
            apply.identifier(),
            r#"{"manager":"kubectl","operation":"Apply"}"#
        );
        let update = Entry::new("kubectl-edit", Operation::Update, "apps/v1", None);
        assert_eq!(update.describe(), "\"kubectl-edit\" using apps/v1");
        assert_eq!(
            update.identifier(),
            r#"{"manager":"kubectl-edit","operation":"Update","apiVersion":"apps/v1"}"#
        );
        let status = Entry::new("ctrl", Operation::Update, "v1", Some("status"));
        assert_eq!(
            status.describe(),
            "\"ctrl\" with subresource \"status\" using v1"
        );
    }

    #[test]
    fn entries_round_trip_in_kube_order() {
        let mut obj = json!({"metadata":{"managedFields":[
            {"manager":"b","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:00Z",
             "fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:x":{}}}},
            {"manager":"a","operation":"Apply","apiVersion":"v1","time":"2026-01-02T00:00:00Z",
             "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:y":{}}}},
            {"manager":"bad","operation":"Frob"}]}});
        let entries = decode(&obj);
        assert_eq!(entries.len(), 2);
        encode_into(&mut obj, &entries);
        assert_eq!(
            obj["metadata"]["managedFields"],
            json!([
                {"manager":"a","operation":"Apply","apiVersion":"v1","time":"2026-01-02T00:00:00Z",
                 "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:y":{}}}},
                {"manager":"b","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:00Z",
                 "fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:x":{}}}}])
        );
    }

    #[test]
    fn a_single_empty_entry_asks_for_a_reset() {
        assert!(is_reset_request(
            &json!({"metadata":{"managedFields":[{}]}})
        ));
        assert!(!is_reset_request(&json!({"metadata":{"managedFields":[]}})));
    }
}
