//! Scenario tests of server-side apply and update bookkeeping.

use serde_json::{Value, json};

use super::*;

const T1: &str = "2026-11-27T14:00:00Z";
const T2: &str = "2026-11-27T15:00:00Z";

fn params<'a>(
    manager: &'a str,
    api_version: &'a str,
    kind: &'a str,
    now: &'a str,
) -> ApplyParams<'a> {
    ApplyParams {
        manager,
        force: false,
        api_version,
        kind,
        now,
        subresource: None,
        reset: super::Reset::Nothing,
        crd_schema: None,
    }
}

fn cm_params<'a>(manager: &'a str, now: &'a str) -> ApplyParams<'a> {
    params(manager, "v1", "ConfigMap", now)
}

fn cm(data: Value) -> Value {
    json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"},"data":data})
}

/// Applies as `manager` without force.
fn apply_cm(live: Option<&Value>, data: Value, manager: &str) -> Result<Value, ApplyError> {
    apply(live, &cm(data), &cm_params(manager, T1))
}

fn fields_of(obj: &Value, manager: &str) -> Value {
    obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["manager"] == manager))
        .map_or(Value::Null, |e| e["fieldsV1"].clone())
}

fn conflict_text(err: ApplyError) -> String {
    assert_eq!(err.http_status(), 409);
    err.to_string()
}

#[test]
fn create_by_apply_records_an_apply_entry() {
    let applied = json!({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"c","namespace":"ns","labels":{"app":"demo"}},"data":{"a":"1","b":"2"}});
    let out = apply(None, &applied, &cm_params("kubectl", T1)).unwrap();
    assert_eq!(
        out,
        json!({"apiVersion":"v1","kind":"ConfigMap",
            "metadata":{"name":"c","namespace":"ns","labels":{"app":"demo"},
                "managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"v1",
                    "time":T1,"fieldsType":"FieldsV1",
                    "fieldsV1":{"f:data":{"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{"f:app":{}}}}}]},
            "data":{"a":"1","b":"2"}})
    );
}

#[test]
fn reapplying_without_a_field_removes_it() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "kubectl").unwrap();
    let v2 = apply(Some(&v1), &cm(json!({"a":"1"})), &cm_params("kubectl", T2)).unwrap();
    assert_eq!(v2["data"], json!({"a":"1"}));
    assert_eq!(fields_of(&v2, "kubectl"), json!({"f:data":{"f:a":{}}}));
    assert_eq!(v2["metadata"]["managedFields"][0]["time"], T2);
    // Dropping the last key drops the map, as kube's omitempty does.
    let v3 = apply(
        Some(&v2),
        &json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}),
        &cm_params("kubectl", T2),
    )
    .unwrap();
    assert!(v3.get("data").is_none(), "{v3}");
    assert!(v3["metadata"].get("managedFields").is_none(), "{v3}");
}

#[test]
fn a_co_owned_field_survives_removal_by_one_manager() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "first").unwrap();
    // Same value: no conflict, both own .data.a.
    let v2 = apply_cm(Some(&v1), json!({"a":"1"}), "second").unwrap();
    assert_eq!(
        fields_of(&v2, "first"),
        json!({"f:data":{"f:a":{},"f:b":{}}})
    );
    assert_eq!(fields_of(&v2, "second"), json!({"f:data":{"f:a":{}}}));
    let v3 = apply_cm(Some(&v2), json!({}), "first").unwrap();
    assert_eq!(v3["data"], json!({"a":"1"}));
    assert_eq!(fields_of(&v3, "second"), json!({"f:data":{"f:a":{}}}));
}

#[test]
fn changing_another_appliers_field_conflicts_with_kubes_message() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "other-manager").unwrap();
    let err = apply_cm(Some(&v1), json!({"a":"9"}), "kubectl").unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"other-manager\": .data.a"
    );
    let err = apply_cm(Some(&v1), json!({"a":"9","b":"9"}), "kubectl").unwrap_err();
    let ApplyError::Conflict { conflicts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        conflicts,
        &vec![
            Conflict {
                manager: "\"other-manager\"".into(),
                field: ".data.a".into()
            },
            Conflict {
                manager: "\"other-manager\"".into(),
                field: ".data.b".into()
            },
        ]
    );
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"other-manager\":\n- .data.a\n- .data.b"
    );
}

#[test]
fn conflicts_with_several_managers_are_grouped_by_sorted_manager() {
    let v1 = apply_cm(None, json!({"z":"1"}), "zeta").unwrap();
    let mut v2 = v1.clone();
    v2["data"]["a"] = json!("1");
    record_update(Some(&v1), &mut v2, &cm_params("alpha", T1));
    let err = apply_cm(Some(&v2), json!({"a":"2","z":"2"}), "kubectl").unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 2 conflicts: conflicts with \"alpha\" using v1:\n- .data.a\nconflicts with \"zeta\":\n- .data.z"
    );
}

#[test]
fn force_takes_ownership() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "other").unwrap();
    let mut p = cm_params("kubectl", T2);
    p.force = true;
    let v2 = apply(Some(&v1), &cm(json!({"a":"9"})), &p).unwrap();
    assert_eq!(v2["data"], json!({"a":"9","b":"2"}));
    assert_eq!(fields_of(&v2, "other"), json!({"f:data":{"f:b":{}}}));
    assert_eq!(fields_of(&v2, "kubectl"), json!({"f:data":{"f:a":{}}}));
    // The old owner now conflicts in turn.
    let err = apply_cm(Some(&v2), json!({"a":"1","b":"2"}), "other").unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"kubectl\": .data.a"
    );
}

#[test]
fn an_update_steals_ownership_and_the_old_applier_then_conflicts() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "kubectl").unwrap();
    let mut v2 = v1.clone();
    v2["data"]["a"] = json!("2");
    record_update(Some(&v1), &mut v2, &cm_params("kubectl-patch", T2));
    assert_eq!(fields_of(&v2, "kubectl"), json!({"f:data":{"f:b":{}}}));
    assert_eq!(
        fields_of(&v2, "kubectl-patch"),
        json!({"f:data":{"f:a":{}}})
    );
    let entry = v2["metadata"]["managedFields"][1].clone();
    assert_eq!(
        entry,
        json!({"manager":"kubectl-patch","operation":"Update","apiVersion":"v1","time":T2,
            "fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}})
    );
    let err = apply_cm(Some(&v2), json!({"a":"1","b":"2"}), "kubectl").unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"kubectl-patch\" using v1: .data.a"
    );
    // Re-applying what the updater wrote is no conflict and makes both owners.
    let v3 = apply_cm(Some(&v2), json!({"a":"2","b":"2"}), "kubectl").unwrap();
    assert_eq!(
        fields_of(&v3, "kubectl"),
        json!({"f:data":{"f:a":{},"f:b":{}}})
    );
    assert_eq!(
        fields_of(&v3, "kubectl-patch"),
        json!({"f:data":{"f:a":{}}})
    );
}

#[test]
fn update_entries_carry_dot_markers_for_new_maps() {
    let mut created = json!({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"c","namespace":"ns","uid":"u1","resourceVersion":"5",
            "creationTimestamp":"2026-11-27T13:00:00Z","labels":{"app":"x"}},
        "data":{"a":"1"}});
    record_update(None, &mut created, &cm_params("kubectl-create", T1));
    assert_eq!(
        created["metadata"]["managedFields"],
        json!([{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":T1,
            "fieldsType":"FieldsV1",
            "fieldsV1":{"f:data":{".":{},"f:a":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}}])
    );
}

#[test]
fn a_no_op_update_changes_no_entry() {
    let mut v1 = cm(json!({"a":"1"}));
    record_update(None, &mut v1, &cm_params("creator", T1));
    let mut v2 = v1.clone();
    v2["metadata"]["resourceVersion"] = json!("7");
    record_update(Some(&v1), &mut v2, &cm_params("other", T2));
    assert_eq!(
        v2["metadata"]["managedFields"],
        v1["metadata"]["managedFields"]
    );
}

#[test]
fn removed_fields_leave_every_set() {
    let v1 = apply_cm(None, json!({"a":"1","b":"2"}), "kubectl").unwrap();
    let mut v2 = v1.clone();
    v2["data"].as_object_mut().unwrap().remove("a");
    record_update(Some(&v1), &mut v2, &cm_params("kubectl-edit", T2));
    assert_eq!(fields_of(&v2, "kubectl"), json!({"f:data":{"f:b":{}}}));
    assert_eq!(fields_of(&v2, "kubectl-edit"), Value::Null);
}

#[test]
fn managed_fields_sent_with_an_update_replace_the_recorded_ones() {
    let v1 = apply_cm(None, json!({"a":"1"}), "kubectl").unwrap();
    let mut reset = v1.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    record_update(Some(&v1), &mut reset, &cm_params("kubectl-edit", T2));
    assert!(reset["metadata"].get("managedFields").is_none(), "{reset}");
    // Without managedFields in the body, the live ones are kept.
    let mut plain = v1.clone();
    plain["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    record_update(Some(&v1), &mut plain, &cm_params("kubectl-edit", T2));
    assert_eq!(
        plain["metadata"]["managedFields"],
        v1["metadata"]["managedFields"]
    );
}

#[test]
fn an_object_without_owners_is_owned_before_first_apply() {
    let live = cm(json!({"a":"1"}));
    let err = apply_cm(Some(&live), json!({"a":"2"}), "kubectl").unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a"
    );
    let out = apply_cm(Some(&live), json!({"a":"1","b":"2"}), "kubectl").unwrap();
    assert_eq!(
        fields_of(&out, "before-first-apply"),
        json!({"f:data":{".":{},"f:a":{}}})
    );
    assert_eq!(
        fields_of(&out, "kubectl"),
        json!({"f:data":{"f:a":{},"f:b":{}}})
    );
}

#[test]
fn server_managed_metadata_is_kept_and_never_owned() {
    let mut live = cm(json!({"a":"1"}));
    live["metadata"]["uid"] = json!("u1");
    live["metadata"]["resourceVersion"] = json!("10");
    live["metadata"]["generation"] = json!(1);
    live["metadata"]["creationTimestamp"] = json!("2026-11-27T13:00:00Z");
    record_update(None, &mut live, &cm_params("creator", T1));
    let mut applied = cm(json!({"a":"1"}));
    applied["metadata"]["resourceVersion"] = json!("10");
    let out = apply(Some(&live), &applied, &cm_params("kubectl", T2)).unwrap();
    for field in ["uid", "resourceVersion", "generation", "creationTimestamp"] {
        assert_eq!(out["metadata"][field], live["metadata"][field], "{field}");
    }
    assert_eq!(fields_of(&out, "kubectl"), json!({"f:data":{"f:a":{}}}));
    assert_eq!(
        fields_of(&out, "creator"),
        json!({"f:data":{".":{},"f:a":{}}})
    );
}

fn deployment(containers: Value) -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"ns","labels":{"app":"web"}},
        "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":containers}}}})
}

fn deploy_params(manager: &str) -> ApplyParams<'_> {
    params(manager, "apps/v1", "Deployment", T1)
}

#[test]
fn deployment_managed_fields_have_kubes_shape() {
    let applied =
        deployment(json!([{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80}]}]));
    let out = apply(None, &applied, &deploy_params("kubectl")).unwrap();
    // As a real kube-apiserver 1.32 records `kubectl apply --server-side` of this manifest.
    let expected: Value = serde_json::from_str(
        r#"[{"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2026-11-27T14:00:00Z",
            "fieldsType":"FieldsV1","fieldsV1":{
              "f:metadata":{"f:labels":{"f:app":{}}},
              "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{
                "f:metadata":{"f:labels":{"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},
                  "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}}}]"#,
    )
    .unwrap();
    assert_eq!(out["metadata"]["managedFields"], expected);
}

#[test]
fn containers_merge_by_name_and_dropped_items_are_removed_by_key() {
    let v1 = apply(
        None,
        &deployment(json!([{"name":"app","image":"app:1"},{"name":"sidecar","image":"side:1"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    // Another manager adds its own container and an env var to "app".
    let mut v2 = v1.clone();
    let containers = &mut v2["spec"]["template"]["spec"]["containers"];
    containers[0]["env"] = json!([{"name":"INJECTED","value":"1"}]);
    containers
        .as_array_mut()
        .unwrap()
        .push(json!({"name":"agent","image":"agent:1"}));
    record_update(Some(&v1), &mut v2, &deploy_params("injector"));
    assert_eq!(
        fields_of(&v2, "injector"),
        json!({"f:spec":{"f:template":{"f:spec":{"f:containers":{
            "k:{\"name\":\"agent\"}":{".":{},"f:image":{},"f:name":{}},
            "k:{\"name\":\"app\"}":{"f:env":{".":{},"k:{\"name\":\"INJECTED\"}":{".":{},"f:name":{},"f:value":{}}}}}}}}})
    );
    // kubectl re-applies without the sidecar and with a new image for app.
    let v3 = apply(
        Some(&v2),
        &deployment(json!([{"name":"app","image":"app:2"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    assert_eq!(
        v3["spec"]["template"]["spec"]["containers"],
        json!([{"name":"app","image":"app:2","env":[{"name":"INJECTED","value":"1"}]},
               {"name":"agent","image":"agent:1"}])
    );
}

#[test]
fn a_dropped_container_owned_in_part_by_an_updater_is_still_removed() {
    // kube removes a list item the applier owned when nobody else owns the item itself.
    let v1 = apply(
        None,
        &deployment(json!([{"name":"a"},{"name":"b"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    let mut v2 = v1.clone();
    v2["spec"]["template"]["spec"]["containers"][1]["image"] = json!("b:1");
    record_update(Some(&v1), &mut v2, &deploy_params("setter"));
    let v3 = apply(
        Some(&v2),
        &deployment(json!([{"name":"a"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    assert_eq!(
        v3["spec"]["template"]["spec"]["containers"],
        json!([{"name":"a"}])
    );
    assert_eq!(fields_of(&v3, "setter"), Value::Null);
}

#[test]
fn a_conflict_inside_a_list_item_names_the_item_key() {
    let v1 = apply(
        None,
        &deployment(json!([{"name":"app","image":"app:1"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    let err = apply(
        Some(&v1),
        &deployment(json!([{"name":"app","image":"app:2"}])),
        &deploy_params("ci"),
    )
    .unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.template.spec.containers[name=\"app\"].image"
    );
}

#[test]
fn atomic_lists_are_owned_and_replaced_whole() {
    let mut d = deployment(json!([{"name":"app","args":["a","b"]}]));
    let v1 = apply(None, &d, &deploy_params("kubectl")).unwrap();
    d["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["c"]);
    let v2 = apply(Some(&v1), &d, &deploy_params("kubectl")).unwrap();
    assert_eq!(
        v2["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["c"])
    );
    let f = fields_of(&v2, "kubectl");
    assert_eq!(
        f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]["f:args"],
        json!({})
    );
}

#[test]
fn finalizers_are_owned_per_value() {
    let mut a = cm(json!({}));
    a["metadata"]["finalizers"] = json!(["a.example.com/x"]);
    let v1 = apply(None, &a, &cm_params("one", T1)).unwrap();
    let mut b = cm(json!({}));
    b["metadata"]["finalizers"] = json!(["b.example.com/y"]);
    let v2 = apply(Some(&v1), &b, &cm_params("two", T1)).unwrap();
    assert_eq!(
        v2["metadata"]["finalizers"],
        json!(["a.example.com/x", "b.example.com/y"])
    );
    assert_eq!(
        fields_of(&v2, "two"),
        json!({"f:data":{},"f:metadata":{"f:finalizers":{"v:\"b.example.com/y\"":{}}}})
    );
    let v3 = apply(Some(&v2), &cm(json!({})), &cm_params("one", T1)).unwrap();
    assert_eq!(v3["metadata"]["finalizers"], json!(["b.example.com/y"]));
}

#[test]
fn status_subresource_entries_are_separate() {
    let v1 = apply(
        None,
        &deployment(json!([{"name":"a"}])),
        &deploy_params("kubectl"),
    )
    .unwrap();
    let mut v2 = v1.clone();
    v2["status"] = json!({"replicas":1,"conditions":[{"type":"Available","status":"True"}]});
    let mut p = deploy_params("controller");
    p.subresource = Some("status");
    record_update(Some(&v1), &mut v2, &p);
    let entry = v2["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "controller")
        .unwrap()
        .clone();
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        entry["fieldsV1"],
        json!({"f:status":{"f:conditions":{".":{},"k:{\"type\":\"Available\"}":{".":{},"f:status":{},"f:type":{}}},"f:replicas":{}}})
    );
    let mut applied = deployment(json!([{"name":"a"}]));
    applied["status"] = json!({"replicas":3});
    let err = apply(Some(&v2), &applied, &deploy_params("kubectl")).unwrap_err();
    assert_eq!(
        conflict_text(err),
        "Apply failed with 1 conflict: conflict with \"controller\" with subresource \"status\" using apps/v1: .status.replicas"
    );
}

#[test]
fn custom_resources_mark_new_objects_with_dots() {
    let mut obj = json!({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1}});
    record_update(
        None,
        &mut obj,
        &params("kubectl-create", "example.com/v1", "Widget", T1),
    );
    assert_eq!(
        fields_of(&obj, "kubectl-create"),
        json!({"f:spec":{".":{},"f:size":{}}})
    );
}

#[test]
fn invalid_configurations_are_400() {
    let p = cm_params("kubectl", T1);
    for (applied, message) in [
        (
            json!([1]),
            "invalid apply configuration: the applied configuration must be a JSON or YAML object",
        ),
        (
            json!({"apiVersion":"v1"}),
            "invalid apply configuration: Object 'Kind' is missing",
        ),
        (
            json!({"kind":"ConfigMap"}),
            "invalid apply configuration: Object 'apiVersion' is missing",
        ),
        (
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","managedFields":[{"manager":"x"}]}}),
            "invalid apply configuration: metadata.managedFields must be nil",
        ),
    ] {
        let err = apply(None, &applied, &p).unwrap_err();
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn nulls_in_the_configuration_are_ignored() {
    let v1 = apply_cm(None, json!({"a":"1"}), "kubectl").unwrap();
    let mut applied = cm(json!({"a":"1","b":null}));
    applied["metadata"]["creationTimestamp"] = Value::Null;
    let v2 = apply(Some(&v1), &applied, &cm_params("kubectl", T2)).unwrap();
    assert_eq!(v2["data"], json!({"a":"1"}));
    assert_eq!(v2["metadata"].get("creationTimestamp"), None);
}

#[test]
fn an_unchanged_reapply_keeps_the_time() {
    let v1 = apply_cm(None, json!({"a":"1"}), "kubectl").unwrap();
    let v2 = apply(Some(&v1), &cm(json!({"a":"1"})), &cm_params("kubectl", T2)).unwrap();
    assert_eq!(v2, v1);
}

#[test]
fn service_ports_are_keyed_by_port_and_protocol() {
    let svc = |ports: Value| json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"dns"},"spec":{"ports":ports}});
    let p = params("kubectl", "v1", "Service", T1);
    let v1 = apply(
        None,
        &svc(json!([{"port":53,"protocol":"UDP","name":"dns"},{"port":53,"name":"dns-tcp"}])),
        &p,
    )
    .unwrap();
    assert_eq!(
        fields_of(&v1, "kubectl"),
        json!({"f:spec":{"f:ports":{
            "k:{\"port\":53,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{}},
            "k:{\"port\":53,\"protocol\":\"UDP\"}":{".":{},"f:name":{},"f:port":{},"f:protocol":{}}}}})
    );
    let v2 = apply(
        Some(&v1),
        &svc(json!([{"port":53,"protocol":"UDP","name":"dns"}])),
        &p,
    )
    .unwrap();
    assert_eq!(
        v2["spec"]["ports"],
        json!([{"port":53,"protocol":"UDP","name":"dns"}])
    );
}

#[test]
fn a_deployment_created_by_update_has_kubes_dot_markers() {
    let mut created = deployment(json!([{"name":"nginx","image":"nginx","resources":{},
        "env":[{"name":"A","value":"1"}]}]));
    record_update(None, &mut created, &deploy_params("kubectl-create"));
    // As kube records `kubectl create deployment`: no "." on the Go structs (spec, template,
    // its metadata and spec) nor on `containers` (never omitted), but on new maps, lists
    // and list items, and on every object inside a new item.
    assert_eq!(
        fields_of(&created, "kubectl-create"),
        json!({"f:metadata":{"f:labels":{".":{},"f:app":{}}},
            "f:spec":{"f:replicas":{},"f:selector":{},"f:template":{
                "f:metadata":{"f:labels":{".":{},"f:app":{}}},
                "f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},
                    "f:env":{".":{},"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},
                    "f:image":{},"f:name":{},"f:resources":{}}}}}}})
    );
}
