//! The multi-recipient format against an independent implementation, both ways, on every run:
//! `tests/vectors/multi/multi_format.py` (Python's `cryptography`, written from
//! `src/crypto/MULTI_RECIPIENT.md`) opens what Rust seals to 1, 2 and 5 recipients with each
//! recipient's key and with no other key, and Rust opens what Python seals.

mod common;

use std::path::{Path, PathBuf};

use common::{hex, python};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sealsync_core::crypto::{PrivateKey, Recipients, Scope, Sealer, open_base64};

/// The key files, in `tests/vectors/keys`: three sizes, both PEM flavours.
const KEY_FILES: [&str; 5] = [
    "rsa2048-pkcs1.pem",
    "rsa4096-pkcs8.pem",
    "rsa2048-pkcs8.pem",
    "rsa3072-pkcs8.pem",
    "rsa4096-pkcs1.pem",
];

/// A key that is never a recipient here.
const STRANGER: usize = 4;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn keys() -> Vec<PrivateKey> {
    KEY_FILES
        .iter()
        .map(|f| {
            let pem = std::fs::read(vectors().join("keys").join(f)).expect("test key");
            PrivateKey::from_pem(&pem).expect("PEM")
        })
        .collect()
}

/// Reads requests, one per line, and answers each on one line:
/// `open <key files,> <label hex> <base64>` → `<index of the key that opened it> <plaintext hex>`
/// or `FAIL`; `seal <key files,> <label hex> <plaintext hex>` → the base64 value.
const PYTHON_PEER: &str = r#"
import base64, sys
from cryptography.hazmat.primitives import serialization
sys.path.insert(0, sys.argv[1] + "/multi")
import multi_format as mf
def key(name):
    return serialization.load_pem_private_key(open(sys.argv[1] + "/keys/" + name, "rb").read(), None)
for line in sys.stdin:
    op, names, label, arg = line.rstrip("\n").split(" ")
    ring = [key(n) for n in names.split(",")]
    label = bytes.fromhex(label)
    if op == "open":
        opened = mf.open_value(ring, base64.b64decode(arg), label)
        print("FAIL" if opened is None else f"{opened[1]} {opened[0].hex()}")
    else:
        value = mf.seal([k.public_key() for k in ring], bytes.fromhex(arg), label)
        print(base64.b64encode(value).decode())
"#;

#[test]
fn python_opens_what_rust_seals_to_one_two_and_five_recipients() {
    let keys = keys();
    let label = Scope::Strict.label("prod", "db");
    let plaintext = b"shared by every cluster";
    let mut requests = String::new();
    let mut expected = Vec::new();
    for recipients in [&[1][..], &[0, 1], &[0, 1, 2, 3]] {
        let mut publics: Vec<_> = recipients
            .iter()
            .map(|&i| keys[i].public_key().clone())
            .collect();
        if recipients.len() == 4 {
            // Five recipients: the stranger's key is added to this one only, last.
            publics.push(keys[STRANGER].public_key().clone());
        }
        let value = Recipients::multi(publics.clone())
            .expect("recipients")
            .seal(plaintext, &label)
            .expect("seal");
        let value = STANDARD.encode(value);
        for (i, file) in KEY_FILES.iter().enumerate() {
            let named = publics
                .iter()
                .any(|p| p.fingerprint() == keys[i].public_key().fingerprint());
            requests += &format!("open {file} {} {value}\n", hex(&label));
            expected.push(if named {
                format!("0 {}", hex(plaintext))
            } else {
                "FAIL".to_owned()
            });
        }
        // The wrong label refuses it, for every key.
        let wrong = Scope::Strict.label("prod", "other");
        requests += &format!("open {} {} {value}\n", KEY_FILES.join(","), hex(&wrong));
        expected.push("FAIL".to_owned());
    }
    assert_eq!(python(PYTHON_PEER, &vectors(), &requests), expected);
}

#[test]
fn rust_opens_what_python_seals_and_only_with_a_recipient() {
    let keys = keys();
    let label = Scope::NamespaceWide.label("prod", "db");
    let plaintext = [0x00, 0xff, 0x10, 0x80];
    let cases: [&[usize]; 2] = [&[0, 2], &[0, 1, 2, 3]];
    let requests: String = cases
        .iter()
        .map(|recipients| {
            let names: Vec<&str> = recipients.iter().map(|&i| KEY_FILES[i]).collect();
            format!(
                "seal {} {} {}\n",
                names.join(","),
                hex(&label),
                hex(&plaintext)
            )
        })
        .collect();
    let values = python(PYTHON_PEER, &vectors(), &requests);
    assert_eq!(values.len(), cases.len());
    for (recipients, value) in cases.iter().zip(&values) {
        for (i, key) in keys.iter().enumerate() {
            let opened = open_base64(std::slice::from_ref(key), value, &label);
            match recipients.contains(&i) {
                true => assert_eq!(
                    opened.expect("a recipient opens it").plaintext.as_slice(),
                    plaintext
                ),
                false => assert!(opened.is_err(), "key {i} is no recipient"),
            }
        }
        // The whole ring: found by fingerprint.
        let opened = open_base64(&keys, value, &label).expect("the ring opens it");
        assert_eq!(opened.key_index, recipients[0]);
        assert!(open_base64(&keys, value, &Scope::NamespaceWide.label("dev", "db")).is_err());
    }
}
