//! The three PATCH body formats kube-apiserver accepts besides server-side apply:
//!
//! - [`merge_patch`]: RFC 7386 JSON merge patch (`application/merge-patch+json`);
//! - [`json_patch`]: RFC 6902 JSON patch (`application/json-patch+json`);
//! - [`strategic_merge_patch`]: Kubernetes strategic merge patch
//!   (`application/strategic-merge-patch+json`), with the patch merge keys of the built-in
//!   kinds and the directives kubectl's client-side `apply` sends.
//!
//! Every function works on objects in their Kubernetes JSON form and changes `target` in place,
//! only when the whole patch applies: on error `target` is left as it was.

mod json_patch;
mod merge;
pub(crate) mod schema;
mod strategic;

pub use json_patch::json_patch;
pub use merge::merge_patch;
pub use strategic::strategic_merge_patch;

/// Why a patch could not be applied. The Display text is fit for a `metav1.Status` message.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The patch body is not of the shape its format requires (400 BadRequest).
    #[error("invalid {format} patch: {reason}")]
    Malformed {
        /// `merge`, `JSON` or `strategic merge`.
        format: &'static str,
        reason: String,
    },
    /// An RFC 6902 operation could not be applied to the object (422 Invalid).
    #[error("{reason}")]
    JsonPatchOp {
        /// Index of the failed operation in the patch array.
        index: usize,
        reason: String,
    },
    /// A strategic merge patch is well formed but does not fit the object (422 Invalid).
    #[error("strategic merge patch does not apply: {reason}")]
    StrategicConflict { reason: String },
    /// Strategic merge patch was sent for a kind that has no Go struct on the server, i.e. a custom
    /// resource. kube-apiserver answers these with 415 UnsupportedMediaType.
    #[error(
        "the body of the request was in an unknown format - accepted media types include: \
         application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )]
    StrategicUnsupported { api_version: String, kind: String },
}

impl PatchError {
    /// The HTTP status kube-apiserver answers with for this failure.
    pub fn http_status(&self) -> u16 {
        match self {
            PatchError::Malformed { .. } => 400,
            PatchError::JsonPatchOp { .. } | PatchError::StrategicConflict { .. } => 422,
            PatchError::StrategicUnsupported { .. } => 415,
        }
    }
}
