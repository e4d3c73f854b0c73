//! Throwaway PostGIS databases for tests and benchmarks: each is created empty on the
//! server named by `GRIDMAP_TEST_POSTGRES` (default: the local server with trust auth,
//! `postgres://postgres@127.0.0.1:5432/postgres`) under a name no other run uses, and
//! dropped when the guard goes out of scope, so runs in parallel never share state.

use crate::error::{DbStep, StoreError, StoreResult};
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable naming the server (a URL of any database on it, for a user
/// who may create databases).
pub const SERVER_VARIABLE: &str = "GRIDMAP_TEST_POSTGRES";
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists while this value does.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// The new database's URL, for [`crate::open`].
    pub url: String,
    server: String,
    name: String,
}

fn server() -> String {
    std::env::var(SERVER_VARIABLE).unwrap_or_else(|_| DEFAULT_SERVER.to_owned())
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let at = base
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..at]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl ScratchDatabase {
    /// Creates an empty database (the store's migrations add PostGIS to it).
    pub async fn create() -> StoreResult<ScratchDatabase> {
        ScratchDatabase::create_on(&server()).await
    }

    /// A new empty database on the server `server` (a `postgres://` URL of any database
    /// there: the new one is created beside it), dropped with the value.
    pub async fn create_on(server: &str) -> StoreResult<ScratchDatabase> {
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let server = server.to_owned();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "gridmap_scratch_{}_{}_{nanos}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::Relaxed)
        );
        let mut conn = PgConnection::connect(&server)
            .await
            .map_err(|source| StoreError::Open {
                path: format!(
                    "{} (the PostgreSQL server for scratch databases; set {SERVER_VARIABLE})",
                    crate::postgis::without_password(&server)
                ),
                source,
            })?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .step("creating a scratch database")?;
        let _ = conn.close().await;
        Ok(ScratchDatabase {
            url: with_database(&server, &name),
            server,
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop may run inside or outside a runtime: a thread of its own, with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&server)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("note: scratch database {} was not dropped", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@db/county?sslmode=disable", "x"),
            "postgres://u:p@db/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://db:5432", "x"),
            "postgres://db:5432/x"
        );
    }
}
