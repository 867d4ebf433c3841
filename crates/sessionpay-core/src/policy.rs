//! The rate policy: the settings TeamUp keeps on a pay rate but leaves out of the report.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::{Currency, RoundingMode};
use crate::rate::RateId;
use crate::session::VenueId;

/// How tiered rates pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum TierMode {
    /// Every counted customer at the amount of the tier the count falls in (the default).
    #[default]
    Slab,
    /// Each customer at the amount of the band it falls in.
    Graduated,
}

impl TierMode {
    /// The name used in policy files.
    pub fn as_str(&self) -> &'static str {
        match self {
            TierMode::Slab => "slab",
            TierMode::Graduated => "graduated",
        }
    }

    /// Parses `slab` or `graduated`.
    pub fn from_name(name: &str) -> Option<TierMode> {
        match name {
            "slab" => Some(TierMode::Slab),
            "graduated" => Some(TierMode::Graduated),
            _ => None,
        }
    }

    /// The other mode.
    pub fn other(self) -> TierMode {
        match self {
            TierMode::Slab => TierMode::Graduated,
            TierMode::Graduated => TierMode::Slab,
        }
    }
}

/// Which hours a per-hour rate multiplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum HoursBasis {
    /// `hours` as reported (the default).
    #[default]
    Reported,
    /// `hours × 60` rounded half-up to whole minutes first; the pay is then
    /// `base × minutes / 60` exactly, rounded once.
    Minutes,
}

impl HoursBasis {
    /// The name used in policy files.
    pub fn as_str(&self) -> &'static str {
        match self {
            HoursBasis::Reported => "reported",
            HoursBasis::Minutes => "minutes",
        }
    }

    /// Parses `reported` or `minutes`.
    pub fn from_name(name: &str) -> Option<HoursBasis> {
        match name {
            "reported" => Some(HoursBasis::Reported),
            "minutes" => Some(HoursBasis::Minutes),
            _ => None,
        }
    }

    /// The other basis.
    pub fn other(self) -> HoursBasis {
        match self {
            HoursBasis::Reported => HoursBasis::Minutes,
            HoursBasis::Minutes => HoursBasis::Reported,
        }
    }
}

/// The complete policy of one rate (SPEC section 2), with TeamUp-like defaults.
///
/// ```
/// use sessionpay_core::{RatePolicy, RoundingMode, TierMode};
///
/// let p = RatePolicy::default();
/// assert!(!p.count_comped && !p.count_late_cancels && !p.count_no_shows);
/// assert_eq!(p.tier_mode, TierMode::Slab);
/// assert_eq!(p.rounding, RoundingMode::HalfUp);
/// assert!(p.empty_session_pay.is_none() && p.max_pay.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RatePolicy {
    /// Comped (free) attendees count as customers.
    pub count_comped: bool,
    /// Late cancellations count as customers.
    pub count_late_cancels: bool,
    /// No-shows count as customers.
    pub count_no_shows: bool,
    /// Slab or graduated tiers.
    pub tier_mode: TierMode,
    /// Paid instead of the formula when nobody is counted.
    pub empty_session_pay: Option<Decimal>,
    /// The most one session pays.
    pub max_pay: Option<Decimal>,
    /// Rounding to the minor unit.
    pub rounding: RoundingMode,
    /// Which hours per-hour rates use.
    pub hours_basis: HoursBasis,
}

/// Settings that override a [`RatePolicy`]; `None` keeps what is below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PolicyOverrides {
    /// See [`RatePolicy::count_comped`].
    pub count_comped: Option<bool>,
    /// See [`RatePolicy::count_late_cancels`].
    pub count_late_cancels: Option<bool>,
    /// See [`RatePolicy::count_no_shows`].
    pub count_no_shows: Option<bool>,
    /// See [`RatePolicy::tier_mode`].
    pub tier_mode: Option<TierMode>,
    /// See [`RatePolicy::empty_session_pay`].
    pub empty_session_pay: Option<Decimal>,
    /// See [`RatePolicy::max_pay`].
    pub max_pay: Option<Decimal>,
    /// See [`RatePolicy::rounding`].
    pub rounding: Option<RoundingMode>,
    /// See [`RatePolicy::hours_basis`].
    pub hours_basis: Option<HoursBasis>,
}

impl PolicyOverrides {
    /// Checks the amounts: both must be zero or more.
    ///
    /// # Errors
    /// [`Error::NegativeAmount`] naming `empty_session_pay` or `max_pay`.
    pub fn validate(&self) -> Result<()> {
        for (field, value) in [
            ("empty_session_pay", self.empty_session_pay),
            ("max_pay", self.max_pay),
        ] {
            if let Some(value) = value {
                if value.is_sign_negative() && !value.is_zero() {
                    return Err(Error::NegativeAmount { field, value });
                }
            }
        }
        Ok(())
    }

    /// `base` with these overrides applied.
    pub fn apply(&self, base: RatePolicy) -> RatePolicy {
        RatePolicy {
            count_comped: self.count_comped.unwrap_or(base.count_comped),
            count_late_cancels: self.count_late_cancels.unwrap_or(base.count_late_cancels),
            count_no_shows: self.count_no_shows.unwrap_or(base.count_no_shows),
            tier_mode: self.tier_mode.unwrap_or(base.tier_mode),
            empty_session_pay: self.empty_session_pay.or(base.empty_session_pay),
            max_pay: self.max_pay.or(base.max_pay),
            rounding: self.rounding.unwrap_or(base.rounding),
            hours_basis: self.hours_basis.unwrap_or(base.hours_basis),
        }
    }
}

/// Everything a policy file says: defaults, per-rate overrides, venue currencies.
///
/// ```
/// use sessionpay_core::{PolicyOverrides, RateId, RateTable, TierMode};
///
/// let mut table = RateTable::default();
/// table.defaults.count_comped = Some(true);
/// table.rates.insert(RateId(17), PolicyOverrides { tier_mode: Some(TierMode::Graduated), ..Default::default() });
/// let p = table.policy_for(RateId(17));
/// assert!(p.count_comped);
/// assert_eq!(p.tier_mode, TierMode::Graduated);
/// assert_eq!(table.policy_for(RateId(3)).tier_mode, TierMode::Slab);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable {
    /// Overrides of the built-in defaults, for every rate.
    pub defaults: PolicyOverrides,
    /// Overrides per rate id, over `defaults`.
    pub rates: BTreeMap<RateId, PolicyOverrides>,
    /// Configured currency per venue.
    pub venue_currencies: BTreeMap<VenueId, Currency>,
}

impl RateTable {
    /// The policy of a rate the file does not name: the built-in defaults
    /// under `[defaults]`.
    pub fn default_policy(&self) -> RatePolicy {
        self.defaults.apply(RatePolicy::default())
    }

    /// The resolved policy of a rate.
    pub fn policy_for(&self, rate: RateId) -> RatePolicy {
        let base = self.default_policy();
        match self.rates.get(&rate) {
            Some(overrides) => overrides.apply(base),
            None => base,
        }
    }

    /// The configured currency of a venue.
    pub fn venue_currency(&self, venue: VenueId) -> Option<Currency> {
        self.venue_currencies.get(&venue).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_overrides_sit_on_top_of_defaults() {
        let mut table = RateTable {
            defaults: PolicyOverrides {
                count_comped: Some(true),
                max_pay: Some(Decimal::new(50, 0)),
                ..Default::default()
            },
            ..Default::default()
        };
        table.rates.insert(
            RateId(1),
            PolicyOverrides {
                count_comped: Some(false),
                rounding: Some(RoundingMode::HalfEven),
                ..Default::default()
            },
        );
        let one = table.policy_for(RateId(1));
        assert!(!one.count_comped);
        assert_eq!(one.max_pay, Some(Decimal::new(50, 0)));
        assert_eq!(one.rounding, RoundingMode::HalfEven);
        let other = table.policy_for(RateId(2));
        assert!(other.count_comped);
        assert_eq!(other.rounding, RoundingMode::HalfUp);
    }

    #[test]
    fn negative_amounts_are_refused() {
        let o = PolicyOverrides {
            max_pay: Some(Decimal::new(-1, 2)),
            ..Default::default()
        };
        assert_eq!(
            o.validate(),
            Err(Error::NegativeAmount {
                field: "max_pay",
                value: Decimal::new(-1, 2)
            })
        );
    }
}
