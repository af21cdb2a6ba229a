//! kubectl against the kinds a real config repository holds: one `create` generator per kind
//! (protobuf bodies), a multi-kind repository applied and re-applied, `apply --prune -l` with
//! kubectl's default prune list, immutable-field errors as kubectl prints them, the workload
//! simulation seen through `kubectl wait` and `rollout status`, and a delayed CRD.

use super::*;

/// One generator per new kind, then `get` prints each with its columns.
#[test]
fn create_generators_for_every_new_kind() {
    let c = Cluster::start();
    let created = [
        vec!["create", "job", "once", "--image=busybox", "--", "true"],
        vec![
            "create",
            "cronjob",
            "nightly",
            "--image=busybox",
            "--schedule=0 3 * * *",
        ],
        vec![
            "create",
            "role",
            "reader",
            "--verb=get,list",
            "--resource=pods",
        ],
        vec![
            "create",
            "rolebinding",
            "reader",
            "--role=reader",
            "--user=ann",
        ],
        vec![
            "create",
            "clusterrole",
            "viewer",
            "--verb=get",
            "--resource=pods",
        ],
        vec![
            "create",
            "clusterrolebinding",
            "viewer",
            "--clusterrole=viewer",
            "--group=devs",
        ],
        vec![
            "create",
            "poddisruptionbudget",
            "web",
            "--selector=app=web",
            "--min-available=1",
        ],
        vec!["create", "priorityclass", "high", "--value=1000"],
        vec!["create", "ingress", "web", "--rule=example.com/=web:80"],
        vec!["create", "quota", "small", "--hard=pods=10"],
    ];
    for args in &created {
        let out = c.ok(args);
        assert!(out.contains("created"), "{args:?}: {out}");
    }
    let tables = [
        ("jobs", "NAME   STATUS    COMPLETIONS   DURATION   AGE"),
        (
            "cronjobs",
            "NAME      SCHEDULE    TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE",
        ),
        ("rolebindings", "NAME     ROLE          AGE"),
        (
            "pdb",
            "NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE",
        ),
        (
            "priorityclasses",
            "NAME   VALUE   GLOBAL-DEFAULT   AGE   PREEMPTIONPOLICY",
        ),
        (
            "ingress",
            "NAME   CLASS    HOSTS         ADDRESS   PORTS   AGE",
        ),
        ("quota", "NAME    AGE   REQUEST   LIMIT"),
    ];
    for (resource, header) in tables {
        let out = c.ok(&["get", resource]);
        assert_eq!(
            out.lines().next().map(str::trim_end),
            Some(header),
            "{resource}:\n{out}"
        );
    }
    let job = c.json(&["get", "job", "once"]);
    let uid = job["metadata"]["uid"].as_str().expect("uid");
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid
    );
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["job-name"],
        "once"
    );
    // As on a real cluster, a Job without labels of its own carries its template's, generated
    // ones included.
    assert_eq!(
        job["metadata"]["labels"]["batch.kubernetes.io/controller-uid"],
        uid
    );
    assert_eq!(job["metadata"]["labels"]["job-name"], "once");
    assert!(
        c.ok(&["get", "clusterrolebinding", "viewer", "-o", "wide"])
            .contains("devs")
    );
}

const REPO: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, labels: {app: shop}}
data: {LOG_LEVEL: info}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, labels: {app: shop}}
stringData: {password: "s3cr3t"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: shop, labels: {app: shop}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: shop, labels: {app: shop}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: shop, labels: {app: shop}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: shop}
subjects: [{kind: ServiceAccount, name: shop, namespace: default}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, labels: {app: shop}}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:17"}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, labels: {app: shop}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "agent:1"}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, labels: {app: shop}}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: migrate, image: "migrate:1"}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, labels: {app: shop}}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec: {restartPolicy: OnFailure, containers: [{name: report, image: "report:1"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, labels: {app: shop}}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx, labels: {app: shop}}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, labels: {app: shop}}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db, labels: {app: shop}}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: db}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, labels: {app: shop}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, labels: {app: shop}}
spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: 5Gi}}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, labels: {app: shop}}
spec: {limits: [{type: Container, default: {cpu: 500m}}]}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: shop-critical, labels: {app: shop}}
value: 100000
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: standard, labels: {app: shop}}
provisioner: rancher.io/local-path
"#;

/// A repository with every kind applies, re-applies unchanged (client- and server-side), and
/// prints through `get`.
#[test]
fn a_config_repository_of_every_kind_applies_twice() {
    let c = Cluster::start();
    let file = c.write("repo.yaml", REPO);
    let first = c.ok(&["apply", "-f", &file]);
    assert_eq!(first.matches(" created").count(), 18, "{first}");
    let again = c.ok(&["apply", "-f", &file]);
    assert_eq!(again.matches(" unchanged").count(), 16, "{again}");
    // As on a real cluster, kubectl's client-side patch is never empty for these two:
    // `stringData` is never in the live object, and a PodDisruptionBudget's selector has
    // `patchStrategy:"replace"`, which kubectl's three-way diff always sends.
    assert!(again.contains("secret/app-secret configured"), "{again}");
    assert!(
        again.contains("poddisruptionbudget.policy/db configured"),
        "{again}"
    );
    let ssa = c.ok(&["apply", "--server-side", "-f", &file]);
    assert_eq!(ssa.matches("serverside-applied").count(), 18, "{ssa}");
    let diff = c.run(&["diff", "--server-side", "-f", &file], None);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "no drift: {}",
        String::from_utf8_lossy(&diff.stdout)
    );
    let listed = c.ok(&[
        "get",
        "sts,ds,job,cronjob,netpol,ing,ingressclass,pdb,hpa,pvc,limits,pc,sc,role,rolebinding",
        "-l",
        "app=shop",
    ]);
    for name in [
        "statefulset.apps/db",
        "daemonset.apps/agent",
        "job.batch/migrate",
        "cronjob.batch/report",
        "networkpolicy.networking.k8s.io/default-deny",
        "ingress.networking.k8s.io/shop",
        "horizontalpodautoscaler.autoscaling/web",
        "persistentvolumeclaim/uploads",
        "storageclass.storage.k8s.io/standard",
    ] {
        assert!(listed.contains(name), "{name} missing:\n{listed}");
    }
    assert!(c.ok(&["get", "hpa", "web"]).contains("Deployment/web"));
}

/// `kubectl apply --prune -l` with kubectl's built-in prune list (no `--prune-allowlist`).
#[test]
fn apply_prune_by_label_without_an_allowlist() {
    let c = Cluster::start();
    let dir = c.dir.path().join("repo");
    std::fs::create_dir_all(&dir).expect("repo dir");
    let keep = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep, labels: {app: shop}}\ndata: {a: \"1\"}\n";
    let drop = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: old-migration, labels: {app: shop}}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: m, image: \"m:1\"}]}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: old-secret, labels: {app: shop}}\nstringData: {a: b}\n";
    std::fs::write(dir.join("keep.yaml"), keep).expect("write");
    std::fs::write(dir.join("drop.yaml"), drop).expect("write");
    let d = dir.to_string_lossy().into_owned();
    c.ok(&["apply", "--prune", "-l", "app=shop", "-f", &d]);
    std::fs::remove_file(dir.join("drop.yaml")).expect("remove");
    let out = c.ok(&["apply", "--prune", "-l", "app=shop", "-f", &d]);
    assert!(out.contains("job.batch/old-migration pruned"), "{out}");
    assert!(out.contains("secret/old-secret pruned"), "{out}");
    assert!(
        c.ok(&["get", "cm", "keep", "-o", "name"])
            .contains("configmap/keep")
    );
}

/// kubectl prints the 422 with the field kube-apiserver names.
#[test]
fn immutable_fields_are_refused_with_their_field() {
    let c = Cluster::start();
    c.ok(&["create", "job", "once", "--image=busybox:1", "--", "true"]);
    let err = c.fails(&["set", "image", "job/once", "once=busybox:2"], None);
    assert!(err.contains("spec.template: Invalid value"), "{err}");
    assert!(err.contains("field is immutable"), "{err}");
    c.ok(&["create", "secret", "generic", "s", "--from-literal=a=b"]);
    let err = c.fails(
        &[
            "patch",
            "secret",
            "s",
            "-p",
            r#"{"type":"kubernetes.io/tls"}"#,
        ],
        None,
    );
    assert!(
        err.contains("type: Invalid value: \"kubernetes.io/tls\": field is immutable"),
        "{err}"
    );
    assert!(!err.contains("Yg=="), "no secret value in errors: {err}");
}

/// `kubectl apply --server-side --dry-run=server` of objects kube-apiserver refuses prints its
/// 422 with each cause's field, and a valid object still applies.
#[test]
fn server_dry_run_refuses_invalid_objects_with_their_fields() {
    let c = Cluster::start();
    let apply = ["apply", "--server-side", "--dry-run=server", "-f", "-"];
    let role = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {apiGroups: [\"\"], resources: [pods]}
";
    let err = c.fails(&apply, Some(role));
    assert!(
        err.contains("rules[0].verbs: Required value: verbs must contain at least one value"),
        "{err}"
    );
    let policy = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec: {podSelector: {}, policyTypes: [Bogus]}
";
    let err = c.fails(&apply, Some(policy));
    assert!(
        err.contains("spec.policyTypes[0]: Unsupported value: \"Bogus\""),
        "{err}"
    );
    let deployment = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: app:1
        volumeMounts: [{name: data, mountPath: /data}]
";
    let err = c.fails(&apply, Some(deployment));
    assert!(
        err.contains("spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"data\""),
        "{err}"
    );
    let valid = deployment.replace(
        "      containers:",
        "      volumes: [{name: data, emptyDir: {}}]\n      containers:",
    );
    let out = c.ok_with(&apply, Some(&valid));
    assert!(
        out.contains("deployment.apps/web serverside-applied (server dry run)"),
        "{out}"
    );
}

/// The workload simulation, as kubectl users wait on it.
#[test]
fn simulated_jobs_and_statefulsets_through_kubectl_wait_and_rollout() {
    let c = Cluster::start_with(&["--simulate-workloads"]);
    c.ok(&["create", "job", "ok", "--image=migrate:1", "--", "true"]);
    let done = c.ok(&[
        "wait",
        "--for=condition=complete",
        "job/ok",
        "--timeout=20s",
    ]);
    assert!(done.contains("condition met"), "{done}");
    c.ok(&[
        "create",
        "job",
        "broken",
        "--image=migrate:fail",
        "--",
        "true",
    ]);
    let failed = c.ok(&[
        "wait",
        "--for=condition=failed",
        "job/broken",
        "--timeout=20s",
    ]);
    assert!(failed.contains("condition met"), "{failed}");
    c.ok(&[
        "create",
        "job",
        "stuck",
        "--image=migrate:hang",
        "--",
        "true",
    ]);
    let err = c.fails(
        &[
            "wait",
            "--for=condition=complete",
            "job/stuck",
            "--timeout=1s",
        ],
        None,
    );
    assert!(err.contains("timed out"), "{err}");
    let file = c.write(
        "sts.yaml",
        REPO.split("---\n").nth(5).expect("the StatefulSet"),
    );
    c.ok(&["apply", "-f", &file]);
    let out = c.ok(&["rollout", "status", "statefulset/db", "--timeout=20s"]);
    assert!(
        out.contains("roll out complete") || out.contains("rolling update complete"),
        "{out}"
    );
}

const DELAYED_CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"#;

/// `kubectl wait --for=condition=Established` waits for a delayed CRD, then its kind works.
#[test]
fn kubectl_waits_for_a_delayed_crd_to_be_established() {
    let c = Cluster::start_with(&["--crd-establish-delay", "700ms"]);
    let file = c.write("crd.yaml", DELAYED_CRD);
    c.ok(&["apply", "-f", &file]);
    let status = c.json(&["get", "crd", "gadgets.example.com"]);
    let established = status["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Established"))
        .cloned()
        .expect("an Established condition");
    assert_eq!(established["status"], "False");
    let out = c.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/gadgets.example.com",
        "--timeout=20s",
    ]);
    assert!(out.contains("condition met"), "{out}");
    let gadget = c.write(
        "gadget.yaml",
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {size: 1}\n",
    );
    assert!(c.ok(&["apply", "-f", &gadget]).contains("created"));
}
