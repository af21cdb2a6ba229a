//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, and `>`/`<` on integer
//! values) and field selectors (`metadata.name`, `metadata.namespace`, plus `type` for Secrets,
//! `status.phase` for Namespaces and any field of an Event) as list and watch filter them.

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectorError {
    #[error("unable to parse requirement: {requirement:?}")]
    ParseLabel { requirement: String },
    #[error("invalid field selector {requirement:?}: expected key=value or key!=value")]
    ParseField { requirement: String },
    #[error("field label not supported: {field}")]
    UnsupportedField { field: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
    Gt(i64),
    Lt(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LabelReq {
    key: String,
    op: LabelOp,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<LabelReq>);

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_set(rest: &str, requirement: &str) -> Result<Vec<String>, SelectorError> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| SelectorError::ParseLabel {
            requirement: requirement.into(),
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let err = || SelectorError::ParseLabel {
                requirement: part.into(),
            };
            let req = if let Some(key) = part.strip_prefix('!') {
                LabelReq {
                    key: key.trim().into(),
                    op: LabelOp::NotExists,
                }
            } else if let Some((k, v)) = part.split_once("!=") {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::NotEq(v.trim().into()),
                }
            } else if let Some((k, v)) = part.split_once("==") {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::Eq(v.trim().into()),
                }
            } else if let Some((k, v)) = part.split_once('=') {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::Eq(v.trim().into()),
                }
            } else if let Some((k, v)) = part.split_once('>') {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::Gt(v.trim().parse().map_err(|_| err())?),
                }
            } else if let Some((k, v)) = part.split_once('<') {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::Lt(v.trim().parse().map_err(|_| err())?),
                }
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::NotIn(parse_set(rest, part)?),
                }
            } else if let Some((k, rest)) = part.split_once(" in ") {
                LabelReq {
                    key: k.trim().into(),
                    op: LabelOp::In(parse_set(rest, part)?),
                }
            } else {
                LabelReq {
                    key: part.into(),
                    op: LabelOp::Exists,
                }
            };
            if !valid_key(&req.key) {
                return Err(err());
            }
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = crate::meta::labels(obj);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match &r.op {
            LabelOp::Eq(v) => get(&r.key) == Some(v.as_str()),
            LabelOp::NotEq(v) => get(&r.key) != Some(v.as_str()),
            LabelOp::In(vs) => get(&r.key).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelOp::NotIn(vs) => get(&r.key).is_none_or(|l| vs.iter().all(|v| v != l)),
            LabelOp::Exists => get(&r.key).is_some(),
            LabelOp::NotExists => get(&r.key).is_none(),
            LabelOp::Gt(n) => get(&r.key)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l > *n),
            LabelOp::Lt(n) => get(&r.key)
                .and_then(|l| l.parse::<i64>().ok())
                .is_some_and(|l| l < *n),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldReq {
    /// Where the value is read: the first path with a non-empty value, else `absent`.
    paths: Vec<Vec<String>>,
    absent: &'static str,
    value: String,
    negate: bool,
}

/// A parsed field selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<FieldReq>);

impl FieldSelector {
    /// Parses a field selector for a kind that supports `supported` (its strategy's):
    /// `metadata.name` and `metadata.namespace` everywhere, `type` for Secrets, the
    /// `involvedObject.*` fields, `reason`, `source` and `type` for Events, ...
    pub fn parse(s: &str, supported: crate::kinds::FieldSelectors) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, value, negate) = if let Some((k, v)) = part.split_once("!=") {
                (k, v, true)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, v, false)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, v, false)
            } else {
                return Err(SelectorError::ParseField {
                    requirement: part.into(),
                });
            };
            let field = field.trim();
            let Some(path) = supported.path(field) else {
                return Err(SelectorError::UnsupportedField {
                    field: field.into(),
                });
            };
            let paths = path
                .paths
                .iter()
                .map(|p| p.split('.').map(str::to_string).collect())
                .collect();
            reqs.push(FieldReq {
                paths,
                absent: path.absent,
                value: value.trim().into(),
                negate,
            });
        }
        Ok(FieldSelector(reqs))
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|r| {
            let read = |path: &Vec<String>| {
                path.iter()
                    .try_fold(obj, |v, p| v.get(p))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default()
            };
            let v = r
                .paths
                .iter()
                .map(read)
                .find(|v| !v.is_empty())
                .unwrap_or_else(|| r.absent.to_string());
            (v == r.value) != r.negate
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata":{"name":"x","namespace":"ns1","labels":labels}})
    }

    #[test]
    fn label_operators() {
        let o = obj(json!({"a":"b","env":"prod"}));
        for (sel, want) in [
            ("a=b", true),
            ("a==b", true),
            ("a!=b", false),
            ("a in (b, c)", true),
            ("a notin (b)", false),
            ("missing notin (b)", true),
            ("a", true),
            ("!a", false),
            ("!missing", true),
            ("a=b,env in (prod,dev)", true),
            ("a=b,env=dev", false),
            ("", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).expect(sel).matches(&o),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn integer_comparisons() {
        let o = obj(json!({"tier": "5", "name": "web"}));
        for (sel, want) in [
            ("tier>4", true),
            ("tier > 5", false),
            ("tier<6", true),
            ("tier<5", false),
            ("missing>0", false),
            ("name>0", false),
            ("tier>4,tier<6", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).expect(sel).matches(&o),
                want,
                "{sel}"
            );
        }
        assert!(LabelSelector::parse("tier>x").is_err());
    }

    #[test]
    fn namespace_phase_field() {
        let ns = json!({"metadata": {"name": "a"}, "status": {"phase": "Active"}});
        assert!(
            FieldSelector::parse(
                "status.phase=Active",
                crate::kinds::FieldSelectors::Only(&["status.phase"])
            )
            .expect("valid")
            .matches(&ns)
        );
        assert!(
            FieldSelector::parse(
                "status.phase=Active",
                crate::kinds::FieldSelectors::Only(&[])
            )
            .is_err()
        );
    }

    #[test]
    fn label_parse_errors() {
        assert!(LabelSelector::parse("a in b").is_err());
        assert!(LabelSelector::parse("a b").is_err());
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        assert!(
            FieldSelector::parse("metadata.name=x", crate::kinds::FieldSelectors::Only(&[]))
                .expect("valid")
                .matches(&o)
        );
        assert!(
            !FieldSelector::parse("metadata.name!=x", crate::kinds::FieldSelectors::Only(&[]))
                .expect("valid")
                .matches(&o)
        );
        assert!(
            FieldSelector::parse(
                "metadata.namespace==ns1",
                crate::kinds::FieldSelectors::Only(&[])
            )
            .expect("valid")
            .matches(&o)
        );
        assert!(matches!(
            FieldSelector::parse("spec.x=1", crate::kinds::FieldSelectors::Only(&[])),
            Err(SelectorError::UnsupportedField { .. })
        ));
        let ev = json!({"involvedObject": {"name": "web", "kind": "Deployment"},
            "source": {"component": "kubelet"}, "count": 2});
        let sel = "involvedObject.name=web,involvedObject.kind=Deployment,source=kubelet";
        assert!(
            FieldSelector::parse(sel, crate::kinds::EVENT_FIELDS)
                .expect("valid")
                .matches(&ev)
        );
        // Only the fields kube-apiserver's Event strategy makes selectable.
        assert!(matches!(
            FieldSelector::parse("count=2", crate::kinds::EVENT_FIELDS),
            Err(SelectorError::UnsupportedField { .. })
        ));
    }
}
