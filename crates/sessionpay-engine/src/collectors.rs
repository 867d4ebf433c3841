//! The collectors every command uses: payroll totals per instructor and
//! period, and the list of priced sessions.

use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{
    DateRange, LineRows, LocalDates, Payroll, PayrollRow, PeriodKind, RowRef, SessionLine, Status,
};
use sessionpay_io::Names;

use crate::{Collector, Result};

/// Totals per instructor and period of the sessions whose local date is in
/// a range; optionally every such session's line too, with the row it went into.
#[derive(Debug)]
pub struct PayrollCollector {
    payroll: Payroll,
    mismatches: u64,
    sessions: u64,
    lines: Option<Vec<(SessionLine, RowRef)>>,
    dates: LocalDates,
}

/// What a [`PayrollCollector`] collected.
#[derive(Debug)]
pub struct PayrollCollected {
    /// The summary rows, sorted.
    pub rows: Vec<PayrollRow>,
    /// Every session in the range, sorted by id (empty unless kept).
    pub lines: Vec<SessionLine>,
    /// The row in `rows` of each of `lines`.
    pub line_rows: LineRows,
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
            payroll: Payroll::within(kind, DateRange::new(from, to)),
            mismatches: 0,
            sessions: 0,
            lines: keep_lines.then(Vec::new),
            dates: LocalDates::default(),
        }
    }

    /// The rows, the lines kept (each with its row) and the mismatches.
    ///
    /// # Errors
    /// A total out of range.
    pub fn finish(self) -> Result<PayrollCollected> {
        let mut kept = self.lines.unwrap_or_default();
        kept.sort_by_key(|(l, _)| l.session.id);
        let (rows, line_rows) = self.payroll.rows_for(kept.iter().map(|(_, row)| *row))?;
        let lines = kept.into_iter().map(|(line, _)| line).collect();
        Ok(PayrollCollected {
            rows,
            lines,
            line_rows,
            mismatches: self.mismatches,
            sessions: self.sessions,
        })
    }
}

impl Collector for PayrollCollector {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        let date = self.dates.local_date(line.session.starts_at, line.session.zone);
        let Some(row) = self.payroll.add_on(date, &line.session, &line.pay, &line.rec)? else {
            return Ok(());
        };
        self.sessions += 1;
        if line.rec.status == Status::Mismatch {
            self.mismatches += 1;
        }
        if let Some(lines) = &mut self.lines {
            lines.push((line, row));
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
