//! `gridmap stats`: counts per layer and level.

use super::{with_store, Outcome};
use crate::cli::StatsArgs;
use gridmap_store::OpenMode;

pub(crate) async fn run(db: &str, args: &StatsArgs) -> anyhow::Result<Outcome> {
    let s = with_store(db, OpenMode::Existing, async |store| {
        Ok(store.stats().await?)
    })
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(Outcome::Clean);
    }
    println!("store            {db}");
    println!("counties         {:>10}", s.counties);
    println!("townships        {:>10}", s.townships);
    println!("villages         {:>10}", s.villages);
    println!(
        "buildings        {:>10}  ({} residential, {} institutions)",
        s.buildings, s.buildings_residential, s.buildings_institution
    );
    println!(
        "households       {:>10}  ({} estimated, {} register rows)",
        s.households_in_buildings, s.households_estimated, s.register_rows
    );
    println!(
        "grids            {:>10}  ({} locked)",
        s.grids, s.grids_locked
    );
    println!("staff            {:>10}", s.staff);
    println!("incidents        {:>10}", s.incidents);
    println!("barriers         {:>10}", s.barriers);
    Ok(Outcome::Clean)
}
