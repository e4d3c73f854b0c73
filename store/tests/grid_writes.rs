//! Grid writes that name only the grids they change: both backends refuse one when the
//! village gained a grid the editor did not see, and keep only the changed grids in the
//! change log.

use geo_types::polygon;
use gridmap_core::{DivisionCode, Grid, GridCode, GridMember};
use gridmap_store::{AuditEntry, AuditFilter, ChangeMeta, GridWrite, StoreError};

mod common;
use common::stores;

fn grid(village: &DivisionCode, serial: u16, households: u32) -> Grid {
    let (x, y) = (114.0 + f64::from(serial) * 0.001, 33.0);
    Grid {
        code: GridCode::new(village, serial),
        level: 1,
        parent: None,
        village: village.clone(),
        members: vec![GridMember {
            building: format!("b/{serial}"),
            households,
            flats: None,
        }],
        households,
        polygon: geo_types::MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + 0.001, y: y), (x: x + 0.001, y: y + 0.001), (x: x, y: y + 0.001)
        ]]),
        name: None,
        staff: None,
        locked: false,
        institution: false,
        version: 1,
    }
}

#[tokio::test]
async fn a_write_of_changed_grids_is_refused_when_the_village_gained_a_grid_since() {
    for (name, store, _dir) in stores().await {
        let v: DivisionCode = "411622101201".parse().unwrap();
        let seen = [grid(&v, 1, 40), grid(&v, 2, 35)];
        let put = GridWrite {
            replace_villages: vec![v.clone()],
            upsert: seen.to_vec(),
            ..GridWrite::default()
        };
        store
            .write_grids(&put, &ChangeMeta::new("t", "partition"))
            .await
            .unwrap();
        let edit = |upsert: Vec<Grid>| GridWrite {
            upsert,
            expect_versions: seen.iter().map(|g| (g.code.clone(), g.version)).collect(),
            exact_villages: vec![v.clone()],
            ..GridWrite::default()
        };
        // Only grid 1 changes: the log holds it alone, before and after.
        let renamed = Grid {
            name: Some("东段".into()),
            version: 2,
            ..seen[0].clone()
        };
        let id = store
            .write_grids(&edit(vec![renamed.clone()]), &ChangeMeta::new("t", "edit"))
            .await
            .unwrap();
        let change = store.change(id).await.unwrap().unwrap();
        assert_eq!(change.before.grids, vec![seen[0].clone()], "{name}");
        assert_eq!(change.after.grids, vec![renamed.clone()], "{name}");
        assert_eq!(
            store.grid(&seen[1].code).await.unwrap().as_ref(),
            Some(&seen[1])
        );

        // Someone adds grid 3; an edit made from the two grids seen is refused whole.
        let other = GridWrite {
            upsert: vec![grid(&v, 3, 20)],
            ..GridWrite::default()
        };
        store
            .write_grids(&other, &ChangeMeta::new("u", "new grid"))
            .await
            .unwrap();
        let last = store.last_change().await.unwrap();
        let mut stale = edit(vec![Grid {
            households: 10,
            version: 2,
            ..seen[1].clone()
        }]);
        stale.expect_versions[0].1 = 2;
        let err = store
            .write_grids(&stale, &ChangeMeta::new("t", "edit"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { what, .. } if what.contains("411622101201-003")),
            "{name}: {err}"
        );
        assert_eq!(
            store.grid(&seen[1].code).await.unwrap().as_ref(),
            Some(&seen[1]),
            "{name}"
        );
        assert_eq!(
            store.last_change().await.unwrap(),
            last,
            "{name}: nothing logged"
        );
    }
}

#[tokio::test]
async fn a_write_stores_its_audit_entry_with_it_and_a_refused_one_neither() {
    for (name, store, _dir) in stores().await {
        let v: DivisionCode = "411622101201".parse().unwrap();
        let first = grid(&v, 1, 40);
        let entry = |detail: &str| AuditEntry {
            at: "2026-12-04T08:00:00Z".into(),
            actor: "li".into(),
            action: "write".into(),
            target: first.code.to_string(),
            origin: "10.0.0.9".into(),
            detail: detail.into(),
        };
        let put = GridWrite {
            upsert: vec![first.clone()],
            ..GridWrite::default()
        };
        let meta = ChangeMeta::new("li", "new grid").audited(entry("new grid"));
        let id = store.write_grids(&put, &meta).await.unwrap();
        let all = AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        };
        let log = store.audit(&all).await.unwrap();
        assert_eq!(log.len(), 1, "{name}");
        assert_eq!(
            log[0].entry,
            entry(&format!("change {id}: new grid")),
            "{name}"
        );
        // A write refused for a stale version stores no change and no audit entry.
        let stale = GridWrite {
            upsert: vec![Grid {
                locked: true,
                version: 2,
                ..first.clone()
            }],
            expect_versions: vec![(first.code.clone(), 7)],
            ..GridWrite::default()
        };
        let meta = ChangeMeta::new("li", "lock").audited(entry("lock"));
        let refused = store.write_grids(&stale, &meta).await;
        assert!(refused.is_err(), "{name}");
        assert_eq!(store.audit(&all).await.unwrap().len(), 1, "{name}");
        assert_eq!(store.last_change().await.unwrap(), id, "{name}");
    }
}
