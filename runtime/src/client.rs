//! The one client core every platform plugs into.
//!
//! A call runs the same way on every platform:
//!
//! 1. **serialize** (the only step generic in the request type): the request's body fields,
//!    written once as canonical JSON ([`json::to_canonical_vec`]: no tree, no sort), its own query
//!    parameters and its path become a [`Call`];
//! 2. the platform **encodes** the body ([`Platform::encode_canonical`], or [`Platform::encode`]
//!    for fields built at run time: canonical `param_json`, JSON, form or multipart);
//! 3. the platform says which **token** the call carries ([`Platform::token`]): none, the one the
//!    handle was given, or one the client keeps in its [`TokenStore`] and refreshes;
//! 4. each attempt is **signed** afresh ([`Platform::sign`]), **sent** by the [`Transport`] and its
//!    envelope **read** ([`Platform::parse`]), inside the [`RetryPolicy`];
//! 5. when the platform says a managed token expired, it is refreshed once (one refresh however
//!    many calls saw it) and the call is sent again;
//! 6. the envelope's `data` is **decoded** into the endpoint's response type, last.
//!
//! Steps 2 to 5 are compiled once per platform, not once per endpoint. Every call is traced in one
//! span schema: `call{platform, endpoint, request_id, attempt, status, latency_ms}`.
//! Every attempt is also told to the client's [observers](crate::observe), before it is sent and
//! after its answer is read.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::Instrument;

use super::checks::{self, Check};
use super::envelope::Envelope;
use super::http::{Body, Part, PreparedRequest, RawResponse, Transport, with_retry};
use super::observe::{Observer, Observers, RequestEvent, ResponseEvent};
use super::token::BoxFuture;
use super::{
    ApiRequest, ApiResponse, Endpoint, Error, ErrorEntry, ErrorKind, Flags, HttpConfig,
    MemoryStore, PageFuture, Pages, Paginated, Query, RateLimits, Result, RetryPolicy, Secret,
    TokenManager, TokenStore, decode_data, json, unix_now,
};

/// The facts of a platform that its `platform.yaml` states: hosts, protocol version, header names
/// and the success code. The generated crate writes one per platform and the client reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// `tiktok`, `doudian` or `douyin`.
    pub name: &'static str,
    /// The production host.
    pub base_url: &'static str,
    /// The sandbox host, when the platform has one.
    pub sandbox_url: Option<&'static str>,
    /// The host of the token calls, when it is not the API host.
    pub auth_url: Option<&'static str>,
    /// The sandbox host of the token calls.
    pub sandbox_auth_url: Option<&'static str>,
    /// The protocol version the runtime speaks.
    pub version: &'static str,
    /// The header an access token travels in, when it travels in a header.
    pub token_header: Option<&'static str>,
    /// The envelope's success code.
    pub success_code: i64,
    /// The endpoints the runtime itself calls (token calls), from the platform's `core` modules.
    pub endpoints: &'static [&'static Endpoint],
    /// The error catalogue (`errors:` of platform.yaml), from the official error tables.
    pub errors: &'static [ErrorEntry],
    /// Where the envelope carries the call's status and result (`envelope:` of platform.yaml),
    /// read by [`envelope::read`](crate::envelope::read).
    pub envelope: Envelope,
    /// The checks made before sending (`checks:` of platform.yaml), applied to every request.
    pub checks: &'static [Check],
}

impl Facts {
    /// The catalogue's row for an error envelope, if it has one.
    pub fn error_entry(
        &self,
        endpoint: &str,
        code: i64,
        sub_code: &str,
        message: &str,
    ) -> Option<&'static ErrorEntry> {
        ErrorEntry::lookup(self.errors, code, sub_code, message, endpoint)
    }

    /// The category of an error envelope and whether to try it again, one rule for every
    /// platform: the catalogue's row (its kind and its `retry`); HTTP 429 is `RateLimited`,
    /// retried; a code no row holds is `Server` with a 5xx status, `Auth` with 401, else `Other`.
    pub fn classify(
        &self,
        endpoint: &str,
        code: i64,
        sub_code: &str,
        message: &str,
        status: u16,
    ) -> (ErrorKind, bool) {
        if status == 429 {
            return (ErrorKind::RateLimited, true);
        }
        match self.error_entry(endpoint, code, sub_code, message) {
            Some(row) => (row.kind, row.retry),
            None if status >= 500 => (ErrorKind::Server, true),
            None if status == 401 => (ErrorKind::Auth, false),
            None => (ErrorKind::Other, false),
        }
    }

    /// The category of an error envelope, by the catalogue; [`ErrorKind::Other`] for a code the
    /// official tables do not hold.
    pub fn error_kind(
        &self,
        endpoint: &str,
        code: i64,
        sub_code: &str,
        message: &str,
    ) -> ErrorKind {
        self.error_entry(endpoint, code, sub_code, message)
            .map_or(ErrorKind::Other, |e| e.kind)
    }
    /// The header an access token travels in, on a platform that sends it in a header.
    pub fn require_token_header(&self) -> Result<&'static str> {
        self.token_header.ok_or_else(|| {
            Error::Token(format!(
                "the {} platform.yaml names no `token_header`",
                self.name
            ))
        })
    }

    /// The endpoint named `name` among those the runtime calls itself.
    pub fn endpoint(&self, name: &str) -> Result<&'static Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.name == name)
            .copied()
            .ok_or_else(|| Error::Token(format!("the {} spec has no `{name}` endpoint", self.name)))
    }
}

/// What differs between platforms; everything else is [`Client`]'s. Each method is called for
/// every endpoint of the platform, so none is generic in the request type.
pub trait Platform: Sized + Send + Sync + 'static {
    /// The platform's own settings (a sign method, a self-use app), set on its [`ClientBuilder`].
    type Options: Clone + fmt::Debug + Default + Send + Sync;

    /// The body of a call from body fields built at run time ([`Client::encode_fields`]: the CLI,
    /// the token calls; `null` members already left out) and the file parts of an upload.
    fn encode(ep: &Endpoint, fields: Value, files: Vec<Part>) -> Result<Body>;

    /// The body of a typed request ([`Client::encode`]) from its body fields written once as
    /// canonical JSON by [`json::to_canonical_vec`] (keys sorted at every depth, compact, `null`
    /// members left out: the bytes `json::canonical(&json::to_body(req))` gives, and the bytes
    /// `serde_json` writes of that tree), and the file parts of an upload. A platform whose body
    /// is that JSON sends it as it is; by default it is read back into the tree
    /// [`Platform::encode`] takes.
    fn encode_canonical(ep: &Endpoint, json: Vec<u8>, files: Vec<Part>) -> Result<Body> {
        let fields = serde_json::from_slice(&json).map_err(|e| invalid(ep, e.to_string()))?;
        Self::encode(ep, fields, files)
    }

    /// Which token a call to `ep` carries on `client`'s handle, decided without waiting.
    fn token_source(client: &Client<Self>, ep: &Endpoint) -> Result<TokenSource>;

    /// A token the client keeps ([`TokenSource::Kept`]): the stored one while fresh, else a
    /// new one. `stale` is one the platform just refused as expired: a new one is due.
    fn kept_token<'a>(
        client: &'a Client<Self>,
        ep: &'a Endpoint,
        owner: Option<&'a str>,
        stale: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<Secret>>;

    /// The request of one attempt, signed at `now` (Unix seconds).
    fn sign(
        client: &Client<Self>,
        call: &Call,
        token: Option<&Secret>,
        now: i64,
    ) -> Result<PreparedRequest>;

    /// Read the envelope: where `data` is and the request id, or the platform's error. Every
    /// platform's envelope is declared in its `platform.yaml` and read by the one reader
    /// ([`envelope::read`](crate::envelope::read)); a platform whose answers no declaration fits
    /// would read its own here.
    fn parse(facts: &Facts, ep: &Endpoint, raw: RawResponse) -> Result<Reply> {
        crate::envelope::read(facts, ep, raw)
    }
}

/// Which token a call carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// None (`no_token` endpoints).
    None,
    /// The token the handle was given, used as is.
    Given(Secret),
    /// A token the client keeps: its owner's (a shop, a seller, a user), or the app's own (`None`).
    /// An "expired" answer refreshes it once and the call is sent again.
    Kept(Option<String>),
}

/// A call ready for the platform: the endpoint, its filled path, its own query and its body.
#[derive(Debug, Clone)]
pub struct Call {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// The path with its placeholders filled (borrowed from the endpoint when it has none).
    pub path: Cow<'static, str>,
    /// The endpoint's own query parameters.
    pub query: Query,
    /// The encoded body.
    pub body: Body,
}

/// A successful envelope: the raw body, where its `data` is, and what was said around it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status.
    pub http_status: u16,
    /// The platform's log id / request id.
    pub request_id: Option<String>,
    /// The envelope's `extra` object, on a platform whose envelope has one (Douyin).
    pub extra: Option<Value>,
    body: Vec<u8>,
    data: Option<Range<usize>>,
}

impl Reply {
    /// A reply whose `data` is the JSON text at `data` in the body (see [`span_of`]).
    pub fn new(raw: RawResponse, data: Option<Range<usize>>, request_id: Option<String>) -> Reply {
        Reply {
            http_status: raw.status,
            request_id,
            extra: None,
            body: raw.body,
            data,
        }
    }

    /// The JSON text of `data`, when the envelope has one.
    pub fn data(&self) -> Option<&str> {
        let range = self.data.clone()?;
        std::str::from_utf8(&self.body[range]).ok()
    }

    /// The whole body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// `data` decoded into `T` (see [`decode_data`]).
    pub fn decode<T: serde::de::DeserializeOwned>(&self, ep: &Endpoint) -> Result<ApiResponse<T>> {
        Ok(ApiResponse {
            data: decode_data(ep, self.data(), &self.body)?,
            request_id: self.request_id.clone(),
            http_status: self.http_status,
            extra: self.extra.clone(),
        })
    }
}

/// Where `value`, borrowed from `body` by the envelope's decoder, sits in `body`.
pub fn span_of(body: &[u8], value: &serde_json::value::RawValue) -> Option<Range<usize>> {
    let text = value.get();
    let from = (text.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    (from + text.len() <= body.len()).then(|| from..from + text.len())
}

/// Whom a handle calls as. Each platform names its own handles (`doudian::Client::shop`,
/// `tiktok::Client::seller`, `douyin::Client::user`); they all set one of these.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Scope {
    /// A token given by the caller, used as is.
    pub token: Option<Secret>,
    /// Whose token the client keeps (a shop id, a seller's or a user's open id).
    pub owner: Option<String>,
    /// TikTok Shop: the shop cipher of shop-scoped calls.
    pub shop_cipher: Option<String>,
    /// The whole-request timeout of this handle's calls, instead of the client's.
    pub timeout: Option<Duration>,
}

/// Builds a [`Client`] of platform `P`, or of `C`, a client type wrapping it (each platform's
/// `shop_api::<platform>::Client`).
pub struct ClientBuilder<P: Platform, C = Client<P>> {
    facts: &'static Facts,
    key: String,
    secret: Secret,
    http: HttpConfig,
    auth_url: Option<String>,
    sandbox: bool,
    store: Option<Arc<dyn TokenStore>>,
    refresh_margin: Duration,
    refresh_lease: Duration,
    token_cache: Duration,
    limits: RateLimits,
    observers: Observers,
    /// The platform's own settings.
    pub options: P::Options,
    output: PhantomData<fn() -> C>,
}

impl<P: Platform, C> Clone for ClientBuilder<P, C> {
    fn clone(&self) -> Self {
        ClientBuilder {
            facts: self.facts,
            key: self.key.clone(),
            secret: self.secret.clone(),
            http: self.http.clone(),
            auth_url: self.auth_url.clone(),
            sandbox: self.sandbox,
            store: self.store.clone(),
            refresh_margin: self.refresh_margin,
            refresh_lease: self.refresh_lease,
            token_cache: self.token_cache,
            limits: self.limits.clone(),
            observers: self.observers.clone(),
            options: self.options.clone(),
            output: PhantomData,
        }
    }
}

impl<P: Platform, C> fmt::Debug for ClientBuilder<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("platform", &self.facts.name)
            .field("key", &self.key)
            .field("secret", &self.secret)
            .field("http", &self.http)
            .field("options", &self.options)
            .field("observers", &self.observers.len())
            .finish_non_exhaustive()
    }
}

impl<P: Platform, C: From<Client<P>>> ClientBuilder<P, C> {
    /// A builder of the app `key` / `secret` on the platform `facts` describes, refreshing
    /// tokens `refresh_margin` ahead of their expiry.
    pub fn new(
        facts: &'static Facts,
        key: impl Into<String>,
        secret: impl Into<Secret>,
        refresh_margin: Duration,
    ) -> Self {
        ClientBuilder {
            facts,
            key: key.into(),
            secret: secret.into(),
            http: HttpConfig::new(facts.base_url),
            auth_url: facts.auth_url.map(str::to_owned),
            sandbox: false,
            store: None,
            refresh_margin,
            refresh_lease: crate::DEFAULT_REFRESH_LEASE,
            token_cache: crate::token::DEFAULT_TOKEN_CACHE,
            limits: RateLimits::default(),
            observers: Observers::default(),
            options: P::Options::default(),
            output: PhantomData,
        }
    }

    /// Use the platform's sandbox hosts. A platform without one refuses to build.
    pub fn sandbox(mut self, on: bool) -> Self {
        self.sandbox = on;
        let f = self.facts;
        let (base, auth) = if on {
            (f.sandbox_url.unwrap_or(f.base_url), f.sandbox_auth_url)
        } else {
            (f.base_url, f.auth_url)
        };
        self.http.base_url = base.to_owned();
        self.auth_url = auth.or(f.auth_url).map(str::to_owned);
        self
    }

    /// Send calls to `url` instead (a local test server, a proxy).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.http.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Send token calls to `url` instead, on a platform whose token calls have a host of their own.
    pub fn auth_base_url(mut self, url: impl Into<String>) -> Self {
        self.auth_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// The whole-request timeout (default 30 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.http.timeout = t;
        self
    }

    /// The `User-Agent` header (default `shop-api-rust/<version>`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.http.user_agent = agent.into();
        self
    }

    /// Send through `client`, a `reqwest::Client` of your own (a shared connection pool, custom
    /// TLS, middleware): the timeouts and user agent set here apply per request; the proxy and TLS
    /// settings are the client's.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http.client = Some(client);
        self
    }

    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.http.connect_timeout = t;
        self
    }

    /// An HTTP(S) proxy.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.http.proxy = Some(url.into());
        self
    }

    /// The retry policy (see [`crate::http`] for what is retried).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.http.retry = policy;
        self
    }

    /// Keep tokens in `store` (default: in memory). Use a [`crate::JsonFileStore`] (one
    /// machine), a `PostgresStore` or a `RedisStore` (features `postgres`, `redis`: many
    /// machines), or your own, so tokens survive restarts and the processes of one app share them
    /// and refresh each token once.
    pub fn token_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Refresh managed tokens this long before they expire.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Keep to `limits` (per app, per shop, per endpoint): a call waits until it would. Off by
    /// default; a platform's rate-limit answer is backed off either way.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// How long a refresh lease in the token store lasts (default
    /// [`crate::DEFAULT_REFRESH_LEASE`]): the longest a worker that dies mid-refresh holds the
    /// others back. Keep it above the time a token call takes (the timeout).
    pub fn refresh_lease(mut self, lease: Duration) -> Self {
        self.refresh_lease = lease;
        self
    }

    /// How long the client uses a fresh token it read from the store before reading the store
    /// again (default [`crate::token::DEFAULT_TOKEN_CACHE`]; zero reads it on every call). See
    /// [`TokenManager::with_cache`].
    pub fn token_cache(mut self, cache_for: Duration) -> Self {
        self.token_cache = cache_for;
        self
    }

    /// Tell `observer` of every HTTP attempt of this client's calls, before it is sent and after
    /// its answer is read: the endpoint, the attempt's number, the owner, then the status, the
    /// latency, the error's kind and the request id, never a secret (see [`crate::observe`]).
    /// Every handle of the client runs it, on every platform, token calls included. Call it again
    /// to add another observer: all run, in the order set.
    ///
    /// ```ignore
    /// let metrics = Arc::new(Metrics::default());        // impl Observer for Metrics
    /// let client = Client::builder(key, secret).observe(metrics.clone()).build()?;
    /// ```
    pub fn observe(mut self, observer: impl Observer) -> Self {
        self.observers.push(Arc::new(observer));
        self
    }

    /// Build the client.
    pub fn build(self) -> Result<C> {
        let refuse = |message: String| Error::InvalidRequest {
            endpoint: "client".into(),
            message,
        };
        if self.key.is_empty() || self.secret.is_empty() {
            return Err(refuse(
                "the app key and secret must not be empty".to_owned(),
            ));
        }
        if self.sandbox && self.facts.sandbox_url.is_none() {
            return Err(refuse(format!("{} has no sandbox host", self.facts.name)));
        }
        let transport = Transport::new(self.http)?;
        let store = self.store.unwrap_or_else(|| Arc::new(MemoryStore::new()));
        Ok(C::from(Client {
            inner: Arc::new(Inner {
                facts: self.facts,
                key: self.key,
                secret: self.secret,
                auth_url: self.auth_url,
                options: self.options,
                transport,
                environment: if self.sandbox {
                    "sandbox"
                } else {
                    "production"
                },
                limits: self.limits.ready(),
                observers: self.observers,
                tokens: TokenManager::new(store, self.refresh_margin)
                    .with_lease(self.refresh_lease)
                    .with_cache(self.token_cache),
                derived: OnceLock::new(),
            }),
            scope: Scope::default(),
        }))
    }
}

struct Inner<P: Platform> {
    facts: &'static Facts,
    key: String,
    secret: Secret,
    auth_url: Option<String>,
    options: P::Options,
    transport: Transport,
    /// `production` or `sandbox`: part of every token key.
    environment: &'static str,
    limits: RateLimits,
    observers: Observers,
    tokens: TokenManager,
    /// What the platform derives once from the app's key, secret and options (Doudian's signer,
    /// keyed with the secret): made on first use, kept for the client's life. Key material: it
    /// lives where the secret does, and is never printed.
    derived: OnceLock<Box<dyn Any + Send + Sync>>,
}

/// A client of one app on platform `P`. Cheap to clone: clones and handles share the connection
/// pool and the token store. One client serves many shops: each platform's handle methods give a
/// clone that calls as one shop, seller or user.
pub struct Client<P: Platform> {
    inner: Arc<Inner<P>>,
    scope: Scope,
}

impl<P: Platform> Clone for Client<P> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            scope: self.scope.clone(),
        }
    }
}

impl<P: Platform> fmt::Debug for Client<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("platform", &self.inner.facts.name)
            .field("key", &self.inner.key)
            .field("base_url", &self.inner.transport.config.base_url)
            .field("options", &self.inner.options)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The handle and accessor methods every platform shares.
impl<P: Platform> Client<P> {
    /// A handle that calls with `token`, an access token you manage yourself; it keeps this
    /// handle's shop cipher and timeout.
    pub fn with_access_token(&self, token: impl Into<Secret>) -> Self {
        self.with_scope(Scope {
            token: Some(token.into()),
            owner: None,
            ..self.scope.clone()
        })
    }

    /// A handle that calls as `owner` (a shop, a seller, a user) with the token the client keeps
    /// for it; it keeps this handle's shop cipher and timeout. Each platform names it
    /// (`doudian::Client::shop`, `tiktok::Client::seller`, `douyin::Client::user`).
    pub fn with_owner(&self, owner: impl Into<String>) -> Self {
        self.with_scope(Scope {
            token: None,
            owner: Some(owner.into()),
            ..self.scope.clone()
        })
    }

    /// A handle whose calls time out after `timeout` (the whole request), instead of the
    /// client's timeout: a slow report with a long one, a health check with a short one.
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut scope = self.scope.clone();
        scope.timeout = Some(timeout);
        self.with_scope(scope)
    }

    /// A handle with `scope`.
    pub fn with_scope(&self, scope: Scope) -> Self {
        Client {
            inner: self.inner.clone(),
            scope,
        }
    }

    /// Whom this handle calls as.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The platform's facts.
    pub fn facts(&self) -> &'static Facts {
        self.inner.facts
    }

    /// The app key (Douyin: the client key).
    pub fn app_key(&self) -> &str {
        &self.inner.key
    }

    /// The app secret.
    pub fn app_secret(&self) -> &Secret {
        &self.inner.secret
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.transport.config.base_url
    }

    /// The base URL token calls go to, on a platform whose token calls have a host of their own.
    pub fn auth_base_url(&self) -> &str {
        self.inner.auth_url.as_deref().unwrap_or(self.base_url())
    }

    /// What the platform derives once from the client's key, secret and options (a signer keyed
    /// with the secret), made by `make` on the first call and kept with the client. `None` if the
    /// client already keeps a value of another type (the platform asks for one type only).
    pub(crate) fn derived<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Option<&T> {
        self.inner
            .derived
            .get_or_init(|| Box::new(make()))
            .downcast_ref()
    }

    /// The platform's own settings.
    pub fn options(&self) -> &P::Options {
        &self.inner.options
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The token manager (the store, single-flight refresh).
    pub fn tokens(&self) -> &TokenManager {
        &self.inner.tokens
    }

    /// `production`, or `sandbox` for a client built with `sandbox(true)`.
    pub fn environment(&self) -> &'static str {
        self.inner.environment
    }

    /// The token store's key of `owner`'s token (a shop, a seller, a user, this app):
    /// `<platform>:<environment>:<app key>:<owner>`, so apps and environments that share a store
    /// never see each other's tokens.
    pub fn token_key(&self, owner: &str) -> String {
        format!("{}{owner}", self.token_prefix())
    }

    fn token_prefix(&self) -> String {
        format!(
            "{}:{}:{}:",
            self.inner.facts.name, self.inner.environment, self.inner.key
        )
    }

    /// The owners whose tokens the store keeps for this app and environment, sorted.
    pub async fn kept_owners(&self) -> Result<Vec<String>> {
        let prefix = self.token_prefix();
        let keys = self.inner.tokens.store().list(&prefix).await?;
        Ok(keys
            .into_iter()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    /// Remove `owner`'s token from the store (the shop or user revoked the app); whether there
    /// was one.
    pub async fn forget_owner(&self, owner: &str) -> Result<bool> {
        self.inner.tokens.forget(&self.token_key(owner)).await
    }
}

/// The calls, the same on every platform.
impl<P: Platform> Client<P> {
    /// Call any endpoint: `client.execute(&req)`.
    pub async fn execute<R: ApiRequest<Platform = P>>(&self, req: &R) -> Result<R::Response> {
        self.execute_full(req).await.map(|r| r.data)
    }

    /// Call any endpoint and keep the envelope's request id and the HTTP status.
    pub async fn execute_full<R: ApiRequest<Platform = P>>(
        &self,
        req: &R,
    ) -> Result<ApiResponse<R::Response>> {
        if R::ENDPOINT.flags.contains(Flags::MULTIPART) {
            return Err(invalid(R::ENDPOINT, "this endpoint uploads a file: call `client.execute_multipart(&req, vec![Part { .. }])` with the file part".into()));
        }
        let call = self.encode(req, Vec::new())?;
        self.call(&call).await?.decode(R::ENDPOINT)
    }

    /// Call an upload endpoint (flagged `multipart`): one text part per top-level field of `req`
    /// (strings as they are, numbers and booleans as text, lists and objects as JSON, `None` left
    /// out) and the parts in `files`; a file part replaces the text part of the same name. For
    /// TikTok's `product.upload_image`: `Part { name: "data".into(), file_name:
    /// Some("a.jpg".into()), content_type: Some("image/jpeg".into()), data: bytes }`.
    pub async fn execute_multipart<R: ApiRequest<Platform = P>>(
        &self,
        req: &R,
        files: Vec<Part>,
    ) -> Result<R::Response> {
        self.execute_multipart_full(req, files)
            .await
            .map(|r| r.data)
    }

    /// [`Client::execute_multipart`], keeping the envelope's request id.
    pub async fn execute_multipart_full<R: ApiRequest<Platform = P>>(
        &self,
        req: &R,
        files: Vec<Part>,
    ) -> Result<ApiResponse<R::Response>> {
        if !R::ENDPOINT.flags.contains(Flags::MULTIPART) {
            return Err(invalid(R::ENDPOINT, NOT_AN_UPLOAD.into()));
        }
        let call = self.encode(req, files)?;
        self.call(&call).await?.decode(R::ENDPOINT)
    }

    /// The signed request `execute` would send now, without sending it (`--dry-run`); printed, it
    /// masks tokens and signatures. An upload holds its text parts only. A managed token is fetched when none is kept, as `execute`
    /// would; nothing else is sent.
    pub async fn prepare<R: ApiRequest<Platform = P>>(&self, req: &R) -> Result<PreparedRequest> {
        let call = self.encode(req, Vec::new())?;
        self.prepare_call(&call).await
    }

    /// The pages of a paginated request, fetched on demand with this handle:
    /// `while let Some(page) = pages.next().await? { .. }` (see [`Pages`]).
    #[allow(clippy::type_complexity)]
    pub fn pages<R>(&self, req: R) -> Pages<R, impl FnMut(R) -> PageFuture<R::Response> + use<R, P>>
    where
        R: Paginated<Platform = P> + 'static,
    {
        let client = self.clone();
        Pages::new(req, move |r: R| {
            let client = client.clone();
            Box::pin(async move { client.execute(&r).await }) as PageFuture<R::Response>
        })
    }

    /// Serialize `req` into a [`Call`]: the one step generic in the request type. `files` are the
    /// file parts of an upload. The body fields are written once, already canonical
    /// ([`json::to_canonical_vec`]), and handed to [`Platform::encode_canonical`]: no
    /// [`Value`] tree is built.
    pub fn encode<R: ApiRequest>(&self, req: &R, files: Vec<Part>) -> Result<Call> {
        let ep = R::ENDPOINT;
        let body = json::to_canonical_vec(req).map_err(|e| invalid(ep, e.to_string()))?;
        let mut query = Query::new();
        req.write_query(&mut query);
        // A path without placeholders is the endpoint's own: borrowed, not copied.
        let path = match req.path() {
            Cow::Borrowed(p) if p == ep.path => Cow::Borrowed(ep.path),
            p => Cow::Owned(p.into_owned()),
        };
        if !files.is_empty() && !ep.flags.contains(Flags::MULTIPART) {
            return Err(invalid(ep, NOT_AN_UPLOAD.into()));
        }
        checks::json(self.facts(), ep, &body)?;
        Ok(Call {
            endpoint: ep,
            path,
            query,
            body: P::encode_canonical(ep, body, files)?,
        })
    }

    /// [`Client::encode`] from the parts of a request, its body fields a [`Value`] built at run
    /// time (the CLI, the token calls), encoded by [`Platform::encode`].
    pub fn encode_fields(
        &self,
        ep: &'static Endpoint,
        path: Cow<'static, str>,
        query: Query,
        fields: Value,
        files: Vec<Part>,
    ) -> Result<Call> {
        if !files.is_empty() && !ep.flags.contains(Flags::MULTIPART) {
            return Err(invalid(ep, NOT_AN_UPLOAD.into()));
        }
        checks::fields(self.facts(), ep, &fields)?;
        Ok(Call {
            endpoint: ep,
            path,
            query,
            body: P::encode(ep, fields, files)?,
        })
    }

    /// The token `source` names for a call to `ep`; `stale` as in [`Platform::kept_token`].
    async fn token(
        &self,
        ep: &Endpoint,
        source: &TokenSource,
        stale: Option<&Secret>,
    ) -> Result<Option<Secret>> {
        Ok(match source {
            TokenSource::None => None,
            TokenSource::Given(t) => Some(t.clone()),
            TokenSource::Kept(owner) => {
                Some(P::kept_token(self, ep, owner.as_deref(), stale).await?)
            }
        })
    }

    /// The signed request of `call` for a dry run: nothing is fetched, refreshed or called. A
    /// token the client keeps is not read (reading it could refresh it, spending a refresh
    /// token): a placeholder stands in for it, which changes no signature (no platform signs
    /// the access token). A token given to the handle is used as given.
    pub fn prepare_dry_run(&self, call: &Call) -> Result<PreparedRequest> {
        let token = match P::token_source(self, call.endpoint)? {
            TokenSource::None => None,
            TokenSource::Given(t) => Some(t),
            TokenSource::Kept(_) => Some(Secret::new("(the kept token; not read in a dry run)")),
        };
        P::sign(self, call, token.as_ref(), unix_now())
    }

    /// The signed request of `call`, with the token it would carry now (a kept token is
    /// fetched, and refreshed when due: for a dry run, see [`Client::prepare_dry_run`]).
    pub async fn prepare_call(&self, call: &Call) -> Result<PreparedRequest> {
        let token = match P::token_source(self, call.endpoint)? {
            // A token given to the handle: the source's copy is the one signed with.
            TokenSource::Given(t) => Some(t),
            source => self.token(call.endpoint, &source, None).await?,
        };
        P::sign(self, call, token.as_ref(), unix_now())
    }

    /// Send `call` with the token it needs; when the platform says a kept token expired,
    /// refresh it once and send again.
    pub async fn call(&self, call: &Call) -> Result<Reply> {
        let ep = call.endpoint;
        let source = P::token_source(self, ep)?;
        let token = self.token(ep, &source, None).await?;
        // The attempts made so far: the call sent again after a refresh counts on from them.
        let made = AtomicU32::new(0);
        match self.attempts(call, token.as_ref(), &made).await {
            Err(e)
                if e.kind() == ErrorKind::TokenExpired
                    && matches!(source, TokenSource::Kept(_)) =>
            {
                tracing::info!(
                    platform = self.inner.facts.name,
                    endpoint = ep.name,
                    "access token expired: refreshing once and retrying"
                );
                let fresh = self.token(ep, &source, token.as_ref()).await?;
                self.attempts(call, fresh.as_ref(), &made).await
            }
            other => other,
        }
    }

    /// Send `call` with `token`, signing afresh on each attempt the retry policy allows.
    pub async fn send(&self, call: &Call, token: Option<&Secret>) -> Result<Reply> {
        self.attempts(call, token, &AtomicU32::new(0)).await
    }

    /// [`Client::send`], numbering the attempts on from `made` (the attempts the call already
    /// made), which it counts up.
    /// The error of a call without a token (a token call, or a public one) keeps nothing of the
    /// answer, which may hold tokens, before observers and logs see it.
    async fn attempts(
        &self,
        call: &Call,
        token: Option<&Secret>,
        made: &AtomicU32,
    ) -> Result<Reply> {
        let ep = call.endpoint;
        let withhold = ep.flags.contains(Flags::NO_TOKEN);
        let inner = &*self.inner;
        let span = tracing::info_span!(
            "call",
            platform = inner.facts.name,
            endpoint = ep.name,
            request_id = tracing::field::Empty,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let before = made.load(Ordering::Relaxed);
        let result = with_retry(&inner.transport.config.retry, ep, |n| {
            let span = &span;
            async move {
                let attempt = before + n + 1;
                made.store(attempt, Ordering::Relaxed);
                span.record("attempt", attempt);
                // Token calls are not held back by the client's limiter: a refresh runs under
                // a lease, and waiting here would only stretch it.
                if !withhold && !inner.limits.is_empty() {
                    let owner = self
                        .scope
                        .owner
                        .as_deref()
                        .or(self.scope.shop_cipher.as_deref());
                    inner
                        .limits
                        .wait(&self.token_prefix(), ep.name, owner)
                        .await?;
                }
                let prepared = P::sign(self, call, token, unix_now())?;
                // Without observers, no event is built and no clock read.
                let observed = (!inner.observers.is_empty()).then(|| {
                    let event = RequestEvent::new(
                        ep,
                        &call.path,
                        &prepared.url,
                        attempt,
                        self.scope.owner.as_deref(),
                        self.scope.shop_cipher.as_deref(),
                    );
                    inner.observers.before_send(&event);
                    (event, Instant::now())
                });
                let raw = inner
                    .transport
                    .send_within(ep.name, &prepared, self.scope.timeout)
                    .await;
                let latency = observed.as_ref().map(|(_, sent)| sent.elapsed());
                let status = raw.as_ref().ok().map(|r| r.status);
                if let Some(status) = status {
                    span.record("status", status);
                }
                let mut result = raw.and_then(|raw| P::parse(inner.facts, ep, raw));
                if withhold {
                    result = result.map_err(Error::withhold_body);
                }
                if let (Some((event, _)), Some(latency)) = (observed, latency) {
                    let (error, request_id) = match &result {
                        Ok(reply) => (None, reply.request_id.as_deref()),
                        Err(e) => (Some(e), e.api().and_then(|a| a.request_id.as_deref())),
                    };
                    inner.observers.after_receive(&ResponseEvent::new(
                        event, status, latency, error, request_id,
                    ));
                }
                result
            }
        })
        .instrument(span.clone())
        .await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        let request_id = match &result {
            Ok(r) => r.request_id.as_deref(),
            Err(e) => e.api().and_then(|a| a.request_id.as_deref()),
        };
        if let Some(id) = request_id {
            span.record("request_id", id);
        }
        match &result {
            Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
            Err(e) => tracing::debug!(parent: &span, error = %e, "call failed"),
        }
        result
    }

    /// The token source of a call on a platform whose handles carry either a token given to
    /// them or the owner whose token the client keeps: none for `no_token` endpoints, the given
    /// one, else the owner's kept one; without either, the call is refused with `missing`.
    pub fn given_or_owner(&self, ep: &Endpoint, missing: &str) -> Result<TokenSource> {
        if ep.flags.contains(Flags::NO_TOKEN) {
            return Ok(TokenSource::None);
        }
        if let Some(t) = &self.scope.token {
            return Ok(TokenSource::Given(t.clone()));
        }
        match &self.scope.owner {
            Some(owner) => Ok(TokenSource::Kept(Some(owner.clone()))),
            None => Err(invalid(ep, missing.to_owned())),
        }
    }

    /// A token the client keeps under `key`: the stored one while fresh, else `refresh`'s (one
    /// refresh however many tasks ask at once). `stale` is one the platform just refused.
    pub async fn managed_token<F, Fut>(
        &self,
        key: &str,
        stale: Option<&Secret>,
        refresh: F,
    ) -> Result<super::Token>
    where
        F: FnOnce(Option<super::Token>) -> Fut,
        Fut: Future<Output = Result<super::Token>>,
    {
        self.inner.tokens.get(key, stale, refresh).await
    }

    /// Call `ep`, one of the runtime's own endpoints (a token call), with body `fields`, without a token,
    /// and decode its `data` into `T`. A response that does not decode is reported without its
    /// body, which holds tokens.
    pub async fn token_call<T: serde::de::DeserializeOwned>(
        &self,
        ep: &'static Endpoint,
        query: Query,
        fields: Value,
    ) -> Result<T> {
        let call = self.encode_fields(ep, Cow::Borrowed(ep.path), query, fields, Vec::new())?;
        let reply = self.send(&call, None).await?;
        reply
            .decode::<T>(ep)
            .map(|r| r.data)
            .map_err(Error::withhold_body)
    }
}

const NOT_AN_UPLOAD: &str =
    "this endpoint takes a JSON body, not multipart/form-data: call `client.execute(&req)`";

/// The error of a request refused before sending.
pub fn invalid(ep: &Endpoint, message: String) -> Error {
    Error::InvalidRequest {
        endpoint: ep.name.into(),
        message,
    }
}
