//! `people.csv`: who each TeamUp instructor is in the payroll system.
//!
//! A header row names the columns (any case; spaces count as `_`):
//! `instructor_id`, `first_name` and `last_name` are required, and any other
//! column is kept by name for the writers and templates that ask for it
//! (`ssn`, `gusto_employee_id`, `title`, `works_number`, `nino`, `ppsn`,
//! `file_number`, `worker_id`, `employee_number`, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sessionpay_core::InstructorId;

use super::csvfile;

/// The people of a `people.csv`, by instructor id.
pub(crate) struct People {
    path: PathBuf,
    columns: Vec<String>,
    by_id: BTreeMap<InstructorId, Person>,
}

/// One row of `people.csv`.
pub(crate) struct Person {
    /// The line it starts on.
    pub(crate) line: usize,
    values: BTreeMap<String, String>,
}

impl Person {
    /// The value of a column, trimmed; empty when the column is absent.
    pub(crate) fn get(&self, column: &str) -> &str {
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
    pub(crate) fn read(path: &Path) -> anyhow::Result<People> {
        let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read it", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not valid UTF-8 (byte {}); save it as UTF-8 CSV",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        People::parse(&text, path)
    }

    /// Parses the text of a `people.csv`; `path` is used in messages.
    ///
    /// # Errors
    /// As [`People::read`].
    pub(crate) fn parse(text: &str, path: &Path) -> anyhow::Result<People> {
        let shown = path.display();
        let records = csvfile::parse(text)
            .map_err(|(line, problem)| anyhow::anyhow!("{shown}: line {line}: {problem}"))?;
        let mut records = records.into_iter();
        let header = records.next().with_context(|| {
            format!("{shown}: empty; expected a header row with instructor_id,first_name,last_name")
        })?;
        let columns: Vec<String> = header.fields.iter().map(|h| column_name(h)).collect();
        for required in ["instructor_id", "first_name", "last_name"] {
            anyhow::ensure!(
                columns.iter().any(|c| c == required),
                "{shown}: line 1: no {required} column; the header has {}",
                header.fields.join(",")
            );
        }
        for (i, c) in columns.iter().enumerate() {
            anyhow::ensure!(
                !columns[..i].contains(c),
                "{shown}: line 1: the column {c} appears twice"
            );
        }
        let mut by_id: BTreeMap<InstructorId, Person> = BTreeMap::new();
        for record in records {
            anyhow::ensure!(
                record.fields.len() == columns.len(),
                "{shown}: line {}: expected {} fields, as in the header, but found {}",
                record.line,
                columns.len(),
                record.fields.len()
            );
            let values: BTreeMap<String, String> = columns
                .iter()
                .cloned()
                .zip(record.fields.iter().map(|f| f.trim().to_string()))
                .collect();
            let id_text = values.get("instructor_id").map_or("", String::as_str);
            let id: u64 = id_text.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{shown}: line {}, column \"instructor_id\": expected a TeamUp instructor id (a whole number), but found {id_text:?}",
                    record.line
                )
            })?;
            if let Some(earlier) = by_id.get(&InstructorId(id)) {
                anyhow::bail!(
                    "{shown}: line {}: instructor_id {id} is already on line {}; give each instructor one row",
                    record.line,
                    earlier.line
                );
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
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the header has `column`.
    pub(crate) fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// The row of an instructor.
    pub(crate) fn get(&self, id: InstructorId) -> Option<&Person> {
        self.by_id.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<People> {
        People::parse(text, Path::new("people.csv"))
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
