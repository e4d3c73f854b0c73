//! What the tests of every backend share.
#![allow(dead_code)] // each test file uses some of it

use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{MemoryStore, OpenMode, SharedStore};
use std::any::Any;
use std::sync::Arc;

/// What keeps a backend's storage alive while a test uses it (a directory, a database).
pub type Keep = Option<Box<dyn Any + Send>>;

/// Each backend: in memory, the embedded SQLite store and the shared PostGIS store.
pub async fn stores() -> Vec<(&'static str, SharedStore, Keep)> {
    let mut all = vec![("memory", Arc::new(MemoryStore::new()) as SharedStore, None)];
    all.extend(databases().await);
    all
}

/// The backends with a database behind them: SQLite and PostGIS.
pub async fn databases() -> Vec<(&'static str, SharedStore, Keep)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = gridmap_store::open(dir.path().join("t.db").to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    let scratch = ScratchDatabase::create()
        .await
        .expect("a PostgreSQL server with PostGIS for the tests (see README: Tests)");
    let postgis = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .expect("the PostGIS store on a scratch database");
    vec![
        ("sqlite", sqlite, Some(Box::new(dir) as Box<dyn Any + Send>)),
        (
            "postgis",
            postgis,
            Some(Box::new(scratch) as Box<dyn Any + Send>),
        ),
    ]
}
