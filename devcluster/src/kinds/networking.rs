//! `networking.k8s.io/v1`: NetworkPolicy, Ingress, IngressClass.

use super::{Strategy, round_trip};
use crate::table::builtin as columns;
use k8s_openapi::api::networking::v1 as api;
use k8s_pb::api::networking::v1 as pb;

pub(super) static KINDS: &[&Strategy] = &[&NETWORK_POLICY, &INGRESS, &INGRESS_CLASS];

const GROUP: &str = "networking.k8s.io";

static NETWORK_POLICY: Strategy = Strategy {
    short_names: &["netpol"],
    columns: columns::networkpolicies,
    protobuf: Some(crate::protobuf::message_json::<pb::NetworkPolicy>),
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
    protobuf: Some(crate::protobuf::message_json::<pb::Ingress>),
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
    protobuf: Some(crate::protobuf::message_json::<pb::IngressClass>),
    ..Strategy::plain(
        GROUP,
        "v1",
        "IngressClass",
        "ingressclasses",
        round_trip::<api::IngressClass>,
    )
};
