//! `seal --inspect`: what can be known of a sealed file without any private key. For each value:
//! its format, the scope and label it was sealed under (from the SealedSecret's top-level
//! metadata, as the controller reads them), and the sizes its layout gives away. With `--cert`,
//! whether the file was sealed to that certificate, as far as that can be known: a Bitnami value
//! names no key, so only a key of another size rules the certificate out.

use std::fmt::Write as _;
use std::path::Path;

use sealsync_core::api::SealedSecret;
use sealsync_core::crypto::format::{Layout, decode_base64, layout};
use sealsync_core::crypto::{Certificate, Scope};
use sealsync_core::sealing::unseal::display_name;

use super::recover::read_sealed;
use crate::error::CliError;
use crate::io::{self, Input};

/// What one value's bytes say.
fn describe(value: &str) -> (String, Option<usize>) {
    match decode_base64(value).as_deref().map(layout) {
        Some(Some(Layout::Bitnami {
            rsa_len,
            plaintext_len,
        })) => (
            format!(
                "Bitnami, RSA-{} block, {plaintext_len} bytes of plaintext",
                rsa_len * 8
            ),
            Some(rsa_len),
        ),
        Some(_) => ("unknown format: not a Bitnami value".to_owned(), None),
        None => ("not base64: no sealed value".to_owned(), None),
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

/// The report on every SealedSecret of the input.
pub fn report(sealed: &[SealedSecret], cert: Option<(&Certificate, &str)>) -> String {
    let mut out = String::new();
    let mut ruled_out = Vec::new();
    let mut unknowable = 0usize;
    let cert_bytes = cert.map(|(c, _)| c.public_key().bits() / 8);
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
            let (text, rsa_len) = describe(value);
            let _ = writeln!(out, "  {key:width$}  {text}");
            match (rsa_len, cert_bytes) {
                (Some(len), Some(bytes)) if len == bytes => unknowable += 1,
                (_, Some(_)) => ruled_out.push(format!("{}:{key}", display_name(&s.metadata))),
                (_, None) => {}
            }
        }
    }
    if let Some((cert, location)) = cert {
        let _ = writeln!(
            out,
            "certificate {location}: RSA-{}, {}",
            cert.public_key().bits(),
            cert.public_key().fingerprint()
        );
        if unknowable > 0 {
            let _ = writeln!(
                out,
                "  {unknowable} values fit its key; whether they were sealed to it is only \
                 knowable with the private key: Bitnami values name no key \
                 (`seal --validate --recovery-private-key KEY -f FILE` tells)"
            );
        }
        if !ruled_out.is_empty() {
            let _ = writeln!(
                out,
                "  not sealed to it (another key size, or no sealed value): {}",
                ruled_out.join(", ")
            );
        }
    }
    out
}

/// Prints the report on the input's SealedSecrets.
pub fn inspect(
    input: &Input,
    output: Option<&Path>,
    cert: Option<&(Certificate, String)>,
) -> Result<(), CliError> {
    let (sealed, _) = read_sealed(input, &Default::default())?;
    let text = report(&sealed, cert.map(|(c, l)| (c, l.as_str())));
    io::write_output(output, text.as_bytes())
}
