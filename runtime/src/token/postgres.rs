//! The PostgreSQL store (feature `postgres`): one table, a row per key holding the token, its
//! version and the refresh lease, timed by the server's clock.

use std::time::Duration;

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{BoxFuture, Expect, Stored, Token, TokenStore, store_error, store_failure};
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
/// The connection is made again when it drops; an unreachable server is an error naming it.
pub struct PostgresStore {
    config: tokio_postgres::Config,
    table: String,
    describe: String,
    client: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
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
        Self::connect_table(url, Self::TABLE).await
    }

    /// The same with a table of your naming (letters, digits and `_`).
    pub async fn connect_table(url: &str, table: &str) -> Result<Self> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| store_error("PostgreSQL", format!("the URL does not parse: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
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
        let describe = format!(
            "PostgreSQL {}/{} table {table}",
            hosts.join(","),
            config.get_dbname().unwrap_or_default()
        );
        let store = PostgresStore {
            config,
            table: table.to_owned(),
            describe,
            client: tokio::sync::Mutex::new(None),
        };
        store
            .query(
                "CREATE TABLE IF NOT EXISTS {t} (
                    key text PRIMARY KEY,
                    token text,
                    version bigint NOT NULL DEFAULT 0,
                    lease_holder text,
                    lease_until timestamptz,
                    updated_at timestamptz NOT NULL DEFAULT now())",
                &[],
            )
            .await?;
        Ok(store)
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        store_error(&self.describe, e)
    }

    /// The store client's error `e`, kept as the source.
    fn failed(&self, e: impl std::error::Error + Send + Sync + 'static) -> Error {
        store_failure(&self.describe, "", e)
    }

    /// The connection, made first when there is none or it dropped.
    async fn client(&self) -> Result<tokio::sync::MutexGuard<'_, Option<tokio_postgres::Client>>> {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_none_or(tokio_postgres::Client::is_closed) {
            let (client, connection) = self
                .config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| store_failure(&self.describe, "cannot connect", e))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "the PostgreSQL token store's connection ended");
                }
            });
            *slot = Some(client);
        }
        Ok(slot)
    }

    /// Run `sql` (`{t}` standing for the table) for at most one row.
    async fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        let slot = self.client().await?;
        let client = slot.as_ref().ok_or_else(|| self.fail("not connected"))?;
        client
            .query_opt(&sql.replace("{t}", &self.table), params)
            .await
            .map_err(|e| self.failed(e))
    }

    /// Run `sql` (`{t}` standing for the table) for its rows.
    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let slot = self.client().await?;
        let client = slot.as_ref().ok_or_else(|| self.fail("not connected"))?;
        client
            .query(&sql.replace("{t}", &self.table), params)
            .await
            .map_err(|e| self.failed(e))
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
