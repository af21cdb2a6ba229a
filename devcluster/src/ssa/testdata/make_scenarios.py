import json

def cm(data=None, labels=None, finalizers=None):
    meta = {"name": "c", "namespace": "ns"}
    if labels is not None: meta["labels"] = labels
    if finalizers is not None: meta["finalizers"] = finalizers
    o = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    if data is not None: o["data"] = data
    return o

def dep(containers, selector=None, replicas=None, labels=None, status=None, annotations=None):
    spec = {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}
    if selector is not None: spec["selector"] = selector
    if replicas is not None: spec["replicas"] = replicas
    meta = {"name": "web", "namespace": "ns"}
    if labels is not None: meta["labels"] = labels
    if annotations is not None: meta["annotations"] = annotations
    o = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}
    if status is not None: o["status"] = status
    return o

def dep_status(status, replicas=None, labels=None, annotations=None):
    """A Deployment as a status writer sends it to /status: a spec only when `replicas`."""
    meta = {"name": "web", "namespace": "ns"}
    if labels is not None: meta["labels"] = labels
    if annotations is not None: meta["annotations"] = annotations
    o = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "status": status}
    if replicas is not None: o["spec"] = {"replicas": replicas}
    return o

def cond(type_, status, reason=None):
    o = {"type": type_, "status": status}
    if reason: o["reason"] = reason
    return o

# The openAPIV3Schema of the custom resource Widget (example.com/v1). smdgen.go.txt's `widget`
# types are the same schema written for structured-merge-diff: keep the two in step.
WIDGET_SCHEMA = {"type": "object", "properties": {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
    "spec": {"type": "object", "properties": {
        "ports": {"type": "array", "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  "items": {"type": "object", "required": ["name"], "properties": {
                      "name": {"type": "string"}, "port": {"type": "integer"}}}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "args": {"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "string"}},
        "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                     "additionalProperties": {"type": "string"}},
        "labels": {"type": "object", "x-kubernetes-map-type": "granular",
                   "additionalProperties": {"type": "string"}}}}}}

def widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": "ns"}, "spec": spec}

def port(name, number):
    return {"name": name, "port": number}

def apply(manager, obj, force=False, reset=None):
    """`reset`: "status" (the main endpoint of a kind with a status subresource) or
    "allButStatus" (a write to /status); None for a kind without a status subresource."""
    s = {"op": "apply", "manager": manager, "object": obj}
    if force: s["force"] = True
    if reset: s["reset"] = reset
    return s

def update(manager, obj, reset=None):
    s = {"op": "update", "manager": manager, "object": obj}
    if reset: s["reset"] = reset
    return s

def c(name, image=None, **kw):
    o = {"name": name}
    if image: o["image"] = image
    o.update(kw)
    return o

S = []
def sc(name, kind, steps, comment="", unordered=False, crd_schema=None):
    s = {"name": name, "comment": comment, "kind": kind, "steps": steps}
    if unordered: s["unordered"] = True
    if crd_schema is not None: s["crdSchema"] = crd_schema
    S.append(s)

sc("reapply drops a field", "configmap", [
    apply("kubectl", cm({"a": "1", "b": "2"}, {"app": "demo"})),
    apply("kubectl", cm({"a": "1"}, {"app": "demo"})),
    apply("kubectl", cm()),
])
sc("co-owned field survives", "configmap", [
    apply("first", cm({"a": "1", "b": "2"})),
    apply("second", cm({"a": "1"})),
    apply("first", cm({})),
])
sc("conflicts and force", "configmap", [
    apply("other", cm({"a": "1", "b": "2"})),
    apply("kubectl", cm({"a": "9"})),
    apply("kubectl", cm({"a": "9", "b": "9"})),
    apply("kubectl", cm({"a": "9"}), force=True),
    apply("other", cm({"a": "1", "b": "2"})),
])
sc("update steals ownership", "configmap", [
    apply("kubectl", cm({"a": "1", "b": "2"})),
    update("kubectl-patch", cm({"a": "2", "b": "2"})),
    apply("kubectl", cm({"a": "1", "b": "2"})),
    apply("kubectl", cm({"a": "2", "b": "2"})),
    update("kubectl-patch", cm({"a": "3", "b": "2", "c": "4"})),
])
sc("create by update", "configmap", [
    update("kubectl-create", cm({"a": "1"}, {"app": "x"})),
    update("kubectl-label", cm({"a": "1"}, {"app": "x", "tier": "web"})),
    update("kubectl-edit", cm({"b": "2"}, {"tier": "web"})),
])
sc("removal leaves every set", "configmap", [
    apply("kubectl", cm({"a": "1", "b": "2"})),
    update("kubectl-edit", cm({"b": "2"})),
    apply("kubectl", cm({"b": "2"})),
])
sc("finalizers per value", "configmap", [
    apply("one", cm(finalizers=["a.example.com/x"])),
    apply("two", cm(finalizers=["b.example.com/y"])),
    apply("one", cm(finalizers=["c.example.com/z", "a.example.com/x"])),
    apply("one", cm()),
], unordered=True)
sc("label kept by an updater", "configmap", [
    apply("a", cm(labels={"app": "x", "tier": "y"})),
    update("other", cm(labels={"app": "x", "tier": "z"})),
    apply("a", cm(labels={"app": "x"})),
])
sc("deployment shape", "deployment", [
    apply("kubectl", dep([c("nginx", "nginx:1.27", ports=[{"containerPort": 80, "protocol": "TCP"}])],
                       selector={"matchLabels": {"app": "web"}}, replicas=1, labels={"app": "web"})),
])
sc("containers merge by name", "deployment", [
    apply("kubectl", dep([c("app", "app:1"), c("sidecar", "side:1")])),
    update("injector", dep([c("app", "app:1", env=[{"name": "INJECTED", "value": "1"}]), c("sidecar", "side:1"), c("agent", "agent:1")])),
    apply("kubectl", dep([c("app", "app:2")])),
])
sc("list order", "deployment", [
    apply("m1", dep([c("a"), c("b"), c("c")])),
    apply("m2", dep([c("c"), c("d")])),
    apply("m1", dep([c("b"), c("a")])),
    apply("m2", dep([c("e"), c("c"), c("d")])),
], unordered=True)
sc("conflict inside an item", "deployment", [
    apply("kubectl", dep([c("app", "app:1", env=[{"name": "A", "value": "1"}])])),
    apply("ci", dep([c("app", "app:2", env=[{"name": "A", "value": "2"}, {"name": "B", "value": "3"}])])),
    apply("ci", dep([c("app", "app:2", env=[{"name": "A", "value": "2"}, {"name": "B", "value": "3"}])]), force=True),
    apply("kubectl", dep([c("app", "app:1")])),
])
sc("atomic args", "deployment", [
    apply("kubectl", dep([c("app", args=["a", "b"])])),
    apply("other", dep([c("app", args=["c"])])),
    apply("other", dep([c("app", args=["a", "b"])])),
    apply("kubectl", dep([c("app")])),
])
sc("dropped item partly owned by an updater", "deployment", [
    apply("kubectl", dep([c("a"), c("b")])),
    update("setter", dep([c("a"), c("b", "b:1")])),
    apply("kubectl", dep([c("a")])),
])
sc("atomic selector", "deployment", [
    apply("kubectl", dep([c("a")], selector={"matchLabels": {"app": "web"}})),
    apply("other", dep([c("a")], selector={"matchLabels": {"app": "web", "x": "y"}})),
    apply("other", dep([c("a")], selector={"matchLabels": {"app": "web"}})),
])
sc("ports keyed by port and protocol", "deployment", [
    apply("kubectl", dep([c("dns", ports=[{"containerPort": 53, "protocol": "UDP", "name": "dns"},
                                           {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"}])])),
    apply("kubectl", dep([c("dns", ports=[{"containerPort": 53, "protocol": "UDP", "name": "dns"}])])),
])

# Reset fields: Deployment has a status subresource, so its main endpoint resets `status` and
# /status resets everything else (here spec, metadata.labels, metadata.annotations).
sc("status apply owns only status", "deployment", [
    apply("kubectl", dep([c("app", "app:1")], replicas=3, labels={"app": "web"}), reset="status"),
    apply("controller", dep_status({"replicas": 2, "conditions": [cond("Available", "True")]},
                                   replicas=5, labels={"app": "other"}, annotations={"x": "y"}),
          reset="allButStatus"),
    apply("controller", dep_status({"replicas": 3, "conditions": [cond("Available", "True"),
                                                                  cond("Progressing", "True")]}),
          reset="allButStatus"),
    apply("kubectl", dep([c("app", "app:1")], replicas=4, labels={"app": "web"}), reset="status"),
], comment="the status writer sends a different spec.replicas and labels: it owns and "
           "conflicts on neither; kubectl's spec is untouched")
sc("status in a main-endpoint apply is ignored", "deployment", [
    apply("kubectl", dep([c("app", "app:1")], replicas=1, status={"replicas": 1}), reset="status"),
    apply("controller", dep_status({"replicas": 2, "conditions": [cond("Available", "False", "MinimumReplicasUnavailable")]}),
          reset="allButStatus"),
    apply("kubectl", dep([c("app", "app:1")], replicas=1,
                         status={"replicas": 7, "conditions": [cond("Available", "True")]}), reset="status"),
    update("kubectl-edit", dep([c("app", "app:1")], replicas=2,
                               status={"replicas": 9, "conditions": [cond("Available", "False", "Edited")]}),
           reset="status"),
    apply("controller", dep_status({"replicas": 2, "conditions": [cond("Available", "True")]}),
          reset="allButStatus"),
], comment="kubectl's status values are not owned, not conflicted on, and not written")

# Custom resources: list and map types from the CRD's openAPIV3Schema; empty maps and lists
# do not vanish (not Go structs).
sc("crd map list merges by name", "widget", [
    apply("a", widget(ports=[port("http", 80)])),
    apply("b", widget(ports=[port("metrics", 9090)])),
    apply("a", widget(ports=[port("http", 8080)])),
    apply("b", widget(ports=[port("metrics", 9090), port("http", 81)])),
    apply("a", widget()),
], crd_schema=WIDGET_SCHEMA)
sc("crd set union", "widget", [
    apply("a", widget(tags=["x", "y"])),
    apply("b", widget(tags=["y", "z"])),
    apply("a", widget(tags=["x"])),
    apply("b", widget(tags=[])),
], crd_schema=WIDGET_SCHEMA)
sc("crd atomic list", "widget", [
    apply("a", widget(args=["--v", "2"])),
    apply("b", widget(args=["--v", "2"])),
    apply("b", widget(args=["--v", "3"])),
    apply("b", widget(args=["--v", "3"]), force=True),
    apply("a", widget()),
], crd_schema=WIDGET_SCHEMA)
sc("crd atomic map", "widget", [
    apply("a", widget(selector={"app": "w", "tier": "db"})),
    apply("b", widget(selector={"app": "w"})),
    apply("b", widget(selector={"app": "w"}), force=True),
    apply("a", widget(selector={"app": "w"})),
], crd_schema=WIDGET_SCHEMA)
sc("crd granular map", "widget", [
    apply("a", widget(labels={"x": "1"})),
    apply("b", widget(labels={"y": "2"})),
    apply("b", widget(labels={"x": "9"})),
    apply("a", widget(labels={})),
    update("editor", widget(labels={"z": "3"})),
], crd_schema=WIDGET_SCHEMA)
sc("crd create by update", "widget", [
    update("kubectl-create", widget(ports=[port("http", 80)], tags=["x"], labels={"k": "v"})),
    apply("a", widget(ports=[port("http", 80)], tags=["x", "y"])),
    update("kubectl-edit", widget(ports=[port("http", 80), port("dns", 53)], tags=["y"], labels={})),
], crd_schema=WIDGET_SCHEMA)
print(json.dumps(S, indent=1))
