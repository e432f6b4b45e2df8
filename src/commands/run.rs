//! `run IMAGE [DIR | -] [-- KEY=VALUE ...]`: run a KRM function image on a package, sandboxed,
//! compatible with `kpt fn eval` where they overlap.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::render::{Dest, Written};
use crate::error::{Error, Result};
use crate::krm::image::{FunctionImage, verify_layer};
use crate::krm::kyaml::KNode;
use crate::krm::render::{self, Resource};
use crate::krm::{package, report, select};
use crate::sandbox::{self, Engine, EngineImage, EngineRun, Outcome, RunOutput, Spec, User};
use crate::settings::{ImagePullPolicy, Run as RunArgs, Runtime};

const DEFAULT_PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The input, read as kpt reads it (kyaml: comments, key order and layout kept): the
/// resources with the reader's annotations, plus a stdin ResourceList's functionConfig.
struct Input {
    resources: Vec<Resource>,
    function_config: Option<KNode>,
    /// A package directory (absolute) and the files read from it; `None` for stdin.
    package: Option<(PathBuf, BTreeSet<String>)>,
}

/// Everything decided from the flags before anything runs.
pub struct RunPlan {
    pub timeout: Duration,
    pub mounts: Vec<sandbox::BindMount>,
    pub env: Vec<String>,
    pub user: User,
    pub network: bool,
    pub runtime: Runtime,
    pub cache_dir: PathBuf,
    pub limits: sandbox::Limits,
}

/// The default cache directory (shared with `pull`): `$XDG_CACHE_HOME/kubectl-porch-registry`.
pub fn default_cache_dir() -> PathBuf {
    crate::registry::cache::default_root()
}

fn parse_env(flags: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for e in flags {
        match e.split_once('=') {
            Some((k, _)) if !k.is_empty() => out.push(e.clone()),
            Some(_) => {
                return Err(Error::usage(format!(
                    "--env {e:?}: empty name; use KEY=VALUE or KEY"
                )));
            }
            None if e.is_empty() => {
                return Err(Error::usage("--env \"\": use KEY=VALUE or KEY"));
            }
            // KEY alone: the current value, skipped when unset (as docker does).
            None => {
                if let Ok(v) = std::env::var(e) {
                    out.push(format!("{e}={v}"));
                }
            }
        }
    }
    Ok(out)
}

fn output_mode(args: &RunArgs) -> Result<Dest> {
    let stdin_mode = args.package == "-";
    Ok(match args.output.as_deref() {
        None if stdin_mode => Dest::Stdout,
        None => Dest::InPlace,
        Some("stdout") => Dest::Stdout,
        Some("unwrap") => Dest::Unwrap,
        Some("") => return Err(Error::usage("-o \"\": use stdout, unwrap or a directory")),
        Some(dir) => {
            let p = PathBuf::from(dir);
            if p.exists() {
                return Err(Error::usage(format!(
                    "-o {dir}: directory already exists; delete it or choose another"
                )));
            }
            Dest::Dir(p)
        }
    })
}

fn read_input(args: &RunArgs) -> Result<Input> {
    if args.package == "-" {
        let text = crate::krm::tree::read_stdin("pipe a ResourceList or YAML")?;
        return stdin_input(&text);
    }
    let root = Path::new(&args.package);
    let abs = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let tree = crate::krm::tree::read_tree(&abs)?;
    tree.warn_skipped();
    // `kpt fn eval` reads every file of the tree (subpackages too) as one package.
    let node = render::PackageNode {
        abs: abs.clone(),
        rel: String::new(),
        display: String::new(),
        pipeline: Default::default(),
        subpackages: Vec::new(),
        files: tree
            .eval_files()
            .map(|f| (f.rel.clone(), f.text.clone()))
            .collect(),
    };
    let resources = render::local_resources(&node)?;
    let files = node.files.iter().map(|(rel, _)| rel.clone()).collect();
    Ok(Input {
        resources,
        function_config: None,
        package: Some((abs, files)),
    })
}

/// Stdin as kpt's ByteReader reads it: a `ResourceList` as it is (its items and
/// functionConfig), or plain YAML documents given index annotations (a function's output
/// without a path then gets kpt's default file name).
fn stdin_input(text: &str) -> Result<Input> {
    let text = text.replace("\r\n", "\n");
    let docs = render::split_and_parse(&text, Path::new("stdin"))?;
    if let [(doc, _)] = docs.as_slice()
        && doc.root.str_at(&["kind"]) == Some("ResourceList")
    {
        let (resources, _) = render::parse_resource_list(&text)
            .map_err(|e| Error::usage(format!("stdin: {e}; fix the input")))?;
        return Ok(Input {
            resources,
            function_config: doc
                .root
                .get("functionConfig")
                .filter(|c| c.entries().is_some())
                .cloned(),
            package: None,
        });
    }
    let mut resources = Vec::new();
    for (i, (mut doc, wide)) in docs.into_iter().enumerate() {
        if doc.root.entries().is_none() {
            return Err(Error::usage(format!(
                "stdin: document {} is not a mapping (a Kubernetes resource); fix the input",
                i + 1
            )));
        }
        for (k, v) in [
            (render::LEGACY_INDEX, i.to_string()),
            (render::INDEX, i.to_string()),
            (
                render::SEQ_INDENT,
                if wide { "wide" } else { "compact" }.to_string(),
            ),
        ] {
            doc.root.set_annotation(k, &v);
        }
        resources.push(doc);
    }
    Ok(Input {
        resources,
        function_config: None,
        package: None,
    })
}

fn function_config(args: &RunArgs, from_input: Option<KNode>) -> Result<Option<KNode>> {
    match (&args.fn_config, args.fn_args.is_empty()) {
        (Some(_), false) => Err(Error::usage(
            "--fn-config and KEY=VALUE arguments cannot be used together; pick one",
        )),
        (Some(path), true) => Ok(Some(KNode::from_json(&package::read_fn_config(path)?))),
        (None, false) => Ok(Some(KNode::from_json(&package::function_input_configmap(
            &args.fn_args,
        )?))),
        (None, true) => Ok(from_input),
    }
}

/// Resolve the image to layers + config: `oci:DIR[:REF]` locally, anything else from a registry.
/// The pull options (image reference, credentials, CA), checked before the input is read so a
/// mistyped image or CA is reported first; `None` for an `oci:` layout.
fn pull_options(args: &RunArgs) -> Result<Option<crate::registry::PullOptions>> {
    if args.image.starts_with("oci:") {
        return Ok(None);
    }
    crate::registry::image_reference(&args.image, crate::runner::model::DEFAULT_IMAGE_PREFIX)?;
    super::pull::pull_options(&args.image, &args.source).map(Some)
}

fn resolve_image(
    args: &RunArgs,
    opts: Option<&crate::registry::PullOptions>,
) -> Result<FunctionImage> {
    let Some(opts) = opts else {
        return crate::krm::image::load_oci_layout(&args.image);
    };
    obtain_image(opts, args.image_pull_policy)
}

fn platform_key(opts: &crate::registry::PullOptions) -> String {
    let p = opts
        .platform
        .clone()
        .unwrap_or_else(crate::runner::image_ref::Platform::host);
    format!(
        "{}/{}{}",
        p.os,
        p.architecture,
        p.variant.map(|v| format!("/{v}")).unwrap_or_default()
    )
}

/// The image a pull policy gives: `always` pulls; `ifNotPresent` runs the cached pull of the
/// same reference when every blob of it is still in the cache (no network request at all),
/// else pulls; `never` only runs a cached one. Shared by `run` and `render`.
pub fn obtain_image(
    opts: &crate::registry::PullOptions,
    policy: ImagePullPolicy,
) -> Result<FunctionImage> {
    let cache = crate::registry::cache::Cache::open(&opts.cache_dir)?;
    let platform = platform_key(opts);
    if policy != ImagePullPolicy::Always
        && let Some(img) = cache
            .lookup_ref(&opts.image, &platform)
            .and_then(|rec| cached_image(&cache, &rec))
    {
        return Ok(img);
    }
    if policy == ImagePullPolicy::Never {
        return Err(Error::not_found(format!(
            "{}: not in the cache and --image-pull-policy is never; pull it first (kubectl porch-registry pull {}) or use --image-pull-policy ifNotPresent",
            opts.image, opts.image
        )));
    }
    let pulled = crate::registry::pull_image(opts)?;
    let record = json!({
        "reference": pulled.reference,
        "digest": pulled.digest,
        "platform": pulled.platform,
        "config": {
            "entrypoint": pulled.config.entrypoint,
            "cmd": pulled.config.cmd,
            "env": pulled.config.env,
            "working_dir": pulled.config.working_dir,
            "user": pulled.config.user,
        },
        "layers": pulled.layers.iter().map(|l| json!({
            "digest": l.digest, "media_type": l.media_type, "size": l.size,
        })).collect::<Vec<_>>(),
    });
    cache.record_ref(&opts.image, &platform, &record);
    Ok(from_pulled(pulled))
}

fn cached_image(cache: &crate::registry::cache::Cache, rec: &Value) -> Option<FunctionImage> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let c = rec.get("config")?;
    let config = crate::runner::oci::ImageConfig {
        entrypoint: strings(c.get("entrypoint")),
        cmd: strings(c.get("cmd")),
        env: strings(c.get("env")),
        working_dir: s(c, "working_dir").unwrap_or_default(),
        user: s(c, "user").unwrap_or_default(),
    };
    let mut layers = Vec::new();
    for l in rec.get("layers")?.as_array()? {
        let digest = s(l, "digest")?;
        let size = l.get("size").and_then(Value::as_u64);
        let path = cache.get(&digest, size.filter(|s| *s > 0)).ok().flatten()?;
        layers.push(crate::runner::oci::LayerSource {
            digest,
            media_type: s(l, "media_type")?,
            path,
        });
    }
    let platform = s(rec, "platform")?;
    let (os, arch) = platform
        .split_once('/')
        .map(|(o, a)| (o.to_string(), a.split('/').next().unwrap_or(a).to_string()))
        .unwrap_or_else(|| ("linux".into(), platform.clone()));
    Some(FunctionImage {
        reference: s(rec, "reference")?,
        digest: s(rec, "digest")?,
        os,
        architecture: arch,
        config,
        layers,
    })
}

/// The registry's pull result as a runnable image.
pub fn from_pulled(p: crate::registry::PulledImage) -> FunctionImage {
    let (os, arch) = p
        .platform
        .split_once('/')
        .map(|(o, a)| (o.to_string(), a.split('/').next().unwrap_or(a).to_string()))
        .unwrap_or_else(|| ("linux".into(), p.platform.clone()));
    FunctionImage {
        reference: p.reference,
        digest: p.digest,
        os,
        architecture: arch,
        config: p.config,
        layers: p
            .layers
            .into_iter()
            .map(|l| crate::runner::oci::LayerSource {
                digest: l.digest,
                media_type: l.media_type,
                path: l.path,
            })
            .collect(),
    }
}

/// Run the function image on `input` (a serialized ResourceList) as `plan` says.
pub fn execute(image: &FunctionImage, plan: &RunPlan, input: &[u8]) -> Result<RunOutput> {
    let argv = image.argv();
    if argv.is_empty() {
        return Err(Error::usage(format!(
            "{}: the image has neither Entrypoint nor Cmd; the function runner could not run it either",
            image.reference
        )));
    }
    let mut env: Vec<String> = image.config.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH_ENV.to_string());
    }
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push("HOME=/".into());
    }
    for e in &plan.env {
        let key = e.split('=').next().unwrap_or("");
        env.retain(|x| x.split('=').next() != Some(key));
        env.push(e.clone());
    }
    match plan.runtime {
        Runtime::Native => {
            let rootfs_dir = crate::registry::cache::rootfs_dir(&plan.cache_dir)?;
            let cached = rootfs_dir
                .join(sandbox::rootfs::root_key(&image.layers))
                .is_dir();
            if !cached {
                for l in &image.layers {
                    verify_layer(l)?;
                }
            }
            let root = sandbox::rootfs::unpack_cached(&rootfs_dir, &image.layers)?;
            let spec = Spec {
                root,
                argv,
                env,
                workdir: image.config.working_dir.clone(),
                user: plan.user,
                network: plan.network,
                mounts: plan.mounts.clone(),
                limits: plan.limits,
                cgroups: Vec::new(),
                fallbacks: sandbox::Fallbacks::default(),
            };
            sandbox::run_native(&spec, input, plan.timeout)
        }
        Runtime::Podman | Runtime::Docker => {
            let engine = if plan.runtime == Runtime::Podman {
                Engine::Podman
            } else {
                Engine::Docker
            };
            let eimg = EngineImage {
                digest: &image.digest,
                layers: &image.layers,
                os: &image.os,
                architecture: &image.architecture,
                entrypoint: &image.config.entrypoint,
                cmd: if image.config.entrypoint.is_empty() {
                    image.config.cmd.as_slice()
                } else {
                    &[]
                },
                env: &image.config.env,
                working_dir: &image.config.working_dir,
            };
            let erun = EngineRun {
                user: plan.user,
                network: plan.network,
                env: &plan.env,
                mounts: &plan.mounts,
                limits: &plan.limits,
            };
            sandbox::run_engine(engine, &eimg, &erun, input, plan.timeout)
        }
    }
}

/// The function's `results` (a list).
fn results_of(results: &Value) -> Vec<Value> {
    results.as_array().cloned().unwrap_or_default()
}

pub fn run(args: &RunArgs) -> Result<()> {
    let plan = RunPlan {
        timeout: args.timeout,
        mounts: args
            .mount
            .iter()
            .map(|m| sandbox::parse_mount(m))
            .collect::<Result<_>>()?,
        env: parse_env(&args.env)?,
        user: if args.as_current_user {
            User::Current
        } else {
            User::Nobody
        },
        network: args.network,
        runtime: args.runtime,
        cache_dir: args
            .source
            .cache_dir
            .clone()
            .unwrap_or_else(default_cache_dir),
        limits: args.limits,
    };
    let mode = output_mode(args)?;
    refuse_results_file(args.results_dir.as_deref())?;
    if args.include_meta_resources {
        crate::ui::warn(
            "--include-meta-resources is no longer needed: the Kptfile and function configs are always part of the input (as in kpt 1.0)",
        );
    }
    let pull = pull_options(args)?;
    let input = read_input(args)?;
    let fn_config = function_config(args, input.function_config.clone())?;
    let image = resolve_image(args, pull.as_ref())?;
    if !image.config.entrypoint.is_empty() && !image.config.cmd.is_empty() {
        crate::ui::warn(format!(
            "{}: the image has both Entrypoint and Cmd; like the function runner, only the Entrypoint {:?} is run (docker would append Cmd)",
            args.image, image.config.entrypoint
        ));
    }
    // kpt's selection: ids on every resource, the function gets the selected ones.
    let mut all = input.resources;
    let selectors = std::slice::from_ref(&*args.selector);
    let exclusions = std::slice::from_ref(&*args.exclusion);
    let selection: Option<Vec<Resource>> = select::is_selecting(selectors, exclusions).then(|| {
        for (i, r) in all.iter_mut().enumerate() {
            r.root.set_annotation(render::RESOURCE_ID, &i.to_string());
        }
        let json: Vec<Value> = all.iter().map(|r| r.root.to_string_json()).collect();
        select::select_input(&json, selectors, exclusions)
            .into_iter()
            .map(|i| all[i].clone())
            .collect()
    });
    let mut resources = match &selection {
        Some(picked) => picked.clone(),
        None => std::mem::take(&mut all),
    };
    let before = render::tag_input(&mut resources);
    let rl_text = render::resource_list_text(&resources, fn_config.as_ref());

    let shown = &args.image;
    crate::ui::output::write_stderr(&report::running_line(
        shown,
        selection.is_some().then_some(resources.len()),
    ));
    let started = Instant::now();
    let out = execute(&image, &plan, rl_text.as_bytes())?;
    let took = report::kpt_duration(started.elapsed());

    // The output ResourceList (also parsed on failure: it may carry the results).
    let stdout_text = String::from_utf8_lossy(&out.stdout);
    let parsed = render::parse_resource_list(&stdout_text);
    let results: Vec<Value> = parsed
        .as_ref()
        .ok()
        .and_then(|(_, r)| r.as_ref())
        .map(results_of)
        .unwrap_or_default();
    // Limits the function ran into, said with the failure (a cgroup reports them).
    let mut hit = String::new();
    if out.events.pids_max_hit {
        hit.push_str(&format!(
            "; it reached the pids limit ({} processes: raise --pids-limit)",
            args.limits.pids.unwrap_or_default()
        ));
    }
    if out.events.oom_killed {
        hit.push_str(&format!(
            "; it ran out of memory ({}: raise --memory)",
            crate::runner::limits::show_size(args.limits.memory.unwrap_or_default())
        ));
    }
    let mut failure: Option<Error> = match &out.outcome {
        Outcome::Exited(0) if parsed.is_err() => Some(Error::FunctionFailed(format!(
            "{shown}: the function exited 0 but its output is not a ResourceList ({}); nothing was written{hit}",
            parsed
                .as_ref()
                .err()
                .map(String::as_str)
                .unwrap_or_default()
        ))),
        Outcome::Exited(0) => None,
        Outcome::TimedOut => Some(Error::Timeout(format!(
            "{shown}: the function did not finish within {} and was killed with all its processes; nothing was written (raise --timeout){hit}",
            crate::runner::duration::display(args.timeout)
        ))),
        Outcome::Exited(code) => Some(Error::FunctionFailed(format!(
            "{shown}: the function failed with exit code {code}; nothing was written{hit}"
        ))),
        Outcome::Signaled(sig) => Some(Error::FunctionFailed(format!(
            "{shown}: the function was killed by signal {sig}; nothing was written{hit}"
        ))),
    };
    // The output made into the package's resources (kpt's checks: a failure of the function).
    let mut output = None;
    if failure.is_none()
        && let Ok((out_items, _)) = parsed
    {
        let pkg_path = input
            .package
            .as_ref()
            .map(|(abs, _)| abs.to_string_lossy().into_owned())
            .unwrap_or_default();
        match render::absorb_output(shown, &resources, &before, out_items, &pkg_path) {
            // kpt's merge with the resources that were not selected.
            Ok(absorbed) => {
                output = Some(match &selection {
                    Some(picked) => {
                        let mut merged = render::merge_with_input(absorbed, picked, all);
                        for r in merged.iter_mut() {
                            r.root.clear_annotation(render::RESOURCE_ID);
                        }
                        merged
                    }
                    None => absorbed,
                })
            }
            Err(e) => failure = Some(e),
        }
    }
    let exit_code = out.exit_code();
    let ok = failure.is_none();
    // kpt's `ExecError` (stderr and exit code printed) is a function that did not exit 0;
    // a failure found in its output prints only the results.
    let exec_error = !matches!(out.outcome, Outcome::Exited(0));
    crate::ui::output::write_stderr(&if ok {
        report::pass_block(shown, &took, &results, &out.stderr, args.truncate_output)
    } else {
        report::fail_block(
            shown,
            &took,
            &results,
            &out.stderr,
            exec_error.then_some(exit_code),
            args.truncate_output,
        )
    });
    if let Some(dir) = &args.results_dir {
        let item = report::result_item(
            shown,
            false,
            &results,
            &out.stderr,
            if ok { 0 } else { exit_code.max(1) },
        );
        crate::ui::output::write_stderr("\n");
        super::render::save_results(dir, vec![item], !ok)?;
    }
    // Written only when the function succeeded (after kpt's `[PASS]`, as kpt writes).
    if let Some(mut output) = output {
        let written = match &input.package {
            Some((abs, files)) => {
                let root = render::PackageNode {
                    abs: abs.clone(),
                    rel: String::new(),
                    display: String::new(),
                    pipeline: Default::default(),
                    subpackages: Vec::new(),
                    files: Vec::new(),
                };
                render::adjust_rel_paths(&root, &mut output);
                let to = match &mode {
                    Dest::Dir(d) => d.as_path(),
                    _ => abs.as_path(),
                };
                super::render::write_back(&mode, to, &output, files, Written::FunctionOutput)
            }
            None => {
                for r in output.iter_mut() {
                    r.root.clear_annotation(render::PKG_PATH);
                }
                let to = match &mode {
                    Dest::Dir(d) => d.clone(),
                    _ => PathBuf::from("."),
                };
                super::render::write_back(
                    &mode,
                    &to,
                    &output,
                    &BTreeSet::new(),
                    Written::FunctionOutput,
                )
            }
        };
        written?;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `--results-dir` naming a file (of `run` and `render`), refused before anything runs:
/// failing on it afterwards would leave the package written and report an error.
pub(super) fn refuse_results_file(dir: Option<&Path>) -> Result<()> {
    match dir {
        Some(dir) if dir.exists() && !dir.is_dir() => Err(Error::usage(format!(
            "--results-dir {}: is a file, not a directory; give a directory (it is created when missing)",
            dir.display()
        ))),
        _ => Ok(()),
    }
}
