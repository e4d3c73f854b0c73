//! Writes synthetic buildings as a GeoJSON FeatureCollection and times reading them back:
//! `cargo run --release -p gridmap-importers --example geojson_bench -- 30000`.
use gridmap_importers::{read_geojson_buildings, GeoJsonOptions};
use gridmap_synth::{synth_county, SynthParams};
use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let households: u32 = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "30000".into())
        .parse()?;
    let county = synth_county(&SynthParams::new(households, 1));
    let dir = std::env::temp_dir().join(format!("gridmap-geojson-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("buildings.geojson");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    write!(out, r#"{{"type":"FeatureCollection","features":["#)?;
    for (i, b) in county.buildings.iter().enumerate() {
        let ring: Vec<[f64; 2]> = b.footprint.0[0]
            .exterior()
            .0
            .iter()
            .map(|c| [c.x, c.y])
            .collect();
        let f = serde_json::json!({"type": "Feature", "id": b.source_id,
            "properties": {"levels": b.levels, "households": b.households.count, "use": b.building_use.as_str()},
            "geometry": {"type": "Polygon", "coordinates": [ring]}});
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut out, &f)?;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    drop(out);
    let size = std::fs::metadata(&path)?.len();
    let t = std::time::Instant::now();
    let (b, report) = read_geojson_buildings(
        &path,
        &GeoJsonOptions::default(),
        &indicatif::ProgressBar::hidden(),
    )?;
    let elapsed = t.elapsed();
    println!(
        "{} buildings, {:.1} MB: read in {elapsed:.2?} ({:.0} features/s, {:.1} MB/s); {report}",
        b.len(),
        size as f64 / 1e6,
        b.len() as f64 / elapsed.as_secs_f64(),
        size as f64 / 1e6 / elapsed.as_secs_f64()
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
