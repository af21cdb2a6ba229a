//! The `Ready` condition and its fixed reasons.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One status condition, in the shape of `metav1.Condition`. Every field but `type` is optional
/// on read, so the status another controller wrote (Bitnami's) still decodes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// A fixed CamelCase reason ([`Reason`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What happened and what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When `status` last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// The generation this condition describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// A condition's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
}

impl ConditionStatus {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
        }
    }
}

/// Why a SealedSecret is or is not Ready. Also the fixed label of the unseal metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Every value opened and the Secret is written.
    Unsealed,
    /// A value did not open with any key under the SealedSecret's scope.
    DecryptionFailed,
    /// A Secret of that name exists and sealsync does not own it.
    SecretNotOwned,
    /// The SealedSecret or the Secret it describes cannot be made as written.
    InvalidSpec,
}

impl Reason {
    /// The CamelCase wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unsealed => "Unsealed",
            Reason::DecryptionFailed => "DecryptionFailed",
            Reason::SecretNotOwned => "SecretNotOwned",
            Reason::InvalidSpec => "InvalidSpec",
        }
    }

    /// Ready's status for this reason.
    pub fn status(self) -> ConditionStatus {
        match self {
            Reason::Unsealed => ConditionStatus::True,
            Reason::DecryptionFailed | Reason::SecretNotOwned | Reason::InvalidSpec => {
                ConditionStatus::False
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Now, as a condition's `lastTransitionTime` is written: RFC 3339, whole seconds, UTC.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
