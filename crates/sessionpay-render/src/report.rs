//! The payroll as people read it: a spreadsheet (`--format xlsx`), a report
//! page for the payroll review (`--format html`) and one statement per
//! instructor and period (`--statements DIR`).
//!
//! Every amount is the exact decimal of the CSV summary, formatted at the
//! currency's minor unit by [`sessionpay_core::Currency::format`]. No file
//! carries a timestamp, so the same input gives the same bytes.

mod inputs;
pub(crate) mod markup;
mod page;
mod statements;
mod xlsx;

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sessionpay_core::{Currency, LineRows, PayrollRow, PeriodKind, Reason};
use sessionpay_io::{Input, OutputSet, SessionLine};

use crate::error::Result;

/// Everything a payroll output may show.
pub struct Report<'a> {
    /// The summary rows, sorted by instructor, currency and period.
    pub rows: &'a [PayrollRow],
    /// Every session in range, sorted by session id.
    pub lines: &'a [SessionLine],
    /// The row in `rows` of each of `lines`.
    pub line_rows: &'a LineRows,
    /// The inputs read (for their checksums).
    pub inputs: &'a [Input],
    /// The rate policy file, if one was given (checksummed with the inputs).
    pub policy: Option<&'a Path>,
    /// How sessions were bucketed.
    pub period: PeriodKind,
    /// `--from`, if given.
    pub from: Option<NaiveDate>,
    /// `--to`, if given.
    pub to: Option<NaiveDate>,
    /// Rows left out under `--skip-invalid --allow-rejects` (0: none): every
    /// output then says it is partial.
    pub rejected: u64,
    /// Sessions of closed periods whose pay changed after they were paid
    /// (`--ledger`), each carried into its instructor × currency's first row
    /// of `rows`; empty without a ledger.
    pub adjustments: &'a [sessionpay_core::Adjustment],
    /// Whether the payroll was computed against a ledger (`--ledger`): the
    /// outputs then show each row's adjustments and total due, zero or not.
    pub ledger: bool,
}

/// What a run kept of its sessions for the outputs that list them, each
/// `None` when the report's own `lines` were kept instead.
#[derive(Debug, Default)]
pub struct Kept {
    /// Every line encoded by [`encode_xlsx_line`], sorted by id.
    pub sorted: Option<sessionpay_io::ExternalSort>,
    /// Every line encoded by [`encode_statement_line`], sorted by
    /// [`sessionpay_io::statement_key`].
    pub statements: Option<sessionpay_io::ExternalSort<sessionpay_io::StatementKey>>,
    /// What the report page shows of the lines ([`html_digest`]).
    pub digest: Option<sessionpay_io::LineDigest>,
}

/// Writes the payroll spreadsheet to `path`, staged in `outputs`. With
/// `sorted` (every line of the report's range encoded by
/// [`encode_xlsx_line`] and sorted by id), its Sessions and Differences
/// sheets come from there and `report.lines` is not read. The workbook is
/// written in constant memory.
pub fn write_xlsx(
    report: &Report<'_>,
    sorted: Option<sessionpay_io::ExternalSort>,
    path: &Path,
    outputs: &mut OutputSet,
) -> Result<()> {
    match sorted {
        Some(sorted) => xlsx::write_sorted(report, sorted, path, outputs),
        None => xlsx::write(report, path, outputs),
    }
}

/// Encodes a session line as the rows it gives in the spreadsheet, for
/// [`Kept::sorted`].
///
/// # Errors
/// None today: the signature is a line encoder's.
pub fn encode_xlsx_line(line: &SessionLine, out: &mut Vec<u8>) -> std::io::Result<()> {
    xlsx::encode_line(line, out)
}

/// Writes the report page; with `digest` (what the page shows of the
/// sessions, kept in bounded memory by [`html_digest`]) from there, and
/// `report.lines` is not read.
pub fn write_html(
    report: &Report<'_>,
    digest: Option<&sessionpay_io::LineDigest>,
    out: &mut dyn Write,
) -> Result<()> {
    page::write(report, digest, out)
}

/// An empty digest of what the report page shows of the sessions: the
/// counts, and the biggest mismatches of each currency.
pub fn html_digest() -> sessionpay_io::LineDigest {
    sessionpay_io::LineDigest::new(page::BIGGEST)
}

/// Writes one statement per instructor and period into `dir`, and an
/// `index.html` linking them: the folder is staged in `outputs` and replaced
/// as a whole when they are committed. With `sorted` (every line of the
/// report's range encoded by [`encode_statement_line`] and sorted by
/// [`sessionpay_io::statement_key`]) the lines come from there, one
/// statement in memory at a time, and `report.lines` is not read. Returns
/// how many statements it wrote.
pub fn write_statements(
    report: &Report<'_>,
    sorted: Option<sessionpay_io::ExternalSort<sessionpay_io::StatementKey>>,
    dir: &Path,
    outputs: &mut OutputSet,
) -> Result<usize> {
    match sorted {
        Some(sorted) => statements::write_sorted(report, sorted, dir, outputs),
        None => statements::write(report, dir, outputs),
    }
}

/// Encodes a session line as its row of a statement, for [`Kept::statements`].
///
/// # Errors
/// None today: the signature is a line encoder's.
pub fn encode_statement_line(line: &SessionLine, out: &mut Vec<u8>) -> std::io::Result<()> {
    statements::encode_line(line, out)
}

/// The words of the banner a partial payroll carries, or `None` for a whole one.
pub fn partial_banner(report: &Report<'_>) -> Option<String> {
    (report.rejected > 0).then(|| {
        format!(
            "partial: {} row{} rejected (left out under --skip-invalid --allow-rejects); these figures are incomplete",
            report.rejected,
            if report.rejected == 1 { "" } else { "s" }
        )
    })
}

/// An amount as the CSV summary writes it (`1234.50`, JPY `1200`).
pub(crate) fn amount(currency: Currency, value: Decimal) -> String {
    currency.format(value)
}

/// What a mismatch reason means, in words, for readers of the outputs.
pub fn explain(reason: Reason) -> &'static str {
    match reason {
        Reason::CompedCounted => "matches if comped attendees count",
        Reason::CompedNotCounted => "matches if comped attendees do not count",
        Reason::LateCancelsCounted => "matches if late cancellations count",
        Reason::LateCancelsNotCounted => "matches if late cancellations do not count",
        Reason::NoShowsCounted => "matches if no-shows count",
        Reason::NoShowsNotCounted => "matches if no-shows do not count",
        Reason::TierMode => "matches with the other tier mode (slab or graduated)",
        Reason::Rounding => "matches with the other rounding mode",
        Reason::HoursBasis => "matches with the other hours basis (reported or whole minutes)",
        Reason::Cap => "matches without the cap, or with the cap at TeamUp's figure",
        Reason::EmptySessionPay => "nobody was counted; matches with another empty-session pay",
        Reason::WithinOneMinorUnit => "no single setting explains it, but it is one minor unit off at most",
        Reason::Unexplained => "no single setting explains it",
    }
}

/// The period kind in words.
pub fn describe_period(kind: PeriodKind) -> String {
    match kind {
        PeriodKind::Month => "monthly".to_string(),
        PeriodKind::Semimonth => "semimonthly (1st–15th, 16th–end)".to_string(),
        PeriodKind::Week { start } => format!("weekly, from {start}"),
        PeriodKind::Fortnight { anchor } => format!("fortnightly, from {anchor}"),
        PeriodKind::All => "one period".to_string(),
    }
}

impl Report<'_> {
    /// The adjustments carried into each of `rows`: each instructor ×
    /// currency's sum goes into its first row (rows are sorted by
    /// instructor, currency and period), every other row gets 0.
    pub(crate) fn carried(&self) -> Result<Vec<Decimal>> {
        let mut sums: std::collections::BTreeMap<(sessionpay_core::InstructorId, Currency), Decimal> =
            std::collections::BTreeMap::new();
        for a in self.adjustments {
            let sum = sums.entry((a.instructor, a.currency)).or_default();
            *sum = sum
                .checked_add(a.adjustment)
                .ok_or(crate::error::AMOUNT_OVERFLOW)?;
        }
        Ok(self
            .rows
            .iter()
            .map(|r| sums.remove(&(r.instructor, r.currency)).unwrap_or_default())
            .collect())
    }

    /// The first and last dates the report covers: `--from`/`--to` where
    /// given, else the first period's start and the last period's end.
    pub fn span(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.rows.iter().map(|r| r.period.start).min();
        let last = self.rows.iter().map(|r| r.period.end).max();
        match (self.from.or(first), self.to.or(last)) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    }
}

/// The header of the CSV exports the renderers' tests build.
#[cfg(test)]
const TEST_HEADER: &str = "id,instructor.id,instructor.name,starts_at,venue.id,venue_timezone,hours,\
attended_count,no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,\
instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n";

/// The sessions of the CSV export `csv`, read, given the currency
/// `currency` names for their venue's id, priced under the default policy
/// and reconciled: the lines the renderers' tests render.
#[cfg(test)]
fn priced_lines(csv: &str, currency: impl Fn(u64) -> &'static str) -> Vec<SessionLine> {
    let mut rows: Vec<sessionpay_io::ParsedRow> = Vec::new();
    sessionpay_io::Reader::bytes(csv.as_bytes(), Path::new("x.csv"))
        .shape(sessionpay_io::Shape::Csv)
        .read(&mut rows)
        .expect("the test's CSV reads");
    let policy = sessionpay_core::RatePolicy::default();
    rows.into_iter()
        .map(|row| {
            let code = currency(row.draft.venue.0);
            let session = row
                .draft
                .with_currency(Currency::try_from_code(code).expect("a currency"));
            let pay = sessionpay_core::compute_pay(&session, &policy).expect("priced");
            let rec = sessionpay_core::reconcile(&session, &policy, &pay, Decimal::ZERO).expect("reconciled");
            SessionLine { session, pay, rec }
        })
        .collect()
}
