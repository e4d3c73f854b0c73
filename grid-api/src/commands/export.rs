//! `gridmap export villages|buildings|grids|roster -o FILE` and `export pmtiles`.
//! Layer and grid exports carry no personal data: only what tiles may show. The roster
//! adds the staff's work phones (the operator at the command line may see them).

use super::{with_store, Outcome};
use crate::cli::{CsvEncoding, ExportArgs, ExportLayer};
use anyhow::{bail, Context};
use geojson::FeatureCollection;
use gridmap_service::export::{
    grid_file, roster_file, shapefile, ExportSource, GridFormat, RosterFormat, TextEncoding,
    GRID_FORMATS,
};
use gridmap_service::{export, Caller, LiveData};
use gridmap_store::{OpenMode, SharedStore};
use gridmap_tiles::{write_pmtiles, Layer};
use std::path::{Path, PathBuf};

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
        ExportLayer::Grids => return grids(store, args).await,
        ExportLayer::Roster => return roster(store, args).await,
        ExportLayer::Pmtiles => return pmtiles(store, args).await,
    };
    if args.village.is_some() || args.format.is_some() {
        bail!("--village and --format apply to `export grids` and `export roster` only");
    }
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

/// The grid format `--format` or the output's extension names. A file without an
/// extension is GeoJSON, as `export grids` always wrote.
fn grid_format(args: &ExportArgs) -> anyhow::Result<GridFormat> {
    if let Some(name) = &args.format {
        return name.parse().context("--format");
    }
    match GridFormat::of_path(&args.output) {
        Some(format) => Ok(format),
        None if args.output.extension().is_none() => Ok(GridFormat::GeoJson),
        None => bail!(
            "{}: unknown extension; name the file .geojson, .fgb, .shp (or .zip for a zipped \
             Shapefile), or pass --format ({GRID_FORMATS})",
            args.output.display()
        ),
    }
}

/// The file name without `.zip` and `.shp`: the name of the files inside a zipped Shapefile.
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "grids".into());
    let name = name.strip_suffix(".zip").unwrap_or(&name);
    name.strip_suffix(".shp").unwrap_or(name).to_owned()
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

async fn grids(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let format = grid_format(args)?;
    let encoding = TextEncoding::from(args.encoding);
    if encoding != TextEncoding::Utf8 && format != GridFormat::Shapefile {
        bail!("--encoding applies to Shapefiles only (GeoJSON and FlatGeobuf are always UTF-8)");
    }
    let source = ExportSource::load(store.as_ref(), args.village.as_deref()).await?;
    let (grids, names) = (&source.grids, &source.names);
    let zipped = args.output.extension().is_some_and(|e| e == "zip");
    let written: Vec<PathBuf> = if format == GridFormat::Shapefile && !zipped {
        let files = shapefile(grids, names, encoding)?;
        let mut written = Vec::new();
        for (ext, bytes) in files.files() {
            let path = args.output.with_extension(ext);
            write(&path, bytes)?;
            written.push(path);
        }
        written
    } else {
        let file = grid_file(
            &Caller::Operator,
            grids,
            names,
            format,
            encoding,
            &stem(&args.output),
        )?;
        write(&args.output, &file.bytes)?;
        vec![args.output.clone()]
    };
    let shown: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    outln!("wrote {} grids to {}", grids.len(), shown.join(", "))?;
    Ok(Outcome::Clean)
}

async fn roster(store: &SharedStore, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let format = match &args.format {
        Some(name) => name.parse().context("--format")?,
        None => RosterFormat::of_path(&args.output).with_context(|| {
            format!(
                "{}: name the roster .csv or .xlsx, or pass --format csv|xlsx",
                args.output.display()
            )
        })?,
    };
    if args.encoding != CsvEncoding::Utf8 {
        bail!("--encoding applies to Shapefiles only (the roster CSV is UTF-8 with a byte-order mark, which Excel reads)");
    }
    let source = ExportSource::load(store.as_ref(), args.village.as_deref()).await?;
    let file = roster_file(
        &Caller::Operator,
        &source.grids,
        &source.names,
        format,
        &stem(&args.output),
    )?;
    write(&args.output, &file.bytes)?;
    outln!(
        "wrote the roster of {} grids to {}",
        source.grids.len(),
        args.output.display()
    )?;
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
