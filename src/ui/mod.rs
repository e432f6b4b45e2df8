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
            let rendered = err.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            eprintln!("error: {first}; see 'kubectl porch-registry --help'");
            ExitCode::from(crate::error::exit::USAGE)
        }
    }
}

pub mod output;
pub mod wizard;
