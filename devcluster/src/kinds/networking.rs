//! `networking.k8s.io/v1`: NetworkPolicy, Ingress, IngressClass.

use super::{Strategy, round_trip};
use crate::table::builtin as columns;
use k8s_openapi::api::networking::v1 as api;

pub(super) static KINDS: &[&Strategy] = &[&NETWORK_POLICY, &INGRESS, &INGRESS_CLASS];

const GROUP: &str = "networking.k8s.io";

static NETWORK_POLICY: Strategy = Strategy {
    short_names: &["netpol"],
    columns: columns::networkpolicies,
    ..Strategy::plain(
        GROUP,
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        round_trip::<api::NetworkPolicy>,
    )
};

static INGRESS: Strategy = Strategy {
    short_names: &["ing"],
    status: true,
    columns: columns::ingresses,
    ..Strategy::plain(
        GROUP,
        "v1",
        "Ingress",
        "ingresses",
        round_trip::<api::Ingress>,
    )
};

static INGRESS_CLASS: Strategy = Strategy {
    namespaced: false,
    columns: columns::ingressclasses,
    ..Strategy::plain(
        GROUP,
        "v1",
        "IngressClass",
        "ingressclasses",
        round_trip::<api::IngressClass>,
    )
};
