#![cfg(feature = "doudian")]
//! Load: 10,000 calls through one client against a local server with bounded concurrency. Every
//! response arrives exactly once, memory stays bounded, and the rate is printed (a figure, not a
//! threshold: speed targets live in the benchmarks).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use shop_api::doudian::{Client, order::OrderSearchListRequest};
use shop_api_tests::fake_http::{Reply, Server};
use tokio::sync::Semaphore;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_each_answered_once() {
    const CALLS: usize = 10_000;
    const CONCURRENCY: usize = 64;
    let server = Server::start(|req| {
        // Echo the request's marker so the client can check it got its own answer.
        let p: Value = serde_json::from_slice(&req.body).unwrap();
        Reply::json(&json!({
            "code": 10000, "msg": "success", "log_id": "L",
            "data": {"total": 1, "shop_order_list": [{"order_id": p["product"]}]}
        }))
    })
    .await;
    let client = Client::builder("key", "secret")
        .base_url(server.uri())
        .build()
        .unwrap()
        .with_access_token("T");
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let warm = client
        .order_search_list(&OrderSearchListRequest {
            size: 1,
            product: Some("w".into()),
            ..Default::default()
        })
        .await;
    assert!(warm.is_ok());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut seen = HashSet::with_capacity(CALLS);
    let mut rss_half = 0;
    let rss_start = rss_kib();
    for i in 0..CALLS {
        if i == CALLS / 2 {
            rss_half = rss_kib();
        }
        let client = client.clone();
        let permit = limit.clone().acquire_owned().await.unwrap();
        tasks.spawn(async move {
            let _permit = permit;
            let req = OrderSearchListRequest {
                size: 1,
                product: Some(i.to_string()),
                ..Default::default()
            };
            let resp = client.order_search_list(&req).await.unwrap();
            resp.shop_order_list.unwrap().remove(0).order_id
        });
        while let Some(done) = tasks.try_join_next() {
            assert!(seen.insert(done.unwrap()), "a response arrived twice");
        }
    }
    while let Some(done) = tasks.join_next().await {
        assert!(seen.insert(done.unwrap()), "a response arrived twice");
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(seen.len(), CALLS);
    assert!(
        (0..CALLS).all(|i| seen.contains(&i.to_string())),
        "every call got its own answer"
    );
    let rss_end = rss_kib();
    println!(
        "{CALLS} calls, concurrency {CONCURRENCY}: {secs:.2} s, {:.0} calls/s (server on the same 2 cores); RSS {rss_start} KiB at start, {rss_half} KiB at half, {rss_end} KiB at the end",
        CALLS as f64 / secs
    );
    // Bounded memory: the second 5,000 calls add next to nothing to what the first 5,000 needed.
    assert!(
        rss_end < rss_half + 16 * 1024,
        "RSS grew from {rss_half} KiB to {rss_end} KiB over the second half"
    );
}
