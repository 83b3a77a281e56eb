//! The Doudian client: one per app, serving many shops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::Instrument;

pub use super::sign::SignMethod;
use crate::runtime::http::{Body, PreparedRequest, RawResponse, Transport, with_retry};
use crate::runtime::{
    ApiError, ApiRequest, ApiResponse, Endpoint, ErrorKind, Flags, HttpConfig, HttpMethod, Query, Result, RetryPolicy,
    Secret, de, decode_data, json,
};
use crate::Error;

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

    /// Build the client.
    pub fn build(self) -> Result<Client> {
        if self.app_key.is_empty() || self.app_secret.is_empty() {
            return Err(Error::InvalidRequest { endpoint: "client".into(), message: "the app key and secret must not be empty".into() });
        }
        let transport = Transport::new(self.http)?;
        Ok(Client {
            inner: Arc::new(Inner { app_key: self.app_key, app_secret: self.app_secret, sign_method: self.sign_method, transport }),
            token: None,
        })
    }
}

#[derive(Debug)]
struct Inner {
    app_key: String,
    app_secret: Secret,
    sign_method: SignMethod,
    transport: Transport,
}

/// A Doudian client. Cheap to clone: clones share the connection pool. One client serves many
/// shops: [`Client::with_access_token`] gives a handle that calls as one shop.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    token: Option<Secret>,
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
        }
    }

    /// A handle that calls with `token` (one shop's access token); it shares this client's pool.
    pub fn with_access_token(&self, token: impl Into<Secret>) -> Client {
        Client { inner: self.inner.clone(), token: Some(token.into()) }
    }

    /// The app key.
    pub fn app_key(&self) -> &str {
        &self.inner.app_key
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.inner.transport.config.base_url
    }

    /// Call any endpoint: `client.execute(&OrderSearchListRequest { .. })`.
    pub async fn execute<R: ApiRequest<Platform = Doudian>>(&self, req: &R) -> Result<R::Response> {
        self.execute_full(req).await.map(|r| r.data)
    }

    /// Call any endpoint and keep the envelope's log id.
    pub async fn execute_full<R: ApiRequest<Platform = Doudian>>(&self, req: &R) -> Result<ApiResponse<R::Response>> {
        let ep = R::ENDPOINT;
        let param_json = json::to_canonical(req)
            .map_err(|e| Error::InvalidRequest { endpoint: ep.name.into(), message: e.to_string() })?;
        let span = tracing::info_span!("doudian", method = ep.name, log_id = tracing::field::Empty, latency_ms = tracing::field::Empty);
        let started = Instant::now();
        let inner = &self.inner;
        let result = with_retry(&inner.transport.config.retry, ep, |_| {
            let param_json = &param_json;
            async move {
                let prepared = self.prepare_raw(ep, param_json, crate::runtime::unix_now())?;
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
    pub fn prepare<R: ApiRequest<Platform = Doudian>>(&self, req: &R) -> Result<PreparedRequest> {
        let ep = R::ENDPOINT;
        let param_json = json::to_canonical(req)
            .map_err(|e| Error::InvalidRequest { endpoint: ep.name.into(), message: e.to_string() })?;
        self.prepare_raw(ep, &param_json, crate::runtime::unix_now())
    }

    fn prepare_raw(&self, ep: &Endpoint, param_json: &str, timestamp: i64) -> Result<PreparedRequest> {
        let inner = &self.inner;
        let ts = timestamp.to_string();
        let sign = super::sign::sign(inner.sign_method, &inner.app_key, inner.app_secret.expose(), ep.name, param_json, &ts, VERSION);
        let mut q = Query::new();
        q.push("app_key", inner.app_key.as_str());
        q.push("method", ep.name);
        if !ep.flags.contains(Flags::NO_TOKEN) {
            let Some(token) = &self.token else {
                return Err(Error::InvalidRequest {
                    endpoint: ep.name.into(),
                    message: "this call needs a shop's access token: call it on `client.with_access_token(..)`".into(),
                });
            };
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

fn parse<T: serde::de::DeserializeOwned>(ep: &Endpoint, raw: RawResponse) -> Result<ApiResponse<T>> {
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
    let code = env.code.or(env.err_no.map(|n| if n == 0 { SUCCESS } else { n }));
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
            Err(Error::Api(ApiError {
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
        None => Err(Error::decode(ep.name, "the envelope has no `code`", &raw.body)),
    }
}
