//! Named versions of a village's plan: a copy of its grids saved under a name, so a
//! planner can compare two plans and go back to one (issue #11). The store keeps the
//! copies; comparing and restoring are the service's.

use crate::change::{ChangeMeta, ChangeRecords, VERSION_DELETE_OPERATION, VERSION_SAVE_OPERATION};
use crate::decode::invalid;
use crate::error::{StoreError, StoreResult};
use crate::wkb;
use geo_types::{Geometry, MultiPolygon};
use gridmap_core::time::rfc3339;
use gridmap_core::{DivisionCode, Grid};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest version name, in characters: a name is a label in a list, not a note.
pub const MAX_VERSION_NAME: usize = 100;

/// A plan to save: the village's grids as they are, under a name unique in the village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPlanVersion {
    pub village: DivisionCode,
    /// 1 to [`MAX_VERSION_NAME`] characters, not all blank.
    pub name: String,
    /// Every grid of `village`, stored exactly as given (versions included).
    pub grids: Vec<Grid>,
}

/// A saved version without its grids, for lists (cheap: the grids are not read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersionSummary {
    /// Never reused, so an id a client still holds cannot name a later version.
    pub id: i64,
    pub village: DivisionCode,
    pub name: String,
    /// When it was saved, RFC 3339 UTC to the second (`2026-04-01T07:33:20Z`).
    pub created_at: String,
    /// Who saved it.
    pub actor: String,
    /// How many grids it holds.
    pub grids: usize,
    /// Households in its grids.
    pub households: u64,
}

/// A saved version with its grids, as they were saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanVersion {
    pub summary: PlanVersionSummary,
    pub grids: Vec<Grid>,
}

impl NewPlanVersion {
    /// Refuses what no backend should store: a blank or too long name, or a grid of
    /// another village (its plan would restore grids into the wrong village).
    pub(crate) fn check(&self) -> StoreResult<()> {
        let invalid = |reason: String| StoreError::Invalid {
            what: format!("version name {:?}", self.name),
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("give the version a name".into()));
        }
        let length = self.name.chars().count();
        if length > MAX_VERSION_NAME {
            return Err(invalid(format!(
                "it has {length} characters: use at most {MAX_VERSION_NAME}"
            )));
        }
        if let Some(g) = self.grids.iter().find(|g| g.village != self.village) {
            return Err(StoreError::Invalid {
                what: format!("grid {}", g.code),
                reason: format!(
                    "it belongs to village {}, not {}: save each village's grids on their own",
                    g.village, self.village
                ),
            });
        }
        Ok(())
    }

    /// The summary of this version once stored with `id`, at `created_at`, by `actor`.
    pub(crate) fn summary(&self, id: i64, created_at: String, actor: &str) -> PlanVersionSummary {
        PlanVersionSummary {
            id,
            village: self.village.clone(),
            name: self.name.clone(),
            created_at,
            actor: actor.to_owned(),
            grids: self.grids.len(),
            households: self.grids.iter().map(|g| u64::from(g.households)).sum(),
        }
    }
}

/// Whether a log entry records a version saved or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionEvent {
    Saved,
    Deleted,
}

impl PlanVersionSummary {
    /// The change-log entry of `event` by `actor`: `save version "draft 2" of
    /// 411622103214`, with the summary as the after-state of a save and the
    /// before-state of a deletion (no grids: there is nothing to restore).
    pub(crate) fn log_entry(
        &self,
        event: VersionEvent,
        actor: &str,
    ) -> (ChangeMeta, ChangeRecords, ChangeRecords) {
        let prefix = match event {
            VersionEvent::Saved => VERSION_SAVE_OPERATION,
            VersionEvent::Deleted => VERSION_DELETE_OPERATION,
        };
        let meta = ChangeMeta::new(
            actor,
            format!("{prefix}{:?} of {}", self.name, self.village),
        );
        let records = ChangeRecords {
            other: Some(serde_json::json!({ "plan_version": self })),
            ..ChangeRecords::default()
        };
        match event {
            VersionEvent::Saved => (meta, ChangeRecords::default(), records),
            VersionEvent::Deleted => (meta, records, ChangeRecords::default()),
        }
    }
}

/// The refusal of a name already used in the village.
pub(crate) fn name_taken(version: &NewPlanVersion) -> StoreError {
    StoreError::VersionNameTaken {
        village: version.village.to_string(),
        name: version.name.clone(),
    }
}

/// Now, RFC 3339 UTC to the second: the time a version is saved, the same on every
/// backend.
pub(crate) fn now_rfc3339() -> String {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    rfc3339(unix)
}

// The stored grids of a version: every grid in turn as two parts, each a little-endian
// `u32` length and its bytes: the grid's fields as JSON with an empty polygon, then its
// polygon as WKB, as the grids table keeps members (JSON) and polygons (WKB). WKB keeps
// each coordinate as its 8 bytes, so polygons come back exactly and take about a third of
// their JSON; the JSON carries every other field of [`Grid`], so a field added there is
// kept too.

/// Appends one length-prefixed part.
fn push_part(out: &mut Vec<u8>, part: &[u8], what: &str) -> StoreResult<()> {
    let length = u32::try_from(part.len()).map_err(|e| invalid(what, e))?;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(part);
    Ok(())
}

/// Takes one length-prefixed part off the front of `rest`.
fn take_part<'a>(rest: &mut &'a [u8], what: &str) -> StoreResult<&'a [u8]> {
    let cut = |rest: &'a [u8], at: usize| {
        rest.split_at_checked(at)
            .ok_or_else(|| invalid(what, "the stored grids end in the middle of a grid"))
    };
    let (length, after) = cut(rest, 4)?;
    let length = u32::from_le_bytes(length.try_into().expect("four bytes"));
    let (part, after) = cut(after, length as usize)?;
    *rest = after;
    Ok(part)
}

pub(crate) fn encode_grids(grids: &[Grid]) -> StoreResult<Vec<u8>> {
    let mut out = Vec::new();
    for g in grids {
        let what = format!("grid {} of a plan version", g.code);
        let fields = Grid {
            polygon: MultiPolygon(Vec::new()),
            ..g.clone()
        };
        let fields = serde_json::to_vec(&fields).map_err(|e| invalid(&what, e))?;
        let polygon = wkb::encode(Geometry::MultiPolygon(g.polygon.clone()), &what)?;
        push_part(&mut out, &fields, &what)?;
        push_part(&mut out, &polygon, &what)?;
    }
    Ok(out)
}

pub(crate) fn decode_grids(mut rest: &[u8], what: &str) -> StoreResult<Vec<Grid>> {
    let mut grids = Vec::new();
    while !rest.is_empty() {
        let fields = take_part(&mut rest, what)?;
        let polygon = take_part(&mut rest, what)?;
        let mut grid: Grid = serde_json::from_slice(fields).map_err(|e| invalid(what, e))?;
        grid.polygon = wkb::decode_multipolygon(polygon, &format!("{what}, grid {}", grid.code))?;
        grids.push(grid);
    }
    Ok(grids)
}

#[cfg(test)]
mod tests {
    use super::{decode_grids, encode_grids, rfc3339};
    use geo_types::polygon;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(1_775_028_800), "2026-04-01T07:33:20Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn a_cut_blob_is_an_error_not_fewer_grids() {
        let grid = gridmap_core::Grid {
            code: "411622101201-001".parse().unwrap(),
            level: 1,
            parent: None,
            village: "411622101201".parse().unwrap(),
            members: vec![],
            households: 0,
            polygon: geo_types::MultiPolygon(vec![polygon![
                (x: 114.0, y: 33.0), (x: 114.1, y: 33.0), (x: 114.0, y: 33.1)
            ]]),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        };
        let blob = encode_grids(&[grid.clone(), grid.clone()]).unwrap();
        assert_eq!(decode_grids(&blob, "v").unwrap(), vec![grid.clone(), grid]);
        // Half the blob is the first grid whole: a cut after it is in the second's prefix.
        for cut in [1, 4, 7, blob.len() / 2 + 3, blob.len() - 1] {
            assert!(decode_grids(&blob[..cut], "v").is_err(), "cut at {cut}");
        }
    }
}
