//! The one integration-test binary. Each area has its own module; helpers that start real
//! components (registry, fake Kubernetes API) live under `support`.

mod fake_api;
mod generated;
mod rootfs;
mod secret;
mod support;
