//! `check --pull-test [IMAGE...]`: can a function pod in the function namespace, with the
//! runner's pull secret, pull each image on every Ready node?
//!
//! The story: the runner as the model knows it (function namespace, its copy of the auth
//! Secret, the default prefix) -> each image resolved and judged as the runner would (no pod
//! for what the runner would not run) -> our permissions (SelfSubjectAccessReview, every
//! missing one named) -> the nodes (NotReady and cordoned ones named, `--nodes N`) -> one pod
//! per image x node, watched (polled when the watch breaks or is not allowed) until the pull
//! is decided, each pod deleted as soon as it is -> one finding per pair. `--timeout` bounds
//! it all; whatever happens (error, timeout, SIGINT/SIGTERM/SIGHUP) the run's pods are
//! deleted by name and then by label before we return (or re-raise the signal).

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::time::Instant;

use crate::cluster::pods::Change;
use crate::cluster::{Kind, Kube, connect};
use crate::error::{Error, Result};
use crate::runner::lint::{self, Finding, LintContext, Severity};
use crate::runner::model::{Keychain, predict};
use crate::runner::pull_test::{
    self as core, FindingContext, Outcome, PodInput, PullFailure, TestImage, rules,
};
use crate::runner::view::runner_view;
use crate::settings::{Check, PullTest};
use crate::ui;

/// How long the cleanup may take after the test (deletes by name, then by label).
const CLEANUP_BOUND: Duration = Duration::from_secs(30);
/// The longest watch we ask for (below the client's 60 s read timeout).
const WATCH_SECONDS: u64 = 50;

/// The pull test's findings (the live check's come before them).
pub(super) fn findings(
    args: &Check,
    pt: &PullTest,
    objects: &[Value],
    ctx: &LintContext,
) -> Result<Vec<Finding>> {
    // The runner as the model knows it.
    let deployment = objects.first().ok_or_else(|| {
        Error::not_found(
            "check --pull-test needs the runner's Deployment; pass it with --deployment",
        )
    })?;
    let view = runner_view(deployment, &args.target.container)?;
    let fn_ns = view
        .pod_namespace()
        .unwrap_or(args.fn_namespace.as_str())
        .to_string();
    let runner = lint::runner_config(objects, ctx, args.default_image_prefix.as_deref())
        .map_err(|e| {
            Error::not_found(format!(
                "check --pull-test: cannot read the runner's configuration: {e}; check --deployment and --container"
            ))
        })?;

    // Each image as the runner would run it.
    let uses = crate::krm::pipeline::command_line_and_package_images(&pt.images, &args.packages)?;
    let mut findings = Vec::new();
    let mut images: Vec<(TestImage, Option<String>)> = Vec::new();
    for u in &uses {
        let p = predict(&u.image, &runner.config);
        let no_pod = |message: String, severity| Finding {
            severity,
            rule: rules::NO_POD,
            object: u.source.clone(),
            message,
            fix: format!("`kubectl porch-registry explain {}` shows why", u.image),
            object_index: None,
            field: None,
        };
        if p.in_process {
            findings.push(no_pod(
                format!(
                    "{} runs inside porch-server, never as a function pod: nothing to pull",
                    u.image
                ),
                Severity::Info,
            ));
            continue;
        }
        let (Ok(reference), Some(access)) = (&p.reference, &p.access) else {
            findings.push(no_pod(
                format!("{} (resolved to {}) does not parse as an image reference: the runner creates no pod for it", u.image, p.resolved),
                Severity::Error,
            ));
            continue;
        };
        if access.auth_file_fails {
            findings.push(no_pod(
                format!(
                    "the runner's auth file does not parse, so it creates no pod for {}",
                    p.resolved
                ),
                Severity::Error,
            ));
            continue;
        }
        if images.iter().any(|(i, _)| i.resolved == p.resolved) {
            continue;
        }
        images.push((
            TestImage {
                image: u.image.clone(),
                resolved: p.resolved.clone(),
                pull_secret: (access.keychain == Keychain::AuthFile).then(|| view.copy_name()),
            },
            Some(reference.registry().to_string()),
        ));
    }

    // May we? Every missing permission in one line, before anything is created.
    let kube = connect(&args.cluster)?;
    let can_watch = permissions(&kube, &fn_ns)?;
    if !kube.namespace_exists(&fn_ns).unwrap_or(true) {
        return Err(Error::not_found(format!(
            "the function namespace \"{fn_ns}\" does not exist on {}: the runner creates its function pods there (--pod-namespace); create it or pass --fn-namespace",
            kube.server
        )));
    }

    // The runner creates its copy of the auth Secret on its first private pull: until then a
    // function pod (and this test) pulls without credentials.
    if let Some(copy) = images.iter().find_map(|(i, _)| i.pull_secret.clone())
        && let Ok(None) = kube.get_opt(Kind::Secret, &fn_ns, &copy)
    {
        findings.push(Finding {
            severity: Severity::Warning,
            rule: rules::NO_PULL_SECRET,
            object: format!("Secret/{fn_ns}/{copy}"),
            message: format!("the runner's copy \"{copy}\" of the auth Secret is not in namespace \"{fn_ns}\" yet: the pods name it in imagePullSecrets, but the kubelet pulls without credentials until the runner creates it (on its first private image)"),
            fix: format!("let the runner evaluate one private function first (it creates the copy), or create it: `kubectl porch-registry secret auth -n {fn_ns} --name {copy} ... | kubectl apply -f -`"),
            object_index: None,
            field: None,
        });
    }

    // The runner's base pod template, when someone changed it (else its inline one).
    let base = match kube.get_opt(Kind::PodTemplate, &fn_ns, core::BASE_POD_TEMPLATE) {
        Ok(Some(t)) => core::template(&t),
        _ => core::Template::default(),
    };

    // The service account the function pods run as (the API server refuses them when it is
    // missing, and adds its imagePullSecrets to a pod that names none).
    let sa_name = base.service_account_name().to_string();
    let service_account = match kube.get_opt(Kind::ServiceAccount, &fn_ns, &sa_name) {
        Ok(Some(sa)) => core::ServiceAccount::of(&sa),
        // The serviceaccounts controller makes `default` in every namespace; without it
        // (controller off) the API server refuses the pod as for any other.
        Ok(None) => core::ServiceAccount::Missing,
        Err(e) => core::ServiceAccount::Unknown(e.to_string()),
    };
    let tested_images: Vec<TestImage> = images.iter().map(|(i, _)| i.clone()).collect();
    findings.extend(core::service_account_findings(
        &fn_ns,
        &base,
        &service_account,
        &tested_images,
    ));
    if service_account == core::ServiceAccount::Missing {
        return Ok(findings);
    }

    // Which nodes: Ready, schedulable, and where the base pod template lets function pods run.
    let nodes = kube.list(Kind::Node, "")?;
    let choice = core::choose_nodes(&nodes, &base, pt.nodes);
    for (node, why) in &choice.excluded {
        findings.push(Finding {
            severity: Severity::Info,
            rule: rules::NODE_EXCLUDED,
            object: format!("Node/{node}"),
            message: format!("node {node} gets no pull-test pod: {why}, so the scheduler never places function pods there"),
            fix: format!("nothing to do; the PodTemplate {} in \"{fn_ns}\" decides where function pods run", core::BASE_POD_TEMPLATE),
            object_index: None,
            field: None,
        });
    }
    for (node, why) in &choice.skipped {
        findings.push(Finding {
            severity: Severity::Warning,
            rule: rules::NODE_SKIPPED,
            object: format!("Node/{node}"),
            message: format!("node {node} gets no pull-test pod: {why}"),
            fix: "function pods are not scheduled there either; test it again once it is Ready and schedulable".into(),
            object_index: None,
            field: None,
        });
    }
    if choice.tested.is_empty() {
        findings.push(Finding {
            severity: Severity::Error,
            rule: rules::NO_NODES,
            object: format!("Namespace/{fn_ns}"),
            message: format!("no Ready, schedulable node among the cluster's {} node(s) where the base pod template lets function pods run: no function pod can run", nodes.len()),
            fix: format!("check `kubectl get nodes` and the nodeSelector, affinity and tolerations of the PodTemplate {} in \"{fn_ns}\"", core::BASE_POD_TEMPLATE),
            object_index: None,
            field: None,
        });
        return Ok(findings);
    }
    if images.is_empty() {
        return Ok(findings);
    }

    // One pod per image x node.
    let run_id = run_id();
    let deadline_seconds = pt.timeout.as_secs() + CLEANUP_BOUND.as_secs();
    let mut pairs: Vec<Pair> = Vec::new();
    for (i, (image, _)) in images.iter().enumerate() {
        for node in &choice.tested {
            let name = core::pod_name(&run_id, pairs.len());
            pairs.push(Pair {
                image: i,
                node: node.clone(),
                pod: core::pod(&PodInput {
                    template: &base,
                    name: &name,
                    namespace: &fn_ns,
                    run_id: &run_id,
                    image,
                    node,
                    deadline_seconds,
                }),
                name,
                created: false,
                outcome: None,
                last: None,
                events: Vec::new(),
                events_read: false,
                deleted: false,
            });
        }
    }
    ui::info(format!(
        "pull test {run_id}: {} image(s) x {} node(s) = {} pod(s) in namespace \"{fn_ns}\" (timeout {})",
        images.len(),
        choice.tested.len(),
        pairs.len(),
        crate::runner::duration::display(pt.timeout)
    ));
    let run = Run {
        kube: &kube,
        namespace: &fn_ns,
        selector: core::selector(&run_id),
        can_watch,
    };
    // In a run across clusters the test ends early enough for its clean-up to finish within
    // the cluster's deadline (the clean-up is never cut short: no pods left behind).
    let timeout = match kube.remaining() {
        Some(left) => pt
            .timeout
            .min(left.saturating_sub(CLEANUP_BOUND + Duration::from_secs(5))),
        None => pt.timeout,
    };
    let end = kube.block(run.test_and_clean_up(&mut pairs, timeout));
    let end = end?;
    if let End::Interrupted(sig) = end {
        ui::info(format!(
            "interrupted: the pull test's pods in namespace \"{fn_ns}\" were deleted"
        ));
        reraise(sig);
    }
    let timeout = crate::runner::duration::display(pt.timeout);
    for p in &pairs {
        let (image, registry) = &images[p.image];
        let last = core::last_state(p.last.as_ref(), &p.events);
        findings.push(core::finding(
            image,
            &p.node,
            p.outcome.as_ref(),
            &last,
            &FindingContext {
                namespace: &fn_ns,
                registry: registry.as_deref(),
                timeout: &timeout,
                template: &base,
                service_account: &service_account,
            },
        ));
    }
    Ok(findings)
}

/// SelfSubjectAccessReviews for what the test does: create, list (and watch), delete pods in
/// the function namespace, list nodes. Unknown answers pass (the API will say). `Ok(watch?)`.
fn permissions(kube: &Kube, fn_ns: &str) -> Result<bool> {
    let mut missing = Vec::new();
    for (verb, resource, ns) in [
        ("create", "pods", fn_ns),
        ("list", "pods", fn_ns),
        ("delete", "pods", fn_ns),
        ("list", "nodes", ""),
    ] {
        if kube.self_access_review(verb, "", resource, ns)? == Some(false) {
            missing.push(if ns.is_empty() {
                format!("{verb} {resource} (cluster-wide)")
            } else {
                format!("{verb} {resource} in namespace \"{ns}\"")
            });
        }
    }
    if !missing.is_empty() {
        return Err(Error::Forbidden(format!(
            "check --pull-test may not {}; no pod was created; ask a cluster admin to grant these verbs (pods in \"{fn_ns}\" by a Role, nodes by a ClusterRole)",
            missing.join(", ")
        )));
    }
    Ok(kube.self_access_review("watch", "", "pods", fn_ns)? != Some(false))
}

/// A run id for the pods' names and label: 8 hex digits from the clock and the process.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 20);
    format!("{:08x}", (mixed ^ (mixed >> 32)) as u32)
}

/// Die of `sig` as the shell expects (exit status 128+sig), the pods being gone.
fn reraise(sig: i32) -> ! {
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}

/// One image on one node.
struct Pair {
    image: usize,
    node: String,
    name: String,
    pod: Value,
    created: bool,
    outcome: Option<Outcome>,
    /// The pod as last seen.
    last: Option<Value>,
    events: Vec<Value>,
    events_read: bool,
    /// Deleted by us already.
    deleted: bool,
}

/// How the test ended (before the cleanup).
enum End {
    Done,
    TimedOut,
    Interrupted(i32),
}

struct Run<'a> {
    kube: &'a Kube,
    namespace: &'a str,
    selector: String,
    can_watch: bool,
}

/// Bounded exponential backoff for polling and re-watching.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_millis(250))
    }
    fn next(&mut self) -> Duration {
        let d = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(5));
        d
    }
    fn reset(&mut self) {
        self.0 = Duration::from_millis(250);
    }
}

impl Run<'_> {
    /// The test under `timeout` and the signals, then the cleanup, whatever happened.
    async fn test_and_clean_up(&self, pairs: &mut [Pair], timeout: Duration) -> Result<End> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut signals = Vec::new();
        for kind in [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ] {
            let s = signal(kind).map_err(|e| {
                Error::other(format!(
                    "cannot install the signal handler for the cleanup: {e}"
                ))
            })?;
            signals.push((kind.as_raw_value(), s));
        }
        let first_signal = async {
            let waits = signals.iter_mut().map(|(n, s)| {
                let n = *n;
                Box::pin(async move {
                    s.recv().await;
                    n
                })
            });
            futures::future::select_all(waits).await.0
        };
        let deadline = Instant::now() + timeout;
        let result = tokio::select! {
            r = self.test(pairs, deadline) => r.map(|()| End::Done),
            _ = tokio::time::sleep_until(deadline) => Ok(End::TimedOut),
            sig = first_signal => Ok(End::Interrupted(sig)),
        };
        if matches!(result, Ok(End::TimedOut)) {
            // What the undecided pods were doing, for the timeout findings (best effort).
            let _ =
                tokio::time::timeout(Duration::from_secs(5), self.read_last_events(pairs)).await;
        }
        let cleaned = tokio::time::timeout(CLEANUP_BOUND, self.clean_up(pairs)).await;
        let left = match cleaned {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!(
                "the cleanup did not finish in {}s",
                CLEANUP_BOUND.as_secs()
            )),
        };
        if let Some(why) = left {
            let e = Error::Cluster(format!(
                "pull-test pods may be left in namespace \"{}\" ({why}); delete them with `kubectl -n {} delete pods -l {}`",
                self.namespace, self.namespace, self.selector
            ));
            // The test's own error says more; the leftover must still be told.
            return match result {
                Err(first) => {
                    ui::warn(e);
                    Err(first)
                }
                Ok(_) => Err(e),
            };
        }
        result
    }

    /// Create every pod, then follow them until every pull is decided.
    async fn test(&self, pairs: &mut [Pair], deadline: Instant) -> Result<()> {
        for p in pairs.iter_mut() {
            // Marked first: a create cut short by a signal may still land on the server.
            p.created = true;
            match self.kube.create_pod(self.namespace, &p.pod).await {
                Ok(_) => {}
                // ResourceQuota answers 403 too, but no RBAC grant helps there.
                Err(Error::Forbidden(m)) if m.contains("exceeded quota") => {
                    let why = m.split_once("): ").map_or(m.as_str(), |(_, w)| w);
                    let why = why.split("; ask a cluster admin").next().unwrap_or(why);
                    return Err(Error::Cluster(format!(
                        "the API server refused pull-test pod {} in namespace \"{}\": {why}; the runner's function pods count against the same quota: raise it, or test fewer images or --nodes at once",
                        p.name, self.namespace
                    )));
                }
                Err(e) => return Err(e),
            }
        }
        let mut backoff = Backoff::new();
        loop {
            // The state now, and where a watch starts from.
            let (items, mut rv) = match self.kube.list_pods(self.namespace, &self.selector).await {
                Ok(l) => l,
                Err(Error::Forbidden(m)) => return Err(Error::Forbidden(m)),
                Err(e) => {
                    if Instant::now() + backoff.0 > deadline {
                        return Err(e);
                    }
                    tokio::time::sleep(backoff.next()).await;
                    continue;
                }
            };
            for p in pairs.iter_mut().filter(|p| p.outcome.is_none()) {
                match items
                    .iter()
                    .find(|o| o["metadata"]["name"] == p.name.as_str())
                {
                    Some(o) => self.seen(p, o.clone()).await,
                    None => gone(p),
                }
            }
            if pairs.iter().all(|p| p.outcome.is_some()) {
                return Ok(());
            }
            if !self.can_watch {
                tokio::time::sleep(backoff.next()).await;
                continue;
            }
            // Watch from the list's resourceVersion; re-watch when the server ends the
            // stream; list again when the version expired or the watch broke.
            'watch: loop {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                let seconds = left.clamp(1, WATCH_SECONDS) as u32;
                let mut stream = match self
                    .kube
                    .watch_pods(self.namespace, &self.selector, &rv, seconds)
                    .await
                {
                    Ok(s) => Box::pin(s),
                    Err(Error::Forbidden(m)) => return Err(Error::Forbidden(m)),
                    Err(_) => {
                        tokio::time::sleep(backoff.next()).await;
                        break 'watch;
                    }
                };
                while let Some(change) = stream.next().await {
                    match change {
                        Ok(Change::Put(o)) => {
                            if let Some(v) = o
                                .pointer("/metadata/resourceVersion")
                                .and_then(Value::as_str)
                            {
                                rv = v.to_string();
                            }
                            backoff.reset();
                            if let Some(p) = pairs
                                .iter_mut()
                                .find(|p| o["metadata"]["name"] == p.name.as_str())
                                && p.outcome.is_none()
                            {
                                self.seen(p, o).await;
                            }
                        }
                        Ok(Change::Deleted(o)) => {
                            if let Some(p) = pairs
                                .iter_mut()
                                .find(|p| o["metadata"]["name"] == p.name.as_str())
                                && p.outcome.is_none()
                            {
                                p.last = Some(o);
                                gone(p);
                            }
                        }
                        Ok(Change::Bookmark(v)) => rv = v,
                        Ok(Change::Expired) => break 'watch,
                        Err(_) => {
                            tokio::time::sleep(backoff.next()).await;
                            break 'watch;
                        }
                    }
                    if pairs.iter().all(|p| p.outcome.is_some()) {
                        return Ok(());
                    }
                }
                // The server ended the watch (timeoutSeconds): go on from rv.
            }
        }
    }

    /// A pod as seen now: decide its pull (reading its events for the cause of a failed
    /// one), and delete it as soon as that is decided.
    async fn seen(&self, p: &mut Pair, pod: Value) {
        let mut outcome = core::observe(&pod, &p.events);
        if matches!(outcome, Some(Outcome::Failed { .. })) && !p.events_read {
            if let Ok(ev) = self.kube.pod_events(self.namespace, &p.name).await {
                p.events = ev;
            }
            p.events_read = true;
            outcome = core::observe(&pod, &p.events);
        }
        p.last = Some(pod);
        if outcome.is_some() {
            p.outcome = outcome;
            if self.kube.delete_pod(self.namespace, &p.name).await.is_ok() {
                p.deleted = true;
            }
        }
    }

    async fn read_last_events(&self, pairs: &mut [Pair]) {
        for p in pairs
            .iter_mut()
            .filter(|p| p.outcome.is_none() && p.created)
        {
            if let Ok(ev) = self.kube.pod_events(self.namespace, &p.name).await {
                p.events = ev;
            }
        }
    }

    /// Delete every pod we created (by name), then whatever still carries the run's label,
    /// until the label selects nothing.
    async fn clean_up(&self, pairs: &mut [Pair]) -> Result<()> {
        for p in pairs.iter_mut().filter(|p| p.created && !p.deleted) {
            self.kube.delete_pod(self.namespace, &p.name).await?;
            p.deleted = true;
        }
        let mut backoff = Backoff::new();
        for _ in 0..5 {
            let (left, _) = self.kube.list_pods(self.namespace, &self.selector).await?;
            if left.is_empty() {
                return Ok(());
            }
            for o in &left {
                if let Some(n) = o["metadata"]["name"].as_str() {
                    self.kube.delete_pod(self.namespace, n).await?;
                }
            }
            tokio::time::sleep(backoff.next()).await;
        }
        let (left, _) = self.kube.list_pods(self.namespace, &self.selector).await?;
        if left.is_empty() {
            Ok(())
        } else {
            Err(Error::Cluster(format!(
                "{} pod(s) still there after deleting them",
                left.len()
            )))
        }
    }
}

/// The pod vanished before its pull was decided (deleted by someone else, or evicted).
fn gone(p: &mut Pair) {
    p.deleted = true;
    p.outcome = Some(Outcome::Failed {
        failure: PullFailure::Other,
        reason: "Deleted".into(),
        message: "the pod was deleted before its image was pulled (by someone else, or evicted)"
            .into(),
    });
}
