//! Sealing scopes: how far a sealed value may travel, encoded in the RSA-OAEP label.
//!
//! The scope is read from the SealedSecret's **top-level** `metadata.annotations` only, both when
//! decrypting and when re-sealing. Reading it from two places (top level and template) was a
//! scope-escalation hole in the reference implementation.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Annotation that makes a value open in any namespace under any name.
pub const CLUSTER_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/cluster-wide";
/// Annotation that makes a value open under any name within one namespace.
pub const NAMESPACE_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/namespace-wide";

/// Where a sealed value may be unsealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    /// Only as the Secret `<namespace>/<name>` it was sealed for. The label is `"<ns>/<name>"`.
    #[default]
    Strict,
    /// As any Secret in `<namespace>`. The label is `"<ns>"`.
    NamespaceWide,
    /// As any Secret anywhere. The label is empty.
    ClusterWide,
}

/// A scope name that is not one of `strict`, `namespace-wide`, `cluster-wide`.
#[derive(Debug, thiserror::Error)]
#[error("unknown scope {given:?}: expected strict, namespace-wide or cluster-wide")]
pub struct ParseScopeError {
    /// What was given.
    pub given: String,
}

impl Scope {
    /// All scopes, strict first.
    pub const ALL: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

    /// The scope that a set of top-level annotations declares. `cluster-wide` wins over
    /// `namespace-wide`, and only the exact string `"true"` counts; anything else is strict.
    pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Scope {
        let set = |key: &str| annotations.get(key).map(String::as_str) == Some("true");
        if set(CLUSTER_WIDE_ANNOTATION) {
            Scope::ClusterWide
        } else if set(NAMESPACE_WIDE_ANNOTATION) {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    /// Writes this scope into `annotations`: the matching annotation set to `"true"`, the other
    /// scope annotation removed.
    pub fn write_annotations(self, annotations: &mut BTreeMap<String, String>) {
        annotations.remove(CLUSTER_WIDE_ANNOTATION);
        annotations.remove(NAMESPACE_WIDE_ANNOTATION);
        match self {
            Scope::Strict => {}
            Scope::NamespaceWide => {
                annotations.insert(NAMESPACE_WIDE_ANNOTATION.to_owned(), "true".to_owned());
            }
            Scope::ClusterWide => {
                annotations.insert(CLUSTER_WIDE_ANNOTATION.to_owned(), "true".to_owned());
            }
        }
    }

    /// The RSA-OAEP label that binds a value to this scope.
    pub fn label(self, namespace: &str, name: &str) -> Vec<u8> {
        match self {
            Scope::Strict => format!("{namespace}/{name}").into_bytes(),
            Scope::NamespaceWide => namespace.as_bytes().to_vec(),
            Scope::ClusterWide => Vec::new(),
        }
    }

    /// The name used on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = ParseScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| ParseScopeError {
                given: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_match_the_reference_encryption_label() {
        assert_eq!(Scope::Strict.label("myns", "myname"), b"myns/myname");
        assert_eq!(Scope::NamespaceWide.label("myns", "myname"), b"myns");
        assert_eq!(Scope::ClusterWide.label("myns", "myname"), b"");
    }

    #[test]
    fn cluster_wide_wins_and_only_exact_true_counts() {
        let both = annotations(&[
            (CLUSTER_WIDE_ANNOTATION, "true"),
            (NAMESPACE_WIDE_ANNOTATION, "true"),
        ]);
        assert_eq!(Scope::from_annotations(&both), Scope::ClusterWide);
        let ns = annotations(&[(NAMESPACE_WIDE_ANNOTATION, "true")]);
        assert_eq!(Scope::from_annotations(&ns), Scope::NamespaceWide);
        for almost in ["True", "TRUE", "yes", "1", " true", ""] {
            let a = annotations(&[(CLUSTER_WIDE_ANNOTATION, almost)]);
            assert_eq!(Scope::from_annotations(&a), Scope::Strict, "{almost:?}");
        }
        assert_eq!(Scope::from_annotations(&BTreeMap::new()), Scope::Strict);
    }

    #[test]
    fn write_then_read_is_identity() {
        for scope in Scope::ALL {
            let mut a = annotations(&[(CLUSTER_WIDE_ANNOTATION, "true"), ("keep", "me")]);
            scope.write_annotations(&mut a);
            assert_eq!(Scope::from_annotations(&a), scope);
            assert_eq!(a.get("keep").map(String::as_str), Some("me"));
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        assert!("global".parse::<Scope>().is_err());
    }
}
