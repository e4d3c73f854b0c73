//! Cameras (雪亮工程): importing the list, reading it, and camera coverage per grid
//! with the report of grids no working camera sees (`gridmap cameras report`).
//!
//! Coverage is worked out by [`gridmap_core::coverage`]: a building is seen when its
//! centre lies in an online camera's sector, and the area seen is the grid's polygon
//! inside the union of sectors. Obstacles are ignored, so coverage is an upper bound;
//! the report says so.

use crate::access::audited_change;
use crate::county::Scope;
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::coverage::{CameraIndex, GridCoverage};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Building, Camera, DivisionCode, Grid};
use gridmap_store::{CameraWrite, CameraWriteSummary, Store, CAMERA_OPERATION};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// What the report says about obstacles, wherever coverage is shown.
pub const OBSTACLES_IGNORED: &str =
    "obstacles are ignored: a camera counts as seeing everything in its sector";

/// Stores `cameras` (inserted, or replacing the stored ones with the same id; with
/// `replace_all` every other stored camera goes too) as one change named after
/// `source`, which `gridmap undo` takes back. For the operator and administrators of
/// the whole store, like every import.
pub async fn import_cameras(
    store: &dyn Store,
    caller: &Caller,
    cameras: Vec<Camera>,
    replace_all: bool,
    source: &str,
) -> ServiceResult<CameraWriteSummary> {
    caller.must_own_store("importing cameras")?;
    let how = if replace_all { "replace" } else { "add" };
    let meta = audited_change(
        caller,
        &format!("cameras from {source}"),
        format!("{CAMERA_OPERATION} ({how}) {source}"),
    );
    let write = CameraWrite {
        upsert: cameras,
        replace_all,
        ..CameraWrite::default()
    };
    Ok(store.write_cameras(&write, &meta).await?)
}

/// Every camera, for signed-in callers (camera positions are not personal data, but
/// a public map of where the cameras look is not wanted either).
pub async fn cameras(store: &dyn Store, caller: &Caller) -> ServiceResult<Vec<Camera>> {
    must_sign_in(caller, "the camera list")?;
    Ok(store.cameras().await?)
}

/// One grid's line of the report.
#[derive(Debug, Clone, Serialize)]
pub struct GridCoverageRow {
    pub village: DivisionCode,
    /// 1 for micro-grids (or the one level), 2 for comprehensive grids.
    pub level: u8,
    pub households: u32,
    #[serde(flatten)]
    pub coverage: GridCoverage,
}

/// Camera coverage of the grids of a scope.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageReport {
    /// Every grid of the scope the caller may look at, in code order.
    pub grids: Vec<GridCoverageRow>,
    /// Grids no online camera sees any part of.
    pub uncovered: usize,
    /// Cameras in the store, and of those the ones offline or faulty.
    pub cameras: usize,
    pub cameras_down: usize,
    pub note: &'static str,
}

impl CoverageReport {
    /// The grids no online camera sees.
    pub fn uncovered_grids(&self) -> impl Iterator<Item = &GridCoverageRow> {
        self.grids.iter().filter(|r| r.coverage.is_uncovered())
    }
}

impl CoverageReport {
    /// The report on `grids` (those of the scope the caller may look at) with member
    /// buildings found by `building`.
    pub fn new<'b>(
        mut grids: Vec<&Grid>,
        building: impl Fn(&str) -> Option<&'b Building> + Sync,
        cameras: &[Camera],
    ) -> CoverageReport {
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        let index = CameraIndex::new(cameras);
        let rows: Vec<GridCoverageRow> = grids
            .par_iter()
            .map(|g| GridCoverageRow {
                village: g.village.clone(),
                level: g.level,
                households: g.households,
                coverage: index.grid_coverage(g, &building),
            })
            .collect();
        CoverageReport {
            uncovered: rows.iter().filter(|r| r.coverage.is_uncovered()).count(),
            grids: rows,
            cameras: cameras.len(),
            cameras_down: cameras.iter().filter(|c| !c.is_online()).count(),
            note: OBSTACLES_IGNORED,
        }
    }
}

/// Refuses public callers: coverage tells where no camera looks.
pub(crate) fn must_sign_in(caller: &Caller, what: &str) -> ServiceResult<()> {
    if caller.is_signed_in() {
        Ok(())
    } else {
        Err(ServiceError::Unauthorized(format!(
            "{what} needs you to sign in"
        )))
    }
}

/// Whether `caller` gets grid `g` of `scope` in a report.
fn reported(caller: &Caller, scope: &Scope, g: &Grid) -> bool {
    scope.covers(&g.village) && caller.may_look_at(Some(&g.village), Some(&g.code)).is_ok()
}

/// The coverage report for the grids of `scope` the caller may look at (signed-in
/// callers only; a scoped account gets the grids of its scope), read from the store.
pub async fn coverage_report(
    store: &dyn Store,
    caller: &Caller,
    scope: &Scope,
) -> ServiceResult<CoverageReport> {
    must_sign_in(caller, "the camera coverage report")?;
    let grids = store.grids().await?;
    let buildings = store.buildings().await?;
    let by_id: HashMap<&str, &Building> = buildings
        .iter()
        .map(|b| (b.source_id.as_str(), b))
        .collect();
    let cameras = store.cameras().await?;
    let grids = grids
        .iter()
        .filter(|g| reported(caller, scope, g))
        .collect();
    Ok(CoverageReport::new(
        grids,
        |id| by_id.get(id).copied(),
        &cameras,
    ))
}

/// [`coverage_report`] over the grids and buildings a server holds in `snapshot`; with
/// `grid`, that one grid only (a grid outside the caller's scope is Forbidden, an
/// unknown one NotFound).
pub async fn coverage_in(
    store: &dyn Store,
    snapshot: &CountySnapshot,
    caller: &Caller,
    scope: &Scope,
    grid: Option<&gridmap_core::GridCode>,
) -> ServiceResult<CoverageReport> {
    must_sign_in(caller, "the camera coverage report")?;
    if let Some(code) = grid {
        let g = snapshot
            .grid(code)
            .ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?;
        caller.may_look_at(Some(&g.village), Some(&g.code))?;
    }
    let cameras = store.cameras().await?;
    let grids = snapshot
        .grids
        .iter()
        .map(AsRef::as_ref)
        .filter(|g| grid.is_none_or(|code| &g.code == code))
        .filter(|g| reported(caller, scope, g))
        .collect();
    Ok(CoverageReport::new(
        grids,
        |id| snapshot.building(id),
        &cameras,
    ))
}
