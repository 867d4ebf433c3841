//! The settings of a run, passed in by the caller (the engine reads no
//! environment variable).

use rust_decimal::Decimal;
use sessionpay_core::Currency;

/// A single CSV file at least this large is read in parallel parts (by default).
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// One worker per core, as far as the system tells.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How a run reads and prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// How far TeamUp's figure may be from the computed pay and still match.
    pub tolerance: Tolerance,
    /// Worker threads; 1 reads everything in one sequential pass.
    pub threads: usize,
    /// A single CSV input at least this large (in bytes) is read in
    /// parallel parts when there is more than one thread.
    pub parallel_min_bytes: u64,
    /// Keep the pay rate and venue ids the sessions had ([`crate::Stats::seen`]).
    pub seen_ids: bool,
}

impl Default for RunOptions {
    /// No tolerance, one thread per core, [`PARALLEL_MIN_BYTES`], no ids kept.
    fn default() -> RunOptions {
        RunOptions {
            tolerance: Tolerance::default(),
            threads: default_threads(),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            seen_ids: false,
        }
    }
}

impl RunOptions {
    /// These options with `tolerance`.
    #[must_use]
    pub fn tolerance(self, tolerance: impl Into<Tolerance>) -> RunOptions {
        RunOptions {
            tolerance: tolerance.into(),
            ..self
        }
    }

    /// These options with `threads` (at least 1).
    #[must_use]
    pub fn threads(self, threads: usize) -> RunOptions {
        RunOptions {
            threads: threads.max(1),
            ..self
        }
    }

    /// These options keeping the ids the sessions had, or not.
    #[must_use]
    pub fn seen_ids(self, seen_ids: bool) -> RunOptions {
        RunOptions { seen_ids, ..self }
    }

    /// These options with `parallel_min_bytes`.
    #[must_use]
    pub fn parallel_min_bytes(self, parallel_min_bytes: u64) -> RunOptions {
        RunOptions {
            parallel_min_bytes,
            ..self
        }
    }
}

/// How far TeamUp's figure may be from the computed pay and still match,
/// per currency: an amount for each named currency, and for every other a
/// number of its minor units (so one cent and one yen, not 0.01 of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tolerance {
    /// The allowance of a currency not named, in its minor units.
    minor_units: Decimal,
    /// The allowance of a currency not named as an amount, instead of `minor_units`.
    every: Option<Decimal>,
    /// The currencies named, with their allowance as an amount.
    amounts: [Option<(Currency, Decimal)>; Tolerance::CURRENCIES],
}

impl Tolerance {
    /// How many currencies may be given an amount of their own.
    pub const CURRENCIES: usize = 8;

    /// `minor_units` of each currency's minor unit (`1`: one cent, one yen).
    pub fn minor_units(minor_units: Decimal) -> Tolerance {
        Tolerance {
            minor_units,
            ..Tolerance::default()
        }
    }

    /// This tolerance with `amount` for `currency`, or `None` when
    /// [`Tolerance::CURRENCIES`] other currencies are named already.
    #[must_use]
    pub fn with(mut self, currency: Currency, amount: Decimal) -> Option<Tolerance> {
        let slot = self
            .amounts
            .iter_mut()
            .find(|s| s.is_none_or(|(c, _)| c == currency))?;
        *slot = Some((currency, amount));
        Some(self)
    }

    /// The allowance for an amount in `currency`.
    pub fn of(&self, currency: Currency) -> Decimal {
        if let Some((_, amount)) = self.amounts.iter().flatten().find(|(c, _)| *c == currency) {
            return *amount;
        }
        self.every.unwrap_or_else(|| {
            self.minor_units
                .checked_mul(currency.minor_unit())
                .unwrap_or(Decimal::MAX)
        })
    }
}

/// The same amount in every currency (zero: an exact match).
impl From<Decimal> for Tolerance {
    fn from(amount: Decimal) -> Tolerance {
        Tolerance {
            every: Some(amount),
            ..Tolerance::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tolerance_is_in_minor_units_unless_a_currency_has_an_amount() {
        let usd = Currency::try_from_code("USD").expect("USD");
        let jpy = Currency::try_from_code("JPY").expect("JPY");
        let kwd = Currency::try_from_code("KWD").expect("KWD");
        let one = Tolerance::minor_units(Decimal::ONE);
        assert_eq!(one.of(usd).to_string(), "0.01");
        assert_eq!(one.of(jpy).to_string(), "1");
        assert_eq!(one.of(kwd).to_string(), "0.001");
        let usd_5c = one.with(usd, Decimal::new(5, 2)).expect("room");
        assert_eq!(usd_5c.of(usd).to_string(), "0.05");
        assert_eq!(usd_5c.of(jpy).to_string(), "1");
        assert_eq!(Tolerance::default().of(usd), Decimal::ZERO);
        assert_eq!(Tolerance::from(Decimal::new(5, 1)).of(jpy).to_string(), "0.5");
        let mut full = Tolerance::default();
        for code in ["USD", "EUR", "GBP", "JPY", "AUD", "NZD", "CAD", "CHF"] {
            full = full
                .with(Currency::try_from_code(code).expect("code"), Decimal::ONE)
                .expect("room");
        }
        assert!(full.with(kwd, Decimal::ONE).is_none());
        assert!(
            full.with(usd, Decimal::TWO).is_some(),
            "a named currency is replaced"
        );
    }

    #[test]
    fn zero_threads_means_one_sequential_pass() {
        assert_eq!(RunOptions::default().threads(0).threads, 1);
        assert_eq!(RunOptions::default().threads(3).threads, 3);
    }
}
