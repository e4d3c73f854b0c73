//! The three passes over a PBF file that collect what the OSM reader needs.
//!
//! PBF files store nodes, then ways, then relations, and a way only lists node ids. So:
//! 1. relations: keep building multipolygons and admin boundaries, note their member ways;
//! 2. ways: keep buildings, barriers and the relation members, note their node ids;
//! 3. nodes: keep the coordinates of the noted nodes only.
//!
//! Memory is proportional to the features kept, not to the file.

use super::OsmOptions;
use crate::error::ImportError;
use crate::progress::ProgressRead;
use geo_types::Coord;
use indicatif::ProgressBar;
use osmpbf::{BlobDecode, BlobReader, Element};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The tags the reader uses, copied out of the string table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tags(pub(crate) Vec<(String, String)>);

impl Tags {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

const KEPT_TAGS: &[&str] = &[
    "building",
    "building:levels",
    "height",
    "addr:street",
    "addr:housenumber",
    "name",
    "admin_level",
    "boundary",
    "type",
    "highway",
    "waterway",
    "railway",
];

fn keep<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
    Tags(
        tags.filter(|(k, _)| KEPT_TAGS.contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// What a relation is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelKind {
    Building,
    /// Admin boundary at the given admin_level.
    Boundary(u8),
}

#[derive(Debug, Clone)]
pub(crate) struct RawRelation {
    pub(crate) id: i64,
    pub(crate) kind: RelKind,
    pub(crate) tags: Tags,
    /// Member ways: (way id, is inner).
    pub(crate) ways: Vec<(i64, bool)>,
}

#[derive(Debug, Clone)]
pub(crate) struct RawWay {
    pub(crate) id: i64,
    pub(crate) tags: Tags,
    pub(crate) nodes: Vec<i64>,
}

/// Everything collected by the passes.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) relations: Vec<RawRelation>,
    pub(crate) building_ways: Vec<RawWay>,
    pub(crate) barrier_ways: Vec<(RawWay, &'static str)>,
    /// Ways referenced by kept relations: id → node ids.
    pub(crate) member_ways: HashMap<i64, Vec<i64>>,
    pub(crate) nodes: HashMap<i64, Coord<f64>>,
}

pub(crate) fn is_building(tags: &Tags) -> bool {
    tags.get("building").is_some_and(|v| v != "no")
}

/// The barrier kind of a way, if it is one.
pub(crate) fn barrier_kind(tags: &Tags) -> Option<&'static str> {
    if let Some(h) = tags.get("highway") {
        if matches!(
            h,
            "primary" | "secondary" | "tertiary" | "residential" | "trunk" | "unclassified"
        ) {
            return Some("road");
        }
    }
    if tags.get("waterway").is_some() {
        return Some("river");
    }
    if tags.get("railway") == Some("rail") {
        return Some("railway");
    }
    None
}

fn relation_kind(tags: &Tags, options: &OsmOptions) -> Option<RelKind> {
    let ty = tags.get("type");
    if ty == Some("multipolygon") && is_building(tags) && options.buildings {
        return Some(RelKind::Building);
    }
    if options.boundaries
        && tags.get("boundary") == Some("administrative")
        && matches!(ty, Some("boundary") | Some("multipolygon"))
    {
        let level: u8 = tags.get("admin_level")?.trim().parse().ok()?;
        if level == options.admin_level || Some(level) == options.township_admin_level {
            return Some(RelKind::Boundary(level));
        }
    }
    None
}

/// Blobs decoded in parallel per batch.
const BATCH: usize = 32;

/// One pass over the file: data blocks are decoded in parallel, a batch at a time, and
/// `extract` picks what it needs from each element; `merge` then receives the picked
/// items in file order, so the result does not depend on thread timing. `bar` advances
/// by the bytes read.
fn pass<T: Send>(
    path: &Path,
    bar: &ProgressBar,
    extract: impl Fn(Element<'_>, &mut Vec<T>) + Sync,
    mut merge: impl FnMut(T),
) -> Result<(), ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::io(path, e))?;
    let mut blobs = BlobReader::new(std::io::BufReader::with_capacity(
        1 << 16,
        ProgressRead::new(file, bar),
    ));
    let osm_err = |source| ImportError::Osm {
        path: path.to_path_buf(),
        source,
    };
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        for blob in blobs.by_ref().take(BATCH) {
            batch.push(blob.map_err(osm_err)?);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let parts: Vec<Result<Vec<T>, osmpbf::Error>> = batch
            .par_iter()
            .map(|blob| {
                let mut items = Vec::new();
                if let BlobDecode::OsmData(block) = blob.decode()? {
                    for element in block.elements() {
                        extract(element, &mut items);
                    }
                }
                Ok(items)
            })
            .collect();
        for part in parts {
            part.map_err(osm_err)?.into_iter().for_each(&mut merge);
        }
    }
}

/// A way kept by pass 2 and what it is.
struct KeptWay {
    way: RawWay,
    member: bool,
    building: bool,
    barrier: Option<&'static str>,
}

/// Runs the three passes.
pub(crate) fn scan(
    path: &Path,
    options: &OsmOptions,
    bar: &ProgressBar,
) -> Result<Scan, ImportError> {
    let len = crate::error::nonempty_file_len(path)?;
    bar.set_length(len * 3);
    let mut out = Scan::default();

    // 1. relations
    let mut member_ids: HashSet<i64> = HashSet::new();
    pass(
        path,
        bar,
        |e, items| {
            if let Element::Relation(r) = e {
                let tags = keep(r.tags());
                let Some(kind) = relation_kind(&tags, options) else {
                    return;
                };
                let ways: Vec<(i64, bool)> = r
                    .members()
                    .filter(|m| m.member_type == osmpbf::RelMemberType::Way)
                    .map(|m| (m.member_id, m.role().is_ok_and(|role| role == "inner")))
                    .collect();
                items.push(RawRelation {
                    id: r.id(),
                    kind,
                    tags,
                    ways,
                });
            }
        },
        |rel| {
            member_ids.extend(rel.ways.iter().map(|w| w.0));
            out.relations.push(rel);
        },
    )?;

    // 2. ways
    let mut node_ids: HashSet<i64> = HashSet::new();
    pass(
        path,
        bar,
        |e, items| {
            if let Element::Way(w) = e {
                let id = w.id();
                let member = member_ids.contains(&id);
                let tags = keep(w.tags());
                let building = options.buildings && is_building(&tags);
                let barrier = if options.barriers {
                    barrier_kind(&tags)
                } else {
                    None
                };
                if member || building || barrier.is_some() {
                    let way = RawWay {
                        id,
                        tags,
                        nodes: w.refs().collect(),
                    };
                    items.push(KeptWay {
                        way,
                        member,
                        building,
                        barrier,
                    });
                }
            }
        },
        |kept| {
            let KeptWay {
                way,
                member,
                building,
                barrier,
            } = kept;
            node_ids.extend(way.nodes.iter().copied());
            if member {
                out.member_ways.insert(way.id, way.nodes.clone());
            }
            if building {
                out.building_ways.push(way.clone());
            }
            if let Some(kind) = barrier {
                out.barrier_ways.push((way, kind));
            }
        },
    )?;

    // 3. nodes
    pass(
        path,
        bar,
        |e, items| {
            let (id, x, y) = match e {
                Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
                Element::Node(n) => (n.id(), n.lon(), n.lat()),
                _ => return,
            };
            if node_ids.contains(&id) {
                items.push((id, Coord { x, y }));
            }
        },
        |(id, c)| {
            out.nodes.insert(id, c);
        },
    )?;
    Ok(out)
}
