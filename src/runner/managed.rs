//! Field ownership as the API server records it (`metadata.managedFields`, `FieldsV1`), and
//! the conflicts of server-side apply as kube-apiserver words them: who owns a field, and how
//! a manager and a field path are printed (`"argocd-controller"`, `"kubectl-create" using v1
//! at 2026-11-23T10:00:00Z`, `.spec.template.spec.containers[name="function-runner"].command`).
//!
//! Pure: the objects come from the cluster edge, the messages go to the commands.

use serde_json::Value;

use super::container;
use super::defaults::DEFAULT_FIELD_MANAGER;

/// A valid `fieldManager` (`--field-manager`): at most 128 bytes, printable characters only
/// (what the API server accepts), not empty (apply requires one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldManager(String);

impl FieldManager {
    /// Check a name (the message is for `--field-manager`, without the flag).
    pub fn parse(s: &str) -> Result<FieldManager, String> {
        if s.is_empty() {
            return Err(
                "must not be empty: server-side apply needs a field manager name".to_string(),
            );
        }
        if s.len() > 128 {
            return Err(format!(
                "is {} bytes long; the API server accepts at most 128",
                s.len()
            ));
        }
        if let Some((i, c)) = s
            .char_indices()
            .find(|(_, c)| c.is_control() || (c.is_whitespace() && *c != ' '))
        {
            return Err(format!(
                "has the unprintable character U+{:04X} at byte {i}; the API server accepts printable characters only",
                c as u32
            ));
        }
        Ok(FieldManager(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for FieldManager {
    fn default() -> Self {
        FieldManager(DEFAULT_FIELD_MANAGER.to_string())
    }
}

impl std::fmt::Display for FieldManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How live writes identify themselves and what they do about other managers' fields
/// (`--field-manager`, `--force-conflicts`), as kubectl's server-side apply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WriteOptions {
    pub field_manager: FieldManager,
    /// Take fields another manager owns (off by default, as in kubectl).
    pub force_conflicts: bool,
}

/// One step of a field path: a field, or the element of a list keyed by fields
/// (`containers[name="function-runner"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Field(String),
    /// A list element by its key fields (name, value), in the order the API sorts them.
    Key(Vec<(String, String)>),
}

impl Step {
    pub fn field(name: &str) -> Step {
        Step::Field(name.to_string())
    }
    pub fn key(field: &str, value: &str) -> Step {
        Step::Key(vec![(field.to_string(), value.to_string())])
    }
    /// The `FieldsV1` key of this step (`f:name`, `k:{"name":"x"}`).
    fn fields_v1_key(&self) -> String {
        match self {
            Step::Field(f) => format!("f:{f}"),
            Step::Key(kv) => {
                let mut m = serde_json::Map::new();
                for (k, v) in kv {
                    m.insert(k.clone(), Value::String(v.clone()));
                }
                format!("k:{}", Value::Object(m))
            }
        }
    }
    /// Whether a `FieldsV1` key names this step (a `k:` key compared as JSON, so the order
    /// of its keys does not matter).
    fn matches(&self, key: &str) -> bool {
        match self {
            Step::Field(_) => key == self.fields_v1_key(),
            Step::Key(kv) => {
                let Some(json) = key.strip_prefix("k:") else {
                    return false;
                };
                let Ok(Value::Object(m)) = serde_json::from_str::<Value>(json) else {
                    return false;
                };
                m.len() == kv.len()
                    && kv.iter().all(|(k, v)| match m.get(k) {
                        Some(Value::String(s)) => s == v,
                        _ => false,
                    })
            }
        }
    }
}

/// A field path as the API server prints it in conflicts (structured-merge-diff's
/// `fieldpath.Path.String()`): `.data.ca.crt`, `.spec.template.spec.containers[name="x"].args`.
pub fn path_string(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Step::Key(kv) => {
                out.push('[');
                let parts: Vec<String> = kv
                    .iter()
                    .map(|(k, v)| format!("{k}={}", Value::String(v.clone())))
                    .collect();
                out.push_str(&parts.join(","));
                out.push(']');
            }
        }
    }
    out
}

/// One entry of `metadata.managedFields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedEntry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: Option<String>,
    fields: Value,
}

impl ManagedEntry {
    /// Whether this entry came from a server-side apply (a declarative source that applies
    /// its whole configuration again: GitOps controllers, `kubectl apply --server-side`).
    pub fn is_apply(&self) -> bool {
        self.operation == "Apply"
    }
    /// The manager as the API server names it in a conflict (apimachinery's
    /// `printManager`): `"m"`, `"m" with subresource "status"`, and for an update
    /// ` using API_VERSION` (` at TIME` when recorded).
    pub fn describe(&self) -> String {
        let mut out = format!("{}", Value::String(self.manager.clone()));
        if let Some(s) = self.subresource.as_deref().filter(|s| !s.is_empty()) {
            out.push_str(&format!(
                " with subresource {}",
                Value::String(s.to_string())
            ));
        }
        if self.operation == "Update" {
            out.push_str(&format!(" using {}", self.api_version));
            if let Some(t) = &self.time {
                out.push_str(&format!(" at {t}"));
            }
        }
        out
    }
    /// Whether this entry owns the field at `path` (or, for a list element or an object,
    /// anything inside it).
    pub fn owns(&self, path: &[Step]) -> bool {
        let mut node = &self.fields;
        for step in path {
            let Some(next) = node
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| step.matches(k)).map(|(_, v)| v))
            else {
                return false;
            };
            node = next;
        }
        true
    }
}

/// The entries of an object's `metadata.managedFields` (malformed entries are skipped: the
/// list comes from the server, and a report about it must never fail on it).
pub fn entries(obj: &Value) -> Vec<ManagedEntry> {
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some(ManagedEntry {
                manager: s(e, "manager")?,
                operation: s(e, "operation").unwrap_or_default(),
                api_version: s(e, "apiVersion").unwrap_or_default(),
                time: s(e, "time"),
                subresource: s(e, "subresource"),
                fields: e.get("fieldsV1").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// The entries other than `ours` that own the field at `path`.
pub fn other_owners(obj: &Value, path: &[Step], ours: &str) -> Vec<ManagedEntry> {
    entries(obj)
        .into_iter()
        .filter(|e| e.manager != ours && e.owns(path))
        .collect()
}

/// A field another manager owns, which a write would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The manager as the API server prints it (see [`ManagedEntry::describe`]).
    pub manager: String,
    /// The field as the API server prints it (see [`path_string`]).
    pub field: String,
}

/// Conflicts in one line, grouped by manager in the order first seen:
/// `conflict with "a": .data.x, .data.y; conflict with "b" using v1: .type`.
pub fn conflicts_line(conflicts: &[Conflict]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in conflicts {
        match groups.iter_mut().find(|(m, _)| *m == c.manager) {
            Some((_, fields)) => fields.push(&c.field),
            None => groups.push((&c.manager, vec![&c.field])),
        }
    }
    groups
        .iter()
        .map(|(m, fields)| format!("conflict with {m}: {}", fields.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The one-line error of a write that met conflicts on `object` (`secret/x in namespace
/// "y"`): who owns which fields, and the two ways on, as kubectl's server-side apply says
/// them. `ours` is the field manager the write used.
pub fn conflict_message(object: &str, conflicts: &[Conflict], ours: &str) -> String {
    let n = conflicts.len();
    format!(
        "{object}: {n} field{} managed by another field manager ({}); hand {} over to field manager \"{ours}\" in that manager's source (take {} out of the GitOps repository or manifests it applies), or re-run with --force-conflicts to take {} (that manager may take {} back on its next sync)",
        if n == 1 { " is" } else { "s are" },
        conflicts_line(conflicts),
        if n == 1 { "it" } else { "them" },
        if n == 1 { "it" } else { "them" },
        if n == 1 { "it" } else { "them" },
        if n == 1 { "it" } else { "them" },
    )
}

/// The managers (by name, each once, in order) among some entries.
pub fn manager_names(entries: &[ManagedEntry]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in entries {
        if !out.contains(&e.manager) {
            out.push(e.manager.clone());
        }
    }
    out
}

/// A field of the runner's configuration that a manager other than this tool owns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedElsewhere {
    /// `secret/NAME`, `deployment.apps/NAME`.
    pub object: String,
    /// The field as the API server prints it (`.data..dockerconfigjson`).
    pub field: String,
    pub manager: String,
    /// `Apply` (a declarative source that applies it again) or `Update`.
    pub operation: String,
}

impl OwnedElsewhere {
    /// Whether a write by this tool meets a conflict on it: a Secret's data is applied
    /// (any other owner conflicts, as in the API server); the Deployment is updated and
    /// refused only over another manager's apply.
    pub fn conflicts(&self) -> bool {
        self.operation == "Apply" || self.object.starts_with("secret/")
    }
}

/// Who else owns the runner's configuration: the flags list (`command` and `args` of the
/// runner container, where present) of `deployment`, and the data key each Secret is read
/// by (`(secret, key)`); managers named `ours` are left out.
pub fn runner_owned_elsewhere(
    deployment: &Value,
    container: &str,
    secrets: &[(&Value, &str)],
    ours: &str,
) -> Vec<OwnedElsewhere> {
    let name = |o: &Value| {
        o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let mut out = vec![];
    let mut push = |obj: &Value, object: String, path: Vec<Step>| {
        for e in other_owners(obj, &path, ours) {
            out.push(OwnedElsewhere {
                object: object.clone(),
                field: path_string(&path),
                manager: e.manager.clone(),
                operation: e.operation.clone(),
            });
        }
    };
    // The runner container by THE rule; its fields are keyed by its own name.
    if let Ok((_, ctr)) = container::locate(deployment, container) {
        let own = ctr["name"].as_str().unwrap_or_default();
        for f in ["command", "args"] {
            if ctr.get(f).is_some() {
                push(
                    deployment,
                    format!("deployment.apps/{}", name(deployment)),
                    container_field(own, f),
                );
            }
        }
    }
    for (secret, key) in secrets {
        push(secret, format!("secret/{}", name(secret)), secret_data(key));
    }
    out
}

/// The path of a Secret's data key (`.data.KEY`).
pub fn secret_data(key: &str) -> Vec<Step> {
    vec![Step::field("data"), Step::field(key)]
}

/// The path of a field of a container of a Deployment's pod template.
pub fn container_field(container: &str, field: &str) -> Vec<Step> {
    vec![
        Step::field("spec"),
        Step::field("template"),
        Step::field("spec"),
        Step::field("containers"),
        Step::key("name", container),
        Step::field(field),
    ]
}

/// The fields of a Deployment that a change from `before` to `after` touches in the
/// runner's container and pod: its `command` and `args` (atomic lists), the volumeMounts
/// (by mountPath) and volumes (by name) added, changed or taken out.
pub fn changed_runner_fields(before: &Value, after: &Value, container: &str) -> Vec<Vec<Step>> {
    // The runner container by THE rule, in both; its fields are keyed by its own name.
    let ctr = |d: &Value| -> Value {
        container::locate(d, container)
            .map(|(_, c)| c.clone())
            .unwrap_or(Value::Null)
    };
    let (cb, ca) = (ctr(before), ctr(after));
    let own = cb["name"]
        .as_str()
        .or(ca["name"].as_str())
        .unwrap_or(container)
        .to_string();
    let container = own.as_str();
    let mut out = vec![];
    for f in ["command", "args"] {
        if cb.get(f) != ca.get(f) {
            out.push(container_field(container, f));
        }
    }
    keyed_changes(
        cb.get("volumeMounts"),
        ca.get("volumeMounts"),
        "mountPath",
        &container_field(container, "volumeMounts"),
        &mut out,
    );
    let volumes = [
        Step::field("spec"),
        Step::field("template"),
        Step::field("spec"),
        Step::field("volumes"),
    ];
    keyed_changes(
        before.pointer("/spec/template/spec/volumes"),
        after.pointer("/spec/template/spec/volumes"),
        "name",
        &volumes,
        &mut out,
    );
    out
}

/// The elements (by `key`) of a keyed list that differ between `before` and `after`:
/// added, changed or taken out; each as `base[key="value"]`.
fn keyed_changes(
    before: Option<&Value>,
    after: Option<&Value>,
    key: &str,
    base: &[Step],
    out: &mut Vec<Vec<Step>>,
) {
    let element = |list: Option<&Value>, k: &str| -> Option<Value> {
        list.and_then(Value::as_array)?
            .iter()
            .find(|e| e.get(key).and_then(Value::as_str) == Some(k))
            .cloned()
    };
    let mut keys: Vec<String> = vec![];
    for list in [before, after] {
        for e in list.and_then(Value::as_array).into_iter().flatten() {
            if let Some(k) = e.get(key).and_then(Value::as_str)
                && !keys.iter().any(|x| x == k)
            {
                keys.push(k.to_string());
            }
        }
    }
    for k in keys {
        if element(before, &k) != element(after, &k) {
            let mut p = base.to_vec();
            p.push(Step::key(key, &k));
            out.push(p);
        }
    }
}

/// The conflicts a change of `before` into `after` meets on the runner's Deployment: the
/// changed fields (see [`changed_runner_fields`]) that a manager other than `ours` owns by
/// server-side apply. An update (PUT) is never refused by the API server for ownership; a
/// field a declarative source applies is taken back on its next sync, so the tool treats
/// those as kubectl's apply treats conflicts. Owners by update (`kubectl edit`, `kubectl
/// create`, client-side apply) are not conflicts: nothing re-applies them.
pub fn deployment_conflicts(
    before: &Value,
    after: &Value,
    container: &str,
    ours: &str,
) -> Vec<Conflict> {
    let mut out = vec![];
    for path in changed_runner_fields(before, after, container) {
        for e in other_owners(before, &path, ours) {
            if e.is_apply() {
                out.push(Conflict {
                    manager: e.describe(),
                    field: path_string(&path),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment as the API server returns it after `kubectl create` and an Argo CD
    /// server-side apply of the runner's command (FieldsV1 as the server writes it).
    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "function-runner", "managedFields": [
                {"manager": "argocd-controller", "operation": "Apply", "apiVersion": "apps/v1",
                 "time": "2026-11-23T10:00:00Z", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                     "k:{\"name\":\"function-runner\"}": {".": {}, "f:name": {}, "f:command": {},
                         "f:volumeMounts": {"k:{\"mountPath\":\"/pod-cache-config\"}": {".": {}, "f:name": {}, "f:mountPath": {}}}}}}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
                 "time": "2026-11-23T10:00:01Z", "subresource": "status", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:status": {"f:replicas": {}}}},
                {"manager": "kubectl-porch-registry", "operation": "Update", "apiVersion": "apps/v1",
                 "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:volumes": {"k:{\"name\":\"docker-config\"}": {".": {}}}}}}}}
            ]},
            "spec": {"template": {"spec": {
                "containers": [{"name": "function-runner", "command": ["/server", "--a"],
                    "volumeMounts": [{"name": "c", "mountPath": "/pod-cache-config"}]}],
                "volumes": [{"name": "docker-config", "secret": {"secretName": "s"}}]}}}
        })
    }

    #[test]
    fn managers_print_as_the_api_server_prints_them() {
        let e = entries(&deployment());
        assert_eq!(e[0].describe(), "\"argocd-controller\"");
        assert_eq!(
            e[1].describe(),
            "\"kube-controller-manager\" with subresource \"status\" using apps/v1 at 2026-11-23T10:00:01Z"
        );
        assert_eq!(e[2].describe(), "\"kubectl-porch-registry\" using apps/v1");
    }

    #[test]
    fn paths_print_as_structured_merge_diff_prints_them() {
        assert_eq!(
            path_string(&secret_data("config.json")),
            ".data.config.json"
        );
        assert_eq!(
            path_string(&container_field("function-runner", "args")),
            ".spec.template.spec.containers[name=\"function-runner\"].args"
        );
    }

    #[test]
    fn owners_of_fields() {
        let d = deployment();
        let cmd = container_field("function-runner", "command");
        let owners = other_owners(&d, &cmd, "kubectl-porch-registry");
        assert_eq!(manager_names(&owners), ["argocd-controller"]);
        assert!(other_owners(&d, &container_field("function-runner", "args"), "x").is_empty());
        assert!(other_owners(&d, &container_field("other", "command"), "x").is_empty());
        // A malformed list is no owner at all.
        assert!(entries(&json!({"metadata": {"managedFields": [1, {"x": 2}]}})).is_empty());
    }

    #[test]
    fn deployment_conflicts_are_applied_fields_the_change_touches() {
        let before = deployment();
        let mut after = before.clone();
        after["spec"]["template"]["spec"]["containers"][0]["command"] =
            json!(["/server", "--a", "--enable-private-registries=true"]);
        after["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "docker-config", "mountPath": "/var/tmp/auth-secret"}));
        let c = deployment_conflicts(&before, &after, "function-runner", "kubectl-porch-registry");
        assert_eq!(
            c,
            [Conflict {
                manager: "\"argocd-controller\"".into(),
                field: ".spec.template.spec.containers[name=\"function-runner\"].command".into()
            }]
        );
        assert_eq!(
            conflicts_line(&c),
            "conflict with \"argocd-controller\": .spec.template.spec.containers[name=\"function-runner\"].command"
        );
        // The owner's own writes and unchanged objects are no conflict.
        assert!(
            deployment_conflicts(&before, &after, "function-runner", "argocd-controller")
                .is_empty()
        );
        assert!(deployment_conflicts(&before, &before, "function-runner", "x").is_empty());
        // Taking out a mount the applier declared is one.
        let mut gone = before.clone();
        gone["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = json!([]);
        let c = deployment_conflicts(&before, &gone, "function-runner", "kubectl-porch-registry");
        assert_eq!(
            c[0].field,
            ".spec.template.spec.containers[name=\"function-runner\"].volumeMounts[mountPath=\"/pod-cache-config\"]"
        );
    }

    #[test]
    fn the_runner_container_by_the_one_rule_keyed_by_its_own_name() {
        // The only container is the runner whatever its name; the API server keys its
        // fields by that name (`k:{"name":"runner"}`), never by the --container asked for.
        let text = deployment()
            .to_string()
            .replace("function-runner", "runner");
        let before: Value = serde_json::from_str(&text).unwrap();
        let mut after = before.clone();
        after["spec"]["template"]["spec"]["containers"][0]["command"] = json!(["/server"]);
        let c = deployment_conflicts(&before, &after, "function-runner", "kubectl-porch-registry");
        assert_eq!(
            c.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            [".spec.template.spec.containers[name=\"runner\"].command"]
        );
        let o = runner_owned_elsewhere(&before, "function-runner", &[], "kubectl-porch-registry");
        assert_eq!(
            o.iter().map(|o| o.field.as_str()).collect::<Vec<_>>(),
            [".spec.template.spec.containers[name=\"runner\"].command"]
        );
        // Two containers and none named as asked: no runner, no owner of its fields.
        let mut two = before.clone();
        two["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "sidecar"}));
        assert!(runner_owned_elsewhere(&two, "function-runner", &[], "x").is_empty());
    }

    #[test]
    fn field_manager_names_the_api_server_accepts() {
        assert_eq!(FieldManager::default().as_str(), "kubectl-porch-registry");
        assert!(FieldManager::parse("argocd controller").is_ok());
        assert!(FieldManager::parse(&"m".repeat(128)).is_ok());
        assert!(
            FieldManager::parse(&"m".repeat(129))
                .unwrap_err()
                .contains("128")
        );
        assert!(FieldManager::parse("").is_err());
        assert!(FieldManager::parse("a\tb").unwrap_err().contains("U+0009"));
    }

    #[test]
    fn conflict_message_names_managers_fields_and_both_ways_on() {
        let c = [Conflict {
            manager: "\"argocd-controller\"".into(),
            field: ".data.config.json".into(),
        }];
        let m = conflict_message("secret/s in namespace \"n\"", &c, "kubectl-porch-registry");
        assert_eq!(
            m,
            "secret/s in namespace \"n\": 1 field is managed by another field manager (conflict with \"argocd-controller\": .data.config.json); hand it over to field manager \"kubectl-porch-registry\" in that manager's source (take it out of the GitOps repository or manifests it applies), or re-run with --force-conflicts to take it (that manager may take it back on its next sync)"
        );
    }

    #[test]
    fn runner_configuration_owned_elsewhere() {
        let d = deployment();
        let secret = json!({"metadata": {"name": "registry-auth-secret", "managedFields": [
            {"manager": "kubectl-porch-registry", "operation": "Apply", "fieldsV1": {"f:type": {}}},
            {"manager": "flux", "operation": "Apply", "fieldsV1": {"f:data": {"f:.dockerconfigjson": {}}}}]}});
        let o = runner_owned_elsewhere(
            &d,
            "function-runner",
            &[(&secret, ".dockerconfigjson")],
            "kubectl-porch-registry",
        );
        assert_eq!(
            o.iter()
                .map(|o| (
                    o.object.as_str(),
                    o.field.as_str(),
                    o.manager.as_str(),
                    o.conflicts()
                ))
                .collect::<Vec<_>>(),
            [
                (
                    "deployment.apps/function-runner",
                    ".spec.template.spec.containers[name=\"function-runner\"].command",
                    "argocd-controller",
                    true
                ),
                (
                    "secret/registry-auth-secret",
                    ".data..dockerconfigjson",
                    "flux",
                    true
                ),
            ]
        );
    }

    #[test]
    fn conflicts_group_by_manager() {
        let c = |m: &str, f: &str| Conflict {
            manager: m.into(),
            field: f.into(),
        };
        assert_eq!(
            conflicts_line(&[
                c("\"a\"", ".data.x"),
                c("\"b\" using v1", ".type"),
                c("\"a\"", ".data.y")
            ]),
            "conflict with \"a\": .data.x, .data.y; conflict with \"b\" using v1: .type"
        );
    }
}
