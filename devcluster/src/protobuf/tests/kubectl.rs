//! Bodies from the real kubectl.

use serde_json::{Value, json};

use super::*;
use crate::protobuf::*;

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
            include_bytes!("../fixtures/configmap-minimal.pb"),
            include_str!("../fixtures/configmap-minimal.json"),
        ),
        (
            "configmap-app-config",
            include_bytes!("../fixtures/configmap-app-config.pb"),
            include_str!("../fixtures/configmap-app-config.json"),
        ),
        (
            "configmap-save-config",
            include_bytes!("../fixtures/configmap-save-config.pb"),
            include_str!("../fixtures/configmap-save-config.json"),
        ),
        (
            "secret-generic",
            include_bytes!("../fixtures/secret-generic.pb"),
            include_str!("../fixtures/secret-generic.json"),
        ),
        (
            "secret-docker-registry",
            include_bytes!("../fixtures/secret-docker-registry.pb"),
            include_str!("../fixtures/secret-docker-registry.json"),
        ),
        (
            "namespace",
            include_bytes!("../fixtures/namespace.pb"),
            include_str!("../fixtures/namespace.json"),
        ),
        (
            "serviceaccount",
            include_bytes!("../fixtures/serviceaccount.pb"),
            include_str!("../fixtures/serviceaccount.json"),
        ),
        (
            "service-clusterip",
            include_bytes!("../fixtures/service-clusterip.pb"),
            include_str!("../fixtures/service-clusterip.json"),
        ),
        (
            "service-headless",
            include_bytes!("../fixtures/service-headless.pb"),
            include_str!("../fixtures/service-headless.json"),
        ),
        (
            "service-nodeport",
            include_bytes!("../fixtures/service-nodeport.pb"),
            include_str!("../fixtures/service-nodeport.json"),
        ),
        (
            "service-loadbalancer",
            include_bytes!("../fixtures/service-loadbalancer.pb"),
            include_str!("../fixtures/service-loadbalancer.json"),
        ),
        (
            "service-externalname",
            include_bytes!("../fixtures/service-externalname.pb"),
            include_str!("../fixtures/service-externalname.json"),
        ),
        (
            "deployment",
            include_bytes!("../fixtures/deployment.pb"),
            include_str!("../fixtures/deployment.json"),
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
    let configmap = decode(include_bytes!("../fixtures/configmap-app-config.pb")).expect("decodes");
    // `--from-file=blob=` of the bytes 00 ff fe " binary " 80: not UTF-8, so binaryData.
    assert_eq!(configmap["binaryData"]["blob"], "AP/+IGJpbmFyeSCA");
    assert_eq!(configmap["data"], json!({"greeting": "hello", "empty": ""}));
    let secret = decode(include_bytes!("../fixtures/secret-generic.pb")).expect("decodes");
    assert_eq!(secret["data"]["password"], "czNjcjN0");
    assert!(
        secret.get("type").is_none(),
        "kubectl leaves type empty for generic secrets"
    );
    let service = decode(include_bytes!("../fixtures/service-clusterip.pb")).expect("decodes");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], json!(8080));
    assert_eq!(service["spec"]["ports"][1]["targetPort"], json!("https"));
    let deployment = decode(include_bytes!("../fixtures/deployment.pb")).expect("decodes");
    assert_eq!(deployment["spec"]["replicas"], json!(3));
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][1]["image"],
        "busybox"
    );
}
