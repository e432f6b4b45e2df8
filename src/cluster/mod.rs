//! The Kubernetes API edge, and only that: the client ([`connect`], get/list/apply/replace/
//! delete), reads ([`reads`]: the runner's Deployment, what the live runner mounts), writes
//! ([`writes`]: the Deployment update with conflict retries, rollout restart, the runner's
//! Secret copy), the rollout wait ([`rollout`]) and RBAC review ([`rbac`]). The flows that use
//! them live in `commands/<cmd>/live.rs`; nothing here knows the command line.

pub mod client;
pub mod pods;
pub mod rbac;
pub mod reads;
pub mod rollout;
pub mod transport;
pub mod writes;

pub use client::{ClusterOptions, Deadline, FIELD_MANAGER, Kind, Kube, connect, context_names};
pub use reads::{RunnerSecrets, read_deployment, read_runner_secrets, secret_bytes};
