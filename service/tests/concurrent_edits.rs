//! Grid edits arriving at one server together: each is shown once the store has it,
//! whatever else was shown meanwhile, and the live state ends as the store is.

use gridmap_core::GridCode;
use gridmap_service::edit::write_grid_edit;
use gridmap_service::live::{write_village, ShownWrite};
use gridmap_service::{AccessPolicy, Caller, GridEditRequest, Service};
use gridmap_store::{MemoryStore, SharedStore};
use gridmap_synth::{synth_county, SynthParams};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn county() -> (Service, SharedStore) {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let county = synth_county(&SynthParams::new(2_000, 7));
    gridmap_service::import::import_partitioned_synthetic(store.as_ref(), county)
        .await
        .unwrap();
    let service = Service::start(store.clone(), AccessPolicy::default(), 8 << 20)
        .await
        .unwrap();
    (service, store)
}

/// Each grid's (version, locked, staff) as `grids` has them.
fn states<'a>(
    grids: impl IntoIterator<Item = &'a gridmap_core::Grid>,
) -> BTreeMap<GridCode, (u32, bool, Option<String>)> {
    grids
        .into_iter()
        .map(|g| (g.code.clone(), (g.version, g.locked, g.staff.clone())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_sent_together_are_all_shown_as_the_store_has_them() {
    let (service, store) = county().await;
    let grids = store.grids().await.unwrap();
    // Many grids of few villages: edits of one village race each other.
    let mut by_village: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for g in &grids {
        by_village
            .entry(g.village.clone())
            .or_default()
            .push(g.clone());
    }
    let edited: Vec<_> = by_village.values().take(3).flatten().cloned().collect();
    assert!(edited.len() >= 6, "{} grids", edited.len());
    let edits = edited.iter().map(|g| {
        let service = service.clone();
        let code = g.code.to_string();
        let lock = GridEditRequest {
            locked: Some(!g.locked),
            version: Some(g.version),
            ..GridEditRequest::default()
        };
        tokio::spawn(async move { service.edit_grid(&Caller::Operator, &code, &lock).await })
    });
    for edit in futures_util::future::join_all(edits).await {
        edit.unwrap().unwrap();
    }

    let stored = store.grids().await.unwrap();
    let data = service.data();
    let live = states(data.snapshot().grids.iter().map(|g| &**g));
    assert_eq!(live, states(&stored), "the live state is the store's");
    for g in &edited {
        assert_eq!(live[&g.code].1, !g.locked, "{} shows its edit", g.code);
    }
    assert_eq!(
        service.live().reloads(),
        0,
        "shown without reloading the county"
    );
}

#[tokio::test]
async fn a_staff_change_shown_after_a_later_one_is_shown_as_the_store_has_it() {
    let (service, store) = county().await;
    let roster = store.staff().await.unwrap();
    let grid = store.grids().await.unwrap()[0].clone();
    let others: Vec<&str> = roster
        .iter()
        .filter(|s| Some(&s.id) != grid.staff.as_ref())
        .map(|s| s.id.as_str())
        .take(2)
        .collect();
    let [first, second] = others[..] else {
        panic!("two staff members besides the grid's")
    };
    // Two writes stored in turn (the grid to `first`, then to `second`) …
    let mut written = Vec::new();
    for (staff, version) in [(first, grid.version), (second, grid.version + 1)] {
        let edit = GridEditRequest {
            staff: Some(Some(staff.to_string())),
            version: Some(version),
            ..GridEditRequest::default()
        };
        let w = write_grid_edit(store.as_ref(), &Caller::Operator, &grid.code, &edit)
            .await
            .unwrap()
            .expect("a write");
        written.push(w);
    }
    // … reach the live state the other way round, as two requests may.
    for w in written.iter().rev() {
        let shown = ShownWrite {
            change: w.change,
            village: write_village(&w.write).expect("one village"),
            write: w.write.clone(),
            area: None,
        };
        service
            .live()
            .show_write(store.as_ref(), shown, None)
            .await
            .unwrap();
    }

    let data = service.data();
    let snap = data.snapshot();
    let holds = |id: &str| {
        let member = snap.staff.iter().find(|s| s.id == id).unwrap();
        member.grids.contains(&grid.code)
    };
    assert_eq!(
        snap.grid(&grid.code).unwrap().staff.as_deref(),
        Some(second),
        "the later write's staff"
    );
    assert!(holds(second), "{second} lists the grid");
    assert!(
        !holds(first),
        "{first} no longer lists it, as in the store: {:?}",
        store.staff().await.unwrap().iter().find(|s| s.id == first)
    );
}
