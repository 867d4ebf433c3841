//! The collectors every command uses: payroll totals per instructor and
//! period, and the list of priced sessions.

use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{
    DateRange, LineRows, LocalDates, Payroll, PayrollRow, PeriodKind, RowPart, RowRef, SessionLine, Status,
};
use sessionpay_io::{ExternalSort, LineDigest, Names, StatementKey};

use crate::{Collector, Result};

/// Totals per instructor and period of the sessions whose local date is in
/// a range; optionally every such session's line too (with the row it went
/// into), or its encoded row sorted by id, or a digest of the lines.
#[derive(Debug)]
pub struct PayrollCollector {
    payroll: Payroll,
    mismatches: u64,
    sessions: u64,
    keep: Keep,
    /// The lines kept by [`Keep::All`], with their rows.
    all: Vec<(SessionLine, RowRef)>,
    dates: LocalDates,
    /// What the lines taken add to their rows, not added yet.
    parts: Vec<RowPart>,
}

/// How many lines' parts [`PayrollCollector`] adds to the totals at a time.
const BATCH: usize = 16;

/// Encodes a kept line into the bytes a [`PayrollCollector`] sorts by id.
pub type LineEncoder = Box<dyn FnMut(&SessionLine, &mut Vec<u8>) -> std::io::Result<()> + Send>;

/// What a [`PayrollCollector`] keeps of the session lines in its range
/// besides the totals.
pub enum Keep {
    /// Nothing.
    None,
    /// Every line as itself ([`PayrollCollected::lines`]).
    All,
    /// Every line as the bytes the encoder makes of it, sorted by id in the
    /// sort (in its memory budget, the rest in run files):
    /// [`PayrollCollected::sorted`].
    Sorted(ExternalSort, LineEncoder),
    /// Every line as the bytes the encoder makes of it, sorted in the order
    /// statements list them ([`sessionpay_io::statement_key`]: by row
    /// (period, instructor, currency), then by start and id):
    /// [`PayrollCollected::statements`].
    Statements(ExternalSort<StatementKey>, LineEncoder),
    /// Only what the digest keeps (counts, the biggest mismatches):
    /// [`PayrollCollected::digest`].
    Digest(LineDigest),
}

impl std::fmt::Debug for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::None => f.write_str("None"),
            Keep::All => f.write_str("All"),
            Keep::Sorted(sort, _) => write!(f, "Sorted({} rows)", sort.rows()),
            Keep::Statements(sort, _) => write!(f, "Statements({} rows)", sort.rows()),
            Keep::Digest(digest) => write!(f, "Digest({} sessions)", digest.sessions),
        }
    }
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
    /// Every session in the range encoded and sorted by id, when asked for
    /// with [`Keep::Sorted`].
    pub sorted: Option<ExternalSort>,
    /// Every session in the range encoded and sorted as statements list
    /// them, when asked for with [`Keep::Statements`].
    pub statements: Option<ExternalSort<StatementKey>>,
    /// The digest of every session in the range, when asked for with
    /// [`Keep::Digest`].
    pub digest: Option<LineDigest>,
}

impl PayrollCollector {
    /// A payroll by `kind` periods of the sessions from `from` to `to`
    /// (local dates, both included, open when `None`), keeping what `keep`
    /// says of each session line.
    pub fn new(
        kind: PeriodKind,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        keep: Keep,
    ) -> PayrollCollector {
        PayrollCollector {
            payroll: Payroll::within(kind, DateRange::new(from, to)),
            mismatches: 0,
            sessions: 0,
            keep,
            all: Vec::new(),
            dates: LocalDates::default(),
            parts: Vec::with_capacity(BATCH),
        }
    }

    /// The rows, the lines kept and the mismatches.
    ///
    /// # Errors
    /// A total out of range.
    pub fn finish(mut self) -> Result<PayrollCollected> {
        self.payroll.add_parts(&mut self.parts)?;
        let (mut kept, mut sorted, mut statements, mut digest) = (self.all, None, None, None);
        match self.keep {
            Keep::None | Keep::All => {}
            Keep::Sorted(sort, _) => sorted = Some(sort),
            Keep::Statements(sort, _) => statements = Some(sort),
            Keep::Digest(lines) => digest = Some(lines),
        }
        kept.sort_by_key(|(l, _)| l.session.id);
        let (rows, line_rows) = self.payroll.rows_for(kept.iter().map(|(_, row)| *row))?;
        let lines = kept.into_iter().map(|(line, _)| line).collect();
        Ok(PayrollCollected {
            rows,
            lines,
            line_rows,
            mismatches: self.mismatches,
            sessions: self.sessions,
            sorted,
            statements,
            digest,
        })
    }
}

impl Collector for PayrollCollector {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        let date = self.dates.local_date(line.session.starts_at, line.session.zone);
        let Some((row, part)) = self.payroll.prepare(date, &line.session, &line.pay, &line.rec)? else {
            return Ok(());
        };
        self.parts.push(part);
        if self.parts.len() == BATCH {
            self.payroll.add_parts(&mut self.parts)?;
        }
        self.sessions += 1;
        if line.rec.status == Status::Mismatch {
            self.mismatches += 1;
        }
        match &mut self.keep {
            Keep::None => {}
            Keep::All => self.all.push((line, row)),
            Keep::Sorted(sort, encode) => sort.push_with(line.session.id.0, |buf| encode(&line, buf))?,
            Keep::Statements(sort, encode) => {
                let key = sessionpay_io::statement_key(row.period_start(), &line);
                sort.push_with(key, |buf| encode(&line, buf))?;
            }
            Keep::Digest(digest) => digest.add(&line)?,
        }
        Ok(())
    }

    fn merge(&mut self, mut other: Self) -> Result<()> {
        self.mismatches += other.mismatches;
        self.sessions += other.sessions;
        self.payroll.add_parts(&mut self.parts)?;
        other.payroll.add_parts(&mut other.parts)?;
        self.payroll.merge(other.payroll)?;
        self.all.append(&mut other.all);
        match (&mut self.keep, other.keep) {
            (Keep::Sorted(mine, _), Keep::Sorted(theirs, _)) => mine.absorb(theirs)?,
            (Keep::Statements(mine, _), Keep::Statements(theirs, _)) => mine.absorb(theirs)?,
            (Keep::Digest(mine), Keep::Digest(theirs)) => mine.merge(theirs)?,
            _ => {}
        }
        Ok(())
    }

    fn names(&self) -> Names {
        // Payroll rows show the instructor's name; kept lines show them all.
        match self.keep {
            Keep::None => Names::InstructorOnly,
            Keep::All | Keep::Sorted(..) | Keep::Statements(..) | Keep::Digest(_) => Names::All,
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

/// The sessions of a run whose venue-local date is in a range, passed on
/// to the collector inside.
pub struct InRange<C> {
    /// The collector of the sessions in range.
    pub inner: C,
    range: DateRange,
    dates: LocalDates,
    /// Sessions in range.
    pub kept: u64,
}

impl<C> InRange<C> {
    /// `inner`, given only the sessions in `range`.
    pub fn new(inner: C, range: DateRange) -> InRange<C> {
        InRange {
            inner,
            range,
            dates: LocalDates::default(),
            kept: 0,
        }
    }
}

impl<C: Collector<Item = SessionLine>> Collector for InRange<C> {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> Result<()> {
        if self.range == DateRange::OPEN
            || self
                .range
                .contains(self.dates.local_date(line.session.starts_at, line.session.zone))
        {
            self.kept += 1;
            self.inner.add(line)?;
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) -> Result<()> {
        self.kept += other.kept;
        self.inner.merge(other.inner)
    }

    fn names(&self) -> Names {
        self.inner.names()
    }

    fn begin_part(&mut self, part: usize) -> Result<()> {
        self.inner.begin_part(part)
    }

    fn end_part(&mut self, part: usize) -> Result<()> {
        self.inner.end_part(part)
    }

    fn start_over(&mut self) -> Result<()> {
        self.inner.start_over()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::run::tests::{csv, row};
    use crate::{Run, RunOptions};
    use rust_decimal::Decimal;
    use sessionpay_core::RateTable;

    #[test]
    fn a_digest_keeps_the_biggest_mismatches_whatever_the_order_and_the_workers() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Differences of 0.05 × (id % 9): many ties, broken by the lower id.
        let rows: Vec<String> = (0..200u64)
            .map(|i| {
                let id = (i * 7_919) % 1_000;
                let paid = Decimal::new(500 + 5 * (id % 9) as i64, 2).to_string();
                row(id, 1, &paid)
            })
            .collect();
        let inputs = [csv(dir.path(), "a.csv", &rows)];
        let policy = RateTable::default();
        let lines = Run::new(&inputs, &policy, RunOptions::default().threads(1))
            .collect(Lines::default)
            .expect("lines")
            .0
            .sorted();
        let expected = LineDigest::of(&lines, 7).expect("digest");
        let summary = |d: &LineDigest| -> Vec<(u64, Vec<u64>)> {
            d.biggest()
                .map(|(_, n, list)| (n, list.iter().map(|l| l.session.id.0).collect()))
                .collect()
        };
        let want = summary(&expected);
        assert_eq!(want[0].1.len(), 7);
        for threads in [1, 3] {
            let options = RunOptions::default().threads(threads).parallel_min_bytes(1);
            let make =
                || PayrollCollector::new(PeriodKind::All, None, None, Keep::Digest(LineDigest::new(7)));
            let (collector, _) = Run::new(&inputs, &policy, options).collect(make).expect("run");
            let digest = collector.finish().expect("finish").digest.expect("a digest");
            assert_eq!(summary(&digest), want, "{threads} thread(s)");
            assert_eq!(digest.by_status, expected.by_status);
            assert_eq!(digest.by_reason, expected.by_reason);
        }
    }
}
