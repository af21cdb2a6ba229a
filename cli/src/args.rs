//! The raw command line, as clap parses it. Nothing here is validated beyond its syntax:
//! [`crate::config`] does that.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};

const ENV_HELP: &str = "\
Environment (a flag wins over its variable):
  SEAL_CERT, SEALED_SECRETS_CERT                  --cert
  SEAL_CONTROLLER_URL                             --controller-url
  SEAL_FORMAT, SEALED_SECRETS_FORMAT              --format
  SEAL_SCOPE, SEALED_SECRETS_SCOPE                --scope
  SEAL_API                                        --api
  SEAL_RECOVERY_PRIVATE_KEY,
  SEALED_SECRETS_RECOVERY_PRIVATE_KEY             --recovery-private-key

Examples:
  seal keygen --out-dir keys
  kubectl -n prod create secret generic db --from-literal=password=s3cr3t --dry-run=client -o yaml \\
    | seal --cert keys/tls.crt > db.sealed.yaml
  seal --recovery-unseal --recovery-private-key keys/tls.key -f db.sealed.yaml";

/// Seal Kubernetes Secrets into SealedSecrets for sealsync or Bitnami Sealed Secrets.
///
/// Reads a Secret (YAML or JSON, one or more documents) from stdin or -f and writes one
/// SealedSecret per input to stdout or -w. The flags follow kubeseal's.
#[derive(Debug, Parser)]
#[command(
    name = "seal",
    version,
    args_conflicts_with_subcommands = true,
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

/// Flags of sealing and of the offline modes.
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("mode")
        .multiple(false)
        .args(["fetch_cert", "raw", "merge_into", "recovery_unseal", "re_encrypt", "validate"])
))]
pub struct SealArgs {
    /// Input file; "-" or none reads stdin.
    #[arg(short = 'f', long = "secret-file", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output file, written atomically and only on success; none writes to stdout.
    #[arg(short = 'w', long = "sealed-secret-file", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format [default: yaml, or from the -w extension].
    #[arg(short = 'o', long = "format", value_name = "FORMAT", value_parser = ["yaml", "json"])]
    pub format: Option<String>,
    /// Certificate to seal with: a path, file://PATH, or an http(s):// URL.
    #[arg(long, value_name = "FILE|URL")]
    pub cert: Option<String>,
    /// Controller base URL; the certificate is fetched from URL/v1/cert.pem.
    #[arg(long, value_name = "URL")]
    pub controller_url: Option<String>,
    /// Print the certificate (from --cert or --controller-url) instead of sealing.
    #[arg(long)]
    pub fetch_cert: bool,
    /// Sealing scope [default: from the input's annotations, else strict].
    #[arg(long, value_name = "SCOPE", value_parser = ["strict", "namespace-wide", "cluster-wide"])]
    pub scope: Option<String>,
    /// Name to seal for: replaces the input's metadata.name, as kubeseal's --name (required with --raw for strict scope).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Namespace to seal for, when the input has none; it must match one the input has.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Seal one value (from --from-file or stdin) and print bare base64 with no newline.
    #[arg(long)]
    pub raw: bool,
    /// With --raw: the file holding the value ("key=path" is accepted; the key is ignored).
    #[arg(long, value_name = "PATH", requires = "raw")]
    pub from_file: Option<String>,
    /// Seal the input into an existing SealedSecret file, adding or replacing keys in place.
    #[arg(long, value_name = "FILE", conflicts_with = "write")]
    pub merge_into: Option<PathBuf>,
    /// Decrypt a SealedSecret offline with --recovery-private-key and print the Secret.
    #[arg(long)]
    pub recovery_unseal: bool,
    /// Private keys: PEM, a key Secret, or a List of them (a Bitnami key backup). Repeatable or comma-separated.
    #[arg(long, value_name = "FILE", value_delimiter = ',')]
    pub recovery_private_key: Vec<PathBuf>,
    /// Re-seal every value to --cert, opening them with --recovery-private-key. With -f and no -w, rewrites the file.
    #[arg(long, visible_alias = "rotate")]
    pub re_encrypt: bool,
    /// Check that every value opens with --recovery-private-key; exit non-zero naming the keys that do not.
    #[arg(long)]
    pub validate: bool,
    /// API group of the output [default: sealsync].
    #[arg(long, value_name = "API", value_parser = ["sealsync", "bitnami"])]
    pub api: Option<String>,
    /// Accept a Secret with no data and no stringData.
    #[arg(long)]
    pub allow_empty_data: bool,
    /// Where the cluster is, for fetching the certificate through it.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// kubectl's connection flags, which kubeseal inherits. They matter when the certificate is
/// fetched through the cluster (no `--cert`, no `--controller-url`); `--kubeconfig` and
/// `--context` also pick the namespace a Secret without one is sealed for. The impersonation
/// flags (`--as`, `--as-group`, `--as-uid`), `--tls-server-name` and `--request-timeout` are
/// accepted and not used yet.
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
    #[arg(long, value_name = "FILE")]
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
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub insecure_skip_tls_verify: Option<bool>,
    /// Server name to check the API server's certificate against.
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
    /// How long to wait for one request to the API server (e.g. 30s; 0 waits forever).
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// A CA certificate file for the API server.
    #[arg(long, value_name = "FILE")]
    pub certificate_authority: Option<PathBuf>,
    /// A client certificate file for TLS.
    #[arg(long, value_name = "FILE")]
    pub client_certificate: Option<PathBuf>,
    /// A client key file for TLS.
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
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
    fn a_token_never_shows_in_debug() {
        let cli = Cli::try_parse_from(["seal", "--token", "hunter2-token", "--cert", "c"]).unwrap();
        let debug = format!("{cli:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("Redacted(***)"), "{debug}");
    }
}
