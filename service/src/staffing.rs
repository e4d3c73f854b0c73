//! Staffing the grids: proposing who serves which grid from homes and even loads
//! (`gridmap staff assign`, see [`gridmap_core::staffing`]), writing a proposal as one
//! change the change log can undo, and the report of grids without staff and staff
//! over their load (`gridmap staff report`).

use crate::county::Scope;
use crate::staffload::{overloaded_staff, StaffOverload};
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::staffing::{propose_staff, StaffProposal};
use gridmap_core::{Grid, GridCode, Staff, StaffRole};
use gridmap_store::{GridWrite, StaffGrids, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A proposal for the grids of a scope.
#[derive(Debug, Clone)]
pub struct StaffPlan {
    /// One per grid of the scope, in code order.
    pub proposals: Vec<StaffProposal>,
    /// Staff names by id, for printing.
    pub names: BTreeMap<String, String>,
}

impl StaffPlan {
    /// The proposals that change who serves a grid.
    pub fn changes(&self) -> impl Iterator<Item = &StaffProposal> {
        self.proposals.iter().filter(|p| p.changes())
    }
}

/// Proposes a staff member for every grid of the villages in `scope` (both levels).
/// Planners and administrators of those villages (and the operator) may ask.
pub async fn propose(
    store: &dyn Store,
    caller: &Caller,
    scope: &Scope,
) -> ServiceResult<StaffPlan> {
    let grids: Vec<Grid> = store
        .grids()
        .await?
        .into_iter()
        .filter(|g| scope.covers(&g.village))
        .collect();
    for village in grids.iter().map(|g| &g.village).collect::<BTreeSet<_>>() {
        caller.may_plan_village(village)?;
    }
    let staff = store.staff().await?;
    Ok(StaffPlan {
        proposals: propose_staff(&grids, &staff),
        names: staff.into_iter().map(|s| (s.id, s.name)).collect(),
    })
}

/// Writes the changing proposals of `plan`: each grid's staff member and the grid lists
/// of everyone gaining or losing a grid, in one change (`gridmap undo` reverts it). A
/// grid changed since the proposal is a conflict and nothing is written. Returns the
/// change id, or `None` when nothing changes.
pub async fn apply(
    store: &dyn Store,
    caller: &Caller,
    plan: &StaffPlan,
) -> ServiceResult<Option<i64>> {
    let changing: BTreeMap<&GridCode, &StaffProposal> =
        plan.changes().map(|p| (&p.grid, p)).collect();
    if changing.is_empty() {
        return Ok(None);
    }
    let grids: BTreeMap<GridCode, Grid> = store
        .grids()
        .await?
        .into_iter()
        .filter(|g| changing.contains_key(&g.code))
        .map(|g| (g.code.clone(), g))
        .collect();
    let mut staff: BTreeMap<String, Staff> = store
        .staff()
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut write = GridWrite::default();
    let mut touched = BTreeSet::new();
    for (code, proposal) in &changing {
        let grid = grids.get(*code).ok_or_else(|| {
            ServiceError::Conflict(format!("grid {code} no longer exists: propose again"))
        })?;
        caller.may_edit_village(&grid.village)?;
        let held_by = staff
            .values()
            .find(|s| s.grids.contains(code))
            .map(|s| s.id.clone());
        if held_by != proposal.current {
            return Err(ServiceError::Conflict(format!(
                "grid {code} is served by {} now, not {} as proposed: propose again",
                held_by.as_deref().unwrap_or("nobody"),
                proposal.current.as_deref().unwrap_or("nobody")
            )));
        }
        let to = proposal.proposed.as_deref().unwrap_or_default();
        if let Some(s) = held_by.as_ref().and_then(|id| staff.get_mut(id)) {
            s.grids.retain(|g| g != *code);
            touched.insert(s.id.clone());
        }
        let s = staff.get_mut(to).ok_or_else(|| {
            ServiceError::Conflict(format!("staff member {to} is no longer on the roster"))
        })?;
        s.grids.push((*code).clone());
        s.grids.sort();
        touched.insert(s.id.clone());
        write
            .expect_versions
            .push((grid.code.clone(), grid.version));
        write.upsert.push(Grid {
            staff: Some(to.to_owned()),
            version: grid.version + 1,
            ..grid.clone()
        });
    }
    write.staff_grids = touched
        .iter()
        .filter_map(|id| staff.get(id))
        .map(|s| StaffGrids {
            staff: s.id.clone(),
            grids: s.grids.clone(),
        })
        .collect();
    let meta = crate::access::audited_change(
        caller,
        "staff",
        format!("assign staff to {} grids", changing.len()),
    );
    Ok(Some(store.write_grids(&write, &meta).await?))
}

/// The most households one staff member should serve, per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LoadLimits {
    /// A grid worker, over their micro-grids (the stored `max_staff_households`).
    pub worker: u32,
    /// A grid leader, over their comprehensive grids (by default the comprehensive
    /// maximum: one full comprehensive grid).
    pub leader: u32,
}

/// A grid nobody serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnstaffedGrid {
    pub code: String,
    pub comprehensive: bool,
    pub households: u32,
}

/// A staff member who serves no grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdleStaff {
    pub id: String,
    pub name: String,
    pub role: String,
}

/// What `gridmap staff report` lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaffReport {
    pub limits: LoadLimits,
    /// Micro-grids (one-level grids) without a worker, comprehensive grids without a
    /// leader.
    pub unstaffed: Vec<UnstaffedGrid>,
    /// Workers over `limits.worker` households, then leaders over `limits.leader`.
    pub overloaded: Vec<StaffOverload>,
    /// Grid workers without a grid, and where there are comprehensive grids, village
    /// and grid leaders (levels 3–4) without one.
    pub idle: Vec<IdleStaff>,
}

impl StaffReport {
    /// Whether the report found anything to act on.
    pub fn is_clean(&self) -> bool {
        self.unstaffed.is_empty() && self.overloaded.is_empty()
    }
}

/// Grids without staff and staff over `limits` (`None`: the stored worker limit and
/// the comprehensive maximum), county-wide. Names staff, so it is for office callers.
pub async fn report(
    store: &dyn Store,
    caller: &Caller,
    worker_limit: Option<u32>,
    leader_limit: Option<u32>,
) -> ServiceResult<StaffReport> {
    caller.must_be_office("the staff report")?;
    let params = crate::partition::stored_params(store).await?;
    let limits = LoadLimits {
        worker: worker_limit.unwrap_or(params.max_staff_households),
        leader: leader_limit.unwrap_or_else(|| params.comprehensive.map_or(params.max, |c| c.max)),
    };
    let grids = store.grids().await?;
    let roster = store.staff().await?;
    let (top, micro): (Vec<Grid>, Vec<Grid>) = grids.into_iter().partition(Grid::is_comprehensive);
    let mut unstaffed: Vec<UnstaffedGrid> = top
        .iter()
        .chain(&micro)
        .filter(|g| g.staff.is_none())
        .map(|g| UnstaffedGrid {
            code: g.code.to_string(),
            comprehensive: g.is_comprehensive(),
            households: g.households,
        })
        .collect();
    unstaffed.sort_by(|a, b| a.code.cmp(&b.code));
    let mut overloaded = overloaded_staff(&micro, &roster, limits.worker);
    overloaded.extend(overloaded_staff(&top, &roster, limits.leader));
    let idle = roster
        .iter()
        .filter(|s| s.grids.is_empty())
        .filter(|s| match s.role {
            StaffRole::GridStaff => true,
            // Leaders lead grids only where there are comprehensive grids.
            StaffRole::GridLeader(level) => level >= 3 && !top.is_empty(),
        })
        .map(|s| IdleStaff {
            id: s.id.clone(),
            name: s.name.clone(),
            role: s.role.as_string(),
        })
        .collect();
    Ok(StaffReport {
        limits,
        unstaffed,
        overloaded,
        idle,
    })
}
