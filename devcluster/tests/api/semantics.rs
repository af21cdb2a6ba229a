//! The object semantics controllers rely on, each as kube-apiserver 1.32 answers: reset fields
//! in server-side apply, CRD list types, ObjectMeta rules, Secret and ConfigMap validation,
//! immutable fields with their causes, generation, and the workload simulation.

use super::{causes_of, code, json_req, start};
use devcluster::DevCluster;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};
use std::time::Duration;

fn managers(obj: &Value) -> Vec<(String, Value)> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["manager"].as_str().unwrap_or_default().to_string(),
                m["fieldsV1"].clone(),
            )
        })
        .collect()
}

fn deployment(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
}

#[tokio::test]
async fn status_is_a_reset_field_of_the_main_endpoint_and_spec_of_status() {
    let (_cluster, client) = start().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let mut with_status = deployment(2);
    with_status["status"] = json!({"replicas": 7});
    let applied = api
        .patch(
            "web",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&with_status),
        )
        .await
        .expect("applied");
    let v = serde_json::to_value(&applied).expect("json");
    let gitops = &managers(&v)[0].1;
    assert!(
        gitops.get("f:status").is_none(),
        "the main endpoint owns no status: {gitops}"
    );
    assert!(v.get("status").is_none_or(|s| s.get("replicas").is_none()));

    // A status writer applies a spec too: it owns only status, and does not conflict.
    let mut status_apply = deployment(5);
    status_apply["status"] = json!({"replicas": 2, "readyReplicas": 2});
    let after = api
        .patch_status(
            "web",
            &PatchParams::apply("rollout-controller"),
            &Patch::Apply(&status_apply),
        )
        .await
        .expect("status apply without conflict");
    let v = serde_json::to_value(&after).expect("json");
    assert_eq!(v["spec"]["replicas"], 2, "spec is reset on /status");
    assert_eq!(v["status"]["readyReplicas"], 2);
    let (_, status_fields) = managers(&v)
        .into_iter()
        .find(|(m, _)| m == "rollout-controller")
        .expect("status manager");
    assert!(status_fields.get("f:spec").is_none(), "{status_fields}");
    assert!(status_fields.get("f:status").is_some(), "{status_fields}");

    // The spec owner re-applies a different status: still no conflict, no ownership.
    with_status["status"] = json!({"replicas": 1});
    api.patch(
        "web",
        &PatchParams::apply("gitops"),
        &Patch::Apply(&with_status),
    )
    .await
    .expect("no conflict on status");
}

const LIST_CRD: &str = r#"{
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "gadgets.example.com"},
  "spec": {"group": "example.com", "scope": "Namespaced",
    "names": {"plural": "gadgets", "kind": "Gadget"},
    "versions": [{"name": "v1", "served": true, "storage": true,
      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
          "ports": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {
              "name": {"type": "string"}, "port": {"type": "integer"}}}},
          "args": {"type": "array", "items": {"type": "string"}}}}}}}}]}}"#;

async fn gadgets(client: &Client) -> Api<DynamicObject> {
    let crds: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let crd: DynamicObject = serde_json::from_str(LIST_CRD).expect("crd");
    crds.create(&PostParams::default(), &crd)
        .await
        .expect("crd created");
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.com", "v1", "Gadget"),
        "gadgets",
    );
    Api::namespaced_with(client.clone(), "default", &ar)
}

fn gadget(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": spec})
}

#[tokio::test]
async fn crd_list_types_drive_server_side_apply() {
    let (_cluster, client) = start().await;
    let api = gadgets(&client).await;
    let a = gadget(json!({"ports": [{"name": "http", "port": 80}], "args": ["--a"]}));
    api.patch("g", &PatchParams::apply("team-a"), &Patch::Apply(&a))
        .await
        .expect("a applies");
    let b = gadget(json!({"ports": [{"name": "metrics", "port": 9090}]}));
    let merged = api
        .patch("g", &PatchParams::apply("team-b"), &Patch::Apply(&b))
        .await
        .expect("b applies another item of the map-list");
    let ports = merged.data["spec"]["ports"]
        .as_array()
        .expect("ports")
        .clone();
    let names: Vec<&str> = ports.iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["http", "metrics"], "both managers keep their items");
    let v = serde_json::to_value(&merged).expect("json");
    let b_fields = &managers(&v)
        .into_iter()
        .find(|(m, _)| m == "team-b")
        .expect("b")
        .1;
    assert!(
        b_fields
            .pointer("/f:spec/f:ports/k:{\"name\":\"metrics\"}")
            .is_some(),
        "{b_fields}"
    );

    // `args` has no list type: atomic, so a different list conflicts.
    let c = gadget(json!({"args": ["--c"]}));
    let err = api
        .patch("g", &PatchParams::apply("team-c"), &Patch::Apply(&c))
        .await
        .expect_err("atomic list conflict");
    assert_eq!(code(&err), (409, "Conflict".into()));
}

#[tokio::test]
async fn a_put_without_resource_version_is_refused_where_upstream_refuses_it() {
    let (_cluster, client) = start().await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
    let lease: Lease = serde_json::from_value(json!({"metadata": {"name": "l"},
        "spec": {"holderIdentity": "a"}}))
    .expect("lease");
    leases
        .create(&PostParams::default(), &lease)
        .await
        .expect("created");
    let (status, causes) = causes_of(
        &client,
        json_req(
            "PUT",
            "/apis/coordination.k8s.io/v1/namespaces/default/leases/l",
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": "l"}, "spec": {"holderIdentity": "b"}}),
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        causes,
        [(
            "metadata.resourceVersion".into(),
            "FieldValueInvalid".into()
        )]
    );

    // ConfigMaps allow an unconditional update.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    cms.create(&PostParams::default(), &super::cm("c", json!({"a": "1"})))
        .await
        .expect("created");
    cms.replace(
        "c",
        &PostParams::default(),
        &super::cm("c", json!({"a": "2"})),
    )
    .await
    .expect("unconditional update of a ConfigMap");
}

#[tokio::test]
async fn objectmeta_rules() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let owner = |n: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "name": n,
        "uid": format!("uid-{n}"), "controller": true})
    };
    let two: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "two",
        "ownerReferences": [owner("a"), owner("b")]}}))
    .expect("cm");
    let err = cms
        .create(&PostParams::default(), &two)
        .await
        .expect_err("two controllers");
    assert_eq!(code(&err), (422, "Invalid".into()));

    let held: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "held",
        "finalizers": ["example.com/a"]}}))
    .expect("cm");
    cms.create(&PostParams::default(), &held)
        .await
        .expect("created");
    cms.delete("held", &DeleteParams::default())
        .await
        .expect("deleting");
    let (status, causes) = causes_of(
        &client,
        json_req(
            "PATCH",
            "/api/v1/namespaces/default/configmaps/held",
            json!({"metadata": {"finalizers": ["example.com/a", "example.com/b"]}}),
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        causes,
        [("metadata.finalizers".into(), "FieldValueForbidden".into())]
    );

    // An apply whose body names another object than the URL.
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}});
    let err = cms
        .patch("held", &PatchParams::apply("x"), &Patch::Apply(&other))
        .await
        .expect_err("name mismatch");
    assert_eq!(code(&err).0, 400);
}

#[tokio::test]
async fn secret_and_configmap_validation() {
    let (_cluster, client) = start().await;
    let base = "/api/v1/namespaces/default";
    let (status, causes) = causes_of(
        &client,
        json_req(
            "POST",
            &format!("{base}/secrets"),
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA=="}}),
        ),
    )
    .await;
    assert_eq!(
        (status, causes),
        (
            422,
            vec![("data[tls.key]".into(), "FieldValueRequired".into())]
        )
    );

    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let opaque: Secret = serde_json::from_value(json!({"metadata": {"name": "s"},
        "stringData": {"password": "hunter2"}}))
    .expect("secret");
    secrets
        .create(&PostParams::default(), &opaque)
        .await
        .expect("created");
    let (status, causes) = causes_of(
        &client,
        json_req(
            "PATCH",
            &format!("{base}/secrets/s"),
            json!({"type": "kubernetes.io/basic-auth"}),
        ),
    )
    .await;
    assert_eq!(
        (status, causes),
        (422, vec![("type".into(), "FieldValueInvalid".into())])
    );

    let (status, causes) = causes_of(
        &client,
        json_req(
            "POST",
            &format!("{base}/configmaps"),
            json!({"apiVersion": "v1",
            "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"a": "1", "bad key": "2"}, "binaryData": {"a": "MQ=="}}),
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        causes,
        [
            ("data[bad key]".to_string(), "FieldValueInvalid".to_string()),
            ("binaryData".to_string(), "FieldValueInvalid".to_string()),
        ]
    );

    let big = "x".repeat(1024 * 1024 + 1);
    let (status, causes) = causes_of(
        &client,
        json_req(
            "POST",
            &format!("{base}/configmaps"),
            json!({"apiVersion": "v1",
            "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"a": big}}),
        ),
    )
    .await;
    assert_eq!(
        (status, causes),
        (422, vec![("".into(), "FieldValueTooLong".into())])
    );
}

#[tokio::test]
async fn configmaps_and_secrets_have_no_generation() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let c = cms
        .create(&PostParams::default(), &super::cm("c", json!({"a": "1"})))
        .await
        .expect("created");
    assert_eq!(c.metadata.generation, None);
    let d: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let d = d
        .patch(
            "web",
            &PatchParams::apply("t"),
            &Patch::Apply(&deployment(1)),
        )
        .await
        .expect("deployment");
    assert_eq!(d.metadata.generation, Some(1));
}

#[tokio::test]
async fn immutable_fields_name_their_field() {
    let (_cluster, client) = start().await;
    let base = "/apis/batch/v1/namespaces/default/jobs";
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "m", "image": "migrate:1"}]}}}});
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let created = jobs
        .patch(
            "migrate",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&job),
        )
        .await
        .expect("job");
    let uid = created.metadata.uid.clone().expect("uid");
    assert_eq!(
        created
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .and_then(|s| s.match_labels.clone()),
        Some([("batch.kubernetes.io/controller-uid".to_string(), uid)].into())
    );
    // Re-applying the same manifest is a no-op, not an immutable-field error.
    jobs.patch(
        "migrate",
        &PatchParams::apply("gitops"),
        &Patch::Apply(&job),
    )
    .await
    .expect("idempotent re-apply");
    let (status, causes) = causes_of(
        &client,
        json_req(
            "PATCH",
            &format!("{base}/migrate"),
            json!({"spec": {"template": {"spec": {
            "containers": [{"name": "m", "image": "migrate:2"}]}}}}),
        ),
    )
    .await;
    assert_eq!(
        (status, causes),
        (
            422,
            vec![("spec.template".into(), "FieldValueInvalid".into())]
        )
    );

    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "default");
    let set = |claim: &str| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"}, "spec": {"serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": claim},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}}}]}})
    };
    sts.patch(
        "db",
        &PatchParams::apply("gitops"),
        &Patch::Apply(&set("data")),
    )
    .await
    .expect("statefulset");
    let err = sts
        .patch(
            "db",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&set("pgdata")),
        )
        .await
        .expect_err("claim templates are immutable");
    assert_eq!(code(&err), (422, "Invalid".into()));

    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "default");
    let claim = |class: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"}, "spec": {"storageClassName": class,
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    };
    pvcs.patch(
        "data",
        &PatchParams::apply("gitops"),
        &Patch::Apply(&claim("fast")),
    )
    .await
    .expect("pvc");
    let (status, causes) = causes_of(
        &client,
        json_req(
            "PATCH",
            "/api/v1/namespaces/default/persistentvolumeclaims/data",
            json!({"spec": {"storageClassName": "slow"}}),
        ),
    )
    .await;
    assert_eq!(
        (status, causes),
        (422, vec![("spec".into(), "FieldValueForbidden".into())])
    );
}

async fn condition(api: &Api<Job>, name: &str) -> Option<(String, String)> {
    for _ in 0..100 {
        let job = api.get(name).await.expect("job");
        let found = job.status.and_then(|s| s.conditions).and_then(|cs| {
            cs.into_iter()
                .find(|c| c.type_ == "Complete" || c.type_ == "Failed")
                .map(|c| (c.type_, c.reason.unwrap_or_default()))
        });
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn simulated_jobs_complete_fail_or_hang_on_request() {
    let cluster = DevCluster::builder()
        .simulate_workloads(true)
        .start()
        .await
        .expect("devcluster");
    let client = cluster.client().expect("client");
    let jobs: Api<Job> = Api::namespaced(client.clone(), "default");
    let job = |name: &str, image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name}, "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "m", "image": image}]}}}})
    };
    for (name, image) in [
        ("ok", "migrate:1"),
        ("bad", "migrate:fail"),
        ("stuck", "migrate:hang"),
    ] {
        jobs.patch(
            name,
            &PatchParams::apply("t"),
            &Patch::Apply(&job(name, image)),
        )
        .await
        .expect("job");
    }
    assert_eq!(
        condition(&jobs, "ok").await,
        Some(("Complete".into(), "CompletionsReached".into()))
    );
    assert_eq!(
        condition(&jobs, "bad").await,
        Some(("Failed".into(), "BackoffLimitExceeded".into()))
    );
    let stuck = jobs.get("stuck").await.expect("job");
    assert_eq!(stuck.status.and_then(|s| s.active), Some(1));
}

async fn events_with_reason(client: &Client, ns: &str, reason: &str) -> Vec<Value> {
    let events: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        ns,
        &ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Event"), "events"),
    );
    events
        .list(&Default::default())
        .await
        .expect("events")
        .items
        .into_iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .filter(|e| e["reason"] == reason)
        .collect()
}

#[tokio::test]
async fn garbage_collection_follows_the_namespace_rules() {
    let (_cluster, client) = start().await;
    super::create_ns(&client, "a").await;
    super::create_ns(&client, "b").await;
    let in_a: Api<ConfigMap> = Api::namespaced(client.clone(), "a");
    let owner = in_a
        .create(&PostParams::default(), &super::cm("owner", json!({})))
        .await
        .expect("owner");
    let uid = owner.metadata.uid.clone().expect("uid");
    let owner_ref = json!({"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid});

    // A namespaced dependent in another namespace: its owner counts as absent.
    let in_b: Api<ConfigMap> = Api::namespaced(client.clone(), "b");
    let stray: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "stray",
        "ownerReferences": [owner_ref]}}))
    .expect("cm");
    in_b.create(&PostParams::default(), &stray)
        .await
        .expect("created");
    assert!(
        in_b.get_opt("stray").await.expect("get").is_none(),
        "collected"
    );
    let reported = events_with_reason(&client, "b", "OwnerRefInvalidNamespace").await;
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["involvedObject"]["name"], "stray");
    assert_eq!(reported[0]["type"], "Warning");

    // A cluster-scoped dependent naming a namespaced owner: never collected.
    let roles: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("rbac.authorization.k8s.io", "v1", "ClusterRole"),
            "clusterroles",
        ),
    );
    let role: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "kept", "ownerReferences": [owner_ref]}, "rules": []}))
    .expect("role");
    roles
        .create(&PostParams::default(), &role)
        .await
        .expect("created");
    in_a.delete("owner", &DeleteParams::default())
        .await
        .expect("owner deleted");
    assert!(
        roles.get_opt("kept").await.expect("get").is_some(),
        "never collected"
    );
    let reported = events_with_reason(&client, "default", "OwnerRefInvalidNamespace").await;
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0]["involvedObject"]["name"], "kept");
}

#[tokio::test]
async fn block_owner_deletion_holds_a_foreground_delete() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let owner = cms
        .create(&PostParams::default(), &super::cm("owner", json!({})))
        .await
        .expect("owner");
    let uid = owner.metadata.uid.clone().expect("uid");
    let dependent = |name: &str, block: bool| -> ConfigMap {
        serde_json::from_value(
            json!({"metadata": {"name": name, "finalizers": ["example.com/hold"],
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                "uid": uid, "blockOwnerDeletion": block}]}}),
        )
        .expect("cm")
    };
    cms.create(&PostParams::default(), &dependent("blocking", true))
        .await
        .expect("created");
    cms.create(&PostParams::default(), &dependent("loose", false))
        .await
        .expect("created");
    cms.delete("owner", &DeleteParams::foreground())
        .await
        .expect("deleting");
    let held = cms.get("owner").await.expect("still there");
    assert!(held.metadata.deletion_timestamp.is_some());
    let release = json!({"metadata": {"finalizers": null}});
    cms.patch("loose", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .expect("loose released");
    assert!(
        cms.get_opt("owner").await.expect("get").is_some(),
        "blocking one remains"
    );
    cms.patch("blocking", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .expect("blocking released");
    assert!(
        cms.get_opt("owner").await.expect("get").is_none(),
        "owner goes"
    );
}

#[tokio::test]
async fn a_non_blocking_dependent_does_not_hold_its_owner() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let owner = cms
        .create(&PostParams::default(), &super::cm("owner", json!({})))
        .await
        .expect("owner");
    let uid = owner.metadata.uid.clone().expect("uid");
    let loose: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "loose",
        "finalizers": ["example.com/hold"], "ownerReferences": [{"apiVersion": "v1",
            "kind": "ConfigMap", "name": "owner", "uid": uid}]}}))
    .expect("cm");
    cms.create(&PostParams::default(), &loose)
        .await
        .expect("created");
    cms.delete("owner", &DeleteParams::foreground())
        .await
        .expect("deleting");
    assert!(
        cms.get_opt("owner").await.expect("get").is_none(),
        "owner does not wait"
    );
    let dependent = cms
        .get("loose")
        .await
        .expect("dependent kept by its finalizer");
    assert!(dependent.metadata.deletion_timestamp.is_some());
}

fn crd_api(client: &Client) -> Api<DynamicObject> {
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    )
}

fn condition_of(crd: &DynamicObject, type_: &str) -> Option<(String, String)> {
    crd.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or_default().to_string(),
                c["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
}

#[tokio::test]
async fn a_crd_establishes_after_the_configured_delay() {
    let cluster = DevCluster::builder()
        .crd_establish_delay(Duration::from_millis(400))
        .start()
        .await
        .expect("devcluster");
    let client = cluster.client().expect("client");
    let crds = crd_api(&client);
    let crd: DynamicObject = serde_json::from_str(LIST_CRD).expect("crd");
    let created = crds
        .create(&PostParams::default(), &crd)
        .await
        .expect("created");
    assert_eq!(
        condition_of(&created, "Established"),
        Some(("False".into(), "Installing".into()))
    );
    assert_eq!(
        condition_of(&created, "NamesAccepted").map(|c| c.0),
        Some("True".into())
    );
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    assert!(
        discovery.groups().all(|g| g.name() != "example.com"),
        "not yet discoverable"
    );

    let mut established = None;
    for _ in 0..100 {
        let crd = crds.get("gadgets.example.com").await.expect("crd");
        if condition_of(&crd, "Established").is_some_and(|c| c.0 == "True") {
            established = Some(crd);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let established = established.expect("established after the delay");
    assert_eq!(
        condition_of(&established, "Established"),
        Some(("True".into(), "InitialNamesAccepted".into()))
    );
    let discovery = kube::discovery::Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    assert!(discovery.groups().any(|g| g.name() == "example.com"));
}

#[tokio::test]
async fn deleting_a_crd_terminates_it_after_its_objects_and_their_finalizers() {
    let (_cluster, client) = start().await;
    let gadgets_api = gadgets(&client).await;
    let held: DynamicObject = serde_json::from_value(json!({"apiVersion": "example.com/v1",
        "kind": "Gadget", "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
        "spec": {}}))
    .expect("gadget");
    gadgets_api
        .create(&PostParams::default(), &held)
        .await
        .expect("created");
    let free: DynamicObject = serde_json::from_value(gadget(json!({}))).expect("gadget");
    gadgets_api
        .create(&PostParams::default(), &free)
        .await
        .expect("created");

    let crds = crd_api(&client);
    crds.delete("gadgets.example.com", &DeleteParams::default())
        .await
        .expect("delete accepted");
    let terminating = crds.get("gadgets.example.com").await.expect("still there");
    assert!(terminating.metadata.deletion_timestamp.is_some());
    assert!(
        terminating
            .metadata
            .finalizers
            .clone()
            .unwrap_or_default()
            .contains(&"customresourcecleanup.apiextensions.k8s.io".to_string())
    );
    assert_eq!(
        condition_of(&terminating, "Terminating"),
        Some(("True".into(), "InstanceDeletionInProgress".into()))
    );
    assert!(
        gadgets_api.get_opt("g").await.expect("get").is_none(),
        "free object gone"
    );
    let still = gadgets_api
        .get("held")
        .await
        .expect("held by its finalizer");
    assert!(still.metadata.deletion_timestamp.is_some());
    let late: DynamicObject = serde_json::from_value(json!({"apiVersion": "example.com/v1",
        "kind": "Gadget", "metadata": {"name": "late"}, "spec": {}}))
    .expect("gadget");
    let err = gadgets_api
        .create(&PostParams::default(), &late)
        .await
        .expect_err("no new objects while terminating");
    assert_eq!(code(&err).0, 405);

    gadgets_api
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("released");
    assert!(
        crds.get_opt("gadgets.example.com")
            .await
            .expect("get")
            .is_none(),
        "CRD gone"
    );
}

/// A write through `/scale` owns `spec.replicas` (with subresource `scale`) and nothing else,
/// so a GitOps applier that keeps `replicas` in its manifest conflicts with the autoscaler, and
/// one that leaves it out does not.
#[tokio::test]
async fn scale_writes_own_only_replicas() {
    let (_cluster, client) = start().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    api.patch(
        "web",
        &PatchParams::apply("gitops"),
        &Patch::Apply(&deployment(2)),
    )
    .await
    .expect("applied");
    let pp = PatchParams {
        field_manager: Some("hpa".into()),
        ..Default::default()
    };
    api.patch_scale("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 5}})))
        .await
        .expect("scaled");
    let v = serde_json::to_value(api.get("web").await.expect("get")).expect("json");
    let entries = v["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .clone();
    let hpa = entries
        .iter()
        .find(|e| e["manager"] == "hpa")
        .expect("hpa entry");
    assert_eq!(hpa["subresource"], "scale");
    assert_eq!(hpa["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    let gitops = entries
        .iter()
        .find(|e| e["manager"] == "gitops")
        .expect("gitops entry");
    assert!(
        gitops["fieldsV1"].pointer("/f:spec/f:replicas").is_none(),
        "{gitops}"
    );

    let err = api
        .patch(
            "web",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&deployment(2)),
        )
        .await
        .expect_err("replicas conflict with the scaler");
    assert_eq!(code(&err), (409, "Conflict".into()));
    let mut without = deployment(2);
    without["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("replicas");
    let kept = api
        .patch(
            "web",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&without),
        )
        .await
        .expect("no conflict without replicas");
    assert_eq!(kept.spec.and_then(|s| s.replicas), Some(5));
}

/// A foreground delete leaves a dependent that has another live owner, minus its reference to
/// the deleted owner; a dependent whose owner kind is not served is never collected.
#[tokio::test]
async fn foreground_deletion_spares_dependents_with_another_owner() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut uids = Vec::new();
    for name in ["first", "second"] {
        let o = cms
            .create(&PostParams::default(), &super::cm(name, json!({})))
            .await
            .expect("owner");
        uids.push(o.metadata.uid.expect("uid"));
    }
    let owner = |name: &str, uid: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "name": name, "uid": uid, "blockOwnerDeletion": true})
    };
    let shared: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "shared",
        "ownerReferences": [owner("first", &uids[0]), owner("second", &uids[1])]}}))
    .expect("cm");
    cms.create(&PostParams::default(), &shared)
        .await
        .expect("created");
    let unknown: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "unknown-owner",
        "ownerReferences": [{"apiVersion": "example.com/v1", "kind": "Gizmo", "name": "g",
            "uid": "00000000-0000-0000-0000-000000000001"}]}}))
    .expect("cm");
    cms.create(&PostParams::default(), &unknown)
        .await
        .expect("created");
    assert!(
        cms.get_opt("unknown-owner").await.expect("get").is_some(),
        "never collected"
    );

    cms.delete("first", &DeleteParams::foreground())
        .await
        .expect("deleted");
    assert!(
        cms.get_opt("first").await.expect("get").is_none(),
        "first owner gone"
    );
    let kept = cms.get("shared").await.expect("kept by its second owner");
    let refs = kept.metadata.owner_references.unwrap_or_default();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].name, "second");
    assert!(kept.metadata.deletion_timestamp.is_none());
}

/// The update rules of the smaller kinds, each a 422 naming its field, and the changes that are
/// allowed.
#[tokio::test]
async fn update_rules_of_the_new_kinds() {
    let (_cluster, client) = start().await;
    let apply = |api: &'static str, kind: &'static str, body: Value| {
        let client = client.clone();
        async move {
            let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
            let plural = format!("{}s", kind.to_lowercase()).replace("classs", "classes");
            let ar = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(group, version, kind),
                &plural,
            );
            let dynamic: Api<DynamicObject> =
                if kind.ends_with("Class") || kind.starts_with("Cluster") {
                    Api::all_with(client, &ar)
                } else {
                    Api::namespaced_with(client, "default", &ar)
                };
            let mut obj = body;
            obj["apiVersion"] = json!(api);
            obj["kind"] = json!(kind);
            let name = obj["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            dynamic
                .patch(&name, &PatchParams::apply("gitops"), &Patch::Apply(&obj))
                .await
        }
    };
    // StatefulSet: revisionHistoryLimit may change.
    let sts = |limit: i64| {
        json!({"metadata": {"name": "db"}, "spec": {"serviceName": "db",
        "revisionHistoryLimit": limit, "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}},
            "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}}}})
    };
    apply("apps/v1", "StatefulSet", sts(10))
        .await
        .expect("created");
    apply("apps/v1", "StatefulSet", sts(3))
        .await
        .expect("revisionHistoryLimit is mutable");

    // Job: completions may not change on a NonIndexed Job.
    let job = |n: i64| {
        json!({"metadata": {"name": "batch"}, "spec": {"completions": n,
        "template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "b", "image": "b:1"}]}}}})
    };
    apply("batch/v1", "Job", job(2)).await.expect("created");
    let err = apply("batch/v1", "Job", job(3))
        .await
        .expect_err("completions immutable");
    assert_eq!(code(&err), (422, "Invalid".into()));

    // IngressClass controller, PriorityClass value and preemptionPolicy, RoleBinding roleRef.
    let class = |c: &str| json!({"metadata": {"name": "nginx"}, "spec": {"controller": c}});
    apply(
        "networking.k8s.io/v1",
        "IngressClass",
        class("k8s.io/ingress-nginx"),
    )
    .await
    .expect("ok");
    let err = apply(
        "networking.k8s.io/v1",
        "IngressClass",
        class("example.com/other"),
    )
    .await
    .expect_err("controller immutable");
    assert_eq!(code(&err).0, 422);
    let pc = |v: i64| json!({"metadata": {"name": "high"}, "value": v});
    let created = apply("scheduling.k8s.io/v1", "PriorityClass", pc(1000))
        .await
        .expect("ok");
    assert_eq!(
        created.data["preemptionPolicy"], "PreemptLowerPriority",
        "defaulted"
    );
    let err = apply("scheduling.k8s.io/v1", "PriorityClass", pc(2000))
        .await
        .expect_err("value immutable");
    assert_eq!(code(&err).0, 422);
    let rb = |role: &str| {
        json!({"metadata": {"name": "read"},
        "roleRef": {"kind": "Role", "name": role},
        "subjects": [{"kind": "User", "name": "ann"}]})
    };
    let created = apply("rbac.authorization.k8s.io/v1", "RoleBinding", rb("reader"))
        .await
        .expect("ok");
    assert_eq!(
        created.data["roleRef"]["apiGroup"], "rbac.authorization.k8s.io",
        "defaulted"
    );
    assert_eq!(
        created.data["subjects"][0]["apiGroup"],
        "rbac.authorization.k8s.io"
    );
    // Re-applying with the defaulted apiGroup spelled out is no change of roleRef.
    let mut explicit = rb("reader");
    explicit["roleRef"]["apiGroup"] = json!("rbac.authorization.k8s.io");
    apply("rbac.authorization.k8s.io/v1", "RoleBinding", explicit)
        .await
        .expect("same roleRef");
    let err = apply("rbac.authorization.k8s.io/v1", "RoleBinding", rb("writer"))
        .await
        .expect_err("roleRef immutable");
    assert_eq!(code(&err).0, 422);
}

/// A Deployment's generation counts annotation changes too (they are copied to its
/// ReplicaSets); an empty `clusterIP`, as Helm renders it, is allocated and then kept.
#[tokio::test]
async fn deployment_annotations_bump_generation_and_empty_cluster_ips_are_allocated() {
    let (_cluster, client) = start().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let created = api
        .patch(
            "web",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&deployment(1)),
        )
        .await
        .expect("created");
    assert_eq!(created.metadata.generation, Some(1));
    let mut annotated = deployment(1);
    annotated["metadata"]["annotations"] = json!({"example.com/revision": "2"});
    let after = api
        .patch(
            "web",
            &PatchParams::apply("gitops"),
            &Patch::Apply(&annotated),
        )
        .await
        .expect("annotated");
    assert_eq!(after.metadata.generation, Some(2));

    use k8s_openapi::api::core::v1::Service;
    let svcs: Api<Service> = Api::namespaced(client.clone(), "default");
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"clusterIP": "", "selector": {"app": "web"}, "ports": [{"port": 80}]}});
    let created = svcs
        .patch("web", &PatchParams::apply("helm"), &Patch::Apply(&svc))
        .await
        .expect("created");
    let ip = created.spec.and_then(|s| s.cluster_ip).expect("allocated");
    assert!(ip.starts_with("10.96."), "{ip}");
    let again = svcs
        .patch("web", &PatchParams::apply("helm"), &Patch::Apply(&svc))
        .await
        .expect("re-applied with clusterIP \"\"");
    assert_eq!(again.spec.and_then(|s| s.cluster_ip), Some(ip));
}

/// A background delete of one owner removes the now dangling reference from a dependent that
/// keeps another owner, as the collector's `attemptToDeleteItem` does.
#[tokio::test]
async fn background_deletion_removes_dangling_references() {
    let (_cluster, client) = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut refs = Vec::new();
    for name in ["a", "b"] {
        let o = cms
            .create(&PostParams::default(), &super::cm(name, json!({})))
            .await
            .expect("owner");
        refs.push(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "name": name,
            "uid": o.metadata.uid.expect("uid")}),
        );
    }
    let shared: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "shared",
        "ownerReferences": refs}}))
    .expect("cm");
    cms.create(&PostParams::default(), &shared)
        .await
        .expect("created");
    cms.delete("a", &DeleteParams::background())
        .await
        .expect("deleted");
    let kept = cms.get("shared").await.expect("kept by b");
    let names: Vec<String> = kept
        .metadata
        .owner_references
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["b"]);
    cms.delete("b", &DeleteParams::background())
        .await
        .expect("deleted");
    assert!(
        cms.get_opt("shared").await.expect("get").is_none(),
        "collected with its last owner"
    );
}
