//! What the tests of both backends share.

use gridmap_store::{MemoryStore, OpenMode, SharedStore};
use std::sync::Arc;

/// Each backend, with the directory keeping the SQLite file alive.
pub async fn stores() -> Vec<(&'static str, SharedStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = gridmap_store::open(dir.path().join("t.db").to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    vec![
        ("memory", Arc::new(MemoryStore::new()) as SharedStore, None),
        ("sqlite", sqlite, Some(dir)),
    ]
}
