//! Partition benchmark on synthetic data: prints the quality report and timings.
//!
//! `cargo run --release -p gridmap-core --example partition_bench [small|huge|large|all]`
//!
//! * small: 5,000 buildings / ~32k households in 10 villages;
//! * large: 1,000,000 buildings / ~300k households in 1,000 villages;
//! * the small set cut by two random roads per village;
//! * a repair run after adding/removing 1% of the buildings of the small set;
//! * huge: one village of 12,000 buildings (with and without institution grids);
//! * validation of the small set.
#![allow(clippy::print_stdout)]

use gridmap_core::partition::{
    partition_all, validate_grids, PartitionParams, QualityReport, VillageInput, VillagePartition,
};
use gridmap_core::{AdminUnit, Barrier, Building, Grid};
use gridmap_synth::small;
use std::collections::HashMap;
use std::time::Instant;

fn by_village<'a>(villages: &[AdminUnit], buildings: &'a [Building]) -> Vec<Vec<&'a Building>> {
    let index: HashMap<_, usize> = villages
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.clone(), i))
        .collect();
    let mut out = vec![Vec::new(); villages.len()];
    for b in buildings {
        if let Some(&i) = b.village.as_ref().and_then(|c| index.get(c)) {
            out[i].push(b);
        }
    }
    out
}

fn run(
    name: &str,
    villages: &[AdminUnit],
    per: &[Vec<&Building>],
    previous: &[Vec<Grid>],
    params: &PartitionParams,
) -> Vec<VillagePartition> {
    let none = vec![Vec::new(); villages.len()];
    run_with_barriers(name, villages, per, previous, &none, params)
}

fn run_with_barriers(
    name: &str,
    villages: &[AdminUnit],
    per: &[Vec<&Building>],
    previous: &[Vec<Grid>],
    barriers: &[Vec<&Barrier>],
    params: &PartitionParams,
) -> Vec<VillagePartition> {
    let inputs: Vec<VillageInput> = villages
        .iter()
        .zip(per)
        .zip(previous)
        .zip(barriers)
        .map(|(((v, bs), prev), bars)| VillageInput {
            village: v,
            buildings: bs,
            barriers: bars,
            previous: prev,
        })
        .collect();
    let t = Instant::now();
    let results = partition_all(&inputs, params);
    let wall = t.elapsed();
    let report = QualityReport::from_partitions(&results, wall);
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        println!("  error: {e}");
    }
    let buildings: usize = per.iter().map(Vec::len).sum();
    println!(
        "== {name}: {} villages, {buildings} buildings",
        villages.len()
    );
    println!("{report}\n");
    results.into_iter().filter_map(Result::ok).collect()
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let params = PartitionParams::default();
    if which == "small" || which == "all" {
        let (villages, buildings) = small::villages_with(10, 500, 42, 6.4);
        let per = by_village(&villages, &buildings);
        let none = vec![Vec::new(); villages.len()];
        // Warm-up (thread pool start), then the measured run.
        let _ = run("small (warm-up)", &villages, &per, &none, &params);
        let first = run(
            "small: 5k buildings / ~32k households / 10 villages",
            &villages,
            &per,
            &none,
            &params,
        );
        let t = Instant::now();
        let mut violations = 0;
        for ((v, bs), p) in villages.iter().zip(&per).zip(&first) {
            let found = validate_grids(v, bs, &p.grids, &params);
            for x in found.iter().take(3) {
                println!("  violation: {x}");
            }
            violations += found.len();
        }
        println!(
            "validation: {violations} violations ({:.3} s)\n",
            t.elapsed().as_secs_f64()
        );
        // 1% change: remove every 200th building (0.5%) and add as many new houses
        // elsewhere, next to other buildings (0.5%), 1–3 households each.
        let mut changed: Vec<Building> = buildings
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 200 != 0)
            .map(|(_, b)| b.clone())
            .collect();
        for (k, b) in buildings.iter().skip(100).step_by(200).enumerate() {
            let mut nb = b.clone();
            nb.source_id = format!("synth:new/{k}");
            nb.building_use = gridmap_core::BuildingUse::Residential;
            nb.households = gridmap_core::HouseholdCount::registered(1 + (k % 3) as u32);
            nb.footprint.0.iter_mut().for_each(|p| {
                use geo::Translate;
                *p = p.translate(0.00013, 0.00009);
            });
            changed.push(nb);
        }
        // The same villages cut by two random roads each.
        let roads = small::roads(&villages, 2, 5);
        let per_roads: Vec<Vec<&Barrier>> = villages
            .iter()
            .map(|v| {
                roads
                    .iter()
                    .filter(|r| r.source_id.contains(v.code.as_str()))
                    .collect()
            })
            .collect();
        let with_roads = run_with_barriers(
            "small with 2 roads per village",
            &villages,
            &per,
            &none,
            &per_roads,
            &params,
        );
        let mut violations = 0;
        for ((v, bs), p) in villages.iter().zip(&per).zip(&with_roads) {
            violations += validate_grids(v, bs, &p.grids, &params).len();
        }
        println!("validation with roads: {violations} violations\n");
        let per2 = by_village(&villages, &changed);
        let prev: Vec<Vec<Grid>> = first.iter().map(|p| p.grids.clone()).collect();
        let _ = run(
            "small after a 1% change (repair from previous grids)",
            &villages,
            &per2,
            &prev,
            &params,
        );
    }
    if which == "huge" || which == "all" {
        // One urban-sized village: 12,000 buildings, ~24k households, ~600 grids
        // (+ ~240 institution grids when on; serials stop at 999).
        let (villages, buildings) = small::villages_with(1, 12_000, 9, 2.0);
        let per = by_village(&villages, &buildings);
        let none = vec![Vec::new(); villages.len()];
        let _ = run(
            "huge: one village of 12k buildings",
            &villages,
            &per,
            &none,
            &params,
        );
        let roads = small::roads(&villages, 40, 3);
        let road_refs: Vec<Vec<&Barrier>> = vec![roads.iter().collect()];
        let cut = run_with_barriers(
            "huge, cut by 40 roads",
            &villages,
            &per,
            &none,
            &road_refs,
            &params,
        );
        for (v, p) in villages.iter().zip(&cut) {
            println!(
                "validation: {} violations\n",
                validate_grids(v, &per[0], &p.grids, &params).len()
            );
        }
        let with_inst = params.clone().with_institution_grids(true);
        let _ = run(
            "huge, institution grids on",
            &villages,
            &per,
            &none,
            &with_inst,
        );
    }
    if which == "large" || which == "all" {
        let t = Instant::now();
        let (villages, buildings) = small::villages_with(1000, 1000, 7, 0.3);
        let per = by_village(&villages, &buildings);
        println!("(generated in {:.2} s)", t.elapsed().as_secs_f64());
        let none = vec![Vec::new(); villages.len()];
        let _ = run(
            "large: 1M buildings / ~300k households / 1000 villages",
            &villages,
            &per,
            &none,
            &params,
        );
    }
}
