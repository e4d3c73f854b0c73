//! CSV imports: household register, staff roster (incidents: `import_incidents.rs`).

use crate::cli::CsvImportArgs;
use anyhow::Context;
use gridmap_importers::csv::{read_households_csv, read_staff_csv, CsvOptions};
use gridmap_importers::{GeoJsonOptions, ImportError, ImportReport};
use gridmap_store::ImportBatch;
use indicatif::ProgressBar;
use std::path::Path;

/// Which register a CSV file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CsvKind {
    Households,
    Staff,
}

pub(crate) fn options(args: &CsvImportArgs) -> anyhow::Result<CsvOptions> {
    let mut options = CsvOptions {
        encoding: args.encoding.into(),
        sheet: args.sheet.clone(),
        ..CsvOptions::default()
    };
    for mapping in &args.columns {
        let (field, header) = mapping.split_once('=').with_context(|| {
            format!("--column {mapping:?} must look like field=HEADER, e.g. --column head=户主")
        })?;
        options = options.column(field.trim(), header.trim());
    }
    Ok(options)
}

/// Whether a point list is GeoJSON rather than a table, by its extension.
fn is_geojson(file: &Path) -> bool {
    file.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "geojson" | "geojsonl" | "geojsons" | "json"
        )
    })
}

/// A reader of one kind of point record from a file.
type PointReader<'a, T, O> =
    &'a dyn Fn(&Path, &O, &ProgressBar) -> Result<(Vec<T>, ImportReport), ImportError>;

/// Reads a point list (incidents, cameras) with a progress bar: GeoJSON Point features
/// by `geojson` when the extension says so, else the CSV/XLSX table by `table`. Prints
/// the rejected records; under --strict any rejected record refuses the file.
pub(crate) fn read_points<T>(
    args: &CsvImportArgs,
    geojson: PointReader<'_, T, GeoJsonOptions>,
    table: PointReader<'_, T, CsvOptions>,
) -> anyhow::Result<(Vec<T>, ImportReport)> {
    let options = options(args)?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let bar = crate::progress::bytes_bar("reading", size);
    let (records, report) = if is_geojson(&args.file) {
        let geo = GeoJsonOptions {
            crs: options.crs,
            ..GeoJsonOptions::default()
        };
        geojson(&args.file, &geo, &bar)?
    } else {
        table(&args.file, &options, &bar)?
    };
    bar.finish_and_clear();
    for issue in report.rejected.iter().take(200) {
        outln!("rejected: {issue}")?;
    }
    if args.write.strict && !report.rejected.is_empty() {
        anyhow::bail!(
            "{}: {} records rejected, nothing imported (--strict)",
            args.file.display(),
            report.rejected.len()
        );
    }
    Ok((records, report))
}

/// Reads the file into an import batch.
pub(crate) fn read(
    args: &CsvImportArgs,
    kind: CsvKind,
) -> anyhow::Result<(ImportBatch, ImportReport)> {
    let options = options(args)?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let bar = crate::progress::bytes_bar("reading", size);
    let out = match kind {
        CsvKind::Households => {
            let (households, report) = read_households_csv(&args.file, &options, &bar)?;
            (
                ImportBatch {
                    households,
                    ..Default::default()
                },
                report,
            )
        }
        CsvKind::Staff => {
            let (staff, report) = read_staff_csv(&args.file, &options, &bar)?;
            (
                ImportBatch {
                    staff,
                    ..Default::default()
                },
                report,
            )
        }
    };
    bar.finish_and_clear();
    Ok(out)
}
