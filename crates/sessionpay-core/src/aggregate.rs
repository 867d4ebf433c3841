//! Per instructor × currency × period totals (SPEC section 5), from a mergeable accumulator.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::calc::PayBreakdown;
use crate::error::Result;
use crate::money::{self, Currency};
use crate::period::{local_date, DateRange, Period, PeriodKind};
use crate::reconcile::{Reconciliation, Status};
use crate::session::{InstructorId, Session, SessionId};

/// The key of one payroll row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayrollKey {
    /// The instructor.
    pub instructor: InstructorId,
    /// The currency.
    pub currency: Currency,
    /// The pay period.
    pub period: Period,
}

impl std::hash::Hash for PayrollKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // One word per part: this is hashed once per session. The period end
        // follows from its start for a given period kind.
        state.write_u64(self.instructor.0);
        let code = self.currency.code().as_bytes();
        let start = i64::from(self.period.start.num_days_from_ce());
        state.write_u64(
            u64::from(code[0]) << 56
                | u64::from(code[1]) << 48
                | u64::from(code[2]) << 40
                | (start as u64 & 0xff_ffff_ffff),
        );
    }
}

/// Where [`Payroll`] keeps a row: [`PayrollKey`] with the period by its
/// start alone (the end follows from the start for a given period kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowKey {
    instructor: InstructorId,
    currency: Currency,
    start: NaiveDate,
}

impl std::hash::Hash for RowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Two words, from parts that cost no calendar arithmetic: this is
        // hashed once per session.
        state.write_u64(self.instructor.0);
        state.write_u64(u64::from(self.currency.bits()) << 32 | u64::from(date_bits(self.start)));
    }
}

/// The payroll row a session went into, as [`Payroll::add`] gives it: kept
/// beside the session's line, it finds the line's row among the sorted rows
/// ([`Payroll::rows_for`]) without joining on instructor, currency and date
/// again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowRef(RowKey);

impl RowRef {
    /// The first day of the row's period.
    pub fn period_start(&self) -> NaiveDate {
        self.0.start
    }
}

impl RowKey {
    /// The order of [`PayrollKey`] as two words: instructor, then currency
    /// (`Currency::bits` orders as `Currency`) and period start (`date_bits`
    /// orders as the date once its sign bit is flipped; the period end
    /// follows from the start).
    fn order(&self) -> (u64, u64) {
        (
            self.instructor.0,
            u64::from(self.currency.bits()) << 32 | u64::from(date_bits(self.start) ^ 1 << 31),
        )
    }
}

/// A date as one word without calendar arithmetic: `year << 9 | ordinal`
/// (chrono's years are within ±2^18, so this is a whole `i32`).
fn date_bits(date: NaiveDate) -> u32 {
    // The ordinal is at most 366, so the casts are exact (or a bijection, for the sign).
    (date.year() << 9 | date.ordinal() as i32) as u32
}

/// The totals of one payroll row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PayrollTotals {
    /// Every session.
    pub sessions: u64,
    /// Hours of every session.
    pub hours: Decimal,
    /// Counted customers of sessions that are not pending.
    pub counted_customers: u64,
    /// Computed pay of sessions that are not pending.
    pub computed_pay: Decimal,
    /// TeamUp's figures of sessions that are not pending (absent adds 0).
    pub reported_pay: Decimal,
    /// Sessions whose reconciliation is a mismatch.
    pub mismatched_sessions: u64,
    /// Pending sessions.
    pub pending_sessions: u64,
    /// Sessions without a rate.
    pub unrated_sessions: u64,
}

impl PayrollTotals {
    /// `reported_pay − computed_pay`.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`].
    pub fn difference(&self) -> Result<Decimal> {
        money::sub(self.reported_pay, self.computed_pay, "payroll difference")
    }

    /// Adds another row's totals into this one.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`].
    pub fn merge(&mut self, other: &PayrollTotals) -> Result<()> {
        self.sessions += other.sessions;
        self.hours = money::add(self.hours, other.hours, "payroll hours")?;
        self.counted_customers += other.counted_customers;
        self.computed_pay = money::add(self.computed_pay, other.computed_pay, "payroll computed pay")?;
        self.reported_pay = money::add(self.reported_pay, other.reported_pay, "payroll reported pay")?;
        self.mismatched_sessions += other.mismatched_sessions;
        self.pending_sessions += other.pending_sessions;
        self.unrated_sessions += other.unrated_sessions;
        Ok(())
    }

    /// The totals of one session alone: merged into a row, they add the
    /// same sums as SPEC section 5 lists for the session.
    fn of_session(session: &Session, pay: &PayBreakdown, rec: &Reconciliation) -> PayrollTotals {
        let (customers, computed, reported) = if session.pending {
            (0, Decimal::ZERO, Decimal::ZERO)
        } else {
            (
                pay.counted.total,
                pay.pay,
                session.reported.unwrap_or(Decimal::ZERO),
            )
        };
        PayrollTotals {
            sessions: 1,
            hours: session.hours,
            counted_customers: customers,
            computed_pay: computed,
            reported_pay: reported,
            mismatched_sessions: u64::from(rec.status == Status::Mismatch),
            pending_sessions: u64::from(session.pending),
            unrated_sessions: u64::from(session.rate.is_none()),
        }
    }
}

/// One session's part of its payroll row, made by [`Payroll::prepare`] and
/// added by [`Payroll::add_parts`].
#[derive(Debug, Clone, Copy)]
pub struct RowPart {
    row: RowKey,
    totals: PayrollTotals,
}

/// The name an instructor carries on their latest session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LatestName {
    starts_at: DateTime<Utc>,
    session: SessionId,
    name: Arc<str>,
}

/// A payroll accumulator: add sessions, merge partial payrolls, read rows.
///
/// Merging payrolls built from any split of the sessions gives the same rows
/// as adding them all to one.
///
/// ```
/// use sessionpay_core::{Payroll, PeriodKind};
/// let mut a = Payroll::new(PeriodKind::Month);
/// let b = Payroll::new(PeriodKind::Month);
/// a.merge(b)?;
/// assert_eq!(a.rows()?.len(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Payroll {
    kind: PeriodKind,
    range: DateRange,
    totals: HashMap<RowKey, PayrollTotals>,
    names: HashMap<InstructorId, LatestName>,
    dates: Option<(NaiveDate, NaiveDate)>,
    starts: PeriodStarts,
}

impl PartialEq for Payroll {
    fn eq(&self, other: &Payroll) -> bool {
        // `starts` is only a memory of `kind`.
        self.kind == other.kind
            && self.range == other.range
            && self.totals == other.totals
            && self.names == other.names
            && self.dates == other.dates
    }
}

impl Eq for Payroll {}

/// A memory of the period start of recent dates, by `date_bits` modulo its
/// size: any four consecutive years fit without two dates sharing a slot.
#[derive(Clone, Default)]
struct PeriodStarts {
    /// (date, the start of its period); empty until the first date.
    slots: Vec<Option<(NaiveDate, NaiveDate)>>,
}

impl PeriodStarts {
    const SLOTS: usize = 1 << 11;

    /// The start of the period of `date` under `kind`, which must be the
    /// same kind on every call.
    fn start(&mut self, kind: PeriodKind, date: NaiveDate) -> Result<NaiveDate> {
        let slot = date_bits(date) as usize % Self::SLOTS;
        if let Some(Some((known, start))) = self.slots.get(slot) {
            if *known == date {
                return Ok(*start);
            }
        }
        let start = kind.period_of(date)?.start;
        if self.slots.is_empty() {
            self.slots = vec![None; Self::SLOTS];
        }
        self.slots[slot] = Some((date, start));
        Ok(start)
    }
}

impl std::fmt::Debug for PeriodStarts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodStarts").finish_non_exhaustive()
    }
}

/// One payroll row, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayrollRow {
    /// The instructor.
    pub instructor: InstructorId,
    /// The name on the instructor's latest session.
    pub instructor_name: Arc<str>,
    /// The currency.
    pub currency: Currency,
    /// The period: for `all`, [`DateRange::all_period`] of the payroll's
    /// range and the first and last dates it took.
    pub period: Period,
    /// The totals.
    pub totals: PayrollTotals,
    /// `reported_pay − computed_pay`.
    pub difference: Decimal,
}

impl Payroll {
    /// An empty payroll bucketing by `kind`, taking every session.
    pub fn new(kind: PeriodKind) -> Payroll {
        Payroll::within(kind, DateRange::OPEN)
    }

    /// An empty payroll bucketing by `kind` that takes only the sessions
    /// whose venue-local date is in `range`.
    pub fn within(kind: PeriodKind, range: DateRange) -> Payroll {
        Payroll {
            kind,
            range,
            totals: HashMap::default(),
            names: HashMap::default(),
            dates: None,
            starts: PeriodStarts::default(),
        }
    }

    /// The period kind.
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// The dates it takes.
    pub fn range(&self) -> DateRange {
        self.range
    }

    /// Adds one priced and reconciled session, if its venue-local date is
    /// in the payroll's range, and says which row it went into (`None`:
    /// out of range, left out).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rust_decimal::Decimal;
    /// # use sessionpay_core::*;
    /// # let d = |s: &str| s.parse::<Decimal>().unwrap();
    /// # let rate = PayRate::try_new(RateId(1), "pc".into(), RateKind::PerCustomer { base: d("5") })?;
    /// # let s = Session {
    /// #     id: SessionId(1), name: "Spin".into(), instructor: InstructorId(7), instructor_name: "Ana".into(),
    /// #     venue: VenueId(101), venue_name: "Camden".into(), zone: chrono_tz::Europe::London,
    /// #     starts_at: "2026-05-31T23:30:00Z".parse()?, hours: d("1"),
    /// #     counts: Counts::try_new(4, 0, 0, 0)?, session_type: SessionType::Class,
    /// #     rate: Some(Arc::new(rate)), reported: Some(d("20.00")), pending: false,
    /// #     currency: Currency::try_from_code("GBP")?,
    /// # };
    /// let policy = RatePolicy::default();
    /// let pay = compute_pay(&s, &policy)?;
    /// let rec = reconcile(&s, &policy, &pay, Decimal::ZERO)?;
    /// let mut payroll = Payroll::new(PeriodKind::Month);
    /// let row = payroll.add(&s, &pay, &rec)?;
    /// let (rows, line_rows) = payroll.rows_for(row)?;
    /// // 23:30 UTC on 31 May is 1 June in London.
    /// assert_eq!(rows[0].period.start.to_string(), "2026-06-01");
    /// assert_eq!(rows[0].totals.computed_pay, d("20.00"));
    /// assert_eq!(line_rows.row_of(0), Some(0));
    /// // A payroll of May leaves it out.
    /// let may = DateRange::new(None, chrono::NaiveDate::from_ymd_opt(2026, 5, 31));
    /// assert_eq!(Payroll::within(PeriodKind::Month, may).add(&s, &pay, &rec)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Overflow`], or [`crate::Error::DateOutOfRange`].
    pub fn add(
        &mut self,
        session: &Session,
        pay: &PayBreakdown,
        rec: &Reconciliation,
    ) -> Result<Option<RowRef>> {
        self.add_on(local_date(session.starts_at, session.zone), session, pay, rec)
    }

    /// [`Payroll::add`] for a caller that already knows the session's
    /// venue-local date (it must be `local_date(session.starts_at, session.zone)`).
    ///
    /// # Errors
    /// As [`Payroll::add`].
    pub fn add_on(
        &mut self,
        date: NaiveDate,
        session: &Session,
        pay: &PayBreakdown,
        rec: &Reconciliation,
    ) -> Result<Option<RowRef>> {
        let Some((row, part)) = self.prepare(date, session, pay, rec)? else {
            return Ok(None);
        };
        self.totals.entry(part.row).or_default().merge(&part.totals)?;
        Ok(Some(row))
    }

    /// [`Payroll::add_on`] in two steps, for adding many sessions at a
    /// time: this notes the session's name and date and says which row it
    /// goes into, and [`Payroll::add_parts`] adds the part it gives to
    /// that row's totals.
    ///
    /// # Errors
    /// [`crate::Error::DateOutOfRange`].
    pub fn prepare(
        &mut self,
        date: NaiveDate,
        session: &Session,
        pay: &PayBreakdown,
        rec: &Reconciliation,
    ) -> Result<Option<(RowRef, RowPart)>> {
        if !self.range.contains(date) {
            return Ok(None);
        }
        let row = RowKey {
            instructor: session.instructor,
            currency: session.currency,
            start: self.starts.start(self.kind, date)?,
        };
        self.note_name(
            session.instructor,
            session.starts_at,
            session.id,
            &session.instructor_name,
        );
        self.note_dates(date, date);
        let totals = PayrollTotals::of_session(session, pay, rec);
        Ok(Some((RowRef(row), RowPart { row, totals })))
    }

    /// Adds, in order, the parts this payroll's [`Payroll::prepare`] made,
    /// and empties `parts`.
    ///
    /// Adding many at a time is faster than one by one when the rows are
    /// not in the cache: they are looked up together first, so that their
    /// reads from memory overlap instead of each waiting for the one before.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`].
    pub fn add_parts(&mut self, parts: &mut Vec<RowPart>) -> Result<()> {
        let mut seen = 0u64;
        for part in parts.iter() {
            if let Some(totals) = self.totals.get(&part.row) {
                seen = seen.wrapping_add(totals.sessions);
            }
        }
        // The sum is only there to keep the look-ups.
        std::hint::black_box(seen);
        for part in parts.drain(..) {
            self.totals.entry(part.row).or_default().merge(&part.totals)?;
        }
        Ok(())
    }

    fn note_name(
        &mut self,
        instructor: InstructorId,
        starts_at: DateTime<Utc>,
        session: SessionId,
        name: &Arc<str>,
    ) {
        let candidate = || LatestName {
            starts_at,
            session,
            name: Arc::clone(name),
        };
        match self.names.get_mut(&instructor) {
            Some(current) => {
                if (starts_at, session) > (current.starts_at, current.session) {
                    *current = candidate();
                }
            }
            None => {
                self.names.insert(instructor, candidate());
            }
        }
    }

    fn note_dates(&mut self, first: NaiveDate, last: NaiveDate) {
        self.dates = Some(match self.dates {
            Some((a, b)) => (a.min(first), b.max(last)),
            None => (first, last),
        });
    }

    /// Merges another payroll of the same period kind and range into this
    /// one; the [`RowRef`]s the other gave hold here.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`].
    pub fn merge(&mut self, other: Payroll) -> Result<()> {
        for (key, totals) in other.totals {
            self.totals.entry(key).or_default().merge(&totals)?;
        }
        for (instructor, latest) in other.names {
            self.note_name(instructor, latest.starts_at, latest.session, &latest.name);
        }
        if let Some((first, last)) = other.dates {
            self.note_dates(first, last);
        }
        Ok(())
    }

    /// The rows, sorted by instructor id, currency and period start.
    ///
    /// # Errors
    /// [`crate::Error::Overflow`] computing a difference.
    pub fn rows(&self) -> Result<Vec<PayrollRow>> {
        Ok(self.rows_for([])?.0)
    }

    /// The rows, as [`Payroll::rows`], and the index among them of each row
    /// in `refs` (what [`Payroll::add`] gave for each kept line, in the
    /// order of the lines).
    ///
    /// # Errors
    /// [`crate::Error::Overflow`] computing a difference, or
    /// [`crate::Error::UnknownPayrollRow`] for a reference another payroll gave.
    pub fn rows_for(&self, refs: impl IntoIterator<Item = RowRef>) -> Result<(Vec<PayrollRow>, LineRows)> {
        // Each row's order once: worked out in every comparison, its
        // calendar arithmetic cost more than the sort did.
        let mut ordered: Vec<((u64, u64), &RowKey, &PayrollTotals)> = self
            .totals
            .iter()
            .map(|(key, totals)| (key.order(), key, totals))
            .collect();
        ordered.sort_unstable_by_key(|(order, _, _)| *order);
        let line_rows = refs
            .into_iter()
            .map(|RowRef(key)| {
                ordered
                    .binary_search_by_key(&key.order(), |(order, _, _)| *order)
                    .map_err(|_| crate::Error::UnknownPayrollRow {
                        instructor: key.instructor.0,
                        currency: key.currency,
                        start: key.start,
                    })
            })
            .collect::<Result<Vec<usize>>>()?;
        let mut periods: HashMap<NaiveDate, Period> = HashMap::default();
        let rows = ordered
            .into_iter()
            .map(|(_, key, totals)| {
                let period = match (self.kind, self.dates) {
                    (PeriodKind::All, Some((first, last))) => self.range.all_period(first, last),
                    _ => match periods.get(&key.start) {
                        Some(period) => *period,
                        None => {
                            // The period of its own start: this worked for the date
                            // the start came from, and gives the same end.
                            let period = self.kind.period_of(key.start)?;
                            periods.insert(key.start, period);
                            period
                        }
                    },
                };
                Ok(PayrollRow {
                    instructor: key.instructor,
                    instructor_name: self
                        .names
                        .get(&key.instructor)
                        .map(|n| Arc::clone(&n.name))
                        .unwrap_or_else(|| Arc::from("")),
                    currency: key.currency,
                    period,
                    totals: *totals,
                    difference: totals.difference()?,
                })
            })
            .collect::<Result<Vec<PayrollRow>>>()?;
        Ok((
            rows,
            LineRows {
                rows: self.totals.len(),
                of_line: line_rows,
            },
        ))
    }
}

/// Which payroll row each of a list of session lines went into, from
/// [`Payroll::rows_for`]: the lines grouped under their rows without
/// filtering them again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineRows {
    /// How many rows the payroll has.
    rows: usize,
    /// The index of each line's row.
    of_line: Vec<usize>,
}

impl LineRows {
    /// How many lines it places.
    pub fn len(&self) -> usize {
        self.of_line.len()
    }

    /// Whether it places no line.
    pub fn is_empty(&self) -> bool {
        self.of_line.is_empty()
    }

    /// The index of the row of line `line`.
    pub fn row_of(&self, line: usize) -> Option<usize> {
        self.of_line.get(line).copied()
    }

    /// The same lines under a new list of `rows` rows, in which row `i` of
    /// the old list is row `moved[i]` (rows added to the list hold no line).
    ///
    /// # Errors
    /// [`crate::Error::LinesMisplaced`] when a row of a line is not in
    /// `moved`, or is moved past the end of the new list.
    pub fn moved(&self, rows: usize, moved: &[usize]) -> Result<LineRows> {
        let misplaced = || crate::Error::LinesMisplaced {
            lines: self.of_line.len(),
            placed: self.of_line.len(),
        };
        let of_line = self
            .of_line
            .iter()
            .map(|&row| {
                moved
                    .get(row)
                    .copied()
                    .filter(|&to| to < rows)
                    .ok_or_else(misplaced)
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(LineRows { rows, of_line })
    }

    /// `lines` (the lines placed, in the same order) under their rows: item
    /// `i` holds the lines of row `i`, each list in the order of `lines`.
    ///
    /// # Errors
    /// [`crate::Error::LinesMisplaced`] when `lines` is not as long as the
    /// list of lines placed.
    pub fn group<'a, T>(&self, lines: &'a [T]) -> Result<Vec<Vec<&'a T>>> {
        if lines.len() != self.of_line.len() {
            return Err(crate::Error::LinesMisplaced {
                lines: lines.len(),
                placed: self.of_line.len(),
            });
        }
        let mut out: Vec<Vec<&T>> = vec![Vec::new(); self.rows];
        for (line, &row) in lines.iter().zip(&self.of_line) {
            // Every index came from a binary search over the rows.
            if let Some(list) = out.get_mut(row) {
                list.push(line);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        compute_pay, reconcile, Counts, PayRate, RateId, RateKind, RatePolicy, SessionType, VenueId,
    };
    use std::collections::BTreeMap;

    /// splitmix64, for a repeatable spread of sessions.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Sessions over two centuries (so dates share `PeriodStarts` slots), in
    /// zones either side of UTC, with hours and pay at several scales, some
    /// pending, unrated, unreported or mismatched, each priced and reconciled.
    fn sessions(n: usize, seed: u64) -> Vec<(Session, PayBreakdown, Reconciliation)> {
        let zones = [
            chrono_tz::Europe::London,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::Australia::Sydney,
            chrono_tz::Pacific::Chatham,
        ];
        let currencies = ["GBP", "JPY", "KWD"].map(|c| Currency::try_from_code(c).unwrap());
        let hours = ["1", "1.5", "0.75", "0.00", "0", "0.8333333333333334"];
        let bases = ["6.75", "7", "712.50", "0.001", "0"];
        let policy = RatePolicy::default();
        let mut rng = Rng(seed);
        (0..n)
            .map(|i| {
                // 1900-01-01 .. 2100-01-01, on whole minutes, with a cluster in 2026.
                let minutes = if rng.below(2) == 0 {
                    rng.below(200 * 525_960) as i64 - 70 * 525_960
                } else {
                    56 * 525_960 + rng.below(2 * 525_960) as i64
                };
                let starts_at = DateTime::from_timestamp(minutes * 60, 0).unwrap();
                let base: Decimal = bases[rng.below(5) as usize].parse().unwrap();
                let rate = (rng.below(10) > 0).then(|| {
                    Arc::new(PayRate::try_new(RateId(1), "r".into(), RateKind::PerCustomer { base }).unwrap())
                });
                let attended = rng.below(12) as u32;
                let mut session = Session {
                    id: SessionId(i as u64),
                    name: "Class".into(),
                    instructor: InstructorId(rng.below(4)),
                    instructor_name: ["Ana", "Bo", "Cé"][rng.below(3) as usize].into(),
                    venue: VenueId(1),
                    venue_name: "Venue".into(),
                    zone: zones[rng.below(5) as usize],
                    starts_at,
                    hours: hours[rng.below(6) as usize].parse().unwrap(),
                    counts: Counts::try_new(attended, 0, 0, 0).unwrap(),
                    session_type: SessionType::Class,
                    rate,
                    reported: None,
                    pending: rng.below(7) == 0,
                    currency: currencies[rng.below(3) as usize],
                };
                let pay = compute_pay(&session, &policy).unwrap();
                session.reported = match rng.below(4) {
                    0 => None,
                    1 => Some(pay.pay + session.currency.minor_unit()),
                    _ => Some(pay.pay),
                };
                let rec = reconcile(&session, &policy, &pay, Decimal::ZERO).unwrap();
                (session, pay, rec)
            })
            .collect()
    }

    /// The payroll as it was summed before rows were keyed by period start
    /// and sessions added in place: one-session totals merged per session.
    fn reference(
        kind: PeriodKind,
        items: &[(Session, PayBreakdown, Reconciliation)],
    ) -> BTreeMap<PayrollKey, PayrollTotals> {
        let mut rows: BTreeMap<PayrollKey, PayrollTotals> = BTreeMap::new();
        for (session, pay, rec) in items {
            let date = local_date(session.starts_at, session.zone);
            let key = PayrollKey {
                instructor: session.instructor,
                currency: session.currency,
                period: kind.period_of(date).unwrap(),
            };
            let mut one = PayrollTotals {
                sessions: 1,
                hours: session.hours,
                ..Default::default()
            };
            if session.pending {
                one.pending_sessions = 1;
            } else {
                one.counted_customers = pay.counted.total;
                one.computed_pay = pay.pay;
                one.reported_pay = session.reported.unwrap_or(Decimal::ZERO);
            }
            if session.rate.is_none() {
                one.unrated_sessions = 1;
            }
            if rec.status == Status::Mismatch {
                one.mismatched_sessions = 1;
            }
            rows.entry(key).or_default().merge(&one).unwrap();
        }
        rows
    }

    /// Every figure as text, so a sum at another scale (`0` against `0.00`) differs.
    fn text(t: &PayrollTotals) -> String {
        format!(
            "{} {} {} {} {} {} {} {}",
            t.sessions,
            t.hours,
            t.counted_customers,
            t.computed_pay,
            t.reported_pay,
            t.mismatched_sessions,
            t.pending_sessions,
            t.unrated_sessions
        )
    }

    fn kinds() -> [PeriodKind; 5] {
        [
            PeriodKind::Month,
            PeriodKind::Semimonth,
            PeriodKind::Week {
                start: chrono::Weekday::Sun,
            },
            PeriodKind::Fortnight {
                anchor: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            },
            PeriodKind::All,
        ]
    }

    #[test]
    fn rows_equal_one_session_totals_merged_to_the_last_decimal_place() {
        for (seed, kind) in kinds().into_iter().enumerate() {
            let items = sessions(3000, seed as u64);
            let mut payroll = Payroll::new(kind);
            for (session, pay, rec) in &items {
                payroll.add(session, pay, rec).unwrap();
            }
            let rows = payroll.rows().unwrap();
            let expected = reference(kind, &items);
            assert_eq!(rows.len(), expected.len(), "{kind:?}");
            for (row, (key, totals)) in rows.iter().zip(&expected) {
                assert_eq!((row.instructor, row.currency), (key.instructor, key.currency));
                if kind != PeriodKind::All {
                    assert_eq!(row.period, key.period, "{kind:?}");
                }
                assert_eq!(text(&row.totals), text(totals), "{kind:?} {key:?}");
                assert_eq!(
                    row.difference.to_string(),
                    totals.difference().unwrap().to_string()
                );
            }
        }
    }

    #[test]
    fn parts_added_in_batches_equal_sessions_added_one_by_one() {
        let range = DateRange::new(
            NaiveDate::from_ymd_opt(2026, 2, 1),
            NaiveDate::from_ymd_opt(2026, 10, 31),
        );
        for (seed, kind) in kinds().into_iter().enumerate() {
            let items = sessions(3000, 200 + seed as u64);
            for batch in [1, 7, 16, 5000] {
                let mut one_by_one = Payroll::within(kind, range);
                let mut batched = Payroll::within(kind, range);
                let mut parts = Vec::new();
                for (session, pay, rec) in &items {
                    let date = local_date(session.starts_at, session.zone);
                    let row = one_by_one.add_on(date, session, pay, rec).unwrap();
                    let prepared = batched.prepare(date, session, pay, rec).unwrap();
                    assert_eq!(row, prepared.map(|(row, _)| row));
                    parts.extend(prepared.map(|(_, part)| part));
                    if parts.len() == batch {
                        batched.add_parts(&mut parts).unwrap();
                        assert!(parts.is_empty());
                    }
                }
                batched.add_parts(&mut parts).unwrap();
                assert_eq!(batched, one_by_one, "{kind:?} in batches of {batch}");
                assert!(!batched.rows().unwrap().is_empty());
            }
        }
    }

    #[test]
    fn merged_parts_equal_the_whole_and_merge_as_before() {
        for (seed, kind) in kinds().into_iter().enumerate() {
            let items = sessions(2000, 100 + seed as u64);
            let mut whole = Payroll::new(kind);
            let mut parts = [Payroll::new(kind), Payroll::new(kind), Payroll::new(kind)];
            let mut part_items: [Vec<_>; 3] = Default::default();
            for (i, item) in items.iter().enumerate() {
                let (session, pay, rec) = item;
                whole.add(session, pay, rec).unwrap();
                parts[i * 7 % 3].add(session, pay, rec).unwrap();
                part_items[i * 7 % 3].push(item.clone());
            }
            let [a, b, c] = parts;
            let mut merged = Payroll::new(kind);
            for part in [c, a, b] {
                merged.merge(part).unwrap();
            }
            // Equal figures (a zero sum's scale depends on the order of the
            // sums, here as before; outputs normalise or round it away).
            assert_eq!(merged, whole, "{kind:?}");
            assert_eq!(merged.rows().unwrap(), whole.rows().unwrap(), "{kind:?}");
            // And to the last decimal place what merging the one-session sums gave.
            let mut expected: BTreeMap<PayrollKey, PayrollTotals> = BTreeMap::new();
            for p in [2, 0, 1] {
                for (key, totals) in reference(kind, &part_items[p]) {
                    expected.entry(key).or_default().merge(&totals).unwrap();
                }
            }
            let rows = merged.rows().unwrap();
            assert_eq!(rows.len(), expected.len());
            for (row, totals) in rows.iter().zip(expected.values()) {
                assert_eq!(text(&row.totals), text(totals), "{kind:?}");
            }
        }
    }

    #[test]
    fn payrolls_are_equal_whatever_dates_they_remember() {
        let items = sessions(500, 7);
        let (mut forwards, mut backwards) =
            (Payroll::new(PeriodKind::Month), Payroll::new(PeriodKind::Month));
        for (session, pay, rec) in &items {
            forwards.add(session, pay, rec).unwrap();
        }
        for (session, pay, rec) in items.iter().rev() {
            backwards.add(session, pay, rec).unwrap();
        }
        assert_eq!(forwards, backwards);
        assert_ne!(forwards, Payroll::new(PeriodKind::Month));
    }

    #[test]
    fn row_keys_order_as_payroll_keys_do() {
        let currencies = ["GBP", "JPY", "KWD", "EUR", "AUD"].map(|c| Currency::try_from_code(c).unwrap());
        let mut keys = Vec::new();
        for instructor in [0, 1, 7, u64::MAX] {
            for currency in currencies {
                for start in [
                    NaiveDate::MIN,
                    NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
                    NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
                    NaiveDate::from_ymd_opt(1969, 12, 31).unwrap(),
                    NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
                    NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
                    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                    NaiveDate::MAX,
                ] {
                    keys.push(RowKey {
                        instructor: InstructorId(instructor),
                        currency,
                        start,
                    });
                }
            }
        }
        let as_payroll_key = |k: &RowKey| (k.instructor, k.currency, k.start);
        for a in &keys {
            for b in &keys {
                assert_eq!(
                    a.order().cmp(&b.order()),
                    as_payroll_key(a).cmp(&as_payroll_key(b)),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn an_overflowing_sum_is_an_error_not_a_figure() {
        let (mut session, pay, rec) = sessions(1, 9).remove(0);
        session.hours = Decimal::MAX;
        let mut payroll = Payroll::new(PeriodKind::All);
        payroll.add(&session, &pay, &rec).unwrap();
        let err = payroll.add(&session, &pay, &rec).unwrap_err();
        assert!(
            matches!(err, crate::Error::Overflow { op: "payroll hours" }),
            "{err}"
        );
    }

    #[test]
    fn a_date_whose_period_is_off_the_calendar_is_an_error_every_time() {
        let (session, pay, rec) = sessions(1, 3).remove(0);
        let mut payroll = Payroll::new(PeriodKind::Month);
        for _ in 0..2 {
            let err = payroll.add_on(NaiveDate::MAX, &session, &pay, &rec).unwrap_err();
            assert!(matches!(err, crate::Error::DateOutOfRange { .. }), "{err}");
        }
        assert!(payroll.rows().unwrap().is_empty());
    }

    /// A range around the 2026 cluster of [`sessions`], cutting into months.
    fn range() -> DateRange {
        DateRange::new(
            NaiveDate::from_ymd_opt(2026, 3, 17),
            NaiveDate::from_ymd_opt(2027, 8, 2),
        )
    }

    #[test]
    fn every_line_goes_to_the_row_it_was_summed_into_across_merges() {
        for (seed, kind) in kinds().into_iter().enumerate() {
            for range in [DateRange::OPEN, range()] {
                let items = sessions(2000, 200 + seed as u64);
                let mut parts = [Payroll::within(kind, range), Payroll::within(kind, range)];
                let mut kept = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let (session, pay, rec) = item;
                    if let Some(row) = parts[i % 2].add(session, pay, rec).unwrap() {
                        kept.push((item.clone(), row));
                    }
                }
                let [mut payroll, other] = parts;
                payroll.merge(other).unwrap();
                let (rows, line_rows) = payroll.rows_for(kept.iter().map(|(_, row)| *row)).unwrap();
                assert_eq!(rows, payroll.rows().unwrap());
                let lines: Vec<_> = kept.into_iter().map(|(item, _)| item).collect();
                let groups = line_rows.group(&lines).unwrap();
                assert_eq!(groups.len(), rows.len());
                assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), lines.len());
                for (row, group) in rows.iter().zip(&groups) {
                    let items: Vec<_> = group.iter().map(|item| (*item).clone()).collect();
                    let sums = reference(kind, &items);
                    // One row's worth, with the row's own totals (equal
                    // figures: the scale of a zero sum follows the order of the sums).
                    assert_eq!(sums.len(), 1, "{kind:?} {range:?}");
                    let (key, totals) = sums.iter().next().unwrap();
                    assert_eq!((key.instructor, key.currency), (row.instructor, row.currency));
                    if kind != PeriodKind::All {
                        assert_eq!(key.period, row.period, "{kind:?}");
                    }
                    assert_eq!(*totals, row.totals, "{kind:?} {range:?}");
                }
            }
        }
    }

    #[test]
    fn a_payroll_within_a_range_takes_only_its_dates() {
        let items = sessions(3000, 11);
        let range = range();
        for kind in kinds() {
            let mut within = Payroll::within(kind, range);
            let mut filtered = Payroll::new(kind);
            for (session, pay, rec) in &items {
                let date = local_date(session.starts_at, session.zone);
                let row = within.add(session, pay, rec).unwrap();
                assert_eq!(row.is_some(), range.contains(date), "{date}");
                if range.contains(date) {
                    filtered.add(session, pay, rec).unwrap();
                }
            }
            let (a, b) = (within.rows().unwrap(), filtered.rows().unwrap());
            assert!(!a.is_empty());
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(&b) {
                assert_eq!(a.totals, b.totals);
                if kind != PeriodKind::All {
                    assert_eq!(a.period, b.period);
                }
            }
        }
    }

    #[test]
    fn the_all_period_is_the_range_asked_for_and_the_dates_seen_at_an_open_end() {
        let items = sessions(3000, 12);
        let dates: Vec<NaiveDate> = items
            .iter()
            .map(|(s, _, _)| local_date(s.starts_at, s.zone))
            .collect();
        let (from, to) = (range().from().unwrap(), range().to().unwrap());
        let (first, last) = (*dates.iter().min().unwrap(), *dates.iter().max().unwrap());
        assert!(first < from && to < last);
        for (range, start, end) in [
            (DateRange::OPEN, first, last),
            (DateRange::new(Some(from), None), from, last),
            (DateRange::new(None, Some(to)), first, to),
            (range(), from, to),
        ] {
            let mut payroll = Payroll::within(PeriodKind::All, range);
            for (session, pay, rec) in &items {
                payroll.add(session, pay, rec).unwrap();
            }
            let rows = payroll.rows().unwrap();
            assert!(!rows.is_empty());
            for row in &rows {
                assert_eq!((row.period.start, row.period.end), (start, end), "{range:?}");
            }
        }
    }

    #[test]
    fn a_row_another_payroll_gave_is_an_error_not_a_misplaced_line() {
        let items = sessions(50, 13);
        let mut one = Payroll::new(PeriodKind::Month);
        let mut other = Payroll::new(PeriodKind::Month);
        let (session, pay, rec) = &items[0];
        one.add(session, pay, rec).unwrap();
        let mut moved = session.clone();
        moved.instructor = InstructorId(99);
        let foreign = other.add(&moved, pay, rec).unwrap();
        let err = one.rows_for(foreign).unwrap_err();
        assert!(
            matches!(err, crate::Error::UnknownPayrollRow { instructor: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn lines_of_another_list_are_not_grouped() {
        let items = sessions(3, 14);
        let mut payroll = Payroll::new(PeriodKind::Month);
        let rows: Vec<RowRef> = items
            .iter()
            .filter_map(|(s, p, r)| payroll.add(s, p, r).unwrap())
            .collect();
        let (_, line_rows) = payroll.rows_for(rows).unwrap();
        assert_eq!(line_rows.len(), 3);
        let err = line_rows.group(&items[..2]).unwrap_err();
        assert!(
            matches!(err, crate::Error::LinesMisplaced { lines: 2, placed: 3 }),
            "{err}"
        );
        assert_eq!(line_rows.group(&items).unwrap().concat().len(), 3);
    }
}
