//! `gridmap bench partition --urban`: the partitioner on city data (a synthetic district
//! of towers and mid-rise blocks, and real footprints when given), and how much a
//! repair after a 1% change moves.

use super::bench::{median, run_partition};
use super::Outcome;
use crate::cli::BenchPartitionArgs;
use anyhow::Context;
use gridmap_core::partition::{partition_all, PartitionParams, QualityReport};
use gridmap_core::Grid;
use gridmap_importers::GeoJsonOptions;
use gridmap_service::county::County;
use gridmap_service::Scope;
use gridmap_synth::urban;
use indicatif::ProgressBar;
use std::path::Path;
use std::time::Instant;

pub(crate) fn run(args: &BenchPartitionArgs) -> anyhow::Result<Outcome> {
    let params = PartitionParams::default();
    let runs = args.runs.max(1);
    // The district: six communities, ~46k households.
    let (units, buildings) = urban::district(6, 7_700, 1);
    let n = buildings.len();
    let county = County {
        units,
        buildings,
        ..County::default()
    };
    let (report, wall) = run_partition(&county, &params, runs);
    outln!("urban district: 6 communities, {n} buildings")?;
    outln!("{report}")?;
    outln!("median wall time over {runs} runs: {wall:.4} s")?;
    let changed = after_change(&county, &params, 0.01, 2);
    outln!("after re-levelling 1% of the buildings and repairing:\n{changed}")?;

    if let Some(path) = &args.real {
        let county = real_county(path)?;
        let (report, wall) = run_partition(&county, &params, runs);
        outln!(
            "\nreal footprints ({}): {} buildings",
            path.display(),
            county.buildings.len()
        )?;
        outln!("{report}")?;
        outln!("median wall time over {runs} runs: {wall:.4} s")?;
        let changed = after_change(&county, &params, 0.01, 2);
        outln!("after re-levelling 1% of the buildings and repairing:\n{changed}")?;
    }

    let seeds = args.seeds.max(1);
    let started = Instant::now();
    let mut moved = Vec::new();
    let mut in_range = Vec::new();
    for seed in 0..seeds {
        let (units, buildings) = urban::district(1, 3_000, seed);
        let county = County {
            units,
            buildings,
            ..County::default()
        };
        let r = after_change(&county, &params, 0.01, seed + 1000);
        moved.push(r.moved_share);
        in_range.push(r.in_range_pct);
    }
    moved.sort_by(f64::total_cmp);
    let p90 = moved[((moved.len() - 1) as f64 * 0.9).round() as usize];
    let worst = moved.last().copied().unwrap_or(f64::NAN);
    let worst_range = in_range.iter().copied().fold(f64::INFINITY, f64::min);
    outln!(
        "\nstability over {seeds} seeds (one community of 3,000 households, 1% re-levelled): \
         moved share median {:.2}%, p90 {:.2}%, worst {:.2}% (target ≤ 3%); \
         worst in-range share after repair {worst_range:.1}% ({:.1} s)",
        100.0 * median(moved.clone()),
        100.0 * p90,
        100.0 * worst,
        started.elapsed().as_secs_f64()
    )?;
    Ok(Outcome::Clean)
}

/// Partitions `county` fresh, re-levels `share` of its buildings (seeded) and repairs
/// from the first run's grids: the repair's report (moved share included).
pub(crate) fn after_change(
    county: &County,
    params: &PartitionParams,
    share: f64,
    seed: u64,
) -> QualityReport {
    let parts = county.villages(&Scope::All);
    let inputs: Vec<_> = parts.iter().map(|p| p.input(&[])).collect();
    let first: Vec<Grid> = partition_all(&inputs, params)
        .into_iter()
        .filter_map(Result::ok)
        .flat_map(|p| p.grids)
        .collect();
    let changed = County {
        units: county.units.clone(),
        buildings: urban::relevel(&county.buildings, share, seed),
        barriers: county.barriers.clone(),
        grids: first,
    };
    let parts = changed.villages(&Scope::All);
    let inputs: Vec<_> = parts.iter().map(|p| p.input(&p.grids)).collect();
    let started = Instant::now();
    let results = partition_all(&inputs, params);
    QualityReport::from_partitions(&results, started.elapsed())
}

/// Real footprints with heights as one community ([`urban::real_district`]).
fn real_county(path: &Path) -> anyhow::Result<County> {
    let (buildings, _) = gridmap_importers::read_geojson_buildings(
        path,
        &GeoJsonOptions::default(),
        &ProgressBar::hidden(),
    )
    .with_context(|| format!("reading {}", path.display()))?;
    let footprints = buildings
        .into_iter()
        .filter_map(|b| Some((b.source_id, b.footprint, f64::from(b.height?))))
        .collect();
    let (units, buildings) =
        urban::real_district(footprints).context("no footprints with a height")?;
    Ok(County {
        units,
        buildings,
        ..County::default()
    })
}
