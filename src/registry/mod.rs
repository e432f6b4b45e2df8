//! OCI registries: credentials, TLS order, pulls, blob cache, layer application.
