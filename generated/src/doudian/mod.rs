//! Doudian (抖店, op.jinritemai.com): one `POST /<method with '.' -> '/'>` per method, signed with
//! MD5 or HMAC-SHA256 over the canonical `param_json`.
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::doudian::{Client, order::OrderSearchListRequest};
//!
//! let client = Client::builder("app-key", "app-secret").build()?;
//! let shop = client.with_access_token("access-token");
//! let page = shop
//!     .order_search_list(&OrderSearchListRequest { page: 0, size: 20, ..Default::default() })
//!     .await?;
//! println!("{} orders", page.total.unwrap_or_default());
//! # Ok(()) }
//! ```

mod client;
pub mod sign;
pub mod webhook;

pub use client::{Client, Doudian, Options, SignMethod, error_kind};

/// Builds a [`Client`].
pub type ClientBuilder = crate::runtime::ClientBuilder<Doudian>;

/// What `spec/doudian/platform.yaml` says of the platform.
pub static FACTS: crate::runtime::Facts = crate::runtime::Facts {
    name: "doudian",
    base_url: "https://openapi-fxg.jinritemai.com",
    sandbox_url: Some("https://openapi-sandbox.jinritemai.com"),
    auth_url: None,
    sandbox_auth_url: None,
    version: "2",
    token_header: None,
    success_code: 10000,
    endpoints: token::ENDPOINTS,
};

#[rustfmt::skip]
mod api;
pub use api::*;
