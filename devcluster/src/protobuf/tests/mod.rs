//! Tests of `decode`: real kubectl bodies, messages built with the k8s-pb types, and errors.

mod errors;
mod kinds;
mod kubectl;
mod workloads;

use std::collections::BTreeMap;

use k8s_pb::api::apps::v1 as apps_v1;
use k8s_pb::api::coordination::v1 as coordination_v1;
use k8s_pb::api::core::v1 as core_v1;
use k8s_pb::api::events::v1 as events_v1;
use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions_v1;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta_v1;
use k8s_pb::apimachinery::pkg::runtime::TypeMeta;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;

use super::{MAGIC, Unknown};

/// Wraps an encoded message in the `k8s\0` + runtime.Unknown envelope, as client-go does.
pub(super) fn envelope(api_version: &str, kind: &str, message: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(message.encode_to_vec()),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

pub(super) fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| {
            u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16)
                .expect("hex digit pair")
        })
        .collect()
}

pub(super) fn meta(name: &str, namespace: &str) -> Option<meta_v1::ObjectMeta> {
    Some(meta_v1::ObjectMeta {
        name: Some(name.into()),
        namespace: Some(namespace.into()),
        // client-go writes every non-pointer field, empty or not.
        generate_name: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta_v1::Time::default()),
        ..Default::default()
    })
}

pub(super) fn time(seconds: i64) -> Option<meta_v1::Time> {
    Some(meta_v1::Time {
        seconds: Some(seconds),
        nanos: Some(0),
    })
}

pub(super) fn micro_time(seconds: i64, nanos: i32) -> Option<meta_v1::MicroTime> {
    Some(meta_v1::MicroTime {
        seconds: Some(seconds),
        nanos: Some(nanos),
    })
}

pub(super) fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(super) fn int_port(port: i32) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(0),
        int_val: Some(port),
        str_val: Some(String::new()),
    })
}

pub(super) fn named_port(name: &str) -> Option<IntOrString> {
    Some(IntOrString {
        r#type: Some(1),
        int_val: Some(0),
        str_val: Some(name.into()),
    })
}

/// 2026-01-01T00:00:00Z
pub(super) const NEW_YEAR: i64 = 1_767_225_600;
