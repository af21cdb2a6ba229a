//! `meta.k8s.io/v1` Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the
//! columns kube-apiserver's printers give the built-in resources, CRD printer columns, and the
//! Table document with one row per object.

mod age;
pub mod builtin;
mod jsonpath;
mod kind_printers;
mod printers;

use std::time::SystemTime;

use serde_json::{Map, Value, json};

pub use jsonpath::JsonPath;

/// `metav1.ObjectMeta` swagger text for `name`, as the real column definitions carry it.
const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
/// `metav1.ObjectMeta` swagger text for `creationTimestamp`.
const CREATION_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// How a column's cell is computed from an object.
#[derive(Debug, Clone)]
pub enum Cell {
    /// `metadata.name`.
    Name,
    /// The age of `metadata.creationTimestamp` ("5m30s", "3h", "10d").
    Age,
    /// A built-in printer's cell, computed from the object's JSON at `now`.
    Builtin(fn(&Value, SystemTime) -> Value),
    /// A CRD printer column: the first JSONPath result, rendered for the column type
    /// (`string`, `integer`, `number`, `boolean`, or `date`, shown as an age).
    /// `None` when the path could not be parsed: every cell is then empty (null).
    JsonPath(Option<JsonPath>),
}

/// One Table column: its `columnDefinitions` entry plus how to compute its cells.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
    pub cell: Cell,
}

impl Column {
    fn new(name: &str, type_: &str, description: &str, cell: Cell) -> Self {
        Self {
            name: name.to_owned(),
            type_: type_.to_owned(),
            format: String::new(),
            description: description.to_owned(),
            priority: 0,
            cell,
        }
    }

    fn name() -> Self {
        Self {
            format: "name".to_owned(),
            ..Self::new("Name", "string", NAME_DESCRIPTION, Cell::Name)
        }
    }

    fn age() -> Self {
        Self::new("Age", "string", CREATION_DESCRIPTION, Cell::Age)
    }

    fn builtin(name: &str, description: &str, cell: fn(&Value, SystemTime) -> Value) -> Self {
        Self::new(name, "string", description, Cell::Builtin(cell))
    }

    fn wide(self) -> Self {
        Self {
            priority: 1,
            ..self
        }
    }

    /// The `columnDefinitions` entry.
    fn definition(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }

    /// This column's cell for `object`.
    fn cell(&self, object: &Value, now: SystemTime) -> Value {
        match &self.cell {
            Cell::Name => json!(
                object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            Cell::Age => json!(age::age_since(
                object
                    .pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str),
                now
            )),
            Cell::Builtin(compute) => compute(object, now),
            Cell::JsonPath(None) => Value::Null,
            Cell::JsonPath(Some(path)) => match path.find(object).first() {
                Some(value) => json_cell(&self.type_, value, now),
                None => Value::Null,
            },
        }
    }
}

/// `cellForJSONValue` of the CRD table convertor (plus its `string` case, printed as Go's
/// `fmt.Print` would): a value of the wrong type for the column gives an empty (null) cell.
fn json_cell(type_: &str, value: &Value, now: SystemTime) -> Value {
    match (type_, value) {
        (_, Value::Null) => Value::Null,
        ("string", value) => json!(go_print(value)),
        ("integer", Value::Number(n)) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_f64().map(|f| json!(f.trunc() as i64)))
            .unwrap_or(Value::Null),
        ("number", Value::Number(n)) => n.as_f64().map(Value::from).unwrap_or(Value::Null),
        ("boolean", Value::Bool(b)) => json!(b),
        ("date", Value::String(text)) => match age::parse_timestamp(text) {
            Some(_) => json!(age::age_since(Some(text), now)),
            None => json!("<invalid>"),
        },
        _ => Value::Null,
    }
}

/// A JSON value as Go's `fmt.Print` shows the decoded `interface{}`.
fn go_print(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::String(text) => text.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_print).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_print(&map[k.as_str()])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// The columns `kubectl get` shows on a real cluster for a built-in resource (plural name +
/// group; the core group is ""): its strategy's. Unknown resources get what kube-apiserver's
/// default table convertor gives: Name and Created At.
pub fn builtin_columns(group: &str, resource: &str) -> Vec<Column> {
    crate::kinds::by_resource(group, resource)
        .map_or_else(builtin::name_created_at, |s| (s.columns)())
}

/// Columns for a custom resource from its CRD version's `additionalPrinterColumns` (the JSON
/// array, or None): Name first, then the printer columns (JSONPath cells); with none, Name + Age
/// (a `date` column on `.metadata.creationTimestamp`, as apiextensions-apiserver adds).
pub fn crd_columns(printer_columns: Option<&Value>) -> Vec<Column> {
    let declared: &[Value] = printer_columns
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut columns = vec![Column::name()];
    if declared.is_empty() {
        columns.push(Column::new(
            "Age",
            "date",
            CREATION_DESCRIPTION,
            Cell::JsonPath(JsonPath::parse(".metadata.creationTimestamp").ok()),
        ));
        return columns;
    }
    for column in declared {
        let field = |key: &str| column.get(key).and_then(Value::as_str).unwrap_or("");
        let path = field("jsonPath");
        let description = match field("description") {
            "" => format!("Custom resource definition column (in JSONPath format): {path}"),
            text => text.to_owned(),
        };
        columns.push(Column {
            name: field("name").to_owned(),
            type_: field("type").to_owned(),
            format: field("format").to_owned(),
            description,
            priority: column
                .get("priority")
                .and_then(Value::as_i64)
                .and_then(|p| i32::try_from(p).ok())
                .unwrap_or(0),
            cell: Cell::JsonPath(JsonPath::parse(path).ok()),
        });
    }
    columns
}

/// `rows[].object`: the object's metadata (without managedFields) as a PartialObjectMetadata.
fn partial_object_metadata(object: &Value) -> Value {
    let mut metadata = object
        .get("metadata")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_else(Map::new);
    metadata.remove("managedFields");
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
    })
}

/// A full `meta.k8s.io/v1` Table: columnDefinitions (left out when `include_headers` is false,
/// as watch events after the first do), one row per object with `cells` and `object` =
/// PartialObjectMetadata, and `metadata.resourceVersion` = `resource_version`. Ages are
/// relative to `now`.
pub fn to_table(
    columns: &[Column],
    objects: &[&Value],
    resource_version: &str,
    include_headers: bool,
    now: SystemTime,
) -> Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let cells: Vec<Value> = columns
                .iter()
                .map(|column| column.cell(object, now))
                .collect();
            json!({"cells": cells, "object": partial_object_metadata(object)})
        })
        .collect();
    let mut table = Map::new();
    table.insert("kind".to_owned(), json!("Table"));
    table.insert("apiVersion".to_owned(), json!("meta.k8s.io/v1"));
    table.insert(
        "metadata".to_owned(),
        json!({"resourceVersion": resource_version}),
    );
    if include_headers {
        let definitions: Vec<Value> = columns.iter().map(Column::definition).collect();
        table.insert("columnDefinitions".to_owned(), Value::Array(definitions));
    }
    table.insert("rows".to_owned(), Value::Array(rows));
    Value::Object(table)
}

#[cfg(test)]
mod tests;
