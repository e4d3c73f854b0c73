//! The partitioner on city data: synthetic districts of towers and mid-rise blocks
//! (`gridmap_synth::urban`) over many seeds, and the Shijiazhuang footprints when the
//! shared data directory is present.

use geo_types::{LineString, MultiPolygon, Polygon};
use gridmap_core::partition::*;
use gridmap_core::{AdminUnit, Building, Grid};
use gridmap_synth::urban;
use std::collections::HashMap;

fn run(v: &AdminUnit, bs: &[&Building], previous: &[Grid]) -> VillagePartition {
    partition_village(
        &VillageInput {
            village: v,
            buildings: bs,
            barriers: &[],
            previous,
        },
        &PartitionParams::default(),
    )
    .expect("partition succeeds")
}

/// Every violation, after asserting none is a grid polygon in pieces: a footprint cut
/// out across a narrow ground grid must not cut it in two (the stacking rule lets that
/// grid hold the footprint instead).
fn serious(violations: Vec<Violation>, grids: usize) -> Vec<Violation> {
    let pieces: Vec<&Violation> = violations
        .iter()
        .filter(|v| matches!(v, Violation::NonContiguous { .. }))
        .collect();
    assert!(pieces.is_empty(), "of {grids} grids: {pieces:?}");
    violations
}

fn of_village<'a>(v: &AdminUnit, bs: &'a [Building]) -> Vec<&'a Building> {
    bs.iter()
        .filter(|b| b.village.as_ref() == Some(&v.code))
        .collect()
}

/// Every grid in range, no overlap outside stacked groups, the village covered, every
/// flat in exactly one grid: the validator finds nothing.
#[test]
fn urban_districts_are_in_range_tiled_and_stacked() {
    let p = PartitionParams::default();
    for seed in 0..16 {
        let (units, buildings) = urban::district(2, 1_500, seed);
        for v in &units {
            let bs = of_village(v, &buildings);
            let out = run(v, &bs, &[]);
            let violations = serious(validate_grids(v, &bs, &out.grids, &p), out.grids.len());
            assert!(violations.is_empty(), "seed {seed}: {violations:?}");
            assert_eq!(
                out.report.in_range, out.report.residential_grids,
                "seed {seed}"
            );
            assert!(
                out.report.overlap_m2 < 1e-3,
                "seed {seed}: {}",
                out.report.overlap_m2
            );
            assert!(out.report.stacked_groups > 0, "seed {seed}: towers stack");
        }
    }
}

/// Grids stacked on a tower share exactly its footprint polygon; the only ground grid
/// touching the footprint is the one holding the tower's remaining flats.
#[test]
fn tower_grids_share_one_footprint_and_at_most_one_ground_grid_holds_it() {
    let (units, buildings) = urban::district(1, 2_000, 5);
    let bs = of_village(&units[0], &buildings);
    let out = run(&units[0], &bs, &[]);
    let mut by_building: HashMap<&str, Vec<&Grid>> = HashMap::new();
    for g in &out.grids {
        for m in &g.members {
            by_building.entry(m.building.as_str()).or_default().push(g);
        }
    }
    let towers: Vec<&&Building> = bs.iter().filter(|b| b.households.count > 50).collect();
    assert!(!towers.is_empty());
    for t in towers {
        let grids = &by_building[t.source_id.as_str()];
        let vertical: Vec<&&Grid> = grids.iter().filter(|g| g.members.len() == 1).collect();
        assert!(
            vertical.len() >= 2 || t.households.count <= 100,
            "{}",
            t.source_id
        );
        for g in &vertical {
            assert_eq!(
                g.polygon, vertical[0].polygon,
                "{}: stacked grids differ",
                t.source_id
            );
        }
        let holders = grids.len() - vertical.len();
        assert!(
            holders <= 1,
            "{}: {holders} ground grids hold flats",
            t.source_id
        );
    }
}

/// After re-levelling 1% of the buildings, a repair keeps every grid in range, moves
/// few households (the target is 3%; measured worst 1.6% over these seeds, 2.4%
/// over the 100 seeds of `gridmap bench partition --urban`), and grids whose members
/// did not change keep their code and staff.
#[test]
fn a_one_percent_change_moves_few_households_and_keeps_grids_in_range() {
    let p = PartitionParams::default();
    let mut worst: f64 = 0.0;
    for seed in 0..8 {
        let (units, buildings) = urban::district(1, 2_500, seed);
        let v = &units[0];
        let bs = of_village(v, &buildings);
        let mut first = run(v, &bs, &[]).grids;
        for (i, g) in first.iter_mut().enumerate() {
            g.staff = Some(format!("staff/{i}"));
        }
        let changed = urban::relevel(&buildings, 0.01, seed + 100);
        let cs = of_village(v, &changed);
        let second = run(v, &cs, &first);
        let violations = serious(
            validate_grids(v, &cs, &second.grids, &p),
            second.grids.len(),
        );
        assert!(violations.is_empty(), "seed {seed}: {violations:?}");
        let total: u32 = second.grids.iter().map(|g| g.households).sum();
        let share = f64::from(second.moved_households) / f64::from(total);
        worst = worst.max(share);
        let mut kept = 0;
        for g in &second.grids {
            if let Some(before) = first.iter().find(|f| f.members == g.members) {
                assert_eq!(before.code, g.code, "seed {seed}");
                assert_eq!(before.staff, g.staff, "seed {seed}");
                kept += usize::from(before.polygon == g.polygon);
            }
        }
        // Most grids are untouched: same members, same polygon.
        assert!(
            kept * 2 >= first.len(),
            "seed {seed}: {kept} of {} kept",
            first.len()
        );
    }
    eprintln!("worst moved share {worst}");
    assert!(worst <= 0.02, "worst moved share {worst}");
}

/// Re-running on its own grids with nothing changed moves nobody and keeps every grid,
/// buildings split by flats included (they keep their split).
#[test]
fn an_unchanged_district_is_left_as_it_is() {
    for seed in 0..8 {
        let (units, buildings) = urban::district(1, 2_500, seed);
        let v = &units[0];
        let bs = of_village(v, &buildings);
        let first = run(v, &bs, &[]).grids;
        let split = first
            .iter()
            .flat_map(|g| &g.members)
            .filter(|m| m.flats.is_some())
            .count();
        assert!(split > 0, "seed {seed}: towers and split buildings");
        let again = run(v, &bs, &first);
        assert_eq!(again.moved_households, 0, "seed {seed}");
        assert_eq!(again.grids, first, "seed {seed}");
    }
}

/// 690 real footprints with heights (Shijiazhuang), when the shared data set is present
/// (it is not part of the repository): households estimated at 90 m² per flat.
#[test]
fn real_footprints_when_present() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/buildings/shijiazhuang-osmbuildings.geojson");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&text).expect("GeoJSON");
    let footprints: Vec<(String, MultiPolygon<f64>, f64)> = json["features"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, f)| {
            let height = f["properties"]["height"].as_f64()?;
            let rings = f["geometry"]["coordinates"].as_array()?;
            let ring = |r: &serde_json::Value| -> Option<LineString<f64>> {
                let pts: Option<Vec<(f64, f64)>> = r
                    .as_array()?
                    .iter()
                    .map(|c| Some((c[0].as_f64()?, c[1].as_f64()?)))
                    .collect();
                Some(LineString::from(pts?))
            };
            if f["geometry"]["type"].as_str()? != "Polygon" {
                return None;
            }
            let ext = ring(rings.first()?)?;
            let holes = rings.iter().skip(1).filter_map(ring).collect();
            Some((
                format!("real/{i}"),
                MultiPolygon(vec![Polygon::new(ext, holes)]),
                height,
            ))
        })
        .collect();
    let Some((units, buildings)) = urban::real_district(footprints) else {
        panic!("{} holds no usable footprints", path.display());
    };
    let p = PartitionParams::default();
    let (mut out_of_range, mut grids) = (0, 0);
    for v in &units {
        let bs = of_village(v, &buildings);
        let out = run(v, &bs, &[]);
        let violations = serious(validate_grids(v, &bs, &out.grids, &p), out.grids.len());
        let sizes = violations
            .iter()
            .filter(|v| matches!(v, Violation::SizeOutOfRange { .. }))
            .count();
        assert_eq!(sizes, violations.len(), "{}: {violations:?}", v.code);
        out_of_range += sizes;
        grids += out.grids.len();
    }
    // Every grid in range: the last one out of range (59 households, whose heavy
    // buildings lay inside and whose border house had no flats to give) now gives flats
    // of an inner building.
    assert_eq!(
        out_of_range, 0,
        "{out_of_range} of {grids} grids out of range"
    );
}
