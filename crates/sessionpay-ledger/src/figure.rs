//! A session's figure: its pay and what the pay was computed from, and the
//! collector that gathers them from a run of the engine.

use std::path::Path;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use sessionpay_core::chrono::{Datelike, NaiveDate};
use sessionpay_core::{
    Currency, DateRange, LineRows, LocalDates, Payroll, PayrollRow, Period, PeriodKind, RowRef, SessionLine,
};
use sessionpay_engine::Collector;
use sessionpay_io::{ExternalSort, Names};

/// One session's pay as the payroll counts it (0 while TeamUp's figure is
/// pending) and what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// The session id.
    pub session: u64,
    /// The instructor id.
    pub instructor: u64,
    /// The currency.
    pub currency: Currency,
    /// The venue-local date of its start.
    pub date: NaiveDate,
    /// The pay rate id (none: unrated).
    pub rate: Option<u64>,
    /// The rate's type (`per_customer`, ...).
    pub rate_type: Option<&'static str>,
    /// Attended, comped, late-cancelled and no-show customers.
    pub counts: [u32; 4],
    /// Customers counted under the policy.
    pub counted: u64,
    /// Hours.
    pub hours: Decimal,
    /// TeamUp's figure was still pending.
    pub pending: bool,
    /// The pay the payroll counts.
    pub pay: Decimal,
}

impl Figure {
    /// The figure of a priced session whose venue-local date is `date`.
    pub fn of(line: &SessionLine, date: NaiveDate) -> Figure {
        let s = &line.session;
        Figure {
            session: s.id.0,
            instructor: s.instructor.0,
            currency: s.currency,
            date,
            rate: s.rate.as_ref().map(|r| r.id.0),
            rate_type: s.rate.as_ref().map(|r| r.kind.as_str()),
            counts: [
                s.counts.attended(),
                s.counts.comped(),
                s.counts.late_cancels(),
                s.counts.no_shows(),
            ],
            counted: line.pay.counted.total,
            hours: s.hours,
            pending: s.pending,
            pay: if s.pending { Decimal::ZERO } else { line.pay.pay },
        }
    }
}

/// What one figure takes in the sort: fixed-size fields, little-endian.
const ENCODED: usize = 8 + 8 + 3 + 4 + 1 + 8 + 1 + 16 + 8 + 16 + 1 + 16;

impl Figure {
    fn encode(&self, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let code = self.currency.code().as_bytes();
        if code.len() != 3 {
            return Err(std::io::Error::other(format!(
                "currency code {:?}",
                self.currency.code()
            )));
        }
        buf.extend_from_slice(&self.session.to_le_bytes());
        buf.extend_from_slice(&self.instructor.to_le_bytes());
        buf.extend_from_slice(code);
        buf.extend_from_slice(&self.date.num_days_from_ce().to_le_bytes());
        buf.push(u8::from(self.rate.is_some()));
        buf.extend_from_slice(&self.rate.unwrap_or(0).to_le_bytes());
        buf.push(match self.rate_type {
            None => 0,
            Some("per_customer") => 1,
            Some("per_hour") => 2,
            Some("per_customer_tiered") => 3,
            Some(other) => return Err(std::io::Error::other(format!("rate type {other:?}"))),
        });
        for c in self.counts {
            buf.extend_from_slice(&c.to_le_bytes());
        }
        buf.extend_from_slice(&self.counted.to_le_bytes());
        buf.extend_from_slice(&self.hours.serialize());
        buf.push(u8::from(self.pending));
        buf.extend_from_slice(&self.pay.serialize());
        Ok(())
    }

    fn decode(bytes: &[u8]) -> std::io::Result<Figure> {
        let bad = || std::io::Error::other("a sorted figure does not read back");
        if bytes.len() != ENCODED {
            return Err(bad());
        }
        let mut at = 0;
        let mut take = |n: usize| {
            let part = &bytes[at..at + n];
            at += n;
            part
        };
        let u64_of = |b: &[u8]| b.try_into().map(u64::from_le_bytes).map_err(|_| bad());
        let session = u64_of(take(8))?;
        let instructor = u64_of(take(8))?;
        let code = std::str::from_utf8(take(3)).map_err(|_| bad())?;
        let currency = Currency::try_from_code(code).map_err(|_| bad())?;
        let days = take(4).try_into().map(i32::from_le_bytes).map_err(|_| bad())?;
        let date = NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(bad)?;
        let rated = take(1)[0] == 1;
        let rate = u64_of(take(8))?;
        let rate_type = match take(1)[0] {
            0 => None,
            1 => Some("per_customer"),
            2 => Some("per_hour"),
            3 => Some("per_customer_tiered"),
            _ => return Err(bad()),
        };
        let mut counts = [0u32; 4];
        for c in &mut counts {
            *c = take(4).try_into().map(u32::from_le_bytes).map_err(|_| bad())?;
        }
        let counted = u64_of(take(8))?;
        let decimal = |b: &[u8]| b.try_into().map(Decimal::deserialize).map_err(|_| bad());
        let hours = decimal(take(16))?;
        let pending = take(1)[0] == 1;
        let pay = decimal(take(16))?;
        Ok(Figure {
            session,
            instructor,
            currency,
            date,
            rate: rated.then_some(rate),
            rate_type,
            counts,
            counted,
            hours,
            pending,
            pay,
        })
    }
}

/// The name a ledger records for a period kind (`month`, `week:monday`,
/// `fortnight:2026-01-05`); runs of one ledger must share it.
pub fn kind_name(kind: PeriodKind) -> String {
    match kind {
        PeriodKind::Month => "month".into(),
        PeriodKind::Semimonth => "semimonth".into(),
        PeriodKind::Week { start } => format!("week:{}", weekday(start)),
        PeriodKind::Fortnight { anchor } => format!("fortnight:{anchor}"),
        PeriodKind::All => "all".into(),
    }
}

fn weekday(day: sessionpay_core::chrono::Weekday) -> &'static str {
    use sessionpay_core::chrono::Weekday::*;
    match day {
        Mon => "monday",
        Tue => "tuesday",
        Wed => "wednesday",
        Thu => "thursday",
        Fri => "friday",
        Sat => "saturday",
        Sun => "sunday",
    }
}

/// Collects every session's [`Figure`] into an external sort by session id
/// (in a fixed memory budget), with the little the ledger's commands need of
/// them besides; with [`Figures::with_payroll`], also the payroll totals of
/// the sessions outside the closed periods.
#[derive(Debug)]
pub struct Figures {
    kind: PeriodKind,
    dates: LocalDates,
    figures: ExternalSort,
    seen: Seen,
    open: Option<OpenPayroll>,
}

/// What the commands need of every figure besides the figure itself.
#[derive(Debug, Default)]
pub struct Seen {
    /// The venue-local dates the sessions are on.
    pub dates: FxHashSet<NaiveDate>,
    /// Each instructor's name on their session of the highest id.
    pub names: FxHashMap<u64, (u64, Arc<str>)>,
    /// Each pay rate's type on its session of the lowest id.
    pub rates: FxHashMap<u64, (u64, &'static str)>,
}

impl Seen {
    fn add(&mut self, f: &Figure, name: &Arc<str>) {
        self.dates.insert(f.date);
        match self.names.get_mut(&f.instructor) {
            Some((session, _)) if *session > f.session => {}
            Some(slot) => *slot = (f.session, Arc::clone(name)),
            None => {
                self.names.insert(f.instructor, (f.session, Arc::clone(name)));
            }
        }
        if let (Some(id), Some(kind)) = (f.rate, f.rate_type) {
            let slot = self.rates.entry(id).or_insert((f.session, kind));
            if slot.0 > f.session {
                *slot = (f.session, kind);
            }
        }
    }

    fn merge(&mut self, other: Seen) {
        self.dates.extend(other.dates);
        for (instructor, (session, name)) in other.names {
            match self.names.get_mut(&instructor) {
                Some(slot) if slot.0 > session => {}
                Some(slot) => *slot = (session, name),
                None => {
                    self.names.insert(instructor, (session, name));
                }
            }
        }
        for (id, (session, kind)) in other.rates {
            let slot = self.rates.entry(id).or_insert((session, kind));
            if slot.0 > session {
                *slot = (session, kind);
            }
        }
    }

    /// Each instructor's name.
    pub fn names(&self) -> FxHashMap<u64, Arc<str>> {
        self.names
            .iter()
            .map(|(id, (_, name))| (*id, Arc::clone(name)))
            .collect()
    }
}

/// Every figure a run collected, sorted by session id as they are read back.
#[derive(Debug)]
pub struct SortedFigures {
    sort: ExternalSort,
}

impl SortedFigures {
    /// Figures collected.
    pub fn len(&self) -> u64 {
        self.sort.rows()
    }

    /// Whether none was collected.
    pub fn is_empty(&self) -> bool {
        self.sort.rows() == 0
    }

    /// Hands every figure to `each`, in ascending session id, then removes
    /// the sort's files.
    ///
    /// # Errors
    /// `each`'s error, or a sort file that cannot be read.
    pub fn for_each(self, mut each: impl FnMut(Figure) -> crate::Result<()>) -> crate::Result<()> {
        let mut stopped = None;
        let read = self.sort.for_each_sorted(|bytes| {
            let figure = Figure::decode(bytes)?;
            each(figure).map_err(|e| {
                stopped = Some(e);
                std::io::Error::other("stopped")
            })
        });
        match (stopped, read) {
            (Some(e), _) => Err(e),
            (None, Err(e)) => Err(crate::Error::Sort(e)),
            (None, Ok(())) => Ok(()),
        }
    }

    /// Every figure, in ascending session id.
    ///
    /// # Errors
    /// As [`SortedFigures::for_each`].
    pub fn collect(self) -> crate::Result<Vec<Figure>> {
        let mut all = Vec::new();
        self.for_each(|f| {
            all.push(f);
            Ok(())
        })?;
        Ok(all)
    }
}

#[derive(Debug)]
struct OpenPayroll {
    payroll: Payroll,
    closed: Arc<[Period]>,
    mismatches: u64,
    lines: Option<Vec<(SessionLine, RowRef)>>,
}

/// What [`Figures`] collected.
#[derive(Debug)]
pub struct FiguresCollected {
    /// Every session's figure, read back sorted by session id.
    pub figures: SortedFigures,
    /// Their dates, instructors' names and rates.
    pub seen: Seen,
    /// The payroll rows of the open periods (empty without a payroll).
    pub rows: Vec<PayrollRow>,
    /// Mismatched sessions in the open periods.
    pub mismatches: u64,
    /// The open periods' session lines, sorted by id (empty unless kept).
    pub lines: Vec<SessionLine>,
    /// The row in `rows` of each of `lines`.
    pub line_rows: LineRows,
}

impl Figures {
    /// A collector bucketing by `kind` periods, sorting its figures in
    /// about `memory` bytes and the rest in files in a new folder in `folder`.
    pub fn new(kind: PeriodKind, folder: &Path, memory: usize) -> Figures {
        Figures {
            kind,
            dates: LocalDates::default(),
            figures: ExternalSort::new(folder, memory),
            seen: Seen::default(),
            open: None,
        }
    }

    /// Also totals, per instructor and period, the sessions from `from` to
    /// `to` whose period is none of `closed`.
    pub fn with_payroll(
        mut self,
        closed: Arc<[Period]>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Figures {
        self.open = Some(OpenPayroll {
            payroll: Payroll::within(self.kind, DateRange::new(from, to)),
            closed,
            mismatches: 0,
            lines: None,
        });
        self
    }

    /// With [`Figures::with_payroll`], also keeps the open periods' session
    /// lines (for a spreadsheet or statements).
    pub fn keep_lines(mut self) -> Figures {
        if let Some(open) = &mut self.open {
            open.lines = Some(Vec::new());
        }
        self
    }

    /// The figures, sorted by session id, and the open payroll's rows.
    ///
    /// # Errors
    /// A total out of range.
    pub fn finish(self) -> crate::Result<FiguresCollected> {
        let (payroll, mismatches, mut kept) = match self.open {
            Some(open) => (
                Some(open.payroll),
                open.mismatches,
                open.lines.unwrap_or_default(),
            ),
            None => (None, 0, Vec::new()),
        };
        kept.sort_by_key(|(l, _)| l.session.id);
        let (rows, line_rows) = match payroll {
            Some(payroll) => payroll.rows_for(kept.iter().map(|(_, row)| *row))?,
            None => (Vec::new(), LineRows::default()),
        };
        let lines = kept.into_iter().map(|(line, _)| line).collect();
        Ok(FiguresCollected {
            figures: SortedFigures { sort: self.figures },
            seen: self.seen,
            rows,
            mismatches,
            lines,
            line_rows,
        })
    }
}

impl Collector for Figures {
    type Item = SessionLine;

    fn add(&mut self, line: SessionLine) -> sessionpay_engine::Result<()> {
        let date = self.dates.local_date(line.session.starts_at, line.session.zone);
        let figure = Figure::of(&line, date);
        self.seen.add(&figure, &line.session.instructor_name);
        let sorted = self.figures.push_with(figure.session, |buf| figure.encode(buf));
        sorted.map_err(sessionpay_engine::Error::from)?;
        if let Some(open) = &mut self.open {
            let closed = open.closed.iter().any(|p| p.start <= date && date <= p.end);
            if !closed {
                if let Some(row) = open.payroll.add_on(date, &line.session, &line.pay, &line.rec)? {
                    open.mismatches += u64::from(line.rec.status == sessionpay_core::Status::Mismatch);
                    if let Some(lines) = &mut open.lines {
                        lines.push((line, row));
                    }
                }
            }
        }
        Ok(())
    }

    fn merge(&mut self, other: Figures) -> sessionpay_engine::Result<()> {
        self.figures
            .absorb(other.figures)
            .map_err(sessionpay_engine::Error::from)?;
        self.seen.merge(other.seen);
        if let (Some(mine), Some(theirs)) = (&mut self.open, other.open) {
            mine.mismatches += theirs.mismatches;
            mine.payroll.merge(theirs.payroll)?;
            if let (Some(a), Some(mut b)) = (&mut mine.lines, theirs.lines) {
                a.append(&mut b);
            }
        }
        Ok(())
    }

    fn names(&self) -> Names {
        match self.open.as_ref().and_then(|o| o.lines.as_ref()) {
            Some(_) => Names::All,
            None => Names::InstructorOnly,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_come_back_from_the_sort_whole_and_in_session_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let day = NaiveDate::from_ymd_opt(2026, 5, 4).expect("date");
        let figure = |session: u64, rate: Option<u64>, kind, pay: i64| Figure {
            session,
            instructor: 7,
            currency: Currency::try_from_code("JPY").expect("JPY"),
            date: day,
            rate,
            rate_type: kind,
            counts: [3, 1, u32::MAX, 0],
            counted: 4,
            hours: Decimal::new(125, 2),
            pending: session == 2,
            pay: Decimal::new(pay, 3),
        };
        let all = [
            figure(9, Some(u64::MAX), Some("per_customer_tiered"), -1),
            figure(2, None, None, 0),
            figure(5, Some(3), Some("per_hour"), 123_456_789),
        ];
        // A budget of one byte: every figure goes through a run file.
        let mut sorted = Figures::new(PeriodKind::Month, dir.path(), 1);
        for f in &all {
            sorted
                .figures
                .push_with(f.session, |buf| f.encode(buf))
                .expect("push");
        }
        let back = SortedFigures { sort: sorted.figures }
            .collect()
            .expect("read back");
        assert_eq!(back, [all[1].clone(), all[2].clone(), all[0].clone()]);
        assert!(Figure::decode(&[0; 3]).is_err(), "a short record is refused");
    }

    #[test]
    fn period_kinds_have_stable_names() {
        let anchor = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        assert_eq!(kind_name(PeriodKind::Month), "month");
        assert_eq!(
            kind_name(PeriodKind::Week {
                start: sessionpay_core::chrono::Weekday::Sun
            }),
            "week:sunday"
        );
        assert_eq!(
            kind_name(PeriodKind::Fortnight { anchor }),
            "fortnight:2026-01-05"
        );
    }
}
