//! Cells of the kinds served since devcluster v2 (Pods, PersistentVolumeClaims, the other
//! workloads, RBAC bindings, networking, policy, autoscaling, scheduling and storage), computed
//! as kube-apiserver's printers (pkg/printers/internalversion) compute them, from the object's
//! JSON form. Cells that need other objects (a Pod's node, an Ingress's load balancer) show what
//! the object itself holds.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::age::age_since;
use super::printers::{count, int, label_selector_string, strings, text};

/// The string at `pointer`, or `default` when it is empty or absent.
fn text_or(o: &Value, pointer: &str, default: &str) -> Value {
    match text(o, pointer) {
        "" => json!(default),
        t => json!(t),
    }
}

fn or_none(s: String) -> Value {
    if s.is_empty() {
        json!("<none>")
    } else {
        json!(s)
    }
}

/// Pod "Ready": ready containers / containers.
pub(crate) fn pod_ready(o: &Value, _now: SystemTime) -> Value {
    let total = count(o, "/spec/containers");
    let ready = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    json!(format!("{ready}/{total}"))
}

/// Pod "Status": the reason, else the phase (`Pending` when there is none).
pub(crate) fn pod_status(o: &Value, _now: SystemTime) -> Value {
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        return json!("Terminating");
    }
    match (text(o, "/status/reason"), text(o, "/status/phase")) {
        (r, _) if !r.is_empty() => json!(r),
        (_, "") => json!("Pending"),
        (_, p) => json!(p),
    }
}

/// Pod "Restarts": the sum of the containers' restart counts.
pub(crate) fn pod_restarts(o: &Value, _now: SystemTime) -> Value {
    let n: i64 = o
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
        .sum();
    json!(n)
}

pub(crate) fn pod_ip(o: &Value, _now: SystemTime) -> Value {
    or_none(text(o, "/status/podIP").to_owned())
}

pub(crate) fn pod_node(o: &Value, _now: SystemTime) -> Value {
    or_none(text(o, "/spec/nodeName").to_owned())
}

pub(crate) fn pod_nominated_node(o: &Value, _now: SystemTime) -> Value {
    or_none(text(o, "/status/nominatedNodeName").to_owned())
}

pub(crate) fn pod_readiness_gates(o: &Value, _now: SystemTime) -> Value {
    match count(o, "/spec/readinessGates") {
        0 => json!("<none>"),
        n => json!(format!("0/{n}")),
    }
}

pub(crate) fn pvc_status(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/status/phase", "Pending")
}

pub(crate) fn pvc_volume(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/volumeName"))
}

pub(crate) fn pvc_capacity(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/status/capacity/storage"))
}

/// "Access Modes" as `RWO,ROX,RWX,RWOP`, from the list at `pointer`.
fn access_modes(o: &Value, pointer: &str) -> Value {
    let modes: Vec<&str> = strings(o, pointer)
        .iter()
        .map(|m| match m.as_str() {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            _ => "",
        })
        .filter(|m| !m.is_empty())
        .collect();
    json!(modes.join(","))
}

/// A claim's "Access Modes": those of the bound volume.
pub(crate) fn pvc_access_modes(o: &Value, _now: SystemTime) -> Value {
    access_modes(o, "/status/accessModes")
}

/// A `map[string]string` at `pointer` as `k=v,...`, sorted (`labels.SelectorFromSet`).
fn sorted_pairs(o: &Value, pointer: &str) -> String {
    let mut pairs: Vec<String> = o
        .pointer(pointer)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// ReplicationController "Selector": its `map[string]string` selector.
pub(crate) fn map_selector(o: &Value, _now: SystemTime) -> Value {
    json!(sorted_pairs(o, "/spec/selector"))
}

pub(crate) fn pv_capacity(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/capacity/storage"))
}

pub(crate) fn pv_access_modes(o: &Value, _now: SystemTime) -> Value {
    access_modes(o, "/spec/accessModes")
}

pub(crate) fn pv_reclaim(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/persistentVolumeReclaimPolicy"))
}

pub(crate) fn pv_claim(o: &Value, _now: SystemTime) -> Value {
    match text(o, "/spec/claimRef/name") {
        "" => json!(""),
        n => json!(format!("{}/{n}", text(o, "/spec/claimRef/namespace"))),
    }
}

pub(crate) fn pv_reason(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/status/reason"))
}

pub(crate) fn pvc_storage_class(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/storageClassName"))
}

pub(crate) fn pvc_attributes_class(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/spec/volumeAttributesClassName", "<unset>")
}

pub(crate) fn pvc_volume_mode(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/spec/volumeMode", "<unset>")
}

/// Endpoints "Endpoints": `ip:port` pairs, at most three, then `+ N more...`.
pub(crate) fn endpoints(o: &Value, _now: SystemTime) -> Value {
    let mut pairs = Vec::new();
    for subset in o
        .get("subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ports: Vec<i64> = subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("port").and_then(Value::as_i64))
            .collect();
        for addr in subset
            .get("addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let ip = text(addr, "/ip");
            if ports.is_empty() {
                pairs.push(ip.to_owned());
            }
            pairs.extend(ports.iter().map(|p| format!("{ip}:{p}")));
        }
    }
    let shown = if pairs.len() > 3 {
        format!("{} + {} more...", pairs[..3].join(","), pairs.len() - 3)
    } else {
        pairs.join(",")
    };
    or_none(shown)
}

fn quota_pairs(o: &Value, limits: bool) -> Value {
    let hard = o.pointer("/status/hard").and_then(Value::as_object);
    let used = o.pointer("/status/used").and_then(Value::as_object);
    let mut out = Vec::new();
    for (k, v) in hard.into_iter().flatten() {
        if k.starts_with("limits.") != limits {
            continue;
        }
        let u = used
            .and_then(|u| u.get(k))
            .and_then(Value::as_str)
            .unwrap_or("0");
        out.push(format!("{k}: {u}/{}", v.as_str().unwrap_or("")));
    }
    json!(out.join(", "))
}

pub(crate) fn quota_request(o: &Value, _now: SystemTime) -> Value {
    quota_pairs(o, false)
}

pub(crate) fn quota_limit(o: &Value, _now: SystemTime) -> Value {
    quota_pairs(o, true)
}

pub(crate) fn spec_replicas(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/spec/replicas").unwrap_or(1))
}

pub(crate) fn status_replicas(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/status/replicas").unwrap_or(0))
}

pub(crate) fn ready_replicas(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/status/readyReplicas").unwrap_or(0))
}

pub(crate) fn status_int(o: &Value, pointer: &str) -> Value {
    json!(int(o, pointer).unwrap_or(0))
}

pub(crate) fn ds_desired(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/desiredNumberScheduled")
}
pub(crate) fn ds_current(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/currentNumberScheduled")
}
pub(crate) fn ds_ready(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/numberReady")
}
pub(crate) fn ds_updated(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/updatedNumberScheduled")
}
pub(crate) fn ds_available(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/numberAvailable")
}

pub(crate) fn ds_node_selector(o: &Value, _now: SystemTime) -> Value {
    or_none(sorted_pairs(o, "/spec/template/spec/nodeSelector"))
}

fn has_condition(o: &Value, type_: &str) -> bool {
    o.pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| text(c, "/type") == type_ && text(c, "/status") == "True")
}

/// Job "Status", as `printJob` decides it: Complete, Failed, Terminating, Suspended,
/// FailureTarget, SuccessCriteriaMet, else Running.
pub(crate) fn job_status(o: &Value, _now: SystemTime) -> Value {
    let terminating = o.pointer("/metadata/deletionTimestamp").is_some();
    let status = if has_condition(o, "Complete") {
        "Complete"
    } else if has_condition(o, "Failed") {
        "Failed"
    } else if terminating {
        "Terminating"
    } else {
        ["Suspended", "FailureTarget", "SuccessCriteriaMet"]
            .into_iter()
            .find(|t| has_condition(o, t))
            .unwrap_or("Running")
    };
    json!(status)
}

/// Job "Completions": `succeeded/completions` (`succeeded/1 of N` for parallel Jobs without a
/// completion count).
pub(crate) fn job_completions(o: &Value, _now: SystemTime) -> Value {
    let succeeded = int(o, "/status/succeeded").unwrap_or(0);
    match int(o, "/spec/completions") {
        Some(c) => json!(format!("{succeeded}/{c}")),
        None => match int(o, "/spec/parallelism").unwrap_or(1) {
            p if p > 1 => json!(format!("{succeeded}/1 of {p}")),
            _ => json!(format!("{succeeded}/1")),
        },
    }
}

/// Job "Duration": start to completion, or to now while it runs.
pub(crate) fn job_duration(o: &Value, now: SystemTime) -> Value {
    let Some(start) = o.pointer("/status/startTime").and_then(Value::as_str) else {
        return json!("");
    };
    let end = o
        .pointer("/status/completionTime")
        .and_then(Value::as_str)
        .and_then(super::age::parse_timestamp)
        .unwrap_or(now);
    json!(age_since(Some(start), end))
}

pub(crate) fn job_template_containers(o: &Value, _now: SystemTime) -> Value {
    let cs = o
        .pointer("/spec/jobTemplate/spec/template/spec/containers")
        .and_then(Value::as_array);
    let names: Vec<&str> = cs.into_iter().flatten().map(|c| text(c, "/name")).collect();
    json!(names.join(","))
}

pub(crate) fn job_template_images(o: &Value, _now: SystemTime) -> Value {
    let cs = o
        .pointer("/spec/jobTemplate/spec/template/spec/containers")
        .and_then(Value::as_array);
    let images: Vec<&str> = cs
        .into_iter()
        .flatten()
        .map(|c| text(c, "/image"))
        .collect();
    json!(images.join(","))
}

pub(crate) fn job_template_selector(o: &Value, _now: SystemTime) -> Value {
    or_none(label_selector_string(
        o.pointer("/spec/jobTemplate/spec/selector"),
    ))
}

pub(crate) fn cron_schedule(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/schedule"))
}

pub(crate) fn cron_timezone(o: &Value, _now: SystemTime) -> Value {
    or_none(text(o, "/spec/timeZone").to_owned())
}

pub(crate) fn cron_suspend(o: &Value, _now: SystemTime) -> Value {
    let s = o
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    json!(if s { "True" } else { "False" })
}

pub(crate) fn cron_active(o: &Value, _now: SystemTime) -> Value {
    json!(count(o, "/status/active"))
}

pub(crate) fn cron_last_schedule(o: &Value, now: SystemTime) -> Value {
    match o
        .pointer("/status/lastScheduleTime")
        .and_then(Value::as_str)
    {
        Some(t) => json!(age_since(Some(t), now)),
        None => json!("<none>"),
    }
}

/// RoleBinding / ClusterRoleBinding "Role": `Kind/name`.
pub(crate) fn binding_role(o: &Value, _now: SystemTime) -> Value {
    json!(format!(
        "{}/{}",
        text(o, "/roleRef/kind"),
        text(o, "/roleRef/name")
    ))
}

fn subjects(o: &Value, kind: &str) -> Value {
    let names: Vec<String> = o
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| text(s, "/kind") == kind)
        .map(|s| match (kind, text(s, "/namespace")) {
            ("ServiceAccount", ns) => format!("{ns}/{}", text(s, "/name")),
            _ => text(s, "/name").to_owned(),
        })
        .collect();
    json!(names.join(", "))
}

pub(crate) fn binding_users(o: &Value, _now: SystemTime) -> Value {
    subjects(o, "User")
}
pub(crate) fn binding_groups(o: &Value, _now: SystemTime) -> Value {
    subjects(o, "Group")
}
pub(crate) fn binding_service_accounts(o: &Value, _now: SystemTime) -> Value {
    subjects(o, "ServiceAccount")
}

pub(crate) fn netpol_pod_selector(o: &Value, _now: SystemTime) -> Value {
    or_none(label_selector_string(o.pointer("/spec/podSelector")))
}

pub(crate) fn ingress_class(o: &Value, _now: SystemTime) -> Value {
    or_none(text(o, "/spec/ingressClassName").to_owned())
}

pub(crate) fn ingress_hosts(o: &Value, _now: SystemTime) -> Value {
    let hosts: Vec<&str> = o
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| text(r, "/host"))
        .filter(|h| !h.is_empty())
        .collect();
    match hosts.len() {
        0 => json!("*"),
        n if n > 3 => json!(format!("{} + {} more...", hosts[..3].join(","), n - 3)),
        _ => json!(hosts.join(",")),
    }
}

pub(crate) fn ingress_address(o: &Value, _now: SystemTime) -> Value {
    let addrs: Vec<&str> = o
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| match text(i, "/ip") {
            "" => text(i, "/hostname"),
            ip => ip,
        })
        .collect();
    json!(addrs.join(","))
}

pub(crate) fn ingress_ports(o: &Value, _now: SystemTime) -> Value {
    json!(if count(o, "/spec/tls") > 0 {
        "80, 443"
    } else {
        "80"
    })
}

pub(crate) fn ingressclass_controller(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/spec/controller"))
}

pub(crate) fn ingressclass_parameters(o: &Value, _now: SystemTime) -> Value {
    match o.pointer("/spec/parameters") {
        Some(p) => {
            let group = match text(p, "/apiGroup") {
                "" => String::new(),
                g => format!(".{g}"),
            };
            json!(format!("{}{group}/{}", text(p, "/kind"), text(p, "/name")))
        }
        None => json!("<none>"),
    }
}

fn int_or_string(o: &Value, pointer: &str) -> Value {
    match o.pointer(pointer) {
        Some(Value::Number(n)) => json!(n.to_string()),
        Some(Value::String(s)) => json!(s),
        _ => json!("N/A"),
    }
}

pub(crate) fn pdb_min_available(o: &Value, _now: SystemTime) -> Value {
    int_or_string(o, "/spec/minAvailable")
}
pub(crate) fn pdb_max_unavailable(o: &Value, _now: SystemTime) -> Value {
    int_or_string(o, "/spec/maxUnavailable")
}
pub(crate) fn pdb_allowed(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/disruptionsAllowed")
}

pub(crate) fn hpa_reference(o: &Value, _now: SystemTime) -> Value {
    json!(format!(
        "{}/{}",
        text(o, "/spec/scaleTargetRef/kind"),
        text(o, "/spec/scaleTargetRef/name")
    ))
}

/// HPA "Targets": each metric's current/target (`<unknown>` before a measurement).
pub(crate) fn hpa_targets(o: &Value, _now: SystemTime) -> Value {
    let metrics = o.pointer("/spec/metrics").and_then(Value::as_array);
    let shown: Vec<String> = metrics
        .into_iter()
        .flatten()
        .map(|m| {
            let target = m
                .pointer("/resource/target/averageUtilization")
                .map(|u| format!("{u}%"))
                .unwrap_or_else(|| "<unknown>".into());
            format!("{}: <unknown>/{target}", text(m, "/resource/name"))
        })
        .collect();
    or_none(shown.join(", "))
}

pub(crate) fn hpa_min(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/spec/minReplicas").unwrap_or(1))
}
pub(crate) fn hpa_max(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/spec/maxReplicas").unwrap_or(0))
}
pub(crate) fn hpa_replicas(o: &Value, _now: SystemTime) -> Value {
    status_int(o, "/status/currentReplicas")
}

pub(crate) fn priority_value(o: &Value, _now: SystemTime) -> Value {
    json!(int(o, "/value").unwrap_or(0))
}
pub(crate) fn priority_global_default(o: &Value, _now: SystemTime) -> Value {
    json!(
        o.get("globalDefault")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    )
}
pub(crate) fn priority_preemption(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/preemptionPolicy", "PreemptLowerPriority")
}

pub(crate) fn sc_provisioner(o: &Value, _now: SystemTime) -> Value {
    json!(text(o, "/provisioner"))
}
pub(crate) fn sc_reclaim(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/reclaimPolicy", "Delete")
}
pub(crate) fn sc_binding_mode(o: &Value, _now: SystemTime) -> Value {
    text_or(o, "/volumeBindingMode", "Immediate")
}
pub(crate) fn sc_expansion(o: &Value, _now: SystemTime) -> Value {
    json!(
        o.get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    )
}

/// StatefulSet "Ready": `readyReplicas/replicas`.
pub(crate) fn sts_ready(o: &Value, _now: SystemTime) -> Value {
    let ready = int(o, "/status/readyReplicas").unwrap_or(0);
    let desired = int(o, "/spec/replicas").unwrap_or(1);
    json!(format!("{ready}/{desired}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_and_job_cells() {
        let now = SystemTime::now();
        let done = json!({"spec": {"completions": 3},
            "status": {"succeeded": 3, "conditions": [{"type": "Complete", "status": "True"}]}});
        assert_eq!(job_status(&done, now), "Complete");
        assert_eq!(job_completions(&done, now), "3/3");
        let deleting = json!({"metadata": {"deletionTimestamp": "t"}, "status": {}});
        assert_eq!(job_status(&deleting, now), "Terminating");
        assert_eq!(job_status(&json!({}), now), "Running");
        let ds = json!({"spec": {"template": {"spec": {"nodeSelector": {"b": "2", "a": "1"}}}}});
        assert_eq!(ds_node_selector(&ds, now), "a=1,b=2");
        assert_eq!(ds_node_selector(&json!({}), now), "<none>");
        let pvc = json!({"status": {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}});
        assert_eq!(pvc_access_modes(&pvc, now), "RWO,ROX");
        assert_eq!(pvc_attributes_class(&pvc, now), "<unset>");
        let binding = json!({"roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
                         {"kind": "User", "name": "ann"}]});
        assert_eq!(binding_role(&binding, now), "ClusterRole/view");
        assert_eq!(binding_service_accounts(&binding, now), "ns/sa");
        assert_eq!(binding_users(&binding, now), "ann");
    }

    #[test]
    fn endpoints_show_three_then_count_the_rest() {
        let now = SystemTime::now();
        let addresses: Vec<Value> = (1..=5)
            .map(|i| json!({"ip": format!("10.0.0.{i}")}))
            .collect();
        let ep = json!({"subsets": [{"addresses": addresses, "ports": [{"port": 80}]}]});
        assert_eq!(
            endpoints(&ep, now),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more..."
        );
        assert_eq!(endpoints(&json!({}), now), "<none>");
    }
}
