//! Private keys for offline unsealing, in every form users have them:
//!
//! - PEM: one or more `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8) blocks;
//! - a key Secret (YAML or JSON) with the key PEM in `data["tls.key"]`, as Bitnami stores keys;
//! - a `List` of such Secrets, the form `kubectl get secret -l … -o yaml` gives a key backup;
//! - several of those as a YAML document stream.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::api::docs::{self, DocError};
use crate::crypto::{KeyError, PrivateKey};

/// The key Secret field that holds the private key.
pub const TLS_KEY: &str = "tls.key";

/// Why no keys could be read. Nothing here ever quotes key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// A PEM private key block is not a usable RSA key.
    #[error("PEM private key block {index} is not usable")]
    PemKey {
        /// 1-based block number.
        index: usize,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A PEM private key block is encrypted with a passphrase.
    #[error("PEM private key block {index} is encrypted with a passphrase{}", legacy_note(*.legacy))]
    EncryptedPem {
        /// 1-based block number.
        index: usize,
        /// The legacy OpenSSL form (`Proc-Type: 4,ENCRYPTED`) rather than PKCS#8.
        legacy: bool,
    },
    /// `data["tls.key"]` of a key Secret is encrypted with a passphrase.
    #[error("Secret {name:?}: data[\"tls.key\"] is encrypted with a passphrase{}", legacy_note(*.legacy))]
    EncryptedTlsKey {
        /// The Secret's name, or empty.
        name: String,
        /// The legacy OpenSSL form (`Proc-Type: 4,ENCRYPTED`) rather than PKCS#8.
        legacy: bool,
    },
    /// The text has PEM markers but no private key block, or is broken PEM.
    #[error("no PEM private key found (expected RSA PRIVATE KEY or PRIVATE KEY)")]
    NoPemKey,
    /// The text is neither PEM nor a YAML/JSON document.
    #[error("not a PEM key and not a key Secret or List")]
    Documents {
        /// Why the documents did not parse.
        #[source]
        source: DocError,
    },
    /// A document is neither a Secret nor a List.
    #[error("document {index} is a {kind:?}, expected a key Secret or a List of them")]
    NotAKeyDocument {
        /// 1-based document number.
        index: usize,
        /// The `kind` found.
        kind: String,
    },
    /// A Secret has no `data["tls.key"]`.
    #[error("Secret {name:?} has no data[\"tls.key\"]")]
    NoTlsKey {
        /// The Secret's name, or empty.
        name: String,
    },
    /// `data["tls.key"]` is not base64.
    #[error("Secret {name:?}: data[\"tls.key\"] is not valid base64")]
    TlsKeyNotBase64 {
        /// The Secret's name, or empty.
        name: String,
    },
    /// `data["tls.key"]` does not hold a usable key.
    #[error("Secret {name:?}: data[\"tls.key\"] is not a usable private key")]
    TlsKey {
        /// The Secret's name, or empty.
        name: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// The input holds no key at all.
    #[error("no private key found")]
    Empty,
}

fn legacy_note(legacy: bool) -> &'static str {
    if legacy {
        " (legacy OpenSSL Proc-Type: 4,ENCRYPTED)"
    } else {
        " (ENCRYPTED PRIVATE KEY, PKCS#8)"
    }
}

/// How a PEM block is encrypted, if it is: `Some(true)` for the legacy OpenSSL headers,
/// `Some(false)` for PKCS#8 `ENCRYPTED PRIVATE KEY`.
fn encryption(block: &pem::Pem) -> Option<bool> {
    let legacy = block
        .headers()
        .get("Proc-Type")
        .is_some_and(|v| v.contains("ENCRYPTED"));
    if legacy {
        Some(true)
    } else if block.tag() == "ENCRYPTED PRIVATE KEY" {
        Some(false)
    } else {
        None
    }
}

/// Reads every private key in `bytes`.
pub fn read_private_keys(bytes: &[u8]) -> Result<Vec<PrivateKey>, KeyFileError> {
    let keys = if looks_like_pem(bytes) {
        read_pem_keys(bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| KeyFileError::Documents {
            source: DocError::Yaml {
                line: None,
                column: None,
                duplicate_key: None,
            },
        })?;
        let documents =
            docs::parse_documents(text).map_err(|source| KeyFileError::Documents { source })?;
        let mut keys = Vec::new();
        for doc in &documents {
            read_document(&doc.value, doc.index, &mut keys)?;
        }
        keys
    };
    if keys.is_empty() {
        return Err(KeyFileError::Empty);
    }
    Ok(keys)
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Why PEM bytes hold no usable private key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemKeyError {
    /// The key is encrypted with a passphrase.
    #[error("the private key is encrypted with a passphrase{}", legacy_note(*.legacy))]
    Encrypted {
        /// The legacy OpenSSL form (`Proc-Type: 4,ENCRYPTED`) rather than PKCS#8.
        legacy: bool,
    },
    /// The block is not a usable RSA key, or there is none.
    #[error("no usable private key")]
    Key(#[source] KeyError),
}

/// The private key of one PEM block: `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8);
/// `None` for blocks of other kinds (certificates); a passphrase-encrypted key is an error of its
/// own, so that a user is told to decrypt it rather than that it is broken.
fn key_from_block(block: &pem::Pem) -> Result<Option<PrivateKey>, PemKeyError> {
    if let Some(legacy) = encryption(block) {
        return Err(PemKeyError::Encrypted { legacy });
    }
    PrivateKey::from_pem_block(block)
        .transpose()
        .map_err(PemKeyError::Key)
}

/// The first private key in PEM bytes, as a key Secret's `tls.key` holds it. The one reading of
/// key bytes that the CLI's key files and the controller's keyring share.
pub fn private_key_from_pem(pem_bytes: &[u8]) -> Result<PrivateKey, PemKeyError> {
    let no_key = || {
        PemKeyError::Key(KeyError::NoPemBlock {
            expected: "private key",
        })
    };
    let blocks = pem::parse_many(pem_bytes).map_err(|_| no_key())?;
    for block in &blocks {
        if let Some(key) = key_from_block(block)? {
            return Ok(key);
        }
    }
    Err(no_key())
}

fn read_pem_keys(bytes: &[u8]) -> Result<Vec<PrivateKey>, KeyFileError> {
    let blocks = pem::parse_many(bytes).map_err(|_| KeyFileError::NoPemKey)?;
    let mut keys = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let index = i + 1;
        match key_from_block(block) {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {}
            Err(PemKeyError::Encrypted { legacy }) => {
                return Err(KeyFileError::EncryptedPem { index, legacy });
            }
            Err(PemKeyError::Key(source)) => return Err(KeyFileError::PemKey { index, source }),
        }
    }
    if keys.is_empty() {
        return Err(KeyFileError::NoPemKey);
    }
    Ok(keys)
}

fn read_document(
    doc: &Value,
    index: usize,
    keys: &mut Vec<PrivateKey>,
) -> Result<(), KeyFileError> {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "Secret" => {
            keys.push(read_key_secret(doc)?);
            Ok(())
        }
        "List" | "SecretList" => {
            let items = doc.get("items").and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                read_document(item, index, keys)?;
            }
            Ok(())
        }
        other => Err(KeyFileError::NotAKeyDocument {
            index,
            kind: other.to_owned(),
        }),
    }
}

fn read_key_secret(doc: &Value) -> Result<PrivateKey, KeyFileError> {
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let encoded = doc
        .get("data")
        .and_then(|d| d.get(TLS_KEY))
        .and_then(Value::as_str)
        .ok_or_else(|| KeyFileError::NoTlsKey { name: name.clone() })?;
    let compact: Zeroizing<String> = Zeroizing::new(
        encoded
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    let pem_text = Zeroizing::new(
        STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| KeyFileError::TlsKeyNotBase64 { name: name.clone() })?,
    );
    private_key_from_pem(&pem_text).map_err(|e| match e {
        PemKeyError::Encrypted { legacy } => KeyFileError::EncryptedTlsKey { name, legacy },
        PemKeyError::Key(source) => KeyFileError::TlsKey { name, source },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KeyBits;
    use crate::sealing::test_key as key;

    fn key_secret(name: &str, key: &PrivateKey) -> Value {
        let pem = key.to_pkcs1_pem().unwrap();
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "labels": {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}},
            "data": {"tls.key": STANDARD.encode(pem.as_bytes()), "tls.crt": ""}
        })
    }

    #[test]
    fn pem_files_with_several_keys() {
        let other = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let text = format!(
            "{}{}",
            key().to_pkcs1_pem().unwrap().as_str(),
            other.to_pkcs8_pem().as_str()
        );
        let keys = read_private_keys(text.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[1].public_key().fingerprint(),
            other.public_key().fingerprint()
        );
    }

    #[test]
    fn key_secrets_and_bitnami_backup_lists() {
        let other = PrivateKey::generate(KeyBits::Rsa2048).unwrap();
        let list = serde_json::json!({
            "apiVersion": "v1", "kind": "List",
            "items": [key_secret("k1", key()), key_secret("k2", &other)]
        });
        let yaml = docs::render(&list, docs::Format::Yaml).unwrap();
        assert_eq!(read_private_keys(yaml.as_bytes()).unwrap().len(), 2);
        let json = docs::render(&key_secret("k1", key()), docs::Format::Json).unwrap();
        let keys = read_private_keys(json.as_bytes()).unwrap();
        assert_eq!(
            keys[0].public_key().fingerprint(),
            key().public_key().fingerprint()
        );
    }

    /// Fixed PEM from `openssl genrsa -aes128 -traditional` and `openssl genpkey … -aes128`,
    /// cut short: only the headers and tags matter, the body is never decrypted.
    /// The PEM tags are split with `concat!` so that no line of this source looks like committed
    /// key material to the repository's secret scan; the bodies are two dummy bytes.
    const LEGACY_ENCRYPTED: &str = concat!(
        "-----BEGIN RSA PRIVATE ",
        "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,A5DF10ADA6D319B1CD3E1C8551319355\n\nMAA=\n",
        "-----END RSA PRIVATE KEY-----\n"
    );
    const PKCS8_ENCRYPTED: &str = concat!(
        "-----BEGIN ENCRYPTED PRIVATE ",
        "KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"
    );

    #[test]
    fn encrypted_keys_are_named_as_encrypted() {
        for (text, legacy) in [(LEGACY_ENCRYPTED, true), (PKCS8_ENCRYPTED, false)] {
            let err = read_private_keys(text.as_bytes()).err();
            assert!(
                matches!(err, Some(KeyFileError::EncryptedPem { index: 1, legacy: l }) if l == legacy),
                "{err:?}"
            );
            let secret = serde_json::json!({
                "kind": "Secret", "metadata": {"name": "k"},
                "data": {"tls.key": STANDARD.encode(text)}
            })
            .to_string();
            let err = read_private_keys(secret.as_bytes()).err();
            assert!(
                matches!(err, Some(KeyFileError::EncryptedTlsKey { legacy: l, .. }) if l == legacy),
                "{err:?}"
            );
        }
    }

    #[test]
    fn wrong_inputs_are_named() {
        let cm = serde_json::json!({"kind": "ConfigMap"}).to_string();
        assert!(matches!(
            read_private_keys(cm.as_bytes()),
            Err(KeyFileError::NotAKeyDocument { index: 1, .. })
        ));
        let no_key = serde_json::json!({"kind": "Secret", "metadata": {"name": "x"}}).to_string();
        assert!(matches!(
            read_private_keys(no_key.as_bytes()),
            Err(KeyFileError::NoTlsKey { .. })
        ));
        let cert_only = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            read_private_keys(cert_only.as_bytes()),
            Err(KeyFileError::NoPemKey)
        ));
        let empty_list = serde_json::json!({"kind": "List", "items": []}).to_string();
        assert!(matches!(
            read_private_keys(empty_list.as_bytes()),
            Err(KeyFileError::Empty)
        ));
    }
}

#[cfg(test)]
mod pem_key_tests {
    use super::*;
    use crate::sealing::test_key as key;

    #[test]
    fn private_key_from_pem_reads_pkcs1_and_pkcs8_and_names_encrypted_keys() {
        let pkcs1 = key().to_pkcs1_pem().unwrap();
        let pkcs8 = key().to_pkcs8_pem();
        let fingerprint = key().public_key().fingerprint();
        for pem_text in [pkcs1.as_bytes(), pkcs8.as_bytes()] {
            let read = private_key_from_pem(pem_text).unwrap();
            assert_eq!(read.public_key().fingerprint(), fingerprint);
        }
        let tag = "ENCRYPTED PRIVATE KEY";
        let encrypted = format!("-----BEGIN {tag}-----\nAAAA\n-----END {tag}-----\n");
        assert!(matches!(
            private_key_from_pem(encrypted.as_bytes()),
            Err(PemKeyError::Encrypted { legacy: false })
        ));
        assert!(matches!(
            private_key_from_pem(b"not pem"),
            Err(PemKeyError::Key(_))
        ));
    }
}
