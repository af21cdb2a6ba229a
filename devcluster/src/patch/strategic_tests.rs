//! Unit tests of strategic merge patch.

use serde_json::{Value, json};

use super::*;

fn smp(api_version: &str, kind: &str, live: Value, patch: Value) -> Result<Value, PatchError> {
    let mut target = live;
    strategic_merge_patch(&mut target, &patch, api_version, kind).map(|()| target)
}

fn deploy(live: Value, patch: Value) -> Value {
    smp("apps/v1", "Deployment", live, patch).unwrap()
}

fn pod_spec(spec: Value) -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
           "spec":{"template":{"spec":spec}}})
}

#[test]
fn configmap_client_side_apply_update_is_map_semantics() {
    let live = json!({"apiVersion":"v1","kind":"ConfigMap",
        "metadata":{"name":"applied","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"old\n"}},
        "data":{"a":"0","b":"2"}});
    let patch = json!({"data":{"a":"1","b":null},
        "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":1}\n"},"labels":{"app":"demo"}}});
    let out = smp("v1", "ConfigMap", live, patch).unwrap();
    assert_eq!(
        out,
        json!({"apiVersion":"v1","kind":"ConfigMap",
            "metadata":{"name":"applied","labels":{"app":"demo"},
                "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":1}\n"}},
            "data":{"a":"1"}})
    );
}

#[test]
fn containers_merge_by_name_and_keep_live_only_items() {
    let live = pod_spec(json!({"containers":[
        {"name":"app","image":"app:1","args":["a","b"]},
        {"name":"sidecar","image":"side:1"}]}));
    let out = deploy(
        live,
        pod_spec(json!({"containers":[{"name":"app","image":"app:2","args":["c"]}]})),
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"app","image":"app:2","args":["c"]},{"name":"sidecar","image":"side:1"}])
    );
}

#[test]
fn env_ports_and_volume_mounts_merge_by_their_keys() {
    let live = pod_spec(json!({"containers":[{"name":"app",
        "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
        "ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],
        "volumeMounts":[{"mountPath":"/a","name":"va"}]}]}));
    let patch = pod_spec(json!({"containers":[{"name":"app",
        "env":[{"name":"B","value":"3"},{"name":"C","value":"4"},{"name":"A","$patch":"delete"}],
        "ports":[{"containerPort":80,"protocol":"TCP"}],
        "volumeMounts":[{"mountPath":"/b","name":"vb"}]}]}));
    let out = deploy(live, patch);
    let c = &out["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["env"],
        json!([{"name":"B","value":"3"},{"name":"C","value":"4"}])
    );
    assert_eq!(
        c["ports"],
        json!([{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":443}])
    );
    // Without `$setElementOrder`, kube puts patch-only items before live-only ones.
    assert_eq!(
        c["volumeMounts"],
        json!([{"mountPath":"/b","name":"vb"},{"mountPath":"/a","name":"va"}])
    );
}

#[test]
fn kubectl_apply_removing_a_container_sends_set_element_order_and_delete() {
    let live = pod_spec(json!({"containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]}));
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"a"}],
        "containers":[{"$patch":"delete","name":"b"}]}}}});
    let out = deploy(live, patch);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"a","image":"a"}])
    );
}

#[test]
fn set_element_order_reorders_the_merged_list() {
    let live = pod_spec(json!({"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}));
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"c"},{"name":"b"},{"name":"a"}],
        "containers":[{"name":"b","image":"x"}]}}}});
    let out = deploy(live, patch);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"c"},{"name":"b","image":"x"},{"name":"a"}])
    );
}

#[test]
fn set_element_order_on_a_scalar_set() {
    let live = json!({"metadata":{"finalizers":["a","b"]}});
    let patch =
        json!({"metadata":{"$setElementOrder/finalizers":["c","b","a"],"finalizers":["c"]}});
    let out = smp("v1", "ConfigMap", live, patch).unwrap();
    assert_eq!(out, json!({"metadata":{"finalizers":["c","b","a"]}}));
}

#[test]
fn set_element_order_that_disagrees_with_the_patch_is_400() {
    let live = pod_spec(json!({"containers":[{"name":"a"},{"name":"b"}]}));
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"a"}],
        "containers":[{"name":"b","image":"x"}]}}}});
    let err = smp("apps/v1", "Deployment", live, patch).unwrap_err();
    assert_eq!(err.http_status(), 400, "{err}");
}

#[test]
fn patch_only_items_come_first_without_set_element_order() {
    // kube's mergeSortedSlice takes a patch item first unless both items are in the live list.
    let live = pod_spec(json!({"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}));
    let out = deploy(
        live,
        pod_spec(json!({"containers":[{"name":"d"},{"name":"a","image":"i"}]})),
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"d"},{"name":"a","image":"i"},{"name":"b"},{"name":"c"}])
    );
}

#[test]
fn lists_without_a_merge_key_are_replaced() {
    let live = pod_spec(json!({"tolerations":[{"key":"a","operator":"Exists"}],
        "containers":[{"name":"app","args":["x","y"],"envFrom":[{"configMapRef":{"name":"c"}}]}]}));
    let patch = pod_spec(json!({"tolerations":[{"key":"b","operator":"Exists"}],
        "containers":[{"name":"app","args":["z"],"envFrom":[]}]}));
    let out = deploy(live, patch);
    let spec = &out["spec"]["template"]["spec"];
    assert_eq!(
        spec["tolerations"],
        json!([{"key":"b","operator":"Exists"}])
    );
    assert_eq!(spec["containers"][0]["args"], json!(["z"]));
    assert_eq!(spec["containers"][0]["envFrom"], json!([]));
}

#[test]
fn volumes_image_pull_secrets_and_init_containers_merge_by_name() {
    let live = pod_spec(json!({"volumes":[{"name":"v1","emptyDir":{}}],
        "imagePullSecrets":[{"name":"s1"}],"initContainers":[{"name":"init","image":"i:1"}]}));
    let patch = pod_spec(
        json!({"volumes":[{"name":"v2","secret":{"secretName":"x"}}],
        "imagePullSecrets":[{"name":"s2"}],"initContainers":[{"name":"init","image":"i:2"}]}),
    );
    let spec = deploy(live, patch)["spec"]["template"]["spec"].clone();
    assert_eq!(
        spec,
        json!({"volumes":[{"name":"v2","secret":{"secretName":"x"}},{"name":"v1","emptyDir":{}}],
            "imagePullSecrets":[{"name":"s2"},{"name":"s1"}],
            "initContainers":[{"name":"init","image":"i:2"}]})
    );
}

#[test]
fn retain_keys_drops_unlisted_live_keys() {
    let live = json!({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}});
    let patch = json!({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}});
    let out = deploy(live, patch);
    assert_eq!(out, json!({"spec":{"strategy":{"type":"Recreate"}}}));
}

#[test]
fn retain_keys_that_omit_a_patched_key_is_400() {
    let live = json!({"spec":{"strategy":{"type":"RollingUpdate"}}});
    let patch =
        json!({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":2}}}});
    let err = smp("apps/v1", "Deployment", live, patch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid strategic merge patch: invalid patch format of retainKeys"
    );
    assert_eq!(err.http_status(), 400);
}

#[test]
fn patch_replace_in_a_map_replaces_it() {
    let live = json!({"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}});
    let patch = json!({"spec":{"selector":{"$patch":"replace","matchLabels":{"c":"3"}}}});
    assert_eq!(
        deploy(live, patch),
        json!({"spec":{"selector":{"matchLabels":{"c":"3"}}}})
    );
}

#[test]
fn patch_delete_in_a_map_empties_it() {
    let live = json!({"metadata":{"labels":{"a":"1"}},"data":{"x":"1"}});
    let patch = json!({"metadata":{"labels":{"$patch":"delete"}}});
    let out = smp("v1", "ConfigMap", live, patch).unwrap();
    assert_eq!(out, json!({"metadata":{"labels":{}},"data":{"x":"1"}}));
}

#[test]
fn patch_replace_in_a_keyed_list_replaces_it() {
    let live = pod_spec(json!({"containers":[{"name":"a","image":"a"},{"name":"b"}]}));
    let patch = pod_spec(json!({"containers":[{"name":"c"},{"$patch":"replace"}]}));
    let out = deploy(live, patch);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"c"}])
    );
}

#[test]
fn patch_merge_in_a_list_is_refused() {
    let live = pod_spec(json!({"containers":[{"name":"a"}]}));
    let patch = pod_spec(json!({"containers":[{"$patch":"merge"}]}));
    let err = smp("apps/v1", "Deployment", live, patch).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid strategic merge patch: merging lists cannot yet be specified in the patch"
    );
}

#[test]
fn an_unknown_map_directive_is_400() {
    let err = smp(
        "v1",
        "ConfigMap",
        json!({}),
        json!({"data":{"$patch":"frob"}}),
    )
    .unwrap_err();
    assert_eq!(err.http_status(), 400);
}

#[test]
fn an_item_without_its_merge_key_is_422() {
    let live = pod_spec(json!({"containers":[{"name":"a"}]}));
    let err = smp(
        "apps/v1",
        "Deployment",
        live,
        pod_spec(json!({"containers":[{"image":"x"}]})),
    )
    .unwrap_err();
    assert_eq!(err.http_status(), 422);
    assert_eq!(
        err.to_string(),
        "strategic merge patch does not apply: map: {\"image\":\"x\"} does not contain declared merge key: name"
    );
}

#[test]
fn finalizers_are_a_set_and_delete_from_primitive_list_removes() {
    let live = json!({"metadata":{"finalizers":["a","b"]}});
    let out = smp(
        "v1",
        "Secret",
        live.clone(),
        json!({"metadata":{"finalizers":["b","c"]}}),
    )
    .unwrap();
    assert_eq!(out, json!({"metadata":{"finalizers":["a","b","c"]}}));
    let out = smp(
        "v1",
        "Secret",
        live,
        json!({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}),
    )
    .unwrap();
    assert_eq!(out, json!({"metadata":{"finalizers":["b"]}}));
}

#[test]
fn owner_references_merge_by_uid() {
    let live = json!({"metadata":{"ownerReferences":[{"uid":"1","name":"a","kind":"K"}]}});
    let patch = json!({"metadata":{"ownerReferences":[{"uid":"2","name":"b","kind":"K"},{"uid":"1","name":"a2"}]}});
    let out = smp("events.k8s.io/v1", "Event", live, patch).unwrap();
    assert_eq!(
        out["metadata"]["ownerReferences"],
        json!([{"uid":"2","name":"b","kind":"K"},{"uid":"1","name":"a2","kind":"K"}])
    );
}

#[test]
fn service_ports_merge_by_port() {
    let live =
        json!({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}],"selector":{"a":"b"}}});
    let patch =
        json!({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":53,"protocol":"UDP"}]}});
    let out = smp("v1", "Service", live, patch).unwrap();
    assert_eq!(
        out["spec"]["ports"],
        json!([{"port":80,"targetPort":9090},{"port":53,"protocol":"UDP"},{"port":443}])
    );
    assert_eq!(out["spec"]["selector"], json!({"a":"b"}));
}

#[test]
fn status_conditions_merge_by_type() {
    let live = json!({"status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}});
    let patch = json!({"status":{"conditions":[{"type":"Available","status":"True"}]}});
    let out = deploy(live, patch);
    assert_eq!(
        out["status"]["conditions"],
        json!([{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}])
    );
}

#[test]
fn nulls_inside_new_values_are_dropped() {
    let out = smp(
        "v1",
        "ConfigMap",
        json!({}),
        json!({"metadata":{"labels":{"a":"1","b":null}}}),
    )
    .unwrap();
    assert_eq!(out, json!({"metadata":{"labels":{"a":"1"}}}));
    let live = pod_spec(json!({"containers":[{"name":"a"}]}));
    let out = deploy(
        live,
        pod_spec(
            json!({"containers":[{"name":"b","image":null,"env":[{"name":"X","value":null}]}]}),
        ),
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"b","env":[{"name":"X"}]},{"name":"a"}])
    );
}

#[test]
fn a_new_keyed_list_drops_delete_directives() {
    let out = deploy(
        json!({"spec":{}}),
        pod_spec(json!({"containers":[{"name":"a"},{"name":"z","$patch":"delete"}]})),
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"a"}])
    );
}

#[test]
fn custom_resources_get_415() {
    let err = smp("example.com/v1", "Widget", json!({}), json!({"spec":{}})).unwrap_err();
    assert_eq!(err.http_status(), 415);
    assert!(
        err.to_string()
            .starts_with("the body of the request was in an unknown format")
    );
}

#[test]
fn built_in_groups_without_a_table_entry_get_metadata_rules() {
    let live = json!({"metadata":{"finalizers":["a"]},"spec":{"holderIdentity":"x"}});
    let patch = json!({"metadata":{"finalizers":["b"]},"spec":{"holderIdentity":"y"}});
    let out = smp("coordination.k8s.io/v1", "Lease", live, patch).unwrap();
    assert_eq!(
        out,
        json!({"metadata":{"finalizers":["b","a"]},"spec":{"holderIdentity":"y"}})
    );
    assert!(
        smp(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            json!({}),
            json!({})
        )
        .is_ok()
    );
}

#[test]
fn a_non_object_patch_is_400() {
    let err = smp("v1", "ConfigMap", json!({}), json!([1])).unwrap_err();
    assert_eq!(err.http_status(), 400);
}

#[test]
fn type_changes_take_the_patch_value() {
    let out = smp(
        "v1",
        "ConfigMap",
        json!({"data":{"a":{"x":1}}}),
        json!({"data":{"a":"s"}}),
    )
    .unwrap();
    assert_eq!(out, json!({"data":{"a":"s"}}));
}

#[test]
fn kubectl_three_way_patch_for_a_deployment_applies() {
    let live = pod_spec(json!({"containers":[{"name":"app","image":"app:1",
        "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"resources":{}}]}));
    let patch = json!({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
        "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
            "containers":[{"$setElementOrder/env":[{"name":"A"}],"env":[{"$patch":"delete","name":"B"}],
                "image":"app:2","name":"app"}]}}}});
    let out = deploy(live, patch);
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name":"app","image":"app:2","env":[{"name":"A","value":"1"}],"resources":{}}])
    );
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        "{}\n"
    );
}

#[test]
fn retain_keys_inside_a_volume_switches_its_source() {
    let live = pod_spec(json!({"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]}));
    let patch = pod_spec(
        json!({"volumes":[{"$retainKeys":["configMap","name"],"configMap":{"name":"cm"},"name":"v"}]}),
    );
    let out = deploy(live, patch);
    assert_eq!(
        out["spec"]["template"]["spec"]["volumes"],
        json!([{"name":"v","configMap":{"name":"cm"}},{"name":"w","emptyDir":{}}])
    );
}

#[test]
fn set_element_order_for_a_list_the_object_lacks() {
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
        "containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]}}}});
    // The patch list disagrees with the order directive, which kube rejects.
    assert_eq!(
        smp("apps/v1", "Deployment", json!({}), patch)
            .unwrap_err()
            .http_status(),
        400
    );
    let patch = json!({"spec":{"template":{"spec":{
        "$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
        "containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]}}}});
    let out = smp("apps/v1", "Deployment", json!({}), patch).unwrap();
    assert_eq!(
        out,
        json!({"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]}}}})
    );
}

#[test]
fn a_failed_patch_leaves_the_object_untouched() {
    let live = pod_spec(json!({"containers":[{"name":"a"}]}));
    let mut target = live.clone();
    let patch = json!({"metadata":{"labels":{"x":"y"}},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}});
    assert!(strategic_merge_patch(&mut target, &patch, "apps/v1", "Deployment").is_err());
    assert_eq!(target, live);
}
