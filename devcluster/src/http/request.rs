//! Request parsing: the form-encoded query, content types and body decoding.

use crate::status::ApiError;
use axum::http::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;

/// The query parameters (form-decoded: `+` is a space). Later duplicates win.
#[derive(Debug, Default, Clone)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Params(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "unsupported dryRun value {other:?}: only \"All\" is supported"
            ))),
        }
    }
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The media type without parameters, lowercased.
pub fn media_type(headers: &HeaderMap) -> String {
    header(headers, "content-type")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The form of an answer the Accept header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The objects themselves (and `{Kind}List`).
    Full,
    /// A `meta.k8s.io/v1` Table (kubectl's human-readable output).
    Table,
    /// `PartialObjectMetadata` (`kube::Api::list_metadata`, metadata watchers).
    Metadata,
}

/// The first `meta.k8s.io` form the Accept header asks for, else the objects.
pub fn shape(headers: &HeaderMap) -> Shape {
    for part in header(headers, "accept").split(',') {
        let p: Vec<&str> = part.split(';').map(str::trim).collect();
        if !p.contains(&"g=meta.k8s.io") {
            continue;
        }
        if p.contains(&"as=Table") {
            return Shape::Table;
        }
        if p.contains(&"as=PartialObjectMetadata") || p.contains(&"as=PartialObjectMetadataList") {
            return Shape::Metadata;
        }
    }
    Shape::Full
}

/// Decodes a JSON or YAML object body.
pub fn json_or_yaml(body: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(v),
        Err(json_err) => {
            let text = std::str::from_utf8(body).map_err(|_| {
                ApiError::bad_request(format!("the request body is not valid JSON: {json_err}"))
            })?;
            serde_saphyr::from_str::<Value>(text).map_err(|e| {
                ApiError::bad_request(format!(
                    "the request body is neither valid JSON ({json_err}) nor valid YAML ({e})"
                ))
            })
        }
    }
}

/// Decodes an object body (create, update) by its content type.
pub fn object_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    match media_type(headers).as_str() {
        "" | "application/json" | "*/*" => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}"))),
        "application/yaml" | "application/x-yaml" | "text/yaml" => json_or_yaml(body),
        crate::protobuf::CONTENT_TYPE => protobuf_body(body),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

fn protobuf_body(body: &[u8]) -> Result<Value, ApiError> {
    crate::protobuf::decode(body).map_err(|e| ApiError::bad_request(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_plus_is_space() {
        let p = Params::parse(Some(
            "labelSelector=a+in+%28b%29&fieldSelector=metadata.name%3Dx&watch=1",
        ));
        assert_eq!(p.get("labelSelector"), Some("a in (b)"));
        assert_eq!(p.get("fieldSelector"), Some("metadata.name=x"));
        assert!(p.flag("watch"));
    }

    #[test]
    fn yaml_bodies() {
        let v =
            json_or_yaml(b"apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"1\"\n").expect("yaml");
        assert_eq!(v["data"]["a"], "1");
    }
}
