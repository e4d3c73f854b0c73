//! Named versions of a village's plan: both backends keep them the same way, and SQLite
//! keeps them across a restart.

use gridmap_core::partition::{partition_all, PartitionParams, VillageInput};
use gridmap_core::{AdminUnit, Building, DivisionCode, Grid};
use gridmap_store::{NewPlanVersion, OpenMode, StoreError};

mod common;
use common::stores;

/// Two villages cut into grids by the partitioner, each village's grids in code order.
/// With 6.4 households a building some are high-rises, split by flats between grids.
fn plans() -> Vec<(DivisionCode, Vec<Grid>)> {
    let (villages, buildings) = gridmap_synth::small::villages_with(2, 60, 11, 6.4);
    let of = |v: &AdminUnit| -> Vec<&Building> {
        buildings
            .iter()
            .filter(|b| b.village.as_ref() == Some(&v.code))
            .collect()
    };
    let members: Vec<Vec<&Building>> = villages.iter().map(of).collect();
    let inputs: Vec<VillageInput> = villages
        .iter()
        .zip(&members)
        .map(|(village, buildings)| VillageInput {
            village,
            buildings,
            barriers: &[],
            previous: &[],
        })
        .collect();
    let plans: Vec<(DivisionCode, Vec<Grid>)> = partition_all(&inputs, &PartitionParams::default())
        .into_iter()
        .zip(&villages)
        .map(|(p, v)| (v.code.clone(), p.unwrap().grids))
        .collect();
    // The sample must hold what is easy to lose: several grids, split high-rises.
    for (v, grids) in &plans {
        assert!(grids.len() >= 2, "village {v} has {} grids", grids.len());
    }
    assert!(
        plans
            .iter()
            .flat_map(|(_, gs)| gs)
            .flat_map(|g| &g.members)
            .any(|m| m.flats.is_some()),
        "no grid holds part of a building"
    );
    plans
}

fn version(village: &DivisionCode, name: &str, grids: &[Grid]) -> NewPlanVersion {
    NewPlanVersion {
        village: village.clone(),
        name: name.into(),
        grids: grids.to_vec(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn is_rfc3339_utc(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = [0..4, 5..7, 8..10, 11..13, 14..16, 17..19];
    b.len() == 20
        && (b[4], b[7], b[10], b[13], b[16], b[19]) == (b'-', b'-', b'T', b':', b':', b'Z')
        && digits
            .into_iter()
            .all(|r| b[r].iter().all(u8::is_ascii_digit))
}

#[tokio::test]
async fn saved_versions_list_newest_first_and_read_back_equal() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    let (v2, _) = &plans[1];
    // The second version: one grid fewer, one locked with a staff member.
    let mut edited = grids[1..].to_vec();
    edited[0].locked = true;
    edited[0].staff = Some("s1".into());
    edited[0].version += 1;
    for (backend, store, _dir) in stores().await {
        let first = store
            .save_plan_version(&version(v1, "before the 2027 re-zoning", grids), "alice")
            .await
            .unwrap();
        let second = store
            .save_plan_version(&version(v1, "2027 draft", &edited), "bob")
            .await
            .unwrap();
        let households = |gs: &[Grid]| gs.iter().map(|g| u64::from(g.households)).sum::<u64>();
        assert_eq!(
            (first.grids, first.households),
            (grids.len(), households(grids)),
            "{backend}"
        );
        assert_eq!(
            (second.grids, second.households),
            (edited.len(), households(&edited)),
            "{backend}"
        );
        assert_eq!((first.actor.as_str(), &first.village), ("alice", v1));
        assert!(is_rfc3339_utc(&first.created_at), "{}", first.created_at);
        assert!(second.id > first.id, "{backend}");

        let listed = store.plan_versions(v1).await.unwrap();
        assert_eq!(listed, vec![second.clone(), first.clone()], "{backend}");
        assert!(
            store.plan_versions(v2).await.unwrap().is_empty(),
            "{backend}"
        );

        let read = store.plan_version(first.id).await.unwrap().unwrap();
        assert_eq!(read.summary, first, "{backend}");
        // Polygons to the bit, members with their flats, every other field.
        assert!(
            read.grids == *grids,
            "{backend}: the first version's grids differ"
        );
        let read = store.plan_version(second.id).await.unwrap().unwrap();
        assert!(
            read.grids == edited,
            "{backend}: the second version's grids differ"
        );
        assert!(store.plan_version(second.id + 1).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_name_taken_in_the_village_is_refused_and_another_village_may_use_it() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    let (v2, other_grids) = &plans[1];
    for (backend, store, _dir) in stores().await {
        let saved = store
            .save_plan_version(&version(v1, "draft", grids), "alice")
            .await
            .unwrap();
        let err = store
            .save_plan_version(&version(v1, "draft", &grids[..1]), "bob")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::VersionNameTaken { village, name }
                if village == v1.as_str() && name == "draft"),
            "{backend}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!("village {v1} already has a version named \"draft\": choose another name")
        );
        // Nothing written: the list and the stored grids are the first save's.
        assert_eq!(store.plan_versions(v1).await.unwrap(), vec![saved.clone()]);
        let read = store.plan_version(saved.id).await.unwrap().unwrap();
        assert!(
            read.grids == *grids,
            "{backend}: the stored grids are not the first save's"
        );

        let other = store
            .save_plan_version(&version(v2, "draft", other_grids), "bob")
            .await
            .unwrap();
        assert_eq!(store.plan_versions(v2).await.unwrap(), vec![other]);
        assert_eq!(store.plan_versions(v1).await.unwrap(), vec![saved]);
    }
}

#[tokio::test]
async fn blank_or_long_names_and_other_villages_grids_are_refused() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    let (_, other_grids) = &plans[1];
    for (backend, store, _dir) in stores().await {
        let long = "村".repeat(101);
        for name in ["", "   ", long.as_str()] {
            let err = store
                .save_plan_version(&version(v1, name, grids), "alice")
                .await
                .unwrap_err();
            assert!(
                matches!(err, StoreError::Invalid { .. }),
                "{backend} {name:?}: {err}"
            );
        }
        let err = store
            .save_plan_version(&version(v1, "mixed", other_grids), "alice")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { .. }),
            "{backend}: {err}"
        );
        assert!(
            store.plan_versions(v1).await.unwrap().is_empty(),
            "{backend}"
        );
        // A limit in characters, not bytes: 100 Chinese characters are 300 bytes.
        let longest = "村".repeat(100);
        let saved = store
            .save_plan_version(&version(v1, &longest, grids), "alice")
            .await
            .unwrap();
        assert_eq!(saved.name, longest, "{backend}");
    }
}

#[tokio::test]
async fn a_deleted_version_is_gone_and_its_id_is_not_given_again() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    for (backend, store, _dir) in stores().await {
        let kept = store
            .save_plan_version(&version(v1, "kept", grids), "alice")
            .await
            .unwrap();
        let gone = store
            .save_plan_version(&version(v1, "gone", grids), "alice")
            .await
            .unwrap();
        assert!(
            store.delete_plan_version(gone.id, "bob").await.unwrap(),
            "{backend}"
        );
        assert!(
            !store.delete_plan_version(gone.id, "bob").await.unwrap(),
            "{backend}"
        );
        assert!(
            store.plan_version(gone.id).await.unwrap().is_none(),
            "{backend}"
        );
        assert_eq!(store.plan_versions(v1).await.unwrap(), vec![kept.clone()]);
        // The name is free again, under a new id; a plan without grids is a plan.
        let again = store
            .save_plan_version(&version(v1, "gone", &[]), "alice")
            .await
            .unwrap();
        assert!(again.id > gone.id, "{backend}: id {} given again", gone.id);
        let read = store.plan_version(again.id).await.unwrap().unwrap();
        assert_eq!((read.summary.grids, read.summary.households), (0, 0));
        assert!(read.grids.is_empty(), "{backend}");
        let ids: Vec<i64> = store
            .plan_versions(v1)
            .await
            .unwrap()
            .iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(ids, vec![again.id, kept.id], "{backend}");
    }
}

#[tokio::test]
async fn saving_and_deleting_a_version_are_logged_as_changes_without_state() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    for (backend, store, _dir) in stores().await {
        let first = store.last_change().await.unwrap();
        let saved = store
            .save_plan_version(&version(v1, "draft 2", grids), "alice")
            .await
            .unwrap();
        // A refused save logs nothing, nor does deleting a version that is not there.
        store
            .save_plan_version(&version(v1, "draft 2", grids), "alice")
            .await
            .unwrap_err();
        assert!(store.delete_plan_version(saved.id, "bob").await.unwrap());
        assert!(!store.delete_plan_version(saved.id, "bob").await.unwrap());
        let marks = store.changes_since(first).await.unwrap();
        assert_eq!(marks.len(), 2, "{backend}: {marks:?}");
        for mark in &marks {
            assert!(
                mark.versions_only && !mark.incidents_only,
                "{backend}: {mark:?}"
            );
            assert_eq!(mark.bbox, None, "{backend}");
        }
        let recent = store.recent_changes(2).await.unwrap();
        let logged: Vec<(&str, &str)> = recent
            .iter()
            .map(|c| (c.actor.as_str(), c.operation.as_str()))
            .collect();
        let save = format!("save version \"draft 2\" of {v1}");
        let delete = format!("delete version \"draft 2\" of {v1}");
        assert_eq!(
            logged,
            vec![("bob", delete.as_str()), ("alice", save.as_str())],
            "{backend}"
        );
        // No grid or record in either entry: there is nothing to restore.
        let save_entry = store.change(marks[0].id).await.unwrap().unwrap();
        assert!(save_entry.before.grids.is_empty() && save_entry.after.grids.is_empty());
        assert!(save_entry.after.record_keys().is_empty(), "{backend}");
        let summary = &save_entry.after.other.as_ref().unwrap()["plan_version"];
        assert_eq!(summary["id"], saved.id, "{backend}");
        let delete_entry = store.change(marks[1].id).await.unwrap().unwrap();
        assert_eq!(
            delete_entry.before.other.as_ref().unwrap()["plan_version"]["name"],
            "draft 2"
        );
    }
}

#[tokio::test]
async fn a_version_survives_closing_and_reopening_the_sqlite_store() {
    let plans = plans();
    let (v1, grids) = &plans[0];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let path = path.to_str().unwrap();
    let store = gridmap_store::open(path, OpenMode::Create).await.unwrap();
    let saved = store
        .save_plan_version(&version(v1, "before the 2027 re-zoning", grids), "alice")
        .await
        .unwrap();
    store.close().await.unwrap();
    drop(store);

    let store = gridmap_store::open(path, OpenMode::Existing).await.unwrap();
    assert_eq!(store.plan_versions(v1).await.unwrap(), vec![saved.clone()]);
    let read = store.plan_version(saved.id).await.unwrap().unwrap();
    assert_eq!(read.summary, saved);
    assert!(read.grids == *grids, "the reopened store's grids differ");
    store.close().await.unwrap();
}
