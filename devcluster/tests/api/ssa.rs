//! Server-side apply through kube::Client.

use crate::*;
#[tokio::test]
async fn server_side_apply_removes_dropped_fields_and_keeps_others() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let apply = |data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": data});
    let pp = PatchParams::apply("m1");
    api.patch("s", &pp, &Patch::Apply(apply(json!({"a": "1", "b": "2"}))))
        .await
        .expect("apply");
    api.patch(
        "s",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"c": "3"}})),
    )
    .await
    .expect("other writer");
    let after = api
        .patch("s", &pp, &Patch::Apply(apply(json!({"a": "1"}))))
        .await
        .expect("apply again");
    let data = after.data.unwrap_or_default();
    assert_eq!(data.get("a").map(String::as_str), Some("1"));
    assert!(!data.contains_key("b"), "dropped field stays: {data:?}");
    assert_eq!(
        data.get("c").map(String::as_str),
        Some("3"),
        "another manager's field was removed"
    );
    let managers: Vec<String> = after
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(managers.contains(&"m1".to_string()), "{managers:?}");
}

#[tokio::test]
async fn server_side_apply_conflicts_without_force() {
    let (_c, client) = start().await;
    let api: Api<ConfigMap> = Api::default_namespaced(client);
    let apply = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": v}});
    api.patch("c", &PatchParams::apply("first"), &Patch::Apply(apply("1")))
        .await
        .expect("apply");
    let err = api
        .patch(
            "c",
            &PatchParams::apply("second"),
            &Patch::Apply(apply("2")),
        )
        .await
        .expect_err("conflict");
    assert_eq!(code(&err), (409, "Conflict".into()));
    assert!(err.to_string().contains("conflict with \"first\""), "{err}");
    let forced = api
        .patch(
            "c",
            &PatchParams::apply("second").force(),
            &Patch::Apply(apply("2")),
        )
        .await
        .expect("forced apply");
    assert_eq!(
        forced.data.unwrap_or_default().get("a").map(String::as_str),
        Some("2")
    );
    let missing = api
        .patch("c", &PatchParams::default(), &Patch::Apply(apply("3")))
        .await
        .expect_err("no manager");
    assert_eq!(code(&missing).0, 400);
}
