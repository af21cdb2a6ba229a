//! The columns `kubectl get` shows on a real cluster for each built-in kind, as
//! kube-apiserver's printers (pkg/printers/internalversion) define them. Each kind's strategy
//! names its function here.

use super::kind_printers as k;
use super::printers as p;
use super::{CREATION_DESCRIPTION, Cell, Column};

pub fn configmaps() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Data",
            "Data contains the configuration data.",
            p::configmap_data,
        ),
        Column::age(),
    ]
}

pub fn secrets() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Type",
            "Used to facilitate programmatic handling of secret data.",
            p::secret_type,
        ),
        Column::builtin("Data", "Data contains the secret data.", p::secret_data),
        Column::age(),
    ]
}

pub fn namespaces() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin("Status", "The status of the namespace", p::namespace_status),
        Column::age(),
    ]
}

pub fn serviceaccounts() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Secrets",
            "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
            p::serviceaccount_secrets,
        ),
        Column::age(),
    ]
}

pub fn services() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Type",
            "type determines how the Service is exposed.",
            p::service_type,
        ),
        Column::builtin(
            "Cluster-IP",
            "clusterIP is the IP address of the service and is usually assigned randomly.",
            p::service_cluster_ip,
        ),
        Column::builtin(
            "External-IP",
            "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.",
            p::service_external_ip,
        ),
        Column::builtin(
            "Port(s)",
            "The list of ports that are exposed by this service.",
            p::service_ports,
        ),
        Column::age(),
        Column::builtin(
            "Selector",
            "Route service traffic to pods with label keys and values matching this selector.",
            p::service_selector,
        )
        .wide(),
    ]
}

pub fn deployments() -> Vec<Column> {
    template_wide(
        vec![
            Column::name(),
            Column::builtin(
                "Ready",
                "Number of the pod with ready state",
                p::deployment_ready,
            ),
            Column::builtin(
                "Up-to-date",
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                p::deployment_updated,
            ),
            Column::builtin(
                "Available",
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                p::deployment_available,
            ),
            Column::age(),
        ],
        Some(
            "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
        ),
    )
}

pub fn events() -> Vec<Column> {
    vec![
            Column::builtin("Last Seen", "The time at which the most recent occurrence of this event was recorded.", p::event_last_seen),
            Column::builtin("Type", "Type of this event (Normal, Warning), new types could be added in the future", p::event_type),
            Column::builtin("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", p::event_reason),
            Column::builtin("Object", "The object that this event is about.", p::event_object),
            Column::builtin("Subobject", "The object that this event is about.", p::event_subobject).wide(),
            Column::builtin("Source", "The component reporting this event. Should be a short machine understandable string.", p::event_source).wide(),
            Column::builtin("Message", "A human-readable description of the status of this operation.", p::event_message),
            Column::builtin("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", p::event_first_seen).wide(),
            Column::builtin("Count", "The number of times this event has occurred.", p::event_count).wide(),
            Column::name().wide(),
        ]
}

pub fn leases() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Holder",
            "holderIdentity contains the identity of the holder of a current lease.",
            p::lease_holder,
        ),
        Column::age(),
    ]
}

/// What kube-apiserver's default table convertor gives: Name and Created At.
pub fn name_created_at() -> Vec<Column> {
    vec![
        Column::name(),
        Column::new(
            "Created At",
            "date",
            CREATION_DESCRIPTION,
            Cell::Builtin(p::created_at),
        ),
    ]
}

const CONTAINERS: &str = "Names of each container in the template.";
const IMAGES: &str = "Images referenced by each container in the template.";
const SELECTOR: &str = "Label selector for pods.";

/// `columns` and then a workload's wide columns: its template's containers and images, and
/// (with its description) its selector.
fn template_wide(mut columns: Vec<Column>, selector: Option<&str>) -> Vec<Column> {
    columns.push(Column::builtin("Containers", CONTAINERS, p::deployment_containers).wide());
    columns.push(Column::builtin("Images", IMAGES, p::deployment_images).wide());
    if let Some(description) = selector {
        columns.push(Column::builtin("Selector", description, p::deployment_selector).wide());
    }
    columns
}

pub fn pods() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin("Ready", "The aggregate readiness state of this pod for accepting traffic.", k::pod_ready),
        Column::builtin("Status", "The aggregate status of the containers in this pod.", k::pod_status),
        Column::builtin("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", k::pod_restarts),
        Column::age(),
        Column::builtin("IP", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", k::pod_ip).wide(),
        Column::builtin("Node", "NodeName is a request to schedule this pod onto a specific node.", k::pod_node).wide(),
        Column::builtin("Nominated Node", "nominatedNodeName is set when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", k::pod_nominated_node).wide(),
        Column::builtin("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", k::pod_readiness_gates).wide(),
    ]
}

pub fn persistentvolumeclaims() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Status",
            "Phase represents the current phase of PersistentVolumeClaim.",
            k::pvc_status,
        ),
        Column::builtin(
            "Volume",
            "VolumeName is the binding reference to the PersistentVolume backing this claim.",
            k::pvc_volume,
        ),
        Column::builtin(
            "Capacity",
            "Capacity represents the actual resources of the underlying volume.",
            k::pvc_capacity,
        ),
        Column::builtin(
            "Access Modes",
            "AccessModes contains the desired access modes the volume should have.",
            k::pvc_access_modes,
        ),
        Column::builtin(
            "StorageClass",
            "StorageClassName is the name of the StorageClass required by the claim.",
            k::pvc_storage_class,
        ),
        Column::builtin(
            "VolumeAttributesClass",
            "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.",
            k::pvc_attributes_class,
        ),
        Column::age(),
        Column::builtin(
            "VolumeMode",
            "volumeMode defines what type of volume is required by the claim.",
            k::pvc_volume_mode,
        )
        .wide(),
    ]
}

pub fn endpoints() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Endpoints",
            "Endpoints is the list of endpoints of the service.",
            k::endpoints,
        ),
        Column::age(),
    ]
}

pub fn resourcequotas() -> Vec<Column> {
    vec![
        Column::name(),
        Column::age(),
        Column::builtin(
            "Request",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
            k::quota_request,
        ),
        Column::builtin(
            "Limit",
            "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
            k::quota_limit,
        ),
    ]
}

pub fn replicasets() -> Vec<Column> {
    template_wide(
        vec![
            Column::name(),
            Column::builtin("Desired", "Number of desired pods.", k::spec_replicas),
            Column::builtin("Current", "Number of actual replicas.", k::status_replicas),
            Column::builtin("Ready", "Number of ready replicas.", k::ready_replicas),
            Column::age(),
        ],
        Some(SELECTOR),
    )
}

pub fn statefulsets() -> Vec<Column> {
    template_wide(
        vec![
            Column::name(),
            Column::builtin("Ready", "Number of the pod with ready state", k::sts_ready),
            Column::age(),
        ],
        None,
    )
}

pub fn daemonsets() -> Vec<Column> {
    template_wide(
        vec![
            Column::name(),
            Column::builtin(
                "Desired",
                "The total number of nodes that should be running the daemon pod.",
                k::ds_desired,
            ),
            Column::builtin(
                "Current",
                "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
                k::ds_current,
            ),
            Column::builtin(
                "Ready",
                "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.",
                k::ds_ready,
            ),
            Column::builtin(
                "Up-to-date",
                "The total number of nodes that are running updated daemon pod",
                k::ds_updated,
            ),
            Column::builtin(
                "Available",
                "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)",
                k::ds_available,
            ),
            Column::builtin(
                "Node Selector",
                "NodeSelector is a selector which must be true for the pod to fit on a node.",
                k::ds_node_selector,
            ),
            Column::age(),
        ],
        Some(SELECTOR),
    )
}

pub fn jobs() -> Vec<Column> {
    template_wide(
        vec![
            Column::name(),
            Column::builtin("Status", "Status of the job.", k::job_status),
            Column::builtin(
                "Completions",
                "The completion status of the job.",
                k::job_completions,
            ),
            Column::builtin(
                "Duration",
                "Time required to complete the job.",
                k::job_duration,
            ),
            Column::age(),
        ],
        Some(SELECTOR),
    )
}

pub fn cronjobs() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Schedule",
            "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.",
            k::cron_schedule,
        ),
        Column::builtin(
            "Timezone",
            "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
            k::cron_timezone,
        ),
        Column::builtin(
            "Suspend",
            "This flag tells the controller to suspend subsequent executions.",
            k::cron_suspend,
        ),
        Column::builtin(
            "Active",
            "A list of pointers to currently running jobs.",
            k::cron_active,
        ),
        Column::builtin(
            "Last Schedule",
            "Information when was the last time the job was successfully scheduled.",
            k::cron_last_schedule,
        ),
        Column::age(),
        Column::builtin("Containers", CONTAINERS, k::job_template_containers).wide(),
        Column::builtin("Images", IMAGES, k::job_template_images).wide(),
        Column::builtin("Selector", SELECTOR, k::job_template_selector).wide(),
    ]
}

pub fn bindings() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Role",
            "RoleRef can only reference the current namespace.",
            k::binding_role,
        ),
        Column::age(),
        Column::builtin("Users", "Users in the roleBinding", k::binding_users).wide(),
        Column::builtin("Groups", "Groups in the roleBinding", k::binding_groups).wide(),
        Column::builtin(
            "ServiceAccounts",
            "ServiceAccounts in the roleBinding",
            k::binding_service_accounts,
        )
        .wide(),
    ]
}

pub fn networkpolicies() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Pod-Selector",
            "podSelector selects the pods to which this NetworkPolicy object applies.",
            k::netpol_pod_selector,
        ),
        Column::age(),
    ]
}

pub fn ingresses() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Class",
            "The name of the IngressClass cluster resource.",
            k::ingress_class,
        ),
        Column::builtin(
            "Hosts",
            "Hosts that incoming requests are matched against before the ingress rule",
            k::ingress_hosts,
        ),
        Column::builtin(
            "Address",
            "Address is a list containing ingress points for the load-balancer",
            k::ingress_address,
        ),
        Column::builtin(
            "Ports",
            "Ports of TLS configurations that open",
            k::ingress_ports,
        ),
        Column::age(),
    ]
}

pub fn ingressclasses() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Controller",
            "Controller that is responsible for handling this class",
            k::ingressclass_controller,
        ),
        Column::builtin(
            "Parameters",
            "A reference to a resource with additional parameters",
            k::ingressclass_parameters,
        ),
        Column::age(),
    ]
}

pub fn poddisruptionbudgets() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Min Available",
            "The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\".",
            k::pdb_min_available,
        ),
        Column::builtin(
            "Max Unavailable",
            "The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. \"28%\".",
            k::pdb_max_unavailable,
        ),
        Column::builtin(
            "Allowed Disruptions",
            "Calculated number of pods that may be disrupted at this time.",
            k::pdb_allowed,
        ),
        Column::age(),
    ]
}

pub fn horizontalpodautoscalers() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Reference",
            "Reference to target resource",
            k::hpa_reference,
        ),
        Column::builtin("Targets", "Current and target utilization", k::hpa_targets),
        Column::builtin(
            "MinPods",
            "Minimum number of pods to autoscale to",
            k::hpa_min,
        ),
        Column::builtin(
            "MaxPods",
            "Maximum number of pods to autoscale to",
            k::hpa_max,
        ),
        Column::builtin("Replicas", "Current number of replicas", k::hpa_replicas),
        Column::age(),
    ]
}

pub fn priorityclasses() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Value",
            "The integer value of this priority class.",
            k::priority_value,
        ),
        Column::builtin(
            "Global-Default",
            "globalDefault specifies whether this PriorityClass should be considered as the default priority.",
            k::priority_global_default,
        ),
        Column::age(),
        Column::builtin(
            "PreemptionPolicy",
            "preemptionPolicy is the Policy for preempting pods with lower priority.",
            k::priority_preemption,
        ),
    ]
}

pub fn storageclasses() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin(
            "Provisioner",
            "Indicates the type of the provisioner.",
            k::sc_provisioner,
        ),
        Column::builtin(
            "ReclaimPolicy",
            "Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy.",
            k::sc_reclaim,
        ),
        Column::builtin(
            "VolumeBindingMode",
            "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.",
            k::sc_binding_mode,
        ),
        Column::builtin(
            "AllowVolumeExpansion",
            "AllowVolumeExpansion shows whether the storage class allow volume expand.",
            k::sc_expansion,
        ),
        Column::age(),
    ]
}

pub fn replicationcontrollers() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin("Desired", "Number of desired pods.", k::spec_replicas),
        Column::builtin("Current", "Number of actual replicas.", k::status_replicas),
        Column::builtin("Ready", "Number of ready replicas.", k::ready_replicas),
        Column::age(),
        Column::builtin("Containers", CONTAINERS, p::deployment_containers).wide(),
        Column::builtin("Images", IMAGES, p::deployment_images).wide(),
        Column::builtin("Selector", SELECTOR, k::map_selector).wide(),
    ]
}

pub fn persistentvolumes() -> Vec<Column> {
    vec![
        Column::name(),
        Column::builtin("Capacity", "capacity is the description of the persistent volume's resources and capacity.", k::pv_capacity),
        Column::builtin("Access Modes", "accessModes contains all ways the volume can be mounted.", k::pv_access_modes),
        Column::builtin("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", k::pv_reclaim),
        Column::builtin("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim.", k::pvc_status),
        Column::builtin("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", k::pv_claim),
        Column::builtin("StorageClass", "storageClassName is the name of StorageClass to which this persistent volume belongs.", k::pvc_storage_class),
        Column::builtin("VolumeAttributesClass", "Name of VolumeAttributesClass to which this persistent volume belongs.", k::pvc_attributes_class),
        Column::builtin("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", k::pv_reason),
        Column::age(),
        Column::builtin("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", k::pvc_volume_mode).wide(),
    ]
}
