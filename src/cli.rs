//! The command line. Every `run` flag also reads `SEALSYNC_<FLAG>` from the environment.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The version and the git revision it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SEALSYNC_GIT_REVISION"),
    ")"
);

/// GitOps with sealed secrets: the in-cluster controller.
#[derive(Debug, Parser)]
#[command(name = "sealsync", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the controller (uses the kubeconfig, or the in-cluster config inside a Pod).
    Run(Box<RunArgs>),
    /// Print every CRD as multi-document YAML (`sealsync crds | kubectl apply --server-side -f -`).
    Crds,
    /// Render a folder as a GitSync would (plain files or a kustomization) and print the objects.
    Build(BuildArgs),
    /// Show what applying a folder would change in the cluster of the kubeconfig (exit 0: no
    /// change, 1: changes, 2: error). Secret values are redacted.
    Diff(BuildArgs),
    /// Run the whole loop on this machine: devcluster, the controller, and a GitSync for REPO
    /// (the bundled demo by default). State and kubeconfig go to `.sealsync/`; Ctrl-C stops.
    Dev(DevArgs),
    /// Print a shell completion script: `sealsync completions bash > /etc/bash_completion.d/sealsync`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (sealsync.1 and one per subcommand) into a folder.
    Man {
        /// The folder (created if missing).
        #[arg(long, default_value = "man")]
        out_dir: std::path::PathBuf,
    },
    /// Print the version and the git revision it was built from.
    Version,
}

/// Flags of `sealsync dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// The repository to follow: a local Git folder (each commit is applied at once) or an
    /// https/ssh/git URL. Default: a copy of the bundled demo in `<state-dir>/demo`.
    pub repo: Option<String>,
    /// Where the cluster's state, the kubeconfig, the demo copy and the controller's log go.
    #[arg(long, env = "SEALSYNC_DEV_STATE_DIR", default_value = ".sealsync")]
    pub state_dir: std::path::PathBuf,
    /// The API server's port on 127.0.0.1 (0: a free one; the kubeconfig follows it).
    #[arg(long, env = "SEALSYNC_DEV_PORT", default_value_t = 0)]
    pub port: u16,
    /// Exit once the GitSync is Ready, instead of running until Ctrl-C (for scripts).
    #[arg(long)]
    pub once: bool,
}

/// Flags of `sealsync build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The folder to render. Kustomize resources may reach anywhere inside the Git repository
    /// that holds it (or inside the folder itself, outside a repository).
    #[arg(long, default_value = ".")]
    pub path: std::path::PathBuf,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The size of generated keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeySize {
    /// RSA-2048.
    #[value(name = "2048")]
    Rsa2048,
    /// RSA-3072.
    #[value(name = "3072")]
    Rsa3072,
    /// RSA-4096.
    #[value(name = "4096")]
    Rsa4096,
}

impl KeySize {
    /// The core crate's key size.
    pub fn bits(self) -> sealsync_core::crypto::KeyBits {
        use sealsync_core::crypto::KeyBits;
        match self {
            KeySize::Rsa2048 => KeyBits::Rsa2048,
            KeySize::Rsa3072 => KeyBits::Rsa3072,
            KeySize::Rsa4096 => KeyBits::Rsa4096,
        }
    }
}

/// Flags of `sealsync run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The controller's own namespace: its key Secrets, the certificate ConfigMap and the lease.
    #[arg(long, env = "SEALSYNC_NAMESPACE", default_value = "sealsync-system")]
    pub namespace: String,
    /// Where the HTTP endpoints listen (port 0 picks a free port; the log says which).
    #[arg(long, env = "SEALSYNC_LISTEN_ADDR", default_value = "0.0.0.0:8080")]
    pub listen_addr: SocketAddr,
    /// Generate a new sealing key when the newest is this old (e.g. 720h, 30d; 0 turns renewal off).
    #[arg(long, env = "SEALSYNC_KEY_RENEW_PERIOD", default_value = "720h", value_parser = parse_duration)]
    pub key_renew_period: Duration,
    /// Generate a new key once this time (RFC 3339) has passed, if the newest key is older.
    #[arg(long, env = "SEALSYNC_KEY_CUTOFF_TIME", value_parser = parse_time)]
    pub key_cutoff_time: Option<SystemTime>,
    /// The size of generated keys, in bits.
    #[arg(long, env = "SEALSYNC_KEY_SIZE", value_enum, default_value_t = KeySize::Rsa4096)]
    pub key_size: KeySize,
    /// Also load Bitnami Sealed Secrets key Secrets (label sealedsecrets.bitnami.com/sealed-secrets-key=active).
    #[arg(long, env = "SEALSYNC_IMPORT_BITNAMI_KEYS")]
    pub import_bitnami_keys: bool,
    /// The namespace of the Bitnami key Secrets (default: --namespace).
    #[arg(long, env = "SEALSYNC_BITNAMI_KEYS_NAMESPACE")]
    pub bitnami_keys_namespace: Option<String>,
    /// Also reconcile bitnami.com/v1alpha1 SealedSecrets (waits for that CRD if it is absent).
    #[arg(long, env = "SEALSYNC_BITNAMI")]
    pub bitnami: bool,
    /// Only reconcile SealedSecrets and GitSyncs this label selector picks: a shard, with its own lease.
    #[arg(long, env = "SEALSYNC_SELECTOR")]
    pub selector: Option<String>,
    /// The Lease name (default sealsync-controller, or sealsync-controller-HASH with --selector).
    #[arg(long, env = "SEALSYNC_LEASE_NAME")]
    pub lease_name: Option<String>,
    /// How long a leader's lease lasts without renewal: the failover time.
    #[arg(long, env = "SEALSYNC_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
    /// This replica's identity in the lease (default: $POD_NAME, else the host name, plus the pid).
    #[arg(long, env = "SEALSYNC_IDENTITY")]
    pub identity: Option<String>,
    /// Where GitSync checkouts are kept (default: a `sealsync` folder in the system's temp dir).
    #[arg(long, env = "SEALSYNC_CACHE_DIR")]
    pub cache_dir: Option<std::path::PathBuf>,
    /// A GitSync inventory whose JSON passes this many bytes is kept in a ConfigMap
    /// (`<name>-inventory`) instead of the status.
    #[arg(long, env = "SEALSYNC_INVENTORY_SPILL_BYTES", default_value_t = 500 * 1024)]
    pub inventory_spill_bytes: usize,
    /// SealedSecrets reconciled at once.
    #[arg(long, env = "SEALSYNC_WORKERS", default_value_t = 32)]
    pub workers: u16,
    /// RSA operations at once (default: the number of cores).
    #[arg(long, env = "SEALSYNC_RSA_THREADS")]
    pub rsa_threads: Option<usize>,
    /// Average verify/rotate requests per second allowed before 429.
    #[arg(long, env = "SEALSYNC_HTTP_RATE_LIMIT", default_value_t = 10.0)]
    pub http_rate_limit: f64,
    /// verify/rotate requests allowed at once before the rate applies.
    #[arg(long, env = "SEALSYNC_HTTP_BURST", default_value_t = 20)]
    pub http_burst: u32,
    /// Log format.
    #[arg(long, env = "SEALSYNC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Parses `720h`, `30m`, `1h30m`, `45s`, `2d` or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration; write e.g. 720h, 30m, 45s, 2d or 0");
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || text.trim().is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|_| format!("{text:?} is not an RFC 3339 time; write e.g. 2026-12-31T00:00:00Z"))
}

/// Writes `sealsync.1` and `sealsync-<subcommand>.1` into `dir`, each atomically; how many.
pub fn write_man_pages(dir: &std::path::Path) -> std::io::Result<usize> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir)?;
    let root = Cli::command();
    let mut pages = vec![("sealsync".to_owned(), root.clone())];
    for sub in root.get_subcommands() {
        let name = format!("sealsync-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, command) in &pages {
        let mut text = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut text)?;
        let path = dir.join(format!("{name}.1"));
        let staging = dir.join(format!(".{name}.1.tmp"));
        std::fs::write(&staging, &text)?;
        std::fs::rename(&staging, &path)?;
    }
    Ok(pages.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("720h"), Ok(Duration::from_secs(720 * 3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn times() {
        assert!(parse_time("2026-12-31T00:00:00Z").is_ok());
        assert!(parse_time("tomorrow").is_err());
    }
}
