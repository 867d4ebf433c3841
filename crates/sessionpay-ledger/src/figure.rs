//! A session's figure: its pay and what the pay was computed from, and the
//! collector that gathers them from a run of the engine.

use std::sync::Arc;

use rust_decimal::Decimal;
use sessionpay_core::chrono::NaiveDate;
use sessionpay_core::{
    Currency, DateRange, LineRows, LocalDates, Payroll, PayrollRow, Period, PeriodKind, RowRef, SessionLine,
};
use sessionpay_engine::Collector;
use sessionpay_io::Names;

/// One session's pay as the payroll counts it (0 while TeamUp's figure is
/// pending) and what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// The session id.
    pub session: u64,
    /// The instructor id.
    pub instructor: u64,
    /// The instructor's name on this session.
    pub instructor_name: Arc<str>,
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
            instructor_name: Arc::clone(&s.instructor_name),
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

/// Collects every session's [`Figure`]; with [`Figures::with_payroll`], also
/// the payroll totals of the sessions outside the closed periods.
#[derive(Debug)]
pub struct Figures {
    kind: PeriodKind,
    dates: LocalDates,
    figures: Vec<Figure>,
    open: Option<OpenPayroll>,
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
    /// Every session's figure, sorted by session id.
    pub figures: Vec<Figure>,
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
    /// A collector bucketing by `kind` periods.
    pub fn new(kind: PeriodKind) -> Figures {
        Figures {
            kind,
            dates: LocalDates::default(),
            figures: Vec::new(),
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
    pub fn finish(mut self) -> crate::Result<FiguresCollected> {
        self.figures.sort_unstable_by_key(|f| f.session);
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
            figures: self.figures,
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
        self.figures.push(Figure::of(&line, date));
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

    fn merge(&mut self, mut other: Figures) -> sessionpay_engine::Result<()> {
        self.figures.append(&mut other.figures);
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
