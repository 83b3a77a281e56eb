//! Douyin Open Platform (抖音开放平台, open.douyin.com): one path per endpoint, the token in the
//! `access-token` header, JSON bodies (form bodies for the OAuth token calls).
//!
//! The [`Client`] looks after the app's client token (`clt.…`): it fetches it on first use, caches
//! it, refreshes it five minutes ahead of its expiry with exactly one call however many tasks need
//! it at once, and when the platform reports it expired, refreshes it once and calls again. Calls
//! that need a user's authorization take the user's token (`act.…`) from a handle,
//! [`Client::with_access_token`]. [`Client::authorize_url`], `exchange_code`,
//! `refresh_access_token` and `renew_refresh_token` cover the user OAuth flow, and [`webhook`]
//! verifies pushed events.
//!
//! ```no_run
//! # async fn run() -> shop_api::Result<()> {
//! use shop_api::douyin::{Client, market::MarketServiceUserRemaintimesDecrRequest};
//!
//! let client = Client::builder("client-key", "client-secret").build()?;
//! // Service-market calls take the app's client token, fetched and refreshed by the client.
//! client
//!     .market_service_user_remaintimes_decr(&MarketServiceUserRemaintimesDecrRequest {
//!         count: 1,
//!         open_id: "user-open-id".into(),
//!         // The idempotency key: sending the same deduction again with it deducts only once.
//!         out_trade_no: "order-42-use-1".into(),
//!         service_id: "7021602203591118688".into(),
//!         service_mode_id: "free".into(),
//!         ..Default::default()
//!     })
//!     .await?;
//!
//! // User calls take the user's access token.
//! let user = client.with_access_token("act.user-access-token");
//! # let _ = user;
//! # Ok(()) }
//! ```
//!
//! # Envelopes and errors
//! Douyin answers in three envelopes, depending on the endpoint's generation: legacy
//! `{"data":{…,"error_code","description"},"extra":{"error_code","description","sub_error_code","sub_description","logid","now"}}`,
//! OAuth `{"data":{…,"error_code","description"},"message"}` and newer
//! `{"err_no","err_msg","log_id","data"}`. Each decodes to the endpoint's response type, or to one
//! [`crate::ApiError`] whose [`crate::ErrorKind`] says what to do ([`error_kind`]).
//!
//! # Service market
//! `market.service.user.remaintimes.decr` is refused before sending (nothing reaches the platform)
//! when `count` is not above 0 or `out_trade_no` is empty. `out_trade_no` is the deduction's
//! idempotency key: for a month, repeating a successful deduction with the same `out_trade_no` does
//! not deduct again, so after a timeout it is safe to send the same request again — with the same
//! `out_trade_no`, never a new one. The client does not re-send a deduction by itself after a
//! timeout (the call is not flagged idempotent); it does re-send after a rate limit or an expired
//! client token, which the platform reports without running the call.

mod client;
pub mod webhook;

pub use client::{
    AUTHORIZE_URL, Client, DEFAULT_REFRESH_MARGIN, Douyin, RenewedRefreshToken, UserToken,
    error_kind,
};

/// Builds a [`Client`].
pub type ClientBuilder = crate::runtime::ClientBuilder<Douyin>;

/// What `spec/douyin/platform.yaml` says of the platform.
pub static FACTS: crate::runtime::Facts = crate::runtime::Facts {
    name: "douyin",
    base_url: "https://open.douyin.com",
    sandbox_url: None,
    auth_url: None,
    sandbox_auth_url: None,
    version: "v1",
    token_header: Some("access-token"),
    success_code: 0,
    endpoints: oauth::ENDPOINTS,
};

#[rustfmt::skip]
mod api;
pub use api::*;
