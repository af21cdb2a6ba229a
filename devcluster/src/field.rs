//! The field errors of kube's `apimachinery/pkg/util/validation/field`, as the causes of a 422:
//! each constructor builds the message `field.Error.ErrorBody` would (`Required value: ...`,
//! `Unsupported value: "x": supported values: "a", "b"`). Values are printed as Go's `%#v`
//! would, by the caller, best effort.

use crate::status::{Cause, CauseType};

/// `field.Invalid`: `Invalid value: <value>: <why>`; `value` is already printed as Go would.
pub(crate) fn invalid(field: &str, value: String, why: &str) -> Cause {
    Cause {
        reason: CauseType::FieldValueInvalid,
        message: format!("Invalid value: {value}: {why}"),
        field: field.into(),
    }
}

/// `field.Forbidden`: `Forbidden: <detail>`.
pub(crate) fn forbidden(field: &str, detail: &str) -> Cause {
    Cause {
        reason: CauseType::FieldValueForbidden,
        message: format!("Forbidden: {detail}"),
        field: field.into(),
    }
}

/// `field.Required`: `Required value`, then `: <detail>` when there is one.
pub(crate) fn required(field: &str, detail: &str) -> Cause {
    Cause {
        reason: CauseType::FieldValueRequired,
        message: with_detail("Required value", detail),
        field: field.into(),
    }
}

/// `field.NotSupported` of a string value: `Unsupported value: "x": supported values: "a", "b"`.
pub(crate) fn not_supported(field: &str, value: &str, supported: &[&str]) -> Cause {
    let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
    Cause {
        reason: CauseType::FieldValueNotSupported,
        message: format!(
            "Unsupported value: {value:?}: supported values: {}",
            quoted.join(", ")
        ),
        field: field.into(),
    }
}

/// `field.NotFound` of a string value: `Not found: "x"`.
pub(crate) fn not_found(field: &str, value: &str) -> Cause {
    Cause {
        reason: CauseType::FieldValueNotFound,
        message: format!("Not found: {value:?}"),
        field: field.into(),
    }
}

/// `field.Duplicate` of a string value: `Duplicate value: "x"`.
pub(crate) fn duplicate(field: &str, value: &str) -> Cause {
    Cause {
        reason: CauseType::FieldValueDuplicate,
        message: format!("Duplicate value: {value:?}"),
        field: field.into(),
    }
}

fn with_detail(head: &str, detail: &str) -> String {
    if detail.is_empty() {
        head.to_string()
    } else {
        format!("{head}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_kubes() {
        assert_eq!(required("a", "").message, "Required value");
        assert_eq!(
            required("a", "must be set").message,
            "Required value: must be set"
        );
        assert_eq!(
            not_supported("a", "Foo", &["Ingress", "Egress"]).message,
            "Unsupported value: \"Foo\": supported values: \"Ingress\", \"Egress\""
        );
        assert_eq!(not_found("a", "data").message, "Not found: \"data\"");
        assert_eq!(duplicate("a", "http").message, "Duplicate value: \"http\"");
    }
}
