//! An offline stand-in of the three platforms, routed from the specs.
//!
//! Every request is checked as the platform would check it (signature, app key, timestamp, token,
//! shop cipher, required fields) and answered with the platform's own error envelope when
//! something is wrong, or with the endpoint's documented `example:` response when all is well.
//! Token endpoints issue real tokens with real expiry. Platforms live under path prefixes of one
//! server: `/doudian`, `/tiktok` (with its auth host at `/tiktok-auth`) and `/douyin`.
//!
//! It is also the one fake platform of the end-to-end tests. A request goes through two stages:
//!
//! 1. **Admission**, what the platform checks of every request's form: the route, the app key, the
//!    timestamp, the signature, the body's encoding. A request that fails it is refused here.
//! 2. **Answer.** An admitted request is recorded as a [`Seen`] and handed to the test's hook for
//!    its endpoint ([`Sandbox::on`]), which may answer anything (an envelope, a 5xx, a broken body,
//!    after a delay) or [`Reply::pass`] it on. Without a hook, or when passed on, the sandbox
//!    answers as the platform: token, shop cipher and required fields checked, tokens issued,
//!    the documented example returned.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use shop_api_sandbox::{Platform, Reply, Sandbox, SandboxConfig, doudian};
//! use serde_json::json;
//!
//! let platform = Sandbox::start(SandboxConfig::default()).await?;
//! platform.on("order.searchList", |seen| match seen.nth {
//!     0 => Reply::text(503, "busy"),
//!     _ => doudian::ok(json!({"total": 0, "shop_order_list": []})),
//! });
//! let base_url = platform.url(Platform::Doudian);
//! // ... point a client at base_url, then:
//! assert_eq!(platform.count("order.searchList"), 0);
//! # Ok(()) }
//! ```

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use shop_api::runtime::unix_now;
use shop_api_spec::ir::{self, Endpoint, Place};

mod check;
pub mod doudian;
pub mod douyin;
pub mod tiktok;

/// The app credentials the sandbox accepts.
#[derive(Clone)]
pub struct Credentials {
    /// Doudian app key.
    pub doudian_key: String,
    /// Doudian app secret.
    pub doudian_secret: String,
    /// TikTok Shop app key.
    pub tiktok_key: String,
    /// TikTok Shop app secret.
    pub tiktok_secret: String,
    /// Douyin client key.
    pub douyin_key: String,
    /// Douyin client secret.
    pub douyin_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("doudian_key", &self.doudian_key)
            .field("tiktok_key", &self.tiktok_key)
            .field("douyin_key", &self.douyin_key)
            .finish_non_exhaustive()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            doudian_key: "sandbox-doudian-key".into(),
            doudian_secret: "sandbox-doudian-secret".into(),
            tiktok_key: "sandbox-tiktok-key".into(),
            tiktok_secret: "sandbox-tiktok-secret".into(),
            douyin_key: "sandbox-douyin-key".into(),
            douyin_secret: "sandbox-douyin-secret".into(),
        }
    }
}

// The specs the sandbox was built with (build.rs).
include!(concat!(env!("OUT_DIR"), "/specs.rs"));

/// An error catalogue row the sandbox answers with: the code, and its sub-code or keyword.
pub(crate) type Row = (i64, Option<&'static str>);

fn find_row<'a>(api: &'a ir::Api, platform: &str, (code, which): Row) -> Option<&'a ir::ErrorCode> {
    api.platforms
        .iter()
        .find(|p| p.name == platform)?
        .errors
        .iter()
        .find(|e| {
            e.code == code
                && match which {
                    None => e.sub_code.is_none() && e.keyword.is_none(),
                    Some(w) => e.sub_code.as_deref() == Some(w) || e.keyword.as_deref() == Some(w),
                }
        })
}

/// The rows of the error catalogue the sandbox answers with, each looked up when it starts.
pub fn error_rows() -> impl Iterator<Item = (&'static str, i64, Option<&'static str>)> {
    let rows = |p: &'static str, r: &'static [Row]| r.iter().map(move |(c, w)| (p, *c, *w));
    rows("doudian", doudian::ROWS)
        .chain(rows("tiktok", tiktok::ROWS))
        .chain(rows("douyin", douyin::ROWS))
}

/// What the sandbox serves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The project root whose `spec/` routes the sandbox; `None` (the default) serves the specs
    /// compiled into the sandbox, so it runs anywhere, without a checkout.
    pub root: Option<PathBuf>,
    /// The credentials it accepts.
    pub credentials: Credentials,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl: i64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            root: None,
            credentials: Credentials::default(),
            token_ttl: 7 * 24 * 3600,
        }
    }
}

impl SandboxConfig {
    /// The same, accepting the Doudian app `key` with `secret`.
    pub fn doudian_app(mut self, key: &str, secret: &str) -> Self {
        self.credentials.doudian_key = key.into();
        self.credentials.doudian_secret = secret.into();
        self
    }

    /// The same, accepting the TikTok Shop app `key` with `secret`.
    pub fn tiktok_app(mut self, key: &str, secret: &str) -> Self {
        self.credentials.tiktok_key = key.into();
        self.credentials.tiktok_secret = secret.into();
        self
    }

    /// The same, accepting the Douyin client `key` with `secret`.
    pub fn douyin_app(mut self, key: &str, secret: &str) -> Self {
        self.credentials.douyin_key = key.into();
        self.credentials.douyin_secret = secret.into();
        self
    }
}

/// A platform of the sandbox, and the path prefix it is served under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// Doudian, at `/doudian`.
    Doudian,
    /// TikTok Shop's API host, at `/tiktok`.
    Tiktok,
    /// TikTok Shop's auth host (seller tokens), at `/tiktok-auth`.
    TiktokAuth,
    /// Douyin Open Platform, at `/douyin`.
    Douyin,
}

impl Platform {
    const ALL: [Platform; 4] = [
        Platform::Doudian,
        Platform::Tiktok,
        Platform::TiktokAuth,
        Platform::Douyin,
    ];

    /// The path prefix: `/doudian`, `/tiktok`, `/tiktok-auth` or `/douyin`.
    pub fn prefix(self) -> &'static str {
        match self {
            Platform::Doudian => "/doudian",
            Platform::Tiktok => "/tiktok",
            Platform::TiktokAuth => "/tiktok-auth",
            Platform::Douyin => "/douyin",
        }
    }

    /// The platform's name in the specs (the auth host belongs to `tiktok`).
    pub fn name(self) -> &'static str {
        match self {
            Platform::Doudian => "doudian",
            Platform::Tiktok | Platform::TiktokAuth => "tiktok",
            Platform::Douyin => "douyin",
        }
    }
}

/// A request that passed admission, as the hooks and [`Sandbox::seen`] show it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Where it was sent.
    pub platform: Platform,
    /// The endpoint's name in the spec: `order.searchList`, `order.search`, `token.get`.
    pub endpoint: String,
    /// The endpoint's route as in the spec: `POST /order/202309/orders/search` (the path template).
    pub route: String,
    /// The path as sent, below the platform's prefix.
    pub path: String,
    /// The query pairs, decoded, in the order sent.
    pub query: Vec<(String, String)>,
    /// The headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
    /// The body decoded: JSON as is (Doudian's `param_json`), a form as an object of strings,
    /// `null` when empty or multipart.
    pub params: Value,
    /// The access token, from wherever the platform carries it (query or header).
    pub token: Option<String>,
    /// How many requests to this endpoint were admitted before this one (0 for the first).
    pub nth: usize,
    /// When it was admitted.
    pub at: std::time::Instant,
}

impl Seen {
    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        get(&self.query, name)
    }

    /// A header, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        get(&self.headers, name)
    }

    /// The `content-type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    fn is(&self, key: &str) -> bool {
        self.endpoint == key || self.route == key || self.path == key
    }
}

/// Status, headers and body of an answer.
type Answer = (StatusCode, Vec<(String, String)>, Vec<u8>);

/// An answer: from a hook, or the sandbox's own.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `None`: answer as the sandbox would.
    answer: Option<Answer>,
    delay: Option<Duration>,
}

impl Reply {
    /// Leave the answer to the sandbox (token, cipher and field checks, the documented example).
    pub fn pass() -> Reply {
        Reply {
            answer: None,
            delay: None,
        }
    }

    /// A JSON body with a status.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::bytes(status, "application/json", body.to_string().into_bytes())
    }

    /// A text body with a status (a gateway page, a truncated or broken body).
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::bytes(status, "text/plain", body.as_bytes().to_vec())
    }

    fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Reply {
            answer: Some((
                status,
                vec![("content-type".into(), content_type.into())],
                body,
            )),
            delay: None,
        }
    }

    /// The same answer with one more header (`retry-after`, ...).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Some((_, headers, _)) = &mut self.answer {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// The same answer, sent after `delay` (the server does not block meanwhile).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }

    fn into_response(self) -> Response {
        let (status, headers, body) =
            self.answer
                .unwrap_or((StatusCode::INTERNAL_SERVER_ERROR, Vec::new(), Vec::new()));
        let mut resp = (status, body).into_response();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                header::HeaderName::try_from(k),
                header::HeaderValue::try_from(v),
            ) {
                resp.headers_mut().insert(k, v);
            }
        }
        resp
    }
}

/// A test's answer for an endpoint.
pub type Hook = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// How many admitted requests the sandbox keeps for [`Sandbox::seen`] (the oldest go first).
pub const KEPT_REQUESTS: usize = 100_000;

/// The log id / request id of every answer the sandbox makes itself.
pub const REQUEST_ID: &str = "sandbox";

/// An answer in the envelope `env` declares (the platform's `envelope:` in platform.yaml, as the
/// generated `FACTS` hold it): `code` at its first code place, `message` at its first message
/// place, the sub-code and sub-message (when given) at theirs, [`REQUEST_ID`] at the first
/// request-id place and `data` at its member. The platform's own file says which message it sends.
pub fn envelope(
    env: &shop_api::runtime::envelope::Envelope,
    code: i64,
    message: &str,
    sub: Option<(&str, &str)>,
    data: Value,
) -> Value {
    fn set(v: &mut Value, place: &str, to: Value) {
        let mut at = v;
        for key in place.split('.') {
            at = &mut at[key];
        }
        *at = to;
    }
    let mut v = json!({});
    let first = |places: &[&'static str]| places.first().copied();
    if let Some((place, _)) = env.code.first() {
        set(&mut v, place, code.into());
    }
    if let Some(place) = first(env.message) {
        set(&mut v, place, message.into());
    }
    if let Some((sub_code, sub_message)) = sub {
        if let Some(place) = first(env.sub_code) {
            set(&mut v, place, sub_code.into());
        }
        if let Some(place) = first(env.sub_message) {
            set(&mut v, place, sub_message.into());
        }
    }
    if let Some(place) = first(env.request_id) {
        set(&mut v, place, REQUEST_ID.into());
    }
    set(&mut v, env.data, data);
    v
}

/// An issued or granted token.
#[derive(Debug, Clone)]
struct Issued {
    platform: &'static str,
    /// `None` for a token granted by a test: good for every kind.
    kind: Option<&'static str>,
    expires_at: i64,
}

pub(crate) struct State {
    api: ir::Api,
    config: SandboxConfig,
    tokens: Mutex<HashMap<String, Issued>>,
    refresh: Mutex<HashMap<String, &'static str>>,
    counter: AtomicU64,
    hooks: Mutex<Vec<(String, Hook)>>,
    seen: Mutex<VecDeque<Seen>>,
    counts: Mutex<HashMap<(Platform, String), usize>>,
    issued: Mutex<HashMap<&'static str, usize>>,
    instance: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    pub(crate) fn credentials(&self) -> &Credentials {
        &self.config.credentials
    }

    pub(crate) fn token_ttl(&self) -> i64 {
        self.config.token_ttl
    }

    pub(crate) fn issue(
        &self,
        platform: &'static str,
        kind: &'static str,
        prefix: &str,
    ) -> (String, String) {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        *lock(&self.issued).entry(platform).or_default() += 1;
        // Unique across sandboxes too: tests run several side by side.
        let id = self.instance;
        let access = format!("{prefix}{platform}-access-{id:x}-{n}-{}", unix_now());
        let refresh = format!("{platform}-refresh-{id:x}-{n}-{}", unix_now());
        self.keep(access.clone(), platform, Some(kind));
        lock(&self.refresh).insert(refresh.clone(), platform);
        (access, refresh)
    }

    fn keep(&self, token: String, platform: &'static str, kind: Option<&'static str>) {
        let now = unix_now();
        let mut tokens = lock(&self.tokens);
        // Bounded: expired tokens are dropped whenever a new one is kept.
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(
            token,
            Issued {
                platform,
                kind,
                expires_at: now + self.config.token_ttl,
            },
        );
    }

    /// `Ok(())` when `token` was issued for `platform` (and `kind`, when given) and is unexpired.
    pub(crate) fn check_token(
        &self,
        platform: &str,
        kind: Option<&str>,
        token: Option<&str>,
    ) -> Result<(), &'static str> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err("missing");
        };
        let tokens = lock(&self.tokens);
        match tokens.get(token) {
            Some(t)
                if t.platform == platform
                    && (kind.is_none() || t.kind.is_none() || t.kind == kind) =>
            {
                if t.expires_at > unix_now() {
                    Ok(())
                } else {
                    Err("expired")
                }
            }
            _ => Err("invalid"),
        }
    }

    pub(crate) fn take_refresh(&self, platform: &str, refresh: &str) -> bool {
        let mut r = lock(&self.refresh);
        match r.get(refresh) {
            Some(p) if *p == platform => {
                r.remove(refresh);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn endpoints(&self, platform: &str) -> impl Iterator<Item = &Endpoint> {
        self.api
            .platforms
            .iter()
            .filter(move |p| p.name == platform)
            .flat_map(|p| &p.modules)
            .flat_map(|m| &m.endpoints)
    }

    /// The endpoint of `platform` that `method path` calls (`{x}` matches one segment).
    /// The error catalogue's row of `platform` for `row`: a code, and the row's sub-code or
    /// keyword (`None`: the code's row without either). The sandbox answers errors only with rows
    /// of the catalogue; [`Sandbox::new`] checks each platform's `ROWS` are there.
    pub(crate) fn row(&self, platform: &str, row: Row) -> &ir::ErrorCode {
        find_row(&self.api, platform, row)
            .unwrap_or_else(|| panic!("{platform}: the error catalogue has no row {row:?}"))
    }

    pub(crate) fn route(&self, platform: &str, method: &Method, path: &str) -> Option<&Endpoint> {
        let segs: Vec<&str> = path.split('/').collect();
        self.endpoints(platform).find(|e| {
            e.http_method == method.as_str() && {
                let t: Vec<&str> = e.path.split('/').collect();
                t.len() == segs.len()
                    && t.iter()
                        .zip(&segs)
                        .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
            }
        })
    }

    /// Admission, then the hook's answer, or the platform's own after the hook's delay (so a
    /// delayed token call changes nothing until it is answered: a client that hangs up meanwhile
    /// may leave it undone).
    async fn dispatch(&self, platform: Platform, req: &Incoming) -> Reply {
        let admitted = match platform {
            Platform::Doudian => doudian::admit(self, req),
            Platform::Tiktok => tiktok::admit(self, req),
            Platform::TiktokAuth => tiktok::admit_auth(self, req),
            Platform::Douyin => douyin::admit(self, req),
        };
        let a = match admitted {
            Ok(a) => a,
            Err(refusal) => return refusal,
        };
        let seen = self.record(platform, req, &a);
        let hook = lock(&self.hooks)
            .iter()
            .rev()
            .find(|(k, _)| seen.is(k))
            .map(|(_, h)| h.clone());
        let mut delay = None;
        if let Some(hook) = hook {
            let reply = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&seen)))
            {
                Ok(r) => r,
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("a panic");
                    return Reply::text(
                        500,
                        &format!("the test's hook for {} panicked: {msg}", seen.route),
                    );
                }
            };
            if reply.answer.is_some() {
                return reply;
            }
            delay = reply.delay;
        }
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        match platform {
            Platform::Doudian => doudian::answer(self, &seen, a.endpoint),
            Platform::Tiktok => tiktok::answer(self, &seen, a.endpoint),
            Platform::TiktokAuth => tiktok::answer_auth(self, &seen),
            Platform::Douyin => douyin::answer(self, &seen, a.endpoint),
        }
    }

    fn record(&self, platform: Platform, req: &Incoming, a: &Admitted<'_>) -> Seen {
        let nth = {
            let mut counts = lock(&self.counts);
            let n = counts.entry((platform, a.name.clone())).or_default();
            *n += 1;
            *n - 1
        };
        let seen = Seen {
            platform,
            endpoint: a.name.clone(),
            route: a.route.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: req.body.to_vec(),
            params: a.params.clone(),
            token: a.token.clone(),
            nth,
            at: std::time::Instant::now(),
        };
        let mut kept = lock(&self.seen);
        if kept.len() == KEPT_REQUESTS {
            kept.pop_front();
        }
        kept.push_back(seen.clone());
        seen
    }
}

/// A request as it arrived, below its platform's prefix.
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Incoming {
    pub(crate) fn query(&self, k: &str) -> Option<&str> {
        get(&self.query, k)
    }

    pub(crate) fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }

    /// The body decoded by its form, or why it is refused: none on a GET; a form where the
    /// endpoint takes one (`form`); JSON otherwise; `null` when empty or multipart (its parts are
    /// not fields).
    pub(crate) fn params(&self, form: bool) -> Result<Value, String> {
        let content_type = self
            .header(header::CONTENT_TYPE.as_str())
            .unwrap_or_default();
        if self.method == Method::GET {
            return match self.body.is_empty() {
                true => Ok(Value::Null),
                false => Err("a GET has no body".into()),
            };
        }
        if content_type.starts_with("multipart/form-data") {
            return Ok(Value::Null);
        }
        let want = match form {
            true => "application/x-www-form-urlencoded",
            false => "application/json",
        };
        if self.body.is_empty() && !form {
            return Ok(Value::Null);
        }
        if content_type != want {
            return Err(format!("the body must be {want}"));
        }
        if form {
            return Ok(Value::Object(
                url::form_urlencoded::parse(&self.body)
                    .into_owned()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            ));
        }
        serde_json::from_slice(&self.body).map_err(|e| format!("the body is not JSON: {e}"))
    }
}

/// What admission learnt of a request.
pub(crate) struct Admitted<'a> {
    /// The spec's endpoint (`None` on TikTok's auth host, whose two calls are the runtime's).
    pub(crate) endpoint: Option<&'a Endpoint>,
    pub(crate) name: String,
    pub(crate) route: String,
    pub(crate) params: Value,
    pub(crate) token: Option<String>,
}

impl<'a> Admitted<'a> {
    /// A request routed to `ep` of the spec, by method and path.
    pub(crate) fn routed(ep: &'a Endpoint, params: Value, token: Option<&str>) -> Self {
        Admitted {
            endpoint: Some(ep),
            name: ep.name.clone(),
            route: format!("{} {}", ep.http_method, ep.path),
            params,
            token: token.map(str::to_owned),
        }
    }
}

/// A sandbox: its specs, its tokens, the tests' hooks and the requests it admitted. Clones share
/// all of it.
#[derive(Clone)]
pub struct Sandbox {
    state: Arc<State>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox routed by `config.root`'s specs, or by the compiled-in ones.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, String> {
        let api = match &config.root {
            Some(root) => ir::load(root),
            None => ir::load_embedded(SPECS),
        }
        .map_err(|e| e.to_string())?;
        for (platform, code, which) in error_rows() {
            if find_row(&api, platform, (code, which)).is_none() {
                return Err(format!(
                    "{platform}: the sandbox answers with code {code} {which:?}, which the error catalogue (spec/{platform}/platform.yaml `errors:`) lacks"
                ));
            }
        }
        Ok(Sandbox {
            state: Arc::new(State {
                api,
                config,
                tokens: Mutex::default(),
                refresh: Mutex::default(),
                counter: AtomicU64::new(1),
                hooks: Mutex::default(),
                seen: Mutex::default(),
                counts: Mutex::default(),
                issued: Mutex::default(),
                instance: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64),
            }),
        })
    }

    /// Serve a new sandbox on a free port of 127.0.0.1 until the returned handle is dropped.
    pub async fn start(config: SandboxConfig) -> Result<Running, String> {
        let sandbox = Sandbox::new(config)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let app = sandbox.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Running {
            sandbox,
            addr,
            task,
        })
    }

    /// The axum router.
    pub fn router(&self) -> axum::Router {
        let state = self.state.clone();
        axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { handle(&state, method, uri, headers, body).await }
            },
        )
    }

    /// Answer the requests to an endpoint with `hook` once they pass admission. `key` is the
    /// endpoint's name (`order.searchList`, `token.get`), its route (`GET /order/202309/orders`)
    /// or the path as sent below the platform's prefix (`/oauth/client_token/`).
    /// A later hook for the same key wins.
    pub fn on(&self, key: &str, hook: impl Fn(&Seen) -> Reply + Send + Sync + 'static) {
        lock(&self.state.hooks).push((key.to_owned(), Arc::new(hook)));
    }

    /// Accept `token` as an unexpired access token of `platform`, of any kind.
    pub fn grant(&self, platform: Platform, token: &str) {
        self.state.keep(token.to_owned(), platform.name(), None);
    }

    /// Accept `refresh` once as a refresh token of `platform`.
    pub fn grant_refresh(&self, platform: Platform, refresh: &str) {
        lock(&self.state.refresh).insert(refresh.to_owned(), platform.name());
    }

    /// The admitted requests to an endpoint (name, route or path), oldest first.
    pub fn seen(&self, key: &str) -> Vec<Seen> {
        lock(&self.state.seen)
            .iter()
            .filter(|s| s.is(key))
            .cloned()
            .collect()
    }

    /// How many access tokens the token endpoints of `platform` issued (a refresh that was
    /// admitted but refused, or never answered, issued none).
    pub fn issued(&self, platform: Platform) -> usize {
        lock(&self.state.issued)
            .get(platform.name())
            .copied()
            .unwrap_or(0)
    }

    /// Every admitted request, oldest first.
    pub fn all_seen(&self) -> Vec<Seen> {
        lock(&self.state.seen).iter().cloned().collect()
    }

    /// How many requests to an endpoint (name, route or path) were admitted.
    pub fn count(&self, key: &str) -> usize {
        lock(&self.state.seen).iter().filter(|s| s.is(key)).count()
    }
}

/// A sandbox served on 127.0.0.1; it stops when dropped. Derefs to its [`Sandbox`].
#[derive(Debug)]
pub struct Running {
    sandbox: Sandbox,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of `platform`: `http://127.0.0.1:<port>/doudian`, ...
    pub fn url(&self, platform: Platform) -> String {
        format!("http://{}{}", self.addr, platform.prefix())
    }
}

impl std::ops::Deref for Running {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The axum router of a sandbox loaded from `config.root`'s specs, or the compiled-in ones.
pub fn router(config: SandboxConfig) -> Result<axum::Router, String> {
    Ok(Sandbox::new(config)?.router())
}

/// Serve the sandbox on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: SandboxConfig) -> Result<(), String> {
    let app = router(config)?;
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

async fn handle(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let found = Platform::ALL.into_iter().find_map(|p| {
        let rest = path.strip_prefix(p.prefix())?;
        (rest.is_empty() || rest.starts_with('/')).then(|| (p, rest.to_owned()))
    });
    let Some((platform, rest)) = found else {
        return Reply::json(
            404,
            &json!({"error": format!("no platform at {path}: use /doudian, /tiktok, /tiktok-auth or /douyin")}),
        )
        .into_response();
    };
    let req = Incoming {
        method,
        path: rest,
        query: url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        headers,
        body,
    };
    let reply = state.dispatch(platform, &req).await;
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let status = reply.answer.as_ref().map_or(0, |a| a.0.as_u16());
    tracing::info!(method = %req.method, platform = platform.prefix(), path = req.path, status, "sandbox request");
    reply.into_response()
}

// ---------------------------------------------------------------------------------------------
// Shared by the platforms.

/// The endpoint's documented example response.
pub(crate) fn example(ep: &Endpoint) -> Value {
    ep.example
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or(Value::Null)
}

/// Whether a JSON value is there and not an empty string.
pub(crate) fn present(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null)) && v != Some(&Value::String(String::new()))
}

/// The required request fields of `ep` (in `place`) missing from `have` (which says whether a
/// field is present and not empty: the platforms refuse an empty required parameter too).
pub(crate) fn missing<'a>(
    ep: &'a Endpoint,
    place: Place,
    have: &dyn Fn(&str) -> bool,
) -> Vec<&'a str> {
    ep.request
        .iter()
        .filter(|f| f.place == place && f.required && !have(&f.wire))
        .map(|f| f.wire.as_str())
        .collect()
}

pub(crate) fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

/// Whether a Unix timestamp (seconds, as text) is within `window` seconds of now.
pub(crate) fn fresh(ts: Option<&str>, window: i64) -> bool {
    ts.and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| (t - unix_now()).abs() <= window)
}
