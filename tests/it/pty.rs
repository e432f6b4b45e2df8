//! The binary in a real pseudo-terminal (expectrl), shared by the wizard tests.

use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Session};

pub type Pty = expectrl::session::OsSession;

/// The binary in a pseudo-terminal, with a clean credential environment and `HOME` set.
pub fn spawn(args: &[&str], home: &std::path::Path) -> Pty {
    // ptyprocess starts the terminal with echo off; a real terminal has it on. `stty echo`
    // restores that, so a password read without hiding it WOULD show up in the output, and
    // `send_password` can wait for the prompt to turn echo off.
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("stty echo && exec \"$0\" \"$@\"")
        .arg(assert_cmd::cargo::cargo_bin!("kubectl-porch-registry"))
        .args(args)
        .env_remove("PORCH_REGISTRY_PASSWORD")
        .env_remove("KUBECONFIG")
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env("HOME", home)
        .env("TERM", "dumb")
        .env("NO_COLOR", "1");
    let mut s = Session::spawn(c).expect("spawn in a pty");
    // A generous bound for a slow machine; not a timing assertion.
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    s
}

/// Wait until the terminal's echo is off (the hidden password prompt is reading; the terminal
/// starts with echo on, see `spawn`), then type the password. Typing earlier would be flushed
/// away by the prompt's TCSAFLUSH; waiting also proves that the password is read with echo off.
pub fn send_password(s: &mut Pty, password: &str) {
    let mut tries = 0;
    while s.get_process().get_echo().expect("termios") {
        tries += 1;
        assert!(tries < 6000, "the password prompt never turned echo off");
        std::thread::sleep(Duration::from_millis(10));
    }
    s.send_line(password).unwrap();
}

/// Everything the session printed until it exits, with the terminal's CRLF undone.
pub fn rest(s: &mut Pty) -> String {
    let m = match s.expect(Eof) {
        Ok(m) => m,
        Err(e) => {
            let mut buf = vec![0u8; 65536];
            let n = s.try_read(&mut buf).unwrap_or(0);
            panic!(
                "process did not end ({e}); echo={:?} alive={:?}; pending output: {}",
                s.get_process().get_echo(),
                s.get_process().status(),
                String::from_utf8_lossy(&buf[..n])
            );
        }
    };
    String::from_utf8_lossy(m.as_bytes()).replace("\r\n", "\n")
}

pub fn exit_code(s: &Pty) -> i32 {
    match s.get_process().wait().expect("wait") {
        expectrl::process::unix::WaitStatus::Exited(_, code) => code,
        other => panic!("not exited: {other:?}"),
    }
}

/// An interactive bash in a pseudo-terminal (readline, real `complete` machinery), started in
/// `cwd` with `path` as PATH, no rc files, and `rc` run before the first prompt is used.
/// [`bash_complete`] types a line and presses TAB in it.
pub fn bash(path: &str, cwd: &std::path::Path, home: &std::path::Path, rc: &str) -> Pty {
    let rc_file = home.join("completion-test.bashrc");
    std::fs::write(
        &rc_file,
        format!(
            "PS1='$ '\nbind 'set show-all-if-ambiguous on'\nbind 'set bell-style none'\n\
             bind 'set completion-query-items 0'\nbind 'set page-completions off'\n{rc}\n"
        ),
    )
    .unwrap();
    let mut c = Command::new("bash");
    c.args(["--noprofile", "--rcfile"])
        .arg(&rc_file)
        .arg("-i")
        .current_dir(cwd)
        .env("PATH", path)
        .env("HOME", home)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("TERM", "dumb")
        .env("INPUTRC", "/dev/null")
        .env_remove("BASH_COMPLETION_USER_DIR")
        .env_remove("XDG_DATA_DIRS");
    let mut s = Session::spawn(c).expect("spawn bash in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    // The rc file ran once the shell answers a command.
    s.send_line("echo READY$((6*7))").unwrap();
    s.expect("READY42").expect("bash started");
    s
}

/// Type `line`, press TAB once, and return (what the terminal showed in between, the command
/// line as completed). The line is read back by inserting `echo @@$((1+1))` at its start and
/// running it: only the shell's output holds `@@2`, the echo of the typed text holds `$((`.
pub fn bash_complete(s: &mut Pty, line: &str) -> (String, String) {
    s.send(format!("{line}\t")).unwrap();
    // Readline handles the keys in order: the completion runs to its end before these.
    s.send("\x01echo @@$((1+1)) \r").unwrap();
    let m = s
        .expect(expectrl::Regex("@@2 ([^\r\n]*)\r?\n"))
        .unwrap_or_else(|e| panic!("completing {line:?}: {e}"));
    let shown = String::from_utf8_lossy(m.before()).replace("\r\n", "\n");
    let completed = String::from_utf8_lossy(&m[1]).to_string();
    (shown, completed)
}
