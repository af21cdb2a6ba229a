//! Go durations, rejected bodies, and JSON inside the envelope.

use serde_json::json;

use super::*;
use crate::protobuf::*;

#[test]
fn go_durations_print_as_go_does() {
    let cases: &[(i64, &str)] = &[
        (0, "0s"),
        (1, "1ns"),
        (1_500, "1.5µs"),
        (300_000_000, "300ms"),
        (1_500_000_000, "1.5s"),
        (60_000_000_000, "1m0s"),
        (3_600_000_000_000, "1h0m0s"),
        (5_430_000_000_000, "1h30m30s"),
        (-90_000_000_000, "-1m30s"),
    ];
    for (nanos, expected) in cases {
        assert_eq!(convert::go_duration(*nanos), *expected);
    }
}

#[test]
fn rejects_bodies_it_cannot_decode() {
    assert!(matches!(
        decode(b"{\"kind\":\"ConfigMap\"}"),
        Err(ProtobufError::MissingMagic)
    ));
    assert!(matches!(
        decode(b"k8s\0\x0a\x0f\x0a"),
        Err(ProtobufError::DecodeEnvelope(_))
    ));

    let configmap = core_v1::ConfigMap {
        metadata: meta("x", "ns1"),
        ..Default::default()
    };
    let mut untyped = MAGIC.to_vec();
    untyped.extend(
        Unknown {
            raw: Some(configmap.encode_to_vec()),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    assert!(matches!(
        decode(&untyped),
        Err(ProtobufError::MissingTypeMeta)
    ));

    let error = decode(&envelope("v1", "Binding", &configmap)).expect_err("Binding is not served");
    assert_eq!(
        error.to_string(),
        "Binding (v1) cannot be decoded from protobuf; send it as JSON"
    );
    let error = decode(&envelope("example.com/v1", "Widget", &configmap))
        .expect_err("custom resources have no protobuf form");
    assert!(matches!(error, ProtobufError::UnsupportedKind { ref kind, .. } if kind == "Widget"));

    let mut truncated = envelope("v1", "ConfigMap", &configmap);
    let garbage = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(vec![0x0a, 0x7f, 0x01]),
        ..Default::default()
    };
    truncated.truncate(MAGIC.len());
    truncated.extend(garbage.encode_to_vec());
    let error = decode(&truncated).expect_err("the message is cut short");
    assert!(
        matches!(error, ProtobufError::DecodeMessage { ref kind, .. } if kind == "ConfigMap"),
        "{error:?}"
    );

    let gzipped = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(configmap.encode_to_vec()),
        content_encoding: Some("gzip".into()),
        content_type: None,
    };
    let mut body = MAGIC.to_vec();
    body.extend(gzipped.encode_to_vec());
    assert!(matches!(decode(&body), Err(ProtobufError::UnsupportedEncoding(e)) if e == "gzip"));

    let mut bad_fields = meta("x", "ns1");
    if let Some(m) = bad_fields.as_mut() {
        m.managed_fields = vec![meta_v1::ManagedFieldsEntry {
            fields_v1: Some(meta_v1::FieldsV1 {
                raw: Some(b"{not json".to_vec()),
            }),
            ..Default::default()
        }];
    }
    let configmap = core_v1::ConfigMap {
        metadata: bad_fields,
        ..Default::default()
    };
    assert!(matches!(
        decode(&envelope("v1", "ConfigMap", &configmap)),
        Err(ProtobufError::EmbeddedJson {
            type_name: "FieldsV1",
            ..
        })
    ));
}

#[test]
fn json_inside_the_envelope_is_accepted() {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(br#"{"metadata":{"name":"j"},"data":{"a":"b"}}"#.to_vec()),
        content_encoding: None,
        content_type: Some("application/json".into()),
    };
    let mut body = MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    assert_eq!(
        decode(&body).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}, "data": {"a": "b"}})
    );
}

#[test]
fn json_inside_the_envelope_must_be_an_object() {
    for (raw, not_an_object) in [(&b"\"s3cr3t\""[..], true), (&b"{\"data\":"[..], false)] {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some("v1".into()),
                kind: Some("Secret".into()),
            }),
            raw: Some(raw.to_vec()),
            content_encoding: None,
            content_type: Some("application/json".into()),
        };
        let mut body = MAGIC.to_vec();
        body.extend(unknown.encode_to_vec());
        let error = decode(&body).expect_err("not an object");
        assert_eq!(
            matches!(error, ProtobufError::EmbeddedNotAnObject { .. }),
            not_an_object,
            "{error:?}"
        );
        assert!(
            !format!("{error:?} {error}").contains("s3cr3t"),
            "errors never quote the body"
        );
    }
}
