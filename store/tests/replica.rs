//! Reads from a real streaming replica (`--db-read`): the test makes a PostgreSQL
//! primary (initdb) and a standby of it (pg_basebackup) in a temporary directory, on
//! ports of their own, as the `postgres` user when run as root; both are stopped and
//! removed afterwards. A replica that lags is never read for data older than a change
//! the store has seen.

use gridmap_core::GridCode;
use gridmap_store::{
    ChangeMeta, GridStore, GridWrite, ImportStore, OpenMode, PostgisStore, ReadStore,
    ReplicatedStore, SharedStore,
};
use sqlx::{Connection, PgConnection};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// Runs a PostgreSQL program as the user that owns the clusters.
fn pg(program: &str, args: &[&str]) {
    let path = format!("{BIN}/{program}");
    let root = unsafe_is_root();
    let output = if root {
        Command::new("runuser")
            .args(["-u", "postgres", "--", &path])
            .args(args)
            .output()
    } else {
        Command::new(&path).args(args).output()
    }
    .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Whether this process runs as root (PostgreSQL refuses to run as root).
fn unsafe_is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A free TCP port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One running cluster in `dir`, stopped when dropped.
struct Cluster {
    data: PathBuf,
    port: u16,
}

impl Cluster {
    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn start(data: PathBuf, socket_dir: &Path) -> Cluster {
        let port = free_port();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            socket_dir.display()
        );
        let log = data.with_extension("log");
        pg(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        Cluster { data, port }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let path = format!("{BIN}/pg_ctl");
        let args = ["-D", self.data.to_str().unwrap(), "-m", "immediate", "stop"];
        let _ = if unsafe_is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--", &path])
                .args(args)
                .output()
        } else {
            Command::new(&path).args(args).output()
        };
    }
}

/// A primary and its streaming standby, in a temporary directory.
struct Pair {
    // Field order is drop order: stop the standby, then the primary, then remove.
    standby: Cluster,
    primary: Cluster,
    _dir: tempfile::TempDir,
}

fn start_pair() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    if unsafe_is_root() {
        let out = Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let primary_data = dir.path().join("primary");
    pg(
        "initdb",
        &[
            "-D",
            primary_data.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ],
    );
    // Standbys connect for replication over TCP.
    std::fs::OpenOptions::new()
        .append(true)
        .open(primary_data.join("pg_hba.conf"))
        .and_then(|mut f| {
            use std::io::Write;
            writeln!(f, "host replication all 127.0.0.1/32 trust")
        })
        .unwrap();
    let primary = Cluster::start(primary_data, dir.path());
    let standby_data = dir.path().join("standby");
    pg(
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary.port.to_string(),
            "-U",
            "postgres",
            "-D",
            standby_data.to_str().unwrap(),
            "-X",
            "stream",
            "-R",
        ],
    );
    let standby = Cluster::start(standby_data, dir.path());
    Pair {
        standby,
        primary,
        _dir: dir,
    }
}

async fn sql(url: &str, statement: &str) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::query(statement).execute(&mut conn).await.unwrap();
}

/// Waits (with a bound that only stops a hang) until the standby has database `name`.
async fn replicated(url: &str, name: &str) {
    for _ in 0..600 {
        if let Ok(mut conn) = PgConnection::connect(url).await {
            let found: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(name)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
            if found.is_some() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("database {name} never reached the standby");
}

#[tokio::test]
async fn reads_go_to_the_replica_but_never_return_data_older_than_a_seen_change() {
    let pair = start_pair();
    sql(&pair.primary.url("postgres"), "CREATE DATABASE county").await;
    let primary = gridmap_store::open(&pair.primary.url("county"), OpenMode::Create)
        .await
        .unwrap();
    // The schema reaches the standby like any write.
    let standby_url = pair.standby.url("county");
    replicated(&pair.standby.url("postgres"), "county").await;
    let mut replica = None;
    for _ in 0..600 {
        match PostgisStore::open(&standby_url, OpenMode::Replica).await {
            Ok(store) => {
                replica = Some(store);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let replica: SharedStore = Arc::new(replica.expect("the schema on the standby"));
    let store = ReplicatedStore::new(primary.clone(), replica.clone())
        .with_wait(Duration::from_millis(300));

    // A write through the store: the next read waits for the standby, which has it.
    let county = gridmap_synth::synth_county(&gridmap_synth::SynthParams::new(300, 2));
    let batch = gridmap_store::ImportBatch {
        admin_units: county.admin_units.clone(),
        buildings: county.buildings.clone(),
        ..Default::default()
    };
    store
        .import(&batch, &ChangeMeta::new("test", "import"))
        .await
        .unwrap();
    assert_eq!(
        store.buildings().await.unwrap().len(),
        county.buildings.len()
    );
    assert_eq!(store.fallbacks(), 0, "the standby caught up in time");

    // The standby stops replaying: a grid written now is not on it ...
    sql(
        &pair.standby.url("postgres"),
        "SELECT pg_wal_replay_pause()",
    )
    .await;
    let village = county
        .admin_units
        .iter()
        .find(|u| u.level == gridmap_core::AdminLevel::Village)
        .unwrap();
    let code: GridCode = format!("{}-001", village.code).parse().unwrap();
    let grid = gridmap_core::Grid {
        code: code.clone(),
        level: 1,
        parent: None,
        village: village.code.clone(),
        members: vec![],
        households: 0,
        polygon: village.boundary.clone(),
        name: Some("待复制".into()),
        staff: None,
        locked: false,
        institution: false,
        version: 1,
    };
    let write = GridWrite {
        upsert: vec![grid],
        ..GridWrite::default()
    };
    store
        .write_grids(&write, &ChangeMeta::new("test", "grid"))
        .await
        .unwrap();
    assert_eq!(replica.grid(&code).await.unwrap(), None, "the standby lags");
    // ... and the store, having seen the write, answers from the primary.
    let read = store.grid(&code).await.unwrap().expect("the written grid");
    assert_eq!(read.name.as_deref(), Some("待复制"));
    assert!(store.fallbacks() >= 1);

    // Replaying again, the standby serves reads once more.
    sql(
        &pair.standby.url("postgres"),
        "SELECT pg_wal_replay_resume()",
    )
    .await;
    let mut caught_up = false;
    for _ in 0..600 {
        if replica.grid(&code).await.unwrap().is_some() {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(caught_up, "the standby replays the grid");
    let before = store.fallbacks();
    assert!(store.grid(&code).await.unwrap().is_some());
    assert_eq!(store.fallbacks(), before, "read from the standby");
    // A replica is read-only: opening it runs no migrations and writes nothing.
    assert!(gridmap_store::open(&standby_url, OpenMode::Create)
        .await
        .is_err());
    drop(pair);
}
