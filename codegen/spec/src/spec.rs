//! Serde structs that mirror the YAML files one to one (see `spec/README.md`).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// A YAML mapping that keeps the file's order and refuses duplicate keys.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    /// Iterate over the entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = &(String, V)> {
        self.0.iter()
    }
    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A mapping key: any scalar, kept as its text (`103:` and `"103":` are the same key).
struct ScalarKey(String);

impl<'de> Deserialize<'de> for ScalarKey {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ScalarKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a plain key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                while let Some(ScalarKey(k)) = map.next_key::<ScalarKey>()? {
                    if out.iter().any(|(have, _)| *have == k) {
                        return Err(de::Error::custom(format_args!("duplicate key `{k}`")));
                    }
                    let v = map.next_value()?;
                    out.push((k, v));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_any(MapVisitor(std::marker::PhantomData))
    }
}

/// How a platform routes calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// `POST /<method with '.' -> '/'>` (Doudian).
    Method,
    /// Each endpoint names its HTTP method and path (`http:`).
    Path,
}

/// `spec/<platform>/platform.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSpec {
    /// The folder name: `tiktok`, `doudian`, `douyin`.
    pub name: String,
    /// Human name.
    pub display_name: String,
    /// Module documentation for the platform.
    pub doc: String,
    /// Production base URL.
    pub base_url: String,
    /// Sandbox base URL, when the platform has a sandbox host.
    #[serde(default)]
    pub sandbox_url: Option<String>,
    /// The host of the token calls, when it is not `base_url`.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// The sandbox host of the token calls.
    #[serde(default)]
    pub sandbox_auth_url: Option<String>,
    /// Protocol version spoken.
    pub version: String,
    /// The header an access token travels in; without it, the token is the `access_token` query
    /// parameter.
    #[serde(default)]
    pub token_header: Option<String>,
    /// The envelope's success code (default 0).
    #[serde(default)]
    pub success_code: i64,
    /// Root of the official documentation.
    pub doc_root: String,
    /// Routing style.
    pub routing: Routing,
    /// Modules the platform's runtime itself uses (token calls): compiled whenever the platform
    /// is, with no feature of their own.
    #[serde(default)]
    pub core: Vec<String>,
    /// The error catalogue, from the platform's official error tables.
    #[serde(default)]
    pub errors: Option<ErrorsSpec>,
    /// The response envelope: where a response carries the call's status and result.
    pub envelope: EnvelopeSpec,
    /// Checks made before sending: a body field's value the platform would refuse, or worse,
    /// accept.
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    /// The tokens calls carry, as the OpenAPI export documents them (its security schemes).
    #[serde(default)]
    pub auth: Option<AuthSpec>,
}

/// `auth:` of platform.yaml: what each kind of token is, for the OpenAPI security schemes (where it
/// travels is `token_header`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSpec {
    /// The access token of a shop, seller or user, and what else signs a call.
    pub access_token: String,
    /// The app's own token, carried by `client_token` endpoints.
    #[serde(default)]
    pub client_token: Option<String>,
}

/// One check made before sending (`checks:` of platform.yaml).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// The endpoint's name.
    pub endpoint: String,
    /// A top-level body field of it (wire name).
    pub field: String,
    /// What the value must be.
    pub rule: CheckRule,
    /// Why (the platform's documentation of the field).
    pub why: String,
}

/// What a checked field's value must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckRule {
    /// A number above 0 (the field is a number).
    Positive,
    /// A string that is not empty nor only spaces (the field is a string).
    NonEmpty,
}

/// `envelope:` of platform.yaml: the members of every response that say how a call went, read by
/// the runtime's one envelope reader, written by the sandbox and documented by the OpenAPI export.
/// A place is a member name, or `a.b` for the member `b` of the object member `a`; where a list
/// names several places, the first that holds a value wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSpec {
    /// What every response looks like (the OpenAPI envelope schema's description).
    pub doc: String,
    /// The top-level member that holds the call's result.
    pub data: String,
    /// The places of the status code, each with the value that means success (default: the
    /// platform's `success_code`). The call failed when one of them holds another value.
    pub code: Vec<CodePlaceSpec>,
    /// The places of the error message.
    #[serde(default)]
    pub message: Vec<String>,
    /// The places of the detailed error code (an empty one, or `0`, is none).
    #[serde(default)]
    pub sub_code: Vec<String>,
    /// The places of the detailed error message.
    #[serde(default)]
    pub sub_message: Vec<String>,
    /// The places of the request's id (log id), for support.
    #[serde(default)]
    pub request_id: Vec<String>,
    /// A top-level member kept whole beside `data` (on the reply and on an error).
    #[serde(default)]
    pub extra: Option<String>,
    /// The top-level members as documented, in order.
    pub members: Vec<MemberSpec>,
}

/// A place of the status code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodePlaceSpec {
    /// The place (`err_no`, `data.error_code`).
    pub at: String,
    /// The value that means success there, when it is not the platform's `success_code`.
    #[serde(default)]
    pub success: Option<i64>,
}

/// A documented member of the envelope.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSpec {
    /// The JSON name.
    pub name: String,
    /// `integer`, `string`, `integer_or_string` (sent either way), `object`, or `any`.
    #[serde(rename = "type")]
    pub ty: MemberType,
    /// Sent in every response.
    #[serde(default)]
    pub required: bool,
    /// What it holds.
    pub doc: String,
    /// An object's documented members.
    #[serde(default)]
    pub members: Vec<MemberSpec>,
}

/// The JSON type of an envelope member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberType {
    /// A whole number.
    Integer,
    /// Text.
    String,
    /// A number or its text, depending on the API.
    IntegerOrString,
    /// An object.
    Object,
    /// Any JSON value (the call's result).
    Any,
}

/// `errors:` of platform.yaml: the platform's error codes, from its official error tables only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsSpec {
    /// The official page of the table (each row may name another).
    pub doc: String,
    /// The rows.
    pub codes: Vec<ErrorCodeSpec>,
}

/// One row of the error catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCodeSpec {
    /// The envelope's code.
    pub code: i64,
    /// The sub-code: matched exactly, as the prefix before a `:`, or, ending in `*`, as a prefix.
    #[serde(default)]
    pub sub_code: Option<String>,
    /// For a code reused for several failures: a word looked for in the message.
    #[serde(default)]
    pub keyword: Option<String>,
    /// The endpoints the row is for, when the code means something else elsewhere.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// The message as the table writes it.
    pub message: String,
    /// The sub-message as the table writes it.
    #[serde(default)]
    pub sub_message: Option<String>,
    /// What it means and what to do.
    pub meaning: String,
    /// The runtime's category.
    pub kind: ErrorKindSpec,
    /// Whether the table says to try again later.
    #[serde(default)]
    pub retry: bool,
    /// The official page of this row, when not the table's.
    #[serde(default)]
    pub doc: Option<String>,
    /// Why the row is kept though no official page states it: the independent source that
    /// does (then `doc` links that source). Said in the generated table.
    #[serde(default)]
    pub unconfirmed: Option<String>,
}

/// The runtime's `ErrorKind`s a catalogue row may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKindSpec {
    /// Refresh the access token.
    TokenExpired,
    /// The seller or user must authorize again.
    AuthorizationLapsed,
    /// Invalid app or call credentials.
    Auth,
    /// A scope or permission is missing.
    Permission,
    /// A parameter is missing or invalid.
    InvalidParam,
    /// The signature is missing or wrong.
    InvalidSign,
    /// Too many calls.
    RateLimited,
    /// The platform failed.
    Server,
    /// The API was taken offline.
    Offline,
    /// The IP is not allowed.
    IpNotAllowed,
    /// The platform timed out.
    Timeout,
    /// Anything else.
    Other,
}

impl ErrorKindSpec {
    /// The `ErrorKind` variant's name.
    pub fn variant(self) -> &'static str {
        match self {
            ErrorKindSpec::TokenExpired => "TokenExpired",
            ErrorKindSpec::AuthorizationLapsed => "AuthorizationLapsed",
            ErrorKindSpec::Auth => "Auth",
            ErrorKindSpec::Permission => "Permission",
            ErrorKindSpec::InvalidParam => "InvalidParam",
            ErrorKindSpec::InvalidSign => "InvalidSign",
            ErrorKindSpec::RateLimited => "RateLimited",
            ErrorKindSpec::Server => "Server",
            ErrorKindSpec::Offline => "Offline",
            ErrorKindSpec::IpNotAllowed => "IpNotAllowed",
            ErrorKindSpec::Timeout => "Timeout",
            ErrorKindSpec::Other => "Other",
        }
    }
}

/// One module file: `spec/<platform>/<module>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// Module documentation.
    pub doc: String,
    /// Named types shared by the endpoints of the module.
    #[serde(default)]
    pub types: OrderedMap<TypeSpec>,
    /// The endpoints.
    #[serde(default)]
    pub endpoints: OrderedMap<EndpointSpec>,
    /// Webhook events.
    #[serde(default)]
    pub events: OrderedMap<EventSpec>,
}

/// A named type: a struct (`fields:`) or an enum (`enum:` + `values:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// Documentation.
    pub doc: String,
    /// Struct fields.
    #[serde(default)]
    pub fields: Option<OrderedMap<FieldSpec>>,
    /// Enum kind.
    #[serde(default, rename = "enum")]
    pub enum_kind: Option<EnumKind>,
    /// Enum values, wire value -> doc.
    #[serde(default)]
    pub values: Option<OrderedMap<EnumValueSpec>>,
}

/// The wire type of an enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnumKind {
    /// String values.
    String,
    /// Integer values.
    Int,
}

/// An enum value: its doc, or `{name, doc}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EnumValueSpec {
    /// Just the doc; the variant name comes from the value.
    Doc(String),
    /// An explicit variant name.
    Named {
        /// The Rust variant name.
        name: String,
        /// Documentation.
        doc: String,
        /// The platform deprecated the value (see [`Deprecated`]).
        #[serde(default)]
        deprecated: Option<Deprecated>,
        /// The value that replaces it (its wire value).
        #[serde(default)]
        replaced_by: Option<String>,
    },
}

/// A field of a request, response or named struct.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The type expression (`string`, `[Order]`, `{i64}`, ...).
    #[serde(rename = "type")]
    pub ty: String,
    /// One line of documentation.
    pub doc: String,
    /// Required by the platform.
    #[serde(default)]
    pub required: bool,
    /// The JSON / query name when it differs from the Rust name.
    #[serde(default)]
    pub wire: Option<String>,
    /// Why the field deliberately differs from the official typed source (its type, `required`,
    /// or its being there at all); `cargo xtask fidelity` accepts the difference with this reason.
    #[serde(default)]
    pub differs: Option<String>,
    /// The platform deprecated the field (see [`Deprecated`]).
    #[serde(default)]
    pub deprecated: Option<Deprecated>,
    /// The field that replaces it (its Rust name in the same struct).
    #[serde(default)]
    pub replaced_by: Option<String>,
}

/// `deprecated: true`, `deprecated: "reason"`, or
/// `deprecated: {note: "reason", since: "0.3.0", sunset: "2026-12-31"}` (`since`: the crate
/// version that deprecates it; `sunset`: the date the platform retires it).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Deprecated {
    /// A plain flag.
    Flag(bool),
    /// A reason.
    Reason(String),
    /// A reason with the version that deprecates it and the platform's retirement date.
    Full {
        /// Why, and what to use instead.
        #[serde(default)]
        note: String,
        /// The crate version that deprecates it.
        #[serde(default)]
        since: Option<String>,
        /// The date the platform retires it.
        #[serde(default)]
        sunset: Option<String>,
    },
}

/// The flag list, stated once: each flag's variant, its spelling in the spec (and the OpenAPI
/// export) and the name of its constant in the runtime's `Flags`.
macro_rules! flags {
    ($($(#[doc = $doc:literal])* $variant:ident = $spec:literal => $konst:ident;)*) => {
        /// Per-endpoint flags (`flags: [idempotent, no_token]`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        pub enum Flag {
            $($(#[doc = $doc])* #[serde(rename = $spec)] $variant,)*
        }

        impl Flag {
            /// Every flag.
            pub const ALL: &'static [Flag] = &[$(Flag::$variant),*];

            /// The spelling in the spec (`no_token`).
            pub fn spec_name(self) -> &'static str {
                match self {
                    $(Flag::$variant => $spec,)*
                }
            }

            /// The constant of the runtime's `Flags` (`NO_TOKEN`).
            pub fn runtime_const(self) -> &'static str {
                match self {
                    $(Flag::$variant => stringify!($konst),)*
                }
            }
        }
    };
}

flags! {
    /// No access token is sent.
    NoToken = "no_token" => NO_TOKEN;
    /// TikTok Shop: no `shop_cipher`.
    NoShopCipher = "no_shop_cipher" => NO_SHOP_CIPHER;
    /// Safe to retry.
    Idempotent = "idempotent" => IDEMPOTENT;
    /// `multipart/form-data` body.
    Multipart = "multipart" => MULTIPART;
    /// Form-encoded body.
    Form = "form" => FORM;
    /// Douyin: client token instead of a user token.
    ClientToken = "client_token" => CLIENT_TOKEN;
    /// The envelope's `data` is one value (a scalar, a list or a map), not an object of fields:
    /// the response's one field `data` holds it.
    DataValue = "data_value" => DATA_VALUE;
}

/// One endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// One line.
    pub summary: String,
    /// Longer documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// The official doc page.
    pub doc_url: String,
    /// `METHOD /path/{field}`.
    #[serde(default)]
    pub http: Option<String>,
    /// Deprecation.
    #[serde(default)]
    pub deprecated: Option<Deprecated>,
    /// The replacement endpoint.
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// Flags.
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Query fields.
    #[serde(default)]
    pub query: OrderedMap<FieldSpec>,
    /// Path fields.
    #[serde(default)]
    pub path: OrderedMap<FieldSpec>,
    /// Body fields.
    #[serde(default)]
    pub body: OrderedMap<FieldSpec>,
    /// Response `data` fields.
    #[serde(default)]
    pub response: OrderedMap<FieldSpec>,
    /// Pagination hint.
    #[serde(default)]
    pub pagination: Option<PaginationSpec>,
    /// Why an endpoint that takes a page or cursor field is not a paged list (the generator
    /// demands `pagination:` of every endpoint with such a field, unless this says why not).
    #[serde(default)]
    pub not_paged: Option<String>,
    /// An example response body.
    #[serde(default)]
    pub example: Option<String>,
    /// Why the endpoint's response has no fields: the platform returns no data (the reason
    /// names the source that says so). An endpoint without `response:` says this or is unknown.
    #[serde(default)]
    pub no_data: Option<String>,
    /// Why the endpoint deliberately differs from the official typed source (or is in none);
    /// `cargo xtask fidelity` accepts the difference with this reason.
    #[serde(default)]
    pub differs: Option<String>,
}

/// A pagination hint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationSpec {
    /// Request field holding the page number.
    #[serde(default)]
    pub page: Option<String>,
    /// Request field holding the page size.
    #[serde(default)]
    pub size: Option<String>,
    /// Number of the first page (0 or 1).
    #[serde(default)]
    pub first: Option<i64>,
    /// Request field holding the cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Response field holding the next cursor.
    #[serde(default)]
    pub next: Option<String>,
    /// Response field holding the items.
    pub items: String,
    /// Response field holding the total.
    #[serde(default)]
    pub total: Option<String>,
    /// Response field saying more pages follow.
    #[serde(default)]
    pub has_more: Option<String>,
    /// Cursors: response field marking the last page (`true` or a non-zero number).
    #[serde(default)]
    pub done: Option<String>,
}

/// A webhook event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Doudian `tag` / TikTok `type`, as text.
    pub code: String,
    /// One line.
    pub summary: String,
    /// Longer documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// The official doc page.
    #[serde(default)]
    pub doc_url: Option<String>,
    /// The fields of the event's data.
    #[serde(default)]
    pub fields: OrderedMap<FieldSpec>,
}
