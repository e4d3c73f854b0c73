//! Incident imports (CSV or GeoJSON read by the importers) with a category mapping from
//! the source's names to the taxonomy's types.

use super::{now, place_of, IncidentConfig, IncidentEvent};
use crate::{Caller, Service, ServiceError, ServiceResult};
use gridmap_core::incident::{report_transition, start_clock, Taxonomy};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{Incident, IncidentStatus};
use gridmap_store::{ChangeMeta, UpsertCounts};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Source category names → taxonomy type codes, from a two-column CSV
/// (`source,type`; a header row naming `type` is skipped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryMap {
    map: HashMap<String, String>,
}

impl CategoryMap {
    /// Parses the mapping and checks every target against `taxonomy`; a bad line is
    /// named by its number.
    ///
    /// ```
    /// use gridmap_service::incidents::CategoryMap;
    /// let t = gridmap_core::incident::Taxonomy::default_zh_cn();
    /// let m = CategoryMap::parse("source,type\n乱扔垃圾,environment.garbage\n", &t).unwrap();
    /// assert_eq!(m.get("乱扔垃圾"), Some("environment.garbage"));
    /// let err = CategoryMap::parse("x,no.such.type\n", &t).unwrap_err();
    /// assert!(err.to_string().contains("line 1"));
    /// ```
    pub fn parse(text: &str, taxonomy: &Taxonomy) -> ServiceResult<CategoryMap> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: String| {
                ServiceError::BadInput(format!("category map, line {}: {why}", n + 1))
            };
            let (from, to) = line
                .split_once(',')
                .ok_or_else(|| bad(format!("expected `source,type`, found {line:?}")))?;
            let (from, to) = (from.trim(), to.trim());
            if n == 0 && to.eq_ignore_ascii_case("type") {
                continue;
            }
            let ty = taxonomy
                .resolve(to)
                .ok_or_else(|| bad(format!("{to:?} is not a type of the taxonomy")))?;
            map.insert(from.to_owned(), ty.code.to_owned());
        }
        Ok(CategoryMap { map })
    }

    /// The type code `source` maps to.
    pub fn get(&self, source: &str) -> Option<&str> {
        self.map.get(source).map(String::as_str)
    }
}

/// What an incident import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IncidentImport {
    pub counts: UpsertCounts,
    /// Incidents not imported, each with its id and the reason.
    pub rejected: Vec<String>,
    /// Incidents placed in a grid by their position.
    pub placed: u64,
}

impl Service {
    /// Imports incidents read from a file: categories through `map` then the taxonomy,
    /// grid/village/township by position when missing, deadlines started for new
    /// orders. Unmappable incidents are rejected by id; with `strict` any rejection
    /// imports nothing.
    pub async fn import_incidents(
        &self,
        caller: &Caller,
        incidents: Vec<Incident>,
        map: &CategoryMap,
        strict: bool,
        dry_run: bool,
    ) -> ServiceResult<IncidentImport> {
        caller.may_write()?;
        let config = self.incident_config();
        let data = self.data();
        let snap = data.snapshot();
        let mut out = IncidentImport::default();
        // Mapping and placement are per incident and pure: on every core.
        let prepared: Vec<Result<(Incident, bool), String>> = incidents
            .into_par_iter()
            .map(|i| prepare(i, map, &config, snap))
            .collect();
        let mut ok = Vec::with_capacity(prepared.len());
        for p in prepared {
            match p {
                Ok((i, placed)) => {
                    out.placed += u64::from(placed);
                    ok.push(i);
                }
                Err(why) => out.rejected.push(why),
            }
        }
        if dry_run || (strict && !out.rejected.is_empty()) {
            return Ok(out);
        }
        let reports: Vec<_> = ok.iter().map(|i| report_transition(i, "import")).collect();
        let meta = ChangeMeta::new(
            caller.actor(),
            format!("{}import {}", gridmap_store::INCIDENT_OPERATION, ok.len()),
        );
        let marks: Vec<_> = ok
            .iter()
            .map(gridmap_tiles::incidents::IncidentMark::from)
            .collect();
        let store = self.store().as_ref();
        let write = async { Ok(store.add_incidents(&ok, &reports, &meta).await?) };
        out.counts = self.live().index_while_writing(store, marks, write).await?;
        self.publish(IncidentEvent::Imported {
            count: ok.len() as u64,
            bbox: gridmap_core::geometry::union_bbox(ok.iter().map(Incident::bbox)),
            at: now(),
        });
        Ok(out)
    }
}

/// One incident of an import: its taxonomy type through `map`, its grid, village and
/// township by position when missing, and a deadline for a new order; with whether it
/// was placed in a grid here, or why it is rejected.
fn prepare(
    mut i: Incident,
    map: &CategoryMap,
    config: &IncidentConfig,
    snap: &CountySnapshot,
) -> Result<(Incident, bool), String> {
    let mapped = i
        .subcategory
        .as_deref()
        .and_then(|s| map.get(s))
        .or_else(|| map.get(&i.category))
        .and_then(|code| config.taxonomy.resolve(code))
        .or_else(|| {
            config
                .taxonomy
                .type_of(&i.category, i.subcategory.as_deref())
        });
    let Some(ty) = mapped else {
        return Err(format!(
            "incident {}: category {:?}{} is in neither the category map nor the taxonomy",
            i.id,
            i.category,
            i.subcategory
                .as_deref()
                .map(|s| format!(" / {s:?}"))
                .unwrap_or_default()
        ));
    };
    i.category = ty.group.code.clone();
    i.subcategory = Some(ty.code.to_owned());
    let mut placed = false;
    if i.grid.is_none() || i.village.is_none() {
        let (grid, village, township) = place_of(snap, i.location);
        placed = grid.is_some() && i.grid.is_none();
        i.grid = i.grid.or(grid);
        i.village = i.village.or(village);
        i.township = i.township.or(township);
    }
    if matches!(
        i.status,
        IncidentStatus::Reported | IncidentStatus::WorkOrder
    ) && i.work.clock.is_none()
    {
        start_clock(&mut i, config.rules());
    }
    Ok((i, placed))
}
