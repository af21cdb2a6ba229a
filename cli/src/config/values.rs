//! Flag values, read the way the dialect reads them, and what they load: the output format, the
//! scope, the API group, the name and namespace, the certificate and the recovery keys.
//!
//! An empty value is the default, as for kubeseal's flags (`-o ""`, `--scope ""`, `--cert ""`).
//! A value that came from a variable is blamed on the variable.

use std::path::PathBuf;
use std::time::SystemTime;

use sealsync_core::api::{Api, Format};
use sealsync_core::crypto::{Certificate, PrivateKey, PublicKey, Recipients, Scope, Sealer};

use super::Context;
use super::mode::{Mode, Via};
use crate::cert::{self, CertSource};
use crate::cluster::Cluster;
use crate::controller::Controller;
use crate::dialect::FormatFlag;
use crate::error::CliError;
use crate::kubeconfig;
use crate::validate;

/// The flag's value, `None` when unset or empty.
fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

/// How a bad value is reported: against its variable, else as a usage error.
fn refuse(
    context: &Context<'_>,
    long: &str,
    value: &str,
    expected: &'static str,
    hint: &str,
) -> CliError {
    match context.from_env.get(long) {
        Some(var) => CliError::BadEnv {
            var: var.clone(),
            value: value.to_owned(),
            expected,
        },
        None => CliError::usage(
            format!("--{long} {value:?} is not valid: expected {expected}"),
            hint,
        ),
    }
}

/// `-o`: json or yaml in any case (kubeseal lower-cases it); empty is the default.
pub fn format_flag(context: &Context<'_>) -> Result<FormatFlag, CliError> {
    let on_command_line = context.on_command_line.contains("format");
    let value = match non_empty(context.args.format.as_ref()) {
        None => None,
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" => Some(Format::Yaml),
            _ => {
                return Err(refuse(
                    context,
                    "format",
                    v,
                    "json or yaml",
                    "use -o json or -o yaml",
                ));
            }
        },
    };
    Ok(FormatFlag {
        value,
        on_command_line,
    })
}

/// `--scope`; empty is the default (the input's annotations, else strict).
pub fn scope_flag(context: &Context<'_>) -> Result<Option<Scope>, CliError> {
    match non_empty(context.args.scope.as_ref()) {
        None => Ok(None),
        Some(v) => v.parse::<Scope>().map(Some).map_err(|_| {
            refuse(
                context,
                "scope",
                v,
                "strict, namespace-wide or cluster-wide",
                "pass --scope strict, namespace-wide or cluster-wide, or leave it out to use the \
                 input's scope annotation (else strict)",
            )
        }),
    }
}

/// `--api`; empty is the dialect's default.
pub fn api_flag(context: &Context<'_>) -> Result<Option<Api>, CliError> {
    match non_empty(context.args.api.as_ref()) {
        None => Ok(None),
        Some(v) => v.parse::<Api>().map(Some).map_err(|_| {
            refuse(
                context,
                "api",
                v,
                "sealsync or bitnami",
                "use --api sealsync (sealsync.io/v1alpha1) or --api bitnami (bitnami.com/v1alpha1)",
            )
        }),
    }
}

/// Where a flag's value came from, for messages: `--flag` or its variable.
fn origin(context: &Context<'_>, long: &str) -> String {
    context
        .from_env
        .get(long)
        .cloned()
        .unwrap_or_else(|| format!("--{long}"))
}

/// `--namespace`, as the dialect reads it (kubeseal strips `ns/`), checked as a namespace.
pub fn namespace_flag(context: &Context<'_>) -> Result<Option<String>, CliError> {
    let Some(raw) = non_empty(context.args.namespace.as_ref()) else {
        return Ok(None);
    };
    let namespace = context.dialect.namespace_flag(raw);
    validate::namespace(&namespace).map_err(|source| CliError::InvalidFlag {
        flag: origin(context, "namespace"),
        source,
    })?;
    Ok(Some(namespace))
}

/// `--name`, checked as an object name.
pub fn name_flag(context: &Context<'_>) -> Result<Option<String>, CliError> {
    let Some(name) = non_empty(context.args.name.as_ref()) else {
        return Ok(None);
    };
    validate::name(name).map_err(|source| CliError::InvalidFlag {
        flag: origin(context, "name"),
        source,
    })?;
    Ok(Some(name.to_owned()))
}

/// Where the sealing certificates come from: each `--cert`, else `--controller-url`, else the
/// cluster.
pub fn cert_sources(context: &Context<'_>) -> (Vec<CertSource>, Via) {
    let args = context.args;
    if !args.cert.is_empty() {
        let sources = args.cert.iter().map(|c| match c.is_empty() {
            true => default_cert_source(context).0,
            false => CertSource::Location(c.clone()),
        });
        return (sources.collect(), Via::Cert);
    }
    let (source, via) = default_cert_source(context);
    (vec![source], via)
}

/// Where the certificate comes from without `--cert`: `--controller-url`, else the cluster.
fn default_cert_source(context: &Context<'_>) -> (CertSource, Via) {
    if let Some(url) = non_empty(context.args.controller_url.as_ref()) {
        return (CertSource::Controller(url.to_owned()), Via::ControllerUrl);
    }
    let (namespace, name) = controller_service(context);
    (CertSource::Cluster { namespace, name }, Via::Cluster)
}

/// The one certificate source of a mode that takes one (`--fetch-cert`).
fn one_cert_source(context: &Context<'_>) -> Result<CertSource, CliError> {
    let (mut sources, _) = cert_sources(context);
    match sources.len() {
        1 => Ok(sources.remove(0)),
        n => Err(CliError::usage(
            format!("--fetch-cert prints one certificate, and {n} --cert flags were given"),
            "pass one --cert (or none, to fetch it from the controller)",
        )),
    }
}

/// The controller's Service in the cluster: `--controller-namespace`, `--controller-name`.
fn controller_service(context: &Context<'_>) -> (String, String) {
    let cluster = &context.args.cluster;
    let namespace = non_empty(cluster.controller_namespace.as_ref()).unwrap_or("sealsync-system");
    let name = non_empty(cluster.controller_name.as_ref()).unwrap_or("sealsync");
    (namespace.to_owned(), name.to_owned())
}

/// The certificate to print with `--fetch-cert`; an expired one is printed with a warning.
pub fn fetched_cert(context: &Context<'_>) -> Result<String, CliError> {
    let source = one_cert_source(context)?;
    let (pem, cert, location) = cert::fetch(&source, &context.args.cluster, context.env)?;
    if cert.is_expired_at(SystemTime::now()) {
        crate::io::stderr_line(&sealsync_core::redact::redact_urls(&format!(
            "warning: the certificate {location} expired on {}",
            cert::rfc3339(cert.not_after())
        )));
    }
    Ok(pem)
}

/// The certificates `--inspect` compares with (expired or not), and where each came from.
pub fn inspected_certs(context: &Context<'_>) -> Result<Vec<(Certificate, String)>, CliError> {
    let (sources, _) = cert_sources(context);
    sources
        .iter()
        .map(|source| {
            let (_, cert, location) = cert::fetch(source, &context.args.cluster, context.env)?;
            Ok((cert, location))
        })
        .collect()
}

/// The certificates to seal with, each loaded, parsed and not expired: one key gives Bitnami's
/// format, several the multi-recipient format, which `api` must not be Bitnami's for.
pub fn recipients(context: &Context<'_>, api: Option<Api>) -> Result<Recipients, CliError> {
    let (sources, _) = cert_sources(context);
    let mut keys = Vec::with_capacity(sources.len());
    for source in &sources {
        let (_, cert, location) = cert::fetch(source, &context.args.cluster, context.env)?;
        if cert.is_expired_at(SystemTime::now()) {
            return Err(CliError::CertExpired {
                location,
                not_after: cert::rfc3339(cert.not_after()),
            });
        }
        // The same key named twice (the same file twice, or a renewed certificate of the same
        // key) is one recipient: kubeseal takes a repeated --cert without complaint.
        let key = cert.public_key();
        if !keys
            .iter()
            .any(|k: &PublicKey| k.fingerprint() == key.fingerprint())
        {
            keys.push(key.clone());
        }
    }
    let recipients =
        Recipients::for_keys(keys).map_err(|source| CliError::Recipients { source })?;
    if recipients.is_multi() && api == Some(Api::Bitnami) {
        return Err(CliError::usage(
            format!(
                "{} certificates give sealsync's multi-recipient format, which a Bitnami \
                 controller cannot open, and the output is for bitnami.com/v1alpha1",
                recipients.keys().len()
            ),
            "pass --api sealsync (every cluster runs sealsync), or seal once per cluster with \
             one --cert each",
        ));
    }
    Ok(recipients)
}

/// The kubeconfig context's namespace, else `default`. A kubeconfig that cannot be read is
/// reported and skipped: it only matters for a Secret that names no namespace.
pub fn context_namespace(context: &Context<'_>) -> String {
    let cluster = &context.args.cluster;
    match kubeconfig::context_namespace(
        cluster.kubeconfig.as_deref(),
        cluster.context.as_deref(),
        context.env,
    ) {
        Ok(namespace) => namespace.unwrap_or_else(|| "default".to_owned()),
        Err(e) => {
            crate::io::stderr_line(&format!(
                "warning: {e}; a Secret without a namespace is sealed for namespace \"default\" (pass --namespace to choose)"
            ));
            "default".to_owned()
        }
    }
}

/// What `mode` reaches, for the notes: the controller or the keys for `--validate` and
/// `--re-encrypt`, else where the certificate comes from.
pub fn via(context: &Context<'_>, mode: &Mode) -> Via {
    let keys = !context.args.recovery_private_key.is_empty();
    let controller_url = context.args.controller_url.is_some();
    match (mode, keys, controller_url) {
        (Mode::Validate, true, _) => Via::Keys,
        (Mode::Validate | Mode::ReEncrypt, false, true) => Via::ControllerUrl,
        (Mode::Validate | Mode::ReEncrypt, false, false) => Via::Cluster,
        _ => cert_sources(context).1,
    }
}

/// The controller that opens values when no private key is given: at `--controller-url`, else,
/// as kubeseal does, the controller's Service through the kubeconfig's API server.
pub fn controller_for_keys(context: &Context<'_>) -> Result<Option<Controller>, CliError> {
    let args = context.args;
    if !args.recovery_private_key.is_empty() {
        return Ok(None);
    }
    if let Some(base) = non_empty(args.controller_url.as_ref()) {
        let wait = wait(context)?;
        return Ok(Some(Controller::Url {
            base: base.to_owned(),
            agent: crate::http::public_agent(wait)?,
            wait,
        }));
    }
    let cluster = Cluster::connect(&args.cluster, context.env).map_err(|e| match e {
        CliError::Kubeconfig { source } => CliError::NoOpener { source },
        other => other,
    })?;
    let (namespace, name) = controller_service(context);
    Ok(Some(Controller::Cluster {
        cluster: Box::new(cluster),
        namespace,
        name,
    }))
}

/// How long one HTTP request may take (`--request-timeout`).
pub fn wait(context: &Context<'_>) -> Result<crate::http::Wait, CliError> {
    crate::http::Wait::from_flag(context.args.cluster.request_timeout.as_deref())
}

/// The private keys of `--recovery-private-key`, read, with `--threads`.
pub fn keyring(context: &Context<'_>) -> Result<super::Keyring, CliError> {
    Ok(super::Keyring {
        keys: recovery_keys(context)?,
        threads: context
            .args
            .threads
            .unwrap_or_else(sealsync_core::sealing::parallel::all_cores),
    })
}

/// The private keys of `--recovery-private-key`, read.
fn recovery_keys(context: &Context<'_>) -> Result<Vec<PrivateKey>, CliError> {
    let paths: Vec<&PathBuf> = context
        .args
        .recovery_private_key
        .iter()
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if paths.is_empty() {
        let hint = if context.args.recovery_unseal {
            "pass --recovery-private-key FILE[,FILE…] (PEM keys, a key Secret, or a key backup List)"
        } else {
            "pass --recovery-private-key FILE[,FILE…] (PEM keys, a key Secret, or a key backup List), \
             or --controller-url URL to let the controller open the values"
        };
        return Err(CliError::usage(
            "this mode needs the private keys to open the values",
            hint,
        ));
    }
    let mut keys = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| CliError::ReadKeyFile {
            path: path.clone(),
            source,
        })?;
        let bytes = zeroize::Zeroizing::new(bytes);
        let mut found = sealsync_core::sealing::read_private_keys(&bytes).map_err(|source| {
            CliError::BadKeyFile {
                path: path.clone(),
                source,
            }
        })?;
        keys.append(&mut found);
    }
    Ok(keys)
}

/// kubeseal accepts `--from-file key=path` and ignores the key (`ParseFromFile`).
pub fn raw_value_path(arg: &str) -> PathBuf {
    let whole = PathBuf::from(arg);
    match arg.split_once('=') {
        Some((_, path)) if !whole.exists() => PathBuf::from(path),
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_file_accepts_key_equals_path() {
        assert_eq!(raw_value_path("password=/tmp/x"), PathBuf::from("/tmp/x"));
        assert_eq!(raw_value_path("value.txt"), PathBuf::from("value.txt"));
    }
}
