//! Hostile input, faults and resource abuse (issue 9): files and remote servers that try to
//! make the tool hang or exhaust memory. Each case must end quickly with one `error:` line.

use std::path::Path;
use std::process::{Command, Output};

/// The 9-level "billion laughs" (420 bytes): 9^9 strings once expanded.
pub fn alias_bomb() -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        s.push_str(&format!("  {}: &{} [{refs}]\n", w[1], w[1]));
    }
    s
}

/// The binary under a 1 GiB address-space limit (so a regression fails fast instead of taking
/// the machine's memory), with stdin from `stdin`.
fn limited(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

fn one_error(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{what}: {stderr}");
    assert!(!stderr.contains("memory allocation"), "{what}: {stderr}");
    errors[0].to_string()
}

/// patch, check, remove (the span reader) and fn (untrusted packages) and run (serde-saphyr)
/// refuse the alias bomb with one line, exit 2, instead of expanding it to gigabytes.
#[test]
fn yaml_alias_bomb_is_refused_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = alias_bomb();
    assert!(bomb.len() < 450, "{}", bomb.len());
    std::fs::write(dir.path().join("bomb.yaml"), &bomb).unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(pkg.join("bomb.yaml"), &bomb).unwrap();
    let mut rl = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for (i, line) in bomb.lines().enumerate() {
        rl.push_str(if i == 0 { "- " } else { "  " });
        rl.push_str(line);
        rl.push('\n');
    }
    let cases: [(&[&str], Option<&str>); 5] = [
        (&["patch", "-f", "bomb.yaml"], None),
        (&["check", "-f", "bomb.yaml"], None),
        (&["remove", "-f", "bomb.yaml"], None),
        (&["fn"], Some(&rl)),
        (&["run", "registry.invalid:5000/fn/x:v1", "pkg"], None),
    ];
    for (args, stdin) in cases {
        let out = limited(args, dir.path(), stdin);
        let line = one_error(&out, &format!("{args:?}"));
        assert!(
            line.contains("aliasing") || line.contains("aliases"),
            "{args:?}: {line}"
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}: {line}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bomb.yaml")).unwrap(),
        bomb
    );
}
