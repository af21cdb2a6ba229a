//! The raw command line, as clap parses it. Nothing here is validated beyond its syntax:
//! [`crate::config`] does that, and [`crate::envflags`] fills in flags from the environment.
//!
//! The flags are kubeseal's (its `main.go`, the kubectl connection flags of client-go's
//! `clientcmd.RecommendedConfigOverrideFlags`, and klog's), plus `seal`'s own. A boolean flag takes
//! its value the way Go's pflag does: `--raw`, `--raw=true` or `--raw=false` (any form Go's
//! `strconv.ParseBool` reads).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

const ENV_HELP: &str = "\
Environment: every flag also reads SEAL_<FLAG>, then SEALED_SECRETS_<FLAG> (kubeseal's names:
upper case, '-' as '_', e.g. SEALED_SECRETS_CERT, SEALED_SECRETS_CONTROLLER_NAMESPACE). A flag
on the command line wins; an empty variable counts as unset.

Invoked as `kubeseal` (a symlink or a copy named so) or with --kubeseal-compat, the defaults
are kubeseal's: JSON output, bitnami.com/v1alpha1, and kubeseal's -w rule (.yaml/.yml writes
YAML, anything else -o, default JSON).

Examples:
  seal keygen --out-dir keys
  kubectl -n prod create secret generic db --from-literal=password=s3cr3t --dry-run=client -o yaml \\
    | seal --cert keys/tls.crt > db.sealed.yaml
  seal --recovery-unseal --recovery-private-key keys/tls.key -f db.sealed.yaml";

/// Seal Kubernetes Secrets into SealedSecrets for sealsync or Bitnami Sealed Secrets.
///
/// Reads a Secret (YAML or JSON, one or more documents) from stdin or -f and writes one
/// SealedSecret per input to stdout or -w. The flags are kubeseal's, plus a few of its own.
#[derive(Debug, Parser)]
#[command(
    name = "seal",
    args_conflicts_with_subcommands = true,
    // A flag given twice takes its last value, as with pflag (kubeseal); the list flags
    // (--cert, --recovery-private-key, --from-file) accumulate.
    args_override_self = true,
    disable_version_flag = true,
    after_help = ENV_HELP
)]
pub struct Cli {
    /// A subcommand; without one, `seal` seals.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The sealing flags.
    #[command(flatten)]
    pub seal: SealArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a sealing key: tls.key (PKCS#1, mode 0600) and a self-signed tls.crt.
    Keygen(KeygenArgs),
    /// Print a shell completion script: `seal completions bash > /etc/bash_completion.d/seal`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (seal.1, seal-keygen.1, …) into a folder.
    Man {
        /// The folder (created if missing).
        #[arg(long, value_name = "DIR", default_value = "man")]
        out_dir: PathBuf,
    },
}

/// Flags of `seal keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory to write tls.key and tls.crt into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// RSA key size in bits.
    #[arg(long, default_value = "4096", value_parser = ["2048", "3072", "4096"])]
    pub bits: String,
    /// Certificate common name.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub cn: String,
    /// How many days the certificate is valid (1 to 36500).
    #[arg(long, value_name = "DAYS", default_value_t = 3650)]
    pub validity_days: u32,
    /// Overwrite existing tls.key and tls.crt. A replaced key cannot open what it sealed.
    #[arg(long)]
    pub force: bool,
}

/// Reads a boolean as Go's `strconv.ParseBool` does, which is what kubeseal's flags and its
/// `SEALED_SECRETS_*` variables accept.
pub fn parse_go_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err("expected true or false (or 1, t, T, TRUE, True, 0, f, F, FALSE, False)".into()),
    }
}

/// A path flag's value: empty is accepted, and means the default, as for kubeseal's flags.
fn path(value: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(value))
}

/// Flags of sealing and of the offline modes.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// Input file; "-" or none reads stdin.
    #[arg(short = 'f', long = "secret-file", value_name = "FILE", value_parser = path)]
    pub file: Option<PathBuf>,
    /// Output file, written atomically and only on success; none writes to stdout.
    #[arg(short = 'w', long = "sealed-secret-file", value_name = "FILE", value_parser = path)]
    pub write: Option<PathBuf>,
    /// Output format: json or yaml, any case ("" is the default) [default: yaml, or from the
    /// -w extension; kubeseal mode: json, or yaml for a .yaml/.yml -w].
    #[arg(short = 'o', long = "format", value_name = "FORMAT")]
    pub format: Option<String>,
    /// Certificate to seal with: a path, file://PATH, or an http(s):// URL ("" fetches it
    /// through the cluster). Repeat it to seal to several clusters at once: the values then
    /// use sealsync's multi-recipient format, which each of those sealsync controllers opens
    /// and a Bitnami controller cannot (so not with --api bitnami).
    #[arg(long, value_name = "FILE|URL", action = ArgAction::Append)]
    pub cert: Vec<String>,
    /// Controller base URL; the certificate is fetched from URL/v1/cert.pem.
    #[arg(long, value_name = "URL")]
    pub controller_url: Option<String>,
    /// Print the certificate (from --cert, --controller-url or the cluster) instead of sealing.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub fetch_cert: bool,
    /// Sealing scope: strict, namespace-wide or cluster-wide ("" is the default) [default: from
    /// the input's annotations, else strict].
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Name to seal for: replaces the input's metadata.name, as kubeseal's --name (required
    /// with --raw for strict scope).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Namespace to seal for, when the input has none; it must match one the input has.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Seal one value (from --from-file or stdin) and print bare base64 with no newline.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub raw: bool,
    /// With --raw: the file holding the value ("key=path" is accepted; the key is ignored).
    /// One file only, as with kubeseal.
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    pub from_file: Vec<String>,
    /// Seal the input into an existing SealedSecret file, adding or replacing keys in place.
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub merge_into: Option<PathBuf>,
    /// Decrypt a SealedSecret offline with --recovery-private-key and print the Secret.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub recovery_unseal: bool,
    /// Private keys: PEM, a key Secret, or a List of them (a Bitnami key backup). Repeatable
    /// or comma-separated.
    #[arg(long, value_name = "FILE", value_delimiter = ',', value_parser = path)]
    pub recovery_private_key: Vec<PathBuf>,
    /// Re-seal every value to --cert, opening them with --recovery-private-key. With -f and no
    /// -w, rewrites the file.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub re_encrypt: bool,
    /// Deprecated: --re-encrypt.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide = true)]
    pub rotate: bool,
    /// Threads that open values with --recovery-private-key (--recovery-unseal, --validate,
    /// --re-encrypt) [default: every core].
    #[arg(long, value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
    /// Check that every value opens with --recovery-private-key (or the controller at
    /// --controller-url); exit non-zero naming the keys that do not.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub validate: bool,
    /// Describe each sealed value without opening it: its format, scope and label; with --cert,
    /// whether it can have been sealed to that certificate.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub inspect: bool,
    /// API group of the output: sealsync or bitnami [default: sealsync; kubeseal mode:
    /// bitnami].
    #[arg(long, value_name = "API")]
    pub api: Option<String>,
    /// Accept a Secret with no data and no stringData.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub allow_empty_data: bool,
    /// Use kubeseal's defaults, as when invoked as `kubeseal`.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub kubeseal_compat: bool,
    /// Print the version.
    #[arg(short = 'V', long, action = ArgAction::Set, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", default_value = "false", value_parser = parse_go_bool,
          hide_default_value = true, value_name = "BOOL")]
    pub version: bool,
    /// Arguments that are not flags: refused with a hint (kubeseal ignores them silently).
    #[arg(value_name = "ARG", hide = true)]
    pub stray: Vec<OsString>,
    /// Where the cluster is, for fetching the certificate through it.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// klog's flags.
    #[command(flatten)]
    pub klog: KlogArgs,
}

impl SealArgs {
    /// Empty values are unset: kubeseal's flags take `""` as their default (`--cert ""` fetches
    /// the certificate through the cluster, `-w ""` writes to stdout), and so do empty
    /// variables.
    pub fn normalize(&mut self) {
        fn unset<T: AsRef<std::ffi::OsStr>>(value: &mut Option<T>) {
            if value.as_ref().is_some_and(|v| v.as_ref().is_empty()) {
                *value = None;
            }
        }
        unset(&mut self.file);
        unset(&mut self.write);
        unset(&mut self.format);
        // `--cert ""` alone is the default source; beside other --cert it stands for the
        // default source's certificate among them.
        if self.cert.iter().all(String::is_empty) {
            self.cert.clear();
        }
        unset(&mut self.controller_url);
        unset(&mut self.scope);
        unset(&mut self.name);
        unset(&mut self.namespace);
        unset(&mut self.merge_into);
        unset(&mut self.api);
        self.from_file.retain(|f| !f.is_empty());
        self.recovery_private_key
            .retain(|p| !p.as_os_str().is_empty());
        let c = &mut self.cluster;
        for value in [
            &mut c.controller_namespace,
            &mut c.controller_name,
            &mut c.context,
            &mut c.cluster,
            &mut c.user,
            &mut c.server,
            &mut c.username,
            &mut c.as_user,
            &mut c.as_uid,
            &mut c.tls_server_name,
            &mut c.proxy_url,
            &mut c.request_timeout,
        ] {
            unset(value);
        }
        for value in [
            &mut c.kubeconfig,
            &mut c.certificate_authority,
            &mut c.client_certificate,
            &mut c.client_key,
        ] {
            unset(value);
        }
        c.as_group.retain(|g| !g.is_empty());
        if c.token.as_ref().is_some_and(|t| t.0.is_empty()) {
            c.token = None;
        }
        if c.password.as_ref().is_some_and(|p| p.0.is_empty()) {
            c.password = None;
        }
    }
}

/// kubectl's connection flags, which kubeseal inherits. They matter when the certificate is
/// fetched through the cluster (no `--cert`, no `--controller-url`); `--kubeconfig`,
/// `--context` and `--namespace` also pick the namespace a Secret without one is sealed for.
#[derive(Debug, Args)]
#[command(
    next_help_heading = "Cluster connection (fetching the certificate through the kubeconfig)"
)]
pub struct ClusterArgs {
    /// Namespace of the controller [default: sealsync-system].
    #[arg(long, value_name = "NAMESPACE")]
    pub controller_namespace: Option<String>,
    /// Name of the controller's Service [default: sealsync].
    #[arg(long, value_name = "NAME")]
    pub controller_name: Option<String>,
    /// Path to the kubeconfig file.
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The address and port of the Kubernetes API server.
    #[arg(short = 's', long, value_name = "URL")]
    pub server: Option<String>,
    /// Bearer token for the API server.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<Redacted>,
    /// Username for basic authentication to the API server.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Password for basic authentication to the API server.
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<Redacted>,
    /// User to impersonate.
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,
    /// Group to impersonate (repeatable).
    #[arg(long, value_name = "GROUP")]
    pub as_group: Vec<String>,
    /// UID to impersonate.
    #[arg(long, value_name = "UID")]
    pub as_uid: Option<String>,
    /// Do not check the API server's certificate.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Server name to check the API server's certificate against, if not the server's host.
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// A proxy for the API server (http:// or https://).
    #[arg(long, value_name = "URL")]
    pub proxy_url: Option<String>,
    /// Opt out of response compression (seal never asks for it: no effect).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub disable_compression: Option<bool>,
    /// How long to wait for one request to the API server (e.g. 30s, 2m; 0 waits forever)
    /// [default: 30s].
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// A CA certificate file for the API server.
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub certificate_authority: Option<PathBuf>,
    /// A client certificate file for TLS.
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub client_certificate: Option<PathBuf>,
    /// A client key file for TLS.
    #[arg(long, value_name = "FILE", value_parser = path)]
    pub client_key: Option<PathBuf>,
}

/// klog's flags, which kubeseal registers. `seal` writes no klog logs, so they are accepted
/// (with their value checked as klog would) and have no effect, which a note says.
#[derive(Debug, Args)]
#[command(next_help_heading = "klog flags (accepted for kubeseal scripts; no effect)")]
pub struct KlogArgs {
    /// Log level verbosity.
    #[arg(short = 'v', long = "v", value_name = "LEVEL")]
    pub v: Option<i32>,
    /// Per-file verbosity (pattern=N,...).
    #[arg(long, value_name = "PATTERNS")]
    pub vmodule: Option<String>,
    /// Log to standard error instead of files.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub logtostderr: Option<bool>,
    /// Log to standard error as well as files.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub alsologtostderr: Option<bool>,
    /// Ignore stderrthreshold when logtostderr is set.
    #[arg(long = "legacy_stderr_threshold_behavior", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub legacy_stderr_threshold_behavior: Option<bool>,
    /// Directory for log files.
    #[arg(long = "log_dir", value_name = "DIR")]
    pub log_dir: Option<String>,
    /// Log file.
    #[arg(long = "log_file", value_name = "FILE")]
    pub log_file: Option<String>,
    /// Maximum log file size in MB.
    #[arg(long = "log_file_max_size", value_name = "MB")]
    pub log_file_max_size: Option<u64>,
    /// Add the file directory to log headers.
    #[arg(long = "add_dir_header", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub add_dir_header: Option<bool>,
    /// Avoid header prefixes in log messages.
    #[arg(long = "skip_headers", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub skip_headers: Option<bool>,
    /// Write logs to their native severity level only.
    #[arg(long = "one_output", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = parse_go_bool)]
    pub one_output: Option<bool>,
    /// Avoid headers when opening log files.
    #[arg(long = "skip_log_headers", value_name = "BOOL", num_args = 0..=1,
          require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub skip_log_headers: Option<bool>,
    /// Logs at or above this severity go to stderr.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub stderrthreshold: Option<String>,
    /// Logs at or above this severity go to stderr with --alsologtostderr.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub alsologtostderrthreshold: Option<String>,
    /// Emit a stack trace when logging hits file:N.
    #[arg(long = "log_backtrace_at", value_name = "FILE:N")]
    pub log_backtrace_at: Option<String>,
}

/// A klog severity: INFO, WARNING, ERROR or FATAL (any case), or 0 to 3, as klog reads it.
fn parse_severity(value: &str) -> Result<String, String> {
    let known = ["INFO", "WARNING", "ERROR", "FATAL", "0", "1", "2", "3"];
    if known.contains(&value.to_ascii_uppercase().as_str()) {
        Ok(value.to_owned())
    } else {
        Err("expected INFO, WARNING, ERROR, FATAL or 0 to 3".into())
    }
}

/// A credential from the command line: its `Debug` never shows it.
#[derive(Clone)]
pub struct Redacted(
    /// The value.
    pub String,
);

impl std::str::FromStr for Redacted {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Redacted(s.to_owned()))
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redacted(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug() {
        let cli = Cli::try_parse_from([
            "seal",
            "--token",
            "hunter2-token",
            "--password",
            "hunter3-pass",
            "--cert",
            "c",
        ])
        .unwrap();
        let debug = format!("{cli:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("hunter3"),
            "{debug}"
        );
        assert!(debug.contains("Redacted(***)"), "{debug}");
    }

    #[test]
    fn booleans_take_go_values_with_equals_only() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["seal"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).map(|c| c.seal)
        };
        assert!(parse(&["--raw"]).unwrap().raw);
        assert!(parse(&["--raw=T"]).unwrap().raw);
        assert!(!parse(&["--raw=false"]).unwrap().raw);
        assert!(!parse(&["--raw=0"]).unwrap().raw);
        assert!(parse(&["--raw=yes"]).is_err());
        let stray = parse(&["--raw", "false"]).unwrap();
        assert!(
            stray.raw,
            "a separate word is not the flag's value, as with pflag"
        );
        assert_eq!(stray.stray, [OsString::from("false")]);
    }

    #[test]
    fn klog_flags_parse_as_klog_reads_them() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["seal"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).map(|c| c.seal.klog)
        };
        assert_eq!(parse(&["-v", "4"]).unwrap().v, Some(4));
        assert_eq!(parse(&["--v=2"]).unwrap().v, Some(2));
        assert_eq!(parse(&["-v3"]).unwrap().v, Some(3));
        assert!(parse(&["-v", "loud"]).is_err());
        assert_eq!(parse(&["--logtostderr"]).unwrap().logtostderr, Some(true));
        assert_eq!(
            parse(&["--logtostderr=false"]).unwrap().logtostderr,
            Some(false)
        );
        assert!(parse(&["--log_dir", "/tmp"]).unwrap().log_dir.is_some());
        assert!(parse(&["--stderrthreshold=warning"]).is_ok());
        assert!(parse(&["--stderrthreshold=LOUD"]).is_err());
    }

    #[test]
    fn a_subcommand_is_not_a_stray_argument() {
        let cli = Cli::try_parse_from(["seal", "keygen", "--out-dir", "k"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Keygen(_))));
        let cli = Cli::try_parse_from(["seal", "secret.yaml"]).unwrap();
        assert_eq!(cli.seal.stray, [OsString::from("secret.yaml")]);
    }
}
