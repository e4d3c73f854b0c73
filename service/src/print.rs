//! Printouts of a village or one grid (see `gridmap_print`): the grid map, the notice
//! boards and the households' contact cards. Staff phones are printed, so printing is for
//! office roles inside their scope; contact cards read the register (addresses only, no
//! heads or phones of households) and are audited.

use crate::lookup::grid_of_flat;
use crate::{Caller, ServiceError, ServiceResult};
use gridmap_core::snapshot::CountySnapshot;
use gridmap_core::{DivisionCode, Grid, GridCode, Household};
use gridmap_print::{ContactCard, MapGrid, NoticeBoard, Paper, PrintFont, Supervision, VillageMap};
use gridmap_store::Store;
use std::collections::{BTreeMap, HashMap};

/// What is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printout {
    /// The grid map (网格化管理示意图), one landscape page.
    Map,
    /// A notice board per grid (网格员公示牌).
    Boards,
    /// A contact card per household (便民服务联系卡), 8 to an A4 page.
    Cards,
}

impl std::str::FromStr for Printout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "map" => Ok(Printout::Map),
            "boards" => Ok(Printout::Boards),
            "cards" => Ok(Printout::Cards),
            other => Err(format!("printout {other:?}: map, boards or cards")),
        }
    }
}

impl Printout {
    pub fn as_str(self) -> &'static str {
        match self {
            Printout::Map => "map",
            Printout::Boards => "boards",
            Printout::Cards => "cards",
        }
    }
}

/// The area printed: a whole village, or one grid (with its micro-grids when it is a
/// comprehensive grid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintArea {
    Village(DivisionCode),
    Grid(GridCode),
}

impl PrintArea {
    fn village(&self) -> DivisionCode {
        match self {
            PrintArea::Village(v) => v.clone(),
            PrintArea::Grid(g) => g.village(),
        }
    }
}

impl std::fmt::Display for PrintArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrintArea::Village(v) => write!(f, "village {v}"),
            PrintArea::Grid(g) => write!(f, "grid {g}"),
        }
    }
}

/// One printout to make.
#[derive(Debug, Clone)]
pub struct PrintRequest {
    pub area: PrintArea,
    pub what: Printout,
    pub paper: Paper,
    /// Supervision offices and phones for boards and cards (县综治中心=0394-…).
    pub supervision: Vec<Supervision>,
    /// The footer's date (`2026-12-04`).
    pub date: String,
}

impl PrintRequest {
    /// The name a download is saved under: `411622100001-map.pdf`, `411622100001-007-cards.pdf`.
    pub fn file_name(&self) -> String {
        let code = match &self.area {
            PrintArea::Village(v) => v.to_string(),
            PrintArea::Grid(g) => g.to_string(),
        };
        format!("{code}-{}.pdf", self.what.as_str())
    }
}

/// Makes the printout as PDF bytes.
pub async fn print(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    font: &PrintFont,
    request: &PrintRequest,
) -> ServiceResult<Vec<u8>> {
    caller.must_be_office("printing grid maps, notice boards and contact cards")?;
    let village = request.area.village();
    let grid = match &request.area {
        PrintArea::Grid(g) => Some(g),
        PrintArea::Village(_) => None,
    };
    caller.may_look_at(Some(&village), grid)?;
    let unit = snap
        .admin_unit(&village)
        .ok_or_else(|| ServiceError::NotFound(format!("no village {village}")))?;
    let grids = grids_of(snap, &request.area)?;
    let township = snap
        .admin_unit(&village.township())
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let place = format!("{township} {}", unit.name).trim().to_owned();
    let staff = |g: &Grid| g.staff.as_deref().and_then(|id| snap.staff_member(id));
    let pdf = match request.what {
        Printout::Map => {
            let households: u32 = grids
                .iter()
                .filter(|g| !g.is_comprehensive())
                .map(|g| g.households)
                .sum();
            let map = VillageMap {
                title: match grid {
                    Some(code) => format!("{}网格 {code} 示意图", unit.name),
                    None => format!("{}网格化管理示意图", unit.name),
                },
                subtitle: format!("{place} · {} 个网格 · {households} 户", grids.len()),
                boundary: grid.is_none().then(|| unit.boundary.clone()),
                grids: grids
                    .iter()
                    .map(|g| MapGrid {
                        code: g.code.to_string(),
                        label: g.code.as_str()[13..].to_owned(),
                        name: g.name.clone(),
                        staff_name: staff(g).map(|s| s.name.clone()),
                        staff_phone: staff(g).and_then(|s| s.phone.clone()),
                        households: g.households,
                        polygon: g.polygon.clone(),
                        comprehensive: g.is_comprehensive(),
                    })
                    .collect(),
                buildings: grids
                    .iter()
                    .flat_map(|g| g.members.iter())
                    .filter_map(|m| snap.building(&m.building))
                    .flat_map(|b| b.footprint.0.iter().cloned())
                    .collect(),
                footer: format!("gridmap 制图 · {} · 打印：{}", request.date, caller.actor()),
            };
            gridmap_print::village_map(font, &map, request.paper)
        }
        Printout::Boards => {
            let mut boards = Vec::with_capacity(grids.len());
            // One read per person, however many grids they serve.
            let mut photos: HashMap<&str, Option<Vec<u8>>> = HashMap::new();
            for g in &grids {
                let photo = match staff(g) {
                    Some(s) => match photos.get(s.id.as_str()) {
                        Some(known) => known.clone(),
                        None => {
                            let read = store.staff_photo(&s.id).await?.map(|p| p.bytes);
                            photos.insert(&s.id, read.clone());
                            read
                        }
                    },
                    None => None,
                };
                boards.push(NoticeBoard {
                    place: place.clone(),
                    grid: g.code.to_string(),
                    grid_name: g.name.clone(),
                    households: g.households,
                    buildings: g.members.len() as u32,
                    staff_name: staff(g).map(|s| s.name.clone()),
                    staff_phone: staff(g).and_then(|s| s.phone.clone()),
                    staff_photo: photo,
                    duties: Vec::new(),
                    supervision: request.supervision.clone(),
                });
            }
            gridmap_print::notice_boards(font, &boards, request.paper)
        }
        Printout::Cards => {
            let cards = contact_cards(store, snap, caller, &grids, &unit.name, request).await?;
            gridmap_print::contact_cards(font, &cards, request.paper)
        }
    };
    pdf.map_err(|e| match e {
        gridmap_print::PrintError::Empty(what) => {
            ServiceError::BadInput(format!("{}: {what}", request.area))
        }
        other => ServiceError::Internal(other.to_string()),
    })
}

/// The grids printed, in code order: the village's, or the grid with its micro-grids.
fn grids_of<'s>(snap: &'s CountySnapshot, area: &PrintArea) -> ServiceResult<Vec<&'s Grid>> {
    let mut grids: Vec<&Grid> = match area {
        PrintArea::Village(v) => snap
            .grids
            .iter()
            .map(AsRef::as_ref)
            .filter(|g| &g.village == v)
            .collect(),
        PrintArea::Grid(code) => {
            let grid = snap
                .grid(code)
                .ok_or_else(|| ServiceError::NotFound(format!("no grid {code}")))?;
            std::iter::once(grid)
                .chain(
                    snap.grids
                        .iter()
                        .map(AsRef::as_ref)
                        .filter(|g| g.parent.as_ref() == Some(code)),
                )
                .collect()
        }
    };
    if grids.is_empty() {
        return Err(ServiceError::BadInput(format!(
            "{area} has no grids yet: partition it first (gridmap partition)"
        )));
    }
    grids.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(grids)
}

/// A card for every household of the micro-grids (or the one level) among `grids`, in
/// grid, building and flat order; the read of the register is audited.
async fn contact_cards(
    store: &dyn Store,
    snap: &CountySnapshot,
    caller: &Caller,
    grids: &[&Grid],
    village: &str,
    request: &PrintRequest,
) -> ServiceResult<Vec<ContactCard>> {
    let holding: Vec<&Grid> = grids
        .iter()
        .copied()
        .filter(|g| !g.is_comprehensive())
        .collect();
    let mut buildings: Vec<String> = holding
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.building.clone()))
        .collect();
    buildings.sort();
    buildings.dedup();
    let read = store.households_of_buildings(&buildings).await?;
    let mut by_grid: BTreeMap<&GridCode, Vec<ContactCard>> = BTreeMap::new();
    let mut count = 0usize;
    for (building, households) in &read {
        let Some(index) = snap.building_index(building) else {
            continue;
        };
        for (flat, h) in households.iter().enumerate() {
            let Some(code) = grid_of_flat(snap, index, flat) else {
                continue;
            };
            let Some(grid) = holding.iter().find(|g| g.code.as_str() == code) else {
                continue;
            };
            let staff = grid.staff.as_deref().and_then(|id| snap.staff_member(id));
            count += 1;
            by_grid.entry(&grid.code).or_default().push(ContactCard {
                address: address_of(h, snap.buildings[index].address.as_deref()),
                village: village.to_owned(),
                grid: grid.code.to_string(),
                grid_name: grid.name.clone(),
                staff_name: staff.map(|s| s.name.clone()),
                staff_phone: staff.and_then(|s| s.phone.clone()),
                supervision: request.supervision.clone(),
            });
        }
    }
    crate::access::audit(
        store,
        crate::incidents::now(),
        caller.actor(),
        "print contact cards",
        &request.area.to_string(),
        caller.origin(),
        &format!("{count} households of {} grids", holding.len()),
    )
    .await?;
    Ok(by_grid.into_values().flatten().collect())
}

/// Where a card is delivered: the register's address, or the building's with the flat.
fn address_of(h: &Household, building_address: Option<&str>) -> String {
    if let Some(address) = h.address.as_deref().filter(|a| !a.trim().is_empty()) {
        // The flat, when the register keeps it apart from the address.
        return match h.unit.as_deref() {
            Some(unit) if !address.contains(unit) => format!("{address} {unit}"),
            _ => address.to_owned(),
        };
    }
    let flat: String = [
        h.entrance.as_deref().map(|e| format!("{e}单元")),
        h.unit.clone().or_else(|| h.floor.map(|f| format!("{f}层"))),
    ]
    .into_iter()
    .flatten()
    .collect();
    match building_address {
        Some(b) => format!("{b}{flat}"),
        None if !flat.is_empty() => flat,
        None => format!("住户 {}", h.id),
    }
}
