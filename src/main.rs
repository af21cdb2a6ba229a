//! The `sealsync` binary: flags, logging, then the command.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use sealsync::cli::{Cli, Command, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => print(&format!("sealsync {}\n", sealsync::cli::VERSION)),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "sealsync", &mut out);
            print(&String::from_utf8_lossy(&out))
        }
        Command::Man { out_dir } => match sealsync::cli::write_man_pages(&out_dir) {
            Ok(written) => print(&format!(
                "wrote {written} man pages to {}\n",
                out_dir.display()
            )),
            Err(e) => fail(
                &format!("cannot write the man pages to {}: {e}", out_dir.display()),
                "check that the folder is writable",
            ),
        },
        Command::Crds => match sealsync::api::crds_yaml() {
            Ok(yaml) => print(&yaml),
            Err(e) => fail(&e.to_string(), "report this as a bug"),
        },
        Command::Build(args) => match sealsync::sync::build::build(&args.path) {
            Ok(yaml) => print(&yaml),
            Err(e) => fail(&e.to_string(), e.hint()),
        },
        Command::Diff(args) => {
            let runtime = match runtime() {
                Ok(r) => r,
                Err(e) => return fail_runtime(e, 2),
            };
            match runtime.block_on(sealsync::sync::diff::diff(&args.path)) {
                Ok(diff) if diff.changed => match print(&diff.text) {
                    code if code == ExitCode::SUCCESS => ExitCode::from(1),
                    code => code,
                },
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail_with(&chain(&e), e.hint(), 2),
            }
        }
        Command::Dev(args) => {
            let runtime = match runtime() {
                Ok(r) => r,
                Err(e) => return fail_runtime(e, 1),
            };
            let options = sealsync::dev::Options {
                repo: args.repo,
                state: args.state_dir,
                port: args.port,
                once: args.once,
            };
            match runtime.block_on(sealsync::dev::dev(options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string(), e.hint()),
            }
        }
        Command::Run(args) => {
            init_logging(args.log_format);
            let runtime = match runtime() {
                Ok(r) => r,
                Err(e) => return fail_runtime(e, 1),
            };
            match runtime.block_on(sealsync::run::run(*args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&chain(&e), e.hint()),
            }
        }
    }
}

/// The multi-threaded tokio runtime the async commands run on.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The runtime could not start: said with a hint, exiting with `code`.
fn fail_runtime(error: std::io::Error, code: u8) -> ExitCode {
    fail_with(
        &format!("cannot start the async runtime: {error}"),
        "check the process limits",
        code,
    )
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SEALSYNC_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Prints to stdout; a closed pipe (`sealsync crds | head`) is success.
fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(
            &format!("cannot write to stdout: {e}"),
            "check where the output goes",
        ),
    }
}

fn fail(error: &str, hint: &str) -> ExitCode {
    fail_with(error, hint, 1)
}

fn fail_with(error: &str, hint: &str, code: u8) -> ExitCode {
    eprintln!("error: {error}");
    eprintln!("hint: {hint}");
    ExitCode::from(code)
}

/// An error and its sources, joined by `: `.
fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    message
}
