//! The HTTP transport shared by the platform clients: one connection pool per client, timeouts,
//! proxy, and the retry policy.
//!
//! # What is retried
//! - rate limiting (HTTP 429 or the platform's rate-limit code): always, since the platform
//!   refused the call without running it; `Retry-After` is honoured;
//! - a connection that could not be opened: always, since nothing was sent;
//! - 5xx, the platform's "service busy" codes, timeouts and resets: only for endpoints flagged
//!   `idempotent` in the spec (reads, and writes keyed by an idempotency id). A create or an
//!   update that may have run is never sent twice blindly.

use std::future::Future;
use std::time::Duration;

use super::{Endpoint, Error, ErrorKind, Flags, HttpMethod, Result};

/// Transport settings of a client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The base URL (`https://openapi-fxg.jinritemai.com`), without a trailing slash.
    pub base_url: String,
    /// The whole-request timeout.
    pub timeout: Duration,
    /// The connect timeout.
    pub connect_timeout: Duration,
    /// An HTTP(S) proxy URL.
    pub proxy: Option<String>,
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// A `reqwest::Client` of your own (a shared pool, custom TLS, middleware); the timeouts and
    /// the user agent above are then set on each request, the proxy is the client's.
    pub client: Option<reqwest::Client>,
}

impl HttpConfig {
    /// Defaults for `base_url`: 30 s timeout, 10 s connect timeout, no proxy, the default retry policy.
    pub fn new(base_url: impl Into<String>) -> Self {
        HttpConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            proxy: None,
            retry: RetryPolicy::default(),
            user_agent: concat!("shop-api-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            client: None,
        }
    }
}

/// Bounded exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// The pause before the first retry; each retry doubles it.
    pub initial_backoff: Duration,
    /// The longest pause, `Retry-After` included.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The pause before retry number `n` (0-based), honouring the server's `Retry-After`.
    pub fn backoff(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_backoff);
        }
        let exp = self.initial_backoff.saturating_mul(1u32 << n.min(16));
        let capped = exp.min(self.max_backoff);
        // Jitter in [50%, 100%] of the pause, so many clients do not retry in step.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let frac = 0.5 + f64::from(nanos % 1000) / 2000.0;
        capped.mul_f64(frac)
    }
}

/// Whether an error of a call to `endpoint` may be retried (see the module docs).
pub fn should_retry(err: &Error, flags: Flags) -> bool {
    let idempotent = flags.contains(Flags::IDEMPOTENT);
    match err {
        Error::Transport { connect: true, .. } => true,
        Error::Transport { .. } => idempotent,
        // the catalogue says whether a rate-limit code passes (a quota used up does not)
        Error::Api(e) if e.kind == ErrorKind::RateLimited => e.retry,
        e if e.kind() == ErrorKind::RateLimited => true,
        // A platform's gateway timeout (TikTok 36009007) may have run the call, as a 5xx may.
        e if matches!(e.kind(), ErrorKind::Server | ErrorKind::Timeout) => idempotent,
        _ => false,
    }
}

fn retry_after(err: &Error) -> Option<Duration> {
    match err {
        Error::Http { retry_after, .. } => *retry_after,
        Error::Api(e) => e.retry_after,
        _ => None,
    }
}

/// Run `attempt` until it succeeds, fails for good, or the policy's retries are used up.
/// `attempt` gets the attempt number and must sign afresh (timestamps change).
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    endpoint: &Endpoint,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut n = 0;
    loop {
        match attempt(n).await {
            Ok(v) => return Ok(v),
            Err(e) if n < policy.max_retries && should_retry(&e, endpoint.flags) => {
                let pause = policy.backoff(n, retry_after(&e));
                tracing::debug!(endpoint = endpoint.name, attempt = n + 1, ?pause, error = %e, "retrying");
                tokio::time::sleep(pause).await;
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The body of a prepared request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body.
    Empty,
    /// `application/json` bytes.
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded` bytes.
    Form(Vec<u8>),
    /// `multipart/form-data` parts.
    Multipart(Vec<Part>),
}

impl Body {
    /// The bytes of a JSON or form body.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Json(b) | Body::Form(b) => b,
            _ => &[],
        }
    }
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub file_name: Option<String>,
    /// The content type, for file parts.
    pub content_type: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

/// A signed request, ready to send; `Display` prints it with tokens and signatures masked
/// (`--dry-run`).
#[derive(Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// The HTTP method.
    pub method: HttpMethod,
    /// The full URL, query included.
    pub url: url::Url,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Query parameters, headers and body fields whose values are secret (masked when printed).
    pub secret_names: &'static [&'static str],
    /// The header the access token travels in (the platform's `token_header` fact), masked when
    /// printed.
    pub token_header: Option<&'static str>,
}

/// Fields that hold a secret in any token call's body, whatever the platform: masked wherever a
/// printed request shows them (top level or nested, in a JSON body or in a JSON text inside a
/// query value such as Doudian's `param_json`). `code` and `auth_code` (an authorization code)
/// only beside a `grant_type`, as token calls send them.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "app_secret",
];
const GRANT_CODES: &[&str] = &["code", "auth_code"];

/// Whether the member `key` holds a secret: a name of the platform's (`names`), a token call's
/// secret field, or an authorization code beside a `grant_type`.
fn is_secret(key: &str, names: &[&str], grant: bool) -> bool {
    names.contains(&key) || SECRET_FIELDS.contains(&key) || (grant && GRANT_CODES.contains(&key))
}

/// `value` with the string values of secret fields masked, at any depth.
fn mask_json(value: &mut serde_json::Value, names: &[&str]) {
    match value {
        serde_json::Value::Object(map) => {
            let grant = map.contains_key("grant_type");
            for (k, v) in map.iter_mut() {
                let secret = is_secret(k, names, grant);
                match v {
                    serde_json::Value::String(s) if secret => {
                        *s = super::Secret::new(s.as_str()).masked();
                    }
                    other => mask_json(other, names),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| mask_json(v, names)),
        _ => {}
    }
}

/// A query value or body text with its secrets masked when it is a JSON object.
fn mask_json_text(text: &str, names: &[&str]) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v @ serde_json::Value::Object(_)) => {
            mask_json(&mut v, names);
            Some(v.to_string())
        }
        _ => None,
    }
}

impl PreparedRequest {
    fn masked_url(&self) -> String {
        let mut url = self.url.clone();
        let grant = self.url.query_pairs().any(|(k, _)| k == "grant_type");
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                let secret = is_secret(&k, self.secret_names, grant);
                let v = if secret {
                    super::Secret::new(v.into_owned()).masked()
                } else {
                    mask_json_text(&v, self.secret_names).unwrap_or_else(|| v.into_owned())
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

impl PreparedRequest {
    /// The JSON or form body with the values of top-level fields named in `secret_names` masked
    /// (a Douyin OAuth body carries the client secret).
    fn masked_body(&self) -> String {
        match &self.body {
            Body::Json(b) => {
                let text = String::from_utf8_lossy(b);
                mask_json_text(&text, self.secret_names).unwrap_or_else(|| text.into_owned())
            }
            Body::Form(b) => {
                let grant = url::form_urlencoded::parse(b).any(|(k, _)| k == "grant_type");
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(url::form_urlencoded::parse(b).map(|(k, v)| {
                        let secret = is_secret(&k, self.secret_names, grant);
                        let v = if secret {
                            super::Secret::new(v.as_ref()).masked()
                        } else {
                            v.into_owned()
                        };
                        (k, v)
                    }))
                    .finish()
            }
            _ => String::new(),
        }
    }
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} {}", self.method, self.masked_url())?;
        for (k, v) in &self.headers {
            let secret = self.token_header.iter().chain(self.secret_names);
            let v = if secret.into_iter().any(|s| s.eq_ignore_ascii_case(k)) {
                super::Secret::new(v.clone()).masked()
            } else {
                v.clone()
            };
            writeln!(f, "{k}: {v}")?;
        }
        match &self.body {
            Body::Empty => Ok(()),
            Body::Json(_) | Body::Form(_) => write!(f, "\n{}", self.masked_body()),
            Body::Multipart(parts) => {
                for p in parts {
                    writeln!(f, "\n[part {} {} bytes]", p.name, p.data.len())?;
                }
                Ok(())
            }
        }
    }
}

/// The raw answer of the server.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After`, parsed as seconds.
    pub retry_after: Option<Duration>,
    /// The body.
    pub body: Vec<u8>,
}

/// A pooled HTTP client with its settings.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    /// The base URL, parsed once (host parsing and IDNA are the costly part of building a URL).
    base: Option<url::Url>,
    /// The settings.
    pub config: HttpConfig,
}

/// Redirects are followed only to the same scheme, host and port (at most 5): a request carries
/// the access token (a header, or Doudian's `access_token` query parameter), so it never goes to
/// another host. A redirect elsewhere comes back as its 3xx answer.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first();
        let same = first.is_some_and(|f| {
            f.scheme() == attempt.url().scheme()
                && f.host_str() == attempt.url().host_str()
                && f.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else if same {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

impl Transport {
    /// Build the HTTP client for `config`.
    pub fn new(config: HttpConfig) -> Result<Self> {
        let base = url::Url::parse(&config.base_url)
            .ok()
            .filter(|u| !u.cannot_be_a_base() && u.query().is_none());
        if let Some(client) = config.client.clone() {
            return Ok(Transport {
                client,
                base,
                config,
            });
        }
        let mut b = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(60))
            .redirect(same_origin_redirects());
        if let Some(p) = &config.proxy {
            let proxy = reqwest::Proxy::all(p).map_err(|e| Error::InvalidRequest {
                endpoint: "client".into(),
                message: format!("invalid proxy URL: {}", e.without_url()),
            })?;
            b = b.proxy(proxy);
        }
        let client = b.build().map_err(|e| Error::transport("client", e))?;
        Ok(Transport {
            client,
            base,
            config,
        })
    }

    /// `base_url` + `path` + `query`, as a URL.
    pub fn url(&self, endpoint: &str, path: &str, query: &super::Query) -> Result<url::Url> {
        let mut url = match &self.base {
            // The base's own path (`/doudian` behind a proxy) is kept in front of the endpoint's.
            Some(base) if path.starts_with('/') && !path.contains(['?', '#']) => {
                let mut u = base.clone();
                let joined = format!("{}{path}", base.path().trim_end_matches('/'));
                u.set_path(&joined);
                u
            }
            _ => url::Url::parse(&format!("{}{}", self.config.base_url, path)).map_err(|e| {
                Error::InvalidRequest {
                    endpoint: endpoint.to_owned(),
                    message: format!("bad URL {}{path}: {e}", self.config.base_url),
                }
            })?,
        };
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.pairs());
        }
        Ok(url)
    }

    /// Send `req` once.
    pub async fn send(&self, endpoint: &str, req: &PreparedRequest) -> Result<RawResponse> {
        self.send_within(endpoint, req, None).await
    }

    /// Send `req` once, within `timeout` instead of the configured one when given.
    pub async fn send_within(
        &self,
        endpoint: &str,
        req: &PreparedRequest,
        timeout: Option<Duration>,
    ) -> Result<RawResponse> {
        let mut b = self
            .client
            .request(req.method.to_reqwest(), req.url.clone());
        if let Some(t) = timeout {
            b = b.timeout(t);
        } else if self.config.client.is_some() {
            b = b.timeout(self.config.timeout);
        }
        if self.config.client.is_some() {
            b = b.header(reqwest::header::USER_AGENT, &self.config.user_agent);
        }
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        b = match &req.body {
            Body::Empty => b,
            Body::Json(bytes) => b
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Form(bytes) => b
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(bytes.clone()),
            Body::Multipart(parts) => {
                let mut form = reqwest::multipart::Form::new();
                for p in parts {
                    let mut part = reqwest::multipart::Part::bytes(p.data.clone());
                    if let Some(f) = &p.file_name {
                        part = part.file_name(f.clone());
                    }
                    if let Some(ct) = &p.content_type {
                        part = part.mime_str(ct).map_err(|e| Error::InvalidRequest {
                            endpoint: endpoint.to_owned(),
                            message: format!("bad content type {ct}: {e}"),
                        })?;
                    }
                    form = form.part(p.name.clone(), part);
                }
                b.multipart(form)
            }
        };
        let resp = b.send().await.map_err(|e| Error::transport(endpoint, e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::transport(endpoint, e))?
            .to_vec();
        Ok(RawResponse {
            status,
            retry_after,
            body,
        })
    }
}

/// The errors the transport gives: it builds its own, so the error module knows nothing of HTTP.
impl Error {
    /// The answer of a server that did not speak the platform's envelope: the HTTP status and the
    /// start of the body.
    pub(crate) fn http(endpoint: &str, raw: &RawResponse) -> Error {
        Error::Http {
            endpoint: endpoint.to_owned(),
            status: raw.status,
            body: crate::error_snippet(&raw.body),
            retry_after: raw.retry_after,
        }
    }

    /// A request that got no answer (connect, timeout, reset), its message without the URL.
    pub(crate) fn transport(endpoint: &str, e: reqwest::Error) -> Error {
        let timeout = e.is_timeout();
        let connect = e.is_connect();
        // reqwest's message names the URL, whose query may hold an access token: drop it.
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::Transport {
            endpoint: endpoint.to_owned(),
            message,
            timeout,
            connect,
        }
    }
}
