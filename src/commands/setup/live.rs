//! Live `setup`: Secrets first (server-side apply), then the Deployment patch (the same plan as
//! offline `patch`), the runner's copy in the function namespace on rotation, and the rollout.
//! A step that fails half way reports what changed, what did not, and how to undo it.

use serde_json::{Value, json};

use super::client::{Kind, Kube, api_code};
use super::rollout;
use super::view::{self, runner_view};
use crate::error::{Error, Result};
use crate::runner::options::DryRun;
use crate::runner::secrets::{DOCKERCONFIGJSON_KEY, DOCKERCONFIGJSON_TYPE};

/// The patched Deployment, the human lines of what changed (empty: nothing to change) and
/// notes about what the plan could not fix.
pub type PatchFn<'a> = dyn Fn(&Value) -> Result<(Value, Vec<String>, Vec<String>)> + 'a;

/// Everything the live setup does, decided before anything is sent.
pub struct LiveSetup<'a> {
    pub namespace: String,
    pub deployment: String,
    pub container: String,
    pub fn_namespace: String,
    /// The auth Secret, then the optional TLS Secret (full objects).
    pub secrets: Vec<Value>,
    pub patch: &'a PatchFn<'a>,
    /// What the user asked for (registries, users, names), shown first in the summary.
    pub input_summary: Vec<String>,
    pub dry_run: DryRun,
    pub output: crate::ui::output::OutputFormat,
    pub wait: bool,
    pub timeout: std::time::Duration,
    pub yes: bool,
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// Steps already carried out, for the half-way report.
#[derive(Default)]
pub struct Journal {
    pub done: Vec<(String, String)>, // (what changed, how to undo)
}

impl Journal {
    pub fn push(&mut self, what: impl Into<String>, undo: impl Into<String>) {
        self.done.push((what.into(), undo.into()));
    }

    /// Print what changed and what did not before the one `error:` line.
    pub fn report_failure(&self, failed_step: &str, pending: &[String]) {
        crate::ui::info(format!("setup stopped at: {failed_step}"));
        if self.done.is_empty() {
            crate::ui::info("  nothing was changed in the cluster");
        } else {
            crate::ui::info("  already changed:");
            for (what, _) in &self.done {
                crate::ui::info(format!("    - {what}"));
            }
        }
        if !pending.is_empty() {
            crate::ui::info("  not changed:");
            for p in pending {
                crate::ui::info(format!("    - {p}"));
            }
        }
        if !self.done.is_empty() {
            crate::ui::info("  to undo:");
            for (_, undo) in self.done.iter().rev() {
                crate::ui::info(format!("    {undo}"));
            }
            crate::ui::info(
                "  or fix the cause and run the same setup command again (it is idempotent)",
            );
        }
    }
}

/// Whether `existing` already holds everything in `desired` (type and data).
pub fn secret_outcome(existing: Option<&Value>, desired: &Value) -> Outcome {
    let Some(ex) = existing else {
        return Outcome::Created;
    };
    let want_type = desired["type"].as_str().unwrap_or("Opaque");
    let have_type = ex["type"].as_str().unwrap_or("Opaque");
    let data_ok = desired["data"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| {
            ex.pointer(&format!(
                "/data/{}",
                k.replace('~', "~0").replace('/', "~1")
            )) == Some(v)
        });
    if want_type == have_type && data_ok {
        Outcome::Unchanged
    } else {
        Outcome::Configured
    }
}

/// Strip what the server owns, so the object can go to `kubectl apply -f -`.
pub fn for_apply(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            m.remove(k);
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
            if a.is_empty() {
                m.remove("annotations");
            }
        }
    }
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    o
}

fn name_of(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

/// Read the Deployment, telling a missing namespace from a missing Deployment.
pub fn read_deployment(kube: &Kube, namespace: &str, name: &str) -> Result<Value> {
    match kube.get_opt(Kind::Deployment, namespace, name)? {
        Some(d) => Ok(d),
        None => {
            if !kube.namespace_exists(namespace).unwrap_or(true) {
                Err(Error::not_found(format!(
                    "namespace \"{namespace}\" does not exist on {}; pass the runner's namespace with -n/--namespace",
                    kube.server
                )))
            } else {
                Err(Error::not_found(format!(
                    "deployment \"{name}\" not found in namespace \"{namespace}\" on {}; pass the runner's Deployment with --deployment and its namespace with -n",
                    kube.server
                )))
            }
        }
    }
}

/// Ask the API server (SelfSubjectAccessReview) whether we may do each step; a refusal
/// becomes a Forbidden error before anything changes. Unknown (review unavailable) passes.
fn preflight(kube: &Kube, checks: &[(&str, &str, &str, &str)]) -> Result<()> {
    for (verb, group, resource, ns) in checks {
        if let Some(false) = kube.self_access_review(verb, group, resource, ns)? {
            let res = if group.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}.{group}")
            };
            return Err(Error::Forbidden(format!(
                "RBAC forbids the step \"{verb} {res} in namespace {ns}\" (verb {verb}, resource {res}); nothing was changed; ask a cluster admin to grant `{verb}` on {res} in namespace \"{ns}\""
            )));
        }
    }
    Ok(())
}

/// The live setup.
pub fn run(kube: &Kube, s: &LiveSetup<'_>) -> Result<()> {
    let ns = s.namespace.as_str();
    // 1. Read everything and decide, before any change.
    let live = read_deployment(kube, ns, &s.deployment)?;
    let (patched, changes, notes) = (s.patch)(&live)?;
    for n in &notes {
        crate::ui::warn(n);
    }
    let view = runner_view(&patched, &s.container).ok_or_else(|| {
        Error::not_found(format!(
            "container \"{}\" not found in deployment \"{}\"; pass it with --container",
            s.container, s.deployment
        ))
    })?;
    let mut existing = vec![];
    for sec in &s.secrets {
        let ex = kube.get_opt(Kind::Secret, ns, name_of(sec))?;
        if let Some(ex) = &ex {
            let (have, want) = (
                ex["type"].as_str().unwrap_or("Opaque"),
                sec["type"].as_str().unwrap_or("Opaque"),
            );
            if have != want {
                return Err(Error::usage(format!(
                    "secret \"{}\" in namespace \"{ns}\" exists with type {have}, but this setup needs type {want} and the API server does not allow changing a Secret's type; delete it (`kubectl -n {ns} delete secret {}`) or choose another name (--auth-secret-name / --tls-secret-name); nothing was changed",
                    name_of(sec),
                    name_of(sec)
                )));
            }
        }
        existing.push(ex);
    }
    let outcomes: Vec<Outcome> = s
        .secrets
        .iter()
        .zip(&existing)
        .map(|(sec, ex)| secret_outcome(ex.as_ref(), sec))
        .collect();
    let auth_changed = outcomes.first().copied() == Some(Outcome::Configured);
    let fn_ns = view
        .pod_namespace()
        .unwrap_or(s.fn_namespace.as_str())
        .to_string();
    let copy_name = view.copy_name().to_string();
    // The runner's copy: absent (the runner creates it), current, or stale.
    let copy = kube.get_opt(Kind::Secret, &fn_ns, &copy_name).ok();
    let copy_state = match &copy {
        Some(Some(c)) => {
            if c.pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}"))
                == s.secrets[0].pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}"))
            {
                "current"
            } else {
                "stale"
            }
        }
        Some(None) => "absent",
        None => "unreadable",
    };
    let copy_stale = copy_state == "stale";
    let refresh = auth_changed || copy_stale;

    // 2. dry-run=client: print the objects, send nothing.
    if s.dry_run == DryRun::Client {
        let mut objs: Vec<Value> = s.secrets.iter().map(for_apply).collect();
        objs.push(for_apply(&patched));
        crate::ui::output::print_objects(&objs, s.output)?;
        for (sec, o) in s.secrets.iter().zip(&outcomes) {
            crate::ui::info(format!(
                "secret/{} would be {} (dry run)",
                name_of(sec),
                o.word()
            ));
        }
        crate::ui::info(format!(
            "deployment.apps/{} would be {} (dry run)",
            s.deployment,
            if changes.is_empty() {
                "unchanged"
            } else {
                "configured"
            }
        ));
        return Ok(());
    }

    // 3. Summary and confirmation.
    let mut summary = format!(
        "Cluster {} (context {}), namespace \"{ns}\":\n",
        kube.server, kube.context
    );
    for line in &s.input_summary {
        summary.push_str(&format!("  {line}\n"));
    }
    for (sec, o) in s.secrets.iter().zip(&outcomes) {
        summary.push_str(&format!(
            "  secret/{} ({}): {}\n",
            name_of(sec),
            sec["type"].as_str().unwrap_or("Opaque"),
            match o {
                Outcome::Created => "create",
                Outcome::Configured => "update",
                Outcome::Unchanged => "unchanged",
            }
        ));
    }
    if changes.is_empty() {
        summary.push_str(&format!("  deployment.apps/{}: unchanged\n", s.deployment));
    } else {
        summary.push_str(&format!(
            "  deployment.apps/{}: patch (pods restart)\n",
            s.deployment
        ));
        for c in &changes {
            summary.push_str(&format!("    - {c}\n"));
        }
    }
    match copy_state {
        "stale" => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": update (stale after the change)\n"
        )),
        "unreadable" if auth_changed => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": update if possible, else restart the runner\n"
        )),
        "absent" if auth_changed => summary.push_str(&format!(
            "  runner's copy secret/{copy_name} in namespace \"{fn_ns}\": absent (the runner creates it on its next image lookup)\n"
        )),
        _ => {}
    }
    let server_dry = s.dry_run == DryRun::Server;
    if !server_dry && !super::confirm(&summary, s.yes)? {
        return Err(Error::usage("setup cancelled; nothing was changed"));
    }

    let mut checks = vec![];
    for (sec, o) in s.secrets.iter().zip(&outcomes) {
        if *o != Outcome::Unchanged {
            let _ = sec;
            checks.push(("patch", "", "secrets", ns));
        }
    }
    if !changes.is_empty() {
        checks.push(("update", "apps", "deployments", ns));
    }
    preflight(kube, &checks)?;

    // 4. Carry it out, Secrets first: the Deployment never points at a missing Secret.
    let suffix = if server_dry { " (server dry run)" } else { "" };
    let mut journal = Journal::default();
    let mut pending: Vec<String> = s
        .secrets
        .iter()
        .map(|x| format!("secret/{}", name_of(x)))
        .collect();
    pending.push(format!("deployment.apps/{}", s.deployment));
    for (i, (sec, o)) in s.secrets.iter().zip(&outcomes).enumerate() {
        let name = name_of(sec).to_string();
        pending.remove(0);
        if *o != Outcome::Unchanged {
            if let Err(e) = kube.apply(Kind::Secret, ns, sec, server_dry) {
                let mut p = vec![format!("secret/{name}")];
                p.extend(pending.iter().cloned());
                journal.report_failure(&format!("apply secret/{name}"), &p);
                return Err(e);
            }
            if !server_dry {
                match o {
                    Outcome::Created => journal.push(
                        format!("secret/{name} created"),
                        format!("kubectl -n {ns} delete secret {name}"),
                    ),
                    _ => journal.push(
                        format!("secret/{name} updated with the new content"),
                        format!(
                            "re-run setup with the previous credentials{} to restore secret/{name}",
                            if i == 0 { "" } else { " / CA" }
                        ),
                    ),
                }
            }
        }
        crate::outln!("secret/{name} {}{suffix}", o.word());
    }
    pending.remove(0);

    let mut restarted = !changes.is_empty();
    if !changes.is_empty() {
        if let Err(e) = update_deployment(kube, s, server_dry) {
            journal.report_failure(
                &format!("update deployment.apps/{}", s.deployment),
                &[format!(
                    "deployment.apps/{} (still as before)",
                    s.deployment
                )],
            );
            return Err(e);
        }
        if !server_dry {
            journal.push(
                format!("deployment.apps/{} patched", s.deployment),
                format!(
                    "kubectl porch-registry remove -n {ns} --deployment {} --container {}   (or: kubectl -n {ns} rollout undo deployment/{})",
                    s.deployment, s.container, s.deployment
                ),
            );
        }
        crate::outln!("deployment.apps/{} configured{suffix}", s.deployment);
    } else {
        crate::outln!("deployment.apps/{} unchanged{suffix}", s.deployment);
    }

    // 5. Rotation: the runner refreshes its copy only on a cache miss.
    if refresh {
        let dockerconfig = s.secrets[0]["data"][DOCKERCONFIGJSON_KEY].clone();
        match refresh_copy(kube, &fn_ns, &copy_name, &dockerconfig, server_dry) {
            Ok(CopyRefresh::Updated) => crate::outln!(
                "secret/{copy_name} in namespace \"{fn_ns}\" updated{suffix} (the runner's copy, used as imagePullSecret of function pods; the runner refreshes it only on a cache miss)"
            ),
            Ok(CopyRefresh::Current) => crate::ui::info(format!(
                "the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" already matches"
            )),
            Ok(CopyRefresh::Missing) => crate::ui::info(format!(
                "the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" does not exist yet; the runner creates it on its next image lookup"
            )),
            Err(why) => {
                crate::ui::warn(format!(
                    "cannot update the runner's copy secret/{copy_name} in namespace \"{fn_ns}\" ({why}); restarting the runner instead so that it refreshes the copy"
                ));
                if !restarted {
                    if let Err(e) = restart(kube, s, server_dry) {
                        journal.report_failure(
                            &format!("restart deployment.apps/{}", s.deployment),
                            &[format!(
                                "the runner's copy secret/{copy_name} in \"{fn_ns}\" is stale"
                            )],
                        );
                        return Err(e);
                    }
                    crate::outln!("deployment.apps/{} restarted{suffix}", s.deployment);
                    restarted = true;
                }
            }
        }
    }

    // 6. Wait.
    if restarted && s.wait && !server_dry {
        rollout::wait_for_rollout(kube, ns, &s.deployment, s.timeout)?;
    }
    Ok(())
}

/// PUT the planned Deployment; on a 409 Conflict read it again and re-plan (up to 3 times).
fn update_deployment(kube: &Kube, s: &LiveSetup<'_>, dry_run: bool) -> Result<()> {
    let ns = s.namespace.as_str();
    for attempt in 0..3 {
        let live = read_deployment(kube, ns, &s.deployment)?;
        let (patched, changes, _) = (s.patch)(&live)?;
        if changes.is_empty() {
            return Ok(());
        }
        match kube.replace_raw(Kind::Deployment, ns, &patched, dry_run) {
            Ok(_) => return Ok(()),
            Err(e) if api_code(&e) == Some(409) && attempt < 2 => continue,
            Err(e) => {
                return Err(kube.error(
                    &super::client::Op {
                        verb: "update",
                        kind: Kind::Deployment,
                        namespace: ns,
                        name: Some(&s.deployment),
                    },
                    e,
                ));
            }
        }
    }
    Err(Error::Cluster(format!(
        "deployment \"{}\" kept changing while we updated it (conflicts); try again",
        s.deployment
    )))
}

/// Restart the runner the way `kubectl rollout restart` does (a pod template annotation).
pub fn restart(kube: &Kube, s: &LiveSetup<'_>, dry_run: bool) -> Result<()> {
    let ns = s.namespace.as_str();
    let mut d = read_deployment(kube, ns, &s.deployment)?;
    let now = crate::runner::ca::format_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    );
    let meta = &mut d["spec"]["template"]["metadata"];
    if !meta.is_object() {
        *meta = json!({});
    }
    if !meta["annotations"].is_object() {
        meta["annotations"] = json!({});
    }
    meta["annotations"]["kubectl.kubernetes.io/restartedAt"] = json!(now);
    kube.replace(Kind::Deployment, ns, &d, dry_run).map(|_| ())
}

pub enum CopyRefresh {
    Updated,
    Current,
    Missing,
}

/// Bring the runner's copy (`kubernetes.io/dockerconfigjson` in the function namespace) up to
/// date. Err(reason) when we cannot (forbidden and the like).
pub fn refresh_copy(
    kube: &Kube,
    fn_ns: &str,
    name: &str,
    dockerconfig_b64: &Value,
    dry_run: bool,
) -> std::result::Result<CopyRefresh, String> {
    let copy = match kube.get_opt(Kind::Secret, fn_ns, name) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(CopyRefresh::Missing),
        Err(e) => return Err(e.to_string()),
    };
    if copy.pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}")) == Some(dockerconfig_b64)
        && copy["type"] == DOCKERCONFIGJSON_TYPE
    {
        return Ok(CopyRefresh::Current);
    }
    let mut updated = copy.clone();
    updated["data"] = json!({ DOCKERCONFIGJSON_KEY: dockerconfig_b64 });
    kube.replace(Kind::Secret, fn_ns, &updated, dry_run)
        .map(|_| CopyRefresh::Updated)
        .map_err(|e| e.to_string())
}

/// The runner copy's name and namespace for a Deployment view (flags, else defaults).
pub fn copy_location(view: &view::RunnerView, fallback_fn_ns: &str) -> (String, String) {
    (
        view.pod_namespace().unwrap_or(fallback_fn_ns).to_string(),
        view.copy_name().to_string(),
    )
}
