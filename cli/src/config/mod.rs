//! Stage two: raw flags → a validated job. Everything that can be checked before work starts is
//! checked here: which mode the flags ask for, their combinations and values, the certificate
//! (loaded, expiry checked) and the recovery keys (read).
//!
//! - [`mode`]: the one mode a run is in, and the flags that make no sense with it.
//! - [`values`]: flag values read the way the dialect reads them (format, scope, API, names).
//! - [`jobs`]: one builder per mode.

mod jobs;
mod mode;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use sealsync_core::api::Format;
use sealsync_core::crypto::{Certificate, KeyBits, KeyGenOptions, PrivateKey, Recipients};
use sealsync_core::sealing::{MergeOptions, Overrides, SealOptions};

use crate::args::{Command, KeygenArgs, SealArgs};
use crate::dialect::{Dialect, FormatFlag};
use crate::envflags::Parsed;
use crate::error::CliError;
use crate::io::Input;

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
        /// The sealing certificates' keys.
        to: Recipients,
        /// Scope, names and API.
        options: SealOptions,
        /// Whose rules fill in the namespace.
        dialect: Dialect,
    },
    /// Seal one raw value.
    Raw {
        /// The value.
        input: Input,
        /// The file; `None` is stdout.
        output: Option<PathBuf>,
        /// The sealing certificates' keys.
        to: Recipients,
        /// Name, namespace, scope.
        overrides: Overrides,
    },
    /// Merge into an existing file.
    Merge(Box<MergeJob>),
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
        keys: Keyring,
        /// Name and namespace for SealedSecrets that lack them.
        fill: Overrides,
    },
    /// Re-seal to a new certificate.
    ReEncrypt {
        /// SealedSecrets to read.
        input: Input,
        /// Where to write: `-w`, else the input file, else stdout.
        path: Option<PathBuf>,
        /// `-o`, and whose rule turns it into a format.
        format: (FormatFlag, Dialect),
        /// Offline keys and the new certificate, or the controller (which re-seals to its newest key).
        how: ReEncryptWith,
        /// API group to move to, if asked.
        api: Option<sealsync_core::api::Api>,
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
    /// Describe sealed values without opening them.
    Inspect {
        /// SealedSecrets to read.
        input: Input,
        /// The file; `None` is stdout.
        output: Option<PathBuf>,
        /// The certificates to compare with, and where each came from.
        certs: Vec<(Certificate, String)>,
    },
    /// Print the version line.
    Version(String),
    /// Print a completion script.
    Completions(clap_complete::Shell),
    /// Write the man pages into a folder.
    Man(PathBuf),
}

/// `--merge-into`.
pub struct MergeJob {
    /// Secrets to read.
    pub input: Input,
    /// The file to update in place.
    pub file: PathBuf,
    /// The format to rewrite it in; `None` keeps the file's own.
    pub format: Option<Format>,
    /// The sealing certificates' keys.
    pub to: Recipients,
    /// Merge options (`scope` is `--scope`).
    pub options: MergeOptions,
    /// `--namespace`, which must be the file's.
    pub namespace: Option<String>,
    /// Whose rule picks the scope.
    pub dialect: Dialect,
}

/// Who opens the values for `--validate`.
pub enum Opener {
    /// Private keys given with `--recovery-private-key`: offline.
    Keys(Keyring),
    /// No keys: the controller (`POST …/v1/verify`).
    Controller(crate::controller::Controller),
}

/// How `--re-encrypt` works.
pub enum ReEncryptWith {
    /// Offline: open with these keys, seal to these certificates.
    Keys(Keyring, Recipients),
    /// No keys: the controller re-seals to its newest key (`POST …/v1/rotate`).
    Controller(crate::controller::Controller),
}

/// The private keys of `--recovery-private-key`, and how many threads open values with them.
pub struct Keyring {
    /// The keys.
    pub keys: Vec<PrivateKey>,
    /// `--threads`, else every core.
    pub threads: std::num::NonZeroUsize,
}

impl Keyring {
    /// Opens every value of every SealedSecret, on every thread: for each, what
    /// `SealedView::open_all` gives.
    pub fn open(
        &self,
        sealed: &[sealsync_core::api::SealedSecret],
    ) -> Vec<
        Result<
            BTreeMap<String, sealsync_core::crypto::Opened>,
            sealsync_core::sealing::UnsealError,
        >,
    > {
        let views: Vec<_> = sealed.iter().map(|s| s.view()).collect();
        sealsync_core::sealing::parallel::open_views(&views, &self.keys, self.threads)
    }
}

/// Everything the builders read: the flags, where each came from, and the dialect.
pub struct Context<'a> {
    /// The flags (variables already filled in).
    pub args: &'a SealArgs,
    /// Whose defaults apply.
    pub dialect: Dialect,
    /// Long names of the flags given on the command line.
    pub on_command_line: &'a BTreeSet<String>,
    /// Long name → the variable that stood in for it.
    pub from_env: &'a BTreeMap<String, String>,
    /// The environment, for the kubeconfig.
    pub env: Env<'a>,
}

impl Config {
    /// Validates the command line and loads what the job needs. Also returns one note per flag
    /// that has no effect in the job's mode.
    pub fn resolve(
        parsed: Parsed,
        argv0: Option<&std::ffi::OsStr>,
        env: Env<'_>,
    ) -> Result<(Config, Vec<String>), CliError> {
        let Parsed {
            cli,
            on_command_line,
            from_env,
        } = parsed;
        match cli.command {
            Some(Command::Keygen(args)) => return Ok((keygen(args)?, Vec::new())),
            Some(Command::Completions { shell }) => {
                return Ok((Config::Completions(shell), Vec::new()));
            }
            Some(Command::Man { out_dir }) => return Ok((Config::Man(out_dir), Vec::new())),
            None => {}
        }
        let args = &cli.seal;
        let dialect = Dialect::detect(argv0, args.kubeseal_compat);
        if args.version {
            return Ok((Config::Version(dialect.version_line()), Vec::new()));
        }
        let context = Context {
            args,
            dialect,
            on_command_line: &on_command_line,
            from_env: &from_env,
            env,
        };
        jobs::build(&context)
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
