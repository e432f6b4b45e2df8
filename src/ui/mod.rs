//! Terminal edge: warnings, progress, tables, prompts, printers.

use std::process::ExitCode;

/// Print a `warning: ...` line on stderr.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("warning: {msg}");
}

/// Print an informational line on stderr (results go to stdout, chatter to stderr).
pub fn info(msg: impl std::fmt::Display) {
    eprintln!("{msg}");
}

/// Whether stdin is a terminal (prompts are only ever shown on a terminal).
pub fn stdin_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// Whether stderr is a terminal (progress bars only on a terminal).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
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

/// clap errors: help and version go to stdout with exit 0; usage errors become one
/// `error:` line (clap's own first line, without its ANSI styling) plus clap's hint, exit 2.
pub fn report_clap_error(err: clap::Error) -> ExitCode {
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
            // `--password-stdin s3cret` or a forgotten `--password`: the stray word is likely a
            // secret, so it is not echoed when credential flags are on the command line.
            if err.kind() == ErrorKind::UnknownArgument
                && std::env::args().any(|a| a == "-p" || a.starts_with("--password"))
                && let Some(clap::error::ContextValue::String(value)) =
                    err.get(clap::error::ContextKind::InvalidArg)
                && !value.starts_with('-')
            {
                line = line.replace(&format!("'{value}'"), "'<value hidden>'");
            }
            eprintln!("error: {line}");
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
