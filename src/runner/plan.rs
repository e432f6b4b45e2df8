//! The one decision maker: desired private-registry configuration + a function-runner
//! Deployment (as JSON) -> a plan of list edits. Three carriers execute the same plan: the
//! lossless text editor (`manifests::edit`), API patches (`apply_to_value` on the live
//! object), and dry-run printing (`changes`).
//!
//! The plan works on four lists: the runner container's `command` and `args`, its
//! `volumeMounts`, and the pod's `volumes`. Indexes in ops always refer to the ORIGINAL lists.
//!
//! Pure: no I/O.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::runner::container::{self, LocateError, RunnerContainer};
pub use crate::runner::container::{ArgToken, ListField};
use crate::runner::defaults::{
    DEFAULT_AUTH_MOUNT_PATH, DEFAULT_AUTH_SECRET_NAME, DEFAULT_CONTAINER, DEFAULT_DEPLOYMENT,
    DEFAULT_TLS_MOUNT_PATH, DEFAULT_TLS_SECRET_NAME,
};
use crate::runner::flags::{
    self, DOCKERCONFIGJSON_FILE, ENABLE_PRIVATE_REGISTRIES, ENABLE_PRIVATE_REGISTRIES_TLS,
    REGISTRY_AUTH_SECRET_NAME, REGISTRY_AUTH_SECRET_PATH, TLS_SECRET_PATH, parse_go_bool,
    split_flag_token,
};

/// The volume names `patch` gives the Secrets' volumes (the ones the Porch docs use).
pub const AUTH_VOLUME_NAME: &str = "docker-config";
pub const TLS_VOLUME_NAME: &str = "tls-registry-config";

/// Which Deployment and container are the function runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub deployment: String,
    pub container: String,
}

impl Default for Target {
    /// `function-runner` / `function-runner`.
    fn default() -> Self {
        Target {
            deployment: DEFAULT_DEPLOYMENT.to_string(),
            container: DEFAULT_CONTAINER.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub secret_name: String,
    pub mount_path: String,
}

/// What the runner should be configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredConfig {
    /// The auth Secret (dockerconfigjson) in the runner's namespace.
    pub auth_secret_name: String,
    /// Where it is mounted; the runner reads `<mount>/.dockerconfigjson`.
    pub auth_mount_path: String,
    /// `--registry-auth-secret-name`: the runner's copy in the function namespace.
    pub registry_auth_secret_name: String,
    pub tls: Option<TlsConfig>,
}

/// The configuration as asked for (flags, functionConfig, wizard), before TLS is decided:
/// names and paths, `--tls`, and the optional names. [`RequestedConfig::desired`] resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedConfig {
    pub auth_secret_name: String,
    pub auth_mount_path: String,
    /// `--tls`: configure a registry CA.
    pub tls: bool,
    /// `--tls-secret-name` (implies TLS).
    pub tls_secret_name: Option<String>,
    pub tls_mount_path: String,
    /// `--registry-auth-secret-name` (default: the auth Secret's name).
    pub registry_auth_secret_name: Option<String>,
}

impl Default for RequestedConfig {
    /// Every name and path at its default, no TLS.
    fn default() -> Self {
        RequestedConfig {
            auth_secret_name: DEFAULT_AUTH_SECRET_NAME.to_string(),
            auth_mount_path: DEFAULT_AUTH_MOUNT_PATH.to_string(),
            tls: false,
            tls_secret_name: None,
            tls_mount_path: DEFAULT_TLS_MOUNT_PATH.to_string(),
            registry_auth_secret_name: None,
        }
    }
}

impl RequestedConfig {
    /// TLS with `--tls` or implied by `--tls-secret-name` (or `ca_given`, e.g. `setup
    /// --ca-file`); `--registry-auth-secret-name` defaults to the auth Secret's name.
    pub fn desired(&self, ca_given: bool) -> DesiredConfig {
        let tls = (self.tls || self.tls_secret_name.is_some() || ca_given).then(|| TlsConfig {
            secret_name: self
                .tls_secret_name
                .clone()
                .unwrap_or_else(|| DEFAULT_TLS_SECRET_NAME.to_string()),
            mount_path: self.tls_mount_path.clone(),
        });
        DesiredConfig {
            auth_secret_name: self.auth_secret_name.clone(),
            auth_mount_path: self.auth_mount_path.clone(),
            registry_auth_secret_name: self
                .registry_auth_secret_name
                .clone()
                .unwrap_or_else(|| self.auth_secret_name.clone()),
            tls,
        }
    }
}

impl DesiredConfig {
    /// `--registry-auth-secret-path`: the mount path + `/.dockerconfigjson`.
    pub fn auth_file_path(&self) -> String {
        format!(
            "{}/{}",
            self.auth_mount_path.trim_end_matches('/'),
            DOCKERCONFIGJSON_FILE
        )
    }

    /// The flags the runner needs, in the order they are added.
    pub fn flags(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            (ENABLE_PRIVATE_REGISTRIES, "true".to_string()),
            (REGISTRY_AUTH_SECRET_PATH, self.auth_file_path()),
            (
                REGISTRY_AUTH_SECRET_NAME,
                self.registry_auth_secret_name.clone(),
            ),
        ];
        if let Some(tls) = &self.tls {
            out.push((ENABLE_PRIVATE_REGISTRIES_TLS, "true".to_string()));
            out.push((TLS_SECRET_PATH, tls.mount_path.clone()));
        }
        out
    }

    /// Check names and paths before planning (one clear error instead of a broken manifest).
    pub fn validate(&self) -> Result<()> {
        let mut paths = vec![("--auth-mount-path", &self.auth_mount_path)];
        if let Some(t) = &self.tls {
            paths.push(("--tls-mount-path", &t.mount_path));
        }
        for (flag, p) in &paths {
            if !p.starts_with('/') || p.trim_end_matches('/').is_empty() {
                return Err(Error::usage(format!(
                    "{flag} {p:?}: must be an absolute directory other than /, e.g. /var/tmp/auth-secret"
                )));
            }
            if p.contains(char::is_whitespace) {
                return Err(Error::usage(format!(
                    "{flag} {p:?}: must not contain white space"
                )));
            }
        }
        if let Some(t) = &self.tls
            && same_path(&t.mount_path, &self.auth_mount_path)
        {
            return Err(Error::usage(format!(
                "--tls-mount-path and --auth-mount-path are both {}: give each Secret its own directory",
                self.auth_mount_path
            )));
        }
        for (flag, n) in [
            ("--auth-secret-name", &self.auth_secret_name),
            (
                "--registry-auth-secret-name",
                &self.registry_auth_secret_name,
            ),
        ]
        .into_iter()
        .chain(
            self.tls
                .iter()
                .map(|t| ("--tls-secret-name", &t.secret_name)),
        ) {
            crate::runner::secrets::validate_object_name(n)
                .map_err(|why| Error::usage(format!("{flag} {n:?}: {why}")))?;
        }
        Ok(())
    }
}

/// Paths equal up to trailing slashes (the runner joins them with `filepath.Join`, kubelet
/// mounts them the same).
pub fn same_path(a: &str, b: &str) -> bool {
    let a = a.trim_end_matches('/');
    let b = b.trim_end_matches('/');
    a == b && !a.is_empty()
}

/// One edit of a list.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Replace item `index` by `value`.
    Replace {
        field: ListField,
        index: usize,
        value: Value,
    },
    /// Remove item `index`.
    Remove { field: ListField, index: usize },
    /// Insert `values` after item `after` (`None`: at the start). Creates the list (and its
    /// key) when it does not exist.
    Insert {
        field: ListField,
        after: Option<usize>,
        values: Vec<Value>,
    },
    /// Remove the whole key (the list would be empty).
    RemoveKey { field: ListField },
}

impl Op {
    pub fn field(&self) -> ListField {
        match self {
            Op::Replace { field, .. }
            | Op::Remove { field, .. }
            | Op::Insert { field, .. }
            | Op::RemoveKey { field } => *field,
        }
    }
}

/// A plan of edits to one Deployment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Index of the runner container in `spec.template.spec.containers`.
    pub container_index: usize,
    pub ops: Vec<Op>,
    /// Human lines, one per change (for stderr and dry runs).
    pub changes: Vec<String>,
    /// Warnings about the Deployment the plan could not fix.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Carry the plan out on a Deployment as JSON (the live object, or a parsed manifest).
    pub fn apply_to_value(&self, deployment: &mut Value) -> Result<()> {
        let pod = deployment
            .pointer_mut("/spec/template/spec")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Error::usage("the Deployment has no spec.template.spec"))?;
        apply_field(pod, ListField::Volumes, &self.ops)?;
        let container = pod
            .get_mut("containers")
            .and_then(Value::as_array_mut)
            .and_then(|c| c.get_mut(self.container_index))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| Error::usage("the Deployment's runner container is missing"))?;
        for field in [ListField::Command, ListField::Args, ListField::VolumeMounts] {
            apply_field(container, field, &self.ops)?;
        }
        Ok(())
    }

    /// The plan's changes as text for people (one line each).
    pub fn describe(&self) -> String {
        self.changes.join("\n")
    }
}

fn apply_field(obj: &mut Map<String, Value>, field: ListField, ops: &[Op]) -> Result<()> {
    let ops: Vec<&Op> = ops.iter().filter(|o| o.field() == field).collect();
    if ops.is_empty() {
        return Ok(());
    }
    if ops.iter().any(|o| matches!(o, Op::RemoveKey { .. })) {
        obj.remove(field.key());
        return Ok(());
    }
    let original: Vec<Value> = match obj.get(field.key()) {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(Error::usage(format!(
                "{} of the Deployment is not a list",
                field.key()
            )));
        }
    };
    let mut out = Vec::new();
    let inserts_after = |pos: Option<usize>| {
        ops.iter()
            .filter_map(move |o| match o {
                Op::Insert { after, values, .. } if *after == pos => Some(values.clone()),
                _ => None,
            })
            .flatten()
    };
    out.extend(inserts_after(None));
    for (i, item) in original.iter().enumerate() {
        let removed = ops
            .iter()
            .any(|o| matches!(o, Op::Remove { index, .. } if *index == i));
        let replaced = ops.iter().find_map(|o| match o {
            Op::Replace { index, value, .. } if *index == i => Some(value.clone()),
            _ => None,
        });
        if !removed {
            out.push(replaced.unwrap_or_else(|| item.clone()));
        }
        out.extend(inserts_after(Some(i)));
    }
    // Inserts after an index past the end (should not happen) go last.
    for o in &ops {
        if let Op::Insert {
            after: Some(a),
            values,
            ..
        } = o
            && *a >= original.len()
        {
            out.extend(values.iter().cloned());
        }
    }
    obj.insert(field.key().to_string(), Value::Array(out));
    Ok(())
}

/// The runner's `os.Args[1:]` as Kubernetes builds it (see [`container::tokens_of`]).
pub fn runner_args(container: &Value) -> Vec<ArgToken> {
    container::tokens_of(container)
}

/// What Go's flag package makes of the container's arguments.
pub fn container_go_args(container: &Value) -> (Vec<ArgToken>, flags::GoArgs) {
    let tokens = runner_args(container);
    let texts: Vec<String> = tokens.iter().map(|t| t.text.clone()).collect();
    let parsed = flags::parse_go_args(&texts);
    (tokens, parsed)
}

/// An occurrence of a flag in the argument list, found syntactically (whether or not Go gets
/// that far).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Occurrence {
    /// Position in the token list.
    pos: usize,
    name: String,
    /// The `-`/`--` prefix as written.
    prefix: String,
    /// `=value` when written so.
    eq_value: Option<String>,
    /// Position of a separate value token (`--f v` for non-bools, `--f true` for bools).
    value_pos: Option<usize>,
    /// `--f v` written as ONE list item: Go reads a flag named `f v` and exits.
    spaced: bool,
}

/// Scan tokens for flags, pairing separate values the way Go would (non-bools take the next
/// token) and also pairing a bare boolean with a following boolean word.
fn scan(tokens: &[ArgToken]) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i].text;
        let Some((name, eq)) = split_flag_token(t) else {
            i += 1;
            continue;
        };
        let prefix = if t.starts_with("--") { "--" } else { "-" };
        if eq.is_none()
            && let Some((n, v)) = name.split_once(char::is_whitespace)
            && flags::lookup(n).is_some()
        {
            out.push(Occurrence {
                pos: i,
                name: n.to_string(),
                prefix: prefix.to_string(),
                eq_value: Some(v.trim().to_string()),
                value_pos: None,
                spaced: true,
            });
            i += 1;
            continue;
        }
        let spec = flags::lookup(name);
        let mut value_pos = None;
        if eq.is_none() && i + 1 < tokens.len() {
            match spec {
                Some(s) if !s.kind.is_bool() => value_pos = Some(i + 1),
                Some(_) if parse_go_bool(&tokens[i + 1].text).is_some() => value_pos = Some(i + 1),
                _ => {}
            }
        }
        out.push(Occurrence {
            pos: i,
            name: name.to_string(),
            prefix: prefix.to_string(),
            eq_value: eq.map(str::to_string),
            value_pos,
            spaced: false,
        });
        i = value_pos.map_or(i + 1, |v| v + 1);
    }
    out
}

/// Where Go stops once the bool-with-space mistakes are fixed: the position after the last
/// flag (or flag value) token before the first positional / `--`, if any flag is there.
fn last_parsed_flag_pos(tokens: &[ArgToken], occ: &[Occurrence]) -> Option<usize> {
    let mut last = None;
    let mut expected = 0;
    for o in occ {
        if o.pos != expected {
            break; // a positional (or `--`) before this flag: Go stops there
        }
        last = Some(o.value_pos.unwrap_or(o.pos));
        expected = last.unwrap() + 1;
    }
    if let Some(l) = last
        && l + 1 < tokens.len()
        && tokens[l + 1].text == "--"
    {
        return Some(l);
    }
    last
}

fn the_container<'a>(deployment: &'a Value, target: &Target) -> Result<(usize, &'a Value)> {
    let containers = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array);
    // A container that is not a mapping makes the manifest unusable, whichever is the runner.
    if let Some(i) = containers.and_then(|cs| cs.iter().position(|c| !c.is_object())) {
        return Err(Error::usage(format!(
            "Deployment {}: container {i} is not a mapping (name:, image:, ...); fix the manifest",
            target.deployment
        )));
    }
    container::locate(deployment, &target.container).map_err(|e| {
        let fix = match e {
            LocateError::NoList | LocateError::Empty => "is it a complete Deployment manifest?",
            LocateError::NoneNamed { .. } => "pass --container NAME",
            LocateError::SameName { .. } => "container names must be unique, fix the manifest",
        };
        Error::usage(format!(
            "Deployment {}: {}; {fix}",
            target.deployment,
            e.describe(&target.container)
        ))
    })
}

/// The model of the container `the_container` chose.
fn container_model<'a>(
    deployment: &'a Value,
    index: usize,
    target: &Target,
) -> Result<RunnerContainer<'a>> {
    RunnerContainer::at(deployment, index).ok_or_else(|| {
        Error::usage(format!(
            "Deployment {}: container {index} is not readable; fix the manifest",
            target.deployment
        ))
    })
}

/// The runner container of a Deployment (by name; the only container when there is one).
pub fn runner_container<'a>(deployment: &'a Value, target: &Target) -> Result<(usize, &'a Value)> {
    the_container(deployment, target)
}

fn mount_value(name: &str, path: &str) -> Value {
    json!({"name": name, "mountPath": path, "readOnly": true})
}

fn secret_volume(name: &str, secret: &str) -> Value {
    json!({"name": name, "secret": {"secretName": secret}})
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// How many `args` items the container has.
fn args_len(rc: &RunnerContainer<'_>) -> usize {
    rc.tokens
        .iter()
        .filter(|t| t.field == ListField::Args)
        .count()
}

/// Plan the patch: add or update what the runner needs; leave the rest alone.
pub fn plan_patch(deployment: &Value, target: &Target, desired: &DesiredConfig) -> Result<Plan> {
    desired.validate()?;
    let (ci, container) = the_container(deployment, target)?;
    let mut plan = Plan {
        container_index: ci,
        ..Plan::default()
    };
    let container_name = str_of(container, "name").unwrap_or(&target.container);
    if container_name != target.container {
        plan.notes.push(format!(
            "no container named {}: using the only container, {container_name}",
            target.container
        ));
    }

    // --- flags ---
    let rc = container_model(deployment, ci, target)?;
    let tokens = rc.tokens.clone();
    let occ = scan(&tokens);
    let mut removed_pos: Vec<usize> = Vec::new();
    let replace = |plan: &mut Plan, pos: usize, text: String| {
        let t = &tokens[pos];
        plan.ops.push(Op::Replace {
            field: t.field,
            index: t.index,
            value: Value::String(text),
        });
    };
    let mut to_add: Vec<String> = Vec::new();
    let legacy_for = |name: &str| -> Option<&'static str> {
        match flags::lookup(name)?.status {
            flags::FlagStatus::Legacy2024 { replaced_by } => Some(replaced_by),
            _ => None,
        }
    };
    for (name, value) in desired.flags() {
        let mine: Vec<&Occurrence> = occ
            .iter()
            .filter(|o| o.name == name || legacy_for(&o.name) == Some(name))
            .collect();
        let Some(first) = mine.first() else {
            to_add.push(flags::flag_eq(name, &value));
            continue;
        };
        let spec = flags::lookup(name).expect("runner flag");
        let field = tokens[first.pos].field.key();
        if first.spaced {
            replace(
                &mut plan,
                first.pos,
                format!("{}{name}={value}", first.prefix),
            );
            plan.changes.push(format!(
                "{field}: rewrite `{}` as --{name}={value} (one list item: Go reads a flag named with the space and exits)",
                tokens[first.pos].text
            ));
        } else if first.name != name {
            // A late-2024 name: no current runner knows it (exits at start-up).
            replace(
                &mut plan,
                first.pos,
                format!("{}{name}={value}", first.prefix),
            );
            if let Some(vp) = first.value_pos {
                removed_pos.push(vp);
            }
            plan.changes.push(format!(
                "{field}: replace the late-2024 flag {} with --{name}={value}",
                tokens[first.pos].text
            ));
        } else if spec.kind.is_bool() {
            match (&first.eq_value, first.value_pos) {
                (Some(v), _) if parse_go_bool(v) == Some(true) => {}
                (Some(_), _) => {
                    replace(
                        &mut plan,
                        first.pos,
                        format!("{}{name}={value}", first.prefix),
                    );
                    plan.changes.push(format!(
                        "{field}: set --{name}={value} (was {})",
                        tokens[first.pos].text
                    ));
                }
                (None, Some(vp)) => {
                    replace(
                        &mut plan,
                        first.pos,
                        format!("{}{name}={value}", first.prefix),
                    );
                    removed_pos.push(vp);
                    plan.changes.push(format!(
                        "{field}: rewrite `{} {}` as --{name}={value} (Go stops parsing flags at `{}`)",
                        tokens[first.pos].text, tokens[vp].text, tokens[vp].text
                    ));
                }
                (None, None) => {}
            }
        } else {
            match (&first.eq_value, first.value_pos) {
                (Some(v), _) => {
                    if !same_value(name, v, &value) {
                        replace(
                            &mut plan,
                            first.pos,
                            format!("{}{name}={value}", first.prefix),
                        );
                        plan.changes
                            .push(format!("{field}: set --{name}={value} (was {v})"));
                    }
                }
                (None, Some(vp)) => {
                    if !same_value(name, &tokens[vp].text, &value) {
                        let was = tokens[vp].text.clone();
                        replace(&mut plan, vp, value.clone());
                        plan.changes
                            .push(format!("{field}: set --{name} {value} (was {was})"));
                    }
                }
                (None, None) => {
                    // `--f` as the last token: the runner exits ("flag needs an argument").
                    replace(
                        &mut plan,
                        first.pos,
                        format!("{}{name}={value}", first.prefix),
                    );
                    plan.changes.push(format!(
                        "{field}: give --{name} its value (--{name}={value}; without one the runner exits)"
                    ));
                }
            }
        }
        // Later duplicates go.
        for dup in &mine[1..] {
            removed_pos.push(dup.pos);
            if let Some(vp) = dup.value_pos {
                removed_pos.push(vp);
            }
            plan.changes.push(format!(
                "{}: remove the duplicate {}",
                tokens[dup.pos].field.key(),
                tokens[dup.pos].text
            ));
        }
    }
    // Late-2024 names of flags this patch does not set (the TLS switch without --tls): no
    // current runner knows them, it exits at start-up. Rename them, keeping their value.
    let desired_names: Vec<&str> = desired.flags().iter().map(|(n, _)| *n).collect();
    let mut renamed: Vec<&str> = Vec::new();
    for o in &occ {
        let Some(new) = legacy_for(&o.name) else {
            continue;
        };
        if desired_names.contains(&new) {
            continue; // handled above
        }
        let value = o
            .eq_value
            .clone()
            .or_else(|| o.value_pos.map(|vp| tokens[vp].text.clone()))
            .unwrap_or_else(|| "true".to_string());
        let field = tokens[o.pos].field.key();
        if occ.iter().any(|x| x.name == new) || renamed.contains(&new) {
            removed_pos.push(o.pos);
            plan.changes.push(format!(
                "{field}: remove the late-2024 flag {} (--{new} is set; no current runner knows the old name)",
                tokens[o.pos].text
            ));
        } else {
            renamed.push(new);
            replace(&mut plan, o.pos, format!("{}{new}={value}", o.prefix));
            plan.changes.push(format!(
                "{field}: replace the late-2024 flag {} with --{new}={value}",
                tokens[o.pos].text
            ));
        }
        if let Some(vp) = o.value_pos {
            removed_pos.push(vp);
        }
    }
    // Other booleans written `--f true` stop parsing before our flags: rewrite them.
    for o in &occ {
        if let (Some(spec), None, Some(vp)) = (flags::lookup(&o.name), &o.eq_value, o.value_pos)
            && !o.spaced
            && spec.kind.is_bool()
            && spec.is_known_to_current_runners()
            && !desired.flags().iter().any(|(n, _)| *n == o.name)
        {
            let word = tokens[vp].text.clone();
            replace(&mut plan, o.pos, format!("{}{}={word}", o.prefix, o.name));
            removed_pos.push(vp);
            plan.changes.push(format!(
                "{}: rewrite `{} {word}` as {}{}={word} (Go stops parsing flags at `{word}`)",
                tokens[o.pos].field.key(),
                tokens[o.pos].text,
                o.prefix,
                o.name
            ));
        }
    }
    removed_pos.sort_unstable();
    removed_pos.dedup();
    for &p in &removed_pos {
        plan.ops.push(Op::Remove {
            field: tokens[p].field,
            index: tokens[p].index,
        });
    }
    if !to_add.is_empty() {
        let (field, after) = match last_parsed_flag_pos(&tokens, &occ) {
            Some(p) => (tokens[p].field, Some(tokens[p].index)),
            None => match tokens.first() {
                // Only positionals: put the flags in front of them.
                Some(t) if t.field == ListField::Command => (ListField::Command, Some(0)),
                Some(t) if t.field == ListField::Args && t.index == 0 => {
                    if let Some(last) = rc.command.len().checked_sub(1) {
                        (ListField::Command, Some(last))
                    } else {
                        (ListField::Args, None)
                    }
                }
                Some(t) => (t.field, Some(t.index - 1)),
                None => {
                    let command_len = rc.command.len();
                    if !rc.has_args && command_len > 0 {
                        (ListField::Command, Some(command_len - 1))
                    } else {
                        let n = args_len(&rc);
                        (ListField::Args, n.checked_sub(1))
                    }
                }
            },
        };
        let where_ = field.key();
        for f in &to_add {
            plan.changes.push(format!("{where_}: add {f}"));
        }
        plan.ops.push(Op::Insert {
            field,
            after,
            values: to_add.into_iter().map(Value::String).collect(),
        });
    }

    // --- volumes and mounts ---
    let volumes = &rc.volumes;
    let mounts = &rc.mounts;
    let mut wanted = vec![(
        AUTH_VOLUME_NAME,
        desired.auth_secret_name.as_str(),
        desired.auth_mount_path.as_str(),
    )];
    if let Some(t) = &desired.tls {
        wanted.push((
            TLS_VOLUME_NAME,
            t.secret_name.as_str(),
            t.mount_path.as_str(),
        ));
    }
    let mut new_volumes = Vec::new();
    let mut new_mounts = Vec::new();
    for (_, _, path) in &wanted {
        if let Some(why) = shared_mount_path(path) {
            plan.notes.push(format!(
                "mount path {path} {why}; a Secret mounted there hides what the image keeps in it: use a dedicated directory such as /var/tmp/auth-secret"
            ));
        }
        for m in mounts {
            let (Some(other), Some(name)) = (m.mount_path, m.name) else {
                continue;
            };
            let ours = wanted
                .iter()
                .any(|(n, _, p)| *n == name || same_path(p, other));
            let ours = ours
                || volumes.iter().any(|v| {
                    v.name == Some(name)
                        && wanted.iter().any(|(_, s, _)| v.secret_name() == Some(*s))
                });
            if !ours && nested_paths(path, other) {
                plan.notes.push(format!(
                    "mount path {path} overlaps the existing mount {other} (volume {name}); give the Secret a directory of its own"
                ));
            }
        }
    }
    for (default_name, secret, path) in wanted {
        // The volume: one that already holds this Secret, else ours by name.
        let existing = volumes
            .iter()
            .position(|v| v.secret_name() == Some(secret))
            .or_else(|| volumes.iter().position(|v| v.name == Some(default_name)));
        let vol_name = match existing {
            Some(i) => {
                let v = &volumes[i];
                let name = v.name.unwrap_or(default_name).to_string();
                if v.secret_name() != Some(secret) {
                    plan.ops.push(Op::Replace {
                        field: ListField::Volumes,
                        index: i,
                        value: secret_volume(&name, secret),
                    });
                    plan.changes
                        .push(format!("volumes: volume {name} now holds Secret {secret}"));
                }
                name
            }
            None => {
                new_volumes.push(secret_volume(default_name, secret));
                plan.changes
                    .push(format!("volumes: add {default_name} (Secret {secret})"));
                default_name.to_string()
            }
        };
        // The mount: by volume name, else whatever sits on the path.
        let existing = mounts
            .iter()
            .position(|m| m.name == Some(vol_name.as_str()))
            .or_else(|| {
                mounts
                    .iter()
                    .position(|m| m.mount_path.is_some_and(|p| same_path(p, path)))
            });
        match existing {
            Some(i) => {
                let m = &mounts[i];
                let ok = m.name == Some(vol_name.as_str())
                    && m.mount_path.is_some_and(|p| same_path(p, path))
                    && m.read_only
                    && m.raw.get("subPath").is_none();
                if !ok {
                    let mut obj = m.raw.as_object().cloned().unwrap_or_default();
                    obj.remove("subPath");
                    obj.insert("name".into(), Value::String(vol_name.clone()));
                    obj.insert("mountPath".into(), Value::String(path.to_string()));
                    obj.insert("readOnly".into(), Value::Bool(true));
                    plan.ops.push(Op::Replace {
                        field: ListField::VolumeMounts,
                        index: i,
                        value: Value::Object(obj),
                    });
                    plan.changes.push(format!(
                        "volumeMounts: mount {vol_name} read-only on {path}"
                    ));
                }
            }
            None => {
                new_mounts.push(mount_value(&vol_name, path));
                plan.changes.push(format!(
                    "volumeMounts: add {vol_name} on {path} (read-only)"
                ));
            }
        }
    }
    if !new_mounts.is_empty() {
        plan.ops.push(Op::Insert {
            field: ListField::VolumeMounts,
            after: mounts.len().checked_sub(1),
            values: new_mounts,
        });
    }
    if !new_volumes.is_empty() {
        plan.ops.push(Op::Insert {
            field: ListField::Volumes,
            after: volumes.len().checked_sub(1),
            values: new_volumes,
        });
    }
    Ok(plan)
}

/// Why a directory is a bad place for a Secret mount, if it is.
pub fn shared_mount_path(path: &str) -> Option<&'static str> {
    let p = path.trim_end_matches('/');
    match p {
        "" => Some("is the root directory"),
        "/tmp" | "/var/tmp" => Some("is a shared scratch directory"),
        "/etc" | "/var" | "/usr" | "/bin" | "/sbin" | "/lib" | "/opt" | "/run" | "/dev"
        | "/proc" | "/sys" | "/home" | "/root" | "/home/nonroot" => {
            Some("is a system or home directory")
        }
        _ => None,
    }
}

/// Whether one path is the other, or inside it.
fn nested_paths(a: &str, b: &str) -> bool {
    let a = format!("{}/", a.trim_end_matches('/'));
    let b = format!("{}/", b.trim_end_matches('/'));
    a.starts_with(&b) || b.starts_with(&a)
}

fn same_value(name: &str, a: &str, b: &str) -> bool {
    if name == TLS_SECRET_PATH || name == REGISTRY_AUTH_SECRET_PATH {
        same_path(a, b)
    } else {
        a == b
    }
}

/// Plan the removal: take out the private-registry flags (current and late-2024 names), and
/// the Secret volumes and mounts they use; leave the rest alone.
pub fn plan_remove(deployment: &Value, target: &Target, desired: &DesiredConfig) -> Result<Plan> {
    let (ci, _) = the_container(deployment, target)?;
    let mut plan = Plan {
        container_index: ci,
        ..Plan::default()
    };
    let rc = container_model(deployment, ci, target)?;
    let tokens = rc.tokens.clone();
    let occ = scan(&tokens);
    let ours = |name: &str| {
        flags::PRIVATE_REGISTRY_FLAGS.contains(&name)
            || flags::LEGACY_PRIVATE_REGISTRY_FLAGS.contains(&name)
    };
    let mut removed: Vec<usize> = Vec::new();
    let mut flag_paths: Vec<String> = Vec::new();
    for o in occ.iter().filter(|o| ours(&o.name)) {
        removed.push(o.pos);
        let mut shown = tokens[o.pos].text.clone();
        if let Some(vp) = o.value_pos {
            removed.push(vp);
            shown = format!("{shown} {}", tokens[vp].text);
        }
        let value = o
            .eq_value
            .clone()
            .or_else(|| o.value_pos.map(|vp| tokens[vp].text.clone()));
        if let Some(v) = value {
            if o.name == REGISTRY_AUTH_SECRET_PATH {
                flag_paths.push(
                    v.rsplit_once('/')
                        .map(|(d, _)| d.to_string())
                        .unwrap_or_default(),
                );
            } else if o.name == TLS_SECRET_PATH {
                flag_paths.push(v);
            }
        }
        plan.changes
            .push(format!("{}: remove {shown}", tokens[o.pos].field.key()));
    }
    removed.sort_unstable();
    removed.dedup();
    // Remove by list; a list left empty loses its key.
    for field in [ListField::Command, ListField::Args] {
        let idx: Vec<usize> = removed
            .iter()
            .filter(|p| tokens[**p].field == field)
            .map(|p| tokens[*p].index)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let len = match field {
            ListField::Command => rc.command.len(),
            _ => args_len(&rc),
        };
        if field == ListField::Args && idx.len() == len {
            plan.ops.push(Op::RemoveKey { field });
        } else {
            plan.ops
                .extend(idx.into_iter().map(|index| Op::Remove { field, index }));
        }
    }

    // Secret volumes that are ours: by Secret name, by our volume names, or mounted where the
    // flags pointed.
    let tls_secret = desired
        .tls
        .as_ref()
        .map(|t| t.secret_name.clone())
        .unwrap_or_else(|| DEFAULT_TLS_SECRET_NAME.to_string());
    let tls_path = desired
        .tls
        .as_ref()
        .map(|t| t.mount_path.clone())
        .unwrap_or_else(|| DEFAULT_TLS_MOUNT_PATH.to_string());
    let mut paths = vec![desired.auth_mount_path.clone(), tls_path];
    paths.extend(flag_paths);
    let volumes = &rc.volumes;
    let mounts = &rc.mounts;
    let mut our_volumes: Vec<String> = Vec::new();
    for v in volumes {
        let Some(secret) = v.secret_name() else {
            continue;
        };
        let name = v.name.unwrap_or("");
        let mounted_on_our_path = mounts.iter().any(|m| {
            m.name == Some(name)
                && m.mount_path
                    .is_some_and(|p| paths.iter().any(|q| same_path(p, q)))
        });
        if secret == desired.auth_secret_name
            || secret == tls_secret
            || name == AUTH_VOLUME_NAME
            || name == TLS_VOLUME_NAME
            || mounted_on_our_path
        {
            our_volumes.push(name.to_string());
        }
    }
    // Keep a volume that another container still mounts.
    let others_use = |name: &str| rc.other_mounted.contains(&name);
    let mount_idx: Vec<usize> = mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| m.name.is_some_and(|n| our_volumes.iter().any(|o| o == n)))
        .map(|(i, _)| i)
        .collect();
    for &i in &mount_idx {
        plan.changes.push(format!(
            "volumeMounts: remove {} ({})",
            mounts[i].name.unwrap_or(""),
            mounts[i].mount_path.unwrap_or("")
        ));
    }
    if !mount_idx.is_empty() {
        if mount_idx.len() == mounts.len() {
            plan.ops.push(Op::RemoveKey {
                field: ListField::VolumeMounts,
            });
        } else {
            plan.ops
                .extend(mount_idx.into_iter().map(|index| Op::Remove {
                    field: ListField::VolumeMounts,
                    index,
                }));
        }
    }
    let vol_idx: Vec<usize> = volumes
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            v.name
                .is_some_and(|n| our_volumes.iter().any(|o| o == n) && !others_use(n))
        })
        .map(|(i, _)| i)
        .collect();
    for &i in &vol_idx {
        plan.changes.push(format!(
            "volumes: remove {} (Secret {})",
            volumes[i].name.unwrap_or(""),
            volumes[i].secret_name().unwrap_or("")
        ));
    }
    if !vol_idx.is_empty() {
        if vol_idx.len() == volumes.len() {
            plan.ops.push(Op::RemoveKey {
                field: ListField::Volumes,
            });
        } else {
            plan.ops.extend(vol_idx.into_iter().map(|index| Op::Remove {
                field: ListField::Volumes,
                index,
            }));
        }
    }
    Ok(plan)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The CLI defaults (shared with the manifest editor's tests).
    pub(crate) fn desired(tls: bool) -> DesiredConfig {
        DesiredConfig {
            auth_secret_name: "registry-auth-secret".into(),
            auth_mount_path: "/var/tmp/auth-secret".into(),
            registry_auth_secret_name: "registry-auth-secret".into(),
            tls: tls.then(|| TlsConfig {
                secret_name: "registry-tls-secret".into(),
                mount_path: "/var/tmp/tls-secret".into(),
            }),
        }
    }

    pub(crate) fn target() -> Target {
        Target {
            deployment: "function-runner".into(),
            container: "function-runner".into(),
        }
    }

    fn catalog() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "function-runner", "namespace": "porch-system"},
            "spec": {"template": {"spec": {
                "containers": [{
                    "name": "function-runner",
                    "command": ["/home/nonroot/server", "--config=/home/nonroot/config.yaml",
                                "--functions=/home/nonroot/functions", "--pod-namespace=porch-fn-system"],
                    "volumeMounts": [{"mountPath": "/pod-cache-config", "name": "pod-cache-config-volume"}]
                }],
                "volumes": [{"name": "pod-cache-config-volume", "configMap": {"name": "pod-cache-config"}}]
            }}}
        })
    }

    fn apply(d: &Value, plan: &Plan) -> Value {
        let mut d = d.clone();
        plan.apply_to_value(&mut d).unwrap();
        d
    }

    #[test]
    fn patch_adds_flags_after_the_existing_ones_and_is_idempotent() {
        let d = catalog();
        let plan = plan_patch(&d, &target(), &desired(true)).unwrap();
        let out = apply(&d, &plan);
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["command"],
            json!([
                "/home/nonroot/server",
                "--config=/home/nonroot/config.yaml",
                "--functions=/home/nonroot/functions",
                "--pod-namespace=porch-fn-system",
                "--enable-private-registries=true",
                "--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson",
                "--registry-auth-secret-name=registry-auth-secret",
                "--enable-private-registries-tls=true",
                "--tls-secret-path=/var/tmp/tls-secret"
            ])
        );
        assert!(c.get("args").is_none());
        assert_eq!(
            c["volumeMounts"][1],
            json!({"name": "docker-config", "mountPath": "/var/tmp/auth-secret", "readOnly": true})
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["volumes"][2],
            json!({"name": "tls-registry-config", "secret": {"secretName": "registry-tls-secret"}})
        );
        let again = plan_patch(&out, &target(), &desired(true)).unwrap();
        assert!(again.is_empty(), "{:?}", again);
        // And remove goes back to the original.
        let removal = plan_remove(&out, &target(), &desired(true)).unwrap();
        assert_eq!(apply(&out, &removal), d);
    }

    #[test]
    fn bool_with_space_is_rewritten_and_separate_values_updated_in_place() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"][0]["args"] = json!([
            "--enable-private-registries",
            "true",
            "--registry-auth-secret-path",
            "/old/.dockerconfigjson",
            "--warm-up-pod-cache",
            "false"
        ]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["args"],
            json!([
                "--enable-private-registries=true",
                "--registry-auth-secret-path",
                "/var/tmp/auth-secret/.dockerconfigjson",
                "--warm-up-pod-cache=false",
                "--registry-auth-secret-name=registry-auth-secret"
            ])
        );
        let (_, go) = container_go_args(c);
        assert!(go.stop.is_none());
        assert!(go.is_true(ENABLE_PRIVATE_REGISTRIES));
        assert!(
            plan_patch(&out, &target(), &desired(false))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn legacy_names_are_replaced_and_duplicates_dropped() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"][0]["args"] = json!([
            "--enable-private-registry=true",
            "--registry-auth-secret-name=a",
            "--registry-auth-secret-name=b"
        ]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let args = &out["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(args[0], "--enable-private-registries=true");
        assert_eq!(args[1], "--registry-auth-secret-name=registry-auth-secret");
        assert_eq!(args.as_array().unwrap().len(), 3);
    }

    #[test]
    fn flag_and_value_in_one_item_is_rewritten() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"][0]["args"] = json!([
            "--enable-private-registries true",
            "--registry-auth-secret-path /x/.dockerconfigjson"
        ]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["args"][0], "--enable-private-registries=true");
        assert_eq!(
            c["args"][1],
            "--registry-auth-secret-path=/var/tmp/auth-secret/.dockerconfigjson"
        );
        let (_, go) = container_go_args(c);
        assert!(!go.exits(), "{go:?}");
        // remove takes the one-item forms out too
        let back = apply(&d, &plan_remove(&d, &target(), &desired(false)).unwrap());
        assert!(
            back["spec"]["template"]["spec"]["containers"][0]
                .get("args")
                .is_none()
        );
    }

    #[test]
    fn new_flags_go_before_a_positional_where_go_still_reads_them() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"][0]["command"] =
            json!(["/server", "--config=/c", "serve", "--functions=/f"]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["command"][2], "--enable-private-registries=true");
        assert_eq!(c["command"][5], "serve");
        let (_, go) = container_go_args(c);
        assert!(go.is_true(ENABLE_PRIVATE_REGISTRIES));
        assert_eq!(
            go.get(REGISTRY_AUTH_SECRET_NAME).unwrap().value,
            "registry-auth-secret"
        );
        // Only positionals: the flags go in front of them.
        let mut d = catalog();
        let c = &mut d["spec"]["template"]["spec"]["containers"][0];
        c.as_object_mut().unwrap().remove("command");
        c["args"] = json!(["serve"]);
        let out = apply(&d, &plan_patch(&d, &target(), &desired(false)).unwrap());
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["args"][3], "serve");
        assert!(container_go_args(c).1.is_true(ENABLE_PRIVATE_REGISTRIES));
    }

    #[test]
    fn legacy_tls_name_is_renamed_even_without_tls() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"][0]["args"] =
            json!(["--enable-tls-registry", "true", "--port=1"]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let c = &out["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["args"][0], "--enable-private-registries-tls=true");
        assert_eq!(c["args"][1], "--port=1");
        let (_, go) = container_go_args(c);
        assert!(!go.exits() && go.stop.is_none(), "{go:?}");
        assert!(
            plan_patch(&out, &target(), &desired(false))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn no_flags_at_all_creates_args_or_extends_command() {
        let mut d = catalog();
        let c = &mut d["spec"]["template"]["spec"]["containers"][0];
        c.as_object_mut().unwrap().remove("command");
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["args"][0],
            "--enable-private-registries=true"
        );
        let back = apply(
            &out,
            &plan_remove(&out, &target(), &desired(false)).unwrap(),
        );
        assert_eq!(back, d);
    }

    #[test]
    fn container_choice_errors() {
        let mut d = catalog();
        d["spec"]["template"]["spec"]["containers"] = json!([{"name": "a"}, {"name": "b"}]);
        let e = plan_patch(&d, &target(), &desired(false)).unwrap_err();
        assert!(
            e.to_string().contains("2 candidate containers (a, b)"),
            "{e}"
        );
        d["spec"]["template"]["spec"]["containers"] =
            json!([{"name": "function-runner"}, {"name": "function-runner"}]);
        let e = plan_patch(&d, &target(), &desired(false)).unwrap_err();
        assert!(e.to_string().contains("two containers are named"), "{e}");
    }

    #[test]
    fn existing_mount_on_the_path_is_reused_and_fixed() {
        let mut d = catalog();
        let spec = &mut d["spec"]["template"]["spec"];
        spec["volumes"] =
            json!([{"name": "creds", "secret": {"secretName": "registry-auth-secret"}}]);
        spec["containers"][0]["volumeMounts"] =
            json!([{"name": "creds", "mountPath": "/var/tmp/auth-secret/"}]);
        let plan = plan_patch(&d, &target(), &desired(false)).unwrap();
        let out = apply(&d, &plan);
        let spec = &out["spec"]["template"]["spec"];
        assert_eq!(spec["volumes"].as_array().unwrap().len(), 1);
        assert_eq!(
            spec["containers"][0]["volumeMounts"],
            json!([{"name": "creds", "mountPath": "/var/tmp/auth-secret", "readOnly": true}])
        );
    }

    #[test]
    fn shared_or_overlapping_mount_paths_are_noted() {
        let mut want = desired(false);
        want.auth_mount_path = "/var/tmp".into();
        let plan = plan_patch(&catalog(), &target(), &want).unwrap();
        assert!(
            plan.notes[0].contains("shared scratch directory"),
            "{:?}",
            plan.notes
        );
        let mut want = desired(false);
        want.auth_mount_path = "/pod-cache-config/auth".into();
        let plan = plan_patch(&catalog(), &target(), &want).unwrap();
        assert!(
            plan.notes[0].contains("overlaps the existing mount /pod-cache-config"),
            "{:?}",
            plan.notes
        );
        assert!(
            plan_patch(&catalog(), &target(), &desired(true))
                .unwrap()
                .notes
                .is_empty()
        );
    }

    #[test]
    fn validate_rejects_bad_paths() {
        let mut d = desired(true);
        d.auth_mount_path = "var/tmp".into();
        assert!(d.validate().is_err());
        let mut d = desired(true);
        d.tls.as_mut().unwrap().mount_path = "/var/tmp/auth-secret/".into();
        assert!(d.validate().is_err());
    }
}
