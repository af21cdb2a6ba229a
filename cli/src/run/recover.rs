//! The offline modes that need private keys: `--recovery-unseal`, `--re-encrypt` and
//! `--validate`. Each SealedSecret is opened with its own top-level name, namespace and scope.

use std::path::Path;

use sealsync_core::api::{Api, Format, SealedSecret, docs};
use sealsync_core::sealing::{self, Overrides, ReEncryptError, UnsealError};

use super::read_documents;
use crate::config::{Keyring, Opener, Output, ReEncryptWith};
use crate::controller;
use crate::dialect::{Dialect, FormatFlag};
use crate::error::CliError;
use crate::io::{self, Input};

/// Reads every SealedSecret of the input, filling in a missing name or namespace from the
/// command line; also returns the input's format.
pub(super) fn read_sealed(
    input: &Input,
    fill: &Overrides,
) -> Result<(Vec<SealedSecret>, Format), CliError> {
    let (documents, format) = read_documents(input, "SealedSecret")?;
    let sealed = documents
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            let mut sealed =
                SealedSecret::from_value(doc).map_err(|source| CliError::NotASealedSecret {
                    what: input.describe(),
                    index: i + 1,
                    source,
                })?;
            let meta = &mut sealed.metadata;
            if meta.name().is_none() {
                meta.name.clone_from(&fill.name);
            }
            if meta.namespace().is_none() {
                meta.namespace.clone_from(&fill.namespace);
            }
            Ok(sealed)
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok((sealed, format))
}

/// Prints the Secret of every SealedSecret, or fails naming the keys that do not open.
pub fn unseal(
    input: &Input,
    output: &Output,
    keys: &Keyring,
    fill: &Overrides,
) -> Result<(), CliError> {
    let (sealed, _) = read_sealed(input, fill)?;
    let unseal_error = |source| CliError::Unseal { source };
    // A template this code cannot render fails before any value is opened.
    for s in &sealed {
        s.view().check_template().map_err(unseal_error)?;
    }
    let secrets = sealed
        .iter()
        .zip(keys.open(&sealed))
        .map(|(s, opened)| {
            opened
                .and_then(|o| s.view().unseal_opened(o))
                .map(|u| u.secret)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(unseal_error)?;
    let text = zeroize::Zeroizing::new(
        docs::render_all(&secrets, output.format).map_err(|source| CliError::Render { source })?,
    );
    match output.path.as_deref() {
        // The file holds plaintext: readable by its owner only.
        Some(path) => io::write_atomic(path, text.as_bytes(), Some(0o600)),
        None => io::write_output(None, text.as_bytes()),
    }
}

/// Re-seals every SealedSecret: offline to a certificate, or through the controller to its
/// newest key.
pub fn re_encrypt(
    input: &Input,
    path: Option<&Path>,
    format: (FormatFlag, Dialect),
    how: &ReEncryptWith,
    api: Option<Api>,
) -> Result<(), CliError> {
    let (sealed, input_format) = read_sealed(input, &Overrides::default())?;
    let out = match how {
        ReEncryptWith::Keys(keys, to) => {
            // Before any RSA work: each output keeps its apiVersion unless --api moves it.
            for (i, s) in sealed.iter().enumerate() {
                let what = super::describe_object("SealedSecret", s.metadata.name(), i, input);
                let version = match api {
                    Some(api) => api.api_version(),
                    None => s.api_version.as_str(),
                };
                super::seal::refuse_bitnami_multi(to, version, &what)?;
            }
            sealed
                .iter()
                .zip(keys.open(&sealed))
                .map(|(s, opened)| {
                    let opened = opened.map_err(|source| ReEncryptError::Open { source })?;
                    sealing::re_encrypt_with(s, opened, &keys.keys, to, api)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| CliError::ReEncrypt { source })?
        }
        ReEncryptWith::Controller(at) => sealed
            .iter()
            .map(|s| controller::rotate(at, s).map(|out| as_manifest(out, api)))
            .collect::<Result<Vec<_>, _>>()?,
    };
    for (i, sealed) in out.iter().enumerate() {
        crate::validate::sealed(sealed).map_err(|source| CliError::InvalidObject {
            what: super::describe_object("SealedSecret", sealed.metadata.name(), i, input),
            source,
        })?;
    }
    let (flag, dialect) = format;
    let text = docs::render_all(&out, dialect.output_format(flag, path, input_format))
        .map_err(|source| CliError::Render { source })?;
    io::write_output(path, text.as_bytes())
}

/// The controller's answer as a manifest again, as kubeseal makes it; moved to `api` if asked.
fn as_manifest(mut out: SealedSecret, api: Option<Api>) -> SealedSecret {
    for field in ["creationTimestamp", "deletionTimestamp", "generation"] {
        out.metadata.other.remove(field);
    }
    if let Some(api) = api {
        out.api_version = api.api_version().to_owned();
    }
    out
}

/// Each SealedSecret's verdict: how many values open, or the keys that do not.
fn verdicts(
    with: &Opener,
    sealed: &[SealedSecret],
) -> Result<Vec<Result<usize, String>>, CliError> {
    match with {
        Opener::Keys(keys) => keys
            .open(sealed)
            .into_iter()
            .map(|opened| match opened {
                Ok(values) => Ok(Ok(values.len())),
                Err(UnsealError::Decrypt { keys, .. }) => Ok(Err(keys.join(", "))),
                Err(source) => Err(CliError::Unseal { source }),
            })
            .collect(),
        Opener::Controller(at) => sealed.iter().map(|s| controller::verify(at, s)).collect(),
    }
}

/// Checks every value of every SealedSecret, offline or through the controller.
pub fn validate(input: &Input, with: &Opener, fill: &Overrides) -> Result<(), CliError> {
    let (sealed, _) = read_sealed(input, fill)?;
    let mut failures = Vec::new();
    for (s, verdict) in sealed.iter().zip(verdicts(with, &sealed)?) {
        let name = sealing::unseal::display_name(&s.metadata);
        match verdict {
            Ok(count) => io::stderr_line(&format!("ok: {name}: {count} values open")),
            Err(detail) => failures.push(format!("{name}: {detail}")),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Validate { failures })
    }
}
