//! Live `check`: the live objects through the offline rules (`runner::lint`), plus the
//! findings only a cluster can give: Secrets missing or in another namespace, a stale copy in
//! the function namespace, the runner's RBAC on secrets there, failing function pods. With
//! `--probe`, the Secrets the runner mounts are read here and handed to the registry probe.

use serde_json::Value;

use crate::cluster::rbac::{self, RbacObjects};
use crate::cluster::{Kind, Kube, connect, read_deployment, read_runner_secrets, secret_bytes};
use crate::error::{Error, Result};
use crate::registry::probe::ProbeInput;
use crate::runner::authfile::AuthFile;
use crate::runner::lint::{self, Finding, LintContext, RunnerTrust, Severity};
use crate::runner::managed;
use crate::runner::node_trust;
use crate::runner::view::runner_view;
use crate::settings::Check;

/// The live objects through the same lint, plus the live-only findings; and the objects.
pub(super) fn findings(args: &Check, ctx: &LintContext) -> Result<(Vec<Finding>, Vec<Value>)> {
    let live = live_objects_and_findings(args)?;
    let images = super::image_findings(args, &live.objects, ctx)?;
    // The node-trust DaemonSet's state replaces the offline reminder about the nodes' CA.
    let nodes_judged = live
        .findings
        .iter()
        .any(|f| f.rule == lint::rules::NODE_CA_TRUST);
    let mut findings: Vec<Finding> = lint::lint(&live.objects, ctx)
        .into_iter()
        // The cluster answers authoritatively whether mounted Secrets exist (and where).
        .filter(|f| {
            f.rule != lint::rules::SECRET_MISSING && f.rule != lint::rules::SECRET_WRONG_NAMESPACE
        })
        .filter(|f| !(nodes_judged && f.rule == lint::rules::NODE_CA_TRUST))
        .collect();
    findings.extend(live.findings);
    findings.extend(images);
    findings.sort_by_key(|f| f.severity);
    Ok((findings, live.objects))
}

/// What the live runner mounts (auth file, CA when TLS is on), read from the cluster, as the
/// probe's input.
pub(super) fn probe_inputs(args: &Check) -> Result<Vec<ProbeInput>> {
    let ns = &args.namespace;
    let s = read_runner_secrets(
        &args.cluster,
        ns,
        &args.target.deployment,
        &args.target.container,
    )?;
    let ca = s.ca_pem.and_then(|pem| {
        let input = crate::registry::CaInput {
            path: std::path::PathBuf::from(format!(
                "Secret/{ns}/{}",
                s.tls_secret.as_deref().unwrap_or("?")
            )),
            pem,
        };
        crate::registry::tls::config_only_ca(&input)
            .ok()
            .map(|_| input)
    });
    Ok(vec![ProbeInput {
        dockerconfigjson: s.dockerconfigjson.unwrap_or_default(),
        origin: format!("Secret/{ns}/{}", s.auth_secret.as_deref().unwrap_or("?")),
        ca,
    }])
}

/// The live objects (the Deployment first, then the Secrets it mounts that exist) and the
/// live-only findings (the same [`Finding`] as the offline rules give).
#[derive(Debug, Clone)]
pub struct LiveCheck {
    pub objects: Vec<Value>,
    pub findings: Vec<Finding>,
}

fn finding(
    severity: Severity,
    rule: &'static str,
    object: String,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        severity,
        rule,
        object,
        message,
        fix,
        object_index: None,
        field: None,
    }
}

/// Gather the live objects and findings for `check` without `-f`.
pub fn live_objects_and_findings(args: &Check) -> Result<LiveCheck> {
    let kube = connect(&args.cluster)?;
    collect(&kube, args)
}

pub fn collect(kube: &Kube, args: &Check) -> Result<LiveCheck> {
    let ns = args.namespace.as_str();
    let (dep, ctr) = (
        args.target.deployment.as_str(),
        args.target.container.as_str(),
    );
    let d = read_deployment(kube, ns, dep)?;
    let view = runner_view(&d, ctr)?;
    let mut objects = vec![d.clone()];
    let mut findings = vec![];
    let fn_ns = view
        .pod_namespace()
        .unwrap_or(args.fn_namespace.as_str())
        .to_string();

    // Secrets named by the pod's secret volumes.
    let mut secret_names: Vec<String> = d
        .pointer("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            v.pointer("/secret/secretName")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    secret_names.dedup();
    let mut auth_bytes = None;
    for name in &secret_names {
        match kube.get_opt(Kind::Secret, ns, name)? {
            Some(s) => {
                if let Some((m, key)) = view.auth_source()
                    && &m.secret == name
                {
                    auth_bytes = secret_bytes(&s, &key);
                }
                objects.push(s);
            }
            None => {
                let elsewhere: Vec<String> = kube
                    .list(Kind::Secret, "")
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| s["metadata"]["name"] == name.as_str())
                    .filter_map(|s| s["metadata"]["namespace"].as_str().map(String::from))
                    // The runner's own copy in the function namespace is not "the Secret
                    // in another namespace".
                    .filter(|sns| {
                        !(view.private_registries() && *sns == fn_ns && *name == view.copy_name())
                    })
                    .collect();
                if elsewhere.is_empty() {
                    findings.push(finding(
                        Severity::Error,
                        "secret-missing",
                        format!("Secret/{ns}/{name}"),
                        format!("deployment \"{dep}\" mounts secret \"{name}\", which does not exist in namespace \"{ns}\": its pods cannot start (ContainerCreating)"),
                        format!("create it with `kubectl porch-registry setup -n {ns}` (or `kubectl porch-registry secret auth -n {ns} --name {name} ... | kubectl apply -f -`)"),
                    ));
                } else {
                    findings.push(finding(
                        Severity::Error,
                        "secret-wrong-namespace",
                        format!("Secret/{ns}/{name}"),
                        format!("secret \"{name}\" exists in namespace(s) {} but not in \"{ns}\", where the runner's pods can mount it", elsewhere.join(", ")),
                        format!("create it in \"{ns}\" (Secrets cannot be mounted across namespaces), e.g. `kubectl porch-registry setup -n {ns}`"),
                    ));
                }
            }
        }
    }

    // Fields other field managers own: setup meets a conflict there, and a GitOps source
    // takes back what is changed under it.
    let keyed: Vec<(&Value, String)> = objects[1..]
        .iter()
        .filter_map(|sec| {
            let name = sec["metadata"]["name"].as_str()?;
            match view.auth_source() {
                Some((m, key)) if m.secret == name => Some((sec, key)),
                _ => view
                    .tls_source()
                    .filter(|m| m.secret == name)
                    .map(|_| (sec, "ca.crt".to_string())),
            }
        })
        .collect();
    let keyed: Vec<(&Value, &str)> = keyed.iter().map(|(s, k)| (*s, k.as_str())).collect();
    for o in managed::runner_owned_elsewhere(&d, ctr, &keyed, crate::cluster::FIELD_MANAGER)
        .into_iter()
        .filter(|o| o.conflicts())
    {
        findings.push(finding(
            Severity::Warning,
            lint::rules::MANAGED_ELSEWHERE,
            o.object.clone(),
            format!(
                "{} of {} is owned by field manager \"{}\" ({}): `kubectl porch-registry setup` meets a conflict there, and {} takes back what is changed under it",
                o.field,
                o.object,
                o.manager,
                o.operation,
                if o.operation == "Apply" { "that declarative source" } else { "that manager" }
            ),
            format!(
                "make the change in \"{}\"'s source (the GitOps repository or manifests it applies), or hand the field over and run setup with --force-conflicts",
                o.manager
            ),
        ));
    }

    // With TLS on: does every node trust the CA? The node-trust DaemonSet's state, read as
    // `status` reads it, judged against the runner's own CA and registries.
    if view.tls()
        && let Some(t) = &args.node_trust
    {
        let info = crate::commands::node_trust::state::read(kube, &t.namespace, &t.name);
        let tls = view.tls_source();
        let ca = tls
            .and_then(|m| {
                objects[1..]
                    .iter()
                    .find(|o| o["metadata"]["name"] == m.secret.as_str())
            })
            .and_then(crate::runner::secrets::runner_ca);
        let registries = auth_bytes
            .as_deref()
            .and_then(|b| AuthFile::parse(b).ok())
            .map(|f| node_trust::registries_from_auth_keys(f.auths.keys().map(String::as_str)).0)
            .unwrap_or_default();
        let tls_secret = format!(
            "Secret/{ns}/{}",
            tls.map(|m| m.secret.as_str()).unwrap_or("?")
        );
        findings.extend(lint::node_trust_findings(
            &info,
            RunnerTrust {
                tls_secret: &tls_secret,
                ca: ca.as_deref(),
                registries: &registries,
            },
        ));
    }

    // The runner's copy in the function namespace.
    if view.private_registries() {
        let copy = view.copy_name();
        match kube.get_opt(Kind::Secret, &fn_ns, &copy) {
            Ok(Some(c)) => {
                if let Some(a) = &auth_bytes
                    && secret_bytes(&c, crate::runner::secrets::DOCKERCONFIGJSON_KEY).as_ref()
                        != Some(a)
                {
                    findings.push(finding(
                        Severity::Warning,
                        "fn-copy-stale",
                        format!("Secret/{fn_ns}/{copy}"),
                        format!("the runner's copy \"{copy}\" in namespace \"{fn_ns}\" differs from the mounted auth Secret: function pods pull with the old credentials (the runner refreshes the copy only when an image is not yet cached)"),
                        format!("run `kubectl porch-registry setup` again (it updates the copy), or restart the runner: `kubectl -n {ns} rollout restart deployment/{dep}`"),
                    ));
                }
            }
            Ok(None) => {}
            Err(Error::Forbidden(_)) => {}
            Err(e) => return Err(e),
        }

        // RBAC of the runner's service account on secrets in the function namespace.
        let sa = &view.service_account;
        let user = format!("system:serviceaccount:{ns}:{sa}");
        let groups = vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".to_string(),
        ];
        let mut missing = vec![];
        let mut unknown = false;
        let mut rbac_objects: Option<Option<RbacObjects>> = None;
        for verb in ["get", "create", "update"] {
            match kube.subject_access_review(&user, &groups, verb, "", "secrets", &fn_ns)? {
                Some(true) => {}
                Some(false) => missing.push(verb),
                // No SubjectAccessReview for us: evaluate the Roles and bindings we can read.
                None => match rbac_objects
                    .get_or_insert_with(|| rbac::read_rbac(kube, &fn_ns))
                    .as_ref()
                {
                    Some(objs) => {
                        if !objs.allows(ns, sa, &groups, verb, "", "secrets", &fn_ns) {
                            missing.push(verb)
                        }
                    }
                    None => unknown = true,
                },
            }
        }
        if !missing.is_empty() {
            findings.push(finding(
                Severity::Error,
                "runner-rbac-secrets",
                format!("ServiceAccount/{ns}/{sa}"),
                format!("the runner's service account \"{sa}\" cannot {} secrets in namespace \"{fn_ns}\": it cannot copy the registry credentials there, so function pods pull anonymously", missing.join("/")),
                format!("bind a Role with get, create, update on secrets in \"{fn_ns}\" to {user} (the stock Role porch-function-executor has them)"),
            ));
        } else if unknown {
            findings.push(finding(
                Severity::Info,
                "runner-rbac-secrets",
                format!("ServiceAccount/{ns}/{sa}"),
                "could not verify the runner's RBAC on secrets (you may neither create a SubjectAccessReview nor read the Roles and RoleBindings)".into(),
                format!("check with `kubectl auth can-i get,create,update secrets -n {fn_ns} --as {user}`"),
            ));
        }
    }

    // Recent function pods that failed to pull.
    match kube.list(Kind::Pod, &fn_ns) {
        Ok(pods) => {
            for p in pods {
                let pname = p["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let statuses = ["containerStatuses", "initContainerStatuses"];
                for key in statuses {
                    for cs in p
                        .pointer(&format!("/status/{key}"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let Some(w) = cs.pointer("/state/waiting") else {
                            continue;
                        };
                        let reason = w["reason"].as_str().unwrap_or_default();
                        if !matches!(reason, "ErrImagePull" | "ImagePullBackOff") {
                            continue;
                        }
                        let msg = w["message"].as_str().unwrap_or_default();
                        let image = cs["image"].as_str().unwrap_or_default();
                        if msg.contains("x509") {
                            findings.push(finding(
                                Severity::Error,
                                "function-pod-x509",
                                format!("Pod/{fn_ns}/{pname}"),
                                format!("function pod cannot pull {image}: {reason}: {msg}"),
                                "the kubelet pulls function images, not the runner: the nodes' container runtime must trust the registry CA too (install it in the node trust store / containerd certs.d); see the node-ca-trust note".into(),
                            ));
                        } else {
                            findings.push(finding(
                                Severity::Error,
                                "function-pod-pull-failed",
                                format!("Pod/{fn_ns}/{pname}"),
                                format!("function pod cannot pull {image}: {reason}{}{msg}", if msg.is_empty() { "" } else { ": " }),
                                "check that the auth Secret has an entry for the image's registry (exact host[:port]) and that the runner's copy is current (`kubectl porch-registry status`)".into(),
                            ));
                        }
                    }
                }
            }
        }
        Err(Error::Forbidden(_)) => findings.push(finding(
            Severity::Info,
            "function-pods-unreadable",
            format!("Namespace/{fn_ns}"),
            format!("cannot list pods in \"{fn_ns}\" to look for image pull failures"),
            format!(
                "grant list on pods in \"{fn_ns}\", or check with `kubectl -n {fn_ns} get pods`"
            ),
        )),
        Err(e) => return Err(e),
    }
    Ok(LiveCheck { objects, findings })
}
