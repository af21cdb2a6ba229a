//! Vectors from an independent implementation: `testdata/smd_vectors.json` holds scenarios
//! (`testdata/make_scenarios.py`) whose expected objects, field sets and conflicts were computed
//! by the real structured-merge-diff library (Debian's golang-k8s-sigs-structured-merge-diff-dev
//! 4.1.2) with kube-apiserver's thin layers on top (`testdata/smdgen.go.txt`, run as
//! `GO111MODULE=off GOPATH=/usr/share/gocode:<dir> go run smdgen < scenarios.json`).
//! Objects of built-in kinds are compared without empty maps and lists, which Go's `omitempty`
//! drops; custom resources (scenarios with a `crdSchema`, passed as
//! [`ApplyParams::crd_schema`]) are compared as they are. Debian's 4.1.2 predates the list order
//! of kube 1.32's structured-merge-diff, which `walk::merge` ports; scenarios marked `unordered`
//! compare lists without item order.
//!
//! A step's `reset` is the write's reset fields: `"status"` (the main endpoint of a kind with a
//! status subresource, [`Reset::Status`]) or `"allButStatus"` (a write to `/status`,
//! [`Reset::AllButStatus`]; the generator ignores `spec`, `metadata.labels` and
//! `metadata.annotations`). The generator also resets their values afterwards, as the
//! strategies' `PrepareForUpdate` do; [`apply`] does that itself by not applying them, and for
//! [`record_update`] this driver does it first, as devcluster's store does before recording.

use serde_json::{Map, Value};

use super::*;

fn omit_empty(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k, omit_empty(v)))
                .filter(|(_, v)| {
                    !matches!(v, Value::Object(m) if m.is_empty())
                        && !matches!(v, Value::Array(a) if a.is_empty())
                })
                .map(|(k, v)| (k.clone(), v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(omit_empty).collect()),
        scalar => scalar.clone(),
    }
}

/// `v` with every list sorted, for scenarios whose item order the old library got differently.
fn sorted_lists(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), sorted_lists(v)))
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(sorted_lists).collect();
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        scalar => scalar.clone(),
    }
}

/// The live object as the vectors show it (without empty maps and lists when `go_structs`), and
/// its managers' field sets by name.
fn observed(live: &Value, go_structs: bool) -> (Value, Map<String, Value>) {
    let mut obj = live.clone();
    let entries = obj["metadata"]
        .as_object_mut()
        .and_then(|m| m.remove("managedFields"));
    let managers = entries
        .and_then(|e| e.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_owned(),
                e["fieldsV1"].clone(),
            )
        })
        .collect();
    let obj = if go_structs { omit_empty(&obj) } else { obj };
    (obj, managers)
}

/// The step's reset fields, by the vector's `reset`.
fn reset_of(step: &Value) -> Result<Reset, String> {
    match step["reset"].as_str() {
        None => Ok(Reset::Nothing),
        Some("status") => Ok(Reset::Status),
        Some("allButStatus") => Ok(Reset::AllButStatus),
        Some(other) => Err(format!("unknown reset {other:?}")),
    }
}

/// `new` with the live values of the reset fields, as the strategies' `PrepareForUpdate` (and
/// devcluster's store before `record_update`) leave it.
fn reset_values(reset: Reset, live: Option<&Value>, new: &mut Value) {
    let empty = Map::new();
    let live = live.and_then(Value::as_object).unwrap_or(&empty);
    let Some(obj) = new.as_object_mut() else {
        return;
    };
    let keep =
        |dst: &mut Map<String, Value>, src: &Map<String, Value>, key: &str| match src.get(key) {
            Some(v) => {
                dst.insert(key.to_owned(), v.clone());
            }
            None => {
                dst.remove(key);
            }
        };
    match reset {
        Reset::Nothing => {}
        Reset::Status => keep(obj, live, "status"),
        Reset::AllButStatus => {
            let keys: Vec<String> = live.keys().chain(obj.keys()).cloned().collect();
            for key in keys {
                if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
                    keep(obj, live, &key);
                }
            }
            let live_meta = live
                .get("metadata")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
                keep(meta, live_meta, "labels");
                keep(meta, live_meta, "annotations");
            }
        }
    }
}

/// Runs one scenario; returns a description of every step that disagrees with the vector.
fn run(scenario: &Value) -> Vec<String> {
    let name = scenario["name"].as_str().unwrap_or_default();
    let (api_version, kind) = match scenario["kind"].as_str() {
        Some("configmap") => ("v1", "ConfigMap"),
        Some("deployment") => ("apps/v1", "Deployment"),
        Some("widget") => ("example.com/v1", "Widget"),
        other => return vec![format!("{name}: unknown kind {other:?}")],
    };
    let crd_schema = scenario.get("crdSchema");
    if (kind == "Widget") != crd_schema.is_some() {
        return vec![format!(
            "{name}: a custom resource needs a crdSchema, and only it"
        )];
    }
    let mut failures = Vec::new();
    let mut live: Option<Value> = None;
    for (i, step) in scenario["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let reset = match reset_of(step) {
            Ok(reset) => reset,
            Err(e) => {
                failures.push(format!("{name}, step {i}: {e}"));
                continue;
            }
        };
        let params = ApplyParams {
            manager: step["manager"].as_str().unwrap_or_default(),
            force: step["force"].as_bool().unwrap_or(false),
            api_version,
            kind,
            now: "2026-11-27T14:00:00Z",
            subresource: (reset == Reset::AllButStatus).then_some("status"),
            reset,
            crd_schema,
        };
        let expect = &step["expect"];
        let mut fail = |what: String| failures.push(format!("{name}, step {i}: {what}"));
        let want_conflicts: Vec<String> = expect["conflicts"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        match step["op"].as_str() {
            Some("apply") => match apply(live.as_ref(), &step["object"], &params) {
                Ok(obj) if want_conflicts.is_empty() => live = Some(obj),
                Ok(_) => fail(format!("expected conflicts {want_conflicts:?}, got none")),
                Err(ApplyError::Conflict { conflicts }) => {
                    let mut got: Vec<String> = conflicts
                        .iter()
                        .map(|c| {
                            format!(
                                "{} {}",
                                c.manager.split('"').nth(1).unwrap_or_default(),
                                c.field
                            )
                        })
                        .collect();
                    got.sort();
                    if got != want_conflicts {
                        fail(format!("conflicts {got:?}, want {want_conflicts:?}"));
                    }
                }
                Err(e) => fail(format!("unexpected error {e}")),
            },
            Some("update") => {
                let mut new = step["object"].clone();
                reset_values(reset, live.as_ref(), &mut new);
                record_update(live.as_ref(), &mut new, &params);
                live = Some(new);
            }
            other => fail(format!("unknown op {other:?}")),
        }
        let (obj, managers) = observed(live.as_ref().unwrap_or(&Value::Null), crd_schema.is_none());
        let (obj, want_obj) = if scenario["unordered"] == true {
            (sorted_lists(&obj), sorted_lists(&expect["object"]))
        } else {
            (obj, expect["object"].clone())
        };
        if obj != want_obj {
            fail(format!("object\n  got  {obj}\n  want {want_obj}"));
        }
        let want_managers = expect["managers"].as_object().cloned().unwrap_or_default();
        if managers != want_managers {
            fail(format!(
                "managers\n  got  {}\n  want {}",
                Value::Object(managers),
                Value::Object(want_managers)
            ));
        }
    }
    failures
}

#[test]
fn structured_merge_diff_vectors_agree() {
    let scenarios: Vec<Value> = serde_json::from_str(include_str!("testdata/smd_vectors.json"))
        .expect("the vector file is JSON");
    assert!(
        scenarios.len() >= 24,
        "too few vectors: {}",
        scenarios.len()
    );
    let failures: Vec<String> = scenarios.iter().flat_map(run).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
