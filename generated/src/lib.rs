//! Rust bindings for the e-commerce open platforms of ByteDance, generated from YAML specs:
//!
//! - [`tiktok`]: the TikTok Shop Partner API (versioned paths, HMAC-SHA256 signing, shop ciphers);
//! - [`doudian`]: Doudian (抖店, op.jinritemai.com), one POST per method, MD5 or HMAC-SHA256 over `param_json`;
//! - [`douyin`]: the Douyin Open Platform (open.douyin.com), OAuth tokens and service-market calls.
//!
//! Every endpoint is a pair of types, `XxxRequest` and `XxxResponse`, named after the platform's
//! method (`order.searchList` -> [`doudian::order::OrderSearchListRequest`]), and a method on the
//! platform's `Client` (`client.order_search_list(&req)`). [`runtime::ApiRequest`] ties them together,
//! so `client.execute(&req)` works for any endpoint, as in the platforms' own SDKs.
//!
//! # Cargo features
//! `default = ["full"]` compiles every endpoint of every platform. To compile less, turn the
//! defaults off and name what you use: a platform's runtime (`tiktok`, `doudian`, `douyin`), one module
//! (`doudian-order`, `tiktok-product`, ...) or one platform's modules (`tiktok-full`).
//!
//! # Quick start
//!
//! Doudian, a self-use app: the client fetches and refreshes each shop's token by itself.
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::doudian::{Client, order::OrderSearchListRequest};
//! let client = Client::builder("app-key", "app-secret").self_use(true).build()?;
//! let orders = client.shop("4463798").order_search_list(&OrderSearchListRequest { page: 0, size: 50, ..Default::default() }).await?;
//! # Ok(()) }
//! ```
//!
//! TikTok Shop: exchange the seller's authorization code once, then call as the seller, in one of
//! their shops (the cipher comes from `authorization.shops`).
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::tiktok::{Client, order::OrderSearchRequest};
//! let client = Client::builder("app-key", "app-secret").build()?;
//! let seller = client.authorize("auth-code-from-the-redirect").await?;
//! let shop = client.seller(&seller.open_id).with_shop_cipher("ROW_xkMbgAAAeVAQra0eZWebFQq5aIK");
//! let page = shop.order_search(&OrderSearchRequest { page_size: 50, ..Default::default() }).await?;
//! # Ok(()) }
//! ```
//!
//! Douyin Open Platform: service-market calls take the app's client token, which the client gets
//! and refreshes by itself.
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::douyin::{Client, market::MarketServiceUserPurchaseListRequest};
//! let client = Client::builder("client-key", "client-secret").build()?;
//! let list = client
//!     .market_service_user_purchase_list(&MarketServiceUserPurchaseListRequest {
//!         open_id: "open-id".into(), service_id: "7000".into(), is_test_env: false })
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Tokens and many shops
//! One client per app serves every shop: `doudian::Client::shop(id)`, `tiktok::Client::seller(open_id)`
//! and the Douyin client token are backed by a [`runtime::TokenStore`] (in memory by default;
//! [`runtime::JsonFileStore`] or your own database to survive restarts). Tokens are refreshed
//! ahead of expiry, and when the platform says a token expired it is refreshed once, with one
//! refresh however many calls saw it, and the call is retried.
//!
//! # Pagination
//! Paginated endpoints implement [`runtime::Paginated`]; [`runtime::Pages`] walks the pages
//! (page numbers from 0 or 1, or cursors, as the endpoint's spec says) until the last.
//!
//! # Errors and retries
//! Every call returns [`Result`]: a platform's error envelope becomes [`Error::Api`] with the
//! platform's code, sub-code, message and request id, sorted into an [`ErrorKind`]; a response that
//! does not decode is [`Error::Decode`], never a panic. Secrets and tokens never appear in errors or
//! `Debug` output. Rate limits are retried with backoff; 5xx and transport failures only for
//! endpoints flagged idempotent (see [`runtime::http`]).
//!
//! # Webhooks
//! `doudian::webhook::verify`, `tiktok::webhook::verify` and `douyin::webhook::verify` take the raw
//! headers and body, check the signature in constant time and return typed events (each
//! platform's generated `Event` enum, with `Unknown` for events this version does not know).

#![deny(missing_docs)]

// Generated code names the crate `::shop_api`, so the same code compiles here and in the tests crate.
extern crate self as shop_api;

pub mod runtime;

#[cfg(feature = "doudian")]
pub mod doudian;
#[cfg(feature = "douyin")]
pub mod douyin;
#[cfg(feature = "tiktok")]
pub mod tiktok;

pub use runtime::{ApiError, ApiRequest, Error, ErrorKind, Result};
