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
//! # Errors
//! Every call returns [`Result`]: a platform's error envelope becomes [`Error::Api`] with the
//! platform's code, sub-code, message and request id, sorted into an [`ErrorKind`]; a response that
//! does not decode is [`Error::Decode`], never a panic. Secrets and tokens never appear in errors or
//! `Debug` output.

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
