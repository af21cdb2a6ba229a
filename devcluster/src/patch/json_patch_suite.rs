//! The JSON Patch test suite (json-patch/json-patch-tests, npm `json-patch-test-suite` 1.1.0,
//! Apache-2.0), copied verbatim into `testdata/json-patch-tests/`: every enabled case must
//! produce its `expected` document, or fail when it names an `error`.

use serde_json::Value;

use super::json_patch;

/// Cases where kube-apiserver's library (evanphx/json-patch v4) answers otherwise, and
/// devcluster follows kube-apiserver: `(file, index, why)`.
const KUBE_DIFFERS: &[(&str, usize, &str)] = &[(
    "tests.json",
    72,
    "v4 treats a missing `value` as null, and a null item equals null: the test passes",
)];

/// Runs every enabled case of one suite file; returns the cases that disagree.
fn run(file: &str, cases: &str) -> Vec<String> {
    let cases: Vec<Value> = serde_json::from_str(cases).expect("the suite file is JSON");
    assert!(cases.len() > 10, "{file}: too few cases");
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        if case["disabled"] == true || KUBE_DIFFERS.iter().any(|(f, n, _)| *f == file && *n == i) {
            continue;
        }
        let what = case["comment"]
            .as_str()
            .or(case["error"].as_str())
            .unwrap_or_default();
        let mut doc = case["doc"].clone();
        match (
            json_patch(&mut doc, &case["patch"]),
            case.get("error"),
            case.get("expected"),
        ) {
            (Ok(()), Some(error), _) => {
                failures.push(format!("{file} #{i} {what}: applied, want error {error}"))
            }
            (Ok(()), None, Some(want)) if &doc != want => {
                failures.push(format!("{file} #{i} {what}: got {doc}, want {want}"));
            }
            (Err(e), None, _) => failures.push(format!("{file} #{i} {what}: unexpected error {e}")),
            _ => {}
        }
    }
    failures
}

#[test]
fn the_json_patch_test_suite_passes() {
    let mut failures = run(
        "tests.json",
        include_str!("testdata/json-patch-tests/tests.json"),
    );
    failures.extend(run(
        "spec_tests.json",
        include_str!("testdata/json-patch-tests/spec_tests.json"),
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn kube_differs_from_the_suite_where_listed() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("testdata/json-patch-tests/tests.json")).expect("JSON");
    for (_, i, why) in KUBE_DIFFERS {
        let mut doc = cases[*i]["doc"].clone();
        assert!(
            json_patch(&mut doc, &cases[*i]["patch"]).is_ok(),
            "#{i}: {why}"
        );
    }
}
