//! RBAC as kube-apiserver evaluates it, over a rendering's roles and bindings: which requests a
//! ServiceAccount may make. devcluster has no authorization, so the controller tests record
//! its requests and ask this instead.

use devcluster::RecordedRequest;
use serde_json::Value;

use crate::{key, strings};

/// One question for the RBAC authorizer.
#[derive(Debug, Clone)]
pub struct Access {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sub = self
            .subresource
            .as_ref()
            .map(|s| format!("/{s}"))
            .unwrap_or_default();
        write!(
            f,
            "{} {}{sub} (group {:?}) namespace {:?} name {:?}",
            self.verb, self.resource, self.group, self.namespace, self.name
        )
    }
}

/// What a request asks the authorizer: nothing for discovery (every authenticated user may
/// read it), and for a server-side apply that created its object (201), create as well as
/// patch, as kube-apiserver authorizes it.
pub fn accesses(r: &RecordedRequest) -> Vec<Access> {
    let (Some(verb), Some(resource)) = (&r.verb, &r.resource) else {
        return Vec::new();
    };
    let segments: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    let group = match segments.as_slice() {
        ["apis", group, ..] => (*group).to_owned(),
        _ => String::new(),
    };
    let access = |verb: &str| Access {
        verb: verb.to_owned(),
        group: group.clone(),
        resource: resource.clone(),
        subresource: r.subresource.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    };
    let mut out = vec![access(verb)];
    if verb == "patch" && r.status == 201 {
        out.push(access("create"));
    }
    out
}

/// The rules one ServiceAccount holds, each with the namespace it holds in (None: everywhere).
pub struct Grants(Vec<(Option<String>, Value)>);

impl Grants {
    /// What the bindings of a rendering give `account` (namespace, name), leaving out the
    /// roles labelled `app.kubernetes.io/component: <skip_component>`.
    pub fn of(objects: &[Value], account: (&str, &str), skip_component: &str) -> Grants {
        let mut out = Vec::new();
        let bindings = objects
            .iter()
            .filter(|o| o["kind"] == "ClusterRoleBinding" || o["kind"] == "RoleBinding");
        for binding in bindings {
            let bound = binding["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| {
                    s["kind"] == "ServiceAccount"
                        && s["namespace"] == account.0
                        && s["name"] == account.1
                });
            if !bound {
                continue;
            }
            let role = role_of(objects, binding);
            if role["metadata"]["labels"]["app.kubernetes.io/component"] == skip_component {
                continue;
            }
            let scope = (binding["kind"] == "RoleBinding").then(|| {
                binding["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
            for rule in role["rules"].as_array().into_iter().flatten() {
                out.push((scope.clone(), rule.clone()));
            }
        }
        Grants(out)
    }

    /// Whether any rule allows the access (rbac/v1 `RuleAllows`: verbs, API groups, resources
    /// with `*` and `*/subresource`, resourceNames), within the namespace of its binding.
    pub fn allow(&self, a: &Access) -> bool {
        let combined = match &a.subresource {
            Some(sub) => format!("{}/{sub}", a.resource),
            None => a.resource.clone(),
        };
        self.0.iter().any(|(scope, rule)| {
            let in_scope = scope.is_none() || scope.as_deref() == a.namespace.as_deref();
            let listed = |field: &str, want: &str| {
                strings(&rule[field])
                    .iter()
                    .any(|v| *v == "*" || *v == want)
            };
            let resource = strings(&rule["resources"]).iter().any(|r| {
                *r == "*"
                    || *r == combined
                    || a.subresource
                        .as_deref()
                        .is_some_and(|s| r.strip_prefix("*/") == Some(s))
            });
            let names = strings(&rule["resourceNames"]);
            let name = names.is_empty() || a.name.as_deref().is_some_and(|n| names.contains(&n));
            in_scope
                && listed("verbs", &a.verb)
                && listed("apiGroups", &a.group)
                && resource
                && name
        })
    }
}

/// The role a binding refers to, which must be in the rendering.
fn role_of<'a>(objects: &'a [Value], binding: &Value) -> &'a Value {
    let role_ref = &binding["roleRef"];
    let namespace = binding["metadata"]["namespace"].as_str();
    objects
        .iter()
        .find(|o| {
            o["kind"] == role_ref["kind"]
                && o["metadata"]["name"] == role_ref["name"]
                && (o["kind"] == "ClusterRole" || o["metadata"]["namespace"].as_str() == namespace)
        })
        .unwrap_or_else(|| panic!("{} binds a role that is not installed", key(binding)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn access(verb: &str, resource: &str, sub: Option<&str>, ns: &str, name: &str) -> Access {
        Access {
            verb: verb.into(),
            group: String::new(),
            resource: resource.into(),
            subresource: sub.map(Into::into),
            namespace: Some(ns.into()),
            name: Some(name.into()),
        }
    }

    /// The matching rules the controller tests rely on, each both ways.
    #[test]
    fn rules_match_as_kube_apiserver_matches_them() {
        let objects = vec![
            json!({"kind": "Role", "metadata": {"name": "r", "namespace": "a"},
                   "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                              "resourceNames": ["one"], "verbs": ["patch"]},
                             {"apiGroups": [""], "resources": ["*/status"], "verbs": ["*"]}]}),
            json!({"kind": "RoleBinding", "metadata": {"name": "r", "namespace": "a"},
                   "roleRef": {"kind": "Role", "name": "r"},
                   "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "ns"}]}),
        ];
        let grants = Grants::of(&objects, ("ns", "sa"), "none");
        assert!(grants.allow(&access("patch", "configmaps", None, "a", "one")));
        assert!(!grants.allow(&access("patch", "configmaps", None, "a", "two")));
        assert!(!grants.allow(&access("patch", "configmaps", None, "b", "one")));
        assert!(!grants.allow(&access("get", "configmaps", None, "a", "one")));
        assert!(grants.allow(&access("update", "pods", Some("status"), "a", "p")));
        assert!(!grants.allow(&access("update", "pods", None, "a", "p")));
        assert!(Grants::of(&objects, ("ns", "other"), "none").0.is_empty());
    }
}
