//! `gridmap bench …`: benchmarks that print their figures. Machines here are small and
//! noisy, so each prints medians and percentiles over repeated runs.

use super::Outcome;
use crate::cli::{BenchCommand, BenchPartitionArgs, BenchTilesArgs, ServeArgs};
use anyhow::Context;
use axum::body::Bytes;
use axum::http::header::ACCEPT_ENCODING;
use axum::http::Request;
use gridmap_core::assign::village_of_buildings;
use gridmap_core::partition::{
    nesting_error, partition_all, partition_all_levels, PartitionParams, QualityReport,
};
use gridmap_core::{AdminLevel, AdminUnit, Barrier};
use gridmap_service::county::County;
use gridmap_service::Scope;
use gridmap_synth::{small, synth_county, SynthParams};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};

pub(crate) async fn run(db: &str, cmd: BenchCommand) -> anyhow::Result<Outcome> {
    match cmd {
        BenchCommand::Store(args) => super::bench_store::run(db, &args).await,
        BenchCommand::Partition(args) => partition(&args),
        BenchCommand::Import(args) => super::bench_import::run(&args),
        BenchCommand::Tiles(args) => tiles(&args).await,
        BenchCommand::Lookup(args) => lookup(&args).await,
        BenchCommand::Incidents(args) => super::bench_incidents::run(&args).await,
        BenchCommand::Edits(args) => super::bench_edits::run(&args).await,
        BenchCommand::Floors(args) => super::bench_floors::run(&args).await,
        BenchCommand::Print(args) => super::bench_print::run(&args).await,
    }
}

/// `p` in 0..=100 of sorted durations, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted
        .get(i.min(sorted.len() - 1))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time this process has used, user and system, in seconds (Linux
/// `/proc/self/stat`, in clock ticks of 10 ms).
fn cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start with the state, the
    // third field; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

fn partition(args: &BenchPartitionArgs) -> anyhow::Result<Outcome> {
    if args.urban {
        return super::bench_urban::run(args);
    }
    let params = PartitionParams::default();
    let runs = args.runs.max(1);
    // Small case from the issue: 10 villages, 5,000 buildings, ~32k households.
    let (units, buildings) = small::villages_with(10, 500, 42, 6.4);
    let (villages, n) = (units.len(), buildings.len());
    let county = County {
        units,
        buildings,
        ..County::default()
    };
    let small = run_partition(&county, &params, runs);
    outln!("small county: {villages} villages, {n} buildings")?;
    outln!("{}", small.0)?;
    outln!(
        "median wall time over {runs} runs: {:.4} s (target ≤ 0.05 s)",
        small.1
    )?;

    let started = Instant::now();
    let county = synth_county(&SynthParams {
        households: args.households,
        seed: 1,
        ..SynthParams::default()
    });
    let mut buildings = county.buildings;
    let villages = village_of_buildings(&county.admin_units, &buildings);
    for (b, v) in buildings.iter_mut().zip(villages) {
        b.village = v;
    }
    outln!(
        "\nsynthetic county: {} households, {} buildings, {} villages (generated in {:.1} s)",
        args.households,
        buildings.len(),
        county
            .admin_units
            .iter()
            .filter(|u| u.level == AdminLevel::Village)
            .count(),
        started.elapsed().as_secs_f64()
    )?;
    let mut barriers = county.barriers;
    if args.roads_across {
        barriers.extend(
            county
                .admin_units
                .iter()
                .filter(|u| u.level == AdminLevel::Village)
                .filter_map(road_across),
        );
        outln!("a road across the middle of every village (--roads-across)")?;
    }
    let county = County {
        units: county.admin_units,
        buildings,
        barriers,
        grids: Vec::new(),
    };
    let big = run_partition(&county, &params, runs.min(3));
    outln!("{}", big.0)?;
    outln!(
        "median wall time over {} runs: {:.2} s (target ≤ 2 s)",
        runs.min(3),
        big.1
    )?;
    if let Some(levels) = args.levels {
        nested_partition(&county, &levels, &params, runs.max(3))?;
    }
    let changed = super::bench_urban::after_change(&county, &params, 0.01, 5);
    outln!("after re-levelling 1% of the buildings and repairing:\n{changed}")?;
    if let Some(mb) = rss_mb() {
        outln!("peak RSS of this process: {mb:.0} MB (target ≤ 2048 MB)")?;
    }
    Ok(Outcome::Clean)
}

/// A straight road west to east through the middle of `village`'s box, reaching past
/// its boundary on both sides.
fn road_across(village: &AdminUnit) -> Option<Barrier> {
    use geo::BoundingRect;
    let r = village.boundary.bounding_rect()?;
    let (y, reach) = ((r.min().y + r.max().y) / 2.0, r.width() * 0.1);
    Some(Barrier {
        source_id: format!("bench:road-across/{}", village.code),
        kind: "road".into(),
        line: geo_types::MultiLineString(vec![geo_types::LineString::from(vec![
            (r.min().x - reach, y),
            (r.max().x + reach, y),
        ])]),
    })
}

/// The nested partition of `county` at `levels`: both levels' quality and its wall time
/// against the one-level run of the same county at `one_level` sizes. The two take
/// turns for `runs` rounds, so that a slower spell of a noisy machine falls on both;
/// each round's ratio is printed and the median ratio is the figure.
fn nested_partition(
    county: &County,
    levels: &gridmap_service::partition::LevelsSpec,
    one_level: &PartitionParams,
    runs: usize,
) -> anyhow::Result<()> {
    let params = PartitionParams {
        min: levels.micro.min,
        max: levels.micro.max,
        target: levels.micro.target,
        comprehensive: levels.comprehensive,
        ..PartitionParams::default()
    };
    let parts = county.villages(&Scope::All);
    let inputs: Vec<_> = parts.iter().map(|p| p.input(&[])).collect();
    let mut rounds: Vec<(f64, f64)> = Vec::new();
    let mut cpu_rounds: Vec<(f64, f64)> = Vec::new();
    let mut reports = (QualityReport::default(), None);
    let mut nesting = Vec::new();
    for _ in 0..runs {
        let (started, cpu_0) = (Instant::now(), cpu_s());
        let one = partition_all(&inputs, one_level);
        let (one_s, cpu_1) = (started.elapsed().as_secs_f64(), cpu_s());
        drop(one);
        let (started, cpu_2) = (Instant::now(), cpu_s());
        let results = partition_all_levels(&inputs, &params);
        let (wall, cpu_3) = (started.elapsed(), cpu_s());
        rounds.push((one_s, wall.as_secs_f64()));
        if let (Some(c0), Some(c1), Some(c2), Some(c3)) = (cpu_0, cpu_1, cpu_2, cpu_3) {
            cpu_rounds.push((c1 - c0, c3 - c2));
        }
        let ok = || results.iter().map(|r| r.as_ref().ok());
        let micro = QualityReport::from_villages(ok().map(|r| r.map(|v| &v.micro)), wall);
        let top = params.comprehensive.map(|_| {
            QualityReport::from_villages(
                ok().map(|r| r.and_then(|v| v.comprehensive.as_ref())),
                wall,
            )
        });
        reports = (micro, top);
        nesting = parts
            .iter()
            .zip(&results)
            .filter_map(|(p, r)| {
                let r = r.as_ref().ok()?;
                let top = r.comprehensive.as_ref()?;
                Some(nesting_error(p.village, &top.grids, &r.micro.grids))
            })
            .collect();
    }
    if let Some(top) = &reports.1 {
        outln!(
            "
nested levels: comprehensive grids\n{top}"
        )?;
    }
    outln!("nested levels: micro-grids\n{}", reports.0)?;
    let mut shares: Vec<f64> = nesting.iter().map(|n| n.0).collect();
    shares.sort_by(f64::total_cmp);
    let widest = nesting.iter().map(|n| n.1).fold(0.0, f64::max);
    let exact = shares.iter().filter(|s| **s == 0.0).count();
    if let (Some(median), Some(worst)) = (shares.get(shares.len() / 2), shares.last()) {
        outln!(
            "nesting: comprehensive polygon vs the union of its micro-grids, worst grid per village: median {median:.1e}, worst {worst:.1e} of the grid's area (target ≤ 1e-9); widest mean sliver {widest:.1e} m; {exact} of {} villages exactly the union",
            shares.len()
        )?;
    }
    let each: Vec<String> = rounds
        .iter()
        .map(|(one, two)| format!("{two:.2} s / {one:.2} s = {:.2}×", two / one))
        .collect();
    outln!(
        "rounds, nested against one level taking turns: {}",
        each.join(", ")
    )?;
    let wall = median(rounds.iter().map(|r| r.1).collect());
    let one_s = median(rounds.iter().map(|r| r.0).collect());
    let ratio = median(rounds.iter().map(|r| r.1 / r.0).collect());
    outln!(
        "median wall time over {runs} rounds: {wall:.2} s nested, {one_s:.2} s one level; median ratio {ratio:.2}× (target ≤ 1.5×)"
    )?;
    // CPU time moves less with what else the machine runs than wall time does: a
    // steadier figure for comparing two builds; the target is the wall-time ratio.
    if cpu_rounds.len() == rounds.len() && cpu_rounds.iter().all(|r| r.0 > 0.0) {
        let cpu_ratio = median(cpu_rounds.iter().map(|r| r.1 / r.0).collect());
        outln!(
            "median CPU time over {runs} rounds: {:.2} s nested, {:.2} s one level; median ratio {cpu_ratio:.2}×",
            median(cpu_rounds.iter().map(|r| r.1).collect()),
            median(cpu_rounds.iter().map(|r| r.0).collect()),
        )?;
    }
    Ok(())
}

/// Partitions every village of `county` `runs` times, as `gridmap partition --all --fresh`
/// does (the service's per-village inputs); the last report and the median wall time.
pub(crate) fn run_partition(
    county: &County,
    params: &PartitionParams,
    runs: usize,
) -> (QualityReport, f64) {
    let parts = county.villages(&Scope::All);
    let inputs: Vec<_> = parts.iter().map(|p| p.input(&[])).collect();
    let mut times = Vec::new();
    let mut report = QualityReport::default();
    for _ in 0..runs {
        let started = Instant::now();
        let results = partition_all(&inputs, params);
        let wall = started.elapsed();
        times.push(wall.as_secs_f64());
        report = QualityReport::from_partitions(&results, wall);
    }
    (report, median(times))
}

/// Builds a partitioned synthetic county in a temporary store (removed when the
/// returned directory is dropped) and serves it on loopback.
pub(crate) async fn bench_server(
    households: u32,
) -> anyhow::Result<(
    std::net::SocketAddr,
    crate::http::AppState,
    tempfile::TempDir,
)> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let db = dir.path().join("bench.db");
    let db = db
        .to_str()
        .context("temporary path is not UTF-8")?
        .to_owned();
    build_county(&db, households).await?;
    let (addr, state) = serve_on_loopback(&db, None).await?;
    Ok((addr, state, dir))
}

/// Generates the synthetic county of `households` (seed 1) into the store `db` and
/// partitions it with the demo's grid sizes.
pub(crate) async fn build_county(db: &str, households: u32) -> anyhow::Result<()> {
    super::synth::generate_into(db, households, 1, None, false).await?;
    super::with_store(db, gridmap_store::OpenMode::Existing, async |store| {
        let sizes = super::demo::demo_sizes();
        let (operator, all) = (
            gridmap_service::Caller::Operator,
            gridmap_service::Scope::All,
        );
        Ok(
            gridmap_service::partition::partition(store.as_ref(), &operator, &all, &sizes, true)
                .await?,
        )
    })
    .await?;
    Ok(())
}

/// Serves the store `db` on a free loopback port, with `store_tiles` as
/// `serve --store-tiles`.
pub(crate) async fn serve_on_loopback(
    db: &str,
    store_tiles: Option<&str>,
) -> anyhow::Result<(std::net::SocketAddr, crate::http::AppState)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let serve = ServeArgs {
        bind: addr,
        public_url: None,
        web_dir: None,
        basemap_style: None,
        cache_mb: 1024,
        taxonomy: None,
        calendar: None,
        store_tiles: store_tiles.map(str::to_owned),
        local_demo: false,
        http: Default::default(),
    };
    let state = super::serve::state(db, &serve, format!("http://{addr}")).await?;
    let app = crate::http::app(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, state))
}

/// One keep-alive HTTP/1.1 connection per load task: hyper's client with a pool of one
/// idle connection, used by one task at a time, so `--connections` is the number of
/// connections the server sees. Bodies are read whole (gzip, not decoded).
struct Conn {
    client: Client<HttpConnector, Empty<Bytes>>,
    base: String,
}

impl Conn {
    fn open(addr: std::net::SocketAddr) -> Conn {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Conn {
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(1)
                .build(connector),
            base: format!("http://{addr}"),
        }
    }

    /// GETs `path`; returns (status, body length).
    async fn get(&self, path: &str) -> anyhow::Result<(u16, usize)> {
        let request = Request::get(format!("{}{path}", self.base))
            .header(ACCEPT_ENCODING, "gzip")
            .body(Empty::new())?;
        let response = self.client.request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body.len()))
    }
}

/// Requests `paths` round-robin over `connections` connections for at most `limit`
/// (or one pass when `one_pass`); returns sorted latencies, bytes and elapsed time.
pub(crate) async fn load(
    addr: std::net::SocketAddr,
    paths: &[String],
    connections: usize,
    limit: Duration,
    one_pass: bool,
) -> anyhow::Result<(Vec<Duration>, u64, Duration, usize)> {
    let paths = std::sync::Arc::new(paths.to_vec());
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let (paths, next) = (paths.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let conn = Conn::open(addr);
            let mut lat = Vec::new();
            let mut bytes = 0u64;
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if (one_pass && i >= paths.len()) || started.elapsed() > limit {
                    break;
                }
                let Some(path) = paths.get(i % paths.len().max(1)) else {
                    break;
                };
                let t = Instant::now();
                let (status, len) = conn.get(path).await?;
                lat.push(t.elapsed());
                bytes += len as u64;
                if status >= 400 {
                    errors += 1;
                }
            }
            anyhow::Ok((lat, bytes, errors))
        }));
    }
    let mut all = Vec::new();
    let mut bytes = 0;
    let mut errors = 0;
    for t in tasks {
        let (lat, b, e) = t.await??;
        all.extend(lat);
        bytes += b;
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    Ok((all, bytes, elapsed, errors))
}

pub(crate) fn print_load(
    label: &str,
    lat: &[Duration],
    bytes: u64,
    elapsed: Duration,
    errors: usize,
) -> anyhow::Result<()> {
    let n = lat.len();
    outln!(
        "{label:<34} {n:>7} req {:>9.0} req/s  p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  avg {:>6.1} KB  errors {errors}",
        n as f64 / elapsed.as_secs_f64().max(1e-9),
        percentile_ms(lat, 50.0),
        percentile_ms(lat, 95.0),
        percentile_ms(lat, 99.0),
        bytes as f64 / n.max(1) as f64 / 1024.0
    )?;
    Ok(())
}

/// Every tile of zooms `zooms` over `bounds`, in a fixed shuffle (as a panning user asks
/// for tiles in no particular order).
pub(crate) fn shuffled_tiles(
    bounds: geo_types::Rect<f64>,
    zooms: std::ops::RangeInclusive<u8>,
) -> Vec<gridmap_tiles::TileCoord> {
    let mut tiles: Vec<_> = zooms
        .flat_map(|z| gridmap_tiles::coord::tiles_in_bbox(bounds, z))
        .collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in (1..tiles.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tiles.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    tiles
}

/// `/tiles/{layers}/{z}/{x}/{y}.mvt` of each tile.
pub(crate) fn tile_paths(layers: &str, tiles: &[gridmap_tiles::TileCoord]) -> Vec<String> {
    tiles
        .iter()
        .map(|c| format!("/tiles/{layers}/{}/{}/{}.mvt", c.z(), c.x(), c.y()))
        .collect()
}

async fn tiles(args: &BenchTilesArgs) -> anyhow::Result<Outcome> {
    let (addr, state, dir) = bench_server(args.households).await?;
    let bounds = state
        .service()
        .data()
        .tiles
        .bounds()
        .context("the synthetic county is empty")?;
    let composite = "grids,buildings";
    let paths = tile_paths(composite, &shuffled_tiles(bounds, 14..=16));
    outln!(
        "serving {} households on http://{addr}; {} tiles z14–z16 of {composite}",
        args.households,
        paths.len()
    )?;
    let limit = Duration::from_secs(args.seconds);
    let (lat, bytes, el, err) = load(addr, &paths, args.connections, limit * 6, true).await?;
    print_load("uncached, one pass z14-16", &lat, bytes, el, err)?;
    let (lat, bytes, el, err) = load(addr, &paths, args.connections, limit, false).await?;
    print_load("cached, rotating z14-16", &lat, bytes, el, err)?;
    let one = paths.first().cloned().into_iter().collect::<Vec<_>>();
    let (lat, bytes, el, err) = load(addr, &one, args.connections, limit, false).await?;
    print_load("cached, one tile", &lat, bytes, el, err)?;

    // Low zooms: sizes must stay under 500 KB.
    let mut low = Vec::new();
    for z in 10..=13u8 {
        for c in gridmap_tiles::coord::tiles_in_bbox(bounds, z) {
            low.push(format!(
                "/tiles/townships,villages,grids,grid_labels/{}/{}/{}.mvt",
                c.z(),
                c.x(),
                c.y()
            ));
        }
    }
    let (lat, bytes, el, err) = load(addr, &low, args.connections, limit * 6, true).await?;
    print_load("uncached, one pass z10-13", &lat, bytes, el, err)?;
    let max_raw = state.service().live().cache().stats();
    outln!(
        "tile cache: {} entries, {:.1} MB",
        max_raw.entries,
        max_raw.bytes as f64 / 1_048_576.0
    )?;
    drop(dir);
    Ok(Outcome::Clean)
}

async fn lookup(args: &BenchTilesArgs) -> anyhow::Result<Outcome> {
    let (addr, state, dir) = bench_server(args.households).await?;
    let data = state.service().data();
    let snap = data.snapshot();
    let step = (snap.buildings.len() / 5000).max(1);
    let paths: Vec<String> = snap
        .buildings
        .iter()
        .step_by(step)
        .filter_map(|b| gridmap_core::geometry::representative_point(&b.footprint))
        .map(|p| format!("/api/lookup?lon={}&lat={}", p.x(), p.y()))
        .collect();
    outln!(
        "{} lookups over {} buildings",
        paths.len(),
        snap.buildings.len()
    )?;
    let (lat, bytes, el, err) =
        load(addr, &paths, 1, Duration::from_secs(args.seconds), false).await?;
    print_load("lookup, 1 connection", &lat, bytes, el, err)?;
    let (lat, bytes, el, err) = load(
        addr,
        &paths,
        args.connections,
        Duration::from_secs(args.seconds),
        false,
    )
    .await?;
    print_load(
        &format!("lookup, {} connections", args.connections),
        &lat,
        bytes,
        el,
        err,
    )?;
    drop(dir);
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::Conn;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Reads one request head (no body) from `stream`.
    async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        String::from_utf8(head).unwrap()
    }

    #[tokio::test]
    async fn the_client_reads_chunked_bodies_and_keeps_its_one_connection_alive() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // One connection only: a second one would never be answered.
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let first = read_request(&mut stream).await;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                .await
                .unwrap();
            let second = read_request(&mut stream).await;
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop")
                .await
                .unwrap();
            (first, second)
        });
        let conn = Conn::open(addr);
        let within = std::time::Duration::from_secs(30);
        let a = tokio::time::timeout(within, conn.get("/tiles/a.mvt")).await;
        assert_eq!(a.unwrap().unwrap(), (200, 11));
        let b = tokio::time::timeout(within, conn.get("/api/b")).await;
        assert_eq!(b.unwrap().unwrap(), (404, 3));
        let (first, second) = server.await.unwrap();
        assert!(
            first.starts_with("GET /tiles/a.mvt HTTP/1.1\r\n"),
            "{first}"
        );
        assert!(
            first.to_lowercase().contains("accept-encoding: gzip"),
            "{first}"
        );
        assert!(second.starts_with("GET /api/b HTTP/1.1\r\n"), "{second}");
    }
}
