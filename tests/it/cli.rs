//! Cross-cutting CLI behaviour through the built binary: usage errors, help texts, version,
//! and the kubectl completion protocol (`__complete`).

use crate::support::bin;

fn visible_command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_string());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut cmd = porch_registry::cli::command();
    cmd.build();
    let mut out = vec![Vec::new()];
    walk(&cmd, &[], &mut out);
    out
}

/// Things in a text that look like a real credential rather than a placeholder.
fn password_looking(text: &str) -> Vec<String> {
    use base64::Engine;
    let mut found = Vec::new();
    let is_placeholder = |v: &str| {
        let v = v.trim_matches(|c| c == '\'' || c == '"');
        v.is_empty()
            || v.starts_with('<')
            || v.starts_with('[')
            || v.starts_with('$')
            || v.starts_with('-')
            || v.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for (i, w) in words.iter().enumerate() {
            let w = w.trim_matches(|c: char| c == ',' || c == ';' || c == '(' || c == ')');
            // --password VALUE, -p VALUE, --docker-password VALUE
            if matches!(w, "--password" | "-p" | "--docker-password")
                && let Some(next) = words.get(i + 1)
                && !is_placeholder(next)
            {
                found.push(format!("{w} {next}"));
            }
            // --password=VALUE, PORCH_REGISTRY_PASSWORD=VALUE, password: VALUE
            if let Some((key, value)) = w.split_once('=')
                && key.to_ascii_lowercase().contains("password")
                && !is_placeholder(value)
            {
                found.push(w.to_string());
            }
            // https://user:secret@host
            if let Some((_, rest)) = w.split_once("://")
                && let Some((userinfo, _)) = rest.split_once('@')
                && userinfo.contains(':')
            {
                found.push(w.to_string());
            }
            if [
                "hunter2",
                "changeme",
                "passw0rd",
                "s3cret",
                "s3cr3t",
                "secret123",
            ]
            .iter()
            .any(|p| w.to_ascii_lowercase().contains(p))
            {
                found.push(w.to_string());
            }
        }
        // an `auth` value: base64 of user:password, wherever it stands (JSON, YAML, prose)
        for run in
            line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        {
            if run.len() >= 12
                && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(run)
                && let Ok(decoded) = String::from_utf8(decoded)
                && decoded.contains(':')
                && decoded.chars().all(|c| !c.is_control())
            {
                found.push(run.to_string());
            }
        }
        // echo LITERAL | ... --password-stdin
        if line.contains("--password-stdin")
            && let Some(before) = line.split('|').next()
        {
            let words: Vec<&str> = before.split_whitespace().collect();
            if let Some(pos) = words.iter().position(|w| *w == "echo" || *w == "printf") {
                let literal = words[pos + 1..]
                    .iter()
                    .filter(|w| !w.starts_with('-') && !w.contains("%s"))
                    .find(|w| !is_placeholder(w));
                if let Some(literal) = literal {
                    found.push(format!("{} {literal} | ... --password-stdin", words[pos]));
                }
            }
        }
    }
    found
}

#[test]
fn the_password_detector_is_not_blind() {
    for bad in [
        "kubectl porch-registry secret auth --registry r --username u --password hunter42",
        "kubectl porch-registry secret auth -p topsecret",
        "--password=s3cr3t",
        "PORCH_REGISTRY_PASSWORD=abc123 kubectl porch-registry setup",
        "echo mytoken | kubectl porch-registry setup --password-stdin",
        r#"{"auths":{"ghcr.io":{"auth":"cm9ib3Q6dG9wc2VjcmV0"}}}"#,
        "https://robot:pat@registry.example.com",
    ] {
        assert!(!password_looking(bad).is_empty(), "missed: {bad}");
    }
    for fine in [
        "  -p, --password <PASSWORD>",
        r#"printf '%s' "$TOKEN" | kubectl porch-registry setup --password-stdin"#,
        "prefer --password-stdin or $PORCH_REGISTRY_PASSWORD",
        "kubectl porch-registry secret auth --from-docker-config ~/.docker/config.json -o json",
        "PORCH_REGISTRY_PASSWORD=$TOKEN kubectl porch-registry setup",
    ] {
        assert_eq!(password_looking(fine), Vec::<String>::new(), "{fine}");
    }
}

#[test]
fn every_help_text_works_and_shows_no_password_looking_example() {
    let paths = visible_command_paths();
    assert!(paths.len() >= 12, "{paths:?}");
    for path in paths {
        for flag in ["--help", "-h"] {
            let mut args = path.clone();
            args.push(flag.to_string());
            let out = bin().args(&args).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{args:?}: {out:?}");
            assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
            let usage = format!("Usage: kubectl porch-registry {}", path.join(" "));
            assert!(stdout.contains(usage.trim_end()), "{args:?}: {stdout}");
            let found = password_looking(&stdout);
            assert!(
                found.is_empty(),
                "{args:?} --help shows password-looking text: {found:?}"
            );
        }
    }
}

#[test]
fn version_prints_one_line_on_stdout() {
    for flag in ["--version", "-V"] {
        let out = bin().arg(flag).output().unwrap();
        assert!(out.status.success());
        assert!(out.stderr.is_empty());
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            text,
            format!("kubectl-porch_registry {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

/// Each case: arguments, and a piece of the input the error line must name.
const USAGE_ERRORS: &[(&[&str], &str)] = &[
    (&["nosuch"], "nosuch"),
    (&["setup", "--nosuch"], "--nosuch"),
    (&["setup", "--dry-rn"], "--dry-run"),
    (&["setup", "--dry-run=maybe"], "maybe"),
    (&["setup", "--dry-run", "client"], "client"),
    (&["remove", "--wait=perhaps"], "perhaps"),
    (&["secret"], "secret"),
    (&["secret", "tls"], "--ca-file"),
    (&["secret", "auth", "-o", "xml"], "xml"),
    (&["secret", "auth", "--username", "robot"], "--registry"),
    (
        &[
            "secret",
            "auth",
            "--registry",
            "r.example",
            "--from-docker-config",
            "x.json",
        ],
        "--from-docker-config",
    ),
    (&["patch"], "--filename"),
    (&["patch", "-f"], "--filename"),
    (&["remove", "--in-place"], "--filename"),
    (&["check", "-o", "csv"], "csv"),
    (&["run"], "IMAGE"),
    (&["run", "img", "--runtime", "lxc"], "lxc"),
    (&["pull", "a", "b"], "'b'"),
    (&["completions"], "SHELL"),
    (&["completions", "tcsh"], "tcsh"),
    // Names are checked before any file is read or any request is sent.
    (&["status", "-n", ""], "'--namespace <NAMESPACE>': is empty"),
    (
        &["check", "-n", "Porch_System"],
        "\"Porch_System\" is not a valid",
    ),
    (&["patch", "-f", "x.yaml", "-n", ""], "--namespace"),
    (&["setup", "--fn-namespace", "A"], "--fn-namespace"),
    (
        &["remove", "--deployment", ""],
        "'--deployment <NAME>': is empty",
    ),
    (&["status", "--container", "Runner"], "--container"),
];

#[test]
fn every_usage_error_is_one_error_line_and_exit_2() {
    for (args, needle) in USAGE_ERRORS {
        let out = bin().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
        if *args == ["secret"] {
            // A missing subcommand shows the subcommand's help instead (clap's
            // arg_required_else_help), still exit 2 and nothing on stdout.
            assert!(
                stderr.contains("Usage: kubectl porch-registry secret"),
                "{stderr}"
            );
            continue;
        }
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: expected one line, got:\n{stderr}"
        );
        assert!(lines[0].starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            lines[0].contains(needle),
            "{args:?}: the error should name {needle}: {stderr}"
        );
        assert!(
            lines[0].contains("--help"),
            "{args:?}: points to help: {stderr}"
        );
    }
}

#[test]
fn no_arguments_prints_usage_on_stderr_and_exits_2() {
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Usage: kubectl porch-registry"), "{stderr}");
}

#[test]
fn usage_errors_never_echo_a_password() {
    let out = bin()
        .args([
            "secret",
            "auth",
            "--registry",
            "r.example",
            "--password",
            "Zq8-unique-pw",
            "--nosuch",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Zq8-unique-pw"), "{stderr}");

    // A stray word next to credential flags is likely the secret itself.
    for args in [
        &[
            "secret",
            "auth",
            "--registry",
            "r.example",
            "--password-stdin",
            "Zq8-unique-pw",
        ][..],
        &[
            "setup",
            "-f",
            "x.yaml",
            "-u",
            "robot",
            "-p",
            "x",
            "Zq8-unique-pw",
        ][..],
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Zq8-unique-pw"), "{stderr}");
        assert!(stderr.starts_with("error: unexpected argument"), "{stderr}");
    }
}

/// clap reports a value given to a flag that takes none by echoing it: not for password flags.
#[test]
fn a_value_joined_to_password_stdin_is_never_echoed() {
    let out = bin()
        .args([
            "secret",
            "auth",
            "--registry",
            "r.example",
            "-u",
            "robot",
            "--password-stdin=Zq8-unique-pw",
        ])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Zq8-unique-pw"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("'--password-stdin'"), "{stderr}");

    // The stray word after --password-stdin: hidden, and the fix is named.
    let out = bin()
        .args(["setup", "--password-stdin", "Zq8-unique-pw"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Zq8-unique-pw"), "{stderr}");
    assert!(
        stderr.contains("--password-stdin takes no value: pipe the password to stdin"),
        "{stderr}"
    );
}

/// `--dry-run client` / `--wait false` (the value not joined with '='): one line that says how
/// to write it, and the help of the subcommand that was used.
#[test]
fn a_flag_value_that_needs_equals_is_explained() {
    for (args, fix) in [
        (
            &["setup", "-f", "x.yaml", "--dry-run", "client"][..],
            "(write --dry-run=client: --dry-run takes its value after '=')",
        ),
        (
            &["remove", "--dry-run", "server"][..],
            "(write --dry-run=server: --dry-run takes its value after '=')",
        ),
        (
            &["setup", "--wait", "false"][..],
            "(write --wait=false: --wait takes its value after '=')",
        ),
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(fix), "{args:?}: {stderr}");
        let help = format!("see 'kubectl porch-registry {} --help'", args[0]);
        assert!(stderr.trim_end().ends_with(&help), "{stderr}");
    }
}

/// An invalid value (no usage line from clap) still points at the subcommand's help.
#[test]
fn invalid_values_point_at_the_subcommand_help() {
    for (args, help) in [
        (&["status", "-o", "wide"][..], "status"),
        (&["secret", "auth", "-o", "table"][..], "secret auth"),
        (&["secret", "auth", "--password"][..], "secret auth"),
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("see 'kubectl porch-registry {help} --help'")),
            "{args:?}: {stderr}"
        );
    }
}

fn complete(words: &[&str]) -> String {
    let out = bin().arg("__complete").args(words).output().unwrap();
    assert!(out.status.success(), "{words:?}: {out:?}");
    assert!(out.stderr.is_empty(), "{words:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn complete_protocol_through_the_binary() {
    assert_eq!(
        complete(&["se"]),
        "secret\tPrint the Secrets the function runner needs (registry credentials, TLS CA)\n\
         setup\tDo the whole job: Secrets plus the Deployment patch, live or offline (-f)\n:4\n"
    );
    assert_eq!(complete(&["secret", "auth", "--output", "j"]), "json\n:4\n");
    assert_eq!(complete(&["patch", "--filename", ""]), ":0\n");
    assert_eq!(complete(&["setup", "--registry", ""]), ":4\n");
    // Flags that start like a value are still words to complete, not options of __complete.
    let text = complete(&["check", "--"]);
    assert!(text.contains("--filename\t"), "{text}");
    assert!(text.contains("--probe\t"), "{text}");
    assert!(text.ends_with(":4\n"));
    // kubectl passes nothing at all for `kubectl porch-registry <TAB>` in some shells.
    assert!(complete(&[]).contains("setup\t"));
}

/// Errors from the commands themselves (not clap): each is one `error:` line naming the input,
/// the documented exit code, and nothing on stdout.
#[test]
fn command_errors_are_one_line_with_the_documented_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "a: [\n").unwrap();
    let bad_json = dir.path().join("config.json");
    std::fs::write(&bad_json, "{not json").unwrap();
    let missing = dir.path().join("missing.yaml");
    let example = format!(
        "{}/examples/2-function-runner.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, i32, String)> = vec![
        (
            vec![
                "secret".into(),
                "tls".into(),
                "--ca-file".into(),
                p(&missing),
            ],
            4,
            "missing.yaml".into(),
        ),
        (
            vec![
                "secret".into(),
                "tls".into(),
                "--ca-file".into(),
                p(&bad_yaml),
            ],
            2,
            "bad.yaml".into(),
        ),
        (
            vec![
                "secret".into(),
                "auth".into(),
                "--from-docker-config".into(),
                p(&bad_json),
            ],
            2,
            "config.json".into(),
        ),
        (
            vec![
                "secret".into(),
                "auth".into(),
                "--registry".into(),
                "r.example".into(),
                "--username".into(),
                "u".into(),
            ],
            2,
            "--password-stdin".into(),
        ),
        (
            vec!["patch".into(), "-f".into(), p(&missing)],
            4,
            "missing.yaml".into(),
        ),
        (
            vec!["patch".into(), "-f".into(), p(&bad_yaml)],
            2,
            "bad.yaml".into(),
        ),
        (
            vec!["check".into(), "-f".into(), p(&bad_yaml)],
            2,
            "bad.yaml".into(),
        ),
        (
            vec![
                "patch".into(),
                "-f".into(),
                example.clone(),
                "--deployment".into(),
                "nope".into(),
            ],
            4,
            "nope".into(),
        ),
        (
            vec![
                "setup".into(),
                "-f".into(),
                example,
                "--dry-run=client".into(),
            ],
            2,
            "--registry".into(),
        ),
        (
            vec!["pull".into(), "UPPER/Case::bad".into()],
            2,
            "UPPER/Case::bad".into(),
        ),
        (
            vec![
                "secret".into(),
                "tls".into(),
                "--ca-file".into(),
                p(dir.path()),
            ],
            2,
            "is a directory; give the path of a file".into(),
        ),
        // Durations beyond Go's (about 292 years) used to panic (Instant/Duration overflow).
        (
            vec![
                "run".into(),
                "oci:/nonexistent".into(),
                "-".into(),
                "--timeout".into(),
                "2562047788015215h".into(),
            ],
            2,
            "longer than the longest duration".into(),
        ),
        // A zero timeout (plain "0" used to kill every function at once: exit 9).
        (
            vec![
                "run".into(),
                "oci:/nonexistent".into(),
                "-".into(),
                "--timeout".into(),
                "0".into(),
            ],
            2,
            "must be longer than zero".into(),
        ),
        (
            vec![
                "setup".into(),
                "--registry".into(),
                "r.example".into(),
                "-u".into(),
                "robot".into(),
                "--password".into(),
                "x".into(),
                "--timeout".into(),
                "99999999999999999999999h".into(),
            ],
            2,
            "longer than the longest duration".into(),
        ),
    ];
    for (args, code, needle) in cases {
        let out = bin()
            .args(&args)
            .env_remove("PORCH_REGISTRY_PASSWORD")
            .write_stdin("")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {stderr}");
        assert!(
            errors[0].contains(&needle),
            "{args:?}: should name {needle}: {stderr}"
        );
    }
}

/// A password given in any of the three ways never shows on stderr, in clear or base64, even
/// when the command then fails.
#[test]
fn passwords_never_reach_stderr() {
    use base64::Engine;
    let password = "Zq8-unique-Pw-4711";
    let forms = [
        password.to_string(),
        base64::engine::general_purpose::STANDARD.encode(password),
        base64::engine::general_purpose::STANDARD.encode(format!("robot:{password}")),
    ];
    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "a: [\n").unwrap();
    let base = ["--registry", "r.example:5000", "--username", "robot"];
    let runs: Vec<(Vec<&str>, Option<&str>, Option<&str>)> = vec![
        // (args, env password, stdin)
        (
            [&["secret", "auth"][..], &base, &["--password", password]].concat(),
            None,
            None,
        ),
        (
            [&["secret", "auth"][..], &base].concat(),
            Some(password),
            None,
        ),
        (
            [&["secret", "auth"][..], &base, &["--password-stdin"]].concat(),
            None,
            Some(password),
        ),
        (
            [
                &[
                    "setup",
                    "-f",
                    bad_yaml.to_str().unwrap(),
                    "--dry-run=client",
                ][..],
                &base,
                &["--password-stdin"],
            ]
            .concat(),
            None,
            Some(password),
        ),
        (
            [
                &["secret", "auth"][..],
                &base,
                &["--password", password, "--email", "not an email\u{7}"],
            ]
            .concat(),
            None,
            None,
        ),
    ];
    for (args, env, stdin) in runs {
        let mut cmd = bin();
        cmd.args(&args).env_remove("PORCH_REGISTRY_PASSWORD");
        if let Some(env) = env {
            cmd.env("PORCH_REGISTRY_PASSWORD", env);
        }
        cmd.write_stdin(stdin.unwrap_or(""));
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        for form in &forms {
            assert!(
                !stderr.contains(form.as_str()),
                "{args:?}: stderr shows {form}: {stderr}"
            );
        }
    }
}
