//! The steps between importing and serving, each reading and writing through the store:
//! tie buildings to villages, partition villages into grids, give grids their staff.

use anyhow::Context;
use geo::BoundingRect;
use gridmap_core::assign::{assign_staff, village_of_buildings};
use gridmap_core::partition::{
    partition_all, PartitionParams, QualityReport, VillageInput, VillagePartition,
};
use gridmap_core::{AdminLevel, Barrier, Building, DivisionCode, Grid};
use gridmap_store::{GridChange, Store};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Which villages a partition run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Township(DivisionCode),
    Village(DivisionCode),
}

impl Scope {
    fn covers(&self, village: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Township(t) | Scope::Village(t) => t.contains(village),
        }
    }
}

/// Sets `Building.village` of the buildings (in memory) from the village boundaries and
/// saves the changed assignments in one transaction; returns how many lie in no village.
async fn assign_villages_to(
    store: &Store,
    units: &[gridmap_core::AdminUnit],
    buildings: &mut [Building],
) -> anyhow::Result<usize> {
    let found = village_of_buildings(units, buildings);
    let outside = found.iter().filter(|v| v.is_none()).count();
    let mut changes: Vec<(String, Option<DivisionCode>)> = Vec::new();
    for (b, v) in buildings.iter_mut().zip(found) {
        if b.village != v {
            changes.push((b.source_id.clone(), v.clone()));
            b.village = v;
        }
    }
    store
        .set_building_villages(&changes)
        .await
        .context("saving the village of each building")?;
    Ok(outside)
}

/// Gives register rows that carry coordinates but no building reference the building
/// whose footprint contains the point (R-tree over footprints, then an exact test).
/// Returns how many rows stay without a building.
pub fn attach_households(
    buildings: Vec<Building>,
    households: &mut [gridmap_core::Household],
) -> usize {
    use geo::Contains;
    if households
        .iter()
        .all(|h| h.building.is_some() || h.location.is_none())
    {
        return households.iter().filter(|h| h.building.is_none()).count();
    }
    let index =
        gridmap_core::snapshot::CountySnapshot::new(Vec::new(), buildings, Vec::new(), Vec::new());
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

/// What a partition run did.
pub struct PartitionOutcome {
    pub report: QualityReport,
    pub failures: Vec<(DivisionCode, String)>,
    pub flags: Vec<String>,
    pub villages: usize,
    /// Buildings that lie in no village (and so in no grid).
    pub outside_villages: usize,
}

/// Partitions the villages in `scope`, starting from their previous grids unless
/// `fresh`, assigns staff and stores the grids village by village in one transaction.
pub async fn partition(
    store: &Store,
    scope: &Scope,
    params: &PartitionParams,
    fresh: bool,
) -> anyhow::Result<PartitionOutcome> {
    let started = Instant::now();
    let units = store.admin_units().await?;
    let villages: Vec<_> = units
        .iter()
        .filter(|u| u.level == AdminLevel::Village && scope.covers(&u.code))
        .collect();
    if villages.is_empty() {
        anyhow::bail!("no village matches {scope:?}: import village boundaries first (gridmap import villages|osm, or gridmap synth)");
    }
    // Buildings are tied to villages here, on the copy the partitioner uses: one read.
    let mut buildings = store.buildings().await?;
    let outside_villages = assign_villages_to(store, &units, &mut buildings).await?;
    let barriers = store.barriers().await?;
    let old_grids = store.grids().await?;

    let mut by_village: HashMap<&DivisionCode, Vec<&Building>> = HashMap::new();
    for b in &buildings {
        if let Some(v) = &b.village {
            by_village.entry(v).or_default().push(b);
        }
    }
    let mut previous: HashMap<DivisionCode, Vec<Grid>> = HashMap::new();
    for g in &old_grids {
        if fresh && !g.locked {
            continue;
        }
        previous
            .entry(g.village.clone())
            .or_default()
            .push(g.clone());
    }
    let barrier_tree = BarrierIndex::new(&barriers);
    let empty_b: Vec<&Building> = Vec::new();
    let empty_g: Vec<Grid> = Vec::new();
    let village_barriers: Vec<Vec<&Barrier>> = villages
        .iter()
        .map(|v| barrier_tree.near(&v.boundary))
        .collect();
    let inputs: Vec<VillageInput<'_>> = villages
        .iter()
        .zip(&village_barriers)
        .map(|(v, bars)| VillageInput {
            village: v,
            buildings: by_village.get(&v.code).unwrap_or(&empty_b),
            barriers: bars,
            previous: previous.get(&v.code).unwrap_or(&empty_g),
        })
        .collect();

    let bar = crate::progress::bar("partition", None);
    bar.set_message("partitioning");
    let results = partition_all(&inputs, params);
    bar.finish_and_clear();

    let mut failures = Vec::new();
    let mut flags = Vec::new();
    let mut new_grids: Vec<Grid> = Vec::new();
    let mut done: Vec<DivisionCode> = Vec::new();
    for (v, r) in villages.iter().zip(&results) {
        match r {
            Ok(VillagePartition {
                grids, flags: f, ..
            }) => {
                new_grids.extend(grids.iter().cloned());
                flags.extend(f.iter().map(|f| format!("{}: {f}", v.code)));
                done.push(v.code.clone());
            }
            Err(e) => failures.push((v.code.clone(), e.to_string())),
        }
    }

    // Staff: keep surviving assignments, fill new grids from each village's roster.
    let mut staff = store.staff().await?;
    let kept_elsewhere: Vec<Grid> = old_grids
        .iter()
        .filter(|g| !done.contains(&g.village))
        .cloned()
        .collect();
    let mut all_grids: Vec<Grid> = kept_elsewhere;
    let split = all_grids.len();
    all_grids.extend(new_grids);
    let changed = assign_staff(&mut all_grids, &mut staff);
    let new_grids: Vec<Grid> = all_grids.split_off(split);
    let changed_staff: Vec<_> = changed
        .into_iter()
        .filter_map(|i| staff.get(i).cloned())
        .collect();

    // One transaction per village batch; the change records the area it touched.
    let mut grids_by_village: BTreeMap<&DivisionCode, Vec<Grid>> = BTreeMap::new();
    for g in &new_grids {
        grids_by_village
            .entry(&g.village)
            .or_default()
            .push(g.clone());
    }
    let bbox = touched_bbox(
        villages
            .iter()
            .filter(|v| done.contains(&v.code))
            .map(|v| &v.boundary),
    );
    let change = GridChange {
        actor: "cli".into(),
        action: format!("partition {scope:?}"),
        bbox,
    };
    store
        .replace_grids(&done, &new_grids, &change)
        .await
        .context("storing the new grids")?;
    store
        .set_staff_grids(&changed_staff)
        .await
        .context("storing staff assignments")?;

    let report = QualityReport::from_partitions(&results, started.elapsed());
    Ok(PartitionOutcome {
        report,
        failures,
        flags,
        villages: villages.len(),
        outside_villages,
    })
}

fn touched_bbox<'a>(
    shapes: impl Iterator<Item = &'a geo_types::MultiPolygon<f64>>,
) -> Option<[f64; 4]> {
    shapes
        .filter_map(|s| s.bounding_rect())
        .fold(None, |acc, r| {
            let [a, b, c, d] = acc.unwrap_or([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
            Some([
                a.min(r.min().x),
                b.min(r.min().y),
                c.max(r.max().x),
                d.max(r.max().y),
            ])
        })
}

/// Barriers by bounding box, so each village gets only the lines that reach it.
struct BarrierIndex<'a> {
    tree: rstar::RTree<
        rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>,
    >,
    barriers: &'a [Barrier],
}

impl<'a> BarrierIndex<'a> {
    fn new(barriers: &'a [Barrier]) -> Self {
        use rstar::primitives::{GeomWithData, Rectangle};
        let items = barriers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let r = b.line.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        BarrierIndex {
            tree: rstar::RTree::bulk_load(items),
            barriers,
        }
    }

    fn near(&self, shape: &geo_types::MultiPolygon<f64>) -> Vec<&'a Barrier> {
        let Some(r) = shape.bounding_rect() else {
            return Vec::new();
        };
        let env = rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut idx: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|g| g.data)
            .collect();
        idx.sort_unstable();
        idx.into_iter()
            .filter_map(|i| self.barriers.get(i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon, Point};
    use gridmap_core::{BuildingUse, Household, HouseholdCount};

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
