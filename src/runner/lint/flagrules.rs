//! Rules about the runner's argv, and the effective configuration Go ends up with.

use super::model::Runner;
use super::{Finding, Severity, rules};
use crate::runner::flags::{self, FlagKind, FlagStatus, Stop};

/// The private-registry configuration the runner really runs with (flags before the stop).
#[derive(Debug, Clone)]
pub struct Effective {
    pub enable: bool,
    /// Field of the token that set `--enable-private-registries`, if any.
    pub enable_field: Option<String>,
    pub auth_path: String,
    pub auth_path_set: bool,
    pub auth_name_set: bool,
    pub tls: bool,
    pub tls_path: String,
    pub tls_path_set: bool,
    /// The argv could be modelled.
    pub modelled: bool,
}

fn dashes(name: &str) -> String {
    format!("--{name}")
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn lint_flags(r: &Runner<'_>, out: &mut Vec<Finding>) -> Effective {
    let find =
        |severity, rule, field: &str, message, fix| r.finding(severity, rule, field, message, fix);
    let g = &r.flags;
    // Tokens after the stop that look like flags: Go never sees them.
    let ignored: Vec<&str> = g.ignored.iter().map(|(_, t)| t.as_str()).collect();
    let ignored_text = if ignored.is_empty() {
        "no flag follows it, so nothing is lost yet".to_string()
    } else {
        format!(
            "Go silently ignores every flag after it: {}",
            ignored.join(" ")
        )
    };
    match &g.stop {
        Some(Stop::Positional {
            index,
            after_bool_flag: Some(flag_index),
        }) => {
            let tok = &g.tokens[*index];
            let name = flags::split_flag_token(&g.tokens[*flag_index])
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            let value = flags::parse_go_bool(tok).unwrap_or(true);
            let surprise = if value {
                String::new()
            } else {
                format!(" (and --{name} is set to TRUE, not false)")
            };
            out.push(find(
                if ignored.is_empty() && value {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                rules::FLAG_BOOL_WITHOUT_EQUALS,
                &r.argv_fields[*flag_index],
                format!(
                    "\"--{name} {tok}\": a Go boolean flag takes a value only as --{name}={tok}; \
                     \"{tok}\" is read as the first positional argument and flag parsing stops there{surprise}; \
                     {ignored_text}"
                ),
                format!("write --{name}={tok} as one item"),
            ));
        }
        Some(Stop::Positional { index, .. }) if !ignored.is_empty() => {
            let tok = &g.tokens[*index];
            out.push(find(
                Severity::Error,
                rules::FLAG_AFTER_POSITIONAL,
                &r.argv_fields[*index],
                format!(
                    "\"{tok}\" is a positional argument: Go's flag parsing stops there and {ignored_text}"
                ),
                format!(
                    "remove \"{tok}\" or move the flags before it; a flag value must be joined as --flag=value"
                ),
            ));
        }
        Some(Stop::Terminator { index }) if !ignored.is_empty() => out.push(find(
            Severity::Error,
            rules::FLAG_AFTER_POSITIONAL,
            &r.argv_fields[*index],
            format!("\"--\" ends flag parsing: {ignored_text}"),
            "remove the \"--\" item".into(),
        )),
        _ => {}
    }
    for (i, message) in &g.exits {
        let field = &r.argv_fields[*i];
        let token = &g.tokens[*i];
        let name = flags::split_flag_token(token).map(|(n, _)| n);
        let spec = name.and_then(flags::lookup);
        if let (Some(name), Some(FlagStatus::Legacy2024 { replaced_by })) =
            (name, spec.map(|s| s.status))
        {
            out.push(find(
                Severity::Error,
                rules::FLAG_UNKNOWN,
                field,
                format!(
                    "--{name} is the late-2024 name of --{replaced_by}; today's runner does not define it and exits at start-up (\"flag provided but not defined\"): CrashLoopBackOff"
                ),
                format!("rename it: --{replaced_by}{}", value_hint(token)),
            ));
        } else if message.starts_with("flag provided but not defined") {
            let name = name.unwrap_or(token);
            let best = flags::RUNNER_FLAGS
                .iter()
                .filter(|s| s.is_known_to_current_runners())
                .map(|s| (distance(name, s.name), s.name))
                .min();
            let fix = match best {
                Some((d, n)) if d <= 3 => format!("did you mean --{n}? Otherwise remove it"),
                _ => "remove it (the runner defines --enable-private-registries, --registry-auth-secret-path, --registry-auth-secret-name, --enable-private-registries-tls, --tls-secret-path and its other flags)".into(),
            };
            out.push(find(
                Severity::Error,
                rules::FLAG_UNKNOWN,
                field,
                format!(
                    "--{name} is not a flag of the function runner: it exits at start-up (\"{message}\"): CrashLoopBackOff"
                ),
                fix,
            ));
        } else {
            let fix = match spec {
                Some(s) if s.kind == FlagKind::Bool => {
                    format!("write --{}=true or --{}=false", s.name, s.name)
                }
                Some(s) if s.kind == FlagKind::Int => {
                    format!("give --{} an integer: --{}=N", s.name, s.name)
                }
                Some(s) if s.kind == FlagKind::Duration => {
                    format!("give --{} a Go duration such as 30m or 1h", s.name)
                }
                Some(s) => format!("give it a value: --{}=VALUE", s.name),
                None => "write flags as --name=value".into(),
            };
            out.push(find(
                Severity::Error,
                rules::FLAG_INVALID,
                field,
                format!("\"{token}\": the runner exits at start-up ({message}): CrashLoopBackOff"),
                fix,
            ));
        }
    }
    lint_versions(r, out);
    // Names the runner creates objects with.
    for (name, what) in [
        (
            flags::REGISTRY_AUTH_SECRET_NAME,
            "the runner creates a Secret with this name in the function namespace",
        ),
        (
            flags::POD_NAMESPACE,
            "the runner creates function pods (and its Secret copy) in this namespace",
        ),
    ] {
        let Some(f) = g.flags.iter().rev().find(|f| f.name == name) else {
            continue;
        };
        let check = if name == flags::POD_NAMESPACE {
            crate::runner::secrets::validate_namespace(&f.value)
        } else {
            crate::runner::secrets::validate_object_name(&f.value)
        };
        if let Err(why) = check {
            out.push(find(
                Severity::Error,
                rules::FLAG_INVALID,
                &r.argv_fields[f.index],
                format!(
                    "--{name}: {why}; {what}, and the API server refuses it, so no function pod is created"
                ),
                format!("give --{name} a valid Kubernetes name"),
            ));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for f in &g.flags {
        if seen.contains(&f.name.as_str()) {
            out.push(find(
                Severity::Warning,
                rules::FLAG_DUPLICATE,
                &r.argv_fields[f.index],
                format!(
                    "--{} is given more than once; Go keeps the last value",
                    f.name
                ),
                format!("keep one --{}", f.name),
            ));
        } else {
            seen.push(&f.name);
        }
    }

    let spec_default = |n: &str| flags::lookup(n).map(|s| s.default).unwrap_or("");
    let val = |n: &str| g.value(n);
    let enable = val(flags::ENABLE_PRIVATE_REGISTRIES)
        .and_then(flags::parse_go_bool)
        .unwrap_or(false);
    let enable_field = g
        .flags
        .iter()
        .rev()
        .find(|f| f.name == flags::ENABLE_PRIVATE_REGISTRIES)
        .map(|f| r.argv_fields[f.index].clone());
    let tls = val(flags::ENABLE_PRIVATE_REGISTRIES_TLS)
        .and_then(flags::parse_go_bool)
        .unwrap_or(false);
    Effective {
        enable,
        enable_field,
        auth_path: val(flags::REGISTRY_AUTH_SECRET_PATH)
            .unwrap_or(spec_default(flags::REGISTRY_AUTH_SECRET_PATH))
            .to_string(),
        auth_path_set: val(flags::REGISTRY_AUTH_SECRET_PATH).is_some(),
        auth_name_set: val(flags::REGISTRY_AUTH_SECRET_NAME).is_some(),
        tls,
        tls_path: val(flags::TLS_SECRET_PATH)
            .unwrap_or(spec_default(flags::TLS_SECRET_PATH))
            .to_string(),
        tls_path_set: val(flags::TLS_SECRET_PATH).is_some(),
        modelled: !r.shell,
    }
}

/// The release an image tag names (`v1.5.8` -> (1, 5)); `None` for latest, main, digests.
pub fn image_release(image: &str) -> Option<(u32, u32)> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    let tag = last.split_once(':')?.1;
    let v = tag.strip_prefix('v').unwrap_or(tag);
    let mut parts = v.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Flags that exist only in some runner builds, judged by the image tag.
fn lint_versions(r: &Runner<'_>, out: &mut Vec<Finding>) {
    let Some(image) = r.image.as_deref() else {
        return;
    };
    let release = image_release(image);
    for f in &r.flags.flags {
        let Some(spec) = f.spec else { continue };
        let (severity, message, fix) = match (spec.status, release) {
            (FlagStatus::MainOnly, Some((major, minor))) if (major, minor) <= (1, 5) => (
                Severity::Error,
                format!(
                    "--{} exists only in runners built from Porch main; the image {image} is a v{major}.{minor} release, which does not define it and exits at start-up: CrashLoopBackOff",
                    spec.name
                ),
                format!("remove --{}, or use a runner image that has it", spec.name),
            ),
            (FlagStatus::RemovedOnMain, None) => (
                Severity::Warning,
                format!(
                    "--{} was removed on Porch main; the image {image} is not a release tag, and a runner built from main exits on this flag at start-up (CrashLoopBackOff)",
                    spec.name
                ),
                format!(
                    "pin a release image (e.g. :v1.5.8) while passing --{}, or remove the flag for main builds",
                    spec.name
                ),
            ),
            _ => continue,
        };
        out.push(Finding {
            severity,
            rule: rules::FLAG_UNKNOWN,
            object: r.object.clone(),
            message,
            fix,
            object_index: Some(r.index),
            field: Some(r.argv_fields[f.index].clone()),
        });
    }
}

fn value_hint(token: &str) -> String {
    match token.split_once('=') {
        Some((_, v)) => format!("={v}"),
        // Every 2024 name was a boolean.
        None => "=true".into(),
    }
}

/// Argument text for a flag in fixes.
pub fn flag(name: &str, value: &str) -> String {
    format!("{}={value}", dashes(name))
}
