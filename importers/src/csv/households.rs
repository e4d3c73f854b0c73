//! Household register CSV.

use super::{list, location, read_rows, CsvOptions};
use crate::error::ImportError;
use crate::report::ImportReport;
use gridmap_core::Household;
use indicatif::ProgressBar;
use std::path::Path;

const FIELDS: &[&str] = &[
    "id",
    "building",
    "lon",
    "lat",
    "entrance",
    "floor",
    "unit",
    "address",
    "head",
    "phone",
    "members",
    "tags",
    "tag_floating",
    "tag_rental",
    "tag_elderly_alone",
    "tag_low_income",
    "tag_disability",
    "tag_key_care",
];

/// Whether a tag column's cell marks the household (是, Y, yes, 1, √, ✓, true, 有).
fn marked(cell: &str) -> Result<bool, String> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "1" | "√" | "✓" | "true" | "有" | "x" => Ok(true),
        "否" | "n" | "no" | "0" | "false" | "无" | "" => Ok(false),
        other => Err(format!("expected 是/否 (yes/no), found {other:?}")),
    }
}

/// Reads a household register.
///
/// Default columns (rename with [`CsvOptions::column`]):
/// `id` (required), `building` (the building's `source_id`) or `lon`,`lat` (one of the
/// two per row), `entrance`, `floor` (integer), `unit`, `address`, `head`, `phone`,
/// `members` (integer), `tags` (separated by `;`). `head`, `phone`, `members` and `tags`
/// are personal data.
///
/// Registers that keep situations as yes/no columns are read too: a column
/// `tag_floating` (流动人口), `tag_rental` (出租房屋), `tag_elderly_alone` (独居老人),
/// `tag_low_income` (低保), `tag_disability` (残疾) or `tag_key_care` (重点关注) holding
/// 是/Y/1/√ adds that group's tag ([`gridmap_core::TagGroup::label`]); map another
/// header with `--column tag_low_income=低保户`.
///
/// ```
/// use gridmap_importers::{read_households_csv, CsvOptions};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("hh.csv");
/// std::fs::write(&path, "户号,building,floor,户主\nH1,synth:b/1,2,张伟\nH2,synth:b/1,abc,李娜\n").unwrap();
/// let options = CsvOptions::default().column("id", "户号").column("head", "户主");
/// let (hh, report) = read_households_csv(&path, &options, &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(hh.len(), 1);
/// assert_eq!(hh[0].head.as_deref(), Some("张伟"));
/// assert!(report.rejected[0].to_string().contains("column `floor`"));
///
/// std::fs::write(&path, "户号,building,标签,低保,独居老人\nH1,b1,退役军人,是,\nH2,b1,,否,√\nH3,b1,,也许,\n").unwrap();
/// let (hh, report) = read_households_csv(&path, &CsvOptions::default(), &indicatif::ProgressBar::hidden()).unwrap();
/// assert_eq!(hh[0].tags, ["退役军人", "低保"]);
/// assert_eq!(hh[1].tags, ["独居老人"]);
/// assert!(report.rejected[0].to_string().contains("column `tag_low_income`"));
/// ```
#[tracing::instrument(skip_all, fields(import.file = %path.as_ref().display()))]
pub fn read_households_csv(
    path: impl AsRef<Path>,
    options: &CsvOptions,
    bar: &ProgressBar,
) -> Result<(Vec<Household>, ImportReport), ImportError> {
    read_rows(path.as_ref(), options, bar, FIELDS, &["id"], |row| {
        let id = row.get("id").ok_or("column `id`: empty")?.to_owned();
        let building = row.get("building").map(str::to_owned);
        let location = location(row, options.crs)?;
        if building.is_none() && location.is_none() {
            return Err("neither `building` nor `lon`/`lat` given".into());
        }
        Ok(Household {
            id,
            building,
            location,
            entrance: row.get("entrance").map(str::to_owned),
            floor: row.parse("floor", "a whole floor number")?,
            unit: row.get("unit").map(str::to_owned),
            address: row.get("address").map(str::to_owned),
            head: row.get("head").map(str::to_owned),
            phone: row.get("phone").map(str::to_owned),
            members: row.parse("members", "a whole number of members")?,
            tags: tags(row)?,
        })
    })
}

/// The `tags` list and the tags of the marked tag columns, each once.
fn tags(row: &super::Row<'_>) -> Result<Vec<String>, String> {
    let mut tags = list(row.get("tags"));
    for group in gridmap_core::TagGroup::ALL {
        let field = format!("tag_{}", group.key());
        let Some(cell) = row.get(&field) else {
            continue;
        };
        if marked(cell).map_err(|e| format!("column `{field}`: {e}"))?
            && !tags.iter().any(|t| t == group.label())
        {
            tags.push(group.label().to_owned());
        }
    }
    Ok(tags)
}
