//! Calls per second one worker sustains on each token store, against the memory store measured
//! in the same run: one client, one shop, calls one after another to the sandbox on 127.0.0.1,
//! with the client's token cache (the default) and without it (every call reads the store).
//!
//! `cargo run --release -p shop-api-benches --bin store_calls [seconds per case]`
//! (PostgreSQL and Redis are throwaway servers from the Debian packages; a store whose server
//! is not installed is skipped.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use shop_api::doudian::Client;
use shop_api::doudian::order::OrderSearchListRequest;
use shop_api::runtime::{
    Expect, JsonFileStore, MemoryStore, PostgresStore, RedisStore, Secret, Token, TokenStore,
    unix_now,
};
use shop_api_sandbox::{Credentials, Platform, Sandbox, SandboxConfig};
use shop_api_tests::databases::{Postgres, Redis};

const SHOP: &str = "4463798";

/// Calls per second of one worker on `store`, over `run`.
async fn rate(store: Arc<dyn TokenStore>, cache: Duration, base: &str, run: Duration) -> f64 {
    let c = Credentials::default();
    let token = Token {
        access_token: Secret::new("BENCH"),
        expires_at: unix_now() + 3600,
        refresh_token: Some(Secret::new("R-BENCH")),
        ..Token::default()
    };
    let key = format!("doudian:production:{}:{SHOP}", c.doudian_key);
    store.save(&key, &token, Expect::Any).await.expect("seed");
    let client = Client::builder(&c.doudian_key, c.doudian_secret.as_str())
        .base_url(base)
        .token_store(store)
        .token_cache(cache)
        .build()
        .expect("client");
    let shop = client.shop(SHOP);
    let req = OrderSearchListRequest {
        page: 0,
        size: 1,
        ..Default::default()
    };
    for _ in 0..50 {
        shop.order_search_list(&req).await.expect("warm-up call");
    }
    let started = Instant::now();
    let mut calls = 0u64;
    while started.elapsed() < run {
        shop.order_search_list(&req).await.expect("call");
        calls += 1;
    }
    calls as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let run = Duration::from_secs_f64(seconds);
    let platform = Sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox");
    platform.grant(Platform::Doudian, "BENCH");
    let base = platform.url(Platform::Doudian);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pg = Postgres::start();
    let redis = Redis::start();

    let mut stores: Vec<(&str, Arc<dyn TokenStore>)> = vec![
        ("memory", Arc::new(MemoryStore::new())),
        (
            "json file",
            Arc::new(JsonFileStore::new(dir.path().join("tokens.json"))),
        ),
    ];
    if let Some(pg) = &pg {
        let store = PostgresStore::connect(&pg.url()).await.expect("PostgreSQL");
        stores.push(("postgres", Arc::new(store)));
    }
    if let Some(redis) = &redis {
        let store = RedisStore::connect(&redis.url()).await.expect("Redis");
        stores.push(("redis", Arc::new(store)));
    }

    // Warm the sandbox, the client and the machine before the first measured case.
    let _ = rate(Arc::new(MemoryStore::new()), Duration::ZERO, &base, run / 2).await;
    println!("one worker, calls one after another to the sandbox, {seconds} s per case");
    println!("| store | token cache | calls/s | vs memory |");
    println!("| --- | --- | ---: | ---: |");
    for (cache, label) in [
        (shop_api::runtime::DEFAULT_TOKEN_CACHE, "10 s (default)"),
        (Duration::ZERO, "off"),
    ] {
        let mut memory = None;
        for (name, store) in &stores {
            let r = rate(store.clone(), cache, &base, run).await;
            let base_rate = *memory.get_or_insert(r);
            println!("| {name} | {label} | {r:.0} | {:.2}x |", r / base_rate);
        }
    }
}
