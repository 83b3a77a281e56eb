//! What is the Douyin Open Platform's own: which token a call carries (none, the app's client
//! token or a user's), JSON or form bodies and the checks made before sending, the three envelopes
//! and their error codes, the OAuth token calls and webhook pushes. `shop_api::douyin` adds the
//! endpoints.

mod client;
pub mod webhook;

pub use client::{
    AUTHORIZE_URL, DEFAULT_REFRESH_MARGIN, Douyin, RenewedRefreshToken, UserToken,
    authorization_url,
};
