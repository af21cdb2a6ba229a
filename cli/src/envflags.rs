//! Flags from the environment, as kubeseal reads them: every flag `--some-flag` that is not on
//! the command line takes its value from `SEAL_SOME_FLAG`, else `SEALED_SECRETS_SOME_FLAG`
//! (kubeseal's `pflagenv`: the prefix, then the flag's name in upper case with `-` as `_`). An
//! empty variable counts as unset, as an empty value is the default for kubeseal's flags.
//!
//! A variable's value goes through the same parser as the flag's: the command line is parsed
//! once to see which flags it sets, then again with `--flag=value` for each variable that
//! stands in. A value the parser refuses is reported with the variable's name (kubeseal ignores
//! such a variable silently).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::args::Cli;
use crate::config::Env;

/// The prefixes a flag's variables carry, the first one winning.
pub const PREFIXES: [&str; 2] = ["SEAL_", "SEALED_SECRETS_"];

/// Flags that read no variable: a variable that made every run print help or the version
/// would only get in the way.
const NO_VARIABLE: [&str; 2] = ["help", "version"];

/// The parsed command line and where each flag came from.
#[derive(Debug)]
pub struct Parsed {
    /// The flags.
    pub cli: Cli,
    /// Long names of the flags set on the command line.
    pub on_command_line: BTreeSet<String>,
    /// Long name → the variable that stood in for it.
    pub from_env: BTreeMap<String, String>,
}

/// Why the command line could not be parsed.
#[derive(Debug)]
pub enum ParseError {
    /// The command line itself (or help and version requests).
    Clap(clap::Error),
    /// A variable holds a value its flag refuses.
    Env {
        /// The variable.
        var: String,
        /// Why the flag refuses it.
        reason: String,
    },
}

/// The variable names of the flag `long`, in the order they are read.
pub fn variables(long: &str) -> [String; 2] {
    let name = long.to_ascii_uppercase().replace('-', "_");
    PREFIXES.map(|prefix| format!("{prefix}{name}"))
}

/// Parses `argv`, filling in flags from `env`.
pub fn parse(argv: Vec<OsString>, env: Env<'_>) -> Result<Parsed, ParseError> {
    let command = Cli::command();
    let first = command
        .clone()
        .try_get_matches_from(&argv)
        .map_err(ParseError::Clap)?;
    let on_command_line = given(&command, &first);
    if first.subcommand().is_some() {
        return finish(&first, on_command_line, BTreeMap::new());
    }
    let mut extra = Vec::new();
    let mut from_env = BTreeMap::new();
    for arg in command.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if NO_VARIABLE.contains(&long) || on_command_line.contains(long) {
            continue;
        }
        let found = variables(long)
            .into_iter()
            .find_map(|var| env(&var).filter(|v| !v.is_empty()).map(|v| (var, v)));
        if let Some((var, value)) = found {
            extra.push(OsString::from(format!("--{long}={value}")));
            from_env.insert(long.to_owned(), var);
        }
    }
    if extra.is_empty() {
        return finish(&first, on_command_line, from_env);
    }
    let mut full = argv;
    let rest = full.split_off(full.len().min(1));
    full.extend(extra);
    full.extend(rest);
    let second = command
        .try_get_matches_from(full)
        .map_err(|e| blame_variable(e, &from_env))?;
    finish(&second, on_command_line, from_env)
}

fn finish(
    matches: &ArgMatches,
    on_command_line: BTreeSet<String>,
    from_env: BTreeMap<String, String>,
) -> Result<Parsed, ParseError> {
    let mut cli = Cli::from_arg_matches(matches).map_err(ParseError::Clap)?;
    cli.seal.normalize();
    Ok(Parsed {
        cli,
        on_command_line,
        from_env,
    })
}

/// Long names of the flags the command line sets.
fn given(command: &clap::Command, matches: &ArgMatches) -> BTreeSet<String> {
    command
        .get_arguments()
        .filter(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .collect()
}

/// A parse error caused by a value from a variable names the variable.
fn blame_variable(error: clap::Error, from_env: &BTreeMap<String, String>) -> ParseError {
    let flag = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => return ParseError::Clap(error),
    };
    let long = flag
        .rsplit("--")
        .next()
        .unwrap_or_default()
        .split(['=', ' ', '['])
        .next()
        .unwrap_or_default()
        .to_owned();
    match from_env.get(&long) {
        Some(var) => ParseError::Env {
            var: var.clone(),
            reason: reason(&error),
        },
        None => ParseError::Clap(error),
    }
}

/// The parser's complaint without the value itself (it could be a credential).
fn reason(error: &clap::Error) -> String {
    let valid: Vec<String> = match error.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => values.clone(),
        _ => Vec::new(),
    };
    if !valid.is_empty() {
        return format!("expected one of {}", valid.join(", "));
    }
    let text = error.render().to_string();
    text.lines()
        .next()
        .and_then(|line| line.rsplit_once(": "))
        .map(|(_, why)| why.to_owned())
        .unwrap_or_else(|| "the flag refuses this value".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("seal")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn variables_are_kubeseals_names() {
        assert_eq!(
            variables("controller-namespace"),
            [
                "SEAL_CONTROLLER_NAMESPACE",
                "SEALED_SECRETS_CONTROLLER_NAMESPACE"
            ]
        );
        assert_eq!(variables("log_dir")[1], "SEALED_SECRETS_LOG_DIR");
    }

    #[test]
    fn the_command_line_wins_then_seal_then_sealed_secrets() {
        let env = |name: &str| match name {
            "SEALED_SECRETS_SCOPE" => Some("cluster-wide".to_owned()),
            "SEALED_SECRETS_NAME" => Some("from-kubeseal-var".to_owned()),
            "SEAL_NAME" => Some("from-seal-var".to_owned()),
            "SEALED_SECRETS_RAW" => Some("true".to_owned()),
            "SEALED_SECRETS_CERT" => Some(String::new()),
            "SEALED_SECRETS_RECOVERY_PRIVATE_KEY" => Some("a.pem,b.pem".to_owned()),
            _ => None,
        };
        let parsed = parse(argv(&["--scope", "strict"]), &env).unwrap();
        let seal = &parsed.cli.seal;
        assert_eq!(seal.scope.as_deref(), Some("strict"));
        assert_eq!(seal.name.as_deref(), Some("from-seal-var"));
        assert!(seal.raw);
        assert!(seal.cert.is_empty(), "an empty variable is unset");
        assert_eq!(seal.recovery_private_key.len(), 2);
        assert!(parsed.on_command_line.contains("scope"));
        assert_eq!(parsed.from_env["name"], "SEAL_NAME");
        assert_eq!(parsed.from_env["raw"], "SEALED_SECRETS_RAW");
        assert!(!parsed.from_env.contains_key("scope"));
    }

    #[test]
    fn a_bad_value_in_a_variable_names_the_variable_not_the_value() {
        let env = |name: &str| (name == "SEALED_SECRETS_RAW").then(|| "maybe".to_owned());
        match parse(argv(&[]), &env) {
            Err(ParseError::Env { var, reason }) => {
                assert_eq!(var, "SEALED_SECRETS_RAW");
                assert!(!reason.contains("maybe"), "{reason}");
                assert!(reason.contains("true or false"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let env = |name: &str| (name == "SEALED_SECRETS_V").then(|| "loud".to_owned());
        assert!(matches!(
            parse(argv(&[]), &env),
            Err(ParseError::Env { var, .. }) if var == "SEALED_SECRETS_V"
        ));
    }

    #[test]
    fn subcommands_read_no_variables() {
        let env = |name: &str| (name == "SEALED_SECRETS_RAW").then(|| "maybe".to_owned());
        let parsed = parse(argv(&["keygen", "--out-dir", "k"]), &env).unwrap();
        assert!(parsed.cli.command.is_some());
    }
}
