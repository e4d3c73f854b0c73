//! `gridmap export villages|buildings|grids -o FILE.geojson` and `export pmtiles`.
//! GeoJSON exports carry no personal data: only what tiles may show.

use super::{with_store, Outcome};
use crate::cli::{ExportArgs, ExportLayer};
use anyhow::Context;
use geojson::{Feature, FeatureCollection, Geometry, JsonObject};
use gridmap_core::HouseholdCountSource;
use gridmap_service::LiveData;
use gridmap_store::{OpenMode, SharedStore};
use gridmap_tiles::{write_pmtiles, Layer};
use serde_json::json;
use std::collections::HashMap;

fn feature(shape: &geo_types::MultiPolygon<f64>, properties: serde_json::Value) -> Feature {
    Feature {
        geometry: Some(Geometry::new(geojson::GeometryValue::from(shape))),
        properties: match properties {
            serde_json::Value::Object(map) => Some(JsonObject::from_iter(map)),
            _ => None,
        },
        ..Default::default()
    }
}

pub(crate) async fn run(db: &str, args: &ExportArgs) -> anyhow::Result<Outcome> {
    with_store(db, OpenMode::Existing, async |store| {
        export(store, args).await
    })
    .await
}

async fn export(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let features: Vec<Feature> = match args.layer {
        ExportLayer::Villages => store
            .admin_units()
            .await?
            .iter()
            .map(|u| feature(&u.boundary, json!({"code": u.code, "name": u.name, "level": u.level.as_str(), "source_id": u.source_id})))
            .collect(),
        ExportLayer::Buildings => store
            .buildings()
            .await?
            .iter()
            .map(|b| {
                feature(
                    &b.footprint,
                    json!({
                        "id": b.source_id, "use": b.building_use.as_str(), "levels": b.levels, "height": b.height,
                        "households": b.households.count,
                        "estimated": b.households.source == HouseholdCountSource::Estimated,
                        "address": b.address, "village": b.village,
                    }),
                )
            })
            .collect(),
        ExportLayer::Grids => {
            let staff: HashMap<String, String> = store.staff().await?.into_iter().map(|s| (s.id, s.name)).collect();
            store
                .grids()
                .await?
                .iter()
                .map(|g| {
                    feature(
                        &g.polygon,
                        json!({
                            "code": g.code, "village": g.village, "households": g.households,
                            "buildings": g.members.len(), "level": g.level, "locked": g.locked,
                            "institution": g.institution, "version": g.version,
                            "staff": g.staff.as_ref().and_then(|id| staff.get(id)),
                        }),
                    )
                })
                .collect()
        }
        ExportLayer::Pmtiles => return pmtiles(store, args).await,
    };
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
