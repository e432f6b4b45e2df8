//! The fake API server's state and semantics, without HTTP: an object store with the API's
//! conventions (resourceVersion, generation, optimistic concurrency, dryRun, Status errors,
//! RBAC rules for the caller, RBAC evaluation for SubjectAccessReview, rollout simulation).

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
}

impl ApiError {
    pub fn status(&self) -> Value {
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": {"name": self.name, "group": self.group, "kind": self.kind},
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
    /// Field ownership for server-side apply: object -> leaf path -> manager.
    pub owners: BTreeMap<Key, BTreeMap<String, String>>,
    /// The field manager of the request being served (fieldManager, else "unknown").
    pub manager: String,
    /// `force=true` on the apply being served.
    pub force: bool,
    pub rollout: Rollout,
    /// Deployments with a pending rollout: key -> GETs seen since the template changed.
    pub pending: BTreeMap<Key, u32>,
    pub requests: Vec<RequestRecord>,
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
            force: false,
            rollout: Rollout::AfterGets(1),
            pending: BTreeMap::new(),
            requests: vec![],
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
        if !changed {
            return Ok(self.objects[&key].clone());
        }
        obj["metadata"]["resourceVersion"] = json!(self.next_rv());
        let before: BTreeMap<String, Value> = self
            .objects
            .get(&key)
            .map(|o| leaf_paths(o).into_iter().collect())
            .unwrap_or_default();
        let owned = self.owners.entry(key.clone()).or_default();
        let after: BTreeMap<String, Value> = leaf_paths(&obj).into_iter().collect();
        owned.retain(|p, _| after.contains_key(p));
        for (p, v) in &after {
            if before.get(p) != Some(v) {
                owned.insert(p.clone(), self.manager.clone());
            }
        }
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
                let mut applied = patch_value.clone();
                match existing {
                    None => {
                        set_manager(&mut applied, fm, "Apply");
                        self.create(t, applied, dry_run)
                    }
                    Some(old) => {
                        if !self.force {
                            let have: BTreeMap<String, Value> =
                                leaf_paths(&old).into_iter().collect();
                            let owned = self.owners.get(&key).cloned().unwrap_or_default();
                            let conflicts: Vec<String> = leaf_paths(&applied)
                                .into_iter()
                                .filter(|(p, v)| {
                                    owned.get(p).is_some_and(|m| m != fm) && have.get(p) != Some(v)
                                })
                                .map(|(p, _)| format!("conflict with \"{}\": {p}", owned[&p]))
                                .collect();
                            if !conflicts.is_empty() {
                                return Err(err(
                                    409,
                                    "Conflict",
                                    t.rt,
                                    name,
                                    format!(
                                        "Apply failed with {} conflict(s): {}",
                                        conflicts.len(),
                                        conflicts.join("; ")
                                    ),
                                ));
                            }
                        }
                        let mut obj = old.clone();
                        if let Some(m) = applied.get_mut("metadata").and_then(Value::as_object_mut)
                        {
                            m.remove("resourceVersion");
                        }
                        patch::strategic_merge(&mut obj, &applied);
                        set_manager(&mut obj, fm, "Apply");
                        self.admit(t, &mut obj, Some(&old))?;
                        let changed = strip_rv(&obj) != strip_rv(&old);
                        self.store(key, obj, dry_run, changed)
                    }
                }
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
                if let Some(fm) = field_manager {
                    set_manager(&mut obj, fm, "Update");
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

/// The leaves an apply owns: scalars and (atomic) lists, by JSON pointer; server-owned
/// metadata and status excluded.
pub fn leaf_paths(v: &Value) -> Vec<(String, Value)> {
    fn walk(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                    const SKIP: &[&str] = &[
                        "/status",
                        "/apiVersion",
                        "/kind",
                        "/metadata/name",
                        "/metadata/namespace",
                        "/metadata/resourceVersion",
                        "/metadata/uid",
                        "/metadata/creationTimestamp",
                        "/metadata/generation",
                        "/metadata/managedFields",
                    ];
                    if !SKIP.contains(&p.as_str()) {
                        walk(x, p, out);
                    }
                }
            }
            other => out.push((path, other.clone())),
        }
    }
    let mut out = vec![];
    walk(v, String::new(), &mut out);
    out
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

fn set_manager(obj: &mut Value, manager: &str, operation: &str) {
    let entry = json!({"manager": manager, "operation": operation, "apiVersion": obj.get("apiVersion").cloned().unwrap_or(Value::Null)});
    let list = obj["metadata"]
        .as_object_mut()
        .map(|m| m.entry("managedFields").or_insert(json!([])));
    if let Some(Value::Array(list)) = list
        && !list
            .iter()
            .any(|e| e["manager"] == manager && e["operation"] == operation)
    {
        list.push(entry);
    }
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
        assert_eq!((e.code, e.reason), (409, "Conflict"));
        assert!(
            e.message.contains("kubectl-create") && e.message.contains("/data/k"),
            "{}",
            e.message
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
