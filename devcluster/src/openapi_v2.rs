//! A minimal OpenAPI v2 (`/openapi/v2`), as JSON or as the gnostic protobuf kubectl asks for
//! (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`).
//!
//! kubectl needs it where it validates on the client: the items of a `kind: List` file
//! (`apply -f`/`create -f` of what `kubectl get -o yaml` writes), and objects whose kind its
//! OpenAPI v3 lookup cannot vouch for. It looks each item's kind up by the definitions'
//! `x-kubernetes-group-version-kind`, and skips validation when the kind is absent. So the
//! document has one definition per served kind and list kind, named as kube-apiserver names
//! them, carrying that extension and no schema (devcluster serves none: the server checks what
//! it checks), plus `io.k8s.apimachinery.pkg.apis.meta.v1.List` and what it refers to. It has
//! no paths: with none, kubectl computes client-side apply patches from its built-in types, as
//! it did when this document was absent.

use crate::registry::{Registry, ResourceType};
use serde_json::{Map, Value, json};

/// The protobuf media type kubectl sends in Accept (the `@` form is the deprecated one).
const PROTOBUF_ACCEPTED: [&str; 2] = [
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
];

/// The Content-Type of a protobuf answer, as kube-openapi labels it.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Whether the Accept header asks for the protobuf form.
pub fn wants_protobuf(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or_default().trim();
        PROTOBUF_ACCEPTED.contains(&media)
    })
}

/// The definition name kube-apiserver gives a kind: `io.k8s.api.core.v1.ConfigMap`,
/// `io.k8s.api.apps.v1.Deployment`, `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.
/// CustomResourceDefinition`; for custom resources the reversed group (`com.example.v1.Widget`).
pub fn definition_name(rt: &ResourceType, version: &str, kind: &str) -> String {
    let prefix = match rt.group.as_str() {
        "" => "io.k8s.api.core".to_string(),
        "apiextensions.k8s.io" => "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions".into(),
        g if rt.is_builtin() => format!(
            "io.k8s.api.{}",
            g.strip_suffix(".k8s.io").unwrap_or(g).replace('.', "_")
        ),
        g => g.split('.').rev().collect::<Vec<_>>().join("."),
    };
    format!("{prefix}.{version}.{kind}")
}

fn definitions(reg: &Registry) -> Map<String, Value> {
    let mut defs = Map::new();
    for (group, versions) in reg.groups() {
        for version in versions {
            for rt in reg.in_group_version(&group, &version) {
                let mut kinds = vec![rt.kind.as_str()];
                if !rt.review {
                    kinds.push(rt.list_kind.as_str());
                }
                for kind in kinds {
                    defs.insert(
                        definition_name(&rt, &version, kind),
                        json!({
                            "description": format!(
                                "{kind} (devcluster serves no schema: any value validates here)"
                            ),
                            "x-kubernetes-group-version-kind": [
                                { "group": group, "kind": kind, "version": version }
                            ],
                        }),
                    );
                }
            }
        }
    }
    defs.insert(
        "io.k8s.apimachinery.pkg.apis.meta.v1.List".into(),
        json!({
            "description": "List holds a list of objects, which may not be known by the server.",
            "type": "object",
            "required": ["items"],
            "properties": {
                "apiVersion": { "type": "string" },
                "items": {
                    "description": "List of objects",
                    "type": "array",
                    "items": { "$ref": "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension" }
                },
                "kind": { "type": "string" },
                "metadata": {
                    "description": "Standard list metadata.",
                    "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
                }
            }
        }),
    );
    defs.insert(
        "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta".into(),
        json!({
            "description": "ListMeta describes metadata that synthetic resources must have, including lists and various status objects.",
            "type": "object",
            "properties": {
                "continue": { "type": "string" },
                "remainingItemCount": { "type": "integer", "format": "int64" },
                "resourceVersion": { "type": "string" },
                "selfLink": { "type": "string" }
            }
        }),
    );
    defs.insert(
        "io.k8s.apimachinery.pkg.runtime.RawExtension".into(),
        json!({
            "description": "RawExtension is used to hold extensions in external versions.",
            "type": "object"
        }),
    );
    defs
}

/// `/openapi/v2` as JSON.
pub fn document(reg: &Registry) -> Value {
    json!({
        "swagger": "2.0",
        "info": { "title": "Kubernetes", "version": "v1.32.0" },
        "paths": {},
        "definitions": definitions(reg),
    })
}

/// `/openapi/v2` as gnostic's `openapi.v2.Document` protobuf.
pub fn document_protobuf(reg: &Registry) -> Vec<u8> {
    use prost::Message;
    pb::document(&document(reg)).encode_to_vec()
}

/// The subset of gnostic's `openapi/v2/OpenAPIv2.proto` this document uses, with its field
/// numbers, and the conversion from the JSON form.
mod pb {
    use serde_json::Value;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Document {
        #[prost(string, tag = "1")]
        pub swagger: String,
        #[prost(message, optional, tag = "2")]
        pub info: Option<Info>,
        #[prost(message, optional, tag = "8")]
        pub paths: Option<Paths>,
        #[prost(message, optional, tag = "9")]
        pub definitions: Option<Definitions>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Info {
        #[prost(string, tag = "1")]
        pub title: String,
        #[prost(string, tag = "2")]
        pub version: String,
    }

    /// Always empty here.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Paths {}

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Definitions {
        #[prost(message, repeated, tag = "1")]
        pub additional_properties: Vec<NamedSchema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedSchema {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Schema {
        #[prost(string, tag = "1")]
        pub r#ref: String,
        #[prost(string, tag = "2")]
        pub format: String,
        #[prost(string, tag = "4")]
        pub description: String,
        #[prost(string, repeated, tag = "19")]
        pub required: Vec<String>,
        #[prost(message, optional, tag = "22")]
        pub r#type: Option<TypeItem>,
        #[prost(message, optional, tag = "23")]
        pub items: Option<ItemsItem>,
        #[prost(message, optional, tag = "25")]
        pub properties: Option<Properties>,
        #[prost(message, repeated, tag = "31")]
        pub vendor_extension: Vec<NamedAny>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TypeItem {
        #[prost(string, repeated, tag = "1")]
        pub value: Vec<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ItemsItem {
        #[prost(message, repeated, tag = "1")]
        pub schema: Vec<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Properties {
        #[prost(message, repeated, tag = "1")]
        pub additional_properties: Vec<NamedSchema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedAny {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<Any>,
    }

    /// A vendor extension's value, as YAML text (JSON is YAML).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        #[prost(string, tag = "2")]
        pub yaml: String,
    }

    fn text(v: &Value, key: &str) -> String {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    fn named(map: Option<&Value>) -> Vec<NamedSchema> {
        map.and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, s)| NamedSchema {
                name: name.clone(),
                value: Some(schema(s)),
            })
            .collect()
    }

    /// One JSON schema (the keys this document uses; `x-` keys become vendor extensions).
    pub fn schema(v: &Value) -> Schema {
        Schema {
            r#ref: text(v, "$ref"),
            format: text(v, "format"),
            description: text(v, "description"),
            required: v
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            r#type: v.get("type").and_then(Value::as_str).map(|t| TypeItem {
                value: vec![t.to_string()],
            }),
            items: v.get("items").map(|i| ItemsItem {
                schema: vec![schema(i)],
            }),
            properties: v.get("properties").map(|p| Properties {
                additional_properties: named(Some(p)),
            }),
            vendor_extension: v
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, _)| k.starts_with("x-"))
                .map(|(k, value)| NamedAny {
                    name: k.clone(),
                    value: Some(Any {
                        yaml: value.to_string(),
                    }),
                })
                .collect(),
        }
    }

    pub fn document(doc: &Value) -> Document {
        Document {
            swagger: text(doc, "swagger"),
            info: doc.get("info").map(|i| Info {
                title: text(i, "title"),
                version: text(i, "version"),
            }),
            paths: Some(Paths {}),
            definitions: Some(Definitions {
                additional_properties: named(doc.get("definitions")),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn every_served_kind_has_a_definition_with_its_group_version_kind() {
        let reg = Registry::with_builtins();
        let doc = document(&reg);
        let defs = &doc["definitions"];
        let cm = &defs["io.k8s.api.core.v1.ConfigMap"]["x-kubernetes-group-version-kind"];
        assert_eq!(
            cm,
            &json!([{"group": "", "kind": "ConfigMap", "version": "v1"}])
        );
        assert!(defs.get("io.k8s.api.core.v1.ConfigMapList").is_some());
        assert!(defs.get("io.k8s.api.apps.v1.Deployment").is_some());
        assert!(defs.get("io.k8s.api.coordination.v1.Lease").is_some());
        assert!(defs.get("io.k8s.api.events.v1.Event").is_some());
        assert!(
            defs.get(
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
            )
            .is_some()
        );
        assert_eq!(
            defs["io.k8s.apimachinery.pkg.apis.meta.v1.List"]["required"],
            json!(["items"])
        );
        for (group, versions) in reg.groups() {
            for version in versions {
                for rt in reg.in_group_version(&group, &version) {
                    let name = definition_name(&rt, &version, &rt.kind);
                    assert!(defs.get(&name).is_some(), "{name}");
                }
            }
        }
    }

    #[test]
    fn the_protobuf_form_decodes_with_the_same_definitions_and_extensions() {
        let reg = Registry::with_builtins();
        let bytes = document_protobuf(&reg);
        let doc = pb::Document::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(doc.swagger, "2.0");
        let defs = doc.definitions.expect("definitions").additional_properties;
        assert_eq!(
            defs.len(),
            document(&reg)["definitions"]
                .as_object()
                .map(Map::len)
                .unwrap_or(0)
        );
        let cm = defs
            .iter()
            .find(|d| d.name == "io.k8s.api.core.v1.ConfigMap")
            .and_then(|d| d.value.clone())
            .expect("ConfigMap");
        let ext = &cm.vendor_extension[0];
        assert_eq!(ext.name, "x-kubernetes-group-version-kind");
        let yaml = ext.value.as_ref().map(|a| a.yaml.as_str()).unwrap_or("");
        let parsed: Value = serde_json::from_str(yaml).expect("JSON, which YAML parsers read");
        assert_eq!(parsed[0]["kind"], "ConfigMap");
        assert!(cm.r#type.is_none(), "no type and no properties: any value");
    }

    #[test]
    fn protobuf_is_chosen_by_accept() {
        assert!(wants_protobuf(
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
        ));
        assert!(wants_protobuf(
            "application/json;q=0.9, application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
        ));
        assert!(!wants_protobuf("application/json"));
        assert!(!wants_protobuf(""));
    }

    #[test]
    fn custom_resources_are_named_by_their_reversed_group() {
        let mut reg = Registry::with_builtins();
        let crd = json!({"metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true}]},
            "status": {"conditions": [{"type": "Established", "status": "True"}]}});
        let registered = reg.register_crd(&crd);
        assert!(registered.is_ok(), "{registered:?}");
        let doc = document(&reg);
        assert_eq!(
            doc["definitions"]["com.example.v1.Widget"]["x-kubernetes-group-version-kind"][0]["group"],
            "example.com"
        );
    }
}
