//! The tests with throwaway PostgreSQL and Redis servers (`shop_api_tests::databases`), and
//! worker processes: one test binary of modules. They run one at a time ([`SERIAL`]): each starts
//! its own servers and processes, and some measure how long the others wait.
//!
//! Without the servers' binaries a test is skipped with a line saying what to install, unless
//! `SHOP_API_REQUIRE_SERVERS=1` (`.ci/run` sets it).

mod fleet;
mod sealed_store;
mod webhook_claims;

/// Held by each test of this binary that starts servers or processes, so they run one at a time.
pub(crate) static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
