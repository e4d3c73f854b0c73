//! Camera coverage of grids: which share of a grid's buildings and of its area lies in
//! the view of some working camera.
//!
//! A camera sees a sector: the disc of its range around it, cut to its field of view
//! around its direction (the whole disc for a dome). Obstacles are ignored — a wall or
//! a tower between the camera and a building does not hide it — so the figures are an
//! upper bound of what the video really shows; reports say so.
//!
//! - A building counts as seen when its representative point
//!   ([`crate::geometry::representative_point`]) lies in some online camera's sector.
//! - The area seen is the grid's polygon intersected with the union of the sectors, in
//!   a local metric projection (sectors drawn with an arc step of at most 2°, which
//!   under-counts a sector's area by less than 0.03%).
//! - Offline and faulty cameras cover nothing; they are counted so a report can say a
//!   grid would be covered if they worked.
//!
//! # Examples
//! ```
//! use gridmap_core::coverage::CameraIndex;
//! use gridmap_core::{Camera, CameraStatus};
//! use geo_types::{polygon, MultiPolygon, Point};
//! // A grid of about 100 m × 100 m at 33.8° N and a camera in its south-west corner
//! // looking north-east with a 90° view and 100 m of range: it sees a quarter disc,
//! // π/4 ≈ 78.5% of the square.
//! let (dx, dy) = (100.0 / 92_600.0, 100.0 / 110_900.0);
//! let (x0, y0) = (114.6, 33.8);
//! let square = polygon![(x: x0, y: y0), (x: x0 + dx, y: y0), (x: x0 + dx, y: y0 + dy), (x: x0, y: y0 + dy)];
//! let camera = Camera {
//!     id: "C1".into(), name: "东北角".into(), position: Point::new(x0, y0),
//!     direction: Some(45.0), fov: 90.0, range: 100.0, status: CameraStatus::Online,
//! };
//! let cameras = [camera];
//! let index = CameraIndex::new(&cameras);
//! let covered = index.area_seen(&MultiPolygon(vec![square]));
//! assert!((covered.share() - std::f64::consts::FRAC_PI_4).abs() < 0.01, "{covered:?}");
//! ```

use crate::geometry::{metres_per_degree, representative_point};
use crate::model::{Building, Camera, Grid, GridCode};
use crate::partition::project::LocalProj;
use geo::{Area, BooleanOps, BoundingRect, MapCoords};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::{RTree, RTreeObject, AABB};
use serde::Serialize;

/// Largest angle between two points of a sector's arc, in degrees.
const ARC_STEP_DEG: f64 = 2.0;

/// The sector a camera sees, as a lon/lat polygon: a fan from the camera out to its
/// range, or a disc for a dome.
///
/// ```
/// use gridmap_core::{coverage::view_sector, Camera, CameraStatus};
/// let c = Camera {
///     id: "C1".into(), name: "北门".into(), position: geo_types::Point::new(114.6, 33.8),
///     direction: Some(0.0), fov: 60.0, range: 50.0, status: CameraStatus::Online,
/// };
/// let sector = view_sector(&c);
/// // The camera is the fan's apex; the arc lies north of it.
/// assert_eq!(sector.exterior().0[0], c.position.0);
/// assert!(sector.exterior().0.iter().all(|p| p.y >= 33.8));
/// ```
pub fn view_sector(camera: &Camera) -> Polygon<f64> {
    let centre = camera.position.0;
    let (kx, ky) = metres_per_degree(centre.y);
    let to_degrees = |bearing_deg: f64| {
        let b = bearing_deg.to_radians();
        Coord {
            x: centre.x + camera.range * b.sin() / kx,
            y: centre.y + camera.range * b.cos() / ky,
        }
    };
    let mut ring = Vec::new();
    let (start, sweep) = match camera.direction {
        Some(d) if camera.fov < 360.0 => {
            ring.push(centre);
            (d - camera.fov / 2.0, camera.fov)
        }
        _ => (0.0, 360.0),
    };
    let steps = (sweep / ARC_STEP_DEG).ceil().max(1.0) as usize;
    for i in 0..=steps {
        ring.push(to_degrees(start + sweep * i as f64 / steps as f64));
    }
    Polygon::new(LineString(ring), Vec::new())
}

/// Whether `camera` sees `point` (inside its range and its field of view).
///
/// ```
/// use gridmap_core::{coverage::sees, Camera, CameraStatus};
/// use geo_types::Point;
/// let c = Camera {
///     id: "C1".into(), name: "东门".into(), position: Point::new(114.6, 33.8),
///     direction: Some(90.0), fov: 60.0, range: 100.0, status: CameraStatus::Online,
/// };
/// assert!(sees(&c, Point::new(114.6005, 33.8)));   // ~46 m east
/// assert!(!sees(&c, Point::new(114.5995, 33.8)));  // behind it
/// assert!(!sees(&c, Point::new(114.602, 33.8)));   // ~185 m: out of range
/// ```
pub fn sees(camera: &Camera, point: Point<f64>) -> bool {
    let (kx, ky) = metres_per_degree(camera.position.y());
    let dx = (point.x() - camera.position.x()) * kx;
    let dy = (point.y() - camera.position.y()) * ky;
    if dx.hypot(dy) > camera.range {
        return false;
    }
    match camera.direction {
        Some(d) if camera.fov < 360.0 => {
            let bearing = dx.atan2(dy).to_degrees();
            let off = (bearing - d).rem_euclid(360.0);
            let off = off.min(360.0 - off);
            off <= camera.fov / 2.0
        }
        _ => true,
    }
}

/// A camera's sector in the index.
struct Sector {
    camera: usize,
    bbox: AABB<[f64; 2]>,
}

impl RTreeObject for Sector {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox
    }
}

/// Cameras indexed by the box of their sector, to find the few near a grid.
pub struct CameraIndex<'a> {
    cameras: &'a [Camera],
    sectors: Vec<Polygon<f64>>,
    tree: RTree<Sector>,
}

/// How much of an area the working cameras see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct AreaSeen {
    /// The area, m².
    pub area_m2: f64,
    /// The part of it inside some online camera's sector, m².
    pub seen_m2: f64,
}

impl AreaSeen {
    /// `seen / area`, 0 for an empty area.
    pub fn share(&self) -> f64 {
        if self.area_m2 > 0.0 {
            (self.seen_m2 / self.area_m2).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// One grid's camera coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCoverage {
    pub grid: GridCode,
    /// Buildings of the grid (a tower shared by grids counts in each).
    pub buildings: u32,
    /// Of those, the buildings some online camera sees.
    pub buildings_seen: u32,
    #[serde(flatten)]
    pub area: AreaSeen,
    /// Online cameras whose sector reaches into the grid.
    pub cameras: u32,
    /// Offline or faulty cameras whose sector reaches into the grid.
    pub cameras_down: u32,
}

impl GridCoverage {
    /// Share of the grid's buildings seen (0 without buildings).
    pub fn building_share(&self) -> f64 {
        if self.buildings == 0 {
            0.0
        } else {
            f64::from(self.buildings_seen) / f64::from(self.buildings)
        }
    }

    /// Whether no working camera sees any of it.
    pub fn is_uncovered(&self) -> bool {
        self.buildings_seen == 0 && self.area.seen_m2 <= 0.0
    }
}

impl<'a> CameraIndex<'a> {
    /// Indexes `cameras` (all of them; only online ones cover).
    pub fn new(cameras: &'a [Camera]) -> CameraIndex<'a> {
        let sectors: Vec<Polygon<f64>> = cameras.iter().map(view_sector).collect();
        let tree = RTree::bulk_load(
            sectors
                .iter()
                .enumerate()
                .filter_map(|(camera, s)| {
                    let r = s.bounding_rect()?;
                    Some(Sector {
                        camera,
                        bbox: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    })
                })
                .collect(),
        );
        CameraIndex {
            cameras,
            sectors,
            tree,
        }
    }

    /// The cameras whose sector's box meets `shape`'s box.
    fn near(&self, shape: &MultiPolygon<f64>) -> Vec<usize> {
        let Some(r) = shape.bounding_rect() else {
            return Vec::new();
        };
        let query = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut found: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&query)
            .map(|s| s.camera)
            .collect();
        found.sort_unstable();
        found
    }

    /// How much of `shape` (lon/lat) the online cameras see.
    pub fn area_seen(&self, shape: &MultiPolygon<f64>) -> AreaSeen {
        self.seen_by(shape).0
    }

    /// The area of `shape` the online cameras see, and the cameras whose sector covers
    /// some of it (more than a point or an edge: a camera on the grid's corner looking
    /// away does not reach it).
    fn seen_by(&self, shape: &MultiPolygon<f64>) -> (AreaSeen, Vec<usize>) {
        let Some(proj) = shape
            .bounding_rect()
            .and_then(|r| LocalProj::new(r.center().x, r.center().y))
        else {
            return (AreaSeen::default(), Vec::new());
        };
        let local = proj.fwd_mp(shape);
        let area_m2 = local.unsigned_area();
        let mut reaching = Vec::new();
        let mut union: Option<MultiPolygon<f64>> = None;
        for i in self.near(shape) {
            let sector = MultiPolygon(vec![self.sectors[i].map_coords(|c| proj.fwd(c))]);
            let inside = sector.intersection(&local);
            if inside.unsigned_area() <= 0.0 {
                continue;
            }
            reaching.push(i);
            if self.cameras[i].is_online() {
                union = Some(match union {
                    Some(u) => u.union(&inside),
                    None => inside,
                });
            }
        }
        let seen_m2 = union.map_or(0.0, |u| u.unsigned_area());
        let area = AreaSeen {
            area_m2,
            seen_m2: seen_m2.min(area_m2),
        };
        (area, reaching)
    }

    /// `grid`'s coverage; `building` finds a member building by id (one missing from
    /// the snapshot is not counted).
    pub fn grid_coverage<'b>(
        &self,
        grid: &Grid,
        building: impl Fn(&str) -> Option<&'b Building>,
    ) -> GridCoverage {
        let (area, reaching) = self.seen_by(&grid.polygon);
        let mut ids: Vec<&str> = grid.members.iter().map(|m| m.building.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let (mut buildings, mut seen) = (0u32, 0u32);
        for b in ids.into_iter().filter_map(building) {
            buildings += 1;
            let Some(at) = representative_point(&b.footprint) else {
                continue;
            };
            // A building's centre lies in the grid, so only cameras reaching it count.
            if reaching
                .iter()
                .any(|&i| self.cameras[i].is_online() && sees(&self.cameras[i], at))
            {
                seen += 1;
            }
        }
        let online = reaching
            .iter()
            .filter(|&&i| self.cameras[i].is_online())
            .count();
        GridCoverage {
            grid: grid.code.clone(),
            buildings,
            buildings_seen: seen,
            area,
            cameras: online as u32,
            cameras_down: (reaching.len() - online) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BuildingUse, CameraStatus, GridMember, HouseholdCount};
    use geo_types::polygon;

    const X0: f64 = 114.6;
    const Y0: f64 = 33.8;

    /// Lon/lat of a point `x`, `y` metres east and north of (X0, Y0).
    fn at(x: f64, y: f64) -> Coord<f64> {
        let (kx, ky) = metres_per_degree(Y0);
        Coord {
            x: X0 + x / kx,
            y: Y0 + y / ky,
        }
    }

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        let (a, b, c, d) = (
            at(x, y),
            at(x + side, y),
            at(x + side, y + side),
            at(x, y + side),
        );
        MultiPolygon(vec![polygon![a, b, c, d]])
    }

    fn camera(id: &str, x: f64, y: f64, direction: Option<f64>, fov: f64, range: f64) -> Camera {
        Camera {
            id: id.into(),
            name: id.into(),
            position: Point(at(x, y)),
            direction,
            fov,
            range,
            status: CameraStatus::Online,
        }
    }

    fn house(id: &str, x: f64, y: f64) -> Building {
        Building {
            source_id: id.into(),
            footprint: square(x - 2.0, y - 2.0, 4.0),
            building_use: BuildingUse::Residential,
            levels: Some(2),
            height: None,
            households: HouseholdCount::registered(1),
            address: None,
            village: None,
        }
    }

    /// A 100 m grid from (0, 0) holding houses at (20, 20), (60, 5) and (90, 90).
    fn grid_and_houses() -> (Grid, Vec<Building>) {
        let houses = vec![
            house("near", 20.0, 20.0),
            house("east", 60.0, 5.0),
            house("far", 90.0, 90.0),
        ];
        let village: crate::model::DivisionCode = "411622101201".parse().unwrap();
        let grid = Grid {
            code: GridCode::new(&village, 1),
            level: Grid::MICRO,
            parent: None,
            village,
            members: houses
                .iter()
                .map(|b| GridMember {
                    building: b.source_id.clone(),
                    households: 1,
                    flats: None,
                })
                .collect(),
            households: 3,
            polygon: square(0.0, 0.0, 100.0),
            name: None,
            staff: None,
            locked: false,
            institution: false,
            version: 1,
        };
        (grid, houses)
    }

    fn coverage(cameras: &[Camera]) -> GridCoverage {
        let (grid, houses) = grid_and_houses();
        let index = CameraIndex::new(cameras);
        index.grid_coverage(&grid, |id| houses.iter().find(|b| b.source_id == id))
    }

    #[test]
    fn a_quarter_view_from_the_corner_sees_a_quarter_disc_and_the_houses_in_it() {
        let c = coverage(&[camera("C1", 0.0, 0.0, Some(45.0), 90.0, 100.0)]);
        // π·100²/4 of 100²; "far" at 127 m is out of range, "east" at a bearing of 85°
        // is inside the 0°–90° view.
        assert!((c.area.area_m2 - 10_000.0).abs() < 1.0, "{c:?}");
        assert!(
            (c.area.seen_m2 - 7_853.98).abs() < 10.0,
            "seen {} m²",
            c.area.seen_m2
        );
        assert_eq!((c.buildings, c.buildings_seen, c.cameras), (3, 2, 1));
        assert!(!c.is_uncovered());
    }

    #[test]
    fn overlapping_cameras_are_counted_once_and_broken_ones_not_at_all() {
        let one = coverage(&[camera("C1", 0.0, 0.0, Some(45.0), 90.0, 100.0)]);
        let mut broken = camera("C3", 100.0, 100.0, None, 360.0, 30.0);
        broken.status = CameraStatus::Fault;
        let two = coverage(&[
            camera("C1", 0.0, 0.0, Some(45.0), 90.0, 100.0),
            camera("C2", 0.0, 0.0, Some(45.0), 90.0, 100.0),
            broken,
        ]);
        assert!((one.area.seen_m2 - two.area.seen_m2).abs() < 1e-6);
        assert_eq!(two.buildings_seen, 2, "the dome at (100, 100) is broken");
        assert_eq!((two.cameras, two.cameras_down), (2, 1));
    }

    #[test]
    fn a_camera_looking_away_or_standing_outside_its_reach_covers_nothing() {
        let away = coverage(&[camera("C1", 0.0, 0.0, Some(225.0), 90.0, 100.0)]);
        assert!(away.is_uncovered(), "{away:?}");
        assert_eq!(away.cameras, 0);
        let outside = coverage(&[camera("C1", 300.0, 300.0, None, 360.0, 50.0)]);
        assert!(outside.is_uncovered());
        let mut down = camera("C1", 50.0, 50.0, None, 360.0, 200.0);
        down.status = CameraStatus::Offline;
        let down = coverage(&[down]);
        assert!(down.is_uncovered());
        assert_eq!(down.cameras_down, 1);
    }

    #[test]
    fn a_dome_in_the_middle_sees_a_disc_in_every_direction() {
        let c = coverage(&[camera("C1", 50.0, 50.0, None, 360.0, 40.0)]);
        let disc = std::f64::consts::PI * 40.0 * 40.0;
        assert!((c.area.seen_m2 - disc).abs() / disc < 0.002, "{c:?}");
        // (20, 20) is 42 m away, (60, 5) 46 m: both just outside.
        assert_eq!(c.buildings_seen, 0);
        let wider = coverage(&[camera("C1", 50.0, 50.0, None, 360.0, 50.0)]);
        assert_eq!(wider.buildings_seen, 2);
        assert!((wider.building_share() - 2.0 / 3.0).abs() < 1e-12);
    }
}
