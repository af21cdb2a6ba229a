//! Generated code must match its generator: `src/protobuf/convert_gen.rs` is regenerated from
//! `src/protobuf/gen_convert.py` (which reads the k8s-pb and k8s-openapi sources that cargo has
//! already downloaded for this build) and compared with the committed file.

use std::path::Path;
use std::process::Command;

#[test]
fn convert_gen_is_not_stale() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protobuf");
    let out = tempfile::tempdir().expect("a temporary directory");
    let generated = out.path().join("convert_gen.rs");

    let python = Command::new("python3")
        .arg(dir.join("gen_convert.py"))
        .output()
        .expect("python3 runs (it is needed by the tests; .ci/run checks for it)");
    assert!(
        python.status.success(),
        "gen_convert.py failed:\n{}",
        String::from_utf8_lossy(&python.stderr)
    );
    std::fs::write(&generated, &python.stdout).expect("write the generated file");

    let rustfmt = Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(&generated)
        .status()
        .expect("rustfmt runs");
    assert!(rustfmt.success(), "rustfmt failed on the generated file");

    let fresh = std::fs::read_to_string(&generated).expect("read the generated file");
    let committed =
        std::fs::read_to_string(dir.join("convert_gen.rs")).expect("read convert_gen.rs");
    assert!(
        fresh == committed,
        "src/protobuf/convert_gen.rs is stale: run `python3 gen_convert.py > convert_gen.rs && \
         rustfmt --edition 2024 convert_gen.rs` in devcluster/src/protobuf and commit the result"
    );
}
