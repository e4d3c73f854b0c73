//! Typed access to GeoJSON feature properties, with errors that name the field.

use crate::error::ImportError;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// Which of the named properties one feature has (bit `i` for the `i`-th), and its
/// property names when it is one of the sampled features.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    present: u64,
    names: Vec<String>,
}

impl Seen {
    /// What `props` holds of `named` (`(option, property)` pairs; 64 at most are told
    /// apart, far more than the options there are), with its names when `sample`.
    pub(crate) fn of(props: &Map<String, Value>, named: &[(String, String)], sample: bool) -> Seen {
        let present = named
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, (_, property))| props.contains_key(property))
            .fold(0u64, |bits, (i, _)| bits | 1 << i);
        let names = if sample {
            props.keys().cloned().collect()
        } else {
            Vec::new()
        };
        Seen { present, names }
    }
}

/// The named properties seen across the features of a file, to refuse a file in which a
/// property named by an option appears nowhere (a misspelt `--levels-field` would
/// otherwise import every building without levels).
pub(crate) struct NamedProperties<'a> {
    named: &'a [(String, String)],
    present: u64,
    names: BTreeSet<String>,
}

impl<'a> NamedProperties<'a> {
    pub(crate) fn new(named: &'a [(String, String)]) -> Self {
        NamedProperties {
            named,
            present: 0,
            names: BTreeSet::new(),
        }
    }

    pub(crate) fn add(&mut self, seen: Seen) {
        self.present |= seen.present;
        self.names.extend(seen.names);
    }

    /// The first named property no feature had, as an error naming the option.
    pub(crate) fn check(&self, path: &Path) -> Result<(), ImportError> {
        let missing = self
            .named
            .iter()
            .take(64)
            .enumerate()
            .find(|(i, _)| self.present & (1 << i) == 0);
        match missing {
            None => Ok(()),
            Some((_, (option, property))) => Err(ImportError::MissingProperty {
                path: path.to_path_buf(),
                option: option.clone(),
                property: property.clone(),
                found: if self.names.is_empty() {
                    "no properties".to_owned()
                } else {
                    self.names.iter().cloned().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

/// A text field; numbers are accepted and printed. `None` when absent, null or empty.
pub(crate) fn text(props: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match props.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "field `{field}`: expected text, found {}",
            describe(other)
        )),
    }
}

/// A whole, non-negative number (a JSON number or a numeric string).
pub(crate) fn whole(props: &Map<String, Value>, field: &str) -> Result<Option<u64>, String> {
    let bad = |v: &Value| {
        format!(
            "field `{field}`: expected a whole number, found {}",
            describe(v)
        )
    };
    match props.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => match n.as_u64() {
            Some(u) => Ok(Some(u)),
            None => match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
                _ => Err(bad(v)),
            },
        },
        Some(v @ Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<u64>().map(Some).map_err(|_| bad(v))
        }
        Some(other) => Err(bad(other)),
    }
}

/// A decimal number (a JSON number or a numeric string, optionally followed by `m`).
pub(crate) fn decimal(props: &Map<String, Value>, field: &str) -> Result<Option<f64>, String> {
    let bad = |v: &Value| format!("field `{field}`: expected a number, found {}", describe(v));
    match props.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| bad(v)),
        Some(v @ Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            let t = t.strip_suffix('m').unwrap_or(t).trim_end();
            t.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| bad(v))
        }
        Some(other) => Err(bad(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn whole_numbers_accept_numbers_and_digit_strings_only() {
        let p = props(json!({"a": 3, "b": "4", "c": "abc", "d": 2.5, "e": null}));
        assert_eq!(whole(&p, "a"), Ok(Some(3)));
        assert_eq!(whole(&p, "b"), Ok(Some(4)));
        assert_eq!(
            whole(&p, "c").unwrap_err(),
            "field `c`: expected a whole number, found \"abc\""
        );
        assert!(whole(&p, "d").is_err());
        assert_eq!(whole(&p, "e"), Ok(None));
        assert_eq!(whole(&p, "missing"), Ok(None));
    }

    #[test]
    fn decimals_accept_metre_suffix() {
        let p = props(json!({"h": "12.5 m", "x": [1]}));
        assert_eq!(decimal(&p, "h"), Ok(Some(12.5)));
        assert!(decimal(&p, "x").unwrap_err().contains("field `x`"));
    }
}
