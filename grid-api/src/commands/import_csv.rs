//! CSV imports: household register, staff roster (incidents: `import_incidents.rs`).

use crate::cli::CsvImportArgs;
use anyhow::Context;
use gridmap_importers::csv::{read_households_csv, read_staff_csv, CsvOptions};
use gridmap_importers::ImportReport;
use gridmap_store::ImportBatch;

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
