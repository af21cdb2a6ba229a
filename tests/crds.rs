//! `crds/` holds what `sealsync crds` prints; this fails when the Rust types changed and the
//! files were not regenerated.

#[test]
fn crds_directory_is_up_to_date() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sealsync"))
        .arg("crds")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).expect("utf8");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds/sealsync.io.yaml");
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        printed == stored,
        "crds/ is stale; regenerate it: cargo run -- crds > crds/sealsync.io.yaml"
    );
    assert!(printed.contains("name: sealedsecrets.sealsync.io"));
}
