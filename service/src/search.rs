//! Search by grid code prefix or name, staff name or id, unit name or code, building id and
//! address, best first.

use crate::views::{SearchHit, SearchResults, ViewContext};
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::geometry::{bbox_array, union_bbox};
use gridmap_core::AdminLevel;

/// Results when the caller names no limit, and the most it may ask for.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// Finds grids (code prefix, name), staff (name or id), townships and villages (name or
/// code), a building (exact id) and addresses (substring; case-insensitive for Latin
/// letters). Public data only: no household fields are searched.
pub fn search(
    cx: ViewContext<'_>,
    _caller: &Caller,
    query: &str,
    limit: Option<usize>,
) -> ServiceResult<SearchResults> {
    let needle = query.trim();
    if needle.is_empty() {
        return Err(ServiceError::BadInput("q must not be empty".into()));
    }
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let snap = cx.snap;
    let mut results = Vec::new();

    for g in snap
        .grids
        .iter()
        .filter(|g| {
            g.code.as_str().starts_with(needle)
                || g.name.as_deref().is_some_and(|n| n.contains(needle))
        })
        .take(limit)
    {
        let staff_name = g
            .staff
            .as_deref()
            .and_then(|id| snap.staff_member(id))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        results.push(SearchHit {
            kind: "grid",
            id: g.code.to_string(),
            label: match &g.name {
                Some(name) => format!("{} {name}", g.code),
                None => g.code.to_string(),
            },
            detail: if g.is_comprehensive() {
                format!("综治网格 · {} 户 · {staff_name}", g.households)
            } else {
                format!("{} 户 · {staff_name}", g.households)
            },
            bbox: bbox_array(&g.polygon),
        });
    }
    for s in snap
        .staff
        .iter()
        .filter(|s| s.name.contains(needle) || s.id == needle)
        .take(limit)
    {
        let grids = s.grids.iter().filter_map(|c| snap.grid(c));
        results.push(SearchHit {
            kind: "staff",
            id: s.id.clone(),
            label: s.name.clone(),
            detail: s
                .grids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            bbox: union_bbox(grids.filter_map(|g| bbox_array(&g.polygon))),
        });
    }
    for u in snap
        .admin_units
        .iter()
        .filter(|u| u.name.contains(needle) || u.code.as_str() == needle)
        .take(limit)
    {
        results.push(SearchHit {
            kind: match u.level {
                AdminLevel::Village => "village",
                AdminLevel::Township => "township",
                AdminLevel::County => "county",
            },
            id: u.code.to_string(),
            label: u.name.clone(),
            detail: format!("{} {}", u.level.as_str(), u.code),
            bbox: bbox_array(&u.boundary),
        });
    }
    if let Some(b) = snap
        .building_index(needle)
        .and_then(|i| snap.buildings.get(i))
    {
        results.push(SearchHit {
            kind: "building",
            id: b.source_id.clone(),
            label: b.address.clone().unwrap_or_else(|| b.source_id.clone()),
            detail: format!("{} 户", b.households.count),
            bbox: bbox_array(&b.footprint),
        });
    }
    if results.len() < limit {
        let matches = address_matcher(needle);
        let room = limit - results.len();
        for b in snap
            .buildings
            .iter()
            .filter(|b| b.address.as_deref().is_some_and(&matches))
            .take(room)
        {
            results.push(SearchHit {
                kind: "address",
                id: b.source_id.clone(),
                label: b.address.clone().unwrap_or_default(),
                detail: format!("{} 户", b.households.count),
                bbox: bbox_array(&b.footprint),
            });
        }
    }
    results.truncate(limit);
    Ok(SearchResults { results })
}

/// Substring match, case-insensitive only when the query has cased letters: Chinese
/// addresses skip the lowercase copy of every address.
fn address_matcher(needle: &str) -> impl Fn(&str) -> bool + '_ {
    let lower = needle.to_lowercase();
    let case_folds = needle
        .chars()
        .any(|c| c.is_alphabetic() && c.is_lowercase() != c.is_uppercase());
    move |a: &str| a.contains(needle) || (case_folds && a.to_lowercase().contains(&lower))
}

#[cfg(test)]
mod tests {
    use super::address_matcher;

    #[test]
    fn addresses_match_by_substring_and_latin_case() {
        let m = address_matcher("main st");
        assert!(m("12 Main St"));
        assert!(!m("12 Side St"));
        let zh = address_matcher("幸福路");
        assert!(zh("李庄村幸福路 3 号"));
        assert!(!zh("李庄村和平路 3 号"));
    }
}
