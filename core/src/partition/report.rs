//! Quality reports: per village and for a whole run.

use super::{PartitionResult, VillagePartition};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// How one village came out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VillageReport {
    /// 12-digit village code.
    pub village: String,
    /// All grids, including locked and institution grids.
    pub grids: usize,
    /// Grids that are not institution grids (counted for sizes and range).
    pub residential_grids: usize,
    pub institution_grids: usize,
    pub locked_grids: usize,
    /// Households in all grids.
    pub households: u64,
    /// Residential grids with `min ≤ households ≤ max`.
    pub in_range: usize,
    /// Households of each residential grid.
    pub sizes: Vec<u32>,
    /// Grids whose polygon has more than one piece.
    pub non_contiguous: usize,
    /// Sum and count of Polsby-Popper scores (4πA/P²) of area grids (whole-flat tower
    /// grids and institution grids share a footprint and are left out).
    pub polsby_popper_sum: f64,
    pub polsby_popper_count: usize,
    /// Sum and count of Polsby-Popper scores of the settled part of each area grid (its
    /// polygon ∩ the convex hull of its buildings grown by 25 m).
    pub settled_polsby_popper_sum: f64,
    pub settled_polsby_popper_count: usize,
    /// Village area (m²).
    pub area_m2: f64,
    /// Area (m²) where grid polygons overlap other than as the stacking rule allows.
    pub overlap_m2: f64,
    /// Pairs of grids overlapping other than as the stacking rule allows, by more than
    /// the validator's tolerance (1e-8 of the village area).
    pub overlapping_pairs: usize,
    /// Footprints with vertical grids stacked on them.
    pub stacked_groups: usize,
    /// Wall time of this village (seconds).
    pub runtime_s: f64,
}

impl VillageReport {
    /// Adds `other`'s counts to this report (the micro-grids of several comprehensive
    /// grids make one village's report).
    pub fn add(&mut self, other: &VillageReport) {
        self.grids += other.grids;
        self.residential_grids += other.residential_grids;
        self.institution_grids += other.institution_grids;
        self.locked_grids += other.locked_grids;
        self.households += other.households;
        self.in_range += other.in_range;
        self.sizes.extend_from_slice(&other.sizes);
        self.non_contiguous += other.non_contiguous;
        self.polsby_popper_sum += other.polsby_popper_sum;
        self.polsby_popper_count += other.polsby_popper_count;
        self.settled_polsby_popper_sum += other.settled_polsby_popper_sum;
        self.settled_polsby_popper_count += other.settled_polsby_popper_count;
        self.area_m2 += other.area_m2;
        self.overlap_m2 += other.overlap_m2;
        self.overlapping_pairs += other.overlapping_pairs;
        self.stacked_groups += other.stacked_groups;
        self.runtime_s += other.runtime_s;
    }

    /// Mean Polsby-Popper score of the village's area grids (0 when there are none).
    pub fn mean_polsby_popper(&self) -> f64 {
        if self.polsby_popper_count == 0 {
            0.0
        } else {
            self.polsby_popper_sum / self.polsby_popper_count as f64
        }
    }
}

/// Summary of a partition run over many villages.
///
/// ```
/// use gridmap_core::partition::{partition_all, PartitionParams, QualityReport, VillageInput};
/// let (v, b) = gridmap_synth::small::villages(2, 150, 3);
/// let per: Vec<Vec<&_>> = v.iter().map(|v| b.iter().filter(|b| b.village.as_ref() == Some(&v.code)).collect()).collect();
/// let inputs: Vec<VillageInput> = v.iter().zip(&per).map(|(v, bs)| VillageInput { village: v, buildings: bs, barriers: &[], previous: &[] }).collect();
/// let results = partition_all(&inputs, &PartitionParams::default());
/// let report = QualityReport::from_partitions(&results, std::time::Duration::from_millis(5));
/// assert_eq!(report.villages, 2);
/// assert!(report.to_string().contains("grids"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QualityReport {
    pub villages: usize,
    pub failed_villages: usize,
    pub grids: usize,
    pub residential_grids: usize,
    pub institution_grids: usize,
    pub locked_grids: usize,
    pub households: u64,
    /// Share of residential grids within `[min, max]`, in percent.
    pub in_range_pct: f64,
    pub size_min: u32,
    pub size_median: f64,
    pub size_max: u32,
    pub non_contiguous: usize,
    pub mean_polsby_popper: f64,
    /// Mean Polsby-Popper score of the settled parts of area grids (see
    /// [`VillageReport::settled_polsby_popper_sum`]).
    pub mean_settled_polsby_popper: f64,
    /// Area (m²) where grids overlap other than as the stacking rule allows.
    pub overlap_m2: f64,
    /// `overlap_m2` over the villages' area.
    pub overlap_share: f64,
    pub overlapping_pairs: usize,
    /// Footprints with vertical (tower, institution) grids stacked on them.
    pub stacked_groups: usize,
    pub moved_households: u64,
    /// `moved_households / households`.
    pub moved_share: f64,
    pub flags: usize,
    /// Wall time of the run as given by the caller (seconds).
    pub runtime_s: f64,
    /// Sum of per-village times (seconds; exceeds wall time when villages ran in parallel).
    pub village_time_s: f64,
}

impl QualityReport {
    /// Sums per-village results; `wall` is the run's elapsed time.
    pub fn from_partitions(
        results: &[PartitionResult<VillagePartition>],
        wall: Duration,
    ) -> QualityReport {
        QualityReport::from_villages(results.iter().map(|r| r.as_ref().ok()), wall)
    }

    /// [`QualityReport::from_partitions`] over one level of each village's result
    /// (`None` for a village that failed).
    pub fn from_villages<'a>(
        results: impl IntoIterator<Item = Option<&'a VillagePartition>>,
        wall: Duration,
    ) -> QualityReport {
        let mut r = QualityReport {
            runtime_s: wall.as_secs_f64(),
            ..QualityReport::default()
        };
        // The villages' reports summed as one, then turned into shares and means.
        let mut sum = VillageReport::default();
        for res in results {
            r.villages += 1;
            let Some(v) = res else {
                r.failed_villages += 1;
                continue;
            };
            sum.add(&v.report);
            r.moved_households += u64::from(v.moved_households);
            r.flags += v.flags.len();
        }
        r.grids = sum.grids;
        r.residential_grids = sum.residential_grids;
        r.institution_grids = sum.institution_grids;
        r.locked_grids = sum.locked_grids;
        r.households = sum.households;
        r.non_contiguous = sum.non_contiguous;
        r.village_time_s = sum.runtime_s;
        r.overlap_m2 = sum.overlap_m2;
        r.overlapping_pairs = sum.overlapping_pairs;
        r.stacked_groups = sum.stacked_groups;
        let (mut sizes, in_range, area) = (sum.sizes, sum.in_range, sum.area_m2);
        let pp = (sum.polsby_popper_sum, sum.polsby_popper_count);
        let spp = (
            sum.settled_polsby_popper_sum,
            sum.settled_polsby_popper_count,
        );
        sizes.sort_unstable();
        if !sizes.is_empty() {
            r.in_range_pct = 100.0 * in_range as f64 / sizes.len() as f64;
            r.size_min = sizes[0];
            r.size_max = sizes[sizes.len() - 1];
            let m = sizes.len() / 2;
            r.size_median = if sizes.len() % 2 == 1 {
                f64::from(sizes[m])
            } else {
                (f64::from(sizes[m - 1]) + f64::from(sizes[m])) / 2.0
            };
        }
        if pp.1 > 0 {
            r.mean_polsby_popper = pp.0 / pp.1 as f64;
        }
        if spp.1 > 0 {
            r.mean_settled_polsby_popper = spp.0 / spp.1 as f64;
        }
        if area > 0.0 {
            r.overlap_share = r.overlap_m2 / area;
        }
        if r.households > 0 {
            r.moved_share = r.moved_households as f64 / r.households as f64;
        }
        r
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "partition quality")?;
        writeln!(
            f,
            "  villages            {} ({} failed)",
            self.villages, self.failed_villages
        )?;
        writeln!(
            f,
            "  grids               {} ({} residential, {} institution, {} locked)",
            self.grids, self.residential_grids, self.institution_grids, self.locked_grids
        )?;
        writeln!(f, "  households          {}", self.households)?;
        writeln!(
            f,
            "  in range            {:.1}% of residential grids",
            self.in_range_pct
        )?;
        writeln!(
            f,
            "  size min/median/max {} / {} / {}",
            self.size_min, self.size_median, self.size_max
        )?;
        writeln!(f, "  non-contiguous      {}", self.non_contiguous)?;
        writeln!(
            f,
            "  mean Polsby-Popper  {:.3} whole, {:.3} settled part",
            self.mean_polsby_popper, self.mean_settled_polsby_popper
        )?;
        writeln!(
            f,
            "  overlap             {:.0} m² ({:.2}% of the area, {} pairs); {} stacked groups",
            self.overlap_m2,
            100.0 * self.overlap_share,
            self.overlapping_pairs,
            self.stacked_groups
        )?;
        writeln!(
            f,
            "  moved households    {} ({:.2}%)",
            self.moved_households,
            100.0 * self.moved_share
        )?;
        writeln!(f, "  flags               {}", self.flags)?;
        write!(
            f,
            "  runtime             {:.3} s wall ({:.3} s summed over villages)",
            self.runtime_s, self.village_time_s
        )
    }
}
