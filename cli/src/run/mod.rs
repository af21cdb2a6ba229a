//! Doing the validated job.
//!
//! - [`seal`]: sealing Secrets, raw values and merges.
//! - [`recover`]: the offline modes that need private keys: unseal, re-encrypt, validate.
//! - [`keygen`]: key generation.

mod inspect;
mod keygen;
mod manual;
mod recover;
mod seal;

use serde_json::Value;

use sealsync_core::api::docs;

use crate::config::Config;
use crate::error::{CliError, NoObjects};
use crate::io::{self, Input};

/// Runs a job.
pub fn run(config: Config) -> Result<(), CliError> {
    match config {
        Config::Seal {
            input,
            output,
            to,
            options,
            dialect,
        } => seal::seal(&input, &output, &to, &options, dialect),
        Config::Raw {
            input,
            output,
            to,
            overrides,
        } => seal::raw(&input, output.as_deref(), &to, &overrides),
        Config::Merge(job) => seal::merge(&job),
        Config::FetchCert { pem, output } => io::write_output(output.as_deref(), pem.as_bytes()),
        Config::RecoveryUnseal {
            input,
            output,
            keys,
            fill,
        } => recover::unseal(&input, &output, &keys, &fill),
        Config::ReEncrypt {
            input,
            path,
            format,
            how,
            api,
        } => recover::re_encrypt(&input, path.as_deref(), format, &how, api),
        Config::Validate { input, with, fill } => recover::validate(&input, &with, &fill),
        Config::Keygen {
            dir,
            options,
            force,
        } => keygen::keygen(&dir, &options, force),
        Config::Inspect {
            input,
            output,
            certs,
        } => inspect::inspect(&input, output.as_deref(), &certs),
        Config::Version(line) => io::write_output(None, format!("{line}\n").as_bytes()),
        Config::Completions(shell) => manual::completions(shell),
        Config::Man(dir) => manual::man_pages(&dir),
    }
}

/// Reads and parses every document of the input, with the format it was written in. A `List`
/// (as `kubectl get … -o yaml` writes several objects) counts as its items. No object at all
/// (an empty stream, or only empty Lists) is an error: `expected` names what was wanted.
fn read_documents(
    input: &Input,
    expected: &'static str,
) -> Result<(Vec<Value>, docs::Format), CliError> {
    let text = input.read_text()?;
    let format = docs::Format::sniff(&text);
    let parse_error = |source| CliError::Parse {
        what: input.describe(),
        expected,
        source,
    };
    let documents = docs::parse_documents(&text).map_err(parse_error)?;
    docs::check_json_duplicates(&text).map_err(parse_error)?;
    // No object at all is an error here (CLI policy: doing nothing would look like success and
    // could rewrite an output file as empty); the shared reader leaves that to its callers.
    let nothing = |source| CliError::NoObjects {
        what: input.describe(),
        expected,
        source,
    };
    if documents.is_empty() {
        return Err(nothing(NoObjects::Empty));
    }
    let objects = docs::flatten_lists(documents).map_err(parse_error)?;
    if objects.is_empty() {
        return Err(nothing(NoObjects::EmptyList));
    }
    Ok((objects.into_iter().map(|d| d.value).collect(), format))
}

/// An object for messages: `Secret "db" (document 2 of stdin)`; `index` is 0-based.
fn describe_object(kind: &str, name: Option<&str>, index: usize, input: &Input) -> String {
    let name = name.map(|n| format!(" {n:?}")).unwrap_or_default();
    format!(
        "{kind}{name} (document {} of {})",
        index + 1,
        input.describe()
    )
}
