//! What goes into and comes out of the store: import batches, summaries, statistics.

use crate::change::RecordKeys;
use gridmap_core::{AdminUnit, Barrier, Building, Household, HouseholdCount, Incident, Staff};
use serde::Serialize;
use std::collections::HashMap;

/// Everything one import writes, in one transaction. Empty vectors are skipped.
#[derive(Debug, Default, Clone)]
pub struct ImportBatch {
    pub admin_units: Vec<AdminUnit>,
    pub buildings: Vec<Building>,
    pub barriers: Vec<Barrier>,
    pub households: Vec<Household>,
    pub staff: Vec<Staff>,
    pub incidents: Vec<Incident>,
    /// `(stored id, incoming id)`: stored buildings that incoming ones replace (the same
    /// footprint under another id). The stored buildings are deleted in the import's
    /// transaction and their register rows move to the incoming building.
    pub replace_buildings: Vec<(String, String)>,
}

impl ImportBatch {
    /// How many of the batch's register rows name each building. A database store writes
    /// the batch's buildings with these counts, so a first import of buildings and register
    /// together rewrites no building row when it counts the register afterwards (rows
    /// stored before are added by that count).
    pub fn registered_counts(&self) -> HashMap<&str, u32> {
        let mut counts = HashMap::new();
        for building in self.households.iter().filter_map(|h| h.building.as_deref()) {
            *counts.entry(building).or_default() += 1;
        }
        counts
    }

    /// `building`'s household count as [`Self::registered_counts`] gives it, else its own.
    pub fn household_count_of(
        registered: &HashMap<&str, u32>,
        building: &Building,
    ) -> HouseholdCount {
        registered
            .get(building.source_id.as_str())
            .map_or(building.households, |n| HouseholdCount::registered(*n))
    }

    /// The area of the boundaries and footprints in the batch.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        gridmap_core::geometry::union_bbox(
            self.admin_units
                .iter()
                .map(|u| &u.boundary)
                .chain(self.buildings.iter().map(|b| &b.footprint))
                .filter_map(gridmap_core::geometry::bbox_array),
        )
    }

    /// The keys of the records the batch brings (incidents aside).
    pub fn keys(&self) -> RecordKeys {
        RecordKeys::of(
            &self.admin_units,
            &self.buildings,
            &self.barriers,
            &self.households,
            &self.staff,
        )
    }
}

/// Rows inserted and updated for one kind of record.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, other: UpsertCounts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
    }
}

/// What an import changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub admin_units: UpsertCounts,
    pub buildings: UpsertCounts,
    pub barriers: UpsertCounts,
    pub households: UpsertCounts,
    pub staff: UpsertCounts,
    pub incidents: UpsertCounts,
    /// Buildings whose household count now comes from the register.
    pub buildings_with_registered_households: u64,
    /// The id of the import's change in the change log (what undo takes). Not one of
    /// the counts: not kept in the log's copy of the summary.
    #[serde(skip)]
    pub change: i64,
}

/// Counts per layer and level.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub counties: u64,
    pub townships: u64,
    pub villages: u64,
    pub buildings: u64,
    pub buildings_residential: u64,
    pub buildings_institution: u64,
    pub households_in_buildings: u64,
    pub households_estimated: u64,
    pub register_rows: u64,
    pub grids: u64,
    pub grids_locked: u64,
    pub staff: u64,
    pub incidents: u64,
    pub barriers: u64,
}
