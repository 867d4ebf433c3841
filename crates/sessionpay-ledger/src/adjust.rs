//! Adjustments: every session whose figure differs from what was paid, and
//! their sums carried into each instructor's first open period.

use std::collections::BTreeSet;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use sessionpay_core::chrono::{Days, NaiveDate};
use sessionpay_core::{
    Adjustment, Change, Currency, InstructorId, PayrollRow, PayrollTotals, Period, PeriodKind,
};

use crate::{ClosedPeriod, Figure, PaidSession, Result};

fn sub(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_sub(b)
        .ok_or_else(|| sessionpay_core::Error::Overflow { op: "an adjustment" }.into())
}

/// A paid session no longer in the closed periods: all it was paid comes back.
fn removed(session: u64, b: &PaidSession, what: String) -> Result<Adjustment> {
    Ok(Adjustment {
        session,
        instructor: InstructorId(b.instructor),
        currency: b.currency,
        period_start: b.period_start,
        paid: b.pay,
        computed: Decimal::ZERO,
        adjustment: sub(Decimal::ZERO, b.pay)?,
        change: Change::Removed,
        what,
    })
}

/// What differs between what was paid and the figure now.
fn what_changed(paid: &PaidSession, now: &Figure, now_start: NaiveDate) -> String {
    let mut parts = Vec::new();
    let names = ["attended", "comped", "late_cancels", "no_shows"];
    for ((name, a), b) in names.iter().zip(paid.counts).zip(now.counts) {
        if a != b {
            parts.push(format!("{name} {a}→{b}"));
        }
    }
    if paid.hours != now.hours {
        parts.push(format!(
            "hours {}→{}",
            paid.hours.normalize(),
            now.hours.normalize()
        ));
    }
    if paid.rate != now.rate {
        let id = |r: Option<u64>| r.map_or_else(|| "none".to_string(), |r| r.to_string());
        parts.push(format!("rate {}→{}", id(paid.rate), id(now.rate)));
    }
    if paid.pending != now.pending {
        let yes = |b| if b { "yes" } else { "no" };
        parts.push(format!("pending {}→{}", yes(paid.pending), yes(now.pending)));
    }
    if paid.period_start != now_start {
        parts.push(format!("period {}→{now_start}", paid.period_start));
    }
    if parts.is_empty() {
        // Same counts, hours and rate id: the rate's amounts or the policy changed.
        parts.push("rate amount or policy".into());
    }
    parts.join("; ")
}

/// The closed periods compared: with `from`/`to` those overlapping the
/// dates, else those the input has sessions on (`dates`).
fn considered(
    closed: &[ClosedPeriod],
    dates: &FxHashSet<NaiveDate>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> BTreeSet<NaiveDate> {
    if from.is_some() || to.is_some() {
        closed
            .iter()
            .filter(|c| from.is_none_or(|f| c.period.end >= f) && to.is_none_or(|t| c.period.start <= t))
            .map(|c| c.period.start)
            .collect()
    } else {
        closed
            .iter()
            .filter(|c| dates.iter().any(|d| c.period.start <= *d && *d <= c.period.end))
            .map(|c| c.period.start)
            .collect()
    }
}

/// Joins figures and paid sessions, both in ascending session id, into the
/// adjustments, handed out in order of session id (and [`Change`]).
struct Join<'a, P: Iterator<Item = Result<(u64, PaidSession)>>> {
    closed: &'a [ClosedPeriod],
    considered: BTreeSet<NaiveDate>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    paid: std::iter::Peekable<P>,
    /// The paid session of the last figure's id, for a second figure of it.
    last: Option<(u64, PaidSession)>,
}

impl<P: Iterator<Item = Result<(u64, PaidSession)>>> Join<'_, P> {
    /// The next paid session if its id is below `below` (all with `None`);
    /// of rows of one id, the last.
    fn next_paid(&mut self, below: Option<u64>) -> Result<Option<(u64, PaidSession)>> {
        let due = |item: &Result<(u64, PaidSession)>| match item {
            Ok((id, _)) => below.is_none_or(|b| *id < b),
            Err(_) => true,
        };
        let Some(mut item) = self.paid.next_if(due).transpose()? else {
            return Ok(None);
        };
        while let Some(next) = self.paid.next_if(|n| matches!(n, Ok((id, _)) if *id == item.0)) {
            item = next?;
        }
        Ok(Some(item))
    }

    /// A paid session absent from the input.
    fn gone(&self, id: u64, b: &PaidSession, emit: &mut impl FnMut(Adjustment) -> Result<()>) -> Result<()> {
        if self.considered.contains(&b.period_start) && !b.pay.is_zero() {
            emit(removed(id, b, "not in the input".into())?)?;
        }
        Ok(())
    }

    fn figure(&mut self, f: &Figure, emit: &mut impl FnMut(Adjustment) -> Result<()>) -> Result<()> {
        while let Some((id, b)) = self.next_paid(Some(f.session))? {
            self.gone(id, &b, emit)?;
        }
        if self.last.as_ref().is_none_or(|(id, _)| *id != f.session) {
            self.last = match self.paid.peek() {
                Some(Ok((id, _))) if *id == f.session => self.next_paid(None)?,
                Some(Err(_)) => self.next_paid(None)?,
                _ => None,
            };
        }
        let before = self.last.as_ref().map(|(_, b)| b);
        let period = self
            .closed
            .iter()
            .map(|c| c.period)
            .find(|p| p.start <= f.date && f.date <= p.end);
        let in_range = self.from.is_none_or(|d| f.date >= d) && self.to.is_none_or(|d| f.date <= d);
        let added = |p: Period| Adjustment {
            session: f.session,
            instructor: InstructorId(f.instructor),
            currency: f.currency,
            period_start: p.start,
            paid: Decimal::ZERO,
            computed: f.pay,
            adjustment: f.pay,
            change: Change::Added,
            what: String::new(),
        };
        match (period, before) {
            (Some(p), None) => {
                if in_range && self.considered.contains(&p.start) {
                    emit(added(p))?;
                }
            }
            (Some(p), Some(b)) => {
                if b.currency != f.currency {
                    // Sorted by change: added before removed.
                    emit(Adjustment {
                        what: format!("currency {}→{}", b.currency, f.currency),
                        ..added(p)
                    })?;
                    emit(removed(
                        f.session,
                        b,
                        format!("currency {}→{}", b.currency, f.currency),
                    )?)?;
                } else if b.pay != f.pay {
                    emit(Adjustment {
                        session: f.session,
                        instructor: InstructorId(f.instructor),
                        currency: f.currency,
                        period_start: p.start,
                        paid: b.pay,
                        computed: f.pay,
                        adjustment: sub(f.pay, b.pay)?,
                        change: Change::Changed,
                        what: what_changed(b, f, p.start),
                    })?;
                }
            }
            (None, Some(b)) => {
                if !b.pay.is_zero() {
                    emit(removed(
                        f.session,
                        b,
                        format!("moved to an open period ({})", f.date),
                    )?)?;
                }
            }
            (None, None) => {}
        }
        Ok(())
    }

    fn finish(mut self, emit: &mut impl FnMut(Adjustment) -> Result<()>) -> Result<()> {
        while let Some((id, b)) = self.next_paid(None)? {
            self.gone(id, &b, emit)?;
        }
        Ok(())
    }
}

/// The adjustments of the figures `each` hands out (in ascending session
/// id) against the sessions the ledger paid (`paid`, in ascending session
/// id), given to `emit` sorted by session id: a join of two sorted streams
/// that holds neither.
///
/// The periods compared are the closed periods the figures have sessions in
/// (`dates`), or, with `from`/`to`, the closed periods overlapping those
/// dates. A paid session now in an open period is removed (the open payroll
/// pays it).
///
/// # Errors
/// An amount out of range, a stored value that does not read back, `emit`'s.
#[allow(clippy::too_many_arguments)]
pub fn join_adjustments(
    closed: &[ClosedPeriod],
    dates: &FxHashSet<NaiveDate>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    paid: impl Iterator<Item = Result<(u64, PaidSession)>>,
    each: impl FnOnce(&mut dyn FnMut(Figure) -> Result<()>) -> Result<()>,
    mut emit: impl FnMut(Adjustment) -> Result<()>,
) -> Result<()> {
    let mut join = Join {
        closed,
        considered: considered(closed, dates, from, to),
        from,
        to,
        paid: paid.peekable(),
        last: None,
    };
    each(&mut |f| join.figure(&f, &mut emit))?;
    join.finish(&mut emit)
}

/// The adjustments of `figures` (sorted by session id) against what the
/// ledger paid, as [`join_adjustments`] gives them.
///
/// # Errors
/// An amount out of range, a stored currency that is not one.
pub fn adjustments(
    closed: &[ClosedPeriod],
    paid: &FxHashMap<u64, PaidSession>,
    figures: &[Figure],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Adjustment>> {
    let mut sorted: Vec<(u64, PaidSession)> = paid.iter().map(|(id, b)| (*id, b.clone())).collect();
    sorted.sort_unstable_by_key(|(id, _)| *id);
    let dates = figures.iter().map(|f| f.date).collect();
    let mut out = Vec::new();
    join_adjustments(
        closed,
        &dates,
        from,
        to,
        sorted.into_iter().map(Ok),
        |each| figures.iter().try_for_each(|f| each(f.clone())),
        |a| {
            out.push(a);
            Ok(())
        },
    )?;
    Ok(out)
}

/// The period after the last closed one: where adjustments of instructors
/// who taught nothing open are carried.
///
/// # Errors
/// A date at the end of the calendar.
pub fn first_open(kind: PeriodKind, closed: &[ClosedPeriod]) -> Result<Option<Period>> {
    let Some(last) = closed.iter().map(|c| c.period.end).max() else {
        return Ok(None);
    };
    let Some(next) = last.checked_add_days(Days::new(1)) else {
        return Ok(None);
    };
    Ok(Some(kind.period_of(next)?))
}

/// A payroll row with the adjustments carried into it.
#[derive(Debug, Clone)]
pub struct Carried {
    /// The row (0 sessions when the instructor taught nothing then).
    pub row: PayrollRow,
    /// The adjustments carried into it.
    pub adjustments: Decimal,
    /// `computed_pay + adjustments`.
    pub total_due: Decimal,
}

/// Carries each instructor × currency's adjustments into their first row
/// of `rows` (sorted, open periods only), or into a row of `first_open`
/// with no session; `names` gives instructors' names for such rows.
///
/// # Errors
/// A sum out of range.
pub fn carry(
    rows: Vec<PayrollRow>,
    adjustments: &[Adjustment],
    first_open: Option<Period>,
    names: &FxHashMap<u64, Arc<str>>,
) -> Result<Vec<Carried>> {
    let mut sums = Sums::default();
    for a in adjustments {
        sums.add(a)?;
    }
    carry_sums(rows, sums, first_open, names)
}

/// Each instructor × currency's sum of adjustments.
#[derive(Debug, Default)]
pub struct Sums(std::collections::BTreeMap<(u64, Currency), Decimal>);

impl Sums {
    /// Adds one adjustment.
    ///
    /// # Errors
    /// A sum out of range.
    pub fn add(&mut self, a: &Adjustment) -> Result<()> {
        let sum = self.0.entry((a.instructor.0, a.currency)).or_default();
        *sum = sum
            .checked_add(a.adjustment)
            .ok_or(sessionpay_core::Error::Overflow {
                op: "carried adjustments",
            })?;
        Ok(())
    }
}

/// [`carry`] of adjustments summed already.
///
/// # Errors
/// A sum out of range.
pub fn carry_sums(
    rows: Vec<PayrollRow>,
    sums: Sums,
    first_open: Option<Period>,
    names: &FxHashMap<u64, Arc<str>>,
) -> Result<Vec<Carried>> {
    let overflow = || sessionpay_core::Error::Overflow {
        op: "carried adjustments",
    };
    let sums = sums.0;
    let mut out: Vec<Carried> = rows
        .into_iter()
        .map(|row| Carried {
            total_due: row.totals.computed_pay,
            row,
            adjustments: Decimal::ZERO,
        })
        .collect();
    for ((instructor, currency), sum) in sums {
        let target = out
            .iter()
            .position(|c| c.row.instructor.0 == instructor && c.row.currency == currency);
        let index = match (target, first_open) {
            (Some(i), _) => i,
            (None, Some(period)) => {
                out.push(Carried {
                    row: PayrollRow {
                        instructor: InstructorId(instructor),
                        instructor_name: names.get(&instructor).cloned().unwrap_or_else(|| Arc::from("")),
                        currency,
                        period,
                        totals: PayrollTotals::default(),
                        difference: Decimal::ZERO,
                    },
                    adjustments: Decimal::ZERO,
                    total_due: Decimal::ZERO,
                });
                out.len() - 1
            }
            (None, None) => continue,
        };
        let c = &mut out[index];
        c.adjustments = c.adjustments.checked_add(sum).ok_or_else(overflow)?;
        c.total_due = c
            .row
            .totals
            .computed_pay
            .checked_add(c.adjustments)
            .ok_or_else(overflow)?;
    }
    out.sort_by_key(|c| (c.row.instructor.0, c.row.currency, c.row.period.start));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    use crate::{ClosePlan, Ledger};

    fn date(day: u32) -> NaiveDate {
        // Days 1..=60 from 1 May: May and June.
        NaiveDate::from_ymd_opt(2026, 5, 1).expect("date") + Days::new(u64::from(day))
    }

    fn figure(session: u64, day: u32, cents: i64) -> Figure {
        Figure {
            session,
            instructor: session % 3,
            currency: Currency::try_from_code("GBP").expect("GBP"),
            date: date(day),
            rate: Some(1),
            rate_type: Some("per_customer"),
            counts: [1, 0, 0, 0],
            counted: 1,
            hours: Decimal::ONE,
            pending: false,
            pay: Decimal::new(cents, 2),
        }
    }

    fn plan() -> ClosePlan {
        ClosePlan {
            closed_at: "2026-06-01T00:00:00Z".into(),
            tool_version: "test".into(),
            period_kind: "month".into(),
            through: date(30),
            options: "{}".into(),
            inputs: Vec::new(),
            policy: None,
            default_policy: String::new(),
            rates: Vec::new(),
            periods: vec![PeriodKind::Month.period_of(date(0)).expect("May")],
        }
    }

    #[test]
    fn a_new_currency_is_a_removal_and_an_addition_and_a_move_to_june_a_removal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("pay.db");
        let mut ledger = Ledger::open_or_create(&path).expect("ledger");
        let paid = [figure(1, 3, 500), figure(2, 4, 700), figure(3, 5, 900)];
        ledger.close(&plan(), &paid).expect("close");
        let mut euro = figure(1, 3, 600);
        euro.currency = Currency::try_from_code("EUR").expect("EUR");
        let moved = figure(2, 40, 700);
        let same = figure(3, 5, 900);
        let closed = ledger.closed_periods().expect("closed");
        let rows = adjustments(
            &closed,
            &ledger.paid().expect("paid"),
            &[euro, moved, same],
            None,
            None,
        )
        .expect("adjustments");
        let seen: Vec<(u64, &str, &str, String)> = rows
            .iter()
            .map(|a| {
                (
                    a.session,
                    a.change.as_str(),
                    a.currency.code(),
                    a.adjustment.to_string(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (1, "added", "EUR", "6.00".to_string()),
                (1, "removed", "GBP", "-5.00".to_string()),
                (2, "removed", "GBP", "-7.00".to_string()),
            ]
        );
        assert_eq!(rows[2].what, "moved to an open period (2026-06-10)");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Whatever the edits (new figures, sessions removed or added, dates
        /// moved), the adjustments sum to the closed period's new total less
        /// what was paid, plus what left it for an open period.
        #[test]
        fn adjustments_sum_to_the_new_total_less_the_paid_total(
            sessions in proptest::collection::vec((0u32..31, 0i64..10_000), 1..30),
            edits in proptest::collection::vec((0usize..40, 0u32..60, 0i64..10_000, 0u8..3), 0..20),
        ) {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("pay.db");
            let paid_figures: Vec<Figure> = sessions
                .iter()
                .enumerate()
                .map(|(i, (day, cents))| figure(i as u64 + 1, *day, *cents))
                .collect();
            let mut ledger = Ledger::open_or_create(&path).expect("ledger");
            ledger.close(&plan(), &paid_figures).expect("close");
            let mut now: std::collections::BTreeMap<u64, Figure> =
                paid_figures.iter().map(|f| (f.session, f.clone())).collect();
            for (id, day, cents, what) in edits {
                let id = id as u64 + 1;
                match what {
                    0 => { now.remove(&id); }
                    _ => { now.insert(id, figure(id, day, cents)); }
                }
            }
            let figures: Vec<Figure> = now.values().cloned().collect();
            let ledger = Ledger::open(&path).expect("reopen");
            let closed = ledger.closed_periods().expect("closed");
            let paid = ledger.paid().expect("paid");
            let rows = adjustments(&closed, &paid, &figures, Some(date(0)), Some(date(30))).expect("adjustments");
            // The join over the ledger's rows read in session-id order gives the same.
            let dates = figures.iter().map(|f| f.date).collect();
            let mut streamed = Vec::new();
            ledger
                .with_paid(|paid| {
                    join_adjustments(
                        &closed,
                        &dates,
                        Some(date(0)),
                        Some(date(30)),
                        paid,
                        |each| figures.iter().try_for_each(|f| each(f.clone())),
                        |a| {
                            streamed.push(a);
                            Ok(())
                        },
                    )
                })
                .expect("joined");
            prop_assert_eq!(&streamed, &rows);
            let may = closed[0].period;
            let in_may = |f: &&Figure| may.start <= f.date && f.date <= may.end;
            let new_total: Decimal = figures.iter().filter(in_may).map(|f| f.pay).sum();
            let paid_total: Decimal = paid_figures.iter().map(|f| f.pay).sum();
            let sum: Decimal = rows.iter().map(|a| a.adjustment).sum();
            prop_assert_eq!(sum, new_total - paid_total);
            for a in &rows {
                prop_assert_eq!(a.adjustment, a.computed - a.paid);
                prop_assert!(!a.adjustment.is_zero() || a.change == Change::Added);
            }
        }
    }
}
