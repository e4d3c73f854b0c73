//! Household situations (户况) by building and by grid: how many households of each
//! building carry a situation group (低保, 独居老人…, see [`gridmap_core::TagGroup`]),
//! for colouring the 3D map, and per grid for the panel and the CSV statistics.
//!
//! Situations are personal data even as counts (a farmhouse holds one household), so
//! they are never in tiles: these use cases answer callers who may read personal data,
//! and count only the households inside the caller's scope; every answer is audited.

use crate::county::Scope;
use crate::lookup::{grids_of_flat, sees_flat};
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{DivisionCode, GridCode, Household, TagGroup};
use gridmap_store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most buildings one map request may ask about: a view at street zoom holds a few
/// thousand.
pub const MAX_BUILDINGS: usize = 20_000;

/// One building's households in a situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildingSituation {
    pub building: String,
    /// Households of the building the caller may see.
    pub households: u32,
    /// Of those, the ones in the situation.
    pub count: u32,
}

/// One grid's households by situation group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridSituations {
    pub grid: GridCode,
    pub village: DivisionCode,
    /// 1 for micro-grids (or the one level), 2 for comprehensive grids.
    pub level: u8,
    pub households: u32,
    /// Households per group key (`low_income`…), every group listed.
    pub groups: BTreeMap<&'static str, u32>,
}

/// Reads the households of buildings `indices` and records the read in the audit log.
async fn read_households(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    indices: &[usize],
    what: &str,
) -> ServiceResult<Vec<(usize, Vec<Household>)>> {
    let ids: Vec<String> = indices
        .iter()
        .filter_map(|&i| snap.buildings.get(i).map(|b| b.source_id.clone()))
        .collect();
    let read = store.households_of_buildings(&ids).await?;
    let count: usize = read.iter().map(|(_, h)| h.len()).sum();
    crate::access::audit(
        store,
        crate::incidents::now(),
        caller.actor(),
        "read situations",
        what,
        caller.origin(),
        &format!("{count} households of {} buildings", ids.len()),
    )
    .await?;
    Ok(read
        .into_iter()
        .filter_map(|(id, h)| snap.building_index(&id).map(|i| (i, h)))
        .collect())
}

/// For each building in `bbox` (`[w, s, e, n]`) with households the caller may see, how
/// many of those are in `group`. Callers who read personal data only (staff, planners,
/// administrators), counting the households inside their scope.
///
/// `area` and `grid` narrow it (the map's filter): buildings of villages in `area`, and
/// with a grid, only its households (the flats of a split tower that belong to it).
pub async fn buildings_in_situation(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    bbox: [f64; 4],
    group: TagGroup,
    area: (&Scope, Option<&GridCode>),
) -> ServiceResult<Vec<BuildingSituation>> {
    caller.must_be_office("household situations")?;
    let [w, s, e, n] = bbox;
    if !(w.is_finite() && s.is_finite() && e.is_finite() && n.is_finite() && w <= e && s <= n) {
        return Err(ServiceError::BadInput(format!(
            "bbox {w},{s},{e},{n} is not west,south,east,north"
        )));
    }
    let (scope, grid) = area;
    let grid = match grid {
        Some(code) => Some(
            snap.grid_index(code)
                .ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?,
        ),
        None => None,
    };
    // The buildings of the grid, or of its micro-grids where grids are nested.
    let grid_buildings: Option<std::collections::HashSet<usize>> = grid.map(|g| {
        let code = &snap.grids[g].code;
        snap.grids
            .iter()
            .filter(|x| &x.code == code || x.parent.as_ref() == Some(code))
            .flat_map(|x| x.members.iter())
            .filter_map(|m| snap.building_index(&m.building))
            .collect()
    });
    let wanted = |i: usize| {
        let Some(b) = snap.buildings.get(i) else {
            return false;
        };
        let in_area = match &b.village {
            Some(v) => scope.covers(v),
            None => *scope == Scope::All,
        };
        b.households.count > 0
            && in_area
            && grid_buildings.as_ref().is_none_or(|set| set.contains(&i))
    };
    let mut indices: Vec<usize> = snap
        .buildings_in(geo_types::Rect::new((w, s), (e, n)))
        .filter(|&i| wanted(i))
        .collect();
    indices.sort_unstable();
    if indices.len() > MAX_BUILDINGS {
        return Err(ServiceError::BadInput(format!(
            "{} buildings with households in the box, at most {MAX_BUILDINGS}: zoom in",
            indices.len()
        )));
    }
    let read = read_households(store, snap, caller, &indices, "buildings in view").await?;
    let mut out = Vec::new();
    for (index, households) in read {
        let (mut seen, mut count) = (0u32, 0u32);
        for (flat, h) in households.iter().enumerate() {
            let in_grid = grid.is_none_or(|g| grids_of_flat(snap, index, flat).contains(&g));
            if !in_grid || !sees_flat(caller, snap, index, flat) {
                continue;
            }
            seen += 1;
            count += u32::from(TagGroup::of_tags(&h.tags).contains(&group));
        }
        if seen > 0 {
            out.push(BuildingSituation {
                building: snap.buildings[index].source_id.clone(),
                households: seen,
                count,
            });
        }
    }
    Ok(out)
}

/// Households by situation group for every grid of `scope` (or the one grid `grid`)
/// the caller may see the households of, in code order.
pub async fn grid_situations(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    scope: &Scope,
    grid: Option<&GridCode>,
) -> ServiceResult<Vec<GridSituations>> {
    caller.must_be_office("household situations")?;
    let wanted = |g: &gridmap_core::Grid| match grid {
        Some(code) => &g.code == code,
        None => scope.covers(&g.village),
    };
    let grids: Vec<usize> = (0..snap.grids.len())
        .filter(|&i| wanted(&snap.grids[i]))
        .filter(|&i| {
            let g = &snap.grids[i];
            caller.sees_personal_data_at(Some(&g.village), std::slice::from_ref(&g.code))
        })
        .collect();
    if grids.is_empty() {
        return match grid {
            Some(code) if snap.grid(code).is_none() => {
                Err(ServiceError::NotFound(format!("no grid {code}")))
            }
            Some(_) => Err(ServiceError::Forbidden(
                "the grid's households are outside your scope".into(),
            )),
            None => Ok(Vec::new()),
        };
    }
    let mut buildings: Vec<usize> = grids
        .iter()
        .flat_map(|&g| {
            let grid = &snap.grids[g];
            grid.members
                .iter()
                .filter_map(|m| snap.building_index(&m.building))
                .collect::<Vec<_>>()
        })
        .collect();
    buildings.sort_unstable();
    buildings.dedup();
    let what = grid.map_or_else(|| scope.to_string(), |g| format!("grid {g}"));
    let read = read_households(store, snap, caller, &buildings, &what).await?;
    let mut rows: BTreeMap<usize, (u32, BTreeMap<&'static str, u32>)> = grids
        .iter()
        .map(|&g| {
            let zero = TagGroup::ALL.iter().map(|t| (t.key(), 0)).collect();
            (g, (0, zero))
        })
        .collect();
    for (index, households) in read {
        for (flat, h) in households.iter().enumerate() {
            let groups = TagGroup::of_tags(&h.tags);
            for g in grids_of_flat(snap, index, flat) {
                if let Some((n, by)) = rows.get_mut(&g) {
                    *n += 1;
                    for t in &groups {
                        *by.entry(t.key()).or_default() += 1;
                    }
                }
            }
        }
    }
    let mut out: Vec<GridSituations> = rows
        .into_iter()
        .map(|(g, (households, groups))| {
            let grid = &snap.grids[g];
            GridSituations {
                grid: grid.code.clone(),
                village: grid.village.clone(),
                level: grid.level,
                households,
                groups,
            }
        })
        .collect();
    out.sort_by(|a, b| a.grid.cmp(&b.grid));
    Ok(out)
}

/// One village's households by situation group: the sum over its micro-grids (or its
/// one level of grids), each household counted once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VillageSituations {
    pub village: DivisionCode,
    pub grids: u32,
    pub households: u32,
    pub groups: BTreeMap<&'static str, u32>,
}

/// The village totals of `rows` (comprehensive grids left out: their micro-grids hold
/// the same households), in code order.
pub fn village_totals(rows: &[GridSituations]) -> Vec<VillageSituations> {
    let mut by: BTreeMap<&DivisionCode, VillageSituations> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.level == gridmap_core::Grid::MICRO) {
        let v = by.entry(&r.village).or_insert_with(|| VillageSituations {
            village: r.village.clone(),
            grids: 0,
            households: 0,
            groups: TagGroup::ALL.iter().map(|g| (g.key(), 0)).collect(),
        });
        v.grids += 1;
        v.households += r.households;
        for (k, n) in &r.groups {
            *v.groups.entry(k).or_default() += n;
        }
    }
    by.into_values().collect()
}

/// [`village_totals`] as CSV, like [`situations_csv`]: village, grids, households, then one
/// column per group.
pub fn village_situations_csv(rows: &[VillageSituations]) -> String {
    let mut out = String::from("\u{feff}村(社区)代码 Village,网格数 Grids,户数 Households");
    for g in TagGroup::ALL {
        out.push_str(&format!(",{} {}", g.label(), g.key()));
    }
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&format!("{},{},{}", r.village, r.grids, r.households));
        for g in TagGroup::ALL {
            out.push_str(&format!(",{}", r.groups.get(g.key()).copied().unwrap_or(0)));
        }
        out.push_str("\r\n");
    }
    out
}

/// The rows of [`grid_situations`] as CSV (UTF-8 with a byte-order mark for Excel):
/// grid, village, level, households, then one column per group with bilingual headers.
pub fn situations_csv(rows: &[GridSituations]) -> String {
    let mut out =
        String::from("\u{feff}网格编码 Grid,村(社区)代码 Village,层级 Level,户数 Households");
    for g in TagGroup::ALL {
        out.push_str(&format!(",{} {}", g.label(), g.key()));
    }
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{}",
            r.grid, r.village, r.level, r.households
        ));
        for g in TagGroup::ALL {
            out.push_str(&format!(",{}", r.groups.get(g.key()).copied().unwrap_or(0)));
        }
        out.push_str("\r\n");
    }
    out
}
