//! The `v1 Secret`: what `seal` reads and what `--recovery-unseal` prints.
//!
//! Values live in [`SecretData`], which wipes them on drop and whose `Debug` shows key names
//! only, so a Secret can be logged or put in an error without leaking plaintext.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::meta::{ObjectMeta, null_as_empty};
use super::validation;

/// Why a document could not be read as a Secret. No variant carries a value, only key names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The document is not a mapping with `kind: Secret`.
    #[error("the input is not a Secret (kind {kind:?}, apiVersion {api_version:?})")]
    NotASecret {
        /// The `kind` found, or empty.
        kind: String,
        /// The `apiVersion` found, or empty.
        api_version: String,
    },
    /// A value under `data` or `stringData` is not a string.
    #[error("{field}.{key} is not a string")]
    ValueNotString {
        /// `data` or `stringData`.
        field: &'static str,
        /// The key whose value is wrong.
        key: String,
    },
    /// `data` or `stringData` is present but not a mapping.
    #[error("{field} is not a mapping of keys to strings")]
    FieldNotMap {
        /// `data` or `stringData`.
        field: &'static str,
    },
    /// A value under `data` is not valid base64.
    #[error("data.{key} is not valid base64")]
    DataNotBase64 {
        /// The key whose value is wrong.
        key: String,
    },
    /// A key is not a valid Secret key (letters, digits, `-`, `_`, `.`; at most 253; not `.`,
    /// `..` or `..x`).
    #[error("{key:?} is not a valid Secret key: {rules}")]
    InvalidKey {
        /// The key.
        key: String,
        /// The API server's rules it breaks, joined.
        rules: String,
    },
    /// Another field has the wrong shape.
    #[error("the Secret has a malformed field: {detail}")]
    Shape {
        /// What serde reported about a non-secret field.
        detail: String,
    },
}

/// A map of secret values. Wiped on drop; `Debug` prints key names only.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretData(BTreeMap<String, String>);

impl SecretData {
    /// An empty map.
    pub fn new() -> SecretData {
        SecretData::default()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key names.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Keys and values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Sets `key`, wiping any value it replaces.
    pub fn insert(&mut self, key: String, value: String) {
        if let Some(mut old) = self.0.insert(key, value) {
            old.zeroize();
        }
    }
}

impl Drop for SecretData {
    fn drop(&mut self) {
        self.0.values_mut().for_each(Zeroize::zeroize);
    }
}

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

fn v1() -> String {
    "v1".to_owned()
}

fn secret_kind() -> String {
    "Secret".to_owned()
}

/// A Kubernetes `v1 Secret`. Its `Debug` shows the name, namespace, type and key names only:
/// values, and annotations such as `kubectl.kubernetes.io/last-applied-configuration` (a copy of
/// the whole object, plaintext included), never appear.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// Always `v1`.
    #[serde(default = "v1")]
    pub api_version: String,
    /// Always `Secret`.
    #[serde(default = "secret_kind")]
    pub kind: String,
    /// Metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The Secret type, e.g. `Opaque` or `kubernetes.io/tls`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Whether the Secret is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Values, base64-encoded.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "SecretData::is_empty"
    )]
    pub data: SecretData,
    /// Values as plain strings; they win over `data` on the same key.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "SecretData::is_empty"
    )]
    pub string_data: SecretData,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.metadata.name)
            .field("namespace", &self.metadata.namespace)
            .field("type", &self.type_)
            .field("data", &self.data)
            .field("string_data", &self.string_data)
            .finish_non_exhaustive()
    }
}

impl Secret {
    /// An empty `v1 Secret` with this metadata.
    pub fn new(metadata: ObjectMeta) -> Secret {
        Secret {
            api_version: v1(),
            kind: secret_kind(),
            metadata,
            type_: None,
            immutable: None,
            data: SecretData::new(),
            string_data: SecretData::new(),
        }
    }

    /// Reads a parsed document as a Secret. Errors name fields and keys, never values.
    pub fn from_value(value: Value) -> Result<Secret, SecretError> {
        let (kind, api_version) = super::meta::type_of(&value);
        if !value.is_object()
            || kind != "Secret"
            || !(api_version.is_empty() || api_version == "v1")
        {
            return Err(SecretError::NotASecret { kind, api_version });
        }
        for field in ["data", "stringData"] {
            check_string_map(&value, field)?;
        }
        serde_json::from_value(value).map_err(|e| SecretError::Shape {
            detail: e.to_string(),
        })
    }

    /// The decoded values: `data` decoded from base64, then `stringData` on top. Keys must be
    /// valid Secret keys, as the API server would demand.
    pub fn values(&self) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>, SecretError> {
        if let Some((bad, broken)) = self
            .data
            .keys()
            .chain(self.string_data.keys())
            .map(|k| (k, validation::config_map_key(k)))
            .find(|(_, broken)| !broken.is_empty())
        {
            return Err(SecretError::InvalidKey {
                key: bad.to_owned(),
                rules: broken.join("; "),
            });
        }
        let mut out = BTreeMap::new();
        for (key, encoded) in self.data.iter() {
            let bytes = decode_data_value(encoded).ok_or_else(|| SecretError::DataNotBase64 {
                key: key.to_owned(),
            })?;
            out.insert(key.to_owned(), bytes);
        }
        for (key, value) in self.string_data.iter() {
            out.insert(key.to_owned(), Zeroizing::new(value.as_bytes().to_vec()));
        }
        Ok(out)
    }

    /// Sets `data[key]` to the base64 of `value`.
    pub fn set_value(&mut self, key: &str, value: &[u8]) {
        self.data.insert(key.to_owned(), STANDARD.encode(value));
    }
}

/// Whether `key` is a valid Secret key, by the API server's rule
/// ([`validation::config_map_key`]): 1 to 253 of `[-._a-zA-Z0-9]`, and not `.`, `..` or `..x`.
pub fn is_valid_key(key: &str) -> bool {
    validation::config_map_key(key).is_empty()
}

/// Decodes a `data` value: standard base64, line breaks ignored.
fn decode_data_value(encoded: &str) -> Option<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> = Zeroizing::new(
        encoded
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    STANDARD.decode(compact.as_bytes()).ok().map(Zeroizing::new)
}

fn check_string_map(doc: &Value, field: &'static str) -> Result<(), SecretError> {
    match doc.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(map)) => match map.iter().find(|(_, v)| !v.is_string()) {
            Some((key, _)) => Err(SecretError::ValueNotString {
                field,
                key: key.clone(),
            }),
            None => Ok(()),
        },
        Some(_) => Err(SecretError::FieldNotMap { field }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_data_wins_over_data() {
        let secret = Secret::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db"},
            "data": {"a": "b2xk", "b": "Yg=="},
            "stringData": {"a": "new"}
        }))
        .unwrap();
        let values = secret.values().unwrap();
        assert_eq!(&values["a"][..], b"new");
        assert_eq!(&values["b"][..], b"b");
    }

    #[test]
    fn errors_name_the_key_and_never_the_value() {
        let err = Secret::from_value(json!({
            "kind": "Secret", "stringData": {"password": 12345}
        }))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("stringData.password"), "{text}");
        assert!(!text.contains("12345"), "{text}");

        let secret = Secret::from_value(json!({
            "kind": "Secret", "data": {"token": "not base64 hunter2!"}
        }))
        .unwrap();
        let text = secret.values().unwrap_err().to_string();
        assert!(
            text.contains("data.token") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn keys_must_be_valid_secret_keys() {
        for key in ["a b", "", "a/b", "ключ", ".", "..", "..x"] {
            let mut secret = Secret::new(ObjectMeta::default());
            secret.string_data.insert(key.to_owned(), "v".to_owned());
            assert!(
                matches!(secret.values(), Err(SecretError::InvalidKey { .. })),
                "{key:?}"
            );
        }
        assert!(is_valid_key("tls.crt") && is_valid_key("API_token-1"));
    }

    #[test]
    fn other_kinds_are_refused() {
        for doc in [
            json!({"kind": "ConfigMap", "apiVersion": "v1"}),
            json!({"kind": "Secret", "apiVersion": "v2"}),
            json!("just a string"),
        ] {
            assert!(matches!(
                Secret::from_value(doc),
                Err(SecretError::NotASecret { .. })
            ));
        }
    }

    #[test]
    fn debug_hides_annotations_that_copy_the_plaintext() {
        let secret = Secret::from_value(json!({
            "kind": "Secret", "type": "Opaque",
            "metadata": {
                "name": "db", "namespace": "prod", "labels": {"app": "label-value"},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration":
                        "{\"stringData\":{\"password\":\"hunter2\"}}"
                }
            },
            "stringData": {"password": "hunter2"}
        }))
        .unwrap();
        let debug = format!("{secret:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("last-applied"), "{debug}");
        for shown in ["db", "prod", "Opaque", "password"] {
            assert!(debug.contains(shown), "{shown}: {debug}");
        }
        let meta = format!("{:?}", secret.metadata);
        assert!(
            !meta.contains("hunter2") && !meta.contains("label-value"),
            "{meta}"
        );
        assert!(
            meta.contains("last-applied-configuration"),
            "key names stay: {meta}"
        );
    }

    #[test]
    fn debug_shows_keys_only() {
        let mut secret = Secret::new(ObjectMeta::default());
        secret.set_value("password", b"s3cr3t");
        secret.string_data.insert("token".into(), "hunter2".into());
        let debug = format!("{secret:?}");
        assert!(debug.contains("password") && debug.contains("token"));
        assert!(
            !debug.contains("hunter2") && !debug.contains("czNjcjN0"),
            "{debug}"
        );
    }
}
