//! The function runner's command-line flags, and a faithful model of how Go's `flag` package
//! parses them.
//!
//! The runner (`func/server/server.go` in Porch) registers its flags on Go's default flag set
//! and calls `flag.Parse()` with `ExitOnError`. That parser has sharp edges that this module
//! models token by token so that `check` can predict what the runner will do and `patch` can
//! rewrite what would break it:
//!
//! - `-f` and `--f` are the same flag; `--f=v` always works;
//! - a non-boolean flag without `=` takes the NEXT token as its value, whatever it looks like;
//! - a boolean flag only takes a value in the `--f=v` form: `--f true` sets the flag to true and
//!   `true` is a positional argument, which STOPS parsing: every flag after it is ignored;
//! - any token that does not start with `-` (or is exactly `-`) stops parsing;
//! - `--` stops parsing and is consumed;
//! - an unknown flag, a bad value, `---x`/`-=x` or a missing value makes the binary exit at
//!   start-up (the pod goes into CrashLoopBackOff); `-h`/`-help` prints usage and exits.
//!
//! Pure: no I/O.

use std::fmt;

/// What kind of value a flag takes (Go's flag type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `flag.BoolVar`: only `--f` or `--f=v`.
    Bool,
    /// `flag.StringVar`.
    String,
    /// `flag.IntVar` (Go's `strconv.ParseInt(s, 0, 64)`: decimal, 0x, 0o, 0b, `_` separators).
    Int,
    /// `flag.DurationVar` (Go's `time.ParseDuration`).
    Duration,
}

impl FlagKind {
    pub fn is_bool(self) -> bool {
        self == FlagKind::Bool
    }
}

/// In which runner builds a flag exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagStatus {
    /// In both the v1.5.x releases (the Nephio catalog) and Porch main.
    Current,
    /// In v1.5.x (still passed by the catalog) but removed on Porch main: main exits on it.
    RemovedOnMain,
    /// Only on Porch main (a v1.5.x runner exits on it).
    MainOnly,
    /// A late-2024 name that no current runner knows: the runner exits at start-up.
    Legacy2024 {
        /// The flag that replaced it.
        replaced_by: &'static str,
    },
}

/// One flag of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// Name without dashes.
    pub name: &'static str,
    pub kind: FlagKind,
    /// The default in the runner's code, as Go would print it.
    pub default: &'static str,
    pub status: FlagStatus,
    pub help: &'static str,
}

impl FlagSpec {
    /// Whether a current runner (v1.5.x or main) accepts the flag at all.
    pub fn is_known_to_current_runners(&self) -> bool {
        !matches!(self.status, FlagStatus::Legacy2024 { .. })
    }
}

pub const ENABLE_PRIVATE_REGISTRIES: &str = "enable-private-registries";
pub const REGISTRY_AUTH_SECRET_PATH: &str = "registry-auth-secret-path";
pub const REGISTRY_AUTH_SECRET_NAME: &str = "registry-auth-secret-name";
pub const ENABLE_PRIVATE_REGISTRIES_TLS: &str = "enable-private-registries-tls";
pub const TLS_SECRET_PATH: &str = "tls-secret-path";
pub const POD_NAMESPACE: &str = "pod-namespace";

/// The file name the runner reads inside the auth mount: the Secret's `.dockerconfigjson` key.
pub const DOCKERCONFIGJSON_FILE: &str = crate::runner::secrets::DOCKERCONFIGJSON_KEY;

/// The five flags that make up the private-registry configuration (what `patch` adds and
/// `remove` takes out).
pub const PRIVATE_REGISTRY_FLAGS: [&str; 5] = [
    ENABLE_PRIVATE_REGISTRIES,
    REGISTRY_AUTH_SECRET_PATH,
    REGISTRY_AUTH_SECRET_NAME,
    ENABLE_PRIVATE_REGISTRIES_TLS,
    TLS_SECRET_PATH,
];

/// The late-2024 names of the private-registry switches (no current runner knows them).
pub const LEGACY_PRIVATE_REGISTRY_FLAGS: [&str; 3] = [
    "enable-private-registry",
    "enable-tls-registry",
    "enable-private-registry-tls",
];

const fn flag(
    name: &'static str,
    kind: FlagKind,
    default: &'static str,
    status: FlagStatus,
    help: &'static str,
) -> FlagSpec {
    FlagSpec {
        name,
        kind,
        default,
        status,
        help,
    }
}

/// The runner's flags: the union of Porch v1.5.x and Porch main, plus the late-2024 names.
pub const RUNNER_FLAGS: &[FlagSpec] = &[
    flag(
        "port",
        FlagKind::Int,
        "9445",
        FlagStatus::Current,
        "The server port",
    ),
    flag(
        "disable-runtimes",
        FlagKind::String,
        "",
        FlagStatus::Current,
        "The runtime(s) to disable (exec, pod), comma separated",
    ),
    flag(
        "log-level",
        FlagKind::Int,
        "2",
        FlagStatus::Current,
        "The verbosity level of the logs (0-5)",
    ),
    flag(
        "default-image-prefix",
        FlagKind::String,
        "ghcr.io/kptdev/krm-functions-catalog/",
        FlagStatus::MainOnly,
        "Default prefix for unqualified function names",
    ),
    flag(
        "functions",
        FlagKind::String,
        "./functions",
        FlagStatus::Current,
        "Path to cached functions",
    ),
    flag(
        "config",
        FlagKind::String,
        "./config.yaml",
        FlagStatus::RemovedOnMain,
        "Path to the config file of the exec runtime",
    ),
    flag(
        "pod-cache-config",
        FlagKind::String,
        "/pod-cache-config/pod-cache-config.yaml",
        FlagStatus::RemovedOnMain,
        "Path to the pod cache config file",
    ),
    flag(
        "function-pod-template",
        FlagKind::String,
        "",
        FlagStatus::RemovedOnMain,
        "ConfigMap that contains a pod specification",
    ),
    flag(
        "warm-up-pod-cache",
        FlagKind::Bool,
        "true",
        FlagStatus::Current,
        "Deploy the pod-cache-config image pods at start-up",
    ),
    flag(
        POD_NAMESPACE,
        FlagKind::String,
        "porch-fn-system",
        FlagStatus::Current,
        "Namespace to run KRM function pods in",
    ),
    flag(
        "pod-ttl",
        FlagKind::Duration,
        "30m0s",
        FlagStatus::Current,
        "TTL for pods before GC",
    ),
    flag(
        "scan-interval",
        FlagKind::Duration,
        "1m0s",
        FlagStatus::Current,
        "The interval of GC between scans",
    ),
    flag(
        ENABLE_PRIVATE_REGISTRIES,
        FlagKind::Bool,
        "false",
        FlagStatus::Current,
        "Use private registries and their authentication",
    ),
    flag(
        REGISTRY_AUTH_SECRET_PATH,
        FlagKind::String,
        "/var/tmp/config-secret/.dockerconfigjson",
        FlagStatus::Current,
        "Path of the mounted dockerconfigjson file",
    ),
    flag(
        REGISTRY_AUTH_SECRET_NAME,
        FlagKind::String,
        "auth-secret",
        FlagStatus::Current,
        "Name of the runner's copy of the auth Secret in the pod namespace",
    ),
    flag(
        ENABLE_PRIVATE_REGISTRIES_TLS,
        FlagKind::Bool,
        "false",
        FlagStatus::Current,
        "Use the mounted CA when pulling from private registries",
    ),
    flag(
        TLS_SECRET_PATH,
        FlagKind::String,
        "/var/tmp/tls-secret/",
        FlagStatus::Current,
        "Directory of the mounted TLS Secret (ca.crt, else ca.pem)",
    ),
    flag(
        "max-request-body-size",
        FlagKind::Int,
        "6291456",
        FlagStatus::Current,
        "Maximum size of grpc messages in bytes",
    ),
    flag(
        "max-waitlist-length",
        FlagKind::Int,
        "2",
        FlagStatus::Current,
        "Maximum waitlist length per pod",
    ),
    flag(
        "max-parallel-pods-per-function",
        FlagKind::Int,
        "1",
        FlagStatus::Current,
        "Maximum parallel pods per function",
    ),
    flag(
        "enable-private-registry",
        FlagKind::Bool,
        "false",
        FlagStatus::Legacy2024 {
            replaced_by: ENABLE_PRIVATE_REGISTRIES,
        },
        "Late-2024 name of --enable-private-registries",
    ),
    flag(
        "enable-tls-registry",
        FlagKind::Bool,
        "false",
        FlagStatus::Legacy2024 {
            replaced_by: ENABLE_PRIVATE_REGISTRIES_TLS,
        },
        "Late-2024 name of --enable-private-registries-tls",
    ),
    flag(
        "enable-private-registry-tls",
        FlagKind::Bool,
        "false",
        FlagStatus::Legacy2024 {
            replaced_by: ENABLE_PRIVATE_REGISTRIES_TLS,
        },
        "Late-2024 name of --enable-private-registries-tls",
    ),
];

/// The runner's flag by name (without dashes), legacy names included.
pub fn lookup(name: &str) -> Option<&'static FlagSpec> {
    RUNNER_FLAGS.iter().find(|f| f.name == name)
}

/// The flags a current runner accepts (legacy names excluded).
pub fn lookup_current(name: &str) -> Option<&'static FlagSpec> {
    lookup(name).filter(|f| f.is_known_to_current_runners())
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` (what `flag.IntVar` uses), for 64-bit platforms.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits, prefixed) =
        if let Some(r) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, r, true)
        } else if let Some(r) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, r, true)
        } else if let Some(r) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, r, true)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..], true)
        } else {
            (10, body, false)
        };
    // Underscores are allowed only after a base prefix, and only between digits.
    if digits.contains('_') && (!prefixed || digits.ends_with('_') || digits.contains("__")) {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    let magnitude = i128::from_str_radix(&clean, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// How a flag token was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagForm {
    /// `--f` (booleans: sets true).
    Bare,
    /// `--f=v`.
    Equals,
    /// `--f v` (non-booleans only: the value is the next token).
    Separate,
}

/// A flag that Go parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFlag {
    /// Index of the flag token in the argument list.
    pub index: usize,
    /// Name without dashes (and without `=value`).
    pub name: String,
    /// 1 for `-f`, 2 for `--f`.
    pub dashes: usize,
    pub form: FlagForm,
    /// The value Go sets (`"true"` for a bare boolean).
    pub value: String,
    /// Index of the separate value token (`--f v`).
    pub value_index: Option<usize>,
    /// The runner's flag, if the name is one (legacy names included).
    pub spec: Option<&'static FlagSpec>,
}

/// Why Go stopped parsing before the end of the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A token that is not a flag (does not start with `-`, or is exactly `-`). It and every
    /// token after it are positional arguments: the flags among them are ignored.
    Positional {
        index: usize,
        /// Index of the bare boolean flag right before it, when the positional is a boolean
        /// word: the `--enable-private-registries true` mistake.
        after_bool_flag: Option<usize>,
    },
    /// `--`: consumed; everything after it is positional.
    Terminator { index: usize },
    /// The binary exits at start-up (exit 2, CrashLoopBackOff); `message` is what Go prints.
    Exit { index: usize, message: String },
}

/// What Go's `flag` package makes of a list of arguments (the runner's `os.Args[1:]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoArgs {
    /// The flags parsed, in order (a flag given twice appears twice; the last one wins).
    pub flags: Vec<ParsedFlag>,
    /// Where and why parsing stopped early, if it did.
    pub stop: Option<Stop>,
    /// Tokens after the stop that look like flags (`-x...`): Go ignores them silently.
    /// (Empty when the stop is an `Exit`: the process is gone.)
    pub ignored_flags: Vec<(usize, String)>,
    /// Number of tokens.
    pub len: usize,
}

impl GoArgs {
    /// The effective (last) occurrence of a flag, if parsing reached it.
    pub fn get(&self, name: &str) -> Option<&ParsedFlag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// Every occurrence of a flag that Go parsed.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &ParsedFlag> {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// The value Go ends up with for a runner flag: the last parsed occurrence, else the
    /// default from the runner's code.
    pub fn effective_value(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|f| f.value.clone())
            .or_else(|| lookup(name).map(|s| s.default.to_string()))
    }

    /// Whether a boolean flag ends up true.
    pub fn is_true(&self, name: &str) -> bool {
        self.effective_value(name)
            .and_then(|v| parse_go_bool(&v))
            .unwrap_or(false)
    }

    /// Whether the binary exits at start-up because of its arguments.
    pub fn exits(&self) -> bool {
        matches!(self.stop, Some(Stop::Exit { .. }))
    }

    /// Index of the first token Go does not parse as a flag or flag value (the stop point),
    /// or `len` when it parses everything.
    pub fn parsed_end(&self) -> usize {
        match &self.stop {
            Some(Stop::Positional { index, .. })
            | Some(Stop::Terminator { index })
            | Some(Stop::Exit { index, .. }) => *index,
            None => self.len,
        }
    }

    /// Bare boolean flags followed by a boolean word (`--f true`): the form that stops
    /// parsing. Returns (flag index, word index, the word's value). Also finds them after the
    /// stop, since the first such pair is the stop itself and later ones would stop it again.
    pub fn bool_space_pairs(args: &[String]) -> Vec<(usize, usize, bool)> {
        let mut out = Vec::new();
        for i in 0..args.len().saturating_sub(1) {
            let Some((name, None)) = split_flag_token(&args[i]) else {
                continue;
            };
            let Some(spec) = lookup(name) else { continue };
            if spec.kind.is_bool()
                && let Some(b) = parse_go_bool(&args[i + 1])
            {
                // A value token consumed by a non-bool flag right before is not a flag.
                if i > 0
                    && let Some((prev, None)) = split_flag_token(&args[i - 1])
                    && lookup(prev).is_some_and(|s| !s.kind.is_bool())
                {
                    continue;
                }
                out.push((i, i + 1, b));
            }
        }
        out
    }
}

/// Split a flag-looking token into (name, Some(value) if `=`), the way Go does; `None` when
/// the token is not a syntactically valid flag (`-`, `--`, `---x`, `-=x`, `x`).
pub fn split_flag_token(token: &str) -> Option<(&str, Option<&str>)> {
    let bytes = token.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'-' {
        return None;
    }
    let mut rest = &token[1..];
    if bytes[1] == b'-' {
        if bytes.len() == 2 {
            return None;
        }
        rest = &token[2..];
    }
    if rest.is_empty() || rest.starts_with('-') || rest.starts_with('=') {
        return None;
    }
    match rest[1..].find('=') {
        Some(i) => Some((&rest[..i + 1], Some(&rest[i + 2..]))),
        None => Some((rest, None)),
    }
}

/// Which flags a parse knows: the runner's (current + legacy) by default. Legacy names are
/// unknown to current runners, so by default they make the binary exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlagSet {
    /// Any current runner: v1.5.x or main (union); legacy names are unknown.
    #[default]
    AnyCurrent,
    /// Porch main: flags removed on main are unknown too.
    Main,
    /// Porch v1.5.x: main-only flags are unknown.
    V15,
}

impl FlagSet {
    fn knows(self, spec: &FlagSpec) -> bool {
        !matches!(
            (self, spec.status),
            (_, FlagStatus::Legacy2024 { .. })
                | (FlagSet::Main, FlagStatus::RemovedOnMain)
                | (FlagSet::V15, FlagStatus::MainOnly)
        )
    }
}

/// Parse the runner's arguments as Go's `flag.Parse()` would, with the union of the current
/// runners' flags.
pub fn parse_go_args(args: &[String]) -> GoArgs {
    parse_go_args_with(args, FlagSet::AnyCurrent)
}

/// Parse the runner's arguments as Go's `flag.Parse()` would, for one flag set.
pub fn parse_go_args_with(args: &[String], set: FlagSet) -> GoArgs {
    let mut out = GoArgs {
        len: args.len(),
        ..GoArgs::default()
    };
    let mut i = 0;
    while i < args.len() {
        let token = args[i].as_str();
        let bytes = token.as_bytes();
        // Not a flag: stop.
        if bytes.len() < 2 || bytes[0] != b'-' {
            let after_bool_flag = out.flags.last().and_then(|f| {
                (f.index + 1 == i
                    && f.form == FlagForm::Bare
                    && f.spec.is_some_and(|s| s.kind.is_bool())
                    && parse_go_bool(token).is_some())
                .then_some(f.index)
            });
            out.stop = Some(Stop::Positional {
                index: i,
                after_bool_flag,
            });
            break;
        }
        let dashes = if bytes[1] == b'-' { 2 } else { 1 };
        if dashes == 2 && bytes.len() == 2 {
            out.stop = Some(Stop::Terminator { index: i });
            break;
        }
        let rest = &token[dashes..];
        if rest.starts_with('-') || rest.starts_with('=') {
            out.stop = Some(Stop::Exit {
                index: i,
                message: format!("bad flag syntax: {token}"),
            });
            return out;
        }
        let (name, eq_value) = match rest[1..].find('=') {
            Some(p) => (&rest[..p + 1], Some(&rest[p + 2..])),
            None => (rest, None),
        };
        let spec = lookup(name).filter(|s| set.knows(s));
        let Some(spec) = spec else {
            let message = if name == "help" || name == "h" {
                "-help: the runner prints its usage and exits".to_string()
            } else {
                format!("flag provided but not defined: -{name}")
            };
            out.stop = Some(Stop::Exit { index: i, message });
            return out;
        };
        let (form, value, value_index) = match (spec.kind, eq_value) {
            (FlagKind::Bool, None) => (FlagForm::Bare, "true".to_string(), None),
            (_, Some(v)) => (FlagForm::Equals, v.to_string(), None),
            (_, None) => {
                if i + 1 >= args.len() {
                    out.stop = Some(Stop::Exit {
                        index: i,
                        message: format!("flag needs an argument: -{name}"),
                    });
                    return out;
                }
                (FlagForm::Separate, args[i + 1].clone(), Some(i + 1))
            }
        };
        if let Some(message) = invalid_value(spec, &value) {
            out.stop = Some(Stop::Exit { index: i, message });
            return out;
        }
        out.flags.push(ParsedFlag {
            index: i,
            name: name.to_string(),
            dashes,
            form,
            value,
            value_index,
            spec: Some(spec),
        });
        i = value_index.map_or(i + 1, |v| v + 1);
    }
    if let Some(Stop::Positional { index, .. } | Stop::Terminator { index }) = &out.stop {
        out.ignored_flags = args
            .iter()
            .enumerate()
            .skip(index + 1)
            .filter(|(_, t)| t.len() >= 2 && t.starts_with('-') && t.as_str() != "--")
            .map(|(i, t)| (i, t.clone()))
            .collect();
    }
    out
}

fn invalid_value(spec: &FlagSpec, value: &str) -> Option<String> {
    let ok = match spec.kind {
        FlagKind::Bool => parse_go_bool(value).is_some(),
        FlagKind::String => true,
        FlagKind::Int => parse_go_int(value).is_some(),
        FlagKind::Duration => crate::runner::duration::parse_go(value).is_some(),
    };
    (!ok).then(|| {
        if spec.kind.is_bool() {
            format!("invalid boolean value {value:?} for -{}", spec.name)
        } else {
            format!("invalid value {value:?} for flag -{}", spec.name)
        }
    })
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Positional { index, .. } => {
                write!(f, "argument {index} is not a flag: Go stops parsing there")
            }
            Stop::Terminator { index } => write!(f, "argument {index} is `--`: parsing stops"),
            Stop::Exit { message, .. } => write!(f, "{message}"),
        }
    }
}

/// Render `--name=value` (the one form that works for every flag kind).
pub fn flag_eq(name: &str, value: &str) -> String {
    format!("--{name}={value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table_has_the_private_registry_flags_with_code_defaults() {
        for name in PRIVATE_REGISTRY_FLAGS {
            assert!(lookup_current(name).is_some(), "{name}");
        }
        assert_eq!(
            lookup(REGISTRY_AUTH_SECRET_PATH).unwrap().default,
            "/var/tmp/config-secret/.dockerconfigjson"
        );
        assert_eq!(
            lookup(REGISTRY_AUTH_SECRET_NAME).unwrap().default,
            "auth-secret"
        );
        assert_eq!(
            lookup(TLS_SECRET_PATH).unwrap().default,
            "/var/tmp/tls-secret/"
        );
        assert!(lookup(ENABLE_PRIVATE_REGISTRIES).unwrap().kind.is_bool());
        for name in LEGACY_PRIVATE_REGISTRY_FLAGS {
            let spec = lookup(name).unwrap();
            assert!(!spec.is_known_to_current_runners());
            assert!(lookup_current(name).is_none());
        }
    }

    #[test]
    fn single_and_double_dash_are_the_same() {
        let g = parse_go_args(&args(&[
            "-port=1",
            "--pod-namespace",
            "x",
            "-warm-up-pod-cache",
        ]));
        assert_eq!(g.stop, None);
        assert_eq!(g.get("port").unwrap().value, "1");
        assert_eq!(g.get("port").unwrap().dashes, 1);
        let ns = g.get(POD_NAMESPACE).unwrap();
        assert_eq!(
            (ns.form, ns.value.as_str(), ns.value_index),
            (FlagForm::Separate, "x", Some(2))
        );
        assert_eq!(g.get("warm-up-pod-cache").unwrap().form, FlagForm::Bare);
        assert!(g.is_true("warm-up-pod-cache"));
    }

    #[test]
    fn bool_with_space_value_stops_parsing_and_ignores_later_flags() {
        let a = args(&[
            "--enable-private-registries",
            "true",
            "--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson",
            "--pod-namespace=porch-fn-system",
        ]);
        let g = parse_go_args(&a);
        assert_eq!(
            g.stop,
            Some(Stop::Positional {
                index: 1,
                after_bool_flag: Some(0)
            })
        );
        assert!(g.is_true(ENABLE_PRIVATE_REGISTRIES));
        assert!(g.get(REGISTRY_AUTH_SECRET_PATH).is_none());
        assert_eq!(
            g.effective_value(REGISTRY_AUTH_SECRET_PATH).unwrap(),
            "/var/tmp/config-secret/.dockerconfigjson"
        );
        assert_eq!(g.ignored_flags.len(), 2);
        assert_eq!(g.ignored_flags[0].0, 2);
        assert_eq!(g.parsed_end(), 1);
        assert_eq!(GoArgs::bool_space_pairs(&a), vec![(0, 1, true)]);
    }

    #[test]
    fn bool_false_with_space_still_sets_true() {
        let g = parse_go_args(&args(&["--enable-private-registries", "false"]));
        assert!(g.is_true(ENABLE_PRIVATE_REGISTRIES));
        assert!(matches!(g.stop, Some(Stop::Positional { .. })));
    }

    #[test]
    fn non_bool_takes_next_token_even_if_it_looks_like_a_flag() {
        let g = parse_go_args(&args(&["--pod-namespace", "--port=1"]));
        assert_eq!(g.get(POD_NAMESPACE).unwrap().value, "--port=1");
        assert!(g.get("port").is_none());
        assert_eq!(g.stop, None);
    }

    #[test]
    fn missing_value_unknown_and_bad_values_exit() {
        let g = parse_go_args(&args(&["--pod-namespace"]));
        assert!(g.exits());
        let g = parse_go_args(&args(&["--enable-private-registry=true"]));
        match &g.stop {
            Some(Stop::Exit { index: 0, message }) => {
                assert!(message.contains("flag provided but not defined: -enable-private-registry"))
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_go_args(&args(&["--enable-private-registries=yes"])).exits());
        assert!(parse_go_args(&args(&["--port=abc"])).exits());
        assert!(parse_go_args(&args(&["--pod-ttl=5"])).exits());
        assert!(!parse_go_args(&args(&["--pod-ttl=1h30m"])).exits());
        assert!(parse_go_args(&args(&["---port=1"])).exits());
        assert!(parse_go_args(&args(&["-=x"])).exits());
        assert!(parse_go_args(&args(&["-h"])).exits());
    }

    #[test]
    fn terminator_and_dash_stop() {
        let g = parse_go_args(&args(&["--port=1", "--", "--pod-namespace=x"]));
        assert_eq!(g.stop, Some(Stop::Terminator { index: 1 }));
        assert_eq!(g.ignored_flags, vec![(2, "--pod-namespace=x".to_string())]);
        let g = parse_go_args(&args(&["-", "--port=1"]));
        assert!(matches!(
            g.stop,
            Some(Stop::Positional {
                index: 0,
                after_bool_flag: None
            })
        ));
    }

    #[test]
    fn flag_sets_differ_on_removed_and_main_only_flags() {
        let a = args(&["--config=/x"]);
        assert!(!parse_go_args_with(&a, FlagSet::V15).exits());
        assert!(parse_go_args_with(&a, FlagSet::Main).exits());
        let a = args(&["--default-image-prefix=x/"]);
        assert!(parse_go_args_with(&a, FlagSet::V15).exits());
        assert!(!parse_go_args(&a).exits());
    }

    #[test]
    fn last_occurrence_wins() {
        let g = parse_go_args(&args(&["--pod-namespace=a", "--pod-namespace=b"]));
        assert_eq!(g.all(POD_NAMESPACE).count(), 2);
        assert_eq!(g.get(POD_NAMESPACE).unwrap().value, "b");
    }

    #[test]
    fn go_number_parsers() {
        assert_eq!(parse_go_int("6291456"), Some(6291456));
        assert_eq!(parse_go_int("0x10"), Some(16));
        assert_eq!(parse_go_int("010"), Some(8));
        assert_eq!(parse_go_int("-3"), Some(-3));
        assert_eq!(parse_go_int("1_000"), None);
        assert_eq!(parse_go_int("0x1_000"), Some(4096));
        assert_eq!(parse_go_int(""), None);
        assert_eq!(parse_go_int("9a"), None);
    }

    #[test]
    fn split_flag_token_matches_go() {
        assert_eq!(split_flag_token("--a=b=c"), Some(("a", Some("b=c"))));
        assert_eq!(split_flag_token("-a"), Some(("a", None)));
        assert_eq!(split_flag_token("--a="), Some(("a", Some(""))));
        assert_eq!(split_flag_token("--"), None);
        assert_eq!(split_flag_token("-"), None);
        assert_eq!(split_flag_token("x"), None);
    }
}
