//! `gridmap export villages|buildings|grids -o FILE.geojson` and `export pmtiles`.
//! GeoJSON exports carry no personal data: only what tiles may show.

use super::{with_store, Outcome};
use crate::cli::{ExportArgs, ExportLayer};
use anyhow::Context;
use geojson::FeatureCollection;
use gridmap_service::{export, Caller, LiveData};
use gridmap_store::{OpenMode, SharedStore};
use gridmap_tiles::{write_pmtiles, Layer};

pub(crate) async fn run(db: &str, args: &ExportArgs) -> anyhow::Result<Outcome> {
    with_store(db, OpenMode::Existing, async |store| {
        export(store, args).await
    })
    .await
}

async fn export(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let layer = match args.layer {
        ExportLayer::Villages => export::ExportLayer::Units,
        ExportLayer::Buildings => export::ExportLayer::Buildings,
        ExportLayer::Grids => export::ExportLayer::Grids,
        ExportLayer::Pmtiles => return pmtiles(store, args).await,
    };
    let features = export::features(store.as_ref(), &Caller::Operator, layer).await?;
    let n = features.len();
    let collection = FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    };
    let file = std::fs::File::create(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    serde_json::to_writer(std::io::BufWriter::new(file), &collection)
        .with_context(|| format!("writing {}", args.output.display()))?;
    outln!("wrote {n} features to {}", args.output.display())?;
    Ok(Outcome::Clean)
}

async fn pmtiles(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let layers = Layer::parse_list(&args.layers).context("--layers")?;
    let snapshot = store.load_snapshot().await?;
    let params = gridmap_service::partition::stored_params(store.as_ref()).await?;
    let data = LiveData::new(snapshot, params);
    let bar = crate::progress::bar("tiles", None);
    let attribution = data.attribution();
    let summary = write_pmtiles(
        &args.output,
        &data.tiles,
        &layers,
        args.minzoom,
        args.maxzoom,
        &bar,
        Some(attribution),
    )?;
    bar.finish_and_clear();
    outln!(
        "wrote {} tiles ({} visited) to {}",
        summary.tiles,
        summary.visited,
        args.output.display()
    )?;
    Ok(Outcome::Clean)
}
