//! KRM function contract: ResourceList in and out, package <-> items, results.

pub mod go_print;
pub mod image;
pub mod krmignore;
pub mod kyaml;
pub mod package;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod resource_list;
pub mod select;
pub mod tree;
