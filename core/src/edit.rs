//! Grid edits as pure functions over one village's grids: the planner's moves, merges
//! and deletions change memberships here; [`crate::partition::rebuild_polygons`] then
//! draws the polygons again so the village stays tiled.
//!
//! Edits work on whole buildings; flats of a split high-rise stay with the grids the
//! partitioner gave them. Locked grids are never changed by an edit.
//!
//! ```
//! use gridmap_core::edit::move_buildings;
//! use gridmap_core::partition::{partition_village, rebuild_polygons, PartitionParams, VillageInput};
//! let (v, b) = gridmap_synth::small::villages(1, 300, 1);
//! let refs: Vec<&_> = b.iter().collect();
//! let p = PartitionParams::default();
//! let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
//! let mut grids = partition_village(&input, &p).unwrap().grids;
//! let (from, to) = (grids[0].code.clone(), grids[1].code.clone());
//! let building = grids[0].members[0].building.clone();
//! move_buildings(&mut grids, &[building.as_str()], &to).unwrap();
//! let out = rebuild_polygons(&VillageInput { previous: &grids, ..input }, &p).unwrap();
//! let holder = out.grids.iter().find(|g| g.members.iter().any(|m| m.building == building)).unwrap();
//! assert_eq!(holder.code, to);
//! assert!(out.grids.iter().any(|g| g.code == from));
//! ```

use crate::geometry::representative_point;
use crate::model::{Building, DivisionCode, Grid, GridCode, GridMember};
use crate::partition::project::LocalProj;
use geo::BoundingRect;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Why an edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    #[error("no grid {0} in this village")]
    UnknownGrid(GridCode),
    #[error("building {0:?} is in no grid of this village")]
    UnknownBuilding(String),
    #[error("grid {0} is locked: unlock it first")]
    Locked(GridCode),
    #[error(
        "building {0:?} is split by flats between grids; move its flats instead of the building"
    )]
    SplitBuilding(String),
    #[error("grid {0} still holds {1} households: move them or merge the grid instead")]
    NotEmpty(GridCode, u32),
    #[error("a grid cannot be merged into itself ({0})")]
    SameGrid(GridCode),
    #[error("grid {0} has fewer than two buildings to split between")]
    TooSmallToSplit(GridCode),
    #[error("a split line needs at least two distinct points with finite lon/lat")]
    BadLine,
    #[error("the line does not divide grid {0}: all its buildings lie on one side; draw it across the grid")]
    LineMissesGrid(GridCode),
    #[error("village has no free grid serial left (999 used)")]
    NoFreeSerial,
    #[error("select at least one building")]
    EmptySelection,
    #[error("grid {0} is not a grid of this village")]
    OtherVillage(GridCode),
    #[error(
        "building {building:?}: flats {start}..{end} are not within its {households} households"
    )]
    FlatsOutOfRange {
        building: String,
        start: u32,
        end: u32,
        households: u32,
    },
    #[error("building {0:?} is given whole and by flats (or whole twice): give it one way")]
    ConflictingRows(String),
}

/// One line of a plan: building `building` (source id) — or, for a high-rise split
/// between grids, its flats `[start, end)` — belongs to grid `grid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub building: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flats: Option<(u32, u32)>,
    pub grid: GridCode,
}

fn index_of(grids: &[Grid], code: &GridCode) -> Result<usize, EditError> {
    grids
        .iter()
        .position(|g| &g.code == code)
        .ok_or_else(|| EditError::UnknownGrid(code.clone()))
}

fn unlocked(grids: &[Grid], i: usize) -> Result<usize, EditError> {
    match grids.get(i) {
        Some(g) if g.locked => Err(EditError::Locked(g.code.clone())),
        _ => Ok(i),
    }
}

fn recount(g: &mut Grid) {
    g.households = g
        .members
        .iter()
        .fold(0u32, |a, m| a.saturating_add(m.households));
}

/// Moves whole buildings (by source id) into grid `to`, from whichever grids hold them;
/// household counts follow. Refused (and nothing changed) for unknown grids or
/// buildings, locked grids and buildings split by flats.
pub fn move_buildings(
    grids: &mut [Grid],
    buildings: &[&str],
    to: &GridCode,
) -> Result<(), EditError> {
    let target = unlocked(grids, index_of(grids, to)?)?;
    let mut sources = Vec::with_capacity(buildings.len());
    for &b in buildings {
        let holders: Vec<usize> = (0..grids.len())
            .filter(|&i| grids[i].members.iter().any(|m| m.building == b))
            .collect();
        match holders.as_slice() {
            [] => return Err(EditError::UnknownBuilding(b.to_owned())),
            [one]
                if grids[*one]
                    .members
                    .iter()
                    .any(|m| m.building == b && m.flats.is_some()) =>
            {
                return Err(EditError::SplitBuilding(b.to_owned()))
            }
            [one] => sources.push((b, unlocked(grids, *one)?)),
            _ => return Err(EditError::SplitBuilding(b.to_owned())),
        }
    }
    for (b, from) in sources {
        if from == target {
            continue;
        }
        let Some(pos) = grids[from].members.iter().position(|m| m.building == b) else {
            continue;
        };
        let member = grids[from].members.remove(pos);
        recount(&mut grids[from]);
        grids[target].members.push(member);
        recount(&mut grids[target]);
    }
    Ok(())
}

/// Merges grid `absorbed` into `kept`: every member moves, `absorbed` disappears.
pub fn merge(grids: &mut Vec<Grid>, kept: &GridCode, absorbed: &GridCode) -> Result<(), EditError> {
    if kept == absorbed {
        return Err(EditError::SameGrid(kept.clone()));
    }
    let k = unlocked(grids, index_of(grids, kept)?)?;
    let a = unlocked(grids, index_of(grids, absorbed)?)?;
    let members = std::mem::take(&mut grids[a].members);
    grids[k].members.extend(members);
    recount(&mut grids[k]);
    grids.remove(a);
    Ok(())
}

/// Removes a grid that holds no households (its area goes to its neighbours when the
/// polygons are rebuilt).
pub fn delete_empty(grids: &mut Vec<Grid>, code: &GridCode) -> Result<(), EditError> {
    let i = unlocked(grids, index_of(grids, code)?)?;
    if grids[i].households > 0 {
        return Err(EditError::NotEmpty(code.clone(), grids[i].households));
    }
    grids.remove(i);
    Ok(())
}

/// Splits grid `code` in two by household balance: its buildings are ordered along the
/// longer side of the grid's box and cut where the households are halved; the second
/// half becomes a new grid with the lowest free serial of the village (returned).
/// `buildings` must hold the grid's buildings (their positions decide the cut).
pub fn split(
    grids: &mut Vec<Grid>,
    code: &GridCode,
    buildings: &[&Building],
) -> Result<GridCode, EditError> {
    let i = unlocked(grids, index_of(grids, code)?)?;
    let grid = &grids[i];
    if grid.members.len() < 2 {
        return Err(EditError::TooSmallToSplit(code.clone()));
    }
    let position = positions(buildings);
    let axis = match grid.polygon.bounding_rect() {
        Some(r) if r.height() > r.width() => 1,
        _ => 0,
    };
    let mut members = grid.members.clone();
    let at =
        |m: &crate::model::GridMember| position.get(m.building.as_str()).map_or(0.0, |p| p[axis]);
    members.sort_by(|a, b| {
        at(a)
            .total_cmp(&at(b))
            .then_with(|| a.building.cmp(&b.building))
    });
    let total: u32 = members.iter().map(|m| m.households).sum();
    let mut running = 0;
    let cut = members
        .iter()
        .position(|m| {
            running += m.households;
            running * 2 >= total
        })
        .map_or(1, |p| p + 1)
        .clamp(1, members.len() - 1);
    let second = members.split_off(cut);
    split_off_grid(grids, i, members, second)
}

/// Splits grid `code` in two along a line a planner drew (`line`: lon/lat points, at
/// least two distinct): buildings on one side stay, those on the other side form a new
/// grid with the lowest free serial (returned). The side holding more households keeps
/// the code, staff and name. The line counts as extended past its ends, so a stroke
/// across the grid divides it even when it stops short of the edge. A split high-rise's
/// flats go with its footprint's side. `buildings` must hold the grid's buildings.
/// Refused when every building lies on one side.
///
/// ```
/// use gridmap_core::edit::split_along;
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// use geo::BoundingRect;
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let mut grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
/// let before = grids[0].households;
/// let r = grids[0].polygon.bounding_rect().unwrap();
/// let mid = r.center().x;
/// let line = [[mid, r.min().y - 0.001], [mid, r.max().y + 0.001]];
/// let code = grids[0].code.clone();
/// let new = split_along(&mut grids, &code, &refs, &line).unwrap();
/// let new_grid = grids.iter().find(|g| g.code == new).unwrap();
/// assert_eq!(grids[0].households + new_grid.households, before);
/// assert!(grids[0].households >= new_grid.households);
/// ```
pub fn split_along(
    grids: &mut Vec<Grid>,
    code: &GridCode,
    buildings: &[&Building],
    line: &[[f64; 2]],
) -> Result<GridCode, EditError> {
    let i = unlocked(grids, index_of(grids, code)?)?;
    let side = LineSides::new(line).ok_or(EditError::BadLine)?;
    let position = positions(buildings);
    let (left, right): (Vec<GridMember>, Vec<GridMember>) =
        grids[i].members.iter().cloned().partition(|m| {
            position
                .get(m.building.as_str())
                .is_some_and(|&p| side.is_left(p))
        });
    if left.is_empty() || right.is_empty() {
        return Err(EditError::LineMissesGrid(code.clone()));
    }
    let households = |ms: &[GridMember]| ms.iter().map(|m| u64::from(m.households)).sum::<u64>();
    let (keep, second) = if households(&left) >= households(&right) {
        (left, right)
    } else {
        (right, left)
    };
    split_off_grid(grids, i, keep, second)
}

/// Each building's representative point (lon/lat) by source id: where it lies when a
/// grid is cut.
fn positions<'b>(buildings: &[&'b Building]) -> HashMap<&'b str, [f64; 2]> {
    buildings
        .iter()
        .filter_map(|b| {
            let p = representative_point(&b.footprint)?;
            Some((b.source_id.as_str(), [p.x(), p.y()]))
        })
        .collect()
}

/// Grid `i` keeps `keep`; `second` becomes a new grid (lowest free serial, no staff, no
/// name) whose code is returned.
fn split_off_grid(
    grids: &mut Vec<Grid>,
    i: usize,
    keep: Vec<GridMember>,
    second: Vec<GridMember>,
) -> Result<GridCode, EditError> {
    let new_code = GridCode::new(&grids[i].village, free_serial(grids)?);
    let mut new = Grid {
        code: new_code.clone(),
        members: second,
        staff: None,
        name: None,
        version: 1,
        ..grids[i].clone()
    };
    recount(&mut new);
    grids[i].members = keep;
    recount(&mut grids[i]);
    grids.push(new);
    Ok(new_code)
}

/// The two sides of an open polyline, its end segments extended without end. Points
/// are lon/lat, measured in local metres (so that "nearest segment" means nearest on
/// the ground).
struct LineSides {
    proj: LocalProj,
    points: Vec<[f64; 2]>,
}

impl LineSides {
    /// `None` for fewer than two distinct finite points.
    fn new(line: &[[f64; 2]]) -> Option<LineSides> {
        let first = line.first()?;
        let proj = LocalProj::new(first[0], first[1])?;
        let mut points: Vec<[f64; 2]> = Vec::with_capacity(line.len());
        for p in line {
            if !(p[0].is_finite() && p[1].is_finite()) {
                return None;
            }
            let q = proj.fwd(geo_types::coord! { x: p[0], y: p[1] });
            if points.last() != Some(&[q.x, q.y]) {
                points.push([q.x, q.y]);
            }
        }
        (points.len() >= 2).then_some(LineSides { proj, points })
    }

    /// Whether `p` lies left of the line, walking it from its first point. The nearest
    /// segment decides; where the nearest point is a vertex, both segments meeting there
    /// do: left of both where the line turns left, left of either where it turns right.
    fn is_left(&self, p: [f64; 2]) -> bool {
        let p = self.proj.fwd(geo_types::coord! { x: p[0], y: p[1] });
        let p = [p.x, p.y];
        let sub = |a: [f64; 2], b: [f64; 2]| [a[0] - b[0], a[1] - b[1]];
        let cross = |a: [f64; 2], b: [f64; 2]| a[0] * b[1] - a[1] * b[0];
        let left_of = |s: usize| {
            let (a, b) = (self.points[s], self.points[s + 1]);
            cross(sub(b, a), sub(p, a)) > 0.0
        };
        let segments = self.points.len() - 1;
        let (mut best, mut best_t, mut best_d) = (0, 0.0, f64::INFINITY);
        for s in 0..segments {
            let (a, b) = (self.points[s], self.points[s + 1]);
            let d = sub(b, a);
            let t = ((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / (d[0] * d[0] + d[1] * d[1]);
            let t = t.clamp(0.0, 1.0);
            let q = [a[0] + t * d[0], a[1] + t * d[1]];
            let dist = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            if dist < best_d {
                (best, best_t, best_d) = (s, t, dist);
            }
        }
        let corner = if best_t <= 0.0 && best > 0 {
            Some((best - 1, best))
        } else if best_t >= 1.0 && best + 1 < segments {
            Some((best, best + 1))
        } else {
            None
        };
        match corner {
            None => left_of(best),
            Some((s1, s2)) => {
                let turn = cross(
                    sub(self.points[s1 + 1], self.points[s1]),
                    sub(self.points[s2 + 1], self.points[s2]),
                );
                if turn > 0.0 {
                    left_of(s1) && left_of(s2)
                } else {
                    left_of(s1) || left_of(s2)
                }
            }
        }
    }
}

/// The lowest grid serial no grid of the village uses.
fn free_serial(grids: &[Grid]) -> Result<u16, EditError> {
    (1..=999u16)
        .find(|s| !grids.iter().any(|g| g.code.serial() == *s))
        .ok_or(EditError::NoFreeSerial)
}

/// Makes a new grid of `village` from whole buildings (by source id), taken from the
/// grids holding them (as [`move_buildings`] would); returns its code, the lowest
/// free serial. Refused for an empty selection and as [`move_buildings`] refuses.
///
/// ```
/// use gridmap_core::edit::new_grid;
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let mut grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
/// let n = grids.len();
/// let picked = grids[0].members[0].building.clone();
/// let code = new_grid(&mut grids, &v[0].code, &[picked.as_str()]).unwrap();
/// assert_eq!(grids.len(), n + 1);
/// assert!(grids.iter().any(|g| g.code == code && g.members[0].building == picked));
/// ```
pub fn new_grid(
    grids: &mut Vec<Grid>,
    village: &crate::model::DivisionCode,
    buildings: &[&str],
) -> Result<GridCode, EditError> {
    if buildings.is_empty() {
        return Err(EditError::EmptySelection);
    }
    let code = GridCode::new(village, free_serial(grids)?);
    grids.push(empty_grid(code.clone()));
    if let Err(e) = move_buildings(grids, buildings, &code) {
        grids.pop();
        return Err(e);
    }
    Ok(code)
}

/// Puts buildings, or flats of high-rises, into the grids a plan names (a plan imported
/// from a file, a saved version brought back, flats moved between the grids of a
/// tower). The rows of one building replace all of its memberships: one row without
/// flats for the whole building, or one row per flat range. Grids named that do not
/// exist yet are created; grids left empty stay, for the planner to fill or delete.
/// Refused, with nothing changed, for a building not in `buildings`, a flat range
/// outside the building, a code of another village, and a locked grid that would gain
/// or lose households. Returns the codes it created.
///
/// ```
/// use gridmap_core::edit::{assign, Assignment};
/// use gridmap_core::partition::{partition_village, PartitionParams, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(1, 300, 1);
/// let refs: Vec<&_> = b.iter().collect();
/// let input = VillageInput { village: &v[0], buildings: &refs, barriers: &[], previous: &[] };
/// let mut grids = partition_village(&input, &PartitionParams::default()).unwrap().grids;
/// let building = grids[0].members[0].building.clone();
/// let to = grids[1].code.clone();
/// let row = Assignment { building: building.clone(), flats: None, grid: to.clone() };
/// assert!(assign(&mut grids, &v[0].code, &refs, &[row]).unwrap().is_empty());
/// assert!(grids[1].members.iter().any(|m| m.building == building));
/// assert!(!grids[0].members.iter().any(|m| m.building == building));
/// ```
pub fn assign(
    grids: &mut Vec<Grid>,
    village: &DivisionCode,
    buildings: &[&Building],
    rows: &[Assignment],
) -> Result<Vec<GridCode>, EditError> {
    let by_id: HashMap<&str, &Building> = buildings
        .iter()
        .map(|b| (b.source_id.as_str(), *b))
        .collect();
    // The new memberships of each listed building, checked.
    let mut wanted: BTreeMap<&str, Vec<GridMember>> = BTreeMap::new();
    // The grid each (building, flats) row names.
    let mut target_of: BTreeMap<RowKey<'_>, &GridCode> = BTreeMap::new();
    for row in rows {
        let building = by_id
            .get(row.building.as_str())
            .ok_or_else(|| EditError::UnknownBuilding(row.building.clone()))?;
        if &row.grid.village() != village {
            return Err(EditError::OtherVillage(row.grid.clone()));
        }
        let total = building.households.count;
        let households = match row.flats {
            None => total,
            Some((start, end)) if start < end && end <= total => end - start,
            Some((start, end)) => {
                return Err(EditError::FlatsOutOfRange {
                    building: row.building.clone(),
                    start,
                    end,
                    households: total,
                })
            }
        };
        let members = wanted.entry(row.building.as_str()).or_default();
        let whole_twice = members.iter().any(|m| m.flats.is_none())
            || (row.flats.is_none() && !members.is_empty());
        if whole_twice {
            return Err(EditError::ConflictingRows(row.building.clone()));
        }
        members.push(GridMember {
            building: row.building.clone(),
            households,
            flats: row.flats,
        });
        target_of.insert((row.building.as_str(), row.flats), &row.grid);
    }
    let mut next = grids.clone();
    let mut created = Vec::new();
    for (building, members) in wanted {
        let current: Vec<(GridCode, Option<(u32, u32)>)> = next
            .iter()
            .flat_map(|g| {
                g.members
                    .iter()
                    .filter(move |m| m.building == building)
                    .map(move |m| (g.code.clone(), m.flats))
            })
            .collect();
        let mut after: Vec<(GridCode, Option<(u32, u32)>)> = members
            .iter()
            .filter_map(|m| Some(((*target_of.get(&(building, m.flats))?).clone(), m.flats)))
            .collect();
        let mut before = current.clone();
        before.sort();
        after.sort();
        if before == after {
            continue;
        }
        let touched = current.iter().chain(&after).map(|(code, _)| code);
        for code in touched {
            if next.iter().any(|g| &g.code == code && g.locked) {
                return Err(EditError::Locked(code.clone()));
            }
        }
        for g in next.iter_mut() {
            if g.members.iter().any(|m| m.building == building) {
                g.members.retain(|m| m.building != building);
                recount(g);
            }
        }
        for member in members {
            let Some(code) = target_of.get(&(building, member.flats)).copied() else {
                continue;
            };
            let i = match next.iter().position(|g| &g.code == code) {
                Some(i) => i,
                None => {
                    next.push(empty_grid(code.clone()));
                    created.push(code.clone());
                    next.len() - 1
                }
            };
            next[i].members.push(member);
            recount(&mut next[i]);
        }
    }
    *grids = next;
    Ok(created)
}

/// A plan row's building and flats.
type RowKey<'a> = (&'a str, Option<(u32, u32)>);

/// A new unlocked grid without members or staff.
fn empty_grid(code: GridCode) -> Grid {
    Grid {
        village: code.village(),
        code,
        level: 1,
        parent: None,
        members: Vec::new(),
        households: 0,
        polygon: geo_types::MultiPolygon::new(Vec::new()),
        name: None,
        staff: None,
        locked: false,
        institution: false,
        version: 1,
    }
}

#[cfg(test)]
mod line_side_tests {
    use super::LineSides;

    #[test]
    fn a_straight_line_divides_the_plane_and_extends_past_its_ends() {
        let line = LineSides::new(&[[0.0, 0.0], [0.0, 1.0]]).unwrap();
        assert!(line.is_left([-0.5, 0.5]));
        assert!(!line.is_left([0.5, 0.5]));
        // Beyond the ends, the end segments go on.
        assert!(line.is_left([-0.1, 5.0]));
        assert!(!line.is_left([0.1, -5.0]));
    }

    #[test]
    fn at_a_corner_both_segments_decide() {
        // North, then east: a right turn at (0,1); the left side is the outer region.
        let line = LineSides::new(&[[0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]).unwrap();
        assert!(line.is_left([-0.5, 1.5]), "north-west of the corner");
        assert!(!line.is_left([0.5, 0.5]), "inside the turn");
        assert!(line.is_left([0.5, 1.5]), "above the second segment");
        assert!(
            !line.is_left([1.5, 0.5]),
            "below the extended second segment"
        );
        // East, then north: a left turn at (1,0); the left side is the inner region.
        let line = LineSides::new(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]).unwrap();
        assert!(line.is_left([0.5, 0.5]));
        assert!(!line.is_left([1.5, -0.5]), "south-east of the corner");
        assert!(!line.is_left([1.5, 0.5]));
    }

    #[test]
    fn a_line_needs_two_distinct_finite_points() {
        assert!(LineSides::new(&[]).is_none());
        assert!(LineSides::new(&[[1.0, 1.0], [1.0, 1.0]]).is_none());
        assert!(LineSides::new(&[[1.0, 1.0], [f64::NAN, 2.0]]).is_none());
    }
}
