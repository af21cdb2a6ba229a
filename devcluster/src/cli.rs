//! The `devcluster` command line: `devcluster serve --listen ADDR --kubeconfig PATH [--data DIR]`.

use crate::server::DevCluster;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

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
        /// Report Deployments as rolled out after each change (no pods run).
        #[arg(long)]
        simulate_workloads: bool,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            kubeconfig,
            data,
            simulate_workloads,
        } => {
            let mut builder = DevCluster::builder()
                .listen(listen)
                .simulate_workloads(simulate_workloads);
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
