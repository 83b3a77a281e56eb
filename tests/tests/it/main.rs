//! The tests of the `shop-api` crate that need no database: one test binary of modules, so the
//! generated crate is linked once, not once per file. Each module is one subject; the test names
//! read as sentences (`doudian_e2e::a_stale_token_is_refreshed_once_and_the_call_retried`).
//!
//! The tests that visit every endpoint's generated types (hundreds of instantiations each) are
//! the `every_endpoint` binary, so the two compile side by side; the tests with PostgreSQL and
//! Redis servers are the `servers` binary; the load test, which reads its own process's memory,
//! is `load`.

mod doudian_e2e;
mod douyin_e2e;
mod envelopes;
mod error_catalogue;
mod faults;
mod fixture_types;
mod observe;
mod openapi;
mod packaging;
mod sandbox;
mod secrets;
mod signing_mutations;
mod tiktok_e2e;
mod webhooks;
