//! Partition runs and validation: tie buildings to villages, cut villages into grids,
//! give grids their staff, and store it all as one change; check stored grids.
//!
//! The partition parameters live in the store: a run with new sizes stores them, a run
//! without uses the stored ones, and the server flags grids by the same numbers.

use crate::county::{County, Scope};
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::assign::{assign_staff, village_of_buildings};
use gridmap_core::partition::{
    partition_all, validate_grids, PartitionParams, QualityReport, Violation,
};
use gridmap_core::{DivisionCode, Grid};
use gridmap_store::{ChangeMeta, GridWrite, StaffGrids, Store};
use std::time::Instant;

/// Sizes a caller asks for; `None` keeps the stored (or default) value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeRequest {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub target: Option<u32>,
    pub institution_grids: Option<bool>,
    /// Most households one staff member should serve (a soft rule the planner flags).
    pub max_staff_households: Option<u32>,
}

impl SizeRequest {
    /// `base` with the requested sizes, checked: `1 <= min <= target <= max`.
    pub fn apply(&self, base: &PartitionParams) -> ServiceResult<PartitionParams> {
        let p = PartitionParams {
            min: self.min.unwrap_or(base.min),
            max: self.max.unwrap_or(base.max),
            target: self.target.unwrap_or(base.target),
            institution_grids: self.institution_grids.unwrap_or(base.institution_grids),
            max_staff_households: self
                .max_staff_households
                .unwrap_or(base.max_staff_households),
            ..base.clone()
        };
        if p.max_staff_households == 0 {
            return Err(ServiceError::BadInput(
                "--max-staff-households must be at least 1".into(),
            ));
        }
        if p.min == 0 || p.min > p.max {
            return Err(ServiceError::BadInput(format!(
                "--min {} must be at least 1 and not above --max {}",
                p.min, p.max
            )));
        }
        if p.target < p.min || p.target > p.max {
            return Err(ServiceError::BadInput(format!(
                "--target {} must lie between --min {} and --max {}",
                p.target, p.min, p.max
            )));
        }
        Ok(p)
    }
}

/// The stored partition parameters, or the defaults before the first run.
pub async fn stored_params(store: &dyn Store) -> ServiceResult<PartitionParams> {
    Ok(store.partition_params().await?.unwrap_or_default())
}

/// What a partition run did.
#[derive(Debug)]
pub struct PartitionOutcome {
    pub report: QualityReport,
    pub params: PartitionParams,
    pub failures: Vec<(DivisionCode, String)>,
    pub flags: Vec<String>,
    pub villages: usize,
    /// Buildings that lie in no village (and so in no grid).
    pub outside_villages: usize,
    /// The change-log entry of the run.
    pub change: i64,
}

/// Partitions the villages in `scope` with the stored sizes changed by `sizes` (and
/// stores them), starting from their previous grids unless `fresh` (locked grids are
/// always kept), assigns staff, and stores grids and staff lists as one change.
pub async fn partition(
    store: &dyn Store,
    caller: &Caller,
    scope: &Scope,
    sizes: &SizeRequest,
    fresh: bool,
) -> ServiceResult<PartitionOutcome> {
    // A run stores the sizes of every village and may reassign buildings anywhere.
    caller.must_own_store("a partition run")?;
    let started = Instant::now();
    let params = sizes.apply(&stored_params(store).await?)?;
    let mut county = County::load(store).await?;
    if !county
        .units
        .iter()
        .any(|u| u.level == gridmap_core::AdminLevel::Village && scope.covers(&u.code))
    {
        return Err(ServiceError::NotFound(format!(
            "no village matches {scope}: import village boundaries first (gridmap import villages|osm, or gridmap synth)"
        )));
    }
    let outside_villages = assign_villages(store, caller, &mut county).await?;

    let parts = county.villages(scope);
    let previous: Vec<Vec<Grid>> = parts
        .iter()
        .map(|p| {
            p.grids
                .iter()
                .filter(|g| !fresh || g.locked)
                .cloned()
                .collect()
        })
        .collect();
    let inputs: Vec<_> = parts
        .iter()
        .zip(&previous)
        .map(|(p, prev)| p.input(prev))
        .collect();
    let results = partition_all(&inputs, &params);

    let mut failures = Vec::new();
    let mut flags = Vec::new();
    let mut new_grids: Vec<Grid> = Vec::new();
    let mut done: Vec<DivisionCode> = Vec::new();
    for (p, r) in parts.iter().zip(&results) {
        let code = &p.village.code;
        match r {
            Ok(v) => {
                new_grids.extend(v.grids.iter().cloned());
                flags.extend(v.flags.iter().map(|f| format!("{code}: {f}")));
                done.push(code.clone());
            }
            Err(e) => failures.push((code.clone(), e.to_string())),
        }
    }

    // Staff keep surviving assignments; new grids are filled from each village's roster.
    let mut staff = store.staff().await?;
    let mut all_grids: Vec<Grid> = county
        .grids
        .iter()
        .filter(|g| !done.contains(&g.village))
        .cloned()
        .collect();
    let kept = all_grids.len();
    all_grids.extend(new_grids);
    let changed = assign_staff(&mut all_grids, &mut staff);
    let new_grids = all_grids.split_off(kept);
    let staff_grids = changed
        .into_iter()
        .filter_map(|i| staff.get(i))
        .map(|s| StaffGrids {
            staff: s.id.clone(),
            grids: s.grids.clone(),
        })
        .collect();

    // The sizes are stored with the grids they made, in one change: undo restores both.
    let write = GridWrite {
        replace_villages: done,
        upsert: new_grids,
        staff_grids,
        partition_params: Some(params.clone()),
        ..GridWrite::default()
    };
    let operation = format!("partition {scope}");
    let meta = crate::access::audited_change(caller, &scope.to_string(), operation);
    let change = store.write_grids(&write, &meta).await?;
    Ok(PartitionOutcome {
        report: QualityReport::from_partitions(&results, started.elapsed()),
        params,
        failures,
        flags,
        villages: parts.len(),
        outside_villages,
        change,
    })
}

/// Ties every building to the village its representative point lies in (in memory and,
/// where it changed, in the store); returns how many lie in no village.
async fn assign_villages(
    store: &dyn Store,
    caller: &Caller,
    county: &mut County,
) -> ServiceResult<usize> {
    let found = village_of_buildings(&county.units, &county.buildings);
    let outside = found.iter().filter(|v| v.is_none()).count();
    let mut changes: Vec<(String, Option<DivisionCode>)> = Vec::new();
    for (b, v) in county.buildings.iter_mut().zip(found) {
        if b.village != v {
            changes.push((b.source_id.clone(), v.clone()));
            b.village = v;
        }
    }
    let meta = ChangeMeta::new(caller.actor(), "assign buildings to villages");
    store.set_building_villages(&changes, &meta).await?;
    Ok(outside)
}

/// What validation found.
#[derive(Debug)]
pub struct Validation {
    pub grids: usize,
    pub violations: Vec<Violation>,
    /// Villages with buildings but no grids (never partitioned).
    pub unpartitioned: Vec<DivisionCode>,
    /// Staff members serving more households than the stored limit (a soft rule).
    pub staff_overloaded: Vec<crate::staffload::StaffOverload>,
}

/// Checks every stored grid against the stored sizes and its village, and every staff
/// member's households against the stored limit.
pub async fn validate(store: &dyn Store, _caller: &Caller) -> ServiceResult<Validation> {
    let params = stored_params(store).await?;
    let county = County::load(store).await?;
    let mut out = Validation {
        grids: county.grids.len(),
        violations: Vec::new(),
        unpartitioned: Vec::new(),
        staff_overloaded: crate::staffload::overloaded_staff(
            &county.grids,
            &store.staff().await?,
            params.max_staff_households,
        ),
    };
    for p in county.villages(&Scope::All) {
        if p.grids.is_empty() && !p.buildings.is_empty() {
            out.unpartitioned.push(p.village.code.clone());
        }
        out.violations
            .extend(validate_grids(p.village, &p.buildings, &p.grids, &params));
    }
    Ok(out)
}
