//! `check`: lint manifests (-f) or the live cluster for what breaks the function runner.
//!
//! The story: the findings, [`offline`] (`commands::input::load_manifests` -> `runner::lint`, `--probe` on
//! the Secrets among the objects) or [`live`] (the live objects through the same lint, the
//! findings only a cluster can give, `--probe` on the Secrets the runner mounts, `--pull-test`:
//! [`pull_test`], one pod per image x Ready node); then, errors
//! first, to stdout (table, JSON or YAML); exit code 3 when any is an error.

pub mod live;
mod offline;
mod pull_test;

use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::registry::probe;
use crate::runner::lint::{Finding, LintContext, Severity};
use crate::settings::{Check, ReportFormat};
use crate::ui::output::{self, Report};

/// Seconds since the epoch (for certificate validity).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run(args: &Check) -> Result<()> {
    if let Some(fleet) = &args.fleet {
        return run_fleet(args, fleet);
    }
    let ctx = LintContext {
        namespace: args.namespace.to_string(),
        deployment: args.target.deployment.clone(),
        container: args.target.container.clone(),
        offline: args.source.is_some(),
        now_unix: now_unix(),
    };
    let mut findings = match &args.source {
        Some(path) => offline::findings(args, path, &ctx)?,
        None => {
            let (mut findings, objects) = live::findings(args, &ctx)?;
            if args.probe {
                findings.extend(probe::check_findings(&live::probe_inputs(args)?));
            }
            if let Some(pt) = &args.pull_test {
                findings.extend(pull_test::findings(args, pt, &objects, &ctx)?);
            }
            findings
        }
    };
    // Errors first (probe findings come after the lint's); stable within a severity.
    findings.sort_by_key(|f| f.severity);
    output::print_report(
        &FindingsReport {
            findings: &findings,
        },
        args.output,
    )?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if errors > 0 {
        return Err(Error::Findings(format!(
            "{errors} error finding(s): the function runner will not work as configured; see the fixes above"
        )));
    }
    Ok(())
}

/// Live `check` across contexts: each cluster checked concurrently (with `--probe`, its
/// runner's Secrets probed against their registries; with `--pull-test`, its own test pods,
/// the test ended early enough to clean up within `--cluster-timeout`), one entry per context with its
/// findings (errors first), the summary table naming each error; a cluster with an error
/// finding counts as exit 3, the run's code the most severe of the clusters'.
fn run_fleet(args: &Check, fleet: &crate::settings::Fleet) -> Result<()> {
    let contexts = crate::commands::fleet::contexts(fleet)?;
    let outcomes = crate::commands::fleet::run_each(fleet, &contexts, |cluster| {
        let one = Check {
            cluster,
            fleet: None,
            ..args.clone()
        };
        let ctx = LintContext {
            namespace: one.namespace.to_string(),
            deployment: one.target.deployment.clone(),
            container: one.target.container.clone(),
            offline: false,
            now_unix: now_unix(),
        };
        let (mut findings, objects) = live::findings(&one, &ctx)?;
        if one.probe {
            findings.extend(probe::check_findings(&live::probe_inputs(&one)?));
        }
        if let Some(pt) = &one.pull_test {
            findings.extend(pull_test::findings(&one, pt, &objects, &ctx)?);
        }
        findings.sort_by_key(|f| f.severity);
        Ok(ClusterFindings { findings })
    });
    let report = crate::commands::fleet::FleetReport { outcomes };
    output::print_report(&report, args.output)?;
    crate::commands::fleet::verdict(&report.outcomes)
}

/// One cluster's findings in a run across clusters (its JSON entry: `check.findings`).
#[derive(Debug, Serialize)]
pub struct ClusterFindings {
    pub findings: Vec<Finding>,
}

impl crate::commands::fleet::ClusterReport for ClusterFindings {
    const KEY: &'static str = "check";
    fn findings(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| format!("{} {}: {}", f.severity.as_str(), f.rule, f.object))
            .collect()
    }
    fn problem(&self) -> Option<crate::commands::fleet::ErrorInfo> {
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        (errors > 0).then(|| crate::commands::fleet::ErrorInfo {
            exit_code: crate::error::exit::FINDINGS,
            message: format!(
                "{errors} error finding(s): the function runner will not work as configured"
            ),
        })
    }
}

/// `--package DIR`: the function images of the Kptfile pipelines, judged by the runner model
/// with the runner's configuration read from the same objects (offline or live).
pub(super) fn image_findings(
    args: &Check,
    objects: &[serde_json::Value],
    ctx: &LintContext,
) -> Result<Vec<Finding>> {
    if args.packages.is_empty() {
        return Ok(Vec::new());
    }
    let mut images = Vec::new();
    for dir in &args.packages {
        images.extend(crate::krm::pipeline::package_images(dir)?);
    }
    // Without the runner's Deployment the lint already reports deployment-missing.
    Ok(
        match crate::runner::lint::runner_config(objects, ctx, args.default_image_prefix.as_deref())
        {
            Ok(runner) => crate::runner::lint::image_findings(&images, &runner),
            Err(_) => Vec::new(),
        },
    )
}

/// The findings as `check` prints them: `{"findings": [...]}` or a table.
#[derive(Serialize)]
struct FindingsReport<'a> {
    findings: &'a [Finding],
}

impl Report for FindingsReport<'_> {
    fn table(&self) -> String {
        render_table(self.findings)
    }
}

/// Render findings as a table (with a summary line), JSON or YAML.
pub fn render_findings(findings: &[Finding], format: ReportFormat) -> Result<String> {
    output::render_report(&FindingsReport { findings }, format)
}

fn render_table(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let summary = format!(
        "{} error(s), {} warning(s), {} info",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    if findings.is_empty() {
        return "no findings: the configuration looks right to the runner\n".into();
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["SEVERITY", "RULE", "OBJECT", "MESSAGE", "FIX"]);
    if !console::Term::stdout().is_term() {
        // Piped: wrap to a fixed, readable width (comfy-table cannot ask a pipe).
        table.set_width(160);
        table.force_no_tty();
    }
    // Short columns keep their width; message and fix wrap.
    for i in 0..3 {
        if let Some(c) = table.column_mut(i) {
            c.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    for f in findings {
        let color = match f.severity {
            Severity::Error => Color::Red,
            Severity::Warning => Color::Yellow,
            Severity::Info => Color::Cyan,
        };
        table.add_row(vec![
            Cell::new(f.severity.as_str()).fg(color),
            Cell::new(f.rule),
            Cell::new(&f.object),
            Cell::new(&f.message),
            Cell::new(&f.fix),
        ]);
    }
    format!("{table}\n{summary}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Finding> {
        vec![Finding {
            severity: Severity::Error,
            rule: crate::runner::lint::rules::FLAG_UNKNOWN,
            object: "Deployment/porch-system/function-runner".into(),
            message: "m".into(),
            fix: "f".into(),
            object_index: Some(0),
            field: None,
        }]
    }

    #[test]
    fn json_and_yaml_shapes() {
        let j: serde_json::Value =
            serde_json::from_str(&render_findings(&sample(), ReportFormat::Json).unwrap()).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"findings":[{"severity":"error","rule":"flag-unknown","object":"Deployment/porch-system/function-runner","message":"m","fix":"f"}]})
        );
        let y: serde_json::Value =
            serde_saphyr::from_str(&render_findings(&sample(), ReportFormat::Yaml).unwrap())
                .unwrap();
        assert_eq!(y, j);
        let e: serde_json::Value =
            serde_json::from_str(&render_findings(&[], ReportFormat::Json).unwrap()).unwrap();
        assert_eq!(e, serde_json::json!({"findings": []}));
    }

    #[test]
    fn table_has_every_column_and_a_summary() {
        let t = render_findings(&sample(), ReportFormat::Table).unwrap();
        for h in [
            "SEVERITY",
            "RULE",
            "OBJECT",
            "MESSAGE",
            "FIX",
            "flag-unknown",
        ] {
            assert!(t.contains(h), "{t}");
        }
        assert!(t.ends_with("1 error(s), 0 warning(s), 0 info\n"));
    }
}
