//! What is TikTok Shop's own: the HMAC-SHA256 signature over path, sorted query and body, the
//! seller's access token header and the shop cipher, the envelope and its error codes, the sellers'
//! tokens on the auth host and webhook notifications. `shop_api::tiktok` adds the endpoints.

mod client;
pub mod sign;
pub mod webhook;

pub use crate::http::Part;
pub use client::{
    DEFAULT_REFRESH_MARGIN, TOKEN_GET, TOKEN_REFRESH, Tiktok, TokenInfo, authorization_url,
};
