//! An offline stand-in of the three platforms, routed from the specs.
//!
//! Every request is checked as the platform would check it (signature, app key, timestamp, token,
//! shop cipher, required fields) and answered with the platform's own error envelope when
//! something is wrong, or with the endpoint's documented `example:` response when all is well.
//! Token endpoints issue real tokens with real expiry. Platforms live under path prefixes of one
//! server: `/doudian`, `/tiktok` (with its auth host at `/tiktok-auth`) and `/douyin`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
// Header names and success codes are the platforms' facts, from their platform.yaml.
use shop_api::runtime::unix_now;
use shop_api::{doudian, douyin, tiktok};
use shop_api_codegen::ir::{self, Endpoint, FlagKind, Place};

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

/// What the sandbox serves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The project root whose `spec/` routes the sandbox.
    pub root: PathBuf,
    /// The credentials it accepts.
    pub credentials: Credentials,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl: i64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            root: Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
            credentials: Credentials::default(),
            token_ttl: 7 * 24 * 3600,
        }
    }
}

/// An issued token.
#[derive(Debug, Clone)]
struct Issued {
    platform: &'static str,
    kind: &'static str,
    expires_at: i64,
}

struct State {
    api: ir::Api,
    config: SandboxConfig,
    tokens: Mutex<HashMap<String, Issued>>,
    refresh: Mutex<HashMap<String, &'static str>>,
    counter: std::sync::atomic::AtomicU64,
}

impl State {
    fn issue(&self, platform: &'static str, kind: &'static str, prefix: &str) -> (String, String) {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let access = format!("{prefix}{platform}-access-{n}-{}", unix_now());
        let refresh = format!("{platform}-refresh-{n}-{}", unix_now());
        let expires_at = unix_now() + self.config.token_ttl;
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: expired tokens are dropped whenever a new one is issued.
        let now = unix_now();
        tokens.retain(|_, t| t.expires_at > now);
        tokens.insert(
            access.clone(),
            Issued {
                platform,
                kind,
                expires_at,
            },
        );
        self.refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(refresh.clone(), platform);
        (access, refresh)
    }

    /// `Ok(())` when `token` was issued for `platform` (and `kind`, when given) and is unexpired.
    fn check_token(
        &self,
        platform: &str,
        kind: Option<&str>,
        token: Option<&str>,
    ) -> Result<(), &'static str> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err("missing");
        };
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens.get(token) {
            Some(t) if t.platform == platform && kind.is_none_or(|k| k == t.kind) => {
                if t.expires_at > unix_now() {
                    Ok(())
                } else {
                    Err("expired")
                }
            }
            _ => Err("invalid"),
        }
    }

    fn take_refresh(&self, platform: &str, refresh: &str) -> bool {
        let mut r = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        match r.get(refresh) {
            Some(p) if *p == platform => {
                r.remove(refresh);
                true
            }
            _ => false,
        }
    }

    fn endpoints(&self, platform: &str) -> impl Iterator<Item = &Endpoint> {
        self.api
            .platforms
            .iter()
            .filter(move |p| p.name == platform)
            .flat_map(|p| &p.modules)
            .flat_map(|m| &m.endpoints)
    }

    /// The endpoint of `platform` that `method path` calls (`{x}` matches one segment).
    fn route(&self, platform: &str, method: &Method, path: &str) -> Option<&Endpoint> {
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
}

/// The axum router of a sandbox loaded from `config.root`'s specs.
pub fn router(config: SandboxConfig) -> Result<axum::Router, String> {
    let api = ir::load(&config.root).map_err(|e| e.to_string())?;
    let state = Arc::new(State {
        api,
        config,
        tokens: Mutex::new(HashMap::new()),
        refresh: Mutex::new(HashMap::new()),
        counter: std::sync::atomic::AtomicU64::new(1),
    });
    Ok(axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move { handle(&state, method, uri, headers, body) }
        },
    ))
}

/// Serve the sandbox on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, config: SandboxConfig) -> Result<(), String> {
    let app = router(config)?;
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn handle(state: &State, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let (platform, rest) = match path.trim_start_matches('/').split_once('/') {
        Some((p, r)) => (p.to_owned(), format!("/{r}")),
        None => (path.trim_start_matches('/').to_owned(), "/".to_owned()),
    };
    let q = query_pairs(&uri);
    let resp = match platform.as_str() {
        "doudian" => doudian(state, &method, &rest, &q, &body),
        "tiktok" => tiktok(state, &method, &rest, &q, &headers, &body),
        "tiktok-auth" => tiktok_auth(state, &rest, &q),
        "douyin" => douyin(state, &method, &rest, &q, &headers, &body),
        _ => Err((
            StatusCode::NOT_FOUND,
            json!({"error": format!("no platform at {path}: use /doudian, /tiktok, /tiktok-auth or /douyin")}),
        )),
    };
    let (status, v) = match resp {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => e,
    };
    tracing::info!(%method, platform, path = rest, status = status.as_u16(), "sandbox request");
    json_response(status, v)
}

type Answer = Result<Value, (StatusCode, Value)>;

fn example(ep: &Endpoint) -> Value {
    ep.example
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok())
        .unwrap_or(Value::Null)
}

/// The required request fields of `ep` (in `place`) missing from `have` (which says whether a
/// field is present and not empty: the platforms refuse an empty required parameter too).
/// Whether a JSON value is there and not an empty string.
fn present(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null)) && v != Some(&Value::String(String::new()))
}

fn missing<'a>(ep: &'a Endpoint, place: Place, have: &dyn Fn(&str) -> bool) -> Vec<&'a str> {
    ep.request
        .iter()
        .filter(|f| f.place == place && f.required && !have(&f.wire))
        .map(|f| f.wire.as_str())
        .collect()
}

fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str())
}

fn fresh(ts: Option<&str>) -> bool {
    ts.and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| (t - unix_now()).abs() <= 600)
}

// ---------------------------------------------------------------------------------------------
// Doudian: envelope {code, msg, sub_code, sub_msg, log_id, data}; success 10000.

fn dd_err(code: i64, sub_code: &str, msg: &str, sub_msg: &str) -> (StatusCode, Value) {
    (
        StatusCode::OK,
        json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "log_id": "sandbox", "data": {}}),
    )
}

fn doudian(
    state: &State,
    method: &Method,
    path: &str,
    q: &[(String, String)],
    body: &[u8],
) -> Answer {
    let c = &state.config.credentials;
    let name = path.trim_start_matches('/').replace('/', ".");
    let Some(ep) = state.endpoints("doudian").find(|e| e.name == name) else {
        return Err(dd_err(
            40004,
            "isv.method-not-exist",
            "method not found",
            &format!("no method `{name}`"),
        ));
    };
    if method != Method::POST || get(q, "method") != Some(name.as_str()) {
        return Err(dd_err(
            40004,
            "isv.parameter-invalid",
            "invalid parameter",
            "the `method` query parameter must name the path's method",
        ));
    }
    if get(q, "app_key") != Some(c.doudian_key.as_str()) {
        return Err(dd_err(
            40003,
            "isv.app-key-invalid",
            "invalid app_key",
            "unknown app_key",
        ));
    }
    if get(q, "v") != Some("2") || !fresh(get(q, "timestamp")) {
        return Err(dd_err(
            40004,
            "isv.parameter-invalid",
            "invalid parameter",
            "v must be 2 and timestamp within 10 minutes",
        ));
    }
    let text = std::str::from_utf8(body).unwrap_or_default();
    let sign_method = match get(q, "sign_method") {
        None => doudian::SignMethod::Md5,
        Some("hmac-sha256") => doudian::SignMethod::HmacSha256,
        Some(_) => {
            return Err(dd_err(
                40004,
                "isv.parameter-invalid",
                "invalid parameter",
                "unknown sign_method",
            ));
        }
    };
    let expected = doudian::sign::sign(
        sign_method,
        &c.doudian_key,
        &c.doudian_secret,
        &name,
        text,
        get(q, "timestamp").unwrap_or_default(),
        "2",
    );
    if get(q, "sign") != Some(expected.as_str()) {
        return Err(dd_err(
            40003,
            "isv.signature-invalid",
            "签名校验失败",
            "the sign does not match the request",
        ));
    }
    if !ep.flags.contains(&FlagKind::NoToken) {
        match state.check_token("doudian", None, get(q, "access_token")) {
            Ok(()) => {}
            Err("expired") => {
                return Err(dd_err(
                    40003,
                    "isv.access-token-expired",
                    "access_token已过期",
                    "refresh the token",
                ));
            }
            Err(_) => {
                return Err(dd_err(
                    40003,
                    "isv.access-token-no-existed",
                    "access_token不存在",
                    "use a token from token.create",
                ));
            }
        }
    }
    let params: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    // token.create takes `code: ""` from self-use apps: there the key must be sent, empty or not.
    let empty_ok = |k: &str| name == "token.create" && k == "code" && params.get(k).is_some();
    let gone = missing(ep, Place::Body, &|k| empty_ok(k) || present(params.get(k)));
    if !gone.is_empty() {
        return Err(dd_err(
            40004,
            "isv.parameter-invalid",
            "invalid parameter",
            &format!("missing required parameter(s): {}", gone.join(", ")),
        ));
    }
    match name.as_str() {
        "token.create" | "token.refresh" => {
            if name == "token.refresh"
                && !state.take_refresh(
                    "doudian",
                    params["refresh_token"].as_str().unwrap_or_default(),
                )
            {
                return Err(dd_err(
                    40003,
                    "isv.refresh-token-invalid",
                    "refresh_token无效",
                    "unknown or used refresh token",
                ));
            }
            let (access, refresh) = state.issue("doudian", "shop", "");
            let shop_id = params["shop_id"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("4463798")
                .to_owned();
            Ok(
                json!({"code": doudian::FACTS.success_code, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sandbox", "data": {
                "access_token": access, "expires_in": state.config.token_ttl, "refresh_token": refresh,
                "scope": "SCOPE", "shop_id": shop_id, "shop_name": "Sandbox shop", "authority_id": shop_id}}),
            )
        }
        _ => Ok(example(ep)),
    }
}

// ---------------------------------------------------------------------------------------------
// TikTok Shop: envelope {code, message, request_id, data}; success 0.

fn tt_err(status: u16, code: i64, message: &str) -> (StatusCode, Value) {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"code": code, "message": message, "request_id": "sandbox", "data": null}),
    )
}

fn tiktok(
    state: &State,
    method: &Method,
    path: &str,
    q: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let c = &state.config.credentials;
    let Some(ep) = state.route("tiktok", method, path) else {
        return Err(tt_err(
            404,
            36009004,
            &format!("Invalid path: no endpoint {method} {path}"),
        ));
    };
    if get(q, "app_key") != Some(c.tiktok_key.as_str()) {
        return Err(tt_err(401, 36004004, "Invalid app_key"));
    }
    if !fresh(get(q, "timestamp")) {
        return Err(tt_err(
            401,
            36009004,
            "Invalid timestamp: it must be within 5 minutes of the current time",
        ));
    }
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let params: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let signed_body = (!multipart && !body.is_empty()).then_some(body);
    if !tiktok::sign::verify(
        &c.tiktok_secret,
        path,
        &params,
        signed_body,
        get(q, "sign").unwrap_or_default(),
    ) {
        return Err(tt_err(
            401,
            106001,
            "Invalid signature: check the app secret and how the request was signed",
        ));
    }
    if !ep.flags.contains(&FlagKind::NoToken) {
        let token = headers
            .get(tiktok::FACTS.token_header.unwrap_or_default())
            .and_then(|v| v.to_str().ok());
        match state.check_token("tiktok", None, token) {
            Ok(()) => {}
            Err("expired") => {
                return Err(tt_err(
                    401,
                    105002,
                    "Expired credentials: the x-tts-access-token has expired",
                ));
            }
            Err(_) => {
                return Err(tt_err(
                    401,
                    105001,
                    "Invalid credentials: the x-tts-access-token is not valid",
                ));
            }
        }
    }
    if !ep.flags.contains(&FlagKind::NoShopCipher)
        && get(q, "shop_cipher").is_none_or(str::is_empty)
    {
        return Err(tt_err(
            400,
            106013,
            "Missing shop_cipher: this API is shop-scoped",
        ));
    }
    let mut gone = missing(ep, Place::Query, &|k| get(q, k).is_some());
    let json_body: Value = if multipart {
        Value::Null
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    if !multipart {
        gone.extend(missing(ep, Place::Body, &|k| present(json_body.get(k))));
    }
    if !gone.is_empty() {
        return Err(tt_err(
            400,
            36009004,
            &format!("Invalid request parameters: missing {}", gone.join(", ")),
        ));
    }
    Ok(example(ep))
}

fn tiktok_auth(state: &State, path: &str, q: &[(String, String)]) -> Answer {
    let c = &state.config.credentials;
    if get(q, "app_key") != Some(c.tiktok_key.as_str())
        || get(q, "app_secret") != Some(c.tiktok_secret.as_str())
    {
        return Err(tt_err(200, 36004004, "Invalid app_key or app_secret"));
    }
    match (path, get(q, "grant_type")) {
        ("/api/v2/token/get", Some("authorized_code"))
            if get(q, "auth_code").is_some_and(|c| !c.is_empty()) => {}
        ("/api/v2/token/refresh", Some("refresh_token")) => {
            if !state.take_refresh("tiktok", get(q, "refresh_token").unwrap_or_default()) {
                return Err(tt_err(200, 36004004, "Invalid refresh_token"));
            }
        }
        _ => {
            return Err(tt_err(
                400,
                36009004,
                &format!("Invalid token request {path}"),
            ));
        }
    }
    let (access, refresh) = state.issue("tiktok", "seller", "TTP_");
    let now = unix_now();
    Ok(
        json!({"code": 0, "message": "success", "request_id": "sandbox", "data": {
        "access_token": access, "access_token_expire_in": now + state.config.token_ttl,
        "refresh_token": refresh, "refresh_token_expire_in": now + 30 * 24 * 3600,
        "open_id": "sandbox-open-id", "seller_name": "Sandbox seller", "seller_base_region": "GB",
        "user_type": 0, "granted_scopes": ["seller.authorization.info", "seller.order.info", "seller.product.basic"]}}),
    )
}

// ---------------------------------------------------------------------------------------------
// Douyin: legacy envelope {data: {error_code, description, ...}, extra: {...}}; success 0.

fn dy_err(code: i64, description: &str) -> (StatusCode, Value) {
    (
        StatusCode::OK,
        json!({"data": {"error_code": code, "description": description},
               "extra": {"error_code": code, "description": description, "sub_error_code": 0, "sub_description": "", "logid": "sandbox", "now": unix_now() * 1000}}),
    )
}

fn douyin(
    state: &State,
    method: &Method,
    path: &str,
    q: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    let c = &state.config.credentials;
    let Some(ep) = state.route("douyin", method, path) else {
        return Err(dy_err(2100004, &format!("no endpoint {method} {path}")));
    };
    let form = ep.flags.contains(&FlagKind::Form);
    let fields: Value = if form {
        Value::Object(
            url::form_urlencoded::parse(body)
                .into_owned()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_slice(body).unwrap_or(Value::Null)
    };
    let mut gone = missing(ep, Place::Query, &|k| get(q, k).is_some());
    gone.extend(missing(ep, Place::Body, &|k| present(fields.get(k))));
    if !gone.is_empty() {
        return Err(dy_err(
            2100005,
            &format!("参数不合法: missing {}", gone.join(", ")),
        ));
    }
    let str_of = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
    if ep.flags.contains(&FlagKind::NoToken) {
        if fields.get("client_key").is_some() {
            let key_ok = str_of("client_key") == c.douyin_key;
            let secret_ok =
                fields.get("client_secret").is_none() || str_of("client_secret") == c.douyin_secret;
            if !key_ok || !secret_ok {
                return Err(dy_err(10013, "client_key或client_secret错误"));
            }
        } else if fields.get("access_token").is_some() {
            // OAuth calls that carry the user's token in the body (oauth.userinfo).
            if state
                .check_token("douyin", Some("user"), Some(str_of("access_token")))
                .is_err()
            {
                return Err(dy_err(2190008, "access_token过期或无效"));
            }
        }
    } else {
        let kind = if ep.flags.contains(&FlagKind::ClientToken) {
            "client"
        } else {
            "user"
        };
        let header = douyin::FACTS.token_header.unwrap_or_default();
        let token = headers.get(header).and_then(|v| v.to_str().ok());
        match state.check_token("douyin", Some(kind), token) {
            Ok(()) => {}
            Err("expired") => return Err(dy_err(28001008, "access_token过期")),
            Err(_) => return Err(dy_err(28001003, "access_token无效")),
        }
    }
    let oauth = |data: Value| json!({"data": data, "message": "success"});
    match ep.name.as_str() {
        "oauth.client_token" | "oauth.stable_client_token" => {
            let (access, _) = state.issue("douyin", "client", "clt.");
            Ok(oauth(
                json!({"access_token": access, "expires_in": 7200.min(state.config.token_ttl), "error_code": 0, "description": ""}),
            ))
        }
        "oauth.access_token" | "oauth.refresh_token" => {
            if ep.name == "oauth.refresh_token"
                && !state.take_refresh("douyin", str_of("refresh_token"))
            {
                return Err(dy_err(10010, "refresh_token过期"));
            }
            let (access, refresh) = state.issue("douyin", "user", "act.");
            Ok(oauth(
                json!({"access_token": access, "expires_in": 1_296_000.min(state.config.token_ttl), "open_id": "sandbox-open-id",
                "refresh_token": refresh, "refresh_expires_in": 2_592_000, "scope": "user_info", "error_code": 0, "description": ""}),
            ))
        }
        "oauth.renew_refresh_token" => {
            if !state.take_refresh("douyin", str_of("refresh_token")) {
                return Err(dy_err(10010, "refresh_token过期"));
            }
            let (_, refresh) = state.issue("douyin", "user", "act.");
            Ok(oauth(
                json!({"refresh_token": refresh, "expires_in": 2_592_000, "error_code": 0, "description": ""}),
            ))
        }
        _ => Ok(example(ep)),
    }
}
