//! `gridmap bench edits`: a planner's edits in the synthetic county of 300k households,
//! timed at the service (what the server spends on `POST /api/villages/{code}/edits`):
//! in the village closest to 3,000 households, 20 whole buildings move from one grid to
//! its neighbour and back, again and again; each edit redraws the village's polygons,
//! checks its rules before and after, stores one change and brings the map up to date.
//! Then the village is rebalanced (partitioned again from its grids) a few times.

use super::bench::{bench_server, percentile_ms};
use super::Outcome;
use crate::cli::BenchEditsArgs;
use anyhow::Context;
use geo::{Centroid, Distance, Euclidean};
use geo_types::Point;
use gridmap_core::{Grid, GridCode};
use gridmap_service::edit::GridOperation;
use gridmap_service::plan::EditRequest;
use gridmap_service::Caller;
use std::collections::BTreeMap;
use std::time::Instant;

/// Buildings moved by each edit.
const MOVED: usize = 20;

pub(crate) async fn run(args: &BenchEditsArgs) -> anyhow::Result<Outcome> {
    let (_addr, state, dir) = bench_server(args.households).await?;
    let service = state.service().clone();
    let (village, households, from, to, buildings) = {
        let data = service.data();
        let snap = data.snapshot();
        let mut per_village: BTreeMap<&gridmap_core::DivisionCode, (u64, Vec<&Grid>)> =
            BTreeMap::new();
        for g in &snap.grids {
            let e = per_village.entry(&g.village).or_default();
            e.0 += u64::from(g.households);
            e.1.push(g);
        }
        let (village, (households, grids)) = per_village
            .into_iter()
            .min_by_key(|(_, (h, _))| h.abs_diff(args.village_households))
            .context("the synthetic county has no grids")?;
        let (from, to, buildings) = pair_to_edit(grids).context("no two grids to edit")?;
        (village.clone(), households, from, to, buildings)
    };
    outln!(
        "village {village}: {households} households; each edit moves {} buildings between {from} and {to}",
        buildings.len()
    )?;
    let mut times = Vec::with_capacity(args.edits);
    for k in 0..args.edits {
        let (source, target) = if k % 2 == 0 {
            (&from, &to)
        } else {
            (&to, &from)
        };
        let moving = GridOperation::MoveBuildings {
            buildings: buildings.clone(),
            to: target.clone(),
        };
        let took = timed_edit(&service, &village, moving)
            .await
            .with_context(|| {
                format!("edit {k}: moving {MOVED} buildings from {source} to {target}")
            })?;
        times.push(took);
    }
    times.sort();
    outln!(
        "edit (move {MOVED} buildings) ×{}: p50 {:.1} ms  p95 {:.1} ms  max {:.1} ms  target p95 ≤ 100 ms",
        times.len(),
        percentile_ms(&times, 50.0),
        percentile_ms(&times, 95.0),
        percentile_ms(&times, 100.0)
    )?;
    // Rebalance: the partitioner again over the village, its grids as the start.
    let mut rebalances = Vec::new();
    for _ in 0..args.rebalances {
        let rebalance = GridOperation::Rebalance {
            village: village.clone(),
            grids: None,
        };
        let took = timed_edit(&service, &village, rebalance)
            .await
            .with_context(|| format!("rebalancing {village}"))?;
        rebalances.push(took);
    }
    rebalances.sort();
    outln!(
        "rebalance of the village ×{}: p50 {:.1} ms  max {:.1} ms  target ≤ 1,000 ms",
        rebalances.len(),
        percentile_ms(&rebalances, 50.0),
        percentile_ms(&rebalances, 100.0)
    )?;
    let t = Instant::now();
    service.sync_changes().await?;
    outln!(
        "an idle sync (no change): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    )?;
    drop(dir);
    Ok(Outcome::Clean)
}

/// How long the service takes for `operation` on `village`.
pub(crate) async fn timed_edit(
    service: &gridmap_service::Service,
    village: &gridmap_core::DivisionCode,
    operation: GridOperation,
) -> anyhow::Result<std::time::Duration> {
    let request = EditRequest {
        operation,
        versions: BTreeMap::new(),
    };
    let t = Instant::now();
    service
        .edit_village(&Caller::Operator, village.as_str(), &request)
        .await?;
    Ok(t.elapsed())
}

/// Two residential grids of a village whose centres lie closest together, and the first
/// [`MOVED`] whole buildings (by id) of the first.
pub(crate) fn pair_to_edit(grids: Vec<&Grid>) -> Option<(GridCode, GridCode, Vec<String>)> {
    let residential: Vec<(&Grid, Point<f64>)> = grids
        .into_iter()
        .filter(|g| !g.institution && !g.locked && g.members.len() > MOVED)
        .filter_map(|g| Some((g, g.polygon.centroid()?)))
        .collect();
    type Placed<'a> = (&'a Grid, Point<f64>);
    let gap = |(a, b): &(&Placed, &Placed)| Euclidean.distance(a.1, b.1);
    let (a, b) = residential
        .iter()
        .flat_map(|a| residential.iter().map(move |b| (a, b)))
        .filter(|(a, b)| a.0.code != b.0.code)
        .min_by(|x, y| gap(x).total_cmp(&gap(y)))?;
    let mut whole: Vec<&str> = a.0.whole_buildings().collect();
    whole.sort_unstable();
    whole.truncate(MOVED);
    Some((
        a.0.code.clone(),
        b.0.code.clone(),
        whole.into_iter().map(str::to_owned).collect(),
    ))
}
