//! The runner container as the lint sees it: argv, mounts, volumes, and the Secrets they name.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::{LintContext, object_name};
pub use crate::runner::container::VolumeSource;
use crate::runner::container::{self, LocateError, RunnerContainer};
use crate::runner::flags::{ParsedFlag, Stop, parse_go_args};

/// Where the runner's Deployment and container are among the objects.
#[derive(Debug, Clone, Copy)]
pub struct RunnerLocation {
    pub index: usize,
    pub container: usize,
}

/// Why the runner cannot be found among the objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunnerLocateError {
    #[error("no Deployment named \"{name}\" (namespace {namespace}) among the objects")]
    NoDeployment { name: String, namespace: String },
    #[error("{object} has no container named \"{container}\" (it has: {have})")]
    NoContainer {
        object: String,
        index: usize,
        container: String,
        have: String,
    },
}

impl RunnerLocateError {
    pub fn object(&self) -> String {
        match self {
            RunnerLocateError::NoDeployment { name, namespace } => {
                format!("Deployment/{namespace}/{name}")
            }
            RunnerLocateError::NoContainer { object, .. } => object.clone(),
        }
    }
    pub fn index(&self) -> Option<usize> {
        match self {
            RunnerLocateError::NoDeployment { .. } => None,
            RunnerLocateError::NoContainer { index, .. } => Some(*index),
        }
    }
    pub fn fix(&self) -> String {
        match self {
            RunnerLocateError::NoDeployment { .. } => {
                "include the function-runner Deployment, or name it with --deployment and -n".into()
            }
            RunnerLocateError::NoContainer { .. } => {
                "name the runner container with --container".into()
            }
        }
    }
}

fn meta_str<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(key)?.as_str()
}

pub fn kind_is(obj: &Value, kind: &str) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some(kind)
}

/// Find the runner Deployment (name, and namespace when the manifest has one) and container
/// (by name; a Deployment with a single container is taken whatever its name).
pub fn locate_runner(
    objects: &[Value],
    ctx: &LintContext,
) -> Result<RunnerLocation, RunnerLocateError> {
    let candidates: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            kind_is(o, "Deployment") && meta_str(o, "name") == Some(ctx.deployment.as_str())
        })
        .map(|(i, _)| i)
        .collect();
    let index = candidates
        .iter()
        .copied()
        .find(|&i| meta_str(&objects[i], "namespace") == Some(ctx.namespace.as_str()))
        .or_else(|| {
            candidates.iter().copied().find(|&i| {
                meta_str(&objects[i], "namespace")
                    .map(str::is_empty)
                    .unwrap_or(true)
            })
        })
        .ok_or_else(|| RunnerLocateError::NoDeployment {
            name: ctx.deployment.clone(),
            namespace: ctx.namespace.clone(),
        })?;
    let dep = &objects[index];
    let container = match container::locate(dep, &ctx.container) {
        Ok((i, _)) => i,
        // The lint reads the first of several same-named containers (the plan refuses them).
        Err(LocateError::SameName { indexes }) => indexes[0],
        Err(e) => {
            let names = match e {
                LocateError::NoneNamed { names } => names,
                _ => Vec::new(),
            };
            return Err(RunnerLocateError::NoContainer {
                object: object_name(dep),
                index,
                container: ctx.container.clone(),
                have: if names.is_empty() {
                    "none".into()
                } else {
                    names.join(", ")
                },
            });
        }
    };
    Ok(RunnerLocation { index, container })
}

/// A volumeMount of the runner container.
#[derive(Debug, Clone)]
pub struct Mount {
    pub name: String,
    /// Normalised: no trailing `/` (except `/`), no `//`.
    pub path: String,
    pub raw_path: String,
    pub sub_path: Option<String>,
    pub field: String,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub source: VolumeSource,
    pub field: String,
}

/// The runner container, ready for rules.
#[derive(Clone)]
pub struct Runner<'a> {
    _objects: std::marker::PhantomData<&'a Value>,
    pub index: usize,
    pub object: String,
    /// The namespace the Deployment lives in (its own, else the context's).
    pub namespace: String,
    pub container_field: String,
    /// `command[0]` when `command:` is set (the binary).
    pub binary: Option<String>,
    /// The container image, if set.
    pub image: Option<String>,
    /// The field path of each token of the argv Go's flag package sees.
    pub argv_fields: Vec<String>,
    /// The list the runner's flags are in (`...containers[i].command` for catalog
    /// manifests, `...args` for the docs' form): where findings about a missing or wrong
    /// flag point.
    pub flags_field: String,
    /// The argv could not be modelled (a shell wraps the runner).
    pub shell: bool,
    pub flags: ArgvModel,
    pub mounts: Vec<Mount>,
    pub volumes: Vec<Volume>,
    /// Other containers' mounts (volume names), to tell unused volumes.
    pub other_mounted: Vec<String>,
}

/// Normalise a path: collapse `//`, drop a trailing `/` (except for `/`), drop `.` parts.
pub fn norm_path(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if p.starts_with('/') {
        format!("/{}", parts.join("/"))
    } else {
        parts.join("/")
    }
}

/// `a` is `b` or a directory above `b` (both normalised, absolute).
pub fn is_ancestor_or_equal(a: &str, b: &str) -> bool {
    if a == b || a == "/" {
        return true;
    }
    b.strip_prefix(a).is_some_and(|rest| rest.starts_with('/'))
}

/// The parent directory of a normalised absolute path.
pub fn parent(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].into(),
    }
}

impl<'a> Runner<'a> {
    /// A finding about the runner's Deployment, pointing at `field` inside it.
    pub fn finding(
        &self,
        severity: super::Severity,
        rule: &'static str,
        field: &str,
        message: String,
        fix: String,
    ) -> super::Finding {
        super::Finding {
            severity,
            rule,
            object: self.object.clone(),
            message,
            fix,
            object_index: Some(self.index),
            field: Some(field.to_string()),
        }
    }
    /// The lint's view of the runner container (read through the one container model);
    /// `None` when the location does not hold a container.
    pub fn build(
        objects: &'a [Value],
        loc: RunnerLocation,
        ctx: &LintContext,
    ) -> Option<Runner<'a>> {
        let dep = &objects[loc.index];
        let c = RunnerContainer::at(dep, loc.container)?;
        let container_field = c.field.clone();
        let argv = c.argv();
        let argv_fields = c.token_fields();
        let shell = c.shell_wrapped();
        let flags = ArgvModel::parse(if shell { &[] } else { &argv });
        let flags_field = format!(
            "{container_field}.{}",
            c.flags_list(flags.flags.iter().map(|f| f.index)).key()
        );
        let mounts = c
            .mounts
            .iter()
            .map(|m| {
                let raw = m.mount_path.unwrap_or("").to_string();
                Mount {
                    name: m.name.unwrap_or("").to_string(),
                    path: norm_path(&raw),
                    raw_path: raw,
                    sub_path: m.sub_path.map(str::to_string),
                    field: format!("{container_field}.volumeMounts[{}]", m.index),
                }
            })
            .collect();
        let volumes = c
            .volumes
            .iter()
            .map(|v| Volume {
                name: v.name.unwrap_or("").to_string(),
                source: match &v.source {
                    // Paths inside the mount, normalised like every path the rules compare.
                    VolumeSource::Secret { secret_name, items } => VolumeSource::Secret {
                        secret_name: secret_name.clone(),
                        items: items.as_ref().map(|items| {
                            items
                                .iter()
                                .map(|(k, p)| (k.clone(), norm_path(p)))
                                .collect()
                        }),
                    },
                    other => other.clone(),
                },
                field: format!("spec.template.spec.volumes[{}]", v.index),
            })
            .collect();
        Some(Runner {
            _objects: std::marker::PhantomData,
            index: loc.index,
            object: object_name(dep),
            namespace: meta_str(dep, "namespace")
                .filter(|s| !s.is_empty())
                .unwrap_or(&ctx.namespace)
                .to_string(),
            container_field,
            binary: c.binary().map(str::to_string),
            image: c.image.map(str::to_string),
            argv_fields,
            flags_field,
            shell,
            flags,
            mounts,
            volumes,
            other_mounted: c.other_mounted.iter().map(|n| n.to_string()).collect(),
        })
    }

    /// The runner as it would be once the first `--bool-flag true` parse stop is written
    /// `--bool-flag=true`, with the text of that stop: what the user meets next. `None` when
    /// Go's parsing does not stop at a boolean word.
    pub fn past_bool_stop(&self) -> Option<(Runner<'a>, String)> {
        let Some(Stop::Positional {
            index,
            after_bool_flag: Some(flag_index),
        }) = &self.flags.stop
        else {
            return None;
        };
        let (index, flag_index) = (*index, *flag_index);
        let word = self.flags.tokens.get(index)?.clone();
        let flag = self.flags.tokens.get(flag_index)?.clone();
        let mut tokens = self.flags.tokens.clone();
        let mut fields = self.argv_fields.clone();
        tokens[flag_index] = format!("{flag}={word}");
        tokens.remove(index);
        fields.remove(index);
        let mut next = self.clone();
        next.flags = ArgvModel::parse(&tokens);
        next.argv_fields = fields;
        Some((next, format!("{flag} {word}")))
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.iter().find(|v| v.name == name)
    }

    /// The deepest mount that holds `path` (a subPath mount only holds exactly its path).
    pub fn mount_holding(&self, path: &str) -> Option<&Mount> {
        let path = norm_path(path);
        self.mounts
            .iter()
            .filter(|m| {
                if m.sub_path.is_some() {
                    m.path == path
                } else {
                    is_ancestor_or_equal(&m.path, &path)
                }
            })
            .max_by_key(|m| m.path.len())
    }
}

/// A Secret among the objects.
#[derive(Debug, Clone, Copy)]
pub struct SecretObj<'a> {
    pub index: usize,
    pub value: &'a Value,
}

impl<'a> SecretObj<'a> {
    pub fn object(&self) -> String {
        object_name(self.value)
    }
    pub fn name(&self) -> &'a str {
        meta_str(self.value, "name").unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&'a str> {
        meta_str(self.value, "namespace").filter(|s| !s.is_empty())
    }
    pub fn type_(&self) -> &'a str {
        self.value
            .get("type")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or("Opaque")
    }
    /// Key names in `data` and `stringData`.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for field in ["data", "stringData"] {
            if let Some(m) = self.value.get(field).and_then(Value::as_object) {
                for k in m.keys() {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
        }
        keys.sort();
        keys
    }
    pub fn has_key(&self, key: &str) -> bool {
        ["data", "stringData"]
            .iter()
            .any(|f| self.value.get(*f).and_then(|m| m.get(key)).is_some())
    }
    /// The bytes of a key: `stringData` wins over `data` (as the API server does).
    /// `Err(())` when `data` holds something that is not base64.
    pub fn bytes(&self, key: &str) -> Option<Result<Vec<u8>, ()>> {
        if let Some(v) = self.value.get("stringData").and_then(|m| m.get(key)) {
            return Some(Ok(v.as_str().unwrap_or("").as_bytes().to_vec()));
        }
        let v = self.value.get("data").and_then(|m| m.get(key))?;
        let s = match v {
            Value::String(s) => s,
            Value::Null => return Some(Ok(Vec::new())),
            _ => return Some(Err(())),
        };
        let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        Some(
            base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .map_err(|_| ()),
        )
    }
}

/// All Secrets among the objects.
pub fn secrets(objects: &[Value]) -> Vec<SecretObj<'_>> {
    objects
        .iter()
        .enumerate()
        .filter(|(_, o)| kind_is(o, "Secret"))
        .map(|(index, value)| SecretObj { index, value })
        .collect()
}

/// How a Secret named by a volume was found.
pub enum SecretLookup<'a> {
    /// In the runner's namespace (or with no namespace in the manifest).
    Found(SecretObj<'a>),
    /// Only in other namespaces.
    WrongNamespace(SecretObj<'a>),
    Missing,
}

pub fn find_secret<'a>(objects: &'a [Value], name: &str, namespace: &str) -> SecretLookup<'a> {
    let all: Vec<SecretObj<'a>> = secrets(objects)
        .into_iter()
        .filter(|s| s.name() == name)
        .collect();
    if let Some(s) = all
        .iter()
        .find(|s| s.namespace().is_none_or(|ns| ns == namespace))
    {
        return SecretLookup::Found(*s);
    }
    match all.first() {
        Some(s) => SecretLookup::WrongNamespace(*s),
        None => SecretLookup::Missing,
    }
}

/// The files a Secret volume shows inside its mount: path (relative) -> key.
/// `None` when the Secret's content is unknown.
pub fn files_in_secret_mount(
    items: &Option<Vec<(String, String)>>,
    secret: Option<&SecretObj<'_>>,
) -> Option<BTreeMap<String, String>> {
    match items {
        Some(items) => Some(items.iter().map(|(k, p)| (p.clone(), k.clone())).collect()),
        None => secret.map(|s| s.keys().into_iter().map(|k| (k.clone(), k)).collect()),
    }
}

/// What Go's flag package makes of the runner's argv, with every start-up failure listed (Go
/// exits at the first one; the lint reports them all, as if each earlier one were fixed).
#[derive(Debug, Clone, Default)]
pub struct ArgvModel {
    pub tokens: Vec<String>,
    /// Flags Go parses before the stop (indices into `tokens`).
    pub flags: Vec<ParsedFlag>,
    /// Tokens that make the binary exit at start-up: (index, Go's message).
    pub exits: Vec<(usize, String)>,
    /// A positional argument or `--` that ends parsing (never an exit).
    pub stop: Option<Stop>,
    /// Flag-looking tokens after the stop: silently ignored.
    pub ignored: Vec<(usize, String)>,
}

impl ArgvModel {
    pub fn parse(tokens: &[String]) -> ArgvModel {
        let mut m = ArgvModel {
            tokens: tokens.to_vec(),
            ..ArgvModel::default()
        };
        let mut start = 0;
        while start < tokens.len() {
            let g = parse_go_args(&tokens[start..]);
            let shift = |mut f: ParsedFlag| {
                f.index += start;
                f.value_index = f.value_index.map(|v| v + start);
                f
            };
            m.flags.extend(g.flags.into_iter().map(shift));
            match g.stop {
                Some(Stop::Exit { index, message }) => {
                    m.exits.push((start + index, message));
                    start += index + 1;
                }
                Some(Stop::Positional {
                    index,
                    after_bool_flag,
                }) => {
                    m.stop = Some(Stop::Positional {
                        index: index + start,
                        after_bool_flag: after_bool_flag.map(|i| i + start),
                    });
                    m.ignored = g
                        .ignored_flags
                        .into_iter()
                        .map(|(i, t)| (i + start, t))
                        .collect();
                    break;
                }
                Some(Stop::Terminator { index }) => {
                    m.stop = Some(Stop::Terminator {
                        index: index + start,
                    });
                    m.ignored = g
                        .ignored_flags
                        .into_iter()
                        .map(|(i, t)| (i + start, t))
                        .collect();
                    break;
                }
                None => break,
            }
        }
        m
    }

    /// The value Go ends up with (last occurrence before the stop), if the flag is given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    }
}
