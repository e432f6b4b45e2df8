//! Shared test helpers.

#![allow(dead_code)]

use std::path::PathBuf;

/// The built binary under test.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("kubectl-porch-registry").expect("binary built")
}

/// Path of a fixture under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}
