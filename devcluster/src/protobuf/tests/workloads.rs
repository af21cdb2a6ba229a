//! Deployment, Event, Lease and CRD messages built with k8s-pb.

use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use serde_json::json;

use super::*;
use crate::protobuf::*;

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
