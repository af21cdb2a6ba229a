//! Properties of seal and open, over arbitrary values, names, namespaces and scopes, plus one
//! library-level interop check in both directions against Python's `cryptography`.
//!
//! Keys are 2048-bit and made once per test binary, so the properties stay cheap in debug builds.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{hex, python};

use proptest::prelude::*;
use proptest::sample::select;
use sealsync_core::crypto::{
    DecryptionFailed, KeyBits, PrivateKey, Scope, open, open_base64, open_with_any, seal,
    seal_base64,
};

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeyBits::Rsa2048).expect("key generation"))
}

fn other_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeyBits::Rsa2048).expect("key generation"))
}

/// A Kubernetes-style name: a lower-case DNS label. Never empty and never contains `/`.
fn dns_name() -> impl Strategy<Value = String> {
    "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?"
}

fn scope() -> impl Strategy<Value = Scope> {
    select(Scope::ALL.to_vec())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Open(seal(x)) == x for any bytes, any names (including non-DNS text) and every scope,
    /// through both the byte and the base64 APIs.
    #[test]
    fn seal_then_open_is_the_identity(
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
        namespace in "\\PC{0,30}",
        name in "\\PC{0,30}",
        scope in scope(),
    ) {
        let label = scope.label(&namespace, &name);
        let value = seal(key().public_key(), &plaintext, &label).expect("seal");
        prop_assert_eq!(value.len(), 2 + 256 + plaintext.len() + 16);
        let opened = open(key(), &value, &label).expect("open");
        prop_assert_eq!(opened.as_slice(), plaintext.as_slice());

        let text = seal_base64(key().public_key(), &plaintext, &label).expect("seal_base64");
        let opened = open_base64(std::slice::from_ref(key()), &text, &label)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(opened.plaintext.as_slice(), plaintext.as_slice());
        prop_assert_eq!(opened.key_index, 0);
    }

    /// A value opens in another place exactly when the scope allows it: strict binds namespace and
    /// name, namespace-wide binds the namespace, cluster-wide binds nothing.
    #[test]
    fn another_namespace_or_name_opens_only_where_the_scope_allows(
        plaintext in proptest::collection::vec(any::<u8>(), 0..64),
        (namespace, other_namespace) in (dns_name(), dns_name()),
        (name, other_name) in (dns_name(), dns_name()),
        scope in scope(),
    ) {
        prop_assume!(namespace != other_namespace && name != other_name);
        let value = seal(key().public_key(), &plaintext, &scope.label(&namespace, &name))
            .expect("seal");
        let opens = |ns: &str, n: &str| open(key(), &value, &scope.label(ns, n)).is_ok();
        prop_assert!(opens(&namespace, &name));
        let (other_ns_opens, other_name_opens) = match scope {
            Scope::Strict => (false, false),
            Scope::NamespaceWide => (false, true),
            Scope::ClusterWide => (true, true),
        };
        prop_assert_eq!(opens(&other_namespace, &name), other_ns_opens);
        prop_assert_eq!(opens(&namespace, &other_name), other_name_opens);
        prop_assert_eq!(opens(&other_namespace, &other_name), scope == Scope::ClusterWide);
    }

    /// Opening under any other scope fails, for the same namespace and name.
    #[test]
    fn another_scope_fails(
        plaintext in proptest::collection::vec(any::<u8>(), 0..64),
        namespace in dns_name(),
        name in dns_name(),
        sealed_as in scope(),
        opened_as in scope(),
    ) {
        prop_assume!(sealed_as != opened_as);
        let value = seal(key().public_key(), &plaintext, &sealed_as.label(&namespace, &name))
            .expect("seal");
        let opened = open(key(), &value, &opened_as.label(&namespace, &name));
        prop_assert_eq!(opened.err(), Some(DecryptionFailed));
    }

    /// Another key never opens it; offered both, `open_with_any` names the right one.
    #[test]
    fn another_key_fails_and_open_with_any_finds_the_right_one(
        plaintext in proptest::collection::vec(any::<u8>(), 0..64),
        label in proptest::collection::vec(any::<u8>(), 0..40),
        sealed_to_second in any::<bool>(),
    ) {
        let (sealer, stranger) = if sealed_to_second {
            (other_key(), key())
        } else {
            (key(), other_key())
        };
        let value = seal(sealer.public_key(), &plaintext, &label).expect("seal");
        prop_assert_eq!(open(stranger, &value, &label).err(), Some(DecryptionFailed));
        let both = [copy(key()), copy(other_key())];
        let opened = open_with_any(&both, &value, &label)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(opened.key_index, usize::from(sealed_to_second));
        prop_assert_eq!(opened.plaintext.as_slice(), plaintext.as_slice());
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Robustness: arbitrary bytes never panic and never open. Half the inputs carry the 2048-bit
    /// length prefix so that they reach the RSA and GCM layers instead of failing on the prefix.
    #[test]
    fn open_rejects_arbitrary_bytes_without_panicking(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        plausible_prefix in any::<bool>(),
        label in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut value = Vec::new();
        if plausible_prefix {
            value.extend_from_slice(&256u16.to_be_bytes());
        }
        value.extend_from_slice(&body);
        prop_assert_eq!(open(key(), &value, &label).err(), Some(DecryptionFailed));
    }

    /// Robustness of the text path: arbitrary strings never panic and never open.
    #[test]
    fn open_base64_rejects_arbitrary_text_without_panicking(
        text in "\\PC{0,400}|[A-Za-z0-9+/=\r\n]{0,400}",
    ) {
        let opened = open_base64(std::slice::from_ref(key()), &text, b"");
        prop_assert!(opened.is_err());
    }
}

/// Go's decoder skips `\r` and `\n`, so values wrapped with either line ending open.
#[test]
fn base64_wrapped_with_lf_or_crlf_opens() {
    let text = seal_base64(key().public_key(), b"wrapped", b"ns/name").expect("seal");
    for newline in ["\n", "\r\n"] {
        let wrapped: String = text
            .as_bytes()
            .chunks(76)
            .map(|line| String::from_utf8_lossy(line).into_owned() + newline)
            .collect();
        let opened = open_base64(std::slice::from_ref(key()), &wrapped, b"ns/name")
            .unwrap_or_else(|e| panic!("{newline:?}-wrapped value: {e}"));
        assert_eq!(opened.plaintext.as_slice(), b"wrapped");
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Any single bit flip, and any truncation, of a sealed value makes it fail to open.
    #[test]
    fn every_bit_flip_and_truncation_fails(
        plaintext in proptest::collection::vec(any::<u8>(), 0..128),
        flip_at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut_at in any::<prop::sample::Index>(),
    ) {
        let value = seal(key().public_key(), &plaintext, b"ns/name").expect("seal");
        let mut flipped = value.clone();
        flipped[flip_at.index(value.len())] ^= 1 << bit;
        prop_assert_eq!(open(key(), &flipped, b"ns/name").err(), Some(DecryptionFailed));
        let cut = &value[..cut_at.index(value.len())];
        prop_assert_eq!(open(key(), cut, b"ns/name").err(), Some(DecryptionFailed));
    }
}

/// A second handle on a static key, for the slice `open_with_any` takes.
fn copy(key: &PrivateKey) -> PrivateKey {
    PrivateKey::from_pkcs8_der(key.pkcs8_der()).expect("a key re-reads its own PKCS#8")
}

/// Opens Rust-sealed values and seals values for Rust, one request per line of three
/// space-separated fields, any of which may be empty:
/// `open <label hex> <base64>` prints the plaintext hex or `FAIL`;
/// `seal <label hex> <plaintext hex>` prints the base64 value.
const PYTHON_PEER: &str = r#"
import base64, os, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), password=None)
def oaep(label):
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=label)
for line in sys.stdin:
    op, label, arg = line.rstrip("\n").split(" ")  # fields may be empty
    label = bytes.fromhex(label)
    if op == "open":
        value = base64.b64decode(arg)
        n = int.from_bytes(value[:2], "big")
        try:
            session = key.decrypt(value[2:2 + n], oaep(label))
            print(AESGCM(session).decrypt(b"\0" * 12, value[2 + n:], None).hex())
        except Exception:
            print("FAIL")
    elif op == "seal":
        session = os.urandom(32)
        rsa_ct = key.public_key().encrypt(session, oaep(label))
        body = AESGCM(session).encrypt(b"\0" * 12, bytes.fromhex(arg), None)
        print(base64.b64encode(len(rsa_ct).to_bytes(2, "big") + rsa_ct + body).decode())
"#;

#[test]
fn python_cryptography_and_sealsync_open_each_others_values() {
    let key_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keys/rsa2048-pkcs1.pem");
    let key = PrivateKey::from_pem(&std::fs::read(&key_file).expect("test key")).expect("PEM");
    let values: [&[u8]; 4] = [b"", b"hunter2", &[0xff, 0x00, 0xfe, 0x80], &[0x5a; 5000]];
    let cases: Vec<(Scope, &[u8])> = Scope::ALL
        .iter()
        .flat_map(|scope| values.iter().map(move |v| (*scope, *v)))
        .collect();

    // Rust seals; Python opens under the right label and refuses the wrong one.
    let mut requests = String::new();
    for (scope, plaintext) in &cases {
        let label = scope.label("prod", "db");
        let wrong = scope.label("prod2", "db");
        let value = seal_base64(key.public_key(), plaintext, &label).expect("seal");
        requests += &format!("open {} {value}\n", hex(&label));
        requests += &format!("open {} {value}\n", hex(&wrong));
    }
    // Python seals; Rust opens below.
    for (scope, plaintext) in &cases {
        let label = scope.label("prod", "db");
        requests += &format!("seal {} {}\n", hex(&label), hex(plaintext));
    }
    let replies = python(PYTHON_PEER, &key_file, &requests);
    assert_eq!(replies.len(), cases.len() * 3, "one reply per request");

    for (i, (scope, plaintext)) in cases.iter().enumerate() {
        assert_eq!(
            replies[2 * i],
            hex(plaintext),
            "Python opens Rust's {scope} value"
        );
        // Cluster-wide ignores the namespace, so there the "wrong" label is the same label.
        let want_wrong = if *scope == Scope::ClusterWide {
            hex(plaintext)
        } else {
            "FAIL".to_owned()
        };
        assert_eq!(
            replies[2 * i + 1],
            want_wrong,
            "{scope} value under another namespace"
        );
    }
    let python_sealed = &replies[cases.len() * 2..];
    for ((scope, plaintext), value) in cases.iter().zip(python_sealed) {
        let label = scope.label("prod", "db");
        let opened = open_base64(std::slice::from_ref(&key), value, &label)
            .unwrap_or_else(|e| panic!("Rust opens Python's {scope} value: {e}"));
        assert_eq!(opened.plaintext.as_slice(), *plaintext);
        let wrong = match scope {
            Scope::Strict => scope.label("prod", "other"),
            Scope::NamespaceWide => scope.label("other", "db"),
            Scope::ClusterWide => continue,
        };
        assert!(open_base64(std::slice::from_ref(&key), value, &wrong).is_err());
    }
}
