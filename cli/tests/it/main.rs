//! The CLI's tests, one test binary of modules: `shop-api` run as a user runs it, against the
//! sandbox on 127.0.0.1.

mod bulk;
mod cli_e2e;
