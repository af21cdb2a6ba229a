//! One builder per mode: each reads the flags its mode needs and loads what the job needs.

use std::path::PathBuf;

use sealsync_core::api::Format;
use sealsync_core::sealing::{MergeOptions, Overrides, SealOptions};

use super::mode::{self, Mode};
use super::values;
use super::{Config, Context, MergeJob, Opener, Output, ReEncryptWith};
use crate::error::CliError;
use crate::io::Input;

/// Checks the flags and builds the job; also returns a note for each flag that does nothing,
/// to print once the job is known to be valid.
pub fn build(context: &Context<'_>) -> Result<(Config, Vec<String>), CliError> {
    let args = context.args;
    mode::refuse_stray(args)?;
    let mode = Mode::from_flags(args)?;
    mode::check_from_file(args, &mode)?;
    if let (Mode::MergeInto(_), Some(_)) = (&mode, &args.write) {
        return Err(CliError::usage(
            "--merge-into rewrites its file in place and cannot be used with -w",
            "drop -w; to keep the original, copy it first and merge into the copy",
        ));
    }
    if args.rotate && context.on_command_line.contains("rotate") {
        crate::io::stderr_line(mode::ROTATE_DEPRECATED);
    }
    let notes = mode::notes(
        &mode,
        values::via(context, &mode),
        context.on_command_line.iter(),
    );
    let config = match mode {
        Mode::FetchCert => Ok(Config::FetchCert {
            pem: values::fetched_cert(context)?,
            output: args.write.clone(),
        }),
        Mode::Validate => validate(context),
        Mode::RecoveryUnseal => recovery_unseal(context),
        Mode::ReEncrypt => re_encrypt(context),
        Mode::Raw => raw(context),
        Mode::MergeInto(file) => merge(context, file),
        Mode::Seal => seal(context),
        Mode::Inspect => inspect(context),
    }?;
    Ok((config, notes))
}

/// `--scope` on the command line is an error where the scope is the SealedSecret's own; a
/// scope from a variable (a default for sealing) is ignored there.
fn refuse_scope(context: &Context<'_>) -> Result<(), CliError> {
    match context.on_command_line.contains("scope") && context.args.scope.is_some() {
        false => Ok(()),
        true => Err(CliError::usage(
            "--scope cannot be used to unseal, validate or re-encrypt",
            "the scope is read from the SealedSecret's own annotations; drop --scope",
        )),
    }
}

/// Name and namespace for SealedSecrets that lack them.
fn fill(context: &Context<'_>) -> Result<Overrides, CliError> {
    Ok(Overrides {
        name: values::name_flag(context)?,
        namespace: values::namespace_flag(context)?,
        scope: None,
        default_namespace: None,
    })
}

fn validate(context: &Context<'_>) -> Result<Config, CliError> {
    refuse_scope(context)?;
    let with = match values::controller_for_keys(context)? {
        Some(controller) => Opener::Controller(controller),
        None => Opener::Keys(values::keyring(context)?),
    };
    Ok(Config::Validate {
        input: Input::new(context.args.file.clone()),
        with,
        fill: fill(context)?,
    })
}

fn recovery_unseal(context: &Context<'_>) -> Result<Config, CliError> {
    refuse_scope(context)?;
    let keys = values::keyring(context)?;
    let path = context.args.write.clone();
    let format =
        context
            .dialect
            .output_format(values::format_flag(context)?, path.as_deref(), Format::Yaml);
    Ok(Config::RecoveryUnseal {
        input: Input::new(context.args.file.clone()),
        output: Output { path, format },
        keys,
        fill: fill(context)?,
    })
}

fn re_encrypt(context: &Context<'_>) -> Result<Config, CliError> {
    refuse_scope(context)?;
    let args = context.args;
    if args.recovery_private_key.is_empty() && args.cert.len() > 1 {
        return Err(CliError::usage(
            "--re-encrypt without --recovery-private-key asks the controller, which re-seals to \
             its own newest key only, and several --cert were given",
            "pass --recovery-private-key KEY to re-seal offline to every --cert",
        ));
    }
    let api = values::api_flag(context)?;
    let how = match values::controller_for_keys(context)? {
        Some(controller) => ReEncryptWith::Controller(controller),
        None => ReEncryptWith::Keys(values::keyring(context)?, values::recipients(context, api)?),
    };
    let input = Input::new(args.file.clone());
    // kubeseal (#405): with only -f, the input file is rewritten in place.
    let path = args
        .write
        .clone()
        .or_else(|| input.path().map(PathBuf::from));
    Ok(Config::ReEncrypt {
        input,
        path,
        format: (values::format_flag(context)?, context.dialect),
        how,
        api,
    })
}

/// Name, namespace and scope for sealing: a Secret that names no namespace gets the kubeconfig
/// context's, else `default`, as with kubeseal.
fn sealing_overrides(context: &Context<'_>) -> Result<Overrides, CliError> {
    Ok(Overrides {
        name: values::name_flag(context)?,
        namespace: values::namespace_flag(context)?,
        scope: values::scope_flag(context)?,
        default_namespace: Some(values::context_namespace(context)),
    })
}

fn raw(context: &Context<'_>) -> Result<Config, CliError> {
    let overrides = sealing_overrides(context)?;
    let value_file = context.args.from_file.iter().find(|f| !f.is_empty());
    Ok(Config::Raw {
        input: Input::from_file_flag(value_file.map(|f| values::raw_value_path(f))),
        output: context.args.write.clone(),
        // The value goes into a file of the dialect's API unless --api says otherwise.
        to: values::recipients(
            context,
            Some(values::api_flag(context)?.unwrap_or(context.dialect.default_api())),
        )?,
        overrides,
    })
}

fn merge(context: &Context<'_>, file: PathBuf) -> Result<Config, CliError> {
    if values::api_flag(context)?.is_some() {
        return Err(CliError::usage(
            "--api cannot be used with --merge-into",
            "the file keeps its own apiVersion; use --re-encrypt --api to move it",
        ));
    }
    let scope = values::scope_flag(context)?;
    let namespace = values::namespace_flag(context)?;
    let format = context.dialect.merge_format(values::format_flag(context)?);
    let to = values::recipients(context, None)?;
    Ok(Config::Merge(Box::new(MergeJob {
        input: Input::new(context.args.file.clone()),
        file,
        format,
        to,
        options: MergeOptions {
            scope,
            allow_empty_data: context.args.allow_empty_data,
        },
        namespace,
        dialect: context.dialect,
    })))
}

fn seal(context: &Context<'_>) -> Result<Config, CliError> {
    let overrides = sealing_overrides(context)?;
    let api = values::api_flag(context)?.unwrap_or(context.dialect.default_api());
    let path = context.args.write.clone();
    let format =
        context
            .dialect
            .output_format(values::format_flag(context)?, path.as_deref(), Format::Yaml);
    Ok(Config::Seal {
        input: Input::new(context.args.file.clone()),
        output: Output { path, format },
        to: values::recipients(context, Some(api))?,
        options: SealOptions {
            overrides,
            api,
            allow_empty_data: context.args.allow_empty_data,
        },
        dialect: context.dialect,
    })
}

fn inspect(context: &Context<'_>) -> Result<Config, CliError> {
    let args = context.args;
    let certs = match (args.cert.is_empty(), &args.controller_url) {
        (true, None) => Vec::new(),
        _ => values::inspected_certs(context)?,
    };
    Ok(Config::Inspect {
        input: Input::new(args.file.clone()),
        output: args.write.clone(),
        certs,
    })
}
