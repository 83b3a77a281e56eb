//! The macros the generated crate expands: one line per endpoint, per module index, per enum
//! and per platform client. Exported at the crate root (`shop_api_runtime::endpoint!`), hidden
//! from the docs: they are the generated code's vocabulary, not the users'.

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
    use crate::*;

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
