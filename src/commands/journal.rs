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

    /// [`Journal::report_failure`] for another command (`remove`, `node-trust`). The report
    /// is written as one block: in a run across contexts every line names the context, and
    /// another cluster's lines never come in between.
    pub fn report_failure_in(&self, command: &str, failed_step: &str, pending: &[String]) {
        crate::ui::info(self.failure_text(command, failed_step, pending).trim_end());
    }

    fn failure_text(&self, command: &str, failed_step: &str, pending: &[String]) -> String {
        let mut t = format!("{command} stopped at: {failed_step}\n");
        if self.done.is_empty() {
            t.push_str("  nothing was changed in the cluster\n");
        } else {
            t.push_str("  already changed:\n");
            for (what, _) in &self.done {
                t.push_str(&format!("    - {what}\n"));
            }
        }
        if !pending.is_empty() {
            t.push_str("  not changed:\n");
            for p in pending {
                t.push_str(&format!("    - {p}\n"));
            }
        }
        if !self.done.is_empty() {
            t.push_str("  to undo:\n");
            for (_, undo) in self.done.iter().rev() {
                t.push_str(&format!("    {undo}\n"));
            }
            t.push_str(&format!(
                "  or fix the cause and run the same {command} command again (it is idempotent)\n"
            ));
        }
        t
    }
}
