//! The structured-merge-diff schema of the built-in kinds, reduced to what field ownership needs:
//! which maps are structs (named fields) or string maps, which lists are associative (and by
//! which keys), sets, or atomic, and which structs are atomic (`+structType=atomic`).
//!
//! Anything not listed is a struct whose fields are all unknown: its object values are structs
//! again, its lists atomic, its scalars leaves. That is exactly kube's behaviour for unannotated
//! Go fields, and for custom resources whose CRD schema declares no list types.

/// One node type.
#[derive(Debug)]
pub(crate) enum Ty {
    /// A struct: object keys are named fields. Fields not listed have type [`OPEN`].
    Struct(&'static [(&'static str, &'static Ty)]),
    /// `map[string]T`: object keys are not named fields, each value has the element type.
    Map(&'static Ty),
    /// Owned as a whole: atomic structs, maps and lists.
    Atomic,
    /// `+listType=map`: items are identified by their key fields.
    Assoc(&'static [Key], &'static Ty),
    /// `+listType=set`: a list of distinct scalars, items identified by value.
    Set,
    /// A field of a built-in kind whose Go field has no `omitempty` (`containers`): it exists,
    /// as null, in an empty object, so kube never reports it as added. Only valid as a struct
    /// field's type; [`Ty::field`] looks through it.
    Required(&'static Ty),
}

/// A key field of an associative list, with the default kube's schema gives it.
#[derive(Debug)]
pub(crate) struct Key {
    pub name: &'static str,
    pub default: Option<&'static str>,
}

/// A struct of unknown fields.
pub(crate) static OPEN: Ty = Ty::Struct(&[]);

impl Ty {
    /// The type of field `name` of a struct or map, and whether it is a named (struct) field;
    /// `None` when this type has no fields.
    pub(crate) fn field(&self, name: &str) -> Option<(&'static Ty, bool)> {
        match self {
            Ty::Struct(fields) => {
                let ty = fields
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(&OPEN, |(_, ty)| *ty);
                match ty {
                    Ty::Required(inner) => Some((inner, true)),
                    _ => Some((ty, true)),
                }
            }
            Ty::Map(elem) => Some((elem, false)),
            Ty::Atomic | Ty::Assoc(..) | Ty::Set | Ty::Required(_) => None,
        }
    }

    /// Whether struct field `name` is [`Ty::Required`].
    pub(super) fn is_required_field(&self, name: &str) -> bool {
        matches!(self, Ty::Struct(fields)
            if fields.iter().any(|(n, ty)| *n == name && matches!(ty, Ty::Required(_))))
    }
}

const fn key(name: &'static str) -> Key {
    Key {
        name,
        default: None,
    }
}

const NAME: &[Key] = &[key("name")];
const TYPE: &[Key] = &[key("type")];
const PROTOCOL_TCP: Key = Key {
    name: "protocol",
    default: Some("TCP"),
};

static STRING_MAP: Ty = Ty::Map(&Ty::Atomic);
static CONDITIONS: Ty = Ty::Assoc(TYPE, &OPEN);

pub(crate) static OBJECT_META: Ty = Ty::Struct(&[
    ("labels", &STRING_MAP),
    ("annotations", &STRING_MAP),
    ("finalizers", &Ty::Set),
    // OwnerReference is +structType=atomic.
    ("ownerReferences", &Ty::Assoc(&[key("uid")], &Ty::Atomic)),
]);

static CONDITIONS_STATUS: Ty = Ty::Struct(&[("conditions", &CONDITIONS)]);

static ENV_VAR: Ty = Ty::Struct(&[(
    "valueFrom",
    &Ty::Struct(&[
        ("configMapKeyRef", &Ty::Atomic),
        ("secretKeyRef", &Ty::Atomic),
        ("fieldRef", &Ty::Atomic),
        ("resourceFieldRef", &Ty::Atomic),
    ]),
)]);

static CONTAINER: Ty = Ty::Struct(&[
    (
        "ports",
        &Ty::Assoc(&[key("containerPort"), PROTOCOL_TCP], &OPEN),
    ),
    ("env", &Ty::Assoc(NAME, &ENV_VAR)),
    ("volumeMounts", &Ty::Assoc(&[key("mountPath")], &OPEN)),
    ("volumeDevices", &Ty::Assoc(&[key("devicePath")], &OPEN)),
    (
        "resources",
        &Ty::Struct(&[
            ("limits", &STRING_MAP),
            ("requests", &STRING_MAP),
            ("claims", &Ty::Assoc(NAME, &OPEN)),
        ]),
    ),
]);

static POD_SPEC: Ty = Ty::Struct(&[
    ("volumes", &Ty::Assoc(NAME, &OPEN)),
    ("initContainers", &Ty::Assoc(NAME, &CONTAINER)),
    ("containers", &Ty::Required(&Ty::Assoc(NAME, &CONTAINER))),
    ("ephemeralContainers", &Ty::Assoc(NAME, &CONTAINER)),
    // LocalObjectReference is +structType=atomic.
    ("imagePullSecrets", &Ty::Assoc(NAME, &Ty::Atomic)),
    ("hostAliases", &Ty::Assoc(&[key("ip")], &OPEN)),
    (
        "topologySpreadConstraints",
        &Ty::Assoc(&[key("topologyKey"), key("whenUnsatisfiable")], &OPEN),
    ),
    ("resourceClaims", &Ty::Assoc(NAME, &OPEN)),
    ("schedulingGates", &Ty::Assoc(NAME, &OPEN)),
    ("nodeSelector", &STRING_MAP),
]);

static POD_TEMPLATE_SPEC: Ty = Ty::Struct(&[("metadata", &OBJECT_META), ("spec", &POD_SPEC)]);

pub(crate) static POD: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    ("spec", &POD_SPEC),
    ("status", &CONDITIONS_STATUS),
]);

/// The spec of a workload: an atomic selector (LabelSelector is +structType=atomic) and a pod
/// template.
static WORKLOAD_SPEC: &Ty =
    &Ty::Struct(&[("selector", &Ty::Atomic), ("template", &POD_TEMPLATE_SPEC)]);

/// Deployment, ReplicaSet, StatefulSet, DaemonSet, Job: a pod template and an atomic selector.
pub(crate) static WORKLOAD: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    ("spec", WORKLOAD_SPEC),
    ("status", &CONDITIONS_STATUS),
]);

pub(crate) static SERVICE: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    (
        "spec",
        &Ty::Struct(&[
            ("ports", &Ty::Assoc(&[key("port"), PROTOCOL_TCP], &OPEN)),
            // ServiceSpec.selector is +mapType=atomic.
            ("selector", &Ty::Atomic),
        ]),
    ),
    ("status", &CONDITIONS_STATUS),
]);

pub(crate) static SERVICE_ACCOUNT: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    // ObjectReference is +structType=atomic.
    ("secrets", &Ty::Assoc(NAME, &Ty::Atomic)),
]);

/// ConfigMap, Secret, Namespace, Event, Lease, CRD and custom resources: metadata rules, string
/// maps for data, and conditions merged by type.
pub(crate) static PLAIN: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    ("data", &STRING_MAP),
    ("binaryData", &STRING_MAP),
    ("stringData", &STRING_MAP),
    ("status", &CONDITIONS_STATUS),
]);

/// CronJob: a Job template's pod template.
pub(crate) static CRON_JOB: Ty = Ty::Struct(&[
    ("metadata", &OBJECT_META),
    (
        "spec",
        &Ty::Struct(&[(
            "jobTemplate",
            &Ty::Struct(&[("metadata", &OBJECT_META), ("spec", WORKLOAD_SPEC)]),
        )]),
    ),
    ("status", &CONDITIONS_STATUS),
]);

/// Whether a kind is built in (a Go type on the server) rather than a custom resource: its group
/// is the core group, has no dot, or ends in `.k8s.io`.
pub(super) fn is_built_in(api_version: &str) -> bool {
    crate::kinds::is_built_in_group(crate::kinds::group_of(api_version))
}

/// The schema of a kind: its strategy's. Kinds without one (custom resources included) get
/// [`PLAIN`]: object metadata, and everything else a struct with atomic lists.
pub(super) fn for_kind(api_version: &str, kind: &str) -> &'static Ty {
    crate::kinds::by_kind(crate::kinds::group_of(api_version), kind).map_or(&PLAIN, |s| s.ssa)
}
