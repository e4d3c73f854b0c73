//! Camera writes: what a write changes, decided once for every backend.

use crate::change::ChangeRecords;
use crate::error::{StoreError, StoreResult};
use gridmap_core::Camera;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// One write of the camera list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraWrite {
    /// Cameras inserted, or replaced when their id is stored.
    pub upsert: Vec<Camera>,
    /// Ids removed (an unknown id is ignored).
    pub remove: Vec<String>,
    /// Whether every stored camera that `upsert` does not name goes too (the file is
    /// the whole list).
    pub replace_all: bool,
    /// What the write expects to find, checked in its transaction: each id stored as
    /// this camera, or absent for `None` ([`StoreError::Changed`] otherwise). An undo
    /// sends what the undone change left.
    pub expect: Vec<(String, Option<Camera>)>,
}

/// What a camera write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CameraWriteSummary {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// The change logged for it (0 when nothing changed and nothing was logged).
    pub change: i64,
}

/// A write worked out against the stored cameras: the rows to put and to delete, and
/// the change-log records of it.
pub(crate) struct CameraPlan {
    pub(crate) put: Vec<Camera>,
    pub(crate) delete: Vec<String>,
    pub(crate) before: ChangeRecords,
    pub(crate) after: ChangeRecords,
    pub(crate) bbox: Option<[f64; 4]>,
    pub(crate) summary: CameraWriteSummary,
}

impl CameraPlan {
    /// Whether the write changes nothing (it is then not logged).
    pub(crate) fn is_empty(&self) -> bool {
        self.put.is_empty() && self.delete.is_empty()
    }
}

/// Checks `write` and works out what it does to `stored` (every stored camera).
pub(crate) fn plan(stored: Vec<Camera>, write: &CameraWrite) -> StoreResult<CameraPlan> {
    for c in &write.upsert {
        c.check().map_err(|reason| StoreError::Invalid {
            what: format!("camera {}", c.id),
            reason,
        })?;
    }
    let mut seen = BTreeSet::new();
    if let Some(twice) = write.upsert.iter().find(|c| !seen.insert(c.id.as_str())) {
        return Err(StoreError::Invalid {
            what: format!("camera {}", twice.id),
            reason: "the id appears twice in one write".into(),
        });
    }
    let stored: HashMap<String, Camera> = stored.into_iter().map(|c| (c.id.clone(), c)).collect();
    for (id, expected) in &write.expect {
        if stored.get(id) != expected.as_ref() {
            return Err(StoreError::Changed {
                what: format!("camera {id}"),
            });
        }
    }
    let mut summary = CameraWriteSummary::default();
    let mut before = Vec::new();
    let mut put = Vec::new();
    for c in &write.upsert {
        match stored.get(&c.id) {
            None => summary.inserted += 1,
            Some(old) if old == c => {
                summary.unchanged += 1;
                continue;
            }
            Some(old) => {
                summary.updated += 1;
                before.push(old.clone());
            }
        }
        put.push(c.clone());
    }
    let mut delete: BTreeSet<&str> = write
        .remove
        .iter()
        .map(String::as_str)
        .filter(|id| stored.contains_key(*id) && !seen.contains(id))
        .collect();
    if write.replace_all {
        delete.extend(
            stored
                .keys()
                .map(String::as_str)
                .filter(|id| !seen.contains(id)),
        );
    }
    before.extend(delete.iter().map(|id| stored[*id].clone()));
    summary.removed = delete.len() as u64;
    let bbox = gridmap_core::geometry::union_bbox(before.iter().chain(&put).map(|c| {
        [
            c.position.x(),
            c.position.y(),
            c.position.x(),
            c.position.y(),
        ]
    }));
    Ok(CameraPlan {
        delete: delete.into_iter().map(str::to_owned).collect(),
        before: ChangeRecords {
            cameras: before,
            ..ChangeRecords::default()
        },
        after: ChangeRecords {
            cameras: put.clone(),
            ..ChangeRecords::default()
        },
        put,
        bbox,
        summary,
    })
}

/// The write that undoes a camera change whose records are `before` and `after`:
/// the cameras it replaced or removed come back, the ones it added go, if everything it
/// wrote is still as it wrote it.
///
/// ```
/// use gridmap_core::{Camera, CameraStatus};
/// use gridmap_store::{camera_undo, ChangeRecords};
/// let cam = |id: &str, range| Camera {
///     id: id.into(), name: id.into(), position: geo_types::Point::new(114.6, 33.8),
///     direction: None, fov: 360.0, range, status: CameraStatus::Online,
/// };
/// let before = ChangeRecords { cameras: vec![cam("C1", 30.0)], ..Default::default() };
/// let after = ChangeRecords { cameras: vec![cam("C1", 60.0), cam("C2", 40.0)], ..Default::default() };
/// let undo = camera_undo(&before, &after);
/// assert_eq!(undo.upsert, vec![cam("C1", 30.0)]);
/// assert_eq!(undo.remove, vec!["C2".to_string()]);
/// assert_eq!(undo.expect.len(), 2);
/// ```
pub fn camera_undo(before: &ChangeRecords, after: &ChangeRecords) -> CameraWrite {
    let restored: BTreeSet<&str> = before.cameras.iter().map(|c| c.id.as_str()).collect();
    let mut expect: Vec<(String, Option<Camera>)> = after
        .cameras
        .iter()
        .map(|c| (c.id.clone(), Some(c.clone())))
        .collect();
    let written: BTreeSet<&str> = after.cameras.iter().map(|c| c.id.as_str()).collect();
    // Removed by the change: must still be absent.
    expect.extend(
        restored
            .iter()
            .filter(|id| !written.contains(*id))
            .map(|id| ((*id).to_owned(), None)),
    );
    CameraWrite {
        upsert: before.cameras.clone(),
        remove: written
            .iter()
            .filter(|id| !restored.contains(*id))
            .map(|id| (*id).to_owned())
            .collect(),
        replace_all: false,
        expect,
    }
}

/// Whether a change's records are a camera write's.
pub fn is_camera_change(before: &ChangeRecords, after: &ChangeRecords) -> bool {
    !before.cameras.is_empty() || !after.cameras.is_empty()
}

/// A camera row as both SQL backends select it ([`CAMERA_COLUMNS`]).
pub(crate) type CameraRow = (String, String, f64, f64, Option<f64>, f64, f64, String);

/// The camera of a stored row.
pub(crate) fn camera_from_row(row: CameraRow) -> StoreResult<Camera> {
    let (id, name, lon, lat, direction, fov, range, status) = row;
    let status = status
        .parse()
        .map_err(|e| crate::decode::invalid(format!("camera {id}"), e))?;
    Ok(Camera {
        id,
        name,
        position: geo_types::Point::new(lon, lat),
        direction,
        fov,
        range,
        status,
    })
}
