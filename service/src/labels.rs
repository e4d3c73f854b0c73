//! One label point per township and village, computed once per snapshot, so the map
//! names each unit once instead of once per tile.

use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::AdminLevel;
use gridmap_tiles::coord::world_to_lonlat;
use gridmap_tiles::encode::WorldShape;
use gridmap_tiles::label_point::label_point;

/// A GeoJSON FeatureCollection of points (pole of inaccessibility of each township and
/// village boundary) with `code`, `name` and `level`.
pub fn unit_labels(snap: &CountySnapshot) -> serde_json::Value {
    let features: Vec<serde_json::Value> = snap
        .admin_units
        .iter()
        .filter(|u| u.level != AdminLevel::County)
        .filter_map(|u| {
            let [x, y] = label_point(&WorldShape::from_lonlat(&u.boundary))?;
            let (lon, lat) = world_to_lonlat(x, y);
            Some(serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": { "code": u.code.as_str(), "name": u.name, "level": u.level.as_str() },
            }))
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features })
}
