//! Test support for the shop-api workspace.
//!
//! The [`fixture`] module holds the code emitted for `tests/fixture/spec`, a made-up platform
//! whose spec uses every feature of the format. It is compiled here with warnings denied, so the
//! snapshots in `tests/snapshots/` are of code that is known to compile. [`server`] is a minimal
//! HTTP server for load and fault-injection tests; [`logs`] captures log output; [`servers`] starts
//! throwaway PostgreSQL and Redis servers; the `fleet_worker` binary is one worker process of the
//! fleet tests.

#![deny(warnings)]

pub mod fixture;
pub mod logs;
pub mod server;
pub mod servers;
