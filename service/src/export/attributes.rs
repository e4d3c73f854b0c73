//! What every grid export says about a grid: one list of fields, used by the GeoJSON,
//! FlatGeobuf and Shapefile writers alike, and the names those fields look up.
//!
//! Only what tiles may show: no household heads, phones or tags, and no staff phones
//! (those are in the roster, which is for staff only).

use gridmap_core::{AdminUnit, DivisionCode, Grid, GridCode, Staff};
use std::collections::HashMap;

/// The kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text, possibly missing.
    Text,
    /// A whole number.
    Integer,
    /// True or false.
    Logical,
}

/// One attribute of an exported grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The name in GeoJSON and FlatGeobuf.
    pub name: &'static str,
    /// The name in a Shapefile's .dbf, which allows at most 10 characters.
    pub dbf_name: &'static str,
    pub kind: FieldKind,
}

const fn field(name: &'static str, dbf_name: &'static str, kind: FieldKind) -> Field {
    Field {
        name,
        dbf_name,
        kind,
    }
}

/// The attributes of an exported grid, in this order in every format.
pub const GRID_FIELDS: [Field; 12] = [
    field("code", "GRID_CODE", FieldKind::Text),
    field("name", "GRID_NAME", FieldKind::Text),
    field("village", "VIL_CODE", FieldKind::Text),
    field("village_name", "VIL_NAME", FieldKind::Text),
    field("households", "HOUSEHOLDS", FieldKind::Integer),
    field("buildings", "BUILDINGS", FieldKind::Integer),
    field("level", "LEVEL", FieldKind::Integer),
    field("parent", "PARENT", FieldKind::Text),
    field("locked", "LOCKED", FieldKind::Logical),
    field("institution", "INSTITUTN", FieldKind::Logical),
    field("staff_id", "STAFF_ID", FieldKind::Text),
    field("staff_name", "STAFF_NAME", FieldKind::Text),
];

/// The value of one field of one grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Text(Option<&'a str>),
    Integer(i64),
    Logical(bool),
}

/// A staff member as exports show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffContact {
    pub name: String,
    /// Work phone: only the roster shows it.
    pub phone: Option<String>,
}

/// The names a grid's attributes look up: villages by code, staff by id.
#[derive(Debug, Clone, Default)]
pub struct Names {
    villages: HashMap<DivisionCode, String>,
    staff: HashMap<String, StaffContact>,
}

impl Names {
    /// The names of `units` and `staff`.
    pub fn new(units: &[AdminUnit], staff: &[Staff]) -> Names {
        Names {
            villages: units
                .iter()
                .map(|u| (u.code.clone(), u.name.clone()))
                .collect(),
            staff: staff
                .iter()
                .map(|s| {
                    let contact = StaffContact {
                        name: s.name.clone(),
                        phone: s.phone.clone(),
                    };
                    (s.id.clone(), contact)
                })
                .collect(),
        }
    }

    /// The name of the village (or any unit) `code`.
    pub fn village(&self, code: &DivisionCode) -> Option<&str> {
        self.villages.get(code).map(String::as_str)
    }

    /// The staff member `id`.
    pub fn staff(&self, id: &str) -> Option<&StaffContact> {
        self.staff.get(id)
    }

    /// The values of [`GRID_FIELDS`] for `grid`.
    pub fn grid_values<'a>(&'a self, grid: &'a Grid) -> [Value<'a>; GRID_FIELDS.len()] {
        let staff = grid.staff.as_deref();
        [
            Value::Text(Some(grid.code.as_str())),
            Value::Text(grid.name.as_deref()),
            Value::Text(Some(grid.village.as_str())),
            Value::Text(self.village(&grid.village)),
            Value::Integer(i64::from(grid.households)),
            Value::Integer(i64::try_from(grid.members.len()).unwrap_or(i64::MAX)),
            Value::Integer(i64::from(grid.level)),
            Value::Text(grid.parent.as_ref().map(GridCode::as_str)),
            Value::Logical(grid.locked),
            Value::Logical(grid.institution),
            Value::Text(staff),
            Value::Text(staff.and_then(|id| self.staff(id)).map(|s| s.name.as_str())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbf_names_fit_in_ten_characters_and_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for f in GRID_FIELDS {
            assert!(f.dbf_name.len() <= 10, "{}", f.dbf_name);
            assert!(f.dbf_name.is_ascii());
            assert!(seen.insert(f.dbf_name), "{} twice", f.dbf_name);
        }
    }
}
