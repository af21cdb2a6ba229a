//! Defaults kube-apiserver fills in for the built-in kinds whose controllers and clients rely on
//! them: Services (type, an allocated cluster IP, port protocol and targetPort, affinity and
//! policies), Namespaces (the `kubernetes.io/metadata.name` label) and Deployments (replicas,
//! strategy, history limit, pod template defaults).

use serde_json::{Map, Value, json};

fn set_missing(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if obj.get(key).is_none_or(Value::is_null) {
        obj.insert(key.into(), value);
    }
}

fn object_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    v.get_mut(key).and_then(Value::as_object_mut)
}

/// A cluster IP in 10.96.0.0/16 derived from the object's uid (not checked for collisions).
fn cluster_ip(uid: &str) -> String {
    let h = uid
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let (x, y) = ((h >> 8) & 0xff, (h & 0xff).max(1));
    format!("10.96.{x}.{y}")
}

/// Service defaults; `old` (on update) keeps the allocated, immutable cluster IPs.
pub(super) fn service(obj: &mut Value, old: Option<&Value>) {
    let uid = crate::meta::uid(obj).to_string();
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "type", json!("ClusterIP"));
    let kind = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    if kind != "ExternalName" {
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

/// Namespaces always carry `kubernetes.io/metadata.name=<name>` (set again if removed or
/// changed), as kube-apiserver's namespace strategy does.
pub(super) fn namespace(obj: &mut Value) {
    let name = crate::meta::name(obj).to_string();
    let meta = crate::meta::meta_mut(obj);
    if !meta.get("labels").is_some_and(Value::is_object) {
        meta.insert("labels".into(), json!({}));
    }
    if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
    }
}

fn image_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    let tagged = last.contains(':') || image.contains('@');
    if !tagged || last.ends_with(":latest") {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// Deployment defaults (apps/v1 `SetDefaults_Deployment` and the pod template's).
pub(super) fn deployment(obj: &mut Value) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_missing(spec, "replicas", json!(1));
    set_missing(spec, "revisionHistoryLimit", json!(10));
    set_missing(spec, "progressDeadlineSeconds", json!(600));
    set_missing(
        spec,
        "strategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
    );
    let Some(pod) = spec.get_mut("template").and_then(|t| object_at(t, "spec")) else {
        return;
    };
    set_missing(pod, "restartPolicy", json!("Always"));
    set_missing(pod, "terminationGracePeriodSeconds", json!(30));
    set_missing(pod, "dnsPolicy", json!("ClusterFirst"));
    set_missing(pod, "schedulerName", json!("default-scheduler"));
    set_missing(pod, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = pod.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                let image = c
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                set_missing(c, "imagePullPolicy", json!(image_pull_policy(&image)));
                set_missing(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_missing(c, "terminationMessagePolicy", json!("File"));
                set_missing(c, "resources", json!({}));
                if let Some(Value::Array(ports)) = c.get_mut("ports") {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_missing(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_gets_type_ip_and_port_defaults() {
        let mut s = json!({"metadata": {"uid": "u1"}, "spec": {"ports": [{"port": 80}]}});
        service(&mut s, None);
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
        service(&mut updated, Some(&s));
        assert_eq!(updated["spec"]["clusterIP"], s["spec"]["clusterIP"]);
    }

    #[test]
    fn deployment_gets_template_defaults() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx"}]}}}});
        deployment(&mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            (
                c["imagePullPolicy"].as_str(),
                c["terminationMessagePolicy"].as_str()
            ),
            (Some("Always"), Some("File"))
        );
        assert_eq!(image_pull_policy("registry:5000/nginx:1.2"), "IfNotPresent");
        assert_eq!(image_pull_policy("registry:5000/nginx"), "Always");
    }
}
