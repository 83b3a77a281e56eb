//! What the spec says of an endpoint ([`Endpoint`], [`Flags`], [`HttpMethod`]), the request type
//! every generated endpoint implements ([`ApiRequest`]), and the decoding of a success envelope's
//! `data` into its response type ([`decode_data`], [`ApiResponse`]).

use std::borrow::Cow;

use crate::{Error, PageFacts, Query, Result, de};

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
