//! `completions SHELL`, and the generation of the committed `completions/` and `man/` trees.
//!
//! Everything here derives from `crate::cli::command()`, so the scripts and pages cannot drift
//! from the flags: `tests/it/generated.rs` fails when the committed files are stale and rewrites
//! them with `UPDATE_GENERATED=1`.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

use crate::error::Result;

/// The executable kubectl runs for `kubectl porch-registry` (kubectl maps `-` to `_`).
pub const PLUGIN_BIN: &str = "kubectl-porch_registry";
/// The executable kubectl runs to complete `kubectl porch-registry <TAB>`.
pub const COMPLETER_BIN: &str = "kubectl_complete-porch_registry";
/// Base name of the man pages: `kubectl-porch-registry.1`, `kubectl-porch-registry-setup.1`...
pub const MAN_BASE: &str = "kubectl-porch-registry";

/// Every shell `completions` supports, in a fixed order.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The completion script for one shell, completing the plugin called by its own name
/// (`kubectl-porch_registry ...`). `kubectl porch-registry <TAB>` goes through kubectl's own
/// completion and the `kubectl_complete-porch_registry` completer instead.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = visible_only(&crate::cli::command()).name(PLUGIN_BIN);
    let mut out = Vec::new();
    if shell == Shell::Bash {
        // clap_complete's bash generator names the per-subcommand cases inconsistently when
        // the binary name contains `-` (the subcommands' flags would never complete), so
        // generate for a dash-free name and point the `complete` lines at the real one.
        let dashless = PLUGIN_BIN.replace('-', "_");
        clap_complete::generate(shell, &mut cmd, dashless.as_str(), &mut out);
        let text = String::from_utf8(out).expect("clap_complete writes UTF-8");
        let suffix = format!(" {dashless}");
        return text
            .lines()
            .map(|line| match line.strip_suffix(&suffix) {
                Some(head) if line.trim_start().starts_with("complete -F ") => {
                    format!("{head} {PLUGIN_BIN}\n")
                }
                // bash splits `--dry-run=c` at `=` (COMP_WORDBREAKS): the word before the one
                // being completed is `=`, so clap's `case "${prev}"` matched no flag and bash
                // fell back to file names. Look past the `=` to the flag.
                _ if line == BASH_PREV_LINE => format!("{line}\n{BASH_PREV_PAST_EQUALS}"),
                _ => format!("{line}\n"),
            })
            .collect::<String>()
            .into_bytes();
    }
    clap_complete::generate(shell, &mut cmd, PLUGIN_BIN, &mut out);
    out
}

/// The line of clap_complete's bash script that sets `prev`, and what follows it in ours.
const BASH_PREV_LINE: &str = "    prev=\"$3\"";
const BASH_PREV_PAST_EQUALS: &str = "    if [[ \"${prev}\" == \"=\" && ${COMP_CWORD} -ge 2 ]]; then\n        \
     prev=\"${COMP_WORDS[COMP_CWORD-2]}\"\n    fi\n";

/// A copy of `cmd` without hidden subcommands and arguments (clap_complete would offer
/// `__complete` and `__sandbox`), and without the `kubectl porch-registry` bin name.
fn visible_only(cmd: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(cmd.get_name().to_string());
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(about) = cmd.get_long_about() {
        out = out.long_about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(version.to_string());
    }
    for alias in cmd.get_all_aliases() {
        out = out.alias(alias.to_string());
    }
    out = out
        .subcommand_required(cmd.is_subcommand_required_set())
        .arg_required_else_help(cmd.is_arg_required_else_help_set());
    let kept: Vec<&clap::Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    for arg in &kept {
        out = out.arg((*arg).clone());
    }
    for group in cmd.get_groups() {
        let complete = group
            .get_args()
            .all(|id| kept.iter().any(|a| a.get_id() == id));
        if complete {
            out = out.group(group.clone());
        }
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out = out.subcommand(visible_only(sub));
    }
    out
}

/// The file name a shell's completion is committed and installed under.
pub fn completion_file_name(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name(PLUGIN_BIN)
}

/// The completer script kubectl calls; it hands the words to the hidden `__complete`
/// subcommand of the plugin installed beside it (else the one on PATH).
pub fn completer_script() -> Vec<u8> {
    format!(
        "#!/bin/sh\n\
         # Completion for `kubectl porch-registry`: kubectl runs this file with the words typed\n\
         # after the plugin name plus the word being completed. Generated; do not edit.\n\
         here=$(dirname \"$0\")\n\
         if [ -x \"$here/{PLUGIN_BIN}\" ]; then\n\
         \x20   exec \"$here/{PLUGIN_BIN}\" __complete \"$@\"\n\
         fi\n\
         exec {PLUGIN_BIN} __complete \"$@\"\n"
    )
    .into_bytes()
}

/// One man page per visible command: `(file name, roff)`, root first, depth-first.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = crate::cli::command()
        .display_name(MAN_BASE)
        .disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect_man_pages(&cmd, &mut pages);
    pages
}

fn collect_man_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    let name = cmd.get_display_name().unwrap_or(MAN_BASE).to_string();
    let version = cmd.get_version().unwrap_or(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .section("1")
        .source(format!("{MAN_BASE} {version}"))
        .manual("kubectl porch-registry");
    let mut out = Vec::new();
    render_man(&man, cmd, &mut out).expect("rendering to memory cannot fail");
    pages.push((format!("{name}.1"), out));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_man_pages(sub, pages);
    }
}

/// clap_mangen's sections, except that the `after_help` examples become an EXAMPLES section
/// kept verbatim (clap_mangen would refill the command lines as prose).
fn render_man(
    man: &clap_mangen::Man,
    cmd: &clap::Command,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    if let Some(after) = cmd.get_after_long_help().or_else(|| cmd.get_after_help()) {
        let text = after.to_string();
        let body = text.strip_prefix("Examples:").unwrap_or(&text);
        out.extend_from_slice(b".SH EXAMPLES\n.nf\n");
        for line in body.trim_matches('\n').lines() {
            out.extend_from_slice(roff_line(line).as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b".fi\n");
    }
    if cmd.get_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// One line of literal text for roff: backslashes and dashes escaped, no leading control char.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Every generated file, as `(path relative to the repository root, contents)`, sorted by path:
/// `completions/*` (one script per shell plus the kubectl completer) and `man/man1/*.1`.
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = SHELLS
        .iter()
        .map(|&shell| {
            (
                Path::new("completions").join(completion_file_name(shell)),
                completion_script(shell),
            )
        })
        .collect();
    files.push((
        Path::new("completions").join(COMPLETER_BIN),
        completer_script(),
    ));
    for (name, roff) in man_pages() {
        files.push((Path::new("man/man1").join(name), roff));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Write every generated file under `root` (the repository root, or an install staging dir),
/// replacing what is there and removing stale files from `completions/` and `man/man1/`.
/// Returns the written paths.
pub fn generate_all(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let files = generated_files();
    for dir in ["completions", "man/man1"] {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if path.is_file() && !files.iter().any(|(p, _)| *p == rel) {
                std::fs::remove_file(&path)?;
            }
        }
    }
    let mut written = Vec::new();
    for (rel, contents) in files {
        let path = root.join(&rel);
        std::fs::write(&path, &contents)?;
        if rel.file_name().and_then(|n| n.to_str()) == Some(COMPLETER_BIN) {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        written.push(path);
    }
    Ok(written)
}

pub fn run(shell: clap_complete::Shell) -> Result<()> {
    let script = completion_script(shell);
    // `completions bash | head` is not an error.
    crate::ui::output::write_stdout_bytes(&script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_has_a_script_for_the_plugin_binary() {
        for shell in SHELLS {
            let script = String::from_utf8(completion_script(shell)).unwrap();
            assert!(script.contains(PLUGIN_BIN), "{shell}: {script}");
            assert!(
                script.contains("setup"),
                "{shell} lacks the setup subcommand"
            );
            assert!(
                !script.contains("__sandbox"),
                "{shell} exposes a hidden subcommand"
            );
        }
    }

    #[test]
    fn bash_script_looks_past_the_equals_sign_once() {
        // If clap_complete renames its `prev` line, the fix for `--flag=<TAB>` would vanish.
        let text = String::from_utf8(completion_script(Shell::Bash)).unwrap();
        assert_eq!(text.matches(BASH_PREV_PAST_EQUALS).count(), 1, "{text}");
    }

    #[test]
    fn man_pages_cover_every_visible_subcommand() {
        let names: Vec<String> = man_pages().into_iter().map(|(n, _)| n).collect();
        for expected in [
            "kubectl-porch-registry.1",
            "kubectl-porch-registry-setup.1",
            "kubectl-porch-registry-secret.1",
            "kubectl-porch-registry-secret-auth.1",
            "kubectl-porch-registry-secret-tls.1",
            "kubectl-porch-registry-completions.1",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} in {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.contains("__")), "{names:?}");
        assert!(!names.iter().any(|n| n.ends_with("-help.1")), "{names:?}");
    }

    #[test]
    fn man_page_synopsis_uses_the_kubectl_form() {
        let pages = man_pages();
        let setup = pages
            .iter()
            .find(|(n, _)| n == "kubectl-porch-registry-setup.1")
            .unwrap();
        let text = String::from_utf8_lossy(&setup.1);
        assert!(text.contains("kubectl porch\\-registry setup"), "{text}");
    }

    #[test]
    fn generate_all_removes_stale_files_and_marks_the_completer_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("man/man1")).unwrap();
        std::fs::write(dir.path().join("man/man1/old.1"), "x").unwrap();
        let written = generate_all(dir.path()).unwrap();
        assert_eq!(written.len(), generated_files().len());
        assert!(!dir.path().join("man/man1/old.1").exists());
        let mode = std::fs::metadata(dir.path().join("completions").join(COMPLETER_BIN))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
}
