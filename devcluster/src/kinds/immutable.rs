//! Fields that may not change once an object exists (`ValidateImmutableField`): an update that
//! changes one is a 422 Invalid whose cause names the field, reason `FieldValueInvalid`, message
//! `Invalid value: <new value>: field is immutable`. Go values are printed as `%#v` would, best
//! effort; tools decide on the cause's field and reason, never on that text.

use crate::status::Cause;
use serde_json::Value;

/// One immutable field.
#[derive(Debug, Clone, Copy)]
pub struct Immutable {
    /// The field path as kube-apiserver names it in causes (`spec.selector`).
    pub field: &'static str,
    /// How the value is shown in the message.
    pub show: Show,
}

/// How a field's value is printed in the cause message.
#[derive(Debug, Clone, Copy)]
pub enum Show {
    /// A Go scalar (`"standard"`, `5`).
    Scalar,
    /// A `metav1.LabelSelector` as `v1.LabelSelector{MatchLabels:..., MatchExpressions:...}`.
    LabelSelector,
    /// A struct of the named Go type, printed as `core.PodTemplateSpec{...}` (contents elided).
    Struct(&'static str),
}

impl Immutable {
    pub const fn scalar(field: &'static str) -> Self {
        Immutable {
            field,
            show: Show::Scalar,
        }
    }

    pub const fn selector(field: &'static str) -> Self {
        Immutable {
            field,
            show: Show::LabelSelector,
        }
    }

    pub const fn structure(field: &'static str, go_type: &'static str) -> Self {
        Immutable {
            field,
            show: Show::Struct(go_type),
        }
    }

    fn value<'v>(&self, obj: &'v Value) -> Option<&'v Value> {
        self.field
            .split('.')
            .try_fold(obj, |v, k| v.get(k))
            .filter(|v| !v.is_null())
    }

    fn shown(&self, v: Option<&Value>) -> String {
        match (self.show, v) {
            (Show::LabelSelector, Some(v)) => super::pod_template::go_label_selector(v),
            (Show::LabelSelector, None) => "(*v1.LabelSelector)(nil)".into(),
            (Show::Struct(t), _) => format!("{t}{{...}}"),
            (Show::Scalar, None) => "\"\"".into(),
            (Show::Scalar, Some(Value::String(s))) => format!("{s:?}"),
            (Show::Scalar, Some(v)) => v.to_string(),
        }
    }
}

/// The causes for every field of `fields` that differs between `old` and `new` (absent and null
/// are the same).
pub fn check(fields: &[Immutable], old: &Value, new: &Value) -> Vec<Cause> {
    fields
        .iter()
        .filter(|f| f.value(old) != f.value(new))
        .map(|f| Cause {
            reason: crate::status::CauseType::FieldValueInvalid,
            message: format!(
                "Invalid value: {}: field is immutable",
                f.shown(f.value(new))
            ),
            field: f.field.into(),
        })
        .collect()
}

/// A spec that may change only in some places (`ValidatePodUpdate`, StatefulSet and PVC
/// updates): when the two specs differ once `mutable` has removed those places from both, the
/// one `spec: Forbidden: <why>` cause kube-apiserver answers.
pub fn spec_forbidden(
    old: &Value,
    new: &Value,
    mutable: impl Fn(&mut serde_json::Map<String, Value>),
    why: &str,
) -> Vec<Cause> {
    let fixed = |o: &Value| {
        let mut spec = o.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(m) = spec.as_object_mut() {
            mutable(m);
        }
        spec
    };
    if fixed(old) == fixed(new) {
        return Vec::new();
    }
    vec![Cause {
        reason: crate::status::CauseType::FieldValueForbidden,
        message: format!("Forbidden: {why}"),
        field: "spec".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_field_is_one_cause() {
        let fields = [
            Immutable::selector("spec.selector"),
            Immutable::structure("spec.template", "core.PodTemplateSpec"),
        ];
        let old = json!({"spec": {"selector": {"matchLabels": {"a": "1"}}, "template": {"x": 1}}});
        assert!(check(&fields, &old, &old).is_empty());
        let mut new = old.clone();
        new["spec"]["template"]["x"] = json!(2);
        let causes = check(&fields, &old, &new);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.template");
        assert_eq!(
            causes[0].message,
            "Invalid value: core.PodTemplateSpec{...}: field is immutable"
        );
        let scalar = [Immutable::scalar("spec.storageClassName")];
        let causes = check(
            &scalar,
            &json!({"spec": {"storageClassName": "a"}}),
            &json!({"spec": {"storageClassName": "b"}}),
        );
        assert_eq!(
            causes[0].message,
            "Invalid value: \"b\": field is immutable"
        );
        assert!(
            check(
                &scalar,
                &json!({}),
                &json!({"spec": {"storageClassName": null}})
            )
            .is_empty()
        );
    }
}
