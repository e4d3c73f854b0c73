//! `gridmap import cameras` and `gridmap cameras report`.

use super::{with_store, Outcome};
use crate::cli::{CameraImportArgs, CameraReportArgs, CamerasCommand};
use anyhow::Context;
use gridmap_importers::{read_cameras_csv, read_geojson_cameras};
use gridmap_service::{cameras, Caller};
use gridmap_store::OpenMode;
use std::time::Instant;

pub(crate) async fn run(db: &str, cmd: CamerasCommand) -> anyhow::Result<Outcome> {
    match cmd {
        CamerasCommand::Report(args) => report(db, &args).await,
    }
}

pub(crate) async fn import(db: &str, args: &CameraImportArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let csv = &args.csv;
    let (list, report) = super::import_csv::read_points(
        csv,
        &|path, options, bar| read_geojson_cameras(path, options, bar),
        &|path, options, bar| read_cameras_csv(path, options, bar),
    )?;
    if list.is_empty() {
        anyhow::bail!(
            "{}: no camera could be read, nothing imported{}",
            csv.file.display(),
            if report.rejected.is_empty() {
                " (the file lists none)"
            } else {
                ""
            }
        );
    }
    let read = list.len();
    if csv.write.dry_run {
        outln!("{read} cameras read (dry run: nothing written)")?;
    } else {
        let source = csv.file.file_name().map_or_else(
            || csv.file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let summary = with_store(db, OpenMode::Create, async |store| {
            Ok(cameras::import_cameras(
                store.as_ref(),
                &Caller::Operator,
                list,
                args.replace_all,
                &source,
            )
            .await?)
        })
        .await?;
        outln!(
            "{read} cameras read: {} new, {} updated, {} unchanged, {} removed{} in {:.2} s",
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.removed,
            if summary.change > 0 {
                format!(
                    " (change {}: gridmap undo {} takes it back)",
                    summary.change, summary.change
                )
            } else {
                String::new()
            },
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(if report.rejected.is_empty() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}

async fn report(db: &str, args: &CameraReportArgs) -> anyhow::Result<Outcome> {
    if let Some(b) = args.below {
        anyhow::ensure!(
            (0.0..=1.0).contains(&b),
            "--below {b}: give a share between 0 and 1, e.g. --below 0.5"
        );
    }
    let scope = super::partition::scope(&args.villages)?;
    let report = with_store(db, OpenMode::Existing, async |store| {
        Ok(cameras::coverage_report(store.as_ref(), &Caller::Operator, &scope).await?)
    })
    .await?;
    let level = |l: u8| {
        if l == gridmap_core::Grid::COMPREHENSIVE {
            "综治网格"
        } else {
            "网格"
        }
    };
    let mut listed = 0;
    for r in &report.grids {
        let c = &r.coverage;
        let low = args.below.is_some_and(|b| c.building_share() < b);
        if !(c.is_uncovered() || low) {
            continue;
        }
        listed += 1;
        if listed > 100 {
            continue;
        }
        let down = if c.cameras_down > 0 {
            format!(", {} camera(s) down would reach it", c.cameras_down)
        } else {
            String::new()
        };
        outln!(
            "{} {}: {} of {} buildings seen, {:.0}% of the area, {} households{down}",
            level(r.level),
            c.grid,
            c.buildings_seen,
            c.buildings,
            c.area.share() * 100.0,
            r.households
        )?;
    }
    if listed > 100 {
        outln!("… and {} more", listed - 100)?;
    }
    outln!(
        "{} grids, {} without camera coverage; {} cameras, {} offline or faulty ({})",
        report.grids.len(),
        report.uncovered,
        report.cameras,
        report.cameras_down,
        report.note
    )?;
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.uncovered == 0 {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}
