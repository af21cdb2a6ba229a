//! `seal`: encrypt Kubernetes Secrets into SealedSecrets that only the cluster can open.
//!
//! Two stages, as ripgrep does it: clap parses the raw flags ([`args`]), then [`config`] turns
//! them into a validated job (certificate loaded, keys read, scope known) before any work
//! starts; [`run`] does the work. Every failure prints `error: …` and `hint: …`.

// print!/eprintln! panic when the pipe is closed: output goes through crate::io instead.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod cert;
mod cluster;
mod config;
mod controller;
mod error;
mod io;
mod kubeconfig;
mod redact;
mod run;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return error::report_clap(&e),
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match config::Config::resolve(cli, &env).and_then(run::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error::report(&e),
    }
}
