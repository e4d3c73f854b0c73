//! The planner's view of one village: its grids with their sizes, the rules they break
//! and a summary (sizes, compactness, households per staff member); and edits that
//! answer with the rule breaks they caused and fixed. Hard rules (a building in two
//! grids, a grid outside its village) refuse an edit; soft rules (size, contiguity,
//! gaps) are allowed and flagged.

use crate::county::{village_of_snapshot, VillageParts};
use crate::edit::{edit_village, staff_lists_after, store_village, EditedVillage, GridOperation};
use crate::live::ShownWrite;
use crate::partition::village_violations;
use crate::staffload::{StaffLoad, StaffOverload};
use crate::LiveData;
use crate::{Caller, Service, ServiceError, ServiceResult};
use geo::GeodesicArea;
use gridmap_core::edit::Assignment;
use gridmap_core::partition::{PartitionParams, Violation};
use gridmap_core::{DivisionCode, Grid};
use gridmap_importers::csv::{read_plan_csv, write_plan_csv};
use gridmap_store::GridWrite;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use utoipa::ToSchema;

/// One broken rule of a village's plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanIssue {
    /// `size_out_of_range`, `non_contiguous`, `outside_village`, `overlap`, `gap`,
    /// `households_unassigned`, `households_in_several_grids`, `staff_overload`, …
    pub kind: String,
    /// The grid concerned, when one is.
    pub grid: Option<String>,
    /// The building concerned, when one is.
    pub building: Option<String>,
    /// What is wrong, for people.
    pub message: String,
    /// A hard rule: an edit that breaks it is refused.
    pub hard: bool,
    /// The staff member over the limit, for `staff_overload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<StaffOverload>,
    /// The grid's households and the range, for `size_out_of_range` (so a page can word
    /// the issue in its own language).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<SizeOutOfRange>,
    /// How many pieces the grid's polygon has, for `non_contiguous`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pieces: Option<usize>,
}

/// A grid's size against the county's range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SizeOutOfRange {
    pub households: u32,
    pub min: u32,
    pub max: u32,
    pub target: u32,
}

impl PlanIssue {
    fn of(v: &Violation, params: &PartitionParams) -> PlanIssue {
        let fields = serde_json::to_value(v).unwrap_or_default();
        let text = |k: &str| fields.get(k).and_then(|s| s.as_str()).map(str::to_owned);
        let kind = text("kind").unwrap_or_default();
        let mut message = v.to_string();
        if matches!(v, Violation::SizeOutOfRange { .. }) {
            message.push_str(&format!(" (target {})", params.target));
        }
        PlanIssue {
            hard: matches!(
                v,
                Violation::WrongVillage { .. }
                    | Violation::HouseholdsInSeveralGrids { .. }
                    | Violation::UnknownBuilding { .. }
                    | Violation::HouseholdSumMismatch { .. }
            ),
            grid: text("grid"),
            building: text("building"),
            kind,
            message,
            staff: None,
            size: match v {
                Violation::SizeOutOfRange {
                    households,
                    min,
                    max,
                    ..
                } => Some(SizeOutOfRange {
                    households: *households,
                    min: *min,
                    max: *max,
                    target: params.target,
                }),
                _ => None,
            },
            pieces: match v {
                Violation::NonContiguous { pieces, .. } => Some(*pieces),
                _ => None,
            },
        }
    }

    /// What makes two issues the same across an edit (areas and counts may change; a
    /// grid whose overloaded staff member changed is a new issue).
    fn identity(&self) -> (&str, Option<&str>, Option<&str>, Option<&str>) {
        (
            &self.kind,
            self.grid.as_deref(),
            self.building.as_deref(),
            self.staff.as_ref().map(|s| s.id.as_str()),
        )
    }
}

/// One grid of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridBrief {
    pub code: String,
    /// The name planners gave the grid, if any.
    pub name: Option<String>,
    pub households: u32,
    /// Buildings (or parts of split buildings) in the grid.
    pub members: usize,
    pub locked: bool,
    pub institution: bool,
    pub staff: Option<String>,
    /// What an edit of this grid must name (`versions`) to be accepted.
    pub version: u32,
    /// 1: a micro-grid (or a grid of a village cut at one level); 2: a comprehensive grid
    /// (综治网格) its micro-grids nest in.
    pub level: u8,
    /// A micro-grid's comprehensive grid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A village's plan as a planner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VillagePlan {
    pub village: String,
    pub name: String,
    /// Households in the village's grids.
    pub households: u64,
    /// The size range and target grids are held to.
    pub min: u32,
    pub max: u32,
    pub target: u32,
    /// The size range of the comprehensive grids in a village cut at two levels (the
    /// counts and sizes below are of the micro-grids).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub comprehensive: Option<gridmap_core::partition::LevelSizes>,
    pub grids: Vec<GridBrief>,
    /// Residential (non-institution) grids, and how many of them are in range.
    pub residential: usize,
    pub in_range: usize,
    /// Smallest and largest residential grid (households).
    pub size_min: u32,
    pub size_max: u32,
    /// Mean Polsby-Popper score (4πA/P², 1 for a circle) of the grids drawn on the
    /// ground (not those stacked on a tower's or institution's footprint).
    pub mean_polsby_popper: f64,
    /// Distinct staff members serving the village's grids.
    pub staff: usize,
    /// Households over staff members (`None` without staff).
    pub households_per_staff: Option<f64>,
    /// The most households one staff member should serve, over all their grids.
    pub max_staff_households: u32,
    /// Staff members of the village's grids above that limit (counting their grids in
    /// other villages), by id.
    pub staff_overloaded: Vec<StaffOverload>,
    /// Every rule the plan breaks.
    pub issues: Vec<PlanIssue>,
}

/// An edit of one village's grids, as a planner sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EditRequest {
    #[serde(flatten)]
    pub operation: GridOperation,
    /// The versions of the grids the planner saw (from the plan or `GET /api/grids`):
    /// any that changed since make the edit a conflict (409) naming them.
    #[serde(default)]
    pub versions: BTreeMap<String, u32>,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EditOutcome {
    /// The change-log entry (what undo takes).
    pub change: i64,
    /// The grid the edit created (new grid, split).
    pub created: Option<String>,
    /// Rules the edit broke.
    pub caused: Vec<PlanIssue>,
    /// Rules broken before that the edit mended.
    pub fixed: Vec<PlanIssue>,
    /// The village after the edit.
    pub plan: VillagePlan,
}

/// What an undo did: the change it wrote and, when the undone change was a grid write
/// inside one village, that village after the undo with the rules the undo broke and
/// mended (as an edit answers, so a planner's page needs no second request).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct UndoOutcome {
    /// The change undone.
    pub undone: i64,
    /// The undo's own change id (undo it to redo).
    pub change: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused: Option<Vec<PlanIssue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Vec<PlanIssue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<VillagePlan>,
}

/// The rules `grids` break in `part`'s village; `load` is what the village's staff
/// serve elsewhere.
pub fn issues(
    part: &VillageParts<'_>,
    grids: &[Grid],
    params: &PartitionParams,
    load: &StaffLoad<'_>,
) -> Vec<PlanIssue> {
    let mut found: Vec<PlanIssue> =
        village_violations(part.village, &part.buildings, grids, params, true)
            .iter()
            .map(|(v, sizes)| PlanIssue::of(v, sizes))
            .collect();
    found.extend(load.issues(grids, params.max_staff_households));
    found
}

/// The hard rules `grids` break (all are about memberships, none needs a polygon).
fn hard_issues(
    part: &VillageParts<'_>,
    grids: &[Grid],
    params: &PartitionParams,
) -> Vec<PlanIssue> {
    village_violations(part.village, &part.buildings, grids, params, false)
        .iter()
        .map(|(v, sizes)| PlanIssue::of(v, sizes))
        .filter(|i| i.hard)
        .collect()
}

/// Every rule village `code` of `data` breaks as it is and with `grids` instead.
fn rules_before_and_after(
    data: &LiveData,
    code: &DivisionCode,
    grids: &[Grid],
) -> ServiceResult<(Arc<Vec<PlanIssue>>, Vec<PlanIssue>)> {
    let part = village_of_snapshot(data.snapshot(), &data.barriers, &data.barrier_index, code)
        .ok_or_else(|| ServiceError::NotFound(format!("no village {code}")))?;
    let params = &data.params;
    let load = StaffLoad::outside(data.snapshot(), code);
    let before = data.village_issues(code, || issues(&part, &part.grids, params, &load));
    Ok((before, issues(&part, grids, params, &load)))
}

/// The plan of `part`'s village with `grids`.
pub fn plan_of(
    part: &VillageParts<'_>,
    grids: &[Grid],
    params: &PartitionParams,
    issues: Vec<PlanIssue>,
) -> VillagePlan {
    // Households, sizes and compactness are of the lowest level: a comprehensive grid
    // holds its micro-grids' households again.
    let lowest = |g: &&Grid| !g.is_comprehensive();
    let residential: Vec<&Grid> = grids
        .iter()
        .filter(lowest)
        .filter(|g| !g.institution)
        .collect();
    let on_ground = |g: &&Grid| !g.institution && g.members.iter().any(|m| m.flats.is_none());
    let scores: Vec<f64> = grids
        .iter()
        .filter(lowest)
        .filter(on_ground)
        .filter_map(|g| polsby_popper(&g.polygon))
        .collect();
    let staff: BTreeSet<&str> = grids.iter().filter_map(|g| g.staff.as_deref()).collect();
    let households: u64 = grids
        .iter()
        .filter(lowest)
        .map(|g| u64::from(g.households))
        .sum();
    let nested = grids.iter().any(Grid::is_comprehensive);
    let mut staff_overloaded: Vec<StaffOverload> =
        issues.iter().filter_map(|i| i.staff.clone()).collect();
    staff_overloaded.sort_by(|a, b| a.id.cmp(&b.id));
    staff_overloaded.dedup_by(|a, b| a.id == b.id);
    VillagePlan {
        village: part.village.code.to_string(),
        name: part.village.name.clone(),
        households,
        min: params.min,
        max: params.max,
        target: params.target,
        comprehensive: params.comprehensive.filter(|_| nested),
        grids: grids
            .iter()
            .map(|g| GridBrief {
                code: g.code.to_string(),
                name: g.name.clone(),
                households: g.households,
                members: g.members.len(),
                locked: g.locked,
                institution: g.institution,
                staff: g.staff.clone(),
                version: g.version,
                level: g.level,
                parent: g.parent.as_ref().map(|p| p.to_string()),
            })
            .collect(),
        residential: residential.len(),
        in_range: residential
            .iter()
            .filter(|g| (params.min..=params.max).contains(&g.households))
            .count(),
        size_min: residential.iter().map(|g| g.households).min().unwrap_or(0),
        size_max: residential.iter().map(|g| g.households).max().unwrap_or(0),
        mean_polsby_popper: if scores.is_empty() {
            0.0
        } else {
            scores.iter().sum::<f64>() / scores.len() as f64
        },
        staff: staff.len(),
        households_per_staff: (!staff.is_empty()).then(|| households as f64 / staff.len() as f64),
        max_staff_households: params.max_staff_households,
        staff_overloaded,
        issues,
    }
}

/// 4πA/P² on the ellipsoid (no projection needed); `None` for an empty shape.
fn polsby_popper(shape: &geo_types::MultiPolygon<f64>) -> Option<f64> {
    let (perimeter, area) = shape.geodesic_perimeter_area_unsigned();
    (area > 0.0 && perimeter > 0.0)
        .then(|| 4.0 * std::f64::consts::PI * area / (perimeter * perimeter))
}

/// The issues of `after` that `before` did not have.
fn new_in(after: &[PlanIssue], before: &[PlanIssue]) -> Vec<PlanIssue> {
    let known: BTreeSet<_> = before.iter().map(PlanIssue::identity).collect();
    after
        .iter()
        .filter(|i| !known.contains(&i.identity()))
        .cloned()
        .collect()
}

/// `code` as a division code, or a bad-input error naming it.
pub(crate) fn parse_village(code: &str) -> ServiceResult<DivisionCode> {
    code.parse()
        .map_err(|e| ServiceError::BadInput(format!("village {code:?}: {e}")))
}

/// The plan of village `code` in `data`, with every rule it breaks.
fn plan_in(data: &LiveData, code: &DivisionCode) -> ServiceResult<VillagePlan> {
    let part = village_of_snapshot(data.snapshot(), &data.barriers, &data.barrier_index, code)
        .ok_or_else(|| ServiceError::NotFound(format!("no village {code}")))?;
    let found = data.village_issues(code, || {
        let load = StaffLoad::outside(data.snapshot(), code);
        issues(&part, &part.grids, &data.params, &load)
    });
    Ok(plan_of(
        &part,
        &part.grids,
        &data.params,
        Vec::clone(&found),
    ))
}

impl Service {
    /// The plan of village `code` as this server holds it (staff and operators: it
    /// names staff members).
    pub fn village_plan(&self, caller: &Caller, code: &str) -> ServiceResult<VillagePlan> {
        let code = parse_village(code)?;
        caller.may_plan_village(&code)?;
        plan_in(&self.data(), &code)
    }

    /// Undoes change `id` (see [`crate::edit::undo`]) and shows the result. When the
    /// undone change was a grid write inside one village (a planner's edit, a lock), the
    /// answer carries that village's plan after the undo and the rules the undo broke
    /// and mended, as [`Service::edit_village`] answers.
    pub async fn undo(&self, caller: &Caller, id: i64) -> ServiceResult<UndoOutcome> {
        // The county as it was before the undo: the rules broken then.
        let before = self.data();
        let undone = crate::edit::undo_change(self.store().as_ref(), caller, id).await?;
        let mut outcome = UndoOutcome {
            undone: id,
            change: undone.change,
            caused: None,
            fixed: None,
            plan: None,
        };
        let Some(write) = &undone.grids else {
            self.sync_changes().await?;
            return Ok(outcome);
        };
        let village = crate::live::write_village(write);
        self.show_grid_write(undone.change, write).await?;
        if let Some(village) = village {
            let was = plan_in(&before, &village)?.issues;
            let plan = plan_in(&self.data(), &village)?;
            outcome.caused = Some(new_in(&plan.issues, &was));
            outcome.fixed = Some(new_in(&was, &plan.issues));
            outcome.plan = Some(plan);
        }
        Ok(outcome)
    }

    /// Applies a planner's edit to its village: refused when a grid the planner saw
    /// changed since (409 naming them) or when it would break a hard rule; otherwise
    /// stored as one change, the map updated, and answered with the rules it broke and
    /// mended.
    pub async fn edit_village(
        &self,
        caller: &Caller,
        code: &str,
        request: &EditRequest,
    ) -> ServiceResult<EditOutcome> {
        let code = parse_village(code)?;
        caller.may_edit_village(&code)?;
        let data = self.data();
        let part = village_of_snapshot(data.snapshot(), &data.barriers, &data.barrier_index, &code)
            .ok_or_else(|| ServiceError::NotFound(format!("no village {code}")))?;
        let stale: Vec<String> = request
            .versions
            .iter()
            .filter_map(|(grid, seen)| {
                let now = part.grids.iter().find(|g| g.code.as_str() == grid);
                match now {
                    Some(g) if g.version == *seen => None,
                    Some(g) => Some(format!("{grid} (version {seen} → {})", g.version)),
                    None => Some(format!("{grid} (gone)")),
                }
            })
            .collect();
        if !stale.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "grids changed since you loaded them: {}; reload the village and try again",
                stale.join(", ")
            )));
        }
        let started = std::time::Instant::now();
        let edited = edit_village(&part, &request.operation, &data.params)?;
        tracing::debug!(village = %code, ms = started.elapsed().as_secs_f64() * 1e3, "edit computed");
        let operation = request.operation.describe();
        self.commit_village(caller, &data, part, edited, operation)
            .await
    }

    /// Stores `edited` as the new plan of `part`'s village, unless it breaks a hard
    /// rule, and shows it: one change (undo takes it), the map swapped and purged, the
    /// rules it broke and mended.
    pub(crate) async fn commit_village(
        &self,
        caller: &Caller,
        data: &Arc<LiveData>,
        part: VillageParts<'_>,
        edited: EditedVillage,
        operation: String,
    ) -> ServiceResult<EditOutcome> {
        let code = part.village.code.clone();
        let params = &data.params;
        let started = std::time::Instant::now();
        // The hard rules need no geometry: an edit is refused on them at once.
        let hard_before = hard_issues(&part, &part.grids, params);
        let hard_after = hard_issues(&part, &edited.grids, params);
        if let Some(hard) = new_in(&hard_after, &hard_before).first() {
            return Err(ServiceError::BadInput(format!(
                "the edit would break a hard rule: {}",
                hard.message
            )));
        }
        let hard_checked = started.elapsed();
        // The roster this server holds: an edit's lists follow its grids; another
        // process's roster change since is picked up by the next sync.
        let staff_grids =
            staff_lists_after(&data.snapshot().staff, &code, &part.grids, &edited.grids);
        // The store writes the edit while the map's next state is drawn and the soft
        // rules (the polygons') are checked for the answer.
        let live = self.live();
        let storing = store_village(
            self.store().as_ref(),
            caller,
            &part,
            &edited,
            staff_grids.clone(),
            operation,
        );
        let prepared_staff = staff_grids.clone();
        let drawing = live.prepare_village(code.clone(), edited.grids.clone(), staff_grids);
        let checking = tokio::task::spawn_blocking({
            let (data, code, grids) = (Arc::clone(data), code.clone(), edited.grids.clone());
            move || rules_before_and_after(&data, &code, &grids)
        });
        let (change, prepared, checked) = tokio::join!(storing, drawing, checking);
        let (change, prepared) = (change?, prepared?);
        let (before, after) =
            checked.map_err(|e| ServiceError::Internal(format!("checking a grid edit: {e}")))??;
        let caused = new_in(&after, &before);
        let fixed = new_in(&before, &after);
        let stored = started.elapsed();
        prepared.remember_issues(after.clone());
        let plan = plan_of(&part, &edited.grids, params, after);
        let area = geo::BoundingRect::bounding_rect(&part.village.boundary);
        drop(part);
        let shown = ShownWrite {
            change,
            village: code.clone(),
            write: GridWrite {
                replace_villages: vec![code.clone()],
                upsert: edited.grids.clone(),
                staff_grids: prepared_staff,
                ..GridWrite::default()
            },
            area,
        };
        live.show_write(self.store().as_ref(), shown, Some(prepared))
            .await?;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            village = %code,
            hard_rules_ms = ms(hard_checked),
            stored_ms = ms(stored - hard_checked),
            shown_ms = ms(started.elapsed() - stored),
            "edit committed (stored while the map's next state was drawn and the rules checked)"
        );
        Ok(EditOutcome {
            change,
            created: edited.created.map(|c| c.to_string()),
            caused,
            fixed,
            plan,
        })
    }
}

impl Service {
    /// Applies a plan read from a CSV file (see [`gridmap_importers::csv::read_plan_csv`])
    /// to village `code` as one edit: the buildings and flats it lists go to the grids it
    /// names (grids it names that do not exist are created), the others stay where they
    /// are. A row naming a building of another village, a bad line or a hard rule broken
    /// refuses the whole file, naming the line.
    pub async fn import_plan(
        &self,
        caller: &Caller,
        code: &str,
        file: &str,
        bytes: &[u8],
    ) -> ServiceResult<EditOutcome> {
        let code = parse_village(code)?;
        caller.may_edit_village(&code)?;
        let rows = read_plan_csv(Path::new(file), bytes)
            .map_err(|e| ServiceError::BadInput(e.to_string()))?;
        if rows.is_empty() {
            return Err(ServiceError::BadInput(format!(
                "{file}: no rows (expected a header `building,grid,flats` and one row per building)"
            )));
        }
        let data = self.data();
        let part = village_of_snapshot(data.snapshot(), &data.barriers, &data.barrier_index, &code)
            .ok_or_else(|| ServiceError::NotFound(format!("no village {code}")))?;
        let known: HashSet<&str> = part
            .buildings
            .iter()
            .map(|b| b.source_id.as_str())
            .collect();
        for (line, row) in &rows {
            if !known.contains(row.building.as_str()) {
                return Err(ServiceError::BadInput(format!(
                    "{file}: line {line}: building {:?} is not in village {code}",
                    row.building
                )));
            }
            if row.grid.village() != code {
                return Err(ServiceError::BadInput(format!(
                    "{file}: line {line}: grid {} is not a grid of village {code}",
                    row.grid
                )));
            }
        }
        let operation = GridOperation::Assign {
            village: code.clone(),
            rows: rows.into_iter().map(|(_, row)| row).collect(),
        };
        let edited = edit_village(&part, &operation, &data.params)?;
        let describe = format!("import plan {file} ({})", operation.describe());
        self.commit_village(caller, &data, part, edited, describe)
            .await
    }

    /// Village `code`'s plan as CSV: a row per building in a grid, or per flat range of
    /// a split high-rise (what [`Service::import_plan`] reads back).
    pub fn plan_csv(&self, caller: &Caller, code: &str) -> ServiceResult<Vec<u8>> {
        let code = parse_village(code)?;
        caller.may_plan_village(&code)?;
        let data = self.data();
        let part = village_of_snapshot(data.snapshot(), &data.barriers, &data.barrier_index, &code)
            .ok_or_else(|| ServiceError::NotFound(format!("no village {code}")))?;
        let rows: Vec<Assignment> = part
            .grids
            .iter()
            .flat_map(|g| {
                g.members.iter().map(|m| Assignment {
                    building: m.building.clone(),
                    flats: m.flats,
                    grid: g.code.clone(),
                })
            })
            .collect();
        Ok(write_plan_csv(&rows))
    }
}
