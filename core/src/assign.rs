//! Assignments that tie layers together: buildings to the village they lie in, and
//! staff to grids.

use crate::geometry::representative_point;
use crate::model::{AdminLevel, AdminUnit, Building, DivisionCode, Grid, Staff, StaffRole};
use geo::{BoundingRect, Contains};
use rstar::{RTree, RTreeObject, AABB};
use std::collections::{BTreeMap, HashSet};

struct VillageBox {
    index: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for VillageBox {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// For every building, the code of the village containing its representative point
/// (`None` when it lies outside every village). Villages are found through an R-tree
/// of their bounding boxes, then tested exactly; when boundaries overlap, the lowest
/// code wins so the result is deterministic.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_core::{assign::village_of_buildings, *};
/// let sq = |x: f64, s: f64| MultiPolygon(vec![polygon![(x: x, y: 0.0), (x: x + s, y: 0.0), (x: x + s, y: s), (x: x, y: s)]]);
/// let v = AdminUnit { code: "411622101201".parse().unwrap(), name: "李庄村".into(), level: AdminLevel::Village,
///                     source_id: "t".into(), boundary: sq(0.0, 1.0) };
/// let b = |x| Building { source_id: format!("b{x}"), footprint: sq(x, 0.1), building_use: BuildingUse::Residential,
///                        levels: None, height: None, households: HouseholdCount::registered(3), address: None, village: None };
/// let found = village_of_buildings(&[v], &[b(0.2), b(5.0)]);
/// assert_eq!(found[0].as_ref().map(|c| c.as_str()), Some("411622101201"));
/// assert_eq!(found[1], None);
/// ```
pub fn village_of_buildings(
    units: &[AdminUnit],
    buildings: &[Building],
) -> Vec<Option<DivisionCode>> {
    let boxes = units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.level == AdminLevel::Village)
        .filter_map(|(index, u)| {
            let r = u.boundary.bounding_rect()?;
            Some(VillageBox {
                index,
                envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
            })
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    buildings
        .iter()
        .map(|b| {
            let p = representative_point(&b.footprint)?;
            tree.locate_in_envelope_intersecting(&AABB::from_point([p.x(), p.y()]))
                .filter_map(|vb| units.get(vb.index))
                .filter(|u| u.boundary.contains(&p))
                .map(|u| u.code.clone())
                .min()
        })
        .collect()
}

/// Gives every grid of the partitioned villages a responsible staff member.
///
/// Grid staff serve the village named by their `area`. A staff member keeps a grid whose
/// code still exists (stability: re-partitioning should not reshuffle people); grids left
/// without staff get the village's free staff in code order, then, when a village has
/// fewer staff than grids, the staff with the fewest grids take one more. Grid leaders are
/// not assigned to grids, and grid staff not to comprehensive grids (those keep only
/// the leader a roster names). Returns the staff whose grid lists changed.
pub fn assign_staff(grids: &mut [Grid], staff: &mut [Staff]) -> Vec<usize> {
    let existing: HashSet<&str> = grids.iter().map(|g| g.code.as_str()).collect();
    let mut changed = HashSet::new();
    for (i, s) in staff.iter_mut().enumerate() {
        let before = s.grids.len();
        s.grids.retain(|g| existing.contains(g.as_str()));
        if s.grids.len() != before {
            changed.insert(i);
        }
    }
    let mut holder: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in staff.iter().enumerate() {
        for g in &s.grids {
            holder.insert(g.to_string(), i);
        }
    }
    let mut by_village: BTreeMap<DivisionCode, Vec<usize>> = BTreeMap::new();
    for (i, s) in staff.iter().enumerate() {
        if let (StaffRole::GridStaff, Some(area)) = (s.role, &s.area) {
            by_village.entry(area.clone()).or_default().push(i);
        }
    }
    let mut order: Vec<usize> = (0..grids.len()).collect();
    order.sort_by(|&a, &b| grids[a].code.cmp(&grids[b].code));
    for gi in order {
        let grid = &mut grids[gi];
        if let Some(&si) = holder.get(grid.code.as_str()) {
            grid.staff = staff.get(si).map(|s| s.id.clone());
            continue;
        }
        // Grid staff serve micro-grids; a comprehensive grid's leader comes from the
        // roster only.
        let candidates = by_village
            .get(&grid.village)
            .filter(|_| !grid.is_comprehensive());
        let Some(candidates) = candidates else {
            grid.staff = None;
            continue;
        };
        let pick = candidates
            .iter()
            .copied()
            .min_by_key(|&si| (staff.get(si).map_or(usize::MAX, |s| s.grids.len()), si));
        if let Some(si) = pick {
            if let Some(s) = staff.get_mut(si) {
                s.grids.push(grid.code.clone());
                grid.staff = Some(s.id.clone());
                changed.insert(si);
            }
        }
    }
    let mut changed: Vec<usize> = changed.into_iter().collect();
    changed.sort_unstable();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GridCode, GridMember};
    use geo_types::MultiPolygon;

    fn grid(code: &str) -> Grid {
        let code: GridCode = code.parse().unwrap();
        Grid {
            village: code.village(),
            code,
            level: 1,
            parent: None,
            members: vec![GridMember {
                building: "b".into(),
                households: 40,
                flats: None,
            }],
            households: 40,
            polygon: MultiPolygon(vec![]),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        }
    }

    fn staff(id: &str, area: &str, grids: &[&str]) -> Staff {
        Staff {
            id: id.into(),
            name: id.into(),
            phone: None,
            role: StaffRole::GridStaff,
            area: Some(area.parse().unwrap()),
            grids: grids.iter().map(|g| g.parse().unwrap()).collect(),
            home: None,
        }
    }

    #[test]
    fn staff_keep_surviving_grids_and_free_staff_fill_the_rest() {
        let mut grids = vec![
            grid("411622101201-001"),
            grid("411622101201-002"),
            grid("411622101201-003"),
        ];
        let mut people = vec![
            staff(
                "a",
                "411622101201",
                &["411622101201-002", "411622101201-009"],
            ),
            staff("b", "411622101201", &[]),
            staff("c", "411622101202", &[]),
        ];
        let changed = assign_staff(&mut grids, &mut people);
        assert_eq!(
            grids[1].staff.as_deref(),
            Some("a"),
            "a keeps the grid that survived"
        );
        assert_eq!(
            grids[0].staff.as_deref(),
            Some("b"),
            "the free staff member takes the first open grid"
        );
        assert!(grids.iter().all(|g| g.staff.is_some()));
        assert!(
            people[2].grids.is_empty(),
            "staff of another village are not used"
        );
        assert!(
            !people[0].grids.iter().any(|g| g.as_str().ends_with("009")),
            "vanished grids are dropped"
        );
        assert_eq!(changed, vec![0, 1]);
        let total: usize = people.iter().map(|s| s.grids.len()).sum();
        assert_eq!(total, 3, "every grid has exactly one staff member");
    }
}
