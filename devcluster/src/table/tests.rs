use std::time::SystemTime;

use serde_json::{Value, json};

use super::*;

const NOW: &str = "2026-01-01T12:00:00Z";

fn now() -> SystemTime {
    age::parse_timestamp(NOW).expect("valid timestamp")
}

fn names(columns: &[Column]) -> Vec<(&str, i32)> {
    columns
        .iter()
        .map(|c| (c.name.as_str(), c.priority))
        .collect()
}

/// The single row's cells of a table over `object`.
fn cells(columns: &[Column], object: &Value) -> Vec<Value> {
    let table = to_table(columns, &[object], "7", true, now());
    table["rows"][0]["cells"].as_array().expect("cells").clone()
}

fn meta(name: &str, created: &str) -> Value {
    json!({"name": name, "namespace": "ns1", "creationTimestamp": created, "uid": "u-1",
           "resourceVersion": "5", "labels": {"app": "demo"},
           "managedFields": [{"manager": "kubectl", "operation": "Apply"}]})
}

#[test]
fn configmap_table_is_a_complete_meta_v1_table() {
    let columns = builtin_columns("", "configmaps");
    assert_eq!(names(&columns), vec![("Name", 0), ("Data", 0), ("Age", 0)]);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("x", "2026-01-01T11:55:00Z"),
                    "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
    let table = to_table(&columns, &[&cm], "106", true, now());
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(table["metadata"], json!({"resourceVersion": "106"}));
    assert_eq!(table["columnDefinitions"][0]["name"], "Name");
    assert_eq!(table["columnDefinitions"][0]["format"], "name");
    assert_eq!(
        table["columnDefinitions"][1],
        json!({"name": "Data", "type": "string", "format": "",
        "description": "Data contains the configuration data.", "priority": 0})
    );
    assert_eq!(table["rows"][0]["cells"], json!(["x", 3, "5m"]));
    let object = &table["rows"][0]["object"];
    assert_eq!(object["kind"], "PartialObjectMetadata");
    assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(object["metadata"]["namespace"], "ns1");
    assert_eq!(object["metadata"]["labels"], json!({"app": "demo"}));
    assert_eq!(object["metadata"]["uid"], "u-1");
    assert!(object["metadata"].get("managedFields").is_none());
}

#[test]
fn headers_are_left_out_on_request_and_empty_lists_have_no_rows() {
    let columns = builtin_columns("", "configmaps");
    let cm = json!({"metadata": meta("x", NOW)});
    let table = to_table(&columns, &[&cm], "9", false, now());
    assert!(table.get("columnDefinitions").is_none());
    assert_eq!(table["rows"][0]["cells"], json!(["x", 0, "0s"]));
    let empty = to_table(&columns, &[], "9", true, now());
    assert_eq!(empty["rows"], json!([]));
    assert_eq!(empty["columnDefinitions"].as_array().map(Vec::len), Some(3));
}

#[test]
fn secret_namespace_and_serviceaccount_columns() {
    let secrets = builtin_columns("", "secrets");
    assert_eq!(
        names(&secrets),
        vec![("Name", 0), ("Type", 0), ("Data", 0), ("Age", 0)]
    );
    let secret = json!({"metadata": meta("s", "2025-12-31T12:00:00Z"), "type": "kubernetes.io/tls",
                        "data": {"tls.crt": "AA==", "tls.key": "AA=="}});
    assert_eq!(
        cells(&secrets, &secret),
        vec![
            json!("s"),
            json!("kubernetes.io/tls"),
            json!(2),
            json!("24h")
        ]
    );

    let namespaces = builtin_columns("", "namespaces");
    assert_eq!(
        names(&namespaces),
        vec![("Name", 0), ("Status", 0), ("Age", 0)]
    );
    let ns = json!({"metadata": {"name": "ns1", "creationTimestamp": "2025-12-25T12:00:00Z"},
                    "status": {"phase": "Active"}});
    assert_eq!(
        cells(&namespaces, &ns),
        vec![json!("ns1"), json!("Active"), json!("7d")]
    );

    let accounts = builtin_columns("", "serviceaccounts");
    assert_eq!(
        names(&accounts),
        vec![("Name", 0), ("Secrets", 0), ("Age", 0)]
    );
    let sa =
        json!({"metadata": meta("default", "2026-01-01T09:00:00Z"), "secrets": [{"name": "tok"}]});
    assert_eq!(
        cells(&accounts, &sa),
        vec![json!("default"), json!(1), json!("3h")]
    );
}

#[test]
fn service_columns_follow_the_service_type() {
    let columns = builtin_columns("", "services");
    assert_eq!(
        names(&columns),
        vec![
            ("Name", 0),
            ("Type", 0),
            ("Cluster-IP", 0),
            ("External-IP", 0),
            ("Port(s)", 0),
            ("Age", 0),
            ("Selector", 1)
        ]
    );
    let cluster_ip = json!({"metadata": meta("web", "2026-01-01T11:59:15Z"),
        "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
                 "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}, {"port": 53, "protocol": "UDP"}],
                 "selector": {"b": "2", "app": "web"}}});
    assert_eq!(
        cells(&columns, &cluster_ip),
        vec![
            json!("web"),
            json!("ClusterIP"),
            json!("10.0.0.7"),
            json!("<none>"),
            json!("80/TCP,53/UDP"),
            json!("45s"),
            json!("app=web,b=2")
        ]
    );
    let node_port = json!({"metadata": meta("np", NOW),
        "spec": {"type": "NodePort", "clusterIPs": ["10.0.0.8"], "externalIPs": ["1.2.3.4"],
                 "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}});
    let row = cells(&columns, &node_port);
    assert_eq!(
        &row[1..5],
        &[
            json!("NodePort"),
            json!("10.0.0.8"),
            json!("1.2.3.4"),
            json!("80:30080/TCP")
        ]
    );
    assert_eq!(row[6], json!("<none>"));

    let pending = json!({"metadata": meta("lb", NOW), "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}});
    let row = cells(&columns, &pending);
    assert_eq!(
        &row[2..5],
        &[json!("<none>"), json!("<pending>"), json!("443/TCP")]
    );
    let assigned = json!({"metadata": meta("lb", NOW), "spec": {"type": "LoadBalancer", "externalIPs": ["9.9.9.9"]},
        "status": {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example.com"}]}}});
    assert_eq!(
        cells(&columns, &assigned)[3],
        json!("5.6.7.8,lb.example.com,9.9.9.9")
    );
    assert_eq!(cells(&columns, &assigned)[4], json!("<none>"));

    let external = json!({"metadata": meta("ext", NOW), "spec": {"type": "ExternalName", "externalName": "db.example.com"}});
    assert_eq!(cells(&columns, &external)[3], json!("db.example.com"));
    let defaulted = json!({"metadata": meta("d", NOW), "spec": {}});
    assert_eq!(cells(&columns, &defaulted)[1], json!("ClusterIP"));
}

#[test]
fn deployment_columns_include_wide_ones() {
    let columns = builtin_columns("apps", "deployments");
    assert_eq!(
        names(&columns),
        vec![
            ("Name", 0),
            ("Ready", 0),
            ("Up-to-date", 0),
            ("Available", 0),
            ("Age", 0),
            ("Containers", 1),
            ("Images", 1),
            ("Selector", 1)
        ]
    );
    let deployment = json!({"metadata": meta("web", "2026-01-01T08:58:00Z"),
        "spec": {"replicas": 3,
                 "selector": {"matchLabels": {"app": "web"},
                              "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]},
                                                   {"key": "canary", "operator": "DoesNotExist"}]},
                 "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1"}, {"name": "side", "image": "busybox"}]}}},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 1}});
    assert_eq!(
        cells(&columns, &deployment),
        vec![
            json!("web"),
            json!("2/3"),
            json!(3),
            json!(1),
            json!("3h2m"),
            json!("nginx,side"),
            json!("nginx:1,busybox"),
            json!("app=web,!canary,tier in (a,b)")
        ]
    );
    let fresh = json!({"metadata": meta("new", NOW), "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    assert_eq!(
        &cells(&columns, &fresh)[1..4],
        &[json!("0/1"), json!(0), json!(0)]
    );
}

#[test]
fn core_and_events_k8s_io_events_print_alike() {
    for group in ["", "events.k8s.io"] {
        let columns = builtin_columns(group, "events");
        let visible: Vec<&str> = columns
            .iter()
            .filter(|c| c.priority == 0)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            visible,
            vec!["Last Seen", "Type", "Reason", "Object", "Message"]
        );
    }
    let columns = builtin_columns("", "events");
    let core = json!({"apiVersion": "v1", "kind": "Event", "metadata": meta("web.1", NOW),
        "involvedObject": {"kind": "Deployment", "name": "web", "fieldPath": "spec"},
        "reason": "ScalingReplicaSet", "message": " Scaled up \n", "type": "Normal",
        "firstTimestamp": "2026-01-01T11:00:00Z", "lastTimestamp": "2026-01-01T11:58:00Z", "count": 4,
        "source": {"component": "deployment-controller"}});
    assert_eq!(
        cells(&columns, &core),
        vec![
            json!("2m (x4 over 60m)"),
            json!("Normal"),
            json!("ScalingReplicaSet"),
            json!("deployment/web"),
            json!("spec"),
            json!("deployment-controller"),
            json!("Scaled up"),
            json!("60m"),
            json!(4),
            json!("web.1")
        ]
    );
    let modern = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta("e.2", NOW),
        "regarding": {"kind": "Pod", "name": "p"}, "reason": "Started", "note": "started", "type": "Warning",
        "eventTime": "2026-01-01T11:59:30.000000Z", "reportingController": "kubelet", "reportingInstance": "node-1"});
    assert_eq!(
        cells(&columns, &modern),
        vec![
            json!("30s"),
            json!("Warning"),
            json!("Started"),
            json!("pod/p"),
            json!(""),
            json!("kubelet, node-1"),
            json!("started"),
            json!("30s"),
            json!(1),
            json!("e.2")
        ]
    );
    // The same event read through /api/v1 (the shared store's core shape) prints the same row.
    let as_core = crate::events_view::to_core(&modern);
    assert_eq!(cells(&columns, &as_core), cells(&columns, &modern));
    let series = json!({"apiVersion": "events.k8s.io/v1", "metadata": meta("e.3", NOW), "regarding": {"kind": "Node"},
        "eventTime": "2026-01-01T10:00:00.000000Z", "series": {"count": 7, "lastObservedTime": "2026-01-01T11:50:00.000000Z"}});
    let row = cells(&columns, &series);
    assert_eq!(
        (&row[0], &row[3], &row[5], &row[8]),
        (
            &json!("10m"),
            &json!("node"),
            &json!("<unknown>"),
            &json!(7)
        )
    );
}

#[test]
fn leases_crds_and_unknown_resources() {
    let leases = builtin_columns("coordination.k8s.io", "leases");
    assert_eq!(names(&leases), vec![("Name", 0), ("Holder", 0), ("Age", 0)]);
    let lease = json!({"metadata": meta("leader", "2026-01-01T11:00:00Z"), "spec": {"holderIdentity": "pod-a"}});
    assert_eq!(
        cells(&leases, &lease),
        vec![json!("leader"), json!("pod-a"), json!("60m")]
    );
    let unheld = json!({"metadata": meta("free", NOW), "spec": {}});
    assert_eq!(cells(&leases, &unheld)[1], json!(""));

    let crds = builtin_columns("apiextensions.k8s.io", "customresourcedefinitions");
    assert_eq!(names(&crds), vec![("Name", 0), ("Created At", 0)]);
    assert_eq!(crds[1].type_, "date");
    let crd = json!({"metadata": {"name": "foos.example.com", "creationTimestamp": "2026-01-01T10:00:00Z"}});
    assert_eq!(
        cells(&crds, &crd),
        vec![json!("foos.example.com"), json!("2026-01-01T10:00:00Z")]
    );
    assert_eq!(
        names(&builtin_columns("example.com", "widgets")),
        vec![("Name", 0), ("Created At", 0)]
    );
}

#[test]
fn crd_without_printer_columns_gets_name_and_age() {
    for declared in [None, Some(json!([]))] {
        let columns = crd_columns(declared.as_ref());
        assert_eq!(names(&columns), vec![("Name", 0), ("Age", 0)]);
        assert_eq!(columns[1].type_, "date");
        let object =
            json!({"metadata": {"name": "f", "creationTimestamp": "2026-01-01T11:54:30Z"}});
        assert_eq!(cells(&columns, &object), vec![json!("f"), json!("5m30s")]);
    }
}

#[test]
fn crd_printer_columns_evaluate_jsonpath_by_type() {
    let declared = json!([
        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
        {"name": "Message", "type": "string", "jsonPath": ".status.conditions[0].message", "priority": 1, "description": "why"},
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
        {"name": "Paused", "type": "boolean", "jsonPath": ".spec.paused"},
        {"name": "Synced", "type": "date", "jsonPath": ".status.lastSync"},
        {"name": "Map", "type": "string", "jsonPath": ".spec.sel"},
        {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
        {"name": "WrongType", "type": "integer", "jsonPath": ".spec.name"},
        {"name": "Bad", "type": "string", "jsonPath": "..deep"}
    ]);
    let columns = crd_columns(Some(&declared));
    assert_eq!(columns[0].name, "Name");
    assert_eq!(columns[2].priority, 1);
    assert_eq!(columns[2].description, "why");
    assert_eq!(
        columns[1].description,
        "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type==\"Ready\")].status"
    );
    let object = json!({"metadata": {"name": "w", "creationTimestamp": NOW},
        "spec": {"replicas": 3.0, "ratio": 2, "paused": true, "sel": {"b": 1, "a": "x"}, "name": "n"},
        "status": {"lastSync": "2026-01-01T11:00:00Z",
                   "conditions": [{"type": "Synced", "status": "False", "message": "syncing"},
                                  {"type": "Ready", "status": "True"}]}});
    let table = to_table(&columns, &[&object], "1", true, now());
    assert_eq!(table["columnDefinitions"][6]["type"], "date");
    assert_eq!(
        table["rows"][0]["cells"],
        json!([
            "w",
            "True",
            "syncing",
            3,
            2.0,
            true,
            "60m",
            "map[a:x b:1]",
            null,
            null,
            null
        ])
    );
}
