//! Prints what the OSM reader makes of a file: `cargo run --release --example osm_stats -- FILE`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: osm_stats FILE.osm.pbf")?;
    let t = std::time::Instant::now();
    let mut data = gridmap_importers::read_osm(
        &path,
        &Default::default(),
        &indicatif::ProgressBar::hidden(),
    )?;
    let elapsed = t.elapsed();
    let estimated =
        gridmap_importers::estimate_households(&mut data.buildings, &Default::default());
    println!("{path}: {} in {elapsed:?}", data.report);
    println!(
        "buildings {}, admin units {}, barriers {}, estimated {}",
        data.buildings.len(),
        data.admin_units.len(),
        data.barriers.len(),
        estimated
    );
    for u in &data.admin_units {
        println!("  {} {} {:?} {}", u.code, u.name, u.level, u.source_id);
    }
    for i in data.report.rejected.iter().take(200) {
        println!("  rejected: {i}");
    }
    for i in data.report.repaired.iter().take(5) {
        println!("  repaired: {i}");
    }
    Ok(())
}
