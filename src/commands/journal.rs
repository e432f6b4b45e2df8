//! What a live flow already changed, for the report when a later step fails (what changed,
//! what did not, how to undo it). Shared by live `setup` and `remove`.

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
        self.report_failure_in("setup", failed_step, pending)
    }

    /// [`Journal::report_failure`] for another command (`node-trust`).
    pub fn report_failure_in(&self, command: &str, failed_step: &str, pending: &[String]) {
        crate::ui::info(format!("{command} stopped at: {failed_step}"));
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
            crate::ui::info(format!(
                "  or fix the cause and run the same {command} command again (it is idempotent)"
            ));
        }
    }
}
