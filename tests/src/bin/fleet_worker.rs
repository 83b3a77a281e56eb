//! One worker process of the fleet tests (tests/tests/servers/fleet.rs): a Doudian client of the sandbox
//! app on a shared token store, making concurrent calls as one shop.
//!
//! Arguments are `name=value`:
//! - `base=<url>`: the sandbox's Doudian base URL; `key=`, `secret=`: the app;
//! - `store=file:<path> | postgres:<url> | redis:<url>`: the token store (else `token=` is used);
//! - `token=<access token>`: call with this token instead of a kept one;
//! - `shop=<id>`, `calls=<n>` (concurrent), `lease_ms=<n>`;
//! - `limit=<calls>/<ms>` with `limiter=<redis url>`: a per-app rate limit counted in Redis.
//!
//! It prints `ok <n> failed <m>` and the first errors, and exits 0 when every call succeeded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shop_api::doudian::Client;
use shop_api::doudian::order::OrderSearchListRequest;
use shop_api::runtime::{JsonFileStore, Quota, RateLimits, TokenStore};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: HashMap<String, String> = std::env::args()
        .skip(1)
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let arg = |k: &str| args.get(k).cloned().unwrap_or_default();
    let mut builder = Client::builder(arg("key"), arg("secret").as_str())
        .base_url(arg("base"))
        .refresh_lease(Duration::from_millis(
            arg("lease_ms").parse().unwrap_or(30_000),
        ));
    let store = arg("store");
    if !store.is_empty() {
        let store: Arc<dyn TokenStore> = match store.split_once(':') {
            Some(("file", path)) => Arc::new(JsonFileStore::new(path)),
            Some(("postgres", url)) => match shop_api::runtime::PostgresStore::connect(url).await {
                Ok(s) => Arc::new(s),
                Err(e) => return fail(&e.to_string()),
            },
            Some(("redis", url)) => match shop_api::runtime::RedisStore::connect(url).await {
                Ok(s) => Arc::new(s),
                Err(e) => return fail(&e.to_string()),
            },
            _ => return fail(&format!("unknown store {store}")),
        };
        builder = builder.token_store(store);
    }
    if let Some((calls, ms)) = arg("limit").split_once('/') {
        let quota = Quota::new(
            calls.parse().unwrap_or(1),
            Duration::from_millis(ms.parse().unwrap_or(1000)),
        );
        let limiter = match shop_api::runtime::RedisLimiter::connect(&arg("limiter")).await {
            Ok(l) => l,
            Err(e) => return fail(&e.to_string()),
        };
        builder = builder.rate_limits(RateLimits::new().per_app(quota).shared(Arc::new(limiter)));
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let handle = match arg("token").as_str() {
        "" => client.shop(arg("shop")),
        token => client.with_access_token(token),
    };
    let calls: usize = arg("calls").parse().unwrap_or(1);
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let handle = handle.clone();
            tokio::spawn(async move {
                handle
                    .order_search_list(&OrderSearchListRequest {
                        page: 0,
                        size: 1,
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let (mut ok, mut errors) = (0, Vec::new());
    for t in tasks {
        match t.await {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => errors.push(e.to_string()),
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!("ok {ok} failed {}", errors.len());
    for e in errors.iter().take(3) {
        println!("error: {e}");
    }
    if errors.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

fn fail(message: &str) -> std::process::ExitCode {
    println!("ok 0 failed 1");
    println!("error: {message}");
    std::process::ExitCode::FAILURE
}
