//! The TikTok Shop client: one per app, serving many shops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::Instrument;

use crate::Error;
use crate::runtime::http::{Body, Part, PreparedRequest, RawResponse, Transport, with_retry};
use crate::runtime::{
    ApiError, ApiRequest, ApiResponse, Endpoint, ErrorKind, Flags, HttpConfig, HttpMethod,
    MemoryStore, Pages, Paginated, Query, Result, RetryPolicy, Secret, Token, TokenManager,
    TokenStore, de, decode_data, unix_now,
};

/// The platform marker of TikTok Shop requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tiktok {}

/// Production API host.
pub const BASE_URL: &str = "https://open-api.tiktokglobalshop.com";
/// Sandbox API host (test shops only).
pub const SANDBOX_URL: &str = "https://open-api-sandbox.tiktokglobalshop.com";
/// Production host of the token exchange (`/api/v2/token/get`, `/api/v2/token/refresh`).
pub const AUTH_URL: &str = "https://auth.tiktok-shops.com";
/// Sandbox host of the token exchange.
pub const SANDBOX_AUTH_URL: &str = "https://auth-sandbox.tiktok-shops.com";
/// The header that carries the seller's access token (it is not signed).
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
/// The success code of the envelope.
pub const SUCCESS: i64 = 0;

/// Query parameters and headers masked when a prepared API call is printed.
const API_SECRETS: &[&str] = &[ACCESS_TOKEN_HEADER, "sign"];
/// Query parameters masked when a prepared token call is printed.
const TOKEN_SECRETS: &[&str] = &["app_secret", "auth_code", "refresh_token"];

/// The seller authorization page of `service_id` (the app's service id in Partner Center):
/// `https://services.us.tiktokshop.com/open/authorize?service_id=..&state=..` for US shops
/// (`us`), `https://services.tiktokshop.com/open/authorize?..` for the others. `state` comes back
/// unchanged with the authorization code on the redirect; an empty `state` is left out.
pub fn authorization_url(service_id: &str, state: &str, us: bool) -> String {
    let host = if us {
        "https://services.us.tiktokshop.com"
    } else {
        "https://services.tiktokshop.com"
    };
    let mut url = url::Url::parse(&format!("{host}/open/authorize")).expect("a fixed, valid URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("service_id", service_id);
        if !state.is_empty() {
            q.append_pair("state", state);
        }
    }
    url.to_string()
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    app_key: String,
    app_secret: Secret,
    http: HttpConfig,
    auth_base_url: String,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
}

impl ClientBuilder {
    /// Use the sandbox hosts ([`SANDBOX_URL`] and [`SANDBOX_AUTH_URL`]).
    pub fn sandbox(mut self, on: bool) -> Self {
        self.http.base_url = if on { SANDBOX_URL } else { BASE_URL }.to_owned();
        self.auth_base_url = if on { SANDBOX_AUTH_URL } else { AUTH_URL }.to_owned();
        self
    }

    /// Send API calls to `url` instead (a local test server, a proxy).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.http.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Send token calls ([`Client::get_token`], [`Client::refresh_token`]) to `url` instead of
    /// [`AUTH_URL`].
    pub fn auth_base_url(mut self, url: impl Into<String>) -> Self {
        self.auth_base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The whole-request timeout (default 30 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.http.timeout = t;
        self
    }

    /// An HTTP(S) proxy.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.http.proxy = Some(url.into());
        self
    }

    /// The retry policy (see [`crate::runtime::http`] for what is retried).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.http.retry = policy;
        self
    }

    /// Keep sellers' tokens in `store` (default: in memory). Use a
    /// [`crate::runtime::JsonFileStore`] or your own database so tokens survive restarts.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Refresh managed tokens this long before they expire (default one hour).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<Client> {
        if self.app_key.is_empty() || self.app_secret.is_empty() {
            return Err(Error::InvalidRequest {
                endpoint: "client".into(),
                message: "the app key and secret must not be empty".into(),
            });
        }
        let transport = Transport::new(self.http)?;
        Ok(Client {
            inner: Arc::new(Inner {
                app_key: self.app_key,
                app_secret: self.app_secret,
                transport,
                auth_base_url: self.auth_base_url,
                tokens: TokenManager::new(
                    self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                    self.refresh_margin,
                ),
            }),
            token: None,
            seller: None,
            shop_cipher: None,
        })
    }
}

#[derive(Debug)]
struct Inner {
    app_key: String,
    app_secret: Secret,
    transport: Transport,
    auth_base_url: String,
    tokens: TokenManager,
}

/// A TikTok Shop client. Cheap to clone: clones share the connection pool and the token store.
/// One client serves many sellers and shops:
/// - [`Client::seller`] gives a handle that calls as a seller with the token the client keeps for
///   them (stored by [`Client::authorize`], refreshed ahead of expiry, and refreshed then retried
///   once when the platform answers 105002; concurrent calls share one refresh);
/// - [`Client::with_access_token`] a handle with a token you manage yourself;
/// - [`Client::with_shop_cipher`] targets one of the seller's shops in shop-scoped calls.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    token: Option<Secret>,
    seller: Option<String>,
    shop_cipher: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, deserialize_with = "de::lenient")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient")]
    message: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    request_id: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// The category of a TikTok Shop error code. `message` sorts the codes the platform overloads
/// (`36009004` covers a bad signature or timestamp, a bad token or app key, and unexpected
/// parameters).
pub fn error_kind(code: i64, message: &str) -> ErrorKind {
    match code {
        105002 => ErrorKind::TokenExpired,
        // 101000: bad `x-tts-access-token`; 36004004: bad or used auth code / refresh token;
        // 36004001: refresh token expired; 36004005: no such authorization.
        101000 | 36004001 | 36004004 | 36004005 => ErrorKind::Auth,
        106001 => ErrorKind::InvalidSign,
        // 106013: the `shop_cipher` is missing (the message says so).
        106013 => ErrorKind::InvalidParam,
        105005 => ErrorKind::Permission,
        36009033 => ErrorKind::IpNotAllowed,
        36009002 => ErrorKind::RateLimited,
        36009003 => ErrorKind::Server,
        36009007 => ErrorKind::Timeout,
        36009004 => {
            let m = message.to_ascii_lowercase();
            if m.contains("sign") || m.contains("timestamp") {
                ErrorKind::InvalidSign
            } else if m.contains("access_token")
                || m.contains("access-token")
                || m.contains("app_key")
            {
                ErrorKind::Auth
            } else {
                ErrorKind::InvalidParam
            }
        }
        // Invalid path, method, API version, format, content type.
        36009009 | 36009010 | 36009014 | 36009022 | 36009023 => ErrorKind::InvalidParam,
        _ => ErrorKind::Other,
    }
}

/// The response `data` of the token exchange: a seller's tokens and who the seller is.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TokenInfo {
    /// The access token, sent as `x-tts-access-token`.
    #[serde(default)]
    pub access_token: Secret,
    /// When the access token expires: an absolute Unix time in seconds (not a duration).
    #[serde(default, deserialize_with = "de::lenient")]
    pub access_token_expire_in: i64,
    /// The refresh token, for [`Client::refresh_token`].
    #[serde(default)]
    pub refresh_token: Secret,
    /// When the refresh token expires: an absolute Unix time in seconds (not a duration).
    #[serde(default, deserialize_with = "de::lenient")]
    pub refresh_token_expire_in: i64,
    /// The seller's id for this app.
    #[serde(default, deserialize_with = "de::lenient")]
    pub open_id: String,
    /// The seller's name.
    #[serde(default, deserialize_with = "de::lenient")]
    pub seller_name: String,
    /// The seller's base region (`GB`, `US`, ...).
    #[serde(default, deserialize_with = "de::lenient")]
    pub seller_base_region: String,
    /// 0 seller, 1 creator, 3 partner.
    #[serde(default, deserialize_with = "de::lenient")]
    pub user_type: i64,
    /// The scopes the seller granted.
    #[serde(default, deserialize_with = "de::lenient")]
    pub granted_scopes: Vec<String>,
}

impl TokenInfo {
    /// The runtime's [`Token`], for a [`crate::runtime::TokenStore`]: `extra` keeps `open_id`,
    /// `seller_name`, `seller_base_region` and `user_type`; `scope` the granted scopes, comma-joined.
    pub fn to_token(&self) -> Token {
        let mut extra = std::collections::BTreeMap::new();
        for (k, v) in [
            ("open_id", &self.open_id),
            ("seller_name", &self.seller_name),
            ("seller_base_region", &self.seller_base_region),
        ] {
            if !v.is_empty() {
                extra.insert(k.to_owned(), v.clone());
            }
        }
        extra.insert("user_type".to_owned(), self.user_type.to_string());
        Token {
            access_token: self.access_token.clone(),
            expires_at: self.access_token_expire_in,
            refresh_token: (!self.refresh_token.is_empty()).then(|| self.refresh_token.clone()),
            refresh_expires_at: (self.refresh_token_expire_in > 0)
                .then_some(self.refresh_token_expire_in),
            scope: (!self.granted_scopes.is_empty()).then(|| self.granted_scopes.join(",")),
            extra,
        }
    }
}

/// `GET /api/v2/token/get` on the auth host.
static TOKEN_GET: Endpoint = Endpoint {
    platform: "tiktok",
    module: "auth",
    name: "token.get",
    method: HttpMethod::Get,
    path: "/api/v2/token/get",
    summary: "Exchange an authorization code for a seller's access and refresh tokens.",
    doc_url: "https://partner.tiktokshop.com/docv2/page/authorization-overview-202407",
    flags: Flags::NO_TOKEN.with(Flags::NO_SHOP_CIPHER),
    deprecated: false,
    has_data: true,
    required: &["auth_code"],
};

/// `GET /api/v2/token/refresh` on the auth host.
static TOKEN_REFRESH: Endpoint = Endpoint {
    platform: "tiktok",
    module: "auth",
    name: "token.refresh",
    method: HttpMethod::Get,
    path: "/api/v2/token/refresh",
    summary: "Get a new access token with a refresh token.",
    doc_url: "https://partner.tiktokshop.com/docv2/page/authorization-overview-202407",
    flags: Flags::NO_TOKEN.with(Flags::NO_SHOP_CIPHER),
    deprecated: false,
    has_data: true,
    required: &["refresh_token"],
};

/// What goes in the body of a call.
enum Payload {
    /// JSON bytes (signed), or no body (a GET or DELETE whose body would be `{}`).
    Json(Option<Vec<u8>>),
    /// `multipart/form-data` parts (not signed).
    Multipart(Vec<Part>),
}

/// A boxed future of one page, for [`Client::pages`].
pub use crate::runtime::PageFuture;

impl Client {
    /// Start building a client of the app `app_key` / `app_secret`.
    pub fn builder(app_key: impl Into<String>, app_secret: impl Into<Secret>) -> ClientBuilder {
        ClientBuilder {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            http: HttpConfig::new(BASE_URL),
            auth_base_url: AUTH_URL.to_owned(),
            store: None,
            refresh_margin: Duration::from_secs(3600),
        }
    }

    /// A handle that calls as the seller `open_id`, with the token the client keeps for them; it
    /// keeps this handle's shop cipher.
    pub fn seller(&self, open_id: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            token: None,
            seller: Some(open_id.into()),
            shop_cipher: self.shop_cipher.clone(),
        }
    }

    /// The token store's key of a seller.
    pub fn token_key(open_id: &str) -> String {
        format!("tiktok:{open_id}")
    }

    /// Exchange the authorization code for the seller's tokens ([`Client::get_token`]), keep them
    /// under the seller's `open_id`, and return them. Then call as the seller with
    /// `client.seller(&info.open_id)`.
    pub async fn authorize(&self, auth_code: &str) -> Result<TokenInfo> {
        let info = self.get_token(auth_code).await?;
        if info.open_id.is_empty() {
            return Err(Error::Token("the token answer has no open_id".into()));
        }
        self.inner
            .tokens
            .put(&Self::token_key(&info.open_id), &info.to_token())
            .await?;
        Ok(info)
    }

    /// The token the client keeps for the seller `open_id`, refreshed when needed.
    pub async fn seller_token(&self, open_id: &str) -> Result<Token> {
        self.managed_token(open_id, None).await
    }

    async fn managed_token(&self, open_id: &str, stale: Option<&Secret>) -> Result<Token> {
        self.inner
            .tokens
            .get(&Self::token_key(open_id), stale, |current| async move {
                let Some(refresh) = current.and_then(|t| t.refresh_token) else {
                    return Err(Error::Token(format!(
                        "no token for seller {open_id}: exchange the seller's authorization code first (Client::authorize)"
                    )));
                };
                Ok(self.refresh_token(refresh.expose()).await?.to_token())
            })
            .await
    }

    /// The token a call to `ep` carries.
    async fn token_for(&self, ep: &Endpoint) -> Result<Option<Secret>> {
        if ep.flags.contains(Flags::NO_TOKEN) {
            return Ok(None);
        }
        if let Some(t) = &self.token {
            return Ok(Some(t.clone()));
        }
        match &self.seller {
            Some(open_id) => Ok(Some(self.managed_token(open_id, None).await?.access_token)),
            None => Err(Error::InvalidRequest {
                endpoint: ep.name.into(),
                message: "this call needs a seller's access token: call it on `client.seller(open_id)` or `client.with_access_token(..)`".into(),
            }),
        }
    }

    /// A handle that calls with `token` (a seller's access token); it keeps this handle's shop
    /// cipher and shares the pool.
    pub fn with_access_token(&self, token: impl Into<Secret>) -> Client {
        Client {
            inner: self.inner.clone(),
            token: Some(token.into()),
            seller: None,
            shop_cipher: self.shop_cipher.clone(),
        }
    }

    /// A handle that targets the shop `cipher` (from `authorization.shops`) in shop-scoped calls;
    /// it keeps this handle's access token and shares the pool.
    pub fn with_shop_cipher(&self, cipher: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            token: self.token.clone(),
            seller: self.seller.clone(),
            shop_cipher: Some(cipher.into()),
        }
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The base URL API calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.transport.config.base_url
    }

    /// The base URL token calls go to.
    pub fn auth_base_url(&self) -> &str {
        &self.inner.auth_base_url
    }

    /// The shop cipher of this handle, if any.
    pub fn shop_cipher(&self) -> Option<&str> {
        self.shop_cipher.as_deref()
    }

    /// Whether this handle carries an access token.
    pub fn has_access_token(&self) -> bool {
        self.token.is_some() || self.seller.is_some()
    }

    /// Call any endpoint: `client.execute(&OrderSearchRequest { .. })`.
    ///
    /// Upload endpoints (flagged `multipart`) take their file through [`Client::execute_multipart`].
    pub async fn execute<R: ApiRequest<Platform = Tiktok>>(&self, req: &R) -> Result<R::Response> {
        self.execute_full(req).await.map(|r| r.data)
    }

    /// Call any endpoint and keep the envelope's request id.
    pub async fn execute_full<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        if ep.flags.contains(Flags::MULTIPART) {
            return Err(Error::InvalidRequest {
                endpoint: ep.name.into(),
                message: "this endpoint uploads a file: call `client.execute_multipart(&req, vec![Part { .. }])` with the file part".into(),
            });
        }
        let payload = Payload::Json(json_body(req)?);
        self.send(req, payload).await
    }

    /// Call an upload endpoint (flagged `multipart`): the body is `multipart/form-data` with one
    /// text part per top-level field of `req` (strings as they are, numbers and booleans as text,
    /// lists and objects as JSON, `None` left out), and the parts in `files` (for
    /// `product.upload_image`: `Part { name: "data".into(), file_name: Some("a.jpg".into()),
    /// content_type: Some("image/jpeg".into()), data: bytes }`). A file part replaces the text part
    /// of the field with the same name. The body of a multipart call is not signed.
    pub async fn execute_multipart<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
        files: Vec<Part>,
    ) -> Result<R::Response> {
        self.execute_multipart_full(req, files)
            .await
            .map(|r| r.data)
    }

    /// [`Client::execute_multipart`], keeping the envelope's request id.
    pub async fn execute_multipart_full<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
        files: Vec<Part>,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        if !ep.flags.contains(Flags::MULTIPART) {
            return Err(Error::InvalidRequest {
                endpoint: ep.name.into(),
                message: "this endpoint takes a JSON body, not multipart/form-data: call `client.execute(&req)`".into(),
            });
        }
        let parts = multipart_parts(req, files)?;
        self.send(req, Payload::Multipart(parts)).await
    }

    /// The pages of a paginated request, fetched on demand with this handle:
    /// `while let Some(page) = pages.next().await? { .. }` (see [`Pages`]).
    #[allow(clippy::type_complexity)]
    pub fn pages<R>(&self, req: R) -> Pages<R, impl FnMut(R) -> PageFuture<R::Response> + use<R>>
    where
        R: Paginated<Platform = Tiktok> + 'static,
    {
        let client = self.clone();
        Pages::new(req, move |r: R| {
            let client = client.clone();
            Box::pin(async move { client.execute(&r).await }) as PageFuture<R::Response>
        })
    }

    /// The signed request `execute` would send now, without sending it (`--dry-run`). For upload
    /// endpoints it holds the text parts only, and is refused when a required field is a file
    /// (only [`Client::execute_multipart`] takes files).
    pub async fn prepare<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
    ) -> Result<PreparedRequest> {
        let ep = R::ENDPOINT;
        let payload = if ep.flags.contains(Flags::MULTIPART) {
            Payload::Multipart(multipart_parts(req, Vec::new())?)
        } else {
            Payload::Json(json_body(req)?)
        };
        let mut query = Query::new();
        req.write_query(&mut query);
        let token = self.token_for(ep).await?;
        self.prepare_raw(
            ep,
            &req.path(),
            &query,
            &payload,
            token.as_ref(),
            unix_now(),
        )
    }

    async fn send<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
        payload: Payload,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        let token = self.token_for(ep).await?;
        match self.send_with(req, &payload, token.as_ref()).await {
            Err(e) if e.kind() == ErrorKind::TokenExpired && self.token.is_none() => {
                let Some(open_id) = &self.seller else {
                    return Err(e);
                };
                tracing::info!(
                    endpoint = ep.name,
                    "access token expired: refreshing once and retrying"
                );
                let fresh = self.managed_token(open_id, token.as_ref()).await?;
                self.send_with(req, &payload, Some(&fresh.access_token))
                    .await
            }
            other => other,
        }
    }

    async fn send_with<R: ApiRequest<Platform = Tiktok>>(
        &self,
        req: &R,
        payload: &Payload,
        token: Option<&Secret>,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        let path = req.path();
        let mut query = Query::new();
        req.write_query(&mut query);
        let span = tracing::info_span!(
            "tiktok",
            endpoint = ep.name,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty
        );
        let started = Instant::now();
        let inner = &self.inner;
        let result = with_retry(&inner.transport.config.retry, ep, |_| {
            let (path, query) = (&path, &query);
            async move {
                // A fresh timestamp, hence a fresh signature, on every attempt.
                let prepared = self.prepare_raw(ep, path, query, payload, token, unix_now())?;
                let raw = inner.transport.send(ep.name, &prepared).await?;
                parse::<R::Response>(ep, raw)
            }
        })
        .instrument(span.clone())
        .await;
        record(&span, started, &result);
        result
    }

    /// Sign a call to `ep` at `timestamp`: `path` with its placeholders filled, `own` the
    /// endpoint's own query parameters.
    fn prepare_raw(
        &self,
        ep: &Endpoint,
        path: &str,
        own: &Query,
        payload: &Payload,
        token: Option<&Secret>,
        timestamp: i64,
    ) -> Result<PreparedRequest> {
        let inner = &self.inner;
        let invalid = |message: &str| Error::InvalidRequest {
            endpoint: ep.name.into(),
            message: message.into(),
        };
        let mut q = Query::new();
        q.push("app_key", inner.app_key.as_str());
        q.push("timestamp", &timestamp);
        if !ep.flags.contains(Flags::NO_SHOP_CIPHER) {
            let Some(cipher) = self.shop_cipher.as_deref() else {
                return Err(invalid(
                    "this call is shop-scoped and needs a shop cipher: call it on `client.with_shop_cipher(..)` (the cipher comes from `authorization.shops`)",
                ));
            };
            q.push("shop_cipher", cipher);
        }
        for (k, v) in own.pairs() {
            q.push_owned(k.to_owned(), v);
        }
        let mut headers = Vec::new();
        if !ep.flags.contains(Flags::NO_TOKEN) {
            let Some(token) = token else {
                return Err(invalid(
                    "this call needs a seller's access token: call it on `client.seller(open_id)` or `client.with_access_token(..)`",
                ));
            };
            headers.push((ACCESS_TOKEN_HEADER.to_owned(), token.expose().to_owned()));
        }
        let (body, signed) = match payload {
            Payload::Json(Some(bytes)) => (Body::Json(bytes.clone()), Some(bytes.as_slice())),
            Payload::Json(None) => {
                headers.push(("content-type".to_owned(), "application/json".to_owned()));
                (Body::Empty, None)
            }
            Payload::Multipart(parts) => (Body::Multipart(parts.clone()), None),
        };
        let pairs: Vec<(&str, &str)> = q.pairs().collect();
        let sign = super::sign::sign(inner.app_secret.expose(), path, &pairs, signed);
        q.push("sign", sign.as_str());
        let url = inner.transport.url(ep.name, path, &q)?;
        Ok(PreparedRequest {
            method: ep.method,
            url,
            headers,
            body,
            secret_names: API_SECRETS,
        })
    }

    /// Exchange the authorization code from the redirect after the seller authorized the app (see
    /// [`authorization_url`]) for the seller's tokens.
    pub async fn get_token(&self, auth_code: &str) -> Result<TokenInfo> {
        self.token_call(
            &TOKEN_GET,
            &[("auth_code", auth_code), ("grant_type", "authorized_code")],
        )
        .await
    }

    /// Get a new access token (and possibly a new refresh token) with `refresh_token`.
    pub async fn refresh_token(&self, refresh_token: &str) -> Result<TokenInfo> {
        self.token_call(
            &TOKEN_REFRESH,
            &[
                ("refresh_token", refresh_token),
                ("grant_type", "refresh_token"),
            ],
        )
        .await
    }

    async fn token_call(
        &self,
        ep: &'static Endpoint,
        params: &[(&str, &str)],
    ) -> Result<TokenInfo> {
        let inner = &self.inner;
        let mut url =
            url::Url::parse(&format!("{}{}", inner.auth_base_url, ep.path)).map_err(|e| {
                Error::InvalidRequest {
                    endpoint: ep.name.into(),
                    message: format!("bad auth URL {}{}: {e}", inner.auth_base_url, ep.path),
                }
            })?;
        url.query_pairs_mut()
            .append_pair("app_key", &inner.app_key)
            .append_pair("app_secret", inner.app_secret.expose())
            .extend_pairs(params);
        let prepared = PreparedRequest {
            method: HttpMethod::Get,
            url,
            headers: Vec::new(),
            body: Body::Empty,
            secret_names: TOKEN_SECRETS,
        };
        let span = tracing::info_span!(
            "tiktok",
            endpoint = ep.name,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty
        );
        let started = Instant::now();
        let result = with_retry(&inner.transport.config.retry, ep, |_| {
            let prepared = &prepared;
            async move {
                let raw = inner.transport.send(ep.name, prepared).await?;
                parse::<TokenInfo>(ep, raw).map_err(withhold_tokens)
            }
        })
        .instrument(span.clone())
        .await;
        record(&span, started, &result);
        result.map(|r| r.data)
    }
}

/// Record the request id and latency of a finished call on its span.
fn record<T>(span: &tracing::Span, started: Instant, result: &Result<ApiResponse<T>>) {
    span.record("latency_ms", started.elapsed().as_millis() as u64);
    match result {
        Ok(r) => {
            span.record("request_id", r.request_id.as_deref().unwrap_or_default());
            tracing::debug!(parent: span, "call succeeded");
        }
        Err(e) => {
            if let Some(id) = e.api().and_then(|a| a.request_id.as_deref()) {
                span.record("request_id", id);
            }
            tracing::debug!(parent: span, error = %e, "call failed");
        }
    }
}

/// A token response that does not decode holds tokens: keep only where decoding stopped, never
/// the body or the decoder's message (which may quote a value).
fn withhold_tokens(e: Error) -> Error {
    match e {
        Error::Decode {
            endpoint, message, ..
        } => {
            let place = message.split_once(": ").map_or("", |(at, _)| at);
            Error::Decode {
                endpoint,
                message: format!("the token response does not decode {place}")
                    .trim_end()
                    .to_owned(),
                body: "(withheld: it holds tokens)".to_owned(),
            }
        }
        e => e,
    }
}

/// The JSON body of `req`; `None` for a GET or DELETE whose body is empty (`{}`).
fn json_body<R: ApiRequest>(req: &R) -> Result<Option<Vec<u8>>> {
    let ep = R::ENDPOINT;
    let bytes = crate::runtime::json::to_body(req)
        .and_then(|v| serde_json::to_vec(&v))
        .map_err(|e| Error::InvalidRequest {
            endpoint: ep.name.into(),
            message: e.to_string(),
        })?;
    let bodiless = matches!(ep.method, HttpMethod::Get | HttpMethod::Delete);
    Ok(if bodiless && bytes == b"{}" {
        None
    } else {
        Some(bytes)
    })
}

/// The parts of a multipart call: a text part per top-level field of `req` that no file part
/// replaces, then the files. A required body field must end up in a non-empty part.
fn multipart_parts<R: ApiRequest>(req: &R, files: Vec<Part>) -> Result<Vec<Part>> {
    let ep = R::ENDPOINT;
    let invalid = |message: String| Error::InvalidRequest {
        endpoint: ep.name.into(),
        message,
    };
    let fields = match crate::runtime::json::to_body(req) {
        Ok(serde_json::Value::Object(m)) => m,
        Ok(_) => {
            return Err(invalid(
                "the request does not serialize to an object".into(),
            ));
        }
        Err(e) => return Err(invalid(e.to_string())),
    };
    let mut parts = Vec::with_capacity(fields.len() + files.len());
    for (name, value) in &fields {
        if files.iter().any(|f| f.name == *name) {
            continue;
        }
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        parts.push(Part {
            name: name.clone(),
            file_name: None,
            content_type: None,
            data: text.into_bytes(),
        });
    }
    parts.extend(files);
    for name in ep.required.iter().filter(|n| fields.contains_key(**n)) {
        if !parts.iter().any(|p| p.name == *name && !p.data.is_empty()) {
            return Err(invalid(format!(
                "the multipart field `{name}` is required: pass it as a file part"
            )));
        }
    }
    Ok(parts)
}

fn parse<T: serde::de::DeserializeOwned>(
    ep: &Endpoint,
    raw: RawResponse,
) -> Result<ApiResponse<T>> {
    let http = |raw: &RawResponse| Error::Http {
        endpoint: ep.name.into(),
        status: raw.status,
        body: crate::runtime::error_snippet(&raw.body),
        retry_after: raw.retry_after,
    };
    let env: Envelope<'_> = match serde_json::from_slice(&raw.body) {
        Ok(env) => env,
        Err(_) if raw.status >= 400 => return Err(http(&raw)),
        Err(e) => return Err(Error::decode(ep.name, e, &raw.body)),
    };
    match env.code {
        Some(SUCCESS) if raw.status < 400 => Ok(ApiResponse {
            data: decode_data(ep, env.data, &raw.body)?,
            request_id: env.request_id.filter(|s| !s.is_empty()),
            http_status: raw.status,
        }),
        Some(code) if code != SUCCESS => {
            let message = env.message.unwrap_or_default();
            let mut kind = error_kind(code, &message);
            if raw.status == 429 {
                kind = ErrorKind::RateLimited;
            } else if kind == ErrorKind::Other && raw.status >= 500 {
                kind = ErrorKind::Server;
            } else if kind == ErrorKind::Other && raw.status == 401 {
                kind = ErrorKind::Auth;
            }
            Err(Error::from(ApiError {
                platform: "tiktok",
                endpoint: ep.name.into(),
                code,
                sub_code: None,
                message,
                sub_message: None,
                request_id: env.request_id.filter(|s| !s.is_empty()),
                kind,
                http_status: raw.status,
                retry_after: raw.retry_after,
            }))
        }
        // No code, or "success" with an HTTP error status: not the platform's envelope.
        _ if raw.status >= 400 => Err(http(&raw)),
        _ => Err(Error::decode(
            ep.name,
            "the envelope has no `code`",
            &raw.body,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::HttpMethod;

    const SECRET: &str = "e59af819cc";
    const CIPHER: &str = "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK";

    /// A stand-in for the generated `product.search` (page_size in the query, status in the body).
    #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Search {
        #[serde(skip_serializing)]
        page_size: i32,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    }

    impl ApiRequest for Search {
        type Response = serde_json::Value;
        type Platform = Tiktok;
        const ENDPOINT: &'static Endpoint = &Endpoint {
            platform: "tiktok",
            module: "product",
            name: "product.search",
            method: HttpMethod::Post,
            path: "/product/202309/products/search",
            summary: "",
            doc_url: "",
            flags: Flags::IDEMPOTENT,
            deprecated: false,
            has_data: false,
            required: &[],
        };
        fn write_query(&self, q: &mut Query) {
            q.push("page_size", &self.page_size);
        }
    }

    /// A stand-in for `authorization.shops` (GET, no cipher, empty body).
    #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Shops {}

    impl ApiRequest for Shops {
        type Response = serde_json::Value;
        type Platform = Tiktok;
        const ENDPOINT: &'static Endpoint = &Endpoint {
            platform: "tiktok",
            module: "authorization",
            name: "authorization.shops",
            method: HttpMethod::Get,
            path: "/authorization/202309/shops",
            summary: "",
            doc_url: "",
            flags: Flags::NO_SHOP_CIPHER,
            deprecated: false,
            has_data: false,
            required: &[],
        };
    }

    /// A stand-in for `product.upload_image`.
    #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Upload {
        data: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        use_case: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        width: Option<i32>,
    }

    impl ApiRequest for Upload {
        type Response = serde_json::Value;
        type Platform = Tiktok;
        const ENDPOINT: &'static Endpoint = &Endpoint {
            platform: "tiktok",
            module: "product",
            name: "product.upload_image",
            method: HttpMethod::Post,
            path: "/product/202309/images/upload",
            summary: "",
            doc_url: "",
            flags: Flags::NO_SHOP_CIPHER.with(Flags::MULTIPART),
            deprecated: false,
            has_data: false,
            required: &["data"],
        };
    }

    fn client(app_key: &str) -> Client {
        Client::builder(app_key, SECRET).build().unwrap()
    }

    fn query(p: &PreparedRequest) -> Vec<(String, String)> {
        p.url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
        q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    #[test]
    fn prepared_product_search_matches_the_documented_sign() {
        let shop = client("68xu9ks5p4i8")
            .with_access_token("TTP_token")
            .with_shop_cipher(CIPHER);
        let req = Search {
            page_size: 20,
            status: Some("ACTIVATE".into()),
        };
        let mut own = Query::new();
        req.write_query(&mut own);
        let body = json_body(&req).unwrap();
        assert_eq!(body.as_deref(), Some(&br#"{"status":"ACTIVATE"}"#[..]));
        let p = shop
            .prepare_raw(
                Search::ENDPOINT,
                &req.path(),
                &own,
                &Payload::Json(body),
                Some(&Secret::new("TTP_token")),
                1696909648,
            )
            .unwrap();
        let q = query(&p);
        assert_eq!(
            get(&q, "sign"),
            Some("6a308ae0aea3dbf0f8fb6eb57604e820b84446f2581d3fd663f18b407669b36e")
        );
        assert_eq!(get(&q, "shop_cipher"), Some(CIPHER));
        assert_eq!(get(&q, "page_size"), Some("20"));
        assert_eq!(get(&q, "access_token"), None);
        assert_eq!(p.url.path(), "/product/202309/products/search");
        assert_eq!(
            p.headers,
            vec![(ACCESS_TOKEN_HEADER.to_owned(), "TTP_token".to_owned())]
        );
        assert_eq!(p.body, Body::Json(br#"{"status":"ACTIVATE"}"#.to_vec()));
        assert_eq!(p.method, HttpMethod::Post);
        // The dry-run print masks the token and the sign.
        let printed = p.to_string();
        assert!(
            !printed.contains("TTP_token") && !printed.contains("6a308ae0aea3dbf0"),
            "{printed}"
        );
    }

    #[test]
    fn prepared_get_has_no_body_and_no_cipher() {
        let shop = client("29a39d")
            .with_access_token("TTP_token")
            .with_shop_cipher(CIPHER);
        let req = Shops {};
        let body = json_body(&req).unwrap();
        assert_eq!(body, None);
        let p = shop
            .prepare_raw(
                Shops::ENDPOINT,
                &req.path(),
                &Query::new(),
                &Payload::Json(body),
                Some(&Secret::new("TTP_token")),
                1623812664,
            )
            .unwrap();
        let q = query(&p);
        assert_eq!(
            get(&q, "sign"),
            Some("b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8")
        );
        assert_eq!(get(&q, "shop_cipher"), None);
        assert_eq!(p.body, Body::Empty);
    }

    #[test]
    fn missing_token_or_cipher_is_refused_before_sending() {
        let c = client("k");
        let err = c
            .prepare_raw(
                Shops::ENDPOINT,
                "/authorization/202309/shops",
                &Query::new(),
                &Payload::Json(None),
                None,
                1,
            )
            .unwrap_err();
        assert!(err.to_string().contains("with_access_token"), "{err}");
        let err = c
            .with_access_token("t")
            .prepare_raw(
                Search::ENDPOINT,
                "/product/202309/products/search",
                &Query::new(),
                &Payload::Json(None),
                Some(&Secret::new("t")),
                1,
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidParam);
        assert!(err.to_string().contains("with_shop_cipher"), "{err}");
    }

    #[test]
    fn multipart_fields_become_text_parts_and_files_replace_them() {
        let req = Upload {
            data: String::new(),
            use_case: Some("MAIN_IMAGE".into()),
            width: Some(3),
        };
        let file = Part {
            name: "data".into(),
            file_name: Some("a.png".into()),
            content_type: Some("image/png".into()),
            data: vec![1, 2],
        };
        let parts = multipart_parts(&req, vec![file.clone()]).unwrap();
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["use_case", "width", "data"]);
        assert_eq!(parts[0].data, b"MAIN_IMAGE");
        assert_eq!(parts[1].data, b"3");
        assert_eq!(parts[2], file);
        let err = multipart_parts(&req, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("`data`"), "{err}");
    }

    #[test]
    fn error_kinds() {
        assert_eq!(error_kind(105002, ""), ErrorKind::TokenExpired);
        assert_eq!(error_kind(106001, ""), ErrorKind::InvalidSign);
        assert_eq!(error_kind(106013, ""), ErrorKind::InvalidParam);
        assert_eq!(error_kind(105005, ""), ErrorKind::Permission);
        assert_eq!(error_kind(36009033, ""), ErrorKind::IpNotAllowed);
        assert_eq!(error_kind(36004004, ""), ErrorKind::Auth);
        assert_eq!(error_kind(36009002, ""), ErrorKind::RateLimited);
        assert_eq!(error_kind(36009007, ""), ErrorKind::Timeout);
        assert_eq!(
            error_kind(
                36009004,
                "Unexpected identifier. The `shop_cipher` query parameter is not required"
            ),
            ErrorKind::InvalidParam
        );
        assert_eq!(
            error_kind(
                36009004,
                "Missing credentials. The request does not include a required signature"
            ),
            ErrorKind::InvalidSign
        );
        assert_eq!(
            error_kind(
                36009004,
                "Invalid timestamp. The value of the `timestamp` query parameter"
            ),
            ErrorKind::InvalidSign
        );
        assert_eq!(
            error_kind(
                36009004,
                "Invalid credentials. The `x-tts-access-token` header is invalid."
            ),
            ErrorKind::Auth
        );
        assert_eq!(
            error_kind(
                36009004,
                "Invalid credentials. Invalid `app_key` query parameter."
            ),
            ErrorKind::Auth
        );
        assert_eq!(
            error_kind(12052024, "Category is not final category"),
            ErrorKind::Other
        );
    }

    #[test]
    fn envelope_parsing() {
        let raw = |status: u16, body: &str| RawResponse {
            status,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        };
        let ok: ApiResponse<serde_json::Value> = parse(
            Shops::ENDPOINT,
            raw(
                200,
                r#"{"code":0,"message":"Success","request_id":"r1","data":{"a":1}}"#,
            ),
        )
        .unwrap();
        assert_eq!(ok.request_id.as_deref(), Some("r1"));
        assert_eq!(ok.data["a"], 1);
        let e = parse::<serde_json::Value>(
            Shops::ENDPOINT,
            raw(
                401,
                r#"{"code":106001,"message":"bad sign","request_id":"r2"}"#,
            ),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSign);
        assert_eq!(e.api().unwrap().http_status, 401);
        let e = parse::<serde_json::Value>(
            Shops::ENDPOINT,
            raw(429, r#"{"code":1,"message":"slow down"}"#),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let e = parse::<serde_json::Value>(Shops::ENDPOINT, raw(502, "<html>bad gateway</html>"))
            .unwrap_err();
        assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
        let e = parse::<serde_json::Value>(Shops::ENDPOINT, raw(200, "not json")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    #[test]
    fn undecodable_token_responses_withhold_the_body() {
        let body = r#"{"code":0,"data":{"access_token":"TTP_secret_access","user_type":{"x":"TTP_secret_2"}}}"#;
        let raw = RawResponse {
            status: 200,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        };
        let e = parse::<TokenInfo>(&TOKEN_GET, raw)
            .map_err(withhold_tokens)
            .unwrap_err();
        let text = format!("{e} {e:?}");
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(
            text.contains("data.user_type") && !text.contains("TTP_secret"),
            "{text}"
        );
    }

    #[test]
    fn authorization_links() {
        assert_eq!(
            authorization_url("7310000000000000001", "a b&c", true),
            "https://services.us.tiktokshop.com/open/authorize?service_id=7310000000000000001&state=a+b%26c"
        );
        assert_eq!(
            authorization_url("1", "", false),
            "https://services.tiktokshop.com/open/authorize?service_id=1"
        );
    }

    #[test]
    fn token_info_never_prints_tokens() {
        let t: TokenInfo = serde_json::from_str(
            r#"{"access_token":"TTP_secret_access","access_token_expire_in":"1700000000","refresh_token":"TTP_secret_refresh",
                "refresh_token_expire_in":1800000000,"open_id":"o1","seller_name":"S","seller_base_region":"GB","user_type":0,
                "granted_scopes":["seller.order.info"]}"#,
        )
        .unwrap();
        assert_eq!(t.access_token_expire_in, 1700000000);
        let printed = format!("{t:?}");
        assert!(!printed.contains("TTP_secret"), "{printed}");
        let token = t.to_token();
        assert_eq!(token.expires_at, 1700000000);
        assert_eq!(token.extra.get("open_id").map(String::as_str), Some("o1"));
        assert_eq!(token.scope.as_deref(), Some("seller.order.info"));
    }
}
