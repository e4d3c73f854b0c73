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
        outln!("{}", serde_json::to_string_pretty(&s)?)?;
        return Ok(Outcome::Clean);
    }
    outln!("store            {}", gridmap_store::shown_location(db))?;
    outln!("counties         {:>10}", s.counties)?;
    outln!("townships        {:>10}", s.townships)?;
    outln!("villages         {:>10}", s.villages)?;
    outln!(
        "buildings        {:>10}  ({} residential, {} institutions)",
        s.buildings,
        s.buildings_residential,
        s.buildings_institution
    )?;
    outln!(
        "households       {:>10}  ({} estimated, {} register rows)",
        s.households_in_buildings,
        s.households_estimated,
        s.register_rows
    )?;
    outln!(
        "grids            {:>10}  ({} locked)",
        s.grids,
        s.grids_locked
    )?;
    outln!("staff            {:>10}", s.staff)?;
    outln!("incidents        {:>10}", s.incidents)?;
    outln!("barriers         {:>10}", s.barriers)?;
    Ok(Outcome::Clean)
}
