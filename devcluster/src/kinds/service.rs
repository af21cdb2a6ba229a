//! Services: the defaults kube-apiserver fills in (type, an allocated cluster IP, port protocol
//! and targetPort, affinity and policies), the port names, and the rule that allocated cluster
//! IPs never change.

use super::pod_template::{object_at, set_missing};
use crate::field::{duplicate, invalid, required};
use crate::status::Cause;
use serde_json::{Map, Value, json};

/// A cluster IP in 10.96.0.0/16 derived from the object's uid (not checked for collisions).
fn cluster_ip(uid: &str) -> String {
    let h = uid
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let (x, y) = ((h >> 8) & 0xff, (h & 0xff).max(1));
    format!("10.96.{x}.{y}")
}

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

fn is_external_name_spec(spec: &Map<String, Value>) -> bool {
    spec.get("type").and_then(Value::as_str) == Some("ExternalName")
}

fn is_external_name(svc: &Value) -> bool {
    svc.get("spec")
        .and_then(Value::as_object)
        .is_some_and(is_external_name_spec)
}

fn ip_of(spec: &Map<String, Value>) -> &str {
    spec.get("clusterIP")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn ips_of(spec: &Map<String, Value>) -> Vec<String> {
    spec.get("clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ip| ip.as_str().map(str::to_string))
        .collect()
}

/// The Service storage's allocation, after kube-apiserver's `patchAllocatedValues` and
/// `normalizeClusterIPs`: an empty `clusterIP` (`""` or absent, as Helm charts often render it)
/// keeps the old one on update and is allocated on create; `clusterIPs` follows `clusterIP`;
/// the IP family fields are filled in. Owned by nobody, so appliers that leave `clusterIP` out
/// keep it.
pub(super) fn allocate(obj: &mut Value, old: Option<&Value>) {
    let uid = crate::meta::uid(obj).to_string();
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    if is_external_name_spec(spec) {
        drop_type_dependent_fields(spec, old);
        return;
    }
    let old_spec = old
        .and_then(|o| o.get("spec"))
        .and_then(Value::as_object)
        .filter(|s| !is_external_name_spec(s));
    if let Some(old_spec) = old_spec {
        // patchAllocatedValues: what the client left empty keeps its allocated value.
        if ip_of(spec).is_empty() {
            spec.insert("clusterIP".into(), json!(ip_of(old_spec)));
        }
        if ips_of(spec).is_empty() && !ips_of(old_spec).is_empty() && ip_of(spec) == ip_of(old_spec)
        {
            spec.insert("clusterIPs".into(), json!(ips_of(old_spec)));
        }
        // normalizeClusterIPs: a changed clusterIP with unchanged clusterIPs moves them along.
        if ip_of(spec) != ip_of(old_spec)
            && !ip_of(spec).is_empty()
            && ips_of(spec) == ips_of(old_spec)
        {
            let ip = ip_of(spec).to_string();
            spec.insert("clusterIPs".into(), json!([ip]));
        }
    }
    if ip_of(spec).is_empty() {
        spec.insert("clusterIP".into(), json!(cluster_ip(&uid)));
    }
    if ips_of(spec).is_empty() {
        let ip = ip_of(spec).to_string();
        spec.insert("clusterIPs".into(), json!([ip]));
    }
    set_missing(spec, "ipFamilies", json!(["IPv4"]));
    set_missing(spec, "ipFamilyPolicy", json!("SingleStack"));
}

/// `dropTypeDependentFields`: a Service that becomes ExternalName loses the cluster IPs, IP
/// families and internal traffic policy it was allocated, when the client left them unchanged.
fn drop_type_dependent_fields(spec: &mut Map<String, Value>, old: Option<&Value>) {
    let Some(old_spec) = old
        .and_then(|o| o.get("spec"))
        .and_then(Value::as_object)
        .filter(|s| !is_external_name_spec(s))
    else {
        return;
    };
    for field in [
        "clusterIP",
        "clusterIPs",
        "ipFamilies",
        "ipFamilyPolicy",
        "internalTrafficPolicy",
    ] {
        if spec.get(field).is_some() && spec.get(field) == old_spec.get(field) {
            spec.remove(field);
        }
    }
}

/// `ValidateService`'s port names (`validateServicePort`): with more than one port each needs a
/// name; a name is a DNS-1123 label, unique among the ports.
pub(super) fn validate(svc: &Value) -> Vec<Cause> {
    let ports = svc.pointer("/spec/ports").and_then(Value::as_array);
    let ports = ports.map(Vec::as_slice).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let mut causes = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let field = format!("spec.ports[{i}].name");
        let name = port.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            if ports.len() > 1 {
                causes.push(required(&field, ""));
            }
            continue;
        }
        if let Err(why) = crate::meta::validate_name(crate::meta::NameRule::Label, name) {
            causes.push(invalid(&field, format!("{name:?}"), &why));
        }
        if !seen.insert(name) {
            causes.push(duplicate(&field, name));
        }
    }
    causes
}

/// A Service update (`ValidateServiceUpdate`'s cluster IP rule): no allocated `clusterIPs` entry
/// may change, switching to or from ExternalName and headless-to-headless excepted. One cause per
/// changed entry, `spec.clusterIPs[i]: Invalid value: []string{...}: may not change once set`.
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    if is_external_name(old) || is_external_name(new) {
        return Vec::new();
    }
    let spec = |o: &Value| {
        o.get("spec")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (old_ips, new_ips) = (ips_of(&spec(old)), ips_of(&spec(new)));
    let headless = |ips: &[String]| ips.first().is_some_and(|ip| ip == "None");
    if headless(&old_ips) && headless(&new_ips) {
        return Vec::new();
    }
    let shown = || {
        let quoted: Vec<String> = new_ips.iter().map(|ip| format!("{ip:?}")).collect();
        format!("[]string{{{}}}", quoted.join(", "))
    };
    if new_ips.is_empty() && !old_ips.is_empty() {
        return vec![invalid(
            "spec.clusterIPs[0]",
            "[]string(nil)".into(),
            "primary clusterIP can not be unset",
        )];
    }
    old_ips
        .iter()
        .zip(&new_ips)
        .enumerate()
        .filter(|(_, (o, n))| o != n)
        .map(|(i, _)| {
            invalid(
                &format!("spec.clusterIPs[{i}]"),
                shown(),
                "may not change once set",
            )
        })
        .collect()
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
    fn several_ports_are_named_uniquely() {
        let one = json!({"spec": {"ports": [{"port": 80}]}});
        assert!(validate(&one).is_empty());
        let unnamed = json!({"spec": {"ports": [{"port": 80}, {"port": 443}]}});
        let fields: Vec<_> = validate(&unnamed).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, ["spec.ports[0].name", "spec.ports[1].name"]);
        let twice =
            json!({"spec": {"ports": [{"name": "web", "port": 80}, {"name": "web", "port": 81}]}});
        let causes = validate(&twice);
        assert_eq!(
            (causes[0].field.as_str(), causes[0].message.as_str()),
            ("spec.ports[1].name", "Duplicate value: \"web\"")
        );
    }

    #[test]
    fn service_cluster_ip_is_immutable() {
        let old = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.5", "clusterIPs": ["10.96.0.5"]}});
        assert!(validate_update(&old, &old).is_empty());
        let new = json!({"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.6", "clusterIPs": ["10.96.0.6"]}});
        let causes = validate_update(&old, &new);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.clusterIPs[0]");
        assert_eq!(
            causes[0].message,
            "Invalid value: []string{\"10.96.0.6\"}: may not change once set"
        );
        let external = json!({"spec": {"type": "ExternalName", "externalName": "x.example"}});
        assert!(validate_update(&old, &external).is_empty());
    }

    #[test]
    fn becoming_external_name_drops_the_allocated_ips() {
        let mut old = json!({"metadata": {"uid": "u1"}, "spec": {"ports": [{"port": 80}]}});
        defaults(&mut old, None);
        allocate(&mut old, None);
        let mut new = old.clone();
        new["spec"]["type"] = json!("ExternalName");
        new["spec"]["externalName"] = json!("db.example.com");
        allocate(&mut new, Some(&old));
        for gone in [
            "clusterIP",
            "clusterIPs",
            "ipFamilies",
            "ipFamilyPolicy",
            "internalTrafficPolicy",
        ] {
            assert!(new["spec"].get(gone).is_none(), "{gone}: {new}");
        }
    }

    #[test]
    fn an_empty_cluster_ip_is_allocated_or_kept() {
        let mut created =
            json!({"metadata": {"uid": "u1"}, "spec": {"clusterIP": "", "ports": [{"port": 80}]}});
        allocate(&mut created, None);
        let ip = created["spec"]["clusterIP"]
            .as_str()
            .expect("allocated")
            .to_string();
        assert!(ip.starts_with("10.96."), "{created}");
        assert_eq!(created["spec"]["clusterIPs"], json!([ip]));
        let mut updated = json!({"metadata": {"uid": "u1"}, "spec": {"clusterIP": ""}});
        allocate(&mut updated, Some(&created));
        assert_eq!(updated["spec"]["clusterIP"], json!(ip));
        assert_eq!(updated["spec"]["clusterIPs"], json!([ip]));
        assert!(validate_update(&created, &updated).is_empty());
        // A changed clusterIP carries clusterIPs along, and validation names clusterIPs[0].
        let mut moved = json!({"metadata": {"uid": "u1"}, "spec": {"clusterIP": "10.96.9.9",
            "clusterIPs": [ip]}});
        allocate(&mut moved, Some(&created));
        assert_eq!(moved["spec"]["clusterIPs"], json!(["10.96.9.9"]));
        assert_eq!(
            validate_update(&created, &moved)[0].field,
            "spec.clusterIPs[0]"
        );
    }
}
