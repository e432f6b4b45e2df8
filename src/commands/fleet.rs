//! Many clusters in one run: the contexts of a [`Fleet`] handled concurrently (`--parallel`
//! at once), each under its own deadline (`--cluster-timeout`), a progress line per cluster on
//! a terminal, and the outcomes in the contexts' order. One cluster failing (unreachable,
//! forbidden, timed out, even a panic) is that cluster's outcome and never stops the others.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cluster::{self, ClusterOptions};
use crate::error::{Error, Result, exit};
use crate::settings::Fleet;
use crate::ui;

/// What became of one cluster.
#[derive(Debug)]
pub struct Outcome<T> {
    pub context: String,
    pub result: Result<T>,
    pub elapsed: Duration,
}

/// One error as a run across clusters reports it (JSON entries, the summary table).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    pub exit_code: u8,
    pub message: String,
}

impl<T> Outcome<T> {
    pub fn exit_code(&self) -> u8 {
        match &self.result {
            Ok(_) => exit::OK,
            Err(e) => e.exit_code(),
        }
    }

    pub fn error(&self) -> Option<ErrorInfo> {
        self.result.as_ref().err().map(|e| ErrorInfo {
            exit_code: e.exit_code(),
            message: e.one_line(),
        })
    }
}

/// The contexts a fleet visits: its names, checked against the kubeconfig, or all of them
/// (matching the pattern).
pub fn contexts(fleet: &Fleet) -> Result<Vec<String>> {
    let available = cluster::context_names(fleet.kubeconfig.as_deref())?;
    fleet.select(&available)
}

/// Run `work` once per context, `fleet.parallel` at a time, each given
/// `fleet.cluster_timeout`; the outcomes come back in the order of `contexts`.
///
/// A cluster that overruns its deadline is reported as timed out (exit 9) and its slot goes
/// to the next cluster; its thread is left to end on its own (every API request has its own
/// read timeout), so only read-only work may be given here without its own deadline.
pub fn run_each<T, F>(fleet: &Fleet, contexts: &[String], work: F) -> Vec<Outcome<T>>
where
    T: Send + 'static,
    F: Fn(ClusterOptions) -> Result<T> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let total = contexts.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Outcome<T>>>> = (0..total).map(|_| Mutex::new(None)).collect();
    let progress = ui::stderr_is_terminal();
    let width = contexts.iter().map(String::len).max().unwrap_or(0);
    std::thread::scope(|scope| {
        for _ in 0..fleet.parallel.min(total.max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let context = contexts[i].clone();
                    let options = ClusterOptions {
                        kubeconfig: fleet.kubeconfig.clone(),
                        context: Some(context.clone()),
                    };
                    let outcome = one(&work, options, &context, fleet.cluster_timeout);
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if progress {
                        ui::output::stderr_line(format_args!(
                            "[{n}/{total}] {context:<width$}  {} ({:.1}s)",
                            match &outcome.result {
                                Ok(_) => "done".to_string(),
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
        .zip(contexts)
        .map(|(slot, context)| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Outcome {
                    context: context.clone(),
                    result: Err(Error::other(format!(
                        "context \"{context}\" was not handled"
                    ))),
                    elapsed: Duration::ZERO,
                })
        })
        .collect()
}

/// One cluster, on its own thread, under its deadline.
fn one<T, F>(
    work: &Arc<F>,
    options: ClusterOptions,
    context: &str,
    deadline: Duration,
) -> Outcome<T>
where
    T: Send + 'static,
    F: Fn(ClusterOptions) -> Result<T> + Send + Sync + 'static,
{
    let start = Instant::now();
    let (tx, rx) = mpsc::channel();
    let work = work.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("cluster {context}"))
        .spawn(move || {
            let _ = tx.send(work(options));
        });
    let result = match spawned {
        Err(e) => Err(Error::other(format!(
            "cannot start a thread for context \"{context}\": {e}"
        ))),
        Ok(_) => match rx.recv_timeout(deadline) {
            Ok(r) => r,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Timeout(format!(
                "context \"{context}\" did not answer within {} (--cluster-timeout); the other clusters went on",
                crate::runner::duration::display(deadline)
            ))),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::other(format!(
                "context \"{context}\": the worker stopped unexpectedly (a bug); the other clusters went on"
            ))),
        },
    };
    Outcome {
        context: context.to_string(),
        result,
        elapsed: start.elapsed(),
    }
}

/// The end of a run across clusters: `Ok` when every cluster succeeded, else the most severe
/// of their exit codes (see [`exit::most_severe`]) with one line naming the failed contexts.
pub fn verdict<T>(outcomes: &[Outcome<T>]) -> Result<()> {
    let failed: Vec<&Outcome<T>> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = exit::most_severe(failed.iter().map(|o| o.exit_code()));
    let names = failed
        .iter()
        .map(|o| format!("{} (exit {})", o.context, o.exit_code()))
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
