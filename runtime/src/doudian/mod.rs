//! What is Doudian's own (抖店, op.jinritemai.com): the canonical `param_json` body signed with MD5
//! or HMAC-SHA256, the envelope and its error codes, the shop tokens (`token.create`,
//! `token.refresh`) and message pushes. `shop_api::doudian` adds the endpoints.

mod client;
pub mod sign;
pub mod webhook;

pub use client::{DEFAULT_REFRESH_MARGIN, Doudian, Options, SignMethod, authorization_url};
