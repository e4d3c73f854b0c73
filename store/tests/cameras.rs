//! Cameras: every backend stores them exactly, applies a write as one logged change,
//! refuses bad cameras and stale expectations, and the undo write restores the list.

use gridmap_core::{Camera, CameraStatus};
use gridmap_store::{camera_undo, CameraWrite, ChangeMeta, StoreError};

mod common;
use common::stores;

fn camera(id: &str, lon: f64, direction: Option<f64>, range: f64) -> Camera {
    Camera {
        id: id.into(),
        name: format!("点位 {id}"),
        position: geo_types::Point::new(lon, 33.812_345_678_9),
        direction,
        fov: if direction.is_some() { 75.5 } else { 360.0 },
        range,
        status: CameraStatus::Online,
    }
}

fn add(cameras: Vec<Camera>, replace_all: bool) -> CameraWrite {
    CameraWrite {
        upsert: cameras,
        replace_all,
        ..CameraWrite::default()
    }
}

#[tokio::test]
async fn camera_writes_are_exact_logged_and_undone_on_every_backend() {
    for (name, store, _keep) in stores().await {
        let meta = ChangeMeta::new("cli", "import cameras");
        let first = vec![
            camera("C2", 114.600_000_1, Some(359.5), 80.0),
            camera("C1", 114.61, None, 40.0),
        ];
        let s = store
            .write_cameras(&add(first.clone(), false), &meta)
            .await
            .unwrap();
        assert_eq!((s.inserted, s.updated, s.removed), (2, 0, 0), "{name}");
        assert!(s.change > 0, "{name}");
        let stored = store.cameras().await.unwrap();
        assert_eq!(
            stored,
            vec![first[1].clone(), first[0].clone()],
            "{name}: by id, exact"
        );

        // The same list again changes nothing and logs nothing.
        let last = store.last_change().await.unwrap();
        let again = store
            .write_cameras(&add(first.clone(), false), &meta)
            .await
            .unwrap();
        assert_eq!((again.unchanged, again.change), (2, 0), "{name}");
        assert_eq!(store.last_change().await.unwrap(), last, "{name}");

        // The whole list: C1 changes, C3 is new, C2 goes.
        let mut moved = first[1].clone();
        moved.status = CameraStatus::Fault;
        let whole = vec![moved.clone(), camera("C3", 114.62, Some(10.0), 100.0)];
        let s = store
            .write_cameras(&add(whole.clone(), true), &meta)
            .await
            .unwrap();
        assert_eq!((s.inserted, s.updated, s.removed), (1, 1, 1), "{name}");
        assert_eq!(store.cameras().await.unwrap(), whole, "{name}");
        let change = store.change(s.change).await.unwrap().expect("logged");
        assert!(
            change.bbox.is_some(),
            "{name}: the change has the cameras' area"
        );
        let mut before_ids: Vec<&str> = change
            .before
            .cameras
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        before_ids.sort_unstable();
        assert_eq!(before_ids, ["C1", "C2"], "{name}");

        // Undo brings the first list back, once.
        let undo = camera_undo(&change.before, &change.after);
        store.write_cameras(&undo, &meta).await.unwrap();
        assert_eq!(
            store.cameras().await.unwrap(),
            vec![first[1].clone(), first[0].clone()],
            "{name}"
        );
        let twice = store.write_cameras(&undo, &meta).await;
        assert!(
            matches!(twice, Err(StoreError::Changed { .. })),
            "{name}: {twice:?}"
        );

        // Bad cameras and duplicate ids are refused whole.
        let bad = vec![
            camera("C9", 114.6, None, 10.0),
            camera("C8", 114.6, None, 5_000.0),
        ];
        let refused = store.write_cameras(&add(bad, false), &meta).await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid { what, .. }) if what.contains("C8")),
            "{name}: {refused:?}"
        );
        let twice = vec![
            camera("C9", 114.6, None, 10.0),
            camera("C9", 114.7, None, 10.0),
        ];
        let refused = store.write_cameras(&add(twice, false), &meta).await;
        assert!(
            matches!(refused, Err(StoreError::Invalid { .. })),
            "{name}: {refused:?}"
        );
        assert_eq!(
            store.cameras().await.unwrap().len(),
            2,
            "{name}: nothing written"
        );
    }
}
