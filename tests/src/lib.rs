//! Test support for the shop-api workspace.
//!
//! The [`fixture`] module holds the code emitted for `tests/fixture/spec`, a made-up platform
//! whose spec uses every feature of the format. It is compiled here with warnings denied, so the
//! snapshots in `tests/snapshots/` are of code that is known to compile.

#![deny(warnings)]

pub mod fixture;
