//! The `sealsync.io/v1alpha1` GitSync custom resource: one Git repository path, kept applied
//! by [`crate::sync::gitsync`].

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use sealsync_core::redact::redact_urls;
use serde::{Deserialize, Serialize};

use super::Condition;

/// `spec` of a GitSync.
#[derive(CustomResource, Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "sealsync.io",
    version = "v1alpha1",
    kind = "GitSync",
    namespaced,
    status = "GitSyncStatus",
    shortname = "gs",
    category = "sealsync",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.lastAppliedRevision"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Message","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].message"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct GitSyncSpec {
    /// The repository: `https://`, `http://`, `ssh://` or `git://`. The scp form `user@host:path`
    /// is refused; write it as `ssh://user@host/path`.
    pub url: String,
    /// What to follow; the default is the branch `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<GitRef>,
    /// The folder to apply, relative to the repository root; the default is the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How often to look for a new revision and correct drift (e.g. `30s`, `5m`); default `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// How long one fetch, apply or health wait may take; default the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How long to wait after a failure; default the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_interval: Option<String>,
    /// A Secret in the GitSync's namespace with the credentials: `username` and `password`
    /// (sent over https only) or `bearerToken`. `ca.crt`, `identity` and `known_hosts` are not
    /// supported yet (the GitSync is Stalled); the controller trusts the system's CA store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// A Secret whose key `token` authenticates the webhook `POST /hooks/<namespace>/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_ref: Option<LocalObjectReference>,
    /// Delete objects removed from Git (default true).
    #[serde(default = "yes")]
    pub prune: bool,
    /// Accept a revision that renders no object, and prune everything (default false).
    #[serde(default)]
    pub allow_empty: bool,
    /// Stop applying (and pruning) until unset.
    #[serde(default)]
    pub suspend: bool,
    /// The namespace of namespaced objects that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Recreate an object when the API refuses a change to an immutable field.
    #[serde(default)]
    pub force: bool,
}

fn yes() -> bool {
    true
}

/// Which revision to follow: exactly one of the fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitRef {
    /// A branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// A tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The highest tag matching a semver range (e.g. `>=1.2.0 <2.0.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// A commit SHA (not supported yet: the GitSync is Stalled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// A Secret in the same namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LocalObjectReference {
    /// Its name.
    pub name: String,
}

/// `status` of a GitSync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GitSyncStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Reconciling` and `Stalled` (kstatus).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The revision last tried, as `main@sha1:<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// The revision last applied in full, as `main@sha1:<hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// The last `sealsync.io/reconcile-at` annotation value acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// The applied objects, compact: `<group>_<kind>_<namespace>_<name>` per entry, grouped by
    /// API version so the entries stay short.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inventory: BTreeMap<String, Vec<String>>,
    /// When the inventory would pass about 500 KiB, the ConfigMap that holds it instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_config_map: Option<String>,
}

/// Why a repository URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The scp form.
    #[error("{url:?} is in the scp form, which is ambiguous; write it as {suggestion}")]
    ScpForm {
        /// The URL.
        url: String,
        /// The `ssh://` form.
        suggestion: String,
    },
    /// Another scheme, or none.
    #[error("{url:?} is not an https://, http://, ssh:// or git:// URL")]
    Scheme {
        /// The URL.
        url: String,
    },
}

/// Checks a repository URL: one of the four schemes; the scp form gets its `ssh://` spelling.
pub fn check_url(url: &str) -> Result<(), UrlError> {
    let lower = url.to_ascii_lowercase();
    if ["https://", "http://", "ssh://", "git://"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return Ok(());
    }
    if let Some((user_host, path)) = url.split_once(':')
        && !user_host.contains('/')
        && !path.starts_with("//")
        && !user_host.is_empty()
    {
        let path = path.trim_start_matches('/');
        return Err(UrlError::ScpForm {
            url: redact_urls(url),
            suggestion: format!("ssh://{user_host}/{path}"),
        });
    }
    Err(UrlError::Scheme {
        url: redact_urls(url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_url_never_shows_its_password() {
        let err = check_url("ftp://deploy:hunter2@git.example.com/config.git").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(
            err.to_string().contains("deploy:***@git.example.com"),
            "{err}"
        );
    }

    #[test]
    fn urls() {
        assert!(check_url("https://github.com/acme/config.git").is_ok());
        assert!(check_url("ssh://git@github.com/acme/config.git").is_ok());
        assert_eq!(
            check_url("git@github.com:acme/config.git"),
            Err(UrlError::ScpForm {
                url: "git@github.com:acme/config.git".into(),
                suggestion: "ssh://git@github.com/acme/config.git".into()
            })
        );
        assert!(matches!(
            check_url("/srv/git/config"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(
            check_url("ftp://x/y"),
            Err(UrlError::Scheme { .. })
        ));
    }

    #[test]
    fn defaults_are_those_the_issue_names() {
        let spec: GitSyncSpec =
            serde_json::from_value(serde_json::json!({"url": "https://x/y"})).expect("spec");
        assert!(spec.prune && !spec.allow_empty && !spec.suspend && !spec.force);
    }
}
