#![cfg(feature = "doudian")]
//! A fleet of worker processes on one shop, against the sandbox: a token is refreshed once across
//! processes on the file, PostgreSQL and Redis stores; a worker killed mid-refresh holds the others
//! back no longer than its lease; a store outage is an error naming the store and loses nothing;
//! apps and environments sharing a store stay apart; a Redis limiter keeps a fleet to its rate.
//!
//! PostgreSQL and Redis are throwaway servers started here (`shop_api_tests::databases`); without
//! their binaries those cases are skipped with a line saying what to install, unless
//! `SHOP_API_REQUIRE_SERVERS=1` (`.ci/run` sets it).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shop_api::doudian::Client;
use shop_api::doudian::order::OrderSearchListRequest;
use shop_api::runtime::{
    ErrorKind, Expect, JsonFileStore, PostgresStore, RedisStore, Secret, StoreOptions, Token,
    TokenStore, unix_now,
};
use shop_api_sandbox::{Credentials, Platform, Reply, Running, Sandbox, SandboxConfig};
use shop_api_tests::databases::{Postgres, Redis, StallingProxy, TestCa};

const SHOP: &str = "4463798";

use super::SERIAL;

/// A store of each kind the fleet can share, with what keeps it alive.
enum Kind {
    File(tempfile::TempDir),
    Postgres(Postgres),
    Redis(Redis),
}

impl Kind {
    fn all() -> Vec<Kind> {
        let mut kinds = vec![Kind::File(tempfile::tempdir().unwrap())];
        kinds.extend(Postgres::start().map(Kind::Postgres));
        kinds.extend(Redis::start().map(Kind::Redis));
        kinds
    }

    /// The worker's `store=` argument.
    fn arg(&self) -> String {
        match self {
            Kind::File(dir) => format!("file:{}", dir.path().join("tokens.json").display()),
            Kind::Postgres(pg) => format!("postgres:{}", pg.url()),
            Kind::Redis(r) => format!("redis:{}", r.url()),
        }
    }

    async fn store(&self) -> Arc<dyn TokenStore> {
        match self {
            Kind::File(dir) => Arc::new(JsonFileStore::new(dir.path().join("tokens.json"))),
            Kind::Postgres(pg) => Arc::new(PostgresStore::connect(&pg.url()).await.unwrap()),
            Kind::Redis(r) => Arc::new(RedisStore::connect(&r.url()).await.unwrap()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::File(_) => "file",
            Kind::Postgres(_) => "postgres",
            Kind::Redis(_) => "redis",
        }
    }
}

fn key(env: &str, app: &str, shop: &str) -> String {
    format!("doudian:{env}:{app}:{shop}")
}

/// The sandbox, with the shop's refresh token `R0` good once and every refresh answered after
/// `first_delay` (the first) or 300 ms (the others), so that callers pile up behind it.
async fn sandbox(first_delay: Duration) -> Running {
    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    platform.grant_refresh(Platform::Doudian, "R0");
    platform.on("token.refresh", move |s| {
        assert_eq!(
            s.params["refresh_token"], "R0",
            "every refresh starts from R0"
        );
        let delay = if s.nth == 0 {
            first_delay
        } else {
            Duration::from_millis(300)
        };
        Reply::pass().delay(delay)
    });
    platform
}

/// An expired token of the shop, refreshable with `R0`, in `store`.
async fn seed(store: &dyn TokenStore) {
    let t = Token {
        access_token: Secret::new("EXPIRED"),
        expires_at: unix_now() - 10,
        refresh_token: Some(Secret::new("R0")),
        ..Token::default()
    };
    let app = Credentials::default().doudian_key;
    store
        .save(&key("production", &app, SHOP), &t, Expect::Any)
        .await
        .unwrap();
}

/// A fresh token of the shop, `GOOD`, with its refresh token `R-GOOD`.
fn good_token() -> Token {
    Token {
        access_token: Secret::new("GOOD"),
        expires_at: unix_now() + 3600,
        refresh_token: Some(Secret::new("R-GOOD")),
        ..Token::default()
    }
}

/// The smallest order search: one order of the first page.
fn one_order() -> OrderSearchListRequest {
    OrderSearchListRequest {
        page: 0,
        size: 1,
        ..Default::default()
    }
}

/// A worker process of the sandbox's Doudian app, with `args` (`name=value`) on top.
fn start_worker(platform: &Running, args: &[String]) -> Child {
    let c = Credentials::default();
    Command::new(env!("CARGO_BIN_EXE_fleet_worker"))
        .arg(format!("base={}", platform.url(Platform::Doudian)))
        .arg(format!("key={}", c.doudian_key))
        .arg(format!("secret={}", c.doudian_secret))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the worker starts")
}

fn worker(platform: &Running, store: &str, calls: usize, lease: Duration) -> Child {
    start_worker(
        platform,
        &[
            format!("store={store}"),
            format!("shop={SHOP}"),
            format!("calls={calls}"),
            format!("lease_ms={}", lease.as_millis()),
        ],
    )
}

/// Wait for each worker without blocking the runtime the sandbox runs on; its output.
async fn finish(workers: Vec<Child>) -> Vec<(bool, String)> {
    tokio::task::spawn_blocking(move || {
        workers
            .into_iter()
            .map(|w| {
                let out = w.wait_with_output().unwrap();
                (
                    out.status.success(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                )
            })
            .collect()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_store_keeps_the_store_contract() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let store = kind.store().await;
        shop_api::runtime::check_store(&*store, "contract:")
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_one_expired_token_refresh_it_once_on_every_store() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let platform = sandbox(Duration::from_millis(300)).await;
        let store = kind.store().await;
        seed(&*store).await;
        let started = Instant::now();
        let workers = (0..8)
            .map(|_| worker(&platform, &kind.arg(), 25, Duration::from_secs(10)))
            .collect();
        let results = finish(workers).await;
        for (ok, out) in &results {
            assert!(ok, "{}: a worker failed: {out}", kind.name());
            assert!(out.starts_with("ok 25 failed 0"), "{}: {out}", kind.name());
        }
        assert_eq!(
            platform.count("token.refresh"),
            1,
            "{}: exactly one refresh reached the platform",
            kind.name()
        );
        assert_eq!(platform.count("order.searchList"), 200, "{}", kind.name());
        let app = Credentials::default().doudian_key;
        let kept = store
            .load(&key("production", &app, SHOP))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.version, 2, "{}: one save over the seed", kind.name());
        assert!(kept.token.is_fresh(Duration::from_secs(60)));
        println!(
            "fleet: {} store, 8 processes x 25 calls on one expired token: 1 refresh, 200 calls in {:?}",
            kind.name(),
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_refresh_holds_the_others_back_no_longer_than_its_lease() {
    let _serial = SERIAL.lock().await;
    let lease = Duration::from_secs(2);
    for kind in Kind::all() {
        // The first refresh hangs for longer than the lease: its worker is killed meanwhile.
        let platform = sandbox(Duration::from_secs(6)).await;
        let store = kind.store().await;
        seed(&*store).await;
        let mut victim = worker(&platform, &kind.arg(), 5, lease);
        let waited = Instant::now();
        while platform.count("token.refresh") == 0 {
            assert!(
                waited.elapsed() < Duration::from_secs(30),
                "no refresh came"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        victim.kill().unwrap(); // SIGKILL, mid-refresh: it holds the lease.
        let _ = victim.wait();
        let started = Instant::now();
        let workers = (0..7)
            .map(|_| worker(&platform, &kind.arg(), 25, lease))
            .collect();
        let results = finish(workers).await;
        let took = started.elapsed();
        for (ok, out) in &results {
            assert!(ok, "{}: a worker failed: {out}", kind.name());
        }
        assert!(
            took < lease + Duration::from_secs(4),
            "{}: the others took {took:?} with a lease of {lease:?}",
            kind.name()
        );
        // Give the hung refresh time to be answered, if its connection was not dropped.
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(
            platform.issued(Platform::Doudian),
            1,
            "{}: one successful refresh",
            kind.name()
        );
        let app = Credentials::default().doudian_key;
        let kept = store
            .load(&key("production", &app, SHOP))
            .await
            .unwrap()
            .unwrap();
        assert!(
            kept.token.is_fresh(Duration::from_secs(60)),
            "{}: no token is lost",
            kind.name()
        );
        println!(
            "fleet: {} store, holder killed mid-refresh: the 7 others done in {took:?} (lease {lease:?})",
            kind.name()
        );
    }
}

/// A store that is down: the call fails with an error naming it, and the token it kept is still
/// there, unchanged, when it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_names_the_store_and_overwrites_nothing() {
    let _serial = SERIAL.lock().await;
    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    platform.grant(Platform::Doudian, "GOOD");
    let c = Credentials::default();
    let (good, req) = (good_token(), one_order());
    let k = key("production", &c.doudian_key, SHOP);
    if let Some(mut pg) = Postgres::start() {
        let store = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
        store.save(&k, &good, Expect::Any).await.unwrap();
        // No token cache here: every call reads the store (a cached token rides out the outage:
        // see `a_store_that_hangs_...`).
        let client = Client::builder(&c.doudian_key, c.doudian_secret.as_str())
            .base_url(platform.url(Platform::Doudian))
            .token_store(store.clone())
            .token_cache(Duration::ZERO)
            .build()
            .unwrap();
        client.shop(SHOP).order_search_list(&req).await.unwrap();
        pg.stop();
        let e = client.shop(SHOP).order_search_list(&req).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("PostgreSQL {}", pg.addr())),
            "the error names the store: {e}"
        );
        assert!(!e.to_string().contains("GOOD"), "{e}");
        // an outage, to try again later: not a credentials problem
        assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
        assert!(e.kind().is_retryable());
        assert!(
            matches!(
                &e,
                shop_api::Error::Store {
                    source: Some(_),
                    ..
                }
            ),
            "the store client's error is kept as the source: {e:?}"
        );
        pg.run();
        let kept = store.load(&k).await.unwrap().unwrap();
        assert_eq!(
            (kept.token.access_token.expose(), kept.version),
            ("GOOD", 1)
        );
        client.shop(SHOP).order_search_list(&req).await.unwrap();
    }
    if let Some(mut redis) = Redis::start() {
        let store = Arc::new(RedisStore::connect(&redis.url()).await.unwrap());
        store.save(&k, &good, Expect::Any).await.unwrap();
        let client = Client::builder(&c.doudian_key, c.doudian_secret.as_str())
            .base_url(platform.url(Platform::Doudian))
            .token_store(store.clone())
            .token_cache(Duration::ZERO)
            .build()
            .unwrap();
        redis.stop();
        let e = client.shop(SHOP).order_search_list(&req).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("Redis {}", redis.addr())),
            "the error names the store: {e}"
        );
        assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{e}");
        // A Redis without persistence comes back empty: nothing stale is written into it either.
        redis.run();
        assert!(store.list("doudian:").await.unwrap().is_empty());
    }
}

/// Two apps, and one app in production and in the sandbox, keep their tokens of the same shop
/// in one store without seeing each other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_and_environments_sharing_a_store_never_see_each_others_tokens() {
    let _serial = SERIAL.lock().await;
    for kind in Kind::all() {
        let store = kind.store().await;
        let other = Credentials {
            doudian_key: "second-app".into(),
            doudian_secret: "second-secret".into(),
            ..Credentials::default()
        };
        let first = Credentials::default();
        let mut handles = Vec::new();
        for (c, sandbox) in [(&first, false), (&other, false), (&first, true)] {
            let platform = Sandbox::start(SandboxConfig {
                credentials: c.clone(),
                ..SandboxConfig::default()
            })
            .await
            .unwrap();
            let client = Client::builder(&c.doudian_key, c.doudian_secret.as_str())
                .sandbox(sandbox)
                .base_url(platform.url(Platform::Doudian))
                .self_use(true)
                .token_store(store.clone())
                .build()
                .unwrap();
            let token = client.shop_token(SHOP).await.unwrap();
            handles.push((client, token, platform));
        }
        let tokens: Vec<&str> = handles.iter().map(|h| h.1.access_token.expose()).collect();
        assert!(
            tokens[0] != tokens[1] && tokens[0] != tokens[2],
            "{}: {tokens:?}",
            kind.name()
        );
        for (client, token, _) in &handles {
            assert_eq!(
                client.kept_shops().await.unwrap(),
                [SHOP],
                "{}",
                kind.name()
            );
            assert_eq!(
                client.shop_token(SHOP).await.unwrap().access_token,
                token.access_token,
                "{}: each client reads back its own token",
                kind.name()
            );
        }
        assert_eq!(
            store.list("doudian:").await.unwrap().len(),
            3,
            "{}",
            kind.name()
        );
        // A shop that revokes the app is forgotten by that app alone.
        assert!(handles[1].0.forget_shop(SHOP).await.unwrap());
        assert!(handles[1].0.kept_shops().await.unwrap().is_empty());
        assert_eq!(handles[0].0.kept_shops().await.unwrap(), [SHOP]);
    }
}

/// Four processes share a per-app limit of 10 calls per 500 ms through Redis: the platform never
/// sees more than that in any window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_sharing_a_redis_limiter_keep_to_the_rate() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = Redis::start() else { return };
    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    platform.grant(Platform::Doudian, "SHARED");
    let (calls, window) = (10, Duration::from_millis(500));
    let started = Instant::now();
    let workers = (0..4)
        .map(|_| {
            start_worker(
                &platform,
                &[
                    "token=SHARED".into(),
                    "calls=15".into(),
                    format!("limit={calls}/{}", window.as_millis()),
                    format!("limiter={}", redis.url()),
                ],
            )
        })
        .collect();
    for (ok, out) in finish(workers).await {
        assert!(ok, "{out}");
    }
    let took = started.elapsed();
    let mut at: Vec<Instant> = platform
        .seen("order.searchList")
        .iter()
        .map(|s| s.at)
        .collect();
    at.sort();
    assert_eq!(at.len(), 60);
    // Arrival times carry the network's jitter: the window checked is 50 ms shorter.
    let checked = window - Duration::from_millis(50);
    let most = (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < checked).count())
        .max()
        .unwrap();
    assert!(most <= calls, "{most} calls within {checked:?}");
    assert!(
        took >= window * 5,
        "60 calls at 10 per 500 ms take 2.5 s at least: {took:?}"
    );
    println!(
        "fleet: 4 processes x 15 calls, limit {calls} per {window:?} in Redis: at most {most} in any {checked:?}, {took:?} in all"
    );
}

/// `sslmode=require` and `rediss://` connect over TLS to servers whose certificate a private CA
/// issued, once that CA is given; without it the certificate is refused, naming the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_speak_tls_to_servers_whose_ca_they_are_given() {
    let _serial = SERIAL.lock().await;
    let Some(ca) = TestCa::new() else { return };
    let trusted = StoreOptions::new().root_certificates_pem(ca.pem());
    if let Some(pg) = Postgres::start_tls(&ca) {
        let url = format!("{}?sslmode=require", pg.url());
        let store = PostgresStore::connect_with(&url, PostgresStore::TABLE, &trusted)
            .await
            .unwrap();
        assert!(format!("{store:?}").contains("(TLS)"), "{store:?}");
        shop_api::runtime::check_store(&store, "tls:")
            .await
            .unwrap();
        let row = store_row_over_tls(&pg).await;
        assert!(row, "the server saw the store's session as TLS");
        let e = PostgresStore::connect(&url).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("PostgreSQL {}", pg.addr())),
            "an unknown CA is refused, naming the store: {e}"
        );
        // `prefer` (the default) and `disable` connect in clear, as before.
        PostgresStore::connect(&pg.url()).await.unwrap();
    }
    if let Some(redis) = Redis::start_tls(&ca) {
        assert!(redis.url().starts_with("rediss://"));
        let store = RedisStore::connect_with(&redis.url(), RedisStore::PREFIX, &trusted)
            .await
            .unwrap();
        shop_api::runtime::check_store(&store, "tls:")
            .await
            .unwrap();
        let e = RedisStore::connect(&redis.url()).await.unwrap_err();
        assert!(
            e.to_string().contains(&format!("Redis {}", redis.addr())),
            "an unknown CA is refused, naming the store: {e}"
        );
    }
}

/// Whether PostgreSQL counts a TLS session from the store's table user (`pg_stat_ssl`).
async fn store_row_over_tls(pg: &Postgres) -> bool {
    let ca = std::fs::read(pg.dir().join("ca.crt")).unwrap();
    let url = format!("{}?sslmode=require", pg.url());
    let options = StoreOptions::new().root_certificates_pem(ca);
    // A store on a table of its own, whose first act (creating the table) runs over TLS; the
    // session list then shows TLS sessions only, the plain ones being none.
    let store = PostgresStore::connect_with(&url, "tls_probe", &options)
        .await
        .unwrap();
    shop_api::runtime::check_store(&store, "probe:")
        .await
        .unwrap();
    let psql = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-At", "-p"])
        .arg(pg.addr().rsplit(':').next().unwrap())
        .args([
            "-c",
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE ssl AND datname = 'postgres' AND pid <> pg_backend_pid()",
        ])
        .env("PGSSLMODE", "disable")
        .output();
    match psql {
        Ok(out) if out.status.success() => {
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u32>()
                .unwrap_or(0)
                > 0
        }
        // No psql client: the certificate checks above already show TLS in use.
        _ => true,
    }
}

/// A store that stops answering (its machine froze: a proxy that takes bytes and passes none on)
/// fails each call within the store's time limit, as an outage naming the store, instead of
/// stalling every call; a token already cached rides it out; once the store answers again, calls
/// go on, and the refresh token is never spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_hangs_fails_calls_within_its_time_limit_and_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let platform = Sandbox::start(SandboxConfig::default()).await.unwrap();
    platform.grant(Platform::Doudian, "GOOD");
    let c = Credentials::default();
    let (good, req) = (good_token(), one_order());
    let k = key("production", &c.doudian_key, SHOP);
    let limit = Duration::from_millis(500);
    let options = StoreOptions::new().timeout(limit);
    let pg = Postgres::start();
    let redis = Redis::start();
    let mut stores: Vec<(&str, String, StallingProxy)> = Vec::new();
    if let Some(pg) = &pg {
        let proxy = StallingProxy::start(pg.addr()).await;
        let url = format!("postgres://postgres@{}/postgres", proxy.addr());
        stores.push(("PostgreSQL", url, proxy));
    }
    if let Some(redis) = &redis {
        let proxy = StallingProxy::start(redis.addr()).await;
        let url = format!("redis://{}/", proxy.addr());
        stores.push(("Redis", url, proxy));
    }
    for (name, url, proxy) in &stores {
        let store: Arc<dyn TokenStore> = if *name == "Redis" {
            Arc::new(
                RedisStore::connect_with(url, RedisStore::PREFIX, &options)
                    .await
                    .unwrap(),
            )
        } else {
            Arc::new(
                PostgresStore::connect_with(url, PostgresStore::TABLE, &options)
                    .await
                    .unwrap(),
            )
        };
        store.save(&k, &good, Expect::Any).await.unwrap();
        let build = |cache: Duration| {
            Client::builder(&c.doudian_key, c.doudian_secret.as_str())
                .base_url(platform.url(Platform::Doudian))
                .token_store(store.clone())
                .token_cache(cache)
                .build()
                .unwrap()
        };
        let reading = build(Duration::ZERO);
        let cached = build(Duration::from_secs(60));
        reading.shop(SHOP).order_search_list(&req).await.unwrap();
        cached.shop(SHOP).order_search_list(&req).await.unwrap();

        proxy.stall();
        let started = Instant::now();
        let e = reading
            .shop(SHOP)
            .order_search_list(&req)
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert_eq!(e.kind(), ErrorKind::StoreUnavailable, "{name}: {e}");
        assert!(
            e.to_string().contains(&proxy.addr()),
            "{name}: names the store: {e}"
        );
        assert!(
            took < limit * 4,
            "{name}: a hung store fails the call within its time limit ({limit:?}): {took:?}"
        );
        // The cached token needs no store.
        cached.shop(SHOP).order_search_list(&req).await.unwrap();
        proxy.resume();
        reading.shop(SHOP).order_search_list(&req).await.unwrap();
        let kept = store.load(&k).await.unwrap().unwrap();
        assert_eq!(kept.token.access_token.expose(), "GOOD", "{name}");
        println!("fleet: {name} hung: the call failed after {took:?} (limit {limit:?})");
    }
    assert_eq!(platform.count("token.refresh"), 0, "no refresh token spent");
}

/// Sixteen workers connect at once to a fresh PostgreSQL, where the table does not exist yet:
/// each creates it if missing, and all start (a bare `CREATE TABLE IF NOT EXISTS` racing
/// another fails on the catalogue); then eight processes on one expired token refresh it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_starting_together_on_a_fresh_postgres_creates_the_table_once() {
    let _serial = SERIAL.lock().await;
    let Some(pg) = Postgres::start() else { return };
    let url = pg.url();
    let connects = (0..16).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { PostgresStore::connect(&url).await.map(|_| ()) })
    });
    for (i, joined) in futures_util::future::join_all(connects)
        .await
        .into_iter()
        .enumerate()
    {
        joined
            .unwrap()
            .unwrap_or_else(|e| panic!("worker {i} did not start: {e}"));
    }
    let platform = sandbox(Duration::from_millis(300)).await;
    let store = PostgresStore::connect(&url).await.unwrap();
    seed(&store).await;
    let workers = (0..8)
        .map(|_| {
            worker(
                &platform,
                &format!("postgres:{url}"),
                5,
                Duration::from_secs(10),
            )
        })
        .collect();
    for (ok, out) in finish(workers).await {
        assert!(ok, "{out}");
    }
    assert_eq!(
        platform.count("token.refresh"),
        1,
        "one refresh across the fleet"
    );
}
