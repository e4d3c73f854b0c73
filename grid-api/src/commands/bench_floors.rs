//! `gridmap bench floors`: what the server spends on the household-status map (#16),
//! timed at the service in a synthetic county: the floor diagram of its tallest tower
//! (`GET /api/buildings/{id}`: every flat with its grid, head, phone and situations,
//! the read audited), the tower's grid by situation (`GET /api/situations?grid=`), and
//! the situation shares of the buildings in a 600 m view (`/api/situations/buildings`).

use super::bench::{bench_server, percentile_ms};
use super::Outcome;
use crate::cli::BenchFloorsArgs;
use anyhow::Context;
use gridmap_core::geometry::representative_point;
use gridmap_core::TagGroup;
use gridmap_service::{situations, Caller, Scope};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Half the side of the view whose buildings are coloured, in degrees (about 300 m).
const VIEW_HALF_DEG: f64 = 0.003;

pub(crate) async fn run(args: &BenchFloorsArgs) -> anyhow::Result<Outcome> {
    let (_addr, state, dir) = bench_server(args.households).await?;
    let service = state.service().clone();
    let data = service.data();
    let snap = data.snapshot();
    let tower = snap
        .buildings
        .iter()
        .filter(|b| b.households.count > 0)
        .max_by_key(|b| (b.levels.unwrap_or(0), b.households.count))
        .context("the synthetic county has no dwellings")?;
    let at = representative_point(&tower.footprint).context("a tower without a footprint")?;
    let operator = Caller::Operator;
    let store = service.store().clone();

    let mut diagram = Vec::with_capacity(args.runs);
    let mut floors = 0;
    for _ in 0..args.runs {
        let started = Instant::now();
        let detail = service.building(&operator, &tower.source_id).await?;
        diagram.push(started.elapsed());
        floors = detail
            .building
            .household_list
            .iter()
            .filter_map(|h| h.floor)
            .collect::<BTreeSet<_>>()
            .len();
    }
    diagram.sort_unstable();
    outln!(
        "floor diagram of the tallest tower ({floors} floors, {} flats): median {:.2} ms, p95 {:.2} ms over {} runs (target ≤ 100 ms)",
        tower.households.count,
        percentile_ms(&diagram, 50.0),
        percentile_ms(&diagram, 95.0),
        args.runs
    )?;

    let grid = snap
        .grids_of_building(snap.building_index(&tower.source_id).unwrap_or(0))
        .filter_map(|g| snap.grids.get(g))
        .next()
        .map(|g| g.code.clone())
        .context("the tower is in no grid")?;
    let by_grid = timed(args.runs, || async {
        situations::grid_situations(store.as_ref(), snap, &operator, &Scope::All, Some(&grid))
            .await
            .map(|_| ())
    })
    .await?;
    outln!(
        "situations of grid {grid}: median {:.2} ms, p95 {:.2} ms",
        percentile_ms(&by_grid, 50.0),
        percentile_ms(&by_grid, 95.0)
    )?;

    let bbox = [
        at.x() - VIEW_HALF_DEG,
        at.y() - VIEW_HALF_DEG,
        at.x() + VIEW_HALF_DEG,
        at.y() + VIEW_HALF_DEG,
    ];
    let shown = situations::buildings_in_situation(
        store.as_ref(),
        snap,
        &operator,
        bbox,
        TagGroup::LowIncome,
        (&Scope::All, None),
    )
    .await?
    .len();
    let in_view = timed(args.runs, || async {
        situations::buildings_in_situation(
            store.as_ref(),
            snap,
            &operator,
            bbox,
            TagGroup::LowIncome,
            (&Scope::All, None),
        )
        .await
        .map(|_| ())
    })
    .await?;
    outln!(
        "situation shares of the {shown} buildings in a 600 m view: median {:.2} ms, p95 {:.2} ms",
        percentile_ms(&in_view, 50.0),
        percentile_ms(&in_view, 95.0)
    )?;
    drop(dir);
    Ok(Outcome::Clean)
}

/// `runs` timings of `f`, sorted.
async fn timed<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = gridmap_service::ServiceResult<()>>,
{
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        out.push(started.elapsed());
    }
    out.sort_unstable();
    Ok(out)
}
