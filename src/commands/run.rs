//! `run IMAGE [DIR | -] [-- KEY=VALUE ...]`: run a KRM function image on a package, sandboxed,
//! compatible with `kpt fn eval` where they overlap.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::krm::image::{FunctionImage, verify_layer};
use crate::krm::{item_text, package, report, select};
use crate::sandbox::{self, Engine, EngineImage, EngineRun, Outcome, RunOutput, Spec, User};
use crate::settings::{ImagePullPolicy, Run as RunArgs, Runtime};

const DEFAULT_PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Where `run` sends the function's output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OutputMode {
    InPlace,
    Stdout,
    Unwrap,
    Dir(PathBuf),
}

/// The input: package files (for write-back) plus the ResourceList pieces.
struct Input {
    items: Vec<Value>,
    function_config: Option<Value>,
    /// In-place mode: the package and the files read from it.
    package: Option<package::Package>,
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

fn output_mode(args: &RunArgs) -> Result<OutputMode> {
    let stdin_mode = args.package == "-";
    Ok(match args.output.as_deref() {
        None if stdin_mode => OutputMode::Stdout,
        None => OutputMode::InPlace,
        Some("stdout") => OutputMode::Stdout,
        Some("unwrap") => OutputMode::Unwrap,
        Some("") => return Err(Error::usage("-o \"\": use stdout, unwrap or a directory")),
        Some(dir) => {
            let p = PathBuf::from(dir);
            if p.exists() {
                return Err(Error::usage(format!(
                    "-o {dir}: directory already exists; delete it or choose another"
                )));
            }
            OutputMode::Dir(p)
        }
    })
}

fn read_input(args: &RunArgs) -> Result<Input> {
    if args.package == "-" {
        let text = crate::krm::tree::read_stdin("pipe a ResourceList or YAML")?;
        let parsed = package::read_stdin_input(&text)?;
        Ok(Input {
            items: parsed.items,
            function_config: parsed.function_config,
            package: None,
        })
    } else {
        let pkg = package::read_package(Path::new(&args.package))?;
        Ok(Input {
            items: pkg.items.clone(),
            function_config: None,
            package: Some(pkg),
        })
    }
}

fn function_config(args: &RunArgs, from_input: Option<Value>) -> Result<Option<Value>> {
    match (&args.fn_config, args.fn_args.is_empty()) {
        (Some(_), false) => Err(Error::usage(
            "--fn-config and KEY=VALUE arguments cannot be used together; pick one",
        )),
        (Some(path), true) => Ok(Some(package::read_fn_config(path)?)),
        (None, false) => Ok(Some(package::function_input_configmap(&args.fn_args)?)),
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
    crate::registry::image_reference(&args.image, &args.source.default_image_prefix)?;
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
    let config = crate::krm::image::ImageConfig {
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
        layers.push(crate::rootfs::LayerSource {
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
            .map(|l| crate::rootfs::LayerSource {
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
            let cached = plan
                .cache_dir
                .join("rootfs")
                .join(crate::rootfs::root_key(&image.layers))
                .is_dir();
            if !cached {
                for l in &image.layers {
                    verify_layer(l)?;
                }
            }
            let root = crate::rootfs::unpack_cached(&plan.cache_dir, &image.layers)?;
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

fn results_of(output: &Value) -> Vec<Value> {
    output
        .get("results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn write_results_dir(dir: &Path, doc: &Value) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join("results.yaml");
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(package::to_yaml_stream(std::slice::from_ref(doc)).as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    Ok(path)
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
    // Refused before anything runs: failing on it afterwards would leave the package written
    // and report an error.
    if let Some(dir) = &args.results_dir
        && dir.exists()
        && !dir.is_dir()
    {
        return Err(Error::usage(format!(
            "--results-dir {}: is a file, not a directory; give a directory (it is created when missing)",
            dir.display()
        )));
    }
    if args.include_meta_resources {
        crate::ui::warn(
            "--include-meta-resources is no longer needed: the Kptfile and function configs are always part of the input (as in kpt 1.0)",
        );
    }
    let pull = pull_options(args)?;
    let mut input = read_input(args)?;
    // kpt's selection: ids on every resource, the function gets the selected ones.
    let selectors = std::slice::from_ref(&*args.selector);
    let exclusions = std::slice::from_ref(&*args.exclusion);
    let selection = select::is_selecting(selectors, exclusions).then(|| {
        select::set_resource_ids(&mut input.items);
        select::select_input(&input.items, selectors, exclusions)
    });
    let fn_items: Vec<Value> = match &selection {
        Some(picked) => picked.iter().map(|&i| input.items[i].clone()).collect(),
        None => input.items.clone(),
    };
    let fn_config = function_config(args, input.function_config.clone())?;
    let image = resolve_image(args, pull.as_ref())?;
    if !image.config.entrypoint.is_empty() && !image.config.cmd.is_empty() {
        crate::ui::warn(format!(
            "{}: the image has both Entrypoint and Cmd; like the function runner, only the Entrypoint {:?} is run (docker would append Cmd)",
            args.image, image.config.entrypoint
        ));
    }
    let mut rl = serde_json::Map::new();
    rl.insert("apiVersion".into(), json!("config.kubernetes.io/v1"));
    rl.insert("kind".into(), json!("ResourceList"));
    rl.insert("items".into(), Value::Array(fn_items.clone()));
    if let Some(fc) = fn_config {
        rl.insert("functionConfig".into(), fc);
    }
    let rl_text = package::to_yaml_stream(&[Value::Object(rl)]);

    let shown = &args.image;
    match selection {
        Some(_) => crate::errln!("[RUNNING] {shown:?} on {} resource(s)", fn_items.len()),
        None => crate::errln!("[RUNNING] {shown:?}"),
    }
    let started = Instant::now();
    let out = execute(&image, &plan, rl_text.as_bytes())?;
    let took = report::format_duration(started.elapsed());

    // The output ResourceList (also parsed on failure: it may carry the results).
    let stdout_text = String::from_utf8_lossy(&out.stdout);
    let parsed: Option<Value> = package::parse_documents(&stdout_text, "function output")
        .ok()
        .and_then(|mut docs| (docs.len() == 1).then(|| docs.remove(0)))
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("ResourceList"));
    let results = parsed.as_ref().map(results_of).unwrap_or_default();
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
            sandbox::limits::show_size(args.limits.memory.unwrap_or_default())
        ));
    }
    let mut failure: Option<Error> = match &out.outcome {
        Outcome::Exited(0) if parsed.is_none() => Some(Error::FunctionFailed(format!(
            "{shown}: the function exited 0 but its output is not a ResourceList; nothing was written{hit}"
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
    // Write the output only when the function succeeded.
    if failure.is_none() {
        let output = parsed.clone().unwrap_or(Value::Null);
        let items = match output.get("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                failure = Some(Error::FunctionFailed(format!(
                    "{shown}: the function's output items is not a list; nothing was written"
                )));
                Vec::new()
            }
        };
        // The function's own text of each item (for the write-back), then kpt's merge of the
        // output with the resources that were not selected.
        let mut texts = item_text::item_texts(&stdout_text, &items);
        let items = match &selection {
            Some(picked) => {
                let plan = select::merge_plan(&items, picked, &input.items);
                texts = plan
                    .iter()
                    .map(|o| match o {
                        select::Origin::Input(_) => None,
                        select::Origin::Output(j) => texts[*j].clone(),
                    })
                    .collect();
                select::merge_with_input(&items, picked, &input.items)
            }
            None => items,
        };
        if failure.is_none() {
            let done = match &mode {
                OutputMode::InPlace => {
                    let pkg = input.package.as_ref().expect("in-place has a package");
                    package::write_files_with_texts(&pkg.root, &items, &texts, &pkg.files)
                        .map(|_| ())
                }
                OutputMode::Dir(dir) => {
                    package::write_files_with_texts(dir, &items, &texts, &BTreeMap::new())
                        .map(|_| ())
                }
                OutputMode::Stdout => {
                    let mut o = output.clone();
                    if let Some(m) = o.as_object_mut() {
                        m.remove("results");
                        if selection.is_some() {
                            m.insert("items".into(), Value::Array(items.clone()));
                        }
                    }
                    print_stdout(&package::to_yaml_stream(&[o]))
                }
                OutputMode::Unwrap => {
                    let docs: Vec<Value> = items
                        .iter()
                        .cloned()
                        .map(|mut i| {
                            package::strip_layout(&mut i);
                            i
                        })
                        .collect();
                    print_stdout(&package::to_yaml_stream(&docs))
                }
            };
            if let Err(e) = done {
                failure = Some(e);
            }
        }
    }
    let exit_code = out.exit_code();
    let ok = failure.is_none();
    if ok {
        crate::errln!("[PASS] {shown:?} in {took}");
        crate::ui::output::write_stderr(&report::format_details(&results, &out.stderr, None));
    } else {
        crate::errln!("[FAIL] {shown:?} in {took}");
        crate::ui::output::write_stderr(&report::format_details(
            &results,
            &out.stderr,
            Some(exit_code),
        ));
    }
    if let Some(dir) = &args.results_dir {
        let doc = report::function_result_list(
            shown,
            false,
            &results,
            &out.stderr,
            if ok { 0 } else { exit_code.max(1) },
        );
        let path = write_results_dir(dir, &doc)?;
        crate::errln!("\nFor complete results, see {}", path.display());
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn print_stdout(text: &str) -> Result<()> {
    crate::ui::output::write_stdout(text)
}
