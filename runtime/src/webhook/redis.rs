//! Claims on Redis (feature `redis`): one key per event id, claimed with `SET NX PX`.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::claims::{Claim, Claims, holder_name};
use crate::token::{BoxFuture, RedisStore, redis_connect, store_failure};
use crate::{Error, Result};

/// Webhook claims in Redis, shared by every receiver that connects to it.
///
/// One key per event id, `<prefix>webhook:<id>` (prefix `shop-api:` by default, as the token
/// store's): a claim is `SET <key> <holder> NX PX <hold>`, so of receivers racing for one id
/// exactly one sets it; a done mark is `SET <key> done PX <keep>`; a release is a script that
/// deletes the key only while it holds this store's holder name. Keys lapse by Redis's clock.
/// The connection is made again when it drops; a Redis out of reach is an
/// [`Error::Store`](crate::Error::Store) naming it.
#[derive(Clone)]
pub struct RedisClaims {
    con: ConnectionManager,
    prefix: String,
    holder: String,
    describe: String,
}

impl std::fmt::Debug for RedisClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

/// The value of a key whose event was handled (a holder name is never this).
const DONE: &str = "done";

/// Claim: 1 when set, 2 when the key says done (`ARGV[3]`), 0 when another holder has it.
const CLAIM: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[3] then return 2 end
return 0
";

/// Release: delete the key only while it holds this holder's name.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// A script's SHA-1, computed once per process (`EVALSHA`, falling back to `EVAL`).
fn script(
    cell: &'static std::sync::OnceLock<redis::Script>,
    source: &str,
) -> &'static redis::Script {
    cell.get_or_init(|| redis::Script::new(source))
}

impl RedisClaims {
    /// Connect to `url` (`redis://host:port/db`), keys under [`RedisStore::PREFIX`].
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_prefix(url, RedisStore::PREFIX).await
    }

    /// The same with keys under `prefix`.
    pub async fn connect_prefix(url: &str, prefix: &str) -> Result<Self> {
        let (con, describe) =
            redis_connect(url, &format!("(webhook claims, keys {prefix}webhook:*)")).await?;
        Ok(Self::new(con, prefix, describe))
    }

    /// Claims on the connection of a token store, keys under its prefix: no connection of their
    /// own.
    pub fn on_store(store: &RedisStore) -> Self {
        let (con, prefix) = store.connection();
        let describe = format!("{store:?}, webhook claims {prefix}webhook:*");
        Self::new(con, prefix, describe)
    }

    fn new(con: ConnectionManager, prefix: &str, describe: String) -> Self {
        RedisClaims {
            con,
            prefix: prefix.to_owned(),
            holder: holder_name(),
            describe,
        }
    }

    fn key(&self, id: &str) -> String {
        format!("{}webhook:{id}", self.prefix)
    }

    fn failed(&self, e: redis::RedisError) -> Error {
        store_failure(&self.describe, "", e)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl Claims for RedisClaims {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn claim<'a>(&'a self, id: &'a str, hold: Duration) -> BoxFuture<'a, Result<Claim>> {
        Box::pin(async move {
            static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
            let mut con = self.con.clone();
            let found: i64 = script(&SCRIPT, CLAIM)
                .key(self.key(id))
                .arg(&self.holder)
                .arg(millis(hold))
                .arg(DONE)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(match found {
                1 => Claim::Mine,
                2 => Claim::Done,
                _ => Claim::Busy,
            })
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            static SCRIPT: std::sync::OnceLock<redis::Script> = std::sync::OnceLock::new();
            let mut con = self.con.clone();
            let _: i64 = script(&SCRIPT, RELEASE)
                .key(self.key(id))
                .arg(&self.holder)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(())
        })
    }

    fn done<'a>(&'a self, id: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let _: () = redis::cmd("SET")
                .arg(self.key(id))
                .arg(DONE)
                .arg("PX")
                .arg(millis(keep))
                .query_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(())
        })
    }
}
