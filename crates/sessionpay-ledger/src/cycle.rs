//! The ledger's commands as library calls: each opens the ledger, gives the
//! collector a run of the engine fills, and turns what it collected into
//! the command's result. The CLI maps flags onto these and prints.
//!
//! - [`Closing`]: `close`, the periods to close and the run recorded.
//! - [`Adjusting`]: `adjustments`, the sessions whose figure differs from what was paid.
//! - [`LedgerPayroll`]: `payroll --ledger`, the open periods with the adjustments carried.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{LineRows, PayrollRow, Period, PeriodKind, RateId, RateTable, SessionLine};
use sessionpay_engine::Pricing;

use crate::{
    adjustments, carry, first_open, kind_name, Adjustment, Carried, ClosePlan, Closed, ClosedPeriod, Digest,
    Error, Figures, Ledger, PaidSession, Result,
};

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

    /// Makes the collectors a run of the engine fills with every session's figure.
    pub fn collectors(&self) -> impl Fn() -> Figures + Sync {
        let kind = self.kind;
        move || Figures::new(kind)
    }

    /// Closes every whole period from the first open one (or the first
    /// session) through `request.through` not closed already, paying the
    /// sessions `collected` has in them.
    ///
    /// # Errors
    /// [`Error::NothingToClose`], a date out of range, the ledger's.
    pub fn close(mut self, request: CloseRequest<'_>, collected: Figures) -> Result<Closed> {
        let figures = collected.finish()?.figures;
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
        let mut rates: Vec<(u64, &'static str, String)> = Vec::new();
        let mut seen = FxHashSet::default();
        for f in &figures {
            if let (Some(id), Some(kind)) = (f.rate, f.rate_type) {
                if seen.insert(id) {
                    rates.push((id, kind, format!("{:?}", pricing.policy(Some(RateId(id))))));
                }
            }
        }
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

/// `adjustments`: the closed periods and what was paid in them, read before
/// any input.
#[derive(Debug)]
pub struct Adjusting {
    closed: Vec<ClosedPeriod>,
    paid: FxHashMap<u64, PaidSession>,
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
        Ok(Adjusting {
            closed: ledger.closed_periods()?,
            paid: ledger.paid()?,
            from,
            to,
        })
    }

    /// Makes the collectors a run of the engine fills with every session's figure.
    pub fn collectors(&self) -> impl Fn() -> Figures + Sync {
        || Figures::new(PeriodKind::All)
    }

    /// Every session of `collected` whose figure differs from what was paid,
    /// sorted by session id.
    ///
    /// # Errors
    /// An amount out of range, a stored value that does not read back.
    pub fn finish(self, collected: Figures) -> Result<Vec<Adjustment>> {
        let figures = collected.finish()?.figures;
        adjustments(&self.closed, &self.paid, &figures, self.from, self.to)
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
    paid: FxHashMap<u64, PaidSession>,
}

/// A payroll of the open periods with the adjustments carried in.
#[derive(Debug)]
pub struct CarriedPayroll {
    /// The rows, adjustments carried.
    pub rows: Vec<Carried>,
    /// The adjustments carried, sorted by session id.
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
            paid: ledger.paid()?,
        })
    }

    /// Makes the collectors a run of the engine fills: every session's
    /// figure, and the payroll of the open periods (with their lines when `lines`).
    pub fn collectors(&self, lines: bool) -> impl Fn() -> Figures + Sync {
        let closed: Arc<[Period]> = self.closed.iter().map(|c| c.period).collect();
        let (kind, from, to) = (self.kind, self.from, self.to);
        move || {
            let figures = Figures::new(kind).with_payroll(Arc::clone(&closed), from, to);
            if lines {
                figures.keep_lines()
            } else {
                figures
            }
        }
    }

    /// The open payroll of `collected`, each instructor × currency's
    /// adjustments carried into their first open row.
    ///
    /// # Errors
    /// A sum or a date out of range.
    pub fn finish(self, collected: Figures) -> Result<CarriedPayroll> {
        let collected = collected.finish()?;
        let adjustments = adjustments(&self.closed, &self.paid, &collected.figures, None, None)?;
        let names: FxHashMap<u64, Arc<str>> = collected
            .figures
            .iter()
            .map(|f| (f.instructor, Arc::clone(&f.instructor_name)))
            .collect();
        let first_open = first_open(self.kind, &self.closed)?;
        let key = |row: &PayrollRow| (row.instructor.0, row.currency, row.period.start);
        let keys: Vec<_> = collected.rows.iter().map(key).collect();
        let rows = carry(collected.rows, &adjustments, first_open, &names)?;
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
            adjustments,
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
