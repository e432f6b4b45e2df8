//! The one integration-test binary. Each area has its own module; helpers that start real
//! components (registry, fake Kubernetes API) live under `support`.

mod architecture;
mod check;
mod cli;
mod closed_pipes;
mod cluster;
mod cluster_tls;
mod cluster_wizard;
mod explain;
mod fake_api;
mod fleet;
mod fn_krm;
mod generated;
mod hostile;
mod install;
mod node_trust;
mod node_trust_live;
mod output_name;
mod package;
mod patch;
mod pty;
mod pull;
mod pull_test;
mod registry_support;
mod render;
mod rootfs;
mod run;
mod sandbox;
mod secret;
mod ssa;
mod support;
mod wizard;
