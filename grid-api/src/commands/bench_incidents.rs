//! `gridmap bench incidents`: a year of incidents (1M by default) in the synthetic county
//! of 300k households, measured as a command centre uses them:
//! - ingest: the incident import use case (category mapping, point-in-grid placement,
//!   deadlines, one store transaction per batch, heat counts updated) in batches;
//! - heat tiles at z8, z12 and z15 for a 30-day window, each drawn uncached (the cache is
//!   emptied before every request), against the county's own `grids` tiles at the same
//!   zooms drawn the same way as the in-run baseline;
//! - live delivery: incidents reported at a steady rate while a client reads
//!   `/api/stream`; the time from the start of each report to its event.

use super::bench::{bench_server, percentile_ms};
use super::Outcome;
use crate::cli::BenchIncidentsArgs;
use anyhow::Context;
use axum::body::Bytes;
use axum::http::Request;
use gridmap_service::incidents::{now, CategoryMap, ReportRequest};
use gridmap_service::Caller;
use gridmap_synth::{synth_county, SynthParams};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Incidents per import call (one transaction each).
const BATCH: usize = 100_000;

pub(crate) async fn run(args: &BenchIncidentsArgs) -> anyhow::Result<Outcome> {
    let (addr, state, dir) = bench_server(args.households).await?;
    let service = state.service().clone();
    let bounds = service
        .data()
        .tiles
        .bounds()
        .context("the synthetic county is empty")?;

    // A year of incidents ending now, from the synthetic county's generator.
    let started = Instant::now();
    let mut incidents = synth_county(&SynthParams {
        incidents: Some(args.incidents),
        incidents_end: Some(now()),
        ..SynthParams::new(args.households, 1)
    })
    .incidents;
    for (n, i) in incidents.iter_mut().enumerate() {
        i.id = format!("B{n:07}");
        // Placement by position is part of what is measured.
        (i.grid, i.village, i.township) = (None, None, None);
    }
    outln!(
        "generated {} incidents over the last year in {:.1} s",
        incidents.len(),
        started.elapsed().as_secs_f64()
    )?;

    // Ingest.
    let total = incidents.len();
    let map = CategoryMap::default();
    let started = Instant::now();
    let mut rejected = 0;
    let mut batches = Vec::new();
    // Each incident is moved once (splitting the rest off the front would copy it again
    // for every batch).
    let mut incoming = incidents.into_iter();
    loop {
        let batch: Vec<_> = incoming.by_ref().take(BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let t = Instant::now();
        let n = batch.len();
        let out = service
            .import_incidents(&Caller::Operator, batch, &map, false, false)
            .await?;
        rejected += out.rejected.len();
        batches.push(n as f64 / t.elapsed().as_secs_f64());
    }
    let seconds = started.elapsed().as_secs_f64();
    outln!(
        "ingest: {total} incidents in {seconds:.1} s = {:.0} incidents/s (batches of {BATCH}: median {:.0}/s; {rejected} rejected)  target ≥ 50,000/s",
        total as f64 / seconds,
        super::bench::median(batches)
    )?;

    // Heat tiles, uncached, with the grids layer as the baseline.
    outln!(
        "tiles drawn uncached (cache emptied before each request), {} requests per zoom:",
        args.samples
    )?;
    for z in [8u8, 12, 15] {
        let mut coords: Vec<_> = gridmap_tiles::coord::tiles_in_bbox(bounds, z).collect();
        // An even sample of the county's tiles at high zoom.
        let step = (coords.len() / args.samples.max(1)).max(1);
        coords = coords.into_iter().step_by(step).collect();
        let heat = timed_tiles(&state, addr, &coords, "heat", "?window=30d", args.samples).await?;
        let grids = timed_tiles(&state, addr, &coords, "grids", "", args.samples).await?;
        outln!(
            "  z{z:<2} heat  p50 {:>6.2} ms  p95 {:>6.2} ms  avg {:>6.1} KB   | grids p50 {:>6.2} ms  p95 {:>6.2} ms   heat/grids p95 {:.2}  target heat p95 ≤ 30 ms",
            percentile_ms(&heat.0, 50.0),
            percentile_ms(&heat.0, 95.0),
            heat.1 as f64 / heat.0.len().max(1) as f64 / 1024.0,
            percentile_ms(&grids.0, 50.0),
            percentile_ms(&grids.0, 95.0),
            percentile_ms(&heat.0, 95.0) / percentile_ms(&grids.0, 95.0)
        )?;
    }

    // The map's incident panel: the newest incidents in the view, with their total.
    outln!("incident panel (`/api/incidents?bbox=…&limit=20`, the view of one tile):")?;
    for z in [8u8, 12, 15] {
        let coords: Vec<_> = gridmap_tiles::coord::tiles_in_bbox(bounds, z).collect();
        let step = (coords.len() / args.samples.max(1)).max(1);
        let uris: Vec<String> = coords
            .iter()
            .step_by(step)
            .map(|c| {
                let b = c.lonlat_bounds(0.0);
                let (w, s, e, n) = (b.min().x, b.min().y, b.max().x, b.max().y);
                format!("http://{addr}/api/incidents?bbox={w},{s},{e},{n}&limit=20")
            })
            .collect();
        let (lat, bytes) = timed_gets(&state, &uris, args.samples).await?;
        outln!(
            "  z{z:<2} list  p50 {:>6.2} ms  p95 {:>6.2} ms  avg {:>6.1} KB",
            percentile_ms(&lat, 50.0),
            percentile_ms(&lat, 95.0),
            bytes as f64 / lat.len().max(1) as f64 / 1024.0,
        )?;
    }

    // Live delivery.
    let delivered = sse_delivery(&state, addr, args.rate, args.seconds).await?;
    outln!(
        "live: {} of {} incidents reported at {}/s arrived on /api/stream; report → event p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  target p99 ≤ 1,000 ms",
        delivered.0.len(),
        delivered.1,
        args.rate,
        percentile_ms(&delivered.0, 50.0),
        percentile_ms(&delivered.0, 99.0),
        percentile_ms(&delivered.0, 100.0)
    )?;
    drop(dir);
    Ok(Outcome::Clean)
}

/// GETs `/tiles/{layer}/…{query}` for `coords` round-robin until `samples` requests,
/// each after emptying the cache; returns sorted latencies and bytes.
async fn timed_tiles(
    state: &crate::http::AppState,
    addr: std::net::SocketAddr,
    coords: &[gridmap_tiles::TileCoord],
    layer: &str,
    query: &str,
    samples: usize,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let uris: Vec<String> = coords
        .iter()
        .map(|c| {
            format!(
                "http://{addr}/tiles/{layer}/{}/{}/{}.mvt{query}",
                c.z(),
                c.x(),
                c.y()
            )
        })
        .collect();
    timed_gets(state, &uris, samples).await
}

/// GETs `uris` round-robin until `samples` requests, each after emptying the tile
/// cache; returns sorted latencies and bytes. A failed request is an error.
async fn timed_gets(
    state: &crate::http::AppState,
    uris: &[String],
    samples: usize,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut lat = Vec::with_capacity(samples);
    let mut bytes = 0u64;
    for uri in uris.iter().cycle().take(samples) {
        state.service().live().cache().clear();
        let t = Instant::now();
        let response = client
            .request(Request::get(uri.as_str()).body(Empty::new())?)
            .await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        lat.push(t.elapsed());
        anyhow::ensure!(status.is_success(), "GET {uri}: {status}");
        bytes += body.len() as u64;
    }
    lat.sort();
    Ok((lat, bytes))
}

/// Reports `rate` incidents a second for `seconds` while one client reads the event
/// stream; returns the sorted report-to-event times and how many were reported.
async fn sse_delivery(
    state: &crate::http::AppState,
    addr: std::net::SocketAddr,
    rate: u32,
    seconds: u64,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(Request::get(format!("http://{addr}/api/stream")).body(Empty::new())?)
        .await?;
    let mut body = response.into_body();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        let mut text = String::new();
        let mut ready = Some(ready_tx);
        while let Some(Ok(frame)) = body.frame().await {
            let Some(data) = frame.data_ref() else {
                continue;
            };
            let at = Instant::now();
            text.push_str(&String::from_utf8_lossy(data));
            while let Some(end) = text.find("\n\n") {
                let event: String = text.drain(..end + 2).collect();
                if event.contains("event: ready") {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                let Some(json) = event.lines().find_map(|l| l.strip_prefix("data: ")) else {
                    continue;
                };
                let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
                if let Some(id) = value["incident"]["id"].as_str() {
                    let _ = tx.send((id.to_owned(), at));
                }
            }
        }
    });
    ready_rx.await.context("the event stream did not open")?;

    let data = state.service().data();
    let places: Vec<(f64, f64)> = data
        .snapshot()
        .grids
        .iter()
        .filter_map(|g| geo::InteriorPoint::interior_point(&g.polygon))
        .map(|p| (p.x(), p.y()))
        .collect();
    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let n = (u64::from(rate) * seconds) as usize;
    for k in 0..n {
        tick.tick().await;
        let (lon, lat) = places[k % places.len().max(1)];
        let request = ReportRequest {
            category: "environment.garbage".into(),
            lon,
            lat,
            source: Some("bench".into()),
            ..ReportRequest::default()
        };
        let start = Instant::now();
        let view = state
            .service()
            .report_incident(&Caller::Operator, &request)
            .await?;
        sent.insert(view.id, start);
    }
    // Whatever has not arrived a few seconds after the last report is counted missing.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut latencies = Vec::with_capacity(n);
    while latencies.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some((id, at))) => {
                if let Some(start) = sent.remove(&id) {
                    latencies.push(at.saturating_duration_since(start));
                }
            }
            _ => break,
        }
    }
    reader.abort();
    latencies.sort();
    Ok((latencies, n))
}
