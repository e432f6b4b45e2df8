//! The fake API server's state and semantics, without HTTP: an object store with the API's
//! conventions (resourceVersion, generation, optimistic concurrency, dryRun, Status errors,
//! RBAC rules for the caller, RBAC evaluation for SubjectAccessReview, rollout simulation).

// An ApiError is a Status object (with its causes): the fake returns it by value.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Value, json};

use super::patch;

/// One supported resource type.
#[derive(Debug, Clone, Copy)]
pub struct ResourceType {
    pub resource: &'static str,
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
}

pub const RESOURCES: &[ResourceType] = &[
    rt("namespaces", "", "v1", "Namespace", false),
    rt("secrets", "", "v1", "Secret", true),
    rt("configmaps", "", "v1", "ConfigMap", true),
    rt("serviceaccounts", "", "v1", "ServiceAccount", true),
    rt("pods", "", "v1", "Pod", true),
    rt("events", "", "v1", "Event", true),
    rt("podtemplates", "", "v1", "PodTemplate", true),
    rt("deployments", "apps", "v1", "Deployment", true),
    rt("daemonsets", "apps", "v1", "DaemonSet", true),
    rt("nodes", "", "v1", "Node", false),
    rt("replicasets", "apps", "v1", "ReplicaSet", true),
    rt("roles", "rbac.authorization.k8s.io", "v1", "Role", true),
    rt(
        "rolebindings",
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        true,
    ),
    rt(
        "clusterroles",
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        false,
    ),
    rt(
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        false,
    ),
];

const fn rt(
    resource: &'static str,
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceType {
    ResourceType {
        resource,
        group,
        version,
        kind,
        namespaced,
    }
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    pub fn by_resource(group: &str, resource: &str) -> Option<&'static ResourceType> {
        RESOURCES
            .iter()
            .find(|r| r.group == group && r.resource == resource)
    }
    pub fn by_kind(kind: &str) -> Option<&'static ResourceType> {
        RESOURCES.iter().find(|r| r.kind == kind)
    }
}

/// An API error, rendered as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub name: String,
    pub kind: String,
    pub group: String,
    /// `details.causes` (an apply conflict has these and no name/kind, as
    /// apimachinery's `NewApplyConflict` makes it).
    pub causes: Option<Vec<Value>>,
}

impl ApiError {
    pub fn status(&self) -> Value {
        let details = match &self.causes {
            None => json!({"name": self.name, "group": self.group, "kind": self.kind}),
            Some(causes) => json!({ "causes": causes }),
        };
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": details,
            "code": self.code,
        })
    }
}

fn err(
    code: u16,
    reason: &'static str,
    rt: &ResourceType,
    name: &str,
    message: String,
) -> ApiError {
    ApiError {
        code,
        reason,
        message,
        name: name.to_string(),
        kind: rt.resource.to_string(),
        group: rt.group.to_string(),
        causes: None,
    }
}

fn not_found(rt: &ResourceType, name: &str) -> ApiError {
    let res = if rt.group.is_empty() {
        rt.resource.to_string()
    } else {
        format!("{}.{}", rt.resource, rt.group)
    };
    err(
        404,
        "NotFound",
        rt,
        name,
        format!("{res} \"{name}\" not found"),
    )
}

fn namespace_not_found(ns: &str) -> ApiError {
    ApiError {
        code: 404,
        reason: "NotFound",
        message: format!("namespaces \"{ns}\" not found"),
        name: ns.to_string(),
        kind: "namespaces".into(),
        group: String::new(),
        causes: None,
    }
}

fn invalid(rt: &ResourceType, name: &str, causes: &str) -> ApiError {
    err(
        422,
        "Invalid",
        rt,
        name,
        format!("{} \"{name}\" is invalid: {causes}", rt.kind),
    )
}

/// How a Deployment's rollout proceeds after its template changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// The rollout completes after this many GETs of the Deployment.
    AfterGets(u32),
    /// The rollout never completes (a wait times out).
    Never,
    /// The rollout fails with ProgressDeadlineExceeded.
    Fail,
}

/// A rule that makes the caller (the kubeconfig's user) Forbidden.
#[derive(Debug, Clone)]
pub struct ForbidRule {
    pub verb: String,
    pub resource: String,
    pub namespace: Option<String>,
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// dryRun=All in the query or (DELETE) in the DeleteOptions body.
    pub dry_run: bool,
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl RequestRecord {
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD") && !self.path.contains("accessreviews")
    }
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }
}

type Key = (&'static str, String, String); // (resource, namespace, name)

#[derive(Debug)]
pub struct State {
    pub objects: BTreeMap<Key, Value>,
    pub resource_version: u64,
    pub forbid: Vec<ForbidRule>,
    /// Admission-webhook style rejections (verb, resource): invisible to access reviews.
    pub reject: Vec<(String, String)>,
    /// Resources whose next update meets a concurrent writer (the stored object changes
    /// first, so the request's resourceVersion is stale: 409 Conflict).
    pub race_next_update: Vec<String>,
    /// Field ownership (server-side apply's managed fields): object -> leaf field -> the
    /// managers (name, operation) that own it, rendered into `metadata.managedFields`.
    pub owners: BTreeMap<Key, BTreeMap<FieldPath, Vec<(String, String)>>>,
    /// The field manager of the request being served (fieldManager, else "unknown").
    pub manager: String,
    /// The managedFields operation of the request being served: `Apply` or `Update`.
    pub operation: &'static str,
    /// The leaves of the configuration being applied (the applier co-owns those it does
    /// not change).
    applied: Option<Vec<FieldPath>>,
    /// `force=true` on the apply being served.
    pub force: bool,
    pub rollout: Rollout,
    /// Deployments with a pending rollout: key -> GETs seen since the template changed.
    pub pending: BTreeMap<Key, u32>,
    pub requests: Vec<RequestRecord>,
    /// How long every answer is held back (a slow cluster).
    pub latency: std::time::Duration,
    pub user: String,
    /// How the DaemonSet controller behaves (`daemonsets.rs`).
    pub daemonsets: super::daemonsets::DaemonSetOptions,
    uid: u64,
    /// Every change, for watches (see `watch`).
    pub changes: Vec<super::watch::Change>,
    pub watch: super::watch::WatchKnobs,
    /// The simulated kubelets' image pulls (see `kubelet`).
    pub kubelet: super::kubelet::Kubelet,
}

impl Default for State {
    fn default() -> Self {
        State {
            objects: BTreeMap::new(),
            resource_version: 1000,
            forbid: vec![],
            reject: vec![],
            race_next_update: vec![],
            owners: BTreeMap::new(),
            manager: "unknown".into(),
            operation: "Update",
            applied: None,
            force: false,
            rollout: Rollout::AfterGets(1),
            pending: BTreeMap::new(),
            requests: vec![],
            latency: std::time::Duration::ZERO,
            user: "kubernetes-admin".into(),
            daemonsets: Default::default(),
            uid: 0,
            changes: vec![],
            watch: Default::default(),
            kubelet: Default::default(),
        }
    }
}

/// Where a request is going, parsed from the URL path.
#[derive(Debug, Clone)]
pub struct Target {
    pub rt: &'static ResourceType,
    pub namespace: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

/// Parse `/api/v1/...` and `/apis/GROUP/VERSION/...` paths.
pub fn parse_path(path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, res, rest @ ..] => (ns.to_string(), {
            let mut v = vec![*res];
            v.extend_from_slice(rest);
            v
        }),
        other => (String::new(), other.to_vec()),
    };
    let rt = ResourceType::by_resource(group, rest.first()?)?;
    // A cluster-scoped resource under a namespace is not a path the API serves.
    if !rt.namespaced && !namespace.is_empty() {
        return None;
    }
    Some(Target {
        rt,
        namespace,
        name: rest.get(1).map(|s| s.to_string()),
        subresource: rest.get(2).map(|s| s.to_string()),
    })
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

impl State {
    fn key(rt: &'static ResourceType, ns: &str, name: &str) -> Key {
        (rt.resource, ns.to_string(), name.to_string())
    }

    pub fn next_rv(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// Remember a change for watches; `obj` carries the change's resourceVersion.
    pub fn record(
        &mut self,
        resource: &'static str,
        namespace: &str,
        kind: &'static str,
        obj: &Value,
    ) {
        let rv = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.resource_version);
        self.changes.push(super::watch::Change {
            rv,
            resource,
            namespace: namespace.to_string(),
            kind,
            object: obj.clone(),
        });
    }

    pub fn forbidden(
        &self,
        verb: &str,
        rt: &ResourceType,
        ns: &str,
        name: Option<&str>,
    ) -> Option<ApiError> {
        let hit = self.forbid.iter().any(|r| {
            (r.verb == verb || r.verb == "*")
                && r.resource == rt.resource
                && r.namespace.as_deref().is_none_or(|n| n == ns)
        });
        if !hit {
            return None;
        }
        let what = match name {
            Some(n) => format!("{} \"{n}\"", rt.resource),
            None => rt.resource.to_string(),
        };
        let scope = if ns.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{ns}\"")
        };
        Some(ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "{what} is forbidden: User \"{}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                self.user, rt.resource, rt.group
            ),
            name: name.unwrap_or_default().to_string(),
            kind: rt.resource.to_string(),
            group: rt.group.to_string(),
            causes: None,
        })
    }

    pub fn rejected(&self, verb: &str, rt: &ResourceType, name: Option<&str>) -> Option<ApiError> {
        self.reject
            .iter()
            .any(|(v, r)| v == verb && r == rt.resource)
            .then(|| ApiError {
                code: 400,
                reason: "BadRequest",
                message: format!(
                    "admission webhook \"policy.example.com\" denied the request: {} changes are frozen",
                    rt.resource
                ),
                name: name.unwrap_or_default().to_string(),
                kind: rt.resource.to_string(),
                group: rt.group.to_string(),
                causes: None,
            })
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.objects
            .contains_key(&("namespaces", String::new(), ns.to_string()))
    }

    pub fn get(&mut self, t: &Target, name: &str) -> Result<Value, ApiError> {
        let key = Self::key(t.rt, &t.namespace, name);
        if t.rt.resource == "deployments" {
            self.advance_rollout(&key);
        }
        if t.rt.resource == "daemonsets" {
            super::daemonsets::advance(self, &key);
        }
        self.objects
            .get(&key)
            .cloned()
            .ok_or_else(|| not_found(t.rt, name))
    }

    pub fn list(&self, t: &Target, label_selector: Option<&str>) -> Value {
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|((r, ns, _), _)| {
                *r == t.rt.resource && (t.namespace.is_empty() || *ns == t.namespace)
            })
            .map(|(_, v)| v.clone())
            .filter(|v| matches_labels(v, label_selector))
            .collect();
        json!({
            "kind": format!("{}List", t.rt.kind),
            "apiVersion": t.rt.api_version(),
            "metadata": {"resourceVersion": self.resource_version.to_string()},
            "items": items,
        })
    }

    /// Fill in what the server owns and validate. `old` is the stored object on update.
    fn admit(&mut self, t: &Target, obj: &mut Value, old: Option<&Value>) -> Result<(), ApiError> {
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            return Err(invalid(
                t.rt,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        if let Some(ns) = obj.pointer("/metadata/namespace").and_then(Value::as_str)
            && !ns.is_empty()
            && ns != t.namespace
        {
            return Err(err(
                400,
                "BadRequest",
                t.rt,
                &name,
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
        obj["apiVersion"] = json!(t.rt.api_version());
        obj["kind"] = json!(t.rt.kind);
        if t.rt.namespaced {
            obj["metadata"]["namespace"] = json!(t.namespace);
        }
        if t.rt.kind == "Secret" {
            validate_secret(t.rt, &name, obj, old)?;
        }
        match old {
            Some(old) => {
                for f in ["uid", "creationTimestamp"] {
                    obj["metadata"][f] = old["metadata"][f].clone();
                }
                if t.rt.kind == "DaemonSet" {
                    super::daemonsets::admit_generation(obj, Some(old));
                }
                if t.rt.kind == "Deployment" {
                    obj["status"] = old["status"].clone();
                    let gen_old = old
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    obj["metadata"]["generation"] = json!(gen_old);
                    if obj.get("spec") != old.get("spec") {
                        obj["metadata"]["generation"] = json!(gen_old + 1);
                    }
                }
            }
            None => {
                self.uid += 1;
                obj["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{:012}", self.uid));
                obj["metadata"]["creationTimestamp"] = json!("2026-11-23T10:00:00Z");
                if t.rt.kind == "DaemonSet" {
                    super::daemonsets::admit_generation(obj, None);
                }
                if t.rt.kind == "Deployment" {
                    obj["metadata"]["generation"] = json!(1);
                    let replicas = obj
                        .pointer("/spec/replicas")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    if obj.pointer("/spec/replicas").is_none() {
                        obj["spec"]["replicas"] = json!(1);
                    }
                    obj["status"] = complete_status(1, replicas);
                }
            }
        }
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        Ok(())
    }

    pub fn create(&mut self, t: &Target, mut obj: Value, dry_run: bool) -> Result<Value, ApiError> {
        if t.rt.namespaced && !self.namespace_exists(&t.namespace) {
            return Err(namespace_not_found(&t.namespace));
        }
        self.admit(t, &mut obj, None)?;
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = Self::key(t.rt, &t.namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(err(
                409,
                "AlreadyExists",
                t.rt,
                &name,
                format!("{} \"{name}\" already exists", t.rt.resource),
            ));
        }
        self.store(key, obj, dry_run, true)
    }

    fn store(
        &mut self,
        key: Key,
        mut obj: Value,
        dry_run: bool,
        changed: bool,
    ) -> Result<Value, ApiError> {
        if dry_run {
            obj["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
            return Ok(obj);
        }
        if !changed && !self.ownership_changes(&key, &obj) {
            return Ok(self.objects[&key].clone());
        }
        obj["metadata"]["resourceVersion"] = json!(self.next_rv());
        let before: BTreeMap<FieldPath, Value> = self
            .objects
            .get(&key)
            .map(|o| leaf_paths(o).into_iter().collect())
            .unwrap_or_default();
        let me = (self.manager.clone(), self.operation.to_string());
        let owned = self.owners.entry(key.clone()).or_default();
        let after: BTreeMap<FieldPath, Value> = leaf_paths(&obj).into_iter().collect();
        owned.retain(|p, _| after.contains_key(p));
        for (p, v) in &after {
            if before.get(p) != Some(v) {
                // A change takes the field from every other manager.
                owned.insert(p.clone(), vec![me.clone()]);
            } else if self.applied.as_ref().is_some_and(|a| a.contains(p)) {
                let owners = owned.entry(p.clone()).or_default();
                if !owners.contains(&me) {
                    owners.push(me.clone());
                }
            }
        }
        let order = self.objects.get(&key).map(entry_order).unwrap_or_default();
        obj["metadata"]["managedFields"] = managed_fields(owned, &order, &obj);
        if key.0 == "daemonsets" {
            let old = self.objects.get(&key).cloned();
            super::daemonsets::on_store(self, &key, &mut obj, old.as_ref());
        }
        if key.0 == "deployments" {
            let observed = obj
                .pointer("/status/observedGeneration")
                .and_then(Value::as_i64);
            let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
            let template_changed = match self.objects.get(&key) {
                Some(old) => old.pointer("/spec/template") != obj.pointer("/spec/template"),
                None => false,
            };
            if template_changed {
                let replicas = obj
                    .pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                obj["status"]["updatedReplicas"] = json!(0);
                obj["status"]["replicas"] = json!(replicas + 1);
                obj["status"]["unavailableReplicas"] = json!(1);
                self.pending.insert(key.clone(), 0);
            } else if observed != generation && !self.pending.contains_key(&key) {
                obj["status"]["observedGeneration"] = json!(generation);
            }
        }
        let kind = if self.objects.contains_key(&key) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.record(key.0, &key.1.clone(), kind, &obj);
        self.objects.insert(key, obj.clone());
        Ok(obj)
    }

    /// Replace (PUT) with optimistic concurrency on metadata.resourceVersion.
    pub fn update(
        &mut self,
        t: &Target,
        name: &str,
        mut obj: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let key = Self::key(t.rt, &t.namespace, name);
        if let Some(i) = self
            .race_next_update
            .iter()
            .position(|r| r == t.rt.resource)
            && self.objects.contains_key(&key)
        {
            self.race_next_update.remove(i);
            let rv = self.next_rv();
            let stored = self.objects.get_mut(&key).expect("stored");
            stored["metadata"]["resourceVersion"] = json!(rv);
            stored["metadata"]["labels"]["touched-by"] = json!("someone-else");
        }
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(not_found(t.rt, name));
        };
        if obj.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
            return Err(err(
                400,
                "BadRequest",
                t.rt,
                name,
                "the name of the object does not match the name on the URL".into(),
            ));
        }
        if let Some(rv) = obj
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            && rv
                != old["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or_default()
        {
            return Err(conflict(t.rt, name));
        }
        self.admit(t, &mut obj, Some(&old))?;
        let changed = strip_rv(&obj) != strip_rv(&old);
        self.store(key, obj, dry_run, changed)
    }

    /// PATCH of any kind; `apply` creates a missing object.
    pub fn patch(
        &mut self,
        t: &Target,
        name: &str,
        content_type: &str,
        body: &[u8],
        dry_run: bool,
        field_manager: Option<&str>,
    ) -> Result<Value, ApiError> {
        let key = Self::key(t.rt, &t.namespace, name);
        let bad = |m: String| err(400, "BadRequest", t.rt, name, m);
        let ct = content_type.split(';').next().unwrap_or_default().trim();
        let patch_value: Value = if ct == "application/apply-patch+yaml" {
            serde_json::from_slice(body)
                .or_else(|_| serde_saphyr::from_slice(body).map_err(|e| e.to_string()))
                .map_err(|e| bad(format!("error decoding YAML: {e}")))?
        } else {
            serde_json::from_slice(body).map_err(|e| bad(format!("error decoding patch: {e}")))?
        };
        let existing = self.objects.get(&key).cloned();
        match ct {
            "application/apply-patch+yaml" => {
                let Some(fm) = field_manager.filter(|f| !f.is_empty()) else {
                    return Err(bad(
                        "PATCH, fieldManager: Required value: is required for apply patch".into(),
                    ));
                };
                if patch_value
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    != Some(name)
                {
                    return Err(bad(
                        "the name of the object does not match the name on the URL".into(),
                    ));
                }
                if patch_value.get("kind").and_then(Value::as_str) != Some(t.rt.kind) {
                    return Err(bad(format!("apply patch must name kind {}", t.rt.kind)));
                }
                let applied = patch_value.clone();
                self.manager = fm.to_string();
                self.operation = "Apply";
                self.applied = Some(leaf_paths(&applied).into_iter().map(|(p, _)| p).collect());
                let result = match existing {
                    None => self.create(t, applied, dry_run),
                    Some(old) => {
                        if !self.force {
                            let conflicts = self.apply_conflicts(&key, &old, &applied, fm);
                            if !conflicts.is_empty() {
                                self.operation = "Update";
                                self.applied = None;
                                return Err(apply_conflict(&conflicts));
                            }
                        }
                        let mut obj = old.clone();
                        let mut applied = applied;
                        if let Some(m) = applied.get_mut("metadata").and_then(Value::as_object_mut)
                        {
                            m.remove("resourceVersion");
                            m.remove("managedFields");
                        }
                        patch::strategic_merge(&mut obj, &applied);
                        match self.admit(t, &mut obj, Some(&old)) {
                            Ok(()) => {
                                let changed = strip_rv(&obj) != strip_rv(&old);
                                self.store(key, obj, dry_run, changed)
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                self.operation = "Update";
                self.applied = None;
                result
            }
            "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/json-patch+json" => {
                let Some(old) = existing else {
                    return Err(not_found(t.rt, name));
                };
                let mut obj = old.clone();
                match ct {
                    "application/merge-patch+json" => patch::merge_patch(&mut obj, &patch_value),
                    "application/strategic-merge-patch+json" => {
                        patch::strategic_merge(&mut obj, &patch_value)
                    }
                    _ => patch::json_patch(&mut obj, &patch_value)
                        .map_err(|m| err(422, "Invalid", t.rt, name, m))?,
                }
                if let Some(rv) = patch_value
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    && rv
                        != old["metadata"]["resourceVersion"]
                            .as_str()
                            .unwrap_or_default()
                {
                    return Err(conflict(t.rt, name));
                }
                self.admit(t, &mut obj, Some(&old))?;
                let changed = strip_rv(&obj) != strip_rv(&old);
                self.store(key, obj, dry_run, changed)
            }
            other => Err(err(
                415,
                "UnsupportedMediaType",
                t.rt,
                name,
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {other}"
                ),
            )),
        }
    }

    pub fn delete(&mut self, t: &Target, name: &str, dry_run: bool) -> Result<Value, ApiError> {
        let key = Self::key(t.rt, &t.namespace, name);
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(not_found(t.rt, name));
        };
        if !dry_run {
            self.objects.remove(&key);
            self.pending.remove(&key);
            if key.0 == "daemonsets" {
                super::daemonsets::on_delete(self, &old);
            }
            let mut gone = old.clone();
            gone["metadata"]["resourceVersion"] = json!(self.next_rv());
            self.record(key.0, &key.1, "DELETED", &gone);
        }
        Ok(old)
    }

    fn advance_rollout(&mut self, key: &Key) {
        let Some(seen) = self.pending.get_mut(key) else {
            return;
        };
        *seen += 1;
        let seen = *seen;
        let Some(obj) = self.objects.get_mut(key) else {
            return;
        };
        let generation = obj
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let replicas = obj
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        match self.rollout {
            Rollout::AfterGets(n) if seen >= n => {
                obj["status"] = complete_status(generation, replicas);
                self.pending.remove(key);
            }
            Rollout::Fail => {
                obj["status"]["observedGeneration"] = json!(generation);
                obj["status"]["conditions"] = json!([{
                    "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                    "message": format!("ReplicaSet \"{}\" has timed out progressing.", key.2),
                }]);
            }
            _ => {
                obj["status"]["observedGeneration"] = json!(generation);
            }
        }
    }

    /// SubjectAccessReview: evaluate the stored Roles/ClusterRoles and their bindings for a
    /// user (service accounts as `system:serviceaccount:NS:NAME`).
    pub fn rbac_allows(&self, user: &str, groups: &[String], attrs: &Value) -> bool {
        let get = |k: &str| {
            attrs
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (verb, resource, group, ns, name) = (
            get("verb"),
            get("resource"),
            get("group"),
            get("namespace"),
            get("name"),
        );
        let subject_matches = |s: &Value| {
            let kind = s.get("kind").and_then(Value::as_str).unwrap_or_default();
            let sname = s.get("name").and_then(Value::as_str).unwrap_or_default();
            match kind {
                "ServiceAccount" => {
                    let sns = s
                        .get("namespace")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    user == format!("system:serviceaccount:{sns}:{sname}")
                }
                "User" => user == sname,
                "Group" => groups.iter().any(|g| g == sname),
                _ => false,
            }
        };
        let rule_allows = |rules: &Value| {
            rules.as_array().into_iter().flatten().any(|r| {
                let has = |field: &str, want: &str| {
                    r.get(field)
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.iter().any(|x| x == "*" || x == want))
                };
                let names_ok = match r.get("resourceNames").and_then(Value::as_array) {
                    Some(a) if !a.is_empty() => a.iter().any(|x| x == name.as_str()),
                    _ => true,
                };
                has("verbs", &verb)
                    && has("resources", &resource)
                    && has("apiGroups", &group)
                    && names_ok
            })
        };
        let role = |kind: &str, rname: &str, bns: &str| -> Option<Value> {
            let key: Key = if kind == "ClusterRole" {
                ("clusterroles", String::new(), rname.to_string())
            } else {
                ("roles", bns.to_string(), rname.to_string())
            };
            self.objects.get(&key).map(|r| r["rules"].clone())
        };
        self.objects.iter().any(|((res, bns, _), b)| {
            let in_scope = (*res == "rolebindings" && *bns == ns) || *res == "clusterrolebindings";
            if !in_scope
                || !b["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(subject_matches)
            {
                return false;
            }
            let kind = b
                .pointer("/roleRef/kind")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let rname = b
                .pointer("/roleRef/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            role(kind, rname, bns).is_some_and(|rules| rule_allows(&rules))
        })
    }
}

/// One step of a field path as structured-merge-diff names it: a field, or the element of
/// a keyed list (`containers[name="x"]`, `volumeMounts[mountPath="/p"]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Field(String),
    Key(String, String),
}

/// A leaf field of an object.
pub type FieldPath = Vec<Seg>;

/// A field path as the API server prints it (`fieldpath.Path.String()`):
/// `.data.ca.crt`, `.spec.template.spec.containers[name="function-runner"].command`.
pub fn path_string(p: &[Seg]) -> String {
    p.iter()
        .map(|s| match s {
            Seg::Field(f) => format!(".{f}"),
            Seg::Key(k, v) => format!("[{k}={}]", Value::String(v.clone())),
        })
        .collect()
}

/// The key of a list's elements when the API merges it by key (containers, volumes, env by
/// `name`; volumeMounts by `mountPath`); `None`: an atomic list (a leaf, like `command`).
fn list_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let key = match field {
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => "name",
        _ => return None,
    };
    (!items.is_empty()
        && items
            .iter()
            .all(|i| i.get(key).and_then(Value::as_str).is_some()))
    .then_some(key)
}

/// The leaves an apply owns: scalars and atomic lists, keyed list elements' fields;
/// server-owned metadata and status excluded.
pub fn leaf_paths(v: &Value) -> Vec<(FieldPath, Value)> {
    fn walk(v: &Value, path: FieldPath, out: &mut Vec<(FieldPath, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let mut p = path.clone();
                    p.push(Seg::Field(k.clone()));
                    const SKIP: &[&str] = &[
                        ".status",
                        ".apiVersion",
                        ".kind",
                        ".metadata.name",
                        ".metadata.namespace",
                        ".metadata.resourceVersion",
                        ".metadata.uid",
                        ".metadata.creationTimestamp",
                        ".metadata.generation",
                        ".metadata.managedFields",
                    ];
                    if p.len() <= 2 && SKIP.contains(&path_string(&p).as_str()) {
                        continue;
                    }
                    walk(x, p, out);
                }
            }
            Value::Array(items) => {
                let field = match path.last() {
                    Some(Seg::Field(f)) => f.as_str(),
                    _ => "",
                };
                match list_key(field, items) {
                    Some(key) => {
                        for item in items {
                            let mut p = path.clone();
                            let value = item[key].as_str().unwrap_or_default().to_string();
                            p.push(Seg::Key(key.to_string(), value));
                            walk(item, p, out);
                        }
                    }
                    None => out.push((path, v.clone())),
                }
            }
            other => out.push((path, other.clone())),
        }
    }
    let mut out = vec![];
    walk(v, vec![], &mut out);
    out
}

/// When each managed field entry was last written (the fake's clock stands still).
const MANAGED_TIME: &str = "2026-11-23T10:00:00Z";

/// The (manager, operation) pairs of an object's managedFields, in their order.
fn entry_order(obj: &Value) -> Vec<(String, String)> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or_default().to_string(),
                e["operation"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `metadata.managedFields` as the API server writes it: one entry per (manager,
/// operation) that owns something, its fields as `FieldsV1` (`f:field`, `k:{"key":"v"}` with
/// `.` for the element itself).
fn managed_fields(
    owned: &BTreeMap<FieldPath, Vec<(String, String)>>,
    order: &[(String, String)],
    obj: &Value,
) -> Value {
    let mut pairs: Vec<(String, String)> = order.to_vec();
    for owners in owned.values() {
        for o in owners {
            if !pairs.contains(o) {
                pairs.push(o.clone());
            }
        }
    }
    let api_version = obj.get("apiVersion").cloned().unwrap_or(Value::Null);
    let mut entries = vec![];
    for (manager, operation) in pairs {
        let mut tree = serde_json::Map::new();
        let mut any = false;
        for (path, owners) in owned {
            if !owners.iter().any(|(m, o)| *m == manager && *o == operation) {
                continue;
            }
            any = true;
            let mut node = &mut tree;
            for seg in path {
                let key = match seg {
                    Seg::Field(f) => format!("f:{f}"),
                    Seg::Key(k, v) => format!("k:{}", json!({ k.as_str(): v })),
                };
                let is_element = matches!(seg, Seg::Key(..));
                let next = node.entry(key).or_insert_with(|| json!({}));
                let next = next.as_object_mut().expect("object");
                if is_element {
                    next.entry(".").or_insert_with(|| json!({}));
                }
                node = next;
            }
        }
        if any {
            entries.push(json!({
                "manager": manager,
                "operation": operation,
                "apiVersion": api_version,
                "time": MANAGED_TIME,
                "fieldsType": "FieldsV1",
                "fieldsV1": Value::Object(tree),
            }));
        }
    }
    Value::Array(entries)
}

impl State {
    /// Whether storing `obj` changes who owns what (a co-owning apply of the same values).
    fn ownership_changes(&self, key: &Key, obj: &Value) -> bool {
        let Some(applied) = &self.applied else {
            return false;
        };
        let me = (self.manager.clone(), self.operation.to_string());
        let owned = self.owners.get(key);
        let after: BTreeMap<FieldPath, Value> = leaf_paths(obj).into_iter().collect();
        applied.iter().any(|p| {
            after.contains_key(p)
                && !owned
                    .and_then(|o| o.get(p))
                    .is_some_and(|o| o.contains(&me))
        })
    }

    /// The conflicts of applying `applied` over `old` as `fm`: each leaf whose value the
    /// apply changes and that another manager owns, once per other owner (structured-merge-
    /// diff's rule).
    fn apply_conflicts(
        &self,
        key: &Key,
        old: &Value,
        applied: &Value,
        fm: &str,
    ) -> Vec<(String, FieldPath)> {
        let have: BTreeMap<FieldPath, Value> = leaf_paths(old).into_iter().collect();
        let owned = self.owners.get(key).cloned().unwrap_or_default();
        let mut out = vec![];
        for (p, v) in leaf_paths(applied) {
            if have.get(&p) == Some(&v) {
                continue;
            }
            for (m, op) in owned.get(&p).into_iter().flatten() {
                if m != fm {
                    out.push((print_manager(m, op, &old["apiVersion"]), p.clone()));
                }
            }
        }
        out
    }
}

/// A manager as apimachinery's `printManager` prints it in conflicts: `"m"` for an apply,
/// `"m" using API_VERSION at TIME` for an update.
fn print_manager(manager: &str, operation: &str, api_version: &Value) -> String {
    let quoted = Value::String(manager.to_string()).to_string();
    if operation == "Update" {
        format!(
            "{quoted} using {} at {MANAGED_TIME}",
            api_version.as_str().unwrap_or_default()
        )
    } else {
        quoted
    }
}

/// The 409 of an apply that met conflicts, as apimachinery's `NewConflictError` makes it:
/// reason `Conflict`, causes of type `FieldManagerConflict` (message `conflict with
/// MANAGER`, field `.PATH`), and the message of `getConflictMessage` (one conflict inline;
/// several grouped by manager, managers sorted, one `- PATH` line each).
fn apply_conflict(conflicts: &[(String, FieldPath)]) -> ApiError {
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, p)| {
            json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": path_string(p)})
        })
        .collect();
    let message = match conflicts {
        [(m, p)] => format!(
            "Apply failed with 1 conflict: conflict with {m}: {}",
            path_string(p)
        ),
        many => {
            let mut managers: Vec<&String> = many.iter().map(|(m, _)| m).collect();
            managers.sort();
            managers.dedup();
            let mut lines = vec![];
            for m in managers {
                lines.push(format!("conflicts with {m}:"));
                for (_, p) in many.iter().filter(|(x, _)| x == m) {
                    lines.push(format!("- {}", path_string(p)));
                }
            }
            format!(
                "Apply failed with {} conflicts: {}",
                many.len(),
                lines.join("\n")
            )
        }
    };
    ApiError {
        code: 409,
        reason: "Conflict",
        message,
        name: String::new(),
        kind: String::new(),
        group: String::new(),
        causes: Some(causes),
    }
}

fn conflict(rt: &ResourceType, name: &str) -> ApiError {
    let res = if rt.group.is_empty() {
        rt.resource.to_string()
    } else {
        format!("{}.{}", rt.resource, rt.group)
    };
    err(
        409,
        "Conflict",
        rt,
        name,
        format!(
            "Operation cannot be fulfilled on {res} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
        ),
    )
}

fn strip_rv(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    v
}

/// A field selector of `path=value` terms (`involvedObject.name=x`, `metadata.name=x`,
/// `spec.nodeName=x`), `!=` too, as the API serves the fields it indexes.
pub fn matches_fields(obj: &Value, selector: Option<&str>) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    sel.split(',').all(|term| {
        let (path, want, negate) = match term.split_once("!=") {
            Some((p, v)) => (p, v, true),
            None => match term.split_once('=') {
                Some((p, v)) => (p, v.trim_start_matches('='), false),
                None => return false,
            },
        };
        let pointer = format!("/{}", path.replace('.', "/"));
        let have = obj
            .pointer(&pointer)
            .and_then(Value::as_str)
            .unwrap_or_default();
        (have == want) != negate
    })
}

pub fn matches_labels(obj: &Value, selector: Option<&str>) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return true;
    };
    sel.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => {
            obj.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1")))
                .and_then(Value::as_str)
                == Some(v.trim_start_matches('='))
        }
        None => obj
            .pointer(&format!("/metadata/labels/{}", term.replace('/', "~1")))
            .is_some(),
    })
}

pub fn complete_status(generation: i64, replicas: i64) -> Value {
    json!({
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
        ]
    })
}

/// What the API server checks on Secrets: base64 data, the keys a type requires, immutable type.
fn validate_secret(
    rt: &ResourceType,
    name: &str,
    obj: &mut Value,
    old: Option<&Value>,
) -> Result<(), ApiError> {
    if obj.get("type").is_none() {
        obj["type"] = json!("Opaque");
    }
    // stringData is write-only: merged into data.
    if let Some(sd) = obj.as_object_mut().and_then(|m| m.remove("stringData"))
        && let Some(sd) = sd.as_object()
    {
        for (k, v) in sd {
            let enc =
                base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or_default());
            obj["data"][k] = json!(enc);
        }
    }
    let ty = obj["type"].as_str().unwrap_or_default().to_string();
    if let Some(old) = old
        && old["type"].as_str() != Some(ty.as_str())
    {
        return Err(invalid(rt, name, "type: Invalid value: field is immutable"));
    }
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in &data {
        if v.as_str().and_then(b64).is_none() {
            return Err(err(
                400,
                "BadRequest",
                rt,
                name,
                format!(
                    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at key {k}"
                ),
            ));
        }
    }
    match ty.as_str() {
        "kubernetes.io/dockerconfigjson" => {
            let Some(raw) = data
                .get(".dockerconfigjson")
                .and_then(Value::as_str)
                .and_then(b64)
            else {
                return Err(invalid(rt, name, "data[.dockerconfigjson]: Required value"));
            };
            if serde_json::from_slice::<Value>(&raw).is_err() {
                return Err(invalid(
                    rt,
                    name,
                    "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character",
                ));
            }
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !data.contains_key(k) {
                    return Err(invalid(rt, name, &format!("data[{k}]: Required value")));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let mut s = State::default();
        let ns = parse_path("/api/v1/namespaces").unwrap();
        s.create(&ns, json!({"metadata": {"name": "porch-system"}}), false)
            .unwrap();
        s
    }

    #[test]
    fn paths_parse() {
        let t = parse_path("/apis/apps/v1/namespaces/x/deployments/d").unwrap();
        assert_eq!(
            (t.rt.kind, t.namespace.as_str(), t.name.as_deref()),
            ("Deployment", "x", Some("d"))
        );
        let t = parse_path("/api/v1/namespaces/x").unwrap();
        assert_eq!((t.rt.kind, t.name.as_deref()), ("Namespace", Some("x")));
        assert!(parse_path("/api/v1/namespaces/x/nonsense").is_none());
    }

    #[test]
    fn create_needs_namespace_and_conflicts_on_stale_rv() {
        let mut s = state();
        let t = parse_path("/api/v1/namespaces/missing/secrets").unwrap();
        let e = s
            .create(&t, json!({"metadata": {"name": "a"}}), false)
            .unwrap_err();
        assert_eq!((e.code, e.reason), (404, "NotFound"));
        let t = parse_path("/api/v1/namespaces/porch-system/secrets").unwrap();
        let created = s
            .create(
                &t,
                json!({"metadata": {"name": "a"}, "data": {"k": "dg=="}}),
                false,
            )
            .unwrap();
        assert_eq!(s.create(&t, created.clone(), false).unwrap_err().code, 409);
        let mut upd = created.clone();
        upd["data"]["k"] = json!("dw==");
        let v2 = s.update(&t, "a", upd.clone(), false).unwrap();
        assert_ne!(
            v2["metadata"]["resourceVersion"],
            created["metadata"]["resourceVersion"]
        );
        let e = s.update(&t, "a", upd, false).unwrap_err();
        assert_eq!(e.reason, "Conflict");
    }

    #[test]
    fn dry_run_persists_nothing_and_noop_keeps_rv() {
        let mut s = state();
        let t = parse_path("/api/v1/namespaces/porch-system/secrets").unwrap();
        s.create(&t, json!({"metadata": {"name": "a"}}), true)
            .unwrap();
        assert!(s.objects.keys().all(|k| k.0 != "secrets"));
        let body =
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"dg=="}}"#;
        let a = s
            .patch(
                &t,
                "a",
                "application/apply-patch+yaml",
                body,
                false,
                Some("m"),
            )
            .unwrap();
        let b = s
            .patch(
                &t,
                "a",
                "application/apply-patch+yaml",
                body,
                false,
                Some("m"),
            )
            .unwrap();
        assert_eq!(
            a["metadata"]["resourceVersion"],
            b["metadata"]["resourceVersion"]
        );
    }

    #[test]
    fn apply_conflicts_with_another_manager_unless_forced() {
        let mut s = state();
        let t = parse_path("/api/v1/namespaces/porch-system/secrets").unwrap();
        s.manager = "kubectl-create".into();
        s.create(
            &t,
            json!({"metadata": {"name": "a"}, "data": {"k": "dg=="}}),
            false,
        )
        .unwrap();
        s.manager = "ours".into();
        let body =
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"dw=="}}"#;
        let e = s
            .patch(
                &t,
                "a",
                "application/apply-patch+yaml",
                body,
                false,
                Some("ours"),
            )
            .unwrap_err();
        // As kube-apiserver answers (apimachinery's NewConflictError): reason Conflict,
        // no name/kind in details, one FieldManagerConflict cause per field, the manager as
        // printManager prints an Update entry.
        assert_eq!(
            e.status(),
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Apply failed with 1 conflict: conflict with \"kubectl-create\" using v1 at 2026-11-23T10:00:00Z: .data.k",
                "reason": "Conflict",
                "details": {"causes": [{"reason": "FieldManagerConflict",
                    "message": "conflict with \"kubectl-create\" using v1 at 2026-11-23T10:00:00Z",
                    "field": ".data.k"}]},
                "code": 409,
            })
        );
        // Same value: no conflict. Forced: ours.
        let same =
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"dg=="}}"#;
        s.patch(
            &t,
            "a",
            "application/apply-patch+yaml",
            same,
            false,
            Some("ours"),
        )
        .unwrap();
        s.force = true;
        s.patch(
            &t,
            "a",
            "application/apply-patch+yaml",
            body,
            false,
            Some("ours"),
        )
        .unwrap();
        s.force = false;
        let again =
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"data":{"k":"eA=="}}"#;
        s.patch(
            &t,
            "a",
            "application/apply-patch+yaml",
            again,
            false,
            Some("ours"),
        )
        .unwrap();
    }

    #[test]
    fn managed_fields_and_several_conflicts_as_the_api_server_writes_them() {
        let mut s = state();
        let t = parse_path("/apis/apps/v1/namespaces/porch-system/deployments").unwrap();
        let apply = |s: &mut State, m: &str, body: Value| {
            s.patch(
                &t,
                "d",
                "application/apply-patch+yaml",
                body.to_string().as_bytes(),
                false,
                Some(m),
            )
        };
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "command": ["/s"],
                "volumeMounts": [{"name": "v", "mountPath": "/p"}]}]}}}});
        let stored = apply(&mut s, "argocd-controller", d.clone()).unwrap();
        let mf = &stored["metadata"]["managedFields"];
        assert_eq!(mf.as_array().unwrap().len(), 1);
        assert_eq!(mf[0]["manager"], "argocd-controller");
        assert_eq!(mf[0]["operation"], "Apply");
        assert_eq!(mf[0]["fieldsType"], "FieldsV1");
        let ctr = &mf[0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"];
        assert_eq!(ctr["."], json!({}));
        assert_eq!(ctr["f:command"], json!({}));
        assert_eq!(
            ctr["f:volumeMounts"]["k:{\"mountPath\":\"/p\"}"]["f:name"],
            json!({})
        );
        // An update by another manager takes only what it changed.
        let mut changed = stored.clone();
        changed["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--x"]);
        s.manager = "kubectl-edit".into();
        let after = s.update(&t, "d", changed, false).unwrap();
        let mf = after["metadata"]["managedFields"].as_array().unwrap();
        assert_eq!(mf.len(), 2);
        assert_eq!(
            (mf[1]["manager"].as_str(), mf[1]["operation"].as_str()),
            (Some("kubectl-edit"), Some("Update"))
        );
        // Two managers, three fields: grouped by manager, sorted, one `- PATH` line each.
        let mut other = d.clone();
        other["spec"]["template"]["spec"]["containers"][0]["command"] = json!(["/t"]);
        other["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--y"]);
        other["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] = json!("w");
        let e = apply(&mut s, "ours", other).unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            "Apply failed with 3 conflicts: conflicts with \"argocd-controller\":\n- .spec.template.spec.containers[name=\"c\"].command\n- .spec.template.spec.containers[name=\"c\"].volumeMounts[mountPath=\"/p\"].name\nconflicts with \"kubectl-edit\" using apps/v1 at 2026-11-23T10:00:00Z:\n- .spec.template.spec.containers[name=\"c\"].args"
        );
        assert_eq!(e.causes.as_ref().map(|c| c.len()), Some(3));
    }

    #[test]
    fn tls_type_needs_keys_and_type_is_immutable() {
        let mut s = state();
        let t = parse_path("/api/v1/namespaces/porch-system/secrets").unwrap();
        let e = s.create(&t, json!({"metadata": {"name": "a"}, "type": "kubernetes.io/tls", "data": {"ca.crt": "dg=="}}), false).unwrap_err();
        assert_eq!(e.code, 422);
        s.create(
            &t,
            json!({"metadata": {"name": "a"}, "data": {"ca.crt": "dg=="}}),
            false,
        )
        .unwrap();
        let body = br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}"#;
        s.force = true;
        assert_eq!(
            s.patch(
                &t,
                "a",
                "application/apply-patch+yaml",
                body,
                false,
                Some("m")
            )
            .unwrap_err()
            .code,
            422
        );
    }

    #[test]
    fn deployment_rollout_advances_after_gets() {
        let mut s = state();
        let t = parse_path("/apis/apps/v1/namespaces/porch-system/deployments").unwrap();
        let d = s.create(&t, json!({"metadata": {"name": "d"}, "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c"}]}}}}), false).unwrap();
        let mut d2 = d.clone();
        d2["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--x"]);
        let d2 = s.update(&t, "d", d2, false).unwrap();
        assert_eq!(d2["metadata"]["generation"], 2);
        assert_eq!(d2["status"]["updatedReplicas"], 0);
        s.rollout = Rollout::AfterGets(2);
        assert_eq!(s.get(&t, "d").unwrap()["status"]["updatedReplicas"], 0);
        let done = s.get(&t, "d").unwrap();
        assert_eq!(done["status"]["observedGeneration"], 2);
        assert_eq!(done["status"]["availableReplicas"], 2);
    }

    #[test]
    fn rbac_evaluates_bindings() {
        let mut s = state();
        let role =
            parse_path("/apis/rbac.authorization.k8s.io/v1/namespaces/porch-system/roles").unwrap();
        let rb =
            parse_path("/apis/rbac.authorization.k8s.io/v1/namespaces/porch-system/rolebindings")
                .unwrap();
        s.create(&role, json!({"metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create"]}]}), false).unwrap();
        s.create(&rb, json!({"metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "x"}]}), false).unwrap();
        let attrs = |verb: &str| json!({"namespace": "porch-system", "verb": verb, "resource": "secrets", "group": ""});
        assert!(s.rbac_allows("system:serviceaccount:x:sa", &[], &attrs("get")));
        assert!(!s.rbac_allows("system:serviceaccount:x:sa", &[], &attrs("update")));
        assert!(!s.rbac_allows("system:serviceaccount:x:other", &[], &attrs("get")));
    }
}
