//! The `devcluster` command line: `devcluster serve --listen ADDR --kubeconfig PATH [--data DIR]`.

use crate::server::DevCluster;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "devcluster",
    version,
    about = "A Kubernetes-API-compatible server for tests and local use"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the Kubernetes API on loopback until SIGINT or SIGTERM.
    Serve {
        /// Address to bind; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Where to write a kubeconfig that points at the server.
        #[arg(long)]
        kubeconfig: PathBuf,
        /// Persist state in this directory (state survives restarts).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Report workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs) as rolled
        /// out or complete after each change (no pods run). A workload annotated
        /// `devcluster.sealsync.io/simulate: fail|hang`, or with an image tagged `:fail` or
        /// `:hang`, fails or never finishes instead.
        #[arg(long)]
        simulate_workloads: bool,
        /// Keep each new CRD Established=False (and out of discovery) this long, e.g. `500ms`
        /// or `2s`, so that "wait for Established" code paths run.
        #[arg(long, value_parser = parse_duration, default_value = "0s")]
        crd_establish_delay: Duration,
    },
}

/// A duration such as `250ms`, `2s` or `1m` (a bare number is seconds).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 500ms, 2s or 1m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        other => Err(format!("unknown unit {other:?} in {s:?}: use ms, s or m")),
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            kubeconfig,
            data,
            simulate_workloads,
            crd_establish_delay,
        } => {
            let mut builder = DevCluster::builder()
                .listen(listen)
                .simulate_workloads(simulate_workloads)
                .crd_establish_delay(crd_establish_delay);
            if let Some(dir) = &data {
                builder = builder.data_dir(dir);
            }
            let cluster = builder.start().await?;
            cluster.write_kubeconfig(&kubeconfig)?;
            tracing::info!(url = cluster.url(), kubeconfig = %kubeconfig.display(), "serving");
            println!("{}", cluster.url());
            use std::io::Write;
            std::io::stdout().flush()?;
            wait_for_signal().await?;
            tracing::info!("stopping");
            cluster.shutdown().await;
            Ok(())
        }
    }
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("2h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
