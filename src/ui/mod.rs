//! Terminal edge: warnings, progress, tables, prompts, printers. Its [`output`] is the one
//! sink of stdout and stderr that every module writes through; the rest (the wizard, clap's
//! error line) is for commands and `main_entry` only.

use std::process::ExitCode;

pub use output::{info, note_normalized, stderr_is_terminal, warn};

/// Whether stdin is a terminal (prompts are only ever shown on a terminal).
pub fn stdin_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// clap's multi-line usage error as one line: the message, its indented details (e.g. which
/// required flags are missing), its tips, and the help of the subcommand that was used.
fn clap_error_line(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let mut msg = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .trim_end()
        .trim_end_matches(':')
        .to_string();
    let mut details = Vec::new();
    let mut tips = Vec::new();
    let mut command = None;
    let mut first_paragraph = true;
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            first_paragraph = false;
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            tips.push(tip.to_string());
        } else if let Some(usage) = line.strip_prefix("Usage: ") {
            let words: Vec<&str> = usage
                .split_whitespace()
                .take_while(|w| !w.starts_with(['-', '<', '[']))
                .collect();
            if command.is_none() && !words.is_empty() {
                command = Some(words.join(" "));
            }
        } else if first_paragraph {
            details.push(line.to_string());
        }
    }
    if !details.is_empty() {
        msg = format!("{msg}: {}", details.join(", "));
    }
    for tip in tips {
        msg = format!("{msg} ({tip})");
    }
    let command = command.unwrap_or_else(|| "kubectl porch-registry".to_string());
    format!("{msg}; see '{command} --help'")
}

/// The command-line word just before the first occurrence of `value`.
fn arg_before(value: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let pos = args.iter().position(|a| a == value)?;
    args.get(pos.checked_sub(1)?).cloned()
}

/// The subcommands named on the command line (`["secret", "auth"]`), up to the first word
/// that is not one.
fn subcommand_path(root: &clap::Command) -> Vec<String> {
    let mut cmd = root.clone();
    let mut path = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg.starts_with('-') {
            continue;
        }
        let Some(sub) = cmd.find_subcommand(&arg).cloned() else {
            break;
        };
        path.push(sub.get_name().to_string());
        cmd = sub;
    }
    path
}

/// Whether `--name` only takes a value joined with '=' (`require_equals`, like kubectl's
/// `--dry-run`), so that `--name value` leaves `value` as a stray word.
fn takes_value_after_equals(root: &clap::Command, flag: &str) -> bool {
    fn find(cmd: &clap::Command, name: &str) -> bool {
        cmd.get_arguments()
            .any(|a| a.get_long() == Some(name) && a.is_require_equals_set())
            || cmd.get_subcommands().any(|c| find(c, name))
    }
    flag.strip_prefix("--").is_some_and(|name| find(root, name))
}

/// clap errors: help and version go to stdout with exit 0; usage errors become one
/// `error:` line (clap's own first line, without its ANSI styling) plus clap's hint, exit 2.
/// `root` is the program's clap command (handed over by `main_entry`: the terminal edge does
/// not import the command line's definitions).
pub fn report_clap_error(err: clap::Error, root: &clap::Command) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(crate::error::exit::USAGE)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let mut line = clap_error_line(&err.render().to_string());
            let mut tip = None;
            // `--password-stdin s3cret` or a forgotten `--password`: the stray word is likely a
            // secret, so it is not echoed when credential flags are on the command line.
            if err.kind() == ErrorKind::UnknownArgument
                && std::env::args().any(|a| a == "-p" || a.starts_with("--password"))
                && let Some(clap::error::ContextValue::String(value)) =
                    err.get(clap::error::ContextKind::InvalidArg)
                && !value.starts_with('-')
            {
                line = line.replace(&format!("'{value}'"), "'<value hidden>'");
                if arg_before(value).as_deref() == Some("--password-stdin") {
                    tip = Some(
                        "--password-stdin takes no value: pipe the password to stdin".to_string(),
                    );
                }
            }
            // `--password-stdin=s3cret`, `--password=x --password=y`: a value given to a password
            // flag is never echoed, whatever clap's complaint about it.
            if let Some(clap::error::ContextValue::String(arg)) =
                err.get(clap::error::ContextKind::InvalidArg)
                && arg.contains("password")
            {
                for kind in [
                    clap::error::ContextKind::InvalidValue,
                    clap::error::ContextKind::PriorArg,
                ] {
                    if let Some(clap::error::ContextValue::String(value)) = err.get(kind)
                        && !value.is_empty()
                        && !value.starts_with('-')
                    {
                        line = line.replace(&format!("'{value}'"), "'<value hidden>'");
                    }
                }
            }
            // `--dry-run client` / `--wait false`: these flags take their value only after '='
            // (kubectl's form), so the value became a stray positional; say how to write it.
            if err.kind() == ErrorKind::UnknownArgument
                && let Some(clap::error::ContextValue::String(value)) =
                    err.get(clap::error::ContextKind::InvalidArg)
                && let Some(flag) = arg_before(value)
                && takes_value_after_equals(root, &flag)
            {
                tip = Some(format!(
                    "write {flag}={value}: {flag} takes its value after '='"
                ));
            }
            // clap names the subcommand only when it prints a usage line; otherwise point at
            // the help of the subcommand on the command line, not the top-level one.
            let root_help = "; see 'kubectl porch-registry --help'";
            if line.ends_with(root_help) {
                let path = subcommand_path(root);
                if !path.is_empty() {
                    line = format!(
                        "{}; see 'kubectl porch-registry {} --help'",
                        &line[..line.len() - root_help.len()],
                        path.join(" ")
                    );
                }
            }
            if let Some(tip) = tip {
                line = match line.rfind("; see '") {
                    Some(at) => format!("{} ({tip}){}", &line[..at], &line[at..]),
                    None => format!("{line} ({tip})"),
                };
            }
            output::stderr_line(format_args!("error: {line}"));
            ExitCode::from(crate::error::exit::USAGE)
        }
    }
}

pub mod output;
pub mod wizard;

#[cfg(test)]
mod clap_error_tests {
    use super::clap_error_line;

    #[test]
    fn missing_required_arguments_are_named() {
        let rendered = "error: the following required arguments were not provided:\n  --ca-file <PEM>\n\nUsage: kubectl porch-registry secret tls --ca-file <PEM>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_error_line(rendered),
            "the following required arguments were not provided: --ca-file <PEM>; see 'kubectl porch-registry secret tls --help'"
        );
    }

    #[test]
    fn tips_are_kept() {
        let rendered = "error: unexpected argument '--dry-rn' found\n\n  tip: a similar argument exists: '--dry-run'\n\nUsage: kubectl porch-registry setup --dry-run[=<DRY_RUN>]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_error_line(rendered),
            "unexpected argument '--dry-rn' found (a similar argument exists: '--dry-run'); see 'kubectl porch-registry setup --help'"
        );
    }
}
