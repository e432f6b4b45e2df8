//! `fn`: this tool as a KRM function (`kpt fn eval --exec`, or an `exec` entry of a Kptfile
//! pipeline). Reads a `ResourceList` on stdin, patches (or, with `remove: "true"`, un-patches)
//! the function-runner Deployment among the items with the same plan as `patch`, carried out
//! by the lossless editor on the ResourceList text (comments survive), and writes the
//! ResourceList back with the check's findings as `results`. Error findings: exit 3.
//!
//! functionConfig: a ConfigMap whose `data` keys are the patch flags' names
//! (`auth-secret-name`, `auth-mount-path`, `tls`, `tls-secret-name`, `tls-mount-path`,
//! `registry-auth-secret-name`, `remove`, plus `deployment`, `container`, `namespace`).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::krm::resource_list::{self, KrmResult, ResourceList, ResultSeverity};
use crate::manifests::edit;
use crate::runner::defaults::{
    DEFAULT_AUTH_MOUNT_PATH, DEFAULT_AUTH_SECRET_NAME, DEFAULT_NAMESPACE, DEFAULT_TLS_MOUNT_PATH,
};
use crate::runner::lint::{self, LintContext, Severity};
use crate::runner::plan::RequestedConfig;
use crate::runner::plan::{Target, plan_patch, plan_remove};
use crate::runner::yaml::{self, PathSeg, line_end_incl, line_start};
use crate::settings::Fn as FnArgs;

/// The functionConfig keys, with what they mean (for the error on an unknown key).
pub const CONFIG_KEYS: &[&str] = &[
    "auth-secret-name",
    "auth-mount-path",
    "tls",
    "tls-secret-name",
    "tls-mount-path",
    "registry-auth-secret-name",
    "remove",
    "deployment",
    "container",
    "namespace",
];

pub fn run(args: &FnArgs) -> Result<()> {
    let text = crate::krm::tree::read_stdin("pipe a ResourceList into `fn`")?;
    let out = process(&text, args, crate::commands::check::now_unix())?;
    crate::ui::output::write_stdout(&out.text)?;
    match out.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What `fn` produces: the ResourceList text to print, and the error to exit with (after
/// printing: the results explain it).
pub struct FnOutput {
    pub text: String,
    pub failure: Option<Error>,
}

/// Options from the functionConfig.
struct FnOptions {
    options: RequestedConfig,
    remove: bool,
    target: Target,
    namespace: Option<String>,
}

fn parse_bool(key: &str, v: &str) -> std::result::Result<bool, String> {
    match v.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" | "" => Ok(false),
        other => Err(format!(
            "functionConfig data.{key} is {other:?}; give \"true\" or \"false\""
        )),
    }
}

fn fn_options(rl: &ResourceList, args: &FnArgs) -> std::result::Result<FnOptions, String> {
    let data = resource_list::function_config_data(rl.function_config.as_ref())?;
    if let Some(bad) = data.keys().find(|k| !CONFIG_KEYS.contains(&k.as_str())) {
        return Err(format!(
            "functionConfig data.{bad} is not a known key; use {}",
            CONFIG_KEYS.join(", ")
        ));
    }
    let get = |k: &str| data.get(k).filter(|v| !v.is_empty()).cloned();
    let options = RequestedConfig {
        auth_secret_name: get("auth-secret-name")
            .unwrap_or_else(|| DEFAULT_AUTH_SECRET_NAME.into()),
        auth_mount_path: get("auth-mount-path").unwrap_or_else(|| DEFAULT_AUTH_MOUNT_PATH.into()),
        tls: parse_bool("tls", data.get("tls").map(String::as_str).unwrap_or(""))?,
        tls_secret_name: get("tls-secret-name"),
        tls_mount_path: get("tls-mount-path").unwrap_or_else(|| DEFAULT_TLS_MOUNT_PATH.into()),
        registry_auth_secret_name: get("registry-auth-secret-name"),
    };
    let remove = parse_bool(
        "remove",
        data.get("remove").map(String::as_str).unwrap_or(""),
    )?;
    let target = Target {
        deployment: get("deployment").unwrap_or_else(|| args.target.deployment.clone()),
        container: get("container").unwrap_or_else(|| args.target.container.clone()),
    };
    Ok(FnOptions {
        options,
        remove,
        target,
        namespace: get("namespace"),
    })
}

/// The whole function, on text. `Err` only when stdin is not a ResourceList (nothing to print).
pub fn process(text: &str, args: &FnArgs, now_unix: i64) -> Result<FnOutput> {
    let docs = yaml::parse_stream(text).map_err(|e| {
        Error::usage(format!(
            "stdin: malformed YAML at {e}; `fn` reads a ResourceList (run it with kpt fn eval --exec)"
        ))
    })?;
    let docs: Vec<yaml::Doc> = docs
        .into_iter()
        .filter(|d| d.root.is_some() && !d.to_json().is_null())
        .collect();
    if docs.len() != 1 {
        return Err(Error::usage(format!(
            "stdin: {} YAML documents; `fn` reads exactly one ResourceList (run it with kpt fn eval --exec)",
            docs.len()
        )));
    }
    let rl = ResourceList::from_value(&docs[0].to_json())
        .map_err(|e| Error::usage(format!("stdin: {e}; run `fn` with kpt fn eval --exec")))?;
    let flow = docs[0].root.as_ref().is_some_and(yaml::Node::is_flow);

    let fail = |results: Vec<KrmResult>, e: Error| -> Result<FnOutput> {
        Ok(FnOutput {
            text: render(text, flow, &rl.items, &results)?,
            failure: Some(e),
        })
    };

    let opts = match fn_options(&rl, args) {
        Ok(o) => o,
        Err(msg) => {
            return fail(
                vec![KrmResult::message(ResultSeverity::Error, msg.clone())],
                Error::usage(msg),
            );
        }
    };
    let candidates: Vec<usize> = rl
        .items
        .iter()
        .enumerate()
        .filter(|(_, it)| {
            it.get("kind").and_then(Value::as_str) == Some("Deployment")
                && it.pointer("/metadata/name").and_then(Value::as_str)
                    == Some(opts.target.deployment.as_str())
                && opts.namespace.as_deref().is_none_or(|ns| {
                    it.pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .is_none_or(|n| n == ns)
                })
        })
        .map(|(i, _)| i)
        .collect();
    let index = match candidates.as_slice() {
        [one] => *one,
        [] => {
            let msg = format!(
                "no Deployment named \"{}\"{} among the {} items; name it with functionConfig data.deployment (and data.namespace)",
                opts.target.deployment,
                opts.namespace
                    .as_deref()
                    .map(|n| format!(" in namespace {n}"))
                    .unwrap_or_default(),
                rl.items.len()
            );
            return fail(
                vec![KrmResult::message(ResultSeverity::Error, msg.clone())],
                Error::not_found(msg),
            );
        }
        _ => {
            let msg = format!(
                "{} Deployments are named \"{}\" (in different namespaces); pick one with functionConfig data.namespace",
                candidates.len(),
                opts.target.deployment
            );
            return fail(
                vec![KrmResult::message(ResultSeverity::Error, msg.clone())],
                Error::usage(msg),
            );
        }
    };
    let deployment = &rl.items[index];
    let desired = opts.options.desired(false);
    let plan = if opts.remove {
        plan_remove(deployment, &opts.target, &desired)
    } else {
        plan_patch(deployment, &opts.target, &desired)
    };
    let plan = match plan {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            return fail(
                vec![KrmResult::about(ResultSeverity::Error, msg, deployment)],
                e,
            );
        }
    };

    // Carry the plan out: on the text (lossless) for block YAML, on the values for flow/JSON.
    let (new_text, items) = if plan.is_empty() {
        (text.to_string(), rl.items.clone())
    } else if flow {
        let mut items = rl.items.clone();
        plan.apply_to_value(&mut items[index])?;
        (text.to_string(), items)
    } else {
        let path = [PathSeg::Key("items".into()), PathSeg::Index(index)];
        match edit::apply_plan(text, 0, &path, &plan) {
            Ok(t) => {
                let v = yaml::parse_stream(&t)
                    .ok()
                    .and_then(|d| d.into_iter().find(|d| d.root.is_some()))
                    .map(|d| d.to_json())
                    .ok_or_else(|| Error::other("the edited ResourceList does not parse"))?;
                let items = ResourceList::from_value(&v).map_err(Error::other)?.items;
                (t, items)
            }
            Err(e) => {
                let msg = format!("cannot edit the Deployment in place: {e}");
                return fail(
                    vec![KrmResult::about(
                        ResultSeverity::Error,
                        msg.clone(),
                        deployment,
                    )],
                    Error::other(msg),
                );
            }
        }
    };

    let mut results = Vec::new();
    let verb = if opts.remove { "remove" } else { "patch" };
    let summary = if plan.is_empty() {
        if opts.remove {
            "has no private-registry configuration; nothing to change".to_string()
        } else {
            "already has this private-registry configuration; nothing to change".to_string()
        }
    } else {
        format!(
            "{verb}: {} change(s): {}",
            plan.changes.len(),
            plan.changes.join("; ")
        )
    };
    results.push(KrmResult::about(
        ResultSeverity::Info,
        summary,
        &items[index],
    ));
    for note in &plan.notes {
        results.push(KrmResult::about(
            ResultSeverity::Warning,
            note.clone(),
            &items[index],
        ));
    }
    let ctx = LintContext {
        namespace: opts.namespace.clone().unwrap_or_else(|| {
            items[index]
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or(DEFAULT_NAMESPACE)
                .to_string()
        }),
        deployment: opts.target.deployment.clone(),
        container: opts.target.container.clone(),
        offline: true,
        now_unix,
    };
    let findings = lint::lint(&items, &ctx);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    results.extend(findings.iter().map(|f| KrmResult::from_finding(f, &items)));
    let text = render(&new_text, flow, &items, &results)?;
    Ok(FnOutput {
        text,
        failure: (errors > 0).then(|| {
            Error::Findings(format!(
                "{errors} error result(s): the function runner will not work as configured; see the results"
            ))
        }),
    })
}

/// The output ResourceList: the (edited) text with `results` set, or JSON for flow input.
fn render(text: &str, flow: bool, items: &[Value], results: &[KrmResult]) -> Result<String> {
    if flow {
        let docs = yaml::parse_stream(text).map_err(|e| Error::other(e.to_string()))?;
        let mut v = docs
            .into_iter()
            .find(|d| d.root.is_some())
            .map(|d| d.to_json())
            .unwrap_or(Value::Null);
        v["items"] = Value::Array(items.to_vec());
        v["results"] = serde_json::to_value(results).map_err(|e| Error::other(e.to_string()))?;
        let mut s = serde_json::to_string_pretty(&v).map_err(|e| Error::other(e.to_string()))?;
        s.push('\n');
        return Ok(s);
    }
    set_results(text, results)
}

/// Replace (or add) the top-level `results` of a block-style ResourceList, keeping every other
/// byte.
fn set_results(text: &str, results: &[KrmResult]) -> Result<String> {
    let docs = yaml::parse_stream(text).map_err(|e| Error::other(e.to_string()))?;
    let doc = docs
        .into_iter()
        .find(|d| d.root.is_some())
        .ok_or_else(|| Error::other("the ResourceList is empty"))?;
    let root = doc.root.as_ref().expect("checked");
    let entries = root
        .entries()
        .ok_or_else(|| Error::other("the ResourceList is not a mapping"))?;
    let mut out = text.to_string();
    // Where the new block goes: in place of an existing `results`, else after the mapping.
    let insert_at = match entries
        .iter()
        .position(|(k, _)| k.as_str() == Some("results"))
    {
        Some(j) => {
            let from = line_start(text, entries[j].0.start);
            let to = match entries.get(j + 1) {
                Some((next, _)) => line_start(text, next.start),
                None => line_end_incl(text, entries[j].1.end.max(entries[j].0.end)),
            };
            out.replace_range(from..to, "");
            from
        }
        None => line_end_incl(text, root.end),
    };
    if results.is_empty() {
        return Ok(out);
    }
    let block = serde_saphyr::to_string(&serde_json::json!({ "results": results }))
        .map_err(|e| Error::other(format!("cannot render results: {e}")))?;
    let mut block = block;
    if !block.ends_with('\n') {
        block.push('\n');
    }
    if insert_at > 0 && !out[..insert_at].ends_with('\n') {
        block.insert(0, '\n');
    }
    out.insert_str(insert_at, &block);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn args() -> FnArgs {
        FnArgs {
            target: Target::default(),
        }
    }

    const RL: &str = r#"apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: function-runner
    namespace: porch-system
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'runner.yaml'
  spec:
    template:
      spec:
        containers:
        - name: function-runner
          command:
          - /server # the runner
          - --pod-namespace=porch-fn-system
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: function-input
  data:
    tls: "true"
"#;

    fn out_value(text: &str) -> Value {
        serde_saphyr::from_str(text).unwrap()
    }

    #[test]
    fn patches_keeps_comments_and_reports() {
        let out = process(RL, &args(), NOW).unwrap();
        assert!(
            out.text.contains("- /server # the runner\n"),
            "{}",
            out.text
        );
        let v = out_value(&out.text);
        let cmd = &v["items"][0]["spec"]["template"]["spec"]["containers"][0]["command"];
        assert!(cmd.as_array().unwrap().contains(&Value::String(
            "--enable-private-registries-tls=true".into()
        )));
        let results = v["results"].as_array().unwrap();
        assert_eq!(results[0]["severity"], "info");
        assert!(
            results[0]["message"]
                .as_str()
                .unwrap()
                .starts_with("patch: ")
        );
        // Secrets are not among the items: warnings only, no error.
        assert!(
            results.iter().all(|r| r["severity"] != "error"),
            "{results:#?}"
        );
        assert!(
            results
                .iter()
                .any(|r| r["tags"]["rule"] == "secret-missing")
        );
        assert!(results.iter().any(|r| r["tags"]["rule"] == "node-ca-trust"));
        assert_eq!(results[0]["file"]["path"], "runner.yaml", "{results:#?}");
        assert!(out.failure.is_none());
        // The functionConfig stays.
        assert_eq!(v["functionConfig"]["data"]["tls"], "true");
    }

    #[test]
    fn idempotent_and_remove_round_trip() {
        let once = process(RL, &args(), NOW).unwrap().text;
        let twice = process(&once, &args(), NOW).unwrap().text;
        let body = |t: &str| t[..t.find("\nresults:\n").unwrap()].to_string();
        assert_eq!(body(&once), body(&twice), "a second run changes nothing");
        // The results are replaced, not appended.
        assert_eq!(twice.matches("\nresults:\n").count(), 1);
        assert!(twice.contains("nothing to change"));
        let removed = process(
            &once.replace(
                "    tls: \"true\"\n",
                "    tls: \"true\"\n    remove: \"true\"\n",
            ),
            &args(),
            NOW,
        )
        .unwrap()
        .text;
        let v = out_value(&removed);
        let cmd = &v["items"][0]["spec"]["template"]["spec"]["containers"][0]["command"];
        assert_eq!(
            cmd,
            &serde_json::json!(["/server", "--pod-namespace=porch-fn-system"])
        );
        assert!(removed.contains("- /server # the runner\n"));
    }

    #[test]
    fn bad_config_and_missing_deployment() {
        let out = process(&RL.replace("tls: \"true\"", "tls: \"yes\""), &args(), NOW).unwrap();
        assert!(matches!(out.failure, Some(Error::Usage(_))));
        let v = out_value(&out.text);
        assert_eq!(v["results"][0]["severity"], "error");
        assert!(
            v["results"][0]["message"]
                .as_str()
                .unwrap()
                .contains("data.tls")
        );
        let out = process(&RL.replace("tls: \"true\"", "tsl: \"true\""), &args(), NOW).unwrap();
        assert!(out.failure.unwrap().to_string().contains("data.tsl"));
        let out = process(
            &RL.replace(
                "name: function-runner\n    namespace",
                "name: other\n    namespace",
            ),
            &args(),
            NOW,
        )
        .unwrap();
        assert!(matches!(out.failure, Some(Error::NotFound(_))));
        assert!(process("kind: ConfigMap\n", &args(), NOW).is_err());
        assert!(process("a: [unclosed\n", &args(), NOW).is_err());
    }

    #[test]
    fn error_findings_fail() {
        // The docs' auth Secret among the items: its Docker Hub key never matches.
        let config = r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}"#;
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(config);
        let rl = RL.replace(
            "functionConfig:\n",
            &format!(
                "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: registry-auth-secret\n    namespace: porch-system\n  type: kubernetes.io/dockerconfigjson\n  data:\n    .dockerconfigjson: {b64}\nfunctionConfig:\n"
            ),
        );
        let out = process(&rl, &args(), NOW).unwrap();
        assert!(matches!(out.failure, Some(Error::Findings(_))));
        let v = out_value(&out.text);
        let r = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tags"]["rule"] == "registry-key-unmatched")
            .unwrap()
            .clone();
        assert_eq!(r["severity"], "error");
        assert_eq!(r["resourceRef"]["kind"], "Secret");
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .contains("\"index.docker.io\"")
        );
        let results_text = &out.text[out.text.find("\nresults:\n").unwrap()..];
        assert!(!results_text.contains(&b64) && !results_text.contains("dTpw"));
    }

    #[test]
    fn json_input_gives_json_output() {
        let v: Value = serde_saphyr::from_str(RL).unwrap();
        let json = serde_json::to_string(&v).unwrap();
        let out = process(&json, &args(), NOW).unwrap();
        let back: Value = serde_json::from_str(&out.text).unwrap();
        assert!(back["results"].is_array());
        let cmd = &back["items"][0]["spec"]["template"]["spec"]["containers"][0]["command"];
        assert!(cmd.to_string().contains("--enable-private-registries=true"));
    }
}
