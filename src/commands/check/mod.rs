//! `check`: lint manifests (-f) or the live cluster for what breaks the function runner.
//!
//! Offline: `manifests::load` -> `runner::lint`. Live: `cluster::live_objects_and_findings`
//! gives the live objects (fed to the same lint) and the findings only a cluster can give.
//! Findings go to stdout (table, JSON or YAML); exit code 3 when any is an error.

use std::time::{SystemTime, UNIX_EPOCH};

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::registry::probe::{self, ProbeInput};
use crate::runner::lint::{self, Finding, LintContext, Severity};
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
    let ctx = LintContext {
        namespace: args.namespace.to_string(),
        deployment: args.target.deployment.clone(),
        container: args.target.container.clone(),
        offline: args.source.is_some(),
        now_unix: now_unix(),
    };
    let mut findings = match &args.source {
        Some(path) => {
            let package = crate::manifests::load(path)?;
            let objects = package.objects();
            if let Err(e) = lint::locate_runner(&objects, &ctx) {
                return Err(Error::not_found(format!(
                    "{}: {e}; {}",
                    path.display(),
                    e.fix()
                )));
            }
            let mut findings = lint::lint(&objects, &ctx);
            if args.probe {
                let inputs = probe::inputs_from_objects_for(
                    &objects,
                    &args.target.deployment,
                    &args.target.container,
                )?;
                findings.extend(probe::check_findings(&inputs));
            }
            findings
        }
        None => {
            let mut findings = live_findings(args, &ctx)?;
            if args.probe {
                findings.extend(probe::check_findings(&probe_inputs_from_cluster(args)?));
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

/// What the live runner mounts (auth file, CA when TLS is on), read from the cluster, as the
/// probe's input.
fn probe_inputs_from_cluster(args: &Check) -> Result<Vec<ProbeInput>> {
    let ns = &args.namespace;
    let s = crate::cluster::read_runner_secrets(
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

/// The live objects through the same lint, plus the live-only findings.
fn live_findings(args: &Check, ctx: &LintContext) -> Result<Vec<Finding>> {
    let live = crate::cluster::live_objects_and_findings(args)?;
    let mut findings: Vec<Finding> = lint::lint(&live.objects, ctx)
        .into_iter()
        // The cluster answers authoritatively whether mounted Secrets exist (and where).
        .filter(|f| {
            f.rule != lint::rules::SECRET_MISSING && f.rule != lint::rules::SECRET_WRONG_NAMESPACE
        })
        .collect();
    findings.extend(live.findings);
    findings.sort_by_key(|f| f.severity);
    Ok(findings)
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
            rule: lint::rules::FLAG_UNKNOWN,
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
