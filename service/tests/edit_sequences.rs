//! Property: any sequence of planner edits keeps the village tiled — no overlaps, no
//! gaps, every household in exactly one grid — and undoing the edits, newest first,
//! gives back the original plan exactly (versions aside, which only go up), in the store
//! and in what the server shows.

use gridmap_core::edit::Assignment;
use gridmap_core::{DivisionCode, Grid};
use gridmap_service::edit::GridOperation;
use gridmap_service::plan::{EditRequest, VillagePlan};
use gridmap_service::{AccessPolicy, Caller, Service, ServiceError};
use gridmap_store::{MemoryStore, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use proptest::prelude::*;
use std::sync::Arc;

/// Rules an edit may never break when the plan did not break them before.
const TILING: [&str; 4] = [
    "overlap",
    "gap",
    "households_unassigned",
    "households_in_several_grids",
];

/// One random step: which operation, and numbers that pick its grids and buildings.
type Step = (u8, u32, u32, u32);

async fn county() -> Service {
    let store: SharedStore = Arc::new(MemoryStore::new());
    gridmap_service::import::import_partitioned_synthetic(
        store.as_ref(),
        synth_county(&SynthParams::new(1_200, 7)),
    )
    .await
    .unwrap();
    Service::start(store, AccessPolicy::default(), 1 << 20)
        .await
        .unwrap()
}

/// The village with the most grids, and its grids as the server shows them.
fn busiest_village(service: &Service) -> DivisionCode {
    let data = service.data();
    let mut counts = std::collections::BTreeMap::<&DivisionCode, usize>::new();
    for g in &data.snapshot().grids {
        *counts.entry(&g.village).or_default() += 1;
    }
    let (village, _) = counts
        .into_iter()
        .max_by_key(|(v, n)| (*n, (*v).clone()))
        .unwrap();
    village.clone()
}

/// `village`'s grids, by code, without versions.
fn normalised(grids: impl IntoIterator<Item = Grid>, village: &DivisionCode) -> Vec<Grid> {
    let mut out: Vec<Grid> = grids
        .into_iter()
        .filter(|g| &g.village == village)
        .map(|g| Grid { version: 0, ..g })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

fn shown(service: &Service, village: &DivisionCode) -> Vec<Grid> {
    let data = service.data();
    normalised(
        data.snapshot().grids.iter().map(|g| Grid::clone(g)),
        village,
    )
}

/// The operation `step` stands for in `plan`, or `None` when it picks nothing.
fn operation(step: Step, village: &DivisionCode, grids: &[Grid]) -> Option<GridOperation> {
    let (kind, a, b, k) = step;
    let pick = |n: u32| grids.get(n as usize % grids.len().max(1));
    let (ga, gb) = (pick(a)?, pick(b)?);
    let whole: Vec<String> = ga
        .members
        .iter()
        .filter(|m| m.flats.is_none())
        .map(|m| m.building.clone())
        .collect();
    let some = |n: u32| -> Vec<String> {
        whole
            .iter()
            .cycle()
            .skip(b as usize % whole.len().max(1))
            .take((n as usize).min(whole.len()))
            .cloned()
            .collect()
    };
    Some(match kind % 6 {
        0 => GridOperation::MoveBuildings {
            buildings: some(k),
            to: gb.code.clone(),
        },
        1 if k % 2 == 0 => GridOperation::Split {
            grid: ga.code.clone(),
            line: None,
        },
        // A line through the middle of the grid's box, turned by `b % 180` degrees.
        1 => {
            let r = geo::BoundingRect::bounding_rect(&ga.polygon)?;
            let (c, turn) = (r.center(), f64::from(b % 180).to_radians());
            let reach = r.width().max(r.height());
            let (dx, dy) = (turn.cos() * reach, turn.sin() * reach);
            GridOperation::Split {
                grid: ga.code.clone(),
                line: Some(vec![[c.x - dx, c.y - dy], [c.x + dx, c.y + dy]]),
            }
        }
        2 => GridOperation::Merge {
            kept: ga.code.clone(),
            absorbed: gb.code.clone(),
        },
        3 => GridOperation::NewGrid {
            village: village.clone(),
            buildings: some(k),
        },
        4 => GridOperation::DeleteEmpty {
            grid: grids.iter().find(|g| g.households == 0)?.code.clone(),
        },
        _ => GridOperation::Assign {
            village: village.clone(),
            rows: some(1)
                .into_iter()
                .map(|building| Assignment {
                    building,
                    flats: None,
                    grid: gb.code.clone(),
                })
                .collect(),
        },
    })
}

fn tiling_issues(plan: &VillagePlan) -> Vec<String> {
    plan.issues
        .iter()
        .filter(|i| TILING.contains(&i.kind.as_str()) || i.hard)
        .map(|i| i.message.clone())
        .collect()
}

/// Applies `steps`, checks the tiling after each, undoes them all and checks the plan is
/// back; returns how many edits went through.
async fn edit_then_undo_all(steps: Vec<Step>) -> usize {
    let service = county().await;
    let village = busiest_village(&service);
    let staff = office();
    let original = normalised(service.store().grids().await.unwrap(), &village);
    let first = service.village_plan(&staff, village.as_str()).unwrap();
    let broken_before = tiling_issues(&first);
    let mut changes = Vec::new();
    for step in steps {
        let grids = shown(&service, &village);
        let Some(op) = operation(step, &village, &grids) else {
            continue;
        };
        let request = EditRequest {
            operation: op.clone(),
            versions: Default::default(),
        };
        match service
            .edit_village(&staff, village.as_str(), &request)
            .await
        {
            Ok(outcome) => {
                changes.push(outcome.change);
                if broken_before.is_empty() {
                    assert_eq!(
                        tiling_issues(&outcome.plan),
                        Vec::<String>::new(),
                        "after {op:?}"
                    );
                }
            }
            // Refusals (an empty selection, a split of one building, …) change nothing.
            Err(
                ServiceError::BadInput(_) | ServiceError::NotFound(_) | ServiceError::Conflict(_),
            ) => {
                assert_eq!(
                    shown(&service, &village),
                    grids,
                    "a refused {op:?} changed the plan"
                );
            }
            Err(e) => panic!("{op:?}: {e}"),
        }
    }
    for change in changes.iter().rev() {
        service.undo(&staff, *change).await.unwrap();
    }
    let stored = normalised(service.store().grids().await.unwrap(), &village);
    assert_eq!(
        stored, original,
        "undoing every edit restores the stored plan"
    );
    assert_eq!(
        shown(&service, &village),
        original,
        "and the plan the server shows"
    );
    changes.len()
}

#[tokio::test]
async fn a_known_sequence_goes_through_and_undoes_back() {
    // Move 3 buildings, split, move 2 back, assign one: each picks existing grids.
    let steps = vec![(0, 0, 1, 3), (1, 2, 0, 1), (0, 1, 0, 2), (5, 3, 0, 1)];
    assert!(
        edit_then_undo_all(steps).await >= 3,
        "the edits went through"
    );
}

proptest! {
    // Each case builds and partitions a county (about a second in a debug build).
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn random_edit_sequences_keep_the_village_tiled_and_undo_back_to_the_original(
        steps in prop::collection::vec((0u8..6, any::<u32>(), any::<u32>(), 1u32..5), 1..7)
    ) {
        tokio::runtime::Runtime::new().unwrap().block_on(edit_then_undo_all(steps));
    }
}

/// A planner of everything: sees the register, edits grids, works incidents.
fn office() -> Caller {
    Caller::account(
        "planner",
        gridmap_core::Role::Planner,
        gridmap_core::AccessScope::All,
    )
}
