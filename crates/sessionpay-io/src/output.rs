//! Writers for payroll summaries, reconciliations and session line items, as CSV or JSON.
//!
//! Amounts are plain decimals at the currency's minor unit; in JSON they are
//! strings, so no reader turns them into floating point. CSV cells that a
//! spreadsheet would run as a formula are neutralised.

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde_json::Value;
use sessionpay_core::{describe_formula, local_start, Currency, Explanation, PayrollRow, SessionLine};

use crate::text::{push_amount, push_date, push_decimal, push_hours, Cells};
use crate::EachRow;

/// Hours without trailing zeros (`1.5`, `1`), as every output writes them.
pub use sessionpay_core::format_hours as hours;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per line.
    Json,
}

/// The columns of `sessionpay adjustments` (and the workbook's Adjustments sheet), in order.
pub const ADJUSTMENT_COLUMNS: [&str; 9] = [
    "session_id",
    "instructor_id",
    "currency",
    "period_start",
    "paid_pay",
    "computed_pay",
    "adjustment",
    "change",
    "what_changed",
];

/// The payroll columns of SPEC section 6, in order.
pub const PAYROLL_COLUMNS: [&str; 14] = [
    "instructor_id",
    "instructor_name",
    "currency",
    "period_start",
    "period_end",
    "sessions",
    "hours",
    "counted_customers",
    "computed_pay",
    "reported_pay",
    "difference",
    "mismatched_sessions",
    "pending_sessions",
    "unrated_sessions",
];

/// The reconcile columns: SPEC section 6's, then the names an auditor reads.
pub const RECONCILE_COLUMNS: [&str; 16] = [
    "session_id",
    "instructor_id",
    "local_start",
    "pay_rate_id",
    "counted_customers",
    "computed_pay",
    "reported_pay",
    "difference",
    "currency",
    "status",
    "reason",
    "instructor_name",
    "session_name",
    "venue_id",
    "rate_type",
    "hours",
];

/// The columns of `sessions`: every line item with its breakdown.
pub const SESSION_COLUMNS: [&str; 25] = [
    "session_id",
    "instructor_id",
    "instructor_name",
    "session_name",
    "venue_id",
    "local_start",
    "currency",
    "pay_rate_id",
    "rate_type",
    "hours",
    "attended",
    "comped_excluded",
    "late_cancels_added",
    "no_shows_added",
    "counted_customers",
    "formula",
    "formula_amount",
    "empty_session_pay_applied",
    "cap_applied",
    "raw",
    "computed_pay",
    "reported_pay",
    "difference",
    "status",
    "reason",
];

/// A cell a spreadsheet would run as a formula gets a leading apostrophe
/// (OWASP's advice for CSV injection); other text is unchanged.
///
/// A formula starts with `=`, `+`, `-` or `@`, or their full-width forms
/// `＝＋－＠`, possibly after spaces; a cell that starts with a tab, a line
/// break or NUL is neutralised too (spreadsheets skip them or split on them).
///
/// ```
/// assert_eq!(sessionpay_io::neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(sessionpay_io::neutralise("  =1+1"), "'  =1+1");
/// assert_eq!(sessionpay_io::neutralise("＝1+1"), "'＝1+1");
/// assert_eq!(sessionpay_io::neutralise("\n=1"), "'\n=1");
/// assert_eq!(sessionpay_io::neutralise("Ana"), "Ana");
/// ```
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let trigger = |c: char| {
        matches!(
            c,
            '=' | '+' | '-' | '@' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    };
    let starts_unsafe = match text.chars().next() {
        Some('\t' | '\r' | '\n' | '\0') => true,
        Some(_) => text
            .trim_start_matches([' ', '\u{A0}', '\u{3000}'])
            .chars()
            .next()
            .is_some_and(trigger),
        None => false,
    };
    if starts_unsafe {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn amount(currency: Currency, value: Decimal) -> String {
    currency.format(value)
}

fn opt_amount(currency: Currency, value: Option<Decimal>) -> String {
    value.map(|v| amount(currency, v)).unwrap_or_default()
}

/// A CSV writer as every output uses: `\n` line ends.
pub fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

/// A CSV writer's error as the I/O error it wraps (or one naming it).
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes rejected rows as CSV: `file,location,reason,row`.
#[derive(Debug)]
pub struct RejectsWriter<W: Write> {
    out: csv::Writer<W>,
    count: u64,
}

impl<W: Write> RejectsWriter<W> {
    /// Starts the file with its header.
    ///
    /// # Errors
    /// Any I/O error of `out`.
    pub fn new(out: W) -> io::Result<RejectsWriter<W>> {
        let mut out = csv_writer(out);
        out.write_record(["file", "location", "reason", "row"])
            .map_err(csv_io)?;
        Ok(RejectsWriter { out, count: 0 })
    }

    /// Writes one rejected row.
    ///
    /// # Errors
    /// Any I/O error of the output.
    pub fn write(&mut self, rejected: &crate::Rejected) -> io::Result<()> {
        let place = rejected.error.place();
        let file = place
            .as_ref()
            .map(|p| p.path.display().to_string())
            .unwrap_or_default();
        let location = place.map(|p| p.location.to_string()).unwrap_or_default();
        let reason = rejected.error.reason();
        self.out
            .write_record([
                &*neutralise(&file),
                &*location,
                &*neutralise(&reason),
                &*neutralise(&rejected.raw),
            ])
            .map_err(csv_io)?;
        self.count += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    /// Any I/O error of the output.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// A run's rejects file, staged in the run's [`OutputSet`](crate::OutputSet)
/// so that it appears with the other outputs or not at all.
#[derive(Debug)]
pub struct RejectsFile {
    path: std::path::PathBuf,
    writer: RejectsWriter<crate::AtomicFile>,
}

impl RejectsFile {
    /// Stages `path` in `outputs` and writes the header.
    ///
    /// # Errors
    /// The file cannot be created or written.
    pub fn create(path: &std::path::Path, outputs: &mut crate::OutputSet) -> crate::Result<RejectsFile> {
        let file = outputs.create(path)?;
        let writer = RejectsWriter::new(file).map_err(|source| crate::Error::io(path, source))?;
        Ok(RejectsFile {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Writes one rejected row.
    ///
    /// # Errors
    /// The file cannot be written (the error names it).
    pub fn write(&mut self, rejected: &crate::Rejected) -> crate::Result<()> {
        let path = &self.path;
        self.writer
            .write(rejected)
            .map_err(|source| crate::Error::io(path, source))
    }

    /// Adds the finished file to `outputs`; gives how many rows it holds.
    ///
    /// # Errors
    /// The file cannot be flushed or staged.
    pub fn finish(self, outputs: &mut crate::OutputSet) -> crate::Result<u64> {
        let count = self.writer.count();
        let file = self
            .writer
            .finish()
            .map_err(|source| crate::Error::io(&self.path, source))?;
        outputs.add(file)?;
        Ok(count)
    }
}

/// Writes payroll rows (already sorted by the accumulator).
///
/// # Errors
/// Any I/O error of `out`.
pub fn write_payroll(out: impl Write, rows: &[PayrollRow], format: Format) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut w = csv_writer(out);
            w.write_record(PAYROLL_COLUMNS).map_err(csv_io)?;
            let mut cells = Cells::default();
            for r in rows {
                fill_payroll_cells(&mut cells, r, &neutralise(&r.instructor_name));
                w.write_record(cells.iter()).map_err(csv_io)?;
            }
            w.flush()
        }
        Format::Json => write_json_objects(
            out,
            rows.iter()
                .map(|r| json_object(&PAYROLL_COLUMNS, payroll_cells(r))),
        ),
    }
}

/// The cells of a payroll row, in [`PAYROLL_COLUMNS`] order, as text
/// (not neutralised: for JSON and for writers that add columns).
pub fn payroll_cells(r: &PayrollRow) -> [String; 14] {
    let mut cells = Cells::default();
    fill_payroll_cells(&mut cells, r, &r.instructor_name);
    let mut texts = cells.iter();
    std::array::from_fn(|_| texts.next().unwrap_or_default().to_owned())
}

/// Writes the cells of `r` into `cells`, with `name` for the instructor's.
fn fill_payroll_cells(cells: &mut Cells, r: &PayrollRow, name: &str) {
    let t = &r.totals;
    cells.clear();
    cells.push_u64(r.instructor.0);
    cells.push(name);
    cells.push(r.currency.code());
    cells.push_with(|o| push_date(o, r.period.start));
    cells.push_with(|o| push_date(o, r.period.end));
    cells.push_u64(t.sessions);
    cells.push_with(|o| push_hours(o, t.hours));
    cells.push_u64(t.counted_customers);
    cells.push_with(|o| push_amount(o, r.currency, t.computed_pay));
    cells.push_with(|o| push_amount(o, r.currency, t.reported_pay));
    cells.push_with(|o| push_amount(o, r.currency, r.difference));
    cells.push_u64(t.mismatched_sessions);
    cells.push_u64(t.pending_sessions);
    cells.push_u64(t.unrated_sessions);
}

/// How a column's cells are written in JSON, the same in every output:
/// ids and counts as numbers, yes/no flags as booleans, everything else
/// (amounts, hours, dates, names) as strings, an empty cell as `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    Number,
    Boolean,
    Text,
}

/// The counts among the columns of every output (ids end in `_id`).
const COUNT_COLUMNS: [&str; 10] = [
    "sessions",
    "counted_customers",
    "mismatched_sessions",
    "pending_sessions",
    "unrated_sessions",
    "attended",
    "comped_excluded",
    "late_cancels_added",
    "no_shows_added",
    "periods",
];

fn json_kind(column: &str) -> JsonKind {
    if column.ends_with("_id") || COUNT_COLUMNS.contains(&column) {
        JsonKind::Number
    } else if column.ends_with("_applied") {
        JsonKind::Boolean
    } else {
        JsonKind::Text
    }
}

/// One JSON object with the keys in `columns` order (the CSV's column order):
/// ids and counts as numbers, `yes`/`no` flags as booleans, other cells as
/// strings, empty cells as `null`.
pub fn json_object(columns: &[&str], cells: impl IntoIterator<Item = String>) -> String {
    let mut out = Vec::new();
    push_json_object(&mut out, columns, cells);
    // Only JSON text was written: valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// [`json_object`], appended to `out` without a string per cell.
fn push_json_object(out: &mut Vec<u8>, columns: &[&str], cells: impl IntoIterator<Item = String>) {
    out.push(b'{');
    for (i, (name, cell)) in columns.iter().zip(cells).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(out, name);
        out.push(b':');
        let whole = !cell.is_empty() && cell.len() <= 20 && cell.bytes().all(|b| b.is_ascii_digit());
        match (json_kind(name), cell.as_str()) {
            (_, "") => out.extend_from_slice(b"null"),
            (JsonKind::Number, _) if whole => out.extend_from_slice(cell.as_bytes()),
            (JsonKind::Boolean, "yes") => out.extend_from_slice(b"true"),
            (JsonKind::Boolean, "no") => out.extend_from_slice(b"false"),
            _ => push_json_string(out, &cell),
        }
    }
    out.push(b'}');
}

/// `text` as a JSON string literal, appended to `out`.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    // Writing to a Vec cannot fail, and a str always serialises.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// A JSON array with one object (from [`json_object`]) per line.
///
/// # Errors
/// The writer's.
pub fn write_json_objects(mut out: impl Write, objects: impl Iterator<Item = String>) -> io::Result<()> {
    let mut array = JsonArray::new(&mut out)?;
    for object in objects {
        array.push(object.as_bytes())?;
    }
    array.finish()?;
    out.flush()
}

/// A JSON array written as its elements come, one a line: `[`, each
/// element on a line of its own, `]` on the last; `[]` when it has none.
///
/// ```
/// use sessionpay_io::JsonArray;
///
/// let mut array = JsonArray::new(Vec::new())?;
/// array.push(b"{\"a\":1}")?;
/// array.push(b"2")?;
/// assert_eq!(array.finish()?, b"[\n{\"a\":1},\n2\n]\n");
/// assert_eq!(JsonArray::new(Vec::new())?.finish()?, b"[]\n");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct JsonArray<W> {
    out: W,
    empty: bool,
}

impl<W: Write> JsonArray<W> {
    /// Opens the array.
    ///
    /// # Errors
    /// The writer's.
    pub fn new(mut out: W) -> io::Result<JsonArray<W>> {
        out.write_all(b"[")?;
        Ok(JsonArray { out, empty: true })
    }

    /// Writes one element, `element` being its JSON text.
    ///
    /// # Errors
    /// The writer's.
    pub fn push(&mut self, element: &[u8]) -> io::Result<()> {
        self.out.write_all(if self.empty { b"\n" } else { b",\n" })?;
        self.empty = false;
        self.out.write_all(element)
    }

    /// Closes the array, handing back the writer (not flushed).
    ///
    /// # Errors
    /// The writer's.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(if self.empty { b"]\n" } else { b"\n]\n" })?;
        Ok(self.out)
    }
}

fn reconcile_fields(line: &SessionLine) -> [String; 16] {
    let s = &line.session;
    let c = s.currency;
    [
        s.id.0.to_string(),
        s.instructor.0.to_string(),
        local_start(s.starts_at, s.zone),
        s.rate.as_ref().map(|r| r.id.0.to_string()).unwrap_or_default(),
        line.pay.counted.total.to_string(),
        amount(c, line.pay.pay),
        opt_amount(c, s.reported),
        opt_amount(c, line.rec.difference),
        c.code().to_string(),
        line.rec.status.as_str().to_string(),
        line.rec
            .reason
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        s.instructor_name.to_string(),
        s.name.to_string(),
        s.venue.0.to_string(),
        s.rate
            .as_ref()
            .map(|r| r.kind.as_str().to_string())
            .unwrap_or_default(),
        hours(s.hours),
    ]
}

/// Writes reconciliation rows, in the order given (sort them by session id first).
///
/// # Errors
/// Any I/O error of `out`.
pub fn write_reconcile(out: impl Write, lines: &[SessionLine], format: Format) -> io::Result<()> {
    write_table(
        out,
        &RECONCILE_COLUMNS,
        lines.iter().map(reconcile_fields),
        format,
        &[11, 12],
    )
}

/// Writes reconciliation rows with the breakdown of both figures: ours, and,
/// for a mismatch that one change of policy explains, TeamUp's under that change.
///
/// # Errors
/// Any I/O error of `out`.
pub fn write_reconcile_explained(out: impl Write, lines: &[SessionLine], format: Format) -> io::Result<()> {
    let columns: Vec<&str> = RECONCILE_COLUMNS
        .into_iter()
        .chain(["computed_breakdown", "reported_breakdown"])
        .collect();
    let rows = lines.iter().map(|line| {
        let mut row = reconcile_fields(line).to_vec();
        let explanation = Explanation::of(line);
        row.extend([explanation.computed, explanation.reported]);
        row
    });
    write_table(out, &columns, rows, format, &[11, 12])
}

fn session_fields(line: &SessionLine) -> [String; 25] {
    let s = &line.session;
    let p = &line.pay;
    let c = s.currency;
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    [
        s.id.0.to_string(),
        s.instructor.0.to_string(),
        s.instructor_name.to_string(),
        s.name.to_string(),
        s.venue.0.to_string(),
        local_start(s.starts_at, s.zone),
        c.code().to_string(),
        s.rate.as_ref().map(|r| r.id.0.to_string()).unwrap_or_default(),
        s.rate
            .as_ref()
            .map(|r| r.kind.as_str().to_string())
            .unwrap_or_default(),
        hours(s.hours),
        p.counted.attended.to_string(),
        p.counted.comped_excluded.to_string(),
        p.counted.late_cancels_added.to_string(),
        p.counted.no_shows_added.to_string(),
        p.counted.total.to_string(),
        describe_formula(line),
        p.formula_amount.normalize().to_string(),
        yes_no(p.empty_session_pay_applied),
        yes_no(p.cap_applied),
        p.raw.normalize().to_string(),
        amount(c, p.pay),
        opt_amount(c, s.reported),
        opt_amount(c, line.rec.difference),
        line.rec.status.as_str().to_string(),
        line.rec
            .reason
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    ]
}

/// [`local_start`] written into `out` without a format string to parse:
/// `2026-06-21T13:00:00+05:30`.
fn push_local_start(out: &mut String, instant: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) {
    use chrono::{Datelike, Offset, TimeZone, Timelike};
    use std::fmt::Write as _;
    let local = instant.naive_utc();
    let offset = zone.offset_from_utc_datetime(&local).fix().local_minus_utc();
    let Some(at) = local.checked_add_signed(chrono::TimeDelta::seconds(i64::from(offset))) else {
        out.push_str(&local_start(instant, zone));
        return;
    };
    if !(0..=9999).contains(&at.year()) || offset % 60 != 0 {
        out.push_str(&local_start(instant, zone));
        return;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let minutes = offset.unsigned_abs() / 60;
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        minutes / 60,
        minutes % 60
    );
}

/// The cells of [`session_fields`], into `cells`, the names neutralised
/// for a spreadsheet (as [`write_csv_row`] does with the text columns).
fn session_cells(line: &SessionLine, cells: &mut Cells) {
    let s = &line.session;
    let p = &line.pay;
    let c = s.currency;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    cells.clear();
    cells.push_u64(s.id.0);
    cells.push_u64(s.instructor.0);
    cells.push(&neutralise(&s.instructor_name));
    cells.push(&neutralise(&s.name));
    cells.push_u64(s.venue.0);
    cells.push_with(|o| push_local_start(o, s.starts_at, s.zone));
    cells.push(c.code());
    match &s.rate {
        Some(rate) => {
            cells.push_u64(rate.id.0);
            cells.push(rate.kind.as_str());
        }
        None => {
            cells.end();
            cells.end();
        }
    }
    cells.push_with(|o| push_hours(o, s.hours));
    cells.push_u64(u64::from(p.counted.attended));
    cells.push_u64(u64::from(p.counted.comped_excluded));
    cells.push_u64(u64::from(p.counted.late_cancels_added));
    cells.push_u64(u64::from(p.counted.no_shows_added));
    cells.push_u64(p.counted.total);
    cells.push(&describe_formula(line));
    cells.push_with(|o| push_decimal(o, p.formula_amount.normalize()));
    cells.push(yes_no(p.empty_session_pay_applied));
    cells.push(yes_no(p.cap_applied));
    cells.push_with(|o| push_decimal(o, p.raw.normalize()));
    cells.push_with(|o| push_amount(o, c, p.pay));
    for figure in [s.reported, line.rec.difference] {
        cells.push_with(|o| figure.into_iter().for_each(|f| push_amount(o, c, f)));
    }
    cells.push(line.rec.status.as_str());
    cells.push(line.rec.reason.map(|r| r.as_str()).unwrap_or_default());
}

/// Writes session line items with their breakdown, in the order given.
///
/// # Errors
/// Any I/O error of `out`.
pub fn write_sessions(out: impl Write, lines: &[SessionLine], format: Format) -> io::Result<()> {
    write_table(
        out,
        &SESSION_COLUMNS,
        lines.iter().map(session_fields),
        format,
        &[2, 3],
    )
}

/// Writes rows of text cells; `text_columns` are free text from the export
/// (neutralised in CSV). In JSON, empty cells are `null`.
fn write_table<Row: AsMut<[String]> + IntoIterator<Item = String>>(
    out: impl Write,
    columns: &[&str],
    rows: impl Iterator<Item = Row>,
    format: Format,
    text_columns: &[usize],
) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut w = csv_writer(out);
            w.write_record(columns).map_err(csv_io)?;
            for mut row in rows {
                write_csv_row(&mut w, row.as_mut(), text_columns)?;
            }
            w.flush()
        }
        Format::Json => write_json_objects(out, rows.map(|row| json_object(columns, row))),
    }
}

/// A JSON array with one element per line.
///
/// # Errors
/// The writer's.
pub fn write_json_lines(out: impl Write, items: impl Iterator<Item = Value>) -> io::Result<()> {
    // A value's text is its compact JSON, as `serde_json::to_writer` writes it.
    write_json_objects(out, items.map(|item| item.to_string()))
}

/// One CSV row, its free-text cells (`text_columns`) neutralised.
fn write_csv_row<W: Write>(
    w: &mut csv::Writer<W>,
    cells: &mut [String],
    text_columns: &[usize],
) -> io::Result<()> {
    for &i in text_columns {
        if let std::borrow::Cow::Owned(safe) = neutralise(&cells[i]) {
            cells[i] = safe;
        }
    }
    w.write_record(cells.iter()).map_err(csv_io)
}

/// The per-session tables, written a row at a time by a [`TableEncoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `reconcile`'s rows ([`write_reconcile`]).
    Reconcile,
    /// `reconcile --explain`'s rows ([`write_reconcile_explained`]).
    ReconcileExplained,
    /// `sessions`'s rows ([`write_sessions`]).
    Sessions,
}

/// Encodes session lines one at a time into the bytes [`write_reconcile`],
/// [`write_reconcile_explained`] or [`write_sessions`] would write for them,
/// so rows can be encoded where they are priced, sorted as bytes
/// ([`ExternalSort`](crate::ExternalSort)) and written with
/// [`TableEncoder::write_rows`].
#[derive(Debug)]
pub struct TableEncoder {
    table: Table,
    format: Format,
    csv: csv::Writer<RowBuf>,
    cells: Cells,
}

/// The CSV writer's output, taken back after each row (the writer lends its
/// output only by shared reference).
#[derive(Debug, Default)]
struct RowBuf(std::cell::RefCell<Vec<u8>>);

impl Write for RowBuf {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.get_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TableEncoder {
    /// An encoder of `table` rows in `format`.
    pub fn new(table: Table, format: Format) -> TableEncoder {
        TableEncoder {
            table,
            format,
            csv: csv_writer(RowBuf::default()),
            cells: Cells::default(),
        }
    }

    fn columns(&self) -> Vec<&'static str> {
        match self.table {
            Table::Reconcile => RECONCILE_COLUMNS.to_vec(),
            Table::ReconcileExplained => RECONCILE_COLUMNS
                .into_iter()
                .chain(["computed_breakdown", "reported_breakdown"])
                .collect(),
            Table::Sessions => SESSION_COLUMNS.to_vec(),
        }
    }

    /// Appends the row of `line` to `out`.
    ///
    /// # Errors
    /// A row the CSV writer refuses.
    pub fn encode(&mut self, line: &SessionLine, out: &mut Vec<u8>) -> io::Result<()> {
        if (self.table, self.format) == (Table::Sessions, Format::Csv) {
            // The widest table, and the most used: its cells in one buffer.
            session_cells(line, &mut self.cells);
            self.csv.write_record(self.cells.iter()).map_err(csv_io)?;
            return self.take_row(out);
        }
        let (mut cells, text_columns): (Vec<String>, &[usize]) = match self.table {
            Table::Reconcile => (reconcile_fields(line).to_vec(), &[11, 12]),
            Table::ReconcileExplained => {
                let mut row = reconcile_fields(line).to_vec();
                let explanation = Explanation::of(line);
                row.extend([explanation.computed, explanation.reported]);
                (row, &[11, 12])
            }
            Table::Sessions => (session_fields(line).to_vec(), &[2, 3]),
        };
        match self.format {
            Format::Csv => {
                write_csv_row(&mut self.csv, &mut cells, text_columns)?;
                self.take_row(out)
            }
            Format::Json => {
                push_json_object(out, &self.columns(), cells);
                Ok(())
            }
        }
    }

    /// Moves the row the CSV writer made to `out`.
    fn take_row(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.csv.flush()?;
        let mut buf = self.csv.get_ref().0.borrow_mut();
        out.extend_from_slice(&buf);
        buf.clear();
        Ok(())
    }

    /// What comes before the rows: the header line (CSV) or `[` (JSON).
    ///
    /// # Errors
    /// None in practice: the CSV writer writes into memory.
    pub fn header(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.format {
            Format::Csv => {
                let mut header = csv_writer(&mut out);
                header.write_record(self.columns()).map_err(csv_io)?;
                header.flush()?;
            }
            Format::Json => out.push(b'['),
        }
        Ok(out)
    }

    /// What goes before a row: nothing (CSV), or a line break after `[`
    /// and a comma and a line break between rows (JSON).
    pub fn separator(&self, first: bool) -> &'static [u8] {
        match (self.format, first) {
            (Format::Csv, _) => b"",
            (Format::Json, true) => b"\n",
            (Format::Json, false) => b",\n",
        }
    }

    /// What comes after the rows (`empty`: there were none): nothing (CSV) or `]` (JSON).
    pub fn footer(&self, empty: bool) -> &'static [u8] {
        match (self.format, empty) {
            (Format::Csv, _) => b"",
            (Format::Json, true) => b"]\n",
            (Format::Json, false) => b"\n]\n",
        }
    }

    /// Writes the table to `out`: the [header](TableEncoder::header), the
    /// encoded rows that `rows` hands, in order, to the function it is
    /// given, each after its [separator](TableEncoder::separator), and the
    /// [footer](TableEncoder::footer).
    ///
    /// # Errors
    /// Any I/O error of `out` or of `rows`.
    pub fn write_rows(
        &self,
        mut out: impl Write,
        rows: impl FnOnce(&mut EachRow<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        out.write_all(&self.header()?)?;
        let mut first = true;
        rows(&mut |row| {
            out.write_all(self.separator(first))?;
            first = false;
            out.write_all(row)
        })?;
        out.write_all(self.footer(first))?;
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    proptest! {
        /// The hand-written local start is chrono's, in zones east and west,
        /// with half-hour and 45-minute offsets, across DST changes.
        #[test]
        fn the_local_start_written_by_hand_is_chronos(
            seconds in -2_208_988_800i64..32_503_680_000,
            zone in prop::sample::select(vec![
                "UTC", "Europe/London", "America/New_York", "Asia/Kolkata",
                "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns",
                "Africa/Monrovia",
            ]),
        ) {
            let zone: chrono_tz::Tz = zone.parse().expect("zone");
            let instant = chrono::DateTime::from_timestamp(seconds, 0).expect("instant");
            let mut out = String::new();
            push_local_start(&mut out, instant, zone);
            prop_assert_eq!(out, local_start(instant, zone));
        }
    }
}
