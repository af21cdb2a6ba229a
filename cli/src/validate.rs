//! What the API server would refuse, refused before anything is written: a Secret key, a name
//! or a namespace it rejects, a Secret over its 1 MiB limit, a SealedSecret too large to store.
//! `seal` must never write a file that `kubectl apply` (or the controller's Secret write) then
//! rejects. The rules and their messages are apimachinery's ([`validation`]).

use sealsync_core::api::validation::{self, MAX_SECRET_SIZE};
use sealsync_core::api::{SealedSecret, Secret};
use sealsync_core::crypto::format::{decode_base64, plaintext_len};

/// What the API server would refuse.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// A Secret key breaks `IsConfigMapKey`.
    #[error("{key:?} is not a valid Secret key: {}", rules.join("; "))]
    Key {
        /// The key (a name, never a value).
        key: String,
        /// The API server's messages.
        rules: Vec<String>,
    },
    /// A name breaks `IsDNS1123Subdomain`.
    #[error("the name {name:?} is not valid: {}", rules.join("; "))]
    Name {
        /// The name.
        name: String,
        /// The API server's messages.
        rules: Vec<String>,
    },
    /// A namespace breaks `IsDNS1123Label`.
    #[error("the namespace {namespace:?} is not valid: {}", rules.join("; "))]
    Namespace {
        /// The namespace.
        namespace: String,
        /// The API server's messages.
        rules: Vec<String>,
    },
    /// The values add up to more than a Secret may hold.
    #[error(
        "its values add up to {bytes} bytes, over the API server's limit of {MAX_SECRET_SIZE} \
         bytes (1 MiB) for one Secret"
    )]
    TooLarge {
        /// The sum of the values' sizes.
        bytes: usize,
    },
    /// The SealedSecret is too large for etcd to store.
    #[error(
        "the SealedSecret is {bytes} bytes as JSON, over etcd's default request limit of {} \
         bytes (1.5 MiB)",
        validation::ETCD_REQUEST_LIMIT
    )]
    TooLargeToStore {
        /// Its size as compact JSON.
        bytes: usize,
    },
}

impl Invalid {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Invalid::Key { .. } => {
                "rename the key: Secret keys are 1 to 253 letters, digits, '-', '_' and '.', and \
                 are not '.' or '..' and do not start with '..'"
            }
            Invalid::Name { .. } => {
                "names are lower-case letters, digits, '-' and '.', start and end with a letter \
                 or digit, and are at most 253 characters (e.g. db-password)"
            }
            Invalid::Namespace { .. } => {
                "namespaces are lower-case letters, digits and '-', start and end with a letter \
                 or digit, and are at most 63 characters (e.g. prod); with kubectl's form \
                 -n ns/NAME pass -n NAME"
            }
            Invalid::TooLarge { .. } => {
                "split the values over several Secrets, or keep large files out of Secrets (a \
                 volume, an object store)"
            }
            Invalid::TooLargeToStore { .. } => {
                "each sealed value costs about 700 bytes more than its plaintext: split the \
                 values over several SealedSecrets"
            }
        }
    }
}

/// The keys of `secret` (`data` and `stringData`), as the API server checks them.
pub fn secret_keys(secret: &Secret) -> Result<(), Invalid> {
    keys(secret.data.keys().chain(secret.string_data.keys()))
}

fn keys<'a>(mut keys: impl Iterator<Item = &'a str>) -> Result<(), Invalid> {
    keys.try_for_each(|key| {
        check(validation::config_map_key(key), |rules| Invalid::Key {
            key: key.to_owned(),
            rules,
        })
    })
}

/// `Ok` when no rule is broken, else the broken rules as `invalid` reports them.
fn check(rules: Vec<String>, invalid: impl FnOnce(Vec<String>) -> Invalid) -> Result<(), Invalid> {
    match rules.is_empty() {
        true => Ok(()),
        false => Err(invalid(rules)),
    }
}

/// An object name.
pub fn name(name: &str) -> Result<(), Invalid> {
    check(validation::dns1123_subdomain(name), |rules| Invalid::Name {
        name: name.to_owned(),
        rules,
    })
}

/// A namespace name.
pub fn namespace(namespace: &str) -> Result<(), Invalid> {
    check(validation::dns1123_label(namespace), |rules| {
        Invalid::Namespace {
            namespace: namespace.to_owned(),
            rules,
        }
    })
}

/// A SealedSecret about to be written: its name and namespace, the keys of the Secret it
/// becomes, that Secret's size (read from the sealed values' lengths, without opening them),
/// and its own size.
pub fn sealed(sealed: &SealedSecret) -> Result<(), Invalid> {
    let meta = &sealed.metadata;
    if let Some(n) = meta.name.as_deref() {
        name(n)?;
    }
    if let Some(ns) = meta.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        namespace(ns)?;
    }
    let template_keys = sealed
        .spec
        .template
        .as_ref()
        .and_then(|t| t.data.as_ref())
        .into_iter()
        .flat_map(|data| data.keys());
    keys(
        sealed
            .spec
            .encrypted_data
            .keys()
            .chain(template_keys)
            .map(String::as_str),
    )?;
    let bytes: usize = sealed
        .spec
        .encrypted_data
        .values()
        .filter_map(|v| decode_base64(v).and_then(|b| plaintext_len(&b)))
        .sum();
    if bytes > MAX_SECRET_SIZE {
        return Err(Invalid::TooLarge { bytes });
    }
    let stored = json_size(sealed);
    if stored > validation::ETCD_REQUEST_LIMIT {
        return Err(Invalid::TooLargeToStore { bytes: stored });
    }
    Ok(())
}

/// The SealedSecret's size as compact JSON, the form etcd stores and `kubectl apply` copies
/// into its last-applied annotation.
pub fn json_size(sealed: &SealedSecret) -> usize {
    serde_json::to_vec(sealed).map_or(0, |v| v.len())
}

/// Whether client-side `kubectl apply` would refuse the object: its last-applied copy would not
/// fit in the annotations' 256 KiB.
pub fn too_large_for_client_side_apply(sealed: &SealedSecret) -> bool {
    let annotation = "kubectl.kubernetes.io/last-applied-configuration";
    json_size(sealed) + annotation.len() > validation::ANNOTATIONS_SIZE_LIMIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealsync_core::api::{Api, ObjectMeta};
    use sealsync_core::crypto::{KeyBits, PrivateKey, seal_base64};

    fn sealed_with(name: &str, namespace: &str, values: &[(&str, usize)]) -> SealedSecret {
        static KEY: std::sync::OnceLock<PrivateKey> = std::sync::OnceLock::new();
        let key = KEY.get_or_init(|| PrivateKey::generate(KeyBits::Rsa2048).expect("key"));
        let mut s = SealedSecret::new(
            Api::Bitnami,
            ObjectMeta {
                name: Some(name.into()),
                namespace: Some(namespace.into()),
                ..ObjectMeta::default()
            },
        );
        for (k, len) in values {
            let value = seal_base64(key.public_key(), &vec![b'x'; *len], b"").expect("seal");
            s.spec.encrypted_data.insert((*k).to_owned(), value);
        }
        s
    }

    #[test]
    fn names_namespaces_and_keys_follow_the_api_server() {
        assert!(sealed(&sealed_with("db", "prod", &[("a", 1)])).is_ok());
        assert!(matches!(
            sealed(&sealed_with("DB", "prod", &[])),
            Err(Invalid::Name { .. })
        ));
        assert!(matches!(
            sealed(&sealed_with("db", "ns/prod", &[])),
            Err(Invalid::Namespace { .. })
        ));
        for bad in [".", "..", "..x", "a b", &"k".repeat(254)] {
            let err = sealed(&sealed_with("db", "prod", &[(bad, 1)])).unwrap_err();
            assert!(
                matches!(&err, Invalid::Key { key, .. } if key == bad),
                "{err}"
            );
        }
    }

    #[test]
    fn the_secret_limit_is_one_mebibyte_of_values() {
        let at = sealed_with("db", "prod", &[("a", MAX_SECRET_SIZE - 10), ("b", 10)]);
        assert!(sealed(&at).is_ok());
        let over = sealed_with("db", "prod", &[("a", MAX_SECRET_SIZE - 10), ("b", 11)]);
        assert!(matches!(
            sealed(&over),
            Err(Invalid::TooLarge { bytes }) if bytes == MAX_SECRET_SIZE + 1
        ));
        assert!(too_large_for_client_side_apply(&at));
        assert!(!too_large_for_client_side_apply(&sealed_with(
            "db",
            "prod",
            &[("a", 1000)]
        )));
    }

    #[test]
    fn many_small_values_can_be_too_large_to_store() {
        let values: Vec<(String, usize)> = (0..1000).map(|i| (format!("k{i}"), 1000)).collect();
        let refs: Vec<(&str, usize)> = values.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        let err = sealed(&sealed_with("db", "prod", &refs)).unwrap_err();
        assert!(matches!(err, Invalid::TooLargeToStore { .. }), "{err}");
    }
}
