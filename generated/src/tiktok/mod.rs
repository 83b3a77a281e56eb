//! TikTok Shop Partner API (open-api.tiktokglobalshop.com): versioned paths
//! (`/order/202309/orders/search`), every call signed with HMAC-SHA256 over its path, sorted query
//! and body, the seller's access token in the `x-tts-access-token` header and, for shop-scoped
//! calls, the shop's `shop_cipher` in the query. The client adds all of these.
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::tiktok::{Client, authorization::AuthorizationShopsRequest, order::OrderSearchRequest};
//!
//! let client = Client::builder("app-key", "app-secret").build()?;
//!
//! // Once per seller: the authorization code from the redirect gives the seller's tokens.
//! let tokens = client.get_token("auth-code").await?;
//! let seller = client.with_access_token(tokens.access_token.clone());
//!
//! // The shops the seller authorized, each with the cipher shop-scoped calls need.
//! let shops = seller.authorization_shops(&AuthorizationShopsRequest {}).await?;
//! for shop in shops.shops.unwrap_or_default() {
//!     let handle = seller.with_shop_cipher(shop.cipher);
//!     let mut pages = handle.pages(OrderSearchRequest { page_size: 50, ..Default::default() });
//!     while let Some(page) = pages.next().await? {
//!         println!("{}: {} orders", shop.name, page.items.len());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Uploads (`product.upload_image`) send `multipart/form-data`: pass the file as a
//! [`Part`] to [`Client::execute_multipart`].

mod client;
pub mod sign;
pub mod webhook;

pub use crate::runtime::http::Part;
pub use client::{
    Client, TOKEN_GET, TOKEN_REFRESH, Tiktok, TokenInfo, authorization_url, error_kind,
};

/// Builds a [`Client`].
pub type ClientBuilder = crate::runtime::ClientBuilder<Tiktok>;

/// What `spec/tiktok/platform.yaml` says of the platform.
pub static FACTS: crate::runtime::Facts = crate::runtime::Facts {
    name: "tiktok",
    base_url: "https://open-api.tiktokglobalshop.com",
    sandbox_url: Some("https://open-api-sandbox.tiktokglobalshop.com"),
    auth_url: Some("https://auth.tiktok-shops.com"),
    sandbox_auth_url: Some("https://auth-sandbox.tiktok-shops.com"),
    version: "202309",
    token_header: Some("x-tts-access-token"),
    success_code: 0,
    endpoints: &[&TOKEN_GET, &TOKEN_REFRESH],
};

#[rustfmt::skip]
mod api;
pub use api::*;
