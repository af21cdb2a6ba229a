//! The JSONPath subset that CRD `additionalPrinterColumns` use: `.a.b`, `['a.b']`, `[0]`, `[-1]`,
//! `[*]`, `..`-free filters `[?(@.type=="Ready")]` (`==`, `!=`, or bare existence `[?(@.x)]`).

use serde_json::Value;

/// One step of a parsed path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    Filter(Filter),
}

#[derive(Debug, Clone, PartialEq)]
struct Filter {
    path: Vec<Step>,
    /// `None` for an existence test.
    compare: Option<(Op, Value)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
}

/// A parsed JSONPath expression, e.g. `.status.conditions[?(@.type=="Ready")].status`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    steps: Vec<Step>,
}

/// Why a JSONPath expression could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unsupported JSONPath {path:?} at byte {at}: {reason}")]
pub struct JsonPathError {
    pub path: String,
    pub at: usize,
    pub reason: &'static str,
}

impl JsonPath {
    /// Parses `path`, with or without the `{...}` template braces.
    pub fn parse(path: &str) -> Result<Self, JsonPathError> {
        let trimmed = path.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or(trimmed);
        let mut parser = Parser {
            text: inner,
            pos: 0,
            source: path,
        };
        let steps = parser.steps(false)?;
        if parser.pos != inner.len() {
            return Err(parser.error("unexpected character"));
        }
        Ok(Self { steps })
    }

    /// Every value the path selects in `root`, in document order.
    pub fn find<'v>(&self, root: &'v Value) -> Vec<&'v Value> {
        select(&self.steps, root)
    }
}

fn select<'v>(steps: &[Step], root: &'v Value) -> Vec<&'v Value> {
    let mut current = vec![root];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            match step {
                Step::Field(name) => {
                    if let Some(found) = value.get(name.as_str()) {
                        next.push(found);
                    }
                }
                Step::Index(index) => {
                    if let Some(items) = value.as_array() {
                        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                        let at = if *index < 0 { len + index } else { *index };
                        if let Some(found) = usize::try_from(at).ok().and_then(|i| items.get(i)) {
                            next.push(found);
                        }
                    }
                }
                Step::Wildcard => match value {
                    Value::Array(items) => next.extend(items.iter()),
                    Value::Object(map) => next.extend(map.values()),
                    _ => {}
                },
                Step::Filter(filter) => {
                    if let Some(items) = value.as_array() {
                        next.extend(items.iter().filter(|item| filter.matches(item)));
                    }
                }
            }
        }
        current = next;
    }
    current
}

impl Filter {
    fn matches(&self, item: &Value) -> bool {
        let found = select(&self.path, item);
        match &self.compare {
            None => !found.is_empty(),
            Some((op, literal)) => {
                let equal = found
                    .first()
                    .is_some_and(|value| values_equal(value, literal));
                match op {
                    Op::Eq => equal,
                    Op::Ne => !found.is_empty() && !equal,
                }
            }
        }
    }
}

fn values_equal(left: &Value, right: &Value) -> bool {
    match (left.as_f64(), right.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => left == right,
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    source: &'a str,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> JsonPathError {
        JsonPathError {
            path: self.source.to_owned(),
            at: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, expected: &str) -> bool {
        if self.text[self.pos..].starts_with(expected) {
            self.pos += expected.len();
            true
        } else {
            false
        }
    }

    /// Steps until the end, or (inside a filter) until an operator or `)`.
    fn steps(&mut self, in_filter: bool) -> Result<Vec<Step>, JsonPathError> {
        let mut steps = Vec::new();
        while let Some(next) = self.peek() {
            match next {
                '.' => {
                    self.pos += 1;
                    if self.peek() == Some('.') {
                        return Err(self.error("recursive descent is not supported"));
                    }
                    if self.eat("*") {
                        steps.push(Step::Wildcard);
                    } else {
                        let name = self.identifier();
                        if name.is_empty() {
                            // A lone "." is the root itself.
                            if steps.is_empty() && self.peek().is_none() {
                                break;
                            }
                            if self.peek() == Some('[') {
                                continue;
                            }
                            return Err(self.error("empty field name"));
                        }
                        steps.push(Step::Field(name));
                    }
                }
                '[' => steps.push(self.bracket()?),
                _ if in_filter => break,
                _ => return Err(self.error("expected '.' or '['")),
            }
        }
        Ok(steps)
    }

    fn identifier(&mut self) -> String {
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '/'))
            .unwrap_or(rest.len());
        self.pos += len;
        rest[..len].to_owned()
    }

    fn bracket(&mut self) -> Result<Step, JsonPathError> {
        self.pos += 1; // '['
        let step = if self.eat("*") {
            Step::Wildcard
        } else if self.eat("?(") {
            let filter = self.filter()?;
            if !self.eat(")") {
                return Err(self.error("expected ')' closing the filter"));
            }
            Step::Filter(filter)
        } else if matches!(self.peek(), Some('\'' | '"')) {
            Step::Field(self.quoted()?)
        } else {
            let rest = &self.text[self.pos..];
            let len = rest.find(']').ok_or_else(|| self.error("missing ']'"))?;
            let index = rest[..len]
                .trim()
                .parse::<i64>()
                .map_err(|_| self.error("expected an index"))?;
            self.pos += len;
            Step::Index(index)
        };
        if !self.eat("]") {
            return Err(self.error("expected ']'"));
        }
        Ok(step)
    }

    fn quoted(&mut self) -> Result<String, JsonPathError> {
        let quote = self.peek().ok_or_else(|| self.error("expected a quote"))?;
        self.pos += 1;
        let rest = &self.text[self.pos..];
        let len = rest
            .find(quote)
            .ok_or_else(|| self.error("unterminated string"))?;
        self.pos += len + 1;
        Ok(rest[..len].to_owned())
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.pos += 1;
        }
    }

    fn filter(&mut self) -> Result<Filter, JsonPathError> {
        self.skip_spaces();
        if !self.eat("@") {
            return Err(self.error("a filter must start with '@'"));
        }
        let path = self.steps(true)?;
        self.skip_spaces();
        let op = if self.eat("==") {
            Op::Eq
        } else if self.eat("!=") {
            Op::Ne
        } else {
            return Ok(Filter {
                path,
                compare: None,
            });
        };
        self.skip_spaces();
        let literal = self.literal()?;
        self.skip_spaces();
        Ok(Filter {
            path,
            compare: Some((op, literal)),
        })
    }

    fn literal(&mut self) -> Result<Value, JsonPathError> {
        if matches!(self.peek(), Some('\'' | '"')) {
            return Ok(Value::String(self.quoted()?));
        }
        let rest = &self.text[self.pos..];
        let len = rest.find([')', ' ']).unwrap_or(rest.len());
        let token = &rest[..len];
        let value = match token {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "nil" | "null" => Value::Null,
            number => serde_json::from_str::<serde_json::Number>(number)
                .map(Value::Number)
                .map_err(|_| self.error("expected a string, number or boolean literal"))?,
        };
        self.pos += len;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn find(path: &str, doc: &Value) -> Vec<Value> {
        JsonPath::parse(path)
            .expect("path parses")
            .find(doc)
            .into_iter()
            .cloned()
            .collect()
    }

    #[test]
    fn selects_fields_indexes_wildcards_and_filters() {
        let doc = json!({
            "spec": {"x": 3, "dotted.key": "d"},
            "status": {"conditions": [
                {"type": "Synced", "status": "False", "message": "first"},
                {"type": "Ready", "status": "True", "message": "second"}
            ]}
        });
        assert_eq!(find(".spec.x", &doc), vec![json!(3)]);
        assert_eq!(find("{.spec.x}", &doc), vec![json!(3)]);
        assert_eq!(find(".spec['dotted.key']", &doc), vec![json!("d")]);
        assert_eq!(
            find(".status.conditions[0].message", &doc),
            vec![json!("first")]
        );
        assert_eq!(
            find(".status.conditions[-1].message", &doc),
            vec![json!("second")]
        );
        assert_eq!(
            find(".status.conditions[*].type", &doc),
            vec![json!("Synced"), json!("Ready")]
        );
        assert_eq!(
            find(r#".status.conditions[?(@.type=="Ready")].status"#, &doc),
            vec![json!("True")]
        );
        assert_eq!(
            find(".status.conditions[?(@.type == 'Synced')].message", &doc),
            vec![json!("first")]
        );
        assert_eq!(
            find(r#".status.conditions[?(@.type!="Ready")].type"#, &doc),
            vec![json!("Synced")]
        );
        assert_eq!(find(".status.conditions[?(@.message)].type", &doc).len(), 2);
        assert!(find(".status.missing[0]", &doc).is_empty());
        assert!(find(".status.conditions[5]", &doc).is_empty());
    }

    #[test]
    fn rejects_what_it_cannot_evaluate() {
        assert!(JsonPath::parse("..spec").is_err());
        assert!(JsonPath::parse(".a[").is_err());
        assert!(JsonPath::parse(".a[?(x==1)]").is_err());
        assert!(JsonPath::parse("spec").is_err());
    }
}
