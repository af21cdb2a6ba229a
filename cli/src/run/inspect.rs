//! `seal --inspect`: what can be known of a sealed file without any private key. For each value:
//! its format, the scope and label it was sealed under (from the SealedSecret's top-level
//! metadata, as the controller reads them), the sizes its layout gives away, and for a
//! multi-recipient value the fingerprints of the keys it was sealed to. With `--cert` (repeatable),
//! whether the file was sealed to each certificate, as far as that can be known: a multi-recipient
//! value names its keys, while a Bitnami value names none, so only a key of another size rules the
//! certificate out.

use std::fmt::Write as _;
use std::path::Path;

use sealsync_core::api::SealedSecret;
use sealsync_core::crypto::format::{Layout, decode_base64, layout};
use sealsync_core::crypto::{Certificate, Fingerprint, Scope};
use sealsync_core::sealing::unseal::display_name;

use super::recover::read_sealed;
use crate::error::CliError;
use crate::io::{self, Input};

/// What one value's bytes say about the keys it was sealed to.
enum Keys {
    /// Bitnami's format names no key; only the RSA block's size is known.
    Unnamed { rsa_len: usize },
    /// The multi-recipient format names its keys.
    Named(Vec<Fingerprint>),
    /// No sealed value at all.
    None,
}

/// What one value's bytes say: a line of text, and its keys.
fn describe(value: &str) -> (String, Keys) {
    match decode_base64(value).as_deref().map(layout) {
        Some(Some(Layout::Bitnami {
            rsa_len,
            plaintext_len,
        })) => (
            format!(
                "Bitnami, RSA-{} block, {plaintext_len} bytes of plaintext",
                rsa_len * 8
            ),
            Keys::Unnamed { rsa_len },
        ),
        Some(Some(Layout::MultiRecipient {
            recipients,
            plaintext_len,
        })) => {
            let mut text = format!(
                "multi-recipient (sealsync only), {} keys, {plaintext_len} bytes of plaintext",
                recipients.len()
            );
            for fingerprint in &recipients {
                let _ = write!(text, "\n      sealed to {fingerprint}");
            }
            (text, Keys::Named(recipients))
        }
        Some(_) => (
            "unknown format: neither Bitnami nor multi-recipient".to_owned(),
            Keys::None,
        ),
        None => ("not base64: no sealed value".to_owned(), Keys::None),
    }
}

/// The scope line of one SealedSecret.
fn scope_line(sealed: &SealedSecret) -> String {
    let scope = Scope::from_annotations(&sealed.metadata.annotations);
    let label = scope.label(
        sealed.metadata.namespace().unwrap_or_default(),
        sealed.metadata.name().unwrap_or_default(),
    );
    format!(
        "{} {} ({}), scope {scope}, label {:?}",
        sealed.kind,
        display_name(&sealed.metadata),
        sealed.api_version,
        String::from_utf8_lossy(&label)
    )
}

/// What the values say about one certificate: sealed to it, maybe (only the key can tell), or
/// not.
#[derive(Default)]
struct Verdicts {
    sealed_to: Vec<String>,
    unknowable: usize,
    ruled_out: Vec<String>,
}

impl Verdicts {
    fn add(&mut self, value: String, keys: &Keys, cert: &Certificate) {
        let key = cert.public_key();
        match keys {
            Keys::Named(named) if named.contains(&key.fingerprint()) => self.sealed_to.push(value),
            Keys::Unnamed { rsa_len } if *rsa_len == key.bits() / 8 => self.unknowable += 1,
            _ => self.ruled_out.push(value),
        }
    }

    fn write(&self, out: &mut String, cert: &Certificate, location: &str) {
        let _ = writeln!(
            out,
            "certificate {location}: RSA-{}, {}",
            cert.public_key().bits(),
            cert.public_key().fingerprint()
        );
        if !self.sealed_to.is_empty() {
            let _ = writeln!(
                out,
                "  sealed to it (the values name its key): {}",
                self.sealed_to.join(", ")
            );
        }
        if self.unknowable > 0 {
            let _ = writeln!(
                out,
                "  {} values fit its key; whether they were sealed to it is only knowable with \
                 the private key: Bitnami values name no key \
                 (`seal --validate --recovery-private-key KEY -f FILE` tells)",
                self.unknowable
            );
        }
        if !self.ruled_out.is_empty() {
            let _ = writeln!(
                out,
                "  not sealed to it (another key size, another key named, or no sealed value): {}",
                self.ruled_out.join(", ")
            );
        }
    }
}

/// The report on every SealedSecret of the input, and on each certificate given.
pub fn report(sealed: &[SealedSecret], certs: &[(Certificate, String)]) -> String {
    let mut out = String::new();
    let mut verdicts: Vec<Verdicts> = certs.iter().map(|_| Verdicts::default()).collect();
    for s in sealed {
        let _ = writeln!(out, "{}", scope_line(s));
        let width = s
            .spec
            .encrypted_data
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0);
        for (key, value) in &s.spec.encrypted_data {
            let (text, keys) = describe(value);
            let _ = writeln!(out, "  {key:width$}  {text}");
            let name = format!("{}:{key}", display_name(&s.metadata));
            for ((cert, _), verdict) in certs.iter().zip(&mut verdicts) {
                verdict.add(name.clone(), &keys, cert);
            }
        }
    }
    for ((cert, location), verdict) in certs.iter().zip(&verdicts) {
        verdict.write(&mut out, cert, location);
    }
    out
}

/// Prints the report on the input's SealedSecrets.
pub fn inspect(
    input: &Input,
    output: Option<&Path>,
    certs: &[(Certificate, String)],
) -> Result<(), CliError> {
    let (sealed, _) = read_sealed(input, &Default::default())?;
    let text = report(&sealed, certs);
    io::write_output(output, text.as_bytes())
}
