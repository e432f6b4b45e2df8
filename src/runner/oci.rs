//! The parts of an OCI image a function run needs, as values shared by the edges that make
//! them (`registry` pulls, `krm::image` reads an OCI layout, the run cache) and the one that
//! uses them (`sandbox`): the image config and the layer blobs on disk. Pure data.

use std::path::PathBuf;

use serde::Serialize;

/// The parts of an image config that matter to running a function (one type for a registry
/// pull and an OCI layout).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
}

/// One layer blob on disk, as the registry cache hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerSource {
    /// `sha256:...` of the (compressed) blob.
    pub digest: String,
    /// OCI or Docker layer media type.
    pub media_type: String,
    /// Verified blob file.
    pub path: PathBuf,
}
