//! What is Doudian's own in a call: the canonical `param_json` body, the signature, the envelope
//! and its error codes, and the shop tokens (`token.create`, `token.refresh`). The rest is the
//! runtime's [`crate::client`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

pub use super::sign::SignMethod;
use super::sign::Signer;
use crate::client::{self, Call, ClientBuilder, TokenSource, invalid};
use crate::http::{Body, Part, PreparedRequest};
use crate::token::BoxFuture;
use crate::{
    Endpoint, Error, Flags, HttpMethod, Query, Result, Secret, Token, de, json as canonical,
    unix_now,
};

/// The platform marker of Doudian requests, and its plug-in to the runtime's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doudian {}

/// How long before their expiry managed tokens are refreshed, unless the builder says otherwise.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(30 * 60);

type Client = client::Client<Doudian>;

/// Doudian's own settings, set on the [`ClientBuilder`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The signing method (default HMAC-SHA256).
    pub sign_method: SignMethod,
    /// A self-use app: a shop without a token gets one by itself.
    pub self_use: bool,
}

/// Doudian's own builder settings.
impl<C> ClientBuilder<Doudian, C> {
    /// The signing method (default HMAC-SHA256).
    pub fn sign_method(mut self, m: SignMethod) -> Self {
        self.options.sign_method = m;
        self
    }

    /// A self-use app (自用型应用): a shop without a stored token gets one with
    /// `token.create` (`grant_type=authorization_self`). Tool apps (工具型应用, the default)
    /// must exchange an authorization code first ([`Client::exchange_code`]).
    pub fn self_use(mut self, on: bool) -> Self {
        self.options.self_use = on;
        self
    }
}

impl Client {
    /// A handle that calls as the shop `shop_id`, with the token the client keeps for it.
    pub fn shop(&self, shop_id: impl Into<String>) -> Client {
        self.with_owner(shop_id)
    }

    /// The shops whose tokens the store keeps for this app, sorted.
    pub async fn kept_shops(&self) -> Result<Vec<String>> {
        self.kept_owners().await
    }

    /// Remove a shop's token from the store (it revoked the app); whether there was one.
    pub async fn forget_shop(&self, shop_id: &str) -> Result<bool> {
        self.forget_owner(shop_id).await
    }

    /// Tool apps: exchange the authorization `code` from the callback for a token, keep it under
    /// the shop it names, and return it (`extra["shop_id"]`, `extra["shop_name"]`).
    pub async fn exchange_code(&self, code: &str) -> Result<Token> {
        let token = self
            .create_token(json!({"code": code, "grant_type": "authorization_code"}))
            .await?;
        let shop = token.extra.get("shop_id").cloned().unwrap_or_default();
        if shop.is_empty() {
            return Err(Error::Token(
                "token.create answered without a shop_id".into(),
            ));
        }
        self.tokens().put(&self.token_key(&shop), &token).await?;
        Ok(token)
    }

    /// The token the client keeps for `shop_id`, fetched or refreshed when needed.
    pub async fn shop_token(&self, shop_id: &str) -> Result<Token> {
        self.kept_token(shop_id, None).await
    }

    async fn kept_token(&self, shop_id: &str, stale: Option<&Secret>) -> Result<Token> {
        self.managed_token(&self.token_key(shop_id), stale, |current| async move {
            match current.and_then(|t| t.refresh_token.clone().map(|r| (r, t.extra))) {
                Some((refresh, old_extra)) => {
                    let fields = json!({"refresh_token": refresh.expose(), "grant_type": "refresh_token"});
                    let data: TokenData = self.token_call(self.facts().endpoint("token.refresh")?, Query::new(), fields).await?;
                    let mut t = data.into_token("token.refresh")?;
                    for (k, v) in old_extra {
                        t.extra.entry(k).or_insert(v);
                    }
                    Ok(t)
                }
                None if self.options().self_use => {
                    self.create_token(json!({"code": "", "grant_type": "authorization_self", "shop_id": shop_id}))
                        .await
                }
                None => Err(Error::Token(format!(
                    "no token for shop {shop_id}: a tool app must exchange the seller's authorization code first (Client::exchange_code)"
                ))),
            }
        })
        .await
    }

    async fn create_token(&self, fields: Value) -> Result<Token> {
        let data: TokenData = self
            .token_call(self.facts().endpoint("token.create")?, Query::new(), fields)
            .await?;
        data.into_token("token.create")
    }

    /// Sign `param_json` for `ep` at `timestamp`: the request a call would send.
    pub fn prepare_raw(
        &self,
        ep: &'static Endpoint,
        param_json: &str,
        token: Option<&Secret>,
        timestamp: i64,
    ) -> Result<PreparedRequest> {
        let call = Call {
            endpoint: ep,
            path: ep.path.into(),
            query: Query::new(),
            body: Body::Json(param_json.as_bytes().to_vec()),
        };
        <Doudian as client::Platform>::sign(self, &call, token, timestamp)
    }
}

impl client::Platform for Doudian {
    type Options = Options;

    fn encode(ep: &Endpoint, fields: Value, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::MULTIPART) || !files.is_empty() {
            return Err(invalid(
                ep,
                "Doudian calls carry param_json, not multipart/form-data".into(),
            ));
        }
        Ok(Body::Json(canonical::canonical(&fields).into_bytes()))
    }

    /// A typed request's body fields are already `param_json`: canonical, written in one pass.
    fn encode_canonical(ep: &Endpoint, json: Vec<u8>, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::MULTIPART) || !files.is_empty() {
            return Err(invalid(
                ep,
                "Doudian calls carry param_json, not multipart/form-data".into(),
            ));
        }
        Ok(Body::Json(json))
    }

    fn token_source(client: &Client, ep: &Endpoint) -> Result<TokenSource> {
        client.given_or_owner(
            ep,
            "this call needs a shop: call it on `client.shop(shop_id)` or `client.with_access_token(..)`",
        )
    }

    fn kept_token<'a>(
        client: &'a Client,
        _ep: &'a Endpoint,
        shop: Option<&'a str>,
        stale: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move {
            let shop = shop.unwrap_or_default();
            Ok(client.kept_token(shop, stale).await?.access_token)
        })
    }

    fn sign(
        client: &Client,
        call: &Call,
        token: Option<&Secret>,
        now: i64,
    ) -> Result<PreparedRequest> {
        let ep = call.endpoint;
        let facts = client.facts();
        let method = client.options().sign_method;
        let mut ts = [0; 20];
        let ts = decimal(now, &mut ts);
        // What the client derives once: the keyed signer, each endpoint's URL head.
        let made = || Derived::new(client);
        let fresh;
        let derived = match client.derived(made) {
            Some(d) => d,
            None => {
                fresh = made();
                &fresh
            }
        };
        let mut sign = [0; 64];
        let sign = derived
            .signer
            .sign_in(ep.name, call.body.bytes(), ts, facts.version, &mut sign);
        let mut url = derived.url_head(client, call)?;
        // The rest of the system parameters, form-encoded straight into the URL.
        {
            let mut q = url.query_pairs_mut();
            if let Some(token) = token.filter(|_| !ep.flags.contains(Flags::NO_TOKEN)) {
                q.append_pair("access_token", token.expose());
            }
            q.append_pair("timestamp", ts);
            q.append_pair("v", facts.version);
            q.append_pair("sign", sign);
            if let Some(m) = method.query_value() {
                q.append_pair("sign_method", m);
            }
        }
        Ok(PreparedRequest {
            method: HttpMethod::Post,
            url,
            headers: vec![("x-open-no-old-err-code".into(), "1".into())],
            body: call.body.clone(),
            secret_names: &["access_token", "sign"],
            token_header: None,
        })
    }
}

/// What a Doudian client derives once and keeps ([`client::Client::derived`]): the signer keyed
/// with its secret, and each endpoint's URL up to the parameters that change per call.
struct Derived {
    signer: Signer,
    /// By endpoint: the base URL, the path and `?app_key=..&method=..`, kept with a placeholder
    /// fragment (see [`ROOM`]) when it has none of its own.
    heads: RwLock<HashMap<usize, (url::Url, bool), BuildHasherDefault<AddressHasher>>>,
}

/// Room for the parameters a call appends to its endpoint's URL head (bytes). `url::Url` cannot
/// reserve, and a clone's capacity is its length: a head is kept with a fragment this long, which
/// a call's copy drops at once, keeping the room (two reallocations fewer).
const ROOM: usize = 224;

impl Derived {
    fn new(client: &Client) -> Derived {
        let method = client.options().sign_method;
        Derived {
            signer: Signer::new(method, client.app_key(), client.app_secret().expose()),
            heads: RwLock::default(),
        }
    }

    /// `call`'s URL with its first system parameters, `app_key` and `method`: the endpoint's,
    /// made once, when the call has the endpoint's own path (every Doudian path has no
    /// placeholder).
    fn url_head(&self, client: &Client, call: &Call) -> Result<url::Url> {
        let ep = call.endpoint;
        let own = call.path == ep.path;
        let key = std::ptr::from_ref(ep) as usize;
        let kept = || self.heads.read().ok()?.get(&key).cloned();
        if let Some((mut url, roomy)) = own.then(kept).flatten() {
            if roomy {
                url.set_fragment(None);
            }
            return Ok(url);
        }
        let mut url = client.transport().url(ep.name, &call.path, &Query::new())?;
        url.query_pairs_mut()
            .append_pair("app_key", client.app_key())
            .append_pair("method", ep.name);
        if own {
            let mut head = url.clone();
            let roomy = head.fragment().is_none();
            if roomy {
                head.set_fragment(Some(&".".repeat(ROOM)));
            }
            if let Ok(mut heads) = self.heads.write() {
                heads.insert(key, (head, roomy));
            }
        }
        Ok(url)
    }
}

/// The hasher of the URL heads' map, whose keys are endpoints' addresses: a multiply, no more.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// `n` in decimal, written in `buf`: `to_string` without the formatting machinery or a string.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

/// The service-market page where a seller authorizes a tool app (工具型应用) of service
/// `service_id` (the app's service id in the service market, not its app key):
/// `https://fuwu.jinritemai.com/authorize?service_id=..&state=..`. `state` comes back unchanged
/// with the authorization `code` for `token.create`; an empty `state` is left out.
pub fn authorization_url(service_id: &str, state: &str) -> String {
    let mut url =
        url::Url::parse("https://fuwu.jinritemai.com/authorize").expect("a fixed, valid URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("service_id", service_id);
        if !state.is_empty() {
            q.append_pair("state", state);
        }
    }
    url.into()
}

/// The `data` of `token.create` and `token.refresh`: what the runtime keeps of it.
#[derive(Deserialize)]
struct TokenData {
    #[serde(default, deserialize_with = "de::lenient")]
    access_token: String,
    #[serde(default, deserialize_with = "de::lenient")]
    expires_in: i64,
    #[serde(default, deserialize_with = "de::lenient")]
    refresh_token: String,
    #[serde(default, deserialize_with = "de::lenient")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    shop_id: Option<String>,
    #[serde(default, deserialize_with = "de::lenient")]
    shop_name: Option<String>,
}

impl TokenData {
    /// The token to keep; an answer without an access token or its lifetime is refused.
    fn into_token(self, endpoint: &str) -> Result<Token> {
        if self.access_token.is_empty() {
            return Err(Error::empty_token_answer(endpoint, "an access_token"));
        }
        if self.expires_in <= 0 {
            return Err(Error::empty_token_answer(endpoint, "expires_in"));
        }
        let now = unix_now();
        let mut extra = std::collections::BTreeMap::new();
        if let Some(id) = self.shop_id.filter(|s| !s.is_empty()) {
            extra.insert("shop_id".to_owned(), id);
        }
        if let Some(n) = self.shop_name.filter(|s| !s.is_empty()) {
            extra.insert("shop_name".to_owned(), n);
        }
        Ok(Token {
            access_token: Secret::new(self.access_token),
            expires_at: now + self.expires_in,
            refresh_token: (!self.refresh_token.is_empty())
                .then(|| Secret::new(self.refresh_token)),
            // Refresh tokens last 14 days.
            refresh_expires_at: Some(now + 14 * 24 * 3600),
            scope: self.scope,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Facts;

    /// Facts for the tests (the real ones are generated into shop-api from platform.yaml).
    static FACTS: Facts = Facts {
        name: "doudian",
        base_url: "https://openapi-fxg.jinritemai.com",
        sandbox_url: None,
        auth_url: None,
        sandbox_auth_url: None,
        version: "2",
        token_header: None,
        success_code: 10000,
        endpoints: &[],
        errors: &[],
        checks: &[],
        envelope: crate::envelope::Envelope {
            data: "data",
            code: &[("code", 10000), ("err_no", 0)],
            message: &["msg", "message"],
            sub_code: &["sub_code"],
            sub_message: &["sub_msg"],
            request_id: &["log_id"],
            extra: None,
        },
    };

    static EP: Endpoint = Endpoint {
        platform: "doudian",
        module: "order",
        name: "order.searchList",
        method: HttpMethod::Post,
        path: "/order/searchList",
        summary: "",
        doc_url: "",
        flags: Flags::NONE,
        deprecated: false,
        has_data: true,
        required: &[],
        pagination: None,
    };

    static PUBLIC: Endpoint = Endpoint {
        name: "token.create",
        path: "/token/create",
        flags: Flags::NO_TOKEN,
        ..EP
    };

    /// The URL as it was built before the heads were kept: every system parameter through the
    /// `url` crate's own form encoder, in the documented order.
    fn by_hand(
        base: &str,
        ep: &Endpoint,
        key: &str,
        token: Option<&str>,
        ts: i64,
        sign: &str,
        hmac: bool,
    ) -> url::Url {
        let mut url = url::Url::parse(&format!("{base}{}", ep.path)).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("app_key", key).append_pair("method", ep.name);
            if let Some(t) = token {
                q.append_pair("access_token", t);
            }
            q.append_pair("timestamp", &ts.to_string())
                .append_pair("v", "2")
                .append_pair("sign", sign);
            if hmac {
                q.append_pair("sign_method", "hmac-sha256");
            }
        }
        url
    }

    /// Each call's URL is its endpoint's head (made once, then reused) and the parameters of the
    /// call, the same URL as every parameter encoded afresh; the sign is the formula's.
    #[test]
    fn urls_from_kept_heads_are_the_urls_built_afresh() {
        let base = "http://127.0.0.1:9/proxy";
        for method in [SignMethod::HmacSha256, SignMethod::Md5] {
            let client =
                ClientBuilder::<Doudian>::new(&FACTS, "key&1 é", "secret", DEFAULT_REFRESH_MARGIN)
                    .base_url(base)
                    .sign_method(method)
                    .build()
                    .unwrap();
            let token = Secret::new("to ken/+&=");
            for (ep, ts, pj) in [
                (&EP, 1_700_000_000, r#"{"a":"测试<&>"}"#),
                (&EP, 1_700_000_001, "{}"),
                (&PUBLIC, 5, r#"{"code":""}"#),
                (&EP, -1, "{}"),
            ] {
                let p = client.prepare_raw(ep, pj, Some(&token), ts).unwrap();
                let sign = super::super::sign::sign(
                    method,
                    "key&1 é",
                    "secret",
                    ep.name,
                    pj,
                    &ts.to_string(),
                    "2",
                );
                let token = (ep.name != "token.create").then_some(token.expose());
                let hmac = method == SignMethod::HmacSha256;
                assert_eq!(p.url, by_hand(base, ep, "key&1 é", token, ts, &sign, hmac));
                assert_eq!(p.body, Body::Json(pj.as_bytes().to_vec()));
            }
        }
    }

    #[test]
    fn decimal_is_to_string() {
        for n in [0, 7, -1, 10, -10, 1_700_000_000, i64::MIN, i64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }
}
