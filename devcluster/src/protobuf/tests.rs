use std::collections::BTreeMap;

use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta_v1;
use k8s_pb::apimachinery::pkg::runtime::TypeMeta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;

use super::*;

/// Wraps an encoded message in the `k8s\0` + runtime.Unknown envelope, as client-go does.
fn envelope(api_version: &str, kind: &str, message: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(message.encode_to_vec()),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| {
            u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16)
                .expect("hex digit pair")
        })
        .collect()
}

fn meta(name: &str, namespace: &str) -> Option<meta_v1::ObjectMeta> {
    Some(meta_v1::ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        // client-go writes every non-pointer field, empty or not.
        generate_name: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta_v1::Time::default()),
        ..Default::default()
    })
}

fn time(seconds: i64) -> Option<meta_v1::Time> {
    Some(meta_v1::Time {
        seconds: Some(seconds),
        nanos: Some(0),
    })
}

fn micro_time(seconds: i64, nanos: i32) -> Option<meta_v1::MicroTime> {
    Some(meta_v1::MicroTime {
        seconds: Some(seconds),
        nanos: Some(nanos),
    })
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn int_port(port: i32) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(0),
        int_val: Some(port),
        str_val: Some(String::new()),
    })
}

fn named_port(name: &str) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(1),
        int_val: Some(0),
        str_val: Some(name.into()),
    })
}

/// 2026-01-01T00:00:00Z
const NEW_YEAR: i64 = 1_767_225_600;

#[test]
fn decodes_the_configmap_body_recorded_in_the_research_notes() {
    let body = hex("6b387300 0a0f0a027631 1209436f6e6669674d6170 121f \
         0a150a0278321200 1a036e7331 2200 2a00 3200 3800 4200 12060a0161120162 1a00 2200");
    assert_eq!(
        decode(&body).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "x2", "namespace": "ns1"}, "data": {"a": "b"}})
    );
}

/// Removes `"creationTimestamp": null`, the one field kubectl's own JSON prints for a zero
/// time, which decode() leaves out (the server sets it).
fn without_null_timestamps(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| !(key == "creationTimestamp" && v.is_null()));
            map.values_mut().for_each(without_null_timestamps);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null_timestamps),
        _ => {}
    }
}

/// Bodies captured from kubectl v1.32.4 (`kubectl create ...`), each beside the JSON that kubectl
/// prints for the same command with `--dry-run=client -o json`: see fixtures/README.md.
#[test]
fn decodes_real_kubectl_create_bodies_to_kubectls_own_json() {
    let fixtures: &[(&str, &[u8], &str)] = &[
        (
            "configmap-minimal",
            include_bytes!("fixtures/configmap-minimal.pb"),
            include_str!("fixtures/configmap-minimal.json"),
        ),
        (
            "configmap-app-config",
            include_bytes!("fixtures/configmap-app-config.pb"),
            include_str!("fixtures/configmap-app-config.json"),
        ),
        (
            "configmap-save-config",
            include_bytes!("fixtures/configmap-save-config.pb"),
            include_str!("fixtures/configmap-save-config.json"),
        ),
        (
            "secret-generic",
            include_bytes!("fixtures/secret-generic.pb"),
            include_str!("fixtures/secret-generic.json"),
        ),
        (
            "secret-docker-registry",
            include_bytes!("fixtures/secret-docker-registry.pb"),
            include_str!("fixtures/secret-docker-registry.json"),
        ),
        (
            "namespace",
            include_bytes!("fixtures/namespace.pb"),
            include_str!("fixtures/namespace.json"),
        ),
        (
            "serviceaccount",
            include_bytes!("fixtures/serviceaccount.pb"),
            include_str!("fixtures/serviceaccount.json"),
        ),
        (
            "service-clusterip",
            include_bytes!("fixtures/service-clusterip.pb"),
            include_str!("fixtures/service-clusterip.json"),
        ),
        (
            "service-headless",
            include_bytes!("fixtures/service-headless.pb"),
            include_str!("fixtures/service-headless.json"),
        ),
        (
            "service-nodeport",
            include_bytes!("fixtures/service-nodeport.pb"),
            include_str!("fixtures/service-nodeport.json"),
        ),
        (
            "service-loadbalancer",
            include_bytes!("fixtures/service-loadbalancer.pb"),
            include_str!("fixtures/service-loadbalancer.json"),
        ),
        (
            "service-externalname",
            include_bytes!("fixtures/service-externalname.pb"),
            include_str!("fixtures/service-externalname.json"),
        ),
        (
            "deployment",
            include_bytes!("fixtures/deployment.pb"),
            include_str!("fixtures/deployment.json"),
        ),
    ];
    for (name, body, expected) in fixtures {
        let mut expected: Value = serde_json::from_str(expected).expect("fixture JSON parses");
        without_null_timestamps(&mut expected);
        assert_eq!(
            decode(body).unwrap_or_else(|e| panic!("{name}: {e}")),
            expected,
            "fixture {name}"
        );
    }
}

#[test]
fn kubectl_bodies_carry_the_values_given_on_the_command_line() {
    let configmap = decode(include_bytes!("fixtures/configmap-app-config.pb")).expect("decodes");
    // `--from-file=blob=` of the bytes 00 ff fe " binary " 80: not UTF-8, so binaryData.
    assert_eq!(configmap["binaryData"]["blob"], "AP/+IGJpbmFyeSCA");
    assert_eq!(configmap["data"], json!({"greeting": "hello", "empty": ""}));
    let secret = decode(include_bytes!("fixtures/secret-generic.pb")).expect("decodes");
    assert_eq!(secret["data"]["password"], "czNjcjN0");
    assert!(
        secret.get("type").is_none(),
        "kubectl leaves type empty for generic secrets"
    );
    let service = decode(include_bytes!("fixtures/service-clusterip.pb")).expect("decodes");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], json!(8080));
    assert_eq!(service["spec"]["ports"][1]["targetPort"], json!("https"));
    let deployment = decode(include_bytes!("fixtures/deployment.pb")).expect("decodes");
    assert_eq!(deployment["spec"]["replicas"], json!(3));
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][1]["image"],
        "busybox"
    );
}

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

fn deployment() -> apps_v1::Deployment {
    let quantity = |q: &str| Quantity {
        string: Some(q.into()),
    };
    let container = core_v1::Container {
        name: Some("app".into()),
        image: Some("nginx:1.27".into()),
        command: vec!["nginx".into()],
        args: vec!["-g".into(), "daemon off;".into()],
        ports: vec![core_v1::ContainerPort {
            name: Some("http".into()),
            container_port: Some(8080),
            host_port: Some(0),
            protocol: Some("TCP".into()),
            host_ip: Some(String::new()),
        }],
        env: vec![
            core_v1::EnvVar {
                name: Some("MODE".into()),
                value: Some("prod".into()),
                value_from: None,
            },
            core_v1::EnvVar {
                name: Some("TOKEN".into()),
                value: Some(String::new()),
                value_from: Some(core_v1::EnvVarSource {
                    secret_key_ref: Some(core_v1::SecretKeySelector {
                        local_object_reference: Some(core_v1::LocalObjectReference {
                            name: Some("creds".into()),
                        }),
                        key: Some("token".into()),
                        optional: Some(false),
                    }),
                    ..Default::default()
                }),
            },
        ],
        resources: Some(core_v1::ResourceRequirements {
            limits: [("memory".to_owned(), quantity("128Mi"))].into(),
            requests: [("cpu".to_owned(), quantity("100m"))].into(),
            claims: vec![],
        }),
        readiness_probe: Some(core_v1::Probe {
            handler: Some(core_v1::ProbeHandler {
                http_get: Some(core_v1::HttpGetAction {
                    path: Some("/healthz".into()),
                    port: named_port("http"),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            initial_delay_seconds: Some(0),
            period_seconds: Some(10),
            ..Default::default()
        }),
        volume_mounts: vec![core_v1::VolumeMount {
            name: Some("config".into()),
            mount_path: Some("/etc/app".into()),
            read_only: Some(true),
            ..Default::default()
        }],
        security_context: Some(core_v1::SecurityContext {
            run_as_user: Some(0),
            allow_privilege_escalation: Some(false),
            ..Default::default()
        }),
        stdin: Some(false),
        tty: Some(false),
        ..Default::default()
    };
    let volume = core_v1::Volume {
        name: Some("config".into()),
        volume_source: Some(core_v1::VolumeSource {
            config_map: Some(core_v1::ConfigMapVolumeSource {
                local_object_reference: Some(core_v1::LocalObjectReference {
                    name: Some("app-config".into()),
                }),
                items: vec![core_v1::KeyToPath {
                    key: Some("a".into()),
                    path: Some("a.conf".into()),
                    mode: None,
                }],
                default_mode: Some(0o644),
                optional: None,
            }),
            ..Default::default()
        }),
    };
    let mut template_meta = meta("", "");
    if let Some(m) = template_meta.as_mut() {
        m.labels = strings(&[("app", "web")]);
    }
    apps_v1::Deployment {
        metadata: meta("web", "ns1"),
        spec: Some(apps_v1::DeploymentSpec {
            replicas: Some(0),
            selector: Some(meta_v1::LabelSelector {
                match_labels: strings(&[("app", "web")]),
                match_expressions: vec![meta_v1::LabelSelectorRequirement {
                    key: Some("tier".into()),
                    operator: Some("In".into()),
                    values: vec!["a".into(), "b".into()],
                }],
            }),
            template: Some(core_v1::PodTemplateSpec {
                metadata: template_meta,
                spec: Some(core_v1::PodSpec {
                    containers: vec![container],
                    volumes: vec![volume],
                    termination_grace_period_seconds: Some(30),
                    host_network: Some(false),
                    dns_policy: Some(String::new()),
                    node_selector: strings(&[("disk", "ssd")]),
                    tolerations: vec![core_v1::Toleration {
                        key: Some("k".into()),
                        operator: Some("Exists".into()),
                        effect: Some("NoSchedule".into()),
                        toleration_seconds: Some(0),
                        value: Some(String::new()),
                    }],
                    ..Default::default()
                }),
            }),
            strategy: Some(apps_v1::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps_v1::RollingUpdateDeployment {
                    max_unavailable: int_port(0),
                    max_surge: named_port("25%"),
                }),
            }),
            min_ready_seconds: Some(0),
            revision_history_limit: Some(0),
            paused: Some(false),
            progress_deadline_seconds: Some(600),
        }),
        status: Some(apps_v1::DeploymentStatus {
            observed_generation: Some(0),
            replicas: Some(0),
            ready_replicas: Some(2),
            ..Default::default()
        }),
    }
}

#[test]
fn deployment_with_containers_volumes_and_probes() {
    let decoded = decode(&envelope("apps/v1", "Deployment", &deployment())).expect("decodes");
    assert_eq!(
        decoded,
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns1"},
          "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": "web"},
                         "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
            "template": {
              "metadata": {"labels": {"app": "web"}},
              "spec": {
                "volumes": [{"name": "config", "configMap": {"name": "app-config", "items": [{"key": "a", "path": "a.conf"}],
                                                              "defaultMode": 420}}],
                "containers": [{
                  "name": "app", "image": "nginx:1.27", "command": ["nginx"], "args": ["-g", "daemon off;"],
                  "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                  "env": [{"name": "MODE", "value": "prod"},
                          {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token", "optional": false}}}],
                  "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m"}},
                  "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
                  "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": true}],
                  "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false}
                }],
                "terminationGracePeriodSeconds": 30,
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 0}]
              }
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "revisionHistoryLimit": 0,
            "progressDeadlineSeconds": 600
          },
          "status": {"readyReplicas": 2}})
    );
}

#[test]
fn events_and_leases_print_times_as_rfc3339() {
    let event = core_v1::Event {
        metadata: meta("web.1", "ns1"),
        involved_object: Some(core_v1::ObjectReference {
            kind: Some("Deployment".into()),
            name: Some("web".into()),
            namespace: Some("ns1".into()),
            ..Default::default()
        }),
        reason: Some("ScalingReplicaSet".into()),
        message: Some("Scaled up".into()),
        source: Some(core_v1::EventSource {
            component: Some("deployment-controller".into()),
            host: None,
        }),
        first_timestamp: time(NEW_YEAR),
        last_timestamp: time(NEW_YEAR + 3_723),
        count: Some(4),
        r#type: Some("Normal".into()),
        event_time: Some(meta_v1::MicroTime::default()),
        reporting_component: Some(String::new()),
        ..Default::default()
    };
    assert_eq!(
        decode(&envelope("v1", "Event", &event)).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "ns1"},
               "involvedObject": {"kind": "Deployment", "name": "web", "namespace": "ns1"},
               "reason": "ScalingReplicaSet", "message": "Scaled up", "source": {"component": "deployment-controller"},
               "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T01:02:03Z",
               "count": 4, "type": "Normal"})
    );

    let modern = events_v1::Event {
        metadata: meta("e.2", "ns1"),
        event_time: micro_time(NEW_YEAR, 123_456_789),
        series: Some(events_v1::EventSeries {
            count: Some(7),
            last_observed_time: micro_time(NEW_YEAR + 60, 5_000),
        }),
        reporting_controller: Some("example.com/ctl".into()),
        reporting_instance: Some("ctl-0".into()),
        action: Some("Sync".into()),
        reason: Some("Synced".into()),
        regarding: Some(core_v1::ObjectReference {
            kind: Some("Pod".into()),
            name: Some("p".into()),
            ..Default::default()
        }),
        note: Some("done".into()),
        r#type: Some("Warning".into()),
        deprecated_count: Some(0),
        ..Default::default()
    };
    assert_eq!(
        decode(&envelope("events.k8s.io/v1", "Event", &modern)).expect("decodes"),
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e.2", "namespace": "ns1"},
               "eventTime": "2026-01-01T00:00:00.123456Z",
               "series": {"count": 7, "lastObservedTime": "2026-01-01T00:01:00.000005Z"},
               "reportingController": "example.com/ctl", "reportingInstance": "ctl-0", "action": "Sync",
               "reason": "Synced", "regarding": {"kind": "Pod", "name": "p"}, "note": "done", "type": "Warning"})
    );

    let lease = coordination_v1::Lease {
        metadata: meta("leader", "kube-system"),
        spec: Some(coordination_v1::LeaseSpec {
            holder_identity: Some("pod-a".into()),
            lease_duration_seconds: Some(15),
            acquire_time: micro_time(NEW_YEAR, 0),
            renew_time: micro_time(NEW_YEAR + 10, 500_000_000),
            lease_transitions: Some(0),
            ..Default::default()
        }),
    };
    assert_eq!(
        decode(&envelope("coordination.k8s.io/v1", "Lease", &lease)).expect("decodes"),
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
               "metadata": {"name": "leader", "namespace": "kube-system"},
               "spec": {"holderIdentity": "pod-a", "leaseDurationSeconds": 15,
                        "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:10.500000Z",
                        "leaseTransitions": 0}})
    );
}

#[test]
fn crd_schemas_use_their_json_unions() {
    use apiextensions_v1 as ext;
    let props = |ty: &str| ext::JsonSchemaProps {
        r#type: Some(ty.into()),
        ..Default::default()
    };
    let spec_schema = ext::JsonSchemaProps {
        r#type: Some("object".into()),
        properties: [
            (
                "replicas".to_owned(),
                ext::JsonSchemaProps {
                    minimum: Some(0.0),
                    maximum: Some(1.5),
                    default: Some(ext::Json {
                        raw: Some(b"1".to_vec()),
                    }),
                    ..props("integer")
                },
            ),
            (
                "mode".to_owned(),
                ext::JsonSchemaProps {
                    r#enum: vec![
                        ext::Json {
                            raw: Some(br#""a""#.to_vec()),
                        },
                        ext::Json {
                            raw: Some(br#""b""#.to_vec()),
                        },
                    ],
                    ..props("string")
                },
            ),
        ]
        .into(),
        additional_properties: Some(Box::new(ext::JsonSchemaPropsOrBool {
            allows: Some(false),
            schema: None,
        })),
        x_kubernetes_preserve_unknown_fields: Some(true),
        required: vec!["replicas".into()],
        ..Default::default()
    };
    let crd = ext::CustomResourceDefinition {
        metadata: meta("widgets.example.com", ""),
        spec: Some(ext::CustomResourceDefinitionSpec {
            group: Some("example.com".into()),
            names: Some(ext::CustomResourceDefinitionNames {
                plural: Some("widgets".into()),
                singular: Some("widget".into()),
                short_names: vec!["wd".into()],
                kind: Some("Widget".into()),
                list_kind: Some(String::new()),
                categories: vec![],
            }),
            scope: Some("Namespaced".into()),
            versions: vec![ext::CustomResourceDefinitionVersion {
                name: Some("v1".into()),
                served: Some(true),
                storage: Some(false),
                schema: Some(ext::CustomResourceValidation {
                    open_apiv3_schema: Some(ext::JsonSchemaProps {
                        r#type: Some("object".into()),
                        properties: [("spec".to_owned(), spec_schema)].into(),
                        ..Default::default()
                    }),
                }),
                subresources: Some(ext::CustomResourceSubresources {
                    status: Some(ext::CustomResourceSubresourceStatus {}),
                    scale: None,
                }),
                additional_printer_columns: vec![ext::CustomResourceColumnDefinition {
                    name: Some("Ready".into()),
                    r#type: Some("string".into()),
                    json_path: Some(".status.ready".into()),
                    priority: Some(0),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }),
        status: None,
    };
    assert_eq!(
        decode(&envelope(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            &crd
        ))
        .expect("decodes"),
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
          "metadata": {"name": "widgets.example.com"},
          "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "shortNames": ["wd"], "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": false,
              "subresources": {"status": {}},
              "additionalPrinterColumns": [{"name": "Ready", "type": "string", "jsonPath": ".status.ready"}],
              "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
                "type": "object", "required": ["replicas"], "additionalProperties": false,
                "x-kubernetes-preserve-unknown-fields": true,
                "properties": {
                  "replicas": {"type": "integer", "minimum": 0, "maximum": 1.5, "default": 1},
                  "mode": {"type": "string", "enum": ["a", "b"]}}}}}}}]}})
    );
}

#[test]
fn go_durations_print_as_go_does() {
    let cases: &[(i64, &str)] = &[
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (300_000_000, "300ms"),
        (1_500_000_000, "1.5s"),
        (60_000_000_000, "1m0s"),
        (3_600_000_000_000, "1h0m0s"),
        (5_430_000_000_000, "1h30m30s"),
        (-90_000_000_000, "-1m30s"),
    ];
    for (nanos, expected) in cases {
        assert_eq!(convert::go_duration(*nanos), *expected);
    }
}

#[test]
fn rejects_bodies_it_cannot_decode() {
    assert!(matches!(
        decode(b"{\"kind\":\"ConfigMap\"}"),
        Err(ProtobufError::MissingMagic)
    ));
    assert!(matches!(
        decode(b"k8s\0\x0a\x0f\x0a"),
        Err(ProtobufError::DecodeEnvelope(_))
    ));

    let configmap = core_v1::ConfigMap {
        metadata: meta("x", "ns1"),
        ..Default::default()
    };
    let mut untyped = MAGIC.to_vec();
    untyped.extend(
        Unknown {
            raw: Some(configmap.encode_to_vec()),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    assert!(matches!(
        decode(&untyped),
        Err(ProtobufError::MissingTypeMeta)
    ));

    let error = decode(&envelope("v1", "Pod", &configmap)).expect_err("Pod is not served");
    assert_eq!(
        error.to_string(),
        "Pod (v1) cannot be decoded from protobuf; send it as JSON"
    );
    let error = decode(&envelope("batch/v1", "Job", &configmap)).expect_err("Job is not served");
    assert!(matches!(error, ProtobufError::UnsupportedKind { ref kind, .. } if kind == "Job"));

    let mut truncated = envelope("v1", "ConfigMap", &configmap);
    let garbage = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(vec![0x0a, 0x7f, 0x01]),
        ..Default::default()
    };
    truncated.truncate(MAGIC.len());
    truncated.extend(garbage.encode_to_vec());
    let error = decode(&truncated).expect_err("the message is cut short");
    assert!(
        matches!(error, ProtobufError::DecodeMessage { ref kind, .. } if kind == "ConfigMap"),
        "{error:?}"
    );

    let gzipped = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(configmap.encode_to_vec()),
        content_encoding: Some("gzip".into()),
        content_type: None,
    };
    let mut body = MAGIC.to_vec();
    body.extend(gzipped.encode_to_vec());
    assert!(matches!(decode(&body), Err(ProtobufError::UnsupportedEncoding(e)) if e == "gzip"));

    let mut bad_fields = meta("x", "ns1");
    if let Some(m) = bad_fields.as_mut() {
        m.managed_fields = vec![meta_v1::ManagedFieldsEntry {
            fields_v1: Some(meta_v1::FieldsV1 {
                raw: Some(b"{not json".to_vec()),
            }),
            ..Default::default()
        }];
    }
    let configmap = core_v1::ConfigMap {
        metadata: bad_fields,
        ..Default::default()
    };
    assert!(matches!(
        decode(&envelope("v1", "ConfigMap", &configmap)),
        Err(ProtobufError::EmbeddedJson {
            type_name: "FieldsV1",
            ..
        })
    ));
}

#[test]
fn json_inside_the_envelope_is_accepted() {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(br#"{"metadata":{"name":"j"},"data":{"a":"b"}}"#.to_vec()),
        content_encoding: None,
        content_type: Some("application/json".into()),
    };
    let mut body = MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    assert_eq!(
        decode(&body).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}, "data": {"a": "b"}})
    );
}
