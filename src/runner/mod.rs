//! THE CORE: what the function runner expects. No I/O in here.

pub mod ca;
pub mod dockerconfig;
pub mod flags;
pub mod image_ref;
pub mod lint;
pub mod plan;
pub mod secrets;
