//! The planner's edits followed by a polygon rebuild: memberships are honoured exactly,
//! codes stay, and the village stays tiled (no overlaps, no gaps).

use geo::Intersects;
use gridmap_core::edit::{delete_empty, merge, move_buildings, split, split_along, EditError};
use gridmap_core::partition::{
    partition_village, rebuild_polygons, validate_grids, PartitionParams, VillageInput, Violation,
};
use gridmap_core::{AdminUnit, Building, Grid};

/// Violations an edit may cause (sizes, shape) versus those a rebuild must never leave.
fn tiling_violations(v: &[Violation]) -> Vec<&Violation> {
    v.iter()
        .filter(|v| {
            !matches!(
                v,
                Violation::SizeOutOfRange { .. } | Violation::NonContiguous { .. }
            )
        })
        .collect()
}

fn village() -> (Vec<AdminUnit>, Vec<Building>) {
    gridmap_synth::small::villages(1, 400, 7)
}

fn rebuilt(unit: &AdminUnit, refs: &[&Building], grids: &[Grid]) -> Vec<Grid> {
    let input = VillageInput {
        village: unit,
        buildings: refs,
        barriers: &[],
        previous: grids,
    };
    let out = rebuild_polygons(&input, &PartitionParams::default()).unwrap();
    assert_eq!(
        out.moved_households, 0,
        "the rebuild keeps every membership"
    );
    out.grids
}

/// The grids tile the village: no overlap, gap or household held twice or not at all
/// (sizes and shapes are the planner's business after an edit).
fn assert_tiled(unit: &AdminUnit, refs: &[&Building], grids: &[Grid]) {
    let v = validate_grids(unit, refs, grids, &PartitionParams::default());
    let broken = tiling_violations(&v);
    assert!(broken.is_empty(), "{broken:?}");
}

/// The village's grids as a first partition run makes them.
/// The residential grid of most households among those of more than three buildings.
fn largest_splittable(grids: &[Grid]) -> Grid {
    grids
        .iter()
        .filter(|g| !g.institution && g.members.len() > 3)
        .max_by_key(|g| g.households)
        .unwrap()
        .clone()
}

fn first_grids(unit: &AdminUnit, refs: &[&Building]) -> Vec<Grid> {
    let input = VillageInput {
        village: unit,
        buildings: refs,
        barriers: &[],
        previous: &[],
    };
    partition_village(&input, &PartitionParams::default())
        .unwrap()
        .grids
}

fn holder<'a>(grids: &'a [Grid], building: &str) -> &'a Grid {
    grids
        .iter()
        .find(|g| g.members.iter().any(|m| m.building == building))
        .expect("a grid holds the building")
}

#[test]
fn a_moved_building_lands_in_its_new_grid_and_the_village_stays_tiled() {
    let (units, buildings) = village();
    let refs: Vec<&Building> = buildings.iter().collect();
    let mut grids = first_grids(&units[0], &refs);
    // A building of a grid with several, moved to a neighbouring grid.
    let (from, to) = grids
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.institution && g.members.len() > 1)
        .find_map(|(i, g)| {
            let j = grids.iter().position(|h| {
                h.code != g.code && !h.institution && h.polygon.intersects(&g.polygon)
            })?;
            Some((i, j))
        })
        .expect("two neighbouring grids");
    let building = grids[from]
        .members
        .iter()
        .find(|m| m.flats.is_none())
        .unwrap()
        .building
        .clone();
    let (from_code, to_code) = (grids[from].code.clone(), grids[to].code.clone());
    let to_households = grids[to].households;
    move_buildings(&mut grids, &[building.as_str()], &to_code).unwrap();
    let after = rebuilt(&units[0], &refs, &grids);
    let moved_to = holder(&after, &building);
    assert_eq!(moved_to.code, to_code);
    assert!(moved_to.households >= to_households);
    assert!(
        after.iter().any(|g| g.code == from_code),
        "the old grid keeps its code"
    );
    assert_tiled(&units[0], &refs, &after);
}

#[test]
fn merging_and_deleting_grids_leave_no_gap_or_overlap() {
    let (units, buildings) = village();
    let refs: Vec<&Building> = buildings.iter().collect();
    let mut grids = first_grids(&units[0], &refs);
    let n = grids.len();
    let (a, b) = (grids[0].code.clone(), grids[1].code.clone());
    let households = grids[0].households + grids[1].households;
    merge(&mut grids, &a, &b).unwrap();
    let after = rebuilt(&units[0], &refs, &grids);
    assert_eq!(after.len(), n - 1);
    assert_eq!(
        after.iter().find(|g| g.code == a).unwrap().households,
        households
    );
    assert_tiled(&units[0], &refs, &after);

    // Emptying a grid and deleting it: its area goes to the others.
    let mut grids = after;
    let (gone, into) = (grids[2].code.clone(), grids[3].code.clone());
    assert!(matches!(
        delete_empty(&mut grids, &gone),
        Err(EditError::NotEmpty(..))
    ));
    let members: Vec<String> = grids[2]
        .members
        .iter()
        .map(|m| m.building.clone())
        .collect();
    let ids: Vec<&str> = members.iter().map(String::as_str).collect();
    move_buildings(&mut grids, &ids, &into).unwrap();
    delete_empty(&mut grids, &gone).unwrap();
    let after = rebuilt(&units[0], &refs, &grids);
    assert_eq!(after.len(), n - 2);
    assert_tiled(&units[0], &refs, &after);
}

#[test]
fn edits_refuse_locked_grids_and_unknown_buildings_and_change_nothing() {
    let (units, buildings) = village();
    let refs: Vec<&Building> = buildings.iter().collect();
    let mut grids = first_grids(&units[0], &refs);
    grids[1].locked = true;
    let before = grids.clone();
    let b = grids[0].members[0].building.clone();
    let locked = grids[1].code.clone();
    assert_eq!(
        move_buildings(&mut grids, &[b.as_str()], &locked),
        Err(EditError::Locked(locked.clone()))
    );
    let target = grids[2].code.clone();
    assert!(matches!(
        move_buildings(&mut grids, &[b.as_str(), "no-such-building"], &target),
        Err(EditError::UnknownBuilding(_))
    ));
    assert_eq!(
        merge(&mut grids, &target, &target),
        Err(EditError::SameGrid(target.clone()))
    );
    assert_eq!(grids, before, "a refused edit changes nothing");
}

#[test]
fn a_split_grid_becomes_two_balanced_tiled_grids_with_a_new_serial() {
    let (units, buildings) = village();
    let refs: Vec<&Building> = buildings.iter().collect();
    let mut grids = first_grids(&units[0], &refs);
    let n = grids.len();
    let big = largest_splittable(&grids);
    let new = split(&mut grids, &big.code, &refs).unwrap();
    assert!(
        !grids.iter().take(n).any(|g| g.code == new),
        "a fresh serial"
    );
    let after = rebuilt(&units[0], &refs, &grids);
    assert_eq!(after.len(), n + 1);
    let a = after.iter().find(|g| g.code == big.code).unwrap();
    let b = after.iter().find(|g| g.code == new).unwrap();
    assert_eq!(a.households + b.households, big.households);
    let largest_member = big.members.iter().map(|m| m.households).max().unwrap();
    assert!(
        a.households.abs_diff(b.households) < 2 * largest_member,
        "balanced: {} / {}",
        a.households,
        b.households
    );
    assert_tiled(&units[0], &refs, &after);
}

#[test]
fn a_line_drawn_across_a_grid_splits_it_by_side_and_the_village_stays_tiled() {
    use geo::BoundingRect;
    use gridmap_core::geometry::representative_point;
    let (units, buildings) = village();
    let refs: Vec<&Building> = buildings.iter().collect();
    let mut grids = first_grids(&units[0], &refs);
    let n = grids.len();
    let big = largest_splittable(&grids);
    // A north–south line through the middle of the grid's box, stopping short of it:
    // the line counts as extended, so it still divides the grid.
    let r = big.polygon.bounding_rect().unwrap();
    let mid = r.center();
    let line = [
        [mid.x, mid.y - r.height() / 10.0],
        [mid.x, mid.y + r.height() / 10.0],
    ];
    let east_of_line = |id: &str| {
        let b = buildings.iter().find(|b| b.source_id == id).unwrap();
        representative_point(&b.footprint).unwrap().x() > mid.x
    };
    let new = split_along(&mut grids, &big.code, &refs, &line).unwrap();
    let after = rebuilt(&units[0], &refs, &grids);
    assert_eq!(after.len(), n + 1);
    let kept = after.iter().find(|g| g.code == big.code).unwrap();
    let made = after.iter().find(|g| g.code == new).unwrap();
    assert_eq!(kept.households + made.households, big.households);
    assert!(
        kept.households >= made.households,
        "the larger side keeps the code"
    );
    assert_eq!(kept.staff, big.staff);
    let side = |g: &Grid| {
        let sides: std::collections::HashSet<bool> = g
            .members
            .iter()
            .map(|m| east_of_line(&m.building))
            .collect();
        assert_eq!(
            sides.len(),
            1,
            "grid {} lies on one side of the line",
            g.code
        );
        sides.into_iter().next().unwrap()
    };
    assert_ne!(side(kept), side(made));
    assert_tiled(&units[0], &refs, &after);

    // A line beside the grid, parallel to its west edge, leaves it whole: refused.
    let before = grids.clone();
    let west = r.min().x - r.width();
    let beside = [[west, r.min().y], [west, r.max().y]];
    assert_eq!(
        split_along(&mut grids, &big.code, &refs, &beside),
        Err(EditError::LineMissesGrid(big.code.clone()))
    );
    assert_eq!(
        split_along(&mut grids, &big.code, &refs, &[[mid.x, mid.y]]),
        Err(EditError::BadLine)
    );
    assert_eq!(grids, before, "a refused split changes nothing");
}
