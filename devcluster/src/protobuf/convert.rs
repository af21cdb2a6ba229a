//! Protobuf messages to Kubernetes JSON: the field writer the generated conversions use
//! (`convert_gen.rs`), and the hand-written conversions of the types whose JSON form is their
//! own (Time, MicroTime, Duration, IntOrString, Quantity, embedded JSON, the CRD schema unions).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions_v1;
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta_v1;
use k8s_pb::apimachinery::pkg::runtime::RawExtension;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use super::ProtobufError;

/// A protobuf message with a Kubernetes JSON form. `Ok(None)` means the value prints as
/// nothing (a zero `metav1.Time`, which the JSON API writes as null) and its field is left out.
pub(crate) trait ToJson {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError>;
}

/// When an optional scalar field is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// A required Go field (no `omitempty`): printed whenever it is on the wire.
    Always,
    /// A Go pointer (`*int32`, `*bool`): on the wire only when set, so printed even when zero.
    Pointer,
    /// A Go `omitempty` value field: always on the wire, left out of JSON when zero.
    OmitEmpty,
}

/// Scalar protobuf values: string, bytes, integers, bool and double.
pub(super) trait Scalar {
    fn is_zero(&self) -> bool;
    fn to_value(&self) -> Value;
}

impl Scalar for String {
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Scalar for Vec<u8> {
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
    /// `[]byte` is standard base64 in JSON.
    fn to_value(&self) -> Value {
        Value::String(STANDARD.encode(self))
    }
}

impl Scalar for i32 {
    fn is_zero(&self) -> bool {
        *self == 0
    }
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
}

impl Scalar for i64 {
    fn is_zero(&self) -> bool {
        *self == 0
    }
    fn to_value(&self) -> Value {
        Value::from(*self)
    }
}

impl Scalar for bool {
    fn is_zero(&self) -> bool {
        !*self
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Scalar for f64 {
    fn is_zero(&self) -> bool {
        *self == 0.0
    }
    /// Go prints a whole float64 without a fraction (`3`, not `3.0`).
    fn to_value(&self) -> Value {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole float below is exact
        if self.fract() == 0.0 && self.abs() < EXACT {
            // In range and whole, so the conversion is exact.
            #[allow(clippy::cast_possible_truncation, reason = "whole and below 2^53")]
            return Value::from(*self as i64);
        }
        Number::from_f64(*self)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A JSON object under construction, one field at a time.
#[derive(Default)]
pub(super) struct Obj {
    fields: Map<String, Value>,
}

impl Obj {
    pub(super) fn finish(self) -> Value {
        Value::Object(self.fields)
    }

    fn put(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_owned(), value);
    }

    pub(super) fn scalar<T: Scalar>(&mut self, key: &str, value: &Option<T>, mode: Mode) {
        if let Some(value) = value
            && (mode != Mode::OmitEmpty || !value.is_zero())
        {
            self.put(key, value.to_value());
        }
    }

    pub(super) fn list<T: Scalar>(&mut self, key: &str, values: &[T]) {
        if !values.is_empty() {
            self.put(
                key,
                Value::Array(values.iter().map(Scalar::to_value).collect()),
            );
        }
    }

    pub(super) fn string_map(&mut self, key: &str, map: &BTreeMap<String, String>) {
        self.scalar_map(key, map);
    }

    pub(super) fn bytes_map(&mut self, key: &str, map: &BTreeMap<String, Vec<u8>>) {
        self.scalar_map(key, map);
    }

    fn scalar_map<T: Scalar>(&mut self, key: &str, map: &BTreeMap<String, T>) {
        if !map.is_empty() {
            let object = map.iter().map(|(k, v)| (k.clone(), v.to_value())).collect();
            self.put(key, Value::Object(object));
        }
    }

    pub(super) fn message<M: ToJson>(
        &mut self,
        key: &str,
        message: Option<&M>,
    ) -> Result<(), ProtobufError> {
        if let Some(value) = message.map(ToJson::to_json).transpose()?.flatten() {
            self.put(key, value);
        }
        Ok(())
    }

    pub(super) fn messages<M: ToJson>(
        &mut self,
        key: &str,
        messages: &[M],
    ) -> Result<(), ProtobufError> {
        if !messages.is_empty() {
            let values = messages
                .iter()
                .map(|m| Ok(m.to_json()?.unwrap_or(Value::Null)))
                .collect::<Result<Vec<_>, ProtobufError>>()?;
            self.put(key, Value::Array(values));
        }
        Ok(())
    }

    pub(super) fn message_map<M: ToJson>(
        &mut self,
        key: &str,
        map: &BTreeMap<String, M>,
    ) -> Result<(), ProtobufError> {
        if !map.is_empty() {
            let mut object = Map::new();
            for (k, m) in map {
                object.insert(k.clone(), m.to_json()?.unwrap_or(Value::Null));
            }
            self.put(key, Value::Object(object));
        }
        Ok(())
    }

    /// An embedded Go struct (`json:",inline"`): its fields join this object's.
    pub(super) fn inline<M: ToJson>(&mut self, message: Option<&M>) -> Result<(), ProtobufError> {
        if let Some(Value::Object(fields)) = message.map(ToJson::to_json).transpose()?.flatten() {
            self.fields.extend(fields);
        }
        Ok(())
    }
}

fn datetime(seconds: i64, nanos: i32) -> Result<OffsetDateTime, ProtobufError> {
    let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .map_err(|_| ProtobufError::Timestamp { seconds })
}

fn format_datetime(at: OffsetDateTime, micros: bool) -> Result<String, ProtobufError> {
    let seconds = at.unix_timestamp();
    let base = at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .map_err(|_| ProtobufError::Timestamp { seconds })?;
    if micros {
        Ok(format!("{base}.{:06}Z", at.microsecond()))
    } else {
        Ok(format!("{base}Z"))
    }
}

/// `metav1.Time`: RFC 3339 in UTC with whole seconds (the apiserver drops the nanoseconds);
/// an empty message is the zero time, which JSON prints as null.
impl ToJson for meta_v1::Time {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        if self.seconds.is_none() && self.nanos.is_none() {
            return Ok(None);
        }
        let at = datetime(self.seconds.unwrap_or(0), 0)?;
        Ok(Some(Value::String(format_datetime(at, false)?)))
    }
}

/// `metav1.MicroTime`: RFC 3339 in UTC with six fractional digits.
impl ToJson for meta_v1::MicroTime {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        if self.seconds.is_none() && self.nanos.is_none() {
            return Ok(None);
        }
        let at = datetime(self.seconds.unwrap_or(0), self.nanos.unwrap_or(0))?;
        Ok(Some(Value::String(format_datetime(at, true)?)))
    }
}

/// `metav1.Duration`: Go's `time.Duration.String()` ("1h0m0s", "1.5s", "300ms").
impl ToJson for meta_v1::Duration {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        Ok(Some(Value::String(go_duration(self.duration.unwrap_or(0)))))
    }
}

/// Go's `time.Duration.String()` for `nanos` nanoseconds.
pub(super) fn go_duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let abs = nanos.unsigned_abs();
    if abs == 0 {
        return "0s".to_owned();
    }
    if abs < 1_000_000_000 {
        // Below one second: the largest of ns, µs, ms that keeps a whole part.
        let (unit, scale) = match abs {
            0..1_000 => ("ns", 1),
            1_000..1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", fraction(abs, scale));
    }
    let hours = abs / 3_600_000_000_000;
    let minutes = abs / 60_000_000_000 % 60;
    let seconds = fraction(abs % 60_000_000_000, 1_000_000_000);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// `value / scale` with the fraction's trailing zeros trimmed ("1.5", "2").
fn fraction(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let rest = value % scale;
    if rest == 0 {
        return whole.to_string();
    }
    let digits = scale.ilog10() as usize;
    let text = format!("{rest:0digits$}");
    format!("{whole}.{}", text.trim_end_matches('0'))
}

/// `intstr.IntOrString`: a JSON number (type 0) or string (type 1).
impl ToJson for IntOrString {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        Ok(Some(match self.r#type {
            Some(1) => Value::String(self.str_val.clone().unwrap_or_default()),
            _ => Value::from(self.int_val.unwrap_or(0)),
        }))
    }
}

/// `resource.Quantity`: its canonical string.
impl ToJson for Quantity {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        Ok(Some(Value::String(
            self.string.clone().unwrap_or_else(|| "0".to_owned()),
        )))
    }
}

/// Raw JSON embedded in a message (RawExtension, FieldsV1, apiextensions JSON).
fn embedded_json(
    raw: Option<&Vec<u8>>,
    type_name: &'static str,
) -> Result<Option<Value>, ProtobufError> {
    match raw {
        None => Ok(None),
        Some(raw) if raw.is_empty() => Ok(None),
        Some(raw) => serde_json::from_slice(raw)
            .map(Some)
            .map_err(|source| ProtobufError::EmbeddedJson { type_name, source }),
    }
}

impl ToJson for RawExtension {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        embedded_json(self.raw.as_ref(), "RawExtension")
    }
}

impl ToJson for meta_v1::FieldsV1 {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        embedded_json(self.raw.as_ref(), "FieldsV1")
    }
}

impl ToJson for apiextensions_v1::Json {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        embedded_json(self.raw.as_ref(), "JSON")
    }
}

fn schema(props: Option<&apiextensions_v1::JsonSchemaProps>) -> Result<Value, ProtobufError> {
    Ok(props
        .map(ToJson::to_json)
        .transpose()?
        .flatten()
        .unwrap_or(Value::Null))
}

/// `JSONSchemaPropsOrArray`: the array of schemas when there is one, else the single schema.
impl ToJson for apiextensions_v1::JsonSchemaPropsOrArray {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        if self.j_son_schemas.is_empty() {
            return Ok(Some(schema(self.schema.as_deref())?));
        }
        let items = self
            .j_son_schemas
            .iter()
            .map(|s| schema(Some(s)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Value::Array(items)))
    }
}

/// `JSONSchemaPropsOrBool`: the schema when there is one, else the boolean.
impl ToJson for apiextensions_v1::JsonSchemaPropsOrBool {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        match self.schema.as_deref() {
            Some(props) => Ok(Some(schema(Some(props))?)),
            None => Ok(Some(Value::Bool(self.allows.unwrap_or(false)))),
        }
    }
}

/// `JSONSchemaPropsOrStringArray`: the property list when there is one, else the schema.
impl ToJson for apiextensions_v1::JsonSchemaPropsOrStringArray {
    fn to_json(&self) -> Result<Option<Value>, ProtobufError> {
        if !self.property.is_empty() {
            let names = self.property.iter().cloned().map(Value::String).collect();
            return Ok(Some(Value::Array(names)));
        }
        Ok(Some(schema(self.schema.as_ref())?))
    }
}
