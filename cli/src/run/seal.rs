//! Sealing: whole Secrets, single raw values, and merges into an existing file. Every object is
//! checked as the API server would check it before anything is written.

use std::borrow::Cow;
use std::path::Path;

use sealsync_core::api::Api;
use sealsync_core::api::{Format, SealedSecret, Secret, docs};
use sealsync_core::crypto::{Recipients, Scope, Sealer};
use sealsync_core::sealing::{self, MergeOptions, Overrides, SealOptions};

use super::{describe_object, read_documents};
use crate::config::{MergeJob, Output};
use crate::dialect::Dialect;
use crate::error::{CliError, NoObjects};
use crate::io::{self, Input};
use crate::validate;

/// Reads every Secret of the input, with its keys checked as the API server checks them.
fn read_secrets(input: &Input) -> Result<Vec<Secret>, CliError> {
    let (documents, _) = read_documents(input, "Secret")?;
    documents
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            let secret = Secret::from_value(doc).map_err(|source| CliError::NotASecret {
                what: input.describe(),
                index: i + 1,
                source,
            })?;
            validate::secret_keys(&secret).map_err(|source| CliError::InvalidObject {
                what: describe_object("Secret", secret.metadata.name(), i, input),
                source,
            })?;
            Ok(secret)
        })
        .collect()
}

/// kubeseal seals a cluster-wide Secret as it is: no namespace check, no namespace filled in.
fn options_for<'a>(
    secret: &Secret,
    options: &'a SealOptions,
    dialect: Dialect,
) -> Cow<'a, SealOptions> {
    let scope = options
        .overrides
        .scope
        .unwrap_or_else(|| Scope::from_annotations(&secret.metadata.annotations));
    if scope != Scope::ClusterWide || !dialect.cluster_wide_ignores_namespace() {
        return Cow::Borrowed(options);
    }
    Cow::Owned(SealOptions {
        overrides: Overrides {
            namespace: None,
            default_namespace: None,
            ..options.overrides.clone()
        },
        ..options.clone()
    })
}

/// One SealedSecret per input Secret.
pub fn seal(
    input: &Input,
    output: &Output,
    to: &Recipients,
    options: &SealOptions,
    dialect: Dialect,
) -> Result<(), CliError> {
    let secrets = read_secrets(input)?;
    let mut sealed = Vec::with_capacity(secrets.len());
    for (i, secret) in secrets.iter().enumerate() {
        let options = options_for(secret, options, dialect);
        let one = sealing::seal_secret(secret, to, &options)
            .map_err(|source| CliError::Seal { source })?;
        validate::sealed(&one).map_err(|source| CliError::InvalidObject {
            what: describe_object("Secret", one.metadata.name(), i, input),
            source,
        })?;
        sealed.push(one);
    }
    note_large(&sealed);
    let text =
        docs::render_all(&sealed, output.format).map_err(|source| CliError::Render { source })?;
    io::write_output(output.path.as_deref(), text.as_bytes())
}

/// Several certificates give multi-recipient values, which a Bitnami controller cannot open:
/// refused for an output whose apiVersion is `bitnami.com`'s (`what` names it).
pub(super) fn refuse_bitnami_multi(
    to: &Recipients,
    api_version: &str,
    what: &str,
) -> Result<(), CliError> {
    if !to.is_multi() || api_version != Api::Bitnami.api_version() {
        return Ok(());
    }
    Err(CliError::usage(
        format!(
            "{} certificates give sealsync's multi-recipient format, which a Bitnami controller \
             cannot open, and {what} is a bitnami.com/v1alpha1 SealedSecret",
            to.keys().len()
        ),
        "move it to sealsync.io first (`seal --re-encrypt --api sealsync`), or pass one --cert",
    ))
}

/// A note for each object client-side `kubectl apply` cannot take.
fn note_large(sealed: &[SealedSecret]) {
    for s in sealed
        .iter()
        .filter(|s| validate::too_large_for_client_side_apply(s))
    {
        io::stderr_line(&format!(
            "note: SealedSecret {} is {} bytes as JSON: client-side `kubectl apply` cannot keep \
             its last-applied copy (annotations hold at most 256 KiB); apply it with \
             `kubectl apply --server-side` or `kubectl create`",
            sealing::unseal::display_name(&s.metadata),
            validate::json_size(s)
        ));
    }
}

/// One value, printed as bare base64 with no newline.
pub fn raw(
    input: &Input,
    output: Option<&Path>,
    to: &Recipients,
    overrides: &Overrides,
) -> Result<(), CliError> {
    // Check the identity before reading, so a missing --name fails before stdin is consumed.
    sealing::seal_raw(to, b"", overrides).map_err(|source| CliError::Seal { source })?;
    let value = input.read_bytes()?;
    let sealed =
        sealing::seal_raw(to, &value, overrides).map_err(|source| CliError::Seal { source })?;
    io::write_output(output, sealed.as_bytes())
}

/// Reads the one SealedSecret of the `--merge-into` file, and its format.
fn read_merge_target(file: &Path) -> Result<(SealedSecret, Format), CliError> {
    if !file.exists() {
        return Err(CliError::MergeTargetMissing {
            path: file.to_path_buf(),
        });
    }
    let target = Input::new(Some(file.to_path_buf()));
    let (mut documents, format) = read_documents(&target, "SealedSecret").map_err(|e| match e {
        CliError::ReadInput { source, .. } => CliError::ReadMergeTarget {
            path: file.to_path_buf(),
            source,
        },
        CliError::NoObjects {
            source: NoObjects::Empty | NoObjects::EmptyList,
            ..
        } => CliError::MergeTargetEmpty {
            path: file.to_path_buf(),
        },
        other => other,
    })?;
    if documents.len() != 1 {
        return Err(CliError::MergeTargetNotOne {
            path: file.to_path_buf(),
            count: documents.len(),
        });
    }
    let existing = SealedSecret::from_value(documents.remove(0)).map_err(|source| {
        CliError::NotASealedSecret {
            what: target.describe(),
            index: 1,
            source,
        }
    })?;
    Ok((existing, format))
}

/// `--namespace` must be the file's namespace (kubeseal: unless the value is cluster-wide).
fn check_merge_namespace(job: &MergeJob, existing: &SealedSecret) -> Result<(), CliError> {
    let file_scope = Scope::from_annotations(&existing.metadata.annotations);
    let skipped = file_scope == Scope::ClusterWide && job.dialect.cluster_wide_ignores_namespace();
    let found = existing.metadata.namespace().unwrap_or_default();
    match &job.namespace {
        Some(given) if !skipped && given != found => Err(CliError::MergeNamespace {
            path: job.file.clone(),
            given: given.clone(),
            found: found.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The merge options for one input Secret. kubeseal seals it for its own scope (`--scope`,
/// else its annotations, else strict), which must be the file's or its values would not open;
/// `seal` seals for the file's scope, and only a contradicting `--scope` is an error.
fn merge_options(
    job: &MergeJob,
    existing: &SealedSecret,
    secret: &Secret,
) -> Result<MergeOptions, CliError> {
    if job.dialect == Dialect::Seal {
        return Ok(job.options.clone());
    }
    let annotations = &secret.metadata.annotations;
    let (scope, why) = match job.options.scope {
        Some(scope) => (scope, "--scope"),
        None if Scope::from_annotations(annotations) != Scope::Strict => {
            (Scope::from_annotations(annotations), "its scope annotation")
        }
        None => (
            Scope::Strict,
            "kubeseal's default: no --scope, no scope annotation",
        ),
    };
    let file_scope = Scope::from_annotations(&existing.metadata.annotations);
    if scope != file_scope {
        return Err(CliError::MergeScope {
            path: job.file.clone(),
            scope,
            why,
            file_scope,
        });
    }
    Ok(MergeOptions {
        scope: Some(scope),
        ..job.options.clone()
    })
}

/// Seals the input into the SealedSecret in the job's file, rewriting it in place.
pub fn merge(job: &MergeJob) -> Result<(), CliError> {
    let (mut existing, file_format) = read_merge_target(&job.file)?;
    check_merge_namespace(job, &existing)?;
    refuse_bitnami_multi(
        &job.to,
        &existing.api_version,
        &job.file.display().to_string(),
    )?;
    let mut merged = Vec::new();
    let mut notes = Vec::new();
    for secret in read_secrets(&job.input)? {
        let options = merge_options(job, &existing, &secret)?;
        let outcome =
            sealing::merge_into(&mut existing, &secret, &job.to, &options).map_err(|source| {
                CliError::Merge {
                    path: job.file.clone(),
                    source,
                }
            })?;
        merged.extend(outcome.keys);
        notes.extend(outcome.overridden);
    }
    notes.dedup();
    if !notes.is_empty() {
        // kubeseal seals a merge for the file's name and namespace whatever the input says.
        io::stderr_line(&format!(
            "note: sealed for {}'s identity, not the input's: {}",
            job.file.display(),
            notes.join(", ")
        ));
    }
    validate::sealed(&existing).map_err(|source| CliError::InvalidObject {
        what: format!("the merged {}", job.file.display()),
        source,
    })?;
    note_large(std::slice::from_ref(&existing));
    let text = docs::render(&existing, job.format.unwrap_or(file_format))
        .map_err(|source| CliError::Render { source })?;
    io::write_atomic(&job.file, text.as_bytes(), None)?;
    io::stderr_line(&format!(
        "merged {} into {}",
        merged.join(", "),
        job.file.display()
    ));
    Ok(())
}
