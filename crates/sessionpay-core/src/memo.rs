//! The pay of sessions priced before, given again without the arithmetic.
//!
//! A large export holds few distinct figures: a studio's rates times the
//! customer counts (or the lengths, for a per-hour rate) they meet. Working
//! one out takes a few hundred instructions of decimal arithmetic; looking it
//! up takes a few dozen. [`PayMemo`] keeps the last figure worked out for each
//! of a fixed number of places and gives it back when the same rate meets the
//! same inputs again.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHasher;

use crate::calc::{compute_pay, counted_customers, PayBreakdown};
use crate::money::Currency;
use crate::policy::RatePolicy;
use crate::rate::{PayRate, RateKind};
use crate::session::Session;
use crate::Result;

/// How many figures a [`PayMemo`] holds at most (a power of two).
const SLOTS: usize = 4096;

/// What a rated session's figure depends on besides its rate, its policy and
/// its currency: exactly the inputs [`crate::pay_for`] reads for that kind of rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Inputs {
    /// Per-customer and tiered rates: the counted customers.
    Customers(u64),
    /// Per-hour rates: the hours, to the digit (`1.5` and `1.50` are shown
    /// as they were written), and whether nobody was counted (the
    /// empty-session pay replaces the formula then).
    Hours { hours: [u8; 16], nobody: bool },
}

/// One figure remembered, with everything it was worked out from.
#[derive(Debug)]
struct Slot {
    /// The rate itself: holding it keeps its address from being reused, so
    /// the same address is the same rate.
    rate: Arc<PayRate>,
    inputs: Inputs,
    currency: Currency,
    policy: RatePolicy,
    pay: PayBreakdown,
}

/// Remembers the pay of sessions priced before, so that a session whose rate
/// (the same shared [`PayRate`]), counted customers or hours, currency and
/// policy are those of one priced before gets that figure again, without
/// the arithmetic.
///
/// [`PayMemo::pay`] gives exactly what [`compute_pay`] gives: the memo only
/// skips work. It is a fixed table of 4,096 places, each holding the
/// last figure that fell there, so it never grows. A rate is known by the
/// shared value (`Arc`) the session holds, which readers make once per
/// distinct rate text: two equal rates in different `Arc`s only cost their
/// figures worked out once each.
///
/// ```
/// use std::sync::Arc;
/// use rust_decimal::Decimal;
/// use sessionpay_core::*;
///
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// let rate = Arc::new(PayRate::try_new(RateId(1), "pc".into(), RateKind::PerCustomer { base: d("5") })?);
/// let session = |id, attended| -> Result<Session> {
///     Ok(Session {
///         id: SessionId(id), name: "Spin".into(), instructor: InstructorId(7), instructor_name: "Ana".into(),
///         venue: VenueId(101), venue_name: "Camden".into(), zone: chrono_tz::Europe::London,
///         starts_at: "2026-05-02T09:00:00Z".parse().unwrap(), hours: d("1"),
///         counts: Counts::try_new(attended, 0, 0, 0)?, session_type: SessionType::Class,
///         rate: Some(Arc::clone(&rate)), reported: None, pending: false,
///         currency: Currency::try_from_code("GBP")?,
///     })
/// };
/// let policy = RatePolicy::default();
/// let mut memo = PayMemo::new();
/// for (id, attended) in [(1, 4), (2, 4), (3, 6)] {
///     let s = session(id, attended)?;
///     assert_eq!(memo.pay(&s, &policy)?, compute_pay(&s, &policy)?);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct PayMemo {
    /// Empty until the first rated session, then [`SLOTS`] long.
    slots: Vec<Option<Slot>>,
    /// Figures given from the table (the tests check it is used).
    #[cfg(test)]
    hits: u64,
}

impl PayMemo {
    /// An empty memo.
    pub fn new() -> PayMemo {
        PayMemo::default()
    }

    /// The pay of `session` under `policy`: [`compute_pay`]'s figure, from
    /// the table when the same figure was worked out before.
    ///
    /// # Errors
    /// As [`compute_pay`]: an amount out of range (such a figure is not kept).
    pub fn pay(&mut self, session: &Session, policy: &RatePolicy) -> Result<PayBreakdown> {
        let Some(rate) = session.rate.as_ref() else {
            return compute_pay(session, policy);
        };
        let counted = counted_customers(&session.counts, policy);
        let inputs = match rate.kind {
            RateKind::PerHour { .. } => Inputs::Hours {
                hours: session.hours.serialize(),
                nobody: counted.total == 0,
            },
            RateKind::PerCustomer { .. } | RateKind::Tiered { .. } => Inputs::Customers(counted.total),
        };
        let at = place(rate, inputs, session.currency);
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        if let Some(slot) = &self.slots[at] {
            if Arc::ptr_eq(&slot.rate, rate)
                && slot.inputs == inputs
                && slot.currency == session.currency
                && same_policy(&slot.policy, policy)
            {
                #[cfg(test)]
                {
                    self.hits += 1;
                }
                return Ok(PayBreakdown { counted, ..slot.pay });
            }
        }
        let pay = compute_pay(session, policy)?;
        self.slots[at] = Some(Slot {
            rate: Arc::clone(rate),
            inputs,
            currency: session.currency,
            policy: *policy,
            pay,
        });
        Ok(pay)
    }
}

/// The slot of a figure: its key hashed.
fn place(rate: &Arc<PayRate>, inputs: Inputs, currency: Currency) -> usize {
    let mut h = FxHasher::default();
    // The address only tells rates apart; it is never read through.
    h.write_usize(Arc::as_ptr(rate) as usize);
    inputs.hash(&mut h);
    currency.hash(&mut h);
    h.finish() as usize & (SLOTS - 1)
}

/// Whether two policies are the same to the digit: [`RatePolicy`]'s `==`
/// takes a cap of `10` and one of `10.00` as equal, but the figure before
/// rounding shows the cap as it was written. Every field is named, so a new
/// one cannot be left out of the comparison.
fn same_policy(a: &RatePolicy, b: &RatePolicy) -> bool {
    let RatePolicy {
        count_comped,
        count_late_cancels,
        count_no_shows,
        tier_mode,
        empty_session_pay,
        max_pay,
        rounding,
        hours_basis,
    } = *a;
    let digits = |d: Option<Decimal>| d.map(|d| d.serialize());
    count_comped == b.count_comped
        && count_late_cancels == b.count_late_cancels
        && count_no_shows == b.count_no_shows
        && tier_mode == b.tier_mode
        && rounding == b.rounding
        && hours_basis == b.hours_basis
        && digits(empty_session_pay) == digits(b.empty_session_pay)
        && digits(max_pay) == digits(b.max_pay)
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    use crate::money::RoundingMode;
    use crate::policy::{HoursBasis, TierMode};
    use crate::rate::{RateId, Tiers};
    use crate::session::Counts;
    use crate::testing::{d, gbp, tier};

    fn rates() -> Vec<Arc<PayRate>> {
        let tiers = Tiers::try_new(vec![tier(1, Some(5), "1.80"), tier(6, None, "2.20")]).unwrap();
        let kinds = [
            RateKind::PerCustomer { base: d("6.75") },
            // The same rate as the first, read apart: a rate of its own here.
            RateKind::PerCustomer { base: d("6.75") },
            RateKind::PerHour { base: d("32.75") },
            RateKind::PerHour { base: d("0.333") },
            RateKind::Tiered { tiers },
        ];
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Arc::new(PayRate::try_new(RateId(i as u64), format!("r{i}"), kind).unwrap()))
            .collect()
    }

    fn policies() -> Vec<RatePolicy> {
        let base = RatePolicy::default();
        vec![
            base,
            RatePolicy {
                count_comped: !base.count_comped,
                count_no_shows: true,
                ..base
            },
            RatePolicy {
                empty_session_pay: Some(d("10")),
                max_pay: Some(d("40")),
                ..base
            },
            // The same cap written otherwise: the figure before rounding shows it so.
            RatePolicy {
                empty_session_pay: Some(d("10.00")),
                max_pay: Some(d("40.000")),
                ..base
            },
            RatePolicy {
                tier_mode: TierMode::Graduated,
                rounding: RoundingMode::HalfEven,
                hours_basis: HoursBasis::Minutes,
                ..base
            },
        ]
    }

    /// A figure to the digit: `==` on decimals takes `40` and `40.000` as equal.
    fn exact(pay: Result<PayBreakdown>) -> String {
        format!("{pay:?}")
    }

    fn session(rate: Option<Arc<PayRate>>, counts: Counts, hours: &str, currency: Currency) -> Session {
        crate::testing::session(rate, counts, hours, None, currency)
    }

    #[test]
    fn a_figure_met_again_comes_from_the_table() {
        // Each hit is asked for right after its figure went in, so where
        // the rates happen to lie in memory (and so which slots they share)
        // cannot change what the test sees.
        let rates = rates();
        let policy = RatePolicy::default();
        let mut memo = PayMemo::new();
        let mut pay = |s: &Session| {
            assert_eq!(exact(memo.pay(s, &policy)), exact(compute_pay(s, &policy)));
            memo.hits
        };
        let counts = Counts::try_new(4, 1, 0, 0).unwrap();
        let s = session(Some(Arc::clone(&rates[0])), counts, "1", gbp());
        assert_eq!([pay(&s), pay(&s), pay(&s)], [0, 1, 2]);
        // Per customer, the hours do not matter.
        assert_eq!(pay(&session(Some(Arc::clone(&rates[0])), counts, "2", gbp())), 3);
        // An equal rate read apart: worked out afresh.
        assert_eq!(pay(&session(Some(Arc::clone(&rates[1])), counts, "1", gbp())), 3);
        // Per hour, the count does not matter (but for nobody), the hours do, to the digit.
        let per_hour = |attended, hours| {
            let counts = Counts::try_new(attended, 0, 0, 0).unwrap();
            session(Some(Arc::clone(&rates[2])), counts, hours, gbp())
        };
        assert_eq!(pay(&per_hour(4, "1.5")), 3);
        assert_eq!(pay(&per_hour(9, "1.5")), 4);
        assert_eq!(pay(&per_hour(0, "1.5")), 4);
        assert_eq!(pay(&per_hour(9, "1.50")), 4);
    }

    proptest! {
        #[test]
        fn the_memo_gives_what_the_arithmetic_gives(
            picks in proptest::collection::vec(
                (0usize..6, 0u32..12, 0u32..3, 0u32..3, 0u32..3, 0usize..6, 0usize..5, 0usize..3),
                1..400,
            ),
        ) {
            let rates = rates();
            let policies = policies();
            let hours = ["1", "1.0", "1.5", "1.50", "0.75", "0.83"];
            let currencies = [gbp(), Currency::try_from_code("JPY").unwrap(), Currency::try_from_code("KWD").unwrap()];
            let mut memo = PayMemo::new();
            for (rate, attended, comped, late, no_shows, h, p, c) in picks {
                let counts = Counts::try_new(attended, comped.min(attended), late, no_shows).unwrap();
                let rate = rates.get(rate).cloned();
                let s = session(rate, counts, hours[h], currencies[c]);
                let policy = policies[p];
                prop_assert_eq!(exact(memo.pay(&s, &policy)), exact(compute_pay(&s, &policy)));
            }
        }
    }
}
