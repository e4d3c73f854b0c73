//! Nested grids through the public API: random villages from `gridmap-synth` cut into
//! comprehensive grids of 300–500 households and micro-grids of 30–50 (proptest over
//! seeds, sizes and tower shares), and hand-made cases.

use gridmap_core::partition::*;
use gridmap_core::{Building, Grid};
use gridmap_synth::small::{roads, villages_with};
use proptest::prelude::*;

fn upper() -> PartitionParams {
    PartitionParams::default()
        .with_comprehensive(Some(LevelSizes::new(300, 500)))
        .comprehensive_params()
        .unwrap()
}

fn nested(
    v: &gridmap_core::AdminUnit,
    bs: &[Building],
    barriers: &[&gridmap_core::Barrier],
    previous: &[Grid],
    institutions: bool,
) -> NestedPartition {
    let refs: Vec<&Building> = bs.iter().collect();
    let input = VillageInput {
        village: v,
        buildings: &refs,
        barriers,
        previous,
    };
    partition_village_nested(
        &input,
        &upper(),
        &PartitionParams::default().with_institution_grids(institutions),
    )
    .expect("nested partition succeeds")
}

/// The violations of one level that its flags do not explain: sizes out of range only
/// where the level flags them (or the part cannot be balanced at all), pieces only for
/// grids standing on a footprint.
fn unexplained(
    level: &VillagePartition,
    buildings: &[Building],
    violations: Vec<Violation>,
) -> Vec<Violation> {
    let infeasible = level.flags.iter().any(|f| {
        matches!(
            f,
            PartitionFlag::Undersized { .. } | PartitionFlag::Oversized { .. }
        )
    });
    violations
        .into_iter()
        .filter(|v| match v {
            Violation::SizeOutOfRange { grid, .. } => {
                !infeasible
                    && !level.flags.iter().any(
                        |f| matches!(f, PartitionFlag::OutOfRange { grid: g, .. } if g == grid),
                    )
            }
            Violation::NonContiguous { grid, .. } => {
                let on_footprint = level.grids.iter().any(|g| {
                    g.code.as_str() == grid
                        && g.members.len() == 1
                        && (g.institution || g.members[0].flats.is_some())
                });
                let flagged = level.flags.iter().any(
                    |f| matches!(f, PartitionFlag::NonContiguous { grid: g, .. } if g == grid),
                );
                !on_footprint && !flagged
            }
            // Random villages put buildings on top of each other: grids standing on two
            // overlapping footprints overlap where the footprints do.
            Violation::Overlap { grid, other, .. } => {
                !footprints_overlap(level, buildings, grid, other)
            }
            _ => true,
        })
        .collect()
}

/// Whether grids `a` and `b` of `level` stand on footprints of different buildings
/// that overlap each other (or one of them does and the other holds an overlapping
/// building).
fn footprints_overlap(level: &VillagePartition, buildings: &[Building], a: &str, b: &str) -> bool {
    use geo::{Area, BooleanOps};
    let of = |code: &str| -> Vec<&Building> {
        level
            .grids
            .iter()
            .filter(|g| g.code.as_str() == code)
            .flat_map(|g| &g.members)
            .filter_map(|m| buildings.iter().find(|x| x.source_id == m.building))
            .collect()
    };
    let (left, right) = (of(a), of(b));
    left.iter().any(|x| {
        right.iter().any(|y| {
            x.source_id != y.source_id
                && x.footprint.intersection(&y.footprint).unsigned_area() > 0.0
        })
    })
}

fn check(v: &gridmap_core::AdminUnit, bs: &[Building], out: &NestedPartition, institutions: bool) {
    let refs: Vec<&Building> = bs.iter().collect();
    let upper = upper();
    let lower = PartitionParams::default().with_institution_grids(institutions);
    // Each level on its own tiles the village with every household in exactly one grid.
    let top = validate_grids(v, &refs, &out.comprehensive.grids, &upper);
    let top = unexplained(&out.comprehensive, bs, top);
    assert!(top.is_empty(), "comprehensive level: {top:?}");
    let micro = validate_grids(v, &refs, &out.micro.grids, &lower);
    let micro = unexplained(&out.micro, bs, micro);
    assert!(micro.is_empty(), "micro level: {micro:?}");
    // Exact nesting: codes, households and polygons.
    let nesting = validate_nesting(v, &out.comprehensive.grids, &out.micro.grids);
    assert!(nesting.is_empty(), "nesting: {nesting:?}");
    // The measure: each comprehensive polygon equals the union of its
    // micro-grids within 1e-9 of its area.
    let (share, _) = nesting_error(v, &out.comprehensive.grids, &out.micro.grids);
    assert!(
        share <= 1e-9,
        "a comprehensive grid differs from its micro-grids' union by {share:.1e} of its area"
    );
    assert!(out
        .comprehensive
        .grids
        .iter()
        .all(|g| g.level == Grid::COMPREHENSIVE && g.parent.is_none()));
    assert!(out.micro.grids.iter().all(|g| g.level == Grid::MICRO
        && g.parent.as_ref() == g.code.parent().as_ref()
        && g.parent.is_some()));
    // Micro serials run from 1 within each comprehensive grid on a first run.
    for p in &out.comprehensive.grids {
        let mut serials: Vec<u16> = out
            .micro
            .grids
            .iter()
            .filter(|g| g.parent.as_ref() == Some(&p.code))
            .map(|g| g.code.serial())
            .collect();
        serials.sort_unstable();
        assert_eq!(serials, (1..=serials.len() as u16).collect::<Vec<_>>());
        assert!(!serials.is_empty(), "{} has no micro-grids", p.code);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn random_villages_nest_exactly_at_both_levels(
        seed in 0u64..1_000_000,
        n in 1usize..900,
        hpb in prop_oneof![Just(2.0), Just(6.0)],
        institutions in any::<bool>(),
        n_roads in 0usize..3,
    ) {
        let (vs, bs) = villages_with(1, n, seed, hpb);
        let barriers = roads(&vs, n_roads, seed);
        let barrier_refs: Vec<_> = barriers.iter().collect();
        let out = nested(&vs[0], &bs, &barrier_refs, &[], institutions);
        check(&vs[0], &bs, &out, institutions);
        // A second run from the first one's grids changes nothing: both levels keep
        // their codes and members.
        let grids = out.clone().into_grids();
        let again = nested(&vs[0], &bs, &barrier_refs, &grids, institutions);
        // (Buildings without households may change grid in a repair.)
        let key = |g: &Grid| (g.code.clone(), g.households, g.level, g.parent.clone());
        prop_assert_eq!(
            again.clone().into_grids().iter().map(key).collect::<Vec<_>>(),
            grids.iter().map(key).collect::<Vec<_>>()
        );
        prop_assert_eq!(again.micro.moved_households, 0);
        prop_assert_eq!(again.comprehensive.moved_households, 0);
    }
}

#[test]
fn a_village_below_the_upper_minimum_is_one_flagged_comprehensive_grid() {
    let (vs, bs) = villages_with(1, 80, 11, 2.0);
    let households: u32 = bs.iter().map(|b| b.households.count).sum();
    assert!((60..300).contains(&households), "{households}");
    let out = nested(&vs[0], &bs, &[], &[], false);
    assert_eq!(out.comprehensive.grids.len(), 1);
    assert!(out
        .comprehensive
        .flags
        .iter()
        .any(|f| matches!(f, PartitionFlag::Undersized { .. })));
    assert!(out.micro.grids.len() >= 2);
    check(&vs[0], &bs, &out, false);
}

#[test]
fn a_large_village_gets_several_comprehensive_grids_of_several_micro_grids() {
    let (vs, bs) = villages_with(1, 1500, 5, 2.0);
    let out = nested(&vs[0], &bs, &[], &[], false);
    check(&vs[0], &bs, &out, false);
    let n = out.comprehensive.grids.len();
    assert!(n >= 4, "{n} comprehensive grids");
    assert!(out
        .comprehensive
        .grids
        .iter()
        .all(|g| (300..=500).contains(&g.households)));
    assert!(out.micro.grids.len() >= 6 * n);
}

#[test]
fn towers_split_between_comprehensive_grids_keep_their_flats_apart() {
    // A 700-household tower is cut into two comprehensive grids by flat ranges; the
    // micro-grids of each hold flats only within their parent's range.
    let (vs, mut bs) = villages_with(1, 400, 21, 2.0);
    let tower = bs.iter().position(|b| b.households.count > 0).unwrap();
    bs[tower].households.count = 700;
    let out = nested(&vs[0], &bs, &[], &[], false);
    assert!(out
        .comprehensive
        .grids
        .iter()
        .flat_map(|g| &g.members)
        .any(|m| m.flats.is_some()));
    check(&vs[0], &bs, &out, false);
}

#[test]
fn micro_sizes_above_the_comprehensive_minimum_are_refused() {
    let (vs, bs) = villages_with(1, 50, 1, 2.0);
    let refs: Vec<&Building> = bs.iter().collect();
    let input = VillageInput {
        village: &vs[0],
        buildings: &refs,
        barriers: &[],
        previous: &[],
    };
    let err = partition_village_nested(
        &input,
        &PartitionParams::new(40, 60, 50),
        &PartitionParams::default(),
    )
    .unwrap_err();
    assert!(matches!(err, PartitionError::InvalidLevels { .. }), "{err}");
}

#[test]
fn validate_nesting_names_a_micro_grid_outside_its_parent() {
    let (vs, bs) = villages_with(1, 1200, 8, 2.0);
    let out = nested(&vs[0], &bs, &[], &[], false);
    let mut micro = out.micro.grids.clone();
    // Re-parent one micro-grid to another comprehensive grid: its households are not
    // that grid's, both parents' sums break, and both unions differ.
    let other = out.comprehensive.grids[1].code.clone();
    let moved = micro
        .iter()
        .position(|g| g.parent.as_ref() != Some(&other))
        .unwrap();
    micro[moved].parent = Some(other);
    let found = validate_nesting(&vs[0], &out.comprehensive.grids, &micro);
    assert!(
        found.iter().any(|v| matches!(v, Violation::NotNested { grid, .. } if *grid == micro[moved].code.to_string())),
        "{found:?}"
    );
    assert!(found
        .iter()
        .any(|v| matches!(v, Violation::NestingMismatch { .. })));
}

#[test]
fn an_edit_at_either_level_keeps_the_levels_nested_and_the_codes() {
    use gridmap_core::edit::move_buildings;
    let (vs, bs) = villages_with(1, 1_200, 9, 2.0);
    let out = nested(&vs[0], &bs, &[], &[], false);
    let top = out.comprehensive.grids.clone();
    let refs: Vec<&Building> = bs.iter().collect();
    let input = VillageInput {
        village: &vs[0],
        buildings: &refs,
        barriers: &[],
        previous: &[],
    };
    let lower = PartitionParams::default();
    let codes = |n: &NestedPartition| -> Vec<String> {
        let mut c: Vec<String> = n
            .clone()
            .into_grids()
            .iter()
            .map(|g| g.code.to_string())
            .collect();
        c.sort();
        c
    };
    // Micro level: a building of one comprehensive grid's micro-grid moves into a
    // micro-grid of a neighbouring comprehensive grid.
    // The building of the first comprehensive grid nearest the second, into the second's
    // micro-grid nearest to it.
    use geo::{Centroid, Distance, Euclidean};
    let mut micro = out.micro.grids.clone();
    let centre = |id: &str| {
        bs.iter()
            .find(|b| b.source_id == id)
            .and_then(|b| b.footprint.centroid())
            .unwrap()
    };
    let moved = top[0]
        .members
        .iter()
        .filter(|m| m.flats.is_none() && m.households > 0)
        .min_by(|a, b| {
            let d = |m: &gridmap_core::GridMember| {
                Euclidean.distance(&top[1].polygon, &centre(&m.building))
            };
            d(a).total_cmp(&d(b))
        })
        .unwrap()
        .building
        .clone();
    let to = micro
        .iter()
        .filter(|g| g.parent.as_ref() == Some(&top[1].code))
        .min_by(|a, b| {
            let d = |g: &Grid| Euclidean.distance(&g.polygon, &centre(&moved));
            d(a).total_cmp(&d(b))
        })
        .unwrap()
        .code
        .clone();
    move_buildings(&mut micro, &[moved.as_str()], &to).unwrap();
    let previous: Vec<Grid> = top.iter().cloned().chain(micro).collect();
    let again = rebuild_nested(
        &VillageInput {
            previous: &previous,
            ..input
        },
        &upper(),
        &lower,
        EditedLevel::Micro,
    )
    .unwrap();
    let holds = |grids: &[Grid], code: &gridmap_core::GridCode| {
        grids
            .iter()
            .find(|g| &g.code == code)
            .is_some_and(|g| g.members.iter().any(|m| m.building == moved))
    };
    assert!(holds(&again.micro.grids, &to));
    assert!(holds(&again.comprehensive.grids, &top[1].code));
    assert!(!holds(&again.comprehensive.grids, &top[0].code));
    assert_eq!(codes(&again), codes(&out));
    let nesting = validate_nesting(&vs[0], &again.comprehensive.grids, &again.micro.grids);
    assert!(nesting.is_empty(), "{nesting:?}");
    for (level, params) in [
        (&again.comprehensive, upper()),
        (&again.micro, lower.clone()),
    ] {
        let v: Vec<_> = validate_grids(&vs[0], &refs, &level.grids, &params)
            .into_iter()
            .filter(|v| !matches!(v, Violation::SizeOutOfRange { .. }))
            .collect();
        assert!(v.is_empty(), "{v:?}");
    }

    // Comprehensive level: the building goes back; the micro-grids of both
    // comprehensive grids are cut again and still nest.
    let mut top2 = again.comprehensive.grids.clone();
    move_buildings(&mut top2, &[moved.as_str()], &top[0].code).unwrap();
    let previous: Vec<Grid> = top2.into_iter().chain(again.micro.grids.clone()).collect();
    let back = rebuild_nested(
        &VillageInput {
            previous: &previous,
            ..input
        },
        &upper(),
        &lower,
        EditedLevel::Comprehensive,
    )
    .unwrap();
    assert!(holds(&back.comprehensive.grids, &top[0].code));
    let micro_holder = back
        .micro
        .grids
        .iter()
        .find(|g| g.members.iter().any(|m| m.building == moved))
        .unwrap();
    assert_eq!(micro_holder.parent.as_ref(), Some(&top[0].code));
    let nesting = validate_nesting(&vs[0], &back.comprehensive.grids, &back.micro.grids);
    assert!(nesting.is_empty(), "{nesting:?}");
    for (level, params) in [(&back.comprehensive, upper()), (&back.micro, lower)] {
        let v = validate_grids(&vs[0], &refs, &level.grids, &params);
        assert!(v.is_empty(), "{v:?}");
    }
}
