//! `seal`: encrypt Kubernetes Secrets into SealedSecrets that only the cluster can open.
//!
//! Two stages, as ripgrep does it: clap parses the raw flags ([`args`], with [`envflags`]
//! filling in flags from `SEAL_*` / `SEALED_SECRETS_*` variables), then [`config`] turns them into
//! a validated job (certificate loaded, keys read, scope known) before any work starts; [`run`]
//! does the work. [`dialect`] holds every default that differs when the binary is invoked as
//! `kubeseal`. Every failure prints `error: …` and `hint: …`.

// print!/eprintln! panic when the pipe is closed: output goes through crate::io instead.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod cert;
mod cluster;
mod config;
mod controller;
mod dialect;
mod envflags;
mod error;
mod http;
mod io;
mod kubeconfig;
mod run;
mod tls;
mod validate;

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let argv0 = argv.first().cloned();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let parsed = match envflags::parse(argv, &env) {
        Ok(parsed) => parsed,
        Err(envflags::ParseError::Clap(e)) => return error::report_clap(&e),
        Err(envflags::ParseError::Env { var, reason }) => {
            return error::report(&error::CliError::BadEnvFlag { var, reason });
        }
    };
    let job = config::Config::resolve(parsed, argv0.as_deref(), &env).and_then(|(job, notes)| {
        notes.iter().for_each(|note| io::stderr_line(note));
        run::run(job)
    });
    match job {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error::report(&e),
    }
}
