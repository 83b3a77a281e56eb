//! The PostgreSQL store (feature `postgres`): one table, a row per key holding the token, its
//! version and the refresh lease, timed by the server's clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{
    BoxFuture, Expect, StoreOptions, Stored, Token, TokenStore, store_error, store_failure,
};
use crate::{Error, Result};

/// Tokens in a PostgreSQL table, shared by every process and machine that connects to it.
///
/// The table (created if missing):
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS shop_api_tokens (
///     key          text PRIMARY KEY,     -- <platform>:<environment>:<app key>:<owner>
///     token        text,                 -- the token as JSON; NULL on a row that holds only a lease or whose token was deleted (its version stays)
///     version      bigint NOT NULL DEFAULT 0,
///     lease_holder text,
///     lease_until  timestamptz,
///     updated_at   timestamptz NOT NULL DEFAULT now()
/// );
/// ```
///
/// A save is a compare-and-swap on `version`; a refresh lease is an upsert that succeeds only
/// when the row's lease has lapsed (by the server's clock, so machines' clocks need not agree).
///
/// Calls share a few connections ([`StoreOptions::connections`], 4 by default), each made again
/// when it drops. Every call, connecting included, has a time limit ([`StoreOptions::timeout`],
/// 5 s by default): a server that stops answering fails calls with [`Error::Store`] (a retryable
/// outage) instead of stalling them, and the connection that hung is dropped. The table is
/// created under an advisory lock, so a fleet starting together on a fresh database creates it
/// once. `sslmode=require` in the URL connects over TLS and verifies the server's certificate
/// and name (as libpq's `verify-full`); `disable` and `prefer` (the default) connect in clear.
pub struct PostgresStore {
    config: tokio_postgres::Config,
    #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
    tls: Option<super::pg_tls::MakeTls>,
    table: String,
    describe: String,
    timeout: Duration,
    connections: Box<[tokio::sync::Mutex<Option<tokio_postgres::Client>>]>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl PostgresStore {
    /// The default table.
    pub const TABLE: &'static str = "shop_api_tokens";

    /// Connect to `url` (`postgres://user:password@host:port/db` or `host=.. user=..`) and
    /// create the table [`Self::TABLE`] if it is missing.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, Self::TABLE, &StoreOptions::default()).await
    }

    /// The same with a table of your naming (letters, digits and `_`).
    pub async fn connect_table(url: &str, table: &str) -> Result<Self> {
        Self::connect_with(url, table, &StoreOptions::default()).await
    }

    /// The same with a table of your naming and `options` (TLS roots, time limit, connections).
    pub async fn connect_with(url: &str, table: &str, options: &StoreOptions) -> Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| store_error("PostgreSQL", format!("the URL does not parse: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.timeout);
        }
        if table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(store_error(
                "PostgreSQL",
                format!("`{table}` is not a plain table name"),
            ));
        }
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
            .map(|(h, p)| match h {
                tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let require_tls = matches!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        let describe = format!(
            "PostgreSQL {}/{} table {table}{}",
            hosts.join(","),
            config.get_dbname().unwrap_or_default(),
            if require_tls { " (TLS)" } else { "" }
        );
        #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
        let tls = if require_tls {
            Some(
                super::pg_tls::MakeTls::new(&options.root_certificates)
                    .map_err(|e| store_error(&describe, e))?,
            )
        } else {
            // `prefer` is taken as `disable`: a certificate that cannot be verified (a
            // package's self-signed default) must not fail a connection that asked for no TLS.
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            None
        };
        #[cfg(not(any(feature = "rustls-tls", feature = "native-tls")))]
        if require_tls {
            return Err(store_error(
                &describe,
                "sslmode=require, but shop-api-runtime is built without TLS (features `rustls-tls` or `native-tls`)",
            ));
        } else {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        let store = PostgresStore {
            config,
            #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
            tls,
            table: table.to_owned(),
            describe,
            timeout: options.timeout,
            connections: (0..options.connections.max(1))
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            next: AtomicUsize::new(0),
        };
        store.create_table().await?;
        Ok(store)
    }

    /// Create the table if it is missing, once however many processes start together: under a
    /// transaction-scoped advisory lock named after the table (a bare `CREATE TABLE IF NOT
    /// EXISTS` racing another fails on the catalogue's unique index).
    async fn create_table(&self) -> Result<()> {
        // FNV-1a of the table name: the same lock in every process, a key of its own per table.
        let lock = self.table.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }) as i64;
        let sql = format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock({lock});
             CREATE TABLE IF NOT EXISTS {t} (
                key text PRIMARY KEY,
                token text,
                version bigint NOT NULL DEFAULT 0,
                lease_holder text,
                lease_until timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now());
             COMMIT;",
            t = self.table
        );
        self.batch(&sql).await
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        store_error(&self.describe, e)
    }

    /// The store client's error `e`, kept as the source.
    fn failed(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        store_failure(&self.describe, "", e)
    }

    /// The server's or the client's error `e`, kept as the source; the server's message and
    /// SQLSTATE code are said (tokio-postgres's own text is only `db error`).
    fn db_failed(&self, e: tokio_postgres::Error) -> Error {
        let said = e
            .as_db_error()
            .map(|db| format!("{} (SQLSTATE {})", db.message(), db.code().code()))
            .unwrap_or_default();
        store_failure(&self.describe, &said, e)
    }

    /// A free connection (the first of the pool that is not busy, else the next in turn),
    /// made first when there is none or it dropped.
    async fn connection(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<tokio_postgres::Client>>> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let free = (0..n).find_map(|i| self.connections[(start + i) % n].try_lock().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => self.connections[start].lock().await,
        };
        if slot.as_ref().is_none_or(tokio_postgres::Client::is_closed) {
            *slot = None;
            let client = tokio::time::timeout(self.timeout, self.open())
                .await
                .map_err(|_| {
                    self.fail(format!(
                        "cannot connect: no answer within {:?}",
                        self.timeout
                    ))
                })??;
            *slot = Some(client);
        }
        Ok(slot)
    }

    /// A new connection, its driver spawned.
    async fn open(&self) -> Result<tokio_postgres::Client> {
        let cannot = |e| store_failure(&self.describe, "cannot connect", e);
        #[cfg(any(feature = "rustls-tls", feature = "native-tls"))]
        if let Some(tls) = &self.tls {
            let (client, connection) = self.config.connect(tls.clone()).await.map_err(cannot)?;
            tokio::spawn(drive(connection));
            return Ok(client);
        }
        let (client, connection) = self
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(cannot)?;
        tokio::spawn(drive(connection));
        Ok(client)
    }

    /// The outcome of a call that had the time limit: a connection that timed out is dropped
    /// (it may be stuck mid-answer), so the next call connects afresh.
    fn timed<T>(
        &self,
        slot: &mut Option<tokio_postgres::Client>,
        outcome: std::result::Result<
            std::result::Result<T, tokio_postgres::Error>,
            tokio::time::error::Elapsed,
        >,
    ) -> Result<T> {
        match outcome {
            Ok(result) => result.map_err(|e| self.db_failed(e)),
            Err(_) => {
                *slot = None;
                Err(self.fail(format!("no answer within {:?}", self.timeout)))
            }
        }
    }

    /// Run `sql` (`{t}` standing for the table) for at most one row.
    pub(crate) async fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let sql = sql.replace("{t}", &self.table);
        let mut slot = self.connection().await?;
        let client = slot.as_ref().ok_or_else(|| self.fail("not connected"))?;
        let outcome = tokio::time::timeout(self.timeout, client.query_opt(&sql, params)).await;
        self.timed(&mut slot, outcome)
    }

    /// Run `sql` (`{t}` standing for the table) for its rows.
    pub(crate) async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let sql = sql.replace("{t}", &self.table);
        let mut slot = self.connection().await?;
        let client = slot.as_ref().ok_or_else(|| self.fail("not connected"))?;
        let outcome = tokio::time::timeout(self.timeout, client.query(&sql, params)).await;
        self.timed(&mut slot, outcome)
    }

    /// Run `sql` (statements separated by `;`, no parameters).
    async fn batch(&self, sql: &str) -> Result<()> {
        let mut slot = self.connection().await?;
        let client = slot.as_ref().ok_or_else(|| self.fail("not connected"))?;
        let outcome = tokio::time::timeout(self.timeout, client.batch_execute(sql)).await;
        self.timed(&mut slot, outcome)
    }
}

/// Drive a connection until it ends.
async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "a PostgreSQL token store connection ended");
    }
}

fn decode(store: &PostgresStore, text: &str, version: i64) -> Result<Stored> {
    let token: Token = serde_json::from_str(text)
        .map_err(|e| store.fail(format!("a stored token does not decode: {e}")))?;
    Ok(Stored {
        token,
        version: version as u64,
    })
}

impl TokenStore for PostgresStore {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        Box::pin(async move {
            let row = self
                .query_opt(
                    "SELECT token, version FROM {t} WHERE key = $1 AND token IS NOT NULL",
                    &[&key],
                )
                .await?;
            row.map(|r| decode(self, r.get::<_, &str>(0), r.get(1)))
                .transpose()
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
            // Any: an upsert. Version 0: an insert, or an update of a row that holds only a
            // lease. Version n: an update of the row at version n.
            let row = match expect {
                Expect::Any => {
                    self.query_opt(
                        "INSERT INTO {t} AS cur (key, token, version) VALUES ($1, $2, 1)
                         ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token,
                           version = cur.version + 1, updated_at = now()
                         RETURNING version",
                        &[&key, &text],
                    )
                    .await?
                }
                Expect::Version(0) => {
                    self.query_opt(
                        "INSERT INTO {t} AS cur (key, token, version) VALUES ($1, $2, 1)
                         ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token,
                           version = cur.version + 1, updated_at = now()
                         WHERE cur.token IS NULL
                         RETURNING version",
                        &[&key, &text],
                    )
                    .await?
                }
                Expect::Version(v) => {
                    self.query_opt(
                        "UPDATE {t} SET token = $2, version = version + 1, updated_at = now()
                         WHERE key = $1 AND version = $3 AND token IS NOT NULL RETURNING version",
                        &[&key, &text, &(v as i64)],
                    )
                    .await?
                }
            };
            Ok(row.map(|r| r.get::<_, i64>(0) as u64))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let row = self
                .query_opt(
                    // the row stays, with its version: versions only grow per key
                    "UPDATE {t} SET token = NULL, updated_at = now()
                     WHERE key = $1 AND token IS NOT NULL RETURNING key",
                    &[&key],
                )
                .await?;
            Ok(row.is_some())
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(async move {
            let rows = self
                .query(
                    "SELECT key FROM {t} WHERE token IS NOT NULL AND starts_with(key, $1) ORDER BY key",
                    &[&prefix],
                )
                .await?;
            Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
        })
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let row = self
                .query_opt(
                    "INSERT INTO {t} AS cur (key, version, lease_holder, lease_until)
                     VALUES ($1, 0, $2, now() + make_interval(secs => $3))
                     ON CONFLICT (key) DO UPDATE SET lease_holder = EXCLUDED.lease_holder,
                       lease_until = EXCLUDED.lease_until
                     WHERE cur.lease_until IS NULL OR cur.lease_until < now()
                       OR cur.lease_holder = EXCLUDED.lease_holder
                     RETURNING key",
                    &[&key, &holder, &ttl.as_secs_f64()],
                )
                .await?;
            Ok(row.is_some())
        })
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.query(
                "UPDATE {t} SET lease_holder = NULL, lease_until = NULL
                 WHERE key = $1 AND lease_holder = $2",
                &[&key, &holder],
            )
            .await
            .map(|_| ())
        })
    }
}
