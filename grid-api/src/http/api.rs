//! The JSON API behind the web map: point lookup, buildings, grids, staff and search.
//! Household personal data (head, phone, members) is included only for callers allowed
//! to see it ([`Caller::sees_personal_data`]).

use super::{ApiError, AppState, Caller};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use geo::{BoundingRect, Contains, Distance, Haversine};
use geo_types::{MultiPolygon, Point, Rect};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    AdminUnit, Building, DivisionCode, Grid, GridCode, Household, HouseholdCountSource, Staff,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// How far from a click a building still counts as clicked, in metres.
const LOOKUP_RADIUS_M: f64 = 15.0;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/lookup", get(lookup))
        .route("/api/buildings/{id}", get(building))
        .route("/api/grids/{code}", get(grid).patch(edit_grid))
        .route("/api/staff/{id}", get(staff))
        .route("/api/search", get(search))
        .route("/api/labels", get(labels))
}

/// An administrative unit, briefly.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub code: String,
    pub name: String,
    pub level: String,
}

/// A staff member's contact card.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: String,
    pub grids: Vec<String>,
}

/// A grid with its staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridView {
    pub code: String,
    pub village: String,
    pub households: u32,
    pub buildings: usize,
    pub staff: Option<StaffView>,
    /// `[min_lon, min_lat, max_lon, max_lat]`
    pub bbox: Option<[f64; 4]>,
    pub locked: bool,
    pub institution: bool,
    pub flags: Vec<String>,
}

/// One household of a building; `head`, `phone` and `members` only for allowed callers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub entrance: Option<String>,
    pub floor: Option<i16>,
    pub unit: Option<String>,
    pub address: Option<String>,
    /// The grid this household belongs to (several grids share a split high-rise).
    pub grid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<u16>,
}

/// A building with its households and grids.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingView {
    pub id: String,
    #[serde(rename = "use")]
    pub building_use: String,
    pub levels: Option<u16>,
    pub households: u32,
    pub estimated: bool,
    pub address: Option<String>,
    pub grids: Vec<String>,
    pub bbox: Option<[f64; 4]>,
    pub household_list: Vec<HouseholdView>,
}

/// What lies at a point.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupView {
    pub building: Option<BuildingView>,
    pub grid: Option<GridView>,
    /// Every grid holding households of the building (several for a split high-rise).
    pub grids: Vec<GridView>,
    pub village: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A building with its village and township.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuildingDetail {
    #[serde(flatten)]
    pub building: BuildingView,
    pub village: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A grid with its village and township.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridDetail {
    #[serde(flatten)]
    pub grid: GridView,
    pub village_unit: Option<UnitView>,
    pub township: Option<UnitView>,
}

/// A staff member with the grids they serve.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffDetail {
    #[serde(flatten)]
    pub staff: StaffView,
    pub grid_details: Vec<GridView>,
}

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `grid`, `staff`, `village`, `township`, `county`, `building` or `address`.
    pub kind: &'static str,
    pub id: String,
    pub label: String,
    pub detail: String,
    pub bbox: Option<[f64; 4]>,
}

/// Search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupQuery {
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Grid code, staff name, village name, address or building id.
    pub q: String,
    /// At most this many results (default 10, at most 50).
    pub limit: Option<usize>,
}

fn bbox_of(shape: &MultiPolygon<f64>) -> Option<[f64; 4]> {
    shape
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
}

fn unit_view(unit: &AdminUnit) -> UnitView {
    UnitView {
        code: unit.code.to_string(),
        name: unit.name.clone(),
        level: unit.level.as_str().to_owned(),
    }
}

fn staff_view(s: &Staff) -> StaffView {
    StaffView {
        id: s.id.clone(),
        name: s.name.clone(),
        phone: s.phone.clone(),
        role: s.role.as_string(),
        grids: s.grids.iter().map(ToString::to_string).collect(),
    }
}

fn grid_view(state: &AppState, snap: &CountySnapshot, g: &Grid) -> GridView {
    let config = state.config();
    let mut flags = Vec::new();
    if !g.institution && g.households < config.min_households {
        flags.push("undersize".to_owned());
    }
    if !g.institution && g.households > config.max_households {
        flags.push("oversize".to_owned());
    }
    if g.staff.is_none() {
        flags.push("no_staff".to_owned());
    }
    GridView {
        code: g.code.to_string(),
        village: g.village.to_string(),
        households: g.households,
        buildings: g.members.len(),
        staff: g
            .staff
            .as_deref()
            .and_then(|id| snap.staff_member(id))
            .map(staff_view),
        bbox: bbox_of(&g.polygon),
        locked: g.locked,
        institution: g.institution,
        flags,
    }
}

fn household_view(h: &Household, grid: Option<String>, caller: &Caller) -> HouseholdView {
    let personal = caller.sees_personal_data();
    HouseholdView {
        id: h.id.clone(),
        grid,
        entrance: h.entrance.clone(),
        floor: h.floor,
        unit: h.unit.clone(),
        address: h.address.clone(),
        head: if personal { h.head.clone() } else { None },
        phone: if personal { h.phone.clone() } else { None },
        members: if personal { h.members } else { None },
    }
}

async fn building_view(
    state: &AppState,
    snap: &CountySnapshot,
    index: usize,
    caller: &Caller,
) -> Result<BuildingView, ApiError> {
    let b: &Building = snap
        .buildings
        .get(index)
        .ok_or_else(|| ApiError::not_found("no such building"))?;
    let households = state
        .store()
        .households_of_building(&b.source_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(BuildingView {
        id: b.source_id.clone(),
        building_use: b.building_use.as_str().to_owned(),
        levels: b.levels,
        households: b.households.count,
        estimated: b.households.source == HouseholdCountSource::Estimated,
        address: b.address.clone(),
        grids: snap
            .grids_of_building(index)
            .iter()
            .filter_map(|&g| snap.grids.get(g))
            .map(|g| g.code.to_string())
            .collect(),
        bbox: bbox_of(&b.footprint),
        household_list: households
            .iter()
            .enumerate()
            .map(|(flat, h)| household_view(h, grid_of_flat(snap, index, flat), caller))
            .collect(),
    })
}

/// The grid holding flat number `flat` (register order: entrance, floor, unit) of a
/// building: the grid whose flat range contains it, or the building's only grid.
fn grid_of_flat(snap: &CountySnapshot, building: usize, flat: usize) -> Option<String> {
    let id = &snap.buildings.get(building)?.source_id;
    let grids = snap.grids_of_building(building);
    let flat = u32::try_from(flat).ok()?;
    grids
        .iter()
        .filter_map(|&g| snap.grids.get(g))
        .find(|g| {
            g.members.iter().any(|m| {
                &m.building == id
                    && m.flats
                        .is_none_or(|(start, end)| start <= flat && flat < end)
            })
        })
        .map(|g| g.code.to_string())
}

fn units_of(
    snap: &CountySnapshot,
    village: Option<&DivisionCode>,
) -> (Option<UnitView>, Option<UnitView>) {
    let Some(v) = village else {
        return (None, None);
    };
    (
        snap.admin_unit(v).map(unit_view),
        snap.admin_unit(&v.township()).map(unit_view),
    )
}

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
            let c = gridmap_core::geometry::representative_point(&b.footprint)?;
            let d = Haversine.distance(p, c);
            (d <= LOOKUP_RADIUS_M).then_some((d, ib.index))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, i)| i)
}

/// What lies at a point: building, grid(s), village, township.
#[utoipa::path(get, path = "/api/lookup", params(LookupQuery),
    responses((status = 200, body = LookupView), (status = 400, description = "bad coordinates"), (status = 404, description = "outside every village and grid")))]
pub(super) async fn lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LookupQuery>,
) -> Result<Json<LookupView>, ApiError> {
    if !(q.lon.is_finite() && q.lat.is_finite() && q.lon.abs() <= 180.0 && q.lat.abs() <= 90.0) {
        return Err(ApiError::bad_request(format!(
            "lon={} lat={} is not a WGS84 position",
            q.lon, q.lat
        )));
    }
    let data = state.data();
    let snap = data.snapshot();
    let p = Point::new(q.lon, q.lat);
    let building = building_at(snap, p);
    let mut grid_indices: Vec<usize> = building
        .map(|b| snap.grids_of_building(b).to_vec())
        .unwrap_or_default();
    if grid_indices.is_empty() {
        grid_indices = snap
            .grids_in(point_rect(p))
            .filter(|&i| snap.grids.get(i).is_some_and(|g| g.polygon.contains(&p)))
            .collect();
        grid_indices.sort_unstable();
    }
    let village_code = building
        .and_then(|b| snap.buildings.get(b))
        .and_then(|b| b.village.clone())
        .or_else(|| {
            grid_indices
                .first()
                .and_then(|&g| snap.grids.get(g))
                .map(|g| g.village.clone())
        })
        .or_else(|| {
            snap.admin_units_of_level_in(gridmap_core::AdminLevel::Village, point_rect(p))
                .filter_map(|i| snap.admin_units.get(i))
                .filter(|u| u.boundary.contains(&p))
                .map(|u| u.code.clone())
                .min()
        });
    if building.is_none() && grid_indices.is_empty() && village_code.is_none() {
        return Err(ApiError::not_found(format!(
            "nothing at lon={} lat={}: the point lies outside every village",
            q.lon, q.lat
        )));
    }
    let building = match building {
        Some(i) => Some(building_view(&state, snap, i, &caller).await?),
        None => None,
    };
    let grids: Vec<GridView> = grid_indices
        .iter()
        .filter_map(|&i| snap.grids.get(i))
        .map(|g| grid_view(&state, snap, g))
        .collect();
    let grid = grid_indices
        .first()
        .and_then(|&i| snap.grids.get(i))
        .map(|g| grid_view(&state, snap, g));
    let (village, township) = units_of(snap, village_code.as_ref());
    Ok(Json(LookupView {
        building,
        grid,
        grids,
        village,
        township,
    }))
}

/// One building with its households, grids, village and township.
#[utoipa::path(get, path = "/api/buildings/{id}", params(("id" = String, Path, description = "building source id, URL-encoded")),
    responses((status = 200, body = BuildingDetail), (status = 404, description = "no such building")))]
pub(super) async fn building(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<BuildingDetail>, ApiError> {
    let data = state.data();
    let snap = data.snapshot();
    let index = snap
        .building_index(&id)
        .ok_or_else(|| ApiError::not_found(format!("no building with id {id:?}")))?;
    let view = building_view(&state, snap, index, &caller).await?;
    let (village, township) = units_of(
        snap,
        snap.buildings.get(index).and_then(|b| b.village.as_ref()),
    );
    Ok(Json(BuildingDetail {
        building: view,
        village,
        township,
    }))
}

/// One grid with its staff, village and township.
#[utoipa::path(get, path = "/api/grids/{code}", params(("code" = String, Path, description = "grid code, e.g. 411622101201-007")),
    responses((status = 200, body = GridDetail), (status = 400, description = "malformed code"), (status = 404, description = "no such grid")))]
pub(super) async fn grid(
    State(state): State<AppState>,
    _caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<GridDetail>, ApiError> {
    let code: GridCode = code
        .parse()
        .map_err(|e: gridmap_core::GridCodeError| ApiError::bad_request(e.to_string()))?;
    let data = state.data();
    let snap = data.snapshot();
    let g = snap
        .grid(&code)
        .ok_or_else(|| ApiError::not_found(format!("no grid {code}")))?;
    let (village_unit, township) = units_of(snap, Some(&g.village));
    Ok(Json(GridDetail {
        grid: grid_view(&state, snap, g),
        village_unit,
        township,
    }))
}

/// Changes to a grid's attributes. Omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GridEditBody {
    pub locked: Option<bool>,
    /// Staff id; `null` removes the staff member.
    #[serde(default, deserialize_with = "deserialize_some")]
    pub staff: Option<Option<String>>,
    /// The version the editor saw (409 when the grid changed since).
    pub version: Option<u32>,
}

fn deserialize_some<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Locks/unlocks a grid or changes its staff (staff only). Tiles show the change at once.
#[utoipa::path(patch, path = "/api/grids/{code}", request_body = GridEditBody,
    params(("code" = String, Path, description = "grid code")),
    responses((status = 200, body = GridDetail), (status = 401, description = "no staff token"), (status = 404, description = "no such grid or staff"), (status = 409, description = "stale version")))]
pub(super) async fn edit_grid(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<GridEditBody>,
) -> Result<Json<GridDetail>, ApiError> {
    if caller != Caller::Staff {
        return Err(ApiError::unauthorized(
            "editing grids needs a staff token (Authorization: Bearer …)",
        ));
    }
    let code: GridCode = code
        .parse()
        .map_err(|e: gridmap_core::GridCodeError| ApiError::bad_request(e.to_string()))?;
    let edit = gridmap_store::GridEdit {
        locked: body.locked,
        staff: body.staff,
        expected_version: body.version,
    };
    let change = gridmap_store::GridChange {
        actor: "api".into(),
        action: format!("edit {code}"),
        bbox: None,
    };
    state.store().update_grid(&code, &edit, &change).await?;
    state.sync_changes().await?;
    grid(State(state), caller, Path(code.to_string())).await
}

/// One staff member with the grids they serve.
#[utoipa::path(get, path = "/api/staff/{id}", params(("id" = String, Path, description = "staff id")),
    responses((status = 200, body = StaffDetail), (status = 404, description = "no such staff member")))]
pub(super) async fn staff(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<StaffDetail>, ApiError> {
    let data = state.data();
    let snap = data.snapshot();
    let s = snap
        .staff_member(&id)
        .ok_or_else(|| ApiError::not_found(format!("no staff member {id:?}")))?;
    let grid_details = s
        .grids
        .iter()
        .filter_map(|c| snap.grid(c))
        .map(|g| grid_view(&state, snap, g))
        .collect();
    Ok(Json(StaffDetail {
        staff: staff_view(s),
        grid_details,
    }))
}

/// Finds grids (code prefix), staff (name), villages (name), buildings (id) and addresses.
#[utoipa::path(get, path = "/api/search", params(SearchQuery), responses((status = 200, body = SearchResults), (status = 400, description = "empty query")))]
pub(super) async fn search(
    State(state): State<AppState>,
    _caller: Caller,
    Query(q): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let needle = q.q.trim();
    if needle.is_empty() {
        return Err(ApiError::bad_request("q must not be empty"));
    }
    let limit = q.limit.unwrap_or(10).clamp(1, 50);
    let data = state.data();
    let snap = data.snapshot();
    let lower = needle.to_lowercase();
    // Case only matters for Latin letters: skip the per-address lowercase copy (a scan of
    // every building) when the query has none, as with Chinese addresses.
    let case_folds = needle
        .chars()
        .any(|c| c.is_alphabetic() && c.is_lowercase() != c.is_uppercase());
    let address_matches =
        |a: &str| a.contains(needle) || (case_folds && a.to_lowercase().contains(&lower));
    let mut results = Vec::new();

    for g in snap
        .grids
        .iter()
        .filter(|g| g.code.as_str().starts_with(needle))
        .take(limit)
    {
        let staff_name = g
            .staff
            .as_deref()
            .and_then(|id| snap.staff_member(id))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        results.push(SearchHit {
            kind: "grid",
            id: g.code.to_string(),
            label: g.code.to_string(),
            detail: format!("{} 户 · {staff_name}", g.households),
            bbox: bbox_of(&g.polygon),
        });
    }
    for s in snap
        .staff
        .iter()
        .filter(|s| s.name.contains(needle) || s.id == needle)
        .take(limit)
    {
        let bbox = union_bbox(
            s.grids
                .iter()
                .filter_map(|c| snap.grid(c))
                .filter_map(|g| bbox_of(&g.polygon)),
        );
        results.push(SearchHit {
            kind: "staff",
            id: s.id.clone(),
            label: s.name.clone(),
            detail: s
                .grids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            bbox,
        });
    }
    for u in snap
        .admin_units
        .iter()
        .filter(|u| u.name.contains(needle) || u.code.as_str() == needle)
        .take(limit)
    {
        results.push(SearchHit {
            kind: match u.level {
                gridmap_core::AdminLevel::Village => "village",
                gridmap_core::AdminLevel::Township => "township",
                gridmap_core::AdminLevel::County => "county",
            },
            id: u.code.to_string(),
            label: u.name.clone(),
            detail: format!("{} {}", u.level.as_str(), u.code),
            bbox: bbox_of(&u.boundary),
        });
    }
    if let Some(i) = snap.building_index(needle) {
        if let Some(b) = snap.buildings.get(i) {
            results.push(SearchHit {
                kind: "building",
                id: b.source_id.clone(),
                label: b.address.clone().unwrap_or_else(|| b.source_id.clone()),
                detail: format!("{} 户", b.households.count),
                bbox: bbox_of(&b.footprint),
            });
        }
    }
    if results.len() < limit {
        let room = limit - results.len();
        for b in snap
            .buildings
            .iter()
            .filter(|b| b.address.as_deref().is_some_and(address_matches))
            .take(room)
        {
            results.push(SearchHit {
                kind: "address",
                id: b.source_id.clone(),
                label: b.address.clone().unwrap_or_default(),
                detail: format!("{} 户", b.households.count),
                bbox: bbox_of(&b.footprint),
            });
        }
    }
    results.truncate(limit);
    Ok(Json(SearchResults { results }))
}

fn union_bbox(boxes: impl Iterator<Item = [f64; 4]>) -> Option<[f64; 4]> {
    boxes.reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    })
}

/// One label point per township and village (pole of inaccessibility of its boundary),
/// as GeoJSON, so the map names each unit once instead of once per tile.
#[utoipa::path(get, path = "/api/labels", responses((status = 200, description = "GeoJSON FeatureCollection of points with code, name, level")))]
pub(super) async fn labels(
    State(state): State<AppState>,
    _caller: Caller,
) -> Json<serde_json::Value> {
    use gridmap_tiles::coord::world_to_lonlat;
    use gridmap_tiles::encode::WorldShape;
    let data = state.data();
    let snap = data.snapshot();
    let features: Vec<serde_json::Value> = snap
        .admin_units
        .iter()
        .filter(|u| u.level != gridmap_core::AdminLevel::County)
        .filter_map(|u| {
            let [x, y] = gridmap_tiles::label_point::label_point(&WorldShape::from_lonlat(&u.boundary))?;
            let (lon, lat) = world_to_lonlat(x, y);
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "code": u.code.as_str(), "name": u.name, "level": u.level.as_str() },
            }))
        })
        .collect();
    Json(serde_json::json!({ "type": "FeatureCollection", "features": features }))
}
