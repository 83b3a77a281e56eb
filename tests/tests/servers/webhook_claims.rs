//! Webhook claims (#27, point 10): each event is claimed before it is handled, atomically, in a
//! store the receivers share, so two copies of one event arriving at once (at one receiver or at
//! two) are handled once; a copy whose handler failed is handled when the platform sends it again;
//! a claim whose holder died lapses; a claim store that is down answers 5xx and handles nothing.
//!
//! The receivers are the example's (`shop-api-examples`), served on 127.0.0.1, each with its own
//! connection to the store, as two processes would be. PostgreSQL and Redis are throwaway servers
//! (`shop_api_tests::databases`); without their binaries those cases are skipped with a line saying
//! what to install, unless `SHOP_API_REQUIRE_SERVERS=1`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use shop_api::doudian::webhook as dd;
use shop_api::runtime::webhook::{Claim, Claims, Deduplicator, PostgresClaims, RedisClaims};
use shop_api::runtime::{PostgresStore, RedisStore};
use shop_api::tiktok::webhook as tt;
use shop_api_examples::{DOUDIAN_PATH, Received, ReceiverConfig, TIKTOK_PATH};
use shop_api_tests::databases::{Postgres, Redis};

const DD_KEY: &str = "3409409348479354011";
const DD_SECRET: &str = "2ad2355c-01d0-11f8-91dc-05a8cd1054b1";
const TT_KEY: &str = "68xu9ks5p4i8";
const TT_SECRET: &str = "e59af819cc";

/// How long the handler takes: two copies posted together overlap for this long.
const HANDLING: Duration = Duration::from_millis(400);

use super::SERIAL;

/// A claim store of each kind, with what keeps its server alive.
enum Kind {
    Memory(Arc<Deduplicator>),
    Redis(Redis),
    Postgres(Postgres),
}

impl Kind {
    fn memory() -> Kind {
        Kind::Memory(Arc::new(Deduplicator::new(100)))
    }

    fn redis() -> Option<Kind> {
        Redis::start().map(Kind::Redis)
    }

    fn postgres() -> Option<Kind> {
        Postgres::start().map(Kind::Postgres)
    }

    /// A store as one process sees it: its own connection (in memory: the one process's).
    async fn claims(&self) -> Arc<dyn Claims> {
        match self {
            Kind::Memory(d) => d.clone(),
            Kind::Redis(r) => Arc::new(RedisClaims::connect(&r.url()).await.unwrap()),
            Kind::Postgres(pg) => Arc::new(PostgresClaims::connect(&pg.url()).await.unwrap()),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::Memory(_) => "memory",
            Kind::Redis(_) => "redis",
            Kind::Postgres(_) => "postgres",
        }
    }
}

/// What the handlers of all the receivers of one test did.
#[derive(Clone, Default)]
struct Log {
    /// The ids handled, in order.
    handled: Arc<Mutex<Vec<String>>>,
    /// How many times the handler has been entered.
    calls: Arc<AtomicUsize>,
    /// Ids whose handling fails (once each, then succeeds).
    fail_once: Arc<Mutex<Vec<String>>>,
}

impl Log {
    fn handled(&self) -> Vec<String> {
        self.handled.lock().unwrap().clone()
    }

    fn count(&self, id: &str) -> usize {
        self.handled().iter().filter(|h| *h == id).count()
    }
}

fn event_id(e: &Received) -> String {
    match e {
        Received::Doudian(m) => m.msg_id.clone(),
        Received::Tiktok(n) => n.tts_notification_id.clone(),
    }
}

/// A receiver of both platforms on 127.0.0.1 whose handler takes [`HANDLING`], claiming in
/// `claims`; its base URL.
async fn receiver(claims: Arc<dyn Claims>, log: &Log) -> String {
    receiver_with(claims, log, |c| c).await
}

async fn receiver_with(
    claims: Arc<dyn Claims>,
    log: &Log,
    configure: impl FnOnce(ReceiverConfig) -> ReceiverConfig,
) -> String {
    let log = log.clone();
    let config = ReceiverConfig::new()
        .with_doudian(DD_KEY, DD_SECRET)
        .with_tiktok(TT_KEY, TT_SECRET)
        .with_claims(claims)
        .with_handler(move |event| {
            let log = log.clone();
            async move {
                log.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(HANDLING).await;
                let id = event_id(&event);
                let mut fail = log.fail_once.lock().unwrap();
                if let Some(at) = fail.iter().position(|f| *f == id) {
                    fail.remove(at);
                    return Err(format!("the order database refused {id}"));
                }
                log.handled.lock().unwrap().push(id);
                Ok(())
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shop_api_examples::serve(listener, configure(config)));
    format!("http://{addr}")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A signed TikTok Shop notification of id `id`.
fn tiktok(id: &str) -> (String, String) {
    let body = json!({"type": 1, "tts_notification_id": id, "shop_id": "7494049642642441621",
                      "timestamp": 1706081024, "data": {"order_id": "576462942424338891", "order_status": "AWAITING_SHIPMENT"}})
    .to_string();
    let sign = tt::sign(TT_KEY, TT_SECRET, body.as_bytes());
    (body, sign)
}

/// A signed Doudian push of the messages `ids`.
fn doudian(ids: &[&str]) -> (String, String) {
    let items: Vec<_> = ids
        .iter()
        .map(|id| json!({"tag": "101", "msg_id": id, "data": json!({"p_id": "1", "shop_id": 7}).to_string()}))
        .collect();
    let body = serde_json::Value::Array(items).to_string();
    let sign = dd::sign(DD_KEY, DD_SECRET, body.as_bytes());
    (body, sign)
}

/// Post a TikTok notification to `base`; the status.
async fn post_tiktok(http: &reqwest::Client, base: &str, (body, sign): &(String, String)) -> u16 {
    http.post(format!("{base}{TIKTOK_PATH}"))
        .header("Authorization", sign)
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Post a Doudian push to `base`; the status and whether the reply acknowledges it.
async fn post_doudian(
    http: &reqwest::Client,
    base: &str,
    (body, sign): &(String, String),
) -> (u16, bool) {
    let resp = http
        .post(format!("{base}{DOUDIAN_PATH}"))
        .header("event-sign", sign)
        .header("app-id", DD_KEY)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let reply = resp.text().await.unwrap();
    (status, reply == dd::SUCCESS_REPLY)
}

/// Two receivers, each with its own view of `kind`'s store, get two copies of one TikTok
/// notification and of one Doudian push at once: each event is handled once; a copy that found
/// the other being handled was answered 503 (so the platform sends it again), and that next copy
/// is acknowledged without handling anything.
async fn concurrent_copies_are_handled_once(kind: &Kind) {
    let log = Log::default();
    let a = receiver(kind.claims().await, &log).await;
    let b = receiver(kind.claims().await, &log).await;
    let http = http();
    let what = kind.name();

    let n = tiktok(&format!("tt-concurrent-{what}"));
    let (sa, sb) = tokio::join!(post_tiktok(&http, &a, &n), post_tiktok(&http, &b, &n));
    assert_eq!(
        log.handled(),
        [format!("tt-concurrent-{what}")],
        "{what}: handled once"
    );
    assert_eq!(
        log.calls.load(Ordering::SeqCst),
        1,
        "{what}: the handler ran once"
    );
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 503],
        "{what}: one copy handled, one told to come back"
    );
    // The platform sends the refused copy again: acknowledged, not handled again.
    assert_eq!(post_tiktok(&http, &b, &n).await, 200);
    assert_eq!(post_tiktok(&http, &a, &n).await, 200);
    assert_eq!(log.count(&format!("tt-concurrent-{what}")), 1, "{what}");

    // A Doudian push of two messages, to both at once: each message handled once, whatever the
    // interleaving; the next copies are acknowledged.
    let ids = [format!("dd-1-{what}"), format!("dd-2-{what}")];
    let push = doudian(&[&ids[0], &ids[1]]);
    let _ = tokio::join!(
        post_doudian(&http, &a, &push),
        post_doudian(&http, &b, &push)
    );
    for id in &ids {
        assert_eq!(log.count(id), 1, "{what}: {id} in {:?}", log.handled());
    }
    assert_eq!(post_doudian(&http, &a, &push).await, (200, true));
    assert_eq!(post_doudian(&http, &b, &push).await, (200, true));
    assert_eq!(log.handled().len(), 3, "{what}: {:?}", log.handled());
    assert_eq!(log.calls.load(Ordering::SeqCst), 3, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_copies_to_two_receivers_sharing_redis_are_handled_once() {
    let _one = SERIAL.lock().await;
    let Some(kind) = Kind::redis() else { return };
    concurrent_copies_are_handled_once(&kind).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_copies_to_two_receivers_sharing_postgres_are_handled_once() {
    let _one = SERIAL.lock().await;
    let Some(kind) = Kind::postgres() else { return };
    concurrent_copies_are_handled_once(&kind).await;
}

/// The default, in-memory claims: two copies at once to two receivers of one process sharing a
/// `Deduplicator`, and to one receiver that keeps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_copies_in_one_process_are_handled_once() {
    let _one = SERIAL.lock().await;
    concurrent_copies_are_handled_once(&Kind::memory()).await;

    let log = Log::default();
    let log2 = log.clone();
    let config = ReceiverConfig::new()
        .with_tiktok(TT_KEY, TT_SECRET)
        .with_handler(move |event| {
            let log = log2.clone();
            async move {
                tokio::time::sleep(HANDLING).await;
                log.handled.lock().unwrap().push(event_id(&event));
                Ok::<(), String>(())
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shop_api_examples::serve(listener, config));
    let http = http();
    let n = tiktok("tt-own-memory");
    let (sa, sb) = tokio::join!(post_tiktok(&http, &base, &n), post_tiktok(&http, &base, &n));
    assert_eq!(log.handled(), ["tt-own-memory"]);
    assert_eq!((sa.min(sb), sa.max(sb)), (200, 503));
    assert_eq!(post_tiktok(&http, &base, &n).await, 200);
    assert_eq!(log.handled(), ["tt-own-memory"]);
}

/// A handler that fails answers 500 and releases the claim: the platform's next copy (to the
/// same receiver or another) is handled, and the copy after that is not. In a Doudian push, the
/// messages handled stay handled and only the failed one is handled on the next copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_copy_whose_handler_failed_is_handled_on_redelivery() {
    let _one = SERIAL.lock().await;
    let kinds: Vec<Kind> = [Some(Kind::memory()), Kind::redis(), Kind::postgres()]
        .into_iter()
        .flatten()
        .collect();
    for kind in &kinds {
        let what = kind.name();
        let log = Log::default();
        let a = receiver(kind.claims().await, &log).await;
        let b = receiver(kind.claims().await, &log).await;
        let http = http();

        let id = format!("tt-fails-{what}");
        log.fail_once.lock().unwrap().push(id.clone());
        let n = tiktok(&id);
        assert_eq!(post_tiktok(&http, &a, &n).await, 500, "{what}");
        assert_eq!(log.count(&id), 0, "{what}");
        assert_eq!(
            post_tiktok(&http, &b, &n).await,
            200,
            "{what}: the next copy is handled"
        );
        assert_eq!(post_tiktok(&http, &a, &n).await, 200, "{what}");
        assert_eq!(log.count(&id), 1, "{what}: {:?}", log.handled());

        let ids = [format!("dd-ok-{what}"), format!("dd-fails-{what}")];
        log.fail_once.lock().unwrap().push(ids[1].clone());
        let push = doudian(&[&ids[0], &ids[1]]);
        let (status, acknowledged) = post_doudian(&http, &a, &push).await;
        assert_eq!((status, acknowledged), (500, false), "{what}");
        assert_eq!(log.count(&ids[0]), 1, "{what}");
        assert_eq!(log.count(&ids[1]), 0, "{what}");
        assert_eq!(post_doudian(&http, &b, &push).await, (200, true), "{what}");
        assert_eq!(post_doudian(&http, &a, &push).await, (200, true), "{what}");
        assert_eq!(
            log.handled(),
            [id.clone(), ids[0].clone(), ids[1].clone()],
            "{what}"
        );
        // Handler entered: the failed notification twice, the push's messages 1 + 2.
        assert_eq!(log.calls.load(Ordering::SeqCst), 5, "{what}");
    }
}

/// A claim whose holder died (claimed, never handled nor released) keeps the other copies off
/// for its hold only: then it is taken again, by another store, and the event is handled. At the
/// store: a claim is `Mine` once, `Busy` for the others until it lapses or is released by its
/// own holder (another holder's release does nothing), and `Done` once marked, until the mark
/// lapses.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_claim_can_be_taken_again() {
    let _one = SERIAL.lock().await;
    let kinds: Vec<Kind> = [Some(Kind::memory()), Kind::redis(), Kind::postgres()]
        .into_iter()
        .flatten()
        .collect();
    let short = Duration::from_millis(600);
    let long = Duration::from_secs(60);
    for kind in &kinds {
        let what = kind.name();
        let (one, two) = (kind.claims().await, kind.claims().await);

        assert_eq!(one.claim("e1", short).await.unwrap(), Claim::Mine, "{what}");
        assert_eq!(two.claim("e1", short).await.unwrap(), Claim::Busy, "{what}");
        assert_eq!(
            one.claim("e1", short).await.unwrap(),
            Claim::Busy,
            "{what}: no re-entry"
        );
        tokio::time::sleep(short + Duration::from_millis(300)).await;
        assert_eq!(
            two.claim("e1", long).await.unwrap(),
            Claim::Mine,
            "{what}: lapsed"
        );
        if !matches!(kind, Kind::Memory(_)) {
            // One store is one holder in memory; across stores a release is the holder's own.
            one.release("e1").await.unwrap();
            assert_eq!(one.claim("e1", long).await.unwrap(), Claim::Busy, "{what}");
        }
        two.release("e1").await.unwrap();
        assert_eq!(
            one.claim("e1", long).await.unwrap(),
            Claim::Mine,
            "{what}: released"
        );

        one.done("e1", short).await.unwrap();
        assert_eq!(two.claim("e1", long).await.unwrap(), Claim::Done, "{what}");
        two.release("e1").await.unwrap();
        assert_eq!(
            two.claim("e1", long).await.unwrap(),
            Claim::Done,
            "{what}: a release leaves a done mark"
        );
        tokio::time::sleep(short + Duration::from_millis(300)).await;
        assert_eq!(
            two.claim("e1", long).await.unwrap(),
            Claim::Mine,
            "{what}: mark lapsed"
        );

        // Through the receivers: a receiver died holding a claim; the copies sent to another
        // are answered 503 until the claim lapses, then handled, once.
        let log = Log::default();
        let dead = kind.claims().await;
        let alive = receiver_with(kind.claims().await, &log, |c| {
            c.with_claim_times(Duration::from_secs(30), Duration::from_secs(3600))
        })
        .await;
        let http = http();
        let id = format!("tt-orphan-{what}");
        let tiktok_id = format!("tiktok:{TT_KEY}:{id}");
        assert_eq!(dead.claim(&tiktok_id, short).await.unwrap(), Claim::Mine);
        let n = tiktok(&id);
        assert_eq!(post_tiktok(&http, &alive, &n).await, 503, "{what}");
        assert_eq!(log.calls.load(Ordering::SeqCst), 0, "{what}");
        tokio::time::sleep(short + Duration::from_millis(300)).await;
        assert_eq!(post_tiktok(&http, &alive, &n).await, 200, "{what}");
        assert_eq!(post_tiktok(&http, &alive, &n).await, 200, "{what}");
        assert_eq!(log.handled(), [id], "{what}");
    }
}

/// A claim store that cannot be reached makes the receiver answer 503 and handle nothing (it
/// never handles without the check); once the store is back, the platform's next copy is handled,
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_store_that_is_down_gives_5xx_and_handles_nothing() {
    let _one = SERIAL.lock().await;
    let mut redis = Redis::start();
    let mut postgres = Postgres::start();
    let mut stores: Vec<(&str, Arc<dyn Claims>)> = Vec::new();
    if let Some(r) = &redis {
        stores.push((
            "redis",
            Arc::new(RedisClaims::connect(&r.url()).await.unwrap()),
        ));
    }
    if let Some(pg) = &postgres {
        stores.push((
            "postgres",
            Arc::new(PostgresClaims::connect(&pg.url()).await.unwrap()),
        ));
    }
    let http = http();
    for (what, claims) in stores {
        let log = Log::default();
        let base = receiver(claims.clone(), &log).await;
        let n = tiktok(&format!("tt-down-{what}"));
        let push = doudian(&[&format!("dd-down-{what}")]);
        // Up: a first event goes through, so the connection is made.
        assert_eq!(
            post_tiktok(&http, &base, &tiktok("warm-up")).await,
            200,
            "{what}"
        );

        match what {
            "redis" => redis.as_mut().unwrap().stop(),
            _ => postgres.as_mut().unwrap().stop(),
        }
        let started = Instant::now();
        assert_eq!(post_tiktok(&http, &base, &n).await, 503, "{what}");
        let (status, acknowledged) = post_doudian(&http, &base, &push).await;
        assert_eq!((status, acknowledged), (503, false), "{what}");
        assert_eq!(
            log.handled(),
            ["warm-up"],
            "{what}: nothing handled without the check"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what}: the outage is answered in time ({:?})",
            started.elapsed()
        );

        match what {
            "redis" => redis.as_mut().unwrap().run(),
            _ => postgres.as_mut().unwrap().run(),
        }
        // The platform sends the copies again until one is acknowledged.
        let until = Instant::now() + Duration::from_secs(30);
        while post_tiktok(&http, &base, &n).await != 200 {
            assert!(Instant::now() < until, "{what}: the store never came back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        while post_doudian(&http, &base, &push).await != (200, true) {
            assert!(Instant::now() < until, "{what}: the store never came back");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(post_tiktok(&http, &base, &n).await, 200, "{what}");
        assert_eq!(
            log.handled(),
            [
                "warm-up".to_owned(),
                format!("tt-down-{what}"),
                format!("dd-down-{what}")
            ],
            "{what}"
        );
    }
}

/// Claims built on a token store share its connection (Redis) or its connections (PostgreSQL);
/// a fleet starting together on a fresh database creates the claims table once, without error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_share_a_token_store_and_a_fleet_creates_the_table_once() {
    let _one = SERIAL.lock().await;
    if let Some(r) = Redis::start() {
        let store = RedisStore::connect(&r.url()).await.unwrap();
        let on_store = RedisClaims::on_store(&store);
        let own = RedisClaims::connect(&r.url()).await.unwrap();
        assert_eq!(
            on_store.claim("s", Duration::from_secs(9)).await.unwrap(),
            Claim::Mine
        );
        assert_eq!(
            own.claim("s", Duration::from_secs(9)).await.unwrap(),
            Claim::Busy
        );
        assert!(format!("{on_store:?}").contains("webhook"), "{on_store:?}");
    }
    if let Some(pg) = Postgres::start() {
        // The token table first (its own creation is not what is raced here), then eight stores
        // of eight processes creating the claims table at once.
        let _tokens = PostgresStore::connect(&pg.url()).await.unwrap();
        let mut stores = Vec::new();
        for _ in 0..8 {
            stores.push(Arc::new(PostgresStore::connect(&pg.url()).await.unwrap()));
        }
        let creating: Vec<_> = stores
            .into_iter()
            .map(|s| tokio::spawn(PostgresClaims::on_store(s)))
            .collect();
        let mut claims = Vec::new();
        for c in creating {
            claims.push(Arc::new(c.await.unwrap().unwrap()));
        }
        let claiming: Vec<_> = claims
            .iter()
            .map(|c| {
                let c = c.clone();
                tokio::spawn(async move { c.claim("p", Duration::from_secs(9)).await.unwrap() })
            })
            .collect();
        let mut found = Vec::new();
        for c in claiming {
            found.push(c.await.unwrap());
        }
        let mine = found.iter().filter(|c| **c == Claim::Mine).count();
        assert_eq!(mine, 1, "{found:?}");
        // Lapsed rows are purged.
        claims[0]
            .done("short", Duration::from_millis(1))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(claims[0].purge().await.unwrap() >= 1);
        // A table name that is not plain is refused, naming it.
        let store = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
        let err = PostgresClaims::on_store_table(store, "x; DROP TABLE y")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a plain table name"), "{err}");
    }
}
