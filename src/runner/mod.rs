//! THE CORE: what the function runner expects. No I/O in here, and nothing of the command
//! line: no module under `runner` imports `cli` or `settings` (they import the core).

pub mod authfile;
pub mod ca;
pub mod container;
pub mod defaults;
pub mod dockerconfig;
pub mod duration;
pub mod flags;
pub mod fleet;
pub mod gojson;
pub mod image_ref;
pub mod limits;
pub mod lint;
pub mod managed;
pub mod model;
pub mod name;
pub mod node_trust;
pub mod oci;
pub mod options;
pub mod plan;
pub mod pull_test;
pub mod secrets;
pub mod view;
pub mod yaml;

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::container::tests::deployment;

    /// The plan's and the lint's answers for one Deployment: both go through `container::locate`.
    fn plan_and_lint(d: &Value) -> (Option<usize>, Option<usize>) {
        let plan =
            crate::runner::plan::runner_container(d, &crate::runner::plan::Target::default())
                .ok()
                .map(|(i, _)| i);
        let lint = crate::runner::lint::locate_runner(
            std::slice::from_ref(d),
            &crate::runner::lint::LintContext::offline_defaults(0),
        )
        .ok()
        .map(|l| l.container);
        (plan, lint)
    }

    #[test]
    fn plan_and_lint_find_the_same_runner_container() {
        let same = [
            // Several containers, one named function-runner (not the first).
            (
                json!([{"name": "istio-proxy"}, {"name": "function-runner"}, {"name": "log"}]),
                json!([]),
                Some(1),
            ),
            // Several containers and none named function-runner.
            (json!([{"name": "a"}, {"image": "b"}]), json!([]), None),
            // One container, whatever its name.
            (json!([{"name": "runner"}]), json!([]), Some(0)),
            // An initContainer named function-runner is never the runner.
            (
                json!([{"name": "server"}, {"name": "sidecar"}]),
                json!([{"name": "function-runner"}]),
                None,
            ),
            (
                json!([{"name": "server"}]),
                json!([{"name": "function-runner"}]),
                Some(0),
            ),
            (json!([]), json!([]), None),
        ];
        for (containers, init, want) in same {
            let d = deployment(containers, init);
            assert_eq!(plan_and_lint(&d), (want, want), "{d}");
        }
        let no_list = json!({"kind": "Deployment", "metadata": {"name": "function-runner"}});
        assert_eq!(plan_and_lint(&no_list), (None, None));
        // A name given twice: the plan refuses to edit an ambiguous Deployment; the lint reads
        // the first.
        let d = deployment(
            json!([{"name": "function-runner"}, {"name": "x"}, {"name": "function-runner"}]),
            json!([]),
        );
        assert_eq!(plan_and_lint(&d), (None, Some(0)));
    }
}
