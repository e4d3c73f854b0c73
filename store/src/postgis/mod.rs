//! The shared store: PostgreSQL 15 + PostGIS 3, migrations from `migrations/postgis`.
//! Several gridmap instances may use one database; every write is one transaction.
//!
//! One file per concern, as in the embedded store: `read.rs` (layers, households,
//! counts, records by key), `stage.rs` (bulk writes: binary `COPY` into a staging table,
//! then one merge), `write.rs` (imports, village assignment, restores), `grids.rs` (the
//! grid write), `log.rs` (the change log and settings), `incidents.rs`, `versions.rs`.
//! This folder is the only place with PostgreSQL SQL. Geometries travel as WKB both
//! ways (`ST_GeomFromWKB` in, `ST_AsBinary` out), never as text.

mod cameras;
mod field;
mod grids;
mod incidents;
mod log;
mod read;
mod stage;
mod tiles;
mod versions;
mod write;

use crate::error::{DbStep, StoreError, StoreResult};
use crate::{Maintenance, OpenMode};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgis");

/// The channel every committed change is announced on (payload: its id).
const CHANGE_CHANNEL: &str = "gridmap_changes";

/// The advisory lock key every writer takes (an arbitrary constant: "grid" in ASCII).
const WRITE_LOCK: i64 = 0x6772_6964;

/// How long PostGIS may draw one tile before the statement is cancelled (a tile that
/// slow is an overloaded database: better an error than a queue of stuck connections).
const TILE_TIMEOUT: &str = "5s";

/// Columns stored as PostGIS geometry: selected as WKB under their own name.
const GEOMETRY_COLUMNS: [&str; 4] = ["boundary", "footprint", "line", "polygon"];

/// Whether `table` holds no row (`step` says what a failure was doing).
async fn table_is_empty(
    conn: &mut PgConnection,
    table: &str,
    step: &'static str,
) -> StoreResult<bool> {
    sqlx::query_scalar(&format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"))
        .fetch_one(conn)
        .await
        .step(step)
}

/// `columns` (comma-separated) as a select list, geometry columns as WKB.
fn select(columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| {
            if GEOMETRY_COLUMNS.contains(&c) {
                format!("ST_AsBinary({c}) AS {c}")
            } else {
                c.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A PostGIS-backed store (cheap to clone: it is a connection pool).
#[derive(Debug, Clone)]
pub struct PostgisStore {
    pool: PgPool,
    /// Connections for tiles drawn by PostGIS: a statement timeout, no parallel workers
    /// (tiles come many at a time; see `tiles.rs`). Opened when first used.
    tiles: PgPool,
    /// The connection URL, for `pg_dump` (backups).
    url: String,
    /// Audit entries gathered into one write (group commit).
    audit: std::sync::Arc<crate::audit_queue::AuditQueue>,
}

impl PostgisStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`) and runs
    /// pending migrations. [`OpenMode::Existing`] refuses a database that has no gridmap
    /// schema yet (a mistyped database name must not read as an empty store);
    /// [`OpenMode::Replica`] too, and runs no migrations (a standby is read-only).
    pub async fn open(url: &str, mode: OpenMode) -> StoreResult<PostgisStore> {
        let shown = without_password(url);
        let open_err = |source| StoreError::Open {
            path: shown.clone(),
            source,
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| server_error(&shown, e))?
            .application_name("gridmap");
        let tiles = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(options.clone().options([
                ("statement_timeout", TILE_TIMEOUT),
                ("max_parallel_workers_per_gather", "0"),
            ]));
        // One connection first: a pool retries a refused connection until its timeout
        // and then reports only the timeout.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(|e| server_error(&shown, e))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(open_err)?;
        if mode != OpenMode::Create {
            let schema: Option<String> =
                sqlx::query_scalar("SELECT to_regclass('public.changes')::text")
                    .fetch_one(&pool)
                    .await
                    .step("looking for the gridmap schema")?;
            if schema.is_none() {
                return Err(StoreError::Missing { path: shown });
            }
        }
        // A replica is read-only and replays the primary's schema.
        if mode != OpenMode::Replica {
            MIGRATOR
                .run(&pool)
                .await
                .map_err(|e| migrate_error(&shown, e))?;
        }
        Ok(PostgisStore {
            pool,
            tiles,
            url: url.to_owned(),
            audit: std::sync::Arc::default(),
        })
    }

    /// A write transaction. Writers take one transaction-scoped advisory lock first, so
    /// writes queue as in the embedded store: a write that checks stored state (versions,
    /// before-states) cannot interleave with another instance's write between its check
    /// and its commit. Readers never wait for it.
    /// Access-table writes (accounts, credentials, audit entries) do not take the
    /// writers' lock: an audit entry must not wait for an import to finish.
    async fn begin_access_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    fn access_pool(&self) -> &PgPool {
        &self.pool
    }

    fn after_access_write(&self) {}

    fn audit_queue(&self) -> &crate::audit_queue::AuditQueue {
        &self.audit
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        // The lock, and the mark that tells the grids' triggers this write logs itself
        // (see migrations/postgis/0002_change_notifications.sql).
        sqlx::query("SELECT pg_advisory_xact_lock($1), set_config('gridmap.writer', 'on', true)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// What a failed first connection means for the user, and what to do about it; other
/// errors as they are.
fn server_error(shown: &str, e: sqlx::Error) -> StoreError {
    let path = shown.to_owned();
    let (problem, hint) = match &e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => (
            "nothing accepts connections at that host and port".to_owned(),
            "start PostgreSQL (pg_ctlcluster 15 main start) or correct the host and port in --db",
        ),
        sqlx::Error::Io(io) => (
            format!("the server cannot be reached ({io})"),
            "check the host and port in --db and that the network reaches them",
        ),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("3D000") => (
                db.message().to_owned(),
                "create it (createdb NAME) and set it up with gridmap migrate, or correct the name in --db",
            ),
            Some("28000" | "28P01") => (
                db.message().to_owned(),
                "check the user and password in --db (and the server's pg_hba.conf)",
            ),
            _ => return StoreError::Open { path, source: e },
        },
        sqlx::Error::Configuration(reason) => (
            format!("the URL is not valid ({reason})"),
            "write it as postgres://USER[:PASSWORD]@HOST:PORT/DATABASE",
        ),
        _ => return StoreError::Open { path, source: e },
    };
    StoreError::Server {
        path,
        problem,
        hint,
    }
}

/// A migration that failed because PostGIS is missing on the server says so; other
/// failures as they are.
fn migrate_error(shown: &str, e: sqlx::migrate::MigrateError) -> StoreError {
    if e.to_string()
        .contains("extension \"postgis\" is not available")
    {
        return StoreError::Server {
            path: shown.to_owned(),
            problem: "the server has no PostGIS extension".to_owned(),
            hint: "install it on the database server (apt-get install postgresql-15-postgis-3) and run the command again; nothing was written",
        };
    }
    StoreError::Migrate(e)
}

/// `url` with its password, if any, replaced by `***` (for messages and logs).
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[async_trait]
impl Maintenance for PostgisStore {
    async fn backup(&self, to: &Path) -> StoreResult<()> {
        if to.exists() {
            return Err(StoreError::Exists {
                path: to.display().to_string(),
            });
        }
        // pg_dump reads one snapshot: a consistent copy while others write.
        let output = tokio::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--file")
            .arg(to)
            .arg("--dbname")
            .arg(&self.url)
            .output()
            .await
            .map_err(|e| StoreError::Unsupported {
                what: format!(
                    "cannot run pg_dump for the backup ({e}): install the PostgreSQL client (apt-get install postgresql-client-15)"
                ),
            })?;
        if !output.status.success() {
            return Err(StoreError::Unsupported {
                what: format!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            });
        }
        Ok(())
    }

    async fn close(&self) -> StoreResult<()> {
        self.tiles.close().await;
        self.pool.close().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{migrate_error, select, without_password};

    #[test]
    fn a_server_without_postgis_is_named_with_the_package_to_install() {
        let failed = sqlx::migrate::MigrateError::ExecuteMigration(
            sqlx::Error::Protocol("extension \"postgis\" is not available".into()),
            1,
        );
        let message = migrate_error("postgres://db/county", failed).to_string();
        assert!(message.contains("has no PostGIS extension"), "{message}");
        assert!(message.contains("postgresql-15-postgis-3"), "{message}");
        let other = sqlx::migrate::MigrateError::VersionMissing(3);
        let message = migrate_error("postgres://db/county", other).to_string();
        assert!(message.contains("cannot migrate"), "{message}");
    }

    #[test]
    fn geometry_columns_are_selected_as_wkb() {
        assert_eq!(
            select("code, boundary, name"),
            "code, ST_AsBinary(boundary) AS boundary, name"
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            without_password("postgres://grid:secret@db:5432/county"),
            "postgres://grid:***@db:5432/county"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/gridmap"),
            "postgres://postgres@127.0.0.1/gridmap"
        );
    }
}

crate::access_sql::sql_access_store!(PostgisStore);
