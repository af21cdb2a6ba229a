//! Streams of YAML or JSON documents, in and out.
//!
//! Input that starts with `{` or `[` is read as a stream of JSON values (concatenated, as kubectl
//! and kubeseal write them); anything else as YAML documents separated by `---`, with
//! kubectl-compatible YAML 1.1 octals. Only `true` and `false` are booleans: kubectl reads
//! `namespace: n` or `name: yes` into string fields as text, and so must we. Parse errors report a position only: the offending text
//! may be a secret value, so it is never quoted.

use serde::Serialize;
use serde_json::Value;

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// YAML, each document prefixed with `---`.
    #[default]
    Yaml,
    /// Pretty-printed JSON, one value after another.
    Json,
}

impl Format {
    /// The format a file name implies: `.json` is JSON, `.yaml`/`.yml` is YAML.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    /// The format the text looks like: JSON if it starts with `{` or `[`, else YAML.
    pub fn sniff(text: &str) -> Format {
        match text.trim_start().chars().next() {
            Some('{' | '[') => Format::Json,
            _ => Format::Yaml,
        }
    }
}

/// Why a stream could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The YAML is not well formed.
    #[error("{}{}", yaml_problem(.duplicate_key.as_deref()), position(*.line, *.column))]
    Yaml {
        /// 1-based line, if known.
        line: Option<u64>,
        /// 1-based column, if known.
        column: Option<u64>,
        /// The key, when the problem is a key that appears twice in one mapping. Keys are names,
        /// never values, so this is safe to show.
        duplicate_key: Option<String>,
    },
    /// A JSON object holds the same key twice (see [`check_json_duplicates`]).
    #[error("duplicate key {key:?}{}", position(Some(*.line as u64), Some(*.column as u64)))]
    JsonDuplicateKey {
        /// The key.
        key: String,
        /// 1-based line, where the object that holds it ends or the parser stopped.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The JSON is not well formed.
    #[error("malformed JSON{}", position(Some(*.line as u64), Some(*.column as u64)))]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A `List` whose `items` is not an array.
    #[error("document {index} is a List whose items is not an array")]
    ListItemsNotArray {
        /// 1-based number of the top-level document.
        index: usize,
    },
    /// A value could not be written as YAML.
    #[error("could not write YAML")]
    WriteYaml {
        /// The serializer's complaint.
        #[source]
        source: serde_saphyr::SerializeError,
    },
    /// A value could not be written as JSON.
    #[error("could not write JSON")]
    WriteJson {
        /// The serializer's complaint.
        #[source]
        source: serde_json::Error,
    },
}

fn yaml_problem(duplicate_key: Option<&str>) -> String {
    match duplicate_key {
        Some(key) => format!("duplicate key {key:?} in a YAML mapping"),
        None => "malformed YAML".to_owned(),
    }
}

fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// One document of a stream, with its place in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based position of the top-level document among those the stream yields (an empty
    /// document the parser yields as null counts), so that an error can name it; a `List`'s
    /// items keep their List's.
    pub index: usize,
    /// The parsed value.
    pub value: Value,
}

/// Parses every document of a YAML or JSON stream. Empty documents are skipped, and a stream
/// with none gives none: whether that is an error is the caller's policy (the CLI refuses it,
/// the Git reconciler decides what an empty render means).
pub fn parse_documents(text: &str) -> Result<Vec<Document>, DocError> {
    let docs = match Format::sniff(text) {
        Format::Json => parse_json(text)?,
        Format::Yaml => parse_yaml(text)?,
    };
    Ok(docs
        .into_iter()
        .enumerate()
        .filter(|(_, d)| !d.is_null())
        .map(|(i, value)| Document {
            index: i + 1,
            value,
        })
        .collect())
}

fn parse_json(text: &str) -> Result<Vec<Value>, DocError> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|e| DocError::Json {
            line: e.line(),
            column: e.column(),
        })
}

fn parse_yaml(text: &str) -> Result<Vec<Value>, DocError> {
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_multiple_with_options::<Value>(text, options).map_err(|e| {
        let location = e.location();
        let duplicate_key = match e.without_snippet() {
            serde_saphyr::Error::DuplicateMappingKey { key, .. } => key.clone(),
            _ => None,
        };
        DocError::Yaml {
            line: location.map(|l| l.line()),
            column: location.map(|l| l.column()),
            duplicate_key,
        }
    })
}

/// Fails on the first JSON object that holds a key twice, naming the key. JSON parsers keep the
/// last value silently (so [`parse_documents`] does too), but kubectl refuses such an object
/// (strict field validation), so a tool that writes what it read should say so first. Text that
/// is not JSON passes: YAML duplicates are already errors of [`parse_documents`].
pub fn check_json_duplicates(text: &str) -> Result<(), DocError> {
    if Format::sniff(text) != Format::Json {
        return Ok(());
    }
    let found = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    for _ in parse_json(text)? {
        if let Err(e) = serde::de::DeserializeSeed::deserialize(DuplicateSeed(&found), &mut de) {
            return Err(match found.take() {
                Some(key) => DocError::JsonDuplicateKey {
                    key,
                    line: e.line(),
                    column: e.column(),
                },
                None => DocError::Json {
                    line: e.line(),
                    column: e.column(),
                },
            });
        }
    }
    Ok(())
}

/// Walks one JSON value, recording the first key an object repeats.
#[derive(Clone, Copy)]
struct DuplicateSeed<'a>(&'a std::cell::RefCell<Option<String>>);

impl<'de> serde::de::DeserializeSeed<'de> for DuplicateSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DuplicateSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                *self.0.borrow_mut() = Some(key);
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// Replaces each `kind: List` document by its items, as kubectl reads `kubectl get -o yaml`. A
/// List with `items` missing or empty adds nothing; `items` that is not an array is an error.
pub fn flatten_lists(documents: Vec<Document>) -> Result<Vec<Document>, DocError> {
    let mut out = Vec::new();
    for doc in documents {
        flatten_into(doc.value, doc.index, &mut out)?;
    }
    Ok(out)
}

fn flatten_into(doc: Value, index: usize, out: &mut Vec<Document>) -> Result<(), DocError> {
    let is_list = doc.get("kind").and_then(Value::as_str) == Some("List");
    match (is_list, doc) {
        (true, Value::Object(mut map)) => match map.remove("items") {
            Some(Value::Array(items)) => items
                .into_iter()
                .try_for_each(|item| flatten_into(item, index, out)),
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(DocError::ListItemsNotArray { index }),
        },
        (_, value) => {
            out.push(Document { index, value });
            Ok(())
        }
    }
}

/// Writes one document: YAML starts with `---`, JSON is pretty-printed; both end in a newline.
pub fn render<T: Serialize>(value: &T, format: Format) -> Result<String, DocError> {
    match format {
        Format::Yaml => {
            let mut options = serde_saphyr::SerializerOptions::default();
            // Sealed values are long base64 strings: keep them plain scalars, never folded.
            options.prefer_block_scalars = false;
            let body = serde_saphyr::to_string_with_options(value, options)
                .map_err(|source| DocError::WriteYaml { source })?;
            Ok(format!("---\n{body}"))
        }
        Format::Json => {
            let mut body = serde_json::to_string_pretty(value)
                .map_err(|source| DocError::WriteJson { source })?;
            body.push('\n');
            Ok(body)
        }
    }
}

/// Writes several documents one after the other.
pub fn render_all<T: Serialize>(values: &[T], format: Format) -> Result<String, DocError> {
    values.iter().map(|v| render(v, format)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(docs: Vec<Document>) -> Vec<Value> {
        docs.into_iter().map(|d| d.value).collect()
    }

    fn docs(values: Vec<Value>) -> Vec<Document> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, value)| Document {
                index: i + 1,
                value,
            })
            .collect()
    }

    #[test]
    fn yaml_streams_skip_empty_documents_and_read_octals() {
        let docs =
            parse_documents("---\n# only a comment\n---\na: 0644\n---\nb: yes\nc: n\nd: true\n")
                .unwrap();
        let indices: Vec<usize> = docs.iter().map(|d| d.index).collect();
        assert_eq!(
            indices,
            [1, 2],
            "positions of the documents the stream yields"
        );
        assert_eq!(
            values(docs),
            vec![json!({"a": 420}), json!({"b": "yes", "c": "n", "d": true})]
        );
    }

    #[test]
    fn duplicate_keys_are_named_in_yaml_and_json() {
        let err = parse_documents("kind: Secret\nstringData:\n  password: a\n  password: b\n")
            .unwrap_err();
        assert!(
            matches!(&err, DocError::Yaml { duplicate_key: Some(k), line: Some(4), .. } if k == "password"),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with("duplicate key \"password\""),
            "{err}"
        );
        let json = "{\"a\": 1}\n{\"kind\": \"Secret\", \"stringData\": {\"token\": \"x\", \"token\": \"y\"}}";
        assert_eq!(
            parse_documents(json).unwrap().len(),
            2,
            "the parser keeps the last"
        );
        let err = check_json_duplicates(json).unwrap_err();
        assert!(
            matches!(&err, DocError::JsonDuplicateKey { key, line: 2, .. } if key == "token"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("\"y\""), "never a value: {err}");
        assert!(check_json_duplicates("{\"a\": {\"b\": 1}, \"b\": [{\"a\": 2}]}").is_ok());
        assert!(check_json_duplicates("a: 1\n").is_ok());
    }

    #[test]
    fn json_streams_are_concatenated_values() {
        let docs = parse_documents("{\"a\": 1}\n{\"b\": 2}").unwrap();
        assert_eq!(values(docs), vec![json!({"a": 1}), json!({"b": 2})]);
    }

    /// Whether no document is an error is the caller's policy, not the reader's.
    #[test]
    fn an_empty_stream_is_no_documents() {
        assert!(parse_documents("# nothing\n").unwrap().is_empty());
        assert!(parse_documents("").unwrap().is_empty());
    }

    #[test]
    fn syntax_errors_give_a_position_and_never_the_text() {
        let err = parse_documents("a: 1\nb: [hunter2\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("malformed YAML"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let err = parse_documents("{\"password\": hunter2}").unwrap_err();
        assert!(matches!(err, DocError::Json { line: 1, .. }), "{err}");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn render_round_trips_long_strings_in_both_formats() {
        let long = "A".repeat(700) + "==";
        let value = json!({"k": long, "yes": "yes", "n": "0755"});
        for format in [Format::Yaml, Format::Json] {
            let text = render(&value, format).unwrap();
            assert_eq!(values(parse_documents(&text).unwrap()), vec![value.clone()]);
        }
        let yaml = render(&value, Format::Yaml).unwrap();
        assert!(yaml.starts_with("---\n"));
        assert!(yaml.contains(&format!("k: {long}\n")), "{yaml}");
    }

    #[test]
    fn lists_flatten_into_their_items() {
        let input = docs(vec![
            json!({"kind": "List", "items": [{"kind": "A"}, {"kind": "List", "items": [{"kind": "B"}]}]}),
            json!({"kind": "C"}),
        ]);
        let flat = flatten_lists(input).unwrap();
        let kinds: Vec<(&str, usize)> = flat
            .iter()
            .map(|d| (d.value["kind"].as_str().unwrap(), d.index))
            .collect();
        assert_eq!(kinds, [("A", 1), ("B", 1), ("C", 2)]);
    }

    #[test]
    fn lists_with_no_items_add_nothing_and_bad_items_are_errors() {
        for input in [
            vec![json!({"kind": "List", "items": []})],
            vec![json!({"kind": "List"})],
            vec![json!({"kind": "List", "items": null})],
            vec![
                json!({"kind": "List", "items": []}),
                json!({"kind": "List", "items": [{"kind": "List", "items": []}]}),
            ],
        ] {
            assert!(
                flatten_lists(docs(input.clone())).unwrap().is_empty(),
                "{input:?}"
            );
        }
        for items in [json!({"kind": "Secret"}), json!("x"), json!(3)] {
            let input = docs(vec![
                json!({"kind": "A"}),
                json!({"kind": "List", "items": items}),
            ]);
            assert!(matches!(
                flatten_lists(input),
                Err(DocError::ListItemsNotArray { index: 2 })
            ));
        }
        let one = docs(vec![
            json!({"kind": "List", "items": []}),
            json!({"kind": "A"}),
        ]);
        assert_eq!(flatten_lists(one).unwrap().len(), 1);
    }

    #[test]
    fn format_from_extension() {
        use std::path::Path;
        assert_eq!(
            Format::from_extension(Path::new("a.json")),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_extension(Path::new("a.YML")),
            Some(Format::Yaml)
        );
        assert_eq!(Format::from_extension(Path::new("a.txt")), None);
    }
}
