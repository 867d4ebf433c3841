//! The payroll spreadsheet: `Summary` (the payroll columns of SPEC section 6
//! with a total row per currency), `Sessions` (every line item with its
//! breakdown and status) and `Differences` (mismatches with their reasons).
//!
//! Amounts are numeric cells with the currency's number format
//! (`[$GBP] #,##0.00`, `[$JPY] #,##0`), so a spreadsheet can add them up.
//! Each sheet has a frozen header row, a filter, and column widths that fit
//! its contents. The creation date is fixed, so the same input gives the
//! same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet,
    XlsxError,
};
use sessionpay_core::{local_start, Currency, PayrollTotals, Status};
use sessionpay_io::{
    describe_formula, OutputSet, SessionLine, ADJUSTMENT_COLUMNS, PAYROLL_COLUMNS, SESSION_COLUMNS,
};

use super::{amount, explain, Report};
use crate::error::{Error, Result};

/// The columns of the `Differences` sheet.
pub(super) const DIFFERENCE_COLUMNS: [&str; 12] = [
    "session_id",
    "local_start",
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

/// Writes the workbook to `path`, staged in `outputs`.
pub(super) fn write(report: &Report<'_>, path: &Path, outputs: &mut OutputSet) -> Result<()> {
    let bytes = build(report).map_err(|e| Error::Spreadsheet {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    outputs.write(path, &bytes)?;
    Ok(())
}

/// The workbook as bytes.
pub(super) fn build(report: &Report<'_>) -> Result<Vec<u8>> {
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
        let mut sheet = Worksheet::new();
        sheet.set_name("Partial")?;
        sheet.set_tab_color(Color::RGB(0xB00020));
        sheet.set_column_width(0, 100)?;
        let warning = Format::new().set_bold().set_font_color(Color::RGB(0xB00020));
        sheet.write_string_with_format(0, 0, &banner, &warning)?;
        book.push_worksheet(sheet);
    }
    book.push_worksheet(summary(report, &styles)?);
    book.push_worksheet(sessions(report.lines, &styles)?);
    book.push_worksheet(differences(report.lines, &styles)?);
    if !report.adjustments.is_empty() {
        book.push_worksheet(adjustments(report.adjustments, &styles)?);
    }
    Ok(book.save_to_buffer()?)
}

/// The formats every sheet shares, and one money format per currency.
struct Styles {
    header: Format,
    date: Format,
    total: Format,
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
            total: Format::new().set_bold().set_border_top(FormatBorder::Thin),
        }
    }

    /// `[$GBP] #,##0.00`: the ISO code, grouped thousands, the minor unit's places.
    fn money(&self, currency: Currency) -> Format {
        Format::new().set_num_format(money_format(currency))
    }
}

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

/// A worksheet that remembers how wide each column's contents are.
struct Sheet {
    ws: Worksheet,
    widths: Vec<usize>,
}

impl Sheet {
    fn new(name: &str, columns: &[&str], styles: &Styles) -> Result<Sheet, XlsxError> {
        let mut ws = Worksheet::new();
        ws.set_name(name)?;
        let mut sheet = Sheet {
            ws,
            widths: vec![0; columns.len()],
        };
        for (col, title) in columns.iter().enumerate() {
            sheet
                .ws
                .write_string_with_format(0, col as u16, *title, &styles.header)?;
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
        Ok(sheet)
    }

    fn fit(&mut self, col: usize, chars: usize) {
        if let Some(w) = self.widths.get_mut(col) {
            *w = (*w).max(chars);
        }
    }

    fn text(&mut self, row: u32, col: usize, text: &str) -> Result<(), XlsxError> {
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

    fn date(
        &mut self,
        row: u32,
        col: usize,
        date: chrono::NaiveDate,
        format: &Format,
    ) -> Result<(), XlsxError> {
        use chrono::Datelike;
        match u16::try_from(date.year()) {
            Ok(year) if (1900..=9999).contains(&year) => {
                let d = ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8)?;
                self.ws.write_datetime_with_format(row, col as u16, &d, format)?;
                self.fit(col, 10);
                Ok(())
            }
            // Excel has no dates before 1900: keep the ISO text.
            _ => self.text(row, col, &date.to_string()),
        }
    }

    /// Sets the widths and a filter over the header and `rows` data rows.
    fn finish(mut self, rows: u32) -> Result<Worksheet, XlsxError> {
        for (col, chars) in self.widths.iter().enumerate() {
            let width = (*chars).clamp(6, 60) as f64 + 1.5;
            self.ws.set_column_width(col as u16, width)?;
        }
        self.ws.autofilter(0, 0, rows, (self.widths.len() - 1) as u16)?;
        Ok(self.ws)
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

fn summary(report: &Report<'_>, styles: &Styles) -> Result<Worksheet> {
    let mut sheet = Sheet::new("Summary", &PAYROLL_COLUMNS, styles)?;
    let mut money = MoneyFormats::new(styles);
    let mut per_currency: BTreeMap<Currency, (PayrollTotals, chrono::NaiveDate, chrono::NaiveDate)> =
        BTreeMap::new();
    let mut row = 0u32;
    for r in report.rows {
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
        for (letter, col, value) in [
            ('I', 8u16, t.computed_pay),
            ('J', 9, t.reported_pay),
            ('K', 10, difference),
        ] {
            sheet.fit(col as usize, money_width(c, value));
            let formula = Formula::new(sumif(letter)).set_result(amount(c, value));
            sheet
                .ws
                .write_formula_with_format(row, col, formula, money.total(c))?;
        }
    }
    Ok(sheet.finish(data_rows)?)
}

fn sessions(lines: &[SessionLine], styles: &Styles) -> Result<Worksheet> {
    let mut sheet = Sheet::new("Sessions", &SESSION_COLUMNS, styles)?;
    let mut money = MoneyFormats::new(styles);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut row = 0u32;
    for line in lines {
        row += 1;
        let s = &line.session;
        let p = &line.pay;
        let c = s.currency;
        sheet.int(row, 0, s.id.0)?;
        sheet.int(row, 1, s.instructor.0)?;
        sheet.text(row, 2, &s.instructor_name)?;
        sheet.text(row, 3, &s.name)?;
        sheet.int(row, 4, s.venue.0)?;
        sheet.text(row, 5, &local_start(s.starts_at, s.zone))?;
        sheet.text(row, 6, c.code())?;
        if let Some(rate) = s.rate.as_deref() {
            sheet.int(row, 7, rate.id.0)?;
            sheet.text(row, 8, rate.kind.as_str())?;
        }
        sheet.decimal(row, 9, s.hours)?;
        sheet.int(row, 10, u64::from(p.counted.attended))?;
        sheet.int(row, 11, u64::from(p.counted.comped_excluded))?;
        sheet.int(row, 12, u64::from(p.counted.late_cancels_added))?;
        sheet.int(row, 13, u64::from(p.counted.no_shows_added))?;
        sheet.int(row, 14, p.counted.total)?;
        sheet.text(row, 15, &describe_formula(line))?;
        // Unrounded figures keep their exact digits as text.
        sheet.text(row, 16, &p.formula_amount.normalize().to_string())?;
        sheet.text(row, 17, yes_no(p.empty_session_pay_applied))?;
        sheet.text(row, 18, yes_no(p.cap_applied))?;
        sheet.text(row, 19, &p.raw.normalize().to_string())?;
        sheet.money(row, 20, c, p.pay, money.get(c))?;
        if let Some(reported) = s.reported {
            sheet.money(row, 21, c, reported, money.get(c))?;
        }
        if let Some(d) = line.rec.difference {
            sheet.money(row, 22, c, d, money.get(c))?;
        }
        sheet.text(row, 23, line.rec.status.as_str())?;
        sheet.text(row, 24, line.rec.reason.map(|r| r.as_str()).unwrap_or_default())?;
    }
    Ok(sheet.finish(row)?)
}

fn differences(lines: &[SessionLine], styles: &Styles) -> Result<Worksheet> {
    let mut sheet = Sheet::new("Differences", &DIFFERENCE_COLUMNS, styles)?;
    let mut money = MoneyFormats::new(styles);
    let mut row = 0u32;
    for line in lines.iter().filter(|l| l.rec.status == Status::Mismatch) {
        row += 1;
        let s = &line.session;
        let c = s.currency;
        sheet.int(row, 0, s.id.0)?;
        sheet.text(row, 1, &local_start(s.starts_at, s.zone))?;
        sheet.int(row, 2, s.instructor.0)?;
        sheet.text(row, 3, &s.instructor_name)?;
        sheet.text(row, 4, &s.name)?;
        sheet.text(row, 5, c.code())?;
        sheet.int(row, 6, line.pay.counted.total)?;
        sheet.money(row, 7, c, line.pay.pay, money.get(c))?;
        if let Some(reported) = s.reported {
            sheet.money(row, 8, c, reported, money.get(c))?;
        }
        if let Some(d) = line.rec.difference {
            sheet.money(row, 9, c, d, money.get(c))?;
        }
        if let Some(reason) = line.rec.reason {
            sheet.text(row, 10, reason.as_str())?;
            sheet.text(row, 11, explain(reason))?;
        }
    }
    Ok(sheet.finish(row)?)
}

/// Sessions of closed periods whose pay changed after they were paid.
fn adjustments(lines: &[super::AdjustmentLine], styles: &Styles) -> Result<Worksheet> {
    let mut sheet = Sheet::new("Adjustments", &ADJUSTMENT_COLUMNS, styles)?;
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
        sheet.text(row, 7, a.change)?;
        sheet.text(row, 8, &a.what)?;
    }
    Ok(sheet.finish(row)?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
