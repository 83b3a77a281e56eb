//! The hand-written runtime every generated endpoint plugs into: the [`ApiRequest`] trait and its
//! [`Endpoint`] metadata, query and path encoding, lenient decoding, errors, pagination, secrets and
//! the HTTP transport with its retry policy.

// docs.rs (`--cfg docsrs`, see Cargo.toml) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod checks;
pub mod client;
mod clock;
pub mod de;
mod decimal;
pub mod doudian;
pub mod douyin;
mod endpoint;
pub mod envelope;
mod error;
pub mod http;
pub mod json;
pub mod limit;
mod macros;
pub mod meta;
pub mod observe;
mod page;
mod query;
mod secret;
pub mod tiktok;
pub mod token;
pub mod webhook;

pub use client::{Call, Client, ClientBuilder, Facts, Platform, Reply, Scope, TokenSource};
pub use clock::unix_now;
pub use decimal::{Decimal, DecimalError};
pub use endpoint::{
    ApiRequest, ApiResponse, Endpoint, EndpointVisitor, EventInfo, Flags, HttpMethod, decode_data,
};
#[allow(unused_imports)]
pub(crate) use error::snippet as error_snippet;
pub use error::{ApiError, Error, ErrorEntry, ErrorKind, Result};
pub use http::{HttpConfig, RetryPolicy};
#[cfg(feature = "redis")]
pub use limit::RedisLimiter;
pub use limit::{LocalLimiter, Quota, RateLimiter, RateLimits};
pub use observe::{Observer, RequestEvent, ResponseEvent};
pub use page::{Page, PageFacts, PageFuture, PageKey, PageStyle, Pages, Paginated};
pub use query::{Query, QueryValue, path_segment};
pub use secret::Secret;
#[cfg(feature = "postgres")]
pub use token::PostgresStore;
#[cfg(feature = "redis")]
pub use token::RedisStore;
pub use token::{
    DEFAULT_REFRESH_LEASE, DEFAULT_TOKEN_CACHE, EncryptedStore, Expect, JsonFileStore, Keyring,
    MemoryStore, StoreOptions, Stored, Token, TokenManager, TokenStore, check_store,
};

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
