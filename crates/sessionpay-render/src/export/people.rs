//! `people.csv`: who each TeamUp instructor is in the payroll system.
//!
//! A header row names the columns (any case; spaces count as `_`):
//! `instructor_id`, `first_name` and `last_name` are required, and any other
//! column is kept by name for the writers and templates that ask for it
//! (`ssn`, `gusto_employee_id`, `title`, `works_number`, `nino`, `ppsn`,
//! `file_number`, `worker_id`, `employee_number`, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sessionpay_core::InstructorId;

use crate::error::{Error, Result};

/// The people of a `people.csv`, by instructor id.
#[derive(Debug)]
pub struct People {
    path: PathBuf,
    columns: Vec<String>,
    by_id: BTreeMap<InstructorId, Person>,
}

/// One row of `people.csv`.
#[derive(Debug)]
pub struct Person {
    /// The line it starts on.
    pub line: usize,
    values: BTreeMap<String, String>,
}

impl Person {
    /// The value of a column, trimmed; empty when the column is absent.
    pub fn get(&self, column: &str) -> &str {
        self.values.get(column).map_or("", String::as_str)
    }
}

/// A header cell as a column name: trimmed, lower case, spaces as `_`.
pub(crate) fn column_name(header: &str) -> String {
    header
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

impl People {
    /// Reads `path`.
    ///
    /// # Errors
    /// An unreadable file, broken CSV, a missing required column, an
    /// instructor id that is not a whole number, or one given twice.
    pub fn read(path: &Path) -> Result<People> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            what: "cannot read it",
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::People(format!(
                "{}: not valid UTF-8 (byte {}); save it as UTF-8 CSV",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
        })?;
        People::parse(&text, path)
    }

    /// Parses the text of a `people.csv`; `path` is used in messages.
    ///
    /// # Errors
    /// As [`People::read`].
    pub fn parse(text: &str, path: &Path) -> Result<People> {
        let shown = path.display();
        let records = records(text)
            .map_err(|(line, problem)| Error::People(format!("{shown}: line {line}: {problem}")))?;
        let mut records = records.into_iter();
        let header = records.next().ok_or_else(|| {
            Error::People(format!(
                "{shown}: empty; expected a header row with instructor_id,first_name,last_name"
            ))
        })?;
        let columns: Vec<String> = header.fields.iter().map(|h| column_name(h)).collect();
        for required in ["instructor_id", "first_name", "last_name"] {
            if !columns.iter().any(|c| c == required) {
                return Err(Error::People(format!(
                    "{shown}: line 1: no {required} column; the header has {}",
                    header.fields.join(",")
                )));
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                return Err(Error::People(format!(
                    "{shown}: line 1: the column {c} appears twice"
                )));
            }
        }
        let mut by_id: BTreeMap<InstructorId, Person> = BTreeMap::new();
        for record in records {
            if record.fields.len() != columns.len() {
                return Err(Error::People(format!(
                    "{shown}: line {}: expected {} fields, as in the header, but found {}",
                    record.line,
                    columns.len(),
                    record.fields.len()
                )));
            }
            let values: BTreeMap<String, String> = columns
                .iter()
                .cloned()
                .zip(record.fields.iter().map(|f| f.trim().to_string()))
                .collect();
            let id_text = values.get("instructor_id").map_or("", String::as_str);
            let id: u64 = id_text.parse().map_err(|_| {
                Error::People(format!(
                    "{shown}: line {}, column \"instructor_id\": expected a TeamUp instructor id (a whole number), but found {id_text:?}",
                    record.line
                ))
            })?;
            if let Some(earlier) = by_id.get(&InstructorId(id)) {
                return Err(Error::People(format!(
                    "{shown}: line {}: instructor_id {id} is already on line {}; give each instructor one row",
                    record.line,
                    earlier.line
                )));
            }
            by_id.insert(
                InstructorId(id),
                Person {
                    line: record.line,
                    values,
                },
            );
        }
        Ok(People {
            path: path.to_path_buf(),
            columns,
            by_id,
        })
    }

    /// The path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the header has `column`.
    pub fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// The row of an instructor.
    pub fn get(&self, id: InstructorId) -> Option<&Person> {
        self.by_id.get(&id)
    }
}

/// A CSV record with the line it starts on (from 1).
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// The records of CSV text (RFC 4180, with or without a BOM, LF or CRLF);
/// blank lines are skipped.
///
/// # Errors
/// The line of a quoted field that never ends, or of a quote inside an
/// unquoted field: the `csv` crate reads both leniently, which could join
/// two people into one field.
fn records(text: &str) -> std::result::Result<Vec<Record>, (usize, &'static str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out: Vec<Record> = Vec::new();
    let mut starts = Vec::new();
    for record in reader.records() {
        // The input is a &str: the only errors are of UTF-8, which cannot occur.
        let record = record.map_err(|e| (e.position().map_or(0, |p| p.line() as usize), "not CSV"))?;
        let (line, byte) = record
            .position()
            .map_or((0, 0), |p| (p.line() as usize, p.byte() as usize));
        starts.push((line, byte));
        out.push(Record {
            line,
            fields: record.iter().map(String::from).collect(),
        });
    }
    for (i, (line, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |s| s.1);
        let raw = text.get(*start..end).unwrap_or_default();
        if let Some(problem) = quote_problem(raw) {
            return Err((*line, problem));
        }
    }
    Ok(out)
}

/// What is wrong with the quotes of one raw record, if anything: a quote
/// must open a field, close it, or be doubled inside it.
fn quote_problem(raw: &str) -> Option<&'static str> {
    if !raw.contains('"') {
        return None;
    }
    let (mut inside, mut field_start, mut just_closed) = (false, true, false);
    for c in raw.chars() {
        match c {
            '"' if inside => {
                inside = false;
                just_closed = true;
                continue;
            }
            '"' if field_start || just_closed => inside = true,
            '"' => return Some("a quote inside an unquoted field"),
            ',' | '\r' | '\n' if !inside => {
                (field_start, just_closed) = (true, false);
                continue;
            }
            _ => {}
        }
        (field_start, just_closed) = (false, false);
    }
    inside.then_some("a quoted field that never ends")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<People> {
        People::parse(text, Path::new("people.csv"))
    }

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text).unwrap().into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn quoted_fields_bom_and_crlf_are_read() {
        assert_eq!(
            fields("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\nlast,\n"),
            [vec!["a", "b"], vec!["x, \"y\"", "two\nlines"], vec!["last", ""]]
        );
        assert_eq!(fields("a,b"), [vec!["a", "b"]]);
        let lines: Vec<usize> = records("h\n\"a\nb\"\nc\n")
            .unwrap()
            .iter()
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [1, 2, 4]);
    }

    #[test]
    fn broken_quotes_name_their_line() {
        assert_eq!(
            records("a\n\"open\n").err(),
            Some((2, "a quoted field that never ends"))
        );
        assert_eq!(
            records("a\nb\"c\n").err(),
            Some((2, "a quote inside an unquoted field"))
        );
        assert_eq!(
            records("a\nb\"c\"\nd\n").err(),
            Some((2, "a quote inside an unquoted field"))
        );
        assert_eq!(records("a,\"x\"\"y\"\n").unwrap()[0].fields, ["a", "x\"y"]);
    }

    #[test]
    fn columns_are_matched_loosely_and_values_trimmed() {
        let people =
            parse("Instructor ID,First Name,last_name,Works Number\n1010, Ana ,Nakamura,W-7\n").unwrap();
        let ana = people.get(InstructorId(1010)).unwrap();
        assert_eq!(
            (ana.get("first_name"), ana.get("works_number"), ana.get("nino")),
            ("Ana", "W-7", "")
        );
        assert!(people.has_column("works_number"));
        assert!(!people.has_column("nino"));
    }

    #[test]
    fn mistakes_name_the_file_line_and_column() {
        let err = |text: &str| format!("{:#}", parse(text).err().unwrap());
        assert_eq!(
            err("instructor_id,first_name\n1,A\n"),
            "people.csv: line 1: no last_name column; the header has instructor_id,first_name"
        );
        assert_eq!(
            err("instructor_id,first_name,last_name\n1,A,B\nx,C,D\n"),
            "people.csv: line 3, column \"instructor_id\": expected a TeamUp instructor id (a whole number), but found \"x\""
        );
        assert_eq!(
            err("instructor_id,first_name,last_name\n1,A,B\n1,C,D\n"),
            "people.csv: line 3: instructor_id 1 is already on line 2; give each instructor one row"
        );
        assert_eq!(
            err("instructor_id,first_name,last_name\n1,A\n"),
            "people.csv: line 2: expected 3 fields, as in the header, but found 2"
        );
        assert_eq!(
            err(""),
            "people.csv: empty; expected a header row with instructor_id,first_name,last_name"
        );
    }
}
