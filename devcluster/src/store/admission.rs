//! Admission: the rules every kind shares (ObjectMeta: label and annotation keys, owner
//! references, finalizers), then the kind's own strategy (`kinds`): its defaults, validation and
//! immutable fields. A 422 Invalid carries one cause per problem, as kube-apiserver's does.

use crate::meta;
use crate::registry::ResourceType;
use crate::status::{ApiError, Cause};
use serde_json::Value;

/// Defaulting, as when a request body is decoded: before the writer's fields are recorded.
pub(super) fn defaults(rt: &ResourceType, obj: &mut Value, old: Option<&Value>) {
    if let Some(s) = rt.strategy {
        (s.defaults)(obj, old);
    }
}

/// The strategy's preparation and checks for a new object (metadata filled in, defaults and
/// the writer's fields recorded).
pub(super) fn on_create(rt: &ResourceType, obj: &mut Value) -> Result<(), ApiError> {
    if let Some(s) = rt.strategy {
        (s.prepare)(obj, None);
    }
    let mut causes = super::validate::metadata(obj);
    if let Some(s) = rt.strategy {
        causes.extend((s.validate)(obj));
    }
    invalid_unless_empty(rt, obj, causes)
}

/// The strategy's preparation and checks for an update of `old` into `new`.
pub(super) fn on_update(rt: &ResourceType, old: &Value, new: &mut Value) -> Result<(), ApiError> {
    if let Some(s) = rt.strategy {
        (s.prepare)(new, Some(old));
    }
    let mut causes = super::validate::metadata(new);
    causes.extend(super::validate::metadata_update(old, new));
    if let Some(s) = rt.strategy {
        causes.extend((s.validate)(new));
        causes.extend(crate::kinds::immutable::check(s.immutable, old, new));
        causes.extend((s.validate_update)(old, new));
    }
    invalid_unless_empty(rt, new, causes)
}

/// A 422 Invalid naming `obj` when any cause was found.
fn invalid_unless_empty(
    rt: &ResourceType,
    obj: &Value,
    causes: Vec<Cause>,
) -> Result<(), ApiError> {
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            meta::name(obj),
            causes,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;
    use serde_json::json;

    fn rt(group: &str, plural: &str) -> std::sync::Arc<ResourceType> {
        Registry::with_builtins()
            .lookup(group, "v1", plural)
            .expect("built-in")
    }

    #[test]
    fn secret_string_data_becomes_data() {
        let mut s = json!({"metadata":{"name":"s"},"stringData":{"a":"hello"}});
        defaults(&rt("", "secrets"), &mut s, None);
        on_create(&rt("", "secrets"), &mut s).expect("valid");
        assert_eq!(s["data"]["a"], "aGVsbG8=");
        assert_eq!(s["type"], "Opaque");
    }

    #[test]
    fn immutable_configmap_rejects_data_change() {
        let old = json!({"metadata":{"name":"c"},"immutable":true,"data":{"a":"1"}});
        let mut same = old.clone();
        assert!(on_update(&rt("", "configmaps"), &old, &mut same).is_ok());
        let mut changed = json!({"metadata":{"name":"c"},"immutable":true,"data":{"a":"2"}});
        let err = on_update(&rt("", "configmaps"), &old, &mut changed).expect_err("immutable");
        assert_eq!(err.code, 422);
        assert_eq!(err.to_status()["details"]["causes"][0]["field"], "data");
    }

    #[test]
    fn a_jobs_template_is_immutable() {
        let job = |image: &str| {
            json!({"metadata": {"name": "j", "uid": "u1"}, "spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "a", "image": image}]}}}})
        };
        let jobs = Registry::with_builtins()
            .lookup("batch", "v1", "jobs")
            .expect("built-in");
        let mut old = job("x:1");
        defaults(&jobs, &mut old, None);
        on_create(&jobs, &mut old).expect("valid job");
        assert_eq!(
            old["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u1"
        );
        let mut new = old.clone();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x:2");
        let err = on_update(&jobs, &old, &mut new).expect_err("immutable template");
        let status = err.to_status();
        assert_eq!(status["details"]["causes"][0]["field"], "spec.template");
        assert_eq!(
            status["details"]["causes"][0]["reason"],
            "FieldValueInvalid"
        );
    }
}
