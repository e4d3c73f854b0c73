//! Writing what the importers read: one transaction per file, logged as one change.

use crate::{Caller, ServiceError, ServiceResult};
use geo::Contains;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Building, Household};
use gridmap_importers::coincide::{
    coinciding_footprints, mostly_coinciding, FOOTPRINT_TOLERANCE_DEG,
};
use gridmap_store::{ImportBatch, ImportSummary, RecordKeys, Store};
use std::collections::{BTreeSet, HashSet};

/// What an import may do beyond upserting by source id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Incoming buildings replace the stored buildings with the same footprint under
    /// another id (their register rows move along).
    pub replace: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub summary: ImportSummary,
    /// Register rows that lie in no building footprint (kept, in no grid).
    pub unmatched_households: usize,
    /// Incoming buildings with the same footprint as a stored one under another id,
    /// stored beside it (without `replace`) or replacing it (with `replace`).
    pub coinciding: usize,
    pub replaced: usize,
    /// Register rows naming a building that is neither stored nor imported with them:
    /// kept, but in no grid until that building is imported.
    pub unknown_buildings: UnknownBuildings,
}

/// Register rows that name a building the store does not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownBuildings {
    /// How many rows.
    pub rows: usize,
    /// The household ids of the first few, in file order (ids only: the rows hold
    /// personal data).
    pub first: Vec<String>,
}

/// How many household ids [`UnknownBuildings::first`] holds.
const UNKNOWN_BUILDING_EXAMPLES: usize = 5;

/// The register rows of `batch` whose building is neither in the batch nor in the store.
async fn unknown_buildings(
    store: &dyn Store,
    batch: &ImportBatch,
) -> ServiceResult<UnknownBuildings> {
    if batch.households.iter().all(|h| h.building.is_none()) {
        return Ok(UnknownBuildings::default());
    }
    let incoming: HashSet<&str> = batch
        .buildings
        .iter()
        .map(|b| b.source_id.as_str())
        .collect();
    let named: BTreeSet<String> = batch
        .households
        .iter()
        .filter_map(|h| h.building.as_deref())
        .filter(|b| !incoming.contains(b))
        .map(str::to_owned)
        .collect();
    if named.is_empty() {
        return Ok(UnknownBuildings::default());
    }
    let keys = RecordKeys {
        buildings: named,
        ..RecordKeys::default()
    };
    let stored = store.rows(&keys).await?.buildings;
    let known: HashSet<&str> = stored.iter().map(|b| b.source_id.as_str()).collect();
    let mut unknown = UnknownBuildings::default();
    for h in &batch.households {
        let Some(building) = h.building.as_deref() else {
            continue;
        };
        if incoming.contains(building) || known.contains(building) {
            continue;
        }
        unknown.rows += 1;
        if unknown.first.len() < UNKNOWN_BUILDING_EXAMPLES {
            unknown.first.push(h.id.clone());
        }
    }
    Ok(unknown)
}

/// Gives register rows that carry coordinates but no building reference the building
/// whose footprint contains the point (R-tree over footprints, then an exact test).
/// Returns how many rows stay without a building.
pub fn attach_households(buildings: Vec<Building>, households: &mut [Household]) -> usize {
    if households
        .iter()
        .all(|h| h.building.is_some() || h.location.is_none())
    {
        return households.iter().filter(|h| h.building.is_none()).count();
    }
    let index = CountySnapshot::new(Vec::new(), buildings, Vec::new(), Vec::new());
    let mut unmatched = 0;
    for h in households.iter_mut().filter(|h| h.building.is_none()) {
        let Some(p) = h.location else {
            unmatched += 1;
            continue;
        };
        let found = index
            .buildings_in(geo_types::Rect::new(p.0, p.0))
            .filter_map(|i| index.buildings.get(i))
            .filter(|b| b.footprint.contains(&p))
            .map(|b| b.source_id.clone())
            .min();
        match found {
            Some(id) => h.building = Some(id),
            None => unmatched += 1,
        }
    }
    unmatched
}

/// Imports a synthetic county into `store` as the operator and partitions every village
/// with the default sizes: the county tests and examples start from, in one call.
pub async fn import_partitioned_synthetic(
    store: &dyn Store,
    county: gridmap_synth::SynthCounty,
) -> ServiceResult<()> {
    let batch = synthetic_batch(county);
    import(
        store,
        &Caller::Operator,
        "synth",
        batch,
        ImportOptions::default(),
    )
    .await?;
    crate::partition::partition(
        store,
        &Caller::Operator,
        &crate::Scope::All,
        &crate::partition::SizeRequest::default(),
        true,
    )
    .await?;
    Ok(())
}

/// Everything a synthetic county holds, as one import (for `gridmap synth`, the demo,
/// benchmarks and tests).
pub fn synthetic_batch(county: gridmap_synth::SynthCounty) -> ImportBatch {
    ImportBatch {
        admin_units: county.admin_units,
        buildings: county.buildings,
        barriers: county.barriers,
        households: county.households,
        staff: county.staff,
        incidents: county.incidents,
        ..ImportBatch::default()
    }
}

/// Pairs `(stored id, incoming id)` of stored buildings that incoming ones coincide with
/// (same footprint under another id, see [`coinciding_footprints`]). When most incoming
/// buildings coincide and `replace` is off, the import would store every building twice
/// (a file re-exported without stable ids, or renamed when its ids are `<file>#<index>`):
/// it is refused.
async fn coinciding_buildings(
    store: &dyn Store,
    source: &str,
    incoming: &[Building],
    replace: bool,
) -> ServiceResult<Vec<(String, String)>> {
    if incoming.is_empty() {
        return Ok(Vec::new());
    }
    let stored = store.buildings().await?;
    let pairs = coinciding_footprints(incoming, &stored, FOOTPRINT_TOLERANCE_DEG);
    if let Some(first) = pairs.first() {
        if !replace && mostly_coinciding(pairs.len(), incoming.len()) {
            return Err(ServiceError::Conflict(format!(
                "{source}: {} of {} buildings have the same footprint as stored buildings under other ids \
                 (e.g. {:?} is stored as {:?}), so importing would store them twice; nothing imported. \
                 Name the property that holds a stable id with --id-field NAME, \
                 or pass --replace to let these buildings replace the stored ones",
                pairs.len(),
                incoming.len(),
                incoming[first.incoming].source_id,
                stored[first.stored].source_id,
            )));
        }
    }
    Ok(pairs
        .iter()
        .map(|c| {
            (
                stored[c.stored].source_id.clone(),
                incoming[c.incoming].source_id.clone(),
            )
        })
        .collect())
}

/// Writes what a file brought in one transaction: register rows with coordinates but no
/// building are tied to the stored footprints; buildings that coincide with stored ones
/// under other ids are refused, stored beside them, or replace them (see
/// [`ImportOptions::replace`]).
pub async fn import(
    store: &dyn Store,
    caller: &Caller,
    source: &str,
    mut batch: ImportBatch,
    options: ImportOptions,
) -> ServiceResult<ImportOutcome> {
    caller.must_own_store("an import")?;
    let mut outcome = ImportOutcome::default();
    if batch.households.iter().any(|h| h.building.is_none()) {
        outcome.unmatched_households =
            attach_households(store.buildings().await?, &mut batch.households);
    }
    outcome.unknown_buildings = unknown_buildings(store, &batch).await?;
    let pairs = coinciding_buildings(store, source, &batch.buildings, options.replace).await?;
    outcome.coinciding = pairs.len();
    if options.replace {
        outcome.replaced = pairs.len();
        batch.replace_buildings = pairs;
    }
    let meta = crate::access::audited_change(caller, source, format!("import {source}"));
    outcome.summary = store.import(&batch, &meta).await?;
    // A county's batch is a million allocations: freed beside the answer, not before it.
    std::thread::spawn(move || drop(batch));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon, Point};
    use gridmap_core::{BuildingUse, HouseholdCount};

    fn household(id: &str, at: Option<(f64, f64)>, building: Option<&str>) -> Household {
        Household {
            id: id.into(),
            building: building.map(str::to_owned),
            location: at.map(|(x, y)| Point::new(x, y)),
            entrance: None,
            floor: None,
            unit: None,
            address: None,
            head: None,
            phone: None,
            members: None,
            tags: vec![],
        }
    }

    #[test]
    fn register_rows_with_coordinates_find_the_building_they_stand_in() {
        let b = Building {
            source_id: "b/1".into(),
            footprint: MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
            ]),
            building_use: BuildingUse::Residential,
            levels: None,
            height: None,
            households: HouseholdCount::registered(0),
            address: None,
            village: None,
        };
        let mut rows = vec![
            household("inside", Some((0.5, 0.5)), None),
            household("outside", Some((5.0, 5.0)), None),
            household("named", Some((5.0, 5.0)), Some("b/9")),
        ];
        let unmatched = attach_households(vec![b], &mut rows);
        assert_eq!(rows[0].building.as_deref(), Some("b/1"));
        assert_eq!(rows[1].building, None);
        assert_eq!(
            rows[2].building.as_deref(),
            Some("b/9"),
            "an explicit reference wins"
        );
        assert_eq!(unmatched, 1);
    }
}
