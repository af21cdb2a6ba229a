//! The one driver for the sealed-value vector files: Bitnami's format in
//! `tests/vectors/*.vector`, sealsync's multi-recipient format in `tests/vectors/multi/*.vector`.
//!
//! The files were written by `tests/vectors/generate.py` and `tests/vectors/multi/generate.py`
//! with Python's `cryptography`, an implementation independent of ours; their format is described
//! at the top of those scripts (a multi-recipient success vector also names its recipients). Each
//! file says what it expects: `success` (the value opens with the listed keys under the label that
//! the scope, namespace and name give, to the stated plaintext) or `failure` (it does not, and the
//! only error is the opaque `DecryptionFailed`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sealsync_core::crypto::format::{self, Parts};
use sealsync_core::crypto::{Layout, PrivateKey, Scope, open, open_base64};

/// The folder holds at least this many vectors; fewer means files went missing.
const MIN_VECTORS: usize = 12;

/// Vectors the issue asks for by name. The driver fails if one is missing.
const REQUIRED: &[&str] = &[
    "strict-4096-pkcs1",
    "namespace-wide-4096-pkcs1",
    "cluster-wide-4096-pkcs8",
    "strict-2048-pkcs8",
    "empty-value",
    "non-utf8-bytes",
    "one-mebibyte",
    "tampered-tag",
    "tampered-rsa-block",
    "truncated-tag",
    "length-prefix-one-short",
    "wrong-name",
    "wrong-key",
];

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// The multi-recipient vectors' folder.
fn multi_folder() -> PathBuf {
    folder().join("multi")
}

/// The multi-recipient folder holds at least this many vectors.
const MIN_MULTI_VECTORS: usize = 20;

/// Multi-recipient vectors the checks need by name.
const REQUIRED_MULTI: &[&str] = &[
    "one-recipient",
    "two-recipients-opened-by-first",
    "two-recipients-opened-by-second",
    "five-recipients",
    "not-a-recipient",
    "tampered-other-entry",
    "tampered-fingerprint",
    "tampered-body",
    "tampered-tag",
    "duplicate-recipient",
    "uncommitted-session-key",
    "tampered-commitment",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Success,
    Failure,
}

/// One parsed vector file. Deliberately no `Debug`: it holds plaintext.
struct Vector {
    expect: Expect,
    keys: Vec<String>,
    opened_by: usize,
    scope: Scope,
    namespace: String,
    name: String,
    label: Vec<u8>,
    plaintext: Option<Vec<u8>>,
    recipients: Option<Vec<String>>,
    body: String,
}

/// Parses a vector file: `header: value` lines, a blank line, then the base64 body.
fn parse(text: &str) -> Result<Vector, String> {
    let (head, body) = text
        .split_once("\n\n")
        .ok_or("no blank line between the headers and the body")?;
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for line in head.lines() {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line without a colon: {line:?}"))?;
        if headers.iter().any(|(k, _)| *k == key) {
            return Err(format!("header {key:?} appears twice"));
        }
        headers.push((key, value.trim()));
    }
    let get = |key: &str| headers.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let need = |key: &str| get(key).ok_or_else(|| format!("missing header {key:?}"));
    const KNOWN: &[&str] = &[
        "expect",
        "comment",
        "key",
        "opened-by",
        "scope",
        "namespace",
        "name",
        "label",
        "plaintext",
        "plaintext-repeat",
        "recipients",
    ];
    if let Some((unknown, _)) = headers.iter().find(|(k, _)| !KNOWN.contains(k)) {
        return Err(format!("unknown header {unknown:?}"));
    }
    let expect = match need("expect")? {
        "success" => Expect::Success,
        "failure" => Expect::Failure,
        other => return Err(format!("expect must be success or failure, not {other:?}")),
    };
    if need("comment")?.is_empty() {
        return Err("empty comment".into());
    }
    let keys: Vec<String> = need("key")?.split_whitespace().map(str::to_owned).collect();
    if keys.is_empty() {
        return Err("no key file named".into());
    }
    let opened_by = get("opened-by")
        .map(|v| v.parse::<usize>().map_err(|e| format!("opened-by: {e}")))
        .transpose()?
        .unwrap_or(0);
    let scope: Scope = need("scope")?.parse().map_err(|e| format!("scope: {e}"))?;
    let plaintext = match (get("plaintext"), get("plaintext-repeat")) {
        (Some(hex), None) => Some(from_hex(hex)?),
        (None, Some(spec)) => Some(repeat(spec)?),
        (None, None) => None,
        (Some(_), Some(_)) => return Err("both plaintext and plaintext-repeat".into()),
    };
    match (expect, &plaintext) {
        (Expect::Success, None) => return Err("a success vector needs a plaintext".into()),
        (Expect::Failure, Some(_)) => return Err("a failure vector has no plaintext".into()),
        _ => {}
    }
    Ok(Vector {
        expect,
        keys,
        opened_by,
        scope,
        namespace: need("namespace")?.to_owned(),
        name: need("name")?.to_owned(),
        label: from_hex(need("label")?)?,
        plaintext,
        recipients: get("recipients").map(|r| r.split_whitespace().map(str::to_owned).collect()),
        body: body.to_owned(),
    })
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd-length hex ({} digits)", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex at offset {i}"))
        })
        .collect()
}

/// `<hex>*<count>`: the bytes repeated `count` times.
fn repeat(spec: &str) -> Result<Vec<u8>, String> {
    let (unit, count) = spec
        .split_once('*')
        .ok_or("plaintext-repeat is <hex>*<count>")?;
    let count: usize = count
        .parse()
        .map_err(|e| format!("plaintext-repeat count: {e}"))?;
    Ok(from_hex(unit)?.repeat(count))
}

fn load_key(file: &str) -> Result<PrivateKey, String> {
    let path = folder().join("keys").join(file);
    let pem = fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    PrivateKey::from_pem(&pem).map_err(|e| format!("{file}: {e}"))
}

/// Checks one vector against our implementation; `Err` describes the mismatch.
fn check(vector: &Vector) -> Result<(), String> {
    let derived = vector.scope.label(&vector.namespace, &vector.name);
    if derived != vector.label {
        return Err(format!(
            "Scope::label gives {derived:?}, the vector (Python) says {:?}",
            vector.label
        ));
    }
    let keys = vector
        .keys
        .iter()
        .map(|file| load_key(file))
        .collect::<Result<Vec<_>, _>>()?;
    let result = open_base64(&keys, &vector.body, &vector.label);
    match (vector.expect, result) {
        (Expect::Failure, Err(_)) => {
            // Each key alone must refuse it as well, through the byte-level API.
            let bytes = format::decode_base64(&vector.body).unwrap_or_default();
            match keys
                .iter()
                .position(|key| open(key, &bytes, &vector.label).is_ok())
            {
                Some(index) => Err(format!("key {index} alone opens it")),
                None => Ok(()),
            }
        }
        (Expect::Failure, Ok(_)) => Err("expected failure, but it opened".into()),
        (Expect::Success, Err(err)) => Err(format!("expected success, got {err}")),
        (Expect::Success, Ok(opened)) => {
            let want = vector.plaintext.as_deref().unwrap_or_default();
            if opened.plaintext.as_slice() != want {
                return Err(format!(
                    "plaintext differs ({} bytes opened, {} expected)",
                    opened.plaintext.len(),
                    want.len()
                ));
            }
            if opened.key_index != vector.opened_by {
                return Err(format!(
                    "opened by key {}, expected key {}",
                    opened.key_index, vector.opened_by
                ));
            }
            check_layout(vector, &keys[opened.key_index])
        }
    }
}

/// The Python-made bytes split and re-join byte-exactly with our `read`/`write`, and the RSA
/// block is as long as the key's modulus. A multi-recipient value names the recipients Python
/// wrote, with fingerprints computed the same way.
fn check_layout(vector: &Vector, key: &PrivateKey) -> Result<(), String> {
    let bytes = format::decode_base64(&vector.body).ok_or("body is not base64")?;
    if let Some(want) = &vector.recipients {
        return check_multi_layout(vector, &bytes, want);
    }
    let parts: Parts<'_> = format::read(&bytes).map_err(|e| format!("read: {e}"))?;
    if parts.wrapped_key.len() * 8 != key.public_key().bits() {
        return Err(format!(
            "RSA block is {} bytes for a {}-bit key",
            parts.wrapped_key.len(),
            key.public_key().bits()
        ));
    }
    let want_body = vector.plaintext.as_ref().map_or(0, Vec::len) + 16;
    if parts.sealed_body.len() != want_body {
        return Err(format!(
            "GCM part is {} bytes, expected plaintext + 16 = {want_body}",
            parts.sealed_body.len()
        ));
    }
    let rewritten = format::write(&parts).map_err(|e| format!("write: {e}"))?;
    if rewritten != bytes {
        return Err("write(read(value)) differs from the value".into());
    }
    Ok(())
}

fn check_multi_layout(vector: &Vector, bytes: &[u8], want: &[String]) -> Result<(), String> {
    let Some(Layout::MultiRecipient {
        recipients,
        plaintext_len,
    }) = format::layout(bytes)
    else {
        return Err("a vector with recipients is not read as multi-recipient".into());
    };
    let named: Vec<String> = recipients
        .iter()
        .map(|f| f.as_bytes().iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    if named != want {
        return Err(format!("recipients {named:?}, Python wrote {want:?}"));
    }
    if plaintext_len != vector.plaintext.as_ref().map_or(0, Vec::len) {
        return Err(format!("layout gives {plaintext_len} bytes of plaintext"));
    }
    Ok(())
}

fn vector_files() -> Vec<PathBuf> {
    files_in(&folder())
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("the vector folder is readable")
        .map(|entry| entry.expect("directory entry is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "vector"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_file_holds() {
    check_folder(&folder(), MIN_VECTORS);
}

#[test]
fn every_multi_recipient_vector_file_holds() {
    check_folder(&multi_folder(), MIN_MULTI_VECTORS);
}

/// Every vector of one folder holds; there are at least `min`, of both kinds.
fn check_folder(dir: &Path, min: usize) {
    let files = files_in(dir);
    assert!(
        files.len() >= min,
        "only {} vector files in {}; expected at least {min}",
        files.len(),
        dir.display()
    );
    let mut problems = String::new();
    let (mut successes, mut failures) = (0, 0);
    for path in &files {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                writeln!(problems, "{name}: unreadable: {e}").unwrap();
                continue;
            }
        };
        let outcome = parse(&text).and_then(|vector| {
            match vector.expect {
                Expect::Success => successes += 1,
                Expect::Failure => failures += 1,
            }
            check(&vector)
        });
        if let Err(problem) = outcome {
            writeln!(problems, "{name}: {problem}").unwrap();
        }
    }
    assert!(problems.is_empty(), "vector mismatches:\n{problems}");
    assert!(successes > 0 && failures > 0, "need both kinds of vector");
    eprintln!(
        "{} vectors hold ({successes} success, {failures} failure)",
        files.len()
    );
}

#[test]
fn the_required_vectors_are_present() {
    let stems: Vec<String> = vector_files()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let missing: Vec<&&str> = REQUIRED
        .iter()
        .filter(|want| !stems.iter().any(|s| s == **want))
        .collect();
    assert!(missing.is_empty(), "missing vectors: {missing:?}");
    let multi: Vec<String> = files_in(&multi_folder())
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let missing: Vec<&&str> = REQUIRED_MULTI
        .iter()
        .filter(|want| !multi.iter().any(|s| s == **want))
        .collect();
    assert!(
        missing.is_empty(),
        "missing multi-recipient vectors: {missing:?}"
    );
}

#[test]
fn key_files_cover_both_pem_flavours_and_sizes() {
    let mut seen = Vec::new();
    for (file, bits, tag) in [
        ("rsa2048-pkcs1.pem", 2048, "-----BEGIN RSA PRIVATE KEY-----"),
        ("rsa2048-pkcs8.pem", 2048, "-----BEGIN PRIVATE KEY-----"),
        ("rsa4096-pkcs1.pem", 4096, "-----BEGIN RSA PRIVATE KEY-----"),
        ("rsa4096-pkcs8.pem", 4096, "-----BEGIN PRIVATE KEY-----"),
    ] {
        let text = fs::read_to_string(folder().join("keys").join(file)).expect("key file exists");
        assert!(text.starts_with(tag), "{file} is not {tag}");
        let key = load_key(file).expect("key file parses");
        assert_eq!(key.public_key().bits(), bits, "{file}");
        seen.push(key.public_key().fingerprint());
    }
    seen.sort_by_key(|f| *f.as_bytes());
    seen.dedup();
    assert_eq!(seen.len(), 4, "the four key files hold four different keys");
}

#[test]
fn the_parser_rejects_malformed_files() {
    let good = "expect: failure\ncomment: c\nkey: k.pem\nscope: cluster-wide\nnamespace: a\nname: b\nlabel:\n\n";
    assert!(parse(good).is_ok());
    let cases = [
        ("no expect", good.replace("expect: failure\n", "")),
        ("no comment", good.replace("comment: c\n", "")),
        ("bad expect", good.replace("failure", "maybe")),
        ("no body separator", good.trim_end().to_owned()),
        ("unknown header", good.replace("name: b", "nmae: b")),
        (
            "duplicate header",
            good.replace("name: b", "name: b\nname: c"),
        ),
        ("bad scope", good.replace("cluster-wide", "global")),
        ("bad label hex", good.replace("label:", "label: 0g")),
        (
            "failure with plaintext",
            good.replace("label:", "label:\nplaintext: 00"),
        ),
        (
            "success without plaintext",
            good.replace("failure", "success"),
        ),
    ];
    for (what, text) in cases {
        assert!(parse(&text).is_err(), "{what}: accepted");
    }
    let repeated = good
        .replace("failure", "success")
        .replace("label:", "label:\nplaintext-repeat: ab01*3");
    assert_eq!(
        parse(&repeated).ok().and_then(|v| v.plaintext),
        Some(vec![0xab, 0x01, 0xab, 0x01, 0xab, 0x01])
    );
}
