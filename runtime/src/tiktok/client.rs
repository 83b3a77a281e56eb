//! What is TikTok Shop's own in a call: the signature over path, sorted query and body, the
//! access token header and the shop cipher, the envelope and its error codes, and the sellers'
//! tokens on the auth host. The rest is the runtime's [`crate::client`].

use std::time::Duration;

use serde_json::Value;

use crate::client::{self, Call, TokenSource, invalid};
use crate::http::{Body, Part, PreparedRequest};
use crate::token::BoxFuture;
use crate::{Endpoint, Error, Flags, HttpMethod, Query, Result, Secret, Token, de};

/// The platform marker of TikTok Shop requests, and its plug-in to the runtime's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tiktok {}

/// How long before their expiry managed tokens are refreshed, unless the builder says otherwise.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(3600);

type Client = client::Client<Tiktok>;

/// Query parameters and headers masked when a prepared API call is printed.
/// (The token header is masked as the platform's `token_header`.)
const API_SECRETS: &[&str] = &["sign"];
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
    /// The answer, when it holds an access token and its expiry; else the refusal.
    fn usable(self, endpoint: &str) -> Result<TokenInfo> {
        if self.access_token.is_empty() {
            return Err(Error::empty_token_answer(endpoint, "an access_token"));
        }
        if self.access_token_expire_in <= 0 {
            return Err(Error::empty_token_answer(
                endpoint,
                "access_token_expire_in",
            ));
        }
        Ok(self)
    }

    /// The runtime's [`Token`], for a [`crate::TokenStore`]: `extra` keeps `open_id`,
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
pub static TOKEN_GET: Endpoint = Endpoint {
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
    pagination: None,
};

/// `GET /api/v2/token/refresh` on the auth host.
pub static TOKEN_REFRESH: Endpoint = Endpoint {
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
    pagination: None,
};

impl Client {
    /// A handle that calls as the seller `open_id`, with the token the client keeps for them; it
    /// keeps this handle's shop cipher.
    pub fn seller(&self, open_id: impl Into<String>) -> Client {
        self.with_owner(open_id)
    }

    /// A handle that targets the shop `cipher` (from `authorization.shops`) in shop-scoped calls;
    /// it keeps this handle's access token and shares the pool.
    pub fn with_shop_cipher(&self, cipher: impl Into<String>) -> Client {
        let mut scope = self.scope().clone();
        scope.shop_cipher = Some(cipher.into());
        self.with_scope(scope)
    }

    /// The shop cipher of this handle, if any.
    pub fn shop_cipher(&self) -> Option<&str> {
        self.scope().shop_cipher.as_deref()
    }

    /// Whether this handle carries an access token.
    pub fn has_access_token(&self) -> bool {
        self.scope().token.is_some() || self.scope().owner.is_some()
    }

    /// The sellers (`open_id`) whose tokens the store keeps for this app, sorted.
    pub async fn kept_sellers(&self) -> Result<Vec<String>> {
        self.kept_owners().await
    }

    /// Remove a seller's token from the store (the seller deauthorized the app); whether there
    /// was one.
    pub async fn forget_seller(&self, open_id: &str) -> Result<bool> {
        self.forget_owner(open_id).await
    }

    /// Exchange the authorization code for the seller's tokens ([`Client::get_token`]), keep them
    /// under the seller's `open_id`, and return them. Then call as the seller with
    /// `client.seller(&info.open_id)`.
    pub async fn authorize(&self, auth_code: &str) -> Result<TokenInfo> {
        let info = self.get_token(auth_code).await?;
        if info.open_id.is_empty() {
            return Err(Error::Token("the token answer has no open_id".into()));
        }
        self.tokens()
            .put(&self.token_key(&info.open_id), &info.to_token())
            .await?;
        Ok(info)
    }

    /// The token the client keeps for the seller `open_id`, refreshed when needed.
    pub async fn seller_token(&self, open_id: &str) -> Result<Token> {
        self.kept_token(open_id, None).await
    }

    async fn kept_token(&self, open_id: &str, stale: Option<&Secret>) -> Result<Token> {
        self.managed_token(&self.token_key(open_id), stale, |current| async move {
            let Some(refresh) = current.and_then(|t| t.refresh_token) else {
                return Err(Error::Token(format!(
                    "no token for seller {open_id}: exchange the seller's authorization code first (Client::authorize)"
                )));
            };
            Ok(self.refresh_token(refresh.expose()).await?.to_token())
        })
        .await
    }

    /// Exchange the authorization code from the redirect after the seller authorized the app (see
    /// [`authorization_url`]) for the seller's tokens.
    pub async fn get_token(&self, auth_code: &str) -> Result<TokenInfo> {
        let mut q = Query::new();
        q.push("auth_code", auth_code);
        q.push("grant_type", "authorized_code");
        let info: TokenInfo = self
            .token_call(&TOKEN_GET, q, Value::Object(Default::default()))
            .await?;
        info.usable(TOKEN_GET.name)
    }

    /// Get a new access token (and possibly a new refresh token) with `refresh_token`.
    pub async fn refresh_token(&self, refresh_token: &str) -> Result<TokenInfo> {
        let mut q = Query::new();
        q.push("refresh_token", refresh_token);
        q.push("grant_type", "refresh_token");
        let info: TokenInfo = self
            .token_call(&TOKEN_REFRESH, q, Value::Object(Default::default()))
            .await?;
        info.usable(TOKEN_REFRESH.name)
    }
}

impl client::Platform for Tiktok {
    type Options = ();

    fn encode(ep: &Endpoint, fields: Value, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::MULTIPART) {
            return multipart_parts(ep, fields, files).map(Body::Multipart);
        }
        let bytes = serde_json::to_vec(&fields).map_err(|e| invalid(ep, e.to_string()))?;
        Ok(json_body(ep, bytes))
    }

    /// A typed request's body is its canonical JSON as it is (what `serde_json` writes of the
    /// tree); an upload's text parts are read back from it.
    fn encode_canonical(ep: &Endpoint, json: Vec<u8>, files: Vec<Part>) -> Result<Body> {
        if ep.flags.contains(Flags::MULTIPART) {
            let fields = serde_json::from_slice(&json).map_err(|e| invalid(ep, e.to_string()))?;
            return multipart_parts(ep, fields, files).map(Body::Multipart);
        }
        Ok(json_body(ep, json))
    }

    fn token_source(client: &Client, ep: &Endpoint) -> Result<TokenSource> {
        client.given_or_owner(ep, NEEDS_TOKEN)
    }

    fn kept_token<'a>(
        client: &'a Client,
        _ep: &'a Endpoint,
        open_id: Option<&'a str>,
        stale: Option<&'a Secret>,
    ) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move {
            let open_id = open_id.unwrap_or_default();
            Ok(client.kept_token(open_id, stale).await?.access_token)
        })
    }

    fn sign(
        client: &Client,
        call: &Call,
        token: Option<&Secret>,
        now: i64,
    ) -> Result<PreparedRequest> {
        let ep = call.endpoint;
        if ep.module == "auth" {
            return token_request(client, call);
        }
        let mut q = Query::new();
        q.push("app_key", client.app_key());
        q.push("timestamp", &now);
        if !ep.flags.contains(Flags::NO_SHOP_CIPHER) {
            let Some(cipher) = client.shop_cipher() else {
                return Err(invalid(
                    ep,
                    "this call is shop-scoped and needs a shop cipher: call it on `client.with_shop_cipher(..)` (the cipher comes from `authorization.shops`)".into(),
                ));
            };
            q.push("shop_cipher", cipher);
        }
        for (k, v) in call.query.pairs() {
            q.push_owned(k.to_owned(), v);
        }
        let mut headers = Vec::new();
        if !ep.flags.contains(Flags::NO_TOKEN) {
            let Some(token) = token else {
                return Err(invalid(ep, NEEDS_TOKEN.into()));
            };
            let header = client.facts().require_token_header()?;
            headers.push((header.to_owned(), token.expose().to_owned()));
        }
        let signed = match &call.body {
            Body::Json(bytes) => Some(bytes.as_slice()),
            Body::Empty => {
                headers.push(("content-type".to_owned(), "application/json".to_owned()));
                None
            }
            _ => None,
        };
        let pairs: Vec<(&str, &str)> = q.pairs().collect();
        let sign = super::sign::sign(client.app_secret().expose(), &call.path, &pairs, signed);
        q.push("sign", sign.as_str());
        let url = client.transport().url(ep.name, &call.path, &q)?;
        Ok(PreparedRequest {
            method: ep.method,
            url,
            headers,
            body: call.body.clone(),
            secret_names: API_SECRETS,
            token_header: client.facts().token_header,
        })
    }
}

const NEEDS_TOKEN: &str = "this call needs a seller's access token: call it on `client.seller(open_id)` or `client.with_access_token(..)`";

/// A token call: `GET` on the auth host with the app key and secret in the query, unsigned.
fn token_request(client: &Client, call: &Call) -> Result<PreparedRequest> {
    let ep = call.endpoint;
    let base = client.auth_base_url();
    let mut url = url::Url::parse(&format!("{base}{}", call.path))
        .map_err(|e| invalid(ep, format!("bad auth URL {base}{}: {e}", call.path)))?;
    url.query_pairs_mut()
        .append_pair("app_key", client.app_key())
        .append_pair("app_secret", client.app_secret().expose())
        .extend_pairs(call.query.pairs());
    Ok(PreparedRequest {
        method: HttpMethod::Get,
        url,
        headers: Vec::new(),
        body: Body::Empty,
        secret_names: TOKEN_SECRETS,
        token_header: None,
    })
}

/// A JSON body; none for a `GET` or `DELETE` without fields.
fn json_body(ep: &Endpoint, bytes: Vec<u8>) -> Body {
    let bodiless = matches!(ep.method, HttpMethod::Get | HttpMethod::Delete);
    if bodiless && bytes == b"{}" {
        Body::Empty
    } else {
        Body::Json(bytes)
    }
}

/// The parts of a multipart call: a text part per top-level field that no file part replaces,
/// then the files. A required body field must end up in a non-empty part.
fn multipart_parts(ep: &Endpoint, fields: Value, files: Vec<Part>) -> Result<Vec<Part>> {
    let Value::Object(fields) = fields else {
        return Err(invalid(
            ep,
            "the request does not serialize to an object".into(),
        ));
    };
    let mut parts = Vec::with_capacity(fields.len() + files.len());
    for (name, value) in &fields {
        if files.iter().any(|f| f.name == *name) {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
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
            return Err(invalid(
                ep,
                format!("the multipart field `{name}` is required: pass it as a file part"),
            ));
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::client::Facts;
    use crate::http::RawResponse;
    use crate::{ApiRequest, ApiResponse, Platform};

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
        type Response = Value;
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
            pagination: None,
        };
        fn write_query(&self, q: &mut Query) {
            q.push("page_size", &self.page_size);
        }
    }

    /// A stand-in for `authorization.shops` (GET, no cipher, empty body).
    #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Shops {}

    impl ApiRequest for Shops {
        type Response = Value;
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
            pagination: None,
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
        type Response = Value;
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
            pagination: None,
        };
    }

    /// Facts for the tests (the real ones are generated into shop-api from platform.yaml).
    static FACTS: Facts = Facts {
        name: "tiktok",
        base_url: "https://open-api.tiktokglobalshop.com",
        sandbox_url: None,
        auth_url: None,
        sandbox_auth_url: None,
        version: "202309",
        token_header: Some("x-tts-access-token"),
        success_code: 0,
        endpoints: &[],
        errors: &[],
        checks: &[],
        envelope: crate::envelope::Envelope {
            data: "data",
            code: &[("code", 0)],
            message: &["message"],
            sub_code: &[],
            sub_message: &[],
            request_id: &["request_id"],
            extra: None,
        },
    };

    fn client(app_key: &str) -> Client {
        crate::ClientBuilder::<Tiktok>::new(&FACTS, app_key, SECRET, DEFAULT_REFRESH_MARGIN)
            .build()
            .unwrap()
    }

    /// The request of `req` signed at `ts` with `token`.
    fn signed<R: ApiRequest>(
        c: &Client,
        req: &R,
        token: Option<&str>,
        ts: i64,
    ) -> Result<PreparedRequest> {
        let call = c.encode(req, Vec::new())?;
        Tiktok::sign(c, &call, token.map(Secret::new).as_ref(), ts)
    }

    fn parse_as<T: serde::de::DeserializeOwned>(
        ep: &Endpoint,
        raw: RawResponse,
    ) -> Result<ApiResponse<T>> {
        crate::envelope::read(&FACTS, ep, raw)?.decode(ep)
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
        let p = signed(&shop, &req, Some("TTP_token"), 1696909648).unwrap();
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
            vec![("x-tts-access-token".to_owned(), "TTP_token".to_owned())]
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
        let p = signed(&shop, &Shops {}, Some("TTP_token"), 1623812664).unwrap();
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
        let err = signed(&c, &Shops {}, None, 1).unwrap_err();
        assert!(err.to_string().contains("with_access_token"), "{err}");
        let err = signed(&c.with_access_token("t"), &Search::default(), Some("t"), 1).unwrap_err();
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
        let fields = crate::json::to_body(&req).unwrap();
        let parts = multipart_parts(Upload::ENDPOINT, fields.clone(), vec![file.clone()]).unwrap();
        let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["use_case", "width", "data"]);
        assert_eq!(parts[0].data, b"MAIN_IMAGE");
        assert_eq!(parts[1].data, b"3");
        assert_eq!(parts[2], file);
        let err = multipart_parts(Upload::ENDPOINT, fields, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("`data`"), "{err}");
    }

    #[test]
    fn envelope_parsing() {
        let raw = |status: u16, body: &str| RawResponse {
            status,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        };
        let ok: ApiResponse<Value> = parse_as(
            Shops::ENDPOINT,
            raw(
                200,
                r#"{"code":0,"message":"Success","request_id":"r1","data":{"a":1}}"#,
            ),
        )
        .unwrap();
        assert_eq!(ok.request_id.as_deref(), Some("r1"));
        assert_eq!(ok.data["a"], 1);
        let e = parse_as::<Value>(
            Shops::ENDPOINT,
            raw(
                401,
                r#"{"code":106001,"message":"bad sign","request_id":"r2"}"#,
            ),
        )
        .unwrap_err();
        // These facts hold no catalogue: an uncatalogued code with HTTP 401 is `Auth`.
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.api().unwrap().code, 106001);
        assert_eq!(e.api().unwrap().http_status, 401);
        let e = parse_as::<Value>(
            Shops::ENDPOINT,
            raw(429, r#"{"code":1,"message":"slow down"}"#),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let e =
            parse_as::<Value>(Shops::ENDPOINT, raw(502, "<html>bad gateway</html>")).unwrap_err();
        assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
        let e = parse_as::<Value>(Shops::ENDPOINT, raw(200, "not json")).unwrap_err();
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
        let e = parse_as::<TokenInfo>(&TOKEN_GET, raw)
            .map_err(Error::withhold_body)
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
