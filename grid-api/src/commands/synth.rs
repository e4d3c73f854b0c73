//! `gridmap synth`: a reproducible synthetic county into the store.

use super::{with_store, Outcome};
use crate::cli::SynthArgs;
use gridmap_store::OpenMode;
use gridmap_synth::{synth_county, SynthParams};
use std::time::Instant;

/// Generates the county and writes it in one transaction. Its incidents cover the year
/// 2025, or the 365 days before `incidents_end` (Unix seconds) when given.
pub(crate) async fn generate_into(
    db: &str,
    households: u32,
    seed: u64,
    incidents_end: Option<i64>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let bar = crate::progress::bar("generating", None);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let mut county = synth_county(&SynthParams {
        households,
        seed,
        incidents_end,
        ..SynthParams::default()
    });
    bar.finish_and_clear();
    let generated_s = started.elapsed().as_secs_f64();
    let cameras = std::mem::take(&mut county.cameras);
    let batch = gridmap_service::import::synthetic_batch(county);
    outln!(
        "generated {} admin units, {} buildings, {} households, {} staff, {} incidents, {} roads, {} cameras in {generated_s:.2} s (seed {seed})",
        batch.admin_units.len(),
        batch.buildings.len(),
        batch.households.len(),
        batch.staff.len(),
        batch.incidents.len(),
        batch.barriers.len(),
        cameras.len()
    )?;
    if dry_run {
        outln!("dry run: nothing written")?;
        return Ok(());
    }
    let write_started = Instant::now();
    let summary = with_store(db, OpenMode::Create, async |store| {
        let options = gridmap_service::import::ImportOptions::default();
        let summary = super::import::write_batch(store, "synth", batch, options).await?;
        gridmap_service::cameras::import_cameras(
            store.as_ref(),
            &gridmap_service::Caller::Operator,
            cameras,
            true,
            "synth",
        )
        .await?;
        Ok(summary)
    })
    .await?;
    let write_s = write_started.elapsed().as_secs_f64();
    super::import::print_summary(&summary)?;
    outln!(
        "stored in {write_s:.2} s ({:.0} buildings/s)",
        summary.buildings.inserted.max(summary.buildings.updated) as f64 / write_s.max(1e-9)
    )?;
    Ok(())
}

pub(crate) async fn run(db: &str, args: &SynthArgs) -> anyhow::Result<Outcome> {
    if args.households == 0 {
        anyhow::bail!("--households must be at least 1");
    }
    generate_into(db, args.households, args.seed, None, args.dry_run).await?;
    Ok(Outcome::Clean)
}
