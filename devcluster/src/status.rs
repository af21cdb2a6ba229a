//! `metav1.Status` errors: every failure the API answers with, in the exact shape kube-apiserver
//! uses (`kind: Status`, `status: Failure`, `reason`, `details`, `code`), which is what
//! `kube::Error::Api` and kubectl parse.

use serde_json::{Value, json};

/// One entry of `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `reason` in JSON.
    pub reason: CauseType,
    pub message: String,
    pub field: String,
}

/// `metav1.CauseType` (field errors' `field.ErrorType` as the Status names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    clippy::enum_variant_names,
    reason = "the variants are named as kube's CauseType values are"
)]
pub enum CauseType {
    FieldValueInvalid,
    FieldValueRequired,
    FieldValueForbidden,
    FieldValueTooLong,
    FieldValueNotSupported,
    FieldValueNotFound,
    FieldValueDuplicate,
}

impl CauseType {
    /// The cause type as the Status carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseType::FieldValueInvalid => "FieldValueInvalid",
            CauseType::FieldValueRequired => "FieldValueRequired",
            CauseType::FieldValueForbidden => "FieldValueForbidden",
            CauseType::FieldValueTooLong => "FieldValueTooLong",
            CauseType::FieldValueNotSupported => "FieldValueNotSupported",
            CauseType::FieldValueNotFound => "FieldValueNotFound",
            CauseType::FieldValueDuplicate => "FieldValueDuplicate",
        }
    }
}

/// `metav1.StatusReason`: why a request failed, as clients branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Conflict,
    Expired,
    UnsupportedMediaType,
    Invalid,
    TooManyRequests,
    InternalError,
    ServiceUnavailable,
    Timeout,
    Unknown,
}

impl Reason {
    /// The reason as the Status carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadRequest => "BadRequest",
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Expired => "Expired",
            Reason::UnsupportedMediaType => "UnsupportedMediaType",
            Reason::Invalid => "Invalid",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::InternalError => "InternalError",
            Reason::ServiceUnavailable => "ServiceUnavailable",
            Reason::Timeout => "Timeout",
            Reason::Unknown => "",
        }
    }

    /// The reason kube-apiserver gives an error known only by its HTTP code.
    pub fn of_code(code: u16) -> Reason {
        match code {
            400 => Reason::BadRequest,
            401 => Reason::Unauthorized,
            403 => Reason::Forbidden,
            404 => Reason::NotFound,
            405 => Reason::MethodNotAllowed,
            409 => Reason::Conflict,
            410 => Reason::Expired,
            415 => Reason::UnsupportedMediaType,
            422 => Reason::Invalid,
            429 => Reason::TooManyRequests,
            500 => Reason::InternalError,
            503 => Reason::ServiceUnavailable,
            504 => Reason::Timeout,
            _ => Reason::Unknown,
        }
    }
}

/// An API error answered as a `metav1.Status`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: Reason,
    pub message: String,
    pub details: Option<Value>,
    /// `metadata.continue` of the Status (a 410 for an expired `continue` token hands out a
    /// token that continues from the latest state).
    pub continue_token: Option<String>,
}

/// The resource as kube-apiserver names it in messages: `configmaps`, `deployments.apps`.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

fn details(group: &str, plural: &str, name: &str) -> Value {
    let mut d = json!({ "name": name, "kind": plural });
    if !group.is_empty() {
        d["group"] = json!(group);
    }
    d
}

impl ApiError {
    pub fn new(code: u16, reason: Reason, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            continue_token: None,
        }
    }

    pub fn with_continue(mut self, token: String) -> Self {
        self.continue_token = Some(token);
        self
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            404,
            Reason::NotFound,
            format!("{} \"{name}\" not found", qualified(group, plural)),
        )
        .with_details(details(group, plural, name))
    }

    /// A path that names no served resource: kube-apiserver answers 404 with an empty-ish Status.
    pub fn no_route() -> Self {
        Self::new(
            404,
            Reason::NotFound,
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            Reason::AlreadyExists,
            format!("{} \"{name}\" already exists", qualified(group, plural)),
        )
        .with_details(details(group, plural, name))
    }

    /// 409 on a stale resourceVersion (optimistic concurrency).
    pub fn conflict(group: &str, plural: &str, name: &str) -> Self {
        Self::new(
            409,
            Reason::Conflict,
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(group, plural)
            ),
        )
        .with_details(details(group, plural, name))
    }

    /// 409 with a custom message (precondition failures, apply conflicts).
    pub fn conflict_with(group: &str, plural: &str, name: &str, message: String) -> Self {
        Self::new(409, Reason::Conflict, message).with_details(details(group, plural, name))
    }

    /// 422 Invalid: `Kind "name" is invalid: field: message` with one cause per field error.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let parts: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let mut d = json!({ "kind": kind });
        if !name.is_empty() {
            // Go's `omitempty`: a nameless object (ListOptions) has no `name`.
            d["name"] = json!(name);
        }
        if !group.is_empty() {
            d["group"] = json!(group);
        }
        d["causes"] = Value::Array(
            causes
                .iter()
                .map(|c| json!({ "reason": c.reason.as_str(), "message": c.message, "field": c.field }))
                .collect(),
        );
        let qualified_kind = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        Self::new(
            422,
            Reason::Invalid,
            format!("{qualified_kind} \"{name}\" is invalid: {joined}"),
        )
        .with_details(d)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, Reason::BadRequest, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, Reason::Forbidden, message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, Reason::MethodNotAllowed, message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            Reason::UnsupportedMediaType,
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, Reason::Expired, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, Reason::InternalError, message)
    }

    /// An error with only a code (fault injection): the reason kube-apiserver uses for that code.
    pub fn from_code(code: u16, message: impl Into<String>) -> Self {
        let reason = Reason::of_code(code);
        Self::new(code, reason, message)
    }

    /// The `metav1.Status` body.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason.as_str(),
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        if let Some(c) = &self.continue_token {
            s["metadata"]["continue"] = json!(c);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_has_kubectl_shape() {
        let s = ApiError::not_found("", "configmaps", "nope").to_status();
        assert_eq!(s["message"], "configmaps \"nope\" not found");
        assert_eq!(s["details"], json!({"name":"nope","kind":"configmaps"}));
        assert_eq!(s["code"], 404);
    }

    #[test]
    fn invalid_joins_causes() {
        let c = |f: &str| Cause {
            reason: crate::status::CauseType::FieldValueForbidden,
            message: "Forbidden: x".into(),
            field: f.into(),
        };
        let e = ApiError::invalid("", "ConfigMap", "a", vec![c("data")]);
        assert_eq!(e.message, "ConfigMap \"a\" is invalid: data: Forbidden: x");
        let e = ApiError::invalid("apps", "Deployment", "a", vec![c("data"), c("immutable")]);
        assert_eq!(
            e.message,
            "Deployment.apps \"a\" is invalid: [data: Forbidden: x, immutable: Forbidden: x]"
        );
        assert_eq!(e.to_status()["details"]["causes"][1]["field"], "immutable");
    }
}
