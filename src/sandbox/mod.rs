//! Run a function's entrypoint in Linux namespaces; podman/docker alternatives.

use std::process::ExitCode;

/// If this process was re-executed as the sandbox helper, run it and return its exit code.
/// Called first thing in main, before any thread exists.
pub fn maybe_run_helper() -> Option<ExitCode> {
    None
}
