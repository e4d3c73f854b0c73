//! Writing what the importers read: one transaction per file, logged as one change.

use crate::{Caller, ServiceResult};
use geo::Contains;
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Building, Household};
use gridmap_store::{ChangeMeta, ImportBatch, ImportSummary, Store};

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

/// Register rows with coordinates but no building are tied to the stored footprints,
/// then the batch is written in one transaction. Returns the summary and how many
/// register rows lie in no building.
pub async fn import(
    store: &dyn Store,
    caller: &Caller,
    source: &str,
    mut batch: ImportBatch,
) -> ServiceResult<(ImportSummary, usize)> {
    caller.may_write()?;
    let mut unmatched = 0;
    if batch.households.iter().any(|h| h.building.is_none()) {
        unmatched = attach_households(store.buildings().await?, &mut batch.households);
    }
    let meta = ChangeMeta::new(caller.actor(), format!("import {source}"));
    let summary = store.import(&batch, &meta).await?;
    Ok((summary, unmatched))
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
