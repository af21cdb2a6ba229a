//! What every rendering must hold, read from the rendered objects: the Deployment's security
//! settings, probes on the port it listens on, writable mounts where it writes, and a Service,
//! NetworkPolicy and PodDisruptionBudget that select its Pods on that port. devcluster checks
//! few of these cross-references (it accepts a probe port or a mount that names nothing), so
//! they are checked here. Also: the defaults match this version and `seal --fetch-cert`, and
//! the chart's CRDs are current.

use std::process::Command;

use serde_json::{Value, json};

use crate::{
    EVERY_VALUE, NS, documents, helm_template, kubectl, kustomize, of_kind, one, root, strings,
};

/// Whether `selector` (a label map) is non-empty and picks the Pods of `pod_labels`.
fn selects(selector: &Value, pod_labels: &Value) -> bool {
    selector.as_object().is_some_and(|m| {
        !m.is_empty()
            && m.iter()
                .all(|(k, v)| pod_labels.get(k).is_some_and(|l| l == v))
    })
}

fn assert_sound(objects: &[Value], replicas: u64) {
    let deployment = one(objects, "Deployment");
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(deployment["spec"]["replicas"], replicas);
    assert!(selects(
        &deployment["spec"]["selector"]["matchLabels"],
        labels
    ));
    let pod = &deployment["spec"]["template"]["spec"];
    let [container] = pod["containers"].as_array().expect("containers").as_slice() else {
        panic!("one container expected")
    };
    assert_secure(objects, pod, container);
    let port = assert_probes_and_mounts(pod, container);
    assert_reachable_on(objects, labels, &port);
}

/// runAsNonRoot, seccomp RuntimeDefault, a read-only root, no privilege escalation, no
/// capabilities, resources, and an installed ServiceAccount.
fn assert_secure(objects: &[Value], pod: &Value, container: &Value) {
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][kind][resource].is_string(),
                "no {kind}.{resource}"
            );
        }
    }
    let account = pod["serviceAccountName"]
        .as_str()
        .expect("a ServiceAccount");
    assert!(
        of_kind(objects, "ServiceAccount")
            .iter()
            .any(|a| a["metadata"]["name"] == account),
        "the Deployment's ServiceAccount {account} is not installed"
    );
}

/// The probes ask /healthz and /readyz on the named port that --listen-addr listens on, and
/// --cache-dir and /tmp (Git's scratch folders) are writable emptyDirs. Returns the port name.
fn assert_probes_and_mounts(pod: &Value, container: &Value) -> String {
    let args = strings(&container["args"]);
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("no --{name}= in {args:?}"))
    };
    let listen_port: u64 = flag("listen-addr")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    let port_name = container["ports"]
        .as_array()
        .and_then(|ports| ports.iter().find(|p| p["containerPort"] == listen_port))
        .and_then(|p| p["name"].as_str())
        .unwrap_or_else(|| panic!("no named container port {listen_port}"));
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert_eq!(container[probe]["httpGet"]["port"], port_name, "{probe}");
    }

    let volumes = pod["volumes"].as_array().expect("volumes");
    let mounts = container["volumeMounts"].as_array().expect("mounts");
    for mount in mounts {
        assert!(
            volumes.iter().any(|v| v["name"] == mount["name"]),
            "{mount} names no volume"
        );
    }
    let empty_dir_at = |path: &str| {
        mounts.iter().filter(|m| m["mountPath"] == path).any(|m| {
            volumes
                .iter()
                .any(|v| v["name"] == m["name"] && v["emptyDir"].is_object())
        })
    };
    assert!(
        empty_dir_at(flag("cache-dir")),
        "--cache-dir is not an emptyDir"
    );
    assert!(empty_dir_at("/tmp"), "/tmp is not an emptyDir");
    port_name.to_owned()
}

/// The Service (one unnamed port: what `seal --fetch-cert`'s services/http:NAME:/proxy
/// reaches), the NetworkPolicy (ingress on that port only) and the PodDisruptionBudget select
/// the Pods.
fn assert_reachable_on(objects: &[Value], pod_labels: &Value, port_name: &str) {
    let service = one(objects, "Service");
    assert!(selects(&service["spec"]["selector"], pod_labels));
    let [port] = service["spec"]["ports"]
        .as_array()
        .expect("ports")
        .as_slice()
    else {
        panic!("the Service must have exactly one port")
    };
    assert!(
        port.get("name").is_none(),
        "the Service port must be unnamed"
    );
    assert_eq!(port["targetPort"], port_name);

    let policy = one(objects, "NetworkPolicy");
    assert!(selects(
        &policy["spec"]["podSelector"]["matchLabels"],
        pod_labels
    ));
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress"]));
    let [rule] = policy["spec"]["ingress"]
        .as_array()
        .expect("ingress")
        .as_slice()
    else {
        panic!("one ingress rule expected")
    };
    assert_eq!(
        rule["ports"],
        json!([{"port": port_name, "protocol": "TCP"}])
    );

    let budget = one(objects, "PodDisruptionBudget");
    assert!(selects(
        &budget["spec"]["selector"]["matchLabels"],
        pod_labels
    ));
}

#[test]
fn every_rendering_meets_the_deployment_requirements() {
    if let Some(kubectl) = kubectl() {
        assert_sound(&kustomize(&kubectl, ""), 2);
        assert_sound(&kustomize(&kubectl, "bitnami"), 2);
    }
    assert_sound(&documents(&helm_template(&[])), 2);
    assert_sound(&documents(&helm_template(EVERY_VALUE)), 3);
}

/// The default image is this version's, in both installs; `seal --fetch-cert`'s defaults
/// (Service `sealsync` in `sealsync-system`) find the default install.
#[test]
fn defaults_match_this_version_and_seal_fetch_cert() {
    let version = env!("CARGO_PKG_VERSION");
    let mut renderings = vec![documents(&helm_template(&[]))];
    if let Some(kubectl) = kubectl() {
        renderings.push(kustomize(&kubectl, ""));
    }
    for objects in renderings {
        let image =
            &one(&objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"];
        assert_eq!(image, &json!(format!("sealsync:{version}")));
        let service = one(&objects, "Service");
        assert_eq!(service["metadata"]["name"], "sealsync");
        assert_eq!(service["metadata"]["namespace"], NS);
    }
    let chart = std::fs::read_to_string(root().join("deploy/helm/sealsync/Chart.yaml"))
        .expect("Chart.yaml");
    assert!(
        chart.contains(&format!("\nappVersion: \"{version}\"\n")),
        "Chart.yaml's appVersion is not {version}"
    );
}

#[test]
fn the_charts_crds_are_what_sealsync_crds_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .arg("crds")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).expect("utf8");
    let path = root().join("deploy/helm/sealsync/crds/sealsync.io.yaml");
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        printed == stored,
        "{} is stale; regenerate it: cargo run -- crds > deploy/helm/sealsync/crds/sealsync.io.yaml",
        path.display()
    );
}
