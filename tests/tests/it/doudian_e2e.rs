#![cfg(feature = "doudian")]
//! Doudian end to end over real HTTP on 127.0.0.1: the sandbox checks every request's signature as
//! the platform does, and each test's hooks play its token, error and paging scenario.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shop_api::Error;
use shop_api::doudian::order::{OrderSearchListRequest, OrderSearchListResponse};
use shop_api::doudian::sign::SignMethod;
use shop_api::doudian::{Client, ClientBuilder};
use shop_api::runtime::{
    ErrorKind, Expect, JsonFileStore, Pages, RetryPolicy, Secret, Token, TokenStore, unix_now,
};
use shop_api_sandbox::doudian::{err, ok};
use shop_api_sandbox::{Platform, REQUEST_ID, Reply, Running, Sandbox, SandboxConfig};

const KEY: &str = "3409409348479354011";
const SECRET: &str = "2ad2355c-01d0-11f8-91dc-05a8cd1054b1";

/// The sandbox, accepting this file's app credentials.
async fn sandbox() -> Running {
    Sandbox::start(SandboxConfig::default().doudian_app(KEY, SECRET))
        .await
        .unwrap()
}

fn builder(platform: &Running) -> ClientBuilder {
    Client::builder(KEY, SECRET)
        .base_url(platform.url(Platform::Doudian))
        .retry(RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
        })
}

fn order_page(ids: &[&str], total: i64) -> Value {
    let list: Vec<Value> = ids
        .iter()
        .map(|id| json!({"order_id": id.parse::<u64>().unwrap(), "order_status": 2, "pay_amount": 9900, "sku_order_list": [{"sku_id": 1, "item_num": 1}]}))
        .collect();
    json!({"page": 0, "size": 2, "total": total, "shop_order_list": list})
}

#[tokio::test]
async fn signed_search_decodes_with_both_sign_methods() {
    let platform = sandbox().await;
    platform.on("order.searchList", |s| {
        assert_eq!(s.token.as_deref(), Some("TOKEN-A"));
        assert_eq!(s.params["size"], 20);
        assert_eq!(s.content_type(), Some("application/json"));
        let ts: i64 = s.query("timestamp").unwrap().parse().unwrap();
        assert!(
            (ts - unix_now()).abs() < 60,
            "the timestamp is the current time"
        );
        ok(order_page(&["6921888888888888888"], 1))
    });
    for m in [SignMethod::HmacSha256, SignMethod::Md5] {
        let client = builder(&platform)
            .sign_method(m)
            .build()
            .unwrap()
            .with_access_token("TOKEN-A");
        let resp: OrderSearchListResponse = client
            .order_search_list(&OrderSearchListRequest {
                page: 0,
                size: 20,
                product: Some("测试<&>".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let orders = resp.shop_order_list.unwrap();
        assert_eq!(
            orders[0].order_id, "6921888888888888888",
            "a 64-bit id sent as a number stays exact"
        );
        assert_eq!(resp.total, Some(1));
    }
    // The generic execute and execute_full work too, and keep the log id.
    let client = builder(&platform)
        .build()
        .unwrap()
        .with_access_token("TOKEN-A");
    let full = client
        .execute_full(&OrderSearchListRequest {
            size: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(full.request_id.as_deref(), Some(REQUEST_ID));
}

#[tokio::test]
async fn a_wrong_secret_is_rejected_by_the_signature_check() {
    let platform = sandbox().await;
    let client = Client::builder(KEY, "wrong-secret")
        .base_url(platform.url(Platform::Doudian))
        .build()
        .unwrap()
        .with_access_token("T");
    let e = client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let api = e.api().expect("a platform error");
    assert_eq!((api.code, api.kind), (40003, ErrorKind::InvalidSign));
    assert_eq!(api.request_id.as_deref(), Some(REQUEST_ID));
    assert!(!e.to_string().contains("wrong-secret") && !format!("{e:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn self_use_token_create_then_refresh_before_expiry() {
    let platform = sandbox().await;
    platform.on("token.create", |s| {
        assert_eq!(s.token, None, "token calls carry no access token");
        let p = &s.params;
        assert_eq!((p["grant_type"].as_str(), p["shop_id"].as_str(), p["code"].as_str()), (Some("authorization_self"), Some("777"), Some("")));
        // Expires within the refresh margin, so the next call refreshes it.
        ok(json!({"access_token": "AT1", "expires_in": 60, "refresh_token": "RT1", "scope": "SCOPE", "shop_id": 777, "shop_name": "S"}))
    });
    platform.on("token.refresh", |s| {
        let p = &s.params;
        assert_eq!((p["grant_type"].as_str(), p["refresh_token"].as_str()), (Some("refresh_token"), Some("RT1")));
        ok(json!({"access_token": "AT2", "expires_in": 604800, "refresh_token": "RT2", "shop_id": 777}))
    });
    platform.on("order.searchList", |_| ok(order_page(&[], 0)));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(JsonFileStore::new(dir.path().join("tokens.json")));
    let client = builder(&platform)
        .self_use(true)
        .token_store(store.clone())
        .build()
        .unwrap();
    let shop = client.shop("777");
    shop.order_search_list(&OrderSearchListRequest {
        size: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    shop.order_search_list(&OrderSearchListRequest {
        size: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    shop.order_search_list(&OrderSearchListRequest {
        size: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(platform.count("token.create"), 1);
    assert_eq!(platform.count("token.refresh"), 1);
    let tokens: Vec<Option<String>> = platform
        .seen("order.searchList")
        .into_iter()
        .map(|s| s.token)
        .collect();
    assert_eq!(
        tokens,
        [Some("AT1".into()), Some("AT2".into()), Some("AT2".into())]
    );
    let key = format!("doudian:production:{KEY}:777");
    assert_eq!(
        client.token_key("777"),
        key,
        "tokens are kept by platform, environment and app"
    );
    assert_eq!(client.kept_shops().await.unwrap(), ["777"]);
    let stored = store.load(&key).await.unwrap().unwrap().token;
    assert_eq!(stored.access_token.expose(), "AT2");
    assert_eq!(stored.extra["shop_name"], "S");
    let file = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    assert!(file.contains("AT2"), "the file store persists tokens");
}

#[tokio::test]
async fn tool_app_exchanges_a_code_and_needs_one_first() {
    let platform = sandbox().await;
    platform.on("token.create", |s| {
        let p = &s.params;
        assert_eq!((p["grant_type"].as_str(), p["code"].as_str()), (Some("authorization_code"), Some("CODE")));
        ok(json!({"access_token": "AT", "expires_in": 604800, "refresh_token": "RT", "shop_id": "888", "shop_name": "Tool shop"}))
    });
    platform.on("order.searchList", |s| {
        assert_eq!(s.token.as_deref(), Some("AT"));
        ok(order_page(&[], 0))
    });
    let client = builder(&platform).build().unwrap();
    let e = client
        .shop("888")
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Token(m) if m.contains("exchange")),
        "{e}"
    );
    let token = client.exchange_code("CODE").await.unwrap();
    assert_eq!(token.extra["shop_id"], "888");
    client
        .shop("888")
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
}

fn expired_then_fresh(platform: &Sandbox) {
    platform.on("order.searchList", |s| match s.token.as_deref() {
        Some("OLD") => err(
            40003,
            "isv.access-token-expired",
            "access_token已过期",
            "detail",
        ),
        Some("NEW") => ok(order_page(&["1"], 1)),
        other => panic!("unexpected token {other:?}"),
    });
    platform.on("token.refresh", |s| {
        assert_eq!(s.params["refresh_token"], "R-OLD");
        // Slow enough for concurrent callers to pile up behind the one refresh.
        ok(json!({"access_token": "NEW", "expires_in": 604800, "refresh_token": "R-NEW", "shop_id": 1}))
            .delay(Duration::from_millis(30))
    });
}

async fn store_with_old_token() -> Arc<dyn TokenStore> {
    let store: Arc<dyn TokenStore> = Arc::new(shop_api::runtime::MemoryStore::new());
    // Not expired by its clock, but the platform says it is.
    let t = Token {
        access_token: Secret::new("OLD"),
        expires_at: unix_now() + 86_400,
        refresh_token: Some(Secret::new("R-OLD")),
        ..Token::default()
    };
    let key = format!("doudian:production:{KEY}:1");
    store.save(&key, &t, Expect::Any).await.unwrap();
    store
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried() {
    let platform = sandbox().await;
    expired_then_fresh(&platform);
    let client = builder(&platform)
        .token_store(store_with_old_token().await)
        .build()
        .unwrap();
    let resp = client
        .shop("1")
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(resp.total, Some(1));
    assert_eq!(platform.count("token.refresh"), 1);
    assert_eq!(platform.count("order.searchList"), 2);
    // A fixed token the client does not manage is not refreshed: the error is the caller's.
    let e = client
        .with_access_token("OLD")
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TokenExpired);
}

#[tokio::test]
async fn many_concurrent_calls_on_an_expired_token_make_one_refresh() {
    let platform = sandbox().await;
    expired_then_fresh(&platform);
    let client = builder(&platform)
        .token_store(store_with_old_token().await)
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let shop = client.shop("1");
        tasks.push(tokio::spawn(async move {
            shop.order_search_list(&OrderSearchListRequest {
                size: 1,
                ..Default::default()
            })
            .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().total, Some(1));
    }
    assert_eq!(
        platform.count("token.refresh"),
        1,
        "exactly one refresh reached the server"
    );
}

#[tokio::test]
async fn rate_limits_back_off_then_succeed_or_give_a_typed_error() {
    let platform = sandbox().await;
    platform.on("order.searchList", |s| {
        if s.nth < 2 {
            err(
                60000,
                "isv.traffic-limited",
                "触发限流,请稍后重试",
                "detail",
            )
        } else {
            ok(order_page(&[], 0))
        }
    });
    let client = builder(&platform).build().unwrap().with_access_token("T");
    client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(platform.count("order.searchList"), 3);

    let platform = sandbox().await;
    platform.on("order.searchList", |_| {
        err(
            60000,
            "isv.traffic-limited",
            "触发限流,请稍后重试",
            "detail",
        )
    });
    let client = builder(&platform).build().unwrap().with_access_token("T");
    let e = client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(
        platform.count("order.searchList"),
        4,
        "1 try + 3 bounded retries"
    );
}

#[tokio::test]
async fn broken_bodies_are_typed_errors() {
    let platform = sandbox().await;
    platform.on("order.searchList", |s| match s.params["size"].as_i64() {
        Some(1) => Reply::text(
            200,
            r#"{"code":10000,"msg":"success","data":{"shop_order_list":[{"order_id":"#,
        ),
        Some(2) => Reply::text(200, "<html>gateway</html>"),
        Some(3) => Reply::json(200, &json!({"code": 10000, "msg": "success"})),
        Some(4) => Reply::json(200, &json!({"code": 10000, "data": {"total": "many"}})),
        _ => Reply::text(502, "bad gateway"),
    });
    let client = builder(&platform).build().unwrap().with_access_token("T");
    let call = |size| {
        let client = client.clone();
        async move {
            client
                .order_search_list(&OrderSearchListRequest {
                    size,
                    ..Default::default()
                })
                .await
                .unwrap_err()
        }
    };
    assert!(matches!(call(1).await, Error::Decode { .. }), "truncated");
    assert!(matches!(call(2).await, Error::Decode { .. }), "not JSON");
    let e = call(3).await;
    assert!(
        matches!(&e, Error::Decode { message, .. } if message.contains("no `data`")),
        "{e}"
    );
    let e = call(4).await;
    assert!(
        matches!(&e, Error::Decode { message, .. } if message.contains("data.total")),
        "{e}"
    );
    let e = call(5).await;
    assert!(matches!(&e, Error::Http { status: 502, .. }), "{e}");
    assert_eq!(
        platform.count("order.searchList"),
        8,
        "a search is a read, flagged idempotent: the 502 was retried 3 times"
    );
}

#[tokio::test]
async fn a_write_is_never_retried_blindly() {
    let platform = sandbox().await;
    platform.on("order.addOrderRemark", |_| Reply::text(503, "busy"));
    platform.on("order.logisticsAdd", |_| {
        err(20000, "dop.service-error", "服务不可用", "服务繁忙")
    });
    let client = builder(&platform).build().unwrap().with_access_token("T");
    let e = client
        .execute(&shop_api::doudian::order::OrderAddOrderRemarkRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    let e = client
        .execute(&shop_api::doudian::order::OrderLogisticsAddRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(
        (
            platform.count("order.addOrderRemark"),
            platform.count("order.logisticsAdd")
        ),
        (1, 1)
    );
}

#[tokio::test]
async fn pages_walk_the_whole_result() {
    let platform = sandbox().await;
    platform.on("order.searchList", |s| {
        let ids: &[&str] = match s.params["page"].as_i64().unwrap() {
            0 => &["1", "2"],
            1 => &["3", "4"],
            2 => &["5"],
            n => panic!("page {n} is past the end"),
        };
        ok(order_page(ids, 5))
    });
    let client = builder(&platform).build().unwrap().with_access_token("T");
    let pages = Pages::new(
        OrderSearchListRequest {
            page: 0,
            size: 2,
            ..Default::default()
        },
        |req| {
            let client = client.clone();
            async move { client.order_search_list(&req).await }
        },
    );
    let all = pages.collect_all().await.unwrap();
    assert_eq!(
        all.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3", "4", "5"]
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error_without_secrets() {
    let client = Client::builder(KEY, SECRET)
        .base_url("http://127.0.0.1:9")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .with_access_token("SECRET-TOKEN-VALUE");
    let e = client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { connect: true, .. }), "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("SECRET-TOKEN-VALUE") && !text.contains(SECRET),
        "{text}"
    );
}

#[tokio::test]
async fn rate_limits_set_on_the_builder_keep_calls_apart() {
    use shop_api::runtime::{Quota, RateLimits};
    let platform = sandbox().await;
    platform.grant(Platform::Doudian, "T");
    let window = Duration::from_millis(300);
    let client = builder(&platform)
        .rate_limits(
            RateLimits::new()
                .per_app(Quota::new(4, window))
                .endpoint("order.searchList", Quota::new(3, window)),
        )
        .build()
        .unwrap()
        .with_access_token("T");
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..9)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .order_search_list(&OrderSearchListRequest {
                        size: 1,
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    let at: Vec<_> = platform
        .seen("order.searchList")
        .iter()
        .map(|s| s.at)
        .collect();
    let most = (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .filter(|t| **t >= at[i] && **t - at[i] < window - Duration::from_millis(50))
                .count()
        })
        .max()
        .unwrap();
    assert!(
        most <= 3,
        "the endpoint's quota, the tighter one, holds: {most}"
    );
    assert!(started.elapsed() >= window * 2, "{:?}", started.elapsed());
}

/// The client knobs: a per-call timeout on a handle, the user agent, and a `reqwest::Client` of
/// the caller's own.
#[tokio::test]
async fn per_call_timeout_user_agent_and_an_injected_http_client() {
    let platform = sandbox().await;
    platform.grant(Platform::Doudian, "T");
    platform.on("order.searchList", |s| match s.params["size"].as_i64() {
        Some(2) => Reply::pass().delay(Duration::from_millis(600)),
        _ => Reply::pass(),
    });
    let req = |size| OrderSearchListRequest {
        page: 0,
        size,
        ..Default::default()
    };
    let client = builder(&platform)
        .retry(RetryPolicy::none())
        .user_agent("erp-sync/2.1")
        .build()
        .unwrap()
        .with_access_token("T");
    client.order_search_list(&req(1)).await.unwrap();
    assert_eq!(
        platform.seen("order.searchList")[0].header("user-agent"),
        Some("erp-sync/2.1")
    );
    // The slow call within the client's 30 s, and past a handle's 200 ms.
    client.order_search_list(&req(2)).await.unwrap();
    let e = client
        .with_timeout(Duration::from_millis(200))
        .order_search_list(&req(2))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(
        e.to_string().contains("timed out") || format!("{e:?}").contains("imeout"),
        "{e:?}"
    );

    // A reqwest::Client of the caller's own, with a default header of its own.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-erp", "one-pool".parse().unwrap());
    let own = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let client = builder(&platform)
        .http_client(own)
        .user_agent("erp-sync/2.1")
        .build()
        .unwrap()
        .with_access_token("T");
    client.order_search_list(&req(1)).await.unwrap();
    let last = platform.seen("order.searchList").pop().unwrap();
    assert_eq!(last.header("x-erp"), Some("one-pool"));
    assert_eq!(last.header("user-agent"), Some("erp-sync/2.1"));
}

/// Endpoints whose envelope `data` is one value, answered as the doc pages' samples show it
/// (`sku.add`: `"data": 117738444`, `spec.del`: `"data": true`) and as the official SDKs type it:
/// the Go SDK takes `data` itself as the value (int64, bool, `map[string]bool`), the Java SDK as an
/// object holding it under `data`. Both spellings decode, over the wire, through the sandbox.
#[tokio::test]
async fn a_data_that_is_one_value_decodes_as_the_official_sdks_read_it() {
    use shop_api::doudian::sku::SkuAddRequest;
    use shop_api::doudian::spec::SpecDelRequest;
    use shop_api::doudian::warehouse::{
        WarehouseCreateBatchRequest, WarehouseCreateRequest, WarehouseEditRequest,
    };
    let platform = sandbox().await;
    platform.on("sku.add", |_| ok(json!(117738444)));
    platform.on("spec.del", |_| ok(json!(true)));
    platform.on("warehouse.createBatch", |_| {
        ok(json!({"WH001": true, "WH002": false}))
    });
    platform.on("warehouse.create", |_| ok(json!(6879123456789_i64)));
    platform.on("warehouse.edit", |_| ok(json!({"data": true})));
    let client = builder(&platform)
        .build()
        .unwrap()
        .with_access_token("TOKEN-A");

    let sku = client
        .execute(&SkuAddRequest {
            product_id: "3473196049974326153".into(),
            out_sku_id: "1".into(),
            spec_id: "1737144307943485".into(),
            spec_detail_ids: "100041|150041".into(),
            stock_num: "10".into(),
            price: "1000".into(),
            settlement_price: "900".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sku.data.as_deref(), Some("117738444"), "a bare number");

    let del = client
        .execute(&SpecDelRequest {
            id: "1737144307943485".into(),
        })
        .await
        .unwrap();
    assert_eq!(del.data, Some(true), "a bare bool");

    let batch = client
        .execute(&WarehouseCreateBatchRequest::default())
        .await
        .unwrap();
    let map = batch.data.unwrap();
    assert_eq!((map["WH001"], map["WH002"]), (true, false), "a bare map");

    let created = client
        .execute(&WarehouseCreateRequest {
            out_warehouse_id: "WH001".into(),
            name: "华东仓".into(),
            intro: "上海嘉定".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        created.data.as_deref(),
        Some("6879123456789"),
        "the Go SDK's reading"
    );

    let edited = client
        .execute(&WarehouseEditRequest {
            out_warehouse_id: "WH001".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        edited.data,
        Some(true),
        "the Java SDK's reading: {{\"data\": true}}"
    );
}

/// A refresh answered with a success envelope but no token (`data: {}`, or no `expires_in`)
/// saves nothing: the call fails with a token error and the token kept before stays.
#[tokio::test]
async fn an_empty_token_answer_saves_nothing_and_keeps_the_old_token() {
    for answer in [
        json!({}),
        json!({"access_token": "", "expires_in": 604800, "refresh_token": "R-NEW"}),
        json!({"access_token": "NEW", "refresh_token": "R-NEW"}),
    ] {
        let platform = sandbox().await;
        platform.on("order.searchList", |_| {
            err(
                40003,
                "isv.access-token-expired",
                "access_token已过期",
                "detail",
            )
        });
        let reply = answer.clone();
        platform.on("token.refresh", move |_| ok(reply.clone()));
        let store = store_with_old_token().await;
        let client = builder(&platform)
            .token_store(store.clone())
            .build()
            .unwrap();
        let e = client
            .shop("1")
            .order_search_list(&OrderSearchListRequest {
                size: 1,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Token(ref m) if m.contains("nothing was saved")),
            "{answer}: {e}"
        );
        let kept = store
            .load(&format!("doudian:production:{KEY}:1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.token.access_token.expose(), "OLD", "{answer}");
        assert_eq!(
            kept.token.refresh_token.as_ref().map(|r| r.expose()),
            Some("R-OLD"),
            "{answer}"
        );
    }
}
