//! The Redis store (feature `redis`): a hash per token, a `SET NX PX` lease per refresh, scripts
//! for the compare-and-swap.

use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{
    BoxFuture, Expect, StoreOptions, Stored, Token, TokenStore, store_error, store_failure,
};
use crate::{Error, Result};

/// Tokens in Redis, shared by every process and machine that connects to it.
///
/// Key layout, under a prefix (default `shop-api:`):
///
/// | key | type | holds |
/// | --- | --- | --- |
/// | `<prefix>token:<key>` | hash | `token` (JSON), `version` (kept when the token is deleted) |
/// | `<prefix>lease:<key>` | string | the lease holder, with a time to live (`SET NX PX`) |
/// | `<prefix>keys` | set | every token key, for [`TokenStore::list`] |
///
/// A save is a script that compares the version and writes; a lease is `SET NX PX`, taken again
/// by its own holder and given back by a script that deletes it only for that holder. Leases
/// lapse by Redis's clock. The connection is made again when it drops.
#[derive(Clone)]
pub struct RedisStore {
    con: ConnectionManager,
    prefix: String,
    describe: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

static SAVE: Lua = Lua(
    r"
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local held = redis.call('HEXISTS', KEYS[1], 'token') == 1
local seen = 0
if held then seen = v end
if ARGV[2] ~= 'any' and tonumber(ARGV[2]) ~= seen then return -1 end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'version', v + 1)
redis.call('SADD', KEYS[2], ARGV[3])
return v + 1
",
    std::sync::OnceLock::new(),
);

static DELETE: Lua = Lua(
    r"
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], 'token')
",
    std::sync::OnceLock::new(),
);

static LEASE: Lua = Lua(
    r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
",
    std::sync::OnceLock::new(),
);

static RELEASE: Lua = Lua(
    r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    std::sync::OnceLock::new(),
);

/// A reconnecting connection to `url`, and `Redis <address> <what>` naming it in errors.
pub(crate) async fn connect(url: &str, what: &str) -> Result<(ConnectionManager, String)> {
    connect_with(url, what, &StoreOptions::default()).await
}

/// A reconnecting connection to `url` with `options` (TLS roots, time limit), and its
/// description (`Redis <addr> <what>`).
pub(crate) async fn connect_with(
    url: &str,
    what: &str,
    options: &StoreOptions,
) -> Result<(ConnectionManager, String)> {
    let parse = |e: redis::RedisError| store_error("Redis", format!("the URL does not parse: {e}"));
    let client = if options.root_certificates.is_empty() {
        redis::Client::open(url).map_err(parse)?
    } else {
        with_roots(url, options).map_err(parse)?
    };
    let describe = format!("Redis {} {what}", client.get_connection_info().addr());
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(options.timeout))
        .set_response_timeout(Some(options.timeout))
        .set_number_of_retries(2);
    let con = ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| store_failure(&describe, "cannot connect", e))?;
    Ok((con, describe))
}

/// A client of `url` that trusts the given roots (rustls only: native-tls trusts the system's).
#[cfg(feature = "rustls-tls")]
fn with_roots(url: &str, options: &StoreOptions) -> redis::RedisResult<redis::Client> {
    redis::Client::build_with_tls(
        url,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(options.root_certificates.concat()),
        },
    )
}

/// A client of `url` that trusts the given roots (rustls only: native-tls trusts the system's).
#[cfg(not(feature = "rustls-tls"))]
fn with_roots(_url: &str, _options: &StoreOptions) -> redis::RedisResult<redis::Client> {
    Err(redis::RedisError::from((
        redis::ErrorKind::InvalidClientConfig,
        "root certificates of your own need the `rustls-tls` feature; with `native-tls`, add the CA to the system's store",
    )))
}

/// A script's source, its SHA-1 computed once (`EVALSHA`, falling back to `EVAL`).
struct Lua(&'static str, std::sync::OnceLock<redis::Script>);

impl Lua {
    fn script(&self) -> &redis::Script {
        self.1.get_or_init(|| redis::Script::new(self.0))
    }
}

impl RedisStore {
    /// The default key prefix.
    pub const PREFIX: &'static str = "shop-api:";

    /// Connect to `url` (`redis://host:port/db`; `rediss://` for TLS, which verifies the
    /// server's certificate and name).
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_prefix(url, Self::PREFIX).await
    }

    /// The same with keys under `prefix`.
    pub async fn connect_prefix(url: &str, prefix: &str) -> Result<Self> {
        Self::connect_with(url, prefix, &StoreOptions::default()).await
    }

    /// The same with keys under `prefix` and `options` (TLS roots, time limit).
    pub async fn connect_with(url: &str, prefix: &str, options: &StoreOptions) -> Result<Self> {
        let (con, describe) = connect_with(url, &format!("(keys {prefix}*)"), options).await?;
        Ok(RedisStore {
            con,
            prefix: prefix.to_owned(),
            describe,
        })
    }

    /// Its connection and key prefix, for the webhook claims that share them.
    pub(crate) fn connection(&self) -> (ConnectionManager, &str) {
        (self.con.clone(), &self.prefix)
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        store_error(&self.describe, e)
    }

    /// The store client's error `e`, kept as the source.
    fn failed(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        store_failure(&self.describe, "", e)
    }

    fn token_key(&self, key: &str) -> String {
        format!("{}token:{key}", self.prefix)
    }

    fn lease_key(&self, key: &str) -> String {
        format!("{}lease:{key}", self.prefix)
    }

    fn index_key(&self) -> String {
        format!("{}keys", self.prefix)
    }
}

impl TokenStore for RedisStore {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let (token, version): (Option<String>, Option<u64>) = redis::cmd("HMGET")
                .arg(self.token_key(key))
                .arg("token")
                .arg("version")
                .query_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            let (Some(text), Some(version)) = (token, version) else {
                return Ok(None);
            };
            let token: Token = serde_json::from_str(&text)
                .map_err(|e| self.fail(format!("a stored token does not decode: {e}")))?;
            Ok(Some(Stored { token, version }))
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Token,
        expect: Expect,
    ) -> BoxFuture<'a, Result<Option<u64>>> {
        Box::pin(async move {
            let text = serde_json::to_string(token).map_err(|e| self.failed(e))?;
            let expect = match expect {
                Expect::Any => "any".to_owned(),
                Expect::Version(v) => v.to_string(),
            };
            let mut con = self.con.clone();
            let v: i64 = SAVE
                .script()
                .key(self.token_key(key))
                .key(self.index_key())
                .arg(text)
                .arg(expect)
                .arg(key)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok((v > 0).then_some(v as u64))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let n: i64 = DELETE
                .script()
                .key(self.token_key(key))
                .key(self.index_key())
                .arg(key)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(n > 0)
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let mut keys: Vec<String> = redis::cmd("SMEMBERS")
                .arg(self.index_key())
                .query_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            keys.retain(|k| k.starts_with(prefix));
            keys.sort();
            Ok(keys)
        })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let got: i64 = LEASE
                .script()
                .key(self.lease_key(key))
                .arg(holder)
                .arg(ttl.as_millis().max(1) as u64)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(got == 1)
        })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let _: i64 = RELEASE
                .script()
                .key(self.lease_key(key))
                .arg(holder)
                .invoke_async(&mut con)
                .await
                .map_err(|e| self.failed(e))?;
            Ok(())
        })
    }
}
