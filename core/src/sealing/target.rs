//! The identity a value is sealed for: name, namespace and scope, and the label they make.
//!
//! The input object's metadata and the command line must agree. A strict value needs both a
//! name and a namespace, a namespace-wide one a namespace, a cluster-wide one neither.

use crate::crypto::Scope;

/// Values from the command line that fill in or must match the object's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--name`.
    pub name: Option<String>,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// `--scope`.
    pub scope: Option<Scope>,
    /// The namespace used when neither the object nor `--namespace` names one: kubeseal takes
    /// the kubeconfig context's namespace, else `default`. `None` leaves it missing.
    pub default_namespace: Option<String>,
}

/// The identity is incomplete or contradictory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// No name, but the scope or the object needs one.
    #[error("no name: {why}")]
    MissingName {
        /// Why a name is needed.
        why: String,
    },
    /// No namespace, but the scope needs one.
    #[error("no namespace: a {scope} value is bound to its namespace")]
    MissingNamespace {
        /// The scope in force.
        scope: Scope,
    },
    /// `--name` and the object's name differ.
    #[error("name mismatch: {given:?} was given but the object is named {found:?}")]
    NameMismatch {
        /// From the command line.
        given: String,
        /// From the object.
        found: String,
    },
    /// `--namespace` and the object's namespace differ.
    #[error("namespace mismatch: {given:?} was given but the object is in {found:?}")]
    NamespaceMismatch {
        /// From the command line.
        given: String,
        /// From the object.
        found: String,
    },
}

/// A resolved identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The name, if any.
    pub name: Option<String>,
    /// The namespace, if any.
    pub namespace: Option<String>,
    /// The scope.
    pub scope: Scope,
}

/// Whether the object itself must have a name whatever the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// An object (Secret, SealedSecret) always needs a name.
    Always,
    /// A raw value needs one only when strict.
    WhenStrict,
}

impl Target {
    /// Combines an object's name, namespace and scope with the command line.
    pub fn resolve(
        name: Option<&str>,
        namespace: Option<&str>,
        scope: Scope,
        overrides: &Overrides,
        rule: NameRule,
    ) -> Result<Target, TargetError> {
        let scope = overrides.scope.unwrap_or(scope);
        let name = pick(name, overrides.name.as_deref())
            .map_err(|(given, found)| TargetError::NameMismatch { given, found })?;
        let namespace = pick(namespace, overrides.namespace.as_deref())
            .map_err(|(given, found)| TargetError::NamespaceMismatch { given, found })?
            .or_else(|| overrides.default_namespace.clone());
        if name.is_none() {
            match (rule, scope) {
                (_, Scope::Strict) => {
                    return Err(TargetError::MissingName {
                        why: "a strict value is bound to its name".to_owned(),
                    });
                }
                (NameRule::Always, _) => {
                    return Err(TargetError::MissingName {
                        why: "every Secret needs metadata.name".to_owned(),
                    });
                }
                (NameRule::WhenStrict, _) => {}
            }
        }
        if namespace.is_none() && scope != Scope::ClusterWide {
            return Err(TargetError::MissingNamespace { scope });
        }
        Ok(Target {
            name,
            namespace,
            scope,
        })
    }

    /// The RSA-OAEP label of this identity.
    pub fn label(&self) -> Vec<u8> {
        self.scope.label(
            self.namespace.as_deref().unwrap_or_default(),
            self.name.as_deref().unwrap_or_default(),
        )
    }
}

/// The object's value, or the command line's; an error with (given, found) if they differ.
fn pick(found: Option<&str>, given: Option<&str>) -> Result<Option<String>, (String, String)> {
    let found = found.filter(|s| !s.is_empty());
    let given = given.filter(|s| !s.is_empty());
    match (found, given) {
        (Some(f), Some(g)) if f != g => Err((g.to_owned(), f.to_owned())),
        (f, g) => Ok(f.or(g).map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn over(name: Option<&str>, ns: Option<&str>, scope: Option<Scope>) -> Overrides {
        Overrides {
            name: name.map(Into::into),
            namespace: ns.map(Into::into),
            scope,
            default_namespace: None,
        }
    }

    #[test]
    fn the_default_namespace_fills_only_a_missing_one() {
        let fallback = Overrides {
            default_namespace: Some("ctx".into()),
            ..Overrides::default()
        };
        let t =
            Target::resolve(Some("db"), None, Scope::Strict, &fallback, NameRule::Always).unwrap();
        assert_eq!(t.namespace.as_deref(), Some("ctx"));
        let t = Target::resolve(
            Some("db"),
            Some("prod"),
            Scope::Strict,
            &fallback,
            NameRule::Always,
        )
        .unwrap();
        assert_eq!(
            t.namespace.as_deref(),
            Some("prod"),
            "the object's own wins"
        );
        let flag = Overrides {
            namespace: Some("flag".into()),
            ..fallback
        };
        let t = Target::resolve(Some("db"), None, Scope::Strict, &flag, NameRule::Always).unwrap();
        assert_eq!(t.namespace.as_deref(), Some("flag"), "--namespace wins");
    }

    #[test]
    fn strict_needs_name_and_namespace() {
        let none = Overrides::default();
        let err = Target::resolve(Some("db"), None, Scope::Strict, &none, NameRule::Always);
        assert_eq!(
            err,
            Err(TargetError::MissingNamespace {
                scope: Scope::Strict
            })
        );
        let ok = Target::resolve(
            Some("db"),
            None,
            Scope::Strict,
            &over(None, Some("prod"), None),
            NameRule::Always,
        )
        .unwrap();
        assert_eq!(ok.label(), b"prod/db");
        let raw = Target::resolve(
            None,
            Some("prod"),
            Scope::Strict,
            &none,
            NameRule::WhenStrict,
        );
        assert!(matches!(raw, Err(TargetError::MissingName { .. })));
    }

    #[test]
    fn wider_scopes_need_less() {
        let none = Overrides::default();
        let ns = Target::resolve(
            None,
            Some("prod"),
            Scope::NamespaceWide,
            &none,
            NameRule::WhenStrict,
        )
        .unwrap();
        assert_eq!(ns.label(), b"prod");
        let cw = Target::resolve(
            None,
            None,
            Scope::Strict,
            &over(None, None, Some(Scope::ClusterWide)),
            NameRule::WhenStrict,
        )
        .unwrap();
        assert_eq!(cw.label(), b"");
        let object = Target::resolve(None, None, Scope::ClusterWide, &none, NameRule::Always);
        assert!(matches!(object, Err(TargetError::MissingName { .. })));
    }

    #[test]
    fn command_line_must_agree_with_the_object() {
        let err = Target::resolve(
            Some("db"),
            Some("prod"),
            Scope::Strict,
            &over(None, Some("dev"), None),
            NameRule::Always,
        );
        assert!(matches!(err, Err(TargetError::NamespaceMismatch { .. })));
        let err = Target::resolve(
            Some("db"),
            Some("prod"),
            Scope::Strict,
            &over(Some("web"), None, None),
            NameRule::Always,
        );
        assert!(matches!(err, Err(TargetError::NameMismatch { .. })));
        let same = Target::resolve(
            Some("db"),
            Some("prod"),
            Scope::Strict,
            &over(Some("db"), Some("prod"), None),
            NameRule::Always,
        );
        assert!(same.is_ok());
    }
}
