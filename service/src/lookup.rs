//! Point lookup and the detail views of a building, a grid and a staff member.

use crate::views::{
    BuildingDetail, BuildingView, GridDetail, GridFlats, GridView, LookupView, StaffDetail,
    ViewContext,
};
use crate::{Caller, ServiceError, ServiceResult};
use geo::{Contains, Distance, Haversine};
use geo_types::{Point, Rect};
use gridmap_core::geometry::{bbox_array, representative_point};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{AdminLevel, DivisionCode, GridCode, HouseholdCountSource};
use gridmap_store::Store;

/// How far from a click a building still counts as clicked, in metres.
pub const LOOKUP_RADIUS_M: f64 = 15.0;

fn point_rect(p: Point<f64>) -> Rect<f64> {
    Rect::new(p.0, p.0)
}

/// The building under `p`, or the nearest one within [`LOOKUP_RADIUS_M`].
fn building_at(snap: &CountySnapshot, p: Point<f64>) -> Option<usize> {
    let under = snap
        .buildings_in(point_rect(p))
        .filter(|&i| {
            snap.buildings
                .get(i)
                .is_some_and(|b| b.footprint.contains(&p))
        })
        .min();
    if under.is_some() {
        return under;
    }
    snap.building_tree()
        .nearest_neighbor_iter(&[p.x(), p.y()])
        .take(8)
        .filter_map(|ib| {
            let b = snap.buildings.get(ib.index)?;
            let d = Haversine.distance(p, representative_point(&b.footprint)?);
            (d <= LOOKUP_RADIUS_M).then_some((d, ib.index))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, i)| i)
}

/// The grids (indices) holding flat number `flat` (register order: entrance, floor,
/// unit) of building `index`: the micro-grid whose flat range contains it (or the
/// building's only grid), then, where grids are nested, its comprehensive grid.
pub(crate) fn grids_of_flat(snap: &CountySnapshot, index: usize, flat: usize) -> Vec<usize> {
    let (Some(b), Ok(flat)) = (snap.buildings.get(index), u32::try_from(flat)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for g in snap.grids_of_building(index) {
        let Some(grid) = snap.grids.get(g) else {
            continue;
        };
        let holds = grid.members.iter().any(|m| {
            m.building == b.source_id && m.flats.is_none_or(|(s, e)| s <= flat && flat < e)
        });
        if holds {
            out.push(g);
            if let Some(parent) = grid.parent.as_ref().and_then(|p| snap.grid_index(p)) {
                out.push(parent);
            }
        }
    }
    out
}

/// Where flat `flat` of building `index` is, for access checks: the building's village
/// and the grids holding the flat (all the building's grids when no flat range names it).
pub(crate) fn place_of_flat(
    snap: &CountySnapshot,
    index: usize,
    flat: usize,
) -> (Option<&DivisionCode>, Vec<GridCode>) {
    let village = snap.buildings.get(index).and_then(|b| b.village.as_ref());
    let mut holding = grids_of_flat(snap, index, flat);
    if holding.is_empty() {
        holding = snap.grids_of_building(index).collect();
    }
    let codes = holding
        .into_iter()
        .filter_map(|g| snap.grids.get(g).map(|g| g.code.clone()))
        .collect();
    (village, codes)
}

/// Whether `caller` may see the personal data of flat `flat` of building `index`.
pub(crate) fn sees_flat(caller: &Caller, snap: &CountySnapshot, index: usize, flat: usize) -> bool {
    let (village, grids) = place_of_flat(snap, index, flat);
    caller.sees_personal_data_at(village, &grids)
}

/// The code of the grid holding flat `flat` of a building (see [`grids_of_flat`]).
pub(crate) fn grid_of_flat(snap: &CountySnapshot, building: usize, flat: usize) -> Option<String> {
    let first = *grids_of_flat(snap, building, flat).first()?;
    snap.grids.get(first).map(|g| g.code.to_string())
}

/// The flat ranges of building `index` by grid, in flat order (empty unless it is split
/// by flats).
fn flats_of(snap: &CountySnapshot, building: usize) -> Vec<GridFlats> {
    let Some(id) = snap.buildings.get(building).map(|b| &b.source_id) else {
        return Vec::new();
    };
    let mut out: Vec<GridFlats> = snap
        .grids_of_building(building)
        .filter_map(|g| snap.grids.get(g))
        .flat_map(|g| {
            g.members
                .iter()
                .filter(|m| &m.building == id)
                .filter_map(|m| m.flats)
                .map(|(start, end)| GridFlats {
                    grid: g.code.to_string(),
                    start,
                    end,
                })
        })
        .collect();
    out.sort_by_key(|f| f.start);
    out
}

/// Building `index` of the snapshot with its register rows: personal fields only of the
/// households inside the caller's scope, and each building whose personal data was shown
/// noted in the audit log.
pub async fn building_view(
    cx: ViewContext<'_>,
    store: &dyn Store,
    index: usize,
    caller: &Caller,
) -> ServiceResult<BuildingView> {
    let snap = cx.snap;
    let b = snap
        .buildings
        .get(index)
        .ok_or_else(|| ServiceError::NotFound("no such building".into()))?;
    let households = store.households_of_building(&b.source_id).await?;
    let mut shown = 0usize;
    let household_list = households
        .iter()
        .enumerate()
        .map(|(flat, h)| {
            let personal = sees_flat(caller, snap, index, flat);
            shown += usize::from(personal);
            cx.household(h, grid_of_flat(snap, index, flat), personal)
        })
        .collect();
    if shown > 0 {
        let detail = format!("{shown} of {} households", households.len());
        let now = crate::incidents::now();
        let (actor, origin) = (caller.actor(), caller.origin());
        crate::access::audit(
            store,
            now,
            actor,
            "read households",
            &b.source_id,
            origin,
            &detail,
        )
        .await?;
    }
    Ok(BuildingView {
        id: b.source_id.clone(),
        building_use: b.building_use.as_str().to_owned(),
        levels: b.levels,
        households: b.households.count,
        estimated: b.households.source == HouseholdCountSource::Estimated,
        address: b.address.clone(),
        grids: snap
            .grids_of_building(index)
            .filter_map(|g| snap.grids.get(g))
            .map(|g| g.code.to_string())
            .collect(),
        flats: flats_of(snap, index),
        bbox: bbox_array(&b.footprint),
        household_list,
    })
}

/// What lies at `lon`/`lat`: the building clicked (or nearest within 15 m), its grids
/// (several for a split high-rise), village and township.
pub async fn lookup(
    cx: ViewContext<'_>,
    store: &dyn Store,
    caller: &Caller,
    lon: f64,
    lat: f64,
) -> ServiceResult<LookupView> {
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(ServiceError::BadInput(format!(
            "lon={lon} lat={lat} is not a WGS84 position"
        )));
    }
    let snap = cx.snap;
    let p = Point::new(lon, lat);
    let building = building_at(snap, p);
    let mut grid_indices: Vec<usize> = building
        .map(|b| snap.grids_of_building(b).collect())
        .unwrap_or_default();
    if grid_indices.is_empty() {
        grid_indices = snap
            .grids_in(point_rect(p))
            .filter(|&i| {
                snap.grids
                    .get(i)
                    .is_some_and(|g| !g.is_comprehensive() && g.polygon.contains(&p))
            })
            .collect();
        grid_indices.sort_unstable();
    }
    let village_code = building
        .and_then(|b| snap.buildings.get(b))
        .and_then(|b| b.village.clone())
        .or_else(|| {
            let first = grid_indices.first().and_then(|&g| snap.grids.get(g));
            first.map(|g| g.village.clone())
        })
        .or_else(|| {
            snap.admin_units_of_level_in(AdminLevel::Village, point_rect(p))
                .filter_map(|i| snap.admin_units.get(i))
                .filter(|u| u.boundary.contains(&p))
                .map(|u| u.code.clone())
                .min()
        });
    if building.is_none() && grid_indices.is_empty() && village_code.is_none() {
        return Err(ServiceError::NotFound(format!(
            "nothing at lon={lon} lat={lat}: the point lies outside every village"
        )));
    }
    let building = match building {
        Some(i) => Some(building_view(cx, store, i, caller).await?),
        None => None,
    };
    let grids: Vec<GridView> = grid_indices
        .iter()
        .filter_map(|&i| snap.grids.get(i))
        .map(|g| cx.grid(g))
        .collect();
    let (village, township) = cx.units_of(village_code.as_ref());
    let comprehensive = grid_indices
        .first()
        .and_then(|&i| snap.parent_grid(i))
        .map(|g| cx.grid(g));
    Ok(LookupView {
        building,
        grid: grids.first().cloned(),
        grids,
        comprehensive,
        village,
        township,
    })
}

/// One building by source id, with its households, grids, village and township.
pub async fn building(
    cx: ViewContext<'_>,
    store: &dyn Store,
    caller: &Caller,
    id: &str,
) -> ServiceResult<BuildingDetail> {
    let index = cx
        .snap
        .building_index(id)
        .ok_or_else(|| ServiceError::NotFound(format!("no building with id {id:?}")))?;
    let view = building_view(cx, store, index, caller).await?;
    let village = cx
        .snap
        .buildings
        .get(index)
        .and_then(|b| b.village.as_ref());
    let (village, township) = cx.units_of(village);
    Ok(BuildingDetail {
        building: view,
        village,
        township,
    })
}

/// Parses a grid code from a request.
pub fn parse_grid_code(code: &str) -> ServiceResult<GridCode> {
    code.parse()
        .map_err(|e: gridmap_core::GridCodeError| ServiceError::BadInput(e.to_string()))
}

/// One grid with its staff, village and township.
pub fn grid(cx: ViewContext<'_>, _caller: &Caller, code: &GridCode) -> ServiceResult<GridDetail> {
    let g = cx
        .snap
        .grid(code)
        .ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?;
    let (village_unit, township) = cx.units_of(Some(&g.village));
    let comprehensive = g.parent.as_ref().and_then(|p| cx.snap.grid(p));
    let mut micro_grids: Vec<GridView> = if g.is_comprehensive() {
        cx.snap
            .grids_in(
                gridmap_core::geometry::bbox(&g.polygon).unwrap_or(Rect::new((0., 0.), (0., 0.))),
            )
            .filter_map(|i| cx.snap.grids.get(i))
            .filter(|m| m.parent.as_ref() == Some(code))
            .map(|m| cx.grid(m))
            .collect()
    } else {
        Vec::new()
    };
    micro_grids.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(GridDetail {
        grid: cx.grid(g),
        comprehensive: comprehensive.map(|p| cx.grid(p)),
        micro_grids,
        village_unit,
        township,
    })
}

/// One staff member with the grids they serve.
pub fn staff(cx: ViewContext<'_>, _caller: &Caller, id: &str) -> ServiceResult<StaffDetail> {
    let s = cx
        .snap
        .staff_member(id)
        .ok_or_else(|| ServiceError::NotFound(format!("no staff member {id:?}")))?;
    Ok(StaffDetail {
        staff: cx.staff(s),
        grid_details: s
            .grids
            .iter()
            .filter_map(|c| cx.snap.grid(c))
            .map(|g| cx.grid(g))
            .collect(),
    })
}
