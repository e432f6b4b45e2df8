//! Manifests on disk and kpt packages: lossless YAML edits that carry out a plan.
