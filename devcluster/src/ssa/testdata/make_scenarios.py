import json

def cm(data=None, labels=None, finalizers=None):
    meta = {"name": "c", "namespace": "ns"}
    if labels is not None: meta["labels"] = labels
    if finalizers is not None: meta["finalizers"] = finalizers
    o = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    if data is not None: o["data"] = data
    return o

def dep(containers, selector=None, replicas=None, labels=None):
    spec = {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}}
    if selector is not None: spec["selector"] = selector
    if replicas is not None: spec["replicas"] = replicas
    meta = {"name": "web", "namespace": "ns"}
    if labels is not None: meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}

def apply(manager, obj, force=False):
    s = {"op": "apply", "manager": manager, "object": obj}
    if force: s["force"] = True
    return s

def update(manager, obj):
    return {"op": "update", "manager": manager, "object": obj}

def c(name, image=None, **kw):
    o = {"name": name}
    if image: o["image"] = image
    o.update(kw)
    return o

S = []
def sc(name, kind, steps, comment="", unordered=False):
    s = {"name": name, "comment": comment, "kind": kind, "steps": steps}
    if unordered: s["unordered"] = True
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
print(json.dumps(S, indent=1))
