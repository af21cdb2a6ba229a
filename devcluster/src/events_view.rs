//! core v1 Events and events.k8s.io/v1 Events are one store, as in kube-apiserver: objects are
//! kept in the core v1 shape (under the core `events` key, one resourceVersion sequence) and
//! converted field by field when read, written or watched through events.k8s.io/v1.

use crate::registry::ResourceType;
use serde_json::{Map, Value};

/// events.k8s.io/v1 field ⇔ core v1 field; every other field has the same name in both.
const RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// True for the events.k8s.io/v1 view of the shared Event store.
pub fn is_events_view(rt: &ResourceType) -> bool {
    rt.is_builtin() && rt.group == "events.k8s.io" && rt.plural == "events"
}

fn rename(obj: &Value, api_version: &str, to_core: bool) -> Value {
    let Some(map) = obj.as_object() else {
        return obj.clone();
    };
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        let renamed = RENAMES.iter().find_map(|(events, core)| {
            let (from, to) = if to_core {
                (events, core)
            } else {
                (core, events)
            };
            (k == from).then_some(*to)
        });
        out.insert(renamed.unwrap_or(k).to_string(), v.clone());
    }
    out.insert("apiVersion".into(), Value::from(api_version));
    out.insert("kind".into(), Value::from("Event"));
    Value::Object(out)
}

/// An events.k8s.io/v1 Event as the core v1 Event it is stored as.
pub fn to_core(obj: &Value) -> Value {
    rename(obj, "v1", true)
}

/// A stored core v1 Event as events.k8s.io/v1 serves it.
pub fn to_events(obj: &Value) -> Value {
    rename(obj, "events.k8s.io/v1", false)
}

/// A field selector written against events.k8s.io/v1 fields, in core v1 field names
/// (`regarding.name=x` → `involvedObject.name=x`).
pub fn selector_to_core(selector: &str) -> String {
    selector
        .split(',')
        .map(|req| {
            let req = req.trim();
            let (head, tail) = match req.find(['.', '=', '!']) {
                Some(i) => req.split_at(i),
                None => (req, ""),
            };
            let head = RENAMES
                .iter()
                .find(|(events, _)| *events == head)
                .map_or(head, |(_, core)| core);
            format!("{head}{tail}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_between_the_two_shapes() {
        let modern = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "e", "namespace": "default"},
            "regarding": {"kind": "Pod", "name": "p", "uid": "u"}, "note": "hello",
            "reason": "Started", "type": "Normal", "action": "Start",
            "reportingController": "ctl", "reportingInstance": "i-1",
            "eventTime": "2026-01-01T00:00:00.000000Z", "series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"},
            "deprecatedSource": {"component": "ctl"}, "deprecatedCount": 3,
            "deprecatedFirstTimestamp": "2026-01-01T00:00:00Z", "deprecatedLastTimestamp": "2026-01-01T00:00:02Z",
            "related": {"kind": "Node", "name": "n"}});
        let core = to_core(&modern);
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["reportingComponent"], "ctl");
        assert_eq!(core["source"]["component"], "ctl");
        assert_eq!(core["count"], 3);
        assert_eq!(core["firstTimestamp"], "2026-01-01T00:00:00Z");
        assert_eq!(core["lastTimestamp"], "2026-01-01T00:00:02Z");
        assert_eq!(core["series"]["count"], 2);
        assert!(core.get("regarding").is_none() && core.get("note").is_none());
        assert_eq!(to_events(&core), modern);
    }

    #[test]
    fn selectors_use_core_names() {
        assert_eq!(
            selector_to_core("regarding.name=p, reportingController!=x,type=Normal,note==hi"),
            "involvedObject.name=p,reportingComponent!=x,type=Normal,message==hi"
        );
    }
}
