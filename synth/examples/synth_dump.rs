//! Writes the villages, buildings and roads of a small synthetic county as GeoJSON
//! (for eyeballing in any GIS): `cargo run -p gridmap-synth --example synth_dump -- OUT.geojson [households]`.
use gridmap_synth::{synth_county, SynthParams};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: synth_dump OUT.geojson [households]")?;
    let households: u32 = args.next().unwrap_or_else(|| "20000".into()).parse()?;
    let c = synth_county(&SynthParams::new(households, 1));
    let ring = |mp: &geo_types::MultiPolygon<f64>| -> Vec<Vec<[f64; 2]>> {
        mp.0.iter()
            .map(|p| p.exterior().0.iter().map(|c| [c.x, c.y]).collect())
            .collect()
    };
    let mut features = Vec::new();
    for u in &c.admin_units {
        features.push(json!({"type": "Feature", "properties": {"layer": u.level.as_str(), "code": u.code.as_str(), "name": u.name},
            "geometry": {"type": "Polygon", "coordinates": ring(&u.boundary)}}));
    }
    for b in &c.buildings {
        features.push(json!({"type": "Feature", "properties": {"layer": "building", "use": b.building_use.as_str(), "households": b.households.count},
            "geometry": {"type": "Polygon", "coordinates": ring(&b.footprint)}}));
    }
    for r in &c.barriers {
        let lines: Vec<Vec<[f64; 2]>> = r
            .line
            .0
            .iter()
            .map(|l| l.0.iter().map(|c| [c.x, c.y]).collect())
            .collect();
        features.push(json!({"type": "Feature", "properties": {"layer": "road"},
            "geometry": {"type": "MultiLineString", "coordinates": lines}}));
    }
    std::fs::write(
        &out,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )?;
    println!("wrote {} features to {out}", features.len());
    Ok(())
}
