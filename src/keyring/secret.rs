//! One key Secret ↔ one [`SealingKey`]. The Secret is `kubernetes.io/tls` with the private key
//! in `tls.key` (PKCS#1 or PKCS#8 PEM; Bitnami writes PKCS#1) and its certificate in `tls.crt`.
//! Errors name the Secret and the field, never key bytes.

use std::collections::BTreeMap;
use std::time::SystemTime;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealsync_core::crypto::{Certificate, KeyError, PrivateKey};
use sealsync_core::sealing::{PemKeyError, private_key_from_pem};

/// The Secret type of key Secrets.
pub const TLS_TYPE: &str = "kubernetes.io/tls";

/// Which controller's label found the key Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `sealsync.io/sealing-key=active`.
    Sealsync,
    /// `sealedsecrets.bitnami.com/sealed-secrets-key=active`, with `--import-bitnami-keys`.
    Bitnami,
}

/// A private key that opens values, with its certificate. No `Debug`: it holds key material.
pub struct SealingKey {
    /// The private key.
    pub key: PrivateKey,
    /// Its certificate.
    pub cert: Certificate,
    /// `sha256:<hex>` of the public key.
    pub fingerprint_hex: String,
    /// SHA-256 fingerprint of the public key.
    pub fingerprint: sealsync_core::crypto::Fingerprint,
    /// `namespace/name` of the Secret it came from.
    pub source: String,
    /// When the key Secret was created: the newest key seals.
    pub created: SystemTime,
    /// Which label found it.
    pub origin: Origin,
}

impl SealingKey {
    /// A key with its certificate.
    pub fn new(
        key: PrivateKey,
        cert: Certificate,
        source: String,
        created: SystemTime,
        origin: Origin,
    ) -> SealingKey {
        let fingerprint = key.public_key().fingerprint();
        SealingKey {
            fingerprint_hex: fingerprint.to_string(),
            fingerprint,
            key,
            cert,
            source,
            created,
            origin,
        }
    }
}

/// Why a key Secret is not a usable key.
#[derive(Debug, thiserror::Error)]
pub enum KeySecretError {
    /// The Secret is not `kubernetes.io/tls`.
    #[error("key Secret {source_name} has type {found:?}, expected kubernetes.io/tls")]
    WrongType {
        /// `namespace/name`.
        source_name: String,
        /// The type found.
        found: String,
    },
    /// A field is missing.
    #[error("key Secret {source_name} has no data[{field:?}]")]
    Missing {
        /// `namespace/name`.
        source_name: String,
        /// `tls.key` or `tls.crt`.
        field: &'static str,
    },
    /// `tls.key` holds no usable private key.
    #[error("key Secret {source_name}: data[\"tls.key\"] is not a usable RSA private key")]
    Key {
        /// `namespace/name`.
        source_name: String,
        /// Why.
        #[source]
        source: PemKeyError,
    },
    /// `tls.crt` holds no usable certificate.
    #[error("key Secret {source_name}: data[\"tls.crt\"] is not a usable certificate")]
    Cert {
        /// `namespace/name`.
        source_name: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// The certificate is for another key.
    #[error("key Secret {source_name}: tls.crt does not belong to tls.key")]
    Mismatch {
        /// `namespace/name`.
        source_name: String,
    },
    /// A generated key could not be written out.
    #[error("cannot encode the generated key")]
    Encode(#[source] KeyError),
}

/// Reads a key Secret.
pub fn parse(secret: &Secret, origin: Origin) -> Result<SealingKey, KeySecretError> {
    let source_name = format!(
        "{}/{}",
        secret.metadata.namespace.as_deref().unwrap_or_default(),
        secret.metadata.name.as_deref().unwrap_or_default()
    );
    let type_ = secret.type_.as_deref().unwrap_or("Opaque");
    if type_ != TLS_TYPE {
        return Err(KeySecretError::WrongType {
            source_name,
            found: type_.to_owned(),
        });
    }
    let field = |field: &'static str| {
        secret
            .data
            .as_ref()
            .and_then(|d| d.get(field))
            .map(|b| b.0.as_slice())
            .ok_or_else(|| KeySecretError::Missing {
                source_name: source_name.clone(),
                field,
            })
    };
    let key = private_key_from_pem(field("tls.key")?).map_err(|source| KeySecretError::Key {
        source_name: source_name.clone(),
        source,
    })?;
    let cert = Certificate::from_pem(field("tls.crt")?).map_err(|source| KeySecretError::Cert {
        source_name: source_name.clone(),
        source,
    })?;
    if cert.public_key().fingerprint() != key.public_key().fingerprint() {
        return Err(KeySecretError::Mismatch { source_name });
    }
    let created = secret
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| SystemTime::from(t.0))
        .unwrap_or_else(|| cert.not_before());
    Ok(SealingKey::new(key, cert, source_name, created, origin))
}

/// A new key Secret for a generated key: `generateName: sealsync-key-`, labelled active, the key
/// as PKCS#1 PEM (the form Bitnami writes, so a backup restores into either controller).
pub fn build(
    namespace: &str,
    key: &PrivateKey,
    cert: &Certificate,
) -> Result<Secret, KeySecretError> {
    let key_pem = key.to_pkcs1_pem().map_err(KeySecretError::Encode)?;
    let mut data = BTreeMap::new();
    data.insert(
        "tls.key".to_owned(),
        ByteString(key_pem.as_bytes().to_vec()),
    );
    data.insert("tls.crt".to_owned(), ByteString(cert.to_pem().into_bytes()));
    let labels = BTreeMap::from([(super::KEY_LABEL.0.to_owned(), super::KEY_LABEL.1.to_owned())]);
    Ok(Secret {
        metadata: ObjectMeta {
            generate_name: Some("sealsync-key-".to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        type_: Some(TLS_TYPE.to_owned()),
        data: Some(data),
        ..Secret::default()
    })
}
