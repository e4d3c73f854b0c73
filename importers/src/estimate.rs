//! Household estimates for residential buildings that have no registered count.
//!
//! # Algorithm
//!
//! `households = round(area_m2 × levels ÷ dwelling_m2)`, at least 1
//! ([`HouseholdCount::estimate`]), where `area_m2` is the footprint's geodesic area
//! ([`gridmap_core::geometry::area_m2`]) and `levels` is the building's `levels`, else its
//! `height ÷ metres_per_level` (rounded, at least 1) when a height is known, else
//! `default_levels`. Only [`BuildingUse::Residential`] buildings are estimated; buildings
//! whose count is [`HouseholdCountSource::Registered`] are never touched.

use gridmap_core::geometry::area_m2;
use gridmap_core::{Building, BuildingUse, HouseholdCount, HouseholdCountSource};

/// Parameters of [`estimate_households`].
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateOptions {
    /// Floor area of one dwelling in m² (default 90).
    pub dwelling_m2: f64,
    /// Levels assumed when neither levels nor height are known (default 1).
    pub default_levels: u16,
    /// Storey height used to derive levels from a height (default 3 m); `None` ignores heights.
    pub metres_per_level: Option<f64>,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        EstimateOptions {
            dwelling_m2: 90.0,
            default_levels: 1,
            metres_per_level: Some(3.0),
        }
    }
}

/// The levels the estimate uses for `b`.
///
/// ```
/// use geo_types::MultiPolygon;
/// use gridmap_core::{Building, BuildingUse, HouseholdCount};
/// use gridmap_importers::{estimate::effective_levels, EstimateOptions};
/// let mut b = Building {
///     source_id: "b".into(), footprint: MultiPolygon(vec![]), building_use: BuildingUse::Residential,
///     levels: None, height: Some(31.0), households: HouseholdCount::default(), address: None, village: None,
/// };
/// assert_eq!(effective_levels(&b, &EstimateOptions::default()), 10);
/// b.levels = Some(12);
/// assert_eq!(effective_levels(&b, &EstimateOptions::default()), 12);
/// ```
pub fn effective_levels(b: &Building, options: &EstimateOptions) -> u16 {
    if let Some(l) = b.levels.filter(|l| *l > 0) {
        return l;
    }
    if let (Some(h), Some(per)) = (b.height, options.metres_per_level) {
        let l = (f64::from(h) / per).round();
        if l.is_finite() && l >= 1.0 {
            return l.min(f64::from(u16::MAX)) as u16;
        }
    }
    options.default_levels.max(1)
}

/// Fills in estimated household counts for residential buildings without registered
/// households; returns how many buildings were estimated.
///
/// ```
/// use geo_types::{polygon, MultiPolygon};
/// use gridmap_core::{Building, BuildingUse, HouseholdCount, HouseholdCountSource};
/// use gridmap_importers::{estimate_households, EstimateOptions};
/// // about 30 m × 30 m = 900 m², 2 levels → 20 dwellings of 90 m²
/// let footprint = MultiPolygon(vec![polygon![
///     (x: 114.6, y: 33.8), (x: 114.600324, y: 33.8), (x: 114.600324, y: 33.80027), (x: 114.6, y: 33.80027)]]);
/// let mut b = vec![Building {
///     source_id: "t/1".into(), footprint, building_use: BuildingUse::Residential,
///     levels: Some(2), height: None, households: HouseholdCount::default(),
///     address: None, village: None,
/// }];
/// assert_eq!(estimate_households(&mut b, &EstimateOptions::default()), 1);
/// assert_eq!(b[0].households.source, HouseholdCountSource::Estimated);
/// assert!((19..=21).contains(&b[0].households.count));
/// ```
pub fn estimate_households(buildings: &mut [Building], options: &EstimateOptions) -> usize {
    use rayon::prelude::*;
    buildings
        .par_iter_mut()
        .filter(|b| {
            b.building_use == BuildingUse::Residential
                && b.households.source != HouseholdCountSource::Registered
        })
        .map(|b| {
            let levels = effective_levels(b, options);
            b.households =
                HouseholdCount::estimate(area_m2(&b.footprint), levels, options.dwelling_m2);
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, MultiPolygon};

    fn building(use_: BuildingUse, households: HouseholdCount, height: Option<f32>) -> Building {
        Building {
            source_id: "x".into(),
            footprint: MultiPolygon(vec![
                polygon![(x: 0.0, y: 0.0), (x: 0.001, y: 0.0), (x: 0.001, y: 0.001), (x: 0.0, y: 0.001)],
            ]),
            building_use: use_,
            levels: None,
            height,
            households,
            address: None,
            village: None,
        }
    }

    #[test]
    fn registered_and_non_residential_buildings_are_left_alone() {
        let mut b = vec![
            building(
                BuildingUse::Residential,
                HouseholdCount::registered(7),
                None,
            ),
            building(BuildingUse::Institution, HouseholdCount::default(), None),
        ];
        assert_eq!(estimate_households(&mut b, &EstimateOptions::default()), 0);
        assert_eq!(b[0].households, HouseholdCount::registered(7));
        assert_eq!(b[1].households.count, 0);
    }

    #[test]
    fn height_gives_levels_when_levels_are_missing() {
        let b = building(
            BuildingUse::Residential,
            HouseholdCount::default(),
            Some(30.0),
        );
        assert_eq!(effective_levels(&b, &EstimateOptions::default()), 10);
        let b = building(BuildingUse::Residential, HouseholdCount::default(), None);
        assert_eq!(
            effective_levels(
                &b,
                &EstimateOptions {
                    default_levels: 2,
                    ..Default::default()
                }
            ),
            2
        );
    }
}
