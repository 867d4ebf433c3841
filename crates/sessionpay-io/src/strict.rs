//! The strict JSON row reader: one row object, as `serde_json` parsed it,
//! checked (a field spelt twice must agree; a key twice is refused) and
//! parsed into a [`ParsedRow`]. It is the reference the fast path
//! ([`crate::fastjson`]) is held to, and what reads any row the fast path
//! declines.

use std::borrow::Cow;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Location, Result};
use crate::field::Field;
use crate::row::{Cell, ParsedRow, RowAccess, RowParser};
use crate::sink::{reject, RowSink};

struct JsonRow<'a> {
    value: &'a Value,
}

impl RowAccess for JsonRow<'_> {
    fn get(&self, field: Field) -> Option<Cell<'_>> {
        let object = self.value.as_object()?;
        for name in field.names() {
            if let Some(v) = object.get(*name) {
                return Some(Cell::Json(v));
            }
            if let Some((outer, inner)) = name.split_once('.') {
                match object.get(outer) {
                    Some(Value::Object(nested)) => {
                        if let Some(v) = nested.get(inner) {
                            return Some(Cell::Json(v));
                        }
                    }
                    // A null parent (a null rate, a null figure) makes its children null.
                    Some(v @ Value::Null) => return Some(Cell::Json(v)),
                    _ => {}
                }
            }
        }
        None
    }

    fn column_name(&self, field: Field) -> Cow<'_, str> {
        Cow::Borrowed(field.key())
    }
}

pub(crate) fn parse_json_row<S: RowSink>(
    value: &Value,
    path: &Path,
    location: Location,
    parser: &mut RowParser,
    sink: &mut S,
) -> Result<(), S::Error> {
    match parse_strict_row(value, path, location, parser) {
        Ok(parsed) => sink.row(parsed),
        Err(error) => reject(sink, error, || value.to_string()),
    }
}

/// One JSON row read by the strict reader: the reference the fast path
/// ([`crate::fastjson`]) is held to.
pub(crate) fn parse_strict_row(
    value: &Value,
    path: &Path,
    location: Location,
    parser: &mut RowParser,
) -> Result<ParsedRow> {
    check_json_row(value, path, location).and_then(|row| parser.parse(&row, path, location))
}

fn check_json_row<'v>(value: &'v Value, path: &Path, location: Location) -> Result<JsonRow<'v>> {
    if !value.is_object() {
        return Err(Error::Row {
            path: path.to_path_buf(),
            location,
            problem: format!(
                "expected a row object, but found {}",
                crate::row::truncate(&value.to_string())
            ),
        });
    }
    let row = JsonRow { value };
    if let Some(object) = value.as_object() {
        for field in Field::ALL {
            let mut spellings = spellings(object, field);
            let Some((first, first_value)) = spellings.next() else {
                continue;
            };
            if let Some((other, other_value)) = spellings.find(|(_, v)| !same_value(v, first_value)) {
                return Err(Error::Field {
                    path: path.to_path_buf(),
                    location,
                    column: first.to_string(),
                    problem: format!(
                        "two spellings of one field disagree: {first} is {} but {other} is {}",
                        crate::row::truncate(&first_value.to_string()),
                        crate::row::truncate(&other_value.to_string())
                    ),
                });
            }
        }
    }
    if let Some(missing) = Field::ALL
        .into_iter()
        .find(|f| f.is_required() && row.get(*f).is_none())
    {
        return Err(Error::Field {
            path: path.to_path_buf(),
            location,
            column: missing.key().to_string(),
            problem: "missing, and it is required".to_string(),
        });
    }
    Ok(row)
}

/// Whether two spellings of a field say the same: equal values, or a number
/// and a string of the same text (`7` and `"7"`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            s.trim() == n.to_string()
        }
        _ => a == b,
    }
}

/// Every spelling of `field` a row object holds, with its value: a key as
/// it stands (`instructor_id`, or one key `"instructor.id"`), or a key
/// inside its parent object (`"instructor": {"id": ..}`; a null parent makes
/// it null). A field may be spelt more than once only with equal values.
fn spellings(
    object: &serde_json::Map<String, Value>,
    field: Field,
) -> impl Iterator<Item = (&'static str, &Value)> {
    let names = field.names();
    names.iter().flat_map(move |name| {
        let as_is = object.get(*name).map(|v| (*name, v));
        // `instructor_pay.decimal` inside `instructor_pay`, itself a spelling
        // of the field, is part of that value, not a second spelling.
        let nested = name
            .split_once('.')
            .filter(|(outer, _)| !names.contains(outer))
            .and_then(|(outer, inner)| match object.get(outer) {
                Some(Value::Object(parent)) => parent.get(inner).map(|v| (*name, v)),
                Some(v @ Value::Null) => Some((*name, v)),
                _ => None,
            });
        as_is.into_iter().chain(nested)
    })
}

/// A key twice in one row object: serde_json would keep one silently.
pub(crate) fn duplicate_key(path: &Path, location: Location, key: String) -> Error {
    Error::Field {
        path: path.to_path_buf(),
        location,
        column: key,
        problem: "the key appears twice in one object; which value is meant cannot be told".into(),
    }
}

pub(crate) fn json_message(e: &serde_json::Error, at_end: bool) -> String {
    let mut message = e.to_string();
    if e.is_eof() && at_end {
        message.push_str(" (the file looks truncated)");
    }
    message
}
