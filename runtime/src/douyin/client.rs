//! What is the Douyin Open Platform's own in a call: which token it carries (none, the app's
//! client token or a user's), JSON or form bodies, and the OAuth token calls. The rest is the
//! runtime's [`crate::client`]; the envelopes and the checks made before sending are declared in
//! `spec/douyin/platform.yaml`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{self, Call, TokenSource, invalid};
use crate::http::{Body, Part, PreparedRequest};
use crate::token::BoxFuture;
use crate::{Endpoint, Error, Flags, HttpMethod, Query, Result, Secret, Token, de, unix_now};

/// The platform marker of Douyin requests, and its plug-in to the runtime's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Douyin {}

type Client = client::Client<Douyin>;

/// The page a user is sent to to authorize the app ([`Client::authorize_url`]).
pub const AUTHORIZE_URL: &str = "https://open.douyin.com/platform/oauth/connect/";
/// The page a user opens to authorize the app `client_key` for `scope` (comma separated):
/// [`AUTHORIZE_URL`] with `client_key`, `response_type=code`, `scope`, `redirect_uri` and `state`
/// (left out when empty). Douyin redirects to `redirect_uri` with `code` and `state`.
/// [`Client::authorize_url`] is the same for a client's app.
pub fn authorization_url(client_key: &str, scope: &str, redirect_uri: &str, state: &str) -> String {
    let mut url = url::Url::parse(AUTHORIZE_URL).expect("AUTHORIZE_URL is a valid URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_key", client_key);
        q.append_pair("response_type", "code");
        q.append_pair("scope", scope);
        q.append_pair("redirect_uri", redirect_uri);
        if !state.is_empty() {
            q.append_pair("state", state);
        }
    }
    url.into()
}

/// How long before its expiry the client token is refreshed (5 minutes).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Query parameters and body fields masked when a prepared request is printed (the token header
/// is masked as the platform's `token_header`).
const SECRET_NAMES: &[&str] = &["access_token", "client_secret", "refresh_token", "code"];

/// A user's tokens, from [`Client::exchange_code`] or [`Client::refresh_access_token`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct UserToken {
    /// The user's identifier within this app.
    pub open_id: String,
    /// The access token (`act.…`), valid 15 days.
    pub access_token: Secret,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
    /// The refresh token (`rft.…`), valid 30 days; refreshing the access token does not extend it.
    pub refresh_token: Secret,
    /// When the refresh token expires (Unix seconds).
    pub refresh_expires_at: i64,
    /// The scopes the user granted, comma separated.
    pub scope: String,
}

impl UserToken {
    /// Whether the access token is still good for `margin`.
    pub fn is_fresh(&self, margin: Duration) -> bool {
        !self.access_token.is_empty() && self.expires_at - margin.as_secs() as i64 > unix_now()
    }

    /// The token in the runtime's [`Token`] form, for a [`TokenStore`] (`open_id` goes in `extra`).
    pub fn to_token(&self) -> Token {
        let mut t = Token {
            access_token: self.access_token.clone(),
            expires_at: self.expires_at,
            refresh_token: Some(self.refresh_token.clone()),
            refresh_expires_at: Some(self.refresh_expires_at),
            scope: Some(self.scope.clone()),
            ..Token::default()
        };
        t.extra.insert("open_id".into(), self.open_id.clone());
        t
    }

    /// A user token back from its [`Token`] form.
    pub fn from_token(t: &Token) -> UserToken {
        UserToken {
            open_id: t.extra.get("open_id").cloned().unwrap_or_default(),
            access_token: t.access_token.clone(),
            expires_at: t.expires_at,
            refresh_token: t.refresh_token.clone().unwrap_or_default(),
            refresh_expires_at: t.refresh_expires_at.unwrap_or_default(),
            scope: t.scope.clone().unwrap_or_default(),
        }
    }
}

/// A new refresh token, from [`Client::renew_refresh_token`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RenewedRefreshToken {
    /// The new refresh token; the old one no longer works.
    pub refresh_token: Secret,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

/// Which token a call carries: none, the handle's as given, the app's client token (kept by the
/// client, `Kept(None)`), or a user's token kept by the client (`Kept(Some(open_id))`).
fn auth_for(client: &Client, ep: &Endpoint) -> Result<TokenSource> {
    let scope = client.scope();
    if ep.flags.contains(Flags::NO_TOKEN) {
        return Ok(TokenSource::None);
    }
    if ep.flags.contains(Flags::CLIENT_TOKEN) {
        return Ok(match &scope.token {
            Some(t) if t.expose().starts_with("clt.") => TokenSource::Given(t.clone()),
            _ => TokenSource::Kept(None),
        });
    }
    match (&scope.token, &scope.owner) {
        (Some(t), _) => Ok(TokenSource::Given(t.clone())),
        (None, Some(open_id)) => Ok(TokenSource::Kept(Some(open_id.clone()))),
        (None, None) => Err(invalid(
            ep,
            "this call needs a user's access token: call it on `client.user(open_id)` or `client.with_access_token(..)`".into(),
        )),
    }
}

/// The `data` of the OAuth token calls: what the runtime keeps of it.
#[derive(Deserialize, Default)]
struct TokenData {
    #[serde(default, deserialize_with = "de::lenient")]
    access_token: String,
    #[serde(default, deserialize_with = "de::lenient")]
    expires_in: i64,
    #[serde(default, deserialize_with = "de::lenient")]
    open_id: String,
    #[serde(default, deserialize_with = "de::lenient")]
    refresh_token: String,
    #[serde(default, deserialize_with = "de::lenient")]
    refresh_expires_in: i64,
    #[serde(default, deserialize_with = "de::lenient")]
    scope: String,
}

impl TokenData {
    /// The user's tokens; `refresh` is kept when the answer has no new refresh token. An answer
    /// without an access token or its lifetime is refused.
    fn into_user_token(self, endpoint: &str, refresh: Option<Secret>) -> Result<UserToken> {
        if self.access_token.is_empty() {
            return Err(Error::empty_token_answer(endpoint, "an access_token"));
        }
        if self.expires_in <= 0 {
            return Err(Error::empty_token_answer(endpoint, "expires_in"));
        }
        let now = unix_now();
        Ok(UserToken {
            open_id: self.open_id,
            access_token: Secret::new(self.access_token),
            expires_at: now + self.expires_in,
            refresh_token: match refresh {
                Some(old) if self.refresh_token.is_empty() => old,
                _ => Secret::new(self.refresh_token),
            },
            refresh_expires_at: now + self.refresh_expires_in,
            scope: self.scope,
        })
    }
}

/// The owner prefix of a user's token in the store.
const USER: &str = "user:";

impl Client {
    /// A handle that calls as the user `open_id` with the token the client keeps for them (stored
    /// by [`Client::authorize`], refreshed ahead of expiry and when Douyin says it expired).
    pub fn user(&self, open_id: impl Into<String>) -> Client {
        self.with_owner(open_id)
    }

    /// The app's client key.
    pub fn client_key(&self) -> &str {
        self.app_key()
    }

    /// The token store's key of a user.
    pub fn user_token_key(&self, open_id: &str) -> String {
        self.token_key(&format!("{USER}{open_id}"))
    }

    fn client_token_key(&self) -> String {
        self.token_key("client")
    }

    /// The users (`open_id`) whose tokens the store keeps for this app, sorted.
    pub async fn kept_users(&self) -> Result<Vec<String>> {
        let owners = self.kept_owners().await?;
        Ok(owners
            .into_iter()
            .filter_map(|o| o.strip_prefix(USER).map(str::to_owned))
            .collect())
    }

    /// Remove a user's tokens from the store (they revoked the app); whether there were any.
    pub async fn forget_user(&self, open_id: &str) -> Result<bool> {
        self.forget_owner(&format!("{USER}{open_id}")).await
    }

    /// Exchange the authorization `code` ([`Client::exchange_code`]) and keep the user's tokens in
    /// the token store, under their `open_id`; then call as them with `client.user(&t.open_id)`.
    pub async fn authorize(&self, code: &str) -> Result<UserToken> {
        let t = self.exchange_code(code).await?;
        if t.open_id.is_empty() {
            return Err(Error::Token("the token answer has no open_id".into()));
        }
        self.tokens()
            .put(&self.user_token_key(&t.open_id), &t.to_token())
            .await?;
        Ok(t)
    }

    /// Renew the refresh token the client keeps for the user `open_id`
    /// ([`Client::renew_refresh_token`], at most 5 times per authorization) and keep the new one.
    pub async fn renew_user_refresh_token(&self, open_id: &str) -> Result<RenewedRefreshToken> {
        let key = self.user_token_key(open_id);
        let Some(mut t) = self.tokens().store().load(&key).await?.map(|s| s.token) else {
            return Err(Error::Token(format!(
                "no token for user {open_id}: exchange the user's authorization code first (Client::authorize)"
            )));
        };
        let Some(old) = t.refresh_token.clone() else {
            return Err(Error::Token(format!(
                "the token kept for user {open_id} has no refresh token"
            )));
        };
        let renewed = self.renew_refresh_token(old).await?;
        t.refresh_token = Some(renewed.refresh_token.clone());
        t.refresh_expires_at = Some(renewed.expires_at);
        self.tokens().put(&key, &t).await?;
        Ok(renewed)
    }

    /// The token the client keeps for the user `open_id`, refreshed when needed.
    pub async fn user_token(&self, open_id: &str) -> Result<UserToken> {
        self.kept_user_token(open_id, None)
            .await
            .map(|t| UserToken::from_token(&t))
    }

    async fn kept_user_token(&self, open_id: &str, stale: Option<&Secret>) -> Result<Token> {
        let key = self.user_token_key(open_id);
        self.managed_token(&key, stale, |current| async move {
            let Some(refresh) = current.as_ref().and_then(|t| t.refresh_token.clone()) else {
                return Err(Error::Token(format!(
                    "no token for user {open_id}: exchange the user's authorization code first (Client::authorize)"
                )));
            };
            let data = self.refresh_call(refresh.expose()).await?;
            let fresh_refresh = data.refresh_expires_in;
            let mut user = data.into_user_token("oauth.refresh_token", Some(refresh))?;
            user.open_id = open_id.to_owned();
            let mut t = user.to_token();
            if let Some(old) = current {
                if fresh_refresh == 0 {
                    t.refresh_expires_at = old.refresh_expires_at;
                }
            }
            Ok(t)
        })
        .await
    }

    /// The URL to send a user to so they authorize the app for `scope` (comma separated, e.g.
    /// `"user_info,trial.whitelist"`); Douyin then redirects to `redirect_uri` with `code` (for
    /// [`Client::exchange_code`]) and `state`. An empty `state` is left out.
    pub fn authorize_url(&self, scope: &str, redirect_uri: &str, state: &str) -> String {
        authorization_url(self.app_key(), scope, redirect_uri, state)
    }

    /// Verify a webhook push with this app's client secret (see [`super::webhook::verify`]).
    pub fn verify_webhook<K: AsRef<str>, V: AsRef<str>>(
        &self,
        headers: &[(K, V)],
        body: &[u8],
    ) -> std::result::Result<super::webhook::WebhookEvent, super::webhook::WebhookError> {
        super::webhook::verify(headers, body, self.app_secret().expose())
    }

    /// The app's client token: the cached one while it has more than the refresh margin to live,
    /// else a new one (one fetch however many tasks ask at once).
    pub async fn client_token(&self) -> Result<Secret> {
        self.kept_client_token(None).await
    }

    async fn kept_client_token(&self, stale: Option<&Secret>) -> Result<Secret> {
        let key = self.client_token_key();
        let token = self
            .managed_token(&key, stale, |_| self.fetch_client_token())
            .await?;
        Ok(token.access_token)
    }

    /// `POST /oauth/client_token/`.
    async fn fetch_client_token(&self) -> Result<Token> {
        let fields = json!({
            "client_key": self.app_key(),
            "client_secret": self.app_secret().expose(),
            "grant_type": "client_credential",
        });
        let data: TokenData = self
            .token_call(
                self.facts().endpoint("oauth.client_token")?,
                Query::new(),
                fields,
            )
            .await?;
        if data.access_token.is_empty() {
            return Err(Error::Token(
                "oauth.client_token answered without an access_token".into(),
            ));
        }
        let ttl = if data.expires_in > 0 {
            data.expires_in
        } else {
            7200
        };
        tracing::debug!(expires_in = ttl, "client token fetched");
        Ok(Token {
            access_token: Secret::new(data.access_token),
            expires_at: unix_now() + ttl,
            ..Token::default()
        })
    }

    /// Exchange the authorization `code` Douyin sent to the redirect URI for the user's tokens
    /// (`POST /oauth/access_token/`, form-encoded). A code works once.
    pub async fn exchange_code(&self, code: &str) -> Result<UserToken> {
        let fields = json!({
            "client_key": self.app_key(),
            "client_secret": self.app_secret().expose(),
            "code": code,
            "grant_type": "authorization_code",
        });
        let data: TokenData = self
            .token_call(
                self.facts().endpoint("oauth.access_token")?,
                Query::new(),
                fields,
            )
            .await?;
        data.into_user_token("oauth.access_token", None)
    }

    async fn refresh_call(&self, refresh_token: &str) -> Result<TokenData> {
        let fields = json!({
            "client_key": self.app_key(),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        });
        self.token_call(
            self.facts().endpoint("oauth.refresh_token")?,
            Query::new(),
            fields,
        )
        .await
    }

    /// A new access token (valid 15 days) from the user's refresh token
    /// (`POST /oauth/refresh_token/`, form-encoded). Once the refresh token has expired this fails
    /// with [`ErrorKind::AuthorizationLapsed`] (code 10010): the user must authorize again.
    pub async fn refresh_access_token(
        &self,
        refresh_token: impl Into<Secret>,
    ) -> Result<UserToken> {
        let refresh_token = refresh_token.into();
        let data = self.refresh_call(refresh_token.expose()).await?;
        data.into_user_token("oauth.refresh_token", Some(refresh_token))
    }

    /// A new refresh token (valid 30 days) in place of `refresh_token`, which stops working
    /// (`POST /oauth/renew_refresh_token/`, form-encoded; needs the `renew_refresh_token`
    /// permission). Call it before the old one expires; it can be done at most 5 times, after which
    /// it fails with [`ErrorKind::Auth`] and the user must authorize again.
    pub async fn renew_refresh_token(
        &self,
        refresh_token: impl Into<Secret>,
    ) -> Result<RenewedRefreshToken> {
        let fields = json!({
            "client_key": self.app_key(),
            "refresh_token": refresh_token.into().expose(),
        });
        let data: TokenData = self
            .token_call(
                self.facts().endpoint("oauth.renew_refresh_token")?,
                Query::new(),
                fields,
            )
            .await?;
        if data.refresh_token.is_empty() {
            return Err(Error::empty_token_answer(
                "oauth.renew_refresh_token",
                "a refresh_token",
            ));
        }
        if data.expires_in <= 0 {
            return Err(Error::empty_token_answer(
                "oauth.renew_refresh_token",
                "expires_in",
            ));
        }
        Ok(RenewedRefreshToken {
            refresh_token: Secret::new(data.refresh_token),
            expires_at: unix_now() + data.expires_in,
        })
    }
}

impl client::Platform for Douyin {
    type Options = ();

    /// None for `GET`, form-encoded for `form` endpoints, else JSON.
    fn encode(ep: &Endpoint, fields: Value, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::MULTIPART) || !files.is_empty() {
            return Err(invalid(
                ep,
                "multipart bodies are not supported by the Douyin client".into(),
            ));
        }
        if ep.method == HttpMethod::Get {
            return Ok(Body::Empty);
        }
        if ep.flags.contains(Flags::FORM) {
            return form_encode(&fields)
                .map(Body::Form)
                .map_err(|m| invalid(ep, m));
        }
        serde_json::to_vec(&fields)
            .map(Body::Json)
            .map_err(|e| invalid(ep, e.to_string()))
    }

    /// A typed request's JSON body is its canonical JSON as it is (what `serde_json` writes of
    /// the tree); it is read back into one only for a form body.
    fn encode_canonical(ep: &Endpoint, json: Vec<u8>, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::FORM) {
            let fields = serde_json::from_slice(&json).map_err(|e| invalid(ep, e.to_string()))?;
            return Self::encode(ep, fields, files);
        }
        if ep.flags.contains(Flags::MULTIPART) || !files.is_empty() {
            return Err(invalid(
                ep,
                "multipart bodies are not supported by the Douyin client".into(),
            ));
        }
        if ep.method == HttpMethod::Get {
            return Ok(Body::Empty);
        }
        Ok(Body::Json(json))
    }

    fn token_source(client: &Client, ep: &Endpoint) -> Result<TokenSource> {
        auth_for(client, ep)
    }

    fn kept_token<'a>(
        client: &'a Client,
        _ep: &'a Endpoint,
        user: Option<&'a str>,
        stale: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move {
            match user {
                None => client.kept_client_token(stale).await,
                Some(open_id) => Ok(client.kept_user_token(open_id, stale).await?.access_token),
            }
        })
    }

    fn sign(
        client: &Client,
        call: &Call,
        token: Option<&Secret>,
        _now: i64,
    ) -> Result<PreparedRequest> {
        let ep = call.endpoint;
        let url = client.transport().url(ep.name, &call.path, &call.query)?;
        let mut headers = Vec::new();
        if let Some(t) = token {
            let header = client.facts().require_token_header()?;
            headers.push((header.to_owned(), t.expose().to_owned()));
        }
        Ok(PreparedRequest {
            method: ep.method,
            url,
            headers,
            body: call.body.clone(),
            secret_names: SECRET_NAMES,
            token_header: client.facts().token_header,
        })
    }
}

/// `application/x-www-form-urlencoded` from the top-level fields of `value`: strings as they are,
/// numbers and booleans as text, `null` left out, lists and objects as compact JSON.
fn form_encode(value: &Value) -> std::result::Result<Vec<u8>, String> {
    let Value::Object(map) = value else {
        return Err(format!("a form body must be an object, not {value}"));
    };
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in map {
        match v {
            Value::Null => {}
            Value::String(s) => {
                form.append_pair(k, s);
            }
            other => {
                form.append_pair(k, &other.to_string());
            }
        }
    }
    Ok(form.finish().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;
    use crate::ApiResponse;
    use crate::ErrorKind;
    use crate::client::ClientBuilder;
    use crate::client::Facts;
    use crate::http::RawResponse;

    /// Facts for the tests (the real ones are generated into shop-api from platform.yaml).
    static FACTS: Facts = Facts {
        name: "douyin",
        base_url: "https://open.douyin.com",
        sandbox_url: None,
        auth_url: None,
        sandbox_auth_url: None,
        version: "v1",
        token_header: Some("access-token"),
        success_code: 0,
        endpoints: &[],
        errors: &[ROW_28001008, ROW_28003018],
        checks: &[],
        envelope: crate::envelope::Envelope {
            data: "data",
            code: &[
                ("err_no", 0),
                ("data.error_code", 0),
                ("extra.error_code", 0),
            ],
            message: &[
                "err_msg",
                "err_tips",
                "data.description",
                "extra.description",
                "message",
            ],
            sub_code: &["extra.sub_error_code"],
            sub_message: &["extra.sub_description"],
            request_id: &["log_id", "extra.logid", "data.log_id"],
            extra: Some("extra"),
        },
    };

    /// Two rows of the catalogue (the whole one is generated into shop-api and tested there).
    const ROW_28001008: crate::ErrorEntry = crate::ErrorEntry {
        code: 28001008,
        sub_code: None,
        keyword: None,
        endpoints: &[],
        message: "access_token过期,请刷新或重新授权",
        sub_message: None,
        meaning: "The access token expired.",
        kind: ErrorKind::TokenExpired,
        retry: false,
        doc_url: "https://developer.open-douyin.com/docs/resource/zh-CN/dop/develop/openapi/status-code",
    };
    const ROW_28003018: crate::ErrorEntry = crate::ErrorEntry {
        code: 28003018,
        message: "请求频率过高",
        kind: ErrorKind::RateLimited,
        retry: true,
        ..ROW_28001008
    };

    fn builder(key: &str, secret: &str) -> ClientBuilder<Douyin> {
        ClientBuilder::new(&FACTS, key, secret, DEFAULT_REFRESH_MARGIN)
    }

    fn parse_as<T: serde::de::DeserializeOwned>(
        ep: &Endpoint,
        raw: RawResponse,
    ) -> Result<ApiResponse<T>> {
        crate::envelope::read(&FACTS, ep, raw)?.decode(ep)
    }

    static EP: Endpoint = Endpoint {
        platform: "douyin",
        module: "test",
        name: "test.call",
        method: HttpMethod::Post,
        path: "/test/",
        summary: "",
        doc_url: "",
        flags: Flags::NONE,
        deprecated: false,
        has_data: true,
        required: &[],
        pagination: None,
    };

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    struct Data {
        #[serde(default)]
        n: i64,
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn err(body: &str) -> ApiError {
        match parse_as::<Data>(&EP, raw(200, body)) {
            Err(Error::Api(e)) => *e,
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    #[test]
    fn three_envelopes_decode() {
        let legacy = r#"{"data":{"n":1,"error_code":0,"description":""},"extra":{"error_code":0,"description":"","sub_error_code":0,"sub_description":"","logid":"L1","now":1}}"#;
        let oauth = r#"{"data":{"n":2,"error_code":"0","description":""},"message":"success"}"#;
        let newer = r#"{"err_no":0,"err_msg":"","log_id":"L3","data":{"n":3}}"#;
        let r = parse_as::<Data>(&EP, raw(200, legacy)).unwrap();
        assert_eq!((r.data.n, r.request_id.as_deref()), (1, Some("L1")));
        assert_eq!(parse_as::<Data>(&EP, raw(200, oauth)).unwrap().data.n, 2);
        let r = parse_as::<Data>(&EP, raw(200, newer)).unwrap();
        assert_eq!((r.data.n, r.request_id.as_deref()), (3, Some("L3")));
    }

    #[test]
    fn three_error_envelopes() {
        let e = err(
            r#"{"data":{"error_code":28001008,"description":"access_token expired"},"extra":{"error_code":28001008,"description":"access_token expired","sub_error_code":7,"sub_description":"detail","logid":"L1","now":1}}"#,
        );
        assert_eq!((e.code, e.kind), (28001008, ErrorKind::TokenExpired));
        assert_eq!(
            (e.sub_code.as_deref(), e.sub_message.as_deref()),
            (Some("7"), Some("detail"))
        );
        assert_eq!(e.request_id.as_deref(), Some("L1"));
        assert_eq!(e.message, "access_token expired");

        let e = err(
            r#"{"data":{"error_code":10013,"description":"bad secret","captcha":""},"message":"error"}"#,
        );
        assert_eq!(
            (e.code, e.kind, e.message.as_str()),
            // No official table has 10013: it is `Other`.
            (10013, ErrorKind::Other, "bad secret")
        );

        let e = err(r#"{"err_no":28003018,"err_msg":"too many","log_id":"L3","data":null}"#);
        assert_eq!(
            (e.code, e.kind, e.request_id.as_deref()),
            (28003018, ErrorKind::RateLimited, Some("L3"))
        );
        assert_eq!(e.sub_code, None);
    }

    #[test]
    fn odd_bodies() {
        assert!(matches!(
            parse_as::<Data>(&EP, raw(502, "<html>bad gateway</html>")),
            Err(Error::Http { status: 502, .. })
        ));
        assert!(matches!(
            parse_as::<Data>(&EP, raw(200, "not json")),
            Err(Error::Decode { .. })
        ));
        assert!(matches!(
            parse_as::<Data>(&EP, raw(200, r#"{"data":{"n":1}}"#)),
            Err(Error::Decode { .. })
        ));
        let e = match parse_as::<Data>(&EP, raw(429, r#"{"err_no":1,"err_msg":"slow down"}"#)) {
            Err(Error::Api(e)) => *e,
            other => panic!("{other:?}"),
        };
        assert_eq!(e.kind, ErrorKind::RateLimited);
    }

    #[test]
    fn form_bodies() {
        let v = serde_json::json!({"b": "x y&z", "a": 1, "c": true, "d": null, "e": [1, 2]});
        let form = String::from_utf8(form_encode(&v).unwrap()).unwrap();
        assert_eq!(form, "a=1&b=x+y%26z&c=true&e=%5B1%2C2%5D");
    }

    #[test]
    fn which_token_a_call_carries() {
        let c = builder("ck", "cs").build().unwrap();
        let client_ep = Endpoint {
            flags: Flags::CLIENT_TOKEN,
            ..EP
        };
        assert!(matches!(
            auth_for(
                &c,
                &Endpoint {
                    flags: Flags::NO_TOKEN,
                    ..EP
                }
            ),
            Ok(TokenSource::None)
        ));
        assert!(matches!(
            auth_for(&c, &client_ep),
            Ok(TokenSource::Kept(None))
        ));
        let e = auth_for(&c, &EP).err().unwrap().to_string();
        assert!(e.contains("with_access_token"), "{e}");
        let user = c.with_access_token("act.u");
        assert!(matches!(auth_for(&user, &EP), Ok(TokenSource::Given(t)) if t.expose() == "act.u"));
        assert!(
            matches!(auth_for(&user, &client_ep), Ok(TokenSource::Kept(None))),
            "a user token is not a client token"
        );
        let given = c.with_access_token("clt.mine");
        assert!(
            matches!(auth_for(&given, &client_ep), Ok(TokenSource::Given(t)) if t.expose() == "clt.mine")
        );
    }

    #[tokio::test]
    async fn a_printed_token_request_hides_the_secret() {
        let c = builder("ck", "cs-very-secret").build().unwrap();
        static TOKEN: Endpoint = Endpoint {
            name: "oauth.client_token",
            path: "/oauth/client_token/",
            flags: Flags::NO_TOKEN,
            ..EP
        };
        let fields = json!({"client_key": "ck", "client_secret": "cs-very-secret", "grant_type": "client_credential"});
        let call = c
            .encode_fields(&TOKEN, TOKEN.path.into(), Query::new(), fields, Vec::new())
            .unwrap();
        let p = c.prepare_call(&call).await.unwrap();
        assert!(p.headers.is_empty(), "the token call carries no token");
        assert!(
            matches!(&p.body, Body::Json(b) if String::from_utf8_lossy(b).contains("cs-very-secret"))
        );
        let shown = p.to_string();
        assert!(
            !shown.contains("cs-very-secret") && shown.contains("client_credential"),
            "{shown}"
        );
    }

    #[test]
    fn authorize_url_and_secrets() {
        let c = builder("ck", "cs-very-secret").build().unwrap();
        assert_eq!(
            c.authorize_url(
                "user_info,trial.whitelist",
                "https://example.com/cb?x=1",
                "st"
            ),
            "https://open.douyin.com/platform/oauth/connect/?client_key=ck&response_type=code&scope=user_info%2Ctrial.whitelist&redirect_uri=https%3A%2F%2Fexample.com%2Fcb%3Fx%3D1&state=st"
        );
        assert!(
            !c.authorize_url("user_info", "https://e.com", "")
                .contains("state")
        );
        let shown = format!("{c:?} {:?}", c.with_access_token("act.abcdefghijkl"));
        assert!(
            !shown.contains("cs-very-secret") && !shown.contains("act.abcdefghijkl"),
            "{shown}"
        );
        assert!(builder("", "x").build().is_err());
    }
}
