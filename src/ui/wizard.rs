//! The credential wizard (dialoguer). Only ever used when stdin is a terminal; prompts and
//! answers go to stderr so that stdout stays clean for YAML. Passwords are read hidden and
//! never echoed.

use std::path::{Path, PathBuf};

use dialoguer::theme::SimpleTheme;
use dialoguer::{Confirm, Input, Password};

use crate::error::{Error, Result};
use crate::runner::dockerconfig::{RegistryCredential, registry_key_from_input};

/// Asks questions on the terminal.
pub struct Prompter {
    term: console::Term,
    theme: SimpleTheme,
}

fn cancelled(e: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Error::cancelled("cancelled at the prompt; nothing was changed")
    } else {
        Error::other(format!("cannot read from the terminal: {io}"))
    }
}

impl Prompter {
    /// A prompter when stdin is a terminal, else None (never prompt without a terminal).
    /// Prompts are drawn on stderr, so it must be the terminal too (not redirected to a log).
    pub fn if_terminal() -> Option<Prompter> {
        if super::stdin_is_terminal() && super::stderr_is_terminal() {
            Some(Prompter {
                term: console::Term::stderr(),
                theme: SimpleTheme,
            })
        } else {
            None
        }
    }

    /// A line of text with a default shown in brackets (Enter keeps it).
    pub fn text(&self, prompt: &str, default: &str) -> Result<String> {
        Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default.to_string())
            .interact_text_on(&self.term)
            .map(|s| s.trim().to_string())
            .map_err(cancelled)
    }

    /// A Kubernetes object name, checked as it is typed in.
    pub fn object_name(&self, prompt: &str, default: &str) -> Result<String> {
        Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default.to_string())
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                crate::runner::secrets::validate_object_name(s.trim())
            })
            .interact_text_on(&self.term)
            .map(|s| s.trim().to_string())
            .map_err(cancelled)
    }

    /// A mount path: absolute, and not the root directory.
    pub fn mount_path(&self, prompt: &str, default: &str) -> Result<String> {
        Input::<String>::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default.to_string())
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                let p = s.trim();
                if !p.starts_with('/') {
                    Err(format!("{p:?} is not an absolute path"))
                } else if p.trim_end_matches('/').is_empty() {
                    Err("the secret needs a directory of its own, not /".to_string())
                } else {
                    Ok(())
                }
            })
            .interact_text_on(&self.term)
            .map(|s| s.trim().to_string())
            .map_err(cancelled)
    }

    /// The registry user name.
    pub fn username(&self, registry: &str) -> Result<String> {
        Input::<String>::with_theme(&self.theme)
            .with_prompt(format!("Username for {registry}"))
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                if s.trim().is_empty() {
                    Err("the user name cannot be empty".into())
                } else {
                    crate::runner::dockerconfig::validate_username(s.trim())
                }
            })
            .interact_text_on(&self.term)
            .map(|s| s.trim().to_string())
            .map_err(cancelled)
    }

    /// The password, hidden, not empty.
    pub fn password(&self, registry: &str, username: &str) -> Result<String> {
        let _restore = EchoGuard::install();
        Password::with_theme(&self.theme)
            .with_prompt(format!("Password (or token) for {username}@{registry}"))
            .allow_empty_password(true)
            .validate_with(|s: &String| {
                if s.is_empty() {
                    Err("the password cannot be empty")
                } else {
                    Ok(())
                }
            })
            .interact_on(&self.term)
            .map_err(cancelled)
    }

    /// A yes/no question (typed answer plus Enter).
    pub fn yes_no(&self, prompt: &str, default: bool) -> Result<bool> {
        Confirm::with_theme(&self.theme)
            .with_prompt(prompt)
            .default(default)
            .wait_for_newline(true)
            .interact_on(&self.term)
            .map_err(cancelled)
    }

    /// One registry: host (normalised, with a note), user, hidden password, optional e-mail.
    pub fn registry(&self) -> Result<RegistryCredential> {
        let host = Input::<String>::with_theme(&self.theme)
            .with_prompt("Registry host[:port] (as in your function image names)")
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                registry_key_from_input(s)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .interact_text_on(&self.term)
            .map_err(cancelled)?;
        let key =
            registry_key_from_input(&host).map_err(|e| Error::usage(format!("registry: {e}")))?;
        crate::ui::note_normalized(&key);
        let username = self.username(&key.key)?;
        let password = self.password(&key.key, &username)?;
        let email = Input::<String>::with_theme(&self.theme)
            .with_prompt("E-mail (optional, Enter to skip)")
            .allow_empty(true)
            .interact_text_on(&self.term)
            .map_err(cancelled)?;
        let email = Some(email.trim().to_string()).filter(|e| !e.is_empty());
        Ok(RegistryCredential {
            registry: key.key,
            username,
            password,
            email,
        })
    }

    /// Registries until the user says there are no more. Re-entering a registry replaces it.
    pub fn registries(&self) -> Result<Vec<RegistryCredential>> {
        let mut all: Vec<RegistryCredential> = Vec::new();
        loop {
            let r = self.registry()?;
            if let Some(pos) = all.iter().position(|x| x.registry == r.registry) {
                crate::ui::warn(format_args!(
                    "{} was already given; the new credentials replace it",
                    r.registry
                ));
                all[pos] = r;
            } else {
                all.push(r);
            }
            if !self.yes_no("Add another registry?", false)? {
                return Ok(all);
            }
        }
    }

    /// A CA file, read and validated on the spot by `read` (re-asked until it succeeds: its
    /// error is shown and the question asked again). When not `required`, an empty answer
    /// means "no private CA".
    pub fn ca_file<T>(
        &self,
        required: bool,
        read: impl Fn(&Path) -> Result<T>,
    ) -> Result<Option<T>> {
        loop {
            let prompt = if required {
                "CA certificate file (PEM) of the registry"
            } else {
                "CA certificate file (PEM) if the registry uses a private CA (Enter for none)"
            };
            let answer = Input::<String>::with_theme(&self.theme)
                .with_prompt(prompt)
                .allow_empty(!required)
                .interact_text_on(&self.term)
                .map_err(cancelled)?;
            let answer = answer.trim();
            if answer.is_empty() {
                if required {
                    continue;
                }
                return Ok(None);
            }
            let path = expand_tilde(answer);
            match read(&path) {
                Ok(ca) => return Ok(Some(ca)),
                Err(e) => crate::ui::info(format_args!("error: {e}; try again")),
            }
        }
    }
}

/// The terminal as it was before the first hidden prompt turned its echo off.
static TERMINAL: std::sync::OnceLock<libc::termios> = std::sync::OnceLock::new();
const ENDING_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// A signal during the hidden password prompt (Ctrl-C) ends the run as a shell expects, by
/// that signal and with nothing written (the wizard asks before anything is sent), but with
/// the terminal's echo back on: the prompt's own restore never runs when the signal kills
/// the process. Only `tcsetattr`, `signal` and `raise` here (async-signal-safe).
extern "C" fn restore_terminal_and_die(sig: libc::c_int) {
    if let Some(t) = TERMINAL.get() {
        // SAFETY: tcsetattr on stdin with a termios read from it; async-signal-safe.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
    }
    // SAFETY: back to the default action, then die of the signal.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// While it lives, a signal that ends the run first restores the terminal (see
/// [`restore_terminal_and_die`]); dropped, the handlers before it are back.
struct EchoGuard {
    before: Vec<(libc::c_int, libc::sighandler_t)>,
}

impl EchoGuard {
    fn install() -> EchoGuard {
        // SAFETY: a zeroed termios is a valid out-parameter for tcgetattr.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: stdin is the terminal the prompter reads (it exists only then).
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0 {
            return EchoGuard { before: vec![] };
        }
        let _ = TERMINAL.set(t);
        let handler = restore_terminal_and_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
        let before = ENDING_SIGNALS
            .iter()
            // SAFETY: installs a handler that only calls async-signal-safe functions.
            .map(|&sig| (sig, unsafe { libc::signal(sig, handler) }))
            .collect();
        EchoGuard { before }
    }
}

impl Drop for EchoGuard {
    fn drop(&mut self) {
        for &(sig, old) in &self.before {
            if old != libc::SIG_ERR {
                // SAFETY: puts back the handler that was there before.
                unsafe { libc::signal(sig, old) };
            }
        }
    }
}

fn expand_tilde(s: &str) -> PathBuf {
    match s.strip_prefix("~/") {
        Some(rest) => dirs::home_dir()
            .map(|h| h.join(rest))
            .unwrap_or_else(|| PathBuf::from(s)),
        None => PathBuf::from(s),
    }
}

/// Show the summary of what will change (stderr) and ask for confirmation. `yes` skips the
/// question; without a terminal nothing is asked and the answer is yes (CI runs from flags).
pub fn confirm(summary: &str, yes: bool) -> Result<bool> {
    crate::ui::output::stderr_line(summary.trim_end());
    if yes {
        return Ok(true);
    }
    match Prompter::if_terminal() {
        Some(p) => p.yes_no("Apply these changes?", false),
        None => Ok(true),
    }
}
