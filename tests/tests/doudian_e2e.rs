#![cfg(feature = "doudian")]
//! Doudian end to end over real HTTP on 127.0.0.1: a local server that checks every request's
//! signature exactly as the platform does, and plays the token, error and paging scenarios.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use shop_api::Error;
use shop_api::doudian::order::{OrderSearchListRequest, OrderSearchListResponse};
use shop_api::doudian::sign::{SignMethod, sign};
use shop_api::doudian::{Client, ClientBuilder};
use shop_api::runtime::{
    ErrorKind, JsonFileStore, Pages, RetryPolicy, Secret, Token, TokenStore, unix_now,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

const KEY: &str = "3409409348479354011";
const SECRET: &str = "2ad2355c-01d0-11f8-91dc-05a8cd1054b1";

type Handler = Box<dyn Fn(&Value, Option<&str>) -> ResponseTemplate + Send + Sync>;
/// (method, access_token, param_json) of a request.
type Seen = (String, Option<String>, Value);

/// A Doudian stand-in: verifies the signature of every request, then answers by method.
#[derive(Clone, Default)]
struct Platform {
    handlers: Arc<Mutex<HashMap<String, Handler>>>,
    /// Every request seen: (method, access_token, param_json).
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "LOG123", "data": data}))
}

fn err(code: i64, sub_code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": "detail", "log_id": "LOGERR", "data": {}}))
}

impl Platform {
    fn on(
        &self,
        method: &str,
        f: impl Fn(&Value, Option<&str>) -> ResponseTemplate + Send + Sync + 'static,
    ) {
        self.handlers
            .lock()
            .unwrap()
            .insert(method.to_owned(), Box::new(f));
    }

    fn count(&self, method: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, ..)| m == method)
            .count()
    }

    async fn start(&self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(self.clone())
            .mount(&server)
            .await;
        server
    }
}

impl Respond for Platform {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: HashMap<String, String> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let body = String::from_utf8(req.body.clone()).unwrap();
        let method = q.get("method").cloned().unwrap_or_default();
        if req.method.as_str() != "POST"
            || req.url.path() != format!("/{}", method.replace('.', "/"))
        {
            return ResponseTemplate::new(404)
                .set_body_string(format!("unexpected request: {} {}", req.method, req.url));
        }
        let sign_method = match q.get("sign_method").map(String::as_str) {
            None => SignMethod::Md5,
            Some("hmac-sha256") => SignMethod::HmacSha256,
            Some(other) => panic!("unexpected sign_method {other}"),
        };
        let expected = sign(
            sign_method,
            KEY,
            SECRET,
            &method,
            &body,
            &q["timestamp"],
            &q["v"],
        );
        if q.get("app_key").map(String::as_str) != Some(KEY)
            || q.get("sign") != Some(&expected)
            || q["v"] != "2"
        {
            return err(40009, "isv.signature-invalid", "签名校验失败");
        }
        let ts: i64 = q["timestamp"].parse().unwrap();
        assert!(
            (ts - unix_now()).abs() < 60,
            "the timestamp is the current time"
        );
        assert_eq!(req.headers.get("content-type").unwrap(), "application/json");
        let params: Value = serde_json::from_str(&body).unwrap();
        let token = q.get("access_token").map(String::as_str);
        self.seen
            .lock()
            .unwrap()
            .push((method.clone(), token.map(str::to_owned), params.clone()));
        match self.handlers.lock().unwrap().get(&method) {
            Some(h) => h(&params, token),
            None => {
                ResponseTemplate::new(404).set_body_string(format!("unexpected method {method}"))
            }
        }
    }
}

fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder(KEY, SECRET)
        .base_url(server.uri())
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
    let platform = Platform::default();
    platform.on("order.searchList", |p, token| {
        assert_eq!(token, Some("TOKEN-A"));
        assert_eq!(p["size"], 20);
        ok(order_page(&["6921888888888888888"], 1))
    });
    let server = platform.start().await;
    for m in [SignMethod::HmacSha256, SignMethod::Md5] {
        let client = builder(&server)
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
    let client = builder(&server)
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
    assert_eq!(full.request_id.as_deref(), Some("LOG123"));
}

#[tokio::test]
async fn a_wrong_secret_is_rejected_by_the_signature_check() {
    let platform = Platform::default();
    let server = platform.start().await;
    let client = Client::builder(KEY, "wrong-secret")
        .base_url(server.uri())
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
    assert_eq!((api.code, api.kind), (40009, ErrorKind::InvalidSign));
    assert_eq!(api.request_id.as_deref(), Some("LOGERR"));
    assert!(!e.to_string().contains("wrong-secret") && !format!("{e:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn self_use_token_create_then_refresh_before_expiry() {
    let platform = Platform::default();
    let created = Arc::new(AtomicUsize::new(0));
    let c = created.clone();
    platform.on("token.create", move |p, token| {
        assert_eq!(token, None, "token calls carry no access token");
        assert_eq!((p["grant_type"].as_str(), p["shop_id"].as_str(), p["code"].as_str()), (Some("authorization_self"), Some("777"), Some("")));
        c.fetch_add(1, Ordering::SeqCst);
        // Expires within the refresh margin, so the next call refreshes it.
        ok(json!({"access_token": "AT1", "expires_in": 60, "refresh_token": "RT1", "scope": "SCOPE", "shop_id": 777, "shop_name": "S"}))
    });
    platform.on("token.refresh", |p, _| {
        assert_eq!((p["grant_type"].as_str(), p["refresh_token"].as_str()), (Some("refresh_token"), Some("RT1")));
        ok(json!({"access_token": "AT2", "expires_in": 604800, "refresh_token": "RT2", "shop_id": 777}))
    });
    platform.on("order.searchList", |_, _| ok(order_page(&[], 0)));
    let server = platform.start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(JsonFileStore::new(dir.path().join("tokens.json")));
    let client = builder(&server)
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
    assert_eq!(created.load(Ordering::SeqCst), 1);
    assert_eq!(platform.count("token.refresh"), 1);
    let tokens: Vec<Option<String>> = platform
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, ..)| m == "order.searchList")
        .map(|(_, t, _)| t.clone())
        .collect();
    assert_eq!(
        tokens,
        [Some("AT1".into()), Some("AT2".into()), Some("AT2".into())]
    );
    let stored = store.load("doudian:777").await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose(), "AT2");
    assert_eq!(stored.extra["shop_name"], "S");
    let file = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    assert!(file.contains("AT2"), "the file store persists tokens");
}

#[tokio::test]
async fn tool_app_exchanges_a_code_and_needs_one_first() {
    let platform = Platform::default();
    platform.on("token.create", |p, _| {
        assert_eq!((p["grant_type"].as_str(), p["code"].as_str()), (Some("authorization_code"), Some("CODE")));
        ok(json!({"access_token": "AT", "expires_in": 604800, "refresh_token": "RT", "shop_id": "888", "shop_name": "Tool shop"}))
    });
    platform.on("order.searchList", |_, t| {
        assert_eq!(t, Some("AT"));
        ok(order_page(&[], 0))
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap();
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

fn expired_then_fresh(platform: &Platform) {
    platform.on("order.searchList", |_, t| match t {
        Some("OLD") => err(40003, "isv.access-token-expired", "access_token已过期"),
        Some("NEW") => ok(order_page(&["1"], 1)),
        other => panic!("unexpected token {other:?}"),
    });
    platform.on("token.refresh", |p, _| {
        assert_eq!(p["refresh_token"], "R-OLD");
        std::thread::sleep(Duration::from_millis(30));
        ok(json!({"access_token": "NEW", "expires_in": 604800, "refresh_token": "R-NEW", "shop_id": 1}))
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
    store.save("doudian:1", &t).await.unwrap();
    store
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_retried() {
    let platform = Platform::default();
    expired_then_fresh(&platform);
    let server = platform.start().await;
    let client = builder(&server)
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
    let platform = Platform::default();
    expired_then_fresh(&platform);
    let server = platform.start().await;
    let client = builder(&server)
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
    let platform = Platform::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    platform.on("order.searchList", move |_, _| {
        if c.fetch_add(1, Ordering::SeqCst) < 2 {
            err(60000, "isv.request-limit", "调用过于频繁")
        } else {
            ok(order_page(&[], 0))
        }
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap().with_access_token("T");
    client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(platform.count("order.searchList"), 3);

    let platform = Platform::default();
    platform.on("order.searchList", |_, _| {
        err(60000, "isv.request-limit", "调用过于频繁")
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap().with_access_token("T");
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
    let platform = Platform::default();
    platform.on("order.searchList", |p, _| match p["size"].as_i64() {
        Some(1) => ResponseTemplate::new(200).set_body_string(
            r#"{"code":10000,"msg":"success","data":{"shop_order_list":[{"order_id":"#,
        ),
        Some(2) => ResponseTemplate::new(200).set_body_string("<html>gateway</html>"),
        Some(3) => {
            ResponseTemplate::new(200).set_body_json(json!({"code": 10000, "msg": "success"}))
        }
        Some(4) => ResponseTemplate::new(200)
            .set_body_json(json!({"code": 10000, "data": {"total": "many"}})),
        _ => ResponseTemplate::new(502).set_body_string("bad gateway"),
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap().with_access_token("T");
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
    let platform = Platform::default();
    platform.on("order.addOrderRemark", |_, _| {
        ResponseTemplate::new(503).set_body_string("busy")
    });
    platform.on("order.logisticsAdd", |_, _| {
        err(20000, "isp.service-error", "服务繁忙")
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap().with_access_token("T");
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
    let platform = Platform::default();
    platform.on("order.searchList", |p, _| {
        let ids: &[&str] = match p["page"].as_i64().unwrap() {
            0 => &["1", "2"],
            1 => &["3", "4"],
            2 => &["5"],
            n => panic!("page {n} is past the end"),
        };
        ok(order_page(ids, 5))
    });
    let server = platform.start().await;
    let client = builder(&server).build().unwrap().with_access_token("T");
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
