//! The ledger's commands as library calls: each opens the ledger, gives the
//! collector a run of the engine fills, and turns what it collected into
//! the command's result. The CLI maps flags onto these and prints.
//!
//! - [`Closing`]: `close`, the periods to close and the run recorded.
//! - [`Adjusting`]: `adjustments`, the sessions whose figure differs from what was paid.
//! - [`LedgerPayroll`]: `payroll --ledger`, the open periods with the adjustments carried.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{LineRows, PayrollRow, Period, PeriodKind, RateId, RateTable, SessionLine};
use sessionpay_engine::Pricing;
use sessionpay_io::Format;

use crate::{
    carry_sums, first_open, join_adjustments, kind_name, Adjustment, AdjustmentWriter, Carried, ClosePlan,
    Closed, ClosedPeriod, Digest, Error, Figures, Ledger, Result, Sums,
};

/// The memory a run's figures are sorted in, shared by its workers; the
/// rest goes to files.
pub const SORT_MEMORY: usize = 32 << 20;

/// Each of `threads` workers' share of [`SORT_MEMORY`].
fn share(threads: usize) -> usize {
    SORT_MEMORY / threads.max(1)
}

/// What a close records of the command that ran it, besides its figures.
#[derive(Debug, Clone)]
pub struct CloseRequest<'a> {
    /// The last venue-local date a closed period may end on.
    pub through: NaiveDate,
    /// The rates and policy the figures were computed under.
    pub table: &'a RateTable,
    /// The `--rates` file, as given.
    pub rates: Option<&'a Path>,
    /// The `--columns-from` file, as given.
    pub columns_from: Option<&'a Path>,
    /// The inputs, as given on the command line.
    pub inputs: &'a [PathBuf],
    /// Each input read, with its size and SHA-256.
    pub digests: Vec<Digest>,
    /// The policy file's size and SHA-256.
    pub policy: Option<Digest>,
    /// When, RFC 3339 UTC.
    pub closed_at: String,
    /// sessionpay's version.
    pub tool_version: &'a str,
}

/// `close`: the ledger opened to write, checked against the period kind
/// before any input is read.
#[derive(Debug)]
pub struct Closing {
    ledger: Ledger,
    kind: PeriodKind,
}

impl Closing {
    /// Opens (or creates) the ledger at `path` to close `kind` periods.
    ///
    /// # Errors
    /// As [`Ledger::open_or_create`], and [`Error::PeriodMismatch`].
    pub fn open(path: &Path, kind: PeriodKind) -> Result<Closing> {
        let ledger = Ledger::open_or_create(path)?;
        ledger.check_kind(&kind_name(kind))?;
        Ok(Closing { ledger, kind })
    }

    /// Makes the collectors a run of `threads` workers fills with every
    /// session's figure, sorted within [`SORT_MEMORY`] in `folder`.
    pub fn collectors(&self, folder: &Path, threads: usize) -> impl Fn() -> Figures + Sync {
        let (kind, folder, share) = (self.kind, folder.to_path_buf(), share(threads));
        move || Figures::new(kind, &folder, share)
    }

    /// Closes every whole period from the first open one (or the first
    /// session) through `request.through` not closed already, paying the
    /// sessions `collected` has in them.
    ///
    /// # Errors
    /// [`Error::NothingToClose`], a date out of range, the ledger's.
    pub fn close(mut self, request: CloseRequest<'_>, collected: Figures) -> Result<Closed> {
        let figures = collected.finish()?;
        let rated = figures.seen.rates;
        let figures = figures.figures.collect()?;
        let closed = self.ledger.closed_periods()?;
        let first_open = first_open(self.kind, &closed)?.map(|p| p.start);
        let first_session = figures.iter().map(|f| f.date).min();
        let first = [first_session, first_open]
            .into_iter()
            .flatten()
            .min()
            .ok_or(Error::NothingToClose)?;
        let periods = self.kind.whole_periods(first, request.through)?;
        let pricing = Pricing::new(request.table, Decimal::ZERO);
        let mut rates: Vec<(u64, &'static str, String)> = rated
            .into_iter()
            .map(|(id, (_, kind))| (id, kind, format!("{:?}", pricing.policy(Some(RateId(id))))))
            .collect();
        rates.sort();
        let period_kind = kind_name(self.kind);
        let shown = |p: Option<&Path>| p.map(|p| p.display().to_string());
        let options = serde_json::json!({
            "period": period_kind,
            "through": request.through.to_string(),
            "rates": shown(request.rates),
            "columns_from": shown(request.columns_from),
            "inputs": request.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        });
        let plan = ClosePlan {
            closed_at: request.closed_at,
            tool_version: request.tool_version.into(),
            period_kind,
            through: request.through,
            options: options.to_string(),
            inputs: request.digests,
            policy: request.policy,
            default_policy: format!("{:?}", pricing.policy(None)),
            rates,
            periods,
        };
        self.ledger.close(&plan, &figures)
    }
}

/// `adjustments`: the ledger opened to read, before any input.
#[derive(Debug)]
pub struct Adjusting {
    ledger: Ledger,
    closed: Vec<ClosedPeriod>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl Adjusting {
    /// Reads the ledger at `path` (never writing it) to compare the periods
    /// from `from` to `to` (or those the input has sessions in).
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn open(path: &Path, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Adjusting> {
        let ledger = Ledger::open(path)?;
        let closed = ledger.closed_periods()?;
        Ok(Adjusting {
            ledger,
            closed,
            from,
            to,
        })
    }

    /// Makes the collectors a run of `threads` workers fills with every
    /// session's figure, sorted within [`SORT_MEMORY`] in `folder`.
    pub fn collectors(&self, folder: &Path, threads: usize) -> impl Fn() -> Figures + Sync {
        let (folder, share) = (folder.to_path_buf(), share(threads));
        move || Figures::new(PeriodKind::All, &folder, share)
    }

    /// Writes every session of `collected` whose figure differs from what
    /// was paid, sorted by session id, to `out`; gives how many. The figures
    /// and the paid sessions are joined in session-id order, neither held.
    ///
    /// # Errors
    /// An amount out of range, a stored value that does not read back, the writer's.
    pub fn write(self, collected: Figures, out: impl Write, format: Format) -> Result<u64> {
        let collected = collected.finish()?;
        let mut writer = AdjustmentWriter::new(out, format)?;
        let figures = collected.figures;
        self.ledger.with_paid(|paid| {
            join_adjustments(
                &self.closed,
                &collected.seen.dates,
                self.from,
                self.to,
                paid,
                |each| figures.for_each(each),
                |a| Ok(writer.write(&a)?),
            )
        })?;
        Ok(writer.finish()?)
    }
}

/// `payroll --ledger`: the periods the ledger closed, left out of a payroll
/// whose adjustments are carried into each instructor's first open period.
#[derive(Debug)]
pub struct LedgerPayroll {
    kind: PeriodKind,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    closed: Vec<ClosedPeriod>,
    ledger: Ledger,
}

/// A payroll of the open periods with the adjustments carried in.
#[derive(Debug)]
pub struct CarriedPayroll {
    /// The rows, adjustments carried.
    pub rows: Vec<Carried>,
    /// Adjustments carried.
    pub carried: u64,
    /// The adjustments carried, sorted by session id (kept with the lines only).
    pub adjustments: Vec<Adjustment>,
    /// Mismatched sessions of the open periods.
    pub mismatches: u64,
    /// The open periods' session lines (when kept).
    pub lines: Vec<SessionLine>,
    /// The row in `rows` of each of `lines`.
    pub line_rows: LineRows,
}

impl LedgerPayroll {
    /// Reads the ledger at `path` (never writing it) for a payroll of `kind`
    /// periods from `from` to `to`.
    ///
    /// # Errors
    /// As [`Ledger::open`], and [`Error::PeriodMismatch`].
    pub fn open(
        path: &Path,
        kind: PeriodKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<LedgerPayroll> {
        let ledger = Ledger::open(path)?;
        ledger.check_kind(&kind_name(kind))?;
        Ok(LedgerPayroll {
            kind,
            from,
            to,
            closed: ledger.closed_periods()?,
            ledger,
        })
    }

    /// Makes the collectors a run of `threads` workers fills: every
    /// session's figure (sorted within [`SORT_MEMORY`] in `folder`), and the
    /// payroll of the open periods (with their lines when `lines`).
    pub fn collectors(&self, lines: bool, folder: &Path, threads: usize) -> impl Fn() -> Figures + Sync {
        let closed: Arc<[Period]> = self.closed.iter().map(|c| c.period).collect();
        let (kind, from, to) = (self.kind, self.from, self.to);
        let (folder, share) = (folder.to_path_buf(), share(threads));
        move || {
            let figures = Figures::new(kind, &folder, share).with_payroll(Arc::clone(&closed), from, to);
            if lines {
                figures.keep_lines()
            } else {
                figures
            }
        }
    }

    /// The open payroll of `collected`, each instructor × currency's
    /// adjustments carried into their first open row; the adjustments
    /// themselves are kept when `keep` (for a spreadsheet or statements).
    ///
    /// # Errors
    /// A sum or a date out of range.
    pub fn finish(self, collected: Figures, keep: bool) -> Result<CarriedPayroll> {
        let collected = collected.finish()?;
        let (mut sums, mut kept, mut carried) = (Sums::default(), Vec::new(), 0u64);
        let figures = collected.figures;
        self.ledger.with_paid(|paid| {
            join_adjustments(
                &self.closed,
                &collected.seen.dates,
                None,
                None,
                paid,
                |each| figures.for_each(each),
                |a| {
                    carried += 1;
                    sums.add(&a)?;
                    if keep {
                        kept.push(a);
                    }
                    Ok(())
                },
            )
        })?;
        let names = collected.seen.names();
        let first_open = first_open(self.kind, &self.closed)?;
        let key = |row: &PayrollRow| (row.instructor.0, row.currency, row.period.start);
        let keys: Vec<_> = collected.rows.iter().map(key).collect();
        let rows = carry_sums(collected.rows, sums, first_open, &names)?;
        // The rows carrying adjustments alone were added in order: the lines' rows moved.
        let moved: Vec<usize> = keys
            .iter()
            .map(|k| {
                rows.binary_search_by_key(k, |c| key(&c.row))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let line_rows = collected.line_rows.moved(rows.len(), &moved)?;
        Ok(CarriedPayroll {
            rows,
            carried,
            adjustments: kept,
            mismatches: collected.mismatches,
            lines: collected.lines,
            line_rows,
        })
    }
}

impl CarriedPayroll {
    /// The rows as an export pays them, and the adjustment carried into each.
    pub fn export_rows(&self) -> (Vec<PayrollRow>, Vec<Decimal>) {
        self.rows.iter().map(|c| (c.row.clone(), c.adjustments)).unzip()
    }
}
