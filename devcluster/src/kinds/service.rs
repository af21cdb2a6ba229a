//! Services: the defaults kube-apiserver fills in (type, an allocated cluster IP, port protocol
//! and targetPort, affinity and policies) and the rule that allocated cluster IPs never change.

use super::pod_template::{invalid, object_at, set_missing};
use crate::status::Cause;
use serde_json::{Value, json};

/// A cluster IP in 10.96.0.0/16 derived from the object's uid (not checked for collisions).
fn cluster_ip(uid: &str) -> String {
    let h = uid
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let (x, y) = ((h >> 8) & 0xff, (h & 0xff).max(1));
    format!("10.96.{x}.{y}")
}

/// Service defaults; `old` (on update) keeps the allocated, immutable cluster IPs.
/// `SetDefaults_Service`: type, traffic policy, affinity, port protocol and target port.
pub(super) fn defaults(obj: &mut Value, _old: Option<&Value>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "type", json!("ClusterIP"));
    if !is_external_name_spec(spec) {
        set_missing(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    set_missing(spec, "sessionAffinity", json!("None"));
    if let Some(Value::Array(ports)) = spec.get_mut("ports") {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_missing(port, "protocol", json!("TCP"));
            if let Some(p) = port.get("port").cloned() {
                set_missing(port, "targetPort", p);
            }
        }
    }
}

fn is_external_name_spec(spec: &serde_json::Map<String, Value>) -> bool {
    spec.get("type").and_then(Value::as_str) == Some("ExternalName")
}

/// The Service storage's allocation: a cluster IP (kept from the old object on update) and the
/// IP family fields. Owned by nobody, so appliers that leave `clusterIP` out keep it.
pub(super) fn allocate(obj: &mut Value, old: Option<&Value>) {
    let uid = crate::meta::uid(obj).to_string();
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    if is_external_name_spec(spec) {
        return;
    }
    for key in ["clusterIP", "clusterIPs"] {
        if let Some(v) = old.and_then(|o| o.pointer(&format!("/spec/{key}"))) {
            set_missing(spec, key, v.clone());
        }
    }
    set_missing(spec, "clusterIP", json!(cluster_ip(&uid)));
    let ip = spec.get("clusterIP").cloned().unwrap_or(Value::Null);
    set_missing(spec, "clusterIPs", json!([ip]));
    set_missing(spec, "ipFamilies", json!(["IPv4"]));
    set_missing(spec, "ipFamilyPolicy", json!("SingleStack"));
}

fn is_external_name(svc: &Value) -> bool {
    svc.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName")
}

/// A Service update: `spec.clusterIP` and the primary `spec.clusterIPs` entry may not change
/// (switching to or from ExternalName excepted).
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    if is_external_name(old) || is_external_name(new) {
        return causes;
    }
    let old_ip = old.pointer("/spec/clusterIP").and_then(Value::as_str);
    let new_ip = new.pointer("/spec/clusterIP").and_then(Value::as_str);
    if let Some(o) = old_ip.filter(|o| !o.is_empty())
        && new_ip != Some(o)
    {
        let shown = format!("{:?}", new_ip.unwrap_or_default());
        causes.push(invalid("spec.clusterIP", shown, "field is immutable"));
    }
    let first = |v: &Value| {
        v.pointer("/spec/clusterIPs/0")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if let Some(o) = first(old)
        && first(new).is_some_and(|n| n != o)
    {
        let ips: Vec<String> = new
            .pointer("/spec/clusterIPs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|ip| format!("{:?}", ip.as_str().unwrap_or_default()))
            .collect();
        let shown = format!("[]string{{{}}}", ips.join(", "));
        causes.push(invalid(
            "spec.clusterIPs[0]",
            shown,
            "may not change once set",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_gets_type_ip_and_port_defaults() {
        let mut s = json!({"metadata": {"uid": "u1"}, "spec": {"ports": [{"port": 80}]}});
        defaults(&mut s, None);
        allocate(&mut s, None);
        assert_eq!(s["spec"]["type"], "ClusterIP");
        assert!(
            s["spec"]["clusterIP"]
                .as_str()
                .is_some_and(|ip| ip.starts_with("10.96."))
        );
        assert_eq!(
            s["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        let mut updated = json!({"metadata": {"uid": "u1"}, "spec": {"ports": [{"port": 81}]}});
        defaults(&mut updated, Some(&s));
        allocate(&mut updated, Some(&s));
        assert_eq!(updated["spec"]["clusterIP"], s["spec"]["clusterIP"]);
    }

    #[test]
    fn service_cluster_ip_is_immutable() {
        let old = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]}});
        assert!(validate_update(&old, &old).is_empty());
        let new = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.6"]}});
        let causes = validate_update(&old, &new);
        assert_eq!(causes[0].field, "spec.clusterIP");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"10.96.0.6\": field is immutable"
        );
        assert_eq!(causes[1].field, "spec.clusterIPs[0]");
        let external = json!({"spec": {"type": "ExternalName", "externalName": "x.example"}});
        assert!(validate_update(&old, &external).is_empty());
    }
}
