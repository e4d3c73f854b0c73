//! Each coordinate system the formats issue names, against control points computed with
//! `cs2cs` (PROJ 9.1.1, Debian proj-bin): `echo "LAT LON" | cs2cs -d 4 EPSG:4326 EPSG:CODE`
//! for three points in eastern Henan. Read back through `--crs EPSG:CODE`, each must land
//! within 1 cm of where it came from.

use geo_types::Coord;
use gridmap_importers::Crs;

/// (CRS, [(easting, northing)] for the points of [`LON_LAT`]).
const CONTROL: [(&str, [(f64, f64); 3]); 7] = [
    // CGCS2000 / 3-degree Gauss–Krüger CM 114E
    (
        "EPSG:4547",
        [
            (560225.9549, 3736121.2086),
            (427117.9440, 3777254.1089),
            (633673.9389, 3651438.1129),
        ],
    ),
    // CGCS2000 / 3-degree Gauss–Krüger zone 38 (zone number before the easting)
    (
        "EPSG:4526",
        [
            (38560225.9549, 3736121.2086),
            (38427117.9440, 3777254.1089),
            (38633673.9389, 3651438.1129),
        ],
    ),
    // CGCS2000 / 6-degree Gauss–Krüger zone 20
    (
        "EPSG:4498",
        [
            (20282238.2598, 3738413.2978),
            (20150259.5327, 3783466.3551),
            (20353237.8170, 3651624.6761),
        ],
    ),
    // Beijing 1954 / 3-degree Gauss–Krüger CM 114E
    (
        "EPSG:2435",
        [
            (560226.9658, 3736187.4958),
            (427116.7210, 3777321.1137),
            (633676.1834, 3651502.9209),
        ],
    ),
    // Xian 1980 / 3-degree Gauss–Krüger CM 114E
    (
        "EPSG:2383",
        [
            (560225.9833, 3736122.9502),
            (427117.9097, 3777255.8698),
            (633674.0019, 3651439.8150),
        ],
    ),
    // WGS 84 / UTM zone 50N
    (
        "EPSG:32650",
        [
            (282325.3645, 3736917.9326),
            (150399.4289, 3781952.9687),
            (353296.5219, 3650164.0263),
        ],
    ),
    // WGS 84 / Pseudo-Mercator (gridmap's own inverse, checked against PROJ's forward)
    (
        "EPSG:3857",
        [
            (12762779.6194, 3995282.3296),
            (12602479.5527, 4044926.4982),
            (12849608.8223, 3892649.5987),
        ],
    ),
];

const LON_LAT: [(f64, f64); 3] = [(114.65, 33.75), (113.21, 34.12), (115.43, 32.98)];

/// Metres per degree of latitude (and, times cos φ, of longitude).
const METRES_PER_DEGREE: f64 = 111_320.0;

#[test]
fn every_named_crs_lands_within_a_centimetre_of_cs2cs() {
    for (code, points) in CONTROL {
        let crs: Crs = code.parse().unwrap_or_else(|e| panic!("{code}: {e}"));
        for ((x, y), (lon, lat)) in points.into_iter().zip(LON_LAT) {
            let got = crs.coord_to_wgs84(Coord { x, y });
            let east = (got.x - lon) * METRES_PER_DEGREE * lat.to_radians().cos();
            let north = (got.y - lat) * METRES_PER_DEGREE;
            let off = east.hypot(north);
            assert!(
                off < 0.01,
                "{code}: ({x}, {y}) → {got:?}, {off:.4} m from ({lon}, {lat})"
            );
        }
    }
}

#[test]
fn a_wkt_from_a_prj_and_its_epsg_code_agree() {
    let wkt = r#"PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let from_prj = gridmap_importers::crs::from_wkt(wkt).unwrap();
    let epsg: Crs = "EPSG:4547".parse().unwrap();
    for (x, y) in CONTROL[0].1 {
        let (a, b) = (
            from_prj.coord_to_wgs84(Coord { x, y }),
            epsg.coord_to_wgs84(Coord { x, y }),
        );
        assert!(
            (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
            "{a:?} {b:?}"
        );
    }
}

#[test]
fn a_crs_proj_does_not_know_is_refused_naming_it() {
    let err = "EPSG:99999".parse::<Crs>().unwrap_err().to_string();
    assert!(
        err.contains("EPSG:99999") && err.contains("EPSG:4547"),
        "{err}"
    );
}
