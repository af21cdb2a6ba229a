//! The one mode a run is in, and the flags that make no sense with it.
//!
//! The modes exclude each other: asking for two is an error (kubeseal silently picks one by the
//! order of its `if`s). A flag that is accepted but does nothing in the chosen mode gets one
//! `note:` line on stderr, so a script learns that its flag was ignored.

use std::path::PathBuf;

use crate::args::SealArgs;
use crate::error::CliError;

/// What a run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Seal Secrets (no mode flag).
    Seal,
    /// `--raw`.
    Raw,
    /// `--merge-into FILE`.
    MergeInto(PathBuf),
    /// `--fetch-cert`.
    FetchCert,
    /// `--recovery-unseal`.
    RecoveryUnseal,
    /// `--re-encrypt` (or the deprecated `--rotate`).
    ReEncrypt,
    /// `--validate`.
    Validate,
    /// `--inspect`.
    Inspect,
}

/// pflag's deprecation line for `--rotate` (`MarkDeprecated("rotate", …)` in kubeseal's
/// main.go). kubeseal prints it on stdout; `seal` prints it on stderr, where it cannot end up
/// inside the output.
pub const ROTATE_DEPRECATED: &str =
    "Flag --rotate has been deprecated, please use --re-encrypt instead";

impl Mode {
    /// The mode the flags ask for; two at once is an error.
    pub fn from_flags(args: &SealArgs) -> Result<Mode, CliError> {
        let merge = args
            .merge_into
            .as_ref()
            .filter(|p| !p.as_os_str().is_empty());
        let asked: Vec<(&str, Mode)> = [
            (args.fetch_cert, "--fetch-cert", Mode::FetchCert),
            (args.raw, "--raw", Mode::Raw),
            (
                merge.is_some(),
                "--merge-into",
                Mode::MergeInto(merge.cloned().unwrap_or_default()),
            ),
            (
                args.recovery_unseal,
                "--recovery-unseal",
                Mode::RecoveryUnseal,
            ),
            (
                args.re_encrypt || args.rotate,
                "--re-encrypt",
                Mode::ReEncrypt,
            ),
            (args.validate, "--validate", Mode::Validate),
            (args.inspect, "--inspect", Mode::Inspect),
        ]
        .into_iter()
        .filter(|(on, _, _)| *on)
        .map(|(_, flag, mode)| (flag, mode))
        .collect();
        match asked.as_slice() {
            [] => Ok(Mode::Seal),
            [(_, mode)] => Ok(mode.clone()),
            [(a, _), (b, _), ..] => Err(CliError::usage(
                format!("{a} and {b} cannot be used together"),
                "choose one mode per run (kubeseal would silently pick one of them)",
            )),
        }
    }

    /// How messages name the mode.
    pub fn describe(&self) -> &'static str {
        match self {
            Mode::Seal => "when sealing a Secret",
            Mode::Raw => "with --raw",
            Mode::MergeInto(_) => "with --merge-into",
            Mode::FetchCert => "with --fetch-cert",
            Mode::RecoveryUnseal => "with --recovery-unseal",
            Mode::ReEncrypt => "with --re-encrypt",
            Mode::Validate => "with --validate",
            Mode::Inspect => "with --inspect",
        }
    }

    /// The flags (long names) this mode reads, beyond the cluster connection.
    fn reads(&self) -> &'static [&'static str] {
        match self {
            Mode::Seal => &[
                "secret-file",
                "sealed-secret-file",
                "format",
                "cert",
                "controller-url",
                "scope",
                "name",
                "namespace",
                "api",
                "allow-empty-data",
                "kubeconfig",
                "context",
            ],
            Mode::Raw => &[
                "from-file",
                "sealed-secret-file",
                "cert",
                "controller-url",
                "scope",
                "name",
                "namespace",
                "api",
                "kubeconfig",
                "context",
            ],
            Mode::MergeInto(_) => &[
                "secret-file",
                "format",
                "cert",
                "controller-url",
                "scope",
                "namespace",
                "allow-empty-data",
            ],
            Mode::FetchCert => &["sealed-secret-file", "cert", "controller-url"],
            Mode::RecoveryUnseal => &[
                "threads",
                "secret-file",
                "sealed-secret-file",
                "format",
                "recovery-private-key",
                "name",
                "namespace",
            ],
            Mode::ReEncrypt => &[
                "threads",
                "secret-file",
                "sealed-secret-file",
                "format",
                "recovery-private-key",
                "cert",
                "controller-url",
                "api",
            ],
            Mode::Inspect => &[
                "secret-file",
                "sealed-secret-file",
                "cert",
                "controller-url",
            ],
            Mode::Validate => &[
                "threads",
                "secret-file",
                "recovery-private-key",
                "controller-url",
                "name",
                "namespace",
            ],
        }
    }

    /// Whether the mode can reach the cluster (so the connection flags can matter).
    fn can_use_cluster(&self) -> bool {
        !matches!(self, Mode::RecoveryUnseal | Mode::Inspect)
    }
}

/// Flags that are always read: the mode flags, the dialect, and the time limit of every HTTP
/// request `seal` makes.
const ALWAYS: [&str; 12] = [
    "kubeseal-compat",
    "request-timeout",
    "help",
    "version",
    "fetch-cert",
    "raw",
    "merge-into",
    "recovery-unseal",
    "re-encrypt",
    "rotate",
    "validate",
    "inspect",
];

/// kubectl's connection flags: read when the certificate comes through the cluster.
pub const CONNECTION: [&str; 19] = [
    "controller-namespace",
    "controller-name",
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "server",
    "token",
    "username",
    "password",
    "as",
    "as-group",
    "as-uid",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "proxy-url",
    "certificate-authority",
    "client-certificate",
    "client-key",
];

/// klog's flags: `seal` writes no klog logs.
pub const KLOG: [&str; 15] = [
    "v",
    "vmodule",
    "logtostderr",
    "alsologtostderr",
    "legacy_stderr_threshold_behavior",
    "log_dir",
    "log_file",
    "log_file_max_size",
    "add_dir_header",
    "skip_headers",
    "one_output",
    "skip_log_headers",
    "stderrthreshold",
    "alsologtostderrthreshold",
    "log_backtrace_at",
];

/// What a run reaches instead of (or through) the cluster, for the notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The certificate of `--cert`.
    Cert,
    /// The controller at `--controller-url`.
    ControllerUrl,
    /// The private keys of `--recovery-private-key` (`--validate` offline).
    Keys,
    /// The cluster of the kubeconfig.
    Cluster,
}

impl Via {
    /// Why the connection flags do nothing, unless the run goes through the cluster.
    fn why_not_cluster(self) -> Option<&'static str> {
        match self {
            Via::Cert => Some("the certificate comes from --cert, not the cluster"),
            Via::ControllerUrl => Some("--controller-url is used, not the cluster"),
            Via::Keys => Some("the values are opened with --recovery-private-key"),
            Via::Cluster => None,
        }
    }
}

/// One note per flag given on the command line that does nothing in `mode`.
pub fn notes<'a>(mode: &Mode, via: Via, given: impl Iterator<Item = &'a String>) -> Vec<String> {
    given.filter_map(|long| note(mode, via, long)).collect()
}

fn note(mode: &Mode, via: Via, long: &str) -> Option<String> {
    if ALWAYS.contains(&long) || mode.reads().contains(&long) {
        return None;
    }
    if KLOG.contains(&long) {
        return Some(format!(
            "note: --{long} has no effect: seal writes no klog logs"
        ));
    }
    if long == "disable-compression" {
        return Some(
            "note: --disable-compression has no effect: seal never asks for compressed responses"
                .to_owned(),
        );
    }
    if CONNECTION.contains(&long) && mode.can_use_cluster() {
        return via
            .why_not_cluster()
            .map(|why| format!("note: --{long} has no effect: {why}"));
    }
    Some(format!("note: --{long} has no effect {}", mode.describe()))
}

/// Refuses arguments that are not flags: kubeseal ignores them and reads stdin, which hangs a
/// script that meant `kubeseal secret.yaml`.
pub fn refuse_stray(args: &SealArgs) -> Result<(), CliError> {
    match args.stray.first() {
        None => Ok(()),
        Some(arg) => Err(CliError::StrayArgument {
            arg: arg.to_string_lossy().into_owned(),
        }),
    }
}

/// `--from-file` needs `--raw` and takes one file, as kubeseal says.
pub fn check_from_file(args: &SealArgs, mode: &Mode) -> Result<(), CliError> {
    let files: Vec<&String> = args.from_file.iter().filter(|f| !f.is_empty()).collect();
    match (mode, files.as_slice()) {
        (_, []) | (Mode::Raw, [_]) => Ok(()),
        (Mode::Raw, many) => Err(CliError::usage(
            format!(
                "must provide only one --from-file when encrypting a single item with --raw \
                 (got {}: {})",
                many.len(),
                many.iter()
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "--raw seals one value per run: run it once per file, e.g. \
             `seal --raw --from-file FILE --name NAME -n NAMESPACE`",
        )),
        (_, _) => Err(CliError::usage(
            "--from-file requires --raw",
            "add --raw to seal that file's content as one bare value; to seal a whole Secret \
             from a file, pass -f FILE",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    fn args(argv: &[&str]) -> SealArgs {
        let mut full = vec!["seal"];
        full.extend_from_slice(argv);
        crate::args::Cli::try_parse_from(full).expect("parse").seal
    }

    #[test]
    fn one_mode_per_run() {
        assert_eq!(Mode::from_flags(&args(&[])).unwrap(), Mode::Seal);
        assert_eq!(
            Mode::from_flags(&args(&["--rotate"])).unwrap(),
            Mode::ReEncrypt
        );
        assert_eq!(
            Mode::from_flags(&args(&["--raw", "--validate=false"])).unwrap(),
            Mode::Raw
        );
        assert_eq!(
            Mode::from_flags(&args(&["--merge-into="])).unwrap(),
            Mode::Seal,
            "an empty value is the default, as for kubeseal"
        );
        assert!(Mode::from_flags(&args(&["--raw", "--validate"])).is_err());
    }

    #[test]
    fn every_flag_is_read_by_some_mode_or_noted() {
        let command = crate::args::Cli::command();
        let modes = [
            Mode::Seal,
            Mode::Raw,
            Mode::MergeInto(PathBuf::new()),
            Mode::FetchCert,
            Mode::RecoveryUnseal,
            Mode::ReEncrypt,
            Mode::Validate,
            Mode::Inspect,
        ];
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let known = ALWAYS.contains(&long)
                || CONNECTION.contains(&long)
                || KLOG.contains(&long)
                || long == "disable-compression"
                || modes.iter().any(|m| m.reads().contains(&long));
            assert!(
                known,
                "--{long} is in no list: decide where it has an effect"
            );
        }
    }

    #[test]
    fn notes_name_the_flag_and_why() {
        let given = ["allow-empty-data", "v", "server", "cert"].map(String::from);
        let notes = notes(&Mode::Raw, Via::Cert, given.iter());
        assert_eq!(
            notes,
            [
                "note: --allow-empty-data has no effect with --raw",
                "note: --v has no effect: seal writes no klog logs",
                "note: --server has no effect: the certificate comes from --cert, not the cluster",
            ]
        );
        let cluster = ["server".to_owned()];
        assert!(super::notes(&Mode::Seal, Via::Cluster, cluster.iter()).is_empty());
    }

    #[test]
    fn from_file_needs_raw_and_one_file() {
        assert!(check_from_file(&args(&["--raw", "--from-file", "a"]), &Mode::Raw).is_ok());
        let two = args(&["--raw", "--from-file", "a,b"]);
        let err = check_from_file(&two, &Mode::Raw).unwrap_err();
        assert!(err.to_string().contains("only one --from-file"), "{err}");
        assert!(check_from_file(&args(&["--from-file", "a"]), &Mode::Seal).is_err());
        assert!(check_from_file(&args(&["--from-file="]), &Mode::Seal).is_ok());
    }
}
