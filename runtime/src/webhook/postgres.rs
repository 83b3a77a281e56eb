//! Claims on PostgreSQL (feature `postgres`): a row per event id, claimed with an upsert that
//! takes only a lapsed row.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::types::ToSql;

use super::claims::{Claim, Claims, holder_name};
use crate::token::{BoxFuture, PostgresStore, store_error};
use crate::{Error, Result};

/// Webhook claims in a PostgreSQL table, shared by every receiver that connects to the database.
/// Built on a [`PostgresStore`] (its connections, time limits and TLS), in a table of their own
/// (created if missing):
///
/// ```sql
/// CREATE TABLE IF NOT EXISTS shop_api_webhooks (
///     id         text PRIMARY KEY,          -- the event id, as the receiver names it
///     holder     text NOT NULL,             -- the store (process) that claimed it or handled it
///     done       boolean NOT NULL DEFAULT false,
///     claimed_at timestamptz NOT NULL DEFAULT now(),
///     expires_at timestamptz NOT NULL       -- when the claim, or the done mark, lapses
/// );
/// ```
///
/// A claim is `INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE expires_at <= now() RETURNING`:
/// of receivers racing for one id exactly one gets the row, and a claim whose holder died is
/// taken again once it lapsed, by the server's clock. The table is created under a
/// transaction-scoped advisory lock, so a fleet starting together creates it once. Lapsed rows
/// are deleted now and then ([`PostgresClaims::purge`]).
pub struct PostgresClaims {
    store: Arc<PostgresStore>,
    table: String,
    holder: String,
    describe: String,
    marks: AtomicU64,
}

impl std::fmt::Debug for PostgresClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

/// Lapsed rows are purged after every this many done marks of one store.
const PURGE_EVERY: u64 = 1000;

impl PostgresClaims {
    /// The default table.
    pub const TABLE: &'static str = "shop_api_webhooks";

    /// Connect to `url` (as [`PostgresStore::connect`], which also creates the token table
    /// `shop_api_tokens` if it is missing) and create [`Self::TABLE`] if it is missing.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::on_store(Arc::new(PostgresStore::connect(url).await?)).await
    }

    /// Claims on the connections of a token store, in [`Self::TABLE`] (created if missing).
    pub async fn on_store(store: Arc<PostgresStore>) -> Result<Self> {
        Self::on_store_table(store, Self::TABLE).await
    }

    /// The same in a table of your naming (letters, digits and `_`).
    pub async fn on_store_table(store: Arc<PostgresStore>, table: &str) -> Result<Self> {
        let describe = format!("{store:?}; webhook claims in table {table}");
        if table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(store_error(
                &describe,
                format!("`{table}` is not a plain table name"),
            ));
        }
        let claims = PostgresClaims {
            store,
            table: table.to_owned(),
            holder: holder_name(),
            describe,
            marks: AtomicU64::new(0),
        };
        claims.create_table().await?;
        Ok(claims)
    }

    /// Create the table if it is missing, in one transaction (a `DO` block) holding an advisory
    /// lock named after the table: a bare `CREATE TABLE IF NOT EXISTS` racing another fails on
    /// the catalogue's unique index.
    async fn create_table(&self) -> Result<()> {
        // FNV-1a of the purpose and the table: the same lock in every process.
        let lock = format!("shop-api webhook claims {}", self.table)
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }) as i64;
        let t = &self.table;
        self.run(
            &format!(
                "DO $$
                 BEGIN
                   PERFORM pg_advisory_xact_lock({lock});
                   CREATE TABLE IF NOT EXISTS {t} (
                     id text PRIMARY KEY,
                     holder text NOT NULL,
                     done boolean NOT NULL DEFAULT false,
                     claimed_at timestamptz NOT NULL DEFAULT now(),
                     expires_at timestamptz NOT NULL);
                   CREATE INDEX IF NOT EXISTS {t}_expires_at ON {t} (expires_at);
                 END
                 $$"
            ),
            &[],
        )
        .await
        .map(|_| ())
    }

    /// Delete the rows whose claim or done mark lapsed; how many. Done now and then by the store
    /// itself; call it from a timer of your own to keep the table small under heavy traffic.
    pub async fn purge(&self) -> Result<u64> {
        let t = &self.table;
        let rows = self
            .run(
                &format!(
                    "WITH gone AS (DELETE FROM {t} WHERE expires_at <= now() RETURNING 1)
                     SELECT count(*) FROM gone"
                ),
                &[],
            )
            .await?;
        Ok(rows
            .first()
            .map_or(0, |r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
    }

    /// Run `sql` on the store's connections; a failure names these claims, not the token table.
    async fn run(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>> {
        self.store.query(sql, params).await.map_err(|e| match e {
            Error::Store {
                message, source, ..
            } => Error::Store {
                store: self.describe.clone(),
                message,
                source,
            },
            other => other,
        })
    }
}

/// Seconds of `d` for `make_interval`, at most ten years (an interval has limits of its own).
fn secs(d: Duration) -> f64 {
    d.as_secs_f64().min(10.0 * 365.0 * 86_400.0)
}

impl Claims for PostgresClaims {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn claim<'a>(&'a self, id: &'a str, hold: Duration) -> BoxFuture<'a, Result<Claim>> {
        Box::pin(async move {
            let t = &self.table;
            let taken = self
                .run(
                    &format!(
                        "INSERT INTO {t} AS cur (id, holder, expires_at)
                         VALUES ($1, $2, now() + make_interval(secs => $3))
                         ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, done = false,
                           claimed_at = now(), expires_at = EXCLUDED.expires_at
                         WHERE cur.expires_at <= now()
                         RETURNING id"
                    ),
                    &[&id, &self.holder, &secs(hold)],
                )
                .await?;
            if !taken.is_empty() {
                return Ok(Claim::Mine);
            }
            let found = self
                .run(
                    &format!("SELECT done FROM {t} WHERE id = $1 AND expires_at > now()"),
                    &[&id],
                )
                .await?;
            // No row: the other claim lapsed just now; the platform's next copy will take it.
            Ok(match found.first() {
                Some(row) if row.get::<_, bool>(0) => Claim::Done,
                _ => Claim::Busy,
            })
        })
    }

    fn release<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let t = &self.table;
            self.run(
                &format!("DELETE FROM {t} WHERE id = $1 AND holder = $2 AND NOT done"),
                &[&id, &self.holder],
            )
            .await
            .map(|_| ())
        })
    }

    fn done<'a>(&'a self, id: &'a str, keep: Duration) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let t = &self.table;
            self.run(
                &format!(
                    "INSERT INTO {t} AS cur (id, holder, done, expires_at)
                     VALUES ($1, $2, true, now() + make_interval(secs => $3))
                     ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, done = true,
                       expires_at = EXCLUDED.expires_at"
                ),
                &[&id, &self.holder, &secs(keep)],
            )
            .await?;
            if self.marks.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
                if let Err(e) = self.purge().await {
                    tracing::warn!(error = %e, "lapsed webhook claims could not be purged");
                }
            }
            Ok(())
        })
    }
}
