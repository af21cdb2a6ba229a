//! Who owns the Secret a SealedSecret describes: one exhaustive decision, made before any write.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Bitnami's opt-in: sealsync may take this existing Secret over.
pub const MANAGED_ANNOTATION: &str = "sealedsecrets.bitnami.com/managed";
/// Bitnami's opt-in: sealsync may write its keys into this Secret and keep the others.
pub const PATCH_ANNOTATION: &str = "sealedsecrets.bitnami.com/patch";

/// The state of the Secret before a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// No Secret of that name: create it.
    Absent,
    /// Our SealedSecret is its controller: update it.
    Owned,
    /// Someone else's, marked `managed: "true"`: take it over (it gains our owner reference).
    Managed,
    /// Someone else's, marked `patch: "true"`: write our keys, keep the rest and its owner.
    Patch,
    /// Someone else's, with no opt-in: refuse and leave it untouched.
    Foreign,
}

impl Ownership {
    /// Decides from the existing Secret and the SealedSecret's uid.
    pub fn of(existing: Option<&ObjectMeta>, owner_uid: &str) -> Ownership {
        let Some(metadata) = existing else {
            return Ownership::Absent;
        };
        let ours = metadata
            .owner_references
            .iter()
            .flatten()
            .any(|r| r.uid == owner_uid && r.controller == Some(true));
        let says = |annotation: &str| {
            metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(annotation))
                .is_some_and(|v| v == "true")
        };
        // Bitnami's order: `managed` (take it over) wins over `patch`.
        match (ours, says(MANAGED_ANNOTATION), says(PATCH_ANNOTATION)) {
            (true, _, _) => Ownership::Owned,
            (false, true, _) => Ownership::Managed,
            (false, false, true) => Ownership::Patch,
            (false, false, false) => Ownership::Foreign,
        }
    }

    /// Whether the write carries our controller owner reference.
    pub fn takes_ownership(self) -> bool {
        match self {
            Ownership::Absent | Ownership::Owned | Ownership::Managed => true,
            Ownership::Patch | Ownership::Foreign => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use std::collections::BTreeMap;

    fn secret(owner: Option<&str>, annotation: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            owner_references: owner.map(|uid| {
                vec![OwnerReference {
                    uid: uid.into(),
                    controller: Some(true),
                    ..OwnerReference::default()
                }]
            }),
            annotations: annotation.map(|a| BTreeMap::from([(a.to_owned(), "true".to_owned())])),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn each_case_is_decided() {
        assert_eq!(Ownership::of(None, "u"), Ownership::Absent);
        assert_eq!(
            Ownership::of(Some(&secret(Some("u"), None)), "u"),
            Ownership::Owned
        );
        assert_eq!(
            Ownership::of(Some(&secret(Some("other"), None)), "u"),
            Ownership::Foreign
        );
        assert_eq!(
            Ownership::of(Some(&secret(None, Some(MANAGED_ANNOTATION))), "u"),
            Ownership::Managed
        );
        assert_eq!(
            Ownership::of(Some(&secret(None, Some(PATCH_ANNOTATION))), "u"),
            Ownership::Patch
        );
        assert_eq!(
            Ownership::of(Some(&secret(None, None)), "u"),
            Ownership::Foreign
        );
    }
}
