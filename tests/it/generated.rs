//! The committed `completions/` and `man/` trees are generated from the clap definitions.
//!
//! This test regenerates them in memory and fails when a committed file is stale, missing or
//! left over. To refresh them after changing `src/cli.rs`:
//!
//!     UPDATE_GENERATED=1 cargo test --test it generated

use std::path::{Path, PathBuf};
use std::process::Command;

use porch_registry::commands::completions::{
    COMPLETER_BIN, PLUGIN_BIN, SHELLS, completion_file_name, generate_all, generated_files,
};

use crate::support::bin;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files present on disk under the generated directories, relative to the root.
fn files_on_disk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["completions", "man/man1"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for entry in entries.flatten() {
                if entry.path().is_file() {
                    out.push(Path::new(dir).join(entry.file_name()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_completions_and_man_pages_are_up_to_date() {
    let root = repo_root();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        let written = generate_all(&root).expect("writing completions/ and man/");
        eprintln!("regenerated {} files", written.len());
    }
    let expected = generated_files();
    let mut problems = Vec::new();
    for (rel, contents) in &expected {
        match std::fs::read(root.join(rel)) {
            Ok(on_disk) if on_disk == *contents => {}
            Ok(_) => problems.push(format!("stale: {}", rel.display())),
            Err(_) => problems.push(format!("missing: {}", rel.display())),
        }
    }
    for rel in files_on_disk(&root) {
        if !expected.iter().any(|(p, _)| *p == rel) {
            problems.push(format!("left over: {}", rel.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "the committed generated files do not match src/cli.rs:\n  {}\n\
         regenerate with: UPDATE_GENERATED=1 cargo test --test it generated",
        problems.join("\n  ")
    );
}

#[test]
fn the_committed_completer_is_executable() {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(repo_root().join("completions").join(COMPLETER_BIN))
        .expect("completions/kubectl_complete-porch_registry is committed")
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "mode {mode:o}");
}

#[test]
fn completions_command_prints_the_committed_script_for_every_shell() {
    for shell in SHELLS {
        let committed = std::fs::read(
            repo_root()
                .join("completions")
                .join(completion_file_name(shell)),
        )
        .unwrap_or_default();
        let out = bin()
            .args(["completions", &shell.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        assert!(out.stderr.is_empty(), "{shell}: stderr {:?}", out.stderr);
        assert!(!out.stdout.is_empty());
        assert!(
            out.stdout == committed,
            "`completions {shell}` differs from the committed file"
        );
    }
}

#[test]
fn completions_rejects_an_unknown_shell() {
    let out = bin().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("tcsh"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Run the generated bash completion in a real bash, as the shell would on <TAB>.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = repo_root()
        .join("completions")
        .join(completion_file_name(clap_complete::Shell::Bash));
    let fn_name = format!("_{}", PLUGIN_BIN.replace('-', "_"));
    let mut quoted = String::new();
    for w in std::iter::once(PLUGIN_BIN).chain(words.iter().copied()) {
        quoted.push_str(&format!("'{}' ", w.replace('\'', r"'\''")));
    }
    let program = format!(
        "source '{}'\n\
         COMP_WORDS=({quoted})\n\
         COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
         {fn_name} '{PLUGIN_BIN}' \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         complete -p {PLUGIN_BIN} >&2\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_completes_subcommands_flags_and_values() {
    assert_eq!(bash_complete(&["se"]), ["secret", "setup"]);
    assert_eq!(bash_complete(&["setup", "--dry"]), ["--dry-run"]);
    assert_eq!(
        bash_complete(&["secret", "auth", "-o", ""]),
        ["yaml", "json", "name"]
    );
    let shells = bash_complete(&["completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(shells.iter().any(|s| s == shell), "{shell} in {shells:?}");
    }
    let top = bash_complete(&[""]);
    assert!(!top.iter().any(|s| s.starts_with("__")), "{top:?}");
}

/// The table behind Go's `strconv.IsPrint` (`krm::go_print`) is the one
/// `scripts/gen-go-print.py` derives from the Unicode Character Database of the Unicode
/// version kpt's Go uses (15.0.0: Debian's unicode-data, installed by
/// scripts/install-test-deps.sh): categories L, M, N, P, S and U+0020.
#[test]
fn go_print_table_is_unicode_15_data() {
    let path = Path::new("/usr/share/unicode/UnicodeData.txt");
    let readme = std::fs::read_to_string("/usr/share/unicode/ReadMe.txt")
        .expect("unicode-data is installed (scripts/install-test-deps.sh)");
    assert!(
        readme.contains("Version 15.0.0"),
        "UnicodeData.txt is not 15.0.0"
    );
    let mut cat = vec!['C'; 0x110000];
    let mut first = None;
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let f: Vec<&str> = line.split(';').collect();
        let cp = u32::from_str_radix(f[0], 16).unwrap() as usize;
        let major = f[2].chars().next().unwrap();
        if f[1].ends_with(", First>") {
            first = Some(cp);
        } else if f[1].ends_with(", Last>") {
            cat[first.take().unwrap()..=cp].fill(major);
        } else {
            cat[cp] = major;
        }
    }
    let mut want: Vec<(u32, u32)> = Vec::new();
    for (cp, c) in cat.iter().enumerate() {
        let cp = cp as u32;
        if cp == 0x20 || "LMNPS".contains(*c) {
            match want.last_mut() {
                Some(r) if r.1 + 1 == cp => r.1 = cp,
                _ => want.push((cp, cp)),
            }
        }
    }
    assert_eq!(
        porch_registry::krm::go_print::print_ranges(),
        want.as_slice(),
        "regenerate: python3 scripts/gen-go-print.py {} > src/krm/go_print_table.rs",
        path.display()
    );
}
