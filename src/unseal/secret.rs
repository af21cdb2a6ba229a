//! The Secret a SealedSecret describes, as the server-side apply body sealsync sends. Name and
//! namespace are always the SealedSecret's own; labels, annotations, type and immutability come
//! from the template; the owner reference and our label mark it as ours.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::decrypt::OpenedValues;
use super::ownership::Ownership;
use crate::api::{Sealed, SecretTemplate};

/// The label on every Secret sealsync owns: what the controller's Secret watch selects on.
pub const OWNED_LABEL: (&str, &str) = ("sealsync.io/managed", "true");

/// The apply body. It holds plaintext (base64), so it is sent and dropped, never logged. In
/// patch mode (someone else's Secret, opted in) it carries the values and the template's labels
/// and annotations only, as Bitnami merges them: no owner reference, our label or type.
pub fn apply_body(
    sealed: &Sealed,
    api_version: &str,
    template: Option<&SecretTemplate>,
    opened: &OpenedValues,
    ownership: Ownership,
) -> Value {
    let data: BTreeMap<&str, String> = opened
        .values
        .iter()
        .map(|(k, v)| (k.as_str(), STANDARD.encode(v.as_slice())))
        .collect();
    let mut metadata = json!({
        "name": sealed.metadata.name,
        "namespace": sealed.metadata.namespace,
    });
    let mut body = json!({"apiVersion": "v1", "kind": "Secret", "data": data});
    let meta = template.and_then(|t| t.metadata.as_ref());
    let mut labels = meta.and_then(|m| m.labels.clone()).unwrap_or_default();
    if let Some(annotations) = meta.and_then(|m| m.annotations.as_ref()) {
        metadata["annotations"] = json!(annotations);
    }
    if ownership.takes_ownership() {
        labels.insert(OWNED_LABEL.0.to_owned(), OWNED_LABEL.1.to_owned());
        metadata["ownerReferences"] = json!([owner_reference(sealed, api_version)]);
        body["type"] = json!(
            template
                .and_then(|t| t.type_.as_deref())
                .unwrap_or("Opaque")
        );
        if let Some(immutable) = template.and_then(|t| t.immutable) {
            body["immutable"] = json!(immutable);
        }
    }
    if !labels.is_empty() {
        metadata["labels"] = json!(labels);
    }
    body["metadata"] = metadata;
    body
}

fn owner_reference(sealed: &Sealed, api_version: &str) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": "SealedSecret",
        "name": sealed.metadata.name,
        "uid": sealed.metadata.uid,
        "controller": true,
        "blockOwnerDeletion": true,
    })
}
