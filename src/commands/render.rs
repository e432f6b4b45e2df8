//! `render [PKG]`: run a package tree's Kptfile pipelines like `kpt fn render`, with the
//! function images pulled like `pull` and run like `run`.
//!
//! The story: read the tree (every Kptfile and pipeline checked) -> refuse `exec:` without
//! `--allow-exec` -> resolve and obtain every image before anything runs (the pull policy) ->
//! hydrate (the engine in `krm::render`) -> on success write every file back formatted (or to
//! stdout / a directory), delete files left empty -> results.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::krm::image::FunctionImage;
pub(crate) use crate::krm::render::Written;
use crate::krm::render::{self, FnRef, FnRun, FunctionRunner, Render};
use crate::krm::{kyaml, report};
use crate::manifests;
use crate::sandbox::{self, Outcome, User};
use crate::settings::Render as RenderArgs;

use super::run::{RunPlan, execute, obtain_image};

/// The default prefix the function runner (and porch-server) gives short image names.
pub use crate::runner::model::DEFAULT_IMAGE_PREFIX;

/// A short name (no `/`) resolved the way the runner resolves it (kpt's `ResolveToImage`
/// with the runner's `--default-image-prefix`).
pub fn resolve_image_name(image: &str) -> String {
    crate::runner::model::resolve_image(image, DEFAULT_IMAGE_PREFIX)
}

/// Where the resulting resources go (`render` and `run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    InPlace,
    Stdout,
    Unwrap,
    Dir(PathBuf),
}

fn dest(args: &RenderArgs) -> Result<Dest> {
    Ok(match args.output.as_deref() {
        None => Dest::InPlace,
        Some("stdout") => Dest::Stdout,
        Some("unwrap") => Dest::Unwrap,
        Some("") => return Err(Error::usage("-o \"\": use stdout, unwrap or a directory")),
        Some(d) => {
            let p = PathBuf::from(d);
            if p.exists() && !p.is_dir() {
                return Err(Error::usage(format!(
                    "-o {d}: is a file; give stdout, unwrap or a directory"
                )));
            }
            Dest::Dir(p)
        }
    })
}

/// Runs pipeline functions: images from the obtained set in the sandbox (or engine), `exec:`
/// functions as plain processes (as kpt runs them).
struct Runner {
    images: HashMap<String, FunctionImage>,
    plan: RunPlan,
}

/// kpt splits `exec:` with shlex.
fn shell_words(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            '\'' => {
                have = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                have = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => cur.push(c),
                            None => return Err("unfinished escape".into()),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                have = true;
                match chars.next() {
                    Some(c) => cur.push(c),
                    None => return Err("unfinished escape".into()),
                }
            }
            c => {
                have = true;
                cur.push(c);
            }
        }
    }
    if have {
        out.push(cur);
    }
    Ok(out)
}

fn failure_of(name: &str, outcome: &Outcome, timeout: Duration) -> Option<(i32, Error)> {
    match outcome {
        Outcome::Exited(0) => None,
        Outcome::Exited(code) => Some((
            *code,
            Error::FunctionFailed(format!(
                "{name}: the function failed with exit code {code}; nothing was written"
            )),
        )),
        Outcome::Signaled(sig) => Some((
            128 + sig,
            Error::FunctionFailed(format!(
                "{name}: the function was killed by signal {sig}; nothing was written"
            )),
        )),
        Outcome::TimedOut => Some((
            137,
            Error::Timeout(format!(
                "{name}: the function did not finish within {} and was killed; nothing was written (raise --timeout)",
                humantime(timeout)
            )),
        )),
    }
}

fn humantime(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

impl FunctionRunner for Runner {
    fn run(&mut self, f: &FnRef, input: &[u8]) -> Result<FnRun> {
        let (out, name) = match f {
            FnRef::Image(image) => {
                let img = self
                    .images
                    .get(image)
                    .ok_or_else(|| Error::other(format!("{image}: image was not obtained")))?;
                (execute(img, &self.plan, input)?, image.clone())
            }
            FnRef::Exec(cmdline) => {
                let words = shell_words(cmdline).map_err(|e| {
                    Error::usage(format!(
                        "exec command {cmdline:?} must be valid: {e}; fix the Kptfile"
                    ))
                })?;
                let Some((prog, rest)) = words.split_first() else {
                    return Err(Error::usage(
                        "an exec function has an empty command; fix the Kptfile",
                    ));
                };
                let mut cmd = std::process::Command::new(prog);
                cmd.args(rest);
                let out = sandbox::run_piped(cmd, input, self.plan.timeout).map_err(|e| {
                    Error::FunctionFailed(format!(
                        "exec function {cmdline:?} could not be started: {e}; check the path in the Kptfile"
                    ))
                })?;
                (out, cmdline.clone())
            }
        };
        Ok(FnRun {
            failure: failure_of(&name, &out.outcome, self.plan.timeout),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

/// Write planned files under `dir`, refusing any path through a symlink first.
fn write_files(dir: &Path, files: &BTreeMap<String, String>, what: Written) -> Result<()> {
    let what = what.noun();
    for rel in files.keys() {
        let mut cur = dir.to_path_buf();
        for comp in Path::new(rel)
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
        {
            cur.push(comp);
            if std::fs::symlink_metadata(&cur).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::FunctionFailed(format!(
                    "{what} writes {rel} through the symlink {}; nothing was written",
                    cur.display()
                )));
            }
        }
        if dir.join(rel).is_dir() {
            return Err(Error::FunctionFailed(format!(
                "{what} writes a resource to {rel}, which is a directory; nothing was written"
            )));
        }
    }
    // A read-only file is refused before anything is written (as kpt, whose write fails on it).
    for (rel, text) in files {
        let target = dir.join(rel);
        if std::fs::read_to_string(&target).ok().as_deref() != Some(text.as_str())
            && manifests::check_writable(&target).is_err()
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&target).map_or(0, |m| m.permissions().mode());
            return Err(Error::usage(format!(
                "{}: the file is not writable (mode {:04o}); make it writable (chmod u+w) to render into it; nothing was written",
                target.display(),
                mode & 0o7777
            )));
        }
    }
    for (rel, text) in files {
        let target = dir.join(rel);
        if std::fs::read_to_string(&target).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        let parent = target.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        manifests::write_atomic(&target, text.as_bytes())?;
    }
    Ok(())
}

pub fn run(args: &RenderArgs) -> Result<()> {
    let dest = dest(args)?;
    super::run::refuse_results_file(args.results_dir.as_deref())?;
    let plan = RunPlan {
        timeout: args.timeout,
        mounts: Vec::new(),
        env: Vec::new(),
        limits: args.limits,
        user: User::Nobody,
        network: args.allow_network,
        runtime: args.runtime,
        cache_dir: args
            .source
            .cache_dir
            .clone()
            .unwrap_or_else(super::run::default_cache_dir),
    };
    let tree = render::read_tree(&args.package)?;
    let functions = render::all_functions(&tree);
    if !args.allow_exec
        && let Some(f) = functions
            .iter()
            .find(|f| matches!(f.fn_ref, FnRef::Exec(_)))
    {
        return Err(Error::usage(format!(
            "the pipeline runs exec function {:?}: must run with `--allow-exec` option to allow running function binaries",
            f.fn_ref.name()
        )));
    }
    // Every image resolved and obtained before anything runs.
    let mut images = HashMap::new();
    for f in &functions {
        let FnRef::Image(image) = &f.fn_ref else {
            continue;
        };
        let full = resolve_image_name(image);
        if images.contains_key(&full) {
            continue;
        }
        crate::runner::image_ref::ImageRef::parse(&full).map_err(|e| {
            Error::usage(format!(
                "{}: pipeline image {image:?}: {e}",
                tree.abs.join("Kptfile").display()
            ))
        })?;
        let opts = super::pull::pull_options(&full, &args.source)?;
        let img = obtain_image(&opts, args.image_pull_policy)?;
        images.insert(full, img);
    }
    let mut tree = tree;
    resolve_tree_images(&mut tree);
    let mut runner = Runner { images, plan };
    let mut stderr = std::io::stderr();
    let mut r = Render {
        runner: &mut runner,
        allow_exec: args.allow_exec,
        log: &mut stderr,
        results: Vec::new(),
        executed: 0,
        packages: 0,
        input_files: Default::default(),
        truncate_output: args.truncate_output,
    };
    let hydrated = r.hydrate(&tree);
    let results = std::mem::take(&mut r.results);
    let (executed, packages, input_files) =
        (r.executed, r.packages, std::mem::take(&mut r.input_files));
    let mut resources = match hydrated {
        Ok(res) => res,
        Err(e) => {
            if let Some(dir) = &args.results_dir {
                save_results(dir, results, true)?;
            }
            return Err(e);
        }
    };
    render::adjust_rel_paths(&tree, &mut resources);
    write_back(
        &dest,
        &tree.abs,
        &resources,
        &input_files,
        Written::RenderedPackage,
    )?;
    if dest == Dest::InPlace {
        crate::errln!("Successfully executed {executed} function(s) in {packages} package(s).");
    }
    match &args.results_dir {
        Some(dir) => save_results(dir, results, false),
        None => Ok(()),
    }
}

/// The one write-back of `render` and `run` (kpt's, for `fn render` and `fn eval`): every
/// resource written back formatted to its file under `root` (files whose resources are all
/// gone deleted: `input_files`, relative to `root`, are the files read), or printed as a
/// `ResourceList` (`stdout`), as plain documents (`unwrap`), or written under a directory.
/// `resources` carry paths relative to `root` (after [`render::adjust_rel_paths`]).
pub(crate) fn write_back(
    dest: &Dest,
    root: &Path,
    resources: &[render::Resource],
    input_files: &BTreeSet<String>,
    what: Written,
) -> Result<()> {
    match dest {
        Dest::InPlace => {
            let files = render::plan_files(resources, what)?;
            write_files(root, &files, what)?;
            for f in input_files.iter().filter(|f| !files.contains_key(*f)) {
                let p = root.join(f);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&p, e)),
                }
            }
            Ok(())
        }
        Dest::Stdout => print_stdout(&render::stdout_text(resources)),
        Dest::Unwrap | Dest::Dir(_) => {
            // kpt writes the ResourceList, then reads it back and writes it out.
            let text = render::stdout_text(resources);
            let (items, _) = render::parse_resource_list(&text)
                .map_err(|e| Error::other(format!("re-reading the resulting resources: {e}")))?;
            if let Dest::Dir(dir) = dest {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                let files = render::plan_files(&items, what)?;
                write_files(dir, &files, what)
            } else {
                let docs: Vec<(kyaml::KDoc, bool)> = items
                    .iter()
                    .map(|r| {
                        let wide = r.root.annotation(render::SEQ_INDENT) == Some("wide");
                        (render::file_doc(r), wide)
                    })
                    .collect();
                print_stdout(&kyaml::emit_stream(&docs))
            }
        }
    }
}

/// Short image names in every pipeline resolved (what is printed and recorded, as kpt does).
fn resolve_tree_images(p: &mut render::PackageNode) {
    for f in p
        .pipeline
        .mutators
        .iter_mut()
        .chain(p.pipeline.validators.iter_mut())
    {
        if let FnRef::Image(i) = &f.fn_ref {
            f.fn_ref = FnRef::Image(resolve_image_name(i));
        }
    }
    for s in p.subpackages.iter_mut() {
        resolve_tree_images(s);
    }
}

/// `--results-dir DIR`: the `FunctionResultList` of every function run (`render` and `run`)
/// written to `DIR/results.yaml` as kpt writes it, and kpt's line saying where.
pub(crate) fn save_results(dir: &Path, items: Vec<kyaml::KNode>, failed: bool) -> Result<()> {
    let doc = kyaml::KDoc {
        root: report::function_result_list(items, failed),
        head: Vec::new(),
        foot: Vec::new(),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let path = dir.join("results.yaml");
    manifests::write_atomic(&path, kyaml::emit_doc(&doc, true).as_bytes())?;
    crate::errln!("For complete results, see {}", path.display());
    Ok(())
}

/// Through `ui::output`: a closed stdout is the end of the output, never an error.
fn print_stdout(text: &str) -> Result<()> {
    crate::ui::output::write_stdout(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_get_the_runner_prefix() {
        assert_eq!(
            resolve_image_name("set-labels:v0.2"),
            "ghcr.io/kptdev/krm-functions-catalog/set-labels:v0.2"
        );
        assert_eq!(resolve_image_name("r.example/x:1"), "r.example/x:1");
    }

    #[test]
    fn exec_words_like_shlex() {
        assert_eq!(
            shell_words("a 'b c' \"d\\\"e\" f\\ g").unwrap(),
            ["a", "b c", "d\"e", "f g"]
        );
        assert!(shell_words("a 'b").is_err());
    }
}
