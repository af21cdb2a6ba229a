//! `seal completions SHELL` and `seal man --out-dir DIR`, generated from the same flag
//! definitions that parse the command line.

use std::path::Path;

use clap::CommandFactory;

use crate::args::Cli;
use crate::error::CliError;
use crate::io;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "seal", &mut script);
    io::write_output(None, &script)
}

/// Writes `seal.1` and `seal-<subcommand>.1` into `dir`, each atomically.
pub fn man_pages(dir: &Path) -> Result<(), CliError> {
    let failed = |source| CliError::Write {
        what: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let root = Cli::command();
    let mut pages = vec![("seal".to_owned(), root.clone())];
    for sub in root.get_subcommands() {
        let name = format!("seal-{}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name)));
    }
    for (name, command) in &pages {
        let mut text = Vec::new();
        clap_mangen::Man::new(command.clone())
            .render(&mut text)
            .map_err(failed)?;
        io::write_atomic(&dir.join(format!("{name}.1")), &text, None)?;
    }
    io::stderr_line(&format!(
        "wrote {} man pages to {}",
        pages.len(),
        dir.display()
    ));
    Ok(())
}
