//! The incidents the `heat` and `incidents` layers draw, held in memory and kept up to
//! date one incident at a time.
//!
//! # Design
//! - Every incident is a compact [`IncidentMark`] slot (no personal data: no reporter,
//!   phone or description), with its strings interned.
//! - Heat: for each H3 resolution in [`HEAT_RESOLUTIONS`] a map from cell to the times
//!   and categories of the incidents in it, sorted by time, and an R-tree of the
//!   non-empty cells' boxes. An arriving incident adds one entry per resolution (no
//!   rescan); a voided one is taken out (a false report is not heat). Counting a cell
//!   for a time window is two binary searches, plus a pass over the window's entries
//!   when categories are asked for.
//! - Points: an R-tree of incident positions for the `incidents` layer.
//! - [`IncidentIndex::touched`] says which tiles a change needs purged: at each zoom,
//!   those meeting the box of the cell that zoom draws (a heat cell is larger than the
//!   point, so purging by the point alone would leave stale neighbours).
//!
//! ```
//! use gridmap_tiles::incidents::{HeatQuery, IncidentIndex, IncidentMark};
//! let mut index = IncidentIndex::default();
//! index.upsert(IncidentMark::new("R1", 1_000, "public_security", 114.5, 38.0));
//! index.upsert(IncidentMark::new("R2", 2_000, "environment", 114.5, 38.0));
//! let all = HeatQuery::new(0, 10_000);
//! let cells = index.heat_cells_at(gridmap_tiles::incidents::heat_resolution(12), &all);
//! assert_eq!(cells.iter().map(|c| c.1).sum::<u32>(), 2);
//! let only = HeatQuery::new(0, 10_000).with_categories(["environment"]);
//! let cells = index.heat_cells_at(gridmap_tiles::incidents::heat_resolution(12), &only);
//! assert_eq!(cells.iter().map(|c| c.1).sum::<u32>(), 1);
//! ```

use crate::coord::lonlat_to_world;
use crate::point_buckets::PointBuckets;
use gridmap_core::{Incident, IncidentStatus};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

/// The H3 resolutions heat is kept at; [`heat_resolution`] picks one per zoom.
pub const HEAT_RESOLUTIONS: RangeInclusive<u8> = 5..=11;

/// The H3 resolution the heat layer draws at zoom `z`: about 30 cells across a tile
/// (each zoom halves a tile's width; each resolution divides a cell's edge by √7).
///
/// ```
/// use gridmap_tiles::incidents::heat_resolution;
/// assert_eq!(u8::from(heat_resolution(8)), 6);
/// assert_eq!(u8::from(heat_resolution(12)), 9);
/// assert_eq!(u8::from(heat_resolution(15)), 11);
/// assert_eq!(u8::from(heat_resolution(22)), 11);
/// assert_eq!(u8::from(heat_resolution(0)), 5);
/// ```
pub fn heat_resolution(z: u8) -> Resolution {
    let per_zoom = std::f64::consts::LN_2 / 7f64.sqrt().ln();
    let r = (6.0 + (f64::from(z) - 8.0) * per_zoom).round();
    let r = r.clamp(
        f64::from(*HEAT_RESOLUTIONS.start()),
        f64::from(*HEAT_RESOLUTIONS.end()),
    ) as u8;
    Resolution::try_from(r).unwrap_or(Resolution::Nine)
}

/// An incident as the map layers and the wall see it: where, when, what and how far
/// along. No personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentMark {
    /// The incident's id.
    pub id: String,
    /// Unix seconds of the report.
    pub time: i64,
    /// The taxonomy group.
    pub category: String,
    /// The taxonomy type.
    pub subcategory: Option<String>,
    /// Where it is in the loop.
    pub status: IncidentStatus,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// When the running stage is due (`None`: no deadline, or the clock is paused).
    pub due: Option<i64>,
    /// Unix seconds of closing.
    pub closed_at: Option<i64>,
    /// A stage finished late.
    pub late: bool,
    /// Satisfaction 1–5.
    pub rating: Option<u8>,
    /// The grid it was placed in.
    pub grid: Option<String>,
    /// The village's division code.
    pub village: Option<String>,
    /// The township's division code.
    pub township: Option<String>,
}

impl IncidentMark {
    /// A just-reported incident of `category` at `lon, lat` with nothing else known.
    pub fn new(id: &str, time: i64, category: &str, lon: f64, lat: f64) -> IncidentMark {
        IncidentMark {
            id: id.to_owned(),
            time,
            category: category.to_owned(),
            subcategory: None,
            status: IncidentStatus::Reported,
            lon,
            lat,
            due: None,
            closed_at: None,
            late: false,
            rating: None,
            grid: None,
            village: None,
            township: None,
        }
    }

    /// Open and past its stage's deadline at `now`.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status.is_open() && self.due.is_some_and(|d| now > d)
    }
}

impl From<&Incident> for IncidentMark {
    fn from(i: &Incident) -> IncidentMark {
        let code = |c: Option<&gridmap_core::DivisionCode>| c.map(|c| c.as_str().to_owned());
        IncidentMark {
            id: i.id.clone(),
            time: i.time,
            category: i.category.clone(),
            subcategory: i.subcategory.clone(),
            status: i.status,
            lon: i.location.x(),
            lat: i.location.y(),
            due: i
                .work
                .clock
                .filter(|c| c.paused_left_s.is_none())
                .map(|c| c.due),
            closed_at: i.work.closed_at,
            late: i.work.late_stages > 0,
            rating: i.work.rating,
            grid: i.grid.as_ref().map(|g| g.as_str().to_owned()),
            village: code(i.village.as_ref()),
            township: code(i.township.as_ref()),
        }
    }
}

/// Which incidents heat counts and the point layer shows: reported in `[from, to)`,
/// of any of `categories` (group or type codes; `None`: all).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HeatQuery {
    /// Reported at or after (Unix seconds).
    pub from: i64,
    /// Reported before (Unix seconds).
    pub to: i64,
    /// Group or type codes; `None`: all.
    pub categories: Option<Vec<String>>,
}

impl HeatQuery {
    /// Every category, reported in `[from, to)`.
    pub fn new(from: i64, to: i64) -> HeatQuery {
        HeatQuery {
            from,
            to,
            categories: None,
        }
    }

    /// Only these group or type codes.
    pub fn with_categories<S: Into<String>>(
        mut self,
        categories: impl IntoIterator<Item = S>,
    ) -> HeatQuery {
        self.categories = Some(categories.into_iter().map(Into::into).collect());
        self
    }

    /// A cache key part that tells queries apart.
    pub fn cache_key(&self) -> String {
        let cats = self.categories.as_ref().map(|c| c.join(","));
        format!("{}..{};{}", self.from, self.to, cats.unwrap_or_default())
    }
}

/// Interned strings: categories and places repeat across many incidents.
#[derive(Debug, Default)]
struct Names {
    names: Vec<Box<str>>,
    ids: HashMap<Box<str>, u32>,
}

/// No name.
const NONE: u32 = u32::MAX;

impl Names {
    fn intern(&mut self, name: Option<&str>) -> u32 {
        let Some(name) = name else { return NONE };
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    fn get(&self, id: u32) -> Option<&str> {
        self.names.get(id as usize).map(|s| &**s)
    }

    fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// One stored incident.
#[derive(Debug, Clone)]
struct Slot {
    id: Box<str>,
    time: i64,
    due: Option<i64>,
    closed_at: Option<i64>,
    world: [f64; 2],
    lonlat: [f64; 2],
    category: u32,
    subcategory: u32,
    grid: u32,
    village: u32,
    township: u32,
    status: IncidentStatus,
    rating: Option<u8>,
    late: bool,
}

/// One incident in one heat cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct HeatEntry {
    time: i64,
    category: u32,
    subcategory: u32,
}

type CellBox = GeomWithData<Rectangle<[f64; 2]>, CellIndex>;
/// Heat at one resolution.
#[derive(Debug)]
struct HeatLevel {
    res: Resolution,
    cells: HashMap<CellIndex, Vec<HeatEntry>>,
    /// Boxes (world coordinates) of the non-empty cells.
    tree: RTree<CellBox>,
}

impl HeatLevel {
    fn new(res: Resolution) -> HeatLevel {
        HeatLevel {
            res,
            cells: HashMap::new(),
            tree: RTree::new(),
        }
    }

    /// Adds `e` to `cell`, in time order unless `unsorted` collects the cells whose
    /// entries the caller sorts afterwards (a batch: one sort per cell instead of an
    /// insert in the middle per incident).
    fn add(&mut self, cell: CellIndex, e: HeatEntry, unsorted: Option<&mut HashSet<CellIndex>>) {
        let entries = self.cells.entry(cell).or_default();
        if entries.is_empty() {
            self.tree.insert(CellBox::new(cell_box(cell), cell));
        }
        match unsorted {
            Some(cells) => {
                if entries.last().is_some_and(|last| *last > e) {
                    cells.insert(cell);
                }
                entries.push(e);
            }
            // Incidents mostly arrive in time order: a push, else an insert in place.
            None => {
                let at = entries.partition_point(|x| *x <= e);
                entries.insert(at, e);
            }
        }
    }

    fn sort(&mut self, cells: &HashSet<CellIndex>) {
        for c in cells {
            if let Some(entries) = self.cells.get_mut(c) {
                entries.sort_unstable();
            }
        }
    }

    fn remove(&mut self, cell: CellIndex, e: HeatEntry) {
        let Some(entries) = self.cells.get_mut(&cell) else {
            return;
        };
        if let Ok(at) = entries.binary_search(&e) {
            entries.remove(at);
        }
        if entries.is_empty() {
            self.cells.remove(&cell);
            self.tree.remove(&CellBox::new(cell_box(cell), cell));
        }
    }
}

/// The box of `cell` in world coordinates.
fn cell_box(cell: CellIndex) -> Rectangle<[f64; 2]> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for v in cell.boundary().iter() {
        let (x, y) = lonlat_to_world(v.lng(), v.lat());
        lo = [lo[0].min(x), lo[1].min(y)];
        hi = [hi[0].max(x), hi[1].max(y)];
    }
    Rectangle::from_corners(lo, hi)
}

/// An incident's cell at `res`, `None` for a position H3 refuses (not finite).
fn cell_at(lonlat: [f64; 2], res: Resolution) -> Option<CellIndex> {
    LatLng::new(lonlat[1], lonlat[0])
        .ok()
        .map(|ll| ll.to_cell(res))
}

/// Number of resolutions in [`HEAT_RESOLUTIONS`].
const LEVELS: usize = (*HEAT_RESOLUTIONS.end() - *HEAT_RESOLUTIONS.start() + 1) as usize;

/// An incident's cell at every resolution of [`HEAT_RESOLUTIONS`], coarsest first: the
/// finest from the position, the others as its ancestors (bit operations, no
/// trigonometry; no allocation: this runs per incident on ingest).
fn cells_of(lonlat: [f64; 2]) -> [Option<CellIndex>; LEVELS] {
    let finest = Resolution::try_from(*HEAT_RESOLUTIONS.end())
        .ok()
        .and_then(|r| cell_at(lonlat, r));
    std::array::from_fn(|i| {
        let res = Resolution::try_from(*HEAT_RESOLUTIONS.start() + i as u8).ok()?;
        finest?.parent(res)
    })
}

/// The heat cell at `res` an incident at `lon, lat` counts in: the ancestor of its
/// cell at the finest resolution kept (H3 cells do not nest exactly, so this may differ
/// from the cell holding the point near a cell's edge; every count uses this one).
///
/// ```
/// use gridmap_tiles::incidents::{heat_cell, heat_resolution};
/// let fine = heat_cell(114.5, 38.0, heat_resolution(15)).unwrap();
/// let coarse = heat_cell(114.5, 38.0, heat_resolution(8)).unwrap();
/// assert_eq!(fine.parent(coarse.resolution()), Some(coarse));
/// ```
pub fn heat_cell(lon: f64, lat: f64, res: Resolution) -> Option<CellIndex> {
    let finest = Resolution::try_from(*HEAT_RESOLUTIONS.end()).ok()?;
    cell_at([lon, lat], finest)?.parent(res.min(finest))
}

/// The incidents of a running server, indexed for heat and points.
#[derive(Debug)]
pub struct IncidentIndex {
    slots: Vec<Slot>,
    by_id: HashMap<Box<str>, u32>,
    categories: Names,
    places: Names,
    heat: Vec<HeatLevel>,
    points: PointBuckets,
}

impl Default for IncidentIndex {
    fn default() -> IncidentIndex {
        IncidentIndex {
            slots: Vec::new(),
            by_id: HashMap::new(),
            categories: Names::default(),
            places: Names::default(),
            heat: HEAT_RESOLUTIONS
                .filter_map(|r| Resolution::try_from(r).ok())
                .map(HeatLevel::new)
                .collect(),
            points: PointBuckets::default(),
        }
    }
}

/// Whether heat counts an incident in this status.
fn counts_as_heat(status: IncidentStatus) -> bool {
    status != IncidentStatus::Voided
}

impl IncidentIndex {
    /// An index of `marks`.
    pub fn from_marks(marks: impl IntoIterator<Item = IncidentMark>) -> IncidentIndex {
        let mut index = IncidentIndex::default();
        index.upsert_many(marks);
        index
    }

    /// [`IncidentIndex::upsert`] for a batch (an import): new incidents' heat entries
    /// are appended and each cell sorted once.
    pub fn upsert_many(&mut self, marks: impl IntoIterator<Item = IncidentMark>) {
        let mut unsorted = vec![HashSet::new(); self.heat.len()];
        for m in marks {
            if self.by_id.contains_key(m.id.as_str()) {
                self.upsert(m);
            } else if let Some(slot) = self.insert_slot(&m, Some(&mut unsorted)) {
                self.points.insert(self.slots[slot as usize].world, slot);
            }
        }
        self.sort_cells(&unsorted);
    }

    fn sort_cells(&mut self, unsorted: &[HashSet<CellIndex>]) {
        for (level, cells) in self.heat.iter_mut().zip(unsorted) {
            level.sort(cells);
        }
    }

    /// Number of incidents held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no incident is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds a new incident or updates a known one (by id); returns whether it was new.
    /// A position, time or category change moves its heat; voiding takes it out.
    pub fn upsert(&mut self, m: IncidentMark) -> bool {
        match self.by_id.get(m.id.as_str()).copied() {
            None => {
                if let Some(slot) = self.insert_slot(&m, None) {
                    self.points.insert(self.slots[slot as usize].world, slot);
                }
                true
            }
            Some(slot) => {
                let old = self.slots[slot as usize].clone();
                let new = self.slot_of(&m);
                if counts_as_heat(old.status) {
                    self.heat_remove(&old);
                }
                if counts_as_heat(new.status) {
                    self.heat_add(&new, None);
                }
                if old.world != new.world {
                    self.points.remove(old.world, slot);
                    self.points.insert(new.world, slot);
                }
                self.slots[slot as usize] = new;
                false
            }
        }
    }

    fn slot_of(&mut self, m: &IncidentMark) -> Slot {
        let (x, y) = lonlat_to_world(m.lon, m.lat);
        Slot {
            id: m.id.as_str().into(),
            time: m.time,
            due: m.due,
            closed_at: m.closed_at,
            world: [x, y],
            lonlat: [m.lon, m.lat],
            category: self.categories.intern(Some(&m.category)),
            subcategory: self.categories.intern(m.subcategory.as_deref()),
            grid: self.places.intern(m.grid.as_deref()),
            village: self.places.intern(m.village.as_deref()),
            township: self.places.intern(m.township.as_deref()),
            status: m.status,
            rating: m.rating,
            late: m.late,
        }
    }

    /// Stores a new incident and its heat (not its point); `None` for a position
    /// outside the world.
    fn insert_slot(
        &mut self,
        m: &IncidentMark,
        unsorted: Option<&mut Vec<HashSet<CellIndex>>>,
    ) -> Option<u32> {
        if !(m.lon.is_finite() && m.lat.is_finite()) || self.by_id.contains_key(m.id.as_str()) {
            return None;
        }
        let slot = self.slot_of(m);
        if counts_as_heat(slot.status) {
            self.heat_add(&slot, unsorted);
        }
        let n = self.slots.len() as u32;
        self.by_id.insert(slot.id.clone(), n);
        self.slots.push(slot);
        Some(n)
    }

    fn heat_entry(s: &Slot) -> HeatEntry {
        HeatEntry {
            time: s.time,
            category: s.category,
            subcategory: s.subcategory,
        }
    }

    fn heat_add(&mut self, s: &Slot, mut unsorted: Option<&mut Vec<HashSet<CellIndex>>>) {
        let e = Self::heat_entry(s);
        let cells = cells_of(s.lonlat);
        for (i, (level, cell)) in self.heat.iter_mut().zip(cells).enumerate() {
            if let Some(cell) = cell {
                let cells = unsorted.as_deref_mut().and_then(|u| u.get_mut(i));
                level.add(cell, e, cells);
            }
        }
    }

    fn heat_remove(&mut self, s: &Slot) {
        let e = Self::heat_entry(s);
        for (level, cell) in self.heat.iter_mut().zip(cells_of(s.lonlat)) {
            if let Some(cell) = cell {
                level.remove(cell, e);
            }
        }
    }

    /// The category ids `q` asks for (`None`: all).
    fn category_filter(&self, q: &HeatQuery) -> Option<Vec<u32>> {
        q.categories
            .as_ref()
            .map(|names| names.iter().filter_map(|n| self.categories.id(n)).collect())
    }

    fn level(&self, res: Resolution) -> Option<&HeatLevel> {
        self.heat.iter().find(|l| l.res == res)
    }

    /// The cells at `res` meeting the world box `[min_x, min_y, max_x, max_y]` with
    /// the number of incidents `q` counts in each (cells counting none are left out),
    /// in cell order.
    pub fn heat_cells_in(
        &self,
        res: Resolution,
        world: [f64; 4],
        q: &HeatQuery,
    ) -> Vec<(CellIndex, u32)> {
        let Some(level) = self.level(res) else {
            return Vec::new();
        };
        let env = AABB::from_corners([world[0], world[1]], [world[2], world[3]]);
        let cats = self.category_filter(q);
        let mut out: Vec<(CellIndex, u32)> = level
            .tree
            .locate_in_envelope_intersecting(&env)
            .filter_map(|b| {
                let entries = level.cells.get(&b.data)?;
                let n = count_entries(entries, q, cats.as_deref());
                (n > 0).then_some((b.data, n))
            })
            .collect();
        out.sort_unstable_by_key(|c| c.0);
        out
    }

    /// Every cell at `res` with its count under `q` (for tests and exports).
    pub fn heat_cells_at(&self, res: Resolution, q: &HeatQuery) -> Vec<(CellIndex, u32)> {
        self.heat_cells_in(res, [f64::MIN, f64::MIN, f64::MAX, f64::MAX], q)
    }

    /// The incidents `q` counts whose position lies in the world box, in report
    /// order (oldest first).
    pub fn points_in(&self, world: [f64; 4], q: &HeatQuery) -> Vec<IncidentMark> {
        let cats = self.category_filter(q);
        let mut slots: Vec<u32> = self
            .points
            .in_box(world)
            .filter(|&i| {
                self.slots.get(i as usize).is_some_and(|s| {
                    s.time >= q.from
                        && s.time < q.to
                        && category_matches(s.category, s.subcategory, cats.as_deref())
                })
            })
            .collect();
        slots.sort_unstable_by_key(|&i| (self.slots[i as usize].time, i));
        slots.into_iter().filter_map(|i| self.mark(i)).collect()
    }

    fn mark(&self, slot: u32) -> Option<IncidentMark> {
        let s = self.slots.get(slot as usize)?;
        let name = |n: &Names, id: u32| n.get(id).map(str::to_owned);
        Some(IncidentMark {
            id: s.id.to_string(),
            time: s.time,
            category: name(&self.categories, s.category).unwrap_or_default(),
            subcategory: name(&self.categories, s.subcategory),
            status: s.status,
            lon: s.lonlat[0],
            lat: s.lonlat[1],
            due: s.due,
            closed_at: s.closed_at,
            late: s.late,
            rating: s.rating,
            grid: name(&self.places, s.grid),
            village: name(&self.places, s.village),
            township: name(&self.places, s.township),
        })
    }

    /// The incident `id`.
    pub fn get(&self, id: &str) -> Option<IncidentMark> {
        self.by_id.get(id).and_then(|&s| self.mark(s))
    }

    /// The incidents whose position lies in the world box (edges included), in no
    /// particular order.
    pub fn marks_in(&self, world: [f64; 4]) -> impl Iterator<Item = MarkRef<'_>> {
        self.points
            .in_box(world)
            .filter_map(move |i| self.slots.get(i as usize))
            .map(move |s| MarkRef { index: self, s })
    }

    /// Every incident, in the order they were added (for the wall's figures).
    pub fn marks(&self) -> impl Iterator<Item = MarkRef<'_>> {
        self.slots.iter().map(move |s| MarkRef { index: self, s })
    }

    /// Where a change at `lon, lat` shows: for every zoom the heat layer draws, the
    /// world box of the cell it draws there (the point itself for the point layer).
    /// A tile at zoom `z` needs purging when its buffered square meets `boxes[z]`.
    pub fn touched(lon: f64, lat: f64, max_zoom: u8) -> Vec<[f64; 4]> {
        let (x, y) = lonlat_to_world(lon, lat);
        (0..=max_zoom)
            .map(|z| {
                let cell = heat_cell(lon, lat, heat_resolution(z));
                match cell.map(cell_box) {
                    Some(r) => {
                        let (lo, hi) = (r.lower(), r.upper());
                        [lo[0].min(x), lo[1].min(y), hi[0].max(x), hi[1].max(y)]
                    }
                    None => [x, y, x, y],
                }
            })
            .collect()
    }

    /// Where changes inside the lon/lat box `[min_lon, min_lat, max_lon, max_lat]`
    /// show at any zoom: the box in world coordinates grown by the largest heat cell.
    pub fn touched_area(bbox: [f64; 4]) -> [f64; 4] {
        let (x0, y1) = lonlat_to_world(bbox[0], bbox[1]);
        let (x1, y0) = lonlat_to_world(bbox[2], bbox[3]);
        let coarsest = Self::touched((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0, 0);
        let m = coarsest
            .first()
            .map_or(0.0, |b| (b[2] - b[0]).max(b[3] - b[1]));
        [x0 - m, y0 - m, x1 + m, y1 + m]
    }
}

fn category_matches(category: u32, subcategory: u32, cats: Option<&[u32]>) -> bool {
    cats.is_none_or(|c| c.contains(&category) || (subcategory != NONE && c.contains(&subcategory)))
}

/// The entries of one cell reported in the query's window and categories.
fn count_entries(entries: &[HeatEntry], q: &HeatQuery, cats: Option<&[u32]>) -> u32 {
    let lo = entries.partition_point(|e| e.time < q.from);
    let hi = entries.partition_point(|e| e.time < q.to);
    let window = entries.get(lo..hi.max(lo)).unwrap_or(&[]);
    match cats {
        None => window.len() as u32,
        Some(c) => window
            .iter()
            .filter(|e| category_matches(e.category, e.subcategory, Some(c)))
            .count() as u32,
    }
}

/// A borrowed view of one incident of an [`IncidentIndex`].
#[derive(Debug, Clone, Copy)]
pub struct MarkRef<'a> {
    index: &'a IncidentIndex,
    s: &'a Slot,
}

#[allow(missing_docs)] // accessors of the fields of [`IncidentMark`]
impl<'a> MarkRef<'a> {
    pub fn id(&self) -> &'a str {
        &self.s.id
    }
    pub fn time(&self) -> i64 {
        self.s.time
    }
    /// WGS84 longitude and latitude.
    pub fn lon_lat(&self) -> (f64, f64) {
        (self.s.lonlat[0], self.s.lonlat[1])
    }
    pub fn status(&self) -> IncidentStatus {
        self.s.status
    }
    pub fn category(&self) -> &'a str {
        self.index.categories.get(self.s.category).unwrap_or("")
    }
    pub fn subcategory(&self) -> Option<&'a str> {
        self.index.categories.get(self.s.subcategory)
    }
    pub fn township(&self) -> Option<&'a str> {
        self.index.places.get(self.s.township)
    }
    pub fn village(&self) -> Option<&'a str> {
        self.index.places.get(self.s.village)
    }
    pub fn grid(&self) -> Option<&'a str> {
        self.index.places.get(self.s.grid)
    }
    pub fn closed_at(&self) -> Option<i64> {
        self.s.closed_at
    }
    pub fn rating(&self) -> Option<u8> {
        self.s.rating
    }
    /// A stage finished late.
    pub fn late(&self) -> bool {
        self.s.late
    }
    /// Open and past its stage's deadline at `now`.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.s.status.is_open() && self.s.due.is_some_and(|d| now > d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(id: &str, time: i64, cat: &str, lon: f64, lat: f64) -> IncidentMark {
        IncidentMark::new(id, time, cat, lon, lat)
    }

    fn total(index: &IncidentIndex, res: u8, q: &HeatQuery) -> u32 {
        let res = Resolution::try_from(res).unwrap();
        index.heat_cells_at(res, q).iter().map(|c| c.1).sum()
    }

    #[test]
    fn every_resolution_counts_the_incidents_in_the_window() {
        let mut index = IncidentIndex::default();
        for i in 0..50 {
            let lon = 114.5 + f64::from(i) * 0.003;
            index.upsert(mark(&format!("R{i}"), i64::from(i) * 100, "a", lon, 38.0));
        }
        let q = HeatQuery::new(1_000, 3_000); // i = 10..30
        for res in HEAT_RESOLUTIONS {
            assert_eq!(total(&index, res, &q), 20, "resolution {res}");
        }
        // Finer resolutions split the same incidents over more cells.
        let coarse = index.heat_cells_at(Resolution::Five, &q).len();
        let fine = index.heat_cells_at(Resolution::Eleven, &q).len();
        assert!(coarse < fine, "{coarse} cells at 5, {fine} at 11");
    }

    #[test]
    fn voiding_takes_an_incident_out_of_the_heat_and_moving_it_moves_it() {
        let mut index = IncidentIndex::default();
        assert!(index.upsert(mark("R1", 10, "a", 114.5, 38.0)));
        let q = HeatQuery::new(0, 100);
        let before = index.heat_cells_at(Resolution::Nine, &q);
        let mut moved = mark("R1", 10, "a", 114.6, 38.1);
        assert!(!index.upsert(moved.clone()));
        let after = index.heat_cells_at(Resolution::Nine, &q);
        assert_eq!(after.len(), 1);
        assert_ne!(before[0].0, after[0].0);
        moved.status = IncidentStatus::Voided;
        index.upsert(moved);
        assert!(index.heat_cells_at(Resolution::Nine, &q).is_empty());
        assert_eq!(index.len(), 1, "the incident is still listed");
        assert_eq!(index.get("R1").unwrap().status, IncidentStatus::Voided);
    }

    #[test]
    fn categories_match_groups_and_types_and_unknown_ones_match_nothing() {
        let mut index = IncidentIndex::default();
        let mut m = mark("R1", 10, "environment", 114.5, 38.0);
        m.subcategory = Some("env_noise".into());
        index.upsert(m);
        index.upsert(mark("R2", 11, "security", 114.5, 38.0));
        let q = |c: &[&str]| HeatQuery::new(0, 100).with_categories(c.iter().copied());
        assert_eq!(total(&index, 9, &q(&["environment"])), 1);
        assert_eq!(total(&index, 9, &q(&["env_noise", "security"])), 2);
        assert_eq!(total(&index, 9, &q(&["nothing"])), 0);
        assert_eq!(total(&index, 9, &HeatQuery::new(0, 100)), 2);
    }

    #[test]
    fn bulk_loading_equals_adding_one_by_one() {
        let marks: Vec<IncidentMark> = (0..200)
            .map(|i| {
                let f = f64::from(i);
                mark(
                    &format!("R{i}"),
                    i64::from(i),
                    "a",
                    114.5 + f * 1e-3,
                    38.0 + (f * 7.0 % 13.0) * 1e-3,
                )
            })
            .collect();
        let bulk = IncidentIndex::from_marks(marks.clone());
        let mut one = IncidentIndex::default();
        for m in marks {
            one.upsert(m);
        }
        let q = HeatQuery::new(20, 150);
        for res in HEAT_RESOLUTIONS {
            let r = Resolution::try_from(res).unwrap();
            assert_eq!(bulk.heat_cells_at(r, &q), one.heat_cells_at(r, &q));
        }
        let world = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(bulk.points_in(world, &q), one.points_in(world, &q));
        assert_eq!(bulk.points_in(world, &q).len(), 130);
    }

    #[test]
    fn the_touched_box_holds_the_cell_drawn_at_each_zoom() {
        let boxes = IncidentIndex::touched(114.5, 38.0, 16);
        assert_eq!(boxes.len(), 17);
        let width = |b: &[f64; 4]| b[2] - b[0];
        // Coarser zooms draw larger cells.
        assert!(width(&boxes[8]) > width(&boxes[12]));
        assert!(width(&boxes[12]) > width(&boxes[16]));
        let (x, y) = lonlat_to_world(114.5, 38.0);
        for b in &boxes {
            assert!(b[0] <= x && x <= b[2] && b[1] <= y && y <= b[3]);
        }
    }
}
