//! install.sh into a temporary prefix, then real kubectl: plugin lookup, `kubectl plugin list`,
//! and plugin completion through the installed completer. Plus the krew manifest template.
//!
//! To save CPU the test installs the debug binary cargo already built (`--binary`); the
//! release build path of install.sh is the same script minus that flag.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PLUGIN: &str = "kubectl-porch_registry";
const COMPLETER: &str = "kubectl_complete-porch_registry";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn built_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-porch-registry"))
}

/// The names an install of this plugin puts on PATH.
const INSTALLED_NAMES: [&str; 3] = [PLUGIN, COMPLETER, "kubectl-porch-registry"];

/// The machine's PATH without any directory holding a copy of this plugin (a user who ran
/// `./install.sh` first has one in /usr/local/bin or ~/.local/bin; kubectl would then warn
/// that one copy overshadows the other, and completion might run the wrong one), plus a
/// directory holding only a link to kubectl in case kubectl lived in one of those.
fn clean_system_path() -> String {
    static CLEAN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CLEAN
        .get_or_init(|| {
            let tools = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install-tools");
            clean_path_from(&std::env::var("PATH").unwrap_or_default(), &tools)
        })
        .clone()
}

/// `system` without the directories holding an installed copy, after `tools` (recreated
/// with only a link to kubectl).
fn clean_path_from(system: &str, tools: &Path) -> String {
    let kubectl = std::env::split_paths(system)
        .map(|d| d.join("kubectl"))
        .find(|k| k.is_file())
        .expect("kubectl on PATH");
    let _ = std::fs::remove_dir_all(tools);
    std::fs::create_dir_all(tools).unwrap();
    std::os::unix::fs::symlink(&kubectl, tools.join("kubectl")).unwrap();
    let mut dirs = vec![tools.to_path_buf()];
    dirs.extend(std::env::split_paths(system).filter(|d| {
        !d.as_os_str().is_empty()
            && !INSTALLED_NAMES
                .iter()
                .any(|n| std::fs::symlink_metadata(d.join(n)).is_ok())
    }));
    std::env::join_paths(dirs)
        .unwrap()
        .into_string()
        .expect("a UTF-8 PATH")
}

/// A HOME of the tests' own (nothing from the user's ~/.kube, ~/.local or shell setup).
fn clean_home() -> PathBuf {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install-home");
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// A command with the clean PATH and HOME: the tests never see what is installed on the
/// machine. `first` goes in front of PATH (the prefix under test).
fn clean_command(program: impl AsRef<std::ffi::OsStr>, first: Option<&Path>) -> Command {
    let mut c = Command::new(program);
    let path = match first {
        Some(dir) => format!("{}:{}", dir.display(), clean_system_path()),
        None => clean_system_path(),
    };
    c.env("PATH", path)
        .env("HOME", clean_home())
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("KUBECACHEDIR")
        .stdin(std::process::Stdio::null());
    c
}

fn install_sh(args: &[&str]) -> Output {
    clean_command(repo_root().join("install.sh"), None)
        .args(args)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("install.sh runs")
}

fn install_into(prefix: &Path) {
    let out = install_sh(&[
        "--prefix",
        prefix.to_str().unwrap(),
        "--binary",
        built_binary().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "install.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One install shared by the read-only tests (the debug binary is ~200 MB: copying it for
/// every test would cost more than the tests). It lives under cargo's per-target test tmp
/// dir and is replaced on each run.
fn install() -> PathBuf {
    static PREFIX: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PREFIX
        .get_or_init(|| {
            let prefix = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("install-prefix");
            let _ = std::fs::remove_dir_all(&prefix);
            install_into(&prefix);
            prefix
        })
        .clone()
}

/// kubectl with the prefix's bin first, then the clean PATH.
fn kubectl(prefix: &Path, args: &[&str]) -> Output {
    clean_command("kubectl", Some(&prefix.join("bin")))
        .args(args)
        .output()
        .expect("kubectl runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn installs_every_file_under_the_prefix() {
    use std::os::unix::fs::PermissionsExt;
    let prefix = install();
    let exec = [format!("bin/{PLUGIN}"), format!("bin/{COMPLETER}")];
    for rel in &exec {
        let mode = std::fs::metadata(prefix.join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o755, 0o755, "{rel}: mode {mode:o}");
    }
    // Not the dash name: kubectl would run that one as `kubectl porch registry`.
    assert!(!prefix.join("bin/kubectl-porch-registry").exists());
    assert_eq!(
        std::fs::read(prefix.join(format!("bin/{PLUGIN}"))).unwrap(),
        std::fs::read(built_binary()).unwrap()
    );
    let committed = |rel: &str| std::fs::read(repo_root().join(rel)).unwrap();
    assert_eq!(
        std::fs::read(prefix.join(format!("share/bash-completion/completions/{PLUGIN}"))).unwrap(),
        committed("completions/kubectl-porch_registry.bash")
    );
    assert_eq!(
        std::fs::read(prefix.join(format!("share/zsh/site-functions/_{PLUGIN}"))).unwrap(),
        committed("completions/_kubectl-porch_registry")
    );
    assert_eq!(
        std::fs::read(prefix.join(format!("share/fish/vendor_completions.d/{PLUGIN}.fish")))
            .unwrap(),
        committed("completions/kubectl-porch_registry.fish")
    );
    let mut pages = 0;
    for entry in std::fs::read_dir(repo_root().join("man/man1")).unwrap() {
        let name = entry.unwrap().file_name();
        let installed = prefix.join("share/man/man1").join(&name);
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            committed(&format!("man/man1/{}", name.to_string_lossy())),
            "{}",
            installed.display()
        );
        pages += 1;
    }
    assert!(pages >= 10, "only {pages} man pages");
    // Nothing half-written is left behind.
    for dir in ["bin", "share/man/man1"] {
        for entry in std::fs::read_dir(prefix.join(dir)).unwrap() {
            let name = entry.unwrap().file_name();
            assert!(!name.to_string_lossy().starts_with(".install."), "{name:?}");
        }
    }
}

#[test]
fn kubectl_finds_the_installed_plugin_and_lists_it_without_warnings() {
    let prefix = install();

    let out = kubectl(&prefix, &["porch-registry", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Usage: kubectl porch-registry"),
        "{}",
        stdout(&out)
    );

    let out = kubectl(&prefix, &["porch-registry", "--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));

    // A subcommand through kubectl: the arguments reach the plugin unchanged.
    let out = kubectl(&prefix, &["porch-registry", "completions", "fish"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(PLUGIN));

    let out = kubectl(&prefix, &["plugin", "list"]);
    let listed = stdout(&out);
    let ours = prefix.join("bin").join(PLUGIN);
    assert!(
        listed.lines().any(|l| l.trim() == ours.to_str().unwrap()),
        "{listed}\n{}",
        stderr(&out)
    );
    // The completer is not a plugin (kubectl only lists kubectl-*), and nothing about our
    // files is a warning (other plugins on the machine's PATH are not our business).
    assert!(!listed.contains(COMPLETER), "{listed}");
    let warnings: Vec<String> = stderr(&out)
        .lines()
        .chain(listed.lines())
        .filter(|l| l.contains("porch") && (l.contains("warning") || l.contains("error")))
        .map(str::to_string)
        .collect();
    assert!(
        warnings.is_empty(),
        "kubectl plugin list warns: {warnings:?}"
    );
}

/// The README's order: `./install.sh` first (a copy in /usr/local/bin or ~/.local/bin, on
/// PATH), then the tests. The tests' PATH leaves that copy out, so kubectl sees only the copy
/// under test: no "overshadowed" warning, and completion runs the copy under test.
#[test]
fn a_copy_installed_on_the_machine_does_not_leak_into_the_tests() {
    let prefix = install();
    let dir = tempfile::tempdir().unwrap();
    let machine = dir.path().join("machine");
    install_into(&machine);
    let system = format!(
        "{}:{}",
        machine.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let path = clean_path_from(&system, &dir.path().join("tools"));
    assert!(!path.contains(machine.to_str().unwrap()), "{path}");
    let out = clean_command("kubectl", None)
        .args(["plugin", "list"])
        .env("PATH", format!("{}:{path}", prefix.join("bin").display()))
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!text.contains("overshadowed"), "{text}");
    assert!(
        text.contains(prefix.join("bin").join(PLUGIN).to_str().unwrap()),
        "{text}"
    );
    // Without the cleaning, the machine's copy is seen (what the tests did before).
    let out = clean_command("kubectl", None)
        .args(["plugin", "list"])
        .env("PATH", format!("{}:{system}", prefix.join("bin").display()))
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("overshadowed"), "{text}");
}

/// `kubectl __complete porch-registry WORDS...` is what kubectl's shell completion runs on
/// <TAB>; kubectl finds `kubectl_complete-porch_registry` on PATH and relays its answer.
fn kubectl_complete(prefix: &Path, words: &[&str]) -> (Vec<String>, String) {
    let mut args = vec!["__complete", "porch-registry"];
    args.extend_from_slice(words);
    let out = kubectl(prefix, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let directive = lines.pop().unwrap_or_default();
    (lines, directive)
}

#[test]
fn kubectl_completes_the_plugin_through_the_installed_completer() {
    let prefix = install();

    let (lines, directive) = kubectl_complete(&prefix, &[""]);
    assert_eq!(directive, ":4");
    let values: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    for sub in ["secret", "patch", "setup", "check", "completions"] {
        assert!(values.contains(&sub), "{sub} in {lines:?}");
    }
    assert!(
        lines.iter().any(|l| l.starts_with("setup\t")),
        "descriptions: {lines:?}"
    );

    // Bare values after `--flag=`, as kubectl's own `kubectl __complete get --output=` answers.
    let (lines, directive) = kubectl_complete(&prefix, &["setup", "--dry-run="]);
    assert_eq!(directive, ":4");
    let values: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(values, ["none", "client", "server"], "{lines:?}");
    let (lines, _) = kubectl_complete(&prefix, &["setup", "--dry-run=c"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("client\t"), "{lines:?}");

    let (lines, directive) = kubectl_complete(&prefix, &["setup", "-f", ""]);
    assert_eq!(directive, ":0", "file names for -f");
    assert!(lines.is_empty(), "{lines:?}");

    let (lines, _) = kubectl_complete(&prefix, &["completions", "z"]);
    assert_eq!(lines, ["zsh"]);
}

#[test]
fn the_completer_runs_the_plugin_beside_it_even_off_path() {
    let prefix = install();
    let out = Command::new(prefix.join("bin").join(COMPLETER))
        .args(["secret", ""])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("auth\t"), "{text}");
    assert!(text.ends_with(":4\n"), "{text}");
}

#[test]
fn reinstalling_over_an_existing_install_works() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    install_into(&prefix);
    let out = install_sh(&[
        "--prefix",
        prefix.to_str().unwrap(),
        "--binary",
        built_binary().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kubectl(&prefix, &["porch-registry", "--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn install_usage_errors_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let p = prefix.to_str().unwrap();
    let missing = dir.path().join("no-such-binary");
    for (args, needle) in [
        (vec!["--prefix", p, "--bogus"], "--bogus"),
        (vec!["--prefix"], "--prefix"),
        (
            vec!["--prefix", p, "--binary", missing.to_str().unwrap()],
            "no-such-binary",
        ),
    ] {
        let out = install_sh(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
        assert!(errors[0].contains(needle), "{args:?}: {err}");
        assert!(!prefix.exists(), "{args:?} created the prefix");
    }
}

#[test]
fn install_help_documents_the_options() {
    let out = install_sh(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in [
        "--prefix",
        "--binary",
        "~/.local",
        "/usr/local",
        PLUGIN,
        COMPLETER,
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

/// Render the template the way krew-release-bot does (its addURIAndSha writes `uri:` and an
/// indented `sha256:` line), then check the manifest krew would get.
#[test]
fn krew_manifest_template_renders_to_a_valid_plugin_manifest() {
    let template = std::fs::read_to_string(repo_root().join(".krew.yaml")).unwrap();
    let tag = "v0.1.0";
    let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut rendered = String::new();
    let mut uris = Vec::new();
    for line in template.lines() {
        if let Some(start) = line.find("{{addURIAndSha \"") {
            let rest = &line[start + "{{addURIAndSha \"".len()..];
            let url = &rest[..rest.find('"').expect("closing quote")];
            assert!(
                rest.trim_end().ends_with(".TagName }}"),
                "addURIAndSha takes .TagName: {line}"
            );
            let url = url.replace("{{ .TagName }}", tag);
            uris.push(url.clone());
            let indent = &line[..start];
            rendered.push_str(&format!("{indent}uri: {url}\n    sha256: {sha}\n"));
        } else {
            rendered.push_str(&line.replace("{{ .TagName }}", tag));
            rendered.push('\n');
        }
    }
    assert!(
        !rendered.contains("{{"),
        "unrendered template left:\n{rendered}"
    );

    let manifest: serde_json::Value = serde_saphyr::from_str(&rendered)
        .unwrap_or_else(|e| panic!("rendered .krew.yaml is not YAML: {e}\n{rendered}"));
    assert_eq!(
        manifest["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(manifest["kind"], "Plugin");
    assert_eq!(manifest["metadata"]["name"], "porch-registry");
    assert_eq!(manifest["spec"]["version"], tag);
    assert!(
        manifest["spec"]["shortDescription"]
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.len() <= 50)
    );
    let platforms = manifest["spec"]["platforms"].as_array().expect("platforms");
    let mut seen = Vec::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let os = labels["os"].as_str().unwrap();
        let arch = labels["arch"].as_str().unwrap();
        seen.push(format!("{os}/{arch}"));
        assert_eq!(p["bin"], PLUGIN, "{os}/{arch}");
        assert_eq!(
            p["sha256"], sha,
            "{os}/{arch}: sha256 must line up under the platform"
        );
        let uri = p["uri"].as_str().unwrap();
        assert!(uri.starts_with("https://"), "{uri}");
        assert!(
            uri.contains(tag) && uri.contains(os) && uri.contains(arch),
            "{uri}"
        );
    }
    // Only what is built and tested: the crate's native sandbox is Linux-only, and no macOS
    // build is checked.
    seen.sort();
    assert_eq!(seen, ["linux/amd64", "linux/arm64"]);
    assert_eq!(uris.len(), 2);
    // krew-release-bot establishes ownership by the homepage: the repository the release
    // archives are downloaded from, the one README's "Releasing" names.
    let homepage = manifest["spec"]["homepage"].as_str().expect("homepage");
    assert!(homepage.starts_with("https://github.com/"), "{homepage}");
    for uri in &uris {
        assert!(
            uri.starts_with(&format!("{homepage}/releases/download/{tag}/")),
            "{uri}"
        );
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(homepage),
        "README names the homepage {homepage}"
    );
    for placeholder in ["OWNER", "TODO"] {
        assert!(
            !template.contains(placeholder),
            "{placeholder} in .krew.yaml"
        );
    }
}

/// scripts/install-test-deps.sh decides what to install from dpkg's database and must run
/// apt-get unattended. A real fresh machine is what CI gives it; here its decisions are
/// checked with stand-ins for dpkg-query, apt-get, id and sudo placed first on PATH.
mod test_deps {
    use std::path::Path;
    use std::process::{Command, Output};

    fn fake(dir: &Path, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Run the installer with `missing` packages absent and the given uid; returns the output
    /// and the apt-get log (one line per call: DEBIAN_FRONTEND, stdin kind, arguments).
    fn run(missing: &str, uid: u32, sudo_ok: bool) -> (Output, String) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("apt.log");
        fake(
            dir.path(),
            "dpkg-query",
            "for a; do pkg=$a; done\n\
             for p in $FAKE_MISSING; do [ \"$p\" = \"$pkg\" ] && { echo 'unknown ok not-installed'; exit 0; }; done\n\
             printf 'install ok installed'",
        );
        fake(
            dir.path(),
            "apt-get",
            &format!(
                "if [ -t 0 ]; then s=tty; elif read -r _; then s=data; else s=empty; fi\n\
                 echo \"$DEBIAN_FRONTEND $s $*\" >> '{}'",
                log.display()
            ),
        );
        fake(
            dir.path(),
            "id",
            &format!("[ \"$1\" = -u ] && echo {uid} || /usr/bin/id \"$@\""),
        );
        fake(
            dir.path(),
            "sudo",
            if sudo_ok {
                "[ \"$1\" = -n ] && shift; exec \"$@\""
            } else {
                "exit 1"
            },
        );
        let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scripts/install-test-deps.sh");
        let out = Command::new(script)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    dir.path().display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("FAKE_MISSING", missing)
            .env_remove("DEBIAN_FRONTEND")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        (out, log)
    }

    #[test]
    fn installs_only_the_missing_packages_unattended() {
        let (out, log) = run("skopeo busybox-static", 0, false);
        assert!(out.status.success(), "{out:?}");
        let calls: Vec<&str> = log.lines().collect();
        assert_eq!(calls.len(), 2, "{log}");
        assert_eq!(calls[0], "noninteractive empty update -qq");
        assert!(
            calls[1].starts_with("noninteractive empty install -y -qq --no-install-recommends"),
            "{log}"
        );
        assert!(calls[1].ends_with(" skopeo busybox-static"), "{log}");
    }

    #[test]
    fn nothing_missing_means_no_apt_get() {
        let (out, log) = run("", 0, false);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(log, "");
    }

    #[test]
    fn non_root_uses_passwordless_sudo_or_names_the_packages() {
        let (out, log) = run("podman", 1000, true);
        assert!(out.status.success(), "{out:?}");
        assert!(log.lines().last().unwrap().ends_with(" podman"), "{log}");

        let (out, log) = run("podman apache2-utils", 1000, false);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(log, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(
            errors[0].contains("apt-get install -y apache2-utils podman"),
            "{stderr}"
        );
    }
}

/// The README's opening block: `(command lines without comments)`.
fn readme_opening_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README opens with a ```sh block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn ci_runs_exactly_the_readme_test_command() {
    let commands = readme_opening_commands();
    assert_eq!(
        commands.len(),
        2,
        "two commands: install+run, test: {commands:?}"
    );
    assert_eq!(commands[1], "./scripts/test.sh");
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    let last = ci
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert_eq!(last, format!("exec {}", commands[1]));
    assert!(commands[0].starts_with("./install.sh"), "{}", commands[0]);
    for file in commands[0]
        .split_whitespace()
        .filter(|w| w.starts_with("examples/"))
    {
        assert!(repo_root().join(file).is_file(), "README names {file}");
    }
}

#[test]
fn readme_exit_codes_match_src_error_rs() {
    let source = std::fs::read_to_string(repo_root().join("src/error.rs")).unwrap();
    let mut in_code: Vec<u8> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter_map(|l| l.split_once(": u8 = "))
        .map(|(_, v)| v.trim_end_matches(';').parse().unwrap())
        .collect();
    in_code.sort();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme
        .split("## Exit codes")
        .nth(1)
        .expect("README has an exit codes section");
    let mut documented: Vec<u8> = section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    documented.sort();
    assert!(in_code.len() >= 10, "{in_code:?}");
    assert_eq!(documented, in_code);
}

#[test]
fn release_archive_matches_the_krew_manifest() {
    let dir = tempfile::tempdir().unwrap();
    // A small stand-in binary: this test is about the archive's layout and name, and gzip of
    // the ~200 MB debug build would dominate the run.
    let stand_in = dir.path().join("kubectl-porch-registry");
    std::fs::write(&stand_in, "#!/bin/sh\necho kubectl-porch_registry 9.9.9\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = Command::new(repo_root().join("scripts/release-archive.sh"))
        .args([
            "--tag", "v9.9.9", "--os", "linux", "--arch", "arm64", "--out",
        ])
        .arg(dir.path())
        .arg("--binary")
        .arg(&stand_in)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let archive = PathBuf::from(lines.next().unwrap());
    let sha = lines.next().unwrap();
    assert_eq!(sha.len(), 64);
    assert!(
        sha.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    // The name is the one .krew.yaml downloads for linux/arm64.
    let name = archive.file_name().unwrap().to_str().unwrap();
    let krew = std::fs::read_to_string(repo_root().join(".krew.yaml")).unwrap();
    let pattern = "kubectl-porch-registry_{{ .TagName }}_linux_arm64.tar.gz";
    assert!(krew.contains(pattern), "{pattern} in .krew.yaml");
    assert_eq!(name, pattern.replace("{{ .TagName }}", "v9.9.9"));
    // krew extracts it and links `bin:` from the archive root.
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let plugin = unpacked.join(PLUGIN);
    assert_eq!(
        std::fs::read(&plugin).unwrap(),
        std::fs::read(&stand_in).unwrap()
    );
    let out = Command::new(&plugin).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), "kubectl-porch_registry 9.9.9\n");
    assert!(unpacked.join(COMPLETER).is_file());
    assert!(unpacked.join("man/kubectl-porch-registry.1").is_file());
    // krew requires the licence in the archive; the notices carry the dependencies' licences.
    for file in ["LICENSE", "THIRD-PARTY-NOTICES"] {
        assert_eq!(
            std::fs::read(unpacked.join(file)).unwrap(),
            std::fs::read(repo_root().join(file)).unwrap(),
            "{file} in the archive"
        );
    }
}

/// The licence is the full Apache-2.0 text that Cargo.toml's `license` names, and the notices
/// name every crate of the build (the exact file is checked by scripts/notices.sh --check).
#[test]
fn license_and_third_party_notices_are_at_the_top() {
    let license = std::fs::read_to_string(repo_root().join("LICENSE")).unwrap();
    assert!(
        license.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
    assert!(license.contains("APPENDIX: How to apply the Apache License to your work."));
    let cargo_toml = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    assert!(cargo_toml.contains("license = \"Apache-2.0\""));
    let notices = std::fs::read_to_string(repo_root().join("THIRD-PARTY-NOTICES")).unwrap();
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    // A few crates that are certainly compiled in, with the version Cargo.lock resolved.
    for krate in ["clap", "serde", "kube-client", "rustls", "tokio"] {
        let version = lock
            .split("[[package]]")
            .find_map(|p| {
                p.contains(&format!("name = \"{krate}\"\n"))
                    .then(|| p.split("version = \"").nth(1)?.split('"').next())
                    .flatten()
            })
            .unwrap_or_else(|| panic!("{krate} in Cargo.lock"));
        assert!(
            notices.contains(&format!("{krate} {version}")),
            "{krate} {version} in THIRD-PARTY-NOTICES; regenerate with scripts/notices.sh"
        );
    }
}

/// The README's first command, run as written except that install.sh gets a temporary
/// prefix and the already-built binary (instead of ~/.local and a release build).
#[test]
fn readme_first_command_installs_and_runs_the_offline_example() {
    let commands = readme_opening_commands();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let first = &commands[0];
    assert!(first.contains("$HOME/.local/bin"), "{first}");
    let adapted = first
        .replacen(
            "./install.sh",
            &format!(
                "./install.sh --prefix '{}' --binary '{}'",
                prefix.display(),
                built_binary().display()
            ),
            1,
        )
        .replace(
            "$HOME/.local/bin",
            &prefix.join("bin").display().to_string(),
        );
    let example_before =
        std::fs::read(repo_root().join("examples/2-function-runner.yaml")).unwrap();
    let out = clean_command("bash", None)
        .args(["-euo", "pipefail", "-c", &adapted])
        .current_dir(repo_root())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{adapted}\n{}", stderr(&out));
    // Through kubectl: the auth Secret, the TLS Secret and the patched catalog Deployment.
    assert!(
        text.contains("type: kubernetes.io/dockerconfigjson"),
        "{text}"
    );
    assert!(
        text.contains("type: Opaque") && text.contains("ca.crt:"),
        "{text}"
    );
    for flag in [
        "--enable-private-registries=true",
        "--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson",
        "--enable-private-registries-tls=true",
    ] {
        assert!(text.contains(flag), "{flag} in {text}");
    }
    // The token went in through stdin and is not echoed in clear anywhere.
    assert!(!text.contains("example-token") && !stderr(&out).contains("example-token"));
    // The example itself is unchanged (offline, no --in-place).
    assert_eq!(
        std::fs::read(repo_root().join("examples/2-function-runner.yaml")).unwrap(),
        example_before,
        "the README example modified examples/"
    );
}

/// Without --prefix a normal user gets ~/.local (root gets /usr/local, not exercised here so
/// the test never writes outside its temporary directory). `id` is the only stand-in.
#[test]
fn default_prefix_for_a_normal_user_is_home_dot_local() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake_bin = dir.path().join("fake-bin");
    std::fs::create_dir(&fake_bin).unwrap();
    let id = fake_bin.join("id");
    std::fs::write(
        &id,
        "#!/bin/sh\n[ \"$1\" = -u ] && echo 1000 || /usr/bin/id \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&id, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let out = clean_command(repo_root().join("install.sh"), Some(&fake_bin))
        .arg("--binary")
        .arg(built_binary())
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(home.join(".local/bin").join(PLUGIN).is_file());
    assert!(
        home.join(".local/share/man/man1/kubectl-porch-registry.1")
            .is_file()
    );
    // It says how to put the directory on PATH when it is not there.
    assert!(
        stderr(&out).contains("is not on your PATH"),
        "{}",
        stderr(&out)
    );
}

/// kubectl's REAL bash completion (`source <(kubectl completion bash)` with the bash-completion
/// package, which it needs) in a terminal, completing `kubectl porch-registry ...` through the
/// installed completer. The working directory holds files starting like the values, so a
/// fallback to file names would show.
#[test]
fn kubectl_bash_completion_in_a_terminal() {
    let prefix = install();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for file in ["c-file", "client.yaml", "s-file", "json-file"] {
        std::fs::write(cwd.join(file), "").unwrap();
    }
    let bash_completion = "/usr/share/bash-completion/bash_completion";
    assert!(
        Path::new(bash_completion).is_file(),
        "{bash_completion} missing: scripts/install-test-deps.sh installs bash-completion"
    );
    let mut s = crate::pty::bash(
        &format!("{}:{}", prefix.join("bin").display(), clean_system_path()),
        &cwd,
        dir.path(),
        &format!("source {bash_completion}\nsource <(kubectl completion bash)"),
    );
    let complete = |s: &mut crate::pty::Pty, line: &str| crate::pty::bash_complete(s, line);

    // `--dry-run=<TAB>`: the three values, listed bare (not `--dry-run=--dry-run=...`).
    let (shown, line) = complete(&mut s, "kubectl porch-registry setup --dry-run=");
    assert_eq!(line, "kubectl porch-registry setup --dry-run=");
    for value in ["client", "none", "server"] {
        assert!(shown.contains(&format!("{value} ")), "{value} in {shown:?}");
    }
    assert!(!shown.contains("=--dry-run"), "{shown:?}");
    assert!(!shown.contains("c-file"), "{shown:?}");

    // `--dry-run=c<TAB>`: the one value with that prefix, not a file name.
    let (_, line) = complete(&mut s, "kubectl porch-registry setup --dry-run=c");
    assert_eq!(line, "kubectl porch-registry setup --dry-run=client");

    // `-o <TAB>` of `secret auth`: its formats, no file names.
    let (shown, line) = complete(&mut s, "kubectl porch-registry secret auth -o ");
    assert_eq!(line, "kubectl porch-registry secret auth -o");
    assert!(
        shown.contains("json") && shown.contains("yaml"),
        "{shown:?}"
    );
    assert!(!shown.contains("json-file"), "{shown:?}");
    let (_, line) = complete(&mut s, "kubectl porch-registry secret auth -o j");
    assert_eq!(line, "kubectl porch-registry secret auth -o json");

    // A subcommand.
    let (_, line) = complete(&mut s, "kubectl porch-registry sec");
    assert_eq!(line, "kubectl porch-registry secret");
    let (_, line) = complete(&mut s, "kubectl porch-registry secret t");
    assert_eq!(line, "kubectl porch-registry secret tls");
    expectrl::Expect::send_line(&mut s, "exit").unwrap();
}

/// The binary's own bash completion (`completions bash`, installed for the plugin called by
/// its name) completes `--dry-run=c` to the value, not to a file name beginning with `c`.
#[test]
fn own_bash_completion_completes_values_after_equals() {
    let prefix = install();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    std::fs::write(cwd.join("c-file"), "").unwrap();
    let script = prefix.join(format!("share/bash-completion/completions/{PLUGIN}"));
    let mut s = crate::pty::bash(
        &format!("{}:{}", prefix.join("bin").display(), clean_system_path()),
        &cwd,
        dir.path(),
        &format!("source '{}'", script.display()),
    );
    let (_, line) = crate::pty::bash_complete(&mut s, &format!("{PLUGIN} setup --dry-run=c"));
    assert_eq!(line, format!("{PLUGIN} setup --dry-run=client"));
    let (_, line) = crate::pty::bash_complete(&mut s, &format!("{PLUGIN} setup -o j"));
    assert_eq!(line, format!("{PLUGIN} setup -o json"));
    let (_, line) = crate::pty::bash_complete(&mut s, &format!("{PLUGIN} check --output=j"));
    assert_eq!(line, format!("{PLUGIN} check --output=json"));
    expectrl::Expect::send_line(&mut s, "exit").unwrap();
}
