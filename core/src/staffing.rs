//! Proposing who serves which grid (`gridmap staff assign`): every grid goes to a staff
//! member of its area, each as near their home as the others allow, and no one gets
//! more grids than their share.
//!
//! Grid workers (网格员, [`StaffRole::GridStaff`]) serve micro-grids (the grids of a
//! one-level county); grid leaders of level 3 or 4 (网格长) lead comprehensive grids.
//! A staff member may serve a grid when their `area` contains the grid's village.
//!
//! The staff and grids that can reach each other form independent groups (usually one
//! village, or one township when staff serve a township). In each group with `n` grids
//! and `m` staff, every member gets `⌊n/m⌋` or `⌈n/m⌉` grids: the load is even by grid
//! count (grids are sized alike, so households follow). Within that, grids go to
//! members at the least total distance from home to grid (the Hungarian method), a
//! member without a known home counting as [`UNKNOWN_HOME_M`] away from everything. A
//! grid's present holder wins ties, so running the proposal again changes nothing.

use crate::geometry::representative_point;
use crate::model::{Grid, GridCode, Staff, StaffRole};
use geo::{Distance, Haversine};
use geo_types::Point;
use std::collections::BTreeMap;

/// The distance counted for a staff member whose home is not known: further than any
/// grid of a county, so members with a known home are preferred for every grid.
pub const UNKNOWN_HOME_M: f64 = 100_000.0;

/// What the `⌈n/m⌉`-th place of a member costs on top of the distance: more than any
/// distance, so only as many members take one as must.
const EXTRA_PLACE_COST: f64 = 1e9;

/// Groups larger than this many grids are matched greedily (nearest first) instead of
/// exactly: the exact method grows with the cube of the group.
pub const EXACT_GROUP_LIMIT: usize = 1_500;

/// Who a grid is proposed to.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffProposal {
    pub grid: GridCode,
    /// Whether the grid is a comprehensive grid (led by a 网格长).
    pub comprehensive: bool,
    pub households: u32,
    /// The staff member who serves it now.
    pub current: Option<String>,
    /// The staff member proposed; `None` when no one's area covers the grid.
    pub proposed: Option<String>,
    /// Metres from the proposed member's home to the grid, when the home is known.
    pub distance_m: Option<f64>,
    /// Metres from the current member's home to the grid, when the home is known.
    pub current_distance_m: Option<f64>,
}

impl StaffProposal {
    /// Whether the proposal changes who serves the grid (a grid nobody may serve
    /// keeps whoever serves it).
    pub fn changes(&self) -> bool {
        self.proposed.is_some() && self.current != self.proposed
    }
}

/// Whether `staff` may serve `grid`: the right role for its level, and an area that
/// contains its village.
///
/// ```
/// use gridmap_core::{staffing::may_serve, *};
/// let code: GridCode = "411622101201-001".parse().unwrap();
/// let mut grid = Grid { village: code.village(), code, level: Grid::MICRO, parent: None, members: vec![],
///                       households: 40, polygon: geo_types::MultiPolygon(vec![]), name: None, staff: None,
///                       locked: false, institution: false, version: 1 };
/// let worker = Staff { id: "s".into(), name: "王芳".into(), phone: None, role: StaffRole::GridStaff,
///                      area: Some("411622101201".parse().unwrap()), grids: vec![], home: None };
/// assert!(may_serve(&worker, &grid));
/// grid.level = Grid::COMPREHENSIVE;
/// assert!(!may_serve(&worker, &grid), "a comprehensive grid is led by a 网格长");
/// ```
pub fn may_serve(staff: &Staff, grid: &Grid) -> bool {
    let role_fits = match staff.role {
        StaffRole::GridStaff => !grid.is_comprehensive(),
        StaffRole::GridLeader(level) => grid.is_comprehensive() && level >= 3,
    };
    role_fits
        && staff
            .area
            .as_ref()
            .is_some_and(|a| a.contains(&grid.village))
}

/// Proposes a staff member for every grid of `grids` (any villages, both levels) from
/// `staff`; one proposal per grid, in code order.
pub fn propose_staff(grids: &[Grid], staff: &[Staff]) -> Vec<StaffProposal> {
    let holder: BTreeMap<&str, &str> = staff
        .iter()
        .flat_map(|s| s.grids.iter().map(move |g| (g.as_str(), s.id.as_str())))
        .collect();
    let candidates: Vec<Vec<usize>> = grids
        .iter()
        .map(|g| {
            (0..staff.len())
                .filter(|&s| may_serve(&staff[s], g))
                .collect()
        })
        .collect();
    let mut proposals: Vec<StaffProposal> = grids
        .iter()
        .map(|g| StaffProposal {
            grid: g.code.clone(),
            comprehensive: g.is_comprehensive(),
            households: g.households,
            current: holder.get(g.code.as_str()).map(|s| (*s).to_owned()),
            proposed: None,
            distance_m: None,
            current_distance_m: None,
        })
        .collect();
    let by_id: BTreeMap<&str, &Staff> = staff.iter().map(|s| (s.id.as_str(), s)).collect();
    for (p, g) in proposals.iter_mut().zip(grids) {
        let home = p.current.as_deref().and_then(|id| by_id.get(id)?.home);
        let at = representative_point(&g.polygon);
        p.current_distance_m = home.zip(at).map(|(h, a)| Haversine.distance(h, a));
    }
    for (group_grids, group_staff) in groups(&candidates, staff.len()) {
        let points: Vec<Option<Point<f64>>> = group_grids
            .iter()
            .map(|&g| representative_point(&grids[g].polygon))
            .collect();
        let distance = |gi: usize, si: usize| -> Option<f64> {
            let home = staff[group_staff[si]].home?;
            points[gi].map(|p| Haversine.distance(home, p))
        };
        let cost = |gi: usize, si: usize| -> f64 {
            let keeps = proposals[group_grids[gi]].current.as_deref()
                == Some(staff[group_staff[si]].id.as_str());
            distance(gi, si).unwrap_or(UNKNOWN_HOME_M) - if keeps { 1.0 } else { 0.0 }
        };
        let chosen = balanced_match(group_grids.len(), group_staff.len(), cost);
        for (gi, si) in chosen.into_iter().enumerate() {
            let d = distance(gi, si);
            let p = &mut proposals[group_grids[gi]];
            p.proposed = Some(staff[group_staff[si]].id.clone());
            p.distance_m = d;
        }
    }
    proposals.sort_by(|a, b| a.grid.cmp(&b.grid));
    proposals
}

/// The grids and staff that can reach each other, as `(grid indices, staff indices)`,
/// both ascending; grids nobody may serve are left out.
fn groups(candidates: &[Vec<usize>], staff: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut sets = crate::disjoint::DisjointSets::new(staff);
    for c in candidates {
        for pair in c.windows(2) {
            sets.join(pair[0], pair[1]);
        }
    }
    let mut by_root: BTreeMap<usize, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (g, c) in candidates.iter().enumerate() {
        if let Some(&first) = c.first() {
            let r = sets.root(first);
            by_root.entry(r).or_default().0.push(g);
        }
    }
    for s in 0..staff {
        let r = sets.root(s);
        if let Some(group) = by_root.get_mut(&r) {
            group.1.push(s);
        }
    }
    by_root.into_values().collect()
}

/// For `n` grids and `m` staff (`m ≥ 1`), the staff member of each grid: every member
/// takes `⌊n/m⌋` or `⌈n/m⌉` grids, and the total `cost(grid, member)` is least (exactly
/// up to [`EXACT_GROUP_LIMIT`] grids, greedily above).
fn balanced_match(n: usize, m: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let places = n.div_ceil(m);
    let free = n / m;
    let table: Vec<f64> = (0..n)
        .flat_map(|g| (0..m).map(move |s| (g, s)))
        .map(|(g, s)| cost(g, s))
        .collect();
    // Column `c` is place `c % places` of member `c / places`.
    let place_cost = |g: usize, c: usize| {
        let extra = if c % places >= free {
            EXTRA_PLACE_COST
        } else {
            0.0
        };
        table[g * m + c / places] + extra
    };
    let columns = m * places;
    let chosen = if n <= EXACT_GROUP_LIMIT {
        hungarian(n, columns, place_cost)
    } else {
        greedy(n, columns, place_cost)
    };
    chosen.into_iter().map(|c| c / places).collect()
}

/// Least-cost assignment of `rows` to distinct columns (`rows ≤ columns`) by the
/// Hungarian method with potentials (shortest augmenting paths), O(rows² · columns).
fn hungarian(rows: usize, columns: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    // 1-based: row/column 0 is the virtual start of each augmenting path.
    let mut u = vec![0.0; rows + 1];
    let mut v = vec![0.0; columns + 1];
    let mut row_of = vec![0usize; columns + 1];
    let mut way = vec![0usize; columns + 1];
    for row in 1..=rows {
        row_of[0] = row;
        let mut col = 0;
        let mut min_reduced = vec![f64::INFINITY; columns + 1];
        let mut used = vec![false; columns + 1];
        loop {
            used[col] = true;
            let r = row_of[col];
            let mut delta = f64::INFINITY;
            let mut next = 0;
            for c in 1..=columns {
                if used[c] {
                    continue;
                }
                let reduced = cost(r - 1, c - 1) - u[r] - v[c];
                if reduced < min_reduced[c] {
                    min_reduced[c] = reduced;
                    way[c] = col;
                }
                if min_reduced[c] < delta {
                    delta = min_reduced[c];
                    next = c;
                }
            }
            for c in 0..=columns {
                if used[c] {
                    u[row_of[c]] += delta;
                    v[c] -= delta;
                } else {
                    min_reduced[c] -= delta;
                }
            }
            col = next;
            if row_of[col] == 0 {
                break;
            }
        }
        // Flip the augmenting path back to the start.
        while col != 0 {
            let previous = way[col];
            row_of[col] = row_of[previous];
            col = previous;
        }
    }
    let mut column_of = vec![0; rows];
    for c in 1..=columns {
        if row_of[c] != 0 {
            column_of[row_of[c] - 1] = c - 1;
        }
    }
    column_of
}

/// Cheapest pairs first: each row takes the cheapest column still free.
fn greedy(rows: usize, columns: usize, cost: impl Fn(usize, usize) -> f64) -> Vec<usize> {
    let mut pairs: Vec<(f64, usize, usize)> = (0..rows)
        .flat_map(|r| (0..columns).map(move |c| (r, c)))
        .map(|(r, c)| (cost(r, c), r, c))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut column_of = vec![usize::MAX; rows];
    let mut taken = vec![false; columns];
    for (_, r, c) in pairs {
        if column_of[r] == usize::MAX && !taken[c] {
            column_of[r] = c;
            taken[c] = true;
        }
    }
    column_of
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    /// A grid of `village` covering a 0.001° square whose west edge is at `x`.
    fn grid(village: &str, serial: u16, x: f64, level: u8) -> Grid {
        let village: crate::model::DivisionCode = village.parse().unwrap();
        Grid {
            code: GridCode::new(&village, serial),
            village,
            level,
            parent: None,
            members: vec![],
            households: 40,
            polygon: MultiPolygon(vec![polygon![
                (x: x, y: 33.0), (x: x + 0.001, y: 33.0), (x: x + 0.001, y: 33.001), (x: x, y: 33.001)
            ]]),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        }
    }

    fn person(id: &str, role: StaffRole, area: &str, home_x: Option<f64>) -> Staff {
        Staff {
            id: id.into(),
            name: id.into(),
            phone: None,
            role,
            area: Some(area.parse().unwrap()),
            grids: vec![],
            home: home_x.map(|x| Point::new(x, 33.0005)),
        }
    }

    fn proposed(p: &[StaffProposal]) -> Vec<&str> {
        p.iter()
            .map(|p| p.proposed.as_deref().unwrap_or("-"))
            .collect()
    }

    #[test]
    fn each_grid_goes_to_the_nearest_member_with_a_place_left() {
        let v = "411622101201";
        let grids: Vec<Grid> = (0..4)
            .map(|i| grid(v, i + 1, 114.0 + 0.01 * f64::from(i), 1))
            .collect();
        // West lives by grids 1–2, east by grids 3–4; each has two places.
        let staff = [
            person("east", StaffRole::GridStaff, v, Some(114.035)),
            person("west", StaffRole::GridStaff, v, Some(114.0)),
        ];
        let p = propose_staff(&grids, &staff);
        assert_eq!(proposed(&p), ["west", "west", "east", "east"]);
        assert!(p[0].distance_m.unwrap() < 100.0, "{:?}", p[0]);
        assert!(p.iter().all(StaffProposal::changes));
    }

    #[test]
    fn loads_are_even_even_when_everyone_lives_at_one_end() {
        let v = "411622101201";
        let grids: Vec<Grid> = (0..7)
            .map(|i| grid(v, i + 1, 114.0 + 0.01 * f64::from(i), 1))
            .collect();
        let staff = [
            person("a", StaffRole::GridStaff, v, Some(113.99)),
            person("b", StaffRole::GridStaff, v, Some(113.99)),
            person("c", StaffRole::GridStaff, v, None),
        ];
        let p = propose_staff(&grids, &staff);
        let count = |id: &str| {
            p.iter()
                .filter(|p| p.proposed.as_deref() == Some(id))
                .count()
        };
        assert_eq!(
            [count("a"), count("b"), count("c")].iter().max(),
            Some(&3),
            "⌈7/3⌉ places each: {:?}",
            proposed(&p)
        );
        assert!(count("c") >= 2, "no one below ⌊7/3⌋: {:?}", proposed(&p));
        assert!(
            p.iter()
                .filter(|p| p.proposed.as_deref() == Some("c"))
                .all(|p| p.distance_m.is_none()),
            "the member without a home has no distance"
        );
        // The far grids go to the member whose home is unknown; the near ones stay home.
        assert_ne!(p[0].proposed.as_deref(), Some("c"));
    }

    #[test]
    fn levels_roles_and_areas_are_respected_and_a_second_run_changes_nothing() {
        let (v1, v2) = ("411622101201", "411622101202");
        let mut grids = vec![
            grid(v1, 1, 114.0, Grid::COMPREHENSIVE),
            grid(v1, 2, 114.01, 1),
            grid(v2, 1, 114.02, 1),
            grid(v2, 2, 114.03, 1),
        ];
        grids[1].code = GridCode::nested(&grids[0].code, 1).unwrap();
        grids[1].parent = Some(grids[0].code.clone());
        let mut staff = vec![
            person("leader", StaffRole::GridLeader(3), v1, None),
            person(
                "township",
                StaffRole::GridLeader(2),
                "411622101000",
                Some(114.0),
            ),
            person("w1", StaffRole::GridStaff, v1, Some(114.02)),
            person("w2", StaffRole::GridStaff, v2, Some(114.0)),
        ];
        let p = propose_staff(&grids, &staff);
        let of = |code: &GridCode| p.iter().find(|p| &p.grid == code).unwrap();
        assert_eq!(of(&grids[0].code).proposed.as_deref(), Some("leader"));
        assert!(of(&grids[0].code).comprehensive);
        assert_eq!(
            of(&grids[1].code).proposed.as_deref(),
            Some("w1"),
            "w2 serves another village"
        );
        assert_eq!(of(&grids[2].code).proposed.as_deref(), Some("w2"));
        assert_eq!(of(&grids[3].code).proposed.as_deref(), Some("w2"));
        // Apply it and propose again: nothing moves.
        for s in &mut staff {
            s.grids = p
                .iter()
                .filter(|p| p.proposed.as_deref() == Some(s.id.as_str()))
                .map(|p| p.grid.clone())
                .collect();
        }
        let again = propose_staff(&grids, &staff);
        assert!(again.iter().all(|p| !p.changes()), "{again:?}");
    }

    #[test]
    fn grids_nobody_may_serve_stay_without_a_proposal() {
        let grids = [grid("411622101201", 1, 114.0, 1)];
        let staff = [person(
            "far",
            StaffRole::GridStaff,
            "411622101202",
            Some(114.0),
        )];
        let p = propose_staff(&grids, &staff);
        assert_eq!(p[0].proposed, None);
    }

    #[test]
    fn the_hungarian_method_finds_the_least_total_where_greedy_does_not() {
        // Greedy takes (0,0) at cost 1 and is left with (1,1) at 100: total 101.
        let cost = [[1.0, 2.0], [3.0, 100.0]];
        let at = |r: usize, c: usize| cost[r][c];
        assert_eq!(hungarian(2, 2, at), vec![1, 0]);
        assert_eq!(greedy(2, 2, at), vec![0, 1]);
        // More columns than rows: the cheapest distinct ones.
        let wide = [[5.0, 1.0, 2.0], [5.0, 1.0, 9.0]];
        assert_eq!(hungarian(2, 3, |r, c| wide[r][c]), vec![2, 1]);
    }
}
