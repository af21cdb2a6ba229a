//! Sealing: whole Secrets, single raw values, and merges into an existing file.

use std::path::Path;

use sealsync_core::api::{Format, SealedSecret, Secret, docs};
use sealsync_core::crypto::Certificate;
use sealsync_core::sealing::{self, MergeOptions, Overrides, SealOptions};

use super::read_documents;
use crate::config::Output;
use crate::error::CliError;
use crate::io::{self, Input};

/// Reads every Secret of the input.
fn read_secrets(input: &Input) -> Result<Vec<Secret>, CliError> {
    let (documents, _) = read_documents(input, "Secret")?;
    documents
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            Secret::from_value(doc).map_err(|source| CliError::NotASecret {
                what: input.describe(),
                index: i + 1,
                source,
            })
        })
        .collect()
}

/// One SealedSecret per input Secret.
pub fn seal(
    input: &Input,
    output: &Output,
    cert: &Certificate,
    options: &SealOptions,
) -> Result<(), CliError> {
    let secrets = read_secrets(input)?;
    let sealed = secrets
        .iter()
        .map(|s| sealing::seal_secret(s, cert.public_key(), options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| CliError::Seal { source })?;
    let text =
        docs::render_all(&sealed, output.format).map_err(|source| CliError::Render { source })?;
    io::write_output(output.path.as_deref(), text.as_bytes())
}

/// One value, printed as bare base64 with no newline.
pub fn raw(
    input: &Input,
    output: Option<&Path>,
    cert: &Certificate,
    overrides: &Overrides,
) -> Result<(), CliError> {
    // Check the identity before reading, so a missing --name fails before stdin is consumed.
    sealing::seal_raw(cert.public_key(), b"", overrides)
        .map_err(|source| CliError::Seal { source })?;
    let value = input.read_bytes()?;
    let sealed = sealing::seal_raw(cert.public_key(), &value, overrides)
        .map_err(|source| CliError::Seal { source })?;
    io::write_output(output, sealed.as_bytes())
}

/// Seals the input into the SealedSecret in `file`, rewriting it in place.
pub fn merge(
    input: &Input,
    file: &Path,
    format: Option<Format>,
    cert: &Certificate,
    options: &MergeOptions,
) -> Result<(), CliError> {
    if !file.exists() {
        return Err(CliError::MergeTargetMissing {
            path: file.to_path_buf(),
        });
    }
    let target = Input::new(Some(file.to_path_buf()));
    let (mut documents, file_format) =
        read_documents(&target, "SealedSecret").map_err(|e| match e {
            CliError::ReadInput { source, .. } => CliError::ReadMergeTarget {
                path: file.to_path_buf(),
                source,
            },
            other => other,
        })?;
    if documents.len() != 1 {
        return Err(CliError::MergeTargetNotOne {
            path: file.to_path_buf(),
            count: documents.len(),
        });
    }
    let mut existing = documents
        .pop()
        .map(SealedSecret::from_value)
        .transpose()
        .map_err(|source| CliError::NotASealedSecret {
            what: target.describe(),
            index: 1,
            source,
        })?
        .ok_or(CliError::MergeTargetNotOne {
            path: file.to_path_buf(),
            count: 0,
        })?;
    let mut merged = Vec::new();
    let mut notes = Vec::new();
    for secret in read_secrets(input)? {
        let outcome = sealing::merge_into(&mut existing, &secret, cert.public_key(), options)
            .map_err(|source| CliError::Merge {
                path: file.to_path_buf(),
                source,
            })?;
        merged.extend(outcome.keys);
        notes.extend(outcome.overridden);
    }
    notes.dedup();
    if !notes.is_empty() {
        // kubeseal seals a merge for the file's name and namespace whatever the input says.
        io::stderr_line(&format!(
            "note: sealed for {}'s identity, not the input's: {}",
            file.display(),
            notes.join(", ")
        ));
    }
    let text = docs::render(&existing, format.unwrap_or(file_format))
        .map_err(|source| CliError::Render { source })?;
    io::write_atomic(file, text.as_bytes(), None)?;
    io::stderr_line(&format!(
        "merged {} into {}",
        merged.join(", "),
        file.display()
    ));
    Ok(())
}
