//! Per instructor × currency × period totals (SPEC section 5), from a mergeable accumulator.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::calc::PayBreakdown;
use crate::error::Result;
use crate::money::{self, Currency};
use crate::period::{local_date, Period, PeriodKind};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payroll {
    kind: PeriodKind,
    totals: HashMap<PayrollKey, PayrollTotals>,
    names: HashMap<InstructorId, LatestName>,
    dates: Option<(NaiveDate, NaiveDate)>,
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
    /// The period (for `all`, the first and last dates seen).
    pub period: Period,
    /// The totals.
    pub totals: PayrollTotals,
    /// `reported_pay − computed_pay`.
    pub difference: Decimal,
}

impl Payroll {
    /// An empty payroll bucketing by `kind`.
    pub fn new(kind: PeriodKind) -> Payroll {
        Payroll {
            kind,
            totals: HashMap::default(),
            names: HashMap::default(),
            dates: None,
        }
    }

    /// The period kind.
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// Adds one priced and reconciled session.
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
    /// payroll.add(&s, &pay, &rec)?;
    /// let rows = payroll.rows()?;
    /// // 23:30 UTC on 31 May is 1 June in London.
    /// assert_eq!(rows[0].period.start.to_string(), "2026-06-01");
    /// assert_eq!(rows[0].totals.computed_pay, d("20.00"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Overflow`], or [`crate::Error::DateOutOfRange`].
    pub fn add(&mut self, session: &Session, pay: &PayBreakdown, rec: &Reconciliation) -> Result<()> {
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
    ) -> Result<()> {
        let key = PayrollKey {
            instructor: session.instructor,
            currency: session.currency,
            period: self.kind.period_of(date)?,
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
        self.totals.entry(key).or_default().merge(&one)?;
        self.note_name(
            session.instructor,
            session.starts_at,
            session.id,
            &session.instructor_name,
        );
        self.note_dates(date, date);
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

    /// Merges another payroll of the same period kind into this one.
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
        let mut keys: Vec<&PayrollKey> = self.totals.keys().collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|key| {
                let totals = &self.totals[key];
                let period = match (self.kind, self.dates) {
                    (PeriodKind::All, Some((start, end))) => Period { start, end },
                    _ => key.period,
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
            .collect()
    }
}
