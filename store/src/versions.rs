//! Named versions of a village's plan: a copy of its grids saved under a name, so a
//! planner can compare two plans and go back to one (issue #11). The store keeps the
//! copies; comparing and restoring are the service's.

use crate::change::{ChangeMeta, ChangeRecords, VERSION_DELETE_OPERATION, VERSION_SAVE_OPERATION};
use crate::error::{StoreError, StoreResult};
use gridmap_core::time::format_utc;
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

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds.
fn rfc3339(unix: i64) -> String {
    format!("{}Z", format_utc(unix).replacen(' ', "T", 1))
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(1_775_028_800), "2026-04-01T07:33:20Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
