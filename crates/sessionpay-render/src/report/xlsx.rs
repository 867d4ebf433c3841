//! The payroll spreadsheet: `Summary` (the payroll columns of SPEC section 6
//! with a total row per currency), `Sessions` (every line item with its
//! breakdown and status), `Differences` (mismatches with their reasons and a
//! total row per currency) and `Notes` (each column's heading and the name
//! the CSV and JSON outputs give it).
//!
//! Amounts are numeric cells with the currency's number format
//! (`[$GBP] #,##0.00`, `[$JPY] #,##0`), so a spreadsheet can add them up;
//! session starts are date-time cells of the venue's local time. Each sheet
//! has a frozen header row of headings for people, a filter, column widths
//! that fit its contents, and non-zero differences highlighted by a
//! conditional format. The creation date is fixed, so the same input gives
//! the same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    column_number_to_name, quote_sheet_name, Color, ConditionalFormatCell, ConditionalFormatCellRule,
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError,
};
use sessionpay_core::{Currency, PayrollTotals, Status};
use sessionpay_io::{
    describe_formula, EachRow, ExternalSort, OutputSet, SessionLine, ADJUSTMENT_COLUMNS, PAYROLL_COLUMNS,
    SESSION_COLUMNS,
};

use super::{amount, explain, Report};
use crate::error::{Error, Result};

/// The columns of the `Sessions` sheet: those of `sessionpay sessions`, with
/// the local start's offset from UTC in a column of its own (the start
/// itself is a date-time cell, which holds no offset).
pub(super) const SESSION_SHEET_COLUMNS: [&str; 26] = with_offset_column(SESSION_COLUMNS);

/// `columns` with `utc_offset` after `local_start` (a build error when
/// there is no `local_start`).
const fn with_offset_column(columns: [&'static str; 25]) -> [&'static str; 26] {
    let mut out = [""; 26];
    let (mut from, mut to) = (0, 0);
    while from < columns.len() {
        out[to] = columns[from];
        to += 1;
        if same_text(columns[from], "local_start") {
            out[to] = "utc_offset";
            to += 1;
        }
        from += 1;
    }
    assert!(to == out.len(), "the session columns have no local_start");
    out
}

/// `a == b`, in a constant.
const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The columns of the `Differences` sheet.
pub(super) const DIFFERENCE_COLUMNS: [&str; 13] = [
    "session_id",
    "local_start",
    "utc_offset",
    "instructor_id",
    "instructor_name",
    "session_name",
    "currency",
    "counted_customers",
    "computed_pay",
    "reported_pay",
    "difference",
    "reason",
    "explanation",
];

/// Excel's rows per sheet, the header row included.
pub(super) const EXCEL_ROWS: u32 = 1_048_576;

/// Excel's characters per cell; longer text is cut to fit, with [`CUT_MARK`].
const CELL_CHARS: usize = 32_767;

/// What ends a cell cut at [`CELL_CHARS`].
const CUT_MARK: &str = " [cut: over 32767 characters]";

/// The two columns the Summary gets after the payroll's with `--ledger`.
const CARRIED_COLUMNS: [&str; 2] = ["adjustments", "total_due"];

/// The heading people read for a column the CSV and JSON outputs name
/// `name`; the `Notes` sheet maps one to the other.
pub(super) fn heading(name: &str) -> &str {
    match name {
        "instructor_id" => "Instructor ID",
        "instructor_name" => "Instructor",
        "currency" => "Currency",
        "period_start" => "Period start",
        "period_end" => "Period end",
        "sessions" => "Sessions",
        "hours" => "Hours",
        "counted_customers" => "Counted customers",
        "computed_pay" => "Computed pay",
        "reported_pay" => "TeamUp's pay",
        "difference" => "Difference",
        "mismatched_sessions" => "Mismatched",
        "pending_sessions" => "Pending",
        "unrated_sessions" => "Unrated",
        "adjustments" => "Adjustments",
        "total_due" => "Total due",
        "session_id" => "Session",
        "session_name" => "Session name",
        "venue_id" => "Venue ID",
        "local_start" => "Local start",
        "utc_offset" => "UTC offset",
        "pay_rate_id" => "Rate ID",
        "rate_type" => "Rate type",
        "attended" => "Attended",
        "comped_excluded" => "Comped, not counted",
        "late_cancels_added" => "Late cancels counted",
        "no_shows_added" => "No-shows counted",
        "formula" => "Formula",
        "formula_amount" => "Formula amount",
        "empty_session_pay_applied" => "Empty-session pay",
        "cap_applied" => "Capped",
        "raw" => "Before rounding",
        "status" => "Status",
        "reason" => "Reason",
        "explanation" => "What it means",
        "paid_pay" => "Paid",
        "adjustment" => "Adjustment",
        "change" => "Change",
        "what_changed" => "What changed",
        other => other,
    }
}

/// What the `Notes` sheet says of a column beyond its names.
fn column_note(name: &str) -> &'static str {
    match name {
        "local_start" => "a date-time cell: the session's start in the venue's local time",
        "utc_offset" => {
            "the venue's offset from UTC at the start (not a CSV column: the CSV's local_start ends with it)"
        }
        "difference" => "TeamUp's pay − computed pay; highlighted when not zero",
        "explanation" => "what the reason means (not a CSV column)",
        "formula_amount" | "raw" => "text, to keep every digit",
        "adjustments" => "changes to closed periods carried into the instructor's first open row",
        "total_due" => "computed pay + adjustments",
        _ => "",
    }
}

/// Writes the workbook of `report` to `path`, staged in `outputs`; the
/// Sessions and Differences sheets from `report.lines`.
pub(super) fn write(report: &Report<'_>, path: &Path, outputs: &mut OutputSet) -> Result<()> {
    write_rows(report, path, outputs, EXCEL_ROWS, |emit| {
        let mut buf = Vec::new();
        for line in report.lines {
            buf.clear();
            encode_line(line, &mut buf)?;
            emit(&buf)?;
        }
        Ok(())
    })
}

/// Writes the workbook of `report` to `path`, staged in `outputs`, with the
/// Sessions and Differences sheets from `sorted`: the lines encoded by
/// [`encode_line`] and sorted by session id.
pub(super) fn write_sorted(
    report: &Report<'_>,
    sorted: ExternalSort,
    path: &Path,
    outputs: &mut OutputSet,
) -> Result<()> {
    write_rows(report, path, outputs, EXCEL_ROWS, |emit| {
        sorted.for_each_sorted(emit)
    })
}

/// Writes the workbook with sheets of at most `sheet_rows` rows (the header
/// included): the Sessions and Differences sheets are in constant memory,
/// row by row from the encoded lines `rows` hands out in order, continued on
/// `Sessions (2)`, `Differences (2)` … when one is full. How many of each is
/// known before any row is written, from the summary's totals.
fn write_rows(
    report: &Report<'_>,
    path: &Path,
    outputs: &mut OutputSet,
    sheet_rows: u32,
    rows: impl FnOnce(&mut EachRow<'_>) -> io::Result<()>,
) -> Result<()> {
    let failed = |e: Error| Error::Spreadsheet {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let mut file = outputs.create(path)?;
    build(report, sheet_rows, rows, &mut file).map_err(failed)?;
    outputs.add(file)?;
    Ok(())
}

/// Sheets of `per_sheet` data rows needed for `rows` rows (at least one sheet).
fn sheets_for(rows: u64, per_sheet: u32) -> u64 {
    rows.div_ceil(u64::from(per_sheet.max(1))).max(1)
}

/// The name of the `index`th (from 0) sheet of `name`: `Sessions`, `Sessions (2)` …
fn sheet_name(name: &str, index: u64) -> String {
    if index == 0 {
        name.to_string()
    } else {
        format!("{name} ({})", index + 1)
    }
}

/// Builds the workbook into `out`.
fn build(
    report: &Report<'_>,
    sheet_rows: u32,
    rows: impl FnOnce(&mut EachRow<'_>) -> io::Result<()>,
    out: &mut (impl Write + Send),
) -> Result<()> {
    let per_sheet = sheet_rows.saturating_sub(1).max(1);
    let sessions: u64 = report.rows.iter().map(|r| r.totals.sessions).sum();
    let mismatches: u64 = report.rows.iter().map(|r| r.totals.mismatched_sessions).sum();
    // The Differences sheets end with a blank row and a total row per
    // currency that has a mismatch: room for them is counted in.
    let mismatch_currencies: std::collections::BTreeSet<Currency> = report
        .rows
        .iter()
        .filter(|r| r.totals.mismatched_sessions > 0)
        .map(|r| r.currency)
        .collect();
    let total_rows = if mismatch_currencies.is_empty() {
        0
    } else {
        1 + mismatch_currencies.len() as u64
    };
    let session_sheets = sheets_for(sessions, per_sheet);
    let difference_sheets = sheets_for(mismatches + total_rows, per_sheet);
    let mut book = Workbook::new();
    // A fixed creation date (rust_xlsxwriter would stamp the current time):
    // the same payroll gives a byte-identical file.
    let created = ExcelDateTime::from_ymd(1980, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("Payroll")
            .set_comment(format!("Written by sessionpay {}", env!("CARGO_PKG_VERSION")))
            .set_creation_datetime(&created),
    );
    let styles = Styles::new();
    if let Some(banner) = super::partial_banner(report) {
        // A first sheet, the one a reader sees on opening the file.
        let sheet = book.add_worksheet();
        sheet.set_name("Partial")?;
        sheet.set_tab_color(Color::RGB(0xB00020));
        sheet.set_column_width(0, 100)?;
        let warning = Format::new().set_bold().set_font_color(Color::RGB(0xB00020));
        sheet.write_string_with_format(0, 0, &banner, &warning)?;
    }
    let summary_columns = summary_columns(report);
    summary(report, &summary_columns, &styles, book.add_worksheet())?;
    let first_sessions = book.worksheets().len();
    let mut plan = Vec::new();
    for (name, columns, count) in [
        ("Sessions", &SESSION_SHEET_COLUMNS[..], session_sheets),
        ("Differences", &DIFFERENCE_COLUMNS[..], difference_sheets),
    ] {
        for i in 0..count {
            let ws = book.add_worksheet_with_constant_memory();
            ws.set_name(sheet_name(name, i))?;
            plan.push(start_sheet(ws, columns, &styles)?);
        }
    }
    let first_differences = first_sessions + session_sheets as usize;
    let mut money = MoneyFormats::new(&styles);
    let mut written = [0u64; 2];
    let mut cells = Vec::new();
    // The exact sums of the Differences sheets' amounts, per currency.
    let mut difference_totals: BTreeMap<Currency, [Decimal; 3]> = BTreeMap::new();
    rows(&mut |bytes| {
        let mut rest = bytes;
        for (which, first, count) in [
            (0, first_sessions, session_sheets),
            (1, first_differences, difference_sheets),
        ] {
            if which == 1 {
                let (flag, tail) = rest
                    .split_first()
                    .ok_or_else(|| io::Error::other("a sorted spreadsheet row ends early"))?;
                rest = tail;
                if *flag == 0 {
                    break;
                }
            }
            let n = written[which];
            written[which] += 1;
            let index = (n / u64::from(per_sheet)).min(count - 1) as usize;
            let row = (n - index as u64 * u64::from(per_sheet)) as u32 + 1;
            let width = if which == 0 {
                SESSION_SHEET_COLUMNS.len()
            } else {
                DIFFERENCE_COLUMNS.len()
            };
            cells.clear();
            rest = decode_cells(rest, width, &mut cells).map_err(io::Error::other)?;
            if which == 1 {
                add_difference(&mut difference_totals, &cells).map_err(io::Error::other)?;
            }
            let ws = book
                .worksheet_from_index(first + index)
                .map_err(io::Error::other)?;
            let mut sheet = Sheet {
                ws,
                widths: &mut plan[first - first_sessions + index],
            };
            sheet.cells(row, &cells, &mut money).map_err(io::Error::other)?;
        }
        Ok(())
    })
    .map_err(|e| match e.downcast::<XlsxError>() {
        Ok(x) => Error::Xlsx(x),
        Err(e) => match e.downcast::<sessionpay_io::Error>() {
            Ok(e) => Error::Io(e),
            Err(e) => Error::Io(sessionpay_io::Error::io(path_of_rows(), e)),
        },
    })?;
    let rows_on = |total: u64, index: u64| -> u32 {
        total
            .saturating_sub(index * u64::from(per_sheet))
            .min(u64::from(per_sheet)) as u32
    };
    // Where each Differences sheet's rows end, for the totals' formulas.
    let difference_ranges: Vec<(String, u32)> = (0..difference_sheets)
        .map(|i| (sheet_name("Differences", i), rows_on(mismatches, i)))
        .collect();
    let session_difference = column_of(&SESSION_SHEET_COLUMNS, "difference");
    let difference_difference = column_of(&DIFFERENCE_COLUMNS, "difference");
    for (i, widths) in plan.iter_mut().enumerate() {
        let (rows_here, highlight) = if i < session_sheets as usize {
            (rows_on(sessions, i as u64), session_difference)
        } else {
            let d = (i - session_sheets as usize) as u64;
            (rows_on(mismatches, d), difference_difference)
        };
        let ws = book.worksheet_from_index(first_sessions + i)?;
        let mut sheet = Sheet { ws, widths };
        let last = i + 1 == plan_len(session_sheets, difference_sheets);
        let mut end = rows_here;
        if last && !difference_totals.is_empty() {
            end = differences_totals(
                &mut sheet,
                rows_here,
                &difference_ranges,
                &difference_totals,
                &styles,
                &mut money,
            )?;
        }
        sheet.highlight(end, highlight, &styles)?;
        sheet.finish(rows_here)?;
    }
    if !report.adjustments.is_empty() {
        adjustments(report.adjustments, &styles, book.add_worksheet())?;
    }
    notes(report, &summary_columns, &styles, book.add_worksheet())?;
    book.save_to_writer(out)?;
    Ok(())
}

/// How many Sessions and Differences sheets there are in all.
fn plan_len(session_sheets: u64, difference_sheets: u64) -> usize {
    (session_sheets + difference_sheets) as usize
}

/// The index of `name` in `columns` (a name the columns are known to hold).
fn column_of(columns: &[&str], name: &str) -> u16 {
    columns.iter().position(|c| *c == name).unwrap_or(0) as u16
}

/// Adds a Differences row's computed pay, TeamUp's pay and difference to
/// its currency's sums.
fn add_difference(
    totals: &mut BTreeMap<Currency, [Decimal; 3]>,
    cells: &[Cell],
) -> std::result::Result<(), String> {
    let at = |name| &cells[column_of(&DIFFERENCE_COLUMNS, name) as usize];
    let mut currency = None;
    let mut amounts = [Decimal::ZERO; 3];
    for (slot, name) in ["computed_pay", "reported_pay", "difference"].iter().enumerate() {
        if let Cell::Money(c, v) = at(name) {
            currency = Some(*c);
            amounts[slot] = *v;
        }
    }
    let Some(currency) = currency else {
        return Ok(());
    };
    let sums = totals.entry(currency).or_insert([Decimal::ZERO; 3]);
    for (sum, value) in sums.iter_mut().zip(amounts) {
        *sum = sum
            .checked_add(value)
            .ok_or_else(|| "an amount is too large to add up".to_string())?;
    }
    Ok(())
}

/// Writes a blank row and a total row per currency below the `rows` data
/// rows of the last Differences sheet: `SUMIF` formulas over every
/// Differences sheet (`ranges`: each one's name and data rows), with the
/// exact sums as their stored results. Returns the last row written.
fn differences_totals(
    sheet: &mut Sheet<'_>,
    rows: u32,
    ranges: &[(String, u32)],
    totals: &BTreeMap<Currency, [Decimal; 3]>,
    styles: &Styles,
    money: &mut MoneyFormats<'_>,
) -> Result<u32, XlsxError> {
    let currency_col = column_of(&DIFFERENCE_COLUMNS, "currency");
    let letter = column_number_to_name(currency_col);
    let mut row = rows + 1;
    for (c, sums) in totals {
        row += 1;
        let c = *c;
        sheet
            .ws
            .write_string_with_format(row, 0, "total", &styles.total)?;
        sheet.ws.write_string_with_format(
            row,
            column_of(&DIFFERENCE_COLUMNS, "instructor_name"),
            "all mismatches",
            &styles.total,
        )?;
        sheet
            .ws
            .write_string_with_format(row, currency_col, c.code(), &styles.total)?;
        for (name, value) in ["computed_pay", "reported_pay", "difference"].iter().zip(sums) {
            let col = column_of(&DIFFERENCE_COLUMNS, name);
            let sum = column_number_to_name(col);
            let parts: Vec<String> = ranges
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| {
                    let sheet = quote_sheet_name(name);
                    let last = n + 1;
                    format!(
                        "SUMIF({sheet}!${letter}$2:${letter}${last},\"{c}\",{sheet}!${sum}$2:${sum}${last})"
                    )
                })
                .collect();
            let formula = Formula::new(parts.join("+")).set_result(amount(c, *value));
            sheet.fit(col as usize, money_width(c, *value));
            sheet
                .ws
                .write_formula_with_format(row, col, formula, money.total(c))?;
        }
    }
    Ok(row)
}
fn path_of_rows() -> std::path::PathBuf {
    std::path::PathBuf::from("the sorted sessions")
}

/// One cell of a streamed row, as [`encode_line`] writes it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Int(u64),
    Text(String),
    Decimal(Decimal),
    Money(Currency, Decimal),
    /// A venue-local wall-clock time (no offset).
    LocalTime(chrono::NaiveDateTime),
}

const EMPTY: u8 = 0;
const INT: u8 = 1;
const TEXT: u8 = 2;
const DECIMAL: u8 = 3;
const MONEY: u8 = 4;
const LOCAL_TIME: u8 = 5;

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn put(out: &mut Vec<u8>, cell: Cell) {
    match cell {
        Cell::Empty => out.push(EMPTY),
        Cell::Int(n) => {
            out.push(INT);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Cell::Text(t) => {
            out.push(TEXT);
            put_text(out, &t);
        }
        Cell::Decimal(d) => {
            out.push(DECIMAL);
            out.extend_from_slice(&d.serialize());
        }
        Cell::Money(c, d) => {
            out.push(MONEY);
            put_text(out, c.code());
            out.extend_from_slice(&d.serialize());
        }
        Cell::LocalTime(t) => {
            out.push(LOCAL_TIME);
            let t = t.and_utc();
            out.extend_from_slice(&t.timestamp().to_le_bytes());
            out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
        }
    }
}

/// Encodes `line` as the cells of its Sessions row, then a byte 1 and the
/// cells of its Differences row for a mismatch (else a byte 0): what the
/// workbook is written from, row by row.
///
/// # Errors
/// None today; the signature is a line encoder's.
pub(super) fn encode_line(line: &SessionLine, out: &mut Vec<u8>) -> io::Result<()> {
    let s = &line.session;
    let p = &line.pay;
    let c = s.currency;
    let text = |t: &str| {
        if t.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.to_string())
        }
    };
    let yes_no = |b: bool| text(if b { "yes" } else { "no" });
    let money = |v: Option<Decimal>| v.map_or(Cell::Empty, |v| Cell::Money(c, v));
    let local = s.starts_at.with_timezone(&s.zone);
    let start = Cell::LocalTime(local.naive_local());
    let offset = text(&local.format("%:z").to_string());
    let rate = s.rate.as_deref();
    let session = [
        Cell::Int(s.id.0),
        Cell::Int(s.instructor.0),
        text(&s.instructor_name),
        text(&s.name),
        Cell::Int(s.venue.0),
        start.clone(),
        offset.clone(),
        text(c.code()),
        rate.map_or(Cell::Empty, |r| Cell::Int(r.id.0)),
        rate.map_or(Cell::Empty, |r| text(r.kind.as_str())),
        Cell::Decimal(s.hours),
        Cell::Int(u64::from(p.counted.attended)),
        Cell::Int(u64::from(p.counted.comped_excluded)),
        Cell::Int(u64::from(p.counted.late_cancels_added)),
        Cell::Int(u64::from(p.counted.no_shows_added)),
        Cell::Int(p.counted.total),
        text(&describe_formula(line)),
        // Unrounded figures keep their exact digits as text.
        text(&p.formula_amount.normalize().to_string()),
        yes_no(p.empty_session_pay_applied),
        yes_no(p.cap_applied),
        text(&p.raw.normalize().to_string()),
        Cell::Money(c, p.pay),
        money(s.reported),
        money(line.rec.difference),
        text(line.rec.status.as_str()),
        text(line.rec.reason.map(|r| r.as_str()).unwrap_or_default()),
    ];
    for cell in session {
        put(out, cell);
    }
    if line.rec.status != Status::Mismatch {
        out.push(0);
        return Ok(());
    }
    out.push(1);
    let reason = line.rec.reason;
    let difference = [
        Cell::Int(s.id.0),
        start,
        offset,
        Cell::Int(s.instructor.0),
        text(&s.instructor_name),
        text(&s.name),
        text(c.code()),
        Cell::Int(line.pay.counted.total),
        Cell::Money(c, line.pay.pay),
        money(s.reported),
        money(line.rec.difference),
        reason.map_or(Cell::Empty, |r| text(r.as_str())),
        reason.map_or(Cell::Empty, |r| text(explain(r))),
    ];
    for cell in difference {
        put(out, cell);
    }
    Ok(())
}

/// Decodes `width` cells from the front of `bytes` into `cells`; the rest.
fn decode_cells<'b>(
    mut bytes: &'b [u8],
    width: usize,
    cells: &mut Vec<Cell>,
) -> std::result::Result<&'b [u8], String> {
    fn take<'b>(bytes: &mut &'b [u8], n: usize) -> std::result::Result<&'b [u8], String> {
        if bytes.len() < n {
            return Err("a sorted spreadsheet row ends early".to_string());
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    fn u64_of(bytes: &mut &[u8]) -> std::result::Result<u64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(take(bytes, 8)?);
        Ok(u64::from_le_bytes(b))
    }
    fn text_of(bytes: &mut &[u8]) -> std::result::Result<String, String> {
        let len = usize::try_from(u64_of(bytes)?).map_err(|e| e.to_string())?;
        String::from_utf8(take(bytes, len)?.to_vec()).map_err(|e| e.to_string())
    }
    fn decimal_of(bytes: &mut &[u8]) -> std::result::Result<Decimal, String> {
        let mut b = [0u8; 16];
        b.copy_from_slice(take(bytes, 16)?);
        Ok(Decimal::deserialize(b))
    }
    for _ in 0..width {
        let tag = take(&mut bytes, 1)?[0];
        cells.push(match tag {
            EMPTY => Cell::Empty,
            INT => Cell::Int(u64_of(&mut bytes)?),
            TEXT => Cell::Text(text_of(&mut bytes)?),
            DECIMAL => Cell::Decimal(decimal_of(&mut bytes)?),
            MONEY => {
                let code = text_of(&mut bytes)?;
                let currency = Currency::try_from_code(&code).map_err(|e| e.to_string())?;
                Cell::Money(currency, decimal_of(&mut bytes)?)
            }
            LOCAL_TIME => {
                let secs = u64_of(&mut bytes)? as i64;
                let mut n = [0u8; 4];
                n.copy_from_slice(take(&mut bytes, 4)?);
                let nanos = u32::from_le_bytes(n);
                let t = chrono::DateTime::from_timestamp(secs, nanos)
                    .ok_or_else(|| "a sorted spreadsheet row has a time out of range".to_string())?;
                Cell::LocalTime(t.naive_utc())
            }
            other => {
                return Err(format!(
                    "a sorted spreadsheet row has an unknown cell tag {other}"
                ))
            }
        });
    }
    Ok(bytes)
}

/// Starts a sheet: its header row, frozen, printed landscape; the widths of its titles.
fn start_sheet(ws: &mut Worksheet, columns: &[&str], styles: &Styles) -> Result<Vec<usize>, XlsxError> {
    let mut widths = vec![0; columns.len()];
    let mut sheet = Sheet {
        ws,
        widths: &mut widths,
    };
    for (col, name) in columns.iter().enumerate() {
        let title = heading(name);
        sheet
            .ws
            .write_string_with_format(0, col as u16, title, &styles.header)?;
        // Room for the filter button beside the title.
        sheet.fit(col, title.chars().count() + 3);
    }
    sheet.ws.set_freeze_panes(1, 0)?;
    sheet
        .ws
        .set_landscape()
        .set_paper_size(9)
        .set_print_fit_to_pages(1, 0);
    sheet.ws.set_repeat_rows(0, 0)?;
    Ok(widths)
}

/// The formats every sheet shares, and one money format per currency.
struct Styles {
    header: Format,
    date: Format,
    datetime: Format,
    total: Format,
    /// What a non-zero difference looks like: dark red on light red.
    highlight: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE8EDF2))
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
            datetime: Format::new()
                .set_num_format(DATETIME_FORMAT)
                .set_align(FormatAlign::Left),
            total: Format::new().set_bold().set_border_top(FormatBorder::Thin),
            highlight: Format::new()
                .set_font_color(Color::RGB(0x9C0006))
                .set_background_color(Color::RGB(0xFFC7CE)),
        }
    }

    /// `[$GBP] #,##0.00`: the ISO code, grouped thousands, the minor unit's places.
    fn money(&self, currency: Currency) -> Format {
        Format::new().set_num_format(money_format(currency))
    }
}

/// How a local start shows: `Mon 28 Sep 2026 04:45`.
const DATETIME_FORMAT: &str = "ddd d mmm yyyy hh:mm";

fn money_format(currency: Currency) -> String {
    let places = currency.minor_units() as usize;
    if places == 0 {
        format!("[${}] #,##0", currency.code())
    } else {
        format!("[${}] #,##0.{}", currency.code(), "0".repeat(places))
    }
}

/// The spreadsheet cell value of an exact decimal.
///
/// rust_xlsxwriter takes numeric cells only as `f64`, so this is the one
/// place a decimal becomes a float: at the very end, for the cell. Amounts at
/// a currency's minor unit convert to the nearest double, whose shortest form
/// (what the file stores) reads back as the same decimal; the tests check
/// every amount against the CSV summary's exact text.
fn cell_number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(f64::NAN)
}

/// A worksheet and how wide each column's contents are.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    widths: &'a mut Vec<usize>,
}

impl Sheet<'_> {
    /// Writes the decoded `cells` of one row.
    fn cells(&mut self, row: u32, cells: &[Cell], money: &mut MoneyFormats<'_>) -> Result<(), XlsxError> {
        for (col, cell) in cells.iter().enumerate() {
            match cell {
                Cell::Empty => {}
                Cell::Int(n) => self.int(row, col, *n)?,
                Cell::Text(t) => self.text(row, col, t)?,
                Cell::Decimal(d) => self.decimal(row, col, *d)?,
                Cell::Money(c, v) => self.money(row, col, *c, *v, money.get(*c))?,
                Cell::LocalTime(t) => self.datetime(row, col, *t, &money.styles.datetime)?,
            }
        }
        Ok(())
    }

    fn fit(&mut self, col: usize, chars: usize) {
        if let Some(w) = self.widths.get_mut(col) {
            *w = (*w).max(chars);
        }
    }

    /// Text, cut with [`CUT_MARK`] past Excel's cell limit.
    fn text(&mut self, row: u32, col: usize, text: &str) -> Result<(), XlsxError> {
        let cut;
        let text = match text.char_indices().nth(CELL_CHARS) {
            Some(_) => {
                let keep = CELL_CHARS - CUT_MARK.chars().count();
                let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
                cut = format!("{}{CUT_MARK}", &text[..end]);
                &cut
            }
            None => text,
        };
        if !text.is_empty() {
            self.ws.write_string(row, col as u16, text)?;
        }
        self.fit(col, text.chars().count());
        Ok(())
    }

    /// A whole number; past 2^53 (beyond what a float holds exactly) as text.
    fn int(&mut self, row: u32, col: usize, value: u64) -> Result<(), XlsxError> {
        if value <= 1 << 53 {
            // Exact: every integer up to 2^53 is a double.
            self.ws.write_number(row, col as u16, value as f64)?;
            self.fit(col, value.to_string().len());
            Ok(())
        } else {
            self.text(row, col, &value.to_string())
        }
    }

    /// Hours and other plain decimals, in the General format.
    fn decimal(&mut self, row: u32, col: usize, value: Decimal) -> Result<(), XlsxError> {
        self.ws.write_number(row, col as u16, cell_number(value))?;
        self.fit(col, sessionpay_io::hours(value).len());
        Ok(())
    }

    fn money(
        &mut self,
        row: u32,
        col: usize,
        currency: Currency,
        value: Decimal,
        format: &Format,
    ) -> Result<(), XlsxError> {
        let value = currency.round(value, sessionpay_core::RoundingMode::HalfUp);
        self.ws
            .write_number_with_format(row, col as u16, cell_number(value), format)?;
        self.fit(col, money_width(currency, value));
        Ok(())
    }

    /// A date cell, or ISO text outside Excel's years.
    fn date(
        &mut self,
        row: u32,
        col: usize,
        date: chrono::NaiveDate,
        format: &Format,
    ) -> Result<(), XlsxError> {
        // Midnight is the date's own serial number: the cell is the same.
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        self.moment(row, col, midnight, format, 10, || date.to_string())
    }

    /// A venue-local start as a date-time cell, or ISO text outside Excel's
    /// years.
    fn datetime(
        &mut self,
        row: u32,
        col: usize,
        t: chrono::NaiveDateTime,
        format: &Format,
    ) -> Result<(), XlsxError> {
        self.moment(row, col, t, format, 21, || {
            t.format("%Y-%m-%dT%H:%M:%S").to_string()
        })
    }

    /// `t` as a date-time cell in `format`, `width` characters wide; outside
    /// Excel's years (1900 to 9999) the text `iso` makes instead.
    fn moment(
        &mut self,
        row: u32,
        col: usize,
        t: chrono::NaiveDateTime,
        format: &Format,
        width: usize,
        iso: impl FnOnce() -> String,
    ) -> Result<(), XlsxError> {
        use chrono::{Datelike, Timelike};
        match u16::try_from(t.year()) {
            Ok(year) if (1900..=9999).contains(&year) => {
                // Whole seconds: a start has no finer part worth a float's doubt.
                let d = ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
                    t.hour() as u16,
                    t.minute() as u8,
                    t.second(),
                )?;
                self.ws.write_datetime_with_format(row, col as u16, &d, format)?;
                self.fit(col, width);
                Ok(())
            }
            _ => self.text(row, col, &iso()),
        }
    }

    /// Highlights the non-zero cells of column `col` in rows 1 to `last`
    /// (a conditional format, so it follows edits in the sheet).
    fn highlight(&mut self, last: u32, col: u16, styles: &Styles) -> Result<(), XlsxError> {
        if last == 0 {
            return Ok(());
        }
        let rule = ConditionalFormatCell::new()
            .set_rule(ConditionalFormatCellRule::NotEqualTo(0))
            .set_format(&styles.highlight);
        self.ws.add_conditional_format(1, col, last, col, &rule)?;
        Ok(())
    }

    /// Sets the widths and a filter over the header and `rows` data rows.
    fn finish(self, rows: u32) -> Result<(), XlsxError> {
        for (col, chars) in self.widths.iter().enumerate() {
            let width = (*chars).clamp(6, 60) as f64 + 1.5;
            self.ws.set_column_width(col as u16, width)?;
        }
        self.ws.autofilter(0, 0, rows, (self.widths.len() - 1) as u16)?;
        Ok(())
    }
}

/// The characters an amount takes with its format: `GBP 12,345.50`.
fn money_width(currency: Currency, value: Decimal) -> usize {
    let plain = amount(currency, value);
    let int_digits = plain
        .trim_start_matches('-')
        .split('.')
        .next()
        .map_or(0, str::len);
    plain.len() + int_digits.saturating_sub(1) / 3 + 4
}

/// Money formats by currency, made once each.
struct MoneyFormats<'a> {
    styles: &'a Styles,
    formats: BTreeMap<Currency, Format>,
    totals: BTreeMap<Currency, Format>,
}

impl<'a> MoneyFormats<'a> {
    fn new(styles: &'a Styles) -> MoneyFormats<'a> {
        MoneyFormats {
            styles,
            formats: BTreeMap::new(),
            totals: BTreeMap::new(),
        }
    }

    fn get(&mut self, currency: Currency) -> &Format {
        self.formats
            .entry(currency)
            .or_insert_with(|| self.styles.money(currency))
    }

    fn total(&mut self, currency: Currency) -> &Format {
        self.totals.entry(currency).or_insert_with(|| {
            Format::new()
                .set_bold()
                .set_border_top(FormatBorder::Thin)
                .set_num_format(money_format(currency))
        })
    }
}

/// The Summary's columns: the payroll's, then with a ledger `adjustments`
/// and `total_due`.
fn summary_columns(report: &Report<'_>) -> Vec<&'static str> {
    let mut columns = PAYROLL_COLUMNS.to_vec();
    if report.ledger {
        columns.extend(CARRIED_COLUMNS);
    }
    columns
}

fn summary(report: &Report<'_>, columns: &[&str], styles: &Styles, ws: &mut Worksheet) -> Result<()> {
    ws.set_name("Summary")?;
    let carried = report.carried()?;
    let mut widths = start_sheet(ws, columns, styles)?;
    let mut sheet = Sheet {
        ws,
        widths: &mut widths,
    };
    let mut money = MoneyFormats::new(styles);
    let mut per_currency: BTreeMap<Currency, (PayrollTotals, chrono::NaiveDate, chrono::NaiveDate)> =
        BTreeMap::new();
    // Each currency's adjustments and total due, with a ledger.
    let mut per_currency_due: BTreeMap<Currency, [Decimal; 2]> = BTreeMap::new();
    let mut row = 0u32;
    for (r, adjustments) in report.rows.iter().zip(&carried) {
        row += 1;
        let t = &r.totals;
        let c = r.currency;
        sheet.int(row, 0, r.instructor.0)?;
        sheet.text(row, 1, &r.instructor_name)?;
        sheet.text(row, 2, c.code())?;
        sheet.date(row, 3, r.period.start, &styles.date)?;
        sheet.date(row, 4, r.period.end, &styles.date)?;
        sheet.int(row, 5, t.sessions)?;
        sheet.decimal(row, 6, t.hours)?;
        sheet.int(row, 7, t.counted_customers)?;
        sheet.money(row, 8, c, t.computed_pay, money.get(c))?;
        sheet.money(row, 9, c, t.reported_pay, money.get(c))?;
        sheet.money(row, 10, c, r.difference, money.get(c))?;
        sheet.int(row, 11, t.mismatched_sessions)?;
        sheet.int(row, 12, t.pending_sessions)?;
        sheet.int(row, 13, t.unrated_sessions)?;
        if report.ledger {
            let due = t
                .computed_pay
                .checked_add(*adjustments)
                .ok_or(crate::error::AMOUNT_OVERFLOW)?;
            sheet.money(row, 14, c, *adjustments, money.get(c))?;
            sheet.money(row, 15, c, due, money.get(c))?;
            let sums = per_currency_due.entry(c).or_default();
            for (sum, value) in sums.iter_mut().zip([*adjustments, due]) {
                *sum = sum.checked_add(value).ok_or(crate::error::AMOUNT_OVERFLOW)?;
            }
        }
        let entry = per_currency
            .entry(c)
            .or_insert((PayrollTotals::default(), r.period.start, r.period.end));
        entry.0.merge(t)?;
        entry.1 = entry.1.min(r.period.start);
        entry.2 = entry.2.max(r.period.end);
    }
    let data_rows = row;
    // A blank row, then one total row per currency: a SUMIF over the rows
    // above (so edits in the sheet carry through), with the exact total as
    // the formula's stored result.
    row += 1;
    for (c, (t, first, last)) in &per_currency {
        row += 1;
        let c = *c;
        let total_style = &styles.total;
        sheet.ws.write_string_with_format(row, 0, "total", total_style)?;
        sheet
            .ws
            .write_string_with_format(row, 1, "all instructors", total_style)?;
        sheet.ws.write_string_with_format(row, 2, c.code(), total_style)?;
        sheet.fit(1, "all instructors".len());
        sheet.date(row, 3, *first, &styles.date)?;
        sheet.date(row, 4, *last, &styles.date)?;
        let last_row = data_rows + 1;
        let sumif = |col: char| format!("SUMIF($C$2:$C${last_row},\"{c}\",{col}$2:{col}${last_row})");
        let plain = [
            ('F', 5usize, t.sessions.to_string()),
            ('G', 6, sessionpay_io::hours(t.hours)),
            ('H', 7, t.counted_customers.to_string()),
            ('L', 11, t.mismatched_sessions.to_string()),
            ('M', 12, t.pending_sessions.to_string()),
            ('N', 13, t.unrated_sessions.to_string()),
        ];
        for (letter, col, result) in plain {
            sheet.fit(col, result.len());
            let formula = Formula::new(sumif(letter)).set_result(result);
            sheet
                .ws
                .write_formula_with_format(row, col as u16, formula, total_style)?;
        }
        let difference = t.difference()?;
        let mut amounts = vec![
            ('I', 8u16, t.computed_pay),
            ('J', 9, t.reported_pay),
            ('K', 10, difference),
        ];
        if let Some([adjustments, due]) = per_currency_due.get(&c) {
            amounts.extend([('O', 14, *adjustments), ('P', 15, *due)]);
        }
        for (letter, col, value) in amounts {
            sheet.fit(col as usize, money_width(c, value));
            let formula = Formula::new(sumif(letter)).set_result(amount(c, value));
            sheet
                .ws
                .write_formula_with_format(row, col, formula, money.total(c))?;
        }
    }
    sheet.highlight(row, column_of(columns, "difference"), styles)?;
    Ok(sheet.finish(data_rows)?)
}

/// The `Notes` sheet: for every column of every sheet, its heading and the
/// name the CSV and JSON outputs give it (what scripts match on).
fn notes(report: &Report<'_>, summary: &[&str], styles: &Styles, ws: &mut Worksheet) -> Result<()> {
    ws.set_name("Notes")?;
    let mut widths = start_sheet(ws, &NOTES_COLUMNS, styles)?;
    let mut sheet = Sheet {
        ws,
        widths: &mut widths,
    };
    let mut sheets: Vec<(&str, &[&str])> = vec![
        ("Summary", summary),
        ("Sessions", &SESSION_SHEET_COLUMNS),
        ("Differences", &DIFFERENCE_COLUMNS),
    ];
    if !report.adjustments.is_empty() {
        sheets.push(("Adjustments", &ADJUSTMENT_COLUMNS));
    }
    let mut row = 0u32;
    for (name, columns) in sheets {
        for (col, column) in columns.iter().enumerate() {
            row += 1;
            sheet.text(row, 0, name)?;
            sheet.text(row, 1, &column_number_to_name(col as u16))?;
            sheet.text(row, 2, heading(column))?;
            sheet.text(row, 3, column)?;
            sheet.text(row, 4, column_note(column))?;
        }
    }
    let data_rows = row;
    sheet.ws.write_string(
        row + 2,
        0,
        "Sheets past Excel's 1,048,576 rows continue as Sessions (2), Differences (2) …, with the same columns.",
    )?;
    Ok(sheet.finish(data_rows)?)
}

/// The columns of the `Notes` sheet (headings already: [`heading`] keeps them).
const NOTES_COLUMNS: [&str; 5] = ["Sheet", "Column", "Heading", "Name in the CSV and JSON", "Note"];

/// Sessions of closed periods whose pay changed after they were paid.
fn adjustments(lines: &[sessionpay_core::Adjustment], styles: &Styles, ws: &mut Worksheet) -> Result<()> {
    ws.set_name("Adjustments")?;
    let mut widths = start_sheet(ws, &ADJUSTMENT_COLUMNS, styles)?;
    let mut sheet = Sheet {
        ws,
        widths: &mut widths,
    };
    let mut money = MoneyFormats::new(styles);
    let mut row = 0u32;
    for a in lines {
        row += 1;
        let c = a.currency;
        sheet.int(row, 0, a.session)?;
        sheet.int(row, 1, a.instructor.0)?;
        sheet.text(row, 2, c.code())?;
        sheet.date(row, 3, a.period_start, &styles.date)?;
        sheet.money(row, 4, c, a.paid, money.get(c))?;
        sheet.money(row, 5, c, a.computed, money.get(c))?;
        sheet.money(row, 6, c, a.adjustment, money.get(c))?;
        sheet.text(row, 7, a.change.as_str())?;
        sheet.text(row, 8, &a.what)?;
    }
    Ok(sheet.finish(row)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    use calamine::{Data, Reader, Xlsx};
    use sessionpay_core::{Payroll, PeriodKind};

    /// `n` sessions of rate 3 in London; every third one's reported figure
    /// is off, and session 2's name is longer than a cell holds.
    fn lines(n: u64) -> Vec<SessionLine> {
        let long = "N".repeat(CELL_CHARS + 10);
        let mut csv = String::from(crate::report::TEST_HEADER);
        for id in 1..=n {
            let name = if id == 2 { long.as_str() } else { "Ana" };
            let paid = if id % 3 == 0 { "21.00" } else { "20.00" };
            csv.push_str(&format!(
                "{id},7,{name},2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,GBP {paid},false\n"
            ));
        }
        crate::report::priced_lines(&csv, |_| "GBP")
    }

    fn workbook(lines: &[SessionLine], sheet_rows: u32) -> Xlsx<std::io::Cursor<Vec<u8>>> {
        let mut payroll = Payroll::new(PeriodKind::Month);
        let mut refs = Vec::new();
        for line in lines {
            refs.extend(payroll.add(&line.session, &line.pay, &line.rec).unwrap());
        }
        let (rows, line_rows) = payroll.rows_for(refs).unwrap();
        let report = Report {
            rows: &rows,
            lines,
            line_rows: &line_rows,
            inputs: &[],
            policy: None,
            period: PeriodKind::Month,
            from: None,
            to: None,
            rejected: 0,
            adjustments: &[],
            ledger: false,
        };
        let mut bytes = Vec::new();
        build(
            &report,
            sheet_rows,
            |emit| {
                let mut buf = Vec::new();
                for line in lines {
                    buf.clear();
                    encode_line(line, &mut buf)?;
                    emit(&buf)?;
                }
                Ok(())
            },
            &mut bytes,
        )
        .unwrap();
        Xlsx::new(std::io::Cursor::new(bytes)).unwrap()
    }

    fn column(book: &mut Xlsx<std::io::Cursor<Vec<u8>>>, sheet: &str, col: usize) -> Vec<Data> {
        let range = book
            .worksheet_range(sheet)
            .unwrap_or_else(|e| panic!("{sheet}: {e}"));
        range.rows().skip(1).map(|r| r[col].clone()).collect()
    }

    #[test]
    fn full_sheets_continue_on_numbered_sheets_with_every_session_once() {
        let lines = lines(11);
        // Three rows a sheet: the header and two sessions.
        let mut book = workbook(&lines, 3);
        let sessions = [
            "Sessions",
            "Sessions (2)",
            "Sessions (3)",
            "Sessions (4)",
            "Sessions (5)",
            "Sessions (6)",
        ];
        let mut names = vec!["Summary"];
        names.extend(sessions);
        // Three mismatches, a blank row and a total: five rows, on three sheets.
        names.extend(["Differences", "Differences (2)", "Differences (3)", "Notes"]);
        assert_eq!(book.sheet_names(), names);
        let mut ids = Vec::new();
        for sheet in sessions {
            let range = book.worksheet_range(sheet).unwrap();
            assert_eq!(
                range.rows().next().unwrap()[0],
                Data::String("Session".into()),
                "{sheet}"
            );
            ids.extend(column(&mut book, sheet, 0));
        }
        let expected: Vec<Data> = (1..=11).map(|id| Data::Float(id as f64)).collect();
        assert_eq!(ids, expected);
        let mut differences = column(&mut book, "Differences", 0);
        differences.extend(column(&mut book, "Differences (2)", 0));
        assert_eq!(differences, [3.0, 6.0, 9.0].map(Data::Float));
        // The last one holds the blank row and the total over every Differences sheet.
        let last = book.worksheet_range("Differences (3)").unwrap();
        let total: Vec<&[Data]> = last.rows().collect();
        assert_eq!(total.len(), 3, "{total:?}");
        assert_eq!(total[2][0], Data::String("total".into()));
        let difference = column_of(&DIFFERENCE_COLUMNS, "difference") as usize;
        assert_eq!(
            total[2][difference],
            Data::Float(3.0),
            "TeamUp 1.00 over on three"
        );
        let formulas = book.worksheet_formula("Differences (3)").unwrap();
        let formula = formulas.get_value((2, difference as u32)).unwrap();
        assert!(
            formula.contains("'Differences (2)'!$G$2:$G$2") && formula.contains("Differences!$G$2:$G$3"),
            "{formula}"
        );
        // The summary's totals do not depend on the sheets: 11 sessions, 3 mismatched.
        let summary = book.worksheet_range("Summary").unwrap();
        let first = summary.rows().nth(1).unwrap();
        assert_eq!(first[5], Data::Float(11.0));
        assert_eq!(first[11], Data::Float(3.0));
        // The same sessions on one sheet when they fit.
        let mut one = workbook(&lines, EXCEL_ROWS);
        assert_eq!(one.sheet_names(), ["Summary", "Sessions", "Differences", "Notes"]);
        assert_eq!(column(&mut one, "Sessions", 0), expected);
    }

    #[test]
    fn a_name_longer_than_a_cell_is_cut_with_a_marker() {
        let mut book = workbook(&lines(2), EXCEL_ROWS);
        let names = column(&mut book, "Sessions", 2);
        let Data::String(cut) = &names[1] else {
            panic!("{:?}", names[1]);
        };
        assert_eq!(cut.chars().count(), CELL_CHARS);
        assert!(cut.ends_with(CUT_MARK), "{}", &cut[cut.len() - 40..]);
        assert_eq!(names[0], Data::String("Ana".into()));
    }

    #[test]
    fn the_sessions_sheet_has_the_sessions_columns_with_the_offset_after_the_start() {
        let at = SESSION_SHEET_COLUMNS
            .iter()
            .position(|c| *c == "utc_offset")
            .unwrap();
        assert_eq!(SESSION_SHEET_COLUMNS[at - 1], "local_start");
        let mut without = SESSION_SHEET_COLUMNS.to_vec();
        without.remove(at);
        assert_eq!(without, SESSION_COLUMNS);
    }

    #[test]
    fn the_sheets_excel_needs_are_counted_from_the_row_limit() {
        let per_sheet = EXCEL_ROWS - 1;
        assert_eq!(sheets_for(0, per_sheet), 1);
        assert_eq!(sheets_for(u64::from(per_sheet), per_sheet), 1);
        assert_eq!(sheets_for(u64::from(per_sheet) + 1, per_sheet), 2);
        assert_eq!(sheets_for(2_000_000, per_sheet), 2);
        assert_eq!(sheets_for(10_000_000, per_sheet), 10);
        assert_eq!(sheet_name("Sessions", 0), "Sessions");
        assert_eq!(sheet_name("Sessions", 1), "Sessions (2)");
    }

    #[test]
    fn money_formats_follow_the_minor_unit() {
        let c = |code| Currency::try_from_code(code).unwrap();
        assert_eq!(money_format(c("GBP")), "[$GBP] #,##0.00");
        assert_eq!(money_format(c("JPY")), "[$JPY] #,##0");
        assert_eq!(money_format(c("KWD")), "[$KWD] #,##0.000");
    }

    #[test]
    fn amounts_at_the_minor_unit_survive_the_cell_value() {
        // The file stores the double's shortest form; it must read back as the decimal.
        for text in [
            "0.10",
            "74.25",
            "1234.56",
            "-0.01",
            "99999999.99",
            "1200",
            "12.345",
        ] {
            let d: Decimal = text.parse().unwrap();
            let back: Decimal = cell_number(d).to_string().parse().unwrap();
            assert_eq!(back, d, "{text}");
        }
    }
}
