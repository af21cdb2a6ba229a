//! `ValidatePodSpec` (kube-apiserver's `pkg/apis/core/validation`), for Pods and for the pod
//! templates of Deployments, ReplicaSets, DaemonSets, Jobs and CronJobs, as far as devcluster
//! checks it: each container's volume mounts name a volume, its probe and lifecycle handler
//! ports are valid port numbers or names, its resource requests are at most its limits, and
//! seccomp profiles (pod and container) have a supported type. Each cause carries
//! kube-apiserver's field path (`spec.template.spec.containers[0].volumeMounts[0].name`).
//!
//! A StatefulSet's template is not checked, as upstream does not check it either
//! (`ValidatePodTemplateSpecForStatefulSet` leaves the pod spec out: its volume mounts may name
//! a volume claim template).

use super::quantity::Quantity;
use crate::field::{invalid, not_found, not_supported, required};
use crate::status::Cause;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::HashSet;

/// The pod spec under `spec.template.spec` of a workload, if it has one.
pub(super) fn validate_template(obj: &Value) -> Vec<Cause> {
    validate_at(obj, "/spec/template/spec", "spec.template.spec")
}

/// The pod spec at JSON `pointer`, its causes named under `path`.
pub(super) fn validate_at(obj: &Value, pointer: &str, path: &str) -> Vec<Cause> {
    match obj.pointer(pointer).and_then(Value::as_object) {
        Some(spec) => validate(spec, path),
        None => Vec::new(),
    }
}

fn validate(spec: &Map<String, Value>, path: &str) -> Vec<Cause> {
    let volumes: HashSet<&str> = items(spec.get("volumes"))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    let mut causes = Vec::new();
    for list in ["containers", "initContainers"] {
        for (i, c) in items(spec.get(list)).enumerate() {
            causes.extend(container(c, &volumes, &format!("{path}.{list}[{i}]")));
        }
    }
    causes.extend(seccomp(
        spec.get("securityContext"),
        &format!("{path}.securityContext"),
    ));
    causes
}

fn items(list: Option<&Value>) -> impl Iterator<Item = &Value> {
    list.and_then(Value::as_array).into_iter().flatten()
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `validateContainerCommon`'s checks that devcluster makes, for one container at `path`.
fn container(c: &Value, volumes: &HashSet<&str>, path: &str) -> Vec<Cause> {
    let mut causes = volume_mounts(c, volumes, path);
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        causes.extend(handler(c.get(probe), &format!("{path}.{probe}")));
    }
    for hook in ["postStart", "preStop"] {
        let at = c.get("lifecycle").and_then(|l| l.get(hook));
        causes.extend(handler(at, &format!("{path}.lifecycle.{hook}")));
    }
    causes.extend(resources(c.get("resources"), &format!("{path}.resources")));
    causes.extend(seccomp(
        c.get("securityContext"),
        &format!("{path}.securityContext"),
    ));
    causes
}

/// `ValidateVolumeMounts`: every mount names one of the pod's volumes.
fn volume_mounts(c: &Value, volumes: &HashSet<&str>, path: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    for (i, mount) in items(c.get("volumeMounts")).enumerate() {
        let (name, field) = (
            str_at(mount, "name"),
            format!("{path}.volumeMounts[{i}].name"),
        );
        if name.is_empty() {
            causes.push(required(&field, ""));
        }
        if !volumes.contains(name) {
            causes.push(not_found(&field, name));
        }
    }
    causes
}

/// `validateHTTPGetAction` and `validateTCPSocketAction`'s port: `ValidatePortNumOrName`.
fn handler(at: Option<&Value>, path: &str) -> Vec<Cause> {
    let Some(at) = at else {
        return Vec::new();
    };
    ["httpGet", "tcpSocket"]
        .into_iter()
        .filter_map(|action| {
            let port = at.get(action)?.get("port")?;
            Some(port_num_or_name(port, &format!("{path}.{action}.port")))
        })
        .flatten()
        .collect()
}

/// `ValidatePortNumOrName`: an int-or-string port; a number is `IsValidPortNum`, a string
/// (even one of digits, as JSON `"8080"` decodes as a name) is `IsValidPortName`.
fn port_num_or_name(port: &Value, field: &str) -> Vec<Cause> {
    match port {
        Value::String(name) => port_name_errors(name)
            .into_iter()
            .map(|why| invalid(field, format!("{name:?}"), why))
            .collect(),
        Value::Number(n) => match n.as_i64() {
            Some(p) if (1..=65535).contains(&p) => Vec::new(),
            _ => vec![invalid(
                field,
                n.to_string(),
                "must be between 1 and 65535, inclusive",
            )],
        },
        _ => Vec::new(),
    }
}

/// `validation.IsValidPortName`: an IANA service name.
fn port_name_errors(name: &str) -> Vec<&'static str> {
    let mut errors = Vec::new();
    if name.len() > 15 {
        errors.push("must be no more than 15 characters");
    }
    let charset = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if name.is_empty() || !name.bytes().all(charset) {
        errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)");
    }
    if name.contains("--") {
        errors.push("must not contain consecutive hyphens");
    }
    if name.starts_with('-') || name.ends_with('-') {
        errors.push("must not begin or end with a hyphen");
    }
    errors
}

/// `ValidateResourceRequirements`: a request is at most its limit, and a resource that cannot be
/// overcommitted (an extended resource, hugepages) is requested exactly at its limit. The
/// cause names `resources.requests`, the quantities printed in canonical form.
fn resources(resources: Option<&Value>, path: &str) -> Vec<Cause> {
    let map = |k: &str| resources.and_then(|r| r.get(k)).and_then(Value::as_object);
    let (Some(requests), Some(limits)) = (map("requests"), map("limits")) else {
        return Vec::new();
    };
    let quantity = |v: &Value| v.as_str().and_then(Quantity::parse);
    let mut causes = Vec::new();
    for (name, request) in requests {
        let (Some(request), Some(limit)) = (quantity(request), limits.get(name).and_then(quantity))
        else {
            continue;
        };
        let order = request.cmp_value(&limit);
        let why = if order != Ordering::Equal && !overcommit_allowed(name) {
            "must be equal to"
        } else if order == Ordering::Greater {
            "must be less than or equal to"
        } else {
            continue;
        };
        causes.push(invalid(
            &format!("{path}.requests"),
            format!("{:?}", request.canonical()),
            &format!("{why} {name} limit of {}", limit.canonical()),
        ));
    }
    causes
}

/// `helper.IsOvercommitAllowed`: native resources (no domain, or a `kubernetes.io/` one) other
/// than hugepages.
fn overcommit_allowed(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    native && !name.starts_with("hugepages-")
}

/// `validateSeccompProfileField` of the `securityContext` at `path`.
fn seccomp(security_context: Option<&Value>, path: &str) -> Vec<Cause> {
    const TYPES: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
    let Some(profile) = security_context
        .and_then(|s| s.get("seccompProfile"))
        .filter(|p| p.is_object())
    else {
        return Vec::new();
    };
    let path = format!("{path}.seccompProfile");
    let kind = str_at(profile, "type");
    let mut causes = Vec::new();
    if kind.is_empty() {
        causes.push(required(
            &format!("{path}.type"),
            "type is required when seccompProfile is set",
        ));
    } else if !TYPES.contains(&kind) {
        causes.push(not_supported(&format!("{path}.type"), kind, TYPES));
    }
    let localhost = profile
        .get("localhostProfile")
        .is_some_and(|p| !p.is_null());
    if kind == "Localhost" && !localhost {
        causes.push(required(
            &format!("{path}.localhostProfile"),
            "must be set when seccomp type is Localhost",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn causes(pod_spec: Value) -> Vec<(String, String, String)> {
        let obj = json!({"spec": {"template": {"spec": pod_spec}}});
        validate_template(&obj)
            .into_iter()
            .map(|c| (c.field, c.reason.as_str().to_string(), c.message))
            .collect()
    }

    fn one(field: &str, reason: &str, message: &str) -> Vec<(String, String, String)> {
        vec![(field.into(), reason.into(), message.into())]
    }

    #[test]
    fn a_valid_pod_spec_passes() {
        let spec = json!({
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [{"name": "data", "emptyDir": {}}],
            "containers": [{"name": "app", "image": "app:1",
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                "readinessProbe": {"tcpSocket": {"port": 8080}},
                "resources": {"requests": {"memory": "1Gi", "cpu": "2"},
                    "limits": {"memory": "1024Mi", "cpu": "3"}}}]});
        assert_eq!(causes(spec), []);
    }

    #[test]
    fn a_seccomp_type_is_one_of_three() {
        let spec =
            json!({"securityContext": {"seccompProfile": {"type": "Foo"}}, "containers": []});
        assert_eq!(
            causes(spec),
            one(
                "spec.template.spec.securityContext.seccompProfile.type",
                "FieldValueNotSupported",
                "Unsupported value: \"Foo\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\""
            )
        );
        let container = json!({"containers": [{"name": "a",
            "securityContext": {"seccompProfile": {"type": "Localhost"}}}]});
        assert_eq!(
            causes(container)[0].0,
            "spec.template.spec.containers[0].securityContext.seccompProfile.localhostProfile"
        );
    }

    #[test]
    fn a_probe_port_is_a_number_or_a_name() {
        let spec = json!({"containers": [{"name": "a",
            "livenessProbe": {"httpGet": {"path": "/", "port": "Not_Valid"}}}]});
        assert_eq!(
            causes(spec),
            one(
                "spec.template.spec.containers[0].livenessProbe.httpGet.port",
                "FieldValueInvalid",
                "Invalid value: \"Not_Valid\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
            )
        );
        assert_eq!(
            port_name_errors("8080"),
            ["must contain at least one letter (a-z)"]
        );
        let number = port_num_or_name(&json!(70000), "p");
        assert_eq!(
            number[0].message,
            "Invalid value: 70000: must be between 1 and 65535, inclusive"
        );
    }

    #[test]
    fn a_volume_mount_names_a_volume() {
        let spec = json!({"initContainers": [{"name": "a",
            "volumeMounts": [{"name": "cache", "mountPath": "/c"}]}]});
        assert_eq!(
            causes(spec),
            one(
                "spec.template.spec.initContainers[0].volumeMounts[0].name",
                "FieldValueNotFound",
                "Not found: \"cache\""
            )
        );
    }

    #[test]
    fn a_request_is_at_most_its_limit() {
        let spec = json!({"containers": [{"name": "a", "resources": {
            "requests": {"memory": "2048Mi"}, "limits": {"memory": "1Gi"}}}]});
        assert_eq!(
            causes(spec),
            one(
                "spec.template.spec.containers[0].resources.requests",
                "FieldValueInvalid",
                "Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi"
            )
        );
        let gpu = json!({"containers": [{"name": "a", "resources": {
            "requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "2"}}}]});
        assert_eq!(
            causes(gpu)[0].2,
            "Invalid value: \"1\": must be equal to nvidia.com/gpu limit of 2"
        );
    }
}
