//! The collectors every command uses: payroll totals per instructor and
//! period, and the list of priced sessions.

use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{LocalDates, Payroll, PayrollRow, PeriodKind, Status};
use sessionpay_io::{Names, SessionLine};

use crate::{Collector, Result};

/// Totals per instructor and period of the sessions whose local date is in
/// a range; optionally every such session's line too.
#[derive(Debug)]
pub struct PayrollCollector {
    payroll: Payroll,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    mismatches: u64,
    sessions: u64,
    lines: Option<Vec<SessionLine>>,
    dates: LocalDates,
}

/// What a [`PayrollCollector`] collected.
#[derive(Debug)]
pub struct PayrollCollected {
    /// The summary rows, sorted.
    pub rows: Vec<PayrollRow>,
    /// Every session in the range, sorted by id (empty unless kept).
    pub lines: Vec<SessionLine>,
    /// Sessions in the range whose reported figure does not match.
    pub mismatches: u64,
    /// Sessions in the range.
    pub sessions: u64,
}

impl PayrollCollector {
    /// A payroll by `kind` periods of the sessions from `from` to `to`
    /// (local dates, both included, open when `None`); `keep_lines` also keeps every session line.
    pub fn new(
        kind: PeriodKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        keep_lines: bool,
    ) -> PayrollCollector {
        PayrollCollector {
            payroll: Payroll::new(kind),
            from,
            to,
            mismatches: 0,
            sessions: 0,
            lines: keep_lines.then(Vec::new),
            dates: LocalDates::default(),
        }
    }

    /// The rows, the lines kept and the mismatches.
    ///
    /// # Errors
    /// A total out of range.
    pub fn finish(self) -> Result<PayrollCollected> {
        let rows = self.payroll.rows()?;
        let mut lines = self.lines.unwrap_or_default();
        lines.sort_by_key(|l| l.session.id);
        Ok(PayrollCollected {
            rows,
            lines,
            mismatches: self.mismatches,
            sessions: self.sessions,
        })
    }
}

impl Collector for PayrollCollector {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        let date = self.dates.local_date(line.session.starts_at, line.session.zone);
        if self.from.is_some_and(|f| date < f) || self.to.is_some_and(|t| date > t) {
            return Ok(());
        }
        self.sessions += 1;
        if line.rec.status == Status::Mismatch {
            self.mismatches += 1;
        }
        self.payroll.add_on(date, &line.session, &line.pay, &line.rec)?;
        if let Some(lines) = &mut self.lines {
            lines.push(line);
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<()> {
        self.mismatches += other.mismatches;
        self.sessions += other.sessions;
        self.payroll.merge(other.payroll)?;
        if let (Some(mine), Some(mut theirs)) = (&mut self.lines, other.lines) {
            mine.append(&mut theirs);
        }
        Ok(())
    }

    fn names(&self) -> Names {
        // Payroll rows show the instructor's name; kept lines show them all.
        match self.lines {
            Some(_) => Names::All,
            None => Names::InstructorOnly,
        }
    }
}

/// Every priced session, for per-session outputs.
#[derive(Debug, Default)]
pub struct Lines(pub Vec<SessionLine>);

impl Lines {
    /// The lines, sorted by session id.
    pub fn sorted(mut self) -> Vec<SessionLine> {
        self.0.sort_by_key(|l| l.session.id);
        self.0
    }
}

impl Collector for Lines {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        self.0.push(line);
        Ok(())
    }

    fn merge(&mut self, mut other: Self) -> Result<()> {
        self.0.append(&mut other.0);
        Ok(())
    }
}
