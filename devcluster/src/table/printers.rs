//! Cells of the built-in resources, computed as kube-apiserver's printers
//! (pkg/printers/internalversion) compute them, from the object's JSON form.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::age::{UNKNOWN, age_since};

pub(super) fn text<'v>(object: &'v Value, pointer: &str) -> &'v str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub(super) fn count(object: &Value, pointer: &str) -> usize {
    match object.pointer(pointer) {
        Some(Value::Object(map)) => map.len(),
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    }
}

pub(super) fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

pub(super) fn strings(object: &Value, pointer: &str) -> Vec<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// ConfigMap "Data": the number of `data` plus `binaryData` keys.
pub(crate) fn configmap_data(object: &Value, _now: SystemTime) -> Value {
    json!(count(object, "/data") + count(object, "/binaryData"))
}

/// Secret "Type".
pub(crate) fn secret_type(object: &Value, _now: SystemTime) -> Value {
    json!(text(object, "/type"))
}

/// Secret "Data": the number of `data` keys.
pub(crate) fn secret_data(object: &Value, _now: SystemTime) -> Value {
    json!(count(object, "/data"))
}

/// Namespace "Status": the phase.
pub(crate) fn namespace_status(object: &Value, _now: SystemTime) -> Value {
    json!(text(object, "/status/phase"))
}

/// ServiceAccount "Secrets": how many secrets it lists.
pub(crate) fn serviceaccount_secrets(object: &Value, _now: SystemTime) -> Value {
    json!(count(object, "/secrets"))
}

/// Service "Type" (defaulted to ClusterIP, as the apiserver's defaulting would have).
pub(crate) fn service_type(object: &Value, _now: SystemTime) -> Value {
    json!(service_type_of(object))
}

fn service_type_of(object: &Value) -> &str {
    match text(object, "/spec/type") {
        "" => "ClusterIP",
        other => other,
    }
}

/// Service "Cluster-IP": the first of `clusterIPs` (falling back to `clusterIP`), or `<none>`.
pub(crate) fn service_cluster_ip(object: &Value, _now: SystemTime) -> Value {
    let ips = strings(object, "/spec/clusterIPs");
    let ip = ips
        .first()
        .map(String::as_str)
        .unwrap_or_else(|| text(object, "/spec/clusterIP"));
    json!(if ip.is_empty() { "<none>" } else { ip })
}

/// Service "External-IP" (`getServiceExternalIP` with wide output, as the server prints it).
pub(crate) fn service_external_ip(object: &Value, _now: SystemTime) -> Value {
    let external = strings(object, "/spec/externalIPs");
    let cell = match service_type_of(object) {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_owned()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let mut ips: Vec<String> = object
                .pointer("/status/loadBalancer/ingress")
                .and_then(Value::as_array)
                .map(|ingress| {
                    ingress
                        .iter()
                        .filter_map(|entry| {
                            let ip = text(entry, "/ip");
                            let host = text(entry, "/hostname");
                            let chosen = if ip.is_empty() { host } else { ip };
                            (!chosen.is_empty()).then(|| chosen.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            ips.extend(external);
            if ips.is_empty() {
                "<pending>".to_owned()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => text(object, "/spec/externalName").to_owned(),
        _ => UNKNOWN.to_owned(),
    };
    json!(cell)
}

/// Service "Port(s)": `80/TCP`, `80:30080/TCP` with a node port, comma separated, or `<none>`.
pub(crate) fn service_ports(object: &Value, _now: SystemTime) -> Value {
    let ports = object.pointer("/spec/ports").and_then(Value::as_array);
    let pieces: Vec<String> = ports
        .into_iter()
        .flatten()
        .map(|port| {
            let number = int(port, "/port").unwrap_or(0);
            let protocol = match text(port, "/protocol") {
                "" => "TCP",
                other => other,
            };
            match int(port, "/nodePort") {
                Some(node_port) if node_port > 0 => format!("{number}:{node_port}/{protocol}"),
                _ => format!("{number}/{protocol}"),
            }
        })
        .collect();
    json!(if pieces.is_empty() {
        "<none>".to_owned()
    } else {
        pieces.join(",")
    })
}

/// Service "Selector": `labels.FormatLabels` of `spec.selector`.
pub(crate) fn service_selector(object: &Value, _now: SystemTime) -> Value {
    let selector: BTreeMap<&str, &str> = object
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    if selector.is_empty() {
        return json!("<none>");
    }
    let pairs: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!(pairs.join(","))
}

/// Deployment "Ready": `readyReplicas/replicas` (replicas defaults to 1).
pub(crate) fn deployment_ready(object: &Value, _now: SystemTime) -> Value {
    let ready = int(object, "/status/readyReplicas").unwrap_or(0);
    let desired = int(object, "/spec/replicas").unwrap_or(1);
    json!(format!("{ready}/{desired}"))
}

/// Deployment "Up-to-date".
pub(crate) fn deployment_updated(object: &Value, _now: SystemTime) -> Value {
    json!(int(object, "/status/updatedReplicas").unwrap_or(0))
}

/// Deployment "Available".
pub(crate) fn deployment_available(object: &Value, _now: SystemTime) -> Value {
    json!(int(object, "/status/availableReplicas").unwrap_or(0))
}

fn template_containers(object: &Value) -> &[Value] {
    object
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Deployment "Containers": the template's container names.
pub(crate) fn deployment_containers(object: &Value, _now: SystemTime) -> Value {
    let names: Vec<&str> = template_containers(object)
        .iter()
        .map(|c| text(c, "/name"))
        .collect();
    json!(names.join(","))
}

/// Deployment "Images": the template's container images.
pub(crate) fn deployment_images(object: &Value, _now: SystemTime) -> Value {
    let images: Vec<&str> = template_containers(object)
        .iter()
        .map(|c| text(c, "/image"))
        .collect();
    json!(images.join(","))
}

/// Deployment "Selector": `metav1.LabelSelectorAsSelector(spec.selector).String()`.
pub(crate) fn deployment_selector(object: &Value, _now: SystemTime) -> Value {
    json!(label_selector_string(object.pointer("/spec/selector")))
}

/// A LabelSelector as `labels.Selector.String()` prints it: requirements sorted by key,
/// `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas.
pub(super) fn label_selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (key, value) in labels {
            requirements.push((
                key.clone(),
                format!("{key}={}", value.as_str().unwrap_or("")),
            ));
        }
    }
    for expression in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = text(expression, "/key");
        let mut values = strings(expression, "/values");
        values.sort();
        let rendered = match text(expression, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<invalid>".to_owned(),
        };
        requirements.push((key.to_owned(), rendered));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    let rendered: Vec<String> = requirements.into_iter().map(|(_, text)| text).collect();
    rendered.join(",")
}

/// Lease "Holder": `spec.holderIdentity`.
pub(crate) fn lease_holder(object: &Value, _now: SystemTime) -> Value {
    json!(text(object, "/spec/holderIdentity"))
}

/// CustomResourceDefinition "Created At": the creation timestamp in UTC RFC 3339
/// (the default table convertor's second column).
pub(crate) fn created_at(object: &Value, _now: SystemTime) -> Value {
    let stamp = text(object, "/metadata/creationTimestamp");
    match super::age::parse_timestamp(stamp) {
        Some(time) => {
            let utc = time::OffsetDateTime::from(time);
            let formatted = utc.replace_nanosecond(0).ok().and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
            json!(formatted.unwrap_or_else(|| stamp.to_owned()))
        }
        None => json!("0001-01-01T00:00:00Z"),
    }
}

/// The fields of a v1 Event or an events.k8s.io/v1 Event, read under either name.
struct EventView<'v> {
    object: &'v Value,
    modern: bool,
}

impl<'v> EventView<'v> {
    fn new(object: &'v Value) -> Self {
        let modern = text(object, "/apiVersion").starts_with("events.k8s.io/");
        Self { object, modern }
    }

    fn get(&self, core: &str, events_v1: &str) -> Option<&'v Value> {
        self.object
            .pointer(if self.modern { events_v1 } else { core })
    }

    fn text(&self, core: &str, events_v1: &str) -> &'v str {
        self.get(core, events_v1)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn first_seen(&self, now: SystemTime) -> String {
        let first = self.text("/firstTimestamp", "/deprecatedFirstTimestamp");
        if first.is_empty() {
            age_since(
                Some(self.text("/eventTime", "/eventTime")).filter(|s| !s.is_empty()),
                now,
            )
        } else {
            age_since(Some(first), now)
        }
    }

    /// The series count, else the count; a singleton event (events.k8s.io sets no count) is 1.
    fn count(&self) -> i64 {
        match self.get("/series", "/series") {
            Some(series) => int(series, "/count").unwrap_or(0),
            None => self
                .get("/count", "/deprecatedCount")
                .and_then(Value::as_i64)
                .filter(|c| *c != 0)
                .unwrap_or(1),
        }
    }

    fn last_seen(&self, now: SystemTime) -> String {
        let first = self.first_seen(now);
        if let Some(series) = self.get("/series", "/series") {
            return age_since(series.get("lastObservedTime").and_then(Value::as_str), now);
        }
        let last = self.text("/lastTimestamp", "/deprecatedLastTimestamp");
        let last = if last.is_empty() {
            first.clone()
        } else {
            age_since(Some(last), now)
        };
        let count = self.count();
        if count > 1 {
            format!("{last} (x{count} over {first})")
        } else {
            last
        }
    }

    fn target(&self) -> String {
        let kind = self
            .text("/involvedObject/kind", "/regarding/kind")
            .to_lowercase();
        let name = self.text("/involvedObject/name", "/regarding/name");
        if name.is_empty() {
            kind
        } else {
            format!("{kind}/{name}")
        }
    }
}

/// Event "Last Seen" (with "(xN over ...)" for repeated events).
pub(crate) fn event_last_seen(object: &Value, now: SystemTime) -> Value {
    json!(EventView::new(object).last_seen(now))
}

/// Event "Type".
pub(crate) fn event_type(object: &Value, _now: SystemTime) -> Value {
    json!(text(object, "/type"))
}

/// Event "Reason".
pub(crate) fn event_reason(object: &Value, _now: SystemTime) -> Value {
    json!(text(object, "/reason"))
}

/// Event "Object": `kind/name` of the regarding object, kind lower-cased.
pub(crate) fn event_object(object: &Value, _now: SystemTime) -> Value {
    json!(EventView::new(object).target())
}

/// Event "Subobject": the regarding object's fieldPath.
pub(crate) fn event_subobject(object: &Value, _now: SystemTime) -> Value {
    json!(EventView::new(object).text("/involvedObject/fieldPath", "/regarding/fieldPath"))
}

/// Event "Source": `component, host` (or the reporting controller and instance).
pub(crate) fn event_source(object: &Value, _now: SystemTime) -> Value {
    let view = EventView::new(object);
    fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
        if a.is_empty() { b } else { a }
    }
    let component = first_non_empty(
        view.text("/source/component", "/deprecatedSource/component"),
        view.text("/reportingComponent", "/reportingController"),
    );
    let instance = first_non_empty(
        view.text("/source/host", "/deprecatedSource/host"),
        text(object, "/reportingInstance"),
    );
    let cell = match (component.is_empty(), instance.is_empty()) {
        (true, _) => UNKNOWN.to_owned(),
        (false, true) => component.to_owned(),
        (false, false) => format!("{component}, {instance}"),
    };
    json!(cell)
}

/// Event "Message", trimmed.
pub(crate) fn event_message(object: &Value, _now: SystemTime) -> Value {
    json!(EventView::new(object).text("/message", "/note").trim())
}

/// Event "First Seen".
pub(crate) fn event_first_seen(object: &Value, now: SystemTime) -> Value {
    json!(EventView::new(object).first_seen(now))
}

/// Event "Count".
pub(crate) fn event_count(object: &Value, _now: SystemTime) -> Value {
    json!(EventView::new(object).count())
}
