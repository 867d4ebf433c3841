//! SPEC section 2, for the rates this generator makes: exact decimal arithmetic, half-up rounding.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{Rate, RateType, Tier, TierMode};

/// Counted customers under the rate's policy (defaults when the rate is null).
pub fn counted(rate: Option<&Rate>, attended: u32, comped: u32, late: u32, no_shows: u32) -> u32 {
    let (cc, cl, cn) = rate.map_or((false, false, false), |r| {
        (
            r.policy.count_comped,
            r.policy.count_late_cancels,
            r.policy.count_no_shows,
        )
    });
    attended - if cc { 0 } else { comped } + if cl { late } else { 0 } + if cn { no_shows } else { 0 }
}

/// Upper bound of tier `i` as customers it holds: `[lower, upper)` when the next tier starts at
/// `upper` (SPEC 2.1), `None` when open-ended.
fn effective_upper(tiers: &[Tier], i: usize) -> Option<u32> {
    let u = tiers[i].upper?;
    match tiers.get(i + 1) {
        Some(next) if next.lower == u => Some(u - 1),
        _ => Some(u),
    }
}

fn holds(tiers: &[Tier], i: usize, k: u32) -> bool {
    tiers[i].lower <= k && effective_upper(tiers, i).is_none_or(|u| k <= u)
}

/// The unrounded pay of one session (steps 1 to 3 of SPEC 2).
pub fn raw_pay(rate: &Rate, n: u32, hours: Decimal) -> Decimal {
    let p = &rate.policy;
    let formula = match rate.kind {
        RateType::PerHour => rate.base_dec * hours,
        RateType::PerCustomer => rate.base_dec * Decimal::from(n),
        RateType::Tiered => match p.tier_mode {
            TierMode::Slab => (0..rate.tiers.len())
                .find(|&i| holds(&rate.tiers, i, n))
                .map_or(Decimal::ZERO, |i| rate.tier_amounts[i] * Decimal::from(n)),
            TierMode::Graduated => {
                let mut sum = Decimal::ZERO;
                for k in 1..=n {
                    if let Some(i) = (0..rate.tiers.len()).find(|&i| holds(&rate.tiers, i, k)) {
                        sum += rate.tier_amounts[i];
                    }
                }
                sum
            }
        },
    };
    let raw = match rate.empty_session_pay_dec {
        Some(e) if n == 0 => e,
        _ => formula,
    };
    match rate.max_pay_dec {
        Some(m) if raw > m => m,
        _ => raw,
    }
}

/// Round half-up (away from zero) to `dp` decimals and return integer minor units.
pub fn to_minor(raw: Decimal, dp: u32) -> i64 {
    let mut r = raw.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    i64::try_from(r.mantissa()).expect("pay fits i64 minor units")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_half_up() {
        assert_eq!(to_minor(Decimal::new(16875, 3), 2), 1688);
        assert_eq!(to_minor(Decimal::new(15005, 1), 0), 1501);
        assert_eq!(to_minor(Decimal::new(15, 0), 2), 1500);
        assert_eq!(to_minor("3500.0000000000002800".parse().unwrap(), 2), 350000);
    }

    #[test]
    fn half_open_tiers() {
        let t = vec![
            Tier {
                lower: 1,
                upper: Some(5),
                amount: 100,
            },
            Tier {
                lower: 5,
                upper: Some(9),
                amount: 200,
            },
            Tier {
                lower: 10,
                upper: None,
                amount: 300,
            },
        ];
        assert!(holds(&t, 0, 4) && !holds(&t, 0, 5) && holds(&t, 1, 5) && holds(&t, 1, 9));
        assert!(holds(&t, 2, 100) && !holds(&t, 0, 0));
    }
}
