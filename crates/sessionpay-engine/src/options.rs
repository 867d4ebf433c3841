//! The settings of a run, passed in by the caller (the engine reads no
//! environment variable).

use std::path::PathBuf;

use rust_decimal::Decimal;
use sessionpay_core::Currency;

/// A single CSV file at least this large is read in parallel parts (by default).
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// One worker per core, as far as the system tells.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// How a run reads and prices.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Where the run's own temporary files go (the places of the session ids
    /// a sequential pass has seen, past a few MiB): an anonymous file in
    /// this folder, gone when the run ends however it ends. `None` keeps
    /// them in memory.
    pub spill_folder: Option<PathBuf>,
}

impl Default for RunOptions {
    /// No tolerance, one thread per core, [`PARALLEL_MIN_BYTES`], no ids
    /// kept, no temporary file.
    fn default() -> RunOptions {
        RunOptions {
            tolerance: Tolerance::default(),
            threads: default_threads(),
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            seen_ids: false,
            spill_folder: None,
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

    /// These options with the run's temporary files in `folder`.
    #[must_use]
    pub fn spill_folder(self, folder: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            spill_folder: Some(folder.into()),
            ..self
        }
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

/// One tolerance as a person writes it: a number of minor units of every
/// currency, or an amount in one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TolerancePart {
    /// Minor units without a currency, an amount with one.
    pub value: Decimal,
    /// The currency the amount is in.
    pub currency: Option<Currency>,
}

const TOLERANCE_FORM: &str = "a number of minor units such as 1 (one cent, one yen) or an amount and \
                              currency such as 0.05USD";

/// A plain decimal: digits with at most one point (`0.01`, `1`, `.5`). The
/// decimal crate would also take `0_01` and `1e-2`, which no one means.
fn plain_decimal(t: &str) -> Option<Decimal> {
    let plain = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|&b| b == b'.').count() <= 1;
    plain.then(|| Decimal::from_str_exact(t).ok()).flatten()
}

impl TolerancePart {
    /// `1`, `0.5`, `0.05USD`, `2 JPY`: digits with at most one point, then an optional ISO code.
    ///
    /// # Errors
    /// A negative or malformed number, an unknown code, or a fraction of a
    /// minor unit without a currency; the message names the form expected.
    pub fn parse(text: &str) -> Result<TolerancePart, String> {
        let t = text.trim();
        if t.starts_with('-') {
            return Err(format!(
                "expected a tolerance of zero or more, but found {text:?}"
            ));
        }
        let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
        let (number, code) = t.split_at(split);
        let value = plain_decimal(number.trim())
            .ok_or_else(|| format!("expected {TOLERANCE_FORM}, but found {text:?}"))?;
        let currency = match code.trim() {
            "" => None,
            code => Some(Currency::try_from_code(code).map_err(|_| {
                format!(
                    "expected {TOLERANCE_FORM}, but found {text:?} ({code:?} is not an ISO 4217 currency code)"
                )
            })?),
        };
        if currency.is_none() && !value.fract().is_zero() {
            return Err(format!(
                "expected {TOLERANCE_FORM}, but found {text:?}: without a currency it counts whole minor \
                 units; for an amount name its currency, such as {value}USD"
            ));
        }
        Ok(TolerancePart { value, currency })
    }
}

impl Tolerance {
    /// The `--tolerance` parts as one tolerance: a plain number for every
    /// currency not named (0 without one), each currency named at most once.
    ///
    /// # Errors
    /// Two plain numbers, a currency named twice, or more than
    /// [`Tolerance::CURRENCIES`] currencies named.
    pub fn from_parts(parts: &[TolerancePart]) -> Result<Tolerance, String> {
        let plain: Vec<&TolerancePart> = parts.iter().filter(|p| p.currency.is_none()).collect();
        if plain.len() > 1 {
            return Err(format!(
                "--tolerance without a currency was given {} times ({} and {}); give it once, and one \
                 --tolerance AMOUNTCODE for each currency that needs its own",
                plain.len(),
                plain[0].value,
                plain[1].value
            ));
        }
        let mut tolerance = Tolerance::minor_units(plain.first().map_or(Decimal::ZERO, |p| p.value));
        let mut named: Vec<Currency> = Vec::new();
        for part in parts {
            let Some(currency) = part.currency else {
                continue;
            };
            if named.contains(&currency) {
                return Err(format!(
                    "--tolerance names {} twice; give each currency once",
                    currency.code()
                ));
            }
            named.push(currency);
            tolerance = tolerance
                .with(currency, part.value)
                .ok_or_else(|| format!("--tolerance names more than {} currencies", Tolerance::CURRENCIES))?;
        }
        Ok(tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_combine_per_currency() {
        let parts = |texts: &[&str]| {
            let parts: Vec<TolerancePart> = texts.iter().map(|t| TolerancePart::parse(t).unwrap()).collect();
            Tolerance::from_parts(&parts)
        };
        let usd = Currency::try_from_code("USD").unwrap();
        let jpy = Currency::try_from_code("JPY").unwrap();
        let t = parts(&["0.05USD", "2"]).unwrap();
        assert_eq!(
            (t.of(usd).to_string(), t.of(jpy).to_string()),
            ("0.05".into(), "2".into())
        );
        let t = parts(&[]).unwrap();
        assert!(t.of(usd).is_zero() && t.of(jpy).is_zero());
        assert!(parts(&["1", "2"]).unwrap_err().contains("given 2 times"));
        assert!(parts(&["1USD", "2usd"]).unwrap_err().contains("names USD twice"));
    }

    #[test]
    fn tolerances_parse_strictly() {
        let part = |text: &str| {
            TolerancePart::parse(text)
                .map(|p| (p.value.to_string(), p.currency.map(|c| c.code().to_string())))
        };
        assert_eq!(part("1").unwrap(), ("1".into(), None));
        assert_eq!(part("0.05USD").unwrap(), ("0.05".into(), Some("USD".into())));
        assert_eq!(part(" 2 jpy").unwrap(), ("2".into(), Some("JPY".into())));
        assert_eq!(part(".5GBP").unwrap(), ("0.5".into(), Some("GBP".into())));
        assert!(part("-1").unwrap_err().contains("zero or more"));
        assert!(part("0.01").unwrap_err().contains("such as 0.01USD"));
        assert!(part("1XYZ").unwrap_err().contains("not an ISO 4217"));
        for bad in [
            "0_01", "1_000", "1e-2", "+0.01", "0.0.1", ".", "", "0x1", "Inf", "NaN", "1,5", "USD",
        ] {
            let err = TolerancePart::parse(bad);
            assert!(err.is_err(), "{bad:?} gave {err:?}");
        }
    }

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
