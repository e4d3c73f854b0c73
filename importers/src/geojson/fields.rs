//! Typed access to GeoJSON feature properties, with errors that name the field.

use serde_json::{Map, Value};

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
