//! Tokens: one [`Token`] type, one [`TokenStore`] trait (in memory or a JSON file), and the
//! [`TokenManager`] every platform client uses to refresh ahead of expiry, exactly once under
//! concurrency.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Error, Result, Secret, unix_now};

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

/// Where tokens are kept, by key (`doudian:<shop_id>`, `tiktok:<open_id>`, `douyin:client`).
pub trait TokenStore: Send + Sync + 'static {
    /// The token under `key`, if any.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Token>>>;
    /// Keep `token` under `key`.
    fn save<'a>(&'a self, key: &'a str, token: &'a Token) -> BoxFuture<'a, Result<()>>;
}

impl std::fmt::Debug for dyn TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenStore")
    }
}

/// Tokens in memory: lost when the process ends.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<String, Token>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Token>>> {
        let t = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        Box::pin(async move { Ok(t) })
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned(), token.clone());
        Box::pin(async { Ok(()) })
    }
}

/// Tokens in one JSON file, `{"<key>": {token}, ...}`.
///
/// Each save writes a temporary file beside it, syncs it and renames it over the old one, so a
/// crash mid-write leaves the previous file whole. A file that does not parse is an error naming
/// the file, never a silent reset that would lose every shop's token.
#[derive(Debug)]
pub struct JsonFileStore {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl JsonFileStore {
    /// A store kept in `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonFileStore {
            path: path.into(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&self) -> Result<BTreeMap<String, Token>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => {
                return Err(Error::Token(format!(
                    "cannot read the token file {}: {e}",
                    self.path.display()
                )));
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::Token(format!(
                "the token file {} is corrupt ({e}); fix or remove it, tokens were not reset",
                self.path.display()
            ))
        })
    }

    fn write_all(&self, all: &BTreeMap<String, Token>) -> Result<()> {
        use std::io::Write;
        let err = |e: std::io::Error| {
            Error::Token(format!(
                "cannot write the token file {}: {e}",
                self.path.display()
            ))
        };
        let text = serde_json::to_vec_pretty(all).map_err(|e| Error::Token(e.to_string()))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&text).and_then(|_| f.sync_all()).map_err(err)?;
        drop(f);
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            err(e)
        })
    }
}

impl TokenStore for JsonFileStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Token>>> {
        Box::pin(async move {
            let _g = self.lock.lock().await;
            Ok(self.read_all()?.remove(key))
        })
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a Token) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let _g = self.lock.lock().await;
            let mut all = self.read_all()?;
            all.insert(key.to_owned(), token.clone());
            self.write_all(&all)
        })
    }
}

/// Gets tokens from a store and refreshes them: ahead of expiry (by `margin`), or when a call
/// reports the token expired. Calls for one key are serialised, so however many tasks find a
/// token expired at once, exactly one refresh reaches the platform and the rest reuse its result.
pub struct TokenManager {
    store: Arc<dyn TokenStore>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    margin: Duration,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    /// A manager over `store` that refreshes tokens `margin` before they expire.
    pub fn new(store: Arc<dyn TokenStore>, margin: Duration) -> Self {
        TokenManager {
            store,
            locks: Mutex::new(HashMap::new()),
            margin,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone()
    }

    /// A fresh token for `key`. `stale` is a token a call just saw rejected as expired: it is
    /// refreshed even if its expiry says otherwise, unless another task already replaced it.
    /// `refresh` gets the current token (if any) and returns a new one, which is saved.
    pub async fn get<F, Fut>(&self, key: &str, stale: Option<&Secret>, refresh: F) -> Result<Token>
    where
        F: FnOnce(Option<Token>) -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        let lock = self.lock_for(key);
        let _guard = lock.lock().await;
        let current = self.store.load(key).await?;
        if let Some(t) = &current {
            let rejected = stale.is_some_and(|s| *s == t.access_token);
            if !rejected && t.is_fresh(self.margin) {
                return Ok(t.clone());
            }
        }
        let token = refresh(current).await?;
        self.store.save(key, &token).await?;
        tracing::debug!(key, expires_at = token.expires_at, "token refreshed");
        Ok(token)
    }

    /// Keep `token` under `key` (after a code exchange).
    pub async fn put(&self, key: &str, token: &Token) -> Result<()> {
        let lock = self.lock_for(key);
        let _guard = lock.lock().await;
        self.store.save(key, token).await
    }
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
        store.save("a", &token("one", 60)).await.unwrap();
        store.save("b", &token("two", 60)).await.unwrap();
        let again = JsonFileStore::new(&path);
        assert_eq!(
            again
                .load("a")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose(),
            "one"
        );
        // A crash between writing the temporary file and the rename leaves the old file whole.
        std::fs::write(path.with_extension("tmp999"), b"{half").unwrap();
        assert_eq!(
            again
                .load("b")
                .await
                .unwrap()
                .unwrap()
                .access_token
                .expose(),
            "two"
        );
        std::fs::write(&path, b"{not json").unwrap();
        let err = again.load("a").await.unwrap_err().to_string();
        assert!(
            err.contains("tokens.json") && err.contains("corrupt"),
            "{err}"
        );
        assert!(!err.contains("one"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
