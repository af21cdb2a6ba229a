//! Stage two: raw flags → a validated job. Everything that can be checked before work starts is
//! checked here: flag combinations, environment fallbacks, the certificate (loaded, expiry
//! checked) and the recovery keys (read).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sealsync_core::api::{Api, Format};
use sealsync_core::crypto::{Certificate, KeyBits, KeyGenOptions, PrivateKey, Scope};
use sealsync_core::sealing::{MergeOptions, Overrides, SealOptions};

use crate::args::{Cli, Command, KeygenArgs, SealArgs};
use crate::cert::{self, CertSource};
use crate::error::CliError;
use crate::io::Input;
use crate::kubeconfig;

/// Looks up an environment variable (empty counts as unset).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Where and how to write the result.
#[derive(Debug, Clone)]
pub struct Output {
    /// The file; `None` is stdout.
    pub path: Option<PathBuf>,
    /// The format.
    pub format: Format,
}

/// A validated job.
pub enum Config {
    /// Seal Secrets.
    Seal {
        /// Secrets to read.
        input: Input,
        /// Where to write.
        output: Output,
        /// Sealing certificate.
        cert: Certificate,
        /// Scope, names and API.
        options: SealOptions,
    },
    /// Seal one raw value.
    Raw {
        /// The value.
        input: Input,
        /// The file; `None` is stdout.
        output: Option<PathBuf>,
        /// Sealing certificate.
        cert: Certificate,
        /// Name, namespace, scope.
        overrides: Overrides,
    },
    /// Merge into an existing file.
    Merge {
        /// Secrets to read.
        input: Input,
        /// The file to update in place.
        file: PathBuf,
        /// Output format if forced with -o; else the file's own.
        format: Option<Format>,
        /// Sealing certificate.
        cert: Certificate,
        /// Merge options.
        options: MergeOptions,
    },
    /// Print the certificate.
    FetchCert {
        /// The PEM text.
        pem: String,
        /// The file; `None` is stdout.
        output: Option<PathBuf>,
    },
    /// Decrypt offline.
    RecoveryUnseal {
        /// SealedSecrets to read.
        input: Input,
        /// Where to write.
        output: Output,
        /// Keys to try.
        keys: Vec<PrivateKey>,
        /// Name and namespace for SealedSecrets that lack them.
        fill: Overrides,
    },
    /// Re-seal to a new certificate.
    ReEncrypt {
        /// SealedSecrets to read.
        input: Input,
        /// Where to write; format `None` keeps the input's.
        path: Option<PathBuf>,
        /// Forced output format.
        format: Option<Format>,
        /// Offline keys and the new certificate, or the controller (which re-seals to its newest key).
        how: ReEncryptWith,
        /// API group to move to, if asked.
        api: Option<Api>,
    },
    /// Check that values open.
    Validate {
        /// SealedSecrets to read.
        input: Input,
        /// Offline keys, or the controller.
        with: Opener,
        /// Name and namespace for SealedSecrets that lack them.
        fill: Overrides,
    },
    /// Generate a key pair.
    Keygen {
        /// Output directory.
        dir: PathBuf,
        /// Key options.
        options: KeyGenOptions,
        /// Overwrite existing files.
        force: bool,
    },
}

/// Who opens the values for `--validate`.
pub enum Opener {
    /// Private keys given with `--recovery-private-key`: offline.
    Keys(Vec<PrivateKey>),
    /// No keys: the controller at this URL (`POST URL/v1/verify`).
    Controller(String),
}

/// How `--re-encrypt` works.
pub enum ReEncryptWith {
    /// Offline: open with these keys, seal to this certificate.
    Keys(Vec<PrivateKey>, Certificate),
    /// No keys: the controller at this URL re-seals to its newest key (`POST URL/v1/rotate`).
    Controller(String),
}

impl Config {
    /// Validates the command line and loads what the job needs.
    pub fn resolve(cli: Cli, env: Env<'_>) -> Result<Config, CliError> {
        match cli.command {
            Some(Command::Keygen(args)) => keygen(args),
            None => seal_modes(cli.seal, env),
        }
    }
}

/// The longest certificate `seal keygen` makes: a hundred years, well before X.509's year 9999.
const MAX_VALIDITY_DAYS: u32 = 36_500;

fn keygen(args: KeygenArgs) -> Result<Config, CliError> {
    let bits = match args.bits.as_str() {
        "2048" => KeyBits::Rsa2048,
        "3072" => KeyBits::Rsa3072,
        _ => KeyBits::Rsa4096,
    };
    if args.validity_days == 0 || args.validity_days > MAX_VALIDITY_DAYS {
        return Err(CliError::usage(
            format!(
                "--validity-days must be between 1 and {MAX_VALIDITY_DAYS}, not {}",
                args.validity_days
            ),
            "the default is 3650 days (ten years), as Bitnami's controller uses; rotate keys \
             rather than making one last a century",
        ));
    }
    Ok(Config::Keygen {
        dir: args.out_dir,
        options: KeyGenOptions {
            bits,
            common_name: args.cn,
            validity: Duration::from_secs(u64::from(args.validity_days) * 24 * 60 * 60),
        },
        force: args.force,
    })
}

/// The flag's value, else the first environment variable set.
fn flag_or_env(
    flag: Option<String>,
    vars: &[&'static str],
    env: Env<'_>,
) -> Option<(String, Option<&'static str>)> {
    flag.map(|v| (v, None)).or_else(|| {
        vars.iter()
            .find_map(|var| env(var).map(|v| (v, Some(*var))))
    })
}

fn parse_choice<T>(
    value: Option<(String, Option<&'static str>)>,
    expected: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, CliError> {
    match value {
        None => Ok(None),
        Some((v, var)) => match parse(&v) {
            Some(t) => Ok(Some(t)),
            None => Err(CliError::BadEnv {
                var: var.unwrap_or("flag"),
                value: v,
                expected,
            }),
        },
    }
}

fn parse_format(s: &str) -> Option<Format> {
    match s {
        "yaml" => Some(Format::Yaml),
        "json" => Some(Format::Json),
        _ => None,
    }
}

fn seal_modes(args: SealArgs, env: Env<'_>) -> Result<Config, CliError> {
    let explicit_format = parse_choice(
        flag_or_env(
            args.format.clone(),
            &["SEAL_FORMAT", "SEALED_SECRETS_FORMAT"],
            env,
        ),
        "yaml or json",
        parse_format,
    )?;
    let flag_format = args.format.as_deref().and_then(parse_format);
    let scope = parse_choice(
        flag_or_env(
            args.scope.clone(),
            &["SEAL_SCOPE", "SEALED_SECRETS_SCOPE"],
            env,
        ),
        "strict, namespace-wide or cluster-wide",
        |s| s.parse::<Scope>().ok(),
    )?;
    let api = parse_choice(
        flag_or_env(args.api.clone(), &["SEAL_API"], env),
        "sealsync or bitnami",
        |s| s.parse::<Api>().ok(),
    )?;
    let overrides = Overrides {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        scope,
        default_namespace: None,
    };
    let input = Input::new(args.file.clone());
    let format_for = |path: Option<&PathBuf>| {
        output_format(flag_format, path, explicit_format).unwrap_or_default()
    };

    if args.fetch_cert {
        let source = cert_source(&args, env);
        let (pem, cert, location) = cert::fetch(&source, &args.cluster, env)?;
        if cert.is_expired_at(SystemTime::now()) {
            crate::io::stderr_line(&crate::redact::redact_urls(&format!(
                "warning: the certificate {location} expired on {}",
                cert::rfc3339(cert.not_after())
            )));
        }
        return Ok(Config::FetchCert {
            pem,
            output: args.write,
        });
    }
    if (args.recovery_unseal || args.validate || args.re_encrypt) && args.scope.is_some() {
        return Err(CliError::usage(
            "--scope cannot be used to unseal, validate or re-encrypt",
            "the scope is read from the SealedSecret's own annotations; drop --scope",
        ));
    }
    if args.validate {
        let fill = Overrides {
            scope: None,
            ..overrides
        };
        let with = match controller_for_keys(&args, env) {
            Some(url) => Opener::Controller(url),
            None => Opener::Keys(recovery_keys(&args, env)?),
        };
        return Ok(Config::Validate { input, with, fill });
    }
    if args.recovery_unseal {
        let keys = recovery_keys(&args, env)?;
        let fill = Overrides {
            scope: None,
            ..overrides
        };
        return Ok(Config::RecoveryUnseal {
            input,
            output: Output {
                format: format_for(args.write.as_ref()),
                path: args.write,
            },
            keys,
            fill,
        });
    }
    if args.re_encrypt {
        let how = match controller_for_keys(&args, env) {
            Some(url) => ReEncryptWith::Controller(url),
            None => ReEncryptWith::Keys(recovery_keys(&args, env)?, sealing_cert(&args, env)?),
        };
        let path = args
            .write
            .clone()
            .or_else(|| input.path().map(PathBuf::from));
        let format = output_format(flag_format, path.as_ref(), explicit_format);
        return Ok(Config::ReEncrypt {
            input,
            path,
            format,
            how,
            api,
        });
    }
    // From here on values are sealed: a Secret that names no namespace gets the kubeconfig
    // context's, else `default`, as with kubeseal.
    let overrides = Overrides {
        default_namespace: Some(context_namespace(&args, env)),
        ..overrides
    };
    if args.raw {
        let cert = sealing_cert(&args, env)?;
        let input = Input::new(args.from_file.as_deref().map(raw_value_path));
        return Ok(Config::Raw {
            input,
            output: args.write,
            cert,
            overrides,
        });
    }
    if let Some(file) = args.merge_into.clone() {
        if args.api.is_some() {
            return Err(CliError::usage(
                "--api cannot be used with --merge-into",
                "the file keeps its own apiVersion; use --re-encrypt --api to move it",
            ));
        }
        let cert = sealing_cert(&args, env)?;
        return Ok(Config::Merge {
            input,
            file,
            format: flag_format,
            cert,
            options: MergeOptions {
                scope,
                allow_empty_data: args.allow_empty_data,
            },
        });
    }
    let cert = sealing_cert(&args, env)?;
    Ok(Config::Seal {
        input,
        output: Output {
            format: format_for(args.write.as_ref()),
            path: args.write,
        },
        cert,
        options: SealOptions {
            overrides,
            api: api.unwrap_or_default(),
            allow_empty_data: args.allow_empty_data,
        },
    })
}

/// The output format: `-o`, else the output file's extension, else the environment.
fn output_format(
    flag: Option<Format>,
    path: Option<&PathBuf>,
    env: Option<Format>,
) -> Option<Format> {
    flag.or_else(|| path.and_then(|p| Format::from_extension(p)))
        .or(env)
}

/// kubeseal accepts `--from-file key=path` and ignores the key.
fn raw_value_path(arg: &str) -> PathBuf {
    let whole = PathBuf::from(arg);
    match arg.split_once('=') {
        Some((_, path)) if !whole.exists() => PathBuf::from(path),
        _ => whole,
    }
}

fn cert_source(args: &SealArgs, env: Env<'_>) -> CertSource {
    if let Some((location, _)) = flag_or_env(
        args.cert.clone(),
        &["SEAL_CERT", "SEALED_SECRETS_CERT"],
        env,
    ) {
        return CertSource::Location(location);
    }
    if let Some((url, _)) = flag_or_env(args.controller_url.clone(), &["SEAL_CONTROLLER_URL"], env)
    {
        return CertSource::Controller(url);
    }
    CertSource::Cluster {
        namespace: args
            .cluster
            .controller_namespace
            .clone()
            .unwrap_or_else(|| "sealsync-system".to_owned()),
        name: args
            .cluster
            .controller_name
            .clone()
            .unwrap_or_else(|| "sealsync".to_owned()),
    }
}

/// The certificate to seal with: loaded, parsed and not expired.
fn sealing_cert(args: &SealArgs, env: Env<'_>) -> Result<Certificate, CliError> {
    let (_, cert, location) = cert::fetch(&cert_source(args, env), &args.cluster, env)?;
    if cert.is_expired_at(SystemTime::now()) {
        return Err(CliError::CertExpired {
            location,
            not_after: cert::rfc3339(cert.not_after()),
        });
    }
    Ok(cert)
}

/// The kubeconfig context's namespace, else `default`. A kubeconfig that cannot be read is
/// reported and skipped: it only matters for a Secret that names no namespace.
fn context_namespace(args: &SealArgs, env: Env<'_>) -> String {
    let cluster = &args.cluster;
    match kubeconfig::context_namespace(
        cluster.kubeconfig.as_deref(),
        cluster.context.as_deref(),
        env,
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

/// The controller URL that opens values when no private key is given: `--controller-url` (or
/// its variable) without `--recovery-private-key` (or its variables).
fn controller_for_keys(args: &SealArgs, env: Env<'_>) -> Option<String> {
    let has_keys = !args.recovery_private_key.is_empty()
        || [
            "SEAL_RECOVERY_PRIVATE_KEY",
            "SEALED_SECRETS_RECOVERY_PRIVATE_KEY",
        ]
        .iter()
        .any(|var| env(var).is_some_and(|v| !v.is_empty()));
    if has_keys {
        return None;
    }
    flag_or_env(args.controller_url.clone(), &["SEAL_CONTROLLER_URL"], env).map(|(url, _)| url)
}

fn recovery_keys(args: &SealArgs, env: Env<'_>) -> Result<Vec<PrivateKey>, CliError> {
    let mut paths = args.recovery_private_key.clone();
    if paths.is_empty() {
        let from_env = [
            "SEAL_RECOVERY_PRIVATE_KEY",
            "SEALED_SECRETS_RECOVERY_PRIVATE_KEY",
        ]
        .iter()
        .find_map(|var| env(var));
        paths = from_env
            .map(|v| {
                v.split(',')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
    }
    if paths.is_empty() {
        let hint = if args.recovery_unseal {
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
        let bytes = std::fs::read(&path).map_err(|source| CliError::ReadKeyFile {
            path: path.clone(),
            source,
        })?;
        let bytes = zeroize::Zeroizing::new(bytes);
        let mut found = sealsync_core::sealing::read_private_keys(&bytes)
            .map_err(|source| CliError::BadKeyFile { path, source })?;
        keys.append(&mut found);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_flag_then_the_extension_then_the_environment() {
        let json = PathBuf::from("out.json");
        let other = PathBuf::from("out.txt");
        assert_eq!(
            output_format(Some(Format::Yaml), Some(&json), None),
            Some(Format::Yaml)
        );
        assert_eq!(
            output_format(None, Some(&json), Some(Format::Yaml)),
            Some(Format::Json)
        );
        assert_eq!(
            output_format(None, Some(&other), Some(Format::Json)),
            Some(Format::Json)
        );
        assert_eq!(output_format(None, None, None), None);
    }

    #[test]
    fn flags_win_over_variables_and_the_first_variable_wins() {
        let env = |name: &str| match name {
            "SEAL_SCOPE" => Some("cluster-wide".to_owned()),
            "SEALED_SECRETS_SCOPE" => Some("strict".to_owned()),
            _ => None,
        };
        let vars = ["SEAL_SCOPE", "SEALED_SECRETS_SCOPE"];
        assert_eq!(
            flag_or_env(Some("namespace-wide".into()), &vars, &env),
            Some(("namespace-wide".to_owned(), None))
        );
        assert_eq!(
            flag_or_env(None, &vars, &env),
            Some(("cluster-wide".to_owned(), Some("SEAL_SCOPE")))
        );
        assert_eq!(flag_or_env(None, &["SEAL_API"], &env), None);
        let bad = parse_choice(Some(("global".into(), Some("SEAL_SCOPE"))), "scopes", |s| {
            s.parse::<Scope>().ok()
        });
        assert!(matches!(
            bad,
            Err(CliError::BadEnv {
                var: "SEAL_SCOPE",
                ..
            })
        ));
    }

    #[test]
    fn from_file_accepts_key_equals_path() {
        assert_eq!(raw_value_path("password=/tmp/x"), PathBuf::from("/tmp/x"));
        assert_eq!(raw_value_path("value.txt"), PathBuf::from("value.txt"));
    }
}
