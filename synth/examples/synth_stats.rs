//! Generates a synthetic county and prints its size and the time taken:
//! `cargo run --release -p gridmap-synth --example synth_stats -- 300000 [seed]`.
use gridmap_core::{AdminLevel, BuildingUse};
use gridmap_synth::{synth_county, SynthParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let households: u32 = args.next().unwrap_or_else(|| "300000".into()).parse()?;
    let seed: u64 = args.next().unwrap_or_else(|| "1".into()).parse()?;
    let t = std::time::Instant::now();
    let c = synth_county(&SynthParams::new(households, seed));
    let elapsed = t.elapsed();
    let level = |l| c.admin_units.iter().filter(|u| u.level == l).count();
    let towers = c
        .buildings
        .iter()
        .filter(|b| b.households.count >= 60)
        .count();
    let homes = c
        .buildings
        .iter()
        .filter(|b| b.building_use == BuildingUse::Residential)
        .count();
    let inst = c
        .buildings
        .iter()
        .filter(|b| b.building_use == BuildingUse::Institution)
        .count();
    println!("{households} households, seed {seed}: generated in {elapsed:.2?}");
    println!(
        "townships {}, villages {}, buildings {} (residential {homes}, towers {towers}, institutions {inst}), households {}, staff {}, incidents {}, barriers {}",
        level(AdminLevel::Township),
        level(AdminLevel::Village),
        c.buildings.len(),
        c.households.len(),
        c.staff.len(),
        c.incidents.len(),
        c.barriers.len()
    );
    for u in c.admin_units.iter().take(4) {
        println!("  {} {} {:?}", u.code, u.name, u.level);
    }
    Ok(())
}
