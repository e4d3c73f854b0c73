//! OpenStreetMap PBF reader: buildings, admin boundaries and barrier lines in one call.
//!
//! # What is read
//!
//! * **Buildings**: closed ways with `building=*` (not `no`) and `type=multipolygon`
//!   relations with `building=*`. `source_id` is `osm:way/<id>` or `osm:relation/<id>`;
//!   use from [`BuildingUse::from_osm_building`], levels from `building:levels`, height from
//!   `height` (metres, an `m` suffix is allowed), address from `addr:street` +
//!   `addr:housenumber`, else `name`. A tag that is not a number (e.g.
//!   `building:levels=two`) is ignored and reported as a repair: OSM tags are free text and
//!   the footprint is still good. Household counts are left empty: run
//!   [`estimate_households`](crate::estimate_households) afterwards.
//! * **Admin boundaries**: `boundary=administrative` relations at
//!   [`OsmOptions::admin_level`] (default 10) become villages, those at
//!   [`OsmOptions::township_admin_level`] (default 8) townships, with the OSM `name`,
//!   `source_id = osm:relation/<id>` and a synthetic division code ([`codes`]).
//! * **Barriers**: ways with `highway=primary|secondary|tertiary|residential|trunk|unclassified`
//!   (kind `road`), `waterway=*` (`river`) or `railway=rail` (`railway`), as
//!   [`Barrier`]s, split where nodes are missing from the extract.
//!
//! # Algorithm
//!
//! Three streaming passes (`scan.rs`) collect relations, then ways, then the coordinates
//! of the nodes those use. Relation rings are joined from member ways and holes assigned
//! to outers ([`rings`]); every polygon then goes through [`crate::repair`]. Features that
//! reference nodes or ways missing from the extract are rejected.
//!
//! # Examples
//!
//! ```
//! use gridmap_importers::{read_osm, OsmOptions};
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/osm/kotka.osm.pbf");
//! let data = read_osm(path, &OsmOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
//! assert!(data.buildings.len() > 2000);
//! assert!(data.buildings[0].source_id.starts_with("osm:"));
//! ```

pub mod codes;
pub mod rings;
mod scan;

use crate::error::ImportError;
use crate::repair::{self, check_coord};
use crate::report::{file_name, ImportReport, Issue};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon};
use gridmap_core::{AdminLevel, AdminUnit, Barrier, Building, BuildingUse, HouseholdCount};
use indicatif::ProgressBar;
use scan::{RelKind, Scan, Tags};
use std::collections::HashMap;
use std::path::Path;

/// What to read from an OSM file and how to code its boundaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsmOptions {
    /// `admin_level` of the boundaries imported as villages (default 10).
    pub admin_level: u8,
    /// `admin_level` of the boundaries imported as townships (default `Some(8)`).
    pub township_admin_level: Option<u8>,
    /// 6-digit county part of the synthetic division codes (default `990000`).
    pub county_code: String,
    /// Read buildings (default true).
    pub buildings: bool,
    /// Read admin boundaries (default true).
    pub boundaries: bool,
    /// Read barrier lines (default true).
    pub barriers: bool,
    /// Buildings and boundaries with more vertices than this are rejected (see
    /// [`repair::check_vertex_count`]).
    pub max_vertices: usize,
}

impl Default for OsmOptions {
    fn default() -> Self {
        OsmOptions {
            admin_level: 10,
            township_admin_level: Some(8),
            county_code: "990000".into(),
            buildings: true,
            boundaries: true,
            barriers: true,
            max_vertices: repair::DEFAULT_MAX_VERTICES,
        }
    }
}

/// Everything read from one OSM file.
#[derive(Debug, Clone, Default)]
pub struct OsmData {
    /// Townships and villages with synthetic codes.
    pub admin_units: Vec<AdminUnit>,
    /// Building footprints.
    pub buildings: Vec<Building>,
    /// Roads, rivers and railways.
    pub barriers: Vec<Barrier>,
    /// Counts, repairs and rejections over all three layers.
    pub report: ImportReport,
}

/// Reads buildings, admin boundaries and barriers from an OSM PBF file (see the module
/// docs). `bar` advances by bytes read over three passes.
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_osm(
    path: impl AsRef<Path>,
    options: &OsmOptions,
    bar: &ProgressBar,
) -> Result<OsmData, ImportError> {
    let path = path.as_ref();
    let county_ok =
        options.county_code.len() == 6 && options.county_code.bytes().all(|b| b.is_ascii_digit());
    if !county_ok {
        return Err(ImportError::Options {
            message: format!("OSM county code {:?} must be 6 digits", options.county_code),
        });
    }
    let scan = scan::scan(path, options, bar)?;
    let mut ctx = Ctx {
        file: file_name(path),
        report: ImportReport::default(),
        index: 0,
    };
    let mut data = OsmData::default();

    for way in &scan.building_ways {
        let idx = ctx.next();
        let id = format!("way/{}", way.id);
        let shape = coords(&way.nodes, &scan.nodes).and_then(|c| {
            let parts = vec![(c, vec![])];
            repair::check_vertex_count(&parts, options.max_vertices)?;
            repair::repair_parts(parts)
        });
        if let Some(b) = ctx.building(idx, &id, shape, &way.tags) {
            data.buildings.push(b);
        }
    }

    let mut villages = Vec::new();
    let mut townships = Vec::new();
    for rel in &scan.relations {
        let idx = ctx.next();
        let id = format!("relation/{}", rel.id);
        let shape = relation_shape(rel, &scan, options.max_vertices);
        match rel.kind {
            RelKind::Building => {
                if let Some(b) = ctx.building(idx, &id, shape, &rel.tags) {
                    data.buildings.push(b);
                }
            }
            RelKind::Boundary(level) => {
                if let Some(mp) = ctx.polygon(idx, &id, shape) {
                    let name = rel.tags.get("name").unwrap_or_default().to_owned();
                    if level == options.admin_level {
                        villages.push((idx, rel.id, name, mp));
                    } else {
                        townships.push((idx, rel.id, name, mp));
                    }
                }
            }
        }
    }
    data.admin_units = ctx.code_units(options, villages, townships);

    for (way, kind) in &scan.barrier_ways {
        let idx = ctx.next();
        match barrier_lines(&way.nodes, &scan.nodes) {
            Ok(line) => {
                data.barriers.push(Barrier {
                    source_id: format!("osm:way/{}", way.id),
                    kind: (*kind).to_owned(),
                    line,
                });
                ctx.report.imported += 1;
            }
            Err(reason) => ctx.reject(idx, &format!("way/{}", way.id), reason),
        }
    }
    data.report = ctx.report;
    data.report.log();
    bar.finish();
    Ok(data)
}

struct Ctx {
    file: String,
    report: ImportReport,
    index: usize,
}

impl Ctx {
    fn next(&mut self) -> usize {
        self.report.read += 1;
        self.index += 1;
        self.index - 1
    }

    fn reject(&mut self, idx: usize, id: &str, reason: impl std::fmt::Display) {
        self.report.rejected.push(Issue::rejected(
            &self.file,
            idx,
            Some(id.to_owned()),
            reason,
        ));
    }

    fn polygon(
        &mut self,
        idx: usize,
        id: &str,
        shape: Result<repair::Repaired<MultiPolygon<f64>>, String>,
    ) -> Option<MultiPolygon<f64>> {
        match shape {
            Ok(r) => {
                if !r.fixes.is_empty() {
                    self.report.repaired.push(Issue::repaired(
                        &self.file,
                        idx,
                        Some(id.to_owned()),
                        r.fixes.join(", "),
                    ));
                }
                Some(r.value)
            }
            Err(reason) => {
                self.reject(idx, id, reason);
                None
            }
        }
    }

    fn building(
        &mut self,
        idx: usize,
        id: &str,
        shape: Result<repair::Repaired<MultiPolygon<f64>>, String>,
        tags: &Tags,
    ) -> Option<Building> {
        let footprint = self.polygon(idx, id, shape)?;
        let mut notes = Vec::new();
        let levels = tags
            .get("building:levels")
            .and_then(|v| match parse_number(v) {
                Some(l) if (0.0..1000.0).contains(&l) => Some(l.round() as u16),
                _ => {
                    notes.push(format!(
                        "ignored building:levels={v:?} (not a number of floors)"
                    ));
                    None
                }
            });
        let height = tags.get("height").and_then(|v| match parse_number(v) {
            Some(h) if (0.0..2000.0).contains(&h) => Some(h as f32),
            _ => {
                notes.push(format!("ignored height={v:?} (not metres)"));
                None
            }
        });
        if !notes.is_empty() {
            self.report.repaired.push(Issue::repaired(
                &self.file,
                idx,
                Some(id.to_owned()),
                notes.join(", "),
            ));
        }
        let address = match (tags.get("addr:street"), tags.get("addr:housenumber")) {
            (Some(s), Some(n)) => Some(format!("{s} {n}")),
            (Some(s), None) => Some(s.to_owned()),
            _ => tags.get("name").map(str::to_owned),
        };
        self.report.imported += 1;
        Some(Building {
            source_id: format!("osm:{id}"),
            footprint,
            building_use: BuildingUse::from_osm_building(tags.get("building").unwrap_or("yes")),
            levels,
            height,
            households: HouseholdCount::default(),
            address,
            village: None,
        })
    }

    /// Gives townships and villages their synthetic codes (see [`codes`]).
    fn code_units(
        &mut self,
        options: &OsmOptions,
        villages: Vec<(usize, i64, String, MultiPolygon<f64>)>,
        townships: Vec<(usize, i64, String, MultiPolygon<f64>)>,
    ) -> Vec<AdminUnit> {
        let county = &options.county_code;
        let mut units = Vec::new();
        let serials: HashMap<i64, Option<u32>> =
            codes::township_serials(&townships.iter().map(|t| t.1).collect::<Vec<_>>())
                .into_iter()
                .collect();
        let mut coded_townships = Vec::new();
        for (idx, id, name, shape) in townships {
            match serials.get(&id).copied().flatten() {
                Some(serial) => {
                    let code = codes::format_code(county, serial, 0);
                    if let Ok(code) = code.parse() {
                        units.push(AdminUnit {
                            code,
                            name,
                            level: AdminLevel::Township,
                            source_id: format!("osm:relation/{id}"),
                            boundary: shape.clone(),
                        });
                        self.report.imported += 1;
                    }
                    coded_townships.push((id, serial, shape));
                }
                None => self.reject(
                    idx,
                    &format!("relation/{id}"),
                    "more than 998 townships: no township code left",
                ),
            }
        }
        let keys: Vec<(i64, MultiPolygon<f64>)> =
            villages.iter().map(|v| (v.1, v.3.clone())).collect();
        let vcodes = codes::village_codes(&keys, &coded_townships);
        for ((idx, id, name, shape), (_, township, serial)) in villages.into_iter().zip(vcodes) {
            let Some(serial) = serial else {
                self.reject(
                    idx,
                    &format!("relation/{id}"),
                    "more than 999 villages in one township: no village code left",
                );
                continue;
            };
            if let Ok(code) = codes::format_code(county, township, serial).parse() {
                units.push(AdminUnit {
                    code,
                    name,
                    level: AdminLevel::Village,
                    source_id: format!("osm:relation/{id}"),
                    boundary: shape,
                });
                self.report.imported += 1;
            }
        }
        units
    }
}

/// Parses a leading number such as `3`, `2.5` or `12 m`.
fn parse_number(v: &str) -> Option<f64> {
    let t = v.trim();
    let t = t.strip_suffix('m').unwrap_or(t).trim_end();
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Coordinates of a node list; an error names the missing nodes.
fn coords(nodes: &[i64], known: &HashMap<i64, Coord<f64>>) -> Result<Vec<Coord<f64>>, String> {
    let mut out = Vec::with_capacity(nodes.len());
    let mut missing = 0;
    for n in nodes {
        match known.get(n) {
            Some(c) => out.push(*c),
            None => missing += 1,
        }
    }
    if missing > 0 {
        return Err(format!(
            "{missing} of {} nodes missing from the extract",
            nodes.len()
        ));
    }
    Ok(out)
}

fn relation_shape(
    rel: &scan::RawRelation,
    scan: &Scan,
    max_vertices: usize,
) -> Result<repair::Repaired<MultiPolygon<f64>>, String> {
    let mut outer_ways = Vec::new();
    let mut inner_ways = Vec::new();
    for (way, inner) in &rel.ways {
        let nodes = scan
            .member_ways
            .get(way)
            .ok_or_else(|| format!("member way/{way} missing from the extract"))?;
        if *inner {
            inner_ways.push(nodes.clone());
        } else {
            outer_ways.push(nodes.clone());
        }
    }
    if outer_ways.is_empty() {
        return Err("relation has no outer member ways".into());
    }
    let to_coords = |rings: Vec<Vec<i64>>| -> Result<Vec<Vec<Coord<f64>>>, String> {
        rings.iter().map(|r| coords(r, &scan.nodes)).collect()
    };
    let outers = to_coords(rings::join_rings(outer_ways)?)?;
    let inners = to_coords(rings::join_rings(inner_ways)?)?;
    let (parts, dropped) = rings::group_rings(outers, inners);
    repair::check_vertex_count(&parts, max_vertices)?;
    let mut r = repair::repair_parts(parts)?;
    if dropped > 0 {
        r.fixes.push(format!(
            "dropped {dropped} inner ring(s) outside every outer ring"
        ));
    }
    Ok(r)
}

/// A barrier's lines: runs of known, in-range nodes with at least two points.
fn barrier_lines(
    nodes: &[i64],
    known: &HashMap<i64, Coord<f64>>,
) -> Result<MultiLineString<f64>, String> {
    let mut lines = Vec::new();
    let mut run: Vec<Coord<f64>> = Vec::new();
    for n in nodes {
        match known.get(n) {
            Some(c) => {
                check_coord(*c)?;
                run.push(*c);
            }
            None => {
                if run.len() >= 2 {
                    lines.push(LineString(std::mem::take(&mut run)));
                }
                run.clear();
            }
        }
    }
    if run.len() >= 2 {
        lines.push(LineString(run));
    }
    if lines.is_empty() {
        return Err("line has fewer than 2 nodes inside the extract".into());
    }
    Ok(MultiLineString(lines))
}
