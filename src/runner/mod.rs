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
pub mod yaml;
