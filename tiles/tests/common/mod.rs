//! A small hand-built county: one township, two villages, six grids, eight buildings,
//! placed inside the top-left quarter of one z13 tile so tile contents are known.
#![allow(dead_code)]

use geo_types::{polygon, MultiPolygon};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{
    AdminLevel, AdminUnit, Building, BuildingUse, DivisionCode, Grid, GridCode, GridMember,
    HouseholdCount, HouseholdCountSource, Staff, StaffRole,
};
use gridmap_tiles::coord::lonlat_to_world;
use gridmap_tiles::TileCoord;
use std::sync::Arc;

pub const PHONE: &str = "13912345678";

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

/// The z13 tile holding the fixture.
pub fn home_z13() -> TileCoord {
    let (x, y) = lonlat_to_world(114.5, 38.0);
    TileCoord::new(13, (x * 8192.0) as u32, (y * 8192.0) as u32).unwrap()
}

/// North-west corner of the fixture (lon, lat).
pub fn origin() -> (f64, f64) {
    let b = home_z13().lonlat_bounds(0.0);
    (b.min().x + 0.003, b.max().y - 0.003)
}

pub struct Fixture {
    pub snapshot: Arc<CountySnapshot>,
    /// Grid rectangles (lon0, lat0, lon1, lat1) in snapshot order.
    pub grid_rects: Vec<[f64; 4]>,
}

pub fn code(s: &str) -> DivisionCode {
    s.parse().unwrap()
}

fn building(
    id: &str,
    cx: f64,
    cy: f64,
    households: HouseholdCount,
    levels: Option<u16>,
    village: &DivisionCode,
) -> Building {
    let h = 0.0002;
    Building {
        source_id: id.into(),
        footprint: rect(cx - h, cy - h, cx + h, cy + h),
        building_use: BuildingUse::Residential,
        levels,
        height: None,
        households,
        address: Some("1 Example Road".into()),
        village: Some(village.clone()),
    }
}

pub fn fixture() -> Fixture {
    let (x0, y1) = origin();
    let s = 0.002; // grid side in degrees
    let y0 = y1 - 2.0 * s;
    let t = code("130102001000");
    let v1 = code("130102001001");
    let v2 = code("130102001002");
    let admin = vec![
        AdminUnit {
            code: t.clone(),
            name: "East Town".into(),
            level: AdminLevel::Township,
            source_id: "t".into(),
            boundary: rect(x0, y0, x0 + 4.0 * s, y1),
        },
        AdminUnit {
            code: v1.clone(),
            name: "West Village".into(),
            level: AdminLevel::Village,
            source_id: "v1".into(),
            boundary: rect(x0, y0, x0 + 2.0 * s, y1),
        },
        AdminUnit {
            code: v2.clone(),
            name: "East Village".into(),
            level: AdminLevel::Village,
            source_id: "v2".into(),
            boundary: rect(x0 + 2.0 * s, y0, x0 + 4.0 * s, y1),
        },
    ];
    // Village 1: 2 × 2 grids; village 2: west and east halves.
    let grid_rects = vec![
        [x0, y1 - s, x0 + s, y1],
        [x0 + s, y1 - s, x0 + 2.0 * s, y1],
        [x0, y0, x0 + s, y1 - s],
        [x0 + s, y0, x0 + 2.0 * s, y1 - s],
        [x0 + 2.0 * s, y0, x0 + 3.0 * s, y1],
        [x0 + 3.0 * s, y0, x0 + 4.0 * s, y1],
    ];
    let centre = |r: [f64; 4]| ((r[0] + r[2]) / 2.0, (r[1] + r[3]) / 2.0);
    let mut buildings = Vec::new();
    for (i, r) in grid_rects.iter().enumerate().take(4) {
        let (cx, cy) = centre(*r);
        buildings.push(building(
            &format!("b{i}"),
            cx,
            cy,
            HouseholdCount::registered(35),
            Some(3),
            &v1,
        ));
    }
    let (cx, cy) = centre(grid_rects[4]);
    buildings.push(building(
        "b4",
        cx,
        cy + 0.001,
        HouseholdCount::registered(10),
        Some(2),
        &v2,
    ));
    buildings.push(building(
        "tower",
        cx,
        cy - 0.001,
        HouseholdCount::registered(80),
        Some(20),
        &v2,
    ));
    let (cx, cy) = centre(grid_rects[5]);
    buildings.push(building(
        "est",
        cx,
        cy,
        HouseholdCount {
            count: 4,
            source: HouseholdCountSource::Estimated,
        },
        None,
        &v2,
    ));
    let mut school = building(
        "school",
        cx,
        cy + 0.0008,
        HouseholdCount::default(),
        Some(4),
        &v2,
    );
    school.building_use = BuildingUse::Institution;
    buildings.push(school);

    let member = |b: &str, h: u32, flats: Option<(u32, u32)>| GridMember {
        building: b.into(),
        households: h,
        flats,
    };
    let members: Vec<Vec<GridMember>> = vec![
        vec![member("b0", 35, None)],
        vec![member("b1", 35, None)],
        vec![member("b2", 35, None)],
        vec![member("b3", 35, None)],
        vec![member("b4", 10, None), member("tower", 60, Some((0, 60)))],
        vec![member("tower", 20, Some((60, 80))), member("est", 4, None)],
    ];
    let grids: Vec<Grid> = grid_rects
        .iter()
        .zip(members)
        .enumerate()
        .map(|(i, (r, members))| {
            let village = if i < 4 { v1.clone() } else { v2.clone() };
            let serial = if i < 4 { i + 1 } else { i - 3 } as u16;
            Grid {
                code: GridCode::new(&village, serial),
                level: 1,
                parent: None,
                households: members.iter().map(|m| m.households).sum(),
                village,
                members,
                polygon: rect(r[0], r[1], r[2], r[3]),
                name: None,
                staff: (i != 3).then(|| format!("s{i}")),
                locked: i == 0,
                institution: false,
                version: 1,
            }
        })
        .collect();
    let staff = (0..6)
        .map(|i| Staff {
            id: format!("s{i}"),
            name: format!("网格员{i}"),
            phone: Some(PHONE.into()),
            role: StaffRole::GridStaff,
            area: None,
            grids: vec![],
            home: None,
        })
        .collect();
    Fixture {
        snapshot: Arc::new(CountySnapshot::new(admin, buildings, grids, staff)),
        grid_rects,
    }
}
