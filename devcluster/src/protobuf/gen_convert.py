#!/usr/bin/env python3
"""Generates convert_gen.rs: the protobuf-to-JSON conversion of every k8s-pb message that the
kinds devcluster decodes can contain.

Wire layout (field types, presence) comes from the k8s-pb crate, the prost types we decode with.
JSON field names and which fields are required (printed even when zero) come from the k8s-openapi
crate, whose serde code spells every field exactly as the Kubernetes JSON API does. Both crate
sources must be in the cargo registry; fetch them with `cargo info k8s-pb@0.9.0` and
`cargo info k8s-openapi@0.29.0`. Run: python3 gen_convert.py > convert_gen.rs && rustfmt --edition 2024 convert_gen.rs
"""
import glob
import os
import re
import sys

REGISTRY = os.path.join(os.path.expanduser(os.environ.get("CARGO_HOME", "~/.cargo")), "registry", "src")
PB_VERSION = "0.9.0"
OPENAPI_VERSION = "0.29.0"
OPENAPI_K8S = "v1_37"

# The kinds decode() accepts: (module, struct).
ROOTS = [
    ("api/core/v1", "Namespace"),
    ("api/core/v1", "Secret"),
    ("api/core/v1", "ConfigMap"),
    ("api/core/v1", "ServiceAccount"),
    ("api/core/v1", "Service"),
    ("api/core/v1", "Event"),
    ("api/events/v1", "Event"),
    ("api/coordination/v1", "Lease"),
    ("api/apps/v1", "Deployment"),
    ("api/apps/v1", "ReplicaSet"),
    ("api/apps/v1", "StatefulSet"),
    ("api/apps/v1", "DaemonSet"),
    ("api/core/v1", "Pod"),
    ("api/core/v1", "PersistentVolumeClaim"),
    ("api/core/v1", "Endpoints"),
    ("api/core/v1", "LimitRange"),
    ("api/core/v1", "ResourceQuota"),
    ("api/core/v1", "ReplicationController"),
    ("api/core/v1", "PersistentVolume"),
    ("api/batch/v1", "Job"),
    ("api/batch/v1", "CronJob"),
    ("api/rbac/v1", "Role"),
    ("api/rbac/v1", "ClusterRole"),
    ("api/rbac/v1", "RoleBinding"),
    ("api/rbac/v1", "ClusterRoleBinding"),
    ("api/networking/v1", "NetworkPolicy"),
    ("api/networking/v1", "Ingress"),
    ("api/networking/v1", "IngressClass"),
    ("api/policy/v1", "PodDisruptionBudget"),
    ("api/autoscaling/v2", "HorizontalPodAutoscaler"),
    ("api/scheduling/v1", "PriorityClass"),
    ("api/storage/v1", "StorageClass"),
    ("apiextensions_apiserver/pkg/apis/apiextensions/v1", "CustomResourceDefinition"),
    ("api/authorization/v1", "SelfSubjectAccessReview"),
    ("api/authorization/v1", "SelfSubjectRulesReview"),
    ("api/authentication/v1", "SelfSubjectReview"),
]

# Messages with a JSON form of their own, converted by hand in convert.rs.
SPECIAL = {
    ("apimachinery/pkg/apis/meta/v1", "Time"),
    ("apimachinery/pkg/apis/meta/v1", "MicroTime"),
    ("apimachinery/pkg/apis/meta/v1", "Duration"),
    ("apimachinery/pkg/apis/meta/v1", "FieldsV1"),
    ("apimachinery/pkg/util/intstr", "IntOrString"),
    ("apimachinery/pkg/api/resource", "Quantity"),
    ("apimachinery/pkg/runtime", "RawExtension"),
    ("apiextensions_apiserver/pkg/apis/apiextensions/v1", "Json"),
    ("apiextensions_apiserver/pkg/apis/apiextensions/v1", "JsonSchemaPropsOrArray"),
    ("apiextensions_apiserver/pkg/apis/apiextensions/v1", "JsonSchemaPropsOrBool"),
    ("apiextensions_apiserver/pkg/apis/apiextensions/v1", "JsonSchemaPropsOrStringArray"),
}

# Optional scalar fields that are pointers in Go (*int32, *bool, ...): when present on the wire,
# a zero value was set on purpose and the JSON API prints it. Every other optional scalar is a
# non-pointer `omitempty` field, which Go marshals always and JSON omits when zero.
POINTERS = {
    "ObjectMeta": {"deletionGracePeriodSeconds"},
    "OwnerReference": {"controller", "blockOwnerDeletion"},
    "DeploymentSpec": {"replicas", "revisionHistoryLimit", "progressDeadlineSeconds"},
    "DeploymentStatus": {"collisionCount", "terminatingReplicas"},
    "PodSpec": {"terminationGracePeriodSeconds", "activeDeadlineSeconds", "automountServiceAccountToken",
                "shareProcessNamespace", "priority", "enableServiceLinks", "setHostnameAsFQDN", "hostUsers"},
    "PodSecurityContext": {"runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup"},
    "SecurityContext": {"privileged", "runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem",
                        "allowPrivilegeEscalation"},
    "WindowsSecurityContextOptions": {"hostProcess"},
    "Probe": {"terminationGracePeriodSeconds"},
    "ConfigMapVolumeSource": {"defaultMode", "optional"},
    "SecretVolumeSource": {"defaultMode", "optional"},
    "ProjectedVolumeSource": {"defaultMode"},
    "DownwardAPIVolumeSource": {"defaultMode"},
    "DownwardAPIVolumeFile": {"mode"},
    "KeyToPath": {"mode"},
    "ConfigMapKeySelector": {"optional"},
    "SecretKeySelector": {"optional"},
    "ConfigMapEnvSource": {"optional"},
    "SecretEnvSource": {"optional"},
    "ConfigMapProjection": {"optional"},
    "SecretProjection": {"optional"},
    "ClusterTrustBundleProjection": {"optional"},
    "ServiceAccountTokenProjection": {"expirationSeconds"},
    "CSIVolumeSource": {"readOnly"},
    "ServiceAccount": {"automountServiceAccountToken"},
    "Secret": {"immutable"},
    "ConfigMap": {"immutable"},
    "ServiceSpec": {"allocateLoadBalancerNodePorts"},
    "ClientIPConfig": {"timeoutSeconds"},
    "LeaseSpec": {"leaseDurationSeconds", "leaseTransitions"},
    "TopologySpreadConstraint": {"minDomains"},
    "Toleration": {"tolerationSeconds"},
    "ServiceReference": {"port"},
    "JsonSchemaProps": {"maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties",
                        "maximum", "minimum", "multipleOf", "x-kubernetes-preserve-unknown-fields"},
}


def registry_dir(name, version):
    found = glob.glob(os.path.join(REGISTRY, "*", f"{name}-{version}"))
    if not found:
        sys.exit(f"{name} {version} is not in the cargo registry; run `cargo info {name}@{version}`")
    return found[0]


def norm(name):
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("r#", ""))


FIELD_RE = re.compile(r'#\[prost\((?P<attr>[^\]]*)\)\]\s*pub (?P<name>(?:r#)?\w+):\s*(?P<ty>.*?),\n(?=    (?:#|///)|\s*\Z)', re.S)


def parse_pb(root):
    """{(module, struct): [field dicts]} from the k8s-pb sources."""
    messages = {}
    for path in glob.glob(os.path.join(root, "src", "**", "mod.rs"), recursive=True):
        module = os.path.relpath(os.path.dirname(path), os.path.join(root, "src"))
        text = open(path).read()
        for match in re.finditer(r"pub struct (\w+) \{(\}|.*?\n\})", text, re.S):
            name, body = match.group(1), match.group(2).rstrip("}") + "\n"
            fields = []
            for field in FIELD_RE.finditer(body):
                attr = field.group("attr")
                ty = " ".join(field.group("ty").split())
                kind = attr.split(",")[0].split("=")[0].strip()
                entry = {
                    "rust": field.group("name"),
                    "kind": kind,
                    "repeated": "repeated" in attr,
                    "boxed": "boxed" in attr,
                    "map": None,
                    "ref": None,
                }
                if kind == "btree_map":
                    entry["map"] = re.search(r'btree_map = "string, (\w+)"', attr).group(1)
                if kind == "message" or entry["map"] == "message":
                    entry["ref"] = resolve(module, message_type(ty))
                fields.append(entry)
            messages[(module, name)] = fields
    return messages


def message_type(ty):
    inner = ty
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"):
        inner = inner.replace(wrapper, "")
    inner = inner.rstrip(">, ")
    if "BTreeMap<" in inner:
        inner = inner.split(",", 1)[1]
    return inner.strip(">, ")


def resolve(module, path):
    parts = [p for p in path.replace(" ", "").split("::") if p]
    current = module.split("/")
    while parts and parts[0] == "super":
        current = current[:-1]
        parts = parts[1:]
    if parts and parts[0] == "self":
        parts = parts[1:]
    return ("/".join(current + parts[:-1]), parts[-1])


def parse_openapi(root):
    """{(module, normalized struct): {normalized field: (json name, required)}}."""
    base = os.path.join(root, "src", OPENAPI_K8S)
    structs = {}
    for path in glob.glob(os.path.join(base, "**", "*.rs"), recursive=True):
        module = os.path.relpath(os.path.dirname(path), base)
        text = open(path).read()
        match = re.search(r"pub struct (\w+) \{(.*?)\n\}", text, re.S)
        if not match:
            continue
        optional = {}
        for field in re.finditer(r"pub (?:r#)?(\w+): ([^\n]*),\n", match.group(2)):
            optional[field.group(1)] = field.group(2).startswith("Option<")
        names = {}
        for key in re.finditer(r'"([^"]+)" => Field::Key_(\w+),', text):
            json_name, rust = key.group(1), key.group(2)
            names[norm(json_name)] = (json_name, not optional.get(rust, True))
        structs[(module, norm(match.group(1)))] = names
    return structs


def camel(rust):
    words = rust.replace("r#", "").split("_")
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def main():
    pb = parse_pb(registry_dir("k8s-pb", PB_VERSION))
    openapi = parse_openapi(registry_dir("k8s-openapi", OPENAPI_VERSION))

    reachable, queue = [], list(ROOTS)
    while queue:
        key = queue.pop(0)
        if key in reachable or key in SPECIAL:
            continue
        if key not in pb:
            sys.exit(f"unknown message {key}")
        reachable.append(key)
        queue.extend(f["ref"] for f in pb[key] if f["ref"])

    pointers = {norm(k): v for k, v in POINTERS.items()}
    aliases = {}
    inline_names = {}
    out = []
    warnings = []
    for module, name in reachable:
        alias = module.replace("apiextensions_apiserver/pkg/apis/", "").replace("apimachinery/pkg/apis/", "").replace("api/", "").replace("/", "_")
        aliases[module] = alias
        known = openapi.get((module, norm(name)))
        if known is None and (module, name) in inline_names:
            known = inline_names[(module, name)]
        if known is None:
            warnings.append(f"{module}/{name}: no k8s-openapi struct, names guessed")
            known = {}
        lines = []
        for f in pb[(module, name)]:
            json_entry = known.get(norm(f["rust"]))
            access = f"self.{f['rust']}"
            if json_entry is None:
                ref_fields = pb.get(f["ref"], []) if f["ref"] else []
                if f["kind"] == "message" and not f["repeated"] and ref_fields and all(
                    norm(g["rust"]) in known for g in ref_fields
                ):
                    inline_names[f["ref"]] = known
                    lines.append(f"o.inline({access}.as_ref())?;")
                    continue
                if known:
                    warnings.append(f"{module}/{name}.{f['rust']}: not in k8s-openapi, name guessed")
                json_name, required = camel(f["rust"]), False
            else:
                json_name, required = json_entry
            key = json_name.replace('"', '\\"')
            if f["map"] == "message":
                lines.append(f'o.message_map("{key}", &{access})?;')
            elif f["map"]:
                lines.append(f'o.{f["map"]}_map("{key}", &{access});')
            elif f["kind"] == "message" and f["repeated"]:
                lines.append(f'o.messages("{key}", &{access})?;')
            elif f["kind"] == "message":
                getter = "as_deref" if f["boxed"] else "as_ref"
                lines.append(f'o.message("{key}", {access}.{getter}())?;')
            elif f["repeated"]:
                lines.append(f'o.list("{key}", &{access});')
            else:
                mode = "Always" if required else ("Pointer" if json_name in pointers.get(norm(name), ()) else "OmitEmpty")
                lines.append(f'o.scalar("{key}", &{access}, Mode::{mode});')
        body = "\n".join("        " + l for l in lines)
        out.append(
            f"impl ToJson for {alias}::{name} {{\n"
            f"    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {{\n"
            f"        let {'mut ' if lines else ''}o = Obj::default();\n{body}\n"
            f"        Ok(Some(o.finish()))\n    }}\n}}\n"
        )
    for pointer_struct, fields in POINTERS.items():
        for module, name in reachable:
            if norm(name) == norm(pointer_struct):
                jsons = {v[0] for v in openapi.get((module, norm(name)), {}).values()}
                for field in fields - jsons:
                    warnings.append(f"pointer {name}.{field} is no field of {module}/{name}")

    print("//! @generated by gen_convert.py from k8s-pb " + PB_VERSION + " (wire layout) and k8s-openapi "
          + OPENAPI_VERSION + " (JSON names). Do not edit; rerun the script.")
    print()
    print("use serde_json::Value;")
    print()
    print("use super::ProtobufError;")
    print("use super::convert::{Mode, Obj, ToJson};")
    for module, alias in sorted(aliases.items()):
        print(f"use k8s_pb::{module.replace('/', '::')} as {alias};")
    print()
    print("\n".join(out))
    for warning in warnings:
        print("warning: " + warning, file=sys.stderr)
    print(f"{len(reachable)} messages", file=sys.stderr)


main()
