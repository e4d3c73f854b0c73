//! The use cases against every store: each scenario runs on the in-memory store, on
//! SQLite and on PostGIS (a scratch database), on a small synthetic county.

use gridmap_core::geometry::representative_point;
use gridmap_service::partition::{partition, stored_params, SizeRequest};
use gridmap_service::{edit, AccessPolicy, Caller, GridEditRequest, Scope, Service, ServiceError};
use gridmap_store::scratch::ScratchDatabase;
use gridmap_store::{MemoryStore, OpenMode, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use std::sync::Arc;

/// What keeps a store alive: its directory, or its scratch database.
type Keep = Option<Box<dyn std::any::Any + Send>>;

/// A store of each kind, filled with the same synthetic county, with what keeps it alive.
async fn stores() -> Vec<(&'static str, SharedStore, Keep)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = gridmap_store::open(dir.path().join("t.db").to_str().unwrap(), OpenMode::Create)
        .await
        .unwrap();
    let scratch = ScratchDatabase::create()
        .await
        .expect("PostgreSQL for the tests");
    let postgis = gridmap_store::open(&scratch.url, OpenMode::Create)
        .await
        .unwrap();
    let memory: SharedStore = Arc::new(MemoryStore::new());
    let mut out: Vec<(&'static str, SharedStore, Keep)> = vec![
        ("memory", memory, None),
        ("sqlite", sqlite, Some(Box::new(dir))),
        ("postgis", postgis, Some(Box::new(scratch))),
    ];
    for (_, store, _) in &mut out {
        let county = synth_county(&SynthParams::new(1_500, 3));
        let batch = gridmap_service::import::synthetic_batch(county);
        let options = gridmap_service::import::ImportOptions::default();
        gridmap_service::import::import(store.as_ref(), &Caller::Operator, "synth", batch, options)
            .await
            .unwrap();
    }
    out
}

/// Grids with their versions set aside (an undo brings content back under a higher
/// version).
fn without_versions(grids: Vec<gridmap_core::Grid>) -> Vec<gridmap_core::Grid> {
    grids
        .into_iter()
        .map(|g| gridmap_core::Grid { version: 0, ..g })
        .collect()
}

async fn partitioned() -> Vec<(&'static str, SharedStore, Keep)> {
    let all = stores().await;
    for (_, store, _) in &all {
        partition_with_defaults(store).await;
    }
    all
}

async fn partition_with_defaults(store: &SharedStore) {
    partition(
        store.as_ref(),
        &Caller::Operator,
        &Scope::All,
        &SizeRequest::default(),
        true,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn both_stores_partition_the_same_county_into_the_same_grids() {
    let all = partitioned().await;
    let grids: Vec<_> = {
        let mut v = Vec::new();
        for (_, store, _) in &all {
            v.push(store.grids().await.unwrap());
        }
        v
    };
    assert!(!grids[0].is_empty());
    assert_eq!(grids[0], grids[1], "memory and SQLite disagree");
}

#[tokio::test]
async fn a_click_shows_the_grid_and_staff_and_personal_data_only_to_staff() {
    for (name, store, _dir) in partitioned().await {
        let access = AccessPolicy::default();
        let service = Service::start(store, access, 1 << 20).await.unwrap();
        let data = service.data();
        let snap = data.snapshot();
        let b = snap
            .buildings
            .iter()
            .find(|b| {
                b.households.count > 0
                    && snap
                        .grids_of_building(snap.building_index(&b.source_id).unwrap())
                        .len()
                        > 0
            })
            .expect("a building with households in a grid");
        let p = representative_point(&b.footprint).unwrap();
        let public = service.lookup(&Caller::Public, p.x(), p.y()).await.unwrap();
        let seen = public.building.as_ref().expect("the building clicked");
        assert_eq!(seen.id, b.source_id, "{name}");
        assert!(public.grid.is_some(), "{name}: no grid");
        assert!(
            seen.household_list
                .iter()
                .all(|h| h.head.is_none() && h.phone.is_none()),
            "{name}: personal data leaked"
        );
        let staff = office();
        let inside = service.lookup(&staff, p.x(), p.y()).await.unwrap();
        assert!(
            inside
                .building
                .unwrap()
                .household_list
                .iter()
                .any(|h| h.head.is_some()),
            "{name}"
        );
        assert!(matches!(
            service.caller(Some("wrong"), "test").await,
            Err(ServiceError::Unauthorized(_))
        ));
        let viewer = Caller::account(
            "v",
            gridmap_core::Role::Viewer,
            gridmap_core::AccessScope::All,
        );
        let viewed = service.lookup(&viewer, p.x(), p.y()).await.unwrap();
        let list = viewed.building.unwrap().household_list;
        assert!(
            list.iter().all(|h| h.head.is_none()),
            "{name}: a viewer saw heads"
        );
    }
}

#[tokio::test]
async fn a_grid_edit_is_undone_from_the_change_log_and_the_undo_redone() {
    for (name, store, _dir) in partitioned().await {
        let grids = store.grids().await.unwrap();
        let roster = store.staff().await.unwrap();
        let grid = grids
            .iter()
            .find(|g| g.staff.is_some())
            .expect("a staffed grid")
            .clone();
        let other = roster
            .iter()
            .find(|s| Some(&s.id) != grid.staff.as_ref())
            .expect("another staff member")
            .clone();
        let edit = GridEditRequest {
            locked: Some(true),
            staff: Some(Some(other.id.clone())),
            name: Some(Some(" 东区一段 ".into())),
            version: Some(grid.version),
        };
        let change = edit::edit_grid(store.as_ref(), &office(), &grid.code, &edit)
            .await
            .unwrap();
        let edited = store.grid(&grid.code).await.unwrap().unwrap();
        assert!(edited.locked, "{name}");
        assert_eq!(
            edited.name.as_deref(),
            Some("东区一段"),
            "{name}: stored trimmed"
        );
        assert_eq!(edited.staff.as_deref(), Some(other.id.as_str()));
        assert_eq!(edited.version, grid.version + 1);
        let holder = |id: &str, roster: &[gridmap_core::Staff]| {
            roster
                .iter()
                .find(|s| s.id == id)
                .unwrap()
                .grids
                .contains(&grid.code)
        };
        let after = store.staff().await.unwrap();
        assert!(
            holder(&other.id, &after),
            "{name}: the new staff member lists the grid"
        );
        assert!(
            !holder(grid.staff.as_ref().unwrap(), &after),
            "{name}: the old one does not"
        );

        // The same edit from a stale view is refused.
        let stale = edit::edit_grid(store.as_ref(), &office(), &grid.code, &edit).await;
        assert!(
            matches!(stale, Err(ServiceError::Conflict(_))),
            "{name}: {stale:?}"
        );

        let undo = edit::undo(store.as_ref(), &office(), change).await.unwrap();
        let restored = store.grid(&grid.code).await.unwrap().unwrap();
        assert_eq!(
            gridmap_core::Grid {
                version: grid.version,
                ..restored.clone()
            },
            grid,
            "{name}: undo restores the grid"
        );
        assert!(
            restored.version > edited.version,
            "{name}: versions only go up"
        );
        assert_eq!(
            store.staff().await.unwrap(),
            roster,
            "{name}: staff lists restored"
        );

        // Undoing the undo redoes the edit.
        edit::undo(store.as_ref(), &office(), undo).await.unwrap();
        let redone = store.grid(&grid.code).await.unwrap().unwrap();
        assert!(redone.locked && redone.staff == edited.staff, "{name}");
        // Undo works on content: after the redo the first change can be undone again,
        // and once undone it cannot be undone twice.
        edit::undo(store.as_ref(), &office(), change).await.unwrap();
        assert!(
            !store.grid(&grid.code).await.unwrap().unwrap().locked,
            "{name}"
        );
        let again = edit::undo(store.as_ref(), &office(), change).await;
        assert!(
            matches!(again, Err(ServiceError::Conflict(_))),
            "{name}: {again:?}"
        );
    }
}

#[tokio::test]
async fn the_public_may_not_edit_and_an_import_of_incidents_is_not_undone() {
    for (name, store, _dir) in partitioned().await {
        let grid = store.grids().await.unwrap().remove(0);
        let last = store.last_change().await.unwrap();
        let lock = GridEditRequest {
            locked: Some(true),
            ..GridEditRequest::default()
        };
        let refused = edit::edit_grid(store.as_ref(), &Caller::Public, &grid.code, &lock).await;
        assert!(
            matches!(refused, Err(ServiceError::Unauthorized(_))),
            "{name}"
        );
        assert_eq!(
            store.last_change().await.unwrap(),
            last,
            "{name}: nothing logged"
        );
        let history = edit::history(store.as_ref(), &Caller::Public, 10).await;
        assert!(
            matches!(history, Err(ServiceError::Unauthorized(_))),
            "{name}"
        );
        let newest = edit::history(store.as_ref(), &office(), 2).await.unwrap();
        assert_eq!(newest.len(), 2, "{name}");
        assert_eq!(newest[0].id, last, "{name}: newest first");
        assert!(newest[0].id > newest[1].id);
        let import = store.changes_since(0).await.unwrap()[0].id;
        // Undoing an import is for whoever may import: not a planner.
        let undo = edit::undo(store.as_ref(), &office(), import).await;
        assert!(
            matches!(undo, Err(ServiceError::Forbidden(_))),
            "{name}: {undo:?}"
        );
        let undo = edit::undo(store.as_ref(), &Caller::Operator, import).await;
        assert!(
            matches!(undo, Err(ServiceError::BadInput(_))),
            "{name}: {undo:?}"
        );
    }
}

#[tokio::test]
async fn a_partition_run_stores_its_sizes_and_can_be_undone() {
    for (name, store, _dir) in partitioned().await {
        let before = store.grids().await.unwrap();
        let sizes = SizeRequest {
            min: Some(20),
            max: Some(30),
            target: Some(25),
            max_staff_households: Some(60),
            ..SizeRequest::default()
        };
        let run = partition(store.as_ref(), &Caller::Operator, &Scope::All, &sizes, true)
            .await
            .unwrap();
        let params = stored_params(store.as_ref()).await.unwrap();
        assert_eq!(
            (
                params.min,
                params.max,
                params.target,
                params.max_staff_households
            ),
            (20, 30, 25, 60),
            "{name}"
        );
        let smaller = store.grids().await.unwrap();
        assert!(
            smaller.len() > before.len(),
            "{name}: smaller grids, more of them"
        );
        edit::undo(store.as_ref(), &Caller::Operator, run.change)
            .await
            .unwrap();
        let back = store.grids().await.unwrap();
        assert_eq!(
            without_versions(back),
            without_versions(before),
            "{name}: the previous grids are back"
        );
        // Bad sizes are refused before anything is written.
        let bad = SizeRequest {
            min: Some(60),
            max: Some(50),
            ..SizeRequest::default()
        };
        let err = partition(store.as_ref(), &Caller::Operator, &Scope::All, &bad, true).await;
        assert!(matches!(err, Err(ServiceError::BadInput(_))), "{name}");
        let no_staff_limit = SizeRequest {
            max_staff_households: Some(0),
            ..SizeRequest::default()
        };
        let err = partition(
            store.as_ref(),
            &Caller::Operator,
            &Scope::All,
            &no_staff_limit,
            true,
        )
        .await;
        assert!(matches!(err, Err(ServiceError::BadInput(_))), "{name}");
    }
}

#[tokio::test]
async fn a_server_picks_up_changes_made_by_another_process() {
    for (name, store, _dir) in partitioned().await {
        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20)
            .await
            .unwrap();
        assert_eq!(service.sync_changes().await.unwrap(), 0, "{name}");
        let grid = store.grids().await.unwrap().remove(0);
        assert!(
            !service
                .grid(&Caller::Public, grid.code.as_str())
                .unwrap()
                .grid
                .locked
        );
        // Another process (here: the store directly) locks the grid.
        let lock = GridEditRequest {
            locked: Some(true),
            ..GridEditRequest::default()
        };
        edit::edit_grid(store.as_ref(), &Caller::Operator, &grid.code, &lock)
            .await
            .unwrap();
        assert_eq!(service.sync_changes().await.unwrap(), 1, "{name}");
        assert!(
            service
                .grid(&Caller::Public, grid.code.as_str())
                .unwrap()
                .grid
                .locked,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_saved_or_deleted_plan_version_does_not_make_a_server_reload_the_county() {
    for (name, store, _dir) in partitioned().await {
        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20)
            .await
            .unwrap();
        let village = store.grids().await.unwrap()[0].village.to_string();
        let shown = service.data();
        let saved = service
            .save_version(&Caller::Operator, &village, "draft")
            .await
            .unwrap();
        service
            .delete_version(&Caller::Operator, &village, saved.id)
            .await
            .unwrap();
        // Both entries are read from the log, and the county is not loaded again.
        assert_eq!(service.sync_changes().await.unwrap(), 2, "{name}");
        assert!(Arc::ptr_eq(&shown, &service.data()), "{name}: reloaded");
    }
}

#[tokio::test]
async fn a_planner_moves_a_building_merges_grids_and_undoes_it() {
    use gridmap_service::edit::{apply, GridOperation};
    for (name, store, _dir) in partitioned().await {
        let before = store.grids().await.unwrap();
        let grid = before
            .iter()
            .find(|g| !g.institution && g.members.len() > 1)
            .unwrap();
        let village_grids: Vec<_> = before
            .iter()
            .filter(|g| g.village == grid.village)
            .collect();
        let target = village_grids
            .iter()
            .find(|g| g.code != grid.code && !g.institution)
            .unwrap();
        let building = grid
            .members
            .iter()
            .find(|m| m.flats.is_none())
            .unwrap()
            .building
            .clone();
        let op = GridOperation::MoveBuildings {
            buildings: vec![building.clone()],
            to: target.code.clone(),
        };
        assert!(matches!(
            apply(store.as_ref(), &Caller::Public, &op).await,
            Err(ServiceError::Unauthorized(_))
        ));
        let moved = apply(store.as_ref(), &office(), &op).await.unwrap();
        let after = store.grids().await.unwrap();
        let holder = after
            .iter()
            .find(|g| g.members.iter().any(|m| m.building == building))
            .unwrap();
        assert_eq!(holder.code, target.code, "{name}");
        let validation = gridmap_service::partition::validate(store.as_ref(), &Caller::Operator)
            .await
            .unwrap();
        let tiling: Vec<_> = validation
            .violations
            .iter()
            .filter(|v| {
                matches!(
                    v,
                    gridmap_core::partition::Violation::Overlap { .. }
                        | gridmap_core::partition::Violation::Gap { .. }
                )
            })
            .collect();
        assert!(tiling.is_empty(), "{name}: {tiling:?}");

        // Merging the two grids removes one code from the roster as well.
        let merge = GridOperation::Merge {
            kept: target.code.clone(),
            absorbed: grid.code.clone(),
        };
        apply(store.as_ref(), &office(), &merge).await.unwrap();
        let merged = store.grids().await.unwrap();
        assert_eq!(merged.len(), before.len() - 1, "{name}");
        let roster = store.staff().await.unwrap();
        assert!(
            roster.iter().all(|s| !s.grids.contains(&grid.code)),
            "{name}: the roster drops the merged grid"
        );

        // Undo the merge, then the move: the village is as it was.
        let history = edit::history(store.as_ref(), &office(), 1).await.unwrap();
        edit::undo(store.as_ref(), &office(), history[0].id)
            .await
            .unwrap();
        edit::undo(store.as_ref(), &office(), moved).await.unwrap();
        assert_eq!(
            without_versions(store.grids().await.unwrap()),
            without_versions(before),
            "{name}"
        );
    }
}

/// Every record table and the grids (versions aside), to compare whole states.
async fn records(store: &SharedStore) -> String {
    let grids: Vec<_> = store
        .grids()
        .await
        .unwrap()
        .into_iter()
        .map(|g| gridmap_core::Grid { version: 0, ..g })
        .collect();
    serde_json::to_string(&(
        store.admin_units().await.unwrap(),
        store.buildings().await.unwrap(),
        store.barriers().await.unwrap(),
        store.staff().await.unwrap(),
        grids,
    ))
    .unwrap()
        + &format!("{:?}", register(store).await)
}

/// Every register row, personal fields included.
async fn register(store: &SharedStore) -> Vec<(String, Option<String>, Option<String>)> {
    let mut rows = Vec::new();
    for b in store.buildings().await.unwrap() {
        for h in store.households_of_building(&b.source_id).await.unwrap() {
            rows.push((h.id, h.building, h.head));
        }
    }
    rows
}

#[tokio::test]
async fn an_import_is_undone_after_the_later_partition_and_redone() {
    use gridmap_core::{Building, Household};
    use gridmap_store::ImportBatch;
    for (name, store, _dir) in partitioned().await {
        let original = records(&store).await;
        let stored = store.buildings().await.unwrap();
        // An updated file: five buildings gain a floor, two new ones appear beside the
        // first, a household moves into a new building and a new household registers.
        let mut buildings: Vec<Building> = stored
            .iter()
            .filter(|b| b.households.count > 0)
            .take(5)
            .map(|b| Building {
                levels: Some(b.levels.unwrap_or(1) + 1),
                village: None,
                ..b.clone()
            })
            .collect();
        for (i, shift) in [0.002, 0.004].into_iter().enumerate() {
            let mut footprint = stored[0].footprint.clone();
            geo::MapCoordsInPlace::map_coords_in_place(&mut footprint, |c| geo::Coord {
                x: c.x + shift,
                y: c.y,
            });
            buildings.push(Building {
                source_id: format!("survey:new/{i}"),
                footprint,
                village: None,
                ..stored[0].clone()
            });
        }
        let mover = store
            .households_of_building(&buildings[0].source_id)
            .await
            .unwrap()
            .remove(0);
        let households = vec![
            Household {
                building: Some("survey:new/0".into()),
                ..mover.clone()
            },
            Household {
                id: "survey:h/1".into(),
                building: Some("survey:new/0".into()),
                ..mover
            },
        ];
        let batch = ImportBatch {
            buildings,
            households,
            ..ImportBatch::default()
        };
        let options = gridmap_service::import::ImportOptions::default();
        gridmap_service::import::import(
            store.as_ref(),
            &Caller::Operator,
            "survey",
            batch,
            options,
        )
        .await
        .unwrap();
        let import = store.last_change().await.unwrap();
        let imported = records(&store).await;
        assert_ne!(imported, original, "{name}: the import changed records");

        // The next partition assigns the new buildings to a village: the import's records
        // changed since, so undoing it is refused until the partition is undone.
        partition_with_defaults(&store).await;
        let refused = edit::undo(store.as_ref(), &Caller::Operator, import).await;
        assert!(
            matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("building")),
            "{name}: {refused:?}"
        );
        let later: Vec<i64> = store
            .changes_since(import)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert!(!later.is_empty());
        for id in later.into_iter().rev() {
            edit::undo(store.as_ref(), &Caller::Operator, id)
                .await
                .unwrap_or_else(|e| panic!("{name}: undo {id}: {e}"));
        }
        assert_eq!(records(&store).await, imported, "{name}: partition undone");

        let undo = edit::undo(store.as_ref(), &Caller::Operator, import)
            .await
            .unwrap();
        assert_eq!(
            records(&store).await,
            original,
            "{name}: the import is undone exactly"
        );
        edit::undo(store.as_ref(), &Caller::Operator, undo)
            .await
            .unwrap();
        assert_eq!(
            records(&store).await,
            imported,
            "{name}: undoing the undo imports again"
        );
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

#[tokio::test]
async fn nested_grids_are_stored_validated_looked_up_and_found_at_both_levels() {
    use gridmap_core::partition::LevelSizes;
    use gridmap_core::Grid;
    for (name, store, _dir) in stores().await {
        let levels = SizeRequest {
            comprehensive: Some(Some(LevelSizes::new(300, 500))),
            ..SizeRequest::default()
        };
        let run = partition(
            store.as_ref(),
            &Caller::Operator,
            &Scope::All,
            &levels,
            true,
        )
        .await
        .unwrap();
        let top = run.comprehensive_report.expect("a report of both levels");
        assert!(top.grids > 0 && run.report.grids > 3 * top.grids, "{name}");
        assert_eq!(top.households, run.report.households, "{name}");
        let grids = store.grids().await.unwrap();
        let (upper, micro): (Vec<Grid>, Vec<Grid>) =
            grids.into_iter().partition(Grid::is_comprehensive);
        assert_eq!(upper.len(), top.grids, "{name}");
        assert!(micro.iter().all(|g| g.parent.is_some()), "{name}");
        // Grid staff serve micro-grids only.
        assert!(upper.iter().all(|g| g.staff.is_none()), "{name}");
        assert!(micro.iter().any(|g| g.staff.is_some()), "{name}");
        let check = gridmap_service::partition::validate(store.as_ref(), &Caller::Operator)
            .await
            .unwrap();
        let nesting: Vec<_> = check
            .violations
            .iter()
            .filter(|v| {
                matches!(
                    v,
                    gridmap_core::partition::Violation::NotNested { .. }
                        | gridmap_core::partition::Violation::NestingMismatch { .. }
                )
            })
            .collect();
        assert!(nesting.is_empty(), "{name}: {nesting:?}");

        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20)
            .await
            .unwrap();

        // The planner's view of a nested village: each level with its own range, the
        // households counted once, no issue that only mixing the levels would make.
        let village = upper[0].code.village();
        let plan = service.village_plan(&office(), village.as_str()).unwrap();
        let in_village: u64 = micro
            .iter()
            .filter(|g| g.code.village() == village)
            .map(|g| u64::from(g.households))
            .sum();
        assert_eq!(plan.households, in_village, "{name}: counted once");
        assert_eq!(
            plan.comprehensive,
            Some(LevelSizes::new(300, 500)),
            "{name}"
        );
        for g in &plan.grids {
            let top = upper.iter().any(|u| u.code.as_str() == g.code);
            assert_eq!(g.level, if top { 2 } else { 1 }, "{name}: {}", g.code);
            assert_eq!(g.parent.is_some(), !top, "{name}: {}", g.code);
        }
        assert_eq!(
            plan.residential,
            plan.grids
                .iter()
                .filter(|g| g.level == 1 && !g.institution)
                .count(),
            "{name}"
        );
        let mixed: Vec<_> = plan
            .issues
            .iter()
            .filter(|i| i.kind == "households_in_several_grids")
            .collect();
        assert!(mixed.is_empty(), "{name}: {mixed:?}");
        let sizes_of_top: Vec<_> = plan
            .issues
            .iter()
            .filter(|i| {
                i.grid.as_deref().is_some_and(|g| {
                    upper
                        .iter()
                        .any(|u| u.code.as_str() == g && (300..=500).contains(&u.households))
                })
            })
            .filter(|i| i.kind == "size_out_of_range")
            .collect();
        assert!(sizes_of_top.is_empty(), "{name}: {sizes_of_top:?}");

        let data = service.data();
        let snap = data.snapshot();
        let b = snap
            .buildings
            .iter()
            .find(|b| {
                b.households.count > 0
                    && snap
                        .grids_of_building(snap.building_index(&b.source_id).unwrap())
                        .len()
                        == 1
            })
            .expect("a building in one grid");
        let p = representative_point(&b.footprint).unwrap();
        let found = service.lookup(&Caller::Public, p.x(), p.y()).await.unwrap();
        let grid = found.grid.expect("its micro-grid");
        let parent = found.comprehensive.expect("its comprehensive grid");
        assert_eq!((grid.level, parent.level), (1, 2), "{name}");
        assert_eq!(grid.parent.as_deref(), Some(parent.code.as_str()), "{name}");
        assert!(grid.code.starts_with(&parent.code), "{name}");
        // The comprehensive grid lists its micro-grids; either code is found by search.
        let detail = service.grid(&Caller::Public, &parent.code).unwrap();
        assert!(
            detail.micro_grids.iter().any(|m| m.code == grid.code),
            "{name}"
        );
        assert_eq!(
            detail.micro_grids.iter().map(|m| m.households).sum::<u32>(),
            parent.households,
            "{name}"
        );
        let micro_detail = service.grid(&Caller::Public, &grid.code).unwrap();
        assert_eq!(
            micro_detail.comprehensive.map(|c| c.code),
            Some(parent.code.clone()),
            "{name}"
        );
        for code in [&parent.code, &grid.code] {
            let hits = service.search(&Caller::Public, code, None).unwrap();
            assert!(
                hits.results
                    .iter()
                    .any(|h| h.kind == "grid" && &h.id == code),
                "{name}: search {code}"
            );
        }

        // A planner moves a building into a micro-grid of the neighbouring comprehensive
        // grid: it moves in both levels, which still nest; undo restores both.
        let before = store.grids().await.unwrap();
        let buildings = store.buildings().await.unwrap();
        let (building, to, from_parent, to_parent) = border_move(&before, &buildings);
        let op = gridmap_service::edit::GridOperation::MoveBuildings {
            buildings: vec![building.clone()],
            to: to.clone(),
        };
        let change = edit::apply(store.as_ref(), &Caller::Operator, &op)
            .await
            .unwrap();
        let after = store.grids().await.unwrap();
        let holds = |grids: &[Grid], code: &gridmap_core::GridCode| {
            grids
                .iter()
                .any(|g| &g.code == code && g.members.iter().any(|m| m.building == building))
        };
        assert!(holds(&after, &to) && holds(&after, &to_parent), "{name}");
        assert!(!holds(&after, &from_parent), "{name}");
        let check = gridmap_service::partition::validate(store.as_ref(), &Caller::Operator)
            .await
            .unwrap();
        assert!(
            !check.violations.iter().any(|v| matches!(
                v,
                gridmap_core::partition::Violation::NotNested { .. }
                    | gridmap_core::partition::Violation::NestingMismatch { .. }
                    | gridmap_core::partition::Violation::Overlap { .. }
                    | gridmap_core::partition::Violation::Gap { .. }
            )),
            "{name}: {:?}",
            check.violations
        );
        edit::undo(store.as_ref(), &Caller::Operator, change)
            .await
            .unwrap();
        assert_eq!(
            without_versions(store.grids().await.unwrap()),
            without_versions(before),
            "{name}"
        );

        // A roster names a grid leader (网格长) for a comprehensive grid: the next run
        // gives it to that grid, and grid staff stay on micro-grids.
        let leader = gridmap_core::Staff {
            id: "leader-1".into(),
            name: "李网格长".into(),
            phone: Some("13900000000".into()),
            role: gridmap_core::StaffRole::GridLeader(3),
            area: Some(upper[0].village.clone()),
            grids: vec![upper[0].code.clone()],
            home: None,
        };
        let roster = gridmap_store::ImportBatch {
            staff: vec![leader],
            ..gridmap_store::ImportBatch::default()
        };
        gridmap_service::import::import(
            store.as_ref(),
            &Caller::Operator,
            "roster.csv",
            roster,
            gridmap_service::import::ImportOptions::default(),
        )
        .await
        .unwrap();
        partition(
            store.as_ref(),
            &Caller::Operator,
            &Scope::All,
            &SizeRequest::default(),
            false,
        )
        .await
        .unwrap();
        let grids = store.grids().await.unwrap();
        let led = grids
            .iter()
            .find(|g| g.code == upper[0].code)
            .expect("kept its code");
        assert_eq!(led.staff.as_deref(), Some("leader-1"), "{name}");
        assert!(
            grids
                .iter()
                .filter(|g| g.staff.as_deref() == Some("leader-1"))
                .all(Grid::is_comprehensive),
            "{name}"
        );

        // Back to one level: the nested grids are replaced by one-level grids.
        let one = SizeRequest {
            comprehensive: Some(None),
            ..SizeRequest::default()
        };
        let back = partition(store.as_ref(), &Caller::Operator, &Scope::All, &one, false)
            .await
            .unwrap();
        assert!(back.comprehensive_report.is_none(), "{name}");
        let grids = store.grids().await.unwrap();
        assert!(
            grids
                .iter()
                .all(|g| g.level == Grid::MICRO && g.parent.is_none() && g.code.parent().is_none()),
            "{name}"
        );
    }
}

/// A whole building of a micro-grid that borders a micro-grid of another comprehensive
/// grid, nearest to it: (building, the other micro-grid, the building's comprehensive
/// grid, the other's).
fn border_move(
    grids: &[gridmap_core::Grid],
    buildings: &[gridmap_core::Building],
) -> (
    String,
    gridmap_core::GridCode,
    gridmap_core::GridCode,
    gridmap_core::GridCode,
) {
    use geo::{Distance, Euclidean, Intersects};
    let micro: Vec<_> = grids.iter().filter(|g| g.parent.is_some()).collect();
    for a in &micro {
        for b in &micro {
            if a.parent == b.parent || !a.polygon.intersects(&b.polygon) {
                continue;
            }
            let distance = |m: &gridmap_core::GridMember| {
                buildings
                    .iter()
                    .find(|x| x.source_id == m.building)
                    .map_or(f64::MAX, |x| Euclidean.distance(&x.footprint, &b.polygon))
            };
            let Some(m) = a
                .members
                .iter()
                .filter(|m| m.flats.is_none() && m.households > 0)
                .min_by(|x, y| distance(x).total_cmp(&distance(y)))
            else {
                continue;
            };
            return (
                m.building.clone(),
                b.code.clone(),
                a.parent.clone().unwrap(),
                b.parent.clone().unwrap(),
            );
        }
    }
    panic!("no two neighbouring micro-grids of different comprehensive grids")
}

#[tokio::test]
async fn staff_assign_proposes_near_even_and_stable_staffing_that_applies_and_undoes_as_one_change()
{
    use gridmap_core::partition::LevelSizes;
    use gridmap_core::{AccessScope, Grid, Role, StaffRole};
    use gridmap_service::staffing;
    use std::collections::HashMap;
    for (name, store, _keep) in stores().await {
        let levels = SizeRequest {
            comprehensive: Some(Some(LevelSizes::new(300, 500))),
            ..SizeRequest::default()
        };
        partition(
            store.as_ref(),
            &Caller::Operator,
            &Scope::All,
            &levels,
            true,
        )
        .await
        .unwrap();
        let grids_before = store.grids().await.unwrap();
        let staff_before = store.staff().await.unwrap();
        // A partition run gives workers micro-grids, but leads no comprehensive grid.
        let before = staffing::report(store.as_ref(), &Caller::Operator, None, None)
            .await
            .unwrap();
        assert!(!before.unstaffed.is_empty(), "{name}");
        assert!(
            before.unstaffed.iter().all(|g| g.comprehensive),
            "{name}: {before:?}"
        );

        let plan = staffing::propose(store.as_ref(), &Caller::Operator, &Scope::All)
            .await
            .unwrap();
        assert_eq!(plan.proposals.len(), grids_before.len(), "{name}");
        let roster: HashMap<&str, &gridmap_core::Staff> =
            staff_before.iter().map(|s| (s.id.as_str(), s)).collect();
        let grid_of: HashMap<&str, &Grid> =
            grids_before.iter().map(|g| (g.code.as_str(), g)).collect();
        let mut load: HashMap<(&str, bool), Vec<usize>> = HashMap::new();
        for p in &plan.proposals {
            let g = grid_of[p.grid.as_str()];
            let s = roster[p.proposed.as_deref().expect("every village has staff")];
            assert!(
                s.area.as_ref().unwrap().contains(&g.village),
                "{name}: {p:?}"
            );
            match s.role {
                StaffRole::GridStaff => assert!(!g.is_comprehensive(), "{name}: {p:?}"),
                StaffRole::GridLeader(level) => {
                    assert!(g.is_comprehensive() && level >= 3, "{name}: {p:?}")
                }
            }
            assert!(p.distance_m.is_some(), "synthetic staff have homes: {p:?}");
        }
        // Loads are even among the staff of a village and role: ⌊n/m⌋ or ⌈n/m⌉ grids.
        for s in &staff_before {
            let Some(area) = &s.area else { continue };
            let leads = matches!(s.role, StaffRole::GridLeader(l) if l >= 3);
            let n = plan
                .proposals
                .iter()
                .filter(|p| p.proposed.as_deref() == Some(s.id.as_str()))
                .count();
            load.entry((area.as_str(), leads)).or_default().push(n);
        }
        for ((area, leads), counts) in &load {
            let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(hi - lo <= 1, "{name}: {area} leaders={leads}: {counts:?}");
        }
        // The workers' grids lie no further from home, in sum, than the code-order
        // assignment of the partition run, which is just as even.
        let home_distance = |grid: &str, staff: &str| {
            use geo::{Distance, Haversine};
            let home = roster[staff].home.unwrap();
            let at = representative_point(&grid_of[grid].polygon).unwrap();
            Haversine.distance(home, at)
        };
        let worker_grids: Vec<_> = plan.proposals.iter().filter(|p| !p.comprehensive).collect();
        let proposed: f64 = worker_grids.iter().map(|p| p.distance_m.unwrap()).sum();
        let current: f64 = worker_grids
            .iter()
            .map(|p| home_distance(p.grid.as_str(), p.current.as_deref().unwrap()))
            .sum();
        assert!(
            proposed <= current + worker_grids.len() as f64,
            "{name}: proposed {proposed:.0} m, current {current:.0} m"
        );

        // Only planners of the place may ask, and only for what they plan.
        let viewer = Caller::account("v", Role::Viewer, AccessScope::All);
        assert!(matches!(
            staffing::propose(store.as_ref(), &viewer, &Scope::All).await,
            Err(ServiceError::Forbidden(_))
        ));
        let elsewhere = Caller::account("p", Role::Planner, AccessScope::Area("411622199".into()));
        assert!(matches!(
            staffing::apply(store.as_ref(), &elsewhere, &plan).await,
            Err(ServiceError::Forbidden(_))
        ));
        assert_eq!(
            store.grids().await.unwrap(),
            grids_before,
            "{name}: nothing written"
        );

        let change = staffing::apply(store.as_ref(), &Caller::Operator, &plan)
            .await
            .unwrap()
            .expect("the proposal changes something");
        let grids = store.grids().await.unwrap();
        let staff = store.staff().await.unwrap();
        for p in &plan.proposals {
            let g = grids.iter().find(|g| g.code == p.grid).unwrap();
            assert_eq!(g.staff, p.proposed, "{name}");
            let holders: Vec<&str> = staff
                .iter()
                .filter(|s| s.grids.contains(&p.grid))
                .map(|s| s.id.as_str())
                .collect();
            assert_eq!(holders, vec![p.proposed.as_deref().unwrap()], "{name}");
        }
        let after = staffing::report(store.as_ref(), &Caller::Operator, None, None)
            .await
            .unwrap();
        assert!(after.unstaffed.is_empty(), "{name}: {after:?}");
        let again = staffing::propose(store.as_ref(), &Caller::Operator, &Scope::All)
            .await
            .unwrap();
        assert_eq!(
            again.changes().count(),
            0,
            "{name}: a second proposal changes nothing"
        );
        // A proposal made before a change is refused after it.
        assert!(matches!(
            staffing::apply(store.as_ref(), &Caller::Operator, &plan).await,
            Err(ServiceError::Conflict(_))
        ));

        edit::undo(store.as_ref(), &Caller::Operator, change)
            .await
            .unwrap();
        assert_eq!(
            without_versions(store.grids().await.unwrap()),
            without_versions(grids_before.clone()),
            "{name}"
        );
        let mut restored = store.staff().await.unwrap();
        let mut original = staff_before.clone();
        restored.sort_by(|a, b| a.id.cmp(&b.id));
        original.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(restored, original, "{name}");
    }
}

#[tokio::test]
async fn household_situations_are_counted_per_grid_and_building_inside_the_callers_scope() {
    use gridmap_core::{AccessScope, Role, TagGroup};
    use gridmap_service::situations::{buildings_in_situation, grid_situations, situations_csv};
    let county = synth_county(&SynthParams::new(1_500, 3));
    // The register, counted directly: households per situation group.
    let mut expected: std::collections::BTreeMap<&str, u32> = Default::default();
    for h in &county.households {
        for g in TagGroup::of_tags(&h.tags) {
            *expected.entry(g.key()).or_default() += 1;
        }
    }
    assert!(
        expected.values().sum::<u32>() > 20,
        "the synthetic register has tags"
    );
    for (name, store, _keep) in partitioned().await {
        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20)
            .await
            .unwrap();
        let data = service.data();
        let snap = data.snapshot();
        let rows = grid_situations(store.as_ref(), snap, &office(), &Scope::All, None)
            .await
            .unwrap();
        assert_eq!(rows.len(), snap.grids.len(), "{name}");
        let households: u32 = rows.iter().map(|r| r.households).sum();
        assert_eq!(households as usize, county.households.len(), "{name}");
        for g in TagGroup::ALL {
            let counted: u32 = rows.iter().map(|r| r.groups[g.key()]).sum();
            assert_eq!(
                counted,
                expected.get(g.key()).copied().unwrap_or(0),
                "{name}: {g:?}"
            );
        }
        let villages = gridmap_service::situations::village_totals(&rows);
        assert_eq!(
            villages.iter().map(|v| v.households).sum::<u32>() as usize,
            county.households.len(),
            "{name}: each household once in its village"
        );
        for g in TagGroup::ALL {
            let summed: u32 = villages.iter().map(|v| v.groups[g.key()]).sum();
            assert_eq!(
                summed,
                expected.get(g.key()).copied().unwrap_or(0),
                "{name}: {g:?}"
            );
        }
        let csv = situations_csv(&rows);
        assert_eq!(csv.lines().count(), rows.len() + 1, "{name}");
        assert!(
            csv.lines().next().unwrap().contains("低保 low_income"),
            "{name}"
        );

        // Per building in a box: the counts of the buildings there, summed.
        let group = TagGroup::ALL
            .into_iter()
            .max_by_key(|g| expected.get(g.key()).copied().unwrap_or(0))
            .unwrap();
        let whole = [-180.0, -85.0, 180.0, 85.0];
        let everywhere = (&Scope::All, None);
        let per_building =
            buildings_in_situation(store.as_ref(), snap, &office(), whole, group, everywhere)
                .await
                .unwrap();
        let total: u32 = per_building.iter().map(|b| b.count).sum();
        assert_eq!(total, expected[group.key()], "{name}");

        // Filtered to one grid, or to one village: that area's households only.
        let one = &rows.iter().find(|r| r.households > 0).unwrap().grid;
        let of_one = rows.iter().find(|r| &r.grid == one).unwrap();
        let filtered = buildings_in_situation(
            store.as_ref(),
            snap,
            &office(),
            whole,
            group,
            (&Scope::All, Some(one)),
        )
        .await
        .unwrap();
        assert_eq!(
            filtered.iter().map(|b| b.households).sum::<u32>(),
            of_one.households,
            "{name}"
        );
        assert_eq!(
            filtered.iter().map(|b| b.count).sum::<u32>(),
            of_one.groups[group.key()],
            "{name}"
        );
        let village = Scope::Village(of_one.village.clone());
        let in_village: u32 = buildings_in_situation(
            store.as_ref(),
            snap,
            &office(),
            whole,
            group,
            (&village, None),
        )
        .await
        .unwrap()
        .iter()
        .map(|b| b.households)
        .sum();
        let village_total = villages
            .iter()
            .find(|v| v.village == of_one.village)
            .unwrap();
        assert_eq!(in_village, village_total.households, "{name}");

        // A staff member of one grid sees that grid's households only.
        let scope: AccessScope = format!("grids:{one}").parse().unwrap();
        let staff = Caller::account("wang", Role::Staff, scope);
        let mine = grid_situations(store.as_ref(), snap, &staff, &Scope::All, None)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1, "{name}");
        assert_eq!(&mine[0].grid, one, "{name}");
        let other = rows.iter().find(|r| &r.grid != one).unwrap();
        let refused =
            grid_situations(store.as_ref(), snap, &staff, &Scope::All, Some(&other.grid)).await;
        assert!(
            matches!(refused, Err(ServiceError::Forbidden(_))),
            "{name}: {refused:?}"
        );
        let seen: u32 =
            buildings_in_situation(store.as_ref(), snap, &staff, whole, group, everywhere)
                .await
                .unwrap()
                .iter()
                .map(|b| b.households)
                .sum();
        assert_eq!(
            seen, mine[0].households,
            "{name}: only the households of the grid"
        );

        // Roles without personal data and the public get nothing.
        let viewer = Caller::account("v", Role::Viewer, AccessScope::All);
        let refused = grid_situations(store.as_ref(), snap, &viewer, &Scope::All, None).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{name}");
        let public = buildings_in_situation(
            store.as_ref(),
            snap,
            &Caller::Public,
            whole,
            group,
            everywhere,
        )
        .await;
        assert!(
            matches!(public, Err(ServiceError::Unauthorized(_))),
            "{name}"
        );
    }
}

#[tokio::test]
async fn staff_correct_a_households_tags_inside_their_scope_and_the_change_is_logged_and_undone() {
    use gridmap_core::{AccessScope, Role, TagGroup};
    use gridmap_service::situations::grid_situations;
    for (name, store, _keep) in partitioned().await {
        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20)
            .await
            .unwrap();
        let data = service.data();
        let snap = data.snapshot();
        // A staff member of one grid with households, and one of its households without
        // the low-income tag.
        let grid = snap
            .grids
            .iter()
            .find(|g| g.households > 0)
            .unwrap()
            .code
            .clone();
        let staff = Caller::account(
            "wang",
            Role::Staff,
            format!("grids:{grid}").parse().unwrap(),
        );
        let mut mine = None;
        for m in &snap.grid(&grid).unwrap().members {
            let b = service.building(&staff, &m.building).await.unwrap();
            mine = b.building.household_list.into_iter().find(|x| {
                x.personal
                    && x.grid.as_deref() == Some(grid.as_str())
                    && !x.tag_groups.iter().any(|g| g == "low_income")
            });
            if mine.is_some() {
                break;
            }
        }
        let mine = mine.expect("a household of the grid");
        let before = grid_situations(store.as_ref(), snap, &staff, &Scope::All, Some(&grid))
            .await
            .unwrap()[0]
            .groups["low_income"];

        let mut tags = mine.tags.clone();
        tags.push(" 低保 ".into());
        let edited = service
            .edit_household_tags(&staff, &mine.id, &mine.tags, &tags)
            .await
            .unwrap();
        assert!(edited.change > 0, "{name}");
        assert_eq!(
            edited.household.tags.last().unwrap(),
            "低保",
            "{name}: trimmed"
        );
        assert!(
            edited
                .household
                .tag_groups
                .contains(&"low_income".to_owned()),
            "{name}"
        );
        let after = grid_situations(store.as_ref(), snap, &staff, &Scope::All, Some(&grid))
            .await
            .unwrap()[0]
            .groups["low_income"];
        assert_eq!(after, before + 1, "{name}: the grid's count follows");

        // The log names the household, not its tags, and no server reloads for it.
        let history = service.history(&office(), 1).await.unwrap();
        assert_eq!(
            history[0].operation,
            format!("edit household tags {}", mine.id),
            "{name}"
        );
        assert_eq!(service.sync_changes().await.unwrap(), 1, "{name}");
        assert!(Arc::ptr_eq(&data, &service.data()), "{name}: reloaded");

        // An editor who saw the old tags is refused, and nothing changes.
        let stale = service
            .edit_household_tags(&staff, &mine.id, &mine.tags, &["残疾".to_owned()])
            .await;
        assert!(
            matches!(stale, Err(ServiceError::Conflict(_))),
            "{name}: {stale:?}"
        );
        // Too long a tag is refused with its position.
        let long = service
            .edit_household_tags(&staff, &mine.id, &tags, &["长".repeat(41)])
            .await;
        assert!(
            matches!(&long, Err(ServiceError::BadInput(m)) if m.contains("tag 1")),
            "{name}: {long:?}"
        );

        // Outside the scope, or a role without personal data: refused.
        let other_grid = snap
            .grids
            .iter()
            .find(|g| g.code != grid && g.households > 0);
        let elsewhere = Caller::account(
            "li",
            Role::Staff,
            format!("grids:{}", other_grid.unwrap().code)
                .parse()
                .unwrap(),
        );
        let refused = service
            .edit_household_tags(&elsewhere, &mine.id, &edited.household.tags, &[])
            .await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{name}");
        let viewer = Caller::account("v", Role::Viewer, AccessScope::All);
        let refused = service
            .edit_household_tags(&viewer, &mine.id, &edited.household.tags, &[])
            .await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{name}");
        let missing = service
            .edit_household_tags(&staff, "no-such-household", &[], &[])
            .await;
        assert!(matches!(missing, Err(ServiceError::NotFound(_))), "{name}");

        // Undone from the change log: the tags are back as the register had them.
        edit::undo(store.as_ref(), &Caller::Operator, edited.change)
            .await
            .unwrap();
        let again = service
            .edit_household_tags(&staff, &mine.id, &mine.tags, &mine.tags)
            .await
            .unwrap();
        assert_eq!(again.change, 0, "{name}: unchanged tags write nothing");
        assert_eq!(again.household.tags, mine.tags, "{name}");
        assert!(
            !TagGroup::of_tags(&again.household.tags).contains(&TagGroup::LowIncome),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_planner_puts_photos_on_staff_of_their_area_and_a_roster_import_keeps_them() {
    use gridmap_core::{AccessScope, Role};
    use gridmap_service::photos::{set_staff_photo, staff_for_file, staff_photo};
    // An 8×6 PNG with a text chunk before its pixels, as a camera app might write.
    let png = [
        &[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a][..],
        &[
            0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 8, 0, 0, 0, 6, 8, 2, 0, 0, 0,
        ],
        &[0x71, 0x67, 0x48, 0xac],
        &[
            0, 0, 0, 4, b't', b'E', b'X', b't', b'G', b'P', b'S', 0, 0, 0, 0, 0,
        ],
        &[
            0, 0, 0, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x21, 0x27,
        ],
        &[
            0x87, 0x15, 0x31, 0x0c, 0xa4, 0x04, 0x00, 0x69, 0x88, 0x30, 0xc1, 0x64, 0x85,
        ],
        &[
            0xa2, 0xe2, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
        ],
    ]
    .concat();
    for (name, store, _keep) in partitioned().await {
        let snap = store.load_snapshot().await.unwrap();
        let person = snap.staff.iter().find(|s| !s.grids.is_empty()).unwrap();
        let village = person.grids[0].village();
        let planner = Caller::account("li", Role::Planner, village.to_string().parse().unwrap());
        let receipt = set_staff_photo(store.as_ref(), &snap, &planner, &person.id, &png)
            .await
            .unwrap();
        assert!(receipt.url.starts_with("api/photos/staff-"), "{name}");
        let stored = staff_photo(store.as_ref(), &planner, &person.id)
            .await
            .unwrap();
        assert_eq!(stored.content_type, "image/png", "{name}");
        assert!(
            !stored.bytes.windows(4).any(|w| w == b"tEXt"),
            "{name}: the text chunk is gone"
        );
        let again = set_staff_photo(store.as_ref(), &snap, &planner, &person.id, &png)
            .await
            .unwrap();
        assert!(!again.new, "{name}: the same photo is stored once");
        // Who has a photo is known without reading photos (the roster's report).
        let with_photos = store.staff_with_photos().await.unwrap();
        assert_eq!(
            with_photos,
            std::collections::HashSet::from([person.id.clone()]),
            "{name}"
        );

        // The file named by id or by a name held once finds the person.
        assert_eq!(staff_for_file(&snap, &person.id).unwrap().id, person.id);
        assert!(staff_for_file(&snap, "nobody-S999").is_err(), "{name}");

        // A staff member, a viewer, a planner of another village, the public: refused.
        let other = "419999999999".parse::<AccessScope>().unwrap();
        for caller in [
            Caller::account("w", Role::Staff, AccessScope::All),
            Caller::account("v", Role::Viewer, AccessScope::All),
            Caller::account("z", Role::Planner, other),
            Caller::Public,
        ] {
            let refused = set_staff_photo(store.as_ref(), &snap, &caller, &person.id, &png).await;
            assert!(
                matches!(
                    refused,
                    Err(ServiceError::Forbidden(_) | ServiceError::Unauthorized(_))
                ),
                "{name}: {caller:?} {refused:?}"
            );
        }
        let unknown = set_staff_photo(store.as_ref(), &snap, &planner, "S-nobody", &png).await;
        assert!(matches!(unknown, Err(ServiceError::NotFound(_))), "{name}");
        let not_image =
            set_staff_photo(store.as_ref(), &snap, &planner, &person.id, b"GIF89a").await;
        assert!(
            matches!(not_image, Err(ServiceError::BadInput(_))),
            "{name}"
        );

        // The roster imported again (the same people): the photo stays on the person.
        let batch = gridmap_store::ImportBatch {
            staff: snap.staff.iter().cloned().collect(),
            ..Default::default()
        };
        gridmap_service::import::import(
            store.as_ref(),
            &Caller::Operator,
            "roster.csv",
            batch,
            Default::default(),
        )
        .await
        .unwrap();
        assert!(
            store.staff_photo(&person.id).await.unwrap().is_some(),
            "{name}"
        );
    }
}
