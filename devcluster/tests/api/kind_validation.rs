//! Per-kind validation, as `kubectl apply --server-side --dry-run=server` meets it: each object
//! kube-apiserver 1.32 refuses is refused with 422 Invalid and its causes (field path and cause
//! type), and the valid version of each passes. Messages follow kube-apiserver's
//! `pkg/apis/<group>/validation`.

use super::{causes, start, status_of};
use kube::Client;
use serde_json::{Value, json};

/// A server-side apply, dry run, of `obj` at `path`: the status code and the body.
async fn apply(client: &Client, path: &str, obj: &Value) -> (u16, Value) {
    let req = http::Request::builder()
        .method("PATCH")
        .uri(format!("{path}?fieldManager=kubectl&dryRun=All"))
        .header("content-type", "application/apply-patch+yaml")
        .body(serde_json::to_vec(obj).expect("json"))
        .expect("request");
    status_of(client, req).await
}

/// What a refused apply must answer: 422, reason Invalid, these causes.
async fn refused(client: &Client, path: &str, obj: &Value, want: &[(&str, &str)]) -> String {
    let (status, body) = apply(client, path, obj).await;
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(f, r)| ((*f).to_string(), (*r).to_string()))
        .collect();
    assert_eq!(
        (status, body["reason"].as_str(), causes(&body)),
        (422, Some("Invalid"), want),
        "{body}"
    );
    body["message"].as_str().unwrap_or_default().to_string()
}

/// What a valid apply answers: 201 Created (a dry run stores nothing, so it is always a create).
async fn accepted(client: &Client, path: &str, obj: &Value) {
    let (status, body) = apply(client, path, obj).await;
    assert_eq!(status, 201, "{body}");
}

const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

#[tokio::test]
async fn a_role_rule_needs_verbs() {
    let (_cluster, client) = start().await;
    let role = |rule: Value| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "reader"}, "rules": [rule]})
    };
    let path = format!("{RBAC}/clusterroles/reader");
    let no_verbs = role(json!({"apiGroups": [""], "resources": ["pods"]}));
    let message = refused(
        &client,
        &path,
        &no_verbs,
        &[("rules[0].verbs", "FieldValueRequired")],
    )
    .await;
    assert_eq!(
        message,
        "ClusterRole.rbac.authorization.k8s.io \"reader\" is invalid: rules[0].verbs: Required value: verbs must contain at least one value"
    );
    let ok = role(json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}));
    accepted(&client, &path, &ok).await;

    let mut namespaced = no_verbs.clone();
    namespaced["kind"] = json!("Role");
    let path = format!("{RBAC}/namespaces/default/roles/reader");
    refused(
        &client,
        &path,
        &namespaced,
        &[("rules[0].verbs", "FieldValueRequired")],
    )
    .await;
}

#[tokio::test]
async fn a_binding_needs_a_role_ref() {
    let (_cluster, client) = start().await;
    let subjects = json!([{"kind": "ServiceAccount", "name": "app", "namespace": "default"}]);
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "app"}, "subjects": subjects});
    let path = format!("{RBAC}/namespaces/default/rolebindings/app");
    let message = refused(
        &client,
        &path,
        &binding,
        &[
            ("roleRef.kind", "FieldValueNotSupported"),
            ("roleRef.name", "FieldValueRequired"),
        ],
    )
    .await;
    assert_eq!(
        message,
        "RoleBinding.rbac.authorization.k8s.io \"app\" is invalid: [roleRef.kind: Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\", roleRef.name: Required value]"
    );
    let mut ok = binding.clone();
    ok["roleRef"] = json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"});
    accepted(&client, &path, &ok).await;

    let mut cluster_wide = binding.clone();
    cluster_wide["kind"] = json!("ClusterRoleBinding");
    let path = format!("{RBAC}/clusterrolebindings/app");
    refused(
        &client,
        &path,
        &cluster_wide,
        &[
            ("roleRef.kind", "FieldValueNotSupported"),
            ("roleRef.name", "FieldValueRequired"),
        ],
    )
    .await;
    cluster_wide["roleRef"] = json!({"kind": "ClusterRole", "name": "view"});
    accepted(&client, &path, &cluster_wide).await;
}

#[tokio::test]
async fn a_pdb_sets_one_of_min_available_and_max_unavailable() {
    let (_cluster, client) = start().await;
    let pdb = |spec: Value| {
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"}, "spec": spec})
    };
    let path = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web";
    let selector = json!({"matchLabels": {"app": "web"}});
    let both = pdb(json!({"minAvailable": 1, "maxUnavailable": 1, "selector": selector}));
    let message = refused(&client, path, &both, &[("spec", "FieldValueInvalid")]).await;
    assert!(
        message.starts_with("PodDisruptionBudget.policy \"web\" is invalid: spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0x"),
        "{message}"
    );
    assert!(
        message.ends_with("}: minAvailable and maxUnavailable cannot be both set"),
        "{message}"
    );
    accepted(
        &client,
        path,
        &pdb(json!({"minAvailable": 1, "selector": selector})),
    )
    .await;
}

/// A Deployment whose one container is `container`, with `pod` merged into its pod spec.
fn deployment(container: Value, pod: Value) -> Value {
    let mut spec = json!({"containers": [container]});
    if let (Some(spec), Some(pod)) = (spec.as_object_mut(), pod.as_object()) {
        spec.extend(pod.clone());
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}})
}

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/default/deployments/web";
const C0: &str = "spec.template.spec.containers[0]";

#[tokio::test]
async fn a_pod_template_is_validated() {
    let (_cluster, client) = start().await;
    let app = json!({"name": "app", "image": "app:1"});
    let with = |extra: Value| {
        let mut c = app.clone();
        if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(extra.clone());
        }
        c
    };

    let seccomp = deployment(
        app.clone(),
        json!({"securityContext": {"seccompProfile": {"type": "Foo"}}}),
    );
    let message = refused(
        &client,
        DEPLOYMENTS,
        &seccomp,
        &[(
            "spec.template.spec.securityContext.seccompProfile.type",
            "FieldValueNotSupported",
        )],
    )
    .await;
    assert!(
        message.ends_with("Unsupported value: \"Foo\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\""),
        "{message}"
    );

    let probe = deployment(
        with(json!({"livenessProbe": {"httpGet": {"path": "/", "port": "Not_Valid"}}})),
        json!({}),
    );
    let message = refused(
        &client,
        DEPLOYMENTS,
        &probe,
        &[(
            &format!("{C0}.livenessProbe.httpGet.port"),
            "FieldValueInvalid",
        )],
    )
    .await;
    assert!(
        message.ends_with("Invalid value: \"Not_Valid\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
        "{message}"
    );

    let mount = deployment(
        with(json!({"volumeMounts": [{"name": "data", "mountPath": "/data"}]})),
        json!({}),
    );
    let message = refused(
        &client,
        DEPLOYMENTS,
        &mount,
        &[(&format!("{C0}.volumeMounts[0].name"), "FieldValueNotFound")],
    )
    .await;
    assert!(message.ends_with("Not found: \"data\""), "{message}");

    let resources = deployment(
        with(json!({"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}})),
        json!({}),
    );
    let message = refused(
        &client,
        DEPLOYMENTS,
        &resources,
        &[(&format!("{C0}.resources.requests"), "FieldValueInvalid")],
    )
    .await;
    assert!(
        message
            .ends_with("Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi"),
        "{message}"
    );

    let valid = deployment(
        with(json!({
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
            "readinessProbe": {"tcpSocket": {"port": 8080}},
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "resources": {"requests": {"memory": "512Mi", "cpu": "100m"},
                "limits": {"memory": "1Gi"}}})),
        json!({"volumes": [{"name": "data", "emptyDir": {}}],
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
    );
    accepted(&client, DEPLOYMENTS, &valid).await;
}

/// Pods and Jobs get the same pod spec checks; a StatefulSet's template is not checked, as
/// upstream (its mounts may name a volume claim template).
#[tokio::test]
async fn pods_and_jobs_too_but_not_statefulsets() {
    let (_cluster, client) = start().await;
    let mount = json!({"name": "app", "image": "app:1",
        "volumeMounts": [{"name": "data", "mountPath": "/data"}]});
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [mount]}});
    refused(
        &client,
        "/api/v1/namespaces/default/pods/p",
        &pod,
        &[(
            "spec.containers[0].volumeMounts[0].name",
            "FieldValueNotFound",
        )],
    )
    .await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [mount]}}}});
    refused(
        &client,
        "/apis/batch/v1/namespaces/default/jobs/j",
        &job,
        &[(
            "spec.template.spec.containers[0].volumeMounts[0].name",
            "FieldValueNotFound",
        )],
    )
    .await;
    let sts = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}, "serviceName": "db",
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [mount]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}}}]}});
    accepted(
        &client,
        "/apis/apps/v1/namespaces/default/statefulsets/db",
        &sts,
    )
    .await;
}

#[tokio::test]
async fn several_service_ports_are_named() {
    let (_cluster, client) = start().await;
    let svc = |ports: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": ports}})
    };
    let path = "/api/v1/namespaces/default/services/web";
    let message = refused(
        &client,
        path,
        &svc(json!([{"port": 80}, {"port": 443}])),
        &[
            ("spec.ports[0].name", "FieldValueRequired"),
            ("spec.ports[1].name", "FieldValueRequired"),
        ],
    )
    .await;
    assert_eq!(
        message,
        "Service \"web\" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]"
    );
    refused(
        &client,
        path,
        &svc(json!([{"name": "http", "port": 80}, {"port": 443}])),
        &[("spec.ports[1].name", "FieldValueRequired")],
    )
    .await;
    accepted(&client, path, &svc(json!([{"port": 80}]))).await;
    accepted(
        &client,
        path,
        &svc(json!([{"name": "http", "port": 80}, {"name": "https", "port": 443}])),
    )
    .await;
}

#[tokio::test]
async fn network_policy_types_are_ingress_or_egress() {
    let (_cluster, client) = start().await;
    let policy = |types: Value| {
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny"}, "spec": {"podSelector": {}, "policyTypes": types}})
    };
    let path = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/deny";
    let message = refused(
        &client,
        path,
        &policy(json!(["Bogus"])),
        &[("spec.policyTypes[0]", "FieldValueNotSupported")],
    )
    .await;
    assert_eq!(
        message,
        "NetworkPolicy.networking.k8s.io \"deny\" is invalid: spec.policyTypes[0]: Unsupported value: \"Bogus\": supported values: \"Ingress\", \"Egress\""
    );
    accepted(&client, path, &policy(json!(["Ingress", "Egress"]))).await;
}
