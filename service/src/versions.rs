//! Named versions of a village's plan: a planner saves the plan under a name, lists the
//! versions, compares two (or one with the plan as it is: grids added, removed and
//! changed, households moved, the differing grids for the map), exports one, and
//! restores one — as an edit, so it is checked, logged and can be undone.

use crate::county::village_of_snapshot;
use crate::edit::EditedVillage;
use crate::export::{grid_file, ExportFile, GridFormat, Names, TextEncoding};
use crate::plan::{parse_village, EditOutcome};
use crate::{Caller, Service, ServiceError, ServiceResult};
use gridmap_core::partition::rebuild_polygons;
use gridmap_core::{DivisionCode, Grid};
use gridmap_store::{NewPlanVersion, PlanVersionSummary};

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;

/// A saved version, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionView {
    pub id: i64,
    pub village: String,
    pub name: String,
    /// When it was saved (RFC 3339, UTC).
    pub created_at: String,
    /// Who saved it.
    pub actor: String,
    pub grids: usize,
    pub households: u64,
}

impl From<PlanVersionSummary> for VersionView {
    fn from(v: PlanVersionSummary) -> VersionView {
        VersionView {
            id: v.id,
            village: v.village.to_string(),
            name: v.name,
            created_at: v.created_at,
            actor: v.actor,
            grids: v.grids,
            households: v.households,
        }
    }
}

/// One side of a comparison: a saved version, or the plan as it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanSide {
    Current,
    Version(i64),
}

impl std::str::FromStr for PlanSide {
    type Err = ServiceError;
    fn from_str(s: &str) -> ServiceResult<PlanSide> {
        match s.trim() {
            "" | "current" => Ok(PlanSide::Current),
            id => id.parse().map(PlanSide::Version).map_err(|_| {
                ServiceError::BadInput(format!("{id:?} is neither a version id nor `current`"))
            }),
        }
    }
}

/// A grid in both plans that holds other households, or has another staff member.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridDifference {
    pub code: String,
    pub households_from: u32,
    pub households_to: u32,
    pub staff_from: Option<String>,
    pub staff_to: Option<String>,
}

/// A building whose households are in other grids in the second plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BuildingMove {
    pub building: String,
    /// Grids holding its households in the first plan, and in the second.
    pub from: Vec<String>,
    pub to: Vec<String>,
    /// Households that changed grid.
    pub households: u32,
}

/// What differs between two plans of a village.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanComparison {
    pub village: String,
    /// `current` or the version's name.
    pub from: String,
    pub to: String,
    pub grids_added: Vec<String>,
    pub grids_removed: Vec<String>,
    pub grids_changed: Vec<GridDifference>,
    /// Households in another grid (or in none) in the second plan.
    pub households_moved: u64,
    pub buildings_moved: Vec<BuildingMove>,
    /// The grids that differ, from both plans, as a GeoJSON FeatureCollection (each
    /// feature has `code` and `side`: `from` or `to`), for drawing the differences.
    #[schema(value_type = Object)]
    pub map: serde_json::Value,
}

impl Service {
    /// Saves village `code`'s plan as it is under `name` (staff); the change log says who
    /// saved it (an entry undo refuses: delete the version instead).
    pub async fn save_version(
        &self,
        caller: &Caller,
        code: &str,
        name: &str,
    ) -> ServiceResult<VersionView> {
        let village = parse_village(code)?;
        caller.may_edit_village(&village)?;
        let grids = self.current_grids(&village)?;
        let version = NewPlanVersion {
            village,
            name: name.trim().to_owned(),
            grids,
        };
        Ok(self
            .store()
            .save_plan_version(&version, caller.actor())
            .await?
            .into())
    }

    /// The saved versions of village `code`, newest first (staff).
    pub async fn versions(&self, caller: &Caller, code: &str) -> ServiceResult<Vec<VersionView>> {
        let village = parse_village(code)?;
        caller.may_plan_village(&village)?;
        self.current_grids(&village)?;
        let saved = self.store().plan_versions(&village).await?;
        Ok(saved.into_iter().map(VersionView::from).collect())
    }

    /// Deletes a saved version of village `code` (staff), noted in the change log.
    pub async fn delete_version(&self, caller: &Caller, code: &str, id: i64) -> ServiceResult<()> {
        let village = parse_village(code)?;
        caller.may_edit_village(&village)?;
        self.saved(&village, id).await?;
        self.store().delete_plan_version(id, caller.actor()).await?;
        Ok(())
    }

    /// What differs between two plans of village `code` (staff).
    pub async fn compare_versions(
        &self,
        caller: &Caller,
        code: &str,
        from: PlanSide,
        to: PlanSide,
    ) -> ServiceResult<PlanComparison> {
        let village = parse_village(code)?;
        caller.may_plan_village(&village)?;
        let (from_name, a) = self.side(&village, from).await?;
        let (to_name, b) = self.side(&village, to).await?;
        Ok(compare(&village, from_name, &a, to_name, &b))
    }

    /// Brings a saved version back as the plan of village `code`: one edit (checked
    /// against the hard rules, logged, undoable), its polygons drawn again over the
    /// buildings as they are now. Buildings the version does not know end up in no
    /// grid and are flagged (staff).
    pub async fn restore_version(
        &self,
        caller: &Caller,
        code: &str,
        id: i64,
    ) -> ServiceResult<EditOutcome> {
        let village = parse_village(code)?;
        caller.may_edit_village(&village)?;
        let saved = self.saved(&village, id).await?;
        let data = self.data();
        let part = village_of_snapshot(
            data.snapshot(),
            &data.barriers,
            &data.barrier_index,
            &village,
        )
        .ok_or_else(|| ServiceError::NotFound(format!("no village {village}")))?;
        let current: HashMap<_, u32> = part
            .grids
            .iter()
            .map(|g| (g.code.clone(), g.version))
            .collect();
        let grids: Vec<Grid> = saved
            .grids
            .into_iter()
            .map(|g| Grid {
                // Versions only go up, so a planner holding the older view conflicts.
                version: current.get(&g.code).copied().unwrap_or(0).max(g.version) + 1,
                ..g
            })
            .collect();
        let rebuilt = rebuild_polygons(&part.input(&grids), &data.params).map_err(|e| {
            ServiceError::Internal(format!("redrawing the grids of {village}: {e}"))
        })?;
        let edited = EditedVillage {
            grids: rebuilt.grids,
            created: None,
            report: Some(rebuilt.report),
        };
        let operation = format!("restore version {id} ({}) of {village}", saved.summary.name);
        self.commit_village(caller, &data, part, edited, operation)
            .await
    }

    /// A saved version of village `code` as a grid file (staff).
    pub async fn export_version(
        &self,
        caller: &Caller,
        code: &str,
        id: i64,
        format: GridFormat,
        encoding: TextEncoding,
    ) -> ServiceResult<ExportFile> {
        let village = parse_village(code)?;
        caller.may_plan_village(&village)?;
        let saved = self.saved(&village, id).await?;
        let data = self.data();
        let snap = data.snapshot();
        let names = Names::new(&snap.admin_units, &snap.staff);
        let stem = format!("{village}-version-{id}-grids");
        grid_file(caller, &saved.grids, &names, format, encoding, &stem)
    }

    /// The grids of `village` as this server shows them; 404 for no such village.
    fn current_grids(&self, village: &DivisionCode) -> ServiceResult<Vec<Grid>> {
        let data = self.data();
        let part = village_of_snapshot(
            data.snapshot(),
            &data.barriers,
            &data.barrier_index,
            village,
        )
        .ok_or_else(|| ServiceError::NotFound(format!("no village {village}")))?;
        Ok(part.grids)
    }

    /// Saved version `id`, which must be one of `village`'s.
    async fn saved(
        &self,
        village: &DivisionCode,
        id: i64,
    ) -> ServiceResult<gridmap_store::PlanVersion> {
        match self.store().plan_version(id).await? {
            Some(v) if &v.summary.village == village => Ok(v),
            _ => Err(ServiceError::NotFound(format!(
                "village {village} has no saved version {id}"
            ))),
        }
    }

    async fn side(
        &self,
        village: &DivisionCode,
        side: PlanSide,
    ) -> ServiceResult<(String, Vec<Grid>)> {
        match side {
            PlanSide::Current => Ok(("current".to_owned(), self.current_grids(village)?)),
            PlanSide::Version(id) => {
                let saved = self.saved(village, id).await?;
                Ok((saved.summary.name, saved.grids))
            }
        }
    }
}

/// Which grid holds each household (by flat index) of each building in `grids`.
fn holders(grids: &[Grid]) -> BTreeMap<&str, Vec<(u32, u32, &str)>> {
    let mut out: BTreeMap<&str, Vec<(u32, u32, &str)>> = BTreeMap::new();
    for g in grids {
        for m in &g.members {
            let (start, end) = m.flats.unwrap_or((0, m.households));
            out.entry(m.building.as_str())
                .or_default()
                .push((start, end, g.code.as_str()));
        }
    }
    out
}

/// The grid holding flat `i` in `ranges`.
fn holder_of<'a>(ranges: &[(u32, u32, &'a str)], i: u32) -> Option<&'a str> {
    ranges
        .iter()
        .find(|(start, end, _)| (*start..*end).contains(&i))
        .map(|(_, _, code)| *code)
}

/// The differences between plans `a` and `b` of `village`.
pub fn compare(
    village: &DivisionCode,
    from: String,
    a: &[Grid],
    to: String,
    b: &[Grid],
) -> PlanComparison {
    let by_code = |grids: &[Grid]| -> BTreeMap<String, Grid> {
        grids
            .iter()
            .map(|g| (g.code.to_string(), g.clone()))
            .collect()
    };
    let (ga, gb) = (by_code(a), by_code(b));
    let grids_added: Vec<String> = gb
        .keys()
        .filter(|c| !ga.contains_key(*c))
        .cloned()
        .collect();
    let grids_removed: Vec<String> = ga
        .keys()
        .filter(|c| !gb.contains_key(*c))
        .cloned()
        .collect();
    let members = |g: &Grid| -> BTreeSet<(String, Option<(u32, u32)>)> {
        g.members
            .iter()
            .map(|m| (m.building.clone(), m.flats))
            .collect()
    };
    let grids_changed: Vec<GridDifference> = ga
        .iter()
        .filter_map(|(code, x)| {
            let y = gb.get(code)?;
            (members(x) != members(y) || x.staff != y.staff).then(|| GridDifference {
                code: code.clone(),
                households_from: x.households,
                households_to: y.households,
                staff_from: x.staff.clone(),
                staff_to: y.staff.clone(),
            })
        })
        .collect();
    let (ha, hb) = (holders(a), holders(b));
    let buildings: BTreeSet<&str> = ha.keys().chain(hb.keys()).copied().collect();
    let mut buildings_moved = Vec::new();
    let mut households_moved = 0u64;
    for building in buildings {
        let (ra, rb) = (
            ha.get(building).map(Vec::as_slice).unwrap_or(&[]),
            hb.get(building).map(Vec::as_slice).unwrap_or(&[]),
        );
        let count = ra.iter().chain(rb).map(|r| r.1).max().unwrap_or(0);
        let moved = (0..count)
            .filter(|&i| holder_of(ra, i) != holder_of(rb, i))
            .count() as u32;
        if moved > 0 {
            let codes = |r: &[(u32, u32, &str)]| -> Vec<String> {
                let set: BTreeSet<&str> = r.iter().map(|x| x.2).collect();
                set.into_iter().map(str::to_owned).collect()
            };
            households_moved += u64::from(moved);
            buildings_moved.push(BuildingMove {
                building: building.to_owned(),
                from: codes(ra),
                to: codes(rb),
                households: moved,
            });
        }
    }
    let differing: BTreeSet<&str> = grids_added
        .iter()
        .chain(&grids_removed)
        .map(String::as_str)
        .chain(grids_changed.iter().map(|d| d.code.as_str()))
        .collect();
    let features: Vec<serde_json::Value> = [("from", &ga), ("to", &gb)]
        .into_iter()
        .flat_map(|(side, grids)| {
            let differing = &differing;
            grids
                .values()
                .filter(move |g| differing.contains(g.code.as_str()))
                .map(move |g| {
                    serde_json::json!({
                        "type": "Feature",
                        "properties": { "code": g.code.as_str(), "side": side, "households": g.households },
                        "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&g.polygon)),
                    })
                })
        })
        .collect();
    PlanComparison {
        village: village.to_string(),
        from,
        to,
        grids_added,
        grids_removed,
        grids_changed,
        households_moved,
        buildings_moved,
        map: serde_json::json!({ "type": "FeatureCollection", "features": features }),
    }
}
