//! Pay rates as TeamUp reports them: per customer, per hour, tiered.

use rust_decimal::Decimal;

use crate::error::{Error, Result, TierProblem};
use crate::money::Currency;

/// A pay rate's id in TeamUp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RateId(pub u64);

/// A pay rate: its id, name and kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayRate {
    /// TeamUp's id of the rate.
    pub id: RateId,
    /// The rate's name.
    pub name: String,
    /// How it pays.
    pub kind: RateKind,
}

/// The three kinds of TeamUp pay rate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateKind {
    /// `base` per counted customer.
    PerCustomer {
        /// Amount per counted customer.
        base: Decimal,
    },
    /// `base` per hour, prorated by the session's length.
    PerHour {
        /// Amount per hour.
        base: Decimal,
    },
    /// A per-customer amount that depends on the number of customers.
    Tiered {
        /// The tiers, validated.
        tiers: Tiers,
    },
}

impl RateKind {
    /// The name TeamUp uses: `per_customer`, `per_hour`, `per_customer_tiered`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RateKind::PerCustomer { .. } => "per_customer",
            RateKind::PerHour { .. } => "per_hour",
            RateKind::Tiered { .. } => "per_customer_tiered",
        }
    }

    /// Whether the pay depends on counted customers (every kind but per hour).
    pub fn counts_customers(&self) -> bool {
        !matches!(self, RateKind::PerHour { .. })
    }
}

impl PayRate {
    /// Builds a per-customer or per-hour rate, checking the base.
    ///
    /// # Errors
    /// [`Error::NegativeAmount`] for a negative base.
    pub fn try_new(id: RateId, name: String, kind: RateKind) -> Result<PayRate> {
        match &kind {
            RateKind::PerCustomer { base } | RateKind::PerHour { base }
                if base.is_sign_negative() && !base.is_zero() =>
            {
                return Err(Error::NegativeAmount {
                    field: "base",
                    value: *base,
                });
            }
            _ => {}
        }
        Ok(PayRate { id, name, kind })
    }
}

/// One tier as given: whole-customer bounds, inclusive, and an amount per customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tier {
    /// The first customer count the tier holds.
    pub lower: u32,
    /// The last customer count it holds, or `None` for open-ended.
    pub upper: Option<u32>,
    /// The amount per customer.
    pub amount: Decimal,
    /// The currency of the amount, when the export gives it.
    pub currency: Option<Currency>,
}

/// Tiers, validated: ordered, non-overlapping, only the last open-ended.
///
/// Bounds are inclusive, except that where a tier's lower bound equals the
/// previous tier's upper bound, the previous tier is half-open `[lower, upper)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tiers {
    tiers: Vec<Tier>,
    /// Exclusive end of each tier: `None` when open-ended.
    ends: Vec<Option<u64>>,
}

impl Tiers {
    /// Validates a list of tiers.
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use sessionpay_core::{Tier, Tiers};
    ///
    /// let t = |lower, upper, cents| Tier { lower, upper, amount: Decimal::new(cents, 2), currency: None };
    /// // 1-5 at 1.80, 6-10 at 2.20, 11+ at 2.90.
    /// let tiers = Tiers::try_new(vec![t(1, Some(5), 180), t(6, Some(10), 220), t(11, None, 290)])?;
    /// assert_eq!(tiers.index_holding(5), Some(0));
    /// assert_eq!(tiers.index_holding(6), Some(1));
    /// assert_eq!(tiers.index_holding(0), None);
    /// assert_eq!(tiers.index_holding(1000), Some(2));
    /// // Shared bound: the earlier tier is half-open, so 5 belongs to the second.
    /// let shared = Tiers::try_new(vec![t(1, Some(5), 100), t(5, None, 200)])?;
    /// assert_eq!(shared.index_holding(5), Some(1));
    /// // Overlaps are refused.
    /// assert!(Tiers::try_new(vec![t(1, Some(5), 100), t(4, None, 200)]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidTier`] naming the tier and the problem.
    pub fn try_new(tiers: Vec<Tier>) -> Result<Tiers> {
        let invalid = |index, problem| Error::InvalidTier { index, problem };
        let mut ends = Vec::with_capacity(tiers.len());
        let first_currency = tiers.iter().find_map(|t| t.currency);
        for (i, tier) in tiers.iter().enumerate() {
            if tier.amount.is_sign_negative() && !tier.amount.is_zero() {
                return Err(invalid(i, TierProblem::NegativeAmount { amount: tier.amount }));
            }
            if let (Some(first), Some(found)) = (first_currency, tier.currency) {
                if first != found {
                    return Err(invalid(i, TierProblem::MixedCurrencies { first, found }));
                }
            }
            if let Some(upper) = tier.upper {
                if upper < tier.lower {
                    return Err(invalid(
                        i,
                        TierProblem::UpperBelowLower {
                            lower: tier.lower,
                            upper,
                        },
                    ));
                }
            }
            if i > 0 {
                let previous = &tiers[i - 1];
                match previous.upper {
                    None => return Err(invalid(i - 1, TierProblem::OpenEndedNotLast)),
                    Some(previous_upper) if tier.lower < previous_upper => {
                        return Err(invalid(
                            i,
                            TierProblem::Overlap {
                                lower: tier.lower,
                                previous_upper,
                            },
                        ));
                    }
                    Some(previous_upper) => {
                        // Half-open when the bounds touch; inclusive otherwise.
                        let end = if tier.lower == previous_upper {
                            u64::from(previous_upper)
                        } else {
                            u64::from(previous_upper) + 1
                        };
                        ends.push(Some(end));
                    }
                }
                // A tier made empty by the half-open rule ([5, 5)) would hold nobody.
                if let Some(Some(end)) = ends.last() {
                    if *end <= u64::from(previous.lower) {
                        return Err(invalid(
                            i,
                            TierProblem::Overlap {
                                lower: tier.lower,
                                previous_upper: previous.upper.unwrap_or(previous.lower),
                            },
                        ));
                    }
                }
            }
        }
        if let Some(last) = tiers.last() {
            ends.push(last.upper.map(|u| u64::from(u) + 1));
        }
        Ok(Tiers { tiers, ends })
    }

    /// The tiers as given.
    pub fn as_slice(&self) -> &[Tier] {
        &self.tiers
    }

    /// The currency the tiers name, if any.
    pub fn currency(&self) -> Option<Currency> {
        self.tiers.iter().find_map(|t| t.currency)
    }

    /// The customers tier `index` holds, as `[start, end)`; `end` is `None` when open.
    pub fn range(&self, index: usize) -> (u64, Option<u64>) {
        (u64::from(self.tiers[index].lower), self.ends[index])
    }

    /// The index of the tier holding customer count `n`, if any.
    pub fn index_holding(&self, n: u64) -> Option<usize> {
        (0..self.tiers.len()).find(|&i| {
            let (start, end) = self.range(i);
            n >= start && end.is_none_or(|e| n < e)
        })
    }

    /// How many of the customers `1..=n` fall in tier `index`.
    pub fn customers_in(&self, index: usize, n: u64) -> u64 {
        let (start, end) = self.range(index);
        let first = start.max(1);
        let last = match end {
            Some(e) => n.min(e.saturating_sub(1)),
            None => n,
        };
        if last < first {
            0
        } else {
            last - first + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(lower: u32, upper: Option<u32>, cents: i64) -> Tier {
        Tier {
            lower,
            upper,
            amount: Decimal::new(cents, 2),
            currency: None,
        }
    }

    #[test]
    fn inclusive_bounds_hold_each_edge() {
        let tiers = Tiers::try_new(vec![t(1, Some(5), 1), t(6, Some(10), 2), t(11, None, 3)]).unwrap();
        let expect = [
            (0, None),
            (1, Some(0)),
            (5, Some(0)),
            (6, Some(1)),
            (10, Some(1)),
            (11, Some(2)),
            (99, Some(2)),
        ];
        for (n, idx) in expect {
            assert_eq!(tiers.index_holding(n), idx, "n = {n}");
        }
    }

    #[test]
    fn a_closed_last_tier_holds_nothing_beyond_it() {
        let tiers = Tiers::try_new(vec![t(1, Some(5), 1), t(6, Some(10), 2)]).unwrap();
        assert_eq!(tiers.index_holding(11), None);
        assert_eq!(tiers.customers_in(1, 50), 5);
    }

    #[test]
    fn gaps_between_tiers_hold_nobody() {
        let tiers = Tiers::try_new(vec![t(1, Some(3), 1), t(8, None, 2)]).unwrap();
        assert_eq!(tiers.index_holding(5), None);
        assert_eq!(tiers.customers_in(0, 10), 3);
        assert_eq!(tiers.customers_in(1, 10), 3);
    }

    #[test]
    fn shared_bounds_make_the_earlier_tier_half_open() {
        let tiers = Tiers::try_new(vec![t(0, Some(5), 1), t(5, Some(10), 2), t(10, None, 3)]).unwrap();
        assert_eq!(tiers.index_holding(4), Some(0));
        assert_eq!(tiers.index_holding(5), Some(1));
        assert_eq!(tiers.index_holding(9), Some(1));
        assert_eq!(tiers.index_holding(10), Some(2));
        assert_eq!(tiers.customers_in(0, 12), 4);
        assert_eq!(tiers.customers_in(1, 12), 5);
        assert_eq!(tiers.customers_in(2, 12), 3);
    }

    #[test]
    fn malformed_tiers_are_refused_with_the_index() {
        let cases = [
            (vec![t(5, Some(1), 1)], 0),
            (vec![t(1, None, 1), t(5, None, 1)], 0),
            (vec![t(1, Some(5), 1), t(3, None, 1)], 1),
            (vec![t(1, Some(5), -1)], 0),
            (vec![t(5, Some(5), 1), t(5, None, 1)], 1),
        ];
        for (tiers, index) in cases {
            match Tiers::try_new(tiers.clone()) {
                Err(Error::InvalidTier { index: got, .. }) => assert_eq!(got, index, "{tiers:?}"),
                other => panic!("{tiers:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn mixed_currencies_are_refused() {
        let mut a = t(1, Some(5), 1);
        a.currency = Some(Currency::try_from_code("GBP").unwrap());
        let mut b = t(6, None, 1);
        b.currency = Some(Currency::try_from_code("EUR").unwrap());
        assert!(Tiers::try_new(vec![a, b]).is_err());
    }
}
