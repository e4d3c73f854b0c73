//! TileJSON 3.0.0 documents and the layer catalog, as `serde_json` values.

use crate::layers::{Layer, LayerGeometry, DATA_MAX_ZOOM};
use crate::TileData;
use serde_json::{json, Map, Value};

fn vector_layer(layer: Layer) -> Value {
    let fields: Map<String, Value> = layer
        .fields()
        .iter()
        .map(|(k, d)| ((*k).to_owned(), Value::String((*d).to_owned())))
        .collect();
    json!({
        "id": layer.name(),
        "description": layer.description(),
        "minzoom": layer.min_zoom(),
        "maxzoom": layer.max_zoom(),
        "fields": fields,
    })
}

/// The TileJSON 3.0.0 document for the composite tiles of `layers`, served under
/// `{base_url}/tiles/{layers}/{z}/{x}/{y}.mvt` (`base_url` without a trailing slash;
/// a relative one such as `""` or `/api` is fine). `bounds` and `center` come from
/// the data (the whole world when it is empty).
///
/// ```
/// use std::sync::Arc;
/// use gridmap_core::snapshot::CountySnapshot;
/// use gridmap_tiles::{tilejson, Layer, TileData, TileParams};
/// let data = TileData::new(Arc::new(CountySnapshot::new(vec![], vec![], vec![], vec![])), TileParams::default());
/// let tj = tilejson(&[Layer::Grids, Layer::Buildings], "/api", &data, Some("© OpenStreetMap contributors"));
/// assert_eq!(tj["tilejson"], "3.0.0");
/// assert_eq!(tj["tiles"][0], "/api/tiles/grids,buildings/{z}/{x}/{y}.mvt");
/// assert_eq!(tj["vector_layers"][1]["id"], "buildings");
/// assert_eq!(tj["minzoom"], 12);
/// ```
pub fn tilejson(
    layers: &[Layer],
    base_url: &str,
    data: &TileData,
    attribution: Option<&str>,
) -> Value {
    let base = base_url.trim_end_matches('/');
    let list = Layer::list_name(layers);
    let minzoom = layers.iter().map(|l| l.min_zoom()).min().unwrap_or(0);
    let maxzoom = DATA_MAX_ZOOM;
    let (bounds, centre) = match data.bounds() {
        Some(b) => {
            let c = b.center();
            ([b.min().x, b.min().y, b.max().x, b.max().y], [c.x, c.y])
        }
        None => (
            [-180.0, -85.051_128_779_806_59, 180.0, 85.051_128_779_806_59],
            [0.0, 0.0],
        ),
    };
    let centre_zoom = 13u8.clamp(minzoom, maxzoom);
    let mut doc = json!({
        "tilejson": "3.0.0",
        "name": format!("gridmap {list}"),
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{list}/{{z}}/{{x}}/{{y}}.mvt")],
        "vector_layers": layers.iter().map(|&l| vector_layer(l)).collect::<Vec<_>>(),
        "bounds": bounds,
        "center": [centre[0], centre[1], centre_zoom],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
    });
    if let (Some(a), Some(obj)) = (attribution, doc.as_object_mut()) {
        obj.insert("attribution".into(), Value::String(a.to_owned()));
    }
    doc
}

/// Every layer with its geometry type, zoom range, description and fields, e.g. for
/// a `/api/tiles/catalog` endpoint or a map page that builds its style from it.
///
/// ```
/// let cat = gridmap_tiles::catalog();
/// let grids = cat.as_array().unwrap().iter().find(|l| l["id"] == "grids").unwrap();
/// assert_eq!(grids["minzoom"], 12);
/// assert_eq!(grids["geometry"], "polygon");
/// assert!(grids["fields"]["colour"].is_string());
/// ```
pub fn catalog() -> Value {
    Value::Array(
        Layer::ALL
            .iter()
            .map(|&l| {
                let mut v = vector_layer(l);
                if let Some(obj) = v.as_object_mut() {
                    let geometry = match l.geometry() {
                        LayerGeometry::Polygon => "polygon",
                        LayerGeometry::Point => "point",
                    };
                    obj.insert("geometry".into(), Value::String(geometry.into()));
                    obj.insert("reserved".into(), Value::Bool(!l.is_county_layer()));
                }
                v
            })
            .collect(),
    )
}
