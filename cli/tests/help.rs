//! The help texts are part of the interface: snapshots catch accidental changes.

mod common;

#[test]
fn help_texts() {
    for (name, args) in [
        ("help", vec!["--help"]),
        ("keygen_help", vec!["keygen", "--help"]),
    ] {
        let out = common::seal_bin().args(&args).output().unwrap();
        assert!(out.status.success(), "{name}");
        insta::assert_snapshot!(name, String::from_utf8(out.stdout).unwrap());
    }
    // The version line also names the git revision (tests/polish.rs checks which).
    let version = common::seal_bin().arg("--version").output().unwrap();
    assert!(
        String::from_utf8(version.stdout)
            .unwrap()
            .starts_with(&format!("seal {} (", env!("CARGO_PKG_VERSION")))
    );
}
