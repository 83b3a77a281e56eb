//! The shop-api code generator: YAML specs in, Rust out.
//!
//! `spec/**/*.yaml` are read into the serde structs of [`spec`], validated and lowered into the
//! [`ir`], and each artifact is emitted by one small function of [`emit`]. [`emit::generate`] renders
//! every output file in memory; the `xtask` crate compares or writes them.

pub mod emit;
pub mod error;
pub mod ir;
pub mod locate;
pub mod naming;
pub mod openapi;
pub mod spec;
pub mod sync;

pub use error::{SpecError, SpecErrors};
