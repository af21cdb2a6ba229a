//! The API server's rules for what `seal` writes, so that a file it writes is never one that
//! `kubectl apply` or the controller's Secret write then refuses.
//!
//! Each rule returns the API server's own messages (apimachinery `pkg/util/validation`, v0.35),
//! empty when the value is valid, so a caller can show exactly the rule that was broken.

/// The API server's limit on the sum of a Secret's value sizes (`core.MaxSecretSize`).
pub const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// The longest DNS-1123 subdomain, and so the longest Secret key and object name.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// The longest DNS-1123 label, and so the longest namespace name.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;

/// The API server's limit on the total size of an object's annotations
/// (`TotalAnnotationSizeLimitB`). Client-side `kubectl apply` stores the whole object in one.
pub const ANNOTATIONS_SIZE_LIMIT: usize = 256 * 1024;

/// etcd's default request size limit (`--max-request-bytes`): a custom resource is stored as
/// JSON, so a SealedSecret whose JSON is larger cannot be stored.
pub const ETCD_REQUEST_LIMIT: usize = 1024 * 1024 + 512 * 1024;

const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn max_len(limit: usize) -> String {
    format!("must be no more than {limit} characters")
}

/// `IsConfigMapKey`: the rule for a Secret's (and a ConfigMap's) keys.
pub fn config_map_key(key: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if key.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errors.push(max_len(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if key.is_empty() || !key.bytes().all(allowed) {
        errors.push(CONFIG_KEY_MSG.to_owned());
    }
    match key {
        "." => errors.push("must not be '.'".to_owned()),
        ".." => errors.push("must not be '..'".to_owned()),
        _ if key.starts_with("..") => errors.push("must not start with '..'".to_owned()),
        _ => {}
    }
    errors
}

/// Whether `s` matches `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn is_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

fn is_subdomain(s: &str) -> bool {
    s.split('.').all(is_label)
}

/// `IsDNS1123Subdomain`: the rule for object names (a Secret's, a SealedSecret's).
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errors.push(max_len(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !is_subdomain(value) {
        errors.push(SUBDOMAIN_MSG.to_owned());
    }
    errors
}

/// `IsDNS1123Label`: the rule for namespace names.
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errors.push(max_len(DNS1123_LABEL_MAX_LENGTH));
    }
    if !is_label(value) {
        if is_subdomain(value) {
            errors.push("must not contain dots".to_owned());
        } else {
            errors.push(LABEL_MSG.to_owned());
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_is_config_map_key() {
        for good in [
            "a",
            "tls.crt",
            ".dockerconfigjson",
            "KEY_NAME",
            "key-name",
            "a..b",
        ] {
            assert!(config_map_key(good).is_empty(), "{good}");
        }
        assert_eq!(config_map_key("."), ["must not be '.'"]);
        assert_eq!(config_map_key(".."), ["must not be '..'"]);
        assert_eq!(config_map_key("..x"), ["must not start with '..'"]);
        assert_eq!(config_map_key("a b"), [CONFIG_KEY_MSG]);
        assert_eq!(config_map_key(""), [CONFIG_KEY_MSG]);
        assert_eq!(config_map_key("ключ"), [CONFIG_KEY_MSG]);
        assert!(config_map_key(&"k".repeat(253)).is_empty());
        assert_eq!(
            config_map_key(&"k".repeat(254)),
            ["must be no more than 253 characters"]
        );
        assert_eq!(config_map_key(&format!("..{}", "k".repeat(252))).len(), 2);
    }

    #[test]
    fn names_follow_is_dns1123_subdomain() {
        for good in ["db", "a.b-c", "0", "x".repeat(253).as_str()] {
            assert!(dns1123_subdomain(good).is_empty(), "{good}");
        }
        for bad in [
            "", "DB", "ns/x", "a_b", "-a", "a-", "a..b", ".a", "é", "a b",
        ] {
            assert_eq!(dns1123_subdomain(bad), [SUBDOMAIN_MSG], "{bad:?}");
        }
        assert_eq!(dns1123_subdomain(&"x".repeat(254)).len(), 1);
    }

    #[test]
    fn namespaces_follow_is_dns1123_label() {
        assert!(dns1123_label("kube-system").is_empty());
        assert!(dns1123_label(&"n".repeat(63)).is_empty());
        assert_eq!(dns1123_label("a.b"), ["must not contain dots"]);
        assert_eq!(dns1123_label("ns/x"), [LABEL_MSG]);
        assert_eq!(dns1123_label("Prod"), [LABEL_MSG]);
        assert_eq!(
            dns1123_label(&"n".repeat(64)),
            ["must be no more than 63 characters"]
        );
    }
}
