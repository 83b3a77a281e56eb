//! The hand-written runtime every generated endpoint plugs into: the [`ApiRequest`] trait and its
//! [`Endpoint`] metadata, query and path encoding, lenient decoding, errors, pagination, secrets and
//! the HTTP transport with its retry policy.

// docs.rs (`--cfg docsrs`, see Cargo.toml) marks each feature-gated item with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
pub mod de;
mod decimal;
pub mod doudian;
pub mod douyin;
mod error;
pub mod http;
pub mod json;
pub mod limit;
pub mod observe;
mod page;
mod secret;
pub mod tiktok;
pub mod token;
pub mod webhook;

use std::borrow::Cow;

pub use client::{Call, Client, ClientBuilder, Facts, Platform, Reply, Scope, TokenSource};
pub use decimal::{Decimal, DecimalError};
#[allow(unused_imports)]
pub(crate) use error::snippet as error_snippet;
pub use error::{ApiError, Error, ErrorEntry, ErrorKind, Result};
pub use http::{HttpConfig, RetryPolicy};
#[cfg(feature = "redis")]
pub use limit::RedisLimiter;
pub use limit::{LocalLimiter, Quota, RateLimiter, RateLimits};
pub use observe::{Observer, RequestEvent, ResponseEvent};
pub use page::{Page, PageFacts, PageFuture, PageKey, PageStyle, Pages, Paginated};
pub use secret::Secret;
#[cfg(feature = "postgres")]
pub use token::PostgresStore;
#[cfg(feature = "redis")]
pub use token::RedisStore;
pub use token::{
    DEFAULT_REFRESH_LEASE, Expect, JsonFileStore, MemoryStore, Stored, Token, TokenManager,
    TokenStore, check_store,
};

#[doc(hidden)]
pub mod __private {
    pub use serde;
}

/// The HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl HttpMethod {
    /// The method as text (`"GET"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-endpoint flags from the spec's `flags:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// The call carries no access token.
    pub const NO_TOKEN: Flags = Flags(1);
    /// TikTok Shop: the call is not shop-scoped; `shop_cipher` is not sent.
    pub const NO_SHOP_CIPHER: Flags = Flags(2);
    /// Safe to retry after a transport error or a 5xx.
    pub const IDEMPOTENT: Flags = Flags(4);
    /// The body is `multipart/form-data`.
    pub const MULTIPART: Flags = Flags(8);
    /// The body is form-encoded.
    pub const FORM: Flags = Flags(16);
    /// Douyin: the call takes the app's client token.
    pub const CLIENT_TOKEN: Flags = Flags(32);
    /// The envelope's `data` is one value (a scalar, a list or a map), decoded as the response's
    /// one field `data`.
    pub const DATA_VALUE: Flags = Flags(64);

    /// `self` with `other` added.
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Every flag with its spec name (the codegen's flag list; a test holds the two equal).
    pub const ALL: &'static [(Flags, &'static str)] = &[
        (Flags::NO_TOKEN, "no_token"),
        (Flags::NO_SHOP_CIPHER, "no_shop_cipher"),
        (Flags::IDEMPOTENT, "idempotent"),
        (Flags::MULTIPART, "multipart"),
        (Flags::FORM, "form"),
        (Flags::CLIENT_TOKEN, "client_token"),
        (Flags::DATA_VALUE, "data_value"),
    ];

    /// The spec names of the flags set.
    pub fn names(self) -> Vec<&'static str> {
        Flags::ALL
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// What the spec says of an endpoint, as a constant every request type carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// `tiktok`, `doudian` or `douyin`.
    pub platform: &'static str,
    /// The spec module (`order`).
    pub module: &'static str,
    /// The dotted name (`order.searchList`).
    pub name: &'static str,
    /// The HTTP method.
    pub method: HttpMethod,
    /// The path template (`/order/202309/orders/{order_id}`).
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The official doc page.
    pub doc_url: &'static str,
    /// Flags.
    pub flags: Flags,
    /// Whether the platform deprecated it.
    pub deprecated: bool,
    /// Whether the response `data` has fields (a success without `data` is then a decode error).
    pub has_data: bool,
    /// The wire names of the request fields the platform requires.
    pub required: &'static [&'static str],
    /// How the endpoint pages, when it does (the spec's `pagination:`; the request type then
    /// implements [`Paginated`] too).
    pub pagination: Option<&'static PageFacts>,
}

/// One entry of a platform's webhook event catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventInfo {
    /// The code: Doudian `tag`, TikTok `type`, Douyin `event`.
    pub code: &'static str,
    /// The spec name (`order_status_change`).
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The official doc page (empty when unknown).
    pub doc_url: &'static str,
}

/// A successful response: the decoded `data` and what the envelope said around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse<T> {
    /// The decoded `data`.
    pub data: T,
    /// The platform's log id / request id.
    pub request_id: Option<String>,
    /// The HTTP status.
    pub http_status: u16,
    /// The envelope's `extra` object, on a platform whose envelope has one (Douyin: `logid`,
    /// `now`, ...).
    pub extra: Option<serde_json::Value>,
}

/// Whether `text` is a JSON object whose one member is `data`.
fn holds_only_data(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Only<'a> {
        #[serde(borrow, rename = "data")]
        _data: &'a serde_json::value::RawValue,
    }
    text.trim_start().starts_with('{') && serde_json::from_str::<Only<'_>>(text).is_ok()
}

/// Decode the envelope's `data` (`None` when absent or `null`) into the endpoint's response type.
pub fn decode_data<T: serde::de::DeserializeOwned>(
    endpoint: &Endpoint,
    data: Option<&str>,
    body: &[u8],
) -> Result<T> {
    let text = match data {
        Some(t) if t != "null" => t,
        _ if endpoint.has_data => {
            return Err(Error::decode(
                endpoint.name,
                "the success envelope has no `data`",
                body,
            ));
        }
        _ => "{}",
    };
    // Some endpoints send `data` as one value: a bare array, or (flag `data_value`) any value,
    // a scalar or a map among them. Their specs model it as one field `data`, so the value is
    // decoded as `{"data": ...}`. The official SDKs read some of these two ways (the Go SDK
    // takes `data` as the value, the Java SDK as an object holding it under `data`): an object
    // whose one key is `data` is decoded as it stands, so both spellings decode.
    let wrapped;
    let value = endpoint.flags.contains(Flags::DATA_VALUE);
    let text = if (value && !holds_only_data(text)) || text.trim_start().starts_with('[') {
        wrapped = format!("{{\"data\":{text}}}");
        wrapped.as_str()
    } else {
        text
    };
    // The fast path; only a failure is decoded again, tracking the path, to say where it broke.
    de::from_str(text).map_err(|_| {
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(de::Lenient(de)) {
            Err(e) => {
                let path = e.path().to_string();
                Error::decode(
                    endpoint.name,
                    format_args!("at `data.{path}`: {}", e.into_inner()),
                    body,
                )
            }
            Ok(_) => Error::decode(endpoint.name, "the data does not decode", body),
        }
    })
}

/// A request type of one endpoint. Serializing it gives the body (query and path fields are
/// skipped); [`ApiRequest::write_query`] and [`ApiRequest::path`] give the rest.
pub trait ApiRequest: serde::Serialize + serde::de::DeserializeOwned + Send + Sync {
    /// The type of the envelope's `data`.
    type Response: serde::de::DeserializeOwned + serde::Serialize + Send + 'static;
    /// The platform marker (`shop_api::doudian::Doudian`), so a request can only go to its own client.
    type Platform;
    /// The endpoint's metadata.
    const ENDPOINT: &'static Endpoint;

    /// Append the endpoint's own query parameters.
    fn write_query(&self, _query: &mut Query) {}

    /// The path with its `{field}` placeholders filled.
    fn path(&self) -> Cow<'_, str> {
        Cow::Borrowed(Self::ENDPOINT.path)
    }
}

/// Visits the request type of an endpoint chosen by name at run time (see each platform's
/// `api::dispatch`): the CLI and the sandbox use it to call any endpoint without a hand-written table.
pub trait EndpointVisitor<P> {
    /// What the visit gives.
    type Output;
    /// Called with the endpoint's request type.
    fn visit<R: ApiRequest<Platform = P> + 'static>(self) -> Self::Output;
}

/// Query parameters of a request, in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(Cow<'static, str>, String)>,
}

impl Query {
    /// An empty query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append `key=value`; `None` values are left out.
    pub fn push<V: QueryValue + ?Sized>(&mut self, key: &'static str, value: &V) {
        if let Some(v) = value.query_value() {
            self.pairs.push((Cow::Borrowed(key), v));
        }
    }

    /// Append a pair with an owned key.
    pub fn push_owned(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.pairs.push((key.into(), value.into()));
    }

    /// The pairs, in the order written.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_ref(), v.as_str()))
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A value that can travel in a URL query or path segment.
pub trait QueryValue {
    /// The text form, or `None` to leave the parameter out.
    fn query_value(&self) -> Option<String>;
}

macro_rules! query_value_display {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn query_value(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
query_value_display!(String, str, bool, i32, i64, u64, f64, Decimal);

impl<T: QueryValue> QueryValue for Option<T> {
    fn query_value(&self) -> Option<String> {
        self.as_ref().and_then(T::query_value)
    }
}

/// Lists travel comma-joined (`ids=1,2,3`), as the platforms expect.
impl<T: QueryValue> QueryValue for Vec<T> {
    fn query_value(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        Some(
            self.iter()
                .filter_map(T::query_value)
                .collect::<Vec<_>>()
                .join(","),
        )
    }
}

impl<T: QueryValue + ?Sized> QueryValue for &T {
    fn query_value(&self) -> Option<String> {
        (**self).query_value()
    }
}

/// A path segment, percent-encoded.
pub fn path_segment<V: QueryValue + ?Sized>(value: &V) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let text = value.query_value().unwrap_or_default();
    percent_encoding::utf8_percent_encode(&text, SEGMENT).to_string()
}

/// The Unix time now, in seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A generated module's `ENDPOINTS` and `dispatch`, from its request types in spec order.
#[doc(hidden)]
#[macro_export]
macro_rules! module_index {
    ($marker:ty; $($req:ident),* $(,)?) => {
        /// The endpoints of this module, in spec order.
        pub static ENDPOINTS: &[&$crate::Endpoint] =
            &[$(<$req as $crate::ApiRequest>::ENDPOINT),*];

        /// Call `visitor` with the request type of the endpoint named `name`, or give it back.
        pub fn dispatch<V: $crate::EndpointVisitor<$marker>>(
            name: &str,
            visitor: V,
        ) -> ::core::result::Result<V::Output, V> {
            $(
                if name == <$req as $crate::ApiRequest>::ENDPOINT.name {
                    return ::core::result::Result::Ok(visitor.visit::<$req>());
                }
            )*
            let _ = name;
            ::core::result::Result::Err(visitor)
        }
    };
}

/// The associated items of a generated [`ApiRequest`] impl, from the spec's facts in one line:
/// the response type, the platform marker, then platform, module, name, HTTP method, path,
/// summary, doc URL, `[FLAGS]`, deprecated, has data, `["required" "fields"]`; a paged endpoint
/// adds its [`PageFacts`] (`_` for a field it has not):
/// `page "page" "size" first "has_more" "items" "total"` or
/// `cursor "cursor" "next" "items" "total" "done"` (a cursor inside a request struct is a dotted
/// path: `"pagination.page_token"`).
#[doc(hidden)]
#[macro_export]
macro_rules! endpoint {
    ($resp:ty, $marker:ty, $platform:literal $module:literal $name:literal $method:ident
     $path:literal $summary:literal $doc:literal [$($flag:ident)*] $dep:literal
     $has_data:literal [$($r:literal)*] $($page:tt)*) => {
        type Response = $resp;
        type Platform = $marker;
        const ENDPOINT: &'static $crate::Endpoint = &$crate::Endpoint {
            platform: $platform,
            module: $module,
            name: $name,
            method: $crate::HttpMethod::$method,
            path: $path,
            summary: $summary,
            doc_url: $doc,
            flags: $crate::Flags::NONE $(.with($crate::Flags::$flag))*,
            deprecated: $dep,
            has_data: $has_data,
            required: &[$($r),*],
            pagination: $crate::__page_facts!($($page)*),
        };
    };
}

/// The `pagination` of an [`endpoint!`] line: nothing (`None`), or its [`PageFacts`].
#[doc(hidden)]
#[macro_export]
macro_rules! __page_facts {
    () => {
        ::core::option::Option::None
    };
    (page $page:literal $size:tt $first:literal $more:tt $items:literal $total:tt) => {
        ::core::option::Option::Some(&$crate::PageFacts {
            style: $crate::PageStyle::Number {
                page: $page,
                size: $crate::__page_facts!(@ $size),
                first: $first,
                has_more: $crate::__page_facts!(@ $more),
            },
            items: $items,
            total: $crate::__page_facts!(@ $total),
        })
    };
    (cursor $cursor:literal $next:literal $items:literal $total:tt $done:tt) => {
        ::core::option::Option::Some(&$crate::PageFacts {
            style: $crate::PageStyle::Cursor {
                cursor: $cursor,
                next: $next,
                done: $crate::__page_facts!(@ $done),
            },
            items: $items,
            total: $crate::__page_facts!(@ $total),
        })
    };
    (@ _) => {
        ::core::option::Option::None
    };
    (@ $field:literal) => {
        ::core::option::Option::Some($field)
    };
}

/// `Serialize`, `Deserialize` (lenient: numbers are accepted as text), `Display`, `Default`
/// (`Unknown("")`) and [`QueryValue`] of a generated string enum.
#[doc(hidden)]
#[macro_export]
macro_rules! impl_str_enum {
    ($t:ident) => {
        impl $crate::__private::serde::Serialize for $t {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::de::str_enum(d, Self::from_wire)
            }
        }
        impl ::core::fmt::Display for $t {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::core::default::Default for $t {
            fn default() -> Self {
                Self::Unknown(::std::string::String::new())
            }
        }
        impl $crate::QueryValue for $t {
            fn query_value(&self) -> ::core::option::Option<::std::string::String> {
                ::core::option::Option::Some(self.as_str().to_owned())
            }
        }
    };
}

/// The same as [`impl_str_enum!`] for a generated integer enum (`Default` is `Unknown(0)`).
#[doc(hidden)]
#[macro_export]
macro_rules! impl_int_enum {
    ($t:ident) => {
        impl $crate::__private::serde::Serialize for $t {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_i64(self.as_i64())
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::de::int_enum(d, Self::from_wire)
            }
        }
        impl ::core::fmt::Display for $t {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::write!(f, "{}", self.as_i64())
            }
        }
        impl ::core::default::Default for $t {
            fn default() -> Self {
                Self::Unknown(0)
            }
        }
        impl $crate::QueryValue for $t {
            fn query_value(&self) -> ::core::option::Option<::std::string::String> {
                ::core::option::Option::Some(self.as_i64().to_string())
            }
        }
    };
}

/// A platform's `Client` in the crate that holds its endpoints: a newtype over [`Client`] (every
/// method of the core is reached through `Deref`), its builder and its access-token handle; the
/// endpoint methods are added by that crate.
#[doc(hidden)]
#[macro_export]
macro_rules! __client {
    ($marker:ty, $facts:expr, $margin:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// Every method of the runtime's client core ([`shop_api_runtime::Client`]: `execute`,
        /// `execute_full`, `prepare`, `pages`, ...) is reached through `Deref`.
        #[derive(Debug, Clone)]
        pub struct Client($crate::Client<$marker>);

        impl ::core::ops::Deref for Client {
            type Target = $crate::Client<$marker>;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl ::core::convert::From<$crate::Client<$marker>> for Client {
            fn from(core: $crate::Client<$marker>) -> Self {
                Client(core)
            }
        }

        /// Builds a [`Client`].
        pub type ClientBuilder = $crate::ClientBuilder<$marker, Client>;

        impl Client {
            /// Start building a client of the app `key` / `secret` (Douyin: client key and secret).
            pub fn builder(
                key: impl ::core::convert::Into<::std::string::String>,
                secret: impl ::core::convert::Into<$crate::Secret>,
            ) -> ClientBuilder {
                $crate::ClientBuilder::new(&$facts, key, secret, $margin)
            }

            /// A handle that calls with `token`, an access token you manage yourself; it shares
            /// this client's pool and keeps its shop cipher.
            pub fn with_access_token(
                &self,
                token: impl ::core::convert::Into<$crate::Secret>,
            ) -> Self {
                Client(self.0.with_access_token(token))
            }

            /// A handle whose calls time out after `timeout` (the whole request) instead of the
            /// client's timeout.
            pub fn with_timeout(&self, timeout: ::core::time::Duration) -> Self {
                Client(self.0.with_timeout(timeout))
            }
        }
    };
}

/// A platform's `webhook` module in the crate that holds its `Event` catalogue: the runtime's
/// module, with the decoded form `$decoded` of a push, the `Verifier`, `verify` and
/// `parse_unverified` typed by that catalogue (`$out` is what a push decodes to).
#[doc(hidden)]
#[macro_export]
macro_rules! __typed_webhook {
    ($platform:ident, $decoded:ident, $out:ty, $doc:literal) => {
        #[doc = $doc]
        pub mod webhook {
            pub use $crate::$platform::webhook::*;

            /// What a verified push decodes to, its event typed by the crate's catalogue.
            pub type $decoded = $crate::$platform::webhook::$decoded<super::Event>;
            /// An app's credentials for verifying pushes.
            pub type Verifier = $crate::$platform::webhook::Verifier<super::Event>;

            /// Verify a push and decode it (see the runtime's `verify`).
            pub fn verify<H: Headers + ?::core::marker::Sized>(
                app_key: &str,
                app_secret: &str,
                headers: &H,
                body: &[u8],
            ) -> ::core::result::Result<$out, WebhookError> {
                $crate::$platform::webhook::verify(app_key, app_secret, headers, body)
            }

            /// Decode a push without checking its signature.
            pub fn parse_unverified(body: &[u8]) -> ::core::result::Result<$out, WebhookError> {
                $crate::$platform::webhook::parse_unverified(body)
            }
        }
    };
}

/// Doudian's `Client` and typed webhooks, in the crate that holds its endpoints and `Event`s.
#[doc(hidden)]
#[macro_export]
macro_rules! doudian_api {
    ($facts:expr) => {
        $crate::__client!(
            $crate::doudian::Doudian,
            $facts,
            $crate::doudian::DEFAULT_REFRESH_MARGIN,
            "A Doudian client. Cheap to clone: clones share the connection pool and the token store. One client serves many shops: [`Client::shop`] gives a handle that calls as one shop with the token the client keeps for it (fetched, refreshed ahead of expiry, refreshed and retried once when the platform says it expired); [`Client::with_access_token`] a handle with a token you manage."
        );

        impl Client {
            /// A handle that calls as the shop `shop_id`, with the token the client keeps for it.
            pub fn shop(&self, shop_id: impl ::core::convert::Into<::std::string::String>) -> Self {
                Client(self.0.shop(shop_id))
            }
        }

        $crate::__typed_webhook!(
            doudian,
            DoudianMessage,
            ::std::vec::Vec<DoudianMessage>,
            "Message push (消息推送), typed by this crate's [`Event`] catalogue (see [`shop_api_runtime::doudian::webhook`])."
        );
    };
}

/// TikTok Shop's `Client` and typed webhooks, in the crate that holds its endpoints and `Event`s.
#[doc(hidden)]
#[macro_export]
macro_rules! tiktok_api {
    ($facts:expr) => {
        $crate::__client!(
            $crate::tiktok::Tiktok,
            $facts,
            $crate::tiktok::DEFAULT_REFRESH_MARGIN,
            "A TikTok Shop client. Cheap to clone: clones share the connection pool and the token store. One client serves many sellers and shops: [`Client::seller`] gives a handle that calls as a seller with the token the client keeps for them (stored by `authorize`, refreshed ahead of expiry, and refreshed then retried once when the platform answers 105002; concurrent calls share one refresh); [`Client::with_access_token`] a handle with a token you manage yourself; [`Client::with_shop_cipher`] targets one of the seller's shops in shop-scoped calls."
        );

        impl Client {
            /// A handle that calls as the seller `open_id`, with the token the client keeps for
            /// them; it keeps this handle's shop cipher.
            pub fn seller(&self, open_id: impl ::core::convert::Into<::std::string::String>) -> Self {
                Client(self.0.seller(open_id))
            }

            /// A handle that targets the shop `cipher` (from `authorization.shops`) in
            /// shop-scoped calls; it keeps this handle's access token.
            pub fn with_shop_cipher(&self, cipher: impl ::core::convert::Into<::std::string::String>) -> Self {
                Client(self.0.with_shop_cipher(cipher))
            }
        }

        $crate::__typed_webhook!(
            tiktok,
            TiktokNotification,
            TiktokNotification,
            "Webhook notifications, typed by this crate's [`Event`] catalogue (see [`shop_api_runtime::tiktok::webhook`])."
        );
    };
}

/// The Douyin Open Platform's `Client`, in the crate that holds its endpoints.
#[doc(hidden)]
#[macro_export]
macro_rules! douyin_api {
    ($facts:expr) => {
        $crate::__client!(
            $crate::douyin::Douyin,
            $facts,
            $crate::douyin::DEFAULT_REFRESH_MARGIN,
            "A Douyin Open Platform client. Cheap to clone: clones share the connection pool and the cached client token. One client serves many users: [`Client::user`] and [`Client::with_access_token`] give handles that call as one user. `no_token` endpoints carry no token, `client_token` endpoints the app's client token (managed by the client), every other endpoint the handle's user token."
        );

        impl Client {
            /// A handle that calls as the user `open_id` with the token the client keeps for them.
            pub fn user(&self, open_id: impl ::core::convert::Into<::std::string::String>) -> Self {
                Client(self.0.user(open_id))
            }
        }

        pub use $crate::douyin::webhook;
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Listed {
        #[serde(default)]
        data: Vec<i64>,
    }

    #[test]
    fn bare_array_data_decodes_like_wrapped() {
        let ep = &Endpoint {
            platform: "doudian",
            module: "sku",
            name: "sku.list",
            method: HttpMethod::Post,
            path: "/sku/list",
            summary: "",
            doc_url: "",
            flags: Flags::NONE,
            deprecated: false,
            has_data: true,
            required: &[],
            pagination: None,
        };
        let a: Listed = decode_data(ep, Some("[1,2]"), b"").unwrap();
        let b: Listed = decode_data(ep, Some(r#"{"data":[1,2]}"#), b"").unwrap();
        assert_eq!(a.data, b.data);
        assert!(decode_data::<Listed>(ep, Some("[\"x\"]"), b"").is_err());
    }

    /// The three forms of an `endpoint!` line: unpaged, page numbers, cursors.
    #[test]
    fn endpoint_lines_carry_the_page_facts() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Plain;
        impl ApiRequest for Plain {
            crate::endpoint!(
                (), (), "doudian" "sku" "sku.detail" Get "/sku/detail" "" "" [IDEMPOTENT] false
                false ["sku_id"]
            );
        }
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Numbered;
        impl ApiRequest for Numbered {
            crate::endpoint!(
                (), (), "doudian" "sku" "sku.list" Post "/sku/list" "" "" [] false true []
                page "page" _ 1 "has_more" "data" _
            );
        }
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Cursored;
        impl ApiRequest for Cursored {
            crate::endpoint!(
                (), (), "tiktok" "order" "order.search" Post "/orders/search" "" "" [] false
                true ["page_size"] cursor "page_token" "next_page_token" "orders" "total_count" _
            );
        }
        assert_eq!(Plain::ENDPOINT.pagination, None);
        assert_eq!(Plain::ENDPOINT.required, ["sku_id"]);
        assert_eq!(
            Numbered::ENDPOINT.pagination,
            Some(&PageFacts {
                style: PageStyle::Number {
                    page: "page",
                    size: None,
                    first: 1,
                    has_more: Some("has_more"),
                },
                items: "data",
                total: None,
            })
        );
        assert_eq!(
            Cursored::ENDPOINT.pagination,
            Some(&PageFacts {
                style: PageStyle::Cursor {
                    cursor: "page_token",
                    next: "next_page_token",
                    done: None,
                },
                items: "orders",
                total: Some("total_count"),
            })
        );
    }
}
