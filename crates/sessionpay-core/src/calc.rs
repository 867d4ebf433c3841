//! The pay of one session (SPEC section 2), with a breakdown that explains it.

use rust_decimal::Decimal;

use crate::error::Result;
use crate::money::{self, Currency, RoundingMode};
use crate::policy::{HoursBasis, RatePolicy, TierMode};
use crate::rate::{RateKind, Tiers};
use crate::session::{Counts, Session};

/// Who was counted, and how the count came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountedCustomers {
    /// Customers marked attended (comped included).
    pub attended: u32,
    /// Comped attendees taken out (0 when comped count).
    pub comped_excluded: u32,
    /// Late cancellations added (0 unless they count).
    pub late_cancels_added: u32,
    /// No-shows added (0 unless they count).
    pub no_shows_added: u32,
    /// The counted customers `n`.
    pub total: u64,
}

/// Counts the customers a rate pays for.
///
/// `n = attended − (comped unless count_comped) + (late cancels if counted) + (no-shows if counted)`.
///
/// ```
/// use sessionpay_core::{counted_customers, Counts, RatePolicy};
///
/// let counts = Counts::try_new(10, 2, 3, 1)?;
/// // By default comped attendees, late cancels and no-shows do not count.
/// assert_eq!(counted_customers(&counts, &RatePolicy::default()).total, 8);
/// let all = RatePolicy { count_comped: true, count_late_cancels: true, count_no_shows: true, ..Default::default() };
/// assert_eq!(counted_customers(&counts, &all).total, 14);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn counted_customers(counts: &Counts, policy: &RatePolicy) -> CountedCustomers {
    let comped_excluded = if policy.count_comped { 0 } else { counts.comped() };
    let late_cancels_added = if policy.count_late_cancels {
        counts.late_cancels()
    } else {
        0
    };
    let no_shows_added = if policy.count_no_shows {
        counts.no_shows()
    } else {
        0
    };
    // comped <= attended is an invariant of `Counts`, so this cannot underflow.
    let total = u64::from(counts.attended() - comped_excluded)
        + u64::from(late_cancels_added)
        + u64::from(no_shows_added);
    CountedCustomers {
        attended: counts.attended(),
        comped_excluded,
        late_cancels_added,
        no_shows_added,
        total,
    }
}

/// How the formula of the rate was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Formula {
    /// No rate: pays 0.
    Unrated,
    /// `base × customers`.
    PerCustomer {
        /// Amount per customer.
        base: Decimal,
        /// Counted customers.
        customers: u64,
    },
    /// `base × hours`, or `base × minutes / 60` under the minutes basis.
    PerHour {
        /// Amount per hour.
        base: Decimal,
        /// The hours used (after the hours basis; a minutes figure that does
        /// not end shows to 28 digits, so read `minutes` when it is set).
        hours: Decimal,
        /// The whole minutes paid, under `hours_basis = "minutes"`.
        minutes: Option<Decimal>,
    },
    /// Every customer at the amount of the tier holding the count.
    Slab {
        /// The tier holding the count, if any.
        tier: Option<usize>,
        /// Its per-customer amount (0 when no tier holds the count).
        amount: Decimal,
        /// Counted customers.
        customers: u64,
    },
    /// Each customer at the amount of its own band.
    Graduated {
        /// Counted customers.
        customers: u64,
    },
}

/// The pay of one session, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayBreakdown {
    /// Who was counted.
    pub counted: CountedCustomers,
    /// The formula applied.
    pub formula: Formula,
    /// The formula's result, before empty-session pay and cap.
    pub formula_amount: Decimal,
    /// The empty-session pay replaced the formula.
    pub empty_session_pay_applied: bool,
    /// The cap cut the figure.
    pub cap_applied: bool,
    /// The figure before rounding. A per-minute figure that does not end
    /// (`10 × 1 / 60`) shows here to 28 digits; `pay` is rounded from the
    /// exact figure.
    pub raw: Decimal,
    /// The pay, rounded to the currency's minor unit.
    pub pay: Decimal,
}

/// Hours a per-hour rate multiplies, after the hours basis, for showing.
///
/// Under `minutes` this is `whole minutes / 60` to `Decimal`'s 28 digits; the
/// pay itself is worked out as `base × minutes / 60` exactly (see [`pay_for`]).
///
/// ```
/// use rust_decimal::Decimal;
/// use sessionpay_core::{hours_used, HoursBasis};
///
/// let h: Decimal = "0.83".parse()?; // 49.8 minutes
/// assert_eq!(hours_used(h, HoursBasis::Reported), h);
/// // 50 whole minutes: 50/60 of an hour.
/// assert_eq!(hours_used(h, HoursBasis::Minutes).round_dp(6).to_string(), "0.833333");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hours_used(hours: Decimal, basis: HoursBasis) -> Decimal {
    match basis {
        HoursBasis::Reported => hours,
        // Hours too large to count in minutes are shown as reported; pricing
        // them is an overflow error.
        HoursBasis::Minutes => whole_minutes(hours)
            .ok()
            .and_then(|m| m.checked_div(Decimal::from(60)))
            .unwrap_or(hours),
    }
}

/// `hours × 60` rounded half-up to whole minutes.
fn whole_minutes(hours: Decimal) -> Result<Decimal> {
    money::mul(hours, Decimal::from(60), "hours in whole minutes")
        .map(|m| m.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

/// A figure kept exact until its one rounding: `numerator / divisor`, the
/// divisor 60 for a per-hour rate paid by whole minutes and 1 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exact {
    pub(crate) numerator: Decimal,
    pub(crate) divisor: u32,
}

impl Exact {
    pub(crate) fn whole(amount: Decimal) -> Exact {
        Exact {
            numerator: amount,
            divisor: 1,
        }
    }

    /// The figure as a decimal, for the breakdown (28 digits when the
    /// quotient does not end).
    pub(crate) fn to_decimal(self) -> Result<Decimal> {
        match self.divisor {
            1 => Ok(self.numerator),
            d => self
                .numerator
                .checked_div(Decimal::from(d))
                .ok_or(crate::Error::Overflow { op: "per-hour pay" }),
        }
    }

    /// Whether the figure is above `cap`, compared exactly (`numerator` against
    /// `cap × divisor`).
    pub(crate) fn exceeds(self, cap: Decimal) -> bool {
        if self.divisor == 1 {
            return self.numerator > cap;
        }
        match money::mul(cap, Decimal::from(self.divisor), "cap") {
            Ok(scaled) => self.numerator > scaled,
            // A cap with too many digits to scale exactly (or too large: it is
            // then above any figure): the figure's 28 digits decide.
            Err(_) => self.to_decimal().is_ok_and(|figure| figure > cap),
        }
    }

    /// Whether the figure is a whole decimal with at most `places` decimals
    /// (so rounding leaves it as it is).
    pub(crate) fn is_at_most_places(self, places: u32) -> bool {
        self.divisor == 1 && self.numerator.scale() <= places
    }

    /// The figure rounded to `currency`'s minor unit, exactly.
    pub(crate) fn round(self, currency: Currency, mode: RoundingMode) -> Option<Decimal> {
        currency.checked_round_ratio(self.numerator, self.divisor, mode)
    }
}

/// The formula amount of a tiered rate for `n` customers.
///
/// ```
/// use rust_decimal::Decimal;
/// use sessionpay_core::{tiered_amount, Tier, Tiers, TierMode};
///
/// let t = |lower, upper, cents| Tier { lower, upper, amount: Decimal::new(cents, 2), currency: None };
/// let tiers = Tiers::try_new(vec![t(1, Some(5), 100), t(6, Some(10), 200), t(11, None, 300)])?;
/// // Slab: all 7 customers at the 6-10 tier's 2.00.
/// assert_eq!(tiered_amount(&tiers, 7, TierMode::Slab)?.to_string(), "14.00");
/// // Graduated: 5 at 1.00, then 2 at 2.00.
/// assert_eq!(tiered_amount(&tiers, 7, TierMode::Graduated)?.to_string(), "9.00");
/// // Nobody counted pays nothing either way.
/// assert!(tiered_amount(&tiers, 0, TierMode::Slab)?.is_zero());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`crate::Error::Overflow`].
pub fn tiered_amount(tiers: &Tiers, n: u64, mode: TierMode) -> Result<Decimal> {
    match mode {
        TierMode::Slab => match tiers.index_holding(n) {
            Some(i) => money::mul(Decimal::from(n), tiers.as_slice()[i].amount, "slab tier pay"),
            None => Ok(Decimal::ZERO),
        },
        TierMode::Graduated => {
            let mut total = Decimal::ZERO;
            for (i, tier) in tiers.as_slice().iter().enumerate() {
                let customers = tiers.customers_in(i, n);
                if customers > 0 {
                    let band = money::mul(Decimal::from(customers), tier.amount, "graduated band pay")?;
                    total = money::add(total, band, "graduated pay")?;
                }
            }
            Ok(total)
        }
    }
}

/// The formula of SPEC 2 step 1 for `n` counted customers, kept exact.
pub(crate) fn formula_of(
    kind: Option<&RateKind>,
    n: u64,
    hours: Decimal,
    policy: &RatePolicy,
) -> Result<(Formula, Exact)> {
    Ok(match kind {
        None => (Formula::Unrated, Exact::whole(Decimal::ZERO)),
        Some(RateKind::PerCustomer { base }) => (
            Formula::PerCustomer {
                base: *base,
                customers: n,
            },
            Exact::whole(money::mul(*base, Decimal::from(n), "per-customer pay")?),
        ),
        Some(RateKind::PerHour { base }) => match policy.hours_basis {
            HoursBasis::Reported => (
                Formula::PerHour {
                    base: *base,
                    hours,
                    minutes: None,
                },
                Exact::whole(money::mul(*base, hours, "per-hour pay")?),
            ),
            HoursBasis::Minutes => {
                let minutes = whole_minutes(hours)?;
                // Division by 60 cannot overflow a value that fit before.
                let shown = minutes.checked_div(Decimal::from(60)).unwrap_or(hours);
                (
                    Formula::PerHour {
                        base: *base,
                        hours: shown,
                        minutes: Some(minutes),
                    },
                    // base × minutes / 60: multiply first, divide only in the rounding.
                    Exact {
                        numerator: money::mul(*base, minutes, "per-hour pay")?,
                        divisor: 60,
                    },
                )
            }
        },
        Some(RateKind::Tiered { tiers }) => {
            let amount = tiered_amount(tiers, n, policy.tier_mode)?;
            let formula = match policy.tier_mode {
                TierMode::Slab => {
                    let tier = tiers.index_holding(n);
                    Formula::Slab {
                        tier,
                        amount: tier.map_or(Decimal::ZERO, |i| tiers.as_slice()[i].amount),
                        customers: n,
                    }
                }
                TierMode::Graduated => Formula::Graduated { customers: n },
            };
            (formula, Exact::whole(amount))
        }
    })
}

/// The pay of a session with `kind`, `counts` and `hours` under `policy`.
///
/// The steps of SPEC section 2, in order:
///
/// ```
/// use rust_decimal::Decimal;
/// use sessionpay_core::{pay_for, Counts, Currency, RateKind, RatePolicy};
///
/// let gbp = Currency::try_from_code("GBP")?;
/// let d = |s: &str| s.parse::<Decimal>().unwrap();
/// let per_customer = RateKind::PerCustomer { base: d("6.75") };
/// let counts = Counts::try_new(11, 1, 0, 1)?;
///
/// // 1. The formula: 10 counted customers (the comped one is out) at 6.75.
/// let b = pay_for(Some(&per_customer), &counts, d("1.5"), gbp, &RatePolicy::default())?;
/// assert_eq!(b.pay.to_string(), "67.50");
///
/// // Per hour: 45 minutes earn 0.75 of the hourly rate.
/// let per_hour = RateKind::PerHour { base: d("30") };
/// assert_eq!(pay_for(Some(&per_hour), &counts, d("0.75"), gbp, &RatePolicy::default())?.pay.to_string(), "22.50");
/// // By whole minutes: 0.833333 h is 50 minutes, and 25.05 × 50 / 60 is exactly 20.875,
/// // rounded once (never 50/60 cut to 28 digits first, which lands below the midpoint).
/// let by_minutes = RatePolicy { hours_basis: sessionpay_core::HoursBasis::Minutes, ..Default::default() };
/// let odd_hour = RateKind::PerHour { base: d("25.05") };
/// assert_eq!(pay_for(Some(&odd_hour), &counts, d("0.833333"), gbp, &by_minutes)?.pay.to_string(), "20.88");
///
/// // 2. Nobody counted and an empty-session pay: it replaces the formula, for every kind.
/// let empty = Counts::try_new(0, 0, 0, 0)?;
/// let policy = RatePolicy { empty_session_pay: Some(d("15")), ..Default::default() };
/// let b = pay_for(Some(&per_hour), &empty, d("1"), gbp, &policy)?;
/// assert!(b.empty_session_pay_applied);
/// assert_eq!(b.pay.to_string(), "15.00");
///
/// // 3. The cap.
/// let policy = RatePolicy { max_pay: Some(d("50")), ..Default::default() };
/// let b = pay_for(Some(&per_customer), &counts, d("1"), gbp, &policy)?;
/// assert!(b.cap_applied);
/// assert_eq!(b.pay.to_string(), "50.00");
///
/// // 4. Rounding to the minor unit: 0.5 h at 12.345 = 6.1725 -> 6.17.
/// let odd = RateKind::PerHour { base: d("12.345") };
/// assert_eq!(pay_for(Some(&odd), &counts, d("0.5"), gbp, &RatePolicy::default())?.pay.to_string(), "6.17");
///
/// // 5. No rate pays 0.
/// assert!(pay_for(None, &counts, d("1"), gbp, &RatePolicy::default())?.pay.is_zero());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`crate::Error::Overflow`] when a product or sum leaves `Decimal`'s range.
pub fn pay_for(
    kind: Option<&RateKind>,
    counts: &Counts,
    hours: Decimal,
    currency: Currency,
    policy: &RatePolicy,
) -> Result<PayBreakdown> {
    let counted = counted_customers(counts, policy);
    let n = counted.total;
    let (formula, exact) = formula_of(kind, n, hours, policy)?;
    let formula_amount = exact.to_decimal()?;
    let mut raw = exact;
    let mut empty_session_pay_applied = false;
    if kind.is_some() && n == 0 {
        if let Some(empty) = policy.empty_session_pay {
            raw = Exact::whole(empty);
            empty_session_pay_applied = true;
        }
    }
    let mut cap_applied = false;
    if kind.is_some() {
        if let Some(cap) = policy.max_pay {
            if raw.exceeds(cap) {
                raw = Exact::whole(cap);
                cap_applied = true;
            }
        }
    }
    let pay = raw
        .round(currency, policy.rounding)
        .ok_or(crate::Error::Overflow {
            op: "rounding to the minor unit",
        })?;
    let raw = raw.to_decimal()?;
    Ok(PayBreakdown {
        counted,
        formula,
        formula_amount,
        empty_session_pay_applied,
        cap_applied,
        raw,
        pay,
    })
}

/// The pay of `session` under `policy`.
///
/// # Errors
/// [`crate::Error::Overflow`].
pub fn compute_pay(session: &Session, policy: &RatePolicy) -> Result<PayBreakdown> {
    pay_for(
        session.rate.as_deref().map(|r| &r.kind),
        &session.counts,
        session.hours,
        session.currency,
        policy,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::RoundingMode;

    use crate::testing::{d, gbp};

    fn tiers() -> Tiers {
        let t = crate::testing::tier;
        Tiers::try_new(vec![
            t(1, Some(5), "1.80"),
            t(6, Some(10), "2.20"),
            t(11, None, "2.90"),
        ])
        .unwrap()
    }

    fn pay(kind: &RateKind, attended: u32, hours: &str, policy: &RatePolicy) -> Decimal {
        let counts = Counts::try_new(attended, 0, 0, 0).unwrap();
        pay_for(Some(kind), &counts, d(hours), gbp(), policy).unwrap().pay
    }

    #[test]
    fn tiered_pay_on_and_around_every_bound() {
        let kind = RateKind::Tiered { tiers: tiers() };
        let slab = RatePolicy::default();
        let graduated = RatePolicy {
            tier_mode: TierMode::Graduated,
            ..Default::default()
        };
        // (n, slab, graduated)
        let table = [
            (0, "0.00", "0.00"),
            (1, "1.80", "1.80"),
            (5, "9.00", "9.00"),
            (6, "13.20", "11.20"),
            (10, "22.00", "20.00"),
            (11, "31.90", "22.90"),
            (20, "58.00", "49.00"),
        ];
        for (n, s, g) in table {
            assert_eq!(pay(&kind, n, "1", &slab).to_string(), s, "slab n = {n}");
            assert_eq!(pay(&kind, n, "1", &graduated).to_string(), g, "graduated n = {n}");
        }
    }

    #[test]
    fn beyond_a_closed_last_tier_pays_nothing_more() {
        let t = crate::testing::tier;
        let kind = RateKind::Tiered {
            tiers: Tiers::try_new(vec![t(1, Some(5), "2"), t(6, Some(10), "3")]).unwrap(),
        };
        assert_eq!(pay(&kind, 11, "1", &RatePolicy::default()).to_string(), "0.00");
        let graduated = RatePolicy {
            tier_mode: TierMode::Graduated,
            ..Default::default()
        };
        assert_eq!(pay(&kind, 11, "1", &graduated).to_string(), "25.00");
    }

    #[test]
    fn per_hour_prorates_45_50_75_and_90_minutes() {
        let kind = RateKind::PerHour { base: d("40") };
        let reported = RatePolicy::default();
        let minutes = RatePolicy {
            hours_basis: HoursBasis::Minutes,
            ..Default::default()
        };
        assert_eq!(pay(&kind, 3, "0.75", &reported).to_string(), "30.00");
        assert_eq!(pay(&kind, 3, "1.25", &reported).to_string(), "50.00");
        assert_eq!(pay(&kind, 3, "1.5", &reported).to_string(), "60.00");
        // 50 minutes reported as 0.83 h: 33.20 as reported, 33.33 by whole minutes.
        assert_eq!(pay(&kind, 3, "0.83", &reported).to_string(), "33.20");
        assert_eq!(pay(&kind, 3, "0.83", &minutes).to_string(), "33.33");
        assert_eq!(pay(&kind, 3, "0.8333", &minutes).to_string(), "33.33");
    }

    /// r13: the figure is `base × minutes / 60`, rounded once; dividing the
    /// minutes first put midpoints just below themselves.
    #[test]
    fn r13_minutes_basis_rounds_the_exact_figure_on_midpoints() {
        let minutes = |rounding| RatePolicy {
            hours_basis: HoursBasis::Minutes,
            rounding,
            ..Default::default()
        };
        // (currency, base, hours in the export, pay, rounding): the issue's
        // table, then the other way from two of its midpoints.
        let table = [
            ("USD", "25.05", "0.833333", "20.88", RoundingMode::HalfUp),
            ("JPY", "6", "0.083333", "1", RoundingMode::HalfUp),
            ("USD", "10.11", "0.166667", "1.68", RoundingMode::HalfEven),
            ("USD", "25.05", "0.833333", "20.88", RoundingMode::HalfEven),
            ("USD", "10.11", "0.166667", "1.69", RoundingMode::HalfUp),
        ];
        for (code, base, hours, want, rounding) in table {
            let kind = RateKind::PerHour { base: d(base) };
            let currency = Currency::try_from_code(code).unwrap();
            let b = pay_for(
                Some(&kind),
                &Counts::default(),
                d(hours),
                currency,
                &minutes(rounding),
            )
            .unwrap();
            assert_eq!(b.pay.to_string(), want, "{code} {base} × {hours} h, {rounding:?}");
        }
    }

    #[test]
    fn a_per_minute_figure_that_does_not_end_rounds_and_caps_exactly() {
        let kind = RateKind::PerHour { base: d("10") };
        let policy = RatePolicy {
            hours_basis: HoursBasis::Minutes,
            ..Default::default()
        };
        let priced = |policy: &RatePolicy| {
            pay_for(Some(&kind), &Counts::default(), d("0.016667"), gbp(), policy).unwrap()
        };
        // 10 × 1 / 60 = 0.1666...
        let b = priced(&policy);
        assert_eq!(b.pay.to_string(), "0.17");
        assert_eq!(b.raw.round_dp(6).to_string(), "0.166667");
        // A cap a hair under the figure cuts it; one a hair over does not.
        let capped = |cap: &str| RatePolicy {
            max_pay: Some(d(cap)),
            ..policy
        };
        assert!(priced(&capped("0.1666666666666666666666666666")).cap_applied);
        assert!(!priced(&capped("0.1666666666666666666666666667")).cap_applied);
    }

    #[test]
    fn hours_too_large_for_whole_minutes_are_an_overflow() {
        let kind = RateKind::PerHour { base: d("10") };
        let policy = RatePolicy {
            hours_basis: HoursBasis::Minutes,
            ..Default::default()
        };
        let r = pay_for(Some(&kind), &Counts::default(), Decimal::MAX, gbp(), &policy);
        assert!(matches!(r, Err(crate::Error::Overflow { .. })), "{r:?}");
    }

    #[test]
    fn the_cap_binds_only_above_it() {
        let kind = RateKind::PerCustomer { base: d("10") };
        let policy = RatePolicy {
            max_pay: Some(d("80")),
            ..Default::default()
        };
        let counts = |n| Counts::try_new(n, 0, 0, 0).unwrap();
        let b = pay_for(Some(&kind), &counts(7), d("1"), gbp(), &policy).unwrap();
        assert!(!b.cap_applied);
        assert_eq!(b.pay, d("70"));
        let b = pay_for(Some(&kind), &counts(8), d("1"), gbp(), &policy).unwrap();
        assert!(!b.cap_applied, "exactly at the cap is not cut");
        let b = pay_for(Some(&kind), &counts(9), d("1"), gbp(), &policy).unwrap();
        assert!(b.cap_applied);
        assert_eq!(b.pay.to_string(), "80.00");
    }

    #[test]
    fn empty_session_pay_applies_only_when_nobody_is_counted() {
        let kind = RateKind::PerCustomer { base: d("5") };
        let policy = RatePolicy {
            empty_session_pay: Some(d("12.5")),
            ..Default::default()
        };
        // Two comped attendees who do not count: the session is empty.
        let comped_only = Counts::try_new(2, 2, 0, 0).unwrap();
        let b = pay_for(Some(&kind), &comped_only, d("1"), gbp(), &policy).unwrap();
        assert!(b.empty_session_pay_applied);
        assert_eq!(b.pay.to_string(), "12.50");
        let one = Counts::try_new(1, 0, 0, 0).unwrap();
        let b = pay_for(Some(&kind), &one, d("1"), gbp(), &policy).unwrap();
        assert!(!b.empty_session_pay_applied);
        assert_eq!(b.pay.to_string(), "5.00");
    }

    #[test]
    fn the_cap_also_cuts_the_empty_session_pay() {
        let kind = RateKind::PerCustomer { base: d("5") };
        let policy = RatePolicy {
            empty_session_pay: Some(d("30")),
            max_pay: Some(d("20")),
            ..Default::default()
        };
        let b = pay_for(Some(&kind), &Counts::default(), d("1"), gbp(), &policy).unwrap();
        assert!(b.empty_session_pay_applied && b.cap_applied);
        assert_eq!(b.pay.to_string(), "20.00");
    }

    #[test]
    fn unrated_sessions_pay_zero_whatever_the_policy() {
        let policy = RatePolicy {
            empty_session_pay: Some(d("30")),
            ..Default::default()
        };
        let b = pay_for(None, &Counts::default(), d("1"), gbp(), &policy).unwrap();
        assert_eq!(b.formula, Formula::Unrated);
        assert!(b.pay.is_zero() && !b.empty_session_pay_applied);
    }

    #[test]
    fn rounding_modes_split_at_the_midpoint() {
        let kind = RateKind::PerHour { base: d("4.69") }; // × 0.5 = 2.345
        let up = RatePolicy::default();
        let even = RatePolicy {
            rounding: RoundingMode::HalfEven,
            ..Default::default()
        };
        assert_eq!(pay(&kind, 1, "0.5", &up).to_string(), "2.35");
        assert_eq!(pay(&kind, 1, "0.5", &even).to_string(), "2.34");
        let jpy = Currency::try_from_code("JPY").unwrap();
        let yen = RateKind::PerHour { base: d("2465") }; // × 0.5 = 1232.5
        let counts = Counts::default();
        assert_eq!(
            pay_for(Some(&yen), &counts, d("0.5"), jpy, &up)
                .unwrap()
                .pay
                .to_string(),
            "1233"
        );
        assert_eq!(
            pay_for(Some(&yen), &counts, d("0.5"), jpy, &even)
                .unwrap()
                .pay
                .to_string(),
            "1232"
        );
        let bhd = Currency::try_from_code("BHD").unwrap();
        let dinar = RateKind::PerHour { base: d("2.469") }; // × 0.5 = 1.2345
        assert_eq!(
            pay_for(Some(&dinar), &counts, d("0.5"), bhd, &up)
                .unwrap()
                .pay
                .to_string(),
            "1.235"
        );
        assert_eq!(
            pay_for(Some(&dinar), &counts, d("0.5"), bhd, &even)
                .unwrap()
                .pay
                .to_string(),
            "1.234"
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let kind = RateKind::PerHour { base: Decimal::MAX };
        let r = pay_for(
            Some(&kind),
            &Counts::default(),
            d("2"),
            gbp(),
            &RatePolicy::default(),
        );
        assert!(matches!(r, Err(crate::Error::Overflow { .. })));
    }
}
