//! JSON read strictly: a key twice in one object is found (serde_json's own
//! `Value` keeps the last one silently), and a row is held to a size cap.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The key serde_json's `arbitrary_precision` feature hands a number's text
/// under, as a one-entry map.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The most bytes one row may take: the same cap as a CSV record.
pub(crate) const MAX_ROW: u64 = crate::split::MAX_RECORD as u64;

/// Parses one JSON value; the second item is the first key found twice in
/// one object (dotted from the outermost object, e.g. `instructor.id`).
///
/// # Errors
/// serde_json's error for broken JSON.
pub(crate) fn from_slice(bytes: &[u8]) -> Result<(Value, Option<String>), serde_json::Error> {
    let duplicate = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Strict::new(&duplicate).deserialize(&mut de)?;
    de.end()?;
    Ok((value, duplicate.take()))
}

/// A [`DeserializeSeed`] building a [`Value`] that notes (in `duplicate`) the
/// first key an object holds twice, and reads on: the caller refuses the row.
pub(crate) struct Strict<'a> {
    duplicate: &'a Cell<Option<String>>,
    parent: Option<&'a Key<'a>>,
}

/// The keys leading to an object, innermost first.
struct Key<'a> {
    name: &'a str,
    parent: Option<&'a Key<'a>>,
}

impl<'a> Strict<'a> {
    pub(crate) fn new(duplicate: &'a Cell<Option<String>>) -> Strict<'a> {
        Strict {
            duplicate,
            parent: None,
        }
    }

    #[cold]
    fn note(&self, key: &str) {
        let previous = self.duplicate.take();
        if previous.is_some() {
            self.duplicate.set(previous);
            return;
        }
        let mut names = vec![key];
        let mut at = self.parent;
        while let Some(k) = at {
            names.push(k.name);
            at = k.parent;
        }
        names.reverse();
        self.duplicate.set(Some(names.join(".")));
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        // With `arbitrary_precision` every number arrives as its text; a
        // binary double here would be a number already rounded, so refuse it.
        Err(E::custom("a number that was not read from its text"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(Strict {
            duplicate: self.duplicate,
            parent: self.parent,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            if first && key == NUMBER_TOKEN {
                let text: String = map.next_value()?;
                let number: Number = text.parse().map_err(de::Error::custom)?;
                return Ok(Value::Number(number));
            }
            first = false;
            let node = Key {
                name: &key,
                parent: self.parent,
            };
            let value = map.next_value_seed(Strict {
                duplicate: self.duplicate,
                parent: Some(&node),
            })?;
            if object.contains_key(&key) {
                self.note(&key);
                continue;
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A reader that counts what it hands out and fails once a row being read
/// runs past [`MAX_ROW`], so a huge row is refused without being held whole.
pub(crate) struct Metered<R> {
    inner: R,
    gauge: Rc<Gauge>,
}

/// Shared between a [`Metered`] reader and the code that says where rows start.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    read: Cell<u64>,
    row_start: Cell<Option<u64>>,
    cap: Cell<u64>,
    over: Cell<bool>,
}

impl Gauge {
    pub(crate) fn new(cap: u64) -> Rc<Gauge> {
        let gauge = Gauge::default();
        gauge.cap.set(cap);
        Rc::new(gauge)
    }

    /// A row starts here.
    pub(crate) fn start_row(&self) {
        self.row_start.set(Some(self.read.get()));
    }

    /// The row ended.
    pub(crate) fn end_row(&self) {
        self.row_start.set(None);
    }

    /// Whether reading stopped at a row over the cap.
    pub(crate) fn was_over(&self) -> bool {
        self.over.get()
    }

    pub(crate) fn cap(&self) -> u64 {
        self.cap.get()
    }
}

impl<R> Metered<R> {
    pub(crate) fn new(inner: R, gauge: &Rc<Gauge>) -> Metered<R> {
        Metered {
            inner,
            gauge: Rc::clone(gauge),
        }
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let g = &self.gauge;
        if let Some(start) = g.row_start.get() {
            if g.read.get() - start > g.cap.get() {
                g.over.set(true);
                return Err(io::Error::other("the row is over the size cap"));
            }
        }
        let n = self.inner.read(buf)?;
        g.read.set(g.read.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_twice_at_any_level_is_found_and_named_by_its_path() {
        for (text, duplicate) in [
            (
                r#"{"id": 1, "instructor": {"id": 2}, "instructor": {"id": 3}}"#,
                Some("instructor"),
            ),
            (r#"{"a": false, "a": true}"#, Some("a")),
            (r#"{"instructor": {"id": 2, "id": 3}}"#, Some("instructor.id")),
            (
                r#"{"r": {"tiers": [{"lower_bound": 1, "lower_bound": 2}]}}"#,
                Some("r.tiers.lower_bound"),
            ),
            (r#"{"a": {"id": 1}, "b": {"id": 1}}"#, None),
            (r#"[{"id": 1}, {"id": 1}]"#, None),
        ] {
            let (_, found) = from_slice(text.as_bytes()).unwrap();
            assert_eq!(found.as_deref(), duplicate, "{text}");
        }
    }

    #[test]
    fn values_are_those_serde_json_reads_numbers_exact() {
        let text = r#"{"hours": 1.10, "big": 12345678901234567890.123456789, "n": -3, "s": "x\"y", "z": null, "l": [true, 1e2]}"#;
        let (value, found) = from_slice(text.as_bytes()).unwrap();
        assert_eq!(found, None);
        assert_eq!(value, serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(value["hours"].to_string(), "1.10");
        assert!(from_slice(b"{\"a\": 1} x").is_err(), "trailing text");
        assert!(from_slice(b"{\"a\": ").is_err());
    }

    #[test]
    fn a_metered_reader_stops_a_row_past_the_cap() {
        let gauge = Gauge::new(10);
        let mut reader = Metered::new(&b"0123456789abcdefghij"[..], &gauge);
        let mut byte = [0u8; 1];
        gauge.start_row();
        for _ in 0..=10 {
            reader.read_exact(&mut byte).unwrap();
        }
        assert!(reader.read_exact(&mut byte).is_err());
        assert!(gauge.was_over());
        // Outside a row, nothing is capped.
        let gauge = Gauge::new(2);
        let mut reader = Metered::new(&b"0123456789"[..], &gauge);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), 10);
    }
}
