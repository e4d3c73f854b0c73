//! Buildings and register rows of one village.
//!
//! # Algorithm
//!
//! Each village gets a local frame (u along its streets, v across) rotated by a random
//! angle around the village centre. Streets run every 56 m in v; both sides of a street
//! are cut into 20 m × 24 m house plots (宅基地), backs of neighbouring rows touching.
//! Plots are taken in order of distance from the centre (distorted by a low-frequency
//! angular term, so the built-up area is an irregular blob along the streets) and only if
//! the plot lies entirely inside the village polygon. A township centre first reserves a
//! square of 50 m × 34 m tower lots around its centre for high-rises.
//!
//! Every building stays inside its plot or lot, and plots and lots are disjoint, so no two
//! footprints overlap and every footprint lies inside its village. Each house plot holds
//! one house (1–3 households, 1–3 levels) along the back and 0–7 outbuildings (sheds,
//! kitchens, barns; 0 households) in fixed, disjoint slots of the courtyard; a few plots
//! hold institutions (clinics, schools, enterprises; 0 households) instead.

use super::lattice::{point_in_ring, Lattice};
use super::names;
use super::SynthParams;
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use gridmap_core::{Barrier, Building, BuildingUse, DivisionCode, Household, HouseholdCount};
use rand::seq::SliceRandom;
use rand::Rng;

/// What the county plan asks of one village.
#[derive(Debug, Clone)]
pub(crate) struct VillagePlan {
    pub(crate) code: DivisionCode,
    pub(crate) name: String,
    pub(crate) township_name: String,
    /// Closed ring, local metres.
    pub(crate) ring: Vec<Coord<f64>>,
    pub(crate) centre: Coord<f64>,
    pub(crate) lowrise_households: u32,
    pub(crate) tower_households: u32,
    pub(crate) is_centre: bool,
}

/// What a village produced.
#[derive(Debug, Default)]
pub(crate) struct VillageOut {
    pub(crate) buildings: Vec<Building>,
    pub(crate) households: Vec<Household>,
    pub(crate) street: Option<Barrier>,
}

const PLOT_W: f64 = 20.0;
const PLOT_PITCH: f64 = 21.0;
const PLOT_D: f64 = 24.0;
const STREET_PITCH: f64 = 56.0;
const LOT_W: f64 = 50.0;
const LOT_D: f64 = 34.0;

/// A rectangle in the village's local (u, v) frame.
#[derive(Debug, Clone, Copy)]
struct Rect {
    u0: f64,
    v0: f64,
    u1: f64,
    v1: f64,
}

impl Rect {
    fn corners(&self) -> [Coord<f64>; 4] {
        [
            Coord {
                x: self.u0,
                y: self.v0,
            },
            Coord {
                x: self.u1,
                y: self.v0,
            },
            Coord {
                x: self.u1,
                y: self.v1,
            },
            Coord {
                x: self.u0,
                y: self.v1,
            },
        ]
    }
    fn centre(&self) -> Coord<f64> {
        Coord {
            x: (self.u0 + self.u1) / 2.0,
            y: (self.v0 + self.v1) / 2.0,
        }
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.u0 < o.u1 && o.u0 < self.u1 && self.v0 < o.v1 && o.v0 < self.v1
    }
}

/// A plot: its rectangle, and whether its street side is at `v0` (north of the street)
/// or `v1` (south), so templates can be mirrored.
#[derive(Debug, Clone, Copy)]
struct Plot {
    rect: Rect,
    street_at_v0: bool,
    street: i64,
}

struct Frame {
    centre: Coord<f64>,
    cos: f64,
    sin: f64,
}

impl Frame {
    fn to_global(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.centre.x + c.x * self.cos - c.y * self.sin,
            y: self.centre.y + c.x * self.sin + c.y * self.cos,
        }
    }
    fn to_local(&self, c: Coord<f64>) -> Coord<f64> {
        let (dx, dy) = (c.x - self.centre.x, c.y - self.centre.y);
        Coord {
            x: dx * self.cos + dy * self.sin,
            y: -dx * self.sin + dy * self.cos,
        }
    }
}

/// Whether a local rectangle lies inside the village: all corners inside the ring and no
/// ring vertex within (or within 1 m of) the rectangle.
fn inside(rect: &Rect, frame: &Frame, ring: &[Coord<f64>], local_ring: &[Coord<f64>]) -> bool {
    rect.corners()
        .iter()
        .all(|c| point_in_ring(frame.to_global(*c), ring))
        && !local_ring.iter().any(|p| {
            p.x > rect.u0 - 1.0 && p.x < rect.u1 + 1.0 && p.y > rect.v0 - 1.0 && p.y < rect.v1 + 1.0
        })
}

/// Generates one village.
pub(crate) fn generate(
    plan: &VillagePlan,
    lattice: &Lattice,
    params: &SynthParams,
    rng: &mut impl Rng,
) -> VillageOut {
    let theta = rng.gen_range(-0.35..0.35f64);
    let frame = Frame {
        centre: plan.centre,
        cos: theta.cos(),
        sin: theta.sin(),
    };
    let local_ring: Vec<Coord<f64>> = plan.ring.iter().map(|c| frame.to_local(*c)).collect();
    let phases = (rng.gen_range(0.0..6.3f64), rng.gen_range(0.0..6.3f64));
    let blob = |c: Coord<f64>| {
        let a = c.y.atan2(c.x);
        (c.x * c.x + c.y * c.y).sqrt()
            * (1.0 + 0.25 * (3.0 * a + phases.0).sin() + 0.15 * (5.0 * a + phases.1).sin())
    };
    let mut ctx = Ctx {
        plan,
        lattice,
        frame: &frame,
        out: VillageOut::default(),
        serial: 0,
        hh_serial: 0,
    };

    // towers first, in a square zone around the centre
    let mut lowrise = plan.lowrise_households;
    let mut tower_sizes = Vec::new();
    let mut pool = plan.tower_households;
    while pool > 0 {
        let h = if pool <= 300 {
            pool
        } else {
            rng.gen_range(60..=300.min(pool - 60))
        };
        if h < 60 {
            lowrise += h;
            pool = 0;
            break;
        }
        tower_sizes.push(h);
        pool -= h;
    }
    let mut zone: Option<Rect> = None;
    if !tower_sizes.is_empty() {
        let per_side = ((tower_sizes.len() as f64 * 1.5).sqrt().ceil() as i64).max(1);
        let mut lots = Vec::new();
        for k in -per_side..=per_side {
            for m in -per_side..=per_side {
                let r = Rect {
                    u0: m as f64 * LOT_W,
                    v0: k as f64 * LOT_D,
                    u1: m as f64 * LOT_W + LOT_W,
                    v1: k as f64 * LOT_D + LOT_D,
                };
                if inside(&r, &frame, &plan.ring, &local_ring) {
                    lots.push(r);
                }
            }
        }
        lots.sort_by(|a, b| blob(a.centre()).total_cmp(&blob(b.centre())));
        lots.truncate(tower_sizes.len());
        for (t, (lot, h)) in lots.iter().zip(&tower_sizes).enumerate() {
            ctx.tower(*lot, *h, t + 1, rng);
        }
        // towers that found no lot live in houses instead
        lowrise += tower_sizes.iter().skip(lots.len()).sum::<u32>();
        debug_assert_eq!(pool, 0);
        zone = lots.iter().copied().reduce(|a, b| Rect {
            u0: a.u0.min(b.u0),
            v0: a.v0.min(b.v0),
            u1: a.u1.max(b.u1),
            v1: a.v1.max(b.v1),
        });
    }

    // house sizes, then plots for houses and institutions
    let mut house_sizes = Vec::new();
    let mut left = lowrise;
    while left > 0 {
        let h = [1u32, 1, 1, 2, 2, 2, 3]
            .choose(rng)
            .copied()
            .unwrap_or(2)
            .min(left);
        house_sizes.push(h);
        left -= h;
    }
    let institutions = institution_kinds(plan.is_centre, house_sizes.len(), rng);
    let need = house_sizes.len() + institutions.len();
    let plots = plots(need, &frame, plan, &local_ring, zone, &blob, lattice.cell);
    let mut plot_iter = plots.iter();
    // institutions take every k-th plot so they sit among the houses
    let mut slots: Vec<Option<&str>> = vec![None; plots.len().min(need)];
    let step = (slots.len() / institutions.len().max(1)).max(1);
    for (n, kind) in institutions.iter().enumerate() {
        let at = (n * step + step / 2).min(slots.len().saturating_sub(1));
        if let Some(s) = slots.get_mut(at) {
            if s.is_none() {
                *s = Some(kind);
            }
        }
    }
    let mut houses = house_sizes.into_iter();
    let mut overflow: u32 = 0;
    for slot in slots {
        let Some(plot) = plot_iter.next() else { break };
        match slot {
            Some(kind) => ctx.institution(plot, kind, rng),
            None => {
                if let Some(h) = houses.next() {
                    ctx.house(plot, h, params, rng);
                }
            }
        }
    }
    overflow += houses.sum::<u32>();
    if overflow > 0 {
        ctx.overflow(overflow, rng);
    }
    // main street: the street through the centre, over the extent of its plots
    let on_main: Vec<&Plot> = plots.iter().take(need).filter(|p| p.street == 0).collect();
    if let (Some(u0), Some(u1)) = (
        on_main.iter().map(|p| p.rect.u0).reduce(f64::min),
        on_main.iter().map(|p| p.rect.u1).reduce(f64::max),
    ) {
        let a = lattice.to_lonlat(frame.to_global(Coord { x: u0, y: 0.0 }));
        let b = lattice.to_lonlat(frame.to_global(Coord { x: u1, y: 0.0 }));
        ctx.out.street = Some(Barrier {
            source_id: format!("synth:road/{}-main", plan.code),
            kind: "road".into(),
            line: MultiLineString(vec![LineString(vec![a, b])]),
        });
    }
    ctx.out
}

fn institution_kinds(is_centre: bool, houses: usize, rng: &mut impl Rng) -> Vec<&'static str> {
    let mut kinds = vec!["卫生室"];
    if rng.gen_bool(0.4) {
        kinds.push("小学");
    }
    if rng.gen_bool(0.3) {
        kinds.push("幼儿园");
    }
    for _ in 0..rng.gen_range(0..=2) {
        kinds.push(
            [
                "面粉厂",
                "服装厂",
                "养殖场",
                "农民专业合作社",
                "砖厂",
                "食品厂",
            ]
            .choose(rng)
            .copied()
            .unwrap_or("合作社"),
        );
    }
    if is_centre {
        kinds.extend(["中学", "卫生院", "敬老院", "加油站", "超市", "农贸市场"]);
    }
    if houses == 0 {
        kinds.truncate(1);
    }
    kinds
}

/// The first `need` plots inside the village, nearest the centre first.
fn plots(
    need: usize,
    frame: &Frame,
    plan: &VillagePlan,
    local_ring: &[Coord<f64>],
    zone: Option<Rect>,
    blob: &dyn Fn(Coord<f64>) -> f64,
    cell: f64,
) -> Vec<Plot> {
    let mut radius = ((need as f64 * PLOT_PITCH * STREET_PITCH / 2.0 * 1.6) / std::f64::consts::PI)
        .sqrt()
        + 80.0;
    if let Some(z) = zone {
        radius += (z.u1 - z.u0).max(z.v1 - z.v0);
    }
    loop {
        let mut found = Vec::new();
        let kmax = (radius / STREET_PITCH).ceil() as i64 + 1;
        let mmax = (radius / PLOT_PITCH).ceil() as i64 + 1;
        for k in -kmax..=kmax {
            let street_v = k as f64 * STREET_PITCH;
            for north in [true, false] {
                let (v0, v1) = if north {
                    (street_v + 4.0, street_v + 4.0 + PLOT_D)
                } else {
                    (street_v - 4.0 - PLOT_D, street_v - 4.0)
                };
                for m in -mmax..=mmax {
                    let u0 = m as f64 * PLOT_PITCH - PLOT_W / 2.0;
                    let rect = Rect {
                        u0,
                        v0,
                        u1: u0 + PLOT_W,
                        v1,
                    };
                    let d = blob(rect.centre());
                    if d > radius {
                        continue;
                    }
                    let clear = zone.is_none_or(|z| {
                        !rect.overlaps(&Rect {
                            u0: z.u0 - 6.0,
                            v0: z.v0 - 6.0,
                            u1: z.u1 + 6.0,
                            v1: z.v1 + 6.0,
                        })
                    });
                    if clear && inside(&rect, frame, &plan.ring, local_ring) {
                        found.push((
                            d,
                            Plot {
                                rect,
                                street_at_v0: north,
                                street: k,
                            },
                        ));
                    }
                }
            }
        }
        let exhausted = radius.is_nan() || radius > 2.5 * cell;
        if found.len() >= need || exhausted {
            found.sort_by(|a, b| a.0.total_cmp(&b.0));
            found.truncate(need);
            return found.into_iter().map(|(_, p)| p).collect();
        }
        radius *= 1.4;
    }
}

/// Slots of outbuildings in a plot, in plot coordinates (pu along the street, pv from the street).
const OUTBUILDING_SLOTS: [Rect; 7] = [
    Rect {
        u0: 1.0,
        v0: 1.0,
        u1: 5.5,
        v1: 5.0,
    },
    Rect {
        u0: 6.5,
        v0: 1.0,
        u1: 10.5,
        v1: 5.0,
    },
    Rect {
        u0: 11.5,
        v0: 1.0,
        u1: 15.0,
        v1: 5.0,
    },
    Rect {
        u0: 16.0,
        v0: 1.0,
        u1: 19.0,
        v1: 5.0,
    },
    Rect {
        u0: 1.0,
        v0: 6.0,
        u1: 4.5,
        v1: 12.5,
    },
    Rect {
        u0: 15.5,
        v0: 6.0,
        u1: 19.0,
        v1: 12.5,
    },
    Rect {
        u0: 7.0,
        v0: 7.5,
        u1: 13.0,
        v1: 12.0,
    },
];

struct Ctx<'a> {
    plan: &'a VillagePlan,
    lattice: &'a Lattice,
    frame: &'a Frame,
    out: VillageOut,
    serial: u32,
    hh_serial: u32,
}

impl Ctx<'_> {
    /// Plot-relative rectangle → local rectangle.
    fn in_plot(plot: &Plot, r: Rect) -> Rect {
        let p = plot.rect;
        if plot.street_at_v0 {
            Rect {
                u0: p.u0 + r.u0,
                v0: p.v0 + r.v0,
                u1: p.u0 + r.u1,
                v1: p.v0 + r.v1,
            }
        } else {
            Rect {
                u0: p.u0 + r.u0,
                v0: p.v1 - r.v1,
                u1: p.u0 + r.u1,
                v1: p.v1 - r.v0,
            }
        }
    }

    fn footprint(&self, r: Rect) -> MultiPolygon<f64> {
        let [a, b, c, d] = r
            .corners()
            .map(|c| self.lattice.to_lonlat(self.frame.to_global(c)));
        MultiPolygon(vec![Polygon::new(LineString(vec![a, b, c, d, a]), vec![])])
    }

    fn push(
        &mut self,
        r: Rect,
        use_: BuildingUse,
        levels: u16,
        households: u32,
        address: Option<String>,
    ) -> String {
        self.serial += 1;
        let source_id = format!("synth:b/{}-{}", self.plan.code, self.serial);
        let households = if households > 0 {
            HouseholdCount::registered(households)
        } else {
            HouseholdCount::default()
        };
        self.out.buildings.push(Building {
            source_id: source_id.clone(),
            footprint: self.footprint(r),
            building_use: use_,
            levels: Some(levels),
            height: Some(f32::from(levels) * 3.0),
            households,
            address,
            village: Some(self.plan.code.clone()),
        });
        source_id
    }

    fn household(
        &mut self,
        building: &str,
        entrance: Option<u32>,
        floor: i16,
        unit: Option<String>,
        address: String,
        rng: &mut impl Rng,
    ) {
        self.hh_serial += 1;
        let tags = if rng.gen_bool(0.06) {
            vec![[
                "低保户",
                "独居老人",
                "留守儿童",
                "残疾人",
                "退役军人",
                "重点关注",
            ]
            .choose(rng)
            .copied()
            .unwrap_or("低保户")
            .to_owned()]
        } else {
            Vec::new()
        };
        self.out.households.push(Household {
            id: format!("{}-{:05}", self.plan.code, self.hh_serial),
            building: Some(building.to_owned()),
            location: None,
            entrance: entrance.map(|e| e.to_string()),
            floor: Some(floor),
            unit,
            address: Some(address),
            head: Some(names::person(rng)),
            phone: Some(names::phone(rng)),
            members: Some(rng.gen_range(1..=6)),
            tags,
        });
    }

    fn house(&mut self, plot: &Plot, households: u32, params: &SynthParams, rng: &mut impl Rng) {
        let len = rng.gen_range(9.0..15.0);
        let depth = rng.gen_range(6.5..9.0);
        let u0 = rng.gen_range(1.0..(19.0 - len));
        let main = Rect {
            u0,
            v0: 14.0,
            u1: u0 + len,
            v1: 14.0 + depth,
        };
        let levels = match households {
            1 => rng.gen_range(1..=2),
            2 => rng.gen_range(1..=3),
            _ => rng.gen_range(2..=3),
        };
        let number = self.serial + 1;
        let address = format!("{}{}{}号", self.plan.township_name, self.plan.name, number);
        let id = self.push(
            Self::in_plot(plot, main),
            BuildingUse::Residential,
            levels,
            households,
            Some(address.clone()),
        );
        for _ in 0..households {
            let floor = rng.gen_range(1..=levels) as i16;
            self.household(&id, None, floor, None, address.clone(), rng);
        }
        let (lo, hi) = params.outbuildings_per_house;
        let n = usize::from(rng.gen_range(lo.min(hi)..=hi)).min(OUTBUILDING_SLOTS.len());
        let mut slots = OUTBUILDING_SLOTS;
        slots.shuffle(rng);
        for slot in slots.iter().take(n) {
            let w = (slot.u1 - slot.u0) * rng.gen_range(0.6..1.0);
            let d = (slot.v1 - slot.v0) * rng.gen_range(0.6..1.0);
            let su = slot.u0 + rng.gen_range(0.0..=(slot.u1 - slot.u0 - w));
            let sv = slot.v0 + rng.gen_range(0.0..=(slot.v1 - slot.v0 - d));
            let r = Rect {
                u0: su,
                v0: sv,
                u1: su + w,
                v1: sv + d,
            };
            self.push(Self::in_plot(plot, r), BuildingUse::Other, 1, 0, None);
        }
    }

    fn institution(&mut self, plot: &Plot, kind: &str, rng: &mut impl Rng) {
        let w = rng.gen_range(12.0..18.0);
        let d = rng.gen_range(10.0..20.0);
        let r = Rect {
            u0: 1.0,
            v0: 2.0,
            u1: 1.0 + w,
            v1: 2.0 + d,
        };
        let levels = rng.gen_range(1..=4);
        let address = format!("{}{}{}", self.plan.township_name, self.plan.name, kind);
        self.push(
            Self::in_plot(plot, r),
            BuildingUse::Institution,
            levels,
            0,
            Some(address),
        );
    }

    fn tower(&mut self, lot: Rect, households: u32, number: usize, rng: &mut impl Rng) {
        let w = rng.gen_range(30.0..42.0);
        let d = rng.gen_range(12.0..16.0);
        let u0 = lot.u0 + rng.gen_range(3.0..(LOT_W - 3.0 - w));
        let v0 = lot.v0 + rng.gen_range(3.0..(LOT_D - 3.0 - d));
        let entrances = ((w / 14.0).round() as u32).clamp(2, 3);
        let levels = households.div_ceil(entrances * 2).max(1);
        let levels16 = u16::try_from(levels).unwrap_or(u16::MAX);
        let address = format!(
            "{}{}{}号楼",
            self.plan.township_name, self.plan.name, number
        );
        let id = self.push(
            Rect {
                u0,
                v0,
                u1: u0 + w,
                v1: v0 + d,
            },
            BuildingUse::Residential,
            levels16,
            households,
            Some(address.clone()),
        );
        let mut left = households;
        'fill: for e in 1..=entrances {
            for f in 1..=levels {
                for n in 1..=2u32 {
                    if left == 0 {
                        break 'fill;
                    }
                    left -= 1;
                    let room = format!("{f}{n:02}");
                    let addr = format!("{address}{e}单元{room}");
                    self.household(
                        &id,
                        Some(e),
                        i16::try_from(f).unwrap_or(i16::MAX),
                        Some(room),
                        addr,
                        rng,
                    );
                }
            }
        }
    }

    /// Households that found no plot join the village's existing houses (rare: only when a
    /// village is too small for its target).
    fn overflow(&mut self, mut households: u32, rng: &mut impl Rng) {
        let homes: Vec<usize> = (0..self.out.buildings.len())
            .filter(|&i| {
                self.out
                    .buildings
                    .get(i)
                    .is_some_and(|b| b.building_use == BuildingUse::Residential)
            })
            .collect();
        if homes.is_empty() {
            return;
        }
        while households > 0 {
            let Some(&i) = homes.choose(rng) else { return };
            let Some(b) = self.out.buildings.get_mut(i) else {
                return;
            };
            b.households.count += 1;
            let id = b.source_id.clone();
            let address = b.address.clone().unwrap_or_default();
            self.household(&id, None, 1, None, address, rng);
            households -= 1;
        }
    }
}
