//! Where a run's sessions go, and how they are priced on the way.

use rustc_hash::FxHashMap as HashMap;
use sessionpay_core::{PayMemo, RateId, RatePolicy, RateTable, Session, SessionLine};
use sessionpay_io::{Names, Place};

use crate::{Result, Tolerance};

/// Takes the distinct sessions of a run: a payroll accumulator, a list of
/// lines, the observations of `rates infer`. A parallel run gives each worker
/// its own collector (made by the same function) and merges them at the end.
pub trait Collector: Sized + Send {
    /// What it takes of each session: a [`SessionLine`] (priced and
    /// reconciled) or the [`Session`] alone (nothing is priced).
    type Item: Item;

    /// Takes one session.
    ///
    /// # Errors
    /// Whatever keeps it from taking the session; the run stops with it.
    fn add(&mut self, item: Self::Item) -> Result<()>;

    /// Takes everything another collector of the same run took.
    ///
    /// # Errors
    /// As [`Collector::add`].
    fn merge(&mut self, other: Self) -> Result<()>;

    /// The parallel read is about to hand over the rows of part `part`
    /// (parts are numbered in input order, and each worker takes its parts
    /// in that order).
    ///
    /// # Errors
    /// As [`Collector::add`].
    fn begin_part(&mut self, _part: usize) -> Result<()> {
        Ok(())
    }

    /// Every row of part `part` was handed over.
    ///
    /// # Errors
    /// As [`Collector::add`].
    fn end_part(&mut self, _part: usize) -> Result<()> {
        Ok(())
    }

    /// This collector begins the sequential pass after a parallel read that
    /// was given up: what it shares with that read's collectors starts afresh.
    ///
    /// # Errors
    /// As [`Collector::add`].
    fn start_over(&mut self) -> Result<()> {
        Ok(())
    }

    /// The names its output shows. The parallel reader skips the others (the
    /// sequential pass keeps every name: its duplicate check compares whole rows).
    fn names(&self) -> Names {
        Names::All
    }
}

/// What a collector takes of a session, made from it once its currency is settled.
pub trait Item: Sized + Send {
    /// Makes the item of `session`; `place` names where it was read, for errors.
    ///
    /// # Errors
    /// The session cannot be priced or reconciled.
    fn from_session(session: Session, pricer: &mut Pricer<'_>, place: impl Fn() -> Place) -> Result<Self>;
}

impl Item for Session {
    fn from_session(session: Session, _: &mut Pricer<'_>, _: impl Fn() -> Place) -> Result<Session> {
        Ok(session)
    }
}

impl Item for SessionLine {
    fn from_session(
        session: Session,
        pricer: &mut Pricer<'_>,
        place: impl Fn() -> Place,
    ) -> Result<SessionLine> {
        pricer.price(session).map_err(|source| {
            sessionpay_io::Error::Core {
                place: place(),
                source,
            }
            .into()
        })
    }
}

/// Every rate's resolved policy, looked up once per session, and the
/// tolerance of the reconciliation.
#[derive(Debug, Clone)]
pub struct Pricing {
    by_rate: HashMap<RateId, RatePolicy>,
    default: RatePolicy,
    tolerance: Tolerance,
}

impl Pricing {
    /// The policies of `table`, resolved, with `tolerance`.
    pub fn new(table: &RateTable, tolerance: impl Into<Tolerance>) -> Pricing {
        Pricing {
            by_rate: table
                .rates
                .keys()
                .map(|id| (*id, table.policy_for(*id)))
                .collect(),
            default: table.default_policy(),
            tolerance: tolerance.into(),
        }
    }

    /// The policy of a session with `rate` (the defaults without one or for a rate the table does not name).
    pub fn policy(&self, rate: Option<RateId>) -> RatePolicy {
        rate.and_then(|id| self.by_rate.get(&id).copied())
            .unwrap_or(self.default)
    }

    /// A pricer of its own for one worker.
    pub fn pricer(&self) -> Pricer<'_> {
        Pricer {
            pricing: self,
            memo: PayMemo::new(),
        }
    }
}

/// One worker's pricing: the run's [`Pricing`] and a [`PayMemo`] of the
/// figures it has worked out, so that each distinct figure is worked out
/// about once per worker.
#[derive(Debug)]
pub struct Pricer<'a> {
    pricing: &'a Pricing,
    memo: PayMemo,
}

impl Pricer<'_> {
    /// Prices and reconciles one session under its rate's policy: the line
    /// [`SessionLine::price`] makes.
    ///
    /// # Errors
    /// The pay or the reconciliation is out of range.
    pub fn price(&mut self, session: Session) -> sessionpay_core::Result<SessionLine> {
        let policy = self.pricing.policy(session.rate.as_ref().map(|r| r.id));
        let tolerance = self.pricing.tolerance.of(session.currency);
        SessionLine::price_with(session, &policy, tolerance, &mut self.memo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use rust_decimal::Decimal;
    use sessionpay_core::PolicyOverrides;

    #[test]
    fn a_rate_the_table_names_gets_its_policy_and_any_other_the_defaults() {
        let mut table = RateTable::default();
        table.rates.insert(
            RateId(3),
            PolicyOverrides {
                count_no_shows: Some(!table.default_policy().count_no_shows),
                ..PolicyOverrides::default()
            },
        );
        let pricing = Pricing::new(&table, Decimal::ZERO);
        assert_eq!(pricing.policy(Some(RateId(3))), table.policy_for(RateId(3)));
        assert_ne!(pricing.policy(Some(RateId(3))), table.default_policy());
        assert_eq!(pricing.policy(Some(RateId(4))), table.default_policy());
        assert_eq!(pricing.policy(None), table.default_policy());
    }
}
