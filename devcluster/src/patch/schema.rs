//! The strategic-merge metadata (`patchStrategy` / `patchMergeKey` struct tags of k8s.io/api) of
//! the built-in kinds, as a small static type tree. Only fields that matter to strategic merge are
//! listed: lists with a merge strategy, and the structs on the way to them. Every other list is
//! replaced by the patch, every other map merges.

/// How a list field merges under strategic merge patch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ListMerge {
    /// No `patchStrategy`: the patch's list replaces the live one.
    Replace,
    /// `patchStrategy:"merge"` on a list of scalars (finalizers): union, duplicates dropped.
    Set,
    /// `patchStrategy:"merge"` with `patchMergeKey`: items with equal key merge.
    ByKey(&'static str),
}

/// One Go struct: its fields that strategic merge must know about.
pub(crate) struct Struct {
    fields: &'static [Field],
}

struct Field {
    name: &'static str,
    list: ListMerge,
    /// The field's struct type (for a list: its items' type), when strategic merge must look inside.
    ty: Option<&'static Struct>,
}

/// What strategic merge needs to know about field `name` of a struct.
#[derive(Clone, Copy)]
pub(super) struct FieldInfo {
    pub list: ListMerge,
    pub ty: Option<&'static Struct>,
}

impl FieldInfo {
    /// A field nothing is known about: maps merge, lists are replaced.
    pub const UNKNOWN: FieldInfo = FieldInfo {
        list: ListMerge::Replace,
        ty: None,
    };
}

impl Struct {
    pub(super) fn field(&self, name: &str) -> FieldInfo {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map_or(FieldInfo::UNKNOWN, |f| FieldInfo {
                list: f.list,
                ty: f.ty,
            })
    }
}

/// Looks up the field `name` in an optional struct.
pub(super) fn field(ty: Option<&'static Struct>, name: &str) -> FieldInfo {
    ty.map_or(FieldInfo::UNKNOWN, |s| s.field(name))
}

const fn object(name: &'static str, ty: &'static Struct) -> Field {
    Field {
        name,
        list: ListMerge::Replace,
        ty: Some(ty),
    }
}

const fn keyed(name: &'static str, key: &'static str, ty: Option<&'static Struct>) -> Field {
    Field {
        name,
        list: ListMerge::ByKey(key),
        ty,
    }
}

const fn set(name: &'static str) -> Field {
    Field {
        name,
        list: ListMerge::Set,
        ty: None,
    }
}

static OBJECT_META: Struct = Struct {
    fields: &[set("finalizers"), keyed("ownerReferences", "uid", None)],
};

/// A kind whose only strategic fields are in `metadata` (ConfigMap, Secret, Event, Lease, ...).
pub(crate) static PLAIN: Struct = Struct {
    fields: &[object("metadata", &OBJECT_META)],
};

static CONDITIONS_STATUS: Struct = Struct {
    fields: &[keyed("conditions", "type", None)],
};

static CONTAINER: Struct = Struct {
    fields: &[
        keyed("ports", "containerPort", None),
        keyed("env", "name", None),
        keyed("volumeMounts", "mountPath", None),
        keyed("volumeDevices", "devicePath", None),
    ],
};

static POD_SPEC: Struct = Struct {
    fields: &[
        keyed("volumes", "name", None),
        keyed("initContainers", "name", Some(&CONTAINER)),
        keyed("containers", "name", Some(&CONTAINER)),
        keyed("ephemeralContainers", "name", Some(&CONTAINER)),
        keyed("imagePullSecrets", "name", None),
        keyed("hostAliases", "ip", None),
        keyed("topologySpreadConstraints", "topologyKey", None),
        keyed("resourceClaims", "name", None),
        keyed("schedulingGates", "name", None),
    ],
};

static POD_STATUS: Struct = Struct {
    fields: &[
        keyed("conditions", "type", None),
        keyed("podIPs", "ip", None),
    ],
};

pub(crate) static POD: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &POD_SPEC),
        object("status", &POD_STATUS),
    ],
};

static POD_TEMPLATE_SPEC: Struct = Struct {
    fields: &[object("metadata", &OBJECT_META), object("spec", &POD_SPEC)],
};

/// The spec of Deployment, ReplicaSet, StatefulSet, DaemonSet and Job: a pod template.
static WORKLOAD_SPEC: Struct = Struct {
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

pub(crate) static WORKLOAD: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &WORKLOAD_SPEC),
        object("status", &CONDITIONS_STATUS),
    ],
};

static JOB_TEMPLATE_SPEC: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &WORKLOAD_SPEC),
    ],
};

static CRON_JOB_SPEC: Struct = Struct {
    fields: &[object("jobTemplate", &JOB_TEMPLATE_SPEC)],
};

pub(crate) static CRON_JOB: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &CRON_JOB_SPEC),
    ],
};

static SERVICE_SPEC: Struct = Struct {
    fields: &[keyed("ports", "port", None)],
};

pub(crate) static SERVICE: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &SERVICE_SPEC),
        object("status", &CONDITIONS_STATUS),
    ],
};

pub(crate) static NAMESPACE: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &CONDITIONS_STATUS),
    ],
};

pub(crate) static SERVICE_ACCOUNT: Struct = Struct {
    fields: &[
        object("metadata", &OBJECT_META),
        keyed("secrets", "name", None),
    ],
};

/// The strategic-merge type of a kind, or `None` for a kind the server has no Go struct for.
///
/// A kind is built in when its API group is the core group, has no dot (`apps`, `batch`, ...) or
/// ends in `.k8s.io` (`events.k8s.io`, `coordination.k8s.io`, `apiextensions.k8s.io`, ...):
/// custom resources must use a dotted group outside `k8s.io` without an approval annotation, so
/// this splits built-ins from custom resources without a list of every built-in kind. A
/// built-in's schema is its strategy's; built-in kinds devcluster does not serve get the
/// metadata rules only.
pub(super) fn for_kind(api_version: &str, kind: &str) -> Option<&'static Struct> {
    let group = crate::kinds::group_of(api_version);
    if !crate::kinds::is_built_in_group(group) {
        return None;
    }
    Some(crate::kinds::by_kind(group, kind).map_or(&PLAIN, |s| s.smp))
}
