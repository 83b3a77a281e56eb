//! The Doudian client: one per app, serving many shops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::Instrument;

pub use super::sign::SignMethod;
use super::token::{GrantType, TokenCreateRequest, TokenRefreshRequest};
use crate::Error;
use crate::runtime::http::{Body, PreparedRequest, RawResponse, Transport, with_retry};
use crate::runtime::{
    ApiError, ApiRequest, ApiResponse, Endpoint, ErrorKind, Flags, HttpConfig, HttpMethod,
    MemoryStore, Query, Result, RetryPolicy, Secret, Token, TokenManager, TokenStore, de,
    decode_data, json,
};

/// The platform marker of Doudian requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doudian {}

/// Production host.
pub const BASE_URL: &str = "https://openapi-fxg.jinritemai.com";
/// Sandbox host.
pub const SANDBOX_URL: &str = "https://openapi-sandbox.jinritemai.com";
/// The protocol version sent as `v`.
pub const VERSION: &str = "2";
/// The success code of the envelope.
pub const SUCCESS: i64 = 10000;

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    app_key: String,
    app_secret: Secret,
    sign_method: SignMethod,
    http: HttpConfig,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    self_use: bool,
}

impl ClientBuilder {
    /// Use the sandbox host.
    pub fn sandbox(mut self, on: bool) -> Self {
        self.http.base_url = if on { SANDBOX_URL } else { BASE_URL }.to_owned();
        self
    }

    /// Send calls to `url` instead (a local test server, a proxy).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.http.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The signing method (default HMAC-SHA256).
    pub fn sign_method(mut self, m: SignMethod) -> Self {
        self.sign_method = m;
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

    /// Keep shop tokens in `store` (default: in memory). Use a [`crate::runtime::JsonFileStore`]
    /// or your own database so tokens survive restarts.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Refresh tokens this long before they expire (default 30 minutes; Doudian hands out a new
    /// pair only in the last hour of a token's life).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// A self-use app (自用型应用): a shop without a stored token gets one with
    /// `token.create` (`grant_type=authorization_self`). Tool apps (工具型应用, the default)
    /// must exchange an authorization code first ([`Client::exchange_code`]).
    pub fn self_use(mut self, on: bool) -> Self {
        self.self_use = on;
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
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        Ok(Client {
            inner: Arc::new(Inner {
                app_key: self.app_key,
                app_secret: self.app_secret,
                sign_method: self.sign_method,
                transport,
                tokens: TokenManager::new(store, self.refresh_margin),
                self_use: self.self_use,
            }),
            scope: Scope::App,
        })
    }
}

#[derive(Debug)]
struct Inner {
    app_key: String,
    app_secret: Secret,
    sign_method: SignMethod,
    transport: Transport,
    tokens: TokenManager,
    self_use: bool,
}

/// Whom a handle calls as.
#[derive(Debug, Clone)]
enum Scope {
    /// The app alone: only `no_token` endpoints (token calls) work.
    App,
    /// A fixed access token.
    Token(Secret),
    /// A shop whose token the client keeps in its token store.
    Shop(String),
}

/// A Doudian client. Cheap to clone: clones share the connection pool and the token store. One
/// client serves many shops: [`Client::shop`] gives a handle that calls as one shop with the token
/// the client keeps for it (fetched, refreshed ahead of expiry, refreshed and retried once when the
/// platform says it expired); [`Client::with_access_token`] a handle with a token you manage.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    scope: Scope,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, deserialize_with = "de::lenient")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient")]
    msg: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    sub_code: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    sub_msg: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    log_id: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    err_no: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient")]
    message: Option<String>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
}

/// The category of a Doudian error code.
pub fn error_kind(code: i64, sub_code: &str) -> ErrorKind {
    let sub = sub_code.to_ascii_lowercase();
    if sub.contains("access-token-expired") || sub.contains("access_token_expired") {
        return ErrorKind::TokenExpired;
    }
    if sub.contains("sign") {
        return ErrorKind::InvalidSign;
    }
    match code {
        40003 => ErrorKind::Auth,
        30001 | 30002 => ErrorKind::Permission,
        40001 | 40002 | 40004 => ErrorKind::InvalidParam,
        60000 => ErrorKind::RateLimited,
        20000 | 20001 => ErrorKind::Server,
        70000 => ErrorKind::Offline,
        _ => ErrorKind::Other,
    }
}

impl Client {
    /// Start building a client of the app `app_key` / `app_secret`.
    pub fn builder(app_key: impl Into<String>, app_secret: impl Into<Secret>) -> ClientBuilder {
        ClientBuilder {
            app_key: app_key.into(),
            app_secret: app_secret.into(),
            sign_method: SignMethod::default(),
            http: HttpConfig::new(BASE_URL),
            store: None,
            refresh_margin: Duration::from_secs(30 * 60),
            self_use: false,
        }
    }

    /// A handle that calls with `token` (one shop's access token, managed by you).
    pub fn with_access_token(&self, token: impl Into<Secret>) -> Client {
        Client {
            inner: self.inner.clone(),
            scope: Scope::Token(token.into()),
        }
    }

    /// A handle that calls as the shop `shop_id`, with the token the client keeps for it.
    pub fn shop(&self, shop_id: impl Into<String>) -> Client {
        Client {
            inner: self.inner.clone(),
            scope: Scope::Shop(shop_id.into()),
        }
    }

    /// The token store's key of a shop.
    pub fn token_key(shop_id: &str) -> String {
        format!("doudian:{shop_id}")
    }

    /// Tool apps: exchange the authorization `code` from the callback for a token, keep it under
    /// the shop it names, and return it (`extra["shop_id"]`, `extra["shop_name"]`).
    pub async fn exchange_code(&self, code: &str) -> Result<Token> {
        let req = TokenCreateRequest {
            code: code.to_owned(),
            grant_type: GrantType::AuthorizationCode,
            ..Default::default()
        };
        let resp = self.send(&req, None).await?.data;
        let token = to_token(
            resp.access_token,
            resp.expires_in,
            resp.refresh_token,
            resp.scope,
            resp.shop_id,
            resp.shop_name,
        );
        let shop = token.extra.get("shop_id").cloned().unwrap_or_default();
        if shop.is_empty() {
            return Err(Error::Token(
                "token.create answered without a shop_id".into(),
            ));
        }
        self.inner
            .tokens
            .put(&Self::token_key(&shop), &token)
            .await?;
        Ok(token)
    }

    /// The token the client keeps for `shop_id`, fetched or refreshed when needed.
    pub async fn shop_token(&self, shop_id: &str) -> Result<Token> {
        self.shop_token_inner(shop_id, None).await
    }

    async fn shop_token_inner(&self, shop_id: &str, stale: Option<&Secret>) -> Result<Token> {
        let key = Self::token_key(shop_id);
        self.inner
            .tokens
            .get(&key, stale, |current| async move {
                match current.and_then(|t| t.refresh_token.clone().map(|r| (r, t.extra))) {
                    Some((refresh, old_extra)) => {
                        let req = TokenRefreshRequest {
                            refresh_token: refresh.expose().to_owned(),
                            grant_type: GrantType::RefreshToken,
                        };
                        let r = self.send(&req, None).await?.data;
                        let mut t = to_token(r.access_token, r.expires_in, r.refresh_token, r.scope, r.shop_id, r.shop_name);
                        for (k, v) in old_extra {
                            t.extra.entry(k).or_insert(v);
                        }
                        Ok(t)
                    }
                    None if self.inner.self_use => {
                        let req = TokenCreateRequest {
                            code: String::new(),
                            grant_type: GrantType::AuthorizationSelf,
                            shop_id: Some(shop_id.to_owned()),
                            ..Default::default()
                        };
                        let r = self.send(&req, None).await?.data;
                        Ok(to_token(r.access_token, r.expires_in, r.refresh_token, r.scope, r.shop_id, r.shop_name))
                    }
                    None => Err(Error::Token(format!(
                        "no token for shop {shop_id}: a tool app must exchange the seller's authorization code first (Client::exchange_code)"
                    ))),
                }
            })
            .await
    }

    async fn token_for(&self, ep: &Endpoint) -> Result<Option<Secret>> {
        if ep.flags.contains(Flags::NO_TOKEN) {
            return Ok(None);
        }
        match &self.scope {
            Scope::Token(t) => Ok(Some(t.clone())),
            Scope::Shop(id) => Ok(Some(self.shop_token_inner(id, None).await?.access_token)),
            Scope::App => Err(Error::InvalidRequest {
                endpoint: ep.name.into(),
                message: "this call needs a shop: call it on `client.shop(shop_id)` or `client.with_access_token(..)`".into(),
            }),
        }
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.transport.config.base_url
    }

    /// The pages of a paginated request, fetched on demand with this handle:
    /// `while let Some(page) = pages.next().await? { .. }` (see [`crate::runtime::Pages`]).
    #[allow(clippy::type_complexity)]
    pub fn pages<R>(
        &self,
        req: R,
    ) -> crate::runtime::Pages<R, impl FnMut(R) -> crate::runtime::PageFuture<R::Response> + use<R>>
    where
        R: crate::runtime::Paginated<Platform = Doudian> + 'static,
    {
        let client = self.clone();
        crate::runtime::Pages::new(req, move |r: R| {
            let client = client.clone();
            Box::pin(async move { client.execute(&r).await })
                as crate::runtime::PageFuture<R::Response>
        })
    }

    /// Call any endpoint: `client.execute(&OrderSearchListRequest { .. })`.
    pub async fn execute<R: ApiRequest<Platform = Doudian>>(&self, req: &R) -> Result<R::Response> {
        self.execute_full(req).await.map(|r| r.data)
    }

    /// Call any endpoint and keep the envelope's log id.
    pub async fn execute_full<R: ApiRequest<Platform = Doudian>>(
        &self,
        req: &R,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        let token = self.token_for(ep).await?;
        match self.send(req, token.as_ref()).await {
            Err(e) if e.kind() == ErrorKind::TokenExpired => {
                let Scope::Shop(shop) = &self.scope else {
                    return Err(e);
                };
                tracing::info!(
                    method = ep.name,
                    "access token expired: refreshing once and retrying"
                );
                let fresh = self.shop_token_inner(shop, token.as_ref()).await?;
                self.send(req, Some(&fresh.access_token)).await
            }
            other => other,
        }
    }

    /// Send `req` with `token` (signing afresh on each retry), without token management.
    async fn send<R: ApiRequest<Platform = Doudian>>(
        &self,
        req: &R,
        token: Option<&Secret>,
    ) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        let param_json = json::to_canonical(req).map_err(|e| Error::InvalidRequest {
            endpoint: ep.name.into(),
            message: e.to_string(),
        })?;
        let span = tracing::info_span!(
            "doudian",
            method = ep.name,
            log_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty
        );
        let started = Instant::now();
        let inner = &self.inner;
        let result = with_retry(&inner.transport.config.retry, ep, |_| {
            let param_json = &param_json;
            async move {
                let prepared =
                    self.prepare_raw(ep, param_json, token, crate::runtime::unix_now())?;
                let raw = inner.transport.send(ep.name, &prepared).await?;
                parse::<R::Response>(ep, raw)
            }
        })
        .instrument(span.clone())
        .await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(r) => {
                span.record("log_id", r.request_id.as_deref().unwrap_or_default());
            }
            Err(e) => {
                if let Some(id) = e.api().and_then(|a| a.request_id.as_deref()) {
                    span.record("log_id", id);
                }
                tracing::debug!(parent: &span, error = %e, "call failed");
            }
        }
        result
    }

    /// The signed request `execute` would send now, without sending it (`--dry-run`).
    pub async fn prepare<R: ApiRequest<Platform = Doudian>>(
        &self,
        req: &R,
    ) -> Result<PreparedRequest> {
        let ep = R::ENDPOINT;
        let param_json = json::to_canonical(req).map_err(|e| Error::InvalidRequest {
            endpoint: ep.name.into(),
            message: e.to_string(),
        })?;
        let token = self.token_for(ep).await?;
        self.prepare_raw(ep, &param_json, token.as_ref(), crate::runtime::unix_now())
    }

    /// Sign `param_json` for `ep` at `timestamp`.
    pub fn prepare_raw(
        &self,
        ep: &Endpoint,
        param_json: &str,
        token: Option<&Secret>,
        timestamp: i64,
    ) -> Result<PreparedRequest> {
        let inner = &self.inner;
        let ts = timestamp.to_string();
        let sign = super::sign::sign(
            inner.sign_method,
            &inner.app_key,
            inner.app_secret.expose(),
            ep.name,
            param_json,
            &ts,
            VERSION,
        );
        let mut q = Query::new();
        q.push("app_key", inner.app_key.as_str());
        q.push("method", ep.name);
        if let Some(token) = token.filter(|_| !ep.flags.contains(Flags::NO_TOKEN)) {
            q.push("access_token", token.expose());
        }
        q.push("timestamp", ts.as_str());
        q.push("v", VERSION);
        q.push("sign", sign.as_str());
        if let Some(m) = inner.sign_method.query_value() {
            q.push("sign_method", m);
        }
        let url = inner.transport.url(ep.name, ep.path, &q)?;
        Ok(PreparedRequest {
            method: HttpMethod::Post,
            url,
            headers: vec![("x-open-no-old-err-code".into(), "1".into())],
            body: Body::Json(param_json.as_bytes().to_vec()),
            secret_names: &["access_token", "sign"],
        })
    }
}

fn to_token(
    access_token: String,
    expires_in: i64,
    refresh_token: String,
    scope: Option<String>,
    shop_id: Option<String>,
    shop_name: Option<String>,
) -> Token {
    let now = crate::runtime::unix_now();
    let mut extra = std::collections::BTreeMap::new();
    if let Some(id) = shop_id.filter(|s| !s.is_empty()) {
        extra.insert("shop_id".to_owned(), id);
    }
    if let Some(n) = shop_name.filter(|s| !s.is_empty()) {
        extra.insert("shop_name".to_owned(), n);
    }
    Token {
        access_token: Secret::new(access_token),
        expires_at: now + expires_in,
        refresh_token: (!refresh_token.is_empty()).then(|| Secret::new(refresh_token)),
        // Refresh tokens last 14 days.
        refresh_expires_at: Some(now + 14 * 24 * 3600),
        scope,
        extra,
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    ep: &Endpoint,
    raw: RawResponse,
) -> Result<ApiResponse<T>> {
    let env: Envelope<'_> = match serde_json::from_slice(&raw.body) {
        Ok(env) => env,
        Err(e) if raw.status >= 400 => {
            let _ = e;
            return Err(Error::Http {
                endpoint: ep.name.into(),
                status: raw.status,
                body: crate::runtime::error_snippet(&raw.body),
                retry_after: raw.retry_after,
            });
        }
        Err(e) => return Err(Error::decode(ep.name, e, &raw.body)),
    };
    let code = env
        .code
        .or(env.err_no.map(|n| if n == 0 { SUCCESS } else { n }));
    match code {
        Some(SUCCESS) => Ok(ApiResponse {
            data: decode_data(ep, env.data, &raw.body)?,
            request_id: env.log_id,
            http_status: raw.status,
        }),
        Some(code) => {
            let sub_code = env.sub_code.filter(|s| !s.is_empty());
            let mut kind = error_kind(code, sub_code.as_deref().unwrap_or_default());
            if raw.status == 429 {
                kind = ErrorKind::RateLimited;
            }
            Err(Error::from(ApiError {
                platform: "doudian",
                endpoint: ep.name.into(),
                code,
                sub_code,
                message: env.msg.or(env.message).unwrap_or_default(),
                sub_message: env.sub_msg.filter(|s| !s.is_empty()),
                request_id: env.log_id,
                kind,
                http_status: raw.status,
                retry_after: raw.retry_after,
            }))
        }
        None if raw.status >= 400 => Err(Error::Http {
            endpoint: ep.name.into(),
            status: raw.status,
            body: crate::runtime::error_snippet(&raw.body),
            retry_after: raw.retry_after,
        }),
        None => Err(Error::decode(
            ep.name,
            "the envelope has no `code`",
            &raw.body,
        )),
    }
}
