//! Secret, ConfigMap, Namespace, ServiceAccount and Service messages built with k8s-pb.

use serde_json::json;

use super::*;
use crate::protobuf::*;

#[test]
fn secret_bytes_are_standard_base64_and_pointers_keep_their_zero() {
    let secret = core_v1::Secret {
        metadata: meta("tls", "ns1"),
        immutable: Some(false),
        data: [
            ("tls.key".to_owned(), vec![0xff, 0x00, 0xfe, 0x80]),
            ("empty".to_owned(), vec![]),
        ]
        .into(),
        string_data: BTreeMap::new(),
        r#type: Some("kubernetes.io/tls".into()),
    };
    assert_eq!(
        decode(&envelope("v1", "Secret", &secret)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "ns1"},
               "immutable": false, "data": {"tls.key": "/wD+gA==", "empty": ""}, "type": "kubernetes.io/tls"})
    );
}

#[test]
fn configmap_namespace_and_serviceaccount_with_full_metadata() {
    let mut metadata = meta("cm", "ns1");
    if let Some(m) = metadata.as_mut() {
        m.uid = Some("0b5d".into());
        m.resource_version = Some("42".into());
        m.generation = Some(3);
        m.creation_timestamp = time(NEW_YEAR);
        m.deletion_timestamp = time(NEW_YEAR + 61);
        m.deletion_grace_period_seconds = Some(0);
        m.labels = strings(&[("app", "demo")]);
        m.annotations = strings(&[("note", "")]);
        m.finalizers = vec!["example.com/hold".into()];
        m.owner_references = vec![meta_v1::OwnerReference {
            api_version: Some("apps/v1".into()),
            kind: Some("Deployment".into()),
            name: Some("web".into()),
            uid: Some("u-1".into()),
            controller: Some(true),
            block_owner_deletion: Some(false),
        }];
        m.managed_fields = vec![meta_v1::ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            operation: Some("Apply".into()),
            api_version: Some("v1".into()),
            time: time(NEW_YEAR),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(meta_v1::FieldsV1 {
                raw: Some(br#"{"f:data":{"f:a":{}}}"#.to_vec()),
            }),
            subresource: Some(String::new()),
        }];
    }
    let configmap = core_v1::ConfigMap {
        metadata,
        immutable: None,
        data: strings(&[("a", "1")]),
        binary_data: [("b".to_owned(), b"\x01\x02".to_vec())].into(),
    };
    assert_eq!(
        decode(&envelope("v1", "ConfigMap", &configmap)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "cm", "namespace": "ns1", "uid": "0b5d", "resourceVersion": "42", "generation": 3,
                            "creationTimestamp": "2026-01-01T00:00:00Z", "deletionTimestamp": "2026-01-01T00:01:01Z",
                            "deletionGracePeriodSeconds": 0, "labels": {"app": "demo"}, "annotations": {"note": ""},
                            "finalizers": ["example.com/hold"],
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "u-1",
                                                 "controller": true, "blockOwnerDeletion": false}],
                            "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                                               "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                                               "fieldsV1": {"f:data": {"f:a": {}}}}]},
               "data": {"a": "1"}, "binaryData": {"b": "AQI="}})
    );

    let namespace = core_v1::Namespace {
        metadata: meta("team-a", ""),
        spec: Some(core_v1::NamespaceSpec {
            finalizers: vec!["kubernetes".into()],
        }),
        status: Some(core_v1::NamespaceStatus {
            phase: Some("Active".into()),
            conditions: vec![],
        }),
    };
    assert_eq!(
        decode(&envelope("v1", "Namespace", &namespace)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    );

    let account = core_v1::ServiceAccount {
        metadata: meta("builder", "ns1"),
        secrets: vec![core_v1::ObjectReference {
            name: Some("tok".into()),
            ..Default::default()
        }],
        image_pull_secrets: vec![core_v1::LocalObjectReference {
            name: Some("regcred".into()),
        }],
        automount_service_account_token: Some(false),
    };
    assert_eq!(
        decode(&envelope("v1", "ServiceAccount", &account)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "ns1"},
               "secrets": [{"name": "tok"}], "imagePullSecrets": [{"name": "regcred"}],
               "automountServiceAccountToken": false})
    );
}

#[test]
fn service_ports_keep_int_and_string_target_ports() {
    let service = core_v1::Service {
        metadata: meta("web", "ns1"),
        spec: Some(core_v1::ServiceSpec {
            ports: vec![
                core_v1::ServicePort {
                    name: Some("http".into()),
                    protocol: Some("TCP".into()),
                    port: Some(80),
                    target_port: int_port(8080),
                    node_port: Some(30080),
                    app_protocol: None,
                },
                core_v1::ServicePort {
                    name: Some("https".into()),
                    protocol: Some("TCP".into()),
                    port: Some(443),
                    target_port: named_port("https"),
                    node_port: Some(0),
                    app_protocol: Some(String::new()),
                },
            ],
            selector: strings(&[("app", "web")]),
            cluster_ip: Some("10.0.0.7".into()),
            cluster_ips: vec!["10.0.0.7".into()],
            r#type: Some("LoadBalancer".into()),
            external_ips: vec!["1.2.3.4".into()],
            session_affinity: Some("ClientIP".into()),
            session_affinity_config: Some(core_v1::SessionAffinityConfig {
                client_ip: Some(core_v1::ClientIpConfig {
                    timeout_seconds: Some(0),
                }),
            }),
            health_check_node_port: Some(0),
            publish_not_ready_addresses: Some(false),
            ip_families: vec!["IPv4".into()],
            allocate_load_balancer_node_ports: Some(false),
            ..Default::default()
        }),
        status: Some(core_v1::ServiceStatus {
            load_balancer: Some(core_v1::LoadBalancerStatus {
                ingress: vec![core_v1::LoadBalancerIngress {
                    ip: Some("5.6.7.8".into()),
                    ..Default::default()
                }],
            }),
            conditions: vec![],
        }),
    };
    assert_eq!(
        decode(&envelope("v1", "Service", &service)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "ns1"},
               "spec": {"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080},
                                  {"name": "https", "protocol": "TCP", "port": 443, "targetPort": "https"}],
                        "selector": {"app": "web"}, "clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"],
                        "type": "LoadBalancer", "externalIPs": ["1.2.3.4"], "sessionAffinity": "ClientIP",
                        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}}, "ipFamilies": ["IPv4"],
                        "allocateLoadBalancerNodePorts": false},
               "status": {"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}]}}})
    );
}
