//! Rendering a folder as a GitSync does, through `sealsync build`: plain folders, kustomizations
//! checked against `kubectl kustomize` (the oracle), and every bad input named by file and
//! document.

#[path = "support/kubectl.rs"]
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sealsync_core::api::docs::parse_documents;
use serde_json::Value;
use tools::kubectl;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/render")
        .join(name)
}

/// Runs `sealsync build --path DIR`: (success, stdout, stderr).
fn build(dir: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .args(["build", "--path"])
        .arg(dir)
        .output()
        .expect("sealsync runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Objects by (kind, namespace, name).
fn objects(yaml: &str) -> BTreeMap<(String, String, String), Value> {
    parse_documents(yaml)
        .expect("YAML")
        .into_iter()
        .map(|d| {
            let v = d.value;
            let key = |p: &str| {
                v.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (
                (
                    key("/kind"),
                    key("/metadata/namespace"),
                    key("/metadata/name"),
                ),
                v,
            )
        })
        .collect()
}

#[test]
fn a_kustomization_renders_as_kubectl_kustomize_renders_it() {
    let dir = fixture("app");
    let (ok, ours, err) = build(&dir);
    assert!(ok, "{err}");
    let ours = objects(&ours);
    assert_eq!(ours.len(), 12);
    let deployment = &ours[&("Deployment".into(), "shop".into(), "web".into())];
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27.2"
    );
    let Some(kubectl) = kubectl() else { return };
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl kustomize runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = objects(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (key, object) in &theirs {
        assert_eq!(&ours[key], object, "{key:?} differs from kubectl kustomize");
    }
}

#[test]
fn a_plain_folder_is_read_recursively_sorted_without_dotfiles() {
    let (ok, out, err) = build(&fixture("plain"));
    assert!(ok, "{err}");
    let names: Vec<String> = parse_documents(&out)
        .expect("yaml")
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d.value["kind"].as_str().unwrap_or_default(),
                d.value["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "Namespace/demo",
            "ConfigMap/api-settings",
            "ServiceAccount/api",
            "Service/api",
            "ResourceQuota/small",
            "Deployment/api"
        ],
        "path order, List items in place, the overlay's kustomization built, dotfiles skipped"
    );
    assert!(out.contains("image: ghcr.io/acme/api:v2.0.1"), "{out}");
}

/// Writes `files` into a fresh folder and renders it; returns stderr of the failure.
fn failure(files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let (ok, out, err) = build(dir.path());
    assert!(!ok, "expected a failure, got:\n{out}");
    assert!(out.is_empty(), "nothing is printed on failure: {out}");
    assert!(
        err.starts_with("error: ") && err.contains("\nhint: "),
        "{err}"
    );
    err
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

#[test]
fn bad_input_names_the_file_and_the_document() {
    let err = failure(&[
        ("ok.yaml", CM),
        (
            "sub/bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\nkind: [unclosed\n",
        ),
    ]);
    assert!(
        err.contains("sub/bad.yaml: document 2: malformed YAML"),
        "{err}"
    );

    let err = failure(&[("x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")]);
    assert!(
        err.contains("x.yaml (document 1): the object has no metadata.name"),
        "{err}"
    );
    let err = failure(&[("x.yaml", "kind: ConfigMap\nmetadata:\n  name: a\n")]);
    assert!(err.contains("has no apiVersion"), "{err}");

    let err = failure(&[("one.yaml", CM), ("two.yml", CM)]);
    assert!(
        err.contains(
            "ConfigMap a appears twice: in one.yaml (document 1) and in two.yml (document 1)"
        ),
        "{err}"
    );
}

#[test]
fn unsupported_kustomize_fields_and_forms_are_named() {
    let err = failure(&[
        (
            "kustomization.yaml",
            "resources: [cm.yaml]\npatches:\n  - path: p.yaml\n",
        ),
        ("cm.yaml", CM),
    ]);
    assert!(
        err.contains("kustomization.yaml: the kustomization field `patches` is not supported yet"),
        "{err}"
    );
    let err = failure(&[(
        "kustomization.yaml",
        "resources:\n  - https://github.com/acme/base?ref=v1\n",
    )]);
    assert!(err.contains("the remote resource"), "{err}");
    let err = failure(&[("kustomization.yaml", "resources: [missing.yaml]\n")]);
    assert!(
        err.contains("resource `missing.yaml` does not exist"),
        "{err}"
    );
    let err = failure(&[
        ("kustomization.yaml", "resources: [plain]\n"),
        ("plain/cm.yaml", CM),
    ]);
    assert!(
        err.contains("plain: the folder has no kustomization.yaml"),
        "{err}"
    );
}
