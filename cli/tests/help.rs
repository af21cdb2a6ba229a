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
    let version = common::seal_bin().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("seal {}", env!("CARGO_PKG_VERSION"))
    );
}
