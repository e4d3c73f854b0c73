//! The embedded store: one SQLite file, WAL mode, migrations from `migrations/sqlite`.
//!
//! One file per concern: `read.rs` (layers, households, counts), `incidents.rs`
//! (incidents, their timelines, lists and counts), `write.rs`
//! (imports, village assignment), `grids.rs` (the grid write), `log.rs` (the change log
//! and settings), `versions.rs` (named versions of a village's plan). This folder is the
//! only place with SQLite SQL.

mod cameras;
mod field;
mod grids;
mod incidents;
mod log;
mod read;
mod rows;
mod versions;
mod write;

use crate::error::{DbStep, StoreError, StoreResult};
use crate::{Maintenance, OpenMode};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A SQLite-backed store (cheap to clone: it is two connection pools).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers (and the checkpoints and backups, which only read).
    pool: SqlitePool,
    /// The one connection that writes. SQLite has one writer at a time anyway: writers
    /// waiting here wait in a fair queue without a connection, so a burst of writes
    /// (audited reads, edits) never takes the readers' connections while it waits
    /// on the lock. For `:memory:` the same pool as `pool` (one connection).
    writer: SqlitePool,
    /// Audit entries gathered into one write (group commit).
    audit: Arc<crate::audit_queue::AuditQueue>,
    /// The checkpoint running off the writer's connection, if any (see
    /// [`SqliteStore::checkpoint_in_background`]).
    background_checkpoint: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl SqliteStore {
    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock at once, so a write
    /// that reads before it writes (version checks, before-states) waits for another
    /// writer (the busy timeout) instead of failing with SQLITE_BUSY once that writer
    /// has committed (a deferred read cannot upgrade past a newer commit in WAL mode).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// The access tables' writes are ordinary writes here (one writer at a time).
    async fn begin_access_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_write().await
    }

    fn access_pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn audit_queue(&self) -> &crate::audit_queue::AuditQueue {
        &self.audit
    }

    fn after_access_write(&self) {
        self.checkpoint_in_background();
    }

    /// Opens the store file at `path` (`:memory:` for a throwaway store), creating it
    /// only with [`OpenMode::Create`], and runs pending migrations.
    pub async fn open(path: &str, mode: OpenMode) -> StoreResult<SqliteStore> {
        let in_memory = path == ":memory:";
        if mode == OpenMode::Existing && !in_memory && !Path::new(path).is_file() {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .map_err(open_err)?
            .create_if_missing(mode == OpenMode::Create)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // NORMAL is durable at transaction boundaries in WAL mode: a crash loses at most
            // the last commit, never leaves a half-written one.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .pragma("cache_size", "-65536")
            // No checkpoint inside a writer's commit: a large commit would copy the whole
            // log into the file on the writer's thread while the next write waits. Every
            // commit path checkpoints itself, in line or in the background.
            .pragma("wal_autocheckpoint", "0")
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(release_writer(conn)))
            .connect_with(options.clone())
            .await
            .map_err(open_err)?;
        MIGRATOR.run(&writer).await.map_err(StoreError::Migrate)?;
        // An in-memory database lives in one connection.
        let pool = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await
                .map_err(open_err)?
        };
        Ok(SqliteStore {
            pool,
            writer,
            audit: Arc::default(),
            background_checkpoint: Arc::default(),
        })
    }

    /// Copies committed pages from the WAL into the main file, so the file alone holds
    /// every commit (PASSIVE: never waits for readers).
    async fn checkpoint(&self) -> StoreResult<()> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await
            .step("checkpointing the write-ahead log")?;
        Ok(())
    }

    /// Starts a PASSIVE checkpoint on another connection unless one is running, and
    /// returns at once: for frequent writes (incidents), whose writer goes on with the
    /// next transaction while the log is copied. A checkpoint missed here is made by
    /// the next write's, or by [`Maintenance::close`].
    fn checkpoint_in_background(&self) {
        let mut running = self
            .background_checkpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.as_ref().is_some_and(|task| !task.is_finished()) {
            return;
        }
        let store = self.clone();
        *running = Some(tokio::spawn(async move {
            if let Err(e) = store.checkpoint().await {
                // The log stays longer; nothing is lost.
                tracing::debug!("background checkpoint: {e}");
            }
        }));
    }
}

/// Whether the writer's connection may go back to its pool (else it is closed and the
/// pool opens another). A request dropped in the middle of `BEGIN IMMEDIATE` (its client
/// went away after the statement ran, before sqlx made the transaction that would roll
/// it back) leaves the connection in a transaction nobody holds; every later write would
/// then fail with "begin_with at non-zero transaction depth" until the server restarts.
/// Closing it rolls that transaction back.
async fn release_writer(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if conn.is_in_transaction() {
        // A dropped transaction's rollback is queued on the connection: the ping comes
        // back after it.
        conn.ping().await?;
    }
    let leaked = conn.is_in_transaction();
    if leaked {
        tracing::warn!("the store's writer connection was left in a transaction; closing it");
    }
    Ok(!leaked)
}

/// Tiles of this store are drawn in memory.
impl crate::TileStore for SqliteStore {}

#[async_trait]
impl Maintenance for SqliteStore {
    async fn backup(&self, to: &Path) -> StoreResult<()> {
        if to.exists() {
            return Err(StoreError::Exists {
                path: to.display().to_string(),
            });
        }
        // VACUUM INTO writes a consistent, compacted copy from one read transaction.
        sqlx::query("VACUUM INTO ?1")
            .bind(to.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await
            .step("writing the backup")?;
        Ok(())
    }

    async fn close(&self) -> StoreResult<()> {
        let running = self
            .background_checkpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = running {
            // Finished or not, the TRUNCATE below copies what it left.
            let _ = task.await;
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .step("checkpointing the write-ahead log")?;
        self.pool.close().await;
        self.writer.close().await;
        Ok(())
    }
}

crate::access_sql::sql_access_store!(SqliteStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_transaction_left_open_on_the_writer_does_not_stop_later_writes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            &dir.path().join("t.db").display().to_string(),
            OpenMode::Create,
        )
        .await
        .unwrap();
        {
            // What a request cancelled inside `begin_with` leaves: a transaction begun
            // on the connection that no `Transaction` will roll back.
            let mut conn = store.writer.acquire().await.unwrap();
            let open = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
                .await
                .unwrap();
            std::mem::forget(open);
        }
        for _ in 0..2 {
            let tx = store.begin_write().await;
            assert!(tx.is_ok(), "{:?}", tx.err().map(|e| e.to_string()));
            tx.unwrap().commit().await.unwrap();
        }
    }
}
