//! Fault injection: a local server answers with every kind of failure, and each call ends in a
//! typed error or a correct value, never a panic, and never retries a non-idempotent call blindly.
//! Prints one line per case with its outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use shop_api::Error;
use shop_api::runtime::{ErrorKind, RetryPolicy};
use shop_api_tests::fake_http::{Reply, Server};

/// What a case expects.
#[derive(Debug)]
enum Expect {
    Ok,
    Kind(ErrorKind),
}

struct Case {
    name: &'static str,
    /// Replies in order; the last repeats.
    replies: Vec<Reply>,
    expect: Expect,
    /// Requests the server must see.
    requests: usize,
}

fn case(name: &'static str, replies: Vec<Reply>, expect: Expect, requests: usize) -> Case {
    Case {
        name,
        replies,
        expect,
        requests,
    }
}

async fn serve(replies: Vec<Reply>) -> (Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = Server::start(move |_| {
        let i = h.fetch_add(1, Ordering::SeqCst);
        replies[i.min(replies.len() - 1)].clone()
    })
    .await;
    (server, hits)
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
    }
}

fn check(platform: &str, c: &Case, got: Result<(), Error>, hits: usize, table: &mut Vec<String>) {
    let outcome = match &got {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("{:?}: {e}", e.kind()),
    };
    table.push(format!(
        "{platform:<8} {:<40} {hits} request(s)  {}",
        c.name,
        outcome.chars().take(110).collect::<String>()
    ));
    match (&c.expect, &got) {
        (Expect::Ok, Ok(())) => {}
        (Expect::Kind(k), Err(e)) if e.kind() == *k => {}
        _ => panic!(
            "{platform} {}: expected {:?}, got {outcome}",
            c.name, c.expect
        ),
    }
    assert_eq!(hits, c.requests, "{platform} {}: request count", c.name);
}

#[cfg(feature = "doudian")]
mod doudian {
    use super::*;
    use shop_api::doudian::Client;
    use shop_api::doudian::order::{OrderAddOrderRemarkRequest, OrderSearchListRequest};

    fn env(data: Value) -> Value {
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "L", "data": data})
    }

    fn error(code: i64, sub: &str) -> Reply {
        Reply::json(
            &json!({"code": code, "msg": "m", "sub_code": sub, "sub_msg": "", "log_id": "L"}),
        )
    }

    fn good() -> Reply {
        Reply::json(&env(
            json!({"total": 1, "shop_order_list": [{"order_id": "1"}]}),
        ))
    }

    #[tokio::test]
    async fn every_fault_ends_typed() {
        let big = "18446744073709551615";
        let cases = vec![
            case(
                "HTTP 429 then success",
                vec![Reply::status(429, "slow down"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "HTTP 429 with Retry-After, always",
                vec![Reply::Respond(
                    429,
                    vec![("retry-after".into(), "0".into())],
                    b"x".to_vec(),
                )],
                Expect::Kind(ErrorKind::RateLimited),
                3,
            ),
            case(
                "platform rate limit 60000, always",
                vec![error(60000, "isv.traffic-limited")],
                Expect::Kind(ErrorKind::RateLimited),
                3,
            ),
            case(
                "HTTP 500 then success (read)",
                vec![Reply::status(500, "oops"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "HTTP 502, always (read)",
                vec![Reply::status(502, "bad gateway")],
                Expect::Kind(ErrorKind::Server),
                3,
            ),
            case(
                "HTTP 503 then success (read)",
                vec![Reply::status(503, "busy"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "service error 20000 then success",
                vec![error(20000, "dop.service-error"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "connection reset, always",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                3,
            ),
            case(
                "slow server past the timeout",
                vec![Reply::Delay(Duration::from_millis(800), Box::new(good()))],
                Expect::Kind(ErrorKind::Timeout),
                3,
            ),
            case(
                "truncated body",
                vec![
                    Reply::Truncate(20, env(json!({"total": 1})).to_string().into_bytes()),
                    good(),
                ],
                Expect::Ok,
                2,
            ),
            case(
                "body not JSON",
                vec![Reply::status(200, "<html>gateway</html>")],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
            case(
                "envelope without data",
                vec![Reply::json(&json!({"code": 10000, "msg": "success"}))],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
            case(
                "unknown enum value",
                vec![Reply::json(&env(
                    json!({"shop_order_list": [{"order_id": "1", "order_status": 999}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "numbers as strings and back",
                vec![Reply::json(&env(
                    json!({"total": "3", "shop_order_list": [{"order_id": 123, "pay_amount": "990", "create_time": "1700000000"}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "ids above 2^53",
                vec![Reply::json(&env(
                    json!({"shop_order_list": [{"order_id": big.parse::<u64>().unwrap()}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "extra unknown fields",
                vec![Reply::json(&env(
                    json!({"brand_new": {"x": [1]}, "shop_order_list": [{"order_id": "1", "surprise": true}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "empty page",
                vec![Reply::json(&env(
                    json!({"total": 0, "shop_order_list": []}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "null list",
                vec![Reply::json(&env(
                    json!({"total": 0, "shop_order_list": null}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "wrong type that cannot be mended",
                vec![Reply::json(&env(json!({"total": {"a": 1}})))],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
        ];
        let mut table = Vec::new();
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let client = Client::builder("k", "s")
                .base_url(server.uri())
                .timeout(Duration::from_millis(300))
                .retry(policy())
                .build()
                .unwrap()
                .with_access_token("t");
            let got = client
                .order_search_list(&OrderSearchListRequest {
                    size: 1,
                    ..Default::default()
                })
                .await;
            if let Ok(resp) = &got {
                if c.name == "ids above 2^53" {
                    assert_eq!(resp.shop_order_list.as_ref().unwrap()[0].order_id, big);
                }
                if c.name == "numbers as strings and back" {
                    let o = &resp.shop_order_list.as_ref().unwrap()[0];
                    assert_eq!(
                        (resp.total, o.order_id.as_str(), o.pay_amount),
                        (Some(3), "123", Some(990))
                    );
                }
                if c.name == "unknown enum value" {
                    let st = resp.shop_order_list.as_ref().unwrap()[0]
                        .order_status
                        .clone()
                        .unwrap();
                    assert_eq!(st.as_i64(), 999);
                }
            }
            check(
                "doudian",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }

    #[tokio::test]
    async fn writes_are_not_retried_after_they_may_have_run() {
        let mut table = Vec::new();
        let cases = vec![
            case(
                "write: HTTP 502",
                vec![Reply::status(502, "bad gateway")],
                Expect::Kind(ErrorKind::Server),
                1,
            ),
            case(
                "write: connection reset",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                1,
            ),
            case(
                "write: timeout",
                vec![Reply::Delay(
                    Duration::from_millis(800),
                    Box::new(Reply::status(200, "{}")),
                )],
                Expect::Kind(ErrorKind::Timeout),
                1,
            ),
            case(
                "write: rate limited (not run), retried",
                vec![
                    Reply::status(429, "x"),
                    Reply::json(&json!({"code": 10000, "msg": "success", "data": {}})),
                ],
                Expect::Ok,
                2,
            ),
        ];
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let client = Client::builder("k", "s")
                .base_url(server.uri())
                .timeout(Duration::from_millis(300))
                .retry(policy())
                .build()
                .unwrap()
                .with_access_token("t");
            let got = client
                .order_add_order_remark(&OrderAddOrderRemarkRequest {
                    order_id: "1".into(),
                    remark: "r".into(),
                    ..Default::default()
                })
                .await;
            check(
                "doudian",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }
}

#[cfg(feature = "tiktok")]
mod tiktok {
    use super::*;
    use shop_api::tiktok::Client;
    use shop_api::tiktok::order::OrderSearchRequest;
    use shop_api::tiktok::product::ProductDeleteRequest;

    fn env(data: Value) -> Value {
        json!({"code": 0, "message": "Success", "request_id": "R", "data": data})
    }

    fn error(status: u16, code: i64) -> Reply {
        Reply::Respond(
            status,
            Vec::new(),
            json!({"code": code, "message": "m", "request_id": "R"})
                .to_string()
                .into_bytes(),
        )
    }

    fn good() -> Reply {
        Reply::json(&env(
            json!({"orders": [{"id": "1", "status": "UNPAID"}], "next_page_token": "", "total_count": 1}),
        ))
    }

    fn client(server: &Server) -> Client {
        Client::builder("k", "s")
            .base_url(server.uri())
            .timeout(Duration::from_millis(300))
            .retry(policy())
            .build()
            .unwrap()
            .with_access_token("t")
            .with_shop_cipher("c")
    }

    #[tokio::test]
    async fn every_fault_ends_typed() {
        let cases = vec![
            case(
                "HTTP 429 then success",
                vec![Reply::status(429, "slow down"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "36009002 rate limit, always",
                vec![error(429, 36009002)],
                Expect::Kind(ErrorKind::RateLimited),
                3,
            ),
            case(
                "HTTP 502 then success (read)",
                vec![Reply::status(502, "bad gateway"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "HTTP 503, always (read)",
                vec![Reply::status(503, "busy")],
                Expect::Kind(ErrorKind::Server),
                3,
            ),
            case(
                "36009007 platform timeout then success",
                vec![error(200, 36009007), good()],
                Expect::Ok,
                2,
            ),
            case(
                "connection reset, always",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                3,
            ),
            case(
                "slow server past the timeout",
                vec![Reply::Delay(Duration::from_millis(800), Box::new(good()))],
                Expect::Kind(ErrorKind::Timeout),
                3,
            ),
            case(
                "truncated body then success",
                vec![
                    Reply::Truncate(12, env(json!({})).to_string().into_bytes()),
                    good(),
                ],
                Expect::Ok,
                2,
            ),
            case(
                "body not JSON",
                vec![Reply::status(200, "<html>")],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
            case(
                "envelope without data",
                vec![Reply::json(&json!({"code": 0, "message": "Success"}))],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
            case(
                "expired token 105002",
                vec![error(401, 105002)],
                Expect::Kind(ErrorKind::TokenExpired),
                1,
            ),
            case(
                "unknown enum value",
                vec![Reply::json(&env(
                    json!({"orders": [{"id": "1", "status": "TELEPORTED"}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "numbers for strings and back",
                vec![Reply::json(&env(
                    json!({"total_count": "2", "orders": [{"id": 576461413038785752u64, "status": "UNPAID", "create_time": "1700000000"}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "ids above 2^53",
                vec![Reply::json(&env(
                    json!({"orders": [{"id": 18446744073709551615u64, "status": "UNPAID"}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "extra unknown fields",
                vec![Reply::json(&env(
                    json!({"surprise": 1, "orders": [{"id": "1", "status": "UNPAID", "new": {}}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "empty page",
                vec![Reply::json(&env(
                    json!({"orders": [], "next_page_token": "", "total_count": 0}),
                ))],
                Expect::Ok,
                1,
            ),
        ];
        let mut table = Vec::new();
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let got = client(&server)
                .order_search(&OrderSearchRequest {
                    page_size: 1,
                    ..Default::default()
                })
                .await;
            if let (Ok(resp), "ids above 2^53") = (&got, c.name) {
                assert_eq!(resp.orders.as_ref().unwrap()[0].id, "18446744073709551615");
            }
            check(
                "tiktok",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }

    #[tokio::test]
    async fn writes_are_not_retried_after_they_may_have_run() {
        let mut table = Vec::new();
        let cases = vec![
            case(
                "write: HTTP 502",
                vec![Reply::status(502, "bad gateway")],
                Expect::Kind(ErrorKind::Server),
                1,
            ),
            case(
                "write: connection reset",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                1,
            ),
            case(
                "write: rate limited (not run), retried",
                vec![Reply::status(429, "x"), Reply::json(&env(json!({})))],
                Expect::Ok,
                2,
            ),
        ];
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let got = client(&server)
                .product_delete(&ProductDeleteRequest {
                    product_ids: vec!["1".into()],
                })
                .await;
            check(
                "tiktok",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }
}

#[cfg(feature = "douyin")]
mod douyin {
    use super::*;
    use shop_api::douyin::Client;
    use shop_api::douyin::market::{
        MarketServiceUserPurchaseListRequest, MarketServiceUserRemaintimesDecrRequest,
    };

    fn legacy(data: Value) -> Value {
        json!({"data": data, "extra": {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": "L", "now": 1}})
    }

    fn good() -> Reply {
        Reply::json(&legacy(
            json!({"error_code": 0, "description": "", "purchase_info_list": [{"service_id": "1", "service_mode_id": "2"}]}),
        ))
    }

    fn error(code: i64) -> Reply {
        Reply::json(&legacy(json!({"error_code": code, "description": "d"})))
    }

    fn client(server: &Server) -> Client {
        Client::builder("ck", "cs")
            .base_url(server.uri())
            .timeout(Duration::from_millis(300))
            .retry(policy())
            .build()
            .unwrap()
            .with_access_token("clt.token")
    }

    fn list() -> MarketServiceUserPurchaseListRequest {
        MarketServiceUserPurchaseListRequest {
            open_id: "o".into(),
            service_id: "s".into(),
            is_test_env: true,
        }
    }

    #[tokio::test]
    async fn every_fault_ends_typed() {
        let cases = vec![
            case(
                "HTTP 429 then success",
                vec![Reply::status(429, "slow down"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "28003018 rate limit, always",
                vec![error(28003018)],
                Expect::Kind(ErrorKind::RateLimited),
                3,
            ),
            case(
                "HTTP 500 then success (read)",
                vec![Reply::status(500, "oops"), good()],
                Expect::Ok,
                2,
            ),
            case(
                "connection reset, always",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                3,
            ),
            case(
                "slow server past the timeout",
                vec![Reply::Delay(Duration::from_millis(800), Box::new(good()))],
                Expect::Kind(ErrorKind::Timeout),
                3,
            ),
            case(
                "body not JSON",
                vec![Reply::status(200, "<html>")],
                Expect::Kind(ErrorKind::Decode),
                1,
            ),
            case(
                "newer envelope err_no",
                vec![
                    Reply::json(&json!({"err_no": 28001005, "err_msg": "busy", "log_id": "L"})),
                    good(),
                ],
                Expect::Ok,
                2,
            ),
            case(
                "numbers for strings",
                vec![Reply::json(&legacy(
                    json!({"error_code": "0", "purchase_info_list": [{"service_id": 7021602203591118688u64, "service_mode_id": 1}]}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "null list",
                vec![Reply::json(&legacy(
                    json!({"error_code": 0, "purchase_info_list": null}),
                ))],
                Expect::Ok,
                1,
            ),
            case(
                "extra unknown fields",
                vec![Reply::json(&legacy(
                    json!({"error_code": 0, "new": 1, "purchase_info_list": []}),
                ))],
                Expect::Ok,
                1,
            ),
        ];
        let mut table = Vec::new();
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let got = client(&server)
                .market_service_user_purchase_list(&list())
                .await;
            check(
                "douyin",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }

    #[tokio::test]
    async fn a_deduction_is_not_retried_after_it_may_have_run() {
        let mut table = Vec::new();
        let cases = vec![
            case(
                "write: HTTP 502",
                vec![Reply::status(502, "bad gateway")],
                Expect::Kind(ErrorKind::Server),
                1,
            ),
            case(
                "write: connection reset",
                vec![Reply::Reset],
                Expect::Kind(ErrorKind::Transport),
                1,
            ),
        ];
        for c in &cases {
            let (server, hits) = serve(c.replies.clone()).await;
            let req = MarketServiceUserRemaintimesDecrRequest {
                count: 1,
                is_test_env: true,
                open_id: "o".into(),
                out_trade_no: "t1".into(),
                service_id: "s".into(),
                service_mode_id: "m".into(),
            };
            let got = client(&server)
                .market_service_user_remaintimes_decr(&req)
                .await;
            check(
                "douyin",
                c,
                got.map(|_| ()),
                hits.load(Ordering::SeqCst),
                &mut table,
            );
        }
        println!("{}", table.join("\n"));
    }
}
