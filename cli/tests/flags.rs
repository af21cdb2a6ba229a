//! Every kubeseal flag (the checked-in list `kubeseal/flags.tsv`) is accepted by `seal`, from
//! the command line and from its `SEALED_SECRETS_*` variable, and the README's flag table says
//! what each one means in `seal`.

mod common;

use std::path::PathBuf;

use common::*;

/// One row of the list.
struct Flag {
    name: String,
    short: Option<String>,
    kind: String,
    source: String,
    sample: String,
}

fn kubeseal_flags() -> Vec<Flag> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/kubeseal/flags.tsv");
    let text = std::fs::read_to_string(path).expect("flags.tsv");
    let flags: Vec<Flag> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "six columns: {line:?}");
            Flag {
                name: cols[0].to_owned(),
                short: Some(cols[1].to_owned()).filter(|s| !s.is_empty()),
                kind: cols[2].to_owned(),
                source: cols[4].to_owned(),
                sample: cols[5].to_owned(),
            }
        })
        .collect();
    // 21 of main.go, 19 of client-go, 15 of klog.
    assert_eq!(flags.len(), 55, "the list is whole");
    flags
}

fn prepare(fx: &Fixture) {
    fx.write("secret.yaml", SECRET_YAML);
    for file in ["client.crt", "client.key", "ca.crt"] {
        fx.write(file, "unused: the certificate comes from --cert\n");
    }
}

/// Runs a sealing with one extra flag (or variable); it must succeed and write a SealedSecret.
fn seals_with(fx: &Fixture, flag: &Flag, as_variable: bool) {
    let mut cmd = fx.seal();
    cmd.args([
        "--kubeseal-compat",
        "--cert",
        "keys/tls.crt",
        "-w",
        "out.json",
    ])
    .write_stdin(SECRET_YAML);
    let shown;
    if as_variable {
        let var = format!(
            "SEALED_SECRETS_{}",
            flag.name.to_ascii_uppercase().replace('-', "_")
        );
        cmd.env(&var, &flag.sample);
        shown = format!("{var}={}", flag.sample);
    } else {
        shown = format!("--{}={}", flag.name, flag.sample);
        cmd.arg(&shown);
    }
    let _ = std::fs::remove_file(fx.path("out.json"));
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{shown} was refused: {stderr}");
    assert!(!stderr.contains("error"), "{shown}: {stderr}");
    let written = fx.read("out.json");
    assert_eq!(sealed_docs(&written).len(), 1, "{shown}");
}

#[test]
fn every_kubeseal_flag_is_accepted_with_its_value_and_its_variable() {
    let fx = Fixture::new();
    prepare(&fx);
    for flag in kubeseal_flags() {
        if flag.sample == "-" {
            continue;
        }
        seals_with(&fx, &flag, false);
        // klog's flags read no variable in kubeseal (pflagenv runs before they are added);
        // `seal` reads one for them too, which changes nothing.
        seals_with(&fx, &flag, true);
    }
    let help = fx.seal().arg("--help").output().unwrap();
    assert!(help.status.success());
    let version = fx
        .seal()
        .args(["--kubeseal-compat", "--version"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("kubeseal version: "));
}

#[test]
fn short_flags_and_booleans_as_pflag_reads_them() {
    let fx = Fixture::new();
    prepare(&fx);
    let flags = kubeseal_flags();
    for flag in flags.iter().filter(|f| f.short.is_some()) {
        let short = flag.short.as_deref().unwrap();
        let out = fx
            .seal()
            .args([
                "--kubeseal-compat",
                "--cert",
                "keys/tls.crt",
                "-w",
                "out.json",
            ])
            .args([format!("-{short}"), flag.sample.clone()])
            .write_stdin(SECRET_YAML)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "-{short} {}: {}",
            flag.sample,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A boolean alone is true; `=false` turns it off.
    for flag in flags
        .iter()
        .filter(|f| f.kind == "bool" && f.source != "main")
    {
        let out = fx
            .seal()
            .args([
                "--kubeseal-compat",
                "--cert",
                "keys/tls.crt",
                "-w",
                "out.json",
            ])
            .arg(format!("--{}", flag.name))
            .write_stdin(SECRET_YAML)
            .output()
            .unwrap();
        assert!(out.status.success(), "--{}", flag.name);
    }
}

#[test]
fn the_readme_flag_table_lists_every_kubeseal_flag() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let start = readme
        .find("### Every kubeseal flag")
        .expect("the README has the flag table");
    let table = &readme[start..];
    let table = &table[..table[4..].find("\n#").map_or(table.len(), |i| i + 4)];
    for flag in kubeseal_flags() {
        assert!(
            table.contains(&format!("`--{}`", flag.name))
                || table.contains(&format!("`--{}=", flag.name))
                || table.contains(&format!("`--{} ", flag.name)),
            "the README's table does not list --{}",
            flag.name
        );
    }
}
