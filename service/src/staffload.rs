//! The soft rule that no staff member serves more households than the county's limit
//! (`max_staff_households` of the partition parameters). A staff member often serves
//! grids in several villages, so the count runs over all their grids in the county: a
//! planner who moves buildings into one grid of a village can push its staff member
//! over the limit because of grids elsewhere. The rule is soft: it is flagged on each
//! of the member's grids in the village, never refused. The households counted are those
//! of the micro-grids (or of a one-level village's grids): a comprehensive grid holds its
//! micro-grids' households again, and its leader's load has a limit of its own
//! (`gridmap staff report`).

use crate::plan::PlanIssue;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{DivisionCode, Grid, Staff};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// The kind of a [`PlanIssue`] for a staff member over the limit.
pub const STAFF_OVERLOAD: &str = "staff_overload";

/// A staff member serving more households than the limit. Names staff, so it is only
/// shown to staff callers (never phones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffOverload {
    /// Staff id.
    pub id: String,
    /// The staff member's name (the id when the roster does not know them).
    pub name: String,
    /// Households in all their grids in the county.
    pub households: u64,
    /// How many grids that is.
    pub grids: usize,
    /// The most households one staff member should serve.
    pub limit: u32,
}

/// What each staff member serves outside one village, read once from the county, so a
/// village's grids (as they are, or as an edit would make them) can be checked against
/// the limit without walking the county again.
pub struct StaffLoad<'a> {
    snapshot: &'a CountySnapshot,
    /// Households and grids of each staff member outside the village.
    elsewhere: HashMap<&'a str, (u64, usize)>,
}

/// Households and grids of each staff member of `grids`, by id.
fn loads<'g>(grids: impl IntoIterator<Item = &'g Grid>) -> BTreeMap<&'g str, (u64, usize)> {
    let mut loads: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for g in grids {
        if let Some(staff) = g.staff.as_deref() {
            let load = loads.entry(staff).or_default();
            load.0 += u64::from(g.households);
            load.1 += 1;
        }
    }
    loads
}

/// Every staff member serving more than `limit` households in `grids` (all the grids
/// of a county), by id; names from `roster`.
pub fn overloaded_staff(grids: &[Grid], roster: &[Staff], limit: u32) -> Vec<StaffOverload> {
    over_limit(
        loads(grids),
        |_| (0, 0),
        |id| roster.iter().find(|s| s.id == id),
        limit,
    )
}

/// The staff of `here` whose households there and `elsewhere` exceed `limit`.
fn over_limit<'s>(
    here: BTreeMap<&str, (u64, usize)>,
    elsewhere: impl Fn(&str) -> (u64, usize),
    staff: impl Fn(&str) -> Option<&'s Staff>,
    limit: u32,
) -> Vec<StaffOverload> {
    here.into_iter()
        .filter_map(|(id, (households, count))| {
            let (more, more_grids) = elsewhere(id);
            let households = households + more;
            (households > u64::from(limit)).then(|| StaffOverload {
                id: id.to_owned(),
                name: staff(id).map_or_else(|| id.to_owned(), |s| s.name.clone()),
                households,
                grids: count + more_grids,
                limit,
            })
        })
        .collect()
}

impl<'a> StaffLoad<'a> {
    /// The load of every staff member outside `village` in `snapshot`.
    pub fn outside(snapshot: &'a CountySnapshot, village: &DivisionCode) -> StaffLoad<'a> {
        let elsewhere = loads(
            snapshot
                .grids
                .iter()
                .map(|g| &**g)
                .filter(|g| &g.village != village && !g.is_comprehensive()),
        )
        .into_iter()
        .collect();
        StaffLoad {
            snapshot,
            elsewhere,
        }
    }

    /// The staff members of the village's `grids` who serve more than `limit`
    /// households in all, by id.
    pub fn overloaded(&self, grids: &[Grid], limit: u32) -> Vec<StaffOverload> {
        over_limit(
            loads(grids.iter().filter(|g| !g.is_comprehensive())),
            |id| self.elsewhere.get(id).copied().unwrap_or_default(),
            |id| self.snapshot.staff_member(id),
            limit,
        )
    }

    /// One `staff_overload` issue for each grid of `grids` whose staff member serves
    /// more than `limit` households in all.
    pub fn issues(&self, grids: &[Grid], limit: u32) -> Vec<PlanIssue> {
        let over = self.overloaded(grids, limit);
        grids
            .iter()
            .filter(|g| !g.is_comprehensive())
            .filter_map(|g| {
                let staff = over.iter().find(|o| Some(o.id.as_str()) == g.staff.as_deref())?;
                Some(PlanIssue {
                    kind: STAFF_OVERLOAD.to_owned(),
                    grid: Some(g.code.to_string()),
                    building: None,
                    message: format!(
                        "grid {}: staff member {} ({}) serves {} households in {} grids, above the limit of {}",
                        g.code, staff.id, staff.name, staff.households, staff.grids, staff.limit
                    ),
                    hard: false,
                    staff: Some(staff.clone()),
                    size: None,
                    pieces: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridmap_core::{Staff, StaffRole};

    fn grid(code: &str, households: u32, staff: Option<&str>) -> Grid {
        let code: gridmap_core::GridCode = code.parse().unwrap();
        Grid {
            village: code.village(),
            code,
            level: 1,
            parent: None,
            members: vec![],
            households,
            polygon: geo_types::MultiPolygon(vec![]),
            name: None,
            staff: staff.map(str::to_owned),
            locked: false,
            institution: false,
            version: 1,
        }
    }

    fn county(grids: Vec<Grid>) -> CountySnapshot {
        let wang = Staff {
            id: "s1".into(),
            name: "王芳".into(),
            phone: Some("13800000000".into()),
            role: StaffRole::GridStaff,
            area: None,
            grids: vec![],
            home: None,
        };
        CountySnapshot::new(vec![], vec![], grids, vec![wang])
    }

    #[test]
    fn a_staff_member_is_over_the_limit_counting_grids_in_other_villages() {
        let here: DivisionCode = "411622101201".parse().unwrap();
        let snapshot = county(vec![
            grid("411622101201-001", 40, Some("s1")),
            grid("411622101202-001", 45, Some("s1")),
            grid("411622101202-002", 48, Some("s2")),
        ]);
        let load = StaffLoad::outside(&snapshot, &here);
        // As stored: 85 households, under 100.
        let stored: Vec<Grid> = vec![grid("411622101201-001", 40, Some("s1"))];
        assert!(load.issues(&stored, 100).is_empty());
        // An edit brings two more grids of s1 to 70 households here: 115 in all.
        let edited = vec![
            grid("411622101201-001", 40, Some("s1")),
            grid("411622101201-002", 30, Some("s1")),
            grid("411622101201-003", 50, Some("s3")),
        ];
        let issues = load.issues(&edited, 100);
        let grids: Vec<_> = issues.iter().filter_map(|i| i.grid.as_deref()).collect();
        assert_eq!(grids, ["411622101201-001", "411622101201-002"]);
        let staff = issues[0].staff.as_ref().unwrap();
        assert_eq!(
            (
                staff.id.as_str(),
                staff.name.as_str(),
                staff.households,
                staff.grids
            ),
            ("s1", "王芳", 115, 3)
        );
        assert!(issues.iter().all(|i| i.kind == STAFF_OVERLOAD && !i.hard));
        assert!(issues[0].message.contains("王芳") && issues[0].message.contains("100"));
        assert!(!issues[0].message.contains("13800000000"), "no phone");
        // s2 (48) is under any limit above it; s3, unknown to the roster, is named by id.
        assert!(load.issues(&edited, 115).is_empty());
        let s3 = load.overloaded(&edited, 49);
        assert_eq!(
            s3.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            ["王芳", "s3"]
        );
    }

    #[test]
    fn a_leaders_comprehensive_grid_does_not_count_its_households_again() {
        let here: DivisionCode = "411622101201".parse().unwrap();
        let top = |code: &str, households| Grid {
            level: Grid::COMPREHENSIVE,
            ..grid(code, households, Some("s1"))
        };
        // Elsewhere s1 leads a comprehensive grid of 400 and serves one of its micro-grids.
        let snapshot = county(vec![
            top("411622101202-001", 400),
            grid("411622101202-001-01", 45, Some("s1")),
        ]);
        let load = StaffLoad::outside(&snapshot, &here);
        // Here s1 leads another comprehensive grid and serves a micro-grid of 40: 85 in all.
        let edited = vec![
            top("411622101201-001", 380),
            grid("411622101201-001-01", 40, Some("s1")),
        ];
        assert!(load.issues(&edited, 100).is_empty());
        let issues = load.issues(&edited, 80);
        let grids: Vec<_> = issues.iter().filter_map(|i| i.grid.as_deref()).collect();
        assert_eq!(grids, ["411622101201-001-01"], "the micro-grid only");
        assert_eq!(issues[0].staff.as_ref().unwrap().households, 85);
    }
}
