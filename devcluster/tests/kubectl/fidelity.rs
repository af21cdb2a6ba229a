//! kubectl against the fidelity fixes: exported objects re-created, Events read through core
//! v1, namespace labels, immutable fields, watch bursts and `auth` commands.

use super::*;

#[test]
fn create_and_replace_force_of_exported_yaml() {
    let c = Cluster::start();
    c.ok(&["create", "configmap", "exported", "--from-literal=a=1"]);
    let yaml = c.ok(&["get", "cm", "exported", "-o", "yaml"]);
    assert!(yaml.contains("resourceVersion:"), "{yaml}");
    let file = c.write("exported.yaml", &yaml);
    // kubectl strips the resourceVersion before it creates (a create with one is a 500).
    assert!(
        c.ok(&["replace", "--force", "-f", &file])
            .contains("replaced")
    );
    c.ok(&["delete", "cm", "exported"]);
    assert!(c.ok(&["create", "-f", &file]).contains("created"));
    assert_eq!(c.json(&["get", "cm", "exported"])["data"]["a"], "1");
}

#[test]
fn events_k8s_io_events_show_in_describe_and_get_events() {
    let c = Cluster::start();
    c.ok(&["create", "configmap", "target"]);
    let uid = c.json(&["get", "cm", "target"])["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();
    let event = format!(
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: target.1\n  namespace: default\n\
         eventTime: \"2026-01-01T00:00:00.000000Z\"\nreportingController: example.com/ctl\n\
         reportingInstance: ctl-0\naction: Reconcile\nreason: Synced\ntype: Normal\nnote: all good here\n\
         regarding:\n  apiVersion: v1\n  kind: ConfigMap\n  name: target\n  namespace: default\n  uid: {uid}\n"
    );
    c.ok_with(&["create", "-f", "-"], Some(&event));
    let described = c.ok(&["describe", "cm", "target"]);
    assert!(
        described.contains("Synced") && described.contains("all good here"),
        "{described}"
    );
    let events = c.ok(&["get", "events"]);
    assert!(events.contains("all good here"), "{events}");
    let events = c.ok(&["events", "--for", "configmap/target"]);
    assert!(events.contains("all good here"), "{events}");
    let modern = c.json(&["get", "events.v1.events.k8s.io", "target.1"]);
    assert_eq!(modern["note"], "all good here");
}

#[test]
fn namespaces_carry_their_metadata_name_label() {
    let c = Cluster::start();
    c.ok(&["create", "namespace", "labelled"]);
    let found = c.ok(&[
        "get",
        "ns",
        "-l",
        "kubernetes.io/metadata.name=labelled",
        "-o",
        "name",
    ]);
    assert_eq!(found.trim(), "namespace/labelled");
    let system = c.ok(&[
        "get",
        "ns",
        "-l",
        "kubernetes.io/metadata.name=kube-system",
        "-o",
        "name",
    ]);
    assert_eq!(system.trim(), "namespace/kube-system");
    // Removing or changing it sets it again.
    c.ok(&["label", "ns", "labelled", "kubernetes.io/metadata.name-"]);
    let ns = c.json(&["get", "ns", "labelled"]);
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "labelled"
    );
    c.ok(&[
        "label",
        "--overwrite",
        "ns",
        "labelled",
        "kubernetes.io/metadata.name=other",
    ]);
    let ns = c.json(&["get", "ns", "labelled"]);
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "labelled"
    );
}

#[test]
fn auth_can_i_and_whoami() {
    let c = Cluster::start();
    assert_eq!(
        c.ok(&["auth", "can-i", "create", "deployments"]).trim(),
        "yes"
    );
    assert_eq!(
        c.ok(&["auth", "can-i", "delete", "secrets", "-n", "kube-system"])
            .trim(),
        "yes"
    );
    let list = c.ok(&["auth", "can-i", "--list"]);
    assert!(list.contains("*.*") && list.contains("[*]"), "{list}");
    let me = c.ok(&["auth", "whoami"]);
    assert!(
        me.contains("devcluster-admin") && me.contains("system:masters"),
        "{me}"
    );
    // Namespaces have no deletecollection, in discovery and on the wire.
    let wide = c.ok(&["api-resources", "-o", "wide"]);
    let ns_line = wide
        .lines()
        .find(|l| l.starts_with("namespaces "))
        .expect("namespaces listed");
    assert!(!ns_line.contains("deletecollection"), "{ns_line}");
    let cm_line = wide
        .lines()
        .find(|l| l.starts_with("configmaps "))
        .expect("configmaps listed");
    assert!(cm_line.contains("deletecollection"), "{cm_line}");
    let reviews = c.ok(&[
        "api-resources",
        "--api-group=authorization.k8s.io",
        "-o",
        "wide",
    ]);
    assert!(
        reviews.contains("selfsubjectaccessreviews") && reviews.contains(" create "),
        "{reviews}"
    );
}

#[test]
fn integer_label_selectors_and_namespace_phase() {
    let c = Cluster::start();
    for (name, tier) in [("low", "1"), ("mid", "5"), ("high", "9")] {
        c.ok(&["create", "configmap", name]);
        c.ok(&["label", "cm", name, &format!("tier={tier}")]);
    }
    let found = c.ok(&["get", "cm", "-l", "tier>2,tier<9", "-o", "name"]);
    assert_eq!(found.trim(), "configmap/mid");
    c.ok(&["create", "namespace", "phased"]);
    let active = c.ok(&[
        "get",
        "ns",
        "--field-selector",
        "status.phase=Active",
        "-o",
        "name",
    ]);
    assert!(active.contains("namespace/phased"), "{active}");
    let terminating = c.ok(&[
        "get",
        "ns",
        "--field-selector",
        "status.phase=Terminating",
        "-o",
        "name",
    ]);
    assert!(terminating.trim().is_empty(), "{terminating}");
}

/// What the README says about `kubectl explain` and a CRD applied with its objects in one file.
#[test]
fn documented_limits_explain_and_crd_with_objects() {
    let c = Cluster::start();
    let err = c.fails(&["explain", "configmap"], None);
    assert!(err.contains("index of nil pointer"), "{err}");
    let both = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec: {size: 1}\n";
    let file = c.write("both.yaml", both);
    // As on a real cluster: the custom object's kind is not mapped yet (with /openapi/v2
    // served, kubectl no longer fails earlier, on validation).
    let err = c.fails(&["apply", "-f", &file], None);
    assert!(
        err.contains("resource mapping not found for name: \"w1\"")
            && err.contains("ensure CRDs are installed first"),
        "{err}"
    );
    c.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
    ]);
    assert!(
        c.ok(&["apply", "-f", &file])
            .contains("widget.example.com/w1 created")
    );
}
