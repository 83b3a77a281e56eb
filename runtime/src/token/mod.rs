//! Tokens: one [`Token`] type, one [`TokenStore`] trait (in memory, a JSON file, PostgreSQL or
//! Redis), and the [`TokenManager`] every platform client uses to refresh ahead of expiry, exactly
//! once across tasks, processes and machines that share a store.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Error, Result, Secret, unix_now};

mod file;
mod options;
#[cfg(all(
    feature = "postgres",
    any(feature = "rustls-tls", feature = "native-tls")
))]
mod pg_tls;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod sealed;

pub use file::JsonFileStore;
pub use options::StoreOptions;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
#[cfg(feature = "redis")]
pub(crate) use redis::connect as redis_connect;
pub use sealed::{EncryptedStore, Keyring};

/// A boxed future, for the object-safe [`TokenStore`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An access token with what is needed to refresh it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Token {
    /// The access token.
    pub access_token: Secret,
    /// When the access token expires (Unix seconds).
    pub expires_at: i64,
    /// The refresh token, when the platform issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// When the refresh token expires (Unix seconds), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<i64>,
    /// Granted scope, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Whatever else the platform returned that callers need (`shop_id`, `shop_name`, `open_id`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl Token {
    /// Whether the token is still good for `margin`.
    pub fn is_fresh(&self, margin: Duration) -> bool {
        !self.access_token.is_empty() && self.expires_at - margin.as_secs() as i64 > unix_now()
    }
}

/// A token as a store keeps it: with a version that every save increments, so that a writer
/// holding an old view cannot overwrite a newer token (compare-and-swap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The token.
    pub token: Token,
    /// Its version: 1 for the first save under a key, +1 for every save after.
    pub version: u64,
}

/// What a save expects to find under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Anything: the save always writes (a new authorization replaces whatever was kept).
    Any,
    /// The token of this version (0: no token): otherwise the save writes nothing.
    Version(u64),
}

/// Where tokens are kept, by key, and who may refresh one: shared by every client, process and
/// machine that uses the same store.
///
/// Keys are namespaced by the clients: `<platform>:<environment>:<app key>:<owner>`
/// (`doudian:production:3409409348479354011:4463798`), so apps and environments sharing a store
/// never see each other's tokens. A store refuses nothing about a key's shape.
///
/// The refresh lease ([`TokenStore::lease`]) makes one refresh per token across processes: the
/// holder refreshes, the others wait and read the new token. A lease ends by itself after its
/// time to live, so a holder that died blocks the others no longer than that.
pub trait TokenStore: Send + Sync + 'static {
    /// What the store is, for errors and logs (`JSON file /var/lib/app/tokens.json`); never a
    /// password.
    fn describe(&self) -> String;
    /// The token under `key` and its version, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>>;
    /// Keep `token` under `key` if the key holds what `expect` says; the new version, or `None`
    /// when something else was found (nothing written).
    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Token,
        expect: Expect,
    ) -> BoxFuture<'a, Result<Option<u64>>>;
    /// Remove the token under `key` (a shop that revoked the app); whether there was one. The
    /// key's version is kept: versions only grow per key, so a writer that read the token before
    /// the delete never overwrites the one a new authorization saves after it.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>>;
    /// The keys that start with `prefix`, sorted.
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>>;
    /// Take the refresh lease of `key` for `holder` for `ttl`, if no one else holds it unexpired
    /// (the holder itself may take it again); whether it was taken.
    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>>;
    /// Give the lease of `key` back, if `holder` still holds it.
    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>>;
}

impl std::fmt::Debug for dyn TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The error of a store that failed, naming it.
pub(crate) fn store_error(store: &str, what: impl std::fmt::Display) -> Error {
    Error::Store {
        store: store.to_owned(),
        message: what.to_string(),
        source: None,
    }
}

/// The error of a store whose client failed with `source` while doing `what` (may be empty),
/// naming the store and keeping the source.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
pub(crate) fn store_failure(
    store: &str,
    what: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Store {
        store: store.to_owned(),
        message: if what.is_empty() {
            source.to_string()
        } else {
            format!("{what}: {source}")
        },
        source: Some(Box::new(source)),
    }
}

/// The tokens and leases of a store held in one map (the memory store and the file store).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Table {
    #[serde(default)]
    tokens: BTreeMap<String, Entry>,
    #[serde(default)]
    leases: BTreeMap<String, Lease>,
    /// The last version of each deleted key: versions only grow per key, across deletes, so a
    /// writer that read a token before its delete never overwrites the next authorization.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    deleted: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Entry {
    token: Token,
    version: u64,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Lease {
    holder: String,
    /// Unix milliseconds.
    until: i64,
}

pub(crate) fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Table {
    fn load(&self, key: &str) -> Option<Stored> {
        self.tokens.get(key).map(|e| Stored {
            token: e.token.clone(),
            version: e.version,
        })
    }

    fn save(&mut self, key: &str, token: &Token, expect: Expect) -> Option<u64> {
        // Version 0 expects no token: none ever, or one deleted since.
        let current = self.tokens.get(key).map_or(0, |e| e.version);
        if let Expect::Version(v) = expect
            && v != current
        {
            return None;
        }
        let last = current.max(self.deleted.remove(key).unwrap_or(0));
        let version = last + 1;
        self.tokens.insert(
            key.to_owned(),
            Entry {
                token: token.clone(),
                version,
            },
        );
        Some(version)
    }

    fn delete(&mut self, key: &str) -> bool {
        match self.tokens.remove(key) {
            Some(e) => {
                self.deleted.insert(key.to_owned(), e.version);
                true
            }
            None => false,
        }
    }

    fn list(&self, prefix: &str) -> Vec<String> {
        self.tokens
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn lease(&mut self, key: &str, holder: &str, ttl: Duration, now: i64) -> bool {
        self.leases.retain(|_, l| l.until > now);
        match self.leases.get(key) {
            Some(l) if l.holder != holder => false,
            _ => {
                self.leases.insert(
                    key.to_owned(),
                    Lease {
                        holder: holder.to_owned(),
                        until: now + ttl.as_millis() as i64,
                    },
                );
                true
            }
        }
    }

    fn release(&mut self, key: &str, holder: &str) {
        if self.leases.get(key).is_some_and(|l| l.holder == holder) {
            self.leases.remove(key);
        }
    }
}

/// Tokens in memory: lost when the process ends, shared only within it.
#[derive(Debug, Default)]
pub struct MemoryStore {
    table: Mutex<Table>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Table) -> T) -> T {
        f(&mut self.table.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl TokenStore for MemoryStore {
    fn describe(&self) -> String {
        "in memory".into()
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let t = self.with(|t| t.load(key));
        Box::pin(async move { Ok(t) })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Token,
        expect: Expect,
    ) -> BoxFuture<'a, Result<Option<u64>>> {
        let v = self.with(|t| t.save(key, token, expect));
        Box::pin(async move { Ok(v) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        let gone = self.with(|t| t.delete(key));
        Box::pin(async move { Ok(gone) })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        let keys = self.with(|t| t.list(prefix));
        Box::pin(async move { Ok(keys) })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        let got = self.with(|t| t.lease(key, holder, ttl, unix_millis()));
        Box::pin(async move { Ok(got) })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
        self.with(|t| t.release(key, holder));
        Box::pin(async { Ok(()) })
    }
}

/// How long a refresh lease lasts unless given back (default 30 s): longer than a token call
/// takes, short enough that a worker killed mid-refresh holds the others back no longer.
pub const DEFAULT_REFRESH_LEASE: Duration = Duration::from_secs(30);

/// How long a worker uses a fresh token it read from the store before it reads the store again
/// (see [`TokenManager::with_cache`]).
pub const DEFAULT_TOKEN_CACHE: Duration = Duration::from_secs(10);

/// Gets tokens from a store and refreshes them: ahead of expiry (by `margin`), or when a call
/// reports the token expired.
///
/// One refresh per token, however many ask at once: tasks of one process queue on a lock per
/// key, and processes (on one machine or many) on the store's refresh lease. The lease holder
/// reads the token again, refreshes it if it is still stale and saves it only over the version it
/// read; the others poll the store until the new token is there, or take the lease once it has
/// lapsed (its holder died).
///
/// A fresh token read from the store (or saved by this manager) is kept in the process, with
/// its version, for a short time ([`DEFAULT_TOKEN_CACHE`]), so a busy worker reads the store a
/// few times a minute per shop rather than on every call. A token the platform refuses is
/// dropped from that cache at once and read from the store again.
pub struct TokenManager {
    store: Arc<dyn TokenStore>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    cache: Mutex<HashMap<String, (Stored, std::time::Instant)>>,
    cache_for: Duration,
    margin: Duration,
    lease: Duration,
    holder: String,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("store", &self.store.describe())
            .field("margin", &self.margin)
            .field("lease", &self.lease)
            .field("cache_for", &self.cache_for)
            .finish_non_exhaustive()
    }
}

/// A name for this manager in leases: host, process and a counter, unique across a fleet.
fn holder_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{host}/{}/{n}/{}", std::process::id(), unix_millis())
}

impl TokenManager {
    /// A manager over `store` that refreshes tokens `margin` before they expire.
    pub fn new(store: Arc<dyn TokenStore>, margin: Duration) -> Self {
        TokenManager {
            store,
            locks: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
            cache_for: DEFAULT_TOKEN_CACHE,
            margin,
            lease: DEFAULT_REFRESH_LEASE,
            holder: holder_name(),
        }
    }

    /// The same with refresh leases of `lease`.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The same keeping fresh tokens in the process for `cache_for` before reading the store
    /// again (default [`DEFAULT_TOKEN_CACHE`]; zero reads the store on every call). A token
    /// replaced elsewhere (another process refreshed it, the shop authorized again) is seen
    /// after at most that long, or at once when the platform refuses the cached one.
    pub fn with_cache(mut self, cache_for: Duration) -> Self {
        self.cache_for = cache_for;
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// Delete `key`'s token from the store and from this process's cache; whether the store had
    /// one.
    pub async fn forget(&self, key: &str) -> Result<bool> {
        self.uncache(key);
        let had = self.store.delete(key).await?;
        self.uncache(key);
        Ok(had)
    }

    /// The cached token of `key`, while it is young, fresh and not the refused `stale`.
    fn cached(&self, key: &str, stale: Option<&Secret>) -> Option<Token> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (stored, at) = cache.get(key)?;
        if at.elapsed() >= self.cache_for {
            return None;
        }
        self.usable(Some(stored), stale)
    }

    /// [`Self::usable`] of what was just read from the store, remembered in the cache when it is.
    fn usable_read(
        &self,
        key: &str,
        current: &Option<Stored>,
        stale: Option<&Secret>,
    ) -> Option<Token> {
        let t = self.usable(current.as_ref(), stale)?;
        if let Some(stored) = current {
            self.remember(key, stored);
        }
        Some(t)
    }

    /// Remember `stored` as `key`'s token (when caching is on).
    fn remember(&self, key: &str, stored: &Stored) {
        if self.cache_for.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let newer = cache
            .get(key)
            .is_none_or(|(kept, _)| kept.version <= stored.version);
        if newer {
            cache.insert(key.to_owned(), (stored.clone(), std::time::Instant::now()));
        }
    }

    fn uncache(&self, key: &str) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone()
    }

    /// Whether `stored` can be used: fresh, and not the token a call just saw refused.
    fn usable(&self, stored: Option<&Stored>, stale: Option<&Secret>) -> Option<Token> {
        let t = &stored?.token;
        let refused = stale.is_some_and(|s| *s == t.access_token);
        (!refused && t.is_fresh(self.margin)).then(|| t.clone())
    }

    /// A fresh token for `key`. `stale` is a token a call just saw rejected as expired: it is
    /// refreshed even if its expiry says otherwise, unless another task or process already
    /// replaced it. `refresh` gets the current token (if any) and returns a new one, which is
    /// saved; it runs at most once, and only while this manager holds the key's lease.
    pub async fn get<F, Fut>(&self, key: &str, stale: Option<&Secret>, refresh: F) -> Result<Token>
    where
        F: FnOnce(Option<Token>) -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        if let Some(t) = self.cached(key, stale) {
            return Ok(t);
        }
        if stale.is_some() {
            self.uncache(key);
        }
        let lock = self.lock_for(key);
        let _guard = lock.lock().await;
        // Waiting for another holder ends when its lease would have lapsed twice over.
        let give_up = std::time::Instant::now() + self.lease * 2 + Duration::from_secs(1);
        let mut pause = Duration::from_millis(20);
        loop {
            // Another task of this process may have refreshed while this one waited.
            if let Some(t) = self.cached(key, stale) {
                return Ok(t);
            }
            let current = self.store.load(key).await?;
            if let Some(t) = self.usable_read(key, &current, stale) {
                return Ok(t);
            }
            if self.store.lease(key, &self.holder, self.lease).await? {
                let lease_ends = std::time::Instant::now() + self.lease;
                let result = self
                    .renewing(key, self.refresh_holding(key, stale, refresh, lease_ends))
                    .await;
                if let Err(e) = self.store.release(key, &self.holder).await {
                    tracing::warn!(key, error = %e, "could not give the refresh lease back; it lapses by itself");
                }
                return result;
            }
            if std::time::Instant::now() > give_up {
                return Err(store_error(
                    &self.store.describe(),
                    format!("another process holds the refresh of {key} and no new token came"),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    async fn refresh_holding<F, Fut>(
        &self,
        key: &str,
        stale: Option<&Secret>,
        refresh: F,
        lease_ends: std::time::Instant,
    ) -> Result<Token>
    where
        F: FnOnce(Option<Token>) -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        // Read again under the lease: another process may have refreshed since.
        let current = self.store.load(key).await?;
        if let Some(t) = self.usable_read(key, &current, stale) {
            return Ok(t);
        }
        let version = current.as_ref().map_or(0, |s| s.version);
        let token = refresh(current.map(|s| s.token)).await?;
        // The platform has spent the old refresh token: the new pair is kept, or handed over.
        let saved = match self.save_refreshed(key, &token, version, lease_ends).await {
            Ok(saved) => saved,
            Err(e) => {
                let store = self.store.describe();
                tracing::error!(
                    key,
                    store = %store,
                    error = %e,
                    "a refreshed token could not be saved; it is handed to the caller in Error::TokenNotSaved"
                );
                return Err(Error::TokenNotSaved {
                    key: key.to_owned(),
                    store,
                    message: e.to_string(),
                    token: Box::new(token),
                });
            }
        };
        match saved {
            Some(version) => {
                tracing::debug!(key, expires_at = token.expires_at, "token refreshed");
                self.remember(
                    key,
                    &Stored {
                        token: token.clone(),
                        version,
                    },
                );
                Ok(token)
            }
            None => {
                // Someone saved over the version this refresh started from (its lease lapsed
                // meanwhile): theirs stays, and is used if fresh.
                tracing::warn!(
                    key,
                    "a newer token was saved during this refresh; keeping it"
                );
                let now = self.store.load(key).await?;
                Ok(self.usable(now.as_ref(), None).unwrap_or(token))
            }
        }
    }

    /// Run `work` (a refresh, under the lease of `key`) while renewing the lease every third of
    /// its time to live, so a slow but live holder keeps it: a token call that waits or retries
    /// past the lease's first term does not let a second process refresh with the same refresh
    /// token. A renewal that finds the lease taken is logged; the save that follows is a
    /// compare-and-swap, so it never overwrites what the new holder saved.
    async fn renewing<T>(&self, key: &str, work: impl Future<Output = Result<T>>) -> Result<T> {
        use std::task::Poll;
        let mut work = std::pin::pin!(work);
        loop {
            let mut due = std::pin::pin!(tokio::time::sleep(self.lease / 3));
            let done = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = work.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                due.as_mut().poll(cx).map(|()| None)
            })
            .await;
            if let Some(r) = done {
                return r;
            }
            match self.store.lease(key, &self.holder, self.lease).await {
                Ok(true) => tracing::debug!(key, "refresh lease renewed"),
                Ok(false) => tracing::warn!(
                    key,
                    "the refresh lease was lost to another holder; this refresh saves only over the version it read"
                ),
                Err(e) => tracing::warn!(key, error = %e, "could not renew the refresh lease"),
            }
        }
    }

    /// Save a refreshed token over `version`, trying again while the store fails and the lease
    /// (ending at `lease_ends`) still has time for another try.
    async fn save_refreshed(
        &self,
        key: &str,
        token: &Token,
        version: u64,
        lease_ends: std::time::Instant,
    ) -> Result<Option<u64>> {
        let mut pause = Duration::from_millis(50);
        loop {
            match self.store.save(key, token, Expect::Version(version)).await {
                Ok(saved) => return Ok(saved),
                Err(e) if std::time::Instant::now() + pause * 2 < lease_ends => {
                    tracing::warn!(key, error = %e, "saving the refreshed token failed; trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Keep `token` under `key` (after a code exchange: it replaces whatever was kept). The
    /// token was just issued, and what it was issued for (an authorization code, a refresh
    /// token) is spent: a store that keeps failing gets a few more tries, then the token is
    /// handed back in [`Error::TokenNotSaved`].
    pub async fn put(&self, key: &str, token: &Token) -> Result<()> {
        let lock = self.lock_for(key);
        let _guard = lock.lock().await;
        let mut pause = Duration::from_millis(50);
        self.uncache(key);
        for attempt in 1..=4 {
            match self.store.save(key, token, Expect::Any).await {
                Ok(version) => {
                    if let Some(version) = version {
                        self.remember(
                            key,
                            &Stored {
                                token: token.clone(),
                                version,
                            },
                        );
                    }
                    return Ok(());
                }
                Err(e) if attempt < 4 => {
                    tracing::warn!(key, error = %e, "saving a new token failed; trying again");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(e) => {
                    let store = self.store.describe();
                    tracing::error!(key, store = %store, error = %e, "a new token could not be saved; it is handed to the caller in Error::TokenNotSaved");
                    return Err(Error::TokenNotSaved {
                        key: key.to_owned(),
                        store,
                        message: e.to_string(),
                        token: Box::new(token.clone()),
                    });
                }
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// Check that `store` keeps the contract the [`TokenManager`] relies on: versions that count
/// saves, compare-and-swap, list and delete by prefix, leases that exclude others, are taken
/// again by their holder, are given back only by it and lapse. For the tests of a store of your
/// own; it writes keys under `prefix` (give it an empty one) and takes about half a second.
pub async fn check_store(store: &dyn TokenStore, prefix: &str) -> std::result::Result<(), String> {
    fn t(s: &str) -> Token {
        Token {
            access_token: Secret::new(s),
            expires_at: unix_now() + 60,
            ..Token::default()
        }
    }
    macro_rules! check {
        ($cond:expr, $why:expr) => {
            if !$cond {
                return Err(format!("{}: {}", store.describe(), $why));
            }
        };
    }
    let e = |e: Error| format!("{}: {e}", store.describe());
    let (k1, k2, k9) = (
        format!("{prefix}a:1"),
        format!("{prefix}a:2"),
        format!("{prefix}a:9"),
    );
    let (a, b) = (format!("{prefix}a:"), format!("{prefix}b:1"));
    check!(
        store
            .save(&k1, &t("one"), Expect::Version(0))
            .await
            .map_err(e)?
            == Some(1),
        "a first save is version 1"
    );
    check!(
        store
            .save(&k1, &t("stale"), Expect::Version(0))
            .await
            .map_err(e)?
            .is_none(),
        "a writer that saw no token overwrote one"
    );
    check!(
        store
            .save(&k1, &t("two"), Expect::Version(1))
            .await
            .map_err(e)?
            == Some(2),
        "a save over version 1 is version 2"
    );
    check!(
        store
            .save(&k1, &t("stale"), Expect::Version(1))
            .await
            .map_err(e)?
            .is_none(),
        "a writer holding version 1 overwrote version 2"
    );
    let s = store.load(&k1).await.map_err(e)?;
    check!(
        s.as_ref()
            .is_some_and(|s| s.token.access_token.expose() == "two" && s.version == 2),
        "load gives the last saved token and its version"
    );
    check!(
        store.save(&k2, &t("x"), Expect::Any).await.map_err(e)? == Some(1),
        "a save of any version writes"
    );
    store.save(&b, &t("y"), Expect::Any).await.map_err(e)?;
    check!(
        store.list(&a).await.map_err(e)? == [k1.clone(), k2.clone()],
        "list gives the keys under a prefix, sorted"
    );
    check!(
        store.delete(&k2).await.map_err(e)?,
        "delete says it removed a token"
    );
    check!(
        !store.delete(&k2).await.map_err(e)?,
        "delete of nothing says so"
    );
    check!(
        store.list(&a).await.map_err(e)? == [k1.clone()],
        "a deleted key leaves the list"
    );
    check!(
        store.load(&k2).await.map_err(e)?.is_none(),
        "a deleted key loads nothing"
    );
    check!(
        store
            .save(&k2, &t("stale"), Expect::Version(1))
            .await
            .map_err(e)?
            .is_none(),
        "a writer holding the version before a delete wrote after it"
    );
    check!(
        store
            .save(&k2, &t("again"), Expect::Version(0))
            .await
            .map_err(e)?
            == Some(2),
        "a save after a delete continues the key's version (versions only grow)"
    );
    check!(
        store
            .save(&k2, &t("stale"), Expect::Version(1))
            .await
            .map_err(e)?
            .is_none(),
        "a writer holding version 1 overwrote the token saved after a delete"
    );
    store.delete(&k2).await.map_err(e)?;
    check!(
        store.save(&k2, &t("any"), Expect::Any).await.map_err(e)? == Some(3),
        "an unconditional save after a delete continues the version too"
    );
    store.delete(&k2).await.map_err(e)?;
    let ttl = Duration::from_millis(300);
    check!(
        store.lease(&k1, "w1", ttl).await.map_err(e)?,
        "a free lease is taken"
    );
    check!(
        !store.lease(&k1, "w2", ttl).await.map_err(e)?,
        "a held lease is refused to another"
    );
    check!(
        store.lease(&k1, "w1", ttl).await.map_err(e)?,
        "its holder takes it again"
    );
    store.release(&k1, "w2").await.map_err(e)?;
    check!(
        !store.lease(&k1, "w2", ttl).await.map_err(e)?,
        "only the holder gives a lease back"
    );
    store.release(&k1, "w1").await.map_err(e)?;
    check!(
        store.lease(&k1, "w2", ttl).await.map_err(e)?,
        "a lease given back is free"
    );
    tokio::time::sleep(ttl + Duration::from_millis(150)).await;
    check!(
        store.lease(&k1, "w3", ttl).await.map_err(e)?,
        "a lapsed lease is free"
    );
    check!(
        store.lease(&k9, "w3", ttl).await.map_err(e)?,
        "a key without a token can be leased"
    );
    check!(
        store.list(&a).await.map_err(e)? == [k1.clone()],
        "a lease alone is not a token in the list"
    );
    check!(
        store.load(&k9).await.map_err(e)?.is_none(),
        "a lease alone loads nothing"
    );
    check!(
        store
            .save(&k9, &t("z"), Expect::Version(0))
            .await
            .map_err(e)?
            == Some(1),
        "a leased key without a token takes a first save"
    );
    for k in [&k1, &k9, &b] {
        store.delete(k).await.map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(s: &str, ttl: i64) -> Token {
        Token {
            access_token: Secret::new(s),
            expires_at: unix_now() + ttl,
            ..Token::default()
        }
    }

    #[tokio::test]
    async fn one_refresh_for_many_waiters() {
        let m = Arc::new(TokenManager::new(
            Arc::new(MemoryStore::new()),
            Duration::from_secs(60),
        ));
        m.put("k", &token("old", -1)).await.unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (m, calls) = (m.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                m.get("k", None, |_| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(token("new", 3600))
                })
                .await
                .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().access_token.expose(), "new");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    /// A store whose saves fail while `failing` is above zero (each failed save counts down;
    /// `u32::MAX` fails for good).
    struct FlakySaves {
        inner: MemoryStore,
        failing: std::sync::atomic::AtomicU32,
        /// How many loads reached the store.
        loads: AtomicUsize,
    }

    impl FlakySaves {
        fn new(failing: u32) -> Self {
            FlakySaves {
                inner: MemoryStore::new(),
                failing: std::sync::atomic::AtomicU32::new(failing),
                loads: AtomicUsize::new(0),
            }
        }
    }

    impl TokenStore for FlakySaves {
        fn describe(&self) -> String {
            "flaky test store".into()
        }
        fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
            self.loads.fetch_add(1, Ordering::SeqCst);
            self.inner.load(key)
        }
        fn save<'a>(
            &'a self,
            key: &'a str,
            token: &'a Token,
            expect: Expect,
        ) -> BoxFuture<'a, Result<Option<u64>>> {
            let left = self.failing.load(Ordering::SeqCst);
            if left > 0 {
                if left != u32::MAX {
                    self.failing.store(left - 1, Ordering::SeqCst);
                }
                return Box::pin(async { Err(store_error("flaky test store", "disk full")) });
            }
            self.inner.save(key, token, expect)
        }
        fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
            self.inner.delete(key)
        }
        fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
            self.inner.list(prefix)
        }
        fn lease<'a>(
            &'a self,
            key: &'a str,
            holder: &'a str,
            ttl: Duration,
        ) -> BoxFuture<'a, Result<bool>> {
            self.inner.lease(key, holder, ttl)
        }
        fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
            self.inner.release(key, holder)
        }
    }

    /// A refresh that must not happen.
    async fn no_refresh(_: Option<Token>) -> Result<Token> {
        panic!("no refresh was needed")
    }

    #[tokio::test]
    async fn a_busy_worker_reads_the_store_once_while_its_token_is_cached() {
        let store = Arc::new(FlakySaves::new(0));
        let m = TokenManager::new(store.clone(), Duration::from_secs(60));
        store
            .save("k", &token("A", 3600), Expect::Any)
            .await
            .unwrap();
        for _ in 0..100 {
            assert_eq!(
                m.get("k", None, no_refresh)
                    .await
                    .unwrap()
                    .access_token
                    .expose(),
                "A"
            );
        }
        assert_eq!(store.loads.load(Ordering::SeqCst), 1);

        // Without the cache, every call reads the store.
        let m =
            TokenManager::new(store.clone(), Duration::from_secs(60)).with_cache(Duration::ZERO);
        for _ in 0..10 {
            m.get("k", None, no_refresh).await.unwrap();
        }
        assert_eq!(store.loads.load(Ordering::SeqCst), 11);
    }

    #[tokio::test]
    async fn a_cached_token_replaced_elsewhere_is_read_again_once_refused_and_not_refreshed() {
        let store = Arc::new(MemoryStore::new());
        let worker = TokenManager::new(store.clone(), Duration::from_secs(60));
        let elsewhere = TokenManager::new(store.clone(), Duration::from_secs(60));
        worker.put("k", &token("A", 3600)).await.unwrap();
        assert_eq!(
            worker
                .get("k", None, no_refresh)
                .await
                .unwrap()
                .access_token
                .expose(),
            "A"
        );
        // Another process saves a new token (it refreshed, or the shop authorized again).
        elsewhere.put("k", &token("B", 3600)).await.unwrap();
        // Until the platform refuses it, the cached token is used...
        assert_eq!(
            worker
                .get("k", None, no_refresh)
                .await
                .unwrap()
                .access_token
                .expose(),
            "A"
        );
        // ...then the store's is, and the refresh token is not spent.
        let refused = Secret::new("A");
        let t = worker.get("k", Some(&refused), no_refresh).await.unwrap();
        assert_eq!(t.access_token.expose(), "B");
        assert_eq!(
            worker
                .get("k", None, no_refresh)
                .await
                .unwrap()
                .access_token
                .expose(),
            "B"
        );
    }

    #[tokio::test]
    async fn a_forgotten_token_leaves_the_cache_with_the_store() {
        let store = Arc::new(MemoryStore::new());
        let m = TokenManager::new(store.clone(), Duration::from_secs(60));
        m.put("k", &token("A", 3600)).await.unwrap();
        m.get("k", None, no_refresh).await.unwrap();
        assert!(m.forget("k").await.unwrap());
        let t = m
            .get("k", None, |_| async { Ok(token("C", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "C", "not the forgotten A");
    }

    fn refreshed() -> Token {
        Token {
            access_token: Secret::new("new-access-secret"),
            refresh_token: Some(Secret::new("new-refresh-secret")),
            expires_at: unix_now() + 3600,
            ..Token::default()
        }
    }

    #[tokio::test]
    async fn a_save_that_fails_after_a_refresh_is_tried_again_within_the_lease() {
        let store = Arc::new(FlakySaves::new(0));
        let m = TokenManager::new(store.clone(), Duration::from_secs(60));
        m.put("k", &token("old", -1)).await.unwrap();
        store.failing.store(2, Ordering::SeqCst);
        let calls = AtomicUsize::new(0);
        let t = m
            .get("k", None, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok(refreshed()) }
            })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "new-access-secret");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one refresh");
        let kept = store.inner.load("k").await.unwrap().unwrap();
        assert_eq!(kept.token, t, "the new pair is kept");
    }

    #[tokio::test]
    async fn a_refreshed_token_that_cannot_be_saved_is_handed_to_the_caller() {
        let store = Arc::new(FlakySaves::new(0));
        let m = TokenManager::new(store.clone(), Duration::from_secs(60))
            .with_lease(Duration::from_millis(600));
        m.put("k", &token("old", -1)).await.unwrap();
        store.failing.store(u32::MAX, Ordering::SeqCst);
        let e = m
            .get("k", None, |_| async { Ok(refreshed()) })
            .await
            .unwrap_err();
        let carried = e.unsaved_token().expect("the error carries the new token");
        assert_eq!(carried.access_token.expose(), "new-access-secret");
        assert_eq!(
            carried.refresh_token.as_ref().map(Secret::expose),
            Some("new-refresh-secret")
        );
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("new-access-secret"), "{shown}");
            assert!(!shown.contains("new-refresh-secret"), "{shown}");
        }
        assert!(e.to_string().contains("flaky test store"), "{e}");
        assert!(
            !e.kind().is_retryable(),
            "a retry would spend the old refresh token again"
        );
        // the store still has the old token: nothing half-written
        let kept = store.inner.load("k").await.unwrap().unwrap();
        assert_eq!(kept.token.access_token.expose(), "old");
    }

    #[tokio::test]
    async fn a_new_token_that_cannot_be_kept_is_handed_back() {
        let store = Arc::new(FlakySaves::new(2));
        let m = TokenManager::new(store.clone(), Duration::from_secs(60));
        m.put("k", &refreshed())
            .await
            .expect("kept after two failed tries");
        store.failing.store(u32::MAX, Ordering::SeqCst);
        let e = m.put("j", &refreshed()).await.unwrap_err();
        assert_eq!(
            e.unsaved_token().map(|t| t.access_token.expose()),
            Some("new-access-secret")
        );
        assert!(!format!("{e} {e:?}").contains("new-refresh-secret"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_holder_slower_than_its_lease_keeps_it_and_the_token_is_refreshed_once() {
        // Two managers (two processes' worth of holders) on one store, a lease of 300 ms and a
        // token call that takes 1 s: without renewal the second would take the lapsed lease and
        // spend the same refresh token again.
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        let lease = Duration::from_millis(300);
        let a =
            Arc::new(TokenManager::new(store.clone(), Duration::from_secs(60)).with_lease(lease));
        let b =
            Arc::new(TokenManager::new(store.clone(), Duration::from_secs(60)).with_lease(lease));
        a.put("k", &token("old", -1)).await.unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let slow = {
            let (a, calls) = (a.clone(), calls.clone());
            tokio::spawn(async move {
                a.get("k", None, |_| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok(token("new", 3600))
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (b2, calls2) = (b.clone(), calls.clone());
        let other = b2
            .get("k", None, |_| async move {
                calls2.fetch_add(1, Ordering::SeqCst);
                Ok(token("second", 3600))
            })
            .await
            .unwrap();
        let first = slow.await.unwrap().unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "one use of the refresh token"
        );
        assert_eq!(first.access_token.expose(), "new");
        assert_eq!(
            other.access_token.expose(),
            "new",
            "the waiter reads the holder's token"
        );
    }

    #[tokio::test]
    async fn a_rejected_token_is_refreshed_once() {
        let m = TokenManager::new(Arc::new(MemoryStore::new()), Duration::from_secs(60));
        m.put("k", &token("a", 3600)).await.unwrap();
        let stale = Secret::new("a");
        let t = m
            .get("k", Some(&stale), |_| async { Ok(token("b", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "b");
        // A second task that saw `a` rejected reuses `b`.
        let t = m
            .get("k", Some(&stale), |_| async { panic!("no second refresh") })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "b");
    }

    #[tokio::test]
    async fn file_store_survives_and_refuses_corruption() {
        let dir = std::env::temp_dir().join(format!("shop-api-token-{}", std::process::id()));
        let path = dir.join("tokens.json");
        let store = JsonFileStore::new(&path);
        store
            .save("a", &token("one", 60), Expect::Any)
            .await
            .unwrap();
        store
            .save("b", &token("two", 60), Expect::Any)
            .await
            .unwrap();
        let again = JsonFileStore::new(&path);
        let access = |s: Option<Stored>| s.unwrap().token.access_token.expose().to_owned();
        assert_eq!(access(again.load("a").await.unwrap()), "one");
        // A crash between writing the temporary file and the rename leaves the old file whole.
        std::fs::write(path.with_extension("tmp999"), b"{half").unwrap();
        assert_eq!(access(again.load("b").await.unwrap()), "two");
        std::fs::write(&path, b"{not json").unwrap();
        let err = again.load("a").await.unwrap_err().to_string();
        assert!(
            err.contains("tokens.json") && err.contains("corrupt"),
            "{err}"
        );
        assert!(!err.contains("one"));
        // The first layout, a map of tokens, reads as version 1 of each.
        let old = serde_json::json!({"doudian:1": token("legacy", 60)});
        std::fs::write(&path, old.to_string()).unwrap();
        let s = again.load("doudian:1").await.unwrap().unwrap();
        assert_eq!((s.token.access_token.expose(), s.version), ("legacy", 1));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The token file is its owner's alone (0600), and a save leaves no temporary file behind.
    #[cfg(unix)]
    #[tokio::test]
    async fn the_token_file_is_readable_by_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("shop-api-mode-{}", std::process::id()));
        let path = dir.join("tokens.json");
        let store = JsonFileStore::new(&path);
        store
            .save("a", &token("one", 60), Expect::Any)
            .await
            .unwrap();
        store
            .save("a", &token("two", 60), Expect::Any)
            .await
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n == "tokens.json" || n == "tokens.json.lock"),
            "{names:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn memory_and_file_stores_keep_the_store_contract() {
        check_store(&MemoryStore::new(), "test:").await.unwrap();
        let dir = std::env::temp_dir().join(format!("shop-api-contract-{}", std::process::id()));
        check_store(&JsonFileStore::new(dir.join("t.json")), "test:")
            .await
            .unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_waiter_reads_the_token_another_holder_saved() {
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        store
            .save("k", &token("old", -1), Expect::Any)
            .await
            .unwrap();
        // Another process holds the lease, then saves a new token.
        assert!(
            store
                .lease("k", "other", Duration::from_secs(5))
                .await
                .unwrap()
        );
        let m = TokenManager::new(store.clone(), Duration::from_secs(60));
        let s2 = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s2.save("k", &token("theirs", 3600), Expect::Version(1))
                .await
                .unwrap();
            s2.release("k", "other").await.unwrap();
        });
        let t = m
            .get("k", None, |_| async {
                panic!("the lease holder refreshes, not this one")
            })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "theirs");
    }

    #[tokio::test]
    async fn a_lapsed_lease_of_a_dead_holder_is_taken_over() {
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        store
            .save("k", &token("old", -1), Expect::Any)
            .await
            .unwrap();
        assert!(
            store
                .lease("k", "dead", Duration::from_millis(200))
                .await
                .unwrap()
        );
        let m = TokenManager::new(store.clone(), Duration::from_secs(60))
            .with_lease(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let t = m
            .get("k", None, |_| async { Ok(token("mine", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.access_token.expose(), "mine");
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(store.load("k").await.unwrap().unwrap().version, 2);
    }
}
