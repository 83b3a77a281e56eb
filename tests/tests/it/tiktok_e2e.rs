//! TikTok Shop end to end over real HTTP on 127.0.0.1: a local server that recomputes every
//! request's signature from what it received (path, query, body), checks the access-token header
//! and the shop-cipher rules of the endpoint it was sent to, then plays the scenario of the test.

#![cfg(feature = "tiktok")]
// These scenarios pin the 202309 order and product calls, which the platform still serves; their
// newer versions (deprecating them in the specs) decode their examples in `spec_examples`.
#![allow(deprecated)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shop_api::Error;
use shop_api::runtime::{ErrorKind, Pages, RetryPolicy, unix_now};
use shop_api::tiktok::authorization::AuthorizationShopsRequest;
use shop_api::tiktok::order::{
    OrderDetailRequest, OrderSearchRequest, OrderStatus, SearchSortOrder,
};
use shop_api::tiktok::product::{ProductActivateRequest, ProductUploadImageRequest, UseCase};
use shop_api::tiktok::{Client, ClientBuilder, FACTS, Part};

/// The header the seller's access token travels in, as the platform's facts say.
const ACCESS_TOKEN_HEADER: &str = match FACTS.token_header {
    Some(h) => h,
    None => panic!("TikTok sends the token in a header"),
};
use shop_api_sandbox::tiktok::{err, ok};
use shop_api_sandbox::{Platform, REQUEST_ID, Reply, Running, Sandbox, SandboxConfig, Seen};

const KEY: &str = "68xu9ks5p4i8";
const SECRET: &str = "e59af819cc";
const TOKEN: &str = "TTP_pwSm2AAAAABmmtFz1xlyKMnwg74T2GJ5s0uQbS8jPjb";
const CIPHER: &str = "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK";

/// The sandbox, accepting this file's app credentials and the seller's [`TOKEN`].
async fn sandbox() -> Running {
    let platform = Sandbox::start(SandboxConfig::default().tiktok_app(KEY, SECRET))
        .await
        .unwrap();
    platform.grant(Platform::Tiktok, TOKEN);
    platform
}

/// Answer `route` with `f` once the seller's token is checked as the platform checks it: in its
/// header, never in the query, and the current time in `timestamp`.
fn on(platform: &Sandbox, route: &str, f: impl Fn(&Seen) -> Reply + Send + Sync + 'static) {
    platform.on(route, move |s| {
        assert_eq!(
            s.query("access_token"),
            None,
            "no access_token in the query"
        );
        let ts: i64 = s.query("timestamp").unwrap().parse().unwrap();
        assert!(
            (ts - unix_now()).abs() < 60,
            "the timestamp is the current time"
        );
        if s.token.as_deref() != Some(TOKEN) {
            return err(
                401,
                36009004,
                "Invalid credentials. The `x-tts-access-token` header is invalid.",
            );
        }
        f(s)
    });
}

fn builder(platform: &Running) -> ClientBuilder {
    Client::builder(KEY, SECRET)
        .base_url(platform.url(Platform::Tiktok))
        .auth_base_url(platform.url(Platform::TiktokAuth))
        .retry(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_secs(2),
        })
}

/// A handle of one seller's one shop.
fn shop(platform: &Running) -> Client {
    builder(platform)
        .build()
        .unwrap()
        .with_access_token(TOKEN)
        .with_shop_cipher(CIPHER)
}

fn order(id: &str, status: &str) -> Value {
    json!({
        "id": id, "status": status, "create_time": 1619611561, "update_time": "1619621355",
        "payment": {"currency": "GBP", "total_amount": "12.50", "sub_total": "12.50"},
        "line_items": [{"id": "577086512123755123", "product_id": "1729582718312380123", "sku_id": 2729382476852921560u64, "sale_price": "12.50"}]
    })
}

#[tokio::test]
async fn order_search_and_detail_are_signed_and_decode() {
    let platform = sandbox().await;
    on(&platform, "POST /order/202309/orders/search", |s| {
        assert_eq!(
            s.params,
            json!({"order_status": "AWAITING_SHIPMENT", "create_time_ge": 1700000000})
        );
        assert_eq!(s.query("page_size").unwrap(), "20");
        assert_eq!(s.query("sort_order").unwrap(), "ASC");
        ok(
            json!({"orders": [order("576461413038785752", "AWAITING_SHIPMENT")], "next_page_token": "", "total_count": 1}),
        )
    });
    on(&platform, "GET /order/202309/orders", |s| {
        assert_eq!(
            s.query("ids").unwrap(),
            "576461413038785752,576461413038785753"
        );
        ok(
            json!({"orders": [order("576461413038785752", "AWAITING_SHIPMENT"), order("576461413038785753", "SOMETHING_NEW")]}),
        )
    });
    let shop = shop(&platform);

    let req = OrderSearchRequest {
        page_size: 20,
        sort_order: Some(SearchSortOrder::Asc),
        order_status: Some(OrderStatus::AwaitingShipment),
        create_time_ge: Some(1700000000),
        ..Default::default()
    };
    let found = shop.order_search(&req).await.unwrap();
    let orders = found.orders.unwrap();
    assert_eq!(orders[0].id, "576461413038785752");
    assert_eq!(orders[0].status, OrderStatus::AwaitingShipment);
    assert_eq!(
        orders[0].update_time, 1619621355,
        "a number sent as a string decodes"
    );
    assert_eq!(
        orders[0].payment.as_ref().unwrap().total_amount.as_deref(),
        Some("12.50")
    );
    assert_eq!(found.total_count, Some(1));

    // The generic execute_full keeps the request id.
    let full = shop.execute_full(&req).await.unwrap();
    assert_eq!(full.request_id.as_deref(), Some(REQUEST_ID));
    assert_eq!(full.http_status, 200);

    let detail = shop
        .order_detail(&OrderDetailRequest {
            ids: vec!["576461413038785752".into(), "576461413038785753".into()],
        })
        .await
        .unwrap();
    let orders = detail.orders.unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        orders[1].status,
        OrderStatus::Unknown("SOMETHING_NEW".into()),
        "an unknown status is kept"
    );
    assert_eq!(
        orders[1].line_items.as_ref().unwrap()[0].sku_id,
        "2729382476852921560",
        "a 64-bit id stays exact"
    );
    assert_eq!(platform.count("GET /order/202309/orders"), 1);
}

#[tokio::test]
async fn a_wrong_secret_fails_the_signature_check() {
    let platform = sandbox().await;
    let client = Client::builder(KEY, "wrong-secret")
        .base_url(platform.url(Platform::Tiktok))
        .build()
        .unwrap();
    let shop = client.with_access_token(TOKEN).with_shop_cipher(CIPHER);
    let e = shop
        .order_search(&OrderSearchRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let api = e.api().expect("a platform error");
    assert_eq!(
        (api.code, api.kind, api.http_status),
        (106001, ErrorKind::InvalidSign, 401)
    );
    assert_eq!(api.request_id.as_deref(), Some(REQUEST_ID));
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("wrong-secret") && !text.contains(TOKEN),
        "{text}"
    );
}

#[tokio::test]
async fn api_error_envelopes_map_to_kinds() {
    let platform = sandbox().await;
    on(&platform, "POST /order/202309/orders/search", |s| {
        match s.nth {
            0 => err(
                200,
                105005,
                "Access denied. The app is not authorized to access the endpoint.",
            ),
            1 => err(
                403,
                36009033,
                "Access denied. Your IP address is not in the IP allow list configured for this app.",
            ),
            2 => err(
                400,
                36009004,
                "Invalid API version. The `version` value is invalid or unsupported.",
            ),
            _ => err(200, 12052024, "Category is not final category"),
        }
    });
    let shop = shop(&platform);
    let req = OrderSearchRequest {
        page_size: 10,
        ..Default::default()
    };
    let mut got = Vec::new();
    for _ in 0..4 {
        let e = shop.order_search(&req).await.unwrap_err();
        let api = e.api().unwrap().clone();
        got.push((api.code, api.kind, api.http_status));
        if api.code == 12052024 {
            assert_eq!(api.message, "Category is not final category");
            assert_eq!(api.platform, "tiktok");
            assert_eq!(api.endpoint, "order.search");
        }
    }
    assert_eq!(
        got,
        [
            (105005, ErrorKind::Permission, 200),
            (36009033, ErrorKind::IpNotAllowed, 403),
            (36009004, ErrorKind::InvalidParam, 400),
            (12052024, ErrorKind::Other, 200),
        ]
    );
    assert_eq!(
        platform.count("POST /order/202309/orders/search"),
        4,
        "none of these is retried"
    );
}

#[tokio::test]
async fn an_expired_token_is_token_expired_and_not_retried() {
    let platform = sandbox().await;
    on(&platform, "GET /order/202309/orders", |_| {
        err(
            401,
            105002,
            "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.",
        )
    });
    let e = shop(&platform)
        .order_detail(&OrderDetailRequest {
            ids: vec!["1".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenExpired);
    assert!(e.to_string().contains("105002"), "{e}");
    assert_eq!(platform.count("GET /order/202309/orders"), 1);
}

#[tokio::test]
async fn rate_limited_with_retry_after_is_retried_then_succeeds() {
    let platform = sandbox().await;
    on(&platform, "POST /product/202309/products/activate", |s| {
        assert_eq!(s.params, json!({"product_ids": ["1729592969712207008"]}));
        if s.nth == 0 {
            err(
                429,
                36009002,
                "Too many requests. You've made too many requests in a short period of time.",
            )
            .header("retry-after", "1")
        } else {
            ok(json!({}))
        }
    });
    let started = Instant::now();
    // product.activate is not idempotent: a rate-limited call never ran, so it is retried anyway.
    let resp = shop(&platform)
        .product_activate(&ProductActivateRequest {
            product_ids: vec!["1729592969712207008".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(resp.errors.is_none());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was honoured: {:?}",
        started.elapsed()
    );
    assert_eq!(platform.count("POST /product/202309/products/activate"), 2);
}

#[tokio::test]
async fn server_errors_are_retried_only_for_idempotent_endpoints() {
    let platform = sandbox().await;
    on(&platform, "GET /order/202309/orders", |s| match s.nth {
        0 => Reply::text(503, "<html>Service Unavailable</html>"),
        1 => err(200, 36009007, "Request timeout."),
        _ => ok(json!({"orders": [order("1", "COMPLETED")]})),
    });
    on(&platform, "POST /product/202309/products/activate", |_| {
        Reply::text(502, "Bad Gateway")
    });
    let shop = shop(&platform);
    let detail = shop
        .order_detail(&OrderDetailRequest {
            ids: vec!["1".into()],
        })
        .await
        .unwrap();
    assert_eq!(detail.orders.unwrap()[0].status, OrderStatus::Completed);
    assert_eq!(
        platform.count("GET /order/202309/orders"),
        3,
        "a 5xx and a gateway timeout are retried for a read"
    );

    let e = shop
        .product_activate(&ProductActivateRequest {
            product_ids: vec!["1".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 502, .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(
        platform.count("POST /product/202309/products/activate"),
        1,
        "a write is not sent twice"
    );
}

#[tokio::test]
async fn shop_cipher_rules() {
    let platform = sandbox().await;
    on(&platform, "GET /authorization/202309/shops", |s| {
        assert_eq!(s.query("shop_cipher"), None);
        ok(
            json!({"shops": [{"id": "7000714532876273420", "name": "Maomao beauty shop", "region": "GB", "seller_type": "CROSS_BORDER", "cipher": CIPHER, "code": "CNGBCBA4LLU8"}]}),
        )
    });
    // The seller's one shop is CIPHER: another cipher is refused with the platform's envelope.
    on(&platform, "POST /order/202309/orders/search", |s| {
        match s.query("shop_cipher") {
            Some(CIPHER) => Reply::pass(),
            _ => err(
                400,
                36009004,
                "Invalid identifier. The `shop_cipher` query parameter is invalid.",
            ),
        }
    });
    let seller = builder(&platform).build().unwrap().with_access_token(TOKEN);

    // Not shop-scoped: no cipher is sent, even from a handle that has one.
    let shops = seller
        .with_shop_cipher("SOME_OTHER_CIPHER")
        .authorization_shops(&AuthorizationShopsRequest {})
        .await
        .unwrap();
    let first = &shops.shops.unwrap()[0];
    assert_eq!(first.cipher, CIPHER);

    // Shop-scoped without a cipher: refused before sending.
    let e = seller
        .order_search(&OrderSearchRequest {
            page_size: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
    assert!(e.to_string().contains("with_shop_cipher"), "{e}");
    // Without a token: refused before sending.
    let e = builder(&platform)
        .build()
        .unwrap()
        .authorization_shops(&AuthorizationShopsRequest {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("with_access_token"), "{e}");
    assert_eq!(platform.count("POST /order/202309/orders/search"), 0);
    assert_eq!(platform.all_seen().len(), 1);

    // A wrong cipher reaches the platform, which refuses it.
    let e = seller
        .with_shop_cipher("ROW_wrong")
        .order_search(&OrderSearchRequest {
            page_size: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        e.api().map(|a| (a.code, a.kind)),
        Some((36009004, ErrorKind::InvalidParam))
    );

    // A dry run shows the call with the token and the sign masked.
    let printed = seller
        .with_shop_cipher(CIPHER)
        .prepare(&OrderSearchRequest {
            page_size: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .to_string();
    assert!(
        printed.starts_with("POST ")
            && printed.contains("shop_cipher=")
            && !printed.contains(TOKEN),
        "{printed}"
    );
}

#[tokio::test]
async fn cursor_pagination_across_two_pages() {
    // A cursor with `/` and `+`: percent-encoded in the URL, signed decoded.
    const CURSOR: &str = "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZ+7D1ud64MPNz5OaT";
    let platform = sandbox().await;
    on(&platform, "POST /order/202309/orders/search", |s| {
        match s.query("page_token") {
            None => ok(
                json!({"orders": [order("1", "UNPAID"), order("2", "UNPAID")], "next_page_token": CURSOR, "total_count": 3}),
            ),
            Some(CURSOR) => ok(
                json!({"orders": [order("3", "UNPAID")], "next_page_token": "", "total_count": 3}),
            ),
            Some(other) => panic!("unexpected page_token {other}"),
        }
    });
    let shop = shop(&platform);
    let req = OrderSearchRequest {
        page_size: 2,
        ..Default::default()
    };

    let mut pages = Pages::new(req.clone(), |r: OrderSearchRequest| {
        let shop = shop.clone();
        async move { shop.order_search(&r).await }
    });
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!((first.items.len(), first.total), (2, Some(3)));
    let second = pages.next().await.unwrap().unwrap();
    assert_eq!(second.items[0].id, "3");
    assert!(second.next.is_none());
    assert!(pages.next().await.unwrap().is_none());
    assert_eq!(platform.count("POST /order/202309/orders/search"), 2);

    // The same walk through the client's helper.
    let ids: Vec<String> = shop
        .pages(req.clone())
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(platform.count("POST /order/202309/orders/search"), 4);

    // And as a futures Stream of pages.
    use futures_util::StreamExt;
    let pages: Vec<_> = shop.pages(req.clone()).collect().await;
    let sizes: Vec<usize> = pages.into_iter().map(|p| p.unwrap().items.len()).collect();
    assert_eq!(sizes, [2, 1]);
    assert_eq!(platform.count("POST /order/202309/orders/search"), 6);
}

#[tokio::test]
async fn multipart_upload_is_signed_without_its_body() {
    let platform = sandbox().await;
    on(&platform, "POST /product/202309/images/upload", |s| {
        let content_type = s.content_type().unwrap_or_default();
        assert!(
            content_type.starts_with("multipart/form-data; boundary="),
            "{content_type}"
        );
        let body = String::from_utf8_lossy(&s.body);
        assert!(
            body.contains("name=\"use_case\"\r\n\r\nMAIN_IMAGE\r\n"),
            "{body}"
        );
        assert!(
            body.contains("name=\"data\"; filename=\"shoe.png\"")
                && body.contains("\u{1}PNG-BYTES"),
            "{body}"
        );
        assert_eq!(
            body.matches("name=\"data\"").count(),
            1,
            "the file replaces the text field"
        );
        assert!(
            s.query("shop_cipher").is_none(),
            "uploads are not shop-scoped"
        );
        ok(
            json!({"uri": "tos-maliva-i-o3syd03w52-us/c668cdf70b7f483c94dbe", "url": "https://p16-oec-va.ibyteimg.com/a.png", "width": 100, "height": 100, "use_case": "MAIN_IMAGE"}),
        )
    });
    let shop = shop(&platform);
    let req = ProductUploadImageRequest {
        use_case: Some(UseCase::MainImage),
        ..Default::default()
    };

    // A file endpoint through `execute` says how to call it, and sends nothing.
    let e = shop.execute(&req).await.unwrap_err();
    assert!(e.to_string().contains("execute_multipart"), "{e}");

    let file = Part {
        name: "data".into(),
        file_name: Some("shoe.png".into()),
        content_type: Some("image/png".into()),
        data: b"\x01PNG-BYTES".to_vec(),
    };
    // The generated method takes the files.
    let img = shop.product_upload_image(&req, vec![file]).await.unwrap();
    assert_eq!(img.uri, "tos-maliva-i-o3syd03w52-us/c668cdf70b7f483c94dbe");
    assert_eq!(img.width, Some(100));
    assert_eq!(platform.count("POST /product/202309/images/upload"), 1);
}

#[tokio::test]
async fn a_call_without_a_hook_is_answered_with_the_documented_example() {
    let platform = sandbox().await;
    // No hook in this test: the sandbox checks the token and the cipher, then answers with the
    // spec's example, which decodes.
    let detail = shop(&platform)
        .order_detail(&OrderDetailRequest {
            ids: vec!["576461413038785752".into()],
        })
        .await
        .unwrap();
    assert_eq!(detail.orders.unwrap()[0].id, "576461413038785752");
    // A token the platform never issued is refused.
    let e = builder(&platform)
        .build()
        .unwrap()
        .with_access_token("TTP_unknown")
        .with_shop_cipher(CIPHER)
        .order_detail(&OrderDetailRequest {
            ids: vec!["1".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(e.api().map(|a| a.code), Some(36009004), "{e}");
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
}

/// The auth host's two calls, as the platform documents them: the code or refresh token is
/// checked, then tokens numbered 1 (from the code) and 2 (from the refresh) are handed out.
fn auth(platform: &Sandbox) {
    fn tokens(n: u8) -> Reply {
        ok(json!({
            "access_token": format!("TTP_ACCESS_{n}"), "access_token_expire_in": 1660556783,
            "refresh_token": format!("TTP_REFRESH_{n}"), "refresh_token_expire_in": "1691487031",
            "open_id": "7010736057180325637", "seller_name": "Jjj test shop", "seller_base_region": "ID",
            "user_type": 0, "granted_scopes": ["seller.authorization.info", "seller.order.info"]
        }))
    }
    platform.on("token.get", |s| {
        assert_eq!(
            s.header(ACCESS_TOKEN_HEADER),
            None,
            "token calls carry no access token"
        );
        assert_eq!(s.query("grant_type"), Some("authorized_code"));
        match s.query("auth_code") {
            Some("TTP_FeBoANmHP3yqdoUI9fZOCw") => tokens(1),
            _ => err(200, 36004004, "invalid auth code"),
        }
    });
    platform.on("token.refresh", |s| {
        assert_eq!(
            s.header(ACCESS_TOKEN_HEADER),
            None,
            "token calls carry no access token"
        );
        assert_eq!(s.query("grant_type"), Some("refresh_token"));
        match s.query("refresh_token") {
            Some("TTP_REFRESH_1") => tokens(2),
            _ => err(200, 36004004, "invalid refresh token"),
        }
    });
}

#[tokio::test]
async fn token_get_and_refresh_against_the_auth_host() {
    let platform = sandbox().await;
    auth(&platform);
    let client = Client::builder(KEY, SECRET)
        .auth_base_url(platform.url(Platform::TiktokAuth))
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();

    let got = client
        .get_token("TTP_FeBoANmHP3yqdoUI9fZOCw")
        .await
        .unwrap();
    assert_eq!(got.access_token.expose(), "TTP_ACCESS_1");
    assert_eq!(
        got.access_token_expire_in, 1660556783,
        "an absolute Unix time"
    );
    assert_eq!(got.refresh_token_expire_in, 1691487031);
    assert_eq!(
        (
            got.open_id.as_str(),
            got.seller_name.as_str(),
            got.seller_base_region.as_str()
        ),
        ("7010736057180325637", "Jjj test shop", "ID")
    );
    assert_eq!(got.granted_scopes.len(), 2);
    assert!(
        !format!("{got:?}").contains("TTP_ACCESS_1"),
        "tokens never print"
    );

    let refreshed = client
        .refresh_token(got.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose(), "TTP_ACCESS_2");
    assert_eq!(
        refreshed.to_token().refresh_token.unwrap().expose(),
        "TTP_REFRESH_2"
    );

    let e = client.get_token("used-code").await.unwrap_err();
    assert_eq!(
        e.api().map(|a| (a.code, a.kind, a.endpoint.as_str())),
        Some((36004004, ErrorKind::AuthorizationLapsed, "token.get"))
    );
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains(SECRET),
        "the app secret never prints: {text}"
    );
}

#[tokio::test]
async fn calls_are_traced_with_endpoint_request_id_and_latency_and_no_secret() {
    let logs = shop_api_tests::logs::capture();

    let platform = sandbox().await;
    on(&platform, "GET /order/202309/orders", |s| match s.nth {
        0 => err(200, 36009002, "Too many requests."),
        _ => ok(json!({"orders": []})),
    });
    auth(&platform);
    let client = builder(&platform).build().unwrap();

    let tokens = client
        .get_token("TTP_FeBoANmHP3yqdoUI9fZOCw")
        .await
        .unwrap();
    client
        .refresh_token(tokens.refresh_token.expose())
        .await
        .unwrap();
    client.get_token("used-code").await.unwrap_err();
    let shop = client.with_access_token(TOKEN).with_shop_cipher(CIPHER);
    shop.order_detail(&OrderDetailRequest {
        ids: vec!["1".into()],
    })
    .await
    .unwrap();
    let dry_run = shop
        .prepare(&OrderDetailRequest {
            ids: vec!["1".into()],
        })
        .await
        .unwrap();
    let dry_run = format!("{dry_run} {dry_run:?}");
    assert!(
        dry_run.starts_with("GET ") && !dry_run.contains(TOKEN),
        "{dry_run}"
    );

    let logs = logs.text();
    assert!(
        logs.contains("endpoint=\"order.detail\"") && logs.contains("endpoint=\"token.get\""),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("request_id=\"{REQUEST_ID}\"")) && logs.contains("latency_ms="),
        "{logs}"
    );
    assert!(
        logs.contains("retrying"),
        "the rate-limited attempt is logged: {logs}"
    );
    for secret in [
        SECRET,
        TOKEN,
        "TTP_ACCESS_1",
        "TTP_REFRESH_1",
        "TTP_ACCESS_2",
        "TTP_FeBoANmHP3yqdoUI9fZOCw",
    ] {
        assert!(!logs.contains(secret), "the logs show {secret}: {logs}");
    }
}

/// Managed seller tokens: `authorize` stores the seller's token; an expired one (105002) is
/// refreshed once, however many calls see it, and each call is retried.
#[tokio::test]
async fn managed_seller_tokens_refresh_once_and_retry() {
    let platform = sandbox().await;
    fn tokens(n: u8) -> Reply {
        ok(json!({
            "access_token": format!("A{n}"), "access_token_expire_in": unix_now() + 86_400,
            "refresh_token": format!("R{n}"), "refresh_token_expire_in": unix_now() + 864_000,
            "open_id": "OPEN1", "seller_name": "S", "seller_base_region": "GB", "user_type": 0, "granted_scopes": []
        }))
    }
    platform.on("token.get", |s| {
        assert_eq!(s.query("auth_code"), Some("CODE"));
        tokens(1)
    });
    platform.on("token.refresh", |s| {
        assert_eq!(s.query("refresh_token"), Some("R1"));
        // Slow enough for concurrent callers to pile up behind the one refresh.
        tokens(2).delay(Duration::from_millis(30))
    });
    platform.on("GET /order/202309/orders", |s| match s.token.as_deref() {
        Some("A1") => err(401, 105002, "Expired credentials"),
        Some("A2") => ok(json!({"orders": [order("1", "UNPAID")]})),
        other => panic!("unexpected token {other:?}"),
    });
    let client = builder(&platform).build().unwrap();
    let e = client
        .seller("OPEN1")
        .with_shop_cipher(CIPHER)
        .order_detail(&OrderDetailRequest {
            ids: vec!["1".into()],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Token(m) if m.contains("authorize")),
        "{e}"
    );
    let info = client.authorize("CODE").await.unwrap();
    assert_eq!(info.open_id, "OPEN1");
    let shop = client.seller("OPEN1").with_shop_cipher(CIPHER);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let shop = shop.clone();
        tasks.push(tokio::spawn(async move {
            shop.order_detail(&OrderDetailRequest {
                ids: vec!["1".into()],
            })
            .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().orders.unwrap().len(), 1);
    }
    assert_eq!(
        platform.count("token.refresh"),
        1,
        "exactly one refresh reached the auth host"
    );
    assert_eq!(
        client
            .seller_token("OPEN1")
            .await
            .unwrap()
            .access_token
            .expose(),
        "A2"
    );
}

/// A token answer with a success envelope but no access token or no expiry is refused: nothing
/// reaches the caller (or a store) that would overwrite a good token.
#[tokio::test]
async fn an_empty_token_answer_is_refused() {
    let platform = sandbox().await;
    platform.on("token.get", |_| ok(json!({})));
    platform.on("token.refresh", |_| {
        ok(json!({"access_token": "TTP_ACCESS_2", "refresh_token": "TTP_REFRESH_2"}))
    });
    let client = Client::builder(KEY, SECRET)
        .auth_base_url(platform.url(Platform::TiktokAuth))
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let e = client.get_token("CODE").await.unwrap_err();
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("without an access_token")),
        "{e}"
    );
    let e = client.refresh_token("TTP_REFRESH_1").await.unwrap_err();
    assert!(
        matches!(e, Error::Token(ref m) if m.contains("without access_token_expire_in")),
        "{e}"
    );
}
