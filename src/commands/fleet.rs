//! Many clusters in one run: the contexts of a [`Fleet`] handled concurrently (`--parallel`
//! at once), each under its own deadline (`--cluster-timeout`), a progress line per cluster on
//! a terminal, and the outcomes in the contexts' order. One cluster failing (unreachable,
//! forbidden, timed out, even a panic) is that cluster's outcome and never stops the others;
//! a cluster past its deadline gets no more requests (the client enforces it), so nothing is
//! left running when the summary is printed.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cluster::{self, ClusterOptions, Deadline};
use crate::error::{Error, Result, exit};
use crate::settings::Fleet;
use crate::ui;

/// How one run of a single-cluster flow goes: alone (as always: it prints, asks, waits with a
/// spinner), or as one cluster of a run across clusters: first the plan only (nothing
/// written), then, once every plan was confirmed together, the changes without asking,
/// collected for the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    Alone,
    Plan,
    Apply,
}

/// What became of one cluster.
#[derive(Debug)]
pub struct Outcome<T> {
    pub context: String,
    pub result: Result<T>,
    pub elapsed: Duration,
}

/// What the one confirmation across clusters shows (each cluster's plan; a cluster whose plan
/// could not be read, with its error) and the contexts whose plan is ready to apply.
pub fn plans_to_confirm<T>(
    plans: &[Outcome<T>],
    plan: impl Fn(&T) -> &str,
) -> (String, Vec<String>) {
    let mut text = String::new();
    for o in plans {
        match &o.result {
            Ok(p) => text.push_str(plan(p)),
            Err(e) => text.push_str(&format!(
                "Context {}: left out (exit {}): {}\n",
                ui::output::printable(&o.context),
                e.exit_code(),
                e.one_line()
            )),
        }
    }
    let ready = plans
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.context.clone())
        .collect();
    (text, ready)
}

/// One error as a run across clusters reports it (JSON entries, the summary table).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    pub exit_code: u8,
    pub message: String,
}

/// What a cluster's own report says in a run across clusters: a JSON entry names its context
/// and holds the report under [`ClusterReport::KEY`]; the summary table has one row per
/// context (context, what changed, rollout, findings, error).
pub trait ClusterReport: Serialize {
    /// The key of the cluster's report in its JSON entry (`status`, `setup`, ...).
    const KEY: &'static str;
    /// What the run changed on the cluster, one short line each; `None`: it only reads.
    fn changed(&self) -> Option<Vec<String>> {
        None
    }
    /// Where the runner's rollout stands ("-" when the command does not look at it).
    fn rollout(&self) -> String {
        "-".to_string()
    }
    /// What needs attention, one short line each.
    fn findings(&self) -> Vec<String>;
    /// How the cluster's run ended although it has a report (a rollout that timed out, error
    /// findings); `None`: it succeeded.
    fn problem(&self) -> Option<ErrorInfo> {
        None
    }
}

impl<T: ClusterReport> Outcome<T> {
    pub fn exit_code(&self) -> u8 {
        self.error().map_or(exit::OK, |e| e.exit_code)
    }

    pub fn error(&self) -> Option<ErrorInfo> {
        match &self.result {
            Ok(r) => r.problem(),
            Err(e) => Some(ErrorInfo::of(e)),
        }
    }
}

impl ErrorInfo {
    pub fn of(e: &Error) -> ErrorInfo {
        ErrorInfo {
            exit_code: e.exit_code(),
            message: e.one_line(),
        }
    }
}

/// The outcomes of a run across clusters, as one report: a JSON/YAML list with one entry per
/// context, or the summary table.
pub struct FleetReport<T> {
    pub outcomes: Vec<Outcome<T>>,
}

impl<T: ClusterReport> Serialize for FleetReport<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Entry<'a, T>(&'a Outcome<T>);
        impl<T: ClusterReport> Serialize for Entry<'_, T> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let o = self.0;
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("context", &o.context)?;
                m.serialize_entry("exitCode", &o.exit_code())?;
                if let Some(e) = o.error() {
                    m.serialize_entry("error", &e)?;
                }
                if let Ok(r) = &o.result {
                    if let Some(changed) = r.changed().filter(|c| !c.is_empty()) {
                        m.serialize_entry("changed", &changed)?;
                    }
                    let findings = r.findings();
                    if !findings.is_empty() {
                        m.serialize_entry("findings", &findings)?;
                    }
                    m.serialize_entry(T::KEY, r)?;
                }
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.outcomes.len()))?;
        for o in &self.outcomes {
            seq.serialize_element(&Entry(o))?;
        }
        seq.end()
    }
}

impl<T: ClusterReport> ui::output::Report for FleetReport<T> {
    fn table(&self) -> String {
        use comfy_table::{ContentArrangement, Table, presets};
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_header(vec!["CONTEXT", "CHANGED", "ROLLOUT", "FINDINGS", "ERROR"]);
        for o in &self.outcomes {
            let (changed, rollout, found) = match &o.result {
                Ok(r) => {
                    let f = r.findings();
                    (
                        match r.changed() {
                            None => "nothing (read only)".to_string(),
                            Some(c) if c.is_empty() => "nothing".to_string(),
                            Some(c) => c.join("\n"),
                        },
                        r.rollout(),
                        if f.is_empty() {
                            "none".to_string()
                        } else {
                            f.join("\n")
                        },
                    )
                }
                Err(_) => ("-".to_string(), "-".to_string(), "-".to_string()),
            };
            let error = o
                .error()
                .map(|e| format!("exit {}: {}", e.exit_code, e.message))
                .unwrap_or_default();
            t.add_row(vec![
                ui::output::printable(&o.context).into_owned(),
                changed,
                rollout,
                found,
                error,
            ]);
        }
        format!("{t}\n")
    }
}

/// The contexts a fleet visits: its names, checked against the kubeconfig, or all of them
/// (matching the pattern).
pub fn contexts(fleet: &Fleet) -> Result<Vec<String>> {
    let available = cluster::context_names(fleet.kubeconfig.as_deref())?;
    fleet.select(&available)
}

/// Run `work` once per context, `fleet.parallel` at a time, each under its own deadline
/// (`fleet.cluster_timeout` from the moment its work starts); the outcomes come back in the
/// order of `contexts`.
///
/// The deadline travels in the [`ClusterOptions`] `work` connects with: past it the client
/// cancels the request in flight and sends nothing more, so a slow cluster's work ends (as a
/// Timeout, exit 9) instead of being abandoned, and when this returns no work is left
/// running on any cluster. A panic in `work` is that cluster's outcome too.
pub fn run_each<T, F>(fleet: &Fleet, contexts: &[String], work: F) -> Vec<Outcome<T>>
where
    T: Send,
    F: Fn(ClusterOptions) -> Result<T> + Sync,
{
    run_step(fleet, contexts, "done", work)
}

/// [`run_each`] for one step of a run that visits the clusters more than once (`setup` and
/// `remove`: is it there, its plan, the change): a cluster's progress line says which step
/// it finished (`step`; [`run_each`]'s is `done`).
pub fn run_step<T, F>(fleet: &Fleet, contexts: &[String], step: &str, work: F) -> Vec<Outcome<T>>
where
    T: Send,
    F: Fn(ClusterOptions) -> Result<T> + Sync,
{
    let total = contexts.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Outcome<T>>>> = (0..total).map(|_| Mutex::new(None)).collect();
    let progress = ui::stderr_is_terminal();
    let shown: Vec<String> = contexts
        .iter()
        .map(|c| ui::output::printable(c).into_owned())
        .collect();
    let width = shown.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    std::thread::scope(|scope| {
        for _ in 0..fleet.parallel.min(total.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let context = &contexts[i];
                    let name = &shown[i];
                    let start = Instant::now();
                    let options = ClusterOptions {
                        kubeconfig: fleet.kubeconfig.clone(),
                        context: Some(context.clone()),
                        deadline: Some(Deadline::after(fleet.cluster_timeout)),
                    };
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        ui::output::tagged(context, || work(options))
                    }))
                        .unwrap_or_else(|_| {
                            Err(Error::other(format!(
                                "context \"{name}\": the work stopped unexpectedly (a bug); the other clusters went on"
                            )))
                        });
                    let outcome = Outcome {
                        context: context.clone(),
                        result,
                        elapsed: start.elapsed(),
                    };
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if progress {
                        ui::output::stderr_line(format_args!(
                            "[{n}/{total}] {name:<width$}  {} ({:.1}s)",
                            match &outcome.result {
                                Ok(_) => step.to_string(),
                                Err(e) =>
                                    format!("error (exit {}): {}", e.exit_code(), e.one_line()),
                            },
                            outcome.elapsed.as_secs_f64()
                        ));
                    }
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                }
            });
        }
    });
    slots
        .into_iter()
        .zip(contexts.iter().zip(&shown))
        .map(|(slot, (context, name))| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Outcome {
                    context: context.clone(),
                    result: Err(Error::other(format!("context \"{name}\" was not handled"))),
                    elapsed: Duration::ZERO,
                })
        })
        .collect()
}

/// The end of a run across clusters: `Ok` when every cluster succeeded, else the most severe
/// of their exit codes (see [`exit::most_severe`]) with one line naming the failed contexts.
pub fn verdict<T: ClusterReport>(outcomes: &[Outcome<T>]) -> Result<()> {
    let failed: Vec<&Outcome<T>> = outcomes
        .iter()
        .filter(|o| o.exit_code() != exit::OK)
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = exit::most_severe(failed.iter().map(|o| o.exit_code()));
    let names = failed
        .iter()
        .map(|o| {
            format!(
                "{} (exit {})",
                ui::output::printable(&o.context),
                o.exit_code()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::with_code(
        code,
        format!(
            "{} of {} contexts failed: {names}; see the ERROR column (or `error` in -o json) for each",
            failed.len(),
            outcomes.len()
        ),
    ))
}
