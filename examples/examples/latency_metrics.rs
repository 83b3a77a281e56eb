//! Per-endpoint latency, exported in the Prometheus text exposition format: an [`Observer`] set on
//! each client's builder keeps, per platform and endpoint, a latency histogram (count, sum,
//! buckets), the longest attempt, the attempts by outcome and the attempts in flight; after a few
//! calls to each platform it prints them as a `/metrics` endpoint would serve them.
//!
//! It runs offline: the sandbox is started in the process, one endpoint made slow and one made to
//! fail once (a 503, retried: both attempts are counted).
//!
//! ```sh
//! cargo run -p shop-api-examples --example latency_metrics
//! ```
//!
//! In a service, serve [`Metrics::render`] on `GET /metrics`, or feed the same events to the
//! `prometheus` or `metrics` crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use shop_api::runtime::observe::{Observer, RequestEvent, ResponseEvent};
use shop_api_sandbox::{Platform, Reply, Sandbox, SandboxConfig};

/// The upper bounds of the latency buckets, in seconds (`+Inf` is added).
const BUCKETS: [f64; 6] = [0.01, 0.05, 0.1, 0.5, 1.0, 5.0];

/// The attempts of one endpoint.
#[derive(Debug, Default)]
struct Series {
    count: u64,
    sum: Duration,
    max: Duration,
    /// Attempts at or under each bound of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    /// Attempts by outcome: `ok`, or the error's kind (`server`, `rate_limited`, ...).
    outcomes: BTreeMap<String, u64>,
}

/// Latency and outcomes per (platform, endpoint), and the attempts in flight.
#[derive(Debug, Default)]
struct Metrics {
    series: Mutex<BTreeMap<(&'static str, &'static str), Series>>,
    in_flight: AtomicI64,
}

impl Observer for Metrics {
    fn before_send(&self, _event: &RequestEvent<'_>) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    fn after_receive(&self, event: &ResponseEvent<'_>) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let latency = event.latency();
        let outcome = match event.error_kind() {
            None => "ok".to_owned(),
            Some(kind) => snake_case(&format!("{kind:?}")),
        };
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = series
            .entry((event.platform(), event.endpoint().name))
            .or_default();
        s.count += 1;
        s.sum += latency;
        s.max = s.max.max(latency);
        let secs = latency.as_secs_f64();
        for (bound, n) in BUCKETS.iter().zip(&mut s.buckets) {
            if secs <= *bound {
                *n += 1;
            }
        }
        *s.outcomes.entry(outcome).or_default() += 1;
    }
}

impl Metrics {
    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    fn render(&self) -> String {
        let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let labels = |(platform, endpoint): &(&str, &str)| {
            format!("platform=\"{platform}\",endpoint=\"{endpoint}\"")
        };

        out.push_str("# HELP shop_api_request_duration_seconds Latency of each HTTP attempt, from sending to the answer read.\n");
        out.push_str("# TYPE shop_api_request_duration_seconds histogram\n");
        for (key, s) in series.iter() {
            let l = labels(key);
            for (bound, n) in BUCKETS.iter().zip(&s.buckets) {
                let _ = writeln!(
                    out,
                    "shop_api_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "shop_api_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "shop_api_request_duration_seconds_sum{{{l}}} {}",
                s.sum.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "shop_api_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }

        out.push_str(
            "# HELP shop_api_request_duration_max_seconds The longest HTTP attempt so far.\n",
        );
        out.push_str("# TYPE shop_api_request_duration_max_seconds gauge\n");
        for (key, s) in series.iter() {
            let _ = writeln!(
                out,
                "shop_api_request_duration_max_seconds{{{}}} {}",
                labels(key),
                s.max.as_secs_f64()
            );
        }

        out.push_str("# HELP shop_api_requests_total HTTP attempts, by outcome (ok or the error's kind); a retry is an attempt of its own.\n");
        out.push_str("# TYPE shop_api_requests_total counter\n");
        for (key, s) in series.iter() {
            for (outcome, n) in &s.outcomes {
                let _ = writeln!(
                    out,
                    "shop_api_requests_total{{{},outcome=\"{outcome}\"}} {n}",
                    labels(key)
                );
            }
        }

        out.push_str(
            "# HELP shop_api_requests_in_flight HTTP attempts sent and not yet answered.\n",
        );
        out.push_str("# TYPE shop_api_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "shop_api_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        out
    }
}

/// `RateLimited` as `rate_limited`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The three platforms on 127.0.0.1, with the sandbox's own app credentials.
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    // Doudian's order search answers slowly, and busy the first time.
    sandbox.on("order.searchList", |seen| match seen.nth {
        0 => Reply::text(503, "busy"),
        _ => Reply::pass().delay(Duration::from_millis(40)),
    });
    let metrics = Arc::new(Metrics::default());

    // Doudian: a self-use app, its shop token created by the client.
    let doudian =
        shop_api::doudian::Client::builder("sandbox-doudian-key", "sandbox-doudian-secret")
            .base_url(sandbox.url(Platform::Doudian))
            .self_use(true)
            .observe(metrics.clone())
            .build()?;
    let shop = doudian.shop("4463798");
    for page in 0..3 {
        shop.order_search_list(&shop_api::doudian::order::OrderSearchListRequest {
            page,
            size: 20,
            ..Default::default()
        })
        .await?;
    }

    // TikTok Shop: a seller's code exchanged, the seller's shops listed.
    let tiktok = shop_api::tiktok::Client::builder("sandbox-tiktok-key", "sandbox-tiktok-secret")
        .base_url(sandbox.url(Platform::Tiktok))
        .auth_base_url(sandbox.url(Platform::TiktokAuth))
        .observe(metrics.clone())
        .build()?;
    let seller = tiktok.authorize("sandbox-auth-code").await?;
    tiktok
        .seller(&seller.open_id)
        .authorization_shops(&shop_api::tiktok::authorization::AuthorizationShopsRequest {})
        .await?;

    // Douyin: the client token fetched by the client, then a service-market call.
    let douyin = shop_api::douyin::Client::builder("sandbox-douyin-key", "sandbox-douyin-secret")
        .base_url(sandbox.url(Platform::Douyin))
        .observe(metrics.clone())
        .build()?;
    douyin
        .market_service_user_purchase_list(
            &shop_api::douyin::market::MarketServiceUserPurchaseListRequest {
                open_id: "sandbox-open-id".into(),
                service_id: "7000000000000000000".into(),
                is_test_env: true,
            },
        )
        .await?;

    print!("{}", metrics.render());
    Ok(())
}
