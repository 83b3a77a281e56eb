#![cfg(feature = "douyin")]
//! Douyin Open Platform end to end over real HTTP on 127.0.0.1: the sandbox checks the token header,
//! the body encoding and the fields of every request, and each test.s hooks answer in the
//! platform's three envelopes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shop_api::Error;
use shop_api::douyin::market::{
    MarketServiceUserDeletePurchaseInfoRequest, MarketServiceUserInsertPurchaseInfoRequest,
    MarketServiceUserPurchaseListRequest, MarketServiceUserRemaintimesDecrRequest,
};
use shop_api::douyin::oauth::OauthUserinfoRequest;
use shop_api::douyin::webhook::{self, Deduplicator, WebhookError};
use shop_api::douyin::{Client, ClientBuilder, Event};
use shop_api::runtime::http::{Body, PreparedRequest, Transport};
use shop_api::runtime::{ErrorKind, HttpConfig, HttpMethod, Query, RetryPolicy};
use shop_api_sandbox::douyin::{legacy_err, legacy_ok, newer_err, newer_ok, oauth_err, oauth_ok};
use shop_api_sandbox::{Platform, REQUEST_ID, Reply, Running, Sandbox, SandboxConfig, Seen};
use shop_api_tests::fake_http::{Reply as ServerReply, Request, Server};

const KEY: &str = "awx9d2kc0example";
const SECRET: &str = "7802f4e6f243e659d51135445fe1c0de";

/// The sandbox, accepting this file's client key and secret.
async fn sandbox() -> Running {
    Sandbox::start(SandboxConfig::default().douyin_app(KEY, SECRET))
        .await
        .unwrap()
}

/// `POST /oauth/client_token/` hands out `tokens` in turn (the last one again once used up).
fn client_tokens(platform: &Sandbox, tokens: &'static [&'static str], expires_in: i64) {
    platform.on("POST /oauth/client_token/", move |s| {
        assert_eq!(s.content_type(), Some("application/json"));
        assert_eq!(s.token, None, "the token call carries no token");
        assert_eq!(
            s.params,
            json!({"client_key": KEY, "client_secret": SECRET, "grant_type": "client_credential"})
        );
        let n = s.nth.min(tokens.len() - 1);
        // Slow enough for concurrent callers to pile up behind the one fetch.
        oauth_ok(json!({"access_token": tokens[n], "expires_in": expires_in}))
            .delay(Duration::from_millis(30))
    });
}

fn builder(platform: &Running) -> ClientBuilder {
    Client::builder(KEY, SECRET)
        .base_url(platform.url(Platform::Douyin))
        .retry(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
        })
}

fn purchase_list() -> MarketServiceUserPurchaseListRequest {
    MarketServiceUserPurchaseListRequest {
        open_id: "OPEN-1".into(),
        service_id: "7021602203591118688".into(),
        is_test_env: true,
    }
}

fn decr(count: i32) -> MarketServiceUserRemaintimesDecrRequest {
    MarketServiceUserRemaintimesDecrRequest {
        count,
        is_test_env: false,
        open_id: "OPEN-1".into(),
        out_trade_no: "ORDER-42-USE-1".into(),
        service_id: "7021602203591118688".into(),
        service_mode_id: "free".into(),
    }
}

fn list_handler(platform: &Sandbox) {
    platform.on("GET /market/service/user/purchase/list/", |s| {
        assert_eq!(s.params, Value::Null, "a GET has no body");
        assert_eq!(s.query("open_id").unwrap(), "OPEN-1");
        assert_eq!(s.query("is_test_env").unwrap(), "true");
        match s.token.as_deref() {
            Some("clt.OLD") => legacy_err(28001008, "access_token过期,请刷新或重新授权"),
            Some(t) if t.starts_with("clt.") => legacy_ok(json!({"purchase_info_list": [{
                "service_id": 7021602203591118688_u64, "service_name": "服务名称", "service_status": "1",
                "service_mode_id": "free", "specification_type": 1, "specification_title": "体验版", "remain_service_times": 9
            }]})),
            other => panic!("the purchase list takes a client token, got {other:?}"),
        }
    });
}

#[tokio::test]
async fn every_service_market_call_carries_the_client_token() {
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.T1"], 7200);
    list_handler(&platform);
    platform.on("POST /market/service/user/remaintimes/decr/", |s| {
        assert_eq!(s.token.as_deref(), Some("clt.T1"));
        assert_eq!(s.content_type(), Some("application/json"));
        assert_eq!(
            s.params,
            json!({"count": 2, "is_test_env": false, "open_id": "OPEN-1", "out_trade_no": "ORDER-42-USE-1", "service_id": "7021602203591118688", "service_mode_id": "free"})
        );
        newer_ok(json!({"error_code": 0, "description": ""}))
    });
    platform.on("POST /market/service/user/insert/purchase/info/", |s| {
        assert_eq!(s.token.as_deref(), Some("clt.T1"));
        assert_eq!(s.params["purchase_time"], 1700000000000_i64);
        assert_eq!(s.params["usage_times"], 10);
        assert!(
            s.params.get("duration").is_none(),
            "an unset optional field is left out"
        );
        legacy_ok(json!({}))
    });
    platform.on("POST /market/service/user/delete/purchase/info/", |s| {
        assert_eq!(s.token.as_deref(), Some("clt.T1"));
        assert_eq!(s.params, json!({"open_id": "OPEN-1", "out_trade_no": "IMPORT-1", "service_id": "S", "service_mode_id": "M"}));
        // The legacy envelope's error, with a sub-code in `extra`.
        Reply::json(200, &json!({
            "data": {"error_code": 28001007, "description": "参数不合法"},
            "extra": {"error_code": 28001007, "description": "参数不合法", "sub_error_code": 2190015, "sub_description": "sub detail", "logid": "LEGACY-ERR", "now": 1597213176393_i64}
        }))
    });
    let client = builder(&platform).build().unwrap();

    // Legacy envelope, success: the data decodes leniently (ids and statuses as numbers or text).
    let full = client.execute_full(&purchase_list()).await.unwrap();
    assert_eq!(full.request_id.as_deref(), Some(REQUEST_ID));
    // The legacy envelope's `extra` is there on success...
    let extra = full.extra.as_ref().expect("the legacy envelope's extra");
    assert!(extra["now"].as_i64().is_some_and(|n| n > 0), "{extra}");
    assert_eq!(extra["logid"], REQUEST_ID);
    let info = &full.data.purchase_info_list[0];
    assert_eq!(
        (
            info.service_id.as_str(),
            info.service_status,
            info.remain_service_times
        ),
        ("7021602203591118688", 1, Some(9))
    );

    // Newer envelope, success.
    let r = client
        .market_service_user_remaintimes_decr(&decr(2))
        .await
        .unwrap();
    assert_eq!(r.error_code, 0);

    client
        .market_service_user_insert_purchase_info(&MarketServiceUserInsertPurchaseInfoRequest {
            open_id: "OPEN-1".into(),
            out_trade_no: "IMPORT-1".into(),
            period_type: 2,
            purchase_time: 1_700_000_000_000,
            service_id: "S".into(),
            service_mode_id: "M".into(),
            usage_times: Some(10),
            ..Default::default()
        })
        .await
        .unwrap();

    // Legacy envelope, error: one typed error with the sub-code, the message and the log id.
    let e = client
        .market_service_user_delete_purchase_info(&MarketServiceUserDeletePurchaseInfoRequest {
            open_id: "OPEN-1".into(),
            out_trade_no: "IMPORT-1".into(),
            service_id: "S".into(),
            service_mode_id: "M".into(),
        })
        .await
        .unwrap_err();
    let api = e.api().expect("a platform error");
    assert_eq!(
        (api.platform, api.code, api.kind),
        ("douyin", 28001007, ErrorKind::InvalidParam)
    );
    assert_eq!(
        (api.message.as_str(), api.sub_code.as_deref()),
        ("参数不合法", Some("2190015"))
    );
    assert_eq!(
        (api.sub_message.as_deref(), api.request_id.as_deref()),
        (Some("sub detail"), Some("LEGACY-ERR"))
    );
    // ... and on error.
    let extra = api.extra.as_ref().expect("the legacy envelope's extra");
    assert_eq!(extra["now"], 1597213176393_i64);
    assert_eq!(
        platform.count("/market/service/user/delete/purchase/info/"),
        1,
        "an invalid-parameter error is not retried"
    );

    assert_eq!(
        platform.count("/oauth/client_token/"),
        1,
        "one client token for every call"
    );
}

#[tokio::test]
async fn each_error_envelope_is_one_typed_error() {
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.T1"], 7200);
    // Newer envelope, rate limited twice, then fine: retried after a pause.
    platform.on("POST /market/service/user/remaintimes/decr/", |s| {
        if s.nth < 2 {
            newer_err(28003018, "请求频率过高")
        } else {
            newer_ok(json!({"error_code": 0, "description": ""}))
        }
    });
    // OAuth envelope, an error.
    platform.on("POST /oauth/access_token/", |_| {
        oauth_err(20010013, "client_key 或者 client_secret 报错")
    });
    let client = builder(&platform).build().unwrap();

    client
        .market_service_user_remaintimes_decr(&decr(1))
        .await
        .unwrap();
    assert_eq!(platform.count("/market/service/user/remaintimes/decr/"), 3);

    let e = client.exchange_code("CODE").await.unwrap_err();
    let api = e.api().expect("a platform error");
    assert_eq!(
        (api.code, api.kind, api.message.as_str()),
        (
            20010013,
            ErrorKind::Auth,
            "client_key 或者 client_secret 报错"
        )
    );
    assert!(!format!("{e} {e:?}").contains(SECRET));

    // Rate limited for good: 1 try and 3 bounded retries, then the typed error.
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.T1"], 7200);
    platform.on("POST /market/service/user/remaintimes/decr/", |_| {
        newer_err(28003018, "请求频率过高")
    });
    let e = builder(&platform)
        .build()
        .unwrap()
        .market_service_user_remaintimes_decr(&decr(1))
        .await
        .unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(
        (api.code, api.kind, api.request_id.as_deref()),
        (28003018, ErrorKind::RateLimited, Some(REQUEST_ID))
    );
    assert_eq!(platform.count("/market/service/user/remaintimes/decr/"), 4);
}

#[tokio::test]
async fn one_client_token_for_many_concurrent_calls() {
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.T1", "clt.UNEXPECTED"], 7200);
    list_handler(&platform);
    let client = builder(&platform).build().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .market_service_user_purchase_list(&purchase_list())
                .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().purchase_info_list.len(), 1);
    }
    assert_eq!(
        platform.count("/oauth/client_token/"),
        1,
        "exactly one client token fetch"
    );
    let tokens: Vec<_> = platform
        .seen("/market/service/user/purchase/list/")
        .into_iter()
        .map(|s| s.token)
        .collect();
    assert_eq!(tokens.len(), 100);
    assert!(tokens.iter().all(|t| t.as_deref() == Some("clt.T1")));
    assert_eq!(
        client.client_token().await.unwrap().expose(),
        "clt.T1",
        "cached"
    );
}

#[tokio::test]
async fn an_expired_client_token_is_refreshed_once_and_the_call_retried() {
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.OLD", "clt.NEW", "clt.UNEXPECTED"], 7200);
    list_handler(&platform);
    let client = builder(&platform).build().unwrap();
    // The first fetch gives clt.OLD, which the platform says has expired (its clock says otherwise).
    assert_eq!(client.client_token().await.unwrap().expose(), "clt.OLD");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .market_service_user_purchase_list(&purchase_list())
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        platform.count("/oauth/client_token/"),
        2,
        "the first fetch and exactly one refresh"
    );
    let list = platform.seen("/market/service/user/purchase/list/");
    assert_eq!(
        list.iter()
            .filter(|s| s.token.as_deref() == Some("clt.NEW"))
            .count(),
        50,
        "every call retried with the new token"
    );
    assert!(
        list.iter()
            .all(|s| matches!(s.token.as_deref(), Some("clt.OLD" | "clt.NEW")))
    );

    // A client token the caller passes in is used as given, and its expiry is the caller's.
    let e = client
        .with_access_token("clt.OLD")
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenExpired);
    assert_eq!(platform.count("/oauth/client_token/"), 2);
}

#[tokio::test]
async fn the_client_token_is_refreshed_ahead_of_its_expiry() {
    let platform = sandbox().await;
    // 200 s to live is inside the default 5-minute margin: each call needs a fresh one.
    client_tokens(&platform, &["clt.A", "clt.B", "clt.C"], 200);
    list_handler(&platform);
    let client = builder(&platform).build().unwrap();
    client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    let tokens: Vec<_> = platform
        .seen("/market/service/user/purchase/list/")
        .into_iter()
        .map(|s| s.token.unwrap())
        .collect();
    assert_eq!(tokens, ["clt.A", "clt.B"]);

    // With a shorter margin the same token is kept.
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.A", "clt.B"], 200);
    list_handler(&platform);
    let client = builder(&platform)
        .refresh_margin(Duration::from_secs(60))
        .build()
        .unwrap();
    client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    assert_eq!(platform.count("/oauth/client_token/"), 1);
}

#[tokio::test]
async fn oauth_calls_are_form_encoded_and_carry_no_token() {
    let platform = sandbox().await;
    let form = |s: &Seen| {
        assert_eq!(s.content_type(), Some("application/x-www-form-urlencoded"));
        assert_eq!(s.token, None);
    };
    platform.on("POST /oauth/access_token/", move |s| {
        form(s);
        assert_eq!(s.params, json!({"client_key": KEY, "client_secret": SECRET, "code": "CODE+/&=1", "grant_type": "authorization_code"}));
        oauth_ok(json!({
            "access_token": "act.USER1", "expires_in": 1296000, "open_id": "OPEN-1", "refresh_token": "rft.R1",
            "refresh_expires_in": 2592000, "scope": "user_info", "log_id": "L", "captcha": "", "desc_url": ""
        }))
    });
    platform.on("POST /oauth/refresh_token/", move |s| {
        form(s);
        match s.params["refresh_token"].as_str() {
            Some("rft.R1") => {
                assert_eq!(s.params, json!({"client_key": KEY, "grant_type": "refresh_token", "refresh_token": "rft.R1"}));
                // The sample sends the lifetimes as strings.
                oauth_ok(json!({"access_token": "act.USER2", "expires_in": "1296000", "open_id": "OPEN-1", "refresh_token": "rft.R1", "refresh_expires_in": "86400", "scope": "user_info"}))
            }
            _ => oauth_err(10010, "refresh_token 过期"),
        }
    });
    platform.on("POST /oauth/renew_refresh_token/", move |s| {
        form(s);
        assert_eq!(
            s.params,
            json!({"client_key": KEY, "refresh_token": "rft.R1"})
        );
        oauth_ok(json!({"refresh_token": "rft.R2", "expires_in": "2592000"}))
    });
    platform.on("POST /oauth/userinfo/", move |s| {
        form(s);
        assert_eq!(s.params, json!({"access_token": "act.USER2", "open_id": "OPEN-1"}));
        // The newer envelope, with a status inside `data` as text.
        newer_ok(json!({"open_id": "OPEN-1", "union_id": "U", "nickname": "李伟", "avatar": "https://x/a.jpeg", "error_code": "0", "description": ""}))
    });
    let client = builder(&platform).build().unwrap();

    let t = client.exchange_code("CODE+/&=1").await.unwrap();
    assert_eq!(
        (
            t.open_id.as_str(),
            t.access_token.expose(),
            t.refresh_token.expose()
        ),
        ("OPEN-1", "act.USER1", "rft.R1")
    );
    let now = shop_api::runtime::unix_now();
    assert!(
        (t.expires_at - now - 1_296_000).abs() < 5
            && (t.refresh_expires_at - now - 2_592_000).abs() < 5
    );
    assert_eq!(t.scope, "user_info");
    assert!(
        !format!("{t:?}").contains("act.USER1"),
        "tokens never show in Debug"
    );

    let t2 = client
        .refresh_access_token(t.refresh_token.clone())
        .await
        .unwrap();
    assert_eq!(t2.access_token.expose(), "act.USER2");
    assert!(t2.is_fresh(Duration::from_secs(60)));
    let stored = shop_api::douyin::UserToken::from_token(&t2.to_token());
    assert_eq!(
        stored, t2,
        "a user token round-trips through the token store form"
    );

    let renewed = client.renew_refresh_token("rft.R1").await.unwrap();
    assert_eq!(renewed.refresh_token.expose(), "rft.R2");

    // An expired refresh token means the user must authorize again.
    let e = client
        .refresh_access_token("rft.EXPIRED")
        .await
        .unwrap_err();
    assert_eq!(
        (e.api().unwrap().code, e.kind()),
        (10010, ErrorKind::AuthorizationLapsed)
    );

    let info = client
        .oauth_userinfo(&OauthUserinfoRequest {
            access_token: "act.USER2".into(),
            open_id: "OPEN-1".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        (info.nickname.as_str(), info.union_id.as_deref()),
        ("李伟", Some("U"))
    );
    assert_eq!(
        platform.count("/oauth/client_token/"),
        0,
        "OAuth calls need no client token"
    );

    let url = client.authorize_url("user_info,trial.whitelist", "https://app.example/cb", "xyz");
    assert_eq!(
        url,
        format!(
            "https://open.douyin.com/platform/oauth/connect/?client_key={KEY}&response_type=code&scope=user_info%2Ctrial.whitelist&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=xyz"
        )
    );
}

#[tokio::test]
async fn a_deduction_of_zero_is_refused_without_a_request() {
    let platform = sandbox().await;
    let client = builder(&platform).build().unwrap();
    for count in [0, -3] {
        let e = client
            .market_service_user_remaintimes_decr(&decr(count))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidRequest { endpoint, message } if endpoint == "market.service.user.remaintimes.decr" && message.contains("count")),
            "{e}"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidParam);
    }
    let e = client
        .execute(&MarketServiceUserRemaintimesDecrRequest {
            out_trade_no: String::new(),
            ..decr(1)
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { message, .. } if message.contains("out_trade_no")),
        "{e}"
    );
    assert!(
        client.prepare(&decr(0)).await.is_err(),
        "a dry run refuses it too"
    );
    assert!(
        platform.all_seen().is_empty(),
        "nothing was sent, not even a token fetch"
    );
}

#[tokio::test]
async fn a_dry_run_masks_every_secret() {
    let platform = sandbox().await;
    client_tokens(&platform, &["clt.0123456789abcdef"], 7200);
    list_handler(&platform);
    let client = builder(&platform).build().unwrap();

    let p = client.prepare(&purchase_list()).await.unwrap();
    assert_eq!(p.method, HttpMethod::Get);
    assert_eq!(p.url.path(), "/douyin/market/service/user/purchase/list/");
    assert_eq!(
        p.url.query(),
        Some("open_id=OPEN-1&service_id=7021602203591118688&is_test_env=true")
    );
    assert_eq!(p.body, Body::Empty);
    assert!(
        p.headers
            .iter()
            .any(|(k, v)| k == "access-token" && v == "clt.0123456789abcdef")
    );
    let shown = p.to_string();
    assert!(
        shown.contains("access-token: clt.***") && !shown.contains("0123456789abcdef"),
        "{shown}"
    );
    client.prepare(&purchase_list()).await.unwrap();

    let req = shop_api::douyin::oauth::OauthAccessTokenRequest {
        client_key: KEY.into(),
        client_secret: SECRET.into(),
        code: "CODE-0123456789".into(),
        grant_type: "authorization_code".into(),
    };
    let p = client.prepare(&req).await.unwrap();
    assert!(
        matches!(&p.body, Body::Form(b) if String::from_utf8_lossy(b).contains(SECRET)),
        "the real body carries the secret"
    );
    let shown = p.to_string();
    assert!(
        !shown.contains(SECRET) && !shown.contains("CODE-0123456789"),
        "{shown}"
    );
    assert!(shown.contains("grant_type=authorization_code"), "{shown}");
    assert_eq!(
        platform.all_seen().len(),
        1,
        "a dry run sends nothing but the one client token fetch"
    );
}

/// The app's webhook endpoint, served over HTTP: verifies each push with the client, echoes the
/// challenge, handles each message once.
#[derive(Clone)]
struct Receiver {
    client: Client,
    dedup: Arc<Deduplicator>,
    handled: Arc<Mutex<Vec<Event>>>,
}

impl Receiver {
    fn respond(&self, req: Request) -> ServerReply {
        let event = match self.client.verify_webhook(&req.headers, &req.body) {
            Ok(e) => e,
            Err(e @ (WebhookError::BadSignature | WebhookError::MissingSignature)) => {
                return ServerReply::status(403, &e.to_string());
            }
            Err(e) => return ServerReply::status(400, &e.to_string()),
        };
        if let Some(reply) = event.challenge_reply() {
            return ServerReply::status(200, &reply);
        }
        if self
            .dedup
            .first_seen(event.msg_id.as_deref().unwrap_or_default())
        {
            self.handled.lock().unwrap().push(event.typed().unwrap());
        }
        ServerReply::status(200, "")
    }
}

#[tokio::test]
async fn webhooks_are_verified_deduplicated_and_challenges_echoed() {
    let receiver = Receiver {
        client: Client::builder(KEY, "webhook-secret").build().unwrap(),
        dedup: Arc::new(Deduplicator::new(100)),
        handled: Arc::default(),
    };
    let r = receiver.clone();
    let server = Server::start(move |req| r.respond(req)).await;
    let transport = Transport::new(HttpConfig::new(server.uri())).unwrap();
    let push = |body: &'static str, headers: Vec<(&str, &str)>| {
        let transport = transport.clone();
        let url = transport
            .url("webhook", "/douyin/webhook", &Query::new())
            .unwrap();
        let req = PreparedRequest {
            method: HttpMethod::Post,
            url,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            body: Body::Json(body.as_bytes().to_vec()),
            secret_names: &[],
            token_header: None,
        };
        async move { transport.send("webhook", &req).await.unwrap() }
    };

    // The URL check: SHA-1 of "webhook-secret" followed by the body, computed independently.
    let verify = r#"{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}"#;
    let good = "5a928d4bede656491402e452f96d20441330eca8";
    let r = push(verify, vec![("X-Douyin-Signature", good), ("Msg-Id", "v1")]).await;
    assert_eq!(
        (r.status, String::from_utf8(r.body).unwrap()),
        (200, r#"{"challenge":12345}"#.to_owned())
    );

    let bad = "5a928d4bede656491402e452f96d20441330eca9";
    let r = push(verify, vec![("X-Douyin-Signature", bad)]).await;
    assert_eq!(r.status, 403, "a bad signature is refused");
    let r = push(verify, vec![("Msg-Id", "v2")]).await;
    assert_eq!(r.status, 403, "a missing signature is refused");

    // An order event, pushed twice with the same Msg-Id (a retry), is handled once.
    let order = r#"{"event":"service_market_order","client_key":"awx9d2kc0example","from_user_id":"OPEN-1","content":"{\"order_id\":\"7\",\"order_event\":1}","log_id":"L1"}"#;
    let sig = webhook::sign("webhook-secret", order.as_bytes());
    for _ in 0..2 {
        let r = push(
            order,
            vec![("X-Douyin-Signature", sig.as_str()), ("Msg-Id", "m-1")],
        )
        .await;
        assert_eq!(r.status, 200);
    }
    let handled = receiver.handled.lock().unwrap();
    assert_eq!(handled.len(), 1);
    match &handled[0] {
        Event::ServiceMarketOrder(o) => {
            assert_eq!(o.from_user_id.as_deref(), Some("OPEN-1"));
            let content: Value = serde_json::from_str(&o.content).unwrap();
            assert_eq!(content["order_event"], 1);
        }
        other => panic!("unexpected event {other:?}"),
    }
}

#[tokio::test]
async fn calls_without_hooks_are_answered_by_the_sandbox_and_unreachable_servers_leak_nothing() {
    // No hook: the sandbox issues a client token itself, checks it, and answers with the
    // documented example.
    let platform = sandbox().await;
    let client = builder(&platform).build().unwrap();
    let list = client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    assert!(!list.purchase_info_list.is_empty());
    assert_eq!(platform.count("oauth.client_token"), 1);
    // A client token it never issued is refused: 2190002 access_token无效, classed as a token
    // to get anew (TokenExpired); a token given to the handle is the caller's to renew, so the
    // error comes back as it is.
    let e = client
        .with_access_token("clt.UNKNOWN")
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenExpired, "{e}");
    assert_eq!(e.api().map(|a| a.code), Some(2190002), "{e}");

    let client = Client::builder(KEY, SECRET)
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = client
        .with_access_token("clt.SECRET-TOKEN-VALUE")
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { connect: true, .. }), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("SECRET-TOKEN-VALUE") && !text.contains(SECRET),
        "{text}"
    );
}

/// OAuth answers with a success envelope but no token are refused (nothing a caller could save
/// over a good token); a refresh answer without a new refresh token keeps the one it was given.
#[tokio::test]
async fn an_empty_token_answer_is_refused_and_a_missing_refresh_token_is_kept() {
    let platform = sandbox().await;
    platform.on("POST /oauth/access_token/", |_| oauth_ok(json!({})));
    platform.on(
        "POST /oauth/refresh_token/",
        |s| match s.params["refresh_token"].as_str() {
            Some("rft.KEEP") => oauth_ok(
                json!({"access_token": "act.NEW", "expires_in": 1296000, "open_id": "OPEN-1"}),
            ),
            _ => oauth_ok(json!({"access_token": "act.NEW", "open_id": "OPEN-1"})),
        },
    );
    platform.on("POST /oauth/renew_refresh_token/", |_| {
        oauth_ok(json!({"expires_in": 2592000}))
    });
    let client = builder(&platform).build().unwrap();
    let e = client.exchange_code("CODE").await.unwrap_err();
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("without an access_token")),
        "{e}"
    );
    let e = client.refresh_access_token("rft.R1").await.unwrap_err();
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("without expires_in")),
        "{e}"
    );
    let e = client.renew_refresh_token("rft.R1").await.unwrap_err();
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("without a refresh_token")),
        "{e}"
    );
    let kept = client.refresh_access_token("rft.KEEP").await.unwrap();
    assert_eq!(kept.refresh_token.expose(), "rft.KEEP");
}
