//! The review resources kubectl's `auth` commands create: `SelfSubjectAccessReview`
//! (`auth can-i`), `SelfSubjectRulesReview` (`auth can-i --list`) and `SelfSubjectReview`
//! (`auth whoami`). devcluster has no authentication or RBAC, so everyone is the one admin:
//! every access is allowed and the rules allow everything. Nothing is stored.

use super::output::json;
use super::request;
use crate::registry::ResourceType;
use crate::status::ApiError;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

/// The user every request is taken to come from.
pub const USERNAME: &str = "devcluster-admin";
pub const GROUPS: [&str; 2] = ["system:masters", "system:authenticated"];

/// Answers a review create: the request with its `status` filled in (201).
pub fn create(rt: &ResourceType, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    let mut review = request::object_body(headers, body)?;
    if !review.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    review["apiVersion"] = json!(rt.group_version(&rt.versions[0]));
    review["kind"] = json!(rt.kind);
    if !review.get("metadata").is_some_and(Value::is_object) {
        review["metadata"] = json!({});
    }
    review["metadata"]["creationTimestamp"] = Value::Null;
    review["status"] = match rt.kind.as_str() {
        "SelfSubjectAccessReview" => {
            json!({"allowed": true, "reason": "devcluster has no authorization: everything is allowed"})
        }
        "SelfSubjectRulesReview" => json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        }),
        "SelfSubjectReview" => json!({
            "userInfo": {"username": USERNAME, "groups": GROUPS},
        }),
        _ => return Err(ApiError::no_route()),
    };
    Ok(json(201, &review))
}
