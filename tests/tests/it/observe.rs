//! Observers (`ClientBuilder::observe`) on the sandbox: each HTTP attempt is seen once before it is
//! sent and once after its answer, retries and the call sent again after a refreshed token
//! included, with the endpoint, the owner, the status, the latency, the error's kind and the
//! request id, on all three platforms; and no hook ever sees a token, a signature or an app secret.

#![cfg(all(feature = "doudian", feature = "tiktok", feature = "douyin"))]
// The 202309 order search, which the platform still serves (its newer version deprecates it).
#![allow(deprecated)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use shop_api::runtime::observe::{Observer, RequestEvent, ResponseEvent};
use shop_api::runtime::{ErrorKind, HttpMethod, RetryPolicy};
use shop_api_sandbox::{Platform, REQUEST_ID, Reply, Running, Sandbox, SandboxConfig};

const DOUDIAN_SECRET: &str = "S3CR3T-doudian-app-secret-0123";
const TIKTOK_SECRET: &str = "S3CR3T-tiktok-app-secret-4567";
const DOUYIN_SECRET: &str = "S3CR3T-douyin-client-secret-89";
const SHOP: &str = "4463798";

/// What a hook was told, copied out of the event.
#[derive(Debug, Clone)]
struct Record {
    /// `before` or `after`.
    phase: &'static str,
    platform: &'static str,
    endpoint: &'static str,
    method: HttpMethod,
    path: String,
    url: String,
    attempt: u32,
    owner: Option<String>,
    shop_cipher: Option<String>,
    status: Option<u16>,
    latency: Option<Duration>,
    error_kind: Option<ErrorKind>,
    request_id: Option<String>,
    /// Everything the event shows, formatted: its `Debug`, and the error's `Display` and `Debug`.
    shown: String,
}

/// Keeps every event it is told of.
#[derive(Default)]
struct Recorder(Mutex<Vec<Record>>);

impl Recorder {
    fn records(&self) -> Vec<Record> {
        self.0.lock().unwrap().clone()
    }

    /// The records of one endpoint, each as (phase, attempt, status, error kind).
    fn steps(&self, endpoint: &str) -> Vec<(&'static str, u32, Option<u16>, Option<ErrorKind>)> {
        self.records()
            .into_iter()
            .filter(|r| r.endpoint == endpoint)
            .map(|r| (r.phase, r.attempt, r.status, r.error_kind))
            .collect()
    }

    /// The records of one endpoint.
    fn of(&self, endpoint: &str) -> Vec<Record> {
        self.records()
            .into_iter()
            .filter(|r| r.endpoint == endpoint)
            .collect()
    }

    fn keep(&self, phase: &'static str, e: &RequestEvent<'_>, shown: String) -> Record {
        Record {
            phase,
            platform: e.platform(),
            endpoint: e.endpoint().name,
            method: e.method(),
            path: e.path().to_owned(),
            url: e.url().into_owned(),
            attempt: e.attempt(),
            owner: e.owner().map(str::to_owned),
            shop_cipher: e.shop_cipher().map(str::to_owned),
            status: None,
            latency: None,
            error_kind: None,
            request_id: None,
            shown,
        }
    }
}

impl Observer for Recorder {
    fn before_send(&self, e: &RequestEvent<'_>) {
        let r = self.keep("before", e, format!("{e:?}"));
        self.0.lock().unwrap().push(r);
    }

    fn after_receive(&self, e: &ResponseEvent<'_>) {
        let error = e.error().map(|e| format!("{e} {e:?}")).unwrap_or_default();
        let mut r = self.keep("after", e.request(), format!("{e:?} {error}"));
        assert_eq!(e.is_ok(), e.error_kind().is_none());
        assert_eq!(
            (e.platform(), e.endpoint().name, e.attempt(), e.url()),
            (r.platform, r.endpoint, r.attempt, r.url.as_str().into()),
            "the response event says what its request event said"
        );
        r.status = e.status();
        r.latency = Some(e.latency());
        r.error_kind = e.error_kind();
        r.request_id = e.request_id().map(str::to_owned);
        self.0.lock().unwrap().push(r);
    }
}

const FAST_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    initial_backoff: Duration::from_millis(5),
    max_backoff: Duration::from_millis(50),
};

async fn sandbox() -> Running {
    Sandbox::start(
        SandboxConfig::default()
            .doudian_app("doudian-key", DOUDIAN_SECRET)
            .tiktok_app("tiktok-key", TIKTOK_SECRET)
            .douyin_app("douyin-key", DOUYIN_SECRET),
    )
    .await
    .unwrap()
}

fn doudian(platform: &Running, recorder: &Arc<Recorder>) -> shop_api::doudian::Client {
    shop_api::doudian::Client::builder("doudian-key", DOUDIAN_SECRET)
        .base_url(platform.url(Platform::Doudian))
        .self_use(true)
        .retry(FAST_RETRY)
        .observe(recorder.clone())
        .build()
        .unwrap()
}

fn tiktok(platform: &Running, recorder: &Arc<Recorder>) -> shop_api::tiktok::Client {
    shop_api::tiktok::Client::builder("tiktok-key", TIKTOK_SECRET)
        .base_url(platform.url(Platform::Tiktok))
        .auth_base_url(platform.url(Platform::TiktokAuth))
        .retry(FAST_RETRY)
        .observe(recorder.clone())
        .build()
        .unwrap()
}

fn douyin(platform: &Running, recorder: &Arc<Recorder>) -> shop_api::douyin::Client {
    shop_api::douyin::Client::builder("douyin-key", DOUYIN_SECRET)
        .base_url(platform.url(Platform::Douyin))
        .retry(FAST_RETRY)
        .observe(recorder.clone())
        .build()
        .unwrap()
}

fn search() -> shop_api::doudian::order::OrderSearchListRequest {
    shop_api::doudian::order::OrderSearchListRequest {
        size: 1,
        ..Default::default()
    }
}

fn purchase_list() -> shop_api::douyin::market::MarketServiceUserPurchaseListRequest {
    shop_api::douyin::market::MarketServiceUserPurchaseListRequest {
        open_id: "OPEN-1".into(),
        service_id: "7021602203591118688".into(),
        is_test_env: true,
    }
}

#[tokio::test]
async fn every_attempt_is_seen_before_and_after_with_its_status_latency_and_request_id() {
    let platform = sandbox().await;
    platform.on("order.searchList", |seen| match seen.nth {
        0 => Reply::text(503, "busy"),
        _ => shop_api_sandbox::doudian::ok(json!({"total": 0, "shop_order_list": []}))
            .delay(Duration::from_millis(80)),
    });
    let first = Arc::new(Recorder::default());
    let second = Arc::new(Recorder::default());
    let client = shop_api::doudian::Client::builder("doudian-key", DOUDIAN_SECRET)
        .base_url(platform.url(Platform::Doudian))
        .self_use(true)
        .retry(FAST_RETRY)
        .observe(first.clone())
        .observe(second.clone())
        .build()
        .unwrap();

    client
        .shop(SHOP)
        .order_search_list(&search())
        .await
        .unwrap();

    // The self-use token is created first: a call of its own, one attempt, as the shop.
    assert_eq!(
        first.steps("token.create"),
        [("before", 1, None, None), ("after", 1, Some(200), None)]
    );
    assert!(
        first
            .of("token.create")
            .iter()
            .all(|r| r.owner.as_deref() == Some(SHOP))
    );
    // The search: a 503, retried, then a success that took the sandbox's delay.
    assert_eq!(
        first.steps("order.searchList"),
        [
            ("before", 1, None, None),
            ("after", 1, Some(503), Some(ErrorKind::Server)),
            ("before", 2, None, None),
            ("after", 2, Some(200), None),
        ]
    );
    let records = first.of("order.searchList");
    for r in &records {
        assert_eq!((r.platform, r.method), ("doudian", HttpMethod::Post));
        assert_eq!(r.path, "/order/searchList");
        assert_eq!(
            r.url,
            format!("{}/order/searchList", platform.url(Platform::Doudian))
        );
        assert_eq!(r.owner.as_deref(), Some(SHOP));
        assert_eq!(r.shop_cipher, None);
    }
    let ok = &records[3];
    assert!(
        ok.latency.unwrap() >= Duration::from_millis(80),
        "the latency holds the sandbox's delay: {:?}",
        ok.latency
    );
    assert_eq!(ok.request_id.as_deref(), Some(REQUEST_ID));
    assert_eq!(
        records[1].request_id, None,
        "a bare 503 carries no request id"
    );
    assert_eq!(platform.count("order.searchList"), 2);
    // Both observers ran, and saw the same.
    let summary = |r: &Recorder| {
        r.records()
            .into_iter()
            .map(|r| (r.phase, r.endpoint, r.attempt, r.status, r.error_kind))
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&first), summary(&second));
    assert_eq!(first.records().len(), 6);
}

#[tokio::test]
async fn a_timeout_and_a_refused_connection_are_seen_without_a_status() {
    let platform = sandbox().await;
    platform.on("order.searchList", |_| {
        shop_api_sandbox::doudian::ok(json!({"total": 0})).delay(Duration::from_millis(500))
    });
    let recorder = Arc::new(Recorder::default());
    let client = doudian(&platform, &recorder);
    let e = client
        .with_access_token("TOKEN")
        .with_timeout(Duration::from_millis(100))
        .order_search_list(&search())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    // order.searchList is idempotent: the timeouts are retried, each one seen.
    let steps = recorder.steps("order.searchList");
    assert_eq!(steps.len(), 8, "{steps:?}");
    for (n, pair) in steps.chunks(2).enumerate() {
        let attempt = n as u32 + 1;
        assert_eq!(
            pair,
            [
                ("before", attempt, None, None),
                ("after", attempt, None, Some(ErrorKind::Timeout))
            ]
        );
    }
    for r in recorder.of("order.searchList") {
        assert_eq!(
            r.owner, None,
            "a handle with a token of its own has no owner"
        );
        if r.phase == "after" {
            assert!(r.latency.unwrap() >= Duration::from_millis(100), "{r:?}");
        }
    }

    let recorder = Arc::new(Recorder::default());
    let down = shop_api::doudian::Client::builder("doudian-key", DOUDIAN_SECRET)
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none())
        .observe(recorder.clone())
        .build()
        .unwrap();
    let e = down
        .with_access_token("TOKEN")
        .order_search_list(&search())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_eq!(
        recorder.steps("order.searchList"),
        [
            ("before", 1, None, None),
            ("after", 1, None, Some(ErrorKind::Transport))
        ]
    );
}

#[tokio::test]
async fn a_rate_limited_tiktok_call_is_seen_twice_with_the_seller_and_the_shop_cipher() {
    let platform = sandbox().await;
    platform.on("POST /order/202309/orders/search", |seen| match seen.nth {
        0 => shop_api_sandbox::tiktok::err(429, 36009002, "Too many requests."),
        _ => Reply::pass(),
    });
    let recorder = Arc::new(Recorder::default());
    let client = tiktok(&platform, &recorder);
    let seller = client.authorize("sandbox-auth-code").await.unwrap();
    let as_seller = client.seller(&seller.open_id);
    let shops = as_seller
        .authorization_shops(&shop_api::tiktok::authorization::AuthorizationShopsRequest {})
        .await
        .unwrap();
    let cipher = shops.shops.unwrap_or_default()[0].cipher.clone();
    as_seller
        .with_shop_cipher(cipher.clone())
        .order_search(&shop_api::tiktok::order::OrderSearchRequest {
            page_size: 20,
            ..Default::default()
        })
        .await
        .unwrap();

    // The token call goes to the auth host, as the app (no owner), its query left out.
    let token = recorder.of("token.get");
    assert_eq!(token.len(), 2);
    assert_eq!(
        token[0].url,
        format!("{}/api/v2/token/get", platform.url(Platform::TiktokAuth))
    );
    assert_eq!(
        (token[1].status, token[1].owner.as_deref()),
        (Some(200), None)
    );
    assert_eq!(
        recorder.steps("authorization.shops"),
        [("before", 1, None, None), ("after", 1, Some(200), None)]
    );
    assert!(
        recorder
            .of("authorization.shops")
            .iter()
            .all(|r| r.owner.as_deref() == Some(seller.open_id.as_str()) && r.shop_cipher.is_none())
    );
    assert_eq!(
        recorder.steps("order.search"),
        [
            ("before", 1, None, None),
            ("after", 1, Some(429), Some(ErrorKind::RateLimited)),
            ("before", 2, None, None),
            ("after", 2, Some(200), None),
        ]
    );
    for r in recorder.of("order.search") {
        assert_eq!((r.platform, r.method), ("tiktok", HttpMethod::Post));
        assert_eq!(r.path, "/order/202309/orders/search");
        assert_eq!(r.owner.as_deref(), Some(seller.open_id.as_str()));
        assert_eq!(r.shop_cipher.as_deref(), Some(cipher.as_str()));
    }
    let answers = recorder
        .of("order.search")
        .into_iter()
        .filter(|r| r.phase == "after")
        .map(|r| r.request_id)
        .collect::<Vec<_>>();
    assert_eq!(
        answers[0].as_deref(),
        Some(REQUEST_ID),
        "TikTok's error envelope carries its request id"
    );
    assert!(answers[1].is_some(), "and so does its success envelope");
}

#[tokio::test]
async fn a_douyin_call_sent_again_after_a_refreshed_token_counts_its_attempts_on() {
    let platform = sandbox().await;
    platform.on(
        "GET /market/service/user/purchase/list/",
        |seen| match seen.nth {
            0 => {
                shop_api_sandbox::douyin::legacy_err(28001008, "access_token过期,请刷新或重新授权")
            }
            _ => Reply::pass(),
        },
    );
    let recorder = Arc::new(Recorder::default());
    let client = douyin(&platform, &recorder);
    client
        .market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();

    // Client token, the call refused as expired, a new client token, the call again: attempt 2.
    let order: Vec<_> = recorder
        .records()
        .into_iter()
        .map(|r| (r.phase, r.endpoint, r.attempt, r.error_kind))
        .collect();
    let list = "market.service.user.purchase.list";
    assert_eq!(
        order,
        [
            ("before", "oauth.client_token", 1, None),
            ("after", "oauth.client_token", 1, None),
            ("before", list, 1, None),
            ("after", list, 1, Some(ErrorKind::TokenExpired)),
            ("before", "oauth.client_token", 1, None),
            ("after", "oauth.client_token", 1, None),
            ("before", list, 2, None),
            ("after", list, 2, None),
        ]
    );
    let refused = &recorder.of(list)[1];
    assert_eq!(
        (refused.status, refused.request_id.as_deref()),
        (Some(200), Some(REQUEST_ID)),
        "the platform's error carries its status and request id"
    );
    for r in recorder.of(list) {
        assert_eq!((r.platform, r.method), ("douyin", HttpMethod::Get));
        assert_eq!(
            r.url,
            format!(
                "{}/market/service/user/purchase/list/",
                platform.url(Platform::Douyin)
            ),
            "the URL has no query"
        );
    }
}

#[tokio::test]
async fn hooks_see_no_token_signature_or_app_secret_on_any_platform() {
    let platform = sandbox().await;
    let recorder = Arc::new(Recorder::default());

    // Doudian: a self-use token created, then a signed call with the token in the query.
    let dd = doudian(&platform, &recorder);
    dd.shop(SHOP).order_search_list(&search()).await.unwrap();
    // TikTok: the app secret and the code in the token call's query, a refresh token in the
    // refresh's, the seller's token in a header.
    let tt = tiktok(&platform, &recorder);
    let seller = tt.authorize("sandbox-auth-code").await.unwrap();
    platform.grant_refresh(Platform::Tiktok, "REFRESH-tiktok-qrstuvwxyz0123");
    tt.refresh_token("REFRESH-tiktok-qrstuvwxyz0123")
        .await
        .unwrap();
    tt.seller(&seller.open_id)
        .authorization_shops(&shop_api::tiktok::authorization::AuthorizationShopsRequest {})
        .await
        .unwrap();
    // Douyin: the client secret in the token call's body, the client token in a header.
    let dy = douyin(&platform, &recorder);
    dy.market_service_user_purchase_list(&purchase_list())
        .await
        .unwrap();
    // An error on each platform, shown by the hooks too.
    let _ = dd
        .with_access_token("ACCESS-doudian-unknown-abcdef")
        .order_search_list(&search())
        .await
        .unwrap_err();
    let _ = tt
        .with_access_token("ACCESS-tiktok-unknown-ghijkl")
        .authorization_shops(&shop_api::tiktok::authorization::AuthorizationShopsRequest {})
        .await
        .unwrap_err();

    // Every secret that travelled: the app secrets, each token and refresh token sent, each
    // signature and code.
    let mut secrets: Vec<String> = [
        DOUDIAN_SECRET,
        TIKTOK_SECRET,
        DOUYIN_SECRET,
        "ACCESS-doudian-unknown-abcdef",
        "ACCESS-tiktok-unknown-ghijkl",
    ]
    .map(str::to_owned)
    .into();
    for seen in platform.all_seen() {
        secrets.extend(seen.token.clone());
        for name in [
            "sign",
            "app_secret",
            "access_token",
            "refresh_token",
            "auth_code",
        ] {
            secrets.extend(seen.query(name).map(str::to_owned));
            if let Some(v) = seen.params.get(name).and_then(|v| v.as_str()) {
                secrets.push(v.to_owned());
            }
        }
        if let Some(v) = seen.params.get("client_secret").and_then(|v| v.as_str()) {
            secrets.push(v.to_owned());
        }
    }
    secrets.retain(|s| s.len() >= 8);
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() >= 10,
        "the calls carried secrets to look for: {secrets:?}"
    );
    assert!(secrets.iter().any(|s| s.starts_with("REFRESH-tiktok")));

    let records = recorder.records();
    for platform in ["doudian", "tiktok", "douyin"] {
        assert!(
            records.iter().any(|r| r.platform == platform),
            "{platform} was observed"
        );
    }
    for r in &records {
        assert!(!r.url.contains('?'), "a URL without its query: {}", r.url);
        let text = format!("{} {} {}", r.url, r.path, r.shown);
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a hook sees {s}: {text}");
        }
    }
}
