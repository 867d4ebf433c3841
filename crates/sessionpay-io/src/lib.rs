//! # sessionpay-io
//!
//! The thin layer between files and [`sessionpay_core`]: streaming readers
//! for every TeamUp export shape, the rate policy file, and writers.
//!
//! - [`expand_inputs`], [`Reader`]: CSV (three header styles), one JSON
//!   response, folders of JSON pages, NDJSON, stdin, a part of a large CSV
//!   file; each row becomes a [`ParsedRow`] as it is read, handed to a
//!   [`RowSink`] whose errors are the caller's own.
//! - [`read_policy_file`], [`parse_policy`]: the TOML policy, strictly;
//!   [`StrictToml`]: the helper it and export templates read TOML with.
//! - [`write_payroll`], [`write_reconcile`], [`write_sessions`]: CSV or JSON.
//! - [`write_inferred_policy`], [`write_inferred_json`],
//!   [`write_inferred_table`]: what `rates infer` found, as a policy file
//!   with its evidence, as JSON, as a table.
//! - [`ExternalSort`]: output rows sorted by session id in a fixed memory
//!   budget, through temporary run files.
//! - [`AtomicFile`]: output that appears only when complete; [`OutputSet`]:
//!   every output of a run committed together, guarded by [`InputFiles`].
//!
//! Every error names the file, the record or line, the column or key and the
//! offending value.
//!
//! ```
//! use std::path::Path;
//!
//! let csv = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
//! late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
//! instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
//! 1,7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n";
//! let mut rows = Vec::new();
//! sessionpay_io::Reader::bytes(csv.as_bytes(), Path::new("x.csv"))
//!     .shape(sessionpay_io::Shape::Csv)
//!     .read(&mut rows)?;
//! assert_eq!(rows[0].draft.reported.unwrap().to_string(), "20.00");
//! assert_eq!(rows[0].evidence.symbol, Some("£"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod atomic;
mod columns;
mod digest;
mod error;
mod fastjson;
mod field;
mod inferred;
mod json;
mod json_stream;
mod message;
mod ndjson;
mod output;
mod output_set;
mod pages;
mod parts;
mod plan;
mod policy;
mod ranges;
mod read;
mod resave;
mod row;
mod sink;
mod size;
mod sort;
mod source;
mod split;
mod strict;
#[cfg(test)]
mod testing;
mod text;
mod toml_strict;
mod value;
mod watch;
mod workbook;

pub use atomic::{remove_pending_files, remove_pending_files_for_exit, AtomicFile};
pub use columns::ColumnMap;
pub use digest::LineDigest;
pub use error::{printable, printable_lines, Error, Location, Place, Result, Shown};
pub use inferred::{
    group, write_inferred_json, write_inferred_policy, write_inferred_table, OUTLIERS_IN_COMMENTS,
};
pub use message::Message;
pub use output::{
    csv_io, csv_writer, hours, json_object, neutralise, payroll_cells, write_json_lines, write_json_objects,
    write_payroll, write_reconcile, write_reconcile_explained, write_sessions, Format, JsonArray,
    RejectsFile, RejectsWriter, Table, TableEncoder, ADJUSTMENT_COLUMNS, PAYROLL_COLUMNS, RECONCILE_COLUMNS,
    SESSION_COLUMNS,
};
pub use output_set::{spill_folder, Folder, OutputSet};
pub use pages::PageCheck;
pub use parts::{plan_csv_parts, plan_input_parts, CsvPart};
pub use plan::{plan_ndjson, plan_parts, InputPart, NdjsonPart};
pub use policy::{parse_policy, parse_policy_file, read_policy, read_policy_file, PolicyFile, PolicySection};
pub use read::{expand_inputs, Input, Rejected, Shape, Summary};
pub use row::{Names, ParsedRow};
/// The line the writers write, and its formula in words, as the core makes them.
pub use sessionpay_core::{describe_formula, SessionLine};
pub use size::parse_size;
pub use sort::{
    statement_key, statement_row_key, EachRow, ExternalSort, FileSink, SortKey, SortedSink, StatementKey,
    DEFAULT_SORT_MEMORY,
};
pub use source::{ReadCache, Reader, RowSink, Sinks};
pub use toml_strict::{StrictToml, TomlValue};
pub use watch::{InputFiles, Stamp};

/// Entry points for fuzzing and corpus tests: the parsers of single cells,
/// which are otherwise internal. Not a stable API.
#[doc(hidden)]
pub mod fuzz {
    use rust_decimal::Decimal;
    use sessionpay_core::Currency;

    /// Parses a money cell (`£1,234.50`, `45.00 €`, `74.25`): the amount, an
    /// ISO code and a symbol when the text carries them.
    ///
    /// # Errors
    /// A message naming the offending text.
    pub fn money_cell(text: &str) -> Result<(Decimal, Option<Currency>, Option<&'static str>), String> {
        crate::value::money(text).map(|m| (m.amount, m.code, m.symbol))
    }

    /// Parses a decimal exactly, as every amount, hours and count is read.
    ///
    /// # Errors
    /// A message naming the offending text.
    pub fn decimal(text: &str) -> Result<Decimal, String> {
        crate::value::decimal(text)
    }

    /// One JSON row read by both paths: the fast one (after a first read has
    /// taught it the row's rate, as a file's earlier rows would) and the
    /// strict one, each as the `Debug` text of its row, the strict one's
    /// error as its message. `None` when the fast path declines the row.
    pub fn json_row_paths(line: &[u8]) -> (Option<String>, Result<String, String>) {
        use crate::row::{Names, RowParser};
        let path = std::path::Path::new("fuzz.ndjson");
        let location = crate::Location::Ndjson { line: 1, byte: 0 };
        let mut fast = crate::fastjson::FastJson::new(Names::All);
        let mut strict = RowParser::new(Names::All);
        let first = fast.row(line, location);
        let reference = match crate::json::from_slice(line) {
            Ok((value, None)) => crate::strict::parse_strict_row(&value, path, location, &mut strict)
                .map_err(|e| e.to_string()),
            Ok((_, Some(key))) => Err(format!("doubled key {key}")),
            Err(e) => Err(e.to_string()),
        };
        if let (Err(declined), Ok(row)) = (&first, &reference) {
            fast.learn(line, *declined, row);
        }
        let fast_row = match first {
            Ok(row) => Some(row),
            Err(_) => fast.row(line, location).ok(),
        };
        (
            fast_row.map(|r| format!("{r:?}")),
            reference.map(|r| format!("{r:?}")),
        )
    }

    /// Every line of `data` read in turn by one fast reader, as a file's rows
    /// are (the rates and row shapes it learns from earlier lines serve the
    /// later ones), and each by the strict reader too: per line, the fast
    /// path's row (`None` when it declines it) and the strict reader's row or
    /// message, each as its `Debug` text.
    pub fn json_rows_in_turn(data: &[u8]) -> Vec<(Option<String>, Result<String, String>)> {
        use crate::row::{Names, RowParser};
        let path = std::path::Path::new("fuzz.ndjson");
        let mut fast = crate::fastjson::FastJson::new(Names::All);
        let mut strict = RowParser::new(Names::All);
        let mut out = Vec::new();
        for (i, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
            let location = crate::Location::Ndjson {
                line: i as u64 + 1,
                byte: 0,
            };
            let reference = match crate::json::from_slice(line) {
                Ok((value, None)) => crate::strict::parse_strict_row(&value, path, location, &mut strict)
                    .map_err(|e| e.to_string()),
                Ok((_, Some(key))) => Err(format!("doubled key {key}")),
                Err(e) => Err(e.to_string()),
            };
            let fast_row = match fast.row(line, location) {
                Ok(row) => Some(row),
                Err(declined) => {
                    if let Ok(row) = &reference {
                        fast.learn(line, declined, row);
                    }
                    None
                }
            };
            out.push((
                fast_row.map(|r| format!("{r:?}")),
                reference.map(|r| format!("{r:?}")),
            ));
        }
        out
    }

    /// One JSON response read three ways: held whole, as a page is; streamed
    /// from a file, as a large response is; and by the strict reader alone.
    /// Each gives the `Debug` text of each row or the message of each
    /// rejected row, then how the read ended; the three should agree.
    pub fn json_response_paths(data: &[u8]) -> [Vec<String>; 3] {
        use std::cell::RefCell;
        use std::sync::atomic::{AtomicU64, Ordering};
        static FILES: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "sessionpay-fuzz-{}-{}.json",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        let read = |how: u8| {
            let seen = RefCell::new(Vec::new());
            let mut sink = crate::Sinks {
                on_row: |r: crate::ParsedRow| {
                    seen.borrow_mut().push(format!("{r:?}"));
                    Ok::<_, crate::Error>(())
                },
                on_reject: |r: crate::Rejected| {
                    seen.borrow_mut().push(format!("{} | {}", r.error, r.raw));
                    Ok(())
                },
            };
            let mut cache = crate::ReadCache::new(crate::Names::All);
            let end = match how {
                0 => {
                    let crate::ReadCache { parser, fast, .. } = &mut cache;
                    crate::read::scan_json_response(data, &path, fast, parser, &mut sink)
                }
                1 => std::fs::write(&path, data)
                    .and_then(|()| std::fs::File::open(&path))
                    .map_err(|e| crate::Error::io(&path, e))
                    .and_then(|file| {
                        let columns = crate::ColumnMap::default();
                        crate::json_stream::stream_file(
                            file,
                            &path,
                            &columns,
                            &AtomicU64::new(0),
                            &mut cache,
                            &mut sink,
                        )
                    }),
                _ => crate::read::read_json(data, &path, &mut cache.parser, &mut sink, crate::json::MAX_ROW),
            };
            let mut seen = seen.into_inner();
            seen.push(match end {
                Ok(s) => format!("rows {} total {:?}", s.rows, s.total),
                Err(e) => e.to_string(),
            });
            seen
        };
        let out = [read(0), read(1), read(2)];
        let _ = std::fs::remove_file(&path);
        out
    }

    /// Parses a `starts_at` value.
    ///
    /// # Errors
    /// A message naming the offending text.
    pub fn starts_at(text: &str) -> Result<sessionpay_core::StartsAt, String> {
        crate::value::starts_at(text)
    }
}
