//! Staff correct a household's situation tags (户况: 低保, 独居老人, 出租房屋…) where the
//! register is out of date: one household per edit, checked against the tags the editor
//! saw, stored as one change with the row before and after (so `gridmap undo` takes it
//! back) and audited.
//!
//! Tags are personal data: the operation logged names the household, never its tags,
//! and only callers who see the household's personal data may change them.

use crate::access::audited_change;
use crate::lookup::{grid_of_flat, place_of_flat};
use crate::views::{HouseholdView, ViewContext};
use crate::{Caller, ServiceError, ServiceResult};
use geo::Contains;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{DivisionCode, Grid, GridCode, Household};
use gridmap_store::{RecordKeys, RecordRows, RowRestore, Store, TAG_EDIT_OPERATION};

/// Most tags one household may carry.
pub const MAX_TAGS: usize = 16;

/// Most characters in one tag.
pub const MAX_TAG_CHARS: usize = 40;

/// A household after its tags were edited.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EditedTags {
    /// The change-log entry (0 when the tags were already as asked).
    pub change: i64,
    pub household: HouseholdView,
}

/// Cleans tags as an editor typed them: trimmed, empty ones dropped, repeats dropped
/// (first kept); refuses more than [`MAX_TAGS`], a tag longer than [`MAX_TAG_CHARS`] or
/// one holding a control character.
///
/// ```
/// use gridmap_service::households::clean_tags;
/// let tags = clean_tags(&[" 低保 ".into(), "".into(), "低保".into(), "独居老人".into()]).unwrap();
/// assert_eq!(tags, ["低保", "独居老人"]);
/// assert!(clean_tags(&["a\nb".into()]).is_err());
/// ```
pub fn clean_tags(tags: &[String]) -> ServiceResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim();
        if tag.is_empty() || out.iter().any(|t| t == tag) {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err(ServiceError::BadInput(format!(
                "tag {} is {} characters long, at most {MAX_TAG_CHARS}",
                i + 1,
                tag.chars().count()
            )));
        }
        if tag.chars().any(char::is_control) {
            return Err(ServiceError::BadInput(format!(
                "tag {} holds a control character (a line break or tab): one tag per entry",
                i + 1
            )));
        }
        out.push(tag.to_owned());
    }
    if out.len() > MAX_TAGS {
        return Err(ServiceError::BadInput(format!(
            "{} tags, at most {MAX_TAGS} per household",
            out.len()
        )));
    }
    Ok(out)
}

/// Sets the tags of household `id` to `tags` when they are still `expected` (what the
/// editor saw; a different stored list is a [`ServiceError::Conflict`]). Staff, planners
/// and administrators who see the household's personal data.
pub async fn edit_tags(
    cx: ViewContext<'_>,
    store: &dyn Store,
    caller: &Caller,
    id: &str,
    expected: &[String],
    tags: &[String],
) -> ServiceResult<EditedTags> {
    caller.must_be_office("editing household tags")?;
    let tags = clean_tags(tags)?;
    let (stored, place) = household_in_reach(store, cx.snap, caller, id).await?;
    let grid = place.shown_grid;
    if stored.tags != expected {
        return Err(ServiceError::Conflict(format!(
            "household {id}'s tags were changed by someone else since you opened it: reload it and edit again"
        )));
    }
    if stored.tags == tags {
        return Ok(EditedTags {
            change: 0,
            household: cx.household(&stored, grid, true),
        });
    }
    let edited = Household {
        tags,
        ..stored.clone()
    };
    let restore = RowRestore {
        put: RecordRows {
            households: vec![edited.clone()],
            ..RecordRows::default()
        },
        expect: RecordRows {
            households: vec![stored],
            ..RecordRows::default()
        },
        ..RowRestore::default()
    };
    let meta = audited_change(caller, id, format!("{TAG_EDIT_OPERATION}{id}"));
    let change = store.restore_rows(&restore, &meta).await?;
    Ok(EditedTags {
        change,
        household: cx.household(&edited, grid, true),
    })
}

/// Household `id` and where it is, when `caller` may change its record (sees its
/// personal data: it is in her scope); not found for an unknown household.
pub(crate) async fn household_in_reach(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    id: &str,
) -> ServiceResult<(Household, HouseholdPlace)> {
    let keys = RecordKeys {
        households: [id.to_owned()].into(),
        ..RecordKeys::default()
    };
    let household = store
        .rows(&keys)
        .await?
        .households
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::NotFound(format!("no household with id {id:?}")))?;
    let place = place_of_household(snap, store, &household).await?;
    caller.may_edit_household(place.village.as_ref(), &place.grids)?;
    Ok((household, place))
}

/// Where a household is, for the access check and the answer.
pub(crate) struct HouseholdPlace {
    pub village: Option<DivisionCode>,
    /// Every grid holding it.
    pub grids: Vec<GridCode>,
    /// The grid shown with it (its micro-grid where grids are nested).
    pub shown_grid: Option<String>,
}

/// Where `household` is: through its building's flats, or for a household the register
/// places by coordinates, the grids whose outline holds it.
async fn place_of_household(
    snap: &CountySnapshot,
    store: &dyn Store,
    household: &Household,
) -> ServiceResult<HouseholdPlace> {
    if let Some(index) = household
        .building
        .as_deref()
        .and_then(|b| snap.building_index(b))
    {
        let flats = store
            .households_of_building(&snap.buildings[index].source_id)
            .await?;
        let flat = flats
            .iter()
            .position(|h| h.id == household.id)
            .unwrap_or(flats.len());
        let (village, grids) = place_of_flat(snap, index, flat);
        return Ok(HouseholdPlace {
            village: village.cloned(),
            grids,
            shown_grid: grid_of_flat(snap, index, flat),
        });
    }
    let holding: Vec<&Grid> = household
        .location
        .map(|point| {
            snap.grids_in(geo_types::Rect::new(point.0, point.0))
                .filter_map(|g| snap.grids.get(g).map(AsRef::as_ref))
                .filter(|g: &&Grid| g.polygon.contains(&point))
                .collect()
        })
        .unwrap_or_default();
    let shown = holding
        .iter()
        .find(|g| g.level == Grid::MICRO)
        .or(holding.first());
    Ok(HouseholdPlace {
        village: holding.first().map(|g| g.village.clone()),
        shown_grid: shown.map(|g| g.code.to_string()),
        grids: holding.iter().map(|g| g.code.clone()).collect(),
    })
}

/// One household of a grid, with the building it lives in.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct GridHousehold {
    pub building: String,
    /// The building's address (the household's own is in `household`).
    pub building_address: Option<String>,
    pub household: HouseholdView,
}

/// The households of grid `code` (a comprehensive grid: of its micro-grids), building by
/// building in register order: the phone's "my grid". Callers who see the grid's personal
/// data (staff of the grid, planners and administrators of its village); audited.
pub async fn grid_households(
    cx: ViewContext<'_>,
    store: &dyn Store,
    caller: &Caller,
    code: &GridCode,
) -> ServiceResult<Vec<GridHousehold>> {
    let snap = cx.snap;
    let village = code.village();
    caller.may_edit_household(Some(&village), std::slice::from_ref(code))?;
    let index = snap
        .grid_index(code)
        .ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?;
    let mut buildings: Vec<String> = snap
        .grids
        .iter()
        .filter(|g| &g.code == code || g.parent.as_ref() == Some(code))
        .flat_map(|g| g.members.iter().map(|m| m.building.clone()))
        .collect();
    buildings.sort();
    buildings.dedup();
    let read = store.households_of_buildings(&buildings).await?;
    let mut out = Vec::new();
    for (building, households) in &read {
        let Some(b) = snap.building_index(building) else {
            continue;
        };
        for (flat, h) in households.iter().enumerate() {
            if !crate::lookup::grids_of_flat(snap, b, flat).contains(&index) {
                continue;
            }
            let personal = crate::lookup::sees_flat(caller, snap, b, flat);
            out.push(GridHousehold {
                building: building.clone(),
                building_address: snap.buildings[b].address.clone(),
                household: cx.household(h, grid_of_flat(snap, b, flat), personal),
            });
        }
    }
    crate::access::audit(
        store,
        crate::incidents::now(),
        caller.actor(),
        "read households",
        code.as_str(),
        caller.origin(),
        &format!("{} households of grid {code}", out.len()),
    )
    .await?;
    Ok(out)
}
