//! `gridmap import incidents`: read the CSV/XLSX or GeoJSON (Point features, by the file
//! name's extension), map categories, place and store through the incident use case (so
//! deadlines, areas and timelines are those of a report).

use super::{with_store, Outcome};
use crate::cli::IncidentImportArgs;
use anyhow::Context;
use gridmap_importers::csv::read_incidents_csv;
use gridmap_importers::read_geojson_incidents;
use gridmap_service::incidents::CategoryMap;
use gridmap_service::{AccessPolicy, Caller, Service};
use gridmap_store::OpenMode;
use std::time::Instant;

pub(crate) async fn run(db: &str, args: &IncidentImportArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let csv = &args.csv;
    let (incidents, report) = super::import_csv::read_points(
        csv,
        &|path, options, bar| read_geojson_incidents(path, options, bar),
        &|path, options, bar| read_incidents_csv(path, options, bar),
    )?;
    let read = incidents.len();
    let map_file = args.category_map.clone();
    let write = (csv.write.strict, csv.write.dry_run);
    let file = csv.file.clone();
    let (outcome, rejected_here) = with_store(db, OpenMode::Create, async |store| {
        let service = Service::start(store.clone(), AccessPolicy::default(), 1 << 20).await?;
        let map = match &map_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read the category map {}", p.display()))?;
                CategoryMap::parse(&text, &service.incident_config().taxonomy)
                    .with_context(|| p.display().to_string())?
            }
            None => CategoryMap::default(),
        };
        let outcome = service
            .import_incidents(&Caller::Operator, incidents, &map, write.0, write.1)
            .await?;
        let n = outcome.rejected.len();
        Ok((outcome, n))
    })
    .await?;
    for r in outcome.rejected.iter().take(200) {
        outln!("rejected: {}: {r}", file.display())?;
    }
    if write.0 && rejected_here > 0 {
        anyhow::bail!(
            "{}: {rejected_here} incidents have unknown categories, nothing imported (--strict); add them to --category-map",
            file.display()
        );
    }
    outln!(
        "{read} incidents read, {} new, {} updated, {} placed in a grid{} in {:.2} s",
        outcome.counts.inserted,
        outcome.counts.updated,
        outcome.placed,
        if write.1 {
            " (dry run: nothing written)"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    )?;
    Ok(if report.rejected.is_empty() && rejected_here == 0 {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    })
}
