//! The hidden `__complete` subcommand: kubectl's plugin completion protocol.
//!
//! kubectl runs `kubectl_complete-porch_registry WORD... CURRENT` (the words typed after
//! `kubectl porch-registry`, then the word being completed, `""` for a new one) and expects one
//! candidate a line (`value<TAB>description` allowed), then a last line `:N`, a cobra shell
//! directive: 0 = default (the shell may fall back to file names), 4 = no file completion.
//! For a `--flag=VALUE` word the candidates are bare values filtered by the typed `VALUE`, as
//! kubectl's own `__complete` answers (`kubectl __complete get --output=` gives `json`): the
//! shell completes only the part after `=`, so `--flag=value` would be typed twice.
//! The candidates come from walking the clap `Command` tree, so they always match the flags.

use clap::{Arg, Command};

use crate::error::Result;

/// Cobra's `ShellCompDirectiveDefault`: the shell may complete file names.
pub const DIRECTIVE_DEFAULT: u32 = 0;
/// Cobra's `ShellCompDirectiveNoFileComp`.
pub const DIRECTIVE_NO_FILE: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub candidates: Vec<Candidate>,
    pub directive: u32,
}

impl Completion {
    fn none() -> Self {
        Completion {
            candidates: Vec::new(),
            directive: DIRECTIVE_NO_FILE,
        }
    }

    fn files() -> Self {
        Completion {
            candidates: Vec::new(),
            directive: DIRECTIVE_DEFAULT,
        }
    }

    /// The protocol text: candidates, one a line, then `:N`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.candidates {
            out.push_str(&c.value);
            if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
                out.push('\t');
                out.push_str(d);
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive));
        out
    }
}

/// Complete `words` (everything after the plugin name; the last one is the word being
/// completed) against the tool's own command tree.
pub fn complete_words(words: &[String]) -> Completion {
    let mut root = crate::cli::command();
    root.build();
    complete_in(&root, words)
}

/// Complete `words` against any clap command (the walk behind [`complete_words`]).
pub fn complete_in(root: &Command, words: &[String]) -> Completion {
    let (typed, current) = match words.split_last() {
        Some((cur, typed)) => (typed, cur.as_str()),
        None => (&[][..], ""),
    };

    let mut cmd = root;
    let mut used: Vec<&Arg> = Vec::new();
    let mut positionals = 0usize;
    let mut after_double_dash = false;
    // A flag whose value is the next word.
    let mut pending: Option<&Arg> = None;
    // `--kubeconfig PATH` typed earlier, for completing `--context`.
    let mut kubeconfig: Option<String> = None;

    for word in typed {
        if let Some(arg) = pending.take() {
            if arg.get_id() == "kubeconfig" && !word.starts_with('-') {
                kubeconfig = Some(word.clone());
            }
            // `--from-docker-config` takes an optional value: a word starting with `-` is not it.
            let optional = arg.get_num_args().is_some_and(|r| r.min_values() == 0);
            if !(optional && word.starts_with('-')) {
                continue;
            }
        }
        if after_double_dash {
            positionals += 1;
            continue;
        }
        if word == "--" {
            after_double_dash = true;
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, has_value) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            if let Some(arg) = find_long(cmd, name) {
                if let (Some((_, value)), "kubeconfig") = (long.split_once('='), name) {
                    kubeconfig = Some(value.to_string());
                }
                used.push(arg);
                if !has_value && takes_separate_value(arg) {
                    pending = Some(arg);
                }
            }
            continue;
        }
        if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            // A cluster like `-iy` or `-nfoo`: the first flag taking a value eats the rest.
            for (i, c) in shorts.char_indices() {
                if let Some(arg) = find_short(cmd, c) {
                    used.push(arg);
                    if takes_value(arg) {
                        let rest = &shorts[i + c.len_utf8()..];
                        if rest.is_empty() && takes_separate_value(arg) {
                            pending = Some(arg);
                        }
                        break;
                    }
                }
            }
            continue;
        }
        if let Some(sub) = find_subcommand(cmd, word) {
            cmd = sub;
            used.clear();
            positionals = 0;
            continue;
        }
        positionals += 1;
    }

    // The current word is the value of the previous flag.
    if let Some(arg) = pending {
        let optional = arg.get_num_args().is_some_and(|r| r.min_values() == 0);
        if !(optional && current.starts_with('-')) {
            return complete_value(arg, current, kubeconfig.as_deref());
        }
    }

    if let Some((name, value)) = current
        .strip_prefix("--")
        .filter(|_| !after_double_dash)
        .and_then(|flag| flag.split_once('='))
    {
        return match find_long(cmd, name) {
            Some(arg) if takes_value(arg) => complete_value(arg, value, kubeconfig.as_deref()),
            _ => Completion::none(),
        };
    }
    if !after_double_dash && current.starts_with('-') {
        return complete_flags(cmd, current, &used);
    }

    // A subcommand name, or a positional argument.
    let subs: Vec<Candidate> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .filter(|s| s.get_name().starts_with(current))
        .map(|s| Candidate {
            value: s.get_name().to_string(),
            description: s.get_about().map(|a| first_line(&a.to_string())),
        })
        .collect();
    if cmd.has_subcommands() {
        if positionals > 0 {
            // An unknown word where a subcommand belongs: clap would refuse the line.
            return Completion::none();
        }
        return Completion {
            candidates: subs,
            directive: DIRECTIVE_NO_FILE,
        };
    }
    let positional = cmd
        .get_positionals()
        .filter(|a| !a.is_hide_set() && a.is_last_set() == after_double_dash)
        .nth(if after_double_dash { 0 } else { positionals })
        .or_else(|| {
            // A trailing multi-value positional keeps taking words.
            cmd.get_positionals()
                .filter(|a| a.is_last_set() == after_double_dash)
                .last()
                .filter(|a| a.get_num_args().is_some_and(|r| r.max_values() > 1))
        });
    match positional {
        Some(arg) => complete_value(arg, current, None),
        None => Completion::none(),
    }
}

/// Descriptions are one line without tabs (the protocol is line- and tab-separated).
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").replace('\t', " ")
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c)
            || a.get_all_short_aliases()
                .is_some_and(|aliases| aliases.contains(&c))
    })
}

fn find_subcommand<'a>(cmd: &'a Command, name: &str) -> Option<&'a Command> {
    cmd.get_subcommands()
        .find(|s| s.get_name() == name || s.get_all_aliases().any(|a| a == name))
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|r| r.takes_values())
}

/// Whether the value may come as the next word (`--flag VALUE`), not only as `--flag=VALUE`.
fn takes_separate_value(arg: &Arg) -> bool {
    takes_value(arg) && !arg.is_require_equals_set()
}

/// The values of `arg` that start with `current` (the typed part of the value, without any
/// `--flag=`), bare; or file names for path flags.
fn complete_value(arg: &Arg, current: &str, kubeconfig: Option<&str>) -> Completion {
    if arg.get_id() == "context" {
        return Completion {
            candidates: kubeconfig_contexts(kubeconfig)
                .into_iter()
                .filter(|c| c.starts_with(current))
                .map(|c| Candidate {
                    value: c,
                    description: None,
                })
                .collect(),
            directive: DIRECTIVE_NO_FILE,
        };
    }
    let values = arg.get_possible_values();
    if !values.is_empty() {
        return Completion {
            candidates: values
                .iter()
                .filter(|v| !v.is_hide_set())
                .filter(|v| v.get_name().starts_with(current))
                .map(|v| Candidate {
                    value: v.get_name().to_string(),
                    description: v.get_help().map(|h| first_line(&h.to_string())),
                })
                .collect(),
            directive: DIRECTIVE_NO_FILE,
        };
    }
    use clap::ValueHint;
    match arg.get_value_hint() {
        // After `--filename=` too: the shell completes the file name after the `=`.
        ValueHint::AnyPath
        | ValueHint::FilePath
        | ValueHint::DirPath
        | ValueHint::ExecutablePath => Completion::files(),
        _ => Completion::none(),
    }
}

/// Context names from the kubeconfig the plugin would use: `--kubeconfig` when typed, else
/// every file in `$KUBECONFIG`, else `~/.kube/config`. Unreadable files give no candidates.
fn kubeconfig_contexts(explicit: Option<&str>) -> Vec<String> {
    let files: Vec<std::path::PathBuf> = match explicit {
        Some(path) => vec![path.into()],
        None => match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            Some(list) => std::env::split_paths(&list).collect(),
            None => dirs::home_dir()
                .map(|h| vec![h.join(".kube/config")])
                .unwrap_or_default(),
        },
    };
    let mut names = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(config) = serde_saphyr::from_str_with_options::<serde_json::Value>(
            &text,
            crate::runner::yaml::serde_options(),
        ) else {
            continue;
        };
        for context in config["contexts"].as_array().into_iter().flatten() {
            if let Some(name) = context["name"].as_str()
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

fn complete_flags(cmd: &Command, current: &str, used: &[&Arg]) -> Completion {
    let mut candidates = Vec::new();
    for arg in cmd.get_arguments() {
        if arg.is_hide_set() || arg.is_positional() {
            continue;
        }
        let repeatable = matches!(
            arg.get_action(),
            clap::ArgAction::Append | clap::ArgAction::Count
        );
        if !repeatable && used.iter().any(|u| u.get_id() == arg.get_id()) {
            continue;
        }
        let description = arg.get_help().map(|h| first_line(&h.to_string()));
        let mut names = Vec::new();
        if let Some(long) = arg.get_long() {
            names.push(format!("--{long}"));
        }
        if let Some(short) = arg.get_short() {
            // Offer the short form only when the user typed a single dash.
            if !current.starts_with("--") {
                names.push(format!("-{short}"));
            }
        }
        for name in names {
            if name.starts_with(current) {
                candidates.push(Candidate {
                    value: name,
                    description: description.clone(),
                });
            }
        }
    }
    Completion {
        candidates,
        directive: DIRECTIVE_NO_FILE,
    }
}

pub fn run(words: &[String]) -> Result<()> {
    let completion = complete_words(words);
    crate::ui::output::write_stdout(&completion.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(words: &[&str]) -> Completion {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        complete_words(&words)
    }

    fn values(c: &Completion) -> Vec<&str> {
        c.candidates.iter().map(|c| c.value.as_str()).collect()
    }

    #[test]
    fn empty_line_lists_visible_subcommands_with_descriptions() {
        let c = complete(&[""]);
        let v = values(&c);
        for sub in [
            "secret",
            "patch",
            "remove",
            "setup",
            "check",
            "status",
            "fn",
            "pull",
            "run",
            "completions",
        ] {
            assert!(v.contains(&sub), "{sub} missing from {v:?}");
        }
        assert!(!v.iter().any(|s| s.starts_with("__")), "{v:?}");
        assert!(!v.contains(&"help"));
        assert_eq!(c.directive, DIRECTIVE_NO_FILE);
        assert!(c.candidates.iter().all(|c| c.description.is_some()));
    }

    #[test]
    fn no_words_at_all_is_the_same_as_an_empty_word() {
        assert_eq!(complete_words(&[]), complete(&[""]));
    }

    #[test]
    fn prefix_filters_subcommands() {
        assert_eq!(values(&complete(&["s"])), ["secret", "setup", "status"]);
        assert_eq!(values(&complete(&["secret", ""])), ["auth", "tls"]);
    }

    #[test]
    fn flags_of_the_current_subcommand() {
        let c = complete(&["setup", "--dry"]);
        assert_eq!(values(&c), ["--dry-run"]);
        let c = complete(&["setup", "-"]);
        let v = values(&c);
        assert!(v.contains(&"--filename") && v.contains(&"-f") && v.contains(&"--help"));
        assert_eq!(c.directive, DIRECTIVE_NO_FILE);
    }

    #[test]
    fn used_flags_are_not_offered_again() {
        let v = complete(&["patch", "-f", "x.yaml", "--"]).candidates;
        assert!(!v.iter().any(|c| c.value == "--filename"));
        assert!(v.iter().any(|c| c.value == "--in-place"));
    }

    #[test]
    fn value_enums_after_equals_and_as_next_word() {
        // Bare values after `--flag=`, as `kubectl __complete get --output=` answers `json`.
        let c = complete(&["setup", "--dry-run="]);
        assert_eq!(values(&c), ["none", "client", "server"]);
        assert_eq!(c.directive, DIRECTIVE_NO_FILE);
        assert_eq!(values(&complete(&["setup", "--dry-run=c"])), ["client"]);
        assert_eq!(values(&complete(&["setup", "--dry-run=s"])), ["server"]);
        assert_eq!(complete(&["setup", "--dry-run=x"]), Completion::none());
        assert_eq!(values(&complete(&["check", "--output=j"])), ["json"]);
        // `--dry-run` takes its value only after `=` (like kubectl's): `c` is no value of it.
        assert_eq!(complete(&["setup", "--dry-run", "c"]), Completion::none());
        assert_eq!(
            values(&complete(&["secret", "auth", "-o", ""])),
            ["yaml", "json", "name"]
        );
        assert_eq!(
            values(&complete(&["check", "--output", ""])),
            ["table", "json", "yaml"]
        );
        assert_eq!(values(&complete(&["run", "--runtime", "p"])), ["podman"]);
    }

    #[test]
    fn shells_for_completions() {
        let c = complete(&["completions", ""]);
        assert_eq!(values(&c), ["bash", "elvish", "fish", "powershell", "zsh"]);
        assert_eq!(c.directive, DIRECTIVE_NO_FILE);
    }

    #[test]
    fn file_flags_fall_back_to_file_names() {
        for words in [
            &["patch", "-f", ""][..],
            &["setup", "--filename", "ex"][..],
            &["secret", "tls", "--ca-file", ""][..],
            &["setup", "--from-docker-config", ""][..],
            &["setup", "--filename="][..],
            &["patch", "--filename=ex"][..],
        ] {
            let c = complete(words);
            assert_eq!(c.directive, DIRECTIVE_DEFAULT, "{words:?}");
            assert!(c.candidates.is_empty(), "{words:?}");
        }
    }

    #[test]
    fn free_text_values_get_no_file_names() {
        let c = complete(&["setup", "--registry", ""]);
        assert_eq!(c, Completion::none());
        let c = complete(&["setup", "-n", ""]);
        assert_eq!(c, Completion::none());
    }

    #[test]
    fn a_flag_value_is_skipped_when_walking() {
        // `-n porch-system` must not be taken as a subcommand or positional.
        let c = complete(&["setup", "-n", "porch-system", "--dry-run="]);
        assert_eq!(values(&c).len(), 3);
        // `--wait` needs `=`, so the next word is not its value.
        let c = complete(&["setup", "--wait", "--dry"]);
        assert_eq!(values(&c), ["--dry-run"]);
    }

    #[test]
    fn optional_value_flag_followed_by_a_flag() {
        let c = complete(&["setup", "--from-docker-config", "--dry"]);
        assert_eq!(values(&c), ["--dry-run"]);
    }

    #[test]
    fn positionals() {
        // run IMAGE [DIR]: the image is free text, the package a path.
        assert_eq!(complete(&["run", ""]), Completion::none());
        assert_eq!(
            complete(&["run", "img:v1", ""]).directive,
            DIRECTIVE_DEFAULT
        );
    }

    #[test]
    fn unknown_words_give_nothing_rather_than_fail() {
        assert_eq!(complete(&["nosuch", ""]), Completion::none());
        assert_eq!(complete(&["setup", "--nosuch="]), Completion::none());
    }

    #[test]
    fn contexts_come_from_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\ncurrent-context: kind-a\ncontexts:\n\
             - name: kind-a\n  context: {cluster: a, user: a}\n\
             - name: prod-b\n  context: {cluster: b, user: b}\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let c = complete(&["status", "--kubeconfig", p, "--context", ""]);
        assert_eq!(values(&c), ["kind-a", "prod-b"]);
        let c = complete(&["check", &format!("--kubeconfig={p}"), "--context=p"]);
        assert_eq!(values(&c), ["prod-b"]);
        let missing = dir.path().join("none");
        let c = complete(&[
            "status",
            "--kubeconfig",
            missing.to_str().unwrap(),
            "--context",
            "",
        ]);
        assert_eq!(c, Completion::none());
    }

    #[test]
    fn render_has_descriptions_and_the_directive_last() {
        let c = Completion {
            candidates: vec![
                Candidate {
                    value: "a".into(),
                    description: Some("the a".into()),
                },
                Candidate {
                    value: "b".into(),
                    description: None,
                },
            ],
            directive: 4,
        };
        assert_eq!(c.render(), "a\tthe a\nb\n:4\n");
    }
}
