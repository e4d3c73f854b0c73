//! The whole-county generator: villages, buildings, households, staff, incidents and
//! roads for scale tests, benchmarks and demos (`gridmap synth --households 300000`).
//!
//! # Parameters
//!
//! [`SynthParams`]: the number of households and a seed, plus knobs with defaults (county
//! code `411622`, centre 114.6°E 33.8°N in Henan, 15% of households in town-centre
//! high-rises, 4–8 outbuildings per farmhouse, one incident per ten households per year).
//!
//! # Returns
//!
//! A [`SynthCounty`]: one county, `households / 40000 + 1` townships and villages of
//! about 300–3000 households that tile the county, buildings (farmhouse compounds along
//! village streets, high-rises of 60–300 households in township centres, institutions with
//! no households), the household register (Chinese names, mobile numbers, entrance/floor/
//! room in towers), grid staff (one per ~40 households) and leaders, a year of incidents,
//! the roads and video cameras.
//!
//! # Algorithm
//!
//! 1. Village boundaries are the cells of a jittered lattice (`lattice.rs`); a township is
//!    a rectangular block of cells and the county all of them, traced along the same shared
//!    vertices, so the hierarchy nests and tiles exactly.
//! 2. Village sizes are drawn log-uniformly in 300–3000 and scaled so the households sum
//!    to exactly [`SynthParams::households`]; high-rise households go to the township centre
//!    villages (half of them to the county seat, 城关镇).
//! 3. Each village is generated on its own ChaCha8 stream (`village.rs`), in parallel; the
//!    output does not depend on the number of threads.
//! 4. Staff, incidents (`events.rs`) and cameras (`cameras.rs`) are drawn on further
//!    streams.
//!
//! Every building's household count is `registered` and equals the number of register
//! rows that name it.
//!
//! # Complexity
//!
//! Linear in the number of buildings: about a million buildings for 300,000 households.
//!
//! # Examples
//!
//! ```
//! use gridmap_synth::{synth_county, SynthParams};
//! let county = synth_county(&SynthParams::new(3_000, 7));
//! assert_eq!(county.households.len(), 3_000);
//! let registered: u32 = county.buildings.iter().map(|b| b.households.count).sum();
//! assert_eq!(registered, 3_000);
//! assert_eq!(county, synth_county(&SynthParams::new(3_000, 7)));
//! ```

mod cameras;
mod events;
mod lattice;
mod names;
mod village;

use crate::{stream, SynthRng};
use geo_types::{Coord, LineString, MultiLineString};
use gridmap_core::{
    AdminLevel, AdminUnit, Barrier, Building, DivisionCode, Household, Incident, Staff, StaffRole,
};
use lattice::Lattice;
use rand::Rng;
use rayon::prelude::*;
use std::collections::HashMap;
use village::VillagePlan;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// Total households (register rows).
    pub households: u32,
    /// Seed: the same parameters give the same county.
    pub seed: u64,
    /// 6-digit county code (default `411622`).
    pub county_code: String,
    /// County name (default 华阳县, made up).
    pub county_name: String,
    /// Centre of the county, WGS84 lon/lat (default 114.6°E 33.8°N).
    pub centre: (f64, f64),
    /// Side of a village cell in metres (default 1600; values below 200 m fall back to it).
    pub village_cell_m: f64,
    /// Share of households in high-rises (default 0.15; none below 2000 households).
    pub highrise_share: f64,
    /// Range of outbuildings per farmhouse (default 4–8, at most 7 fit).
    pub outbuildings_per_house: (u8, u8),
    /// Households per grid staff member (default 40).
    pub households_per_staff: u32,
    /// Incidents over the year; `None` means one per ten households.
    pub incidents: Option<u32>,
    /// Year of the incidents (default 2025).
    pub year: i32,
    /// When set, the incidents cover the 365 days before this moment (Unix seconds)
    /// instead of the calendar `year` (the demo and benchmarks pass "now").
    pub incidents_end: Option<i64>,
}

impl SynthParams {
    /// Defaults with the given size and seed.
    pub fn new(households: u32, seed: u64) -> SynthParams {
        SynthParams {
            households,
            seed,
            county_code: "411622".into(),
            county_name: "华阳县".into(),
            centre: (114.6, 33.8),
            village_cell_m: 1600.0,
            highrise_share: 0.15,
            outbuildings_per_house: (4, 8),
            households_per_staff: 40,
            incidents: None,
            year: 2025,
            incidents_end: None,
        }
    }
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams::new(300_000, 1)
    }
}

/// A generated county. All geometry is WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SynthCounty {
    /// The county, its townships and villages.
    pub admin_units: Vec<AdminUnit>,
    /// All buildings, with `village` set.
    pub buildings: Vec<Building>,
    /// The household register.
    pub households: Vec<Household>,
    /// Grid staff (`area` = village) and leaders (village, township, county).
    pub staff: Vec<Staff>,
    /// A year of incidents.
    pub incidents: Vec<Incident>,
    /// County roads along village boundaries and village main streets.
    pub barriers: Vec<Barrier>,
    /// Video cameras beside the dwellings, about one per 120 households.
    pub cameras: Vec<gridmap_core::Camera>,
}

const MEAN_VILLAGE: f64 = 1172.0;

/// Tower households per urban community (社区) at most, before another is opened.
const MAX_COMMUNITY_TOWERS: u32 = 5000;

const COMMUNITY_NAMES: &[&str] = &[
    "", "东", "西", "南", "北", "新", "中", "和平", "幸福", "光明", "文化", "人民", "建设", "解放",
    "朝阳", "振兴",
];

/// Splits `total` in proportion to `weights` (largest remainder), exactly.
fn apportion(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * f64::from(total)).collect();
    let mut out: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let mut rest = total.saturating_sub(out.iter().sum::<u32>());
    let mut order: Vec<(usize, f64)> = exact.iter().map(|e| e - e.floor()).enumerate().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in order.into_iter().cycle() {
        if rest == 0 {
            break;
        }
        if let Some(o) = out.get_mut(i) {
            *o += 1;
        }
        rest -= 1;
    }
    out
}

/// A township's block of lattice cells.
struct TownshipPlan {
    code: DivisionCode,
    name: String,
    cols: (usize, usize),
    rows: (usize, usize),
}

fn code(county: &str, township: u32, village: u32) -> DivisionCode {
    format!("{county}{township:03}{village:03}")
        .parse()
        .unwrap_or_else(|_| {
            "000000000000"
                .parse()
                .expect("twelve zeros are a valid division code")
        })
}

/// Generates a county (see the module docs).
#[tracing::instrument(skip_all, fields(synth.households = params.households, synth.seed = params.seed))]
pub fn synth_county(params: &SynthParams) -> SynthCounty {
    let mut rng = stream(params.seed, 0);
    let n = params.households;
    let tower_total = if n >= 2000 {
        (f64::from(n) * params.highrise_share.clamp(0.0, 0.9)).round() as u32
    } else {
        0
    };
    let low_total = n - tower_total;
    let wanted = ((f64::from(low_total) / MEAN_VILLAGE).round() as usize).max(1);
    let cols = (wanted as f64).sqrt().ceil() as usize;
    let rows = wanted.div_ceil(cols);
    let centre = Coord {
        x: params.centre.0,
        y: params.centre.1,
    };
    // a cell below 200 m (or NaN) cannot hold a village: fall back to the default
    let cell = if params.village_cell_m.is_finite() && params.village_cell_m >= 200.0 {
        params.village_cell_m.min(20_000.0)
    } else {
        1600.0
    };
    let centre = if centre.x.is_finite() && centre.y.is_finite() && centre.y.abs() < 80.0 {
        centre
    } else {
        Coord { x: 114.6, y: 33.8 }
    };
    let lattice = Lattice::new(cols, rows, cell, centre, &mut rng);

    // townships: row bands split into column ranges
    let t_wanted = ((n / 40_000 + 1) as usize).min(cols * rows);
    let bands = ((t_wanted as f64 * rows as f64 / cols as f64).sqrt().round() as usize)
        .clamp(1, t_wanted.min(rows));
    let mut townships = Vec::new();
    let (mut towns, mut xiangs) = (0u32, 0u32);
    for b in 0..bands {
        let rows_b = (b * rows / bands, (b + 1) * rows / bands);
        let per_band = (t_wanted / bands + usize::from(b < t_wanted % bands)).clamp(1, cols);
        for k in 0..per_band {
            let (name, is_town) = names::township(townships.len());
            let serial = if is_town {
                towns += 1;
                99 + towns
            } else {
                xiangs += 1;
                199 + xiangs
            };
            townships.push(TownshipPlan {
                code: code(&params.county_code, serial.min(999), 0),
                name,
                cols: (k * cols / per_band, (k + 1) * cols / per_band),
                rows: rows_b,
            });
        }
    }

    // villages; the cells nearest a township's middle are its urban communities (社区),
    // which hold the high-rises: at most ~5000 tower households each
    let tower_weights: Vec<f64> = (0..townships.len())
        .map(|k| {
            if k == 0 {
                townships.len().max(2) as f64 - 1.0
            } else {
                1.0
            }
        })
        .collect();
    let tower_shares = apportion(tower_total, &tower_weights);
    let mut plans: Vec<VillagePlan> = Vec::new();
    let mut community_towers: Vec<(usize, u32)> = Vec::new();
    for (t, share) in townships.iter().zip(&tower_shares) {
        let mid = Coord {
            x: (t.cols.0 + t.cols.1) as f64 / 2.0 * cell,
            y: (t.rows.0 + t.rows.1) as f64 / 2.0 * cell,
        };
        let cells: Vec<(usize, usize)> = (t.rows.0..t.rows.1)
            .flat_map(|j| (t.cols.0..t.cols.1).map(move |i| (i, j)))
            .collect();
        let mut by_distance = cells.clone();
        by_distance.sort_by(|a, b| {
            dist2(lattice.cell_centre(a.0, a.1), mid)
                .total_cmp(&dist2(lattice.cell_centre(b.0, b.1), mid))
        });
        let communities =
            (share.div_ceil(MAX_COMMUNITY_TOWERS) as usize).clamp(1, cells.len().max(1));
        let community_cells: Vec<(usize, usize)> =
            by_distance.into_iter().take(communities).collect();
        let towers = apportion(*share, &vec![1.0; communities]);
        let township_serial: u32 = t
            .code
            .as_str()
            .get(6..9)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let base = t.name.trim_end_matches(['镇', '乡']);
        let mut taken = std::collections::HashSet::new();
        let mut serial = 0u32;
        for (i, j) in cells {
            let community = community_cells.iter().position(|c| *c == (i, j));
            let (vcode, name) = match community {
                Some(m) => {
                    let n = u32::try_from(m + 1).unwrap_or(199).min(199);
                    let name = match COMMUNITY_NAMES.get(m) {
                        Some(suffix) => format!("{base}{suffix}社区"),
                        None => format!("{base}第{n}社区"),
                    };
                    if let Some(h) = towers.get(m) {
                        community_towers.push((plans.len(), *h));
                    }
                    (code(&params.county_code, township_serial, n), name)
                }
                None => {
                    serial += 1;
                    let c = code(
                        &params.county_code,
                        township_serial,
                        (200 + serial).min(999),
                    );
                    (c, names::village(&mut rng, &mut taken))
                }
            };
            plans.push(VillagePlan {
                code: vcode,
                name,
                township_name: t.name.clone(),
                ring: lattice.cell_ring(i, j),
                centre: lattice.cell_centre(i, j),
                lowrise_households: 0,
                tower_households: 0,
                is_centre: community == Some(0),
            });
        }
    }
    let weights: Vec<f64> = plans
        .iter()
        .map(|_| rng.gen_range(300f64.ln()..3000f64.ln()).exp())
        .collect();
    for (p, h) in plans.iter_mut().zip(apportion(low_total, &weights)) {
        p.lowrise_households = h;
    }
    for (v, h) in community_towers {
        if let Some(p) = plans.get_mut(v) {
            p.tower_households = h;
        }
    }

    let outs: Vec<village::VillageOut> = plans
        .par_iter()
        .enumerate()
        .map(|(k, plan)| {
            village::generate(
                plan,
                &lattice,
                params,
                &mut stream(params.seed, 1000 + k as u64),
            )
        })
        .collect();

    let mut county = SynthCounty::default();
    let county_code = code(&params.county_code, 0, 0);
    county.admin_units.push(AdminUnit {
        code: county_code.clone(),
        name: params.county_name.clone(),
        level: AdminLevel::County,
        source_id: format!("synth:county/{}", params.county_code),
        boundary: lattice.shape(&lattice.block_ring(0, cols, 0, rows)),
    });
    for t in &townships {
        county.admin_units.push(AdminUnit {
            code: t.code.clone(),
            name: t.name.clone(),
            level: AdminLevel::Township,
            source_id: format!("synth:township/{}", t.code),
            boundary: lattice.shape(&lattice.block_ring(t.cols.0, t.cols.1, t.rows.0, t.rows.1)),
        });
    }
    for p in &plans {
        county.admin_units.push(AdminUnit {
            code: p.code.clone(),
            name: p.name.clone(),
            level: AdminLevel::Village,
            source_id: format!("synth:village/{}", p.code),
            boundary: lattice.shape(&p.ring),
        });
    }
    for out in outs {
        county.buildings.extend(out.buildings);
        county.households.extend(out.households);
        county.barriers.extend(out.street);
    }
    county
        .barriers
        .extend(county_roads(&lattice, &params.county_code));

    let mut staff_rng = stream(params.seed, 1);
    county.staff = staff(&plans, &townships, &county_code, params, &mut staff_rng);
    // Their own stream, so adding them left every other person as it was.
    let mut home_rng = stream(params.seed, 3);
    county
        .staff
        .extend(comprehensive_leaders(&plans, &mut home_rng));
    give_homes(&mut county.staff, &county.buildings, &mut home_rng);
    let mut reporters: HashMap<DivisionCode, Vec<String>> = HashMap::new();
    for s in county
        .staff
        .iter()
        .filter(|s| s.role == StaffRole::GridStaff)
    {
        if let Some(a) = &s.area {
            reporters.entry(a.clone()).or_default().push(s.id.clone());
        }
    }
    let village_names: HashMap<DivisionCode, String> = plans
        .iter()
        .map(|p| (p.code.clone(), format!("{}{}", p.township_name, p.name)))
        .collect();
    let mut event_rng = stream(params.seed, 2);
    tracing::info!(
        villages = plans.len(),
        buildings = county.buildings.len(),
        households = county.households.len(),
        "synthetic county generated"
    );
    county.incidents = events::incidents(
        params.incidents.unwrap_or(n / 10),
        params.year,
        params.incidents_end,
        &county.buildings,
        &reporters,
        &village_names,
        &mut event_rng,
    );
    county.cameras = cameras::cameras(&county.buildings, &mut stream(params.seed, 4));
    county
}

/// Households one comprehensive grid leader (网格长, level 4) leads: the middle of the
/// usual 300–500.
const HOUSEHOLDS_PER_LEADER: u32 = 400;

/// Leaders for comprehensive grids: one per [`HOUSEHOLDS_PER_LEADER`] households of a
/// village beyond the first (the village leader leads that one). They serve only
/// where villages are cut into two levels.
fn comprehensive_leaders(plans: &[VillagePlan], rng: &mut SynthRng) -> Vec<Staff> {
    let mut out = Vec::new();
    for p in plans {
        let households = p.lowrise_households + p.tower_households;
        for k in 2..=households.div_ceil(HOUSEHOLDS_PER_LEADER) {
            out.push(Staff {
                id: format!("L{}-{k:02}", p.code),
                name: names::person(rng),
                phone: Some(names::phone(rng)),
                role: StaffRole::GridLeader(4),
                area: Some(p.code.clone()),
                grids: Vec::new(),
                home: None,
            });
        }
    }
    out
}

/// Homes for the staff of a village (workers and leaders): a dwelling of their village
/// picked at random, as most grid staff live where they serve.
fn give_homes(staff: &mut [Staff], buildings: &[Building], rng: &mut SynthRng) {
    let mut dwellings: HashMap<&DivisionCode, Vec<&Building>> = HashMap::new();
    for b in buildings.iter().filter(|b| b.households.count > 0) {
        if let Some(v) = &b.village {
            dwellings.entry(v).or_default().push(b);
        }
    }
    for s in staff {
        let Some(homes) = s.area.as_ref().and_then(|a| dwellings.get(a)) else {
            continue;
        };
        let b = homes[rng.gen_range(0..homes.len())];
        s.home = gridmap_core::geometry::representative_point(&b.footprint);
    }
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

/// County roads along every third interior lattice line (village boundaries).
fn county_roads(lattice: &Lattice, county: &str) -> Vec<Barrier> {
    let mut out = Vec::new();
    let mut add = |name: String, line: Vec<Coord<f64>>| {
        let ls = LineString(line.into_iter().map(|c| lattice.to_lonlat(c)).collect());
        out.push(Barrier {
            source_id: format!("synth:road/{county}-{name}"),
            kind: "road".into(),
            line: MultiLineString(vec![ls]),
        });
    };
    for j in (3..lattice.rows).step_by(3) {
        add(format!("row{j}"), lattice.row_line(j));
    }
    for i in (3..lattice.cols).step_by(3) {
        add(format!("col{i}"), lattice.col_line(i));
    }
    out
}

/// Grid staff (one per `households_per_staff` households, at least one per village), a
/// leader per village (level 3), per township (level 2) and for the county (level 1).
fn staff(
    plans: &[VillagePlan],
    townships: &[TownshipPlan],
    county: &DivisionCode,
    params: &SynthParams,
    rng: &mut SynthRng,
) -> Vec<Staff> {
    let mut out = Vec::new();
    let person = |id: String, role: StaffRole, area: &DivisionCode, rng: &mut SynthRng| Staff {
        id,
        name: names::person(rng),
        phone: Some(names::phone(rng)),
        role,
        area: Some(area.clone()),
        grids: Vec::new(),
        home: None,
    };
    out.push(person(
        format!("L{county}"),
        StaffRole::GridLeader(1),
        county,
        rng,
    ));
    for t in townships {
        out.push(person(
            format!("L{}", t.code),
            StaffRole::GridLeader(2),
            &t.code,
            rng,
        ));
    }
    for p in plans {
        out.push(person(
            format!("L{}", p.code),
            StaffRole::GridLeader(3),
            &p.code,
            rng,
        ));
        let households = p.lowrise_households + p.tower_households;
        let n = households
            .div_ceil(params.households_per_staff.max(1))
            .max(1);
        for k in 1..=n {
            out.push(person(
                format!("S{}-{k:03}", p.code),
                StaffRole::GridStaff,
                &p.code,
                rng,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact_and_proportional() {
        let a = apportion(10, &[1.0, 1.0, 2.0]);
        assert_eq!(a.iter().sum::<u32>(), 10);
        assert!(a[2] >= 4 && a[2] <= 6);
        assert_eq!(apportion(5, &[]), Vec::<u32>::new());
    }
}
