//! Client-side rate limits: a call waits until it keeps to the quotas set on the builder (per app,
//! per shop or seller, per endpoint), counted in one process ([`LocalLimiter`], the default) or
//! across a fleet through Redis (`RedisLimiter`, feature `redis`). Off unless set; a 429 or a
//! platform's rate-limit code is still backed off by the retry policy.
//!
//! A quota of `n` calls per window means: in any window of that length, at most `n` calls start
//! (a sliding-window log). That is how a platform that counts calls per window sees them; a token
//! bucket would let a full burst and its refill into one window.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Result;
use crate::token::BoxFuture;

/// At most `calls` calls in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Calls per window (at least 1).
    pub calls: u32,
    /// The window.
    pub per: Duration,
}

impl Quota {
    /// `calls` per `per`.
    pub fn new(calls: u32, per: Duration) -> Self {
        Quota {
            calls: calls.max(1),
            per,
        }
    }

    /// `calls` per second.
    pub fn per_second(calls: u32) -> Self {
        Quota::new(calls, Duration::from_secs(1))
    }

    /// `calls` per minute.
    pub fn per_minute(calls: u32) -> Self {
        Quota::new(calls, Duration::from_secs(60))
    }
}

/// Counts calls under keys and makes a caller wait until one more keeps to a quota.
pub trait RateLimiter: Send + Sync + 'static {
    /// What the limiter is, for errors and logs.
    fn describe(&self) -> String;
    /// Wait until one more call under `key` keeps to `quota`, and count it.
    fn acquire<'a>(&'a self, key: &'a str, quota: Quota) -> BoxFuture<'a, Result<()>>;
}

impl std::fmt::Debug for dyn RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Counts calls in this process: the default.
#[derive(Debug, Default)]
pub struct LocalLimiter {
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LocalLimiter {
    /// A limiter with no calls counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Count a call now if it keeps to `quota`; else how long until one would.
    fn try_take(&self, key: &str, quota: Quota) -> Option<Duration> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let log = windows.entry(key.to_owned()).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= quota.per)
        {
            log.pop_front();
        }
        if log.len() < quota.calls as usize {
            log.push_back(now);
            return None;
        }
        let oldest = *log.front().expect("a full log has a first call");
        Some(
            (oldest + quota.per)
                .saturating_duration_since(now)
                .max(Duration::from_millis(1)),
        )
    }
}

impl RateLimiter for LocalLimiter {
    fn describe(&self) -> String {
        "in-process rate limiter".into()
    }

    fn acquire<'a>(&'a self, key: &'a str, quota: Quota) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            while let Some(wait) = self.try_take(key, quota) {
                tokio::time::sleep(wait).await;
            }
            Ok(())
        })
    }
}

/// The quotas a client keeps to, set with `ClientBuilder::rate_limits`.
#[derive(Clone, Default)]
pub struct RateLimits {
    pub(crate) per_app: Option<Quota>,
    pub(crate) per_owner: Option<Quota>,
    pub(crate) per_endpoint: Vec<(String, Quota)>,
    pub(crate) limiter: Option<Arc<dyn RateLimiter>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_app", &self.per_app)
            .field("per_owner", &self.per_owner)
            .field("per_endpoint", &self.per_endpoint)
            .field("limiter", &self.limiter.as_ref().map(|l| l.describe()))
            .finish()
    }
}

impl RateLimits {
    /// No quotas yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// All the app's calls together.
    pub fn per_app(mut self, quota: Quota) -> Self {
        self.per_app = Some(quota);
        self
    }

    /// The calls of each shop (Doudian), seller or shop cipher (TikTok Shop) or user (Douyin).
    pub fn per_shop(mut self, quota: Quota) -> Self {
        self.per_owner = Some(quota);
        self
    }

    /// The app's calls of one endpoint (by its spec name, `order.searchList`), as the platform's
    /// console gives it for your app.
    pub fn endpoint(mut self, name: &str, quota: Quota) -> Self {
        self.per_endpoint.retain(|(n, _)| n != name);
        self.per_endpoint.push((name.to_owned(), quota));
        self
    }

    /// Count through `limiter` (a `RedisLimiter` to share the quotas across a fleet) instead of
    /// in this process.
    pub fn shared(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Whether any quota is set.
    pub fn is_empty(&self) -> bool {
        self.per_app.is_none() && self.per_owner.is_none() && self.per_endpoint.is_empty()
    }

    /// Wait for every quota that applies to a call of `endpoint` by `owner`; keys start with
    /// `prefix` (`<platform>:<environment>:<app key>:`).
    pub(crate) async fn wait(
        &self,
        prefix: &str,
        endpoint: &str,
        owner: Option<&str>,
    ) -> Result<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if let Some(q) = self
            .per_endpoint
            .iter()
            .find(|(n, _)| n == endpoint)
            .map(|(_, q)| *q)
        {
            limiter
                .acquire(&format!("{prefix}endpoint:{endpoint}"), q)
                .await?;
        }
        if let (Some(q), Some(owner)) = (self.per_owner, owner) {
            limiter
                .acquire(&format!("{prefix}owner:{owner}"), q)
                .await?;
        }
        if let Some(q) = self.per_app {
            limiter.acquire(&format!("{prefix}app"), q).await?;
        }
        Ok(())
    }

    /// The same limits with a limiter: the shared one, else a new local one.
    pub(crate) fn ready(mut self) -> Self {
        if self.limiter.is_none() && !self.is_empty() {
            self.limiter = Some(Arc::new(LocalLimiter::new()));
        }
        self
    }
}

#[cfg(feature = "redis")]
pub use self::redis::RedisLimiter;

#[cfg(feature = "redis")]
mod redis {
    use super::{Quota, RateLimiter};
    use crate::Result;
    use crate::token::{BoxFuture, store_error};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// A sliding-window log per key in a sorted set, timed by Redis's clock: the script drops
    /// calls older than the window, counts the rest, and either adds this one (0) or answers how
    /// many milliseconds until the oldest leaves the window.
    const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
";

    /// Counts calls in Redis, so that every process and machine of a fleet keeps to one quota.
    /// Keys: `<prefix>rate:<key>` (sorted sets that expire with their window).
    pub struct RedisLimiter {
        con: ::redis::aio::ConnectionManager,
        prefix: String,
        describe: String,
        member: String,
        next: AtomicU64,
    }

    impl RedisLimiter {
        /// Connect to `url` (`redis://host:port/db`), keys under `shop-api:`.
        pub async fn connect(url: &str) -> Result<Self> {
            Self::connect_prefix(url, crate::RedisStore::PREFIX).await
        }

        /// The same with keys under `prefix`.
        pub async fn connect_prefix(url: &str, prefix: &str) -> Result<Self> {
            let (con, describe) =
                crate::token::redis_connect(url, &format!("rate limiter (keys {prefix}rate:*)"))
                    .await?;
            Ok(RedisLimiter {
                con,
                prefix: prefix.to_owned(),
                describe,
                member: format!("{}-{}", std::process::id(), crate::token::unix_millis()),
                next: AtomicU64::new(0),
            })
        }
    }

    impl RateLimiter for RedisLimiter {
        fn describe(&self) -> String {
            self.describe.clone()
        }

        fn acquire<'a>(&'a self, key: &'a str, quota: Quota) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                // The SHA-1 of the script, computed once per process.
                static SCRIPT: std::sync::OnceLock<::redis::Script> = std::sync::OnceLock::new();
                let script = SCRIPT.get_or_init(|| ::redis::Script::new(ACQUIRE));
                loop {
                    let n = self.next.fetch_add(1, Ordering::Relaxed);
                    let mut con = self.con.clone();
                    let wait: u64 = script
                        .key(format!("{}rate:{key}", self.prefix))
                        .arg(quota.calls)
                        .arg(quota.per.as_millis().max(1) as u64)
                        .arg(format!("{}-{n}", self.member))
                        .invoke_async(&mut con)
                        .await
                        .map_err(|e| store_error(&self.describe, e))?;
                    if wait == 0 {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_limiter_keeps_any_window_to_its_quota() {
        let l = LocalLimiter::new();
        let q = Quota::new(5, Duration::from_millis(200));
        let started = Instant::now();
        let mut at = Vec::new();
        for _ in 0..15 {
            l.acquire("k", q).await.unwrap();
            at.push(started.elapsed());
        }
        for (i, t) in at.iter().enumerate() {
            let in_window = at[i..].iter().filter(|u| **u - *t < q.per).count();
            assert!(
                in_window <= 5,
                "{in_window} calls within one window from {t:?}: {at:?}"
            );
        }
        assert!(started.elapsed() >= Duration::from_millis(400), "{at:?}");
        // Another key has a window of its own.
        let other = Instant::now();
        l.acquire("other", q).await.unwrap();
        assert!(other.elapsed() < Duration::from_millis(50));
    }
}
