//! `gridmap bench store --db postgres://…`: the PostGIS store against its references, in
//! one run on the server `--db` names (every figure comes from scratch databases created
//! there and dropped afterwards; the database `--db` names is not touched).
//!
//! - **Import**: `gridmap import buildings` of the synthetic county's footprints (GeoJSONSeq)
//!   into a migrated database, against `ogr2ogr -f PostgreSQL` of the same file (when
//!   gdal-bin is installed). Medians of `--runs` runs, each into a fresh database.
//! - **Building tiles**, z14–16 over the county in a fixed shuffle, with `--connections`
//!   requests at a time, after a `VACUUM ANALYZE`: the statement Martin runs for a table
//!   source (`ST_AsMVTGeom(ST_Transform(geom, 3857), …)` over a 4326 bounding-box filter;
//!   the same columns minus the grid membership, which Martin's table would not have)
//!   against ours (`TileStore::draw_tile`), both straight to PostgreSQL and both prepared
//!   (as Martin's driver prepares its statements), taking turns for `--runs` rounds; then
//!   one pass each of gridmap's paths over HTTP: PostGIS (`serve --store-tiles buildings`)
//!   and memory.
//! - **Lookups** over HTTP (one connection), and an **edit's round trip**: a planner's
//!   edit through one instance, and the sync by which another instance shows it.

use super::bench::{build_county, load, percentile_ms, print_load, serve_on_loopback};
use super::bench::{shuffled_tiles, tile_paths};
use super::bench_edits::{pair_to_edit, timed_edit};
use super::bench_import::{has_ogr2ogr, print_against_ogr2ogr, timed, write_buildings};
use super::Outcome;
use crate::cli::BenchStoreArgs;
use anyhow::Context;
use gridmap_core::Grid;
use gridmap_service::edit::GridOperation;
use gridmap_service::live::store_tile_request;
use gridmap_store::scratch::ScratchDatabase;
use gridmap_tiles::TileCoord;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::collections::BTreeMap;
use std::future::Future;
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The statement Martin generates for a PostGIS table source in SRID 4326 (read in its
/// `src/pg/scripts/get_geom.sql`: reproject, clip with a 64-unit buffer, the table's
/// columns as properties), over our buildings table.
const MARTIN_STYLE: &str = r#"
SELECT ST_AsMVT(tile, 'buildings', 4096, 'geom') FROM (
    SELECT ST_AsMVTGeom(ST_Transform(ST_CurveToLine(footprint), 3857),
                        ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom,
           source_id, building_use, levels, households, household_source
    FROM buildings
    WHERE footprint && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => (64.0 / 4096)), 4326)
) AS tile"#;

pub(crate) async fn run(db: &str, args: &BenchStoreArgs) -> anyhow::Result<Outcome> {
    if !(db.starts_with("postgres://") || db.starts_with("postgresql://")) {
        anyhow::bail!(
            "gridmap bench store measures the PostGIS store: pass --db postgres://USER@HOST:PORT/DATABASE \
             (a server where it may create and drop scratch databases)"
        );
    }
    import(db, args).await?;
    serving(db, args).await
}

async fn import(server: &str, args: &BenchStoreArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let file = dir.path().join("buildings.geojsonl");
    let n = write_buildings(args.households, &file)?;
    outln!(
        "import: {n} footprints as GeoJSONSeq; medians of {} runs, each into a new database",
        args.runs
    )?;
    let exe = std::env::current_exe().context("finding the gridmap executable")?;
    let mut ours = Vec::new();
    for _ in 0..args.runs.max(1) {
        let scratch = ScratchDatabase::create_on(server).await?;
        let gridmap = |args: &[&str]| {
            let mut c = Command::new(&exe);
            c.arg("--db").arg(&scratch.url).arg("--quiet").args(args);
            c
        };
        timed(gridmap(&["migrate"]), "gridmap migrate")?;
        let mut c = gridmap(&["import", "buildings"]);
        c.arg(&file);
        ours.push(timed(c, "gridmap import buildings")?);
    }
    let ours = super::bench::median(ours);
    outln!(
        "gridmap import buildings      {ours:6.2} s  ({:.0} footprints/s, households estimated)",
        n as f64 / ours
    )?;

    if !has_ogr2ogr()? {
        return Ok(());
    }
    let mut ogr = Vec::new();
    for _ in 0..args.runs.max(1) {
        let scratch = ScratchDatabase::create_on(server).await?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&scratch.url)
            .await?;
        sqlx::query("CREATE EXTENSION postgis")
            .execute(&pool)
            .await?;
        let mut c = Command::new("ogr2ogr");
        c.args(["-f", "PostgreSQL"])
            .arg(gdal_connection(&scratch.url)?)
            .arg(&file)
            .args(["-nln", "buildings", "-lco", "GEOMETRY_NAME=geom"]);
        ogr.push(timed(c, "ogr2ogr -f PostgreSQL")?);
        // A comparison only counts when ogr2ogr wrote every feature.
        let written: i64 = sqlx::query_scalar("SELECT count(*) FROM buildings")
            .fetch_one(&pool)
            .await?;
        if written != n as i64 {
            anyhow::bail!("ogr2ogr wrote {written} features of {n}: the comparison does not hold");
        }
        pool.close().await;
    }
    let ogr = super::bench::median(ogr);
    print_against_ogr2ogr("ogr2ogr -f PostgreSQL", ogr, ours, n, Some(0.5))?;
    Ok(())
}

/// `url` as GDAL's PostgreSQL driver wants it (key=value; it cannot take a URL). A
/// password goes through PGPASSWORD or ~/.pgpass, as for psql.
fn gdal_connection(url: &str) -> anyhow::Result<String> {
    let options = PgConnectOptions::from_str(url).context("reading the --db URL")?;
    Ok(format!(
        "PG:host={} port={} user={} dbname={}",
        options.get_host(),
        options.get_port(),
        options.get_username(),
        options.get_database().unwrap_or("postgres")
    ))
}

/// Runs `request` for every item, `connections` at a time; the sorted latencies and
/// the elapsed time.
async fn one_pass<T, F, Fut>(
    items: &[T],
    connections: usize,
    request: F,
) -> anyhow::Result<(Vec<Duration>, u64, Duration)>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send,
{
    let items = Arc::new(items.to_vec());
    let request = Arc::new(request);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let (items, request, next) = (items.clone(), request.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut bytes) = (Vec::new(), 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i).cloned() else {
                    break;
                };
                let t = Instant::now();
                bytes += request(item).await? as u64;
                latencies.push(t.elapsed());
            }
            anyhow::Ok((latencies, bytes))
        }));
    }
    let (mut all, mut bytes) = (Vec::new(), 0);
    for task in tasks {
        let (latencies, b) = task.await??;
        all.extend(latencies);
        bytes += b;
    }
    let elapsed = started.elapsed();
    all.sort();
    Ok((all, bytes, elapsed))
}

/// The passes of one statement over the tiles, added up.
#[derive(Default)]
struct Pass {
    latencies: Vec<Duration>,
    bytes: u64,
    elapsed: Duration,
}

impl Pass {
    /// Adds one pass (as `one_pass` gives it); that pass's tiles/s.
    fn add(&mut self, (latencies, bytes, elapsed): (Vec<Duration>, u64, Duration)) -> f64 {
        let rate = latencies.len() as f64 / elapsed.as_secs_f64().max(1e-9);
        self.latencies.extend(latencies);
        self.bytes += bytes;
        self.elapsed += elapsed;
        rate
    }

    /// Every latency, sorted (as `print_load` wants them).
    fn latencies(&self) -> Vec<Duration> {
        let mut all = self.latencies.clone();
        all.sort();
        all
    }

    /// Tiles per second over all passes.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn serving(server: &str, args: &BenchStoreArgs) -> anyhow::Result<Outcome> {
    let scratch = ScratchDatabase::create_on(server).await?;
    let started = Instant::now();
    build_county(&scratch.url, args.households).await?;
    outln!(
        "\nserving: the county built and partitioned in PostGIS in {:.1} s",
        started.elapsed().as_secs_f64()
    )?;
    let (memory_addr, memory) = serve_on_loopback(&scratch.url, None).await?;
    let (postgis_addr, postgis) = serve_on_loopback(&scratch.url, Some("buildings")).await?;
    let bounds = memory
        .service()
        .data()
        .tiles
        .bounds()
        .context("the synthetic county is empty")?;
    let tiles = shuffled_tiles(bounds, 14..=16);
    outln!(
        "{} building tiles z14–16, one pass each, {} at a time",
        tiles.len(),
        args.connections
    )?;

    let martin = PgPoolOptions::new()
        .max_connections(u32::try_from(args.connections).unwrap_or(16))
        .connect(&scratch.url)
        .await?;
    // What autovacuum does to a table in service (hint bits, visibility map, statistics):
    // otherwise the first pass pays for it, whichever statement runs first.
    sqlx::query("VACUUM ANALYZE").execute(&martin).await?;
    let store = postgis.service().store().clone();
    let params = postgis.service().data().tiles.params().clone();
    // The two statements take turns, round after round, so a busy moment of the machine
    // falls on both alike; the figures are over all rounds.
    let rounds = args.runs.max(1);
    let (mut theirs, mut ours) = (Pass::default(), Pass::default());
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let pool = martin.clone();
        let round = one_pass(&tiles, args.connections, move |c: TileCoord| {
            let pool = pool.clone();
            async move {
                let tile: Option<Vec<u8>> = sqlx::query_scalar(MARTIN_STYLE)
                    .bind(i32::from(c.z()))
                    .bind(c.x() as i32)
                    .bind(c.y() as i32)
                    .fetch_one(&pool)
                    .await?;
                Ok(tile.map_or(0, |t| t.len()))
            }
        })
        .await?;
        let martin_rate = theirs.add(round);
        let (store, params) = (store.clone(), params.clone());
        let round = one_pass(&tiles, args.connections, move |c: TileCoord| {
            let store = store.clone();
            let request = store_tile_request(&params, c);
            async move { Ok(store.draw_tile(&["buildings"], &request).await?.len()) }
        })
        .await?;
        ratios.push(ours.add(round) / martin_rate);
    }
    print_load(
        "Martin's statement, direct",
        &theirs.latencies(),
        theirs.bytes,
        theirs.elapsed,
        0,
    )?;
    print_load(
        "gridmap's statement, direct",
        &ours.latencies(),
        ours.bytes,
        ours.elapsed,
        0,
    )?;
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    outln!(
        "ratio gridmap / Martin's statement: {:.2}× the tiles/s over {rounds} rounds each, taking turns \
         (rounds: {}; target ≥ 2×)",
        ours.rate() / theirs.rate(),
        each.join(", ")
    )?;
    // The targets were set on real footprints, several times lighter per tile than the
    // synthetic county's: Martin 1,180 tiles/s, p99 120 ms; ≥ 2× that, p99 ≤ 40 ms.
    let p99 = |pass: &Pass| percentile_ms(&pass.latencies(), 99.0);
    outln!(
        "p99 gridmap / Martin's statement: {:.2}× (target: 40 ms against the reference's 120 ms, 0.33×)",
        p99(&ours) / p99(&theirs)
    )?;

    let paths = tile_paths("buildings", &tiles);
    let limit = Duration::from_secs(600);
    let (lat, bytes, el, err) = load(postgis_addr, &paths, args.connections, limit, true).await?;
    print_load("HTTP, drawn by PostGIS, uncached", &lat, bytes, el, err)?;
    let (lat, bytes, el, err) = load(memory_addr, &paths, args.connections, limit, true).await?;
    print_load("HTTP, drawn from memory, uncached", &lat, bytes, el, err)?;

    let lookups: Vec<String> = {
        let data = postgis.service().data();
        let snap = data.snapshot();
        let step = (snap.buildings.len() / 2000).max(1);
        snap.buildings
            .iter()
            .step_by(step)
            .filter_map(|b| gridmap_core::geometry::representative_point(&b.footprint))
            .map(|p| format!("/api/lookup?lon={}&lat={}", p.x(), p.y()))
            .collect()
    };
    let (lat, bytes, el, err) = load(postgis_addr, &lookups, 1, limit, true).await?;
    print_load("lookups, 1 connection", &lat, bytes, el, err)?;

    edit_round_trip(&postgis, &memory).await?;
    Ok(Outcome::Clean)
}

/// A planner's edit through one instance (moving buildings between two grids and back),
/// and the time the other instance's sync then takes to show it.
async fn edit_round_trip(
    editor: &crate::http::AppState,
    other: &crate::http::AppState,
) -> anyhow::Result<()> {
    let service = editor.service();
    let (village, from, to, buildings) = {
        let data = service.data();
        let mut per_village: BTreeMap<_, Vec<&Grid>> = BTreeMap::new();
        for g in &data.snapshot().grids {
            per_village.entry(g.village.clone()).or_default().push(g);
        }
        let (village, grids) = per_village
            .into_iter()
            .max_by_key(|(_, grids)| grids.len())
            .context("the county has no grids")?;
        let (from, to, buildings) = pair_to_edit(grids).context("no two grids to edit")?;
        (village, from, to, buildings)
    };
    let (mut edits, mut syncs) = (Vec::new(), Vec::new());
    for k in 0..10 {
        let target = if k % 2 == 0 { &to } else { &from };
        let moving = GridOperation::MoveBuildings {
            buildings: buildings.clone(),
            to: target.clone(),
        };
        edits.push(timed_edit(service, &village, moving).await?);
        let t = Instant::now();
        other.service().sync_changes().await?;
        syncs.push(t.elapsed());
    }
    edits.sort();
    syncs.sort();
    outln!(
        "edit through one instance ×{}: p50 {:.1} ms  p95 {:.1} ms",
        edits.len(),
        percentile_ms(&edits, 50.0),
        percentile_ms(&edits, 95.0)
    )?;
    outln!(
        "the other instance shows it (its sync) ×{}: p50 {:.0} ms  max {:.0} ms",
        syncs.len(),
        percentile_ms(&syncs, 50.0),
        percentile_ms(&syncs, 100.0)
    )?;
    Ok(())
}
