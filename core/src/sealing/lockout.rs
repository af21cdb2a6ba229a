//! Rewriting a SealedSecret must not take a cluster's access away behind its back. A
//! multi-recipient value also opens in other clusters; unsealing is all or nothing, so a
//! rewrite whose values leave one of those clusters out would lock it out of the whole file it
//! can read today. Re-encryption and merges check this before they write.

use crate::api::SealedSecret;
use crate::crypto::Fingerprint;
use crate::crypto::format::{Layout, decode_base64, layout};

/// A value whose rewrite would lock keys out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOut {
    /// The value's key in `encryptedData`.
    pub value: String,
    /// The keys that would lose it.
    pub fingerprints: Vec<Fingerprint>,
}

/// The first multi-recipient value of `sealed` that names a key neither in `kept` (the keys of
/// the rewrite) nor the key that opened that value here (`opener`, by value key: the one key a
/// re-encryption may retire).
pub fn find(
    sealed: &SealedSecret,
    kept: &[Fingerprint],
    opener: impl Fn(&str) -> Option<Fingerprint>,
) -> Option<LockOut> {
    sealed.spec.encrypted_data.iter().find_map(|(value, text)| {
        let Some(Layout::MultiRecipient { recipients, .. }) =
            decode_base64(text).as_deref().and_then(layout)
        else {
            return None;
        };
        let retired = opener(value);
        let fingerprints: Vec<Fingerprint> = recipients
            .into_iter()
            .filter(|f| !kept.contains(f) && retired.as_ref() != Some(f))
            .collect();
        (!fingerprints.is_empty()).then(|| LockOut {
            value: value.clone(),
            fingerprints,
        })
    })
}

/// Fingerprints joined for a message.
pub fn list(fingerprints: &[Fingerprint]) -> String {
    fingerprints
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
