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
