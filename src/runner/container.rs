//! THE model of the runner container, read once from a Deployment and shared by the patch
//! plan (`runner::plan`), the lint (`runner::lint::model`) and the live views
//! (`runner::view`): the argv Go's flag package sees and where each token lives, the
//! container's mounts, the pod's volumes, the service account. Pure: values in, values out.
//!
//! Items keep a reference to their raw value, for the plan's edits that keep every other key.
//! [`locate`] is the one rule for which container of a Deployment is the runner's.

use serde_json::Value;

use crate::runner::flags::{self, GoArgs};

/// Why none of a Deployment's containers is its runner container (see [`locate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocateError {
    /// `spec.template.spec.containers` is missing or not a list.
    NoList,
    /// `spec.template.spec.containers` is empty.
    Empty,
    /// Several containers and none is named as asked; their names (`""` when unnamed).
    NoneNamed { names: Vec<String> },
    /// Several containers have the name asked for (their indexes, in order).
    SameName { indexes: Vec<usize> },
}

impl LocateError {
    /// What is wrong, for an error line (the caller names the Deployment and the fix).
    pub fn describe(&self, name: &str) -> String {
        match self {
            LocateError::NoList => "no spec.template.spec.containers".into(),
            LocateError::Empty => "spec.template.spec.containers is empty".into(),
            LocateError::NoneNamed { names } => format!(
                "{} candidate containers ({}) and none is named {name}",
                names.len(),
                names.join(", ")
            ),
            LocateError::SameName { .. } => format!("two containers are named {name}"),
        }
    }
}

/// THE rule for which container of a Deployment is the runner, shared by the patch plan,
/// the lint, the probe, the ownership reads and the live views (`runner::view`): the container named `name`; when none is, the only container whatever its
/// name; with its index. Only `spec.template.spec.containers` is searched: an initContainer is never the
/// runner, whatever it is named.
pub fn locate<'a>(deployment: &'a Value, name: &str) -> Result<(usize, &'a Value), LocateError> {
    let containers = deployment
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .ok_or(LocateError::NoList)?;
    if containers.is_empty() {
        return Err(LocateError::Empty);
    }
    let names: Vec<&str> = containers
        .iter()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let indexes: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
    match indexes.len() {
        1 => Ok((indexes[0], &containers[indexes[0]])),
        0 if containers.len() == 1 => Ok((0, &containers[0])),
        0 => Err(LocateError::NoneNamed {
            names: names.into_iter().map(String::from).collect(),
        }),
        _ => Err(LocateError::SameName { indexes }),
    }
}

/// The lists of the Deployment a plan edits, and where argv tokens live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListField {
    /// container `command`
    Command,
    /// container `args`
    Args,
    /// container `volumeMounts`
    VolumeMounts,
    /// pod `volumes`
    Volumes,
}

impl ListField {
    pub fn key(self) -> &'static str {
        match self {
            ListField::Command => "command",
            ListField::Args => "args",
            ListField::VolumeMounts => "volumeMounts",
            ListField::Volumes => "volumes",
        }
    }
    /// Whether the list lives in the container (else in the pod spec).
    pub fn in_container(self) -> bool {
        self != ListField::Volumes
    }
}

/// One token of the runner's argument list and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgToken {
    pub field: ListField,
    pub index: usize,
    pub text: String,
}

/// A `volumeMounts` item of the runner container.
#[derive(Debug, Clone)]
pub struct ContainerMount<'a> {
    pub index: usize,
    pub raw: &'a Value,
    pub name: Option<&'a str>,
    /// `mountPath` as written.
    pub mount_path: Option<&'a str>,
    /// A non-empty `subPath`.
    pub sub_path: Option<&'a str>,
    pub read_only: bool,
}

/// What a pod volume is backed by.
#[derive(Debug, Clone)]
pub enum VolumeSource {
    Secret {
        secret_name: Option<String>,
        /// `items`: key -> path inside the mount (as written).
        items: Option<Vec<(String, String)>>,
    },
    ConfigMap(String),
    Other(String),
}

/// A `volumes` item of the pod.
#[derive(Debug, Clone)]
pub struct PodVolume<'a> {
    pub index: usize,
    pub raw: &'a Value,
    pub name: Option<&'a str>,
    pub source: VolumeSource,
}

impl PodVolume<'_> {
    /// `secret.secretName`, when the volume is a Secret volume naming one.
    pub fn secret_name(&self) -> Option<&str> {
        match &self.source {
            VolumeSource::Secret { secret_name, .. } => secret_name.as_deref(),
            _ => None,
        }
    }
}

/// The runner container of a Deployment.
#[derive(Debug, Clone)]
pub struct RunnerContainer<'a> {
    /// Index in `spec.template.spec.containers`.
    pub index: usize,
    pub raw: &'a Value,
    /// `spec.template.spec.containers[i]`.
    pub field: String,
    pub name: Option<&'a str>,
    pub image: Option<&'a str>,
    /// `command` as Kubernetes passes it (`command[0]` is the binary).
    pub command: Vec<String>,
    /// Whether the container has an `args` key (even an empty list).
    pub has_args: bool,
    /// The runner's `os.Args[1:]`: `command[1..]` then `args`.
    pub tokens: Vec<ArgToken>,
    pub mounts: Vec<ContainerMount<'a>>,
    pub volumes: Vec<PodVolume<'a>>,
    /// `serviceAccountName`, `default` when unset.
    pub service_account: String,
    /// Volume names mounted by the pod's other containers and init containers.
    pub other_mounted: Vec<&'a str>,
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A list item as the container runtime gets it (a YAML `null` is Go's empty string).
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The runner's `os.Args[1:]` as Kubernetes builds it: `command[1..]` then `args`; without a
/// `command`, the image's entrypoint runs with `args` (the runner image's entrypoint is the
/// server itself).
pub fn tokens_of(container: &Value) -> Vec<ArgToken> {
    let texts = |key: &str| list(container, key).iter().map(value_text);
    let command = texts("command")
        .enumerate()
        .skip(1)
        .map(|(index, text)| ArgToken {
            field: ListField::Command,
            index,
            text,
        });
    let args = texts("args").enumerate().map(|(index, text)| ArgToken {
        field: ListField::Args,
        index,
        text,
    });
    command.chain(args).collect()
}

fn volume_source(v: &Value) -> VolumeSource {
    if let Some(s) = v.get("secret") {
        let items = s.get("items").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|it| {
                    Some((
                        it.get("key")?.as_str()?.to_string(),
                        it.get("path")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        });
        return VolumeSource::Secret {
            secret_name: str_of(s, "secretName").map(str::to_string),
            items,
        };
    }
    if let Some(cm) = v.get("configMap") {
        return VolumeSource::ConfigMap(str_of(cm, "name").unwrap_or("").to_string());
    }
    let kind = v
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "name").cloned())
        .unwrap_or_else(|| "unknown".into());
    VolumeSource::Other(kind)
}

impl<'a> RunnerContainer<'a> {
    /// The container at `index` of the Deployment's pod template; `None` when there is none.
    pub fn at(deployment: &'a Value, index: usize) -> Option<RunnerContainer<'a>> {
        let pod = deployment.pointer("/spec/template/spec")?;
        let raw = list(pod, "containers").get(index)?;
        let mounts = list(raw, "volumeMounts")
            .iter()
            .enumerate()
            .map(|(index, m)| ContainerMount {
                index,
                raw: m,
                name: str_of(m, "name"),
                mount_path: str_of(m, "mountPath"),
                sub_path: str_of(m, "subPath").filter(|s| !s.is_empty()),
                read_only: m.get("readOnly").and_then(Value::as_bool).unwrap_or(false),
            })
            .collect();
        let volumes = list(pod, "volumes")
            .iter()
            .enumerate()
            .map(|(index, v)| PodVolume {
                index,
                raw: v,
                name: str_of(v, "name"),
                source: volume_source(v),
            })
            .collect();
        let others = list(pod, "containers")
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, c)| c)
            .chain(list(pod, "initContainers"));
        let other_mounted = others
            .flat_map(|c| list(c, "volumeMounts"))
            .filter_map(|m| str_of(m, "name"))
            .collect();
        Some(RunnerContainer {
            index,
            raw,
            field: format!("spec.template.spec.containers[{index}]"),
            name: str_of(raw, "name"),
            image: str_of(raw, "image"),
            command: list(raw, "command").iter().map(value_text).collect(),
            has_args: raw.get("args").is_some(),
            tokens: tokens_of(raw),
            mounts,
            volumes,
            service_account: str_of(pod, "serviceAccountName")
                .unwrap_or("default")
                .to_string(),
            other_mounted,
        })
    }

    /// The runner container of a Deployment, found by THE rule ([`locate`]).
    pub fn find(deployment: &'a Value, name: &str) -> Result<RunnerContainer<'a>, LocateError> {
        let (index, _) = locate(deployment, name)?;
        // `locate` found a container at `index`: `at` reads the same list.
        RunnerContainer::at(deployment, index).ok_or(LocateError::NoList)
    }

    /// `command[0]`, the binary, when `command:` is set.
    pub fn binary(&self) -> Option<&str> {
        self.command.first().map(String::as_str)
    }

    /// A shell (or `env`) wraps the runner: its argv cannot be modelled.
    pub fn shell_wrapped(&self) -> bool {
        self.binary().is_some_and(|b| {
            let base = b.rsplit('/').next().unwrap_or(b);
            matches!(
                base,
                "sh" | "bash" | "ash" | "dash" | "zsh" | "busybox" | "env"
            )
        })
    }

    /// The argv texts.
    pub fn argv(&self) -> Vec<String> {
        self.tokens.iter().map(|t| t.text.clone()).collect()
    }

    /// The field path of each argv token (`...containers[0].command[3]`).
    pub fn token_fields(&self) -> Vec<String> {
        self.tokens
            .iter()
            .map(|t| format!("{}.{}[{}]", self.field, t.field.key(), t.index))
            .collect()
    }

    /// What Go's flag package makes of the argv.
    pub fn go_args(&self) -> GoArgs {
        flags::parse_go_args(&self.argv())
    }

    /// The list holding the runner's flags: that of the last flag Go parses (`parsed`: token
    /// indexes), else of the first argument; with no argument at all, `command` when only it
    /// is set.
    pub fn flags_list(&self, parsed: impl IntoIterator<Item = usize>) -> ListField {
        match parsed.into_iter().max().and_then(|i| self.tokens.get(i)) {
            Some(t) => t.field,
            None => match self.tokens.first() {
                Some(t) => t.field,
                None if !self.has_args && !self.command.is_empty() => ListField::Command,
                None => ListField::Args,
            },
        }
    }

    /// The pod volume named `name`.
    pub fn volume(&self, name: &str) -> Option<&PodVolume<'a>> {
        self.volumes.iter().find(|v| v.name == Some(name))
    }

    /// The Secret volumes mounted into the container: (mount, Secret name).
    pub fn secret_mounts(&self) -> Vec<(&ContainerMount<'a>, &str)> {
        self.mounts
            .iter()
            .filter_map(|m| {
                let secret = self.volume(m.name?)?.secret_name()?;
                Some((m, secret))
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment with these containers and initContainers (shared with `runner`'s tests).
    pub(crate) fn deployment(containers: Value, init: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "function-runner"},
               "spec": {"template": {"spec": {"containers": containers, "initContainers": init}}}})
    }

    #[test]
    fn the_runner_container_of_odd_deployments() {
        // Several containers, one named function-runner (not the first).
        let d = deployment(
            json!([{"name": "istio-proxy"}, {"name": "function-runner"}, {"name": "log"}]),
            json!([]),
        );
        assert_eq!(locate(&d, "function-runner").map(|(i, _)| i), Ok(1));

        // Several containers and none named function-runner: no answer, the names are given.
        let d = deployment(json!([{"name": "a"}, {"image": "b"}]), json!([]));
        assert_eq!(
            locate(&d, "function-runner"),
            Err(LocateError::NoneNamed {
                names: vec!["a".into(), "".into()]
            })
        );

        // One container, whatever its name, is the runner.
        let d = deployment(json!([{"name": "runner"}]), json!([]));
        assert_eq!(locate(&d, "function-runner").map(|(i, _)| i), Ok(0));

        // An initContainer named function-runner is never the runner.
        let d = deployment(
            json!([{"name": "server"}, {"name": "sidecar"}]),
            json!([{"name": "function-runner"}]),
        );
        assert!(matches!(
            locate(&d, "function-runner"),
            Err(LocateError::NoneNamed { .. })
        ));
        let d = deployment(
            json!([{"name": "server"}]),
            json!([{"name": "function-runner"}]),
        );
        assert_eq!(locate(&d, "function-runner").map(|(i, _)| i), Ok(0));

        // No list, an empty list, a name given twice.
        let no_list = json!({"kind": "Deployment", "metadata": {"name": "function-runner"}});
        assert_eq!(
            locate(&no_list, "function-runner"),
            Err(LocateError::NoList)
        );
        let d = deployment(json!([]), json!([]));
        assert_eq!(locate(&d, "function-runner"), Err(LocateError::Empty));
        let d = deployment(
            json!([{"name": "function-runner"}, {"name": "x"}, {"name": "function-runner"}]),
            json!([]),
        );
        assert_eq!(
            locate(&d, "function-runner"),
            Err(LocateError::SameName {
                indexes: vec![0, 2]
            })
        );
    }

    #[test]
    fn one_read_of_argv_mounts_and_volumes() {
        let d = json!({"spec": {"template": {"spec": {
            "serviceAccountName": "sa",
            "containers": [
                {"name": "side", "volumeMounts": [{"name": "shared", "mountPath": "/s"}]},
                {"name": "function-runner", "image": "img",
                 "command": ["/server", "--a=1", null],
                 "args": ["--b", "2"],
                 "volumeMounts": [
                    {"name": "auth", "mountPath": "/var/tmp/auth/", "readOnly": true},
                    {"name": "cm", "mountPath": "/c", "subPath": ""}]}],
            "initContainers": [{"name": "init", "volumeMounts": [{"name": "i", "mountPath": "/i"}]}],
            "volumes": [
                {"name": "auth", "secret": {"secretName": "registry-auth", "items": [{"key": "k", "path": "p"}]}},
                {"name": "cm", "configMap": {"name": "c"}},
                {"name": "e", "emptyDir": {}}]}}}});
        let c = RunnerContainer::find(&d, "function-runner").unwrap();
        assert_eq!(c.index, 1);
        assert_eq!(c.field, "spec.template.spec.containers[1]");
        assert_eq!(c.binary(), Some("/server"));
        assert_eq!(c.argv(), vec!["--a=1", "", "--b", "2"]);
        assert_eq!(
            c.token_fields(),
            vec![
                "spec.template.spec.containers[1].command[1]",
                "spec.template.spec.containers[1].command[2]",
                "spec.template.spec.containers[1].args[0]",
                "spec.template.spec.containers[1].args[1]",
            ]
        );
        assert_eq!(c.service_account, "sa");
        assert_eq!(c.other_mounted, vec!["shared", "i"]);
        assert_eq!(c.mounts[1].sub_path, None);
        let sm = c.secret_mounts();
        assert_eq!(sm.len(), 1);
        assert_eq!(
            (sm[0].0.mount_path, sm[0].1),
            (Some("/var/tmp/auth/"), "registry-auth")
        );
        assert!(
            matches!(c.volume("e").unwrap().source, VolumeSource::Other(ref k) if k == "emptyDir")
        );
        // Two containers and none named as asked: no runner.
        assert!(matches!(
            RunnerContainer::find(&d, "nope"),
            Err(LocateError::NoneNamed { .. })
        ));
        assert!(RunnerContainer::at(&d, 2).is_none());
    }

    #[test]
    fn the_list_holding_the_flags() {
        let c = |container: Value| {
            let d = json!({"spec": {"template": {"spec": {"containers": [container]}}}});
            let c = RunnerContainer::at(&d, 0).unwrap();
            let parsed: Vec<usize> = c.go_args().flags.iter().map(|f| f.index).collect();
            c.flags_list(parsed)
        };
        assert_eq!(
            c(json!({"command": ["/s", "--pod-namespace=a"]})),
            ListField::Command
        );
        assert_eq!(c(json!({"args": ["--pod-namespace=a"]})), ListField::Args);
        assert_eq!(
            c(json!({"command": ["/s", "--pod-namespace=a"], "args": ["--config=/c"]})),
            ListField::Args
        );
        assert_eq!(c(json!({"command": ["/s"]})), ListField::Command);
        assert_eq!(c(json!({"command": ["/s"], "args": []})), ListField::Args);
        assert_eq!(c(json!({"image": "x"})), ListField::Args);
        assert_eq!(
            c(json!({"command": ["/s", "positional"]})),
            ListField::Command
        );
    }
}
