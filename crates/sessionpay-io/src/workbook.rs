//! Workbooks (`.xlsx`, `.xls`, `.ods`), read with `calamine`: the first
//! sheet whose header row names the report's columns is written out as CSV
//! to a temporary file, which the CSV reader then reads, so every cell is
//! checked as a CSV cell is and messages name the sheet's row numbers.
//!
//! A number cell is the one place a binary floating-point value appears:
//! a spreadsheet stores its numbers as IEEE doubles, and the shortest text
//! that reads back as the same double (Rust's `{}` for `f64`) is the number
//! the spreadsheet shows and was typed in as (`74.25`, not
//! `74.2500000000000028…`). That text is then parsed exactly as a decimal,
//! like every other number.

use std::io::{BufWriter, Cursor, Read, Seek, Write};
use std::path::Path;

use calamine::{Data, Reader};
use rust_decimal::Decimal;

use crate::columns::{place_columns, ColumnMap};
use crate::error::{Error, Result};

/// The largest workbook read: calamine holds the file, and for `.xls` and
/// `.ods` the whole sheet, in memory.
pub(crate) const MAX_WORKBOOK: u64 = 64 << 20;

/// The largest `.xls` or `.ods` workbook read (their sheets are read whole).
const MAX_WHOLE_SHEET: u64 = 16 << 20;

/// What the first bytes say a workbook is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A ZIP container: `.xlsx` or `.ods`.
    Zip,
    /// An OLE compound file: `.xls`.
    Ole,
}

impl Kind {
    pub(crate) fn of(head: &[u8]) -> Option<Kind> {
        if head.starts_with(b"PK\x03\x04") {
            Some(Kind::Zip)
        } else if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
            Some(Kind::Ole)
        } else {
            None
        }
    }
}

/// A workbook's first report sheet as CSV in a temporary file, positioned
/// at its start, with the sheet's name and the sheet row of its header.
pub(crate) struct SheetCsv {
    pub(crate) file: std::fs::File,
    pub(crate) header_row: u64,
}

/// Reads the workbook in `reader` and writes its report sheet as CSV.
///
/// # Errors
/// A workbook too large, one calamine cannot open, or one with no sheet
/// whose header names the report's columns (the first sheet's problem).
pub(crate) fn to_csv(reader: impl Read, kind: Kind, path: &Path, map: &ColumnMap) -> Result<SheetCsv> {
    let limit = if kind == Kind::Zip {
        MAX_WORKBOOK
    } else {
        MAX_WHOLE_SHEET
    };
    to_csv_within(reader, kind, path, map, limit)
}

/// [`to_csv`], refusing a workbook of more than `limit` bytes.
fn to_csv_within(
    reader: impl Read,
    kind: Kind,
    path: &Path,
    map: &ColumnMap,
    limit: u64,
) -> Result<SheetCsv> {
    let shape = |problem: String| Error::Shape {
        path: path.to_path_buf(),
        problem,
    };
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(shape(format!(
            "a workbook larger than {} MiB is not read (its sheets would be held in memory): save the sheet as CSV (UTF-8) and read that",
            limit >> 20
        )));
    }
    let data = Cursor::new(&bytes[..]);
    let mut out = tempfile::tempfile().map_err(|e| Error::io(path, e))?;
    let found = match kind {
        Kind::Zip => match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(data.clone()) {
            Ok(mut book) => {
                let names = book.sheet_names();
                let mut first_problem = None;
                let mut found = None;
                for name in names {
                    let mut cells = book
                        .worksheet_cells_reader(&name)
                        .map_err(|e| shape(format!("cannot read sheet {name:?}: {e}")))?;
                    let mut rows = std::iter::from_fn(|| cells.next_cell().transpose())
                        .map(|c| c.map(|c| (c.get_position(), text_of(&Data::from(c.get_value().clone())))));
                    match write_sheet(&mut rows, &name, path, map, &mut out)? {
                        Ok(header_row) => {
                            found = Some((name, header_row));
                            break;
                        }
                        Err(problem) => {
                            first_problem.get_or_insert((name.clone(), problem));
                            out.set_len(0).map_err(|e| Error::io(path, e))?;
                            out.rewind().map_err(|e| Error::io(path, e))?;
                        }
                    }
                }
                found.ok_or_else(|| no_sheet(path, first_problem))?
            }
            Err(_) => {
                let mut book = calamine::open_workbook_from_rs::<calamine::Ods<_>, _>(data)
                    .map_err(|e| shape(format!("not a workbook calamine can read (.xlsx or .ods): {e}")))?;
                whole_sheets(&mut book, path, map, &mut out)?
            }
        },
        Kind::Ole => {
            let mut book = calamine::open_workbook_from_rs::<calamine::Xls<_>, _>(data)
                .map_err(|e| shape(format!("not a workbook calamine can read (.xls): {e}")))?;
            whole_sheets(&mut book, path, map, &mut out)?
        }
    };
    out.rewind().map_err(|e| Error::io(path, e))?;
    Ok(SheetCsv {
        file: out,
        header_row: found.1,
    })
}

fn no_sheet(path: &Path, problem: Option<(String, Error)>) -> Error {
    let problem = match problem {
        Some((sheet, e)) => {
            let text = e.to_string();
            let prefix = format!("{}: ", path.display());
            let why = text.strip_prefix(&prefix).unwrap_or(&text).to_string();
            format!("no sheet's header names the report's columns; the first sheet, {sheet:?}: {why}")
        }
        None => "the workbook has no sheet".into(),
    };
    Error::Shape {
        path: path.to_path_buf(),
        problem,
    }
}

/// The sheets of a workbook calamine reads whole, in order, until one is the report.
fn whole_sheets<RS: Read + Seek, B: Reader<RS>>(
    book: &mut B,
    path: &Path,
    map: &ColumnMap,
    out: &mut std::fs::File,
) -> Result<(String, u64)>
where
    B::Error: std::fmt::Display,
{
    let mut first_problem = None;
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| Error::Shape {
            path: path.to_path_buf(),
            problem: format!("cannot read sheet {name:?}: {e}"),
        })?;
        let (top, left) = range.start().unwrap_or((0, 0));
        let mut cells = range.cells().map(|(r, c, d)| {
            let position = (top + r as u32, left + c as u32);
            Ok::<_, std::convert::Infallible>((position, text_of(d)))
        });
        match write_sheet(&mut cells, &name, path, map, out)? {
            Ok(header_row) => return Ok((name, header_row)),
            Err(problem) => {
                first_problem.get_or_insert((name.clone(), problem));
                out.set_len(0).map_err(|e| Error::io(path, e))?;
                out.rewind().map_err(|e| Error::io(path, e))?;
            }
        }
    }
    Err(no_sheet(path, first_problem))
}

type CellText = ((u32, u32), Option<String>);

/// Writes one sheet as CSV when its first row names the report's columns:
/// `Ok(Ok(header row, from 1))`; `Ok(Err(why not))` for another sheet.
fn write_sheet<E: std::fmt::Display>(
    cells: &mut dyn Iterator<Item = std::result::Result<CellText, E>>,
    sheet: &str,
    path: &Path,
    map: &ColumnMap,
    out: &mut std::fs::File,
) -> Result<std::result::Result<u64, Error>> {
    let failed = |e: E| Error::Shape {
        path: path.to_path_buf(),
        problem: format!("sheet {sheet:?}: {e}"),
    };
    let mut pending: Option<CellText> = None;
    let mut header: Vec<String> = Vec::new();
    let mut header_row = None;
    // The header: the first row with a value.
    for cell in &mut *cells {
        let ((row, col), text) = cell.map_err(failed)?;
        within_sheet(row, col, sheet, path)?;
        let Some(text) = text else { continue };
        match header_row {
            None => header_row = Some(row),
            Some(r) if r != row => {
                pending = Some(((row, col), Some(text)));
                break;
            }
            Some(_) => {}
        }
        let col = col as usize;
        if header.len() <= col {
            header.resize(col + 1, String::new());
        }
        header[col] = text;
    }
    let Some(header_row) = header_row else {
        return Ok(Err(Error::Shape {
            path: path.to_path_buf(),
            problem: format!("sheet {sheet:?} is empty"),
        }));
    };
    // Leading empty columns are kept empty: the header's columns are the sheet's.
    if let Err(problem) = place_columns(&header, map, path) {
        return Ok(Err(problem));
    }
    let width = header.len();
    let io = |e: std::io::Error| Error::io(path, e);
    let mut w = BufWriter::new(&mut *out);
    write_record(
        &mut w,
        &header.iter().map(|s| Some(s.as_str())).collect::<Vec<_>>(),
    )
    .map_err(io)?;
    let mut row_at = header_row;
    let mut record: Vec<Option<String>> = Vec::new();
    let flush = |w: &mut BufWriter<&mut std::fs::File>, record: &mut Vec<Option<String>>| {
        if record.iter().any(Option::is_some) {
            record.resize(record.len().max(width), None);
            let cells: Vec<Option<&str>> = record.iter().map(Option::as_deref).collect();
            write_record(w, &cells)?;
        } else {
            w.write_all(b"\n")?;
        }
        record.clear();
        Ok::<(), std::io::Error>(())
    };
    let mut next = pending.map(Ok).into_iter().chain(&mut *cells);
    for cell in &mut next {
        let ((row, col), text) = cell.map_err(failed)?;
        within_sheet(row, col, sheet, path)?;
        let Some(text) = text else { continue };
        while row_at < row {
            if row_at > header_row {
                flush(&mut w, &mut record).map_err(io)?;
            }
            row_at += 1;
        }
        let col = col as usize;
        if record.len() <= col {
            record.resize(col + 1, None);
        }
        record[col] = Some(text);
    }
    if row_at > header_row {
        flush(&mut w, &mut record).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(Ok(u64::from(header_row) + 1))
}

/// The most rows and columns a sheet has (as Excel and LibreOffice allow).
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLUMNS: u32 = 1 << 14;

/// Refuses a cell past a sheet's limits (a damaged or crafted file), which
/// would otherwise have the header or the gap before it fill memory or disk.
fn within_sheet(row: u32, col: u32, sheet: &str, path: &Path) -> Result<()> {
    if row < MAX_ROWS && col < MAX_COLUMNS {
        return Ok(());
    }
    Err(Error::Shape {
        path: path.to_path_buf(),
        problem: format!(
            "sheet {sheet:?}: a cell at row {}, column {} is past a sheet's limits ({MAX_ROWS} rows, {MAX_COLUMNS} columns)",
            u64::from(row) + 1,
            u64::from(col) + 1
        ),
    })
}

fn write_record(w: &mut impl Write, cells: &[Option<&str>]) -> std::io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let text = cell.unwrap_or("");
        if text.contains([',', '"', '\n', '\r']) {
            w.write_all(b"\"")?;
            w.write_all(text.replace('"', "\"\"").as_bytes())?;
            w.write_all(b"\"")?;
        } else {
            w.write_all(text.as_bytes())?;
        }
    }
    w.write_all(b"\n")
}

fn text_of(d: &Data) -> Option<String> {
    match d {
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(number(*f)),
        Data::String(s) => Some(s.clone()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(dt) => Some(date_time(dt)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Error(e) => Some(e.to_string()),
        Data::Empty => None,
    }
}

/// A stored double as the shortest text that reads back as it (see the
/// module's comment); not finite is refused later, as text.
fn number(f: f64) -> String {
    format!("{f}")
}

/// A date-time cell as an ISO 8601 local time without an offset (in
/// `starts_at`, venue-local time); a duration cell as hours.
fn date_time(dt: &calamine::ExcelDateTime) -> String {
    if dt.is_duration() {
        let days = number(dt.as_f64());
        return match days.parse::<Decimal>().ok().and_then(duration_hours) {
            Some(hours) => hours.to_string(),
            None => days,
        };
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    if ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}")
    }
}

/// The hours of a duration stored as `days`, the stored double's shortest
/// text. A duration is typed in hours, minutes and seconds, but most of
/// them (a quarter of an hour is 1/96 of a day) have no exact double, so
/// the days alone, times 24, would be a hair off the typed value (15
/// minutes: 0.249999999999999984 hours), enough to round a half cent of pay
/// the wrong way. The days are taken to the nearest whole millisecond, the
/// finest a sheet shows, exactly in decimal, and only then made hours: exact
/// whenever the typed duration has a finite decimal of hours (15 minutes is
/// 0.25), else to 28 decimal places (20 minutes).
fn duration_hours(days: Decimal) -> Option<Decimal> {
    const MS_A_DAY: i64 = 86_400_000;
    const MS_AN_HOUR: i64 = 3_600_000;
    let ms = days
        .checked_mul(Decimal::from(MS_A_DAY))?
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Some(ms.checked_div(Decimal::from(MS_AN_HOUR))?.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_doubles_read_as_the_number_typed() {
        assert_eq!(number(74.25), "74.25");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(1e21), "1000000000000000000000");
        assert_eq!(number(45.0), "45");
    }

    #[test]
    fn a_workbook_past_the_limit_or_not_one_is_refused_clearly() {
        let bytes = [&b"PK\x03\x04"[..], &[0u8; 100]].concat();
        let map = ColumnMap::default();
        let err = to_csv_within(&bytes[..], Kind::Zip, Path::new("big.xlsx"), &map, 50)
            .err()
            .expect("refused");
        assert_eq!(
            err.to_string(),
            "big.xlsx: a workbook larger than 0 MiB is not read (its sheets would be held in memory): save the sheet as CSV (UTF-8) and read that"
        );
        let err = to_csv(&bytes[..], Kind::Zip, Path::new("bad.xlsx"), &map)
            .err()
            .expect("refused");
        assert!(
            err.to_string()
                .starts_with("bad.xlsx: not a workbook calamine can read (.xlsx or .ods)"),
            "{err}"
        );
        let err = to_csv(
            &b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[..],
            Kind::Ole,
            Path::new("bad.xls"),
            &map,
        )
        .err()
        .expect("refused");
        assert!(
            err.to_string()
                .starts_with("bad.xls: not a workbook calamine can read (.xls)"),
            "{err}"
        );
    }

    #[test]
    fn a_cell_past_the_sheet_limits_is_refused() {
        let mut out = tempfile::tempfile().unwrap();
        let mut cells = vec![
            Ok::<_, std::convert::Infallible>(((0, 0), Some("id".to_string()))),
            Ok(((0, MAX_COLUMNS), Some("x".to_string()))),
        ]
        .into_iter();
        let err = write_sheet(
            &mut cells,
            "S",
            Path::new("w.xlsx"),
            &ColumnMap::default(),
            &mut out,
        )
        .expect_err("refused");
        assert!(err.to_string().contains("is past a sheet's limits"), "{err}");
        let mut cells = vec![Ok::<_, std::convert::Infallible>((
            (MAX_ROWS, 0),
            Some("id".to_string()),
        ))]
        .into_iter();
        assert!(write_sheet(
            &mut cells,
            "S",
            Path::new("w.xlsx"),
            &ColumnMap::default(),
            &mut out
        )
        .is_err());
    }

    #[test]
    fn date_times_are_local_and_durations_hours() {
        let at = calamine::ExcelDateTime::new(46144.375, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(date_time(&at), "2026-05-02T09:00:00");
        let long = calamine::ExcelDateTime::new(0.0625, calamine::ExcelDateTimeType::TimeDelta, false);
        assert_eq!(date_time(&long), "1.5");
    }

    #[test]
    fn durations_without_an_exact_double_read_as_typed() {
        let hours = |days: f64| {
            date_time(&calamine::ExcelDateTime::new(
                days,
                calamine::ExcelDateTimeType::TimeDelta,
                false,
            ))
        };
        // 0:15, 1:00, 0:45, 2:06 and 10:30:01 as a sheet stores them.
        assert_eq!(hours(1.0 / 96.0), "0.25");
        assert_eq!(hours(1.0 / 24.0), "1");
        assert_eq!(hours(0.75 / 24.0), "0.75");
        assert_eq!(hours(2.1 / 24.0), "2.1");
        assert_eq!(
            hours((10.0 * 3600.0 + 30.0 * 60.0 + 1.0) / 86_400.0),
            "10.500277777777777777777777778"
        );
        // 20 minutes has no exact decimal: a third of an hour to 28 places.
        assert_eq!(hours(1.0 / 72.0), "0.3333333333333333333333333333");
        assert_eq!(hours(0.0), "0");
    }
}
