//! Exports of whole layers as GeoJSON features: only what tiles may show, never personal
//! data (no household heads, phones or tags; staff by name only).

use crate::{Caller, ServiceResult};
use geojson::{Feature, Geometry, JsonObject};
use gridmap_core::HouseholdCountSource;
use gridmap_store::Store;
use serde_json::json;
use std::collections::HashMap;

/// A layer that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportLayer {
    /// Counties, townships and villages.
    Units,
    Buildings,
    Grids,
}

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

/// Every feature of `layer`, with its public attributes.
pub async fn features(
    store: &dyn Store,
    _caller: &Caller,
    layer: ExportLayer,
) -> ServiceResult<Vec<Feature>> {
    Ok(match layer {
        ExportLayer::Units => store
            .admin_units()
            .await?
            .iter()
            .map(|u| {
                let props = json!({"code": u.code, "name": u.name, "level": u.level.as_str(), "source_id": u.source_id});
                feature(&u.boundary, props)
            })
            .collect(),
        ExportLayer::Buildings => store
            .buildings()
            .await?
            .iter()
            .map(|b| {
                let props = json!({
                    "id": b.source_id, "use": b.building_use.as_str(), "levels": b.levels, "height": b.height,
                    "households": b.households.count,
                    "estimated": b.households.source == HouseholdCountSource::Estimated,
                    "address": b.address, "village": b.village,
                });
                feature(&b.footprint, props)
            })
            .collect(),
        ExportLayer::Grids => {
            let staff: HashMap<String, String> =
                store.staff().await?.into_iter().map(|s| (s.id, s.name)).collect();
            store
                .grids()
                .await?
                .iter()
                .map(|g| {
                    let props = json!({
                        "code": g.code, "village": g.village, "households": g.households,
                        "buildings": g.members.len(), "level": g.level, "locked": g.locked,
                        "institution": g.institution, "version": g.version,
                        "staff": g.staff.as_ref().and_then(|id| staff.get(id)),
                    });
                    feature(&g.polygon, props)
                })
                .collect()
        }
    })
}
