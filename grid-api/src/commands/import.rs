//! `gridmap import …`: read a file with the importers, write it with one store transaction.

use super::{with_store, Outcome};
use crate::cli::{
    CsvImportArgs, EstimateArgs, FeatureFormat, FeatureImportArgs, ImportCommand, OsmImportArgs,
    WriteArgs,
};
use anyhow::Context;
use gridmap_importers::format::FileFormat;
use gridmap_importers::geojson::GeoJsonLayout;
use gridmap_importers::{
    estimate_households, read_geojson_buildings, read_geojson_villages, read_osm, Crs,
    EstimateOptions, GeoJsonOptions, ImportReport, OsmOptions, TextEncoding,
};
use gridmap_service::import::{self, ImportOptions, UnknownBuildings};
use gridmap_service::Caller;
use gridmap_store::{ImportBatch, ImportSummary, OpenMode, SharedStore};
use std::path::Path;
use std::time::Instant;

pub(crate) async fn run(db: &str, cmd: ImportCommand) -> anyhow::Result<Outcome> {
    match cmd {
        ImportCommand::Villages(args) => features(db, &args, Kind::Villages).await,
        ImportCommand::Buildings(args) => features(db, &args, Kind::Buildings).await,
        ImportCommand::Osm(args) => osm(db, &args).await,
        ImportCommand::Households(args) => {
            csv(db, &args, super::import_csv::CsvKind::Households).await
        }
        ImportCommand::Staff(args) => csv(db, &args, super::import_csv::CsvKind::Staff).await,
        ImportCommand::Incidents(args) => super::import_incidents::run(db, &args).await,
        ImportCommand::Cameras(args) => super::cameras::import(db, &args).await,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Villages,
    Buildings,
}

fn file_size(path: &Path) -> anyhow::Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len())
}

fn estimate_options(args: &EstimateArgs) -> anyhow::Result<EstimateOptions> {
    if !(args.dwelling_m2.is_finite() && args.dwelling_m2 > 0.0) {
        anyhow::bail!(
            "--dwelling-m2 must be a positive number of square metres, not {}",
            args.dwelling_m2
        );
    }
    Ok(EstimateOptions {
        dwelling_m2: args.dwelling_m2,
        default_levels: args.default_levels.max(1),
        ..EstimateOptions::default()
    })
}

async fn features(db: &str, args: &FeatureImportArgs, kind: Kind) -> anyhow::Result<Outcome> {
    let crs_auto = args
        .crs
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("auto"));
    let crs: Option<Crs> = match args.crs.as_deref() {
        Some(c) if !crs_auto => Some(c.parse().context("--crs")?),
        _ => None,
    };
    let encoding = args.encoding.as_deref().map(str::parse::<TextEncoding>);
    let encoding = encoding
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("--encoding")?;
    // The binary formats are told by their bytes: --format only checks them.
    let binary = match args.format {
        Some(FeatureFormat::Shapefile) => Some(("shapefile", FileFormat::Shapefile)),
        Some(FeatureFormat::Flatgeobuf) => Some(("flatgeobuf", FileFormat::FlatGeobuf)),
        Some(FeatureFormat::Geopackage) => Some(("geopackage", FileFormat::GeoPackage)),
        _ => None,
    };
    if let Some((name, format)) = binary {
        let found = gridmap_importers::format::sniff(&args.file)?;
        if found != format {
            anyhow::bail!(
                "--format {name}, but {} is a {}",
                args.file.display(),
                found.name()
            );
        }
    }
    let options = GeoJsonOptions {
        crs: crs.unwrap_or_default(),
        crs_given: crs.is_some(),
        crs_auto,
        layer: args.layer.clone(),
        encoding,
        layout: args.format.and_then(|f| match f {
            FeatureFormat::Geojson => Some(GeoJsonLayout::FeatureCollection),
            FeatureFormat::Geojsonseq => Some(GeoJsonLayout::Seq),
            FeatureFormat::Shapefile | FeatureFormat::Flatgeobuf | FeatureFormat::Geopackage => {
                None
            }
        }),
        max_vertices: args.geometry.max_vertices,
        ..field_options(args, kind)
    };
    if args.replace && kind != Kind::Buildings {
        anyhow::bail!("--replace applies to `gridmap import buildings` only");
    }
    let bar = crate::progress::bytes_bar("reading", file_size(&args.file)?);
    let started = Instant::now();
    let (batch, report) = match kind {
        Kind::Villages => {
            let (units, report) = read_geojson_villages(&args.file, &options, &bar)?;
            (
                ImportBatch {
                    admin_units: units,
                    ..Default::default()
                },
                report,
            )
        }
        Kind::Buildings => {
            let (mut buildings, report) = read_geojson_buildings(&args.file, &options, &bar)?;
            estimate_households(&mut buildings, &estimate_options(&args.estimate)?);
            bar.finish_and_clear();
            (
                ImportBatch {
                    buildings,
                    ..Default::default()
                },
                report,
            )
        }
    };
    bar.finish_and_clear();
    let options = ImportOptions {
        replace: args.replace,
    };
    write(
        db,
        &args.file,
        (batch, options),
        report,
        &args.write,
        started,
    )
    .await
}

/// The property names of a feature import: those given on the command line, the
/// defaults for the rest. A property named for what `kind` reads must be in the file
/// ([`GeoJsonOptions::named_properties`]); one for the other kind is not read, so not checked.
fn field_options(args: &FeatureImportArgs, kind: Kind) -> GeoJsonOptions {
    use Kind::{Buildings, Villages};
    let mut options = GeoJsonOptions {
        id_field: args.id_field.clone(),
        ..GeoJsonOptions::default()
    };
    let mut named = Vec::new();
    let fields = [
        (
            "--code-field",
            &args.code_field,
            Villages,
            &mut options.code_field,
        ),
        (
            "--name-field",
            &args.name_field,
            Villages,
            &mut options.name_field,
        ),
        (
            "--levels-field",
            &args.levels_field,
            Buildings,
            &mut options.levels_field,
        ),
        (
            "--households-field",
            &args.households_field,
            Buildings,
            &mut options.households_field,
        ),
        (
            "--use-field",
            &args.use_field,
            Buildings,
            &mut options.use_field,
        ),
        (
            "--height-field",
            &args.height_field,
            Buildings,
            &mut options.height_field,
        ),
    ];
    for (option, given, read_by, property) in fields {
        let Some(given) = given else {
            continue;
        };
        property.clone_from(given);
        if read_by == kind {
            named.push((option.to_owned(), given.clone()));
        }
    }
    if let Some(id) = &args.id_field {
        named.push(("--id-field".to_owned(), id.clone()));
    }
    options.named_properties = named;
    options
}

async fn osm(db: &str, args: &OsmImportArgs) -> anyhow::Result<Outcome> {
    let options = OsmOptions {
        admin_level: args.admin_level,
        county_code: args.county_code.clone(),
        max_vertices: args.geometry.max_vertices,
        ..OsmOptions::default()
    };
    let bar = crate::progress::bytes_bar("reading", file_size(&args.file)?.saturating_mul(3));
    let started = Instant::now();
    let data = read_osm(&args.file, &options, &bar)?;
    bar.finish_and_clear();
    let mut buildings = data.buildings;
    estimate_households(&mut buildings, &estimate_options(&args.estimate)?);
    let batch = ImportBatch {
        admin_units: data.admin_units,
        buildings,
        barriers: data.barriers,
        ..Default::default()
    };
    let batch = (batch, ImportOptions::default());
    write(db, &args.file, batch, data.report, &args.write, started).await
}

async fn csv(
    db: &str,
    args: &CsvImportArgs,
    kind: super::import_csv::CsvKind,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let (batch, report) = super::import_csv::read(args, kind)?;
    let batch = (batch, ImportOptions::default());
    write(db, &args.file, batch, report, &args.write, started).await
}

/// Prints the report and, unless dry-running, writes the batch in one transaction.
pub(crate) async fn write(
    db: &str,
    file: &Path,
    (batch, options): (ImportBatch, ImportOptions),
    report: ImportReport,
    write_args: &WriteArgs,
    started: Instant,
) -> anyhow::Result<Outcome> {
    let read_s = started.elapsed().as_secs_f64();
    for issue in report.repaired.iter().take(50) {
        outln!("repaired: {issue}")?;
    }
    for issue in report.rejected.iter().take(200) {
        outln!("rejected: {issue}")?;
    }
    if report.rejected.len() > 200 {
        outln!("… and {} more rejected", report.rejected.len() - 200)?;
    }
    outln!("{report}")?;
    let outcome = if report.rejected.is_empty() {
        Outcome::Clean
    } else {
        Outcome::WithProblems
    };
    if write_args.strict && !report.rejected.is_empty() {
        anyhow::bail!(
            "{}: {} records rejected, nothing imported (--strict); fix them or drop --strict to import the valid ones",
            file.display(),
            report.rejected.len()
        );
    }
    if write_args.dry_run {
        outln!(
            "dry run: nothing written ({} read in {read_s:.2} s)",
            file.display()
        )?;
        return Ok(outcome);
    }
    let n = batch.buildings.len();
    let source = file.display().to_string();
    let summary = with_store(db, OpenMode::Create, async |store| {
        write_batch(store, &source, batch, options).await
    })
    .await?;
    let total_s = started.elapsed().as_secs_f64();
    print_summary(&summary)?;
    if n > 0 {
        outln!(
            "{n} buildings in {total_s:.2} s ({:.0} buildings/s; reading {read_s:.2} s)",
            n as f64 / total_s.max(1e-9)
        )?;
    } else {
        outln!("done in {total_s:.2} s")?;
    }
    Ok(outcome)
}

/// Writes a batch with a progress spinner through the import use case (one transaction)
/// and says what it did beyond the counts.
pub(crate) async fn write_batch(
    store: &SharedStore,
    source: &str,
    batch: ImportBatch,
    options: ImportOptions,
) -> anyhow::Result<ImportSummary> {
    let bar = crate::progress::bar("writing", None);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let written = import::import(store.as_ref(), &Caller::Operator, source, batch, options)
        .await
        .context("writing the import (nothing was changed)");
    bar.finish_and_clear();
    let done = written?;
    let unmatched = done.unmatched_households;
    if unmatched > 0 {
        outln!("{unmatched} register rows lie in no building footprint: they are kept but count in no grid")?;
    }
    warn_unknown_buildings(&done.unknown_buildings)?;
    if done.replaced > 0 {
        outln!("{} stored buildings replaced by the buildings of {source} with the same footprint (--replace)", done.replaced)?;
    } else if done.coinciding > 0 {
        outln!(
            "note: {} buildings have the same footprint as stored buildings under other ids and are \
             stored beside them (--replace would replace them)",
            done.coinciding
        )?;
    }
    Ok(done.summary)
}

/// Says which register rows name buildings the store does not have (ids only: the rows
/// hold personal data), so a register imported before its buildings, or naming them
/// under other ids, does not go unnoticed.
fn warn_unknown_buildings(unknown: &UnknownBuildings) -> anyhow::Result<()> {
    if unknown.rows == 0 {
        return Ok(());
    }
    let more = if unknown.rows > unknown.first.len() {
        ", …"
    } else {
        ""
    };
    outln!(
        "warning: {} register rows name a building that is not in the store (households {}{more}): \
         they are kept but count in no grid; import those buildings, or check the `building` column",
        unknown.rows,
        unknown.first.join(", ")
    )?;
    Ok(())
}

pub(crate) fn print_summary(s: &ImportSummary) -> anyhow::Result<()> {
    let rows = [
        ("admin units", s.admin_units),
        ("buildings", s.buildings),
        ("barriers", s.barriers),
        ("households", s.households),
        ("staff", s.staff),
        ("incidents", s.incidents),
    ];
    for (name, c) in rows {
        if c.inserted + c.updated > 0 {
            outln!("{name:<12} {:>9} new, {:>9} updated", c.inserted, c.updated)?;
        }
    }
    if s.buildings_with_registered_households > 0 {
        outln!(
            "{} buildings now count households from the register",
            s.buildings_with_registered_households
        )?;
    }
    Ok(())
}
