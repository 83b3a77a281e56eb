#![cfg(all(feature = "doudian", feature = "tiktok", feature = "douyin"))]
//! The offline sandbox end to end: the clients of all three platforms make signed calls through
//! it, and what a platform would refuse it refuses with the platform's own error envelope.

use shop_api::runtime::{ErrorKind, RetryPolicy};
use shop_api::{Error, doudian, douyin, tiktok};
use shop_api_sandbox::{Credentials, SandboxConfig};

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shop_api_sandbox::serve(listener, SandboxConfig::default()));
    format!("http://{addr}")
}

#[tokio::test]
async fn doudian_through_the_sandbox() {
    let base = format!("{}/doudian", start().await);
    let c = Credentials::default();
    let client = doudian::Client::builder(&c.doudian_key, c.doudian_secret.as_str())
        .base_url(&base)
        .self_use(true)
        .build()
        .unwrap();
    let shop = client.shop("4463798");
    let req = doudian::order::OrderSearchListRequest {
        page: 0,
        size: 20,
        ..Default::default()
    };
    let page = shop.order_search_list(&req).await.unwrap();
    assert!(!page.shop_order_list.unwrap().is_empty());
    for m in [doudian::SignMethod::Md5, doudian::SignMethod::HmacSha256] {
        let c2 = doudian::Client::builder(&c.doudian_key, c.doudian_secret.as_str())
            .base_url(&base)
            .self_use(true)
            .sign_method(m)
            .build()
            .unwrap();
        c2.shop("1").order_search_list(&req).await.unwrap();
    }
    // A wrong secret: the signature check.
    let bad = doudian::Client::builder(&c.doudian_key, "wrong")
        .base_url(&base)
        .build()
        .unwrap()
        .with_access_token("x");
    assert_eq!(
        bad.order_search_list(&req).await.unwrap_err().kind(),
        ErrorKind::InvalidSign
    );
    // A token the sandbox never issued.
    let e = client
        .with_access_token("made-up")
        .order_search_list(&req)
        .await
        .unwrap_err();
    assert_eq!(
        e.api().map(|a| a.sub_code.as_deref()),
        Some(Some("isv.access-token-no-existed"))
    );
    // A missing required field.
    let token = client.shop_token("4463798").await.unwrap();
    let e = client
        .with_access_token(token.access_token.expose())
        .execute(&doudian::order::OrderOrderDetailRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidParam, "{e}");
    assert!(e.to_string().contains("shop_order_id"), "{e}");
}

#[tokio::test]
async fn tiktok_through_the_sandbox() {
    let root = start().await;
    let c = Credentials::default();
    let client = tiktok::Client::builder(&c.tiktok_key, c.tiktok_secret.as_str())
        .base_url(format!("{root}/tiktok"))
        .auth_base_url(format!("{root}/tiktok-auth"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let seller = client.authorize("any-code").await.unwrap();
    let as_seller = client.seller(&seller.open_id);
    let shops = as_seller
        .authorization_shops(&tiktok::authorization::AuthorizationShopsRequest {})
        .await
        .unwrap();
    let cipher = shops.shops.unwrap()[0].cipher.clone();
    let shop = as_seller.with_shop_cipher(&cipher);
    let page = shop
        .order_search(&tiktok::order::OrderSearchRequest {
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!page.orders.unwrap().is_empty());
    // Missing cipher on a shop-scoped call: refused by the client before sending.
    let e = as_seller
        .order_search(&tiktok::order::OrderSearchRequest {
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    // A wrong secret, an unknown token.
    let bad = tiktok::Client::builder(&c.tiktok_key, "wrong")
        .base_url(format!("{root}/tiktok"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = bad
        .with_access_token("x")
        .with_shop_cipher(&cipher)
        .order_search(&tiktok::order::OrderSearchRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.api().map(|a| a.code), Some(106001));
    let e = client
        .with_access_token("TTP_made_up")
        .with_shop_cipher(&cipher)
        .order_search(&tiktok::order::OrderSearchRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.api().map(|a| a.code), Some(36009004));
    assert_eq!(e.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn douyin_through_the_sandbox() {
    let base = format!("{}/douyin", start().await);
    let c = Credentials::default();
    let client = douyin::Client::builder(&c.douyin_key, c.douyin_secret.as_str())
        .base_url(&base)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let list = client
        .market_service_user_purchase_list(&douyin::market::MarketServiceUserPurchaseListRequest {
            open_id: "o".into(),
            service_id: "s".into(),
            is_test_env: true,
        })
        .await
        .unwrap();
    assert!(!list.purchase_info_list.is_empty());
    // A client token the sandbox never issued.
    let e = client
        .with_access_token("clt.made-up")
        .market_service_user_purchase_list(
            &douyin::market::MarketServiceUserPurchaseListRequest::default(),
        )
        .await
        .unwrap_err();
    assert!(e.api().is_some(), "{e}");
    // A wrong secret cannot get a client token.
    let bad = douyin::Client::builder(&c.douyin_key, "wrong")
        .base_url(&base)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(bad.client_token().await.is_err());
}

/// Douyin user tokens through the token store: `authorize` keeps them, and one that is about to
/// expire is refreshed by the client.
#[tokio::test]
async fn douyin_user_tokens_are_kept_and_refreshed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Tokens that live 60 s: inside the client's 5-minute refresh margin.
    tokio::spawn(shop_api_sandbox::serve(
        listener,
        SandboxConfig {
            token_ttl: 60,
            ..SandboxConfig::default()
        },
    ));
    let c = Credentials::default();
    let client = douyin::Client::builder(&c.douyin_key, c.douyin_secret.as_str())
        .base_url(format!("http://{addr}/douyin"))
        .build()
        .unwrap();
    let first = client.authorize("code-from-redirect").await.unwrap();
    assert!(first.access_token.expose().starts_with("act."));
    let kept = client.user_token(&first.open_id).await.unwrap();
    assert_ne!(
        kept.access_token, first.access_token,
        "refreshed ahead of expiry"
    );
    assert_ne!(
        kept.refresh_token, first.refresh_token,
        "the sandbox rotates refresh tokens"
    );
    let renewed = client
        .renew_user_refresh_token(&first.open_id)
        .await
        .unwrap();
    assert!(!renewed.refresh_token.is_empty());
    // The sandbox retired the old refresh token: the next refresh works only with the kept new one.
    client.user_token(&first.open_id).await.unwrap();
    let e = client.user_token("nobody").await.unwrap_err();
    assert!(
        matches!(&e, Error::Token(m) if m.contains("authorize")),
        "{e}"
    );
}

/// The hooks the end-to-end tests use: a hook answers after admission, sees the call number,
/// can pass the answer back to the sandbox after a delay, and a panicking hook is named.
#[tokio::test]
async fn hooks_answer_after_admission_and_a_panicking_hook_is_named() {
    use shop_api_sandbox::{Platform, Reply, Sandbox};
    use std::time::{Duration, Instant};

    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = Credentials::default();
    let client = |secret: &str| {
        doudian::Client::builder(&c.doudian_key, secret)
            .base_url(platform.url(Platform::Doudian))
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    };
    platform.grant(Platform::Doudian, "GRANTED");
    platform.on("order.searchList", |s| match s.nth {
        0 => {
            shop_api_sandbox::doudian::err(60000, "isv.traffic-limited", "触发限流,请稍后重试", "")
        }
        1 => Reply::pass().delay(Duration::from_millis(200)),
        _ => panic!("no third call in this scenario"),
    });
    let req = doudian::order::OrderSearchListRequest {
        size: 1,
        ..Default::default()
    };
    // A request that fails admission never reaches the hook.
    let e = client("wrong")
        .with_access_token("GRANTED")
        .order_search_list(&req)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidSign);
    assert_eq!(platform.count("order.searchList"), 0);

    let shop = client(&c.doudian_secret).with_access_token("GRANTED");
    let e = shop.order_search_list(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    let started = Instant::now();
    shop.order_search_list(&req).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    let e = shop.order_search_list(&req).await.unwrap_err();
    assert!(
        matches!(&e, Error::Http { status: 500, body, .. }
            if body.contains("hook for POST /order/searchList panicked: no third call")),
        "{e}"
    );
    let seen = platform.seen("order.searchList");
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2].nth, 2);
    assert_eq!(seen[0].token.as_deref(), Some("GRANTED"));
    assert_eq!(seen[0].params["size"], 1);
}

#[test]
fn the_sandbox_serves_the_specs_compiled_into_it_which_are_the_checkouts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let on_disk = shop_api_codegen::ir::load(&root).expect("the checkout's specs load");
    let compiled = shop_api_codegen::ir::load_embedded(shop_api_sandbox::SPECS)
        .expect("the compiled-in specs load");
    let routes = |api: &shop_api_codegen::ir::Api| {
        api.platforms
            .iter()
            .flat_map(|p| {
                p.modules.iter().flat_map(move |m| {
                    m.endpoints
                        .iter()
                        .map(move |e| format!("{} {}", p.name, e.name))
                })
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(routes(&compiled), routes(&on_disk));
    assert!(routes(&compiled).len() > 300);
    assert!(
        shop_api_sandbox::SPECS
            .iter()
            .all(|(path, _)| path.starts_with("spec/")),
    );
}
