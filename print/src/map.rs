//! The village grid map (网格化管理示意图): grid outlines filled so neighbours differ,
//! each labelled with its number and staff member, the village boundary, buildings in
//! grey, a legend listing every grid with its staff, phone and households, a scale bar
//! and a north arrow. One landscape page.

use crate::canvas::{Align, Canvas, Line, Pages, Rgb, BLACK, GREY, GRID_PALETTE};
use crate::{mm, Paper, PrintError, PrintFont};
use geo::{BoundingRect, InteriorPoint, Intersects};
use geo_types::{MultiPolygon, Polygon};

/// What the map shows.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageMap {
    /// `城关社区网格化管理示意图`.
    pub title: String,
    /// `城关镇 · 12 个网格 · 2,018 户`.
    pub subtitle: String,
    /// The village boundary (WGS84), when known.
    pub boundary: Option<MultiPolygon<f64>>,
    pub grids: Vec<MapGrid>,
    /// Building footprints (WGS84), drawn light grey under the grids.
    pub buildings: Vec<Polygon<f64>>,
    /// The last line: who printed it and when, data attribution.
    pub footer: String,
}

/// One grid on the map and in its legend.
#[derive(Debug, Clone, PartialEq)]
pub struct MapGrid {
    pub code: String,
    /// What the map writes inside it (`007`, `007-03`).
    pub label: String,
    pub name: Option<String>,
    pub staff_name: Option<String>,
    pub staff_phone: Option<String>,
    pub households: u32,
    /// WGS84 outline.
    pub polygon: MultiPolygon<f64>,
    /// A comprehensive grid where grids are nested: outlined over its micro-grids, not
    /// filled, and listed after them.
    pub comprehensive: bool,
}

/// The map as a one-page PDF, landscape.
pub fn village_map(
    font: &PrintFont,
    map: &VillageMap,
    paper: Paper,
) -> Result<Vec<u8>, PrintError> {
    let shapes: Vec<&MultiPolygon<f64>> = map
        .grids
        .iter()
        .map(|g| &g.polygon)
        .chain(map.boundary.as_ref())
        .collect();
    let bounds = shapes
        .iter()
        .filter_map(|m| m.bounding_rect())
        .reduce(|a, b| {
            geo_types::Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .ok_or_else(|| PrintError::Empty("the village has no grids or boundary to draw".into()))?;
    let size = paper.landscape();
    let k = size.0 / mm(297.0);
    let margin = mm(12.0) * k;
    let legend_width = size.0 * 0.3;
    let frame = Frame {
        left: margin,
        top: margin + 46.0 * k,
        right: size.0 - margin - legend_width - mm(6.0) * k,
        bottom: size.1 - margin - 16.0 * k,
    };
    let project = Projection::fit(bounds, &frame);
    let colours = neighbour_colours(&map.grids);
    let mut pages = Pages::new(font);
    pages.page(size, |c| {
        c.text(
            margin,
            margin + 22.0 * k,
            22.0 * k,
            &map.title,
            Align::Left,
            BLACK,
        );
        c.text(
            margin,
            margin + 38.0 * k,
            10.0 * k,
            &map.subtitle,
            Align::Left,
            GREY,
        );
        c.rect(
            frame.left,
            frame.top,
            frame.right - frame.left,
            frame.bottom - frame.top,
            None,
            Some(Line::solid(GREY, 0.8)),
        );
        for b in &map.buildings {
            c.polygon(&project.rings(b), Some((0xd9d6cf, 1.0)), None);
        }
        for (g, colour) in map
            .grids
            .iter()
            .zip(&colours)
            .filter(|(g, _)| !g.comprehensive)
        {
            for p in &g.polygon.0 {
                c.polygon(
                    &project.rings(p),
                    Some((*colour, 0.45)),
                    Some(Line::solid(0x333333, 0.9 * k)),
                );
            }
        }
        for g in map.grids.iter().filter(|g| g.comprehensive) {
            for p in &g.polygon.0 {
                c.polygon(
                    &project.rings(p),
                    None,
                    Some(Line::solid(0x6a1b9a, 2.2 * k)),
                );
            }
        }
        if let Some(boundary) = &map.boundary {
            for p in &boundary.0 {
                c.polygon(&project.rings(p), None, Some(Line::dashed(BLACK, 1.4 * k)));
            }
        }
        for g in map.grids.iter().filter(|g| !g.comprehensive) {
            if let Some(at) = g.polygon.interior_point() {
                let (x, y) = project.point(at.x(), at.y());
                c.text(x, y, 8.0 * k, &g.label, Align::Centre, BLACK);
                if let Some(staff) = &g.staff_name {
                    c.text(x, y + 9.0 * k, 6.5 * k, staff, Align::Centre, GREY);
                }
            }
        }
        scale_bar(c, &project, &frame, k);
        north_arrow(c, &frame, k);
        legend(
            c,
            map,
            &colours,
            (
                frame.right + mm(6.0) * k,
                frame.top,
                legend_width,
                frame.bottom - frame.top,
            ),
            k,
        );
        c.text(
            margin,
            size.1 - margin,
            7.0 * k,
            &map.footer,
            Align::Left,
            GREY,
        );
    });
    pages.finish()
}

/// The map's box on the page, in points.
struct Frame {
    left: f32,
    top: f32,
    right: f32,
    bottom: f32,
}

/// Lon/lat to page points: metres east and north of the map's centre (an equirectangular
/// view at its latitude, true to within a fraction of a percent across a village), scaled
/// to fit the frame.
struct Projection {
    lon0: f64,
    lat0: f64,
    cos_lat: f64,
    /// Points per metre.
    scale: f64,
    centre: (f32, f32),
}

const METRES_PER_DEGREE: f64 = 111_320.0;

impl Projection {
    fn fit(bounds: geo_types::Rect<f64>, frame: &Frame) -> Projection {
        let (lon0, lat0) = (bounds.center().x, bounds.center().y);
        let cos_lat = lat0.to_radians().cos();
        let width_m = (bounds.width() * cos_lat * METRES_PER_DEGREE).max(1.0);
        let height_m = (bounds.height() * METRES_PER_DEGREE).max(1.0);
        let pad = 0.94;
        let scale = (f64::from(frame.right - frame.left) / width_m)
            .min(f64::from(frame.bottom - frame.top) / height_m)
            * pad;
        Projection {
            lon0,
            lat0,
            cos_lat,
            scale,
            centre: (
                (frame.left + frame.right) / 2.0,
                (frame.top + frame.bottom) / 2.0,
            ),
        }
    }

    fn point(&self, lon: f64, lat: f64) -> (f32, f32) {
        let east = (lon - self.lon0) * self.cos_lat * METRES_PER_DEGREE;
        let north = (lat - self.lat0) * METRES_PER_DEGREE;
        (
            self.centre.0 + (east * self.scale) as f32,
            self.centre.1 - (north * self.scale) as f32,
        )
    }

    fn rings(&self, p: &Polygon<f64>) -> Vec<Vec<(f32, f32)>> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|ring| ring.0.iter().map(|c| self.point(c.x, c.y)).collect())
            .collect()
    }
}

/// A colour per grid from the palette, different from every grid it touches (greedy, in
/// order: villages have tens of grids).
fn neighbour_colours(grids: &[MapGrid]) -> Vec<Rgb> {
    let mut picked: Vec<usize> = Vec::with_capacity(grids.len());
    for (i, g) in grids.iter().enumerate() {
        let taken: Vec<usize> = grids[..i]
            .iter()
            .zip(&picked)
            .filter(|(other, _)| {
                !other.comprehensive && !g.comprehensive && other.polygon.intersects(&g.polygon)
            })
            .map(|(_, &c)| c)
            .collect();
        let colour = (0..GRID_PALETTE.len())
            .map(|k| (i + k) % GRID_PALETTE.len())
            .find(|c| !taken.contains(c))
            .unwrap_or(i % GRID_PALETTE.len());
        picked.push(colour);
    }
    picked.into_iter().map(|c| GRID_PALETTE[c]).collect()
}

/// A bar of a round length near a fifth of the frame, bottom left.
fn scale_bar(c: &mut Canvas<'_, '_>, project: &Projection, frame: &Frame, k: f32) {
    let target_m = f64::from(frame.right - frame.left) / 5.0 / project.scale;
    let length_m = [
        10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
    ]
    .into_iter()
    .rev()
    .find(|&m| m <= target_m)
    .unwrap_or(10.0);
    let length = (length_m * project.scale) as f32;
    let (x, y) = (frame.left + 12.0 * k, frame.bottom - 14.0 * k);
    c.rect(x, y - 3.0 * k, length, 3.0 * k, Some(BLACK), None);
    let text = if length_m >= 1000.0 {
        format!("{} 千米", length_m / 1000.0)
    } else {
        format!("{length_m} 米")
    };
    c.text(x + length + 4.0 * k, y, 8.0 * k, &text, Align::Left, BLACK);
}

fn north_arrow(c: &mut Canvas<'_, '_>, frame: &Frame, k: f32) {
    let (x, y) = (frame.right - 18.0 * k, frame.top + 14.0 * k);
    let arrow = vec![
        (x, y),
        (x + 6.0 * k, y + 18.0 * k),
        (x, y + 13.0 * k),
        (x - 6.0 * k, y + 18.0 * k),
    ];
    c.polygon(&[arrow], Some((BLACK, 1.0)), None);
    c.text(x, y + 30.0 * k, 9.0 * k, "北", Align::Centre, BLACK);
}

/// The list of grids beside the map: colour, number, name, staff, phone, households.
fn legend(
    c: &mut Canvas<'_, '_>,
    map: &VillageMap,
    colours: &[Rgb],
    area: (f32, f32, f32, f32),
    k: f32,
) {
    let (x, y, w, h) = area;
    let rows = map.grids.len().max(1) as f32;
    // Shrink the rows to fit the page: a village of 60 grids still lists every one.
    let row = ((h - 24.0 * k) / (rows + 1.0)).min(14.0 * k);
    let size = (row * 0.62).max(4.0);
    let columns = [
        (0.0, "网格"),
        (0.36, "网格员"),
        (0.58, "电话"),
        (1.0, "户数"),
    ];
    let mut line = y + row;
    for (at, head) in columns {
        let align = if at == 1.0 { Align::Right } else { Align::Left };
        c.text(
            x + 12.0 * k + at * (w - 12.0 * k),
            line,
            size,
            head,
            align,
            GREY,
        );
    }
    c.line(
        (x, line + row * 0.3),
        (x + w, line + row * 0.3),
        Line::solid(GREY, 0.5),
    );
    for (g, colour) in map.grids.iter().zip(colours) {
        line += row;
        if g.comprehensive {
            c.rect(
                x,
                line - size * 0.8,
                8.0 * k,
                size * 0.8,
                None,
                Some(Line::solid(0x6a1b9a, 1.2)),
            );
        } else {
            c.rect(
                x,
                line - size * 0.8,
                8.0 * k,
                size * 0.8,
                Some(*colour),
                None,
            );
        }
        let label = match &g.name {
            Some(name) => format!("{} {name}", g.label),
            None => g.label.clone(),
        };
        let cells = [
            (0.0, label),
            (0.36, g.staff_name.clone().unwrap_or_else(|| "—".into())),
            (0.58, g.staff_phone.clone().unwrap_or_default()),
            (1.0, g.households.to_string()),
        ];
        for (at, text) in cells {
            let align = if at == 1.0 { Align::Right } else { Align::Left };
            c.text(
                x + 12.0 * k + at * (w - 12.0 * k),
                line,
                size,
                &text,
                align,
                BLACK,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::tests::font;
    use crate::tests::{pages_of, render_first_page, text_of};
    use geo_types::polygon;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d), (x: x, y: y)],
        ])
    }

    fn grid(i: u32, x: f64) -> MapGrid {
        MapGrid {
            code: format!("411622100001-{i:03}"),
            label: format!("{i:03}"),
            name: (i == 1).then(|| "幸福里".into()),
            staff_name: Some(format!("网格员{i}")),
            staff_phone: Some(format!("1380000{i:04}")),
            households: 30 + i,
            polygon: square(x, 33.0, 0.002),
            comprehensive: false,
        }
    }

    #[test]
    fn neighbours_get_different_colours() {
        let grids = vec![grid(1, 113.0), grid(2, 113.002), grid(3, 113.004)];
        let colours = neighbour_colours(&grids);
        assert_ne!(colours[0], colours[1]);
        assert_ne!(colours[1], colours[2]);
    }

    #[test]
    fn the_map_lists_every_grid_with_staff_and_draws_on_one_landscape_page() {
        let map = VillageMap {
            title: "城关社区网格化管理示意图".into(),
            subtitle: "城关镇 · 3 个网格 · 96 户".into(),
            boundary: Some(square(112.999, 32.999, 0.008)),
            grids: vec![grid(1, 113.0), grid(2, 113.002), grid(3, 113.004)],
            buildings: vec![square(113.0005, 33.0005, 0.0002).0[0].clone()],
            footer: "gridmap 制图 2026-12-04".into(),
        };
        let pdf = village_map(&font(), &map, Paper::A4).unwrap();
        assert_eq!(pages_of(&pdf), 1);
        let text = text_of(&pdf);
        for needle in [
            "城关社区网格化管理示意图",
            "003",
            "网格员2",
            "13800000003",
            "幸福里",
            "北",
            "米",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        let (width, height, inked) = render_first_page(&pdf);
        assert!(width > height, "landscape: {width}×{height}");
        assert!(inked > 0.05, "the grids are drawn: {inked}");
        let empty = VillageMap {
            grids: Vec::new(),
            boundary: None,
            ..map
        };
        assert!(matches!(
            village_map(&font(), &empty, Paper::A4),
            Err(PrintError::Empty(_))
        ));
    }
}
