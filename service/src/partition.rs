//! Partition runs and validation: tie buildings to villages, cut villages into grids,
//! give grids their staff, and store it all as one change; check stored grids.
//!
//! The partition parameters live in the store: a run with new sizes stores them, a run
//! without uses the stored ones, and the server flags grids by the same numbers.

use crate::county::{County, Scope};
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::assign::{assign_staff, village_of_buildings};
use gridmap_core::partition::{
    partition_all_levels, validate_grids, validate_memberships, validate_nesting, LevelSizes,
    PartitionParams, QualityReport, Violation,
};
use gridmap_core::{AdminUnit, Building, DivisionCode, Grid};
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
    /// `Some(Some(sizes))` cuts villages into comprehensive grids of these sizes, each
    /// cut into micro-grids of `min..=max`; `Some(None)` goes back to one level.
    pub comprehensive: Option<Option<LevelSizes>>,
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
            comprehensive: self.comprehensive.unwrap_or(base.comprehensive),
            ..base.clone()
        };
        if let Some(c) = p.comprehensive {
            if c.min == 0 || c.min > c.max || c.target < c.min || c.target > c.max {
                return Err(ServiceError::BadInput(format!(
                    "comprehensive grids of {}–{} households (target {}): need 1 ≤ min ≤ target ≤ max",
                    c.min, c.max, c.target
                )));
            }
            if p.max > c.min {
                return Err(ServiceError::BadInput(format!(
                    "micro-grids of up to {} households do not nest in comprehensive grids of {}–{}: the micro-grid maximum must not exceed the comprehensive minimum",
                    p.max, c.min, c.max
                )));
            }
        }
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

/// Grid levels as `gridmap partition --levels` takes them:
/// `comprehensive:300-500,micro:30-50` (two levels) or `micro:30-50` (one level). Each
/// level is `NAME:MIN-MAX`, optionally `@TARGET` (else the midpoint); the Chinese names
/// 综治 and 微 work too.
///
/// ```
/// use gridmap_service::partition::LevelsSpec;
/// let two: LevelsSpec = "comprehensive:300-500,micro:30-50@35".parse().unwrap();
/// assert_eq!((two.micro.min, two.micro.max, two.micro.target), (30, 50, 35));
/// assert_eq!(two.comprehensive.map(|c| c.target), Some(400));
/// let one: LevelsSpec = "micro:20-40".parse().unwrap();
/// assert!(one.comprehensive.is_none());
/// assert!("comprehensive:300-500".parse::<LevelsSpec>().is_err());
/// assert!("micro:50-30".parse::<LevelsSpec>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelsSpec {
    pub comprehensive: Option<LevelSizes>,
    pub micro: LevelSizes,
}

impl std::str::FromStr for LevelsSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let usage = "give levels as comprehensive:300-500,micro:30-50 (or micro:30-50 for one level; @TARGET after a range sets its target)";
        let mut comprehensive = None;
        let mut micro = None;
        for part in s.split(',').map(str::trim) {
            let (name, range) = part
                .split_once(':')
                .ok_or_else(|| format!("level {part:?} has no sizes: {usage}"))?;
            let (range, target) = match range.split_once('@') {
                Some((r, t)) => (r, Some(t)),
                None => (range, None),
            };
            let number = |t: &str| {
                t.trim().parse::<u32>().map_err(|_| {
                    format!("level {part:?}: {t:?} is not a number of households: {usage}")
                })
            };
            let (min, max) = range
                .split_once('-')
                .ok_or_else(|| format!("level {part:?} needs MIN-MAX: {usage}"))?;
            let mut sizes = LevelSizes::new(number(min)?, number(max)?);
            if let Some(t) = target {
                sizes.target = number(t)?;
            }
            if sizes.min == 0 || sizes.min > sizes.target || sizes.target > sizes.max {
                return Err(format!(
                    "level {part:?}: need 1 ≤ min ≤ target ≤ max (target {})",
                    sizes.target
                ));
            }
            let slot = match name.trim() {
                "comprehensive" | "综治" | "综治网格" => &mut comprehensive,
                "micro" | "微" | "微网格" => &mut micro,
                other => {
                    return Err(format!(
                        "unknown grid level {other:?} (comprehensive, micro): {usage}"
                    ))
                }
            };
            if slot.replace(sizes).is_some() {
                return Err(format!("level {name:?} is given twice: {usage}"));
            }
        }
        let micro = micro.ok_or_else(|| format!("no micro level in {s:?}: {usage}"))?;
        Ok(LevelsSpec {
            comprehensive,
            micro,
        })
    }
}

/// The stored partition parameters, or the defaults before the first run.
pub async fn stored_params(store: &dyn Store) -> ServiceResult<PartitionParams> {
    Ok(store.partition_params().await?.unwrap_or_default())
}

/// What a partition run did.
#[derive(Debug)]
pub struct PartitionOutcome {
    /// The grids that hold households: the only level, or the micro-grids.
    pub report: QualityReport,
    /// The comprehensive grids, when villages are cut at two levels.
    pub comprehensive_report: Option<QualityReport>,
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
    let nested = params.comprehensive.is_some();
    let previous: Vec<Vec<Grid>> = parts
        .iter()
        .map(|p| {
            p.grids
                .iter()
                .filter(|g| !fresh || g.locked)
                // A one-level run starts from one-level grids only.
                .filter(|g| nested || (!g.is_comprehensive() && g.parent.is_none()))
                .cloned()
                .collect()
        })
        .collect();
    if !nested {
        let locked = parts
            .iter()
            .flat_map(|p| &p.grids)
            .find(|g| g.locked && (g.is_comprehensive() || g.parent.is_some()));
        if let Some(g) = locked {
            return Err(ServiceError::BadInput(format!(
                "grid {} is a locked nested grid: unlock it, or keep two levels (--levels comprehensive:MIN-MAX,micro:MIN-MAX)",
                g.code
            )));
        }
    }
    let inputs: Vec<_> = parts
        .iter()
        .zip(&previous)
        .map(|(p, prev)| p.input(prev))
        .collect();
    let results = partition_all_levels(&inputs, &params);

    let mut failures = Vec::new();
    let mut flags = Vec::new();
    let mut new_grids: Vec<Grid> = Vec::new();
    let mut done: Vec<DivisionCode> = Vec::new();
    for (p, r) in parts.iter().zip(&results) {
        let code = &p.village.code;
        match r {
            Ok(v) => {
                new_grids.extend(v.grids().cloned());
                flags.extend(v.flags().map(|f| format!("{code}: {f}")));
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
    let wall = started.elapsed();
    let ok = || results.iter().map(|r| r.as_ref().ok());
    Ok(PartitionOutcome {
        report: QualityReport::from_villages(ok().map(|r| r.map(|v| &v.micro)), wall),
        comprehensive_report: nested.then(|| {
            QualityReport::from_villages(
                ok().map(|r| r.and_then(|v| v.comprehensive.as_ref())),
                wall,
            )
        }),
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
    // A staff member's load is the households of the micro-grids they serve.
    let micro: Vec<Grid> = county
        .grids
        .iter()
        .filter(|g| !g.is_comprehensive())
        .cloned()
        .collect();
    let mut out = Validation {
        grids: county.grids.len(),
        violations: Vec::new(),
        unpartitioned: Vec::new(),
        staff_overloaded: crate::staffload::overloaded_staff(
            &micro,
            &store.staff().await?,
            params.max_staff_households,
        ),
    };
    for p in county.villages(&Scope::All) {
        if p.grids.is_empty() && !p.buildings.is_empty() {
            out.unpartitioned.push(p.village.code.clone());
        }
        let found = village_violations(p.village, &p.buildings, &p.grids, &params, true);
        out.violations.extend(found.into_iter().map(|(v, _)| v));
    }
    Ok(out)
}

/// The rules one village's `grids` break, each level on its own: micro-grids (or the
/// grids of a one-level village) against `params`, comprehensive grids against its
/// upper sizes, and then how the micro-grids nest in them. Each violation comes with the
/// sizes of its level (for its message). `geometry`: also the rules about polygons
/// (gaps, overlaps, pieces) and the nesting; without it only each level's memberships
/// and sizes, which need no polygon (nested edits redraw both levels nested).
pub(crate) fn village_violations(
    village: &AdminUnit,
    buildings: &[&Building],
    grids: &[Grid],
    params: &PartitionParams,
    geometry: bool,
) -> Vec<(Violation, PartitionParams)> {
    let check = |grids: &[Grid], sizes: &PartitionParams| {
        if geometry {
            validate_grids(village, buildings, grids, sizes)
        } else {
            validate_memberships(village, buildings, grids, sizes)
        }
    };
    if !grids.iter().any(Grid::is_comprehensive) {
        return check(grids, params)
            .into_iter()
            .map(|v| (v, params.clone()))
            .collect();
    }
    let (top, micro): (Vec<Grid>, Vec<Grid>) =
        grids.iter().cloned().partition(Grid::is_comprehensive);
    let upper = params
        .comprehensive_params()
        .unwrap_or_else(|| params.clone());
    let mut out: Vec<(Violation, PartitionParams)> = check(&micro, params)
        .into_iter()
        .map(|v| (v, params.clone()))
        .collect();
    out.extend(check(&top, &upper).into_iter().map(|v| (v, upper.clone())));
    if geometry {
        let nesting = validate_nesting(village, &top, &micro);
        out.extend(nesting.into_iter().map(|v| (v, params.clone())));
    }
    out
}
