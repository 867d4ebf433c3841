//! One report page: its `total` and its rows, each kept as the text TeamUp sent.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

/// One row as received.
#[derive(Debug)]
pub(crate) struct Row {
    pub(crate) id: u64,
    /// The row's JSON text, on one line.
    pub(crate) line: String,
}

/// A report page.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) total: u64,
    pub(crate) rows: Vec<Row>,
    /// The page's `column_headers` (each column's label and key), when it has them.
    pub(crate) column_headers: Option<Value>,
}

/// Why a body is not a page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Not (complete) JSON: a broken transfer, worth retrying.
    Broken(String),
    /// JSON, but not a report page: what is missing or doubtful.
    NotReport(String),
}

/// The members of a JSON object in order, each value's text as sent, a
/// repeated key kept as often as it appears.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;

        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(MembersVisitor)
    }
}

impl<'a> Members<'a> {
    /// The value of the last `key`, as a JSON reader that keeps the last of two would see it.
    fn last(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// The first key met a second time.
    fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (key, _))| self.0[..*i].iter().any(|(k, _)| k == key))
            .map(|(_, (key, _))| key.as_str())
    }

    /// The last `key` as a whole number.
    fn whole_number(&self, key: &str) -> Option<u64> {
        let raw = self.last(key)?;
        serde_json::from_str::<Value>(raw.get()).ok()?.as_u64()
    }
}

/// Splits a report page into rows, keeping each row's text as received.
pub(crate) fn parse_page(bytes: &[u8], url: &str) -> Result<Page, PageError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| PageError::Broken(format!("{url}: response body is not UTF-8")))?;
    let not_report = |what: &str| PageError::NotReport(what.to_owned());
    let members: Members<'_> = match serde_json::from_str(text) {
        Ok(members) => members,
        // Only a valid JSON text that is no object is "not a report".
        Err(_) => {
            return Err(match serde_json::from_str::<IgnoredAny>(text) {
                Ok(_) => not_report("the body is not a JSON object"),
                Err(e) => PageError::Broken(format!("{url}: response body is not complete JSON ({e})")),
            })
        }
    };
    let rows: Vec<&RawValue> = members
        .last("rows")
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .ok_or_else(|| not_report("it has no \"rows\" array"))?;
    let total = members
        .whole_number("total")
        .ok_or_else(|| not_report("it has no whole-number \"total\", so the rows cannot be counted"))?;
    if let Some(key) = members.repeated() {
        // A reader keeps the last of two: a second "total" or "rows" would go unseen.
        return Err(not_report(&format!(
            "the key {key:?} appears twice at the top level; which one is meant cannot be told"
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (n, row) in rows.into_iter().enumerate() {
        let text = row.get();
        let id = serde_json::from_str::<Members<'_>>(text)
            .ok()
            .and_then(|members| members.whole_number("id"))
            .ok_or_else(|| not_report(&format!("row {} has no integer \"id\"", n + 1)))?;
        // Line breaks can only be between tokens: dropping them keeps the row as sent.
        let line: String = text.chars().filter(|&c| c != '\n' && c != '\r').collect();
        out.push(Row { id, line });
    }
    let column_headers = members
        .last("column_headers")
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .filter(|v| !v.is_null());
    Ok(Page {
        total,
        rows: out,
        column_headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: &str) -> Vec<String> {
        let members: Members<'_> = serde_json::from_str(text).expect("an object");
        let rows: Vec<&RawValue> =
            serde_json::from_str(members.last("rows").expect("rows").get()).expect("array");
        rows.into_iter().map(|r| r.get().to_owned()).collect()
    }

    #[test]
    fn rows_follow_json_structure() {
        let text = r#" { "rows" : "no", "x": {"rows": [1]}, "rows":[ {"a":"]\"}"} , [1,[2]] ,3.50,"s",null ] , "y" : -1 } "#;
        assert_eq!(
            rows_of(text),
            vec![r#"{"a":"]\"}"}"#, "[1,[2]]", "3.50", r#""s""#, "null"]
        );
        let members: Members<'_> = serde_json::from_str(text).expect("an object");
        assert_eq!(members.repeated(), Some("rows"));
        assert_eq!(members.whole_number("y"), None);
        assert!(rows_of(r#"{"rows":[]}"#).is_empty());
        let members: Members<'_> = serde_json::from_str(r#"{"total":1,"rows":[1]}"#).expect("an object");
        assert_eq!(
            (members.repeated(), members.whole_number("total")),
            (None, Some(1))
        );
    }

    #[test]
    fn broken_bodies_are_told_from_bodies_that_are_not_reports() {
        let broken = |body: &str| matches!(parse_page(body.as_bytes(), "u"), Err(PageError::Broken(_)));
        let not_report =
            |body: &str| matches!(parse_page(body.as_bytes(), "u"), Err(PageError::NotReport(_)));
        assert!(broken(r#"{"total":1,"rows":[1"#));
        assert!(broken("[1,"));
        assert!(broken("<html>"));
        assert!(broken("{\"total\":1} x"));
        assert!(not_report("[1]"));
        assert!(not_report(r#"{"total":1}"#));
        assert!(not_report(r#"{"total":1,"rows":{}}"#));
        assert!(not_report(r#"{"total":-1,"rows":[]}"#));
        assert!(not_report(r#"{"total":1,"rows":[{"id":"1"}]}"#));
        assert!(not_report(r#"{"total":1,"rows":[[1]]}"#));
        let page = parse_page(br#"{"rows":[{"id":1,"id":2}],"total":1}"#, "u").expect("a page");
        assert_eq!(page.rows[0].id, 2, "the last of two ids, as before");
    }
}
