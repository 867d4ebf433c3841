//! Currencies, their minor units, and rounding to them.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Error, Result};

/// An active ISO 4217 currency and the number of digits of its minor unit.
///
/// ```
/// use sessionpay_core::Currency;
///
/// let jpy = Currency::try_from_code("jpy")?;
/// assert_eq!((jpy.code(), jpy.minor_units()), ("JPY", 0));
/// assert_eq!(Currency::try_from_code("KWD")?.minor_units(), 3);
/// assert!(Currency::try_from_code("XYZ").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

/// Active ISO 4217 codes with minor units other than 2.
const NON_TWO_DIGIT: &[(&str, u8)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// Active ISO 4217 codes with two-digit minor units.
const TWO_DIGIT: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
    "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR",
    "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD",
    "XCG", "YER", "ZAR", "ZMW", "ZWG",
];

/// [`MINOR_UNITS`] of three letters that are not an active code.
const NOT_A_CODE: u8 = u8::MAX;

/// The minor units of every active code, at [`code_index`] of its letters
/// ([`NOT_A_CODE`] elsewhere): a lookup is one read, whichever the code.
static MINOR_UNITS: [u8; 26 * 26 * 26] = minor_units_by_code();

/// Where three upper-case ASCII letters stand in [`MINOR_UNITS`].
const fn code_index(code: [u8; 3]) -> usize {
    ((code[0] - b'A') as usize * 26 + (code[1] - b'A') as usize) * 26 + (code[2] - b'A') as usize
}

/// [`MINOR_UNITS`], built when compiling from the two lists of codes.
const fn minor_units_by_code() -> [u8; 26 * 26 * 26] {
    let mut table = [NOT_A_CODE; 26 * 26 * 26];
    let mut i = 0;
    while i < TWO_DIGIT.len() {
        let code = TWO_DIGIT[i].as_bytes();
        table[code_index([code[0], code[1], code[2]])] = 2;
        i += 1;
    }
    let mut i = 0;
    while i < NON_TWO_DIGIT.len() {
        let code = NON_TWO_DIGIT[i].0.as_bytes();
        table[code_index([code[0], code[1], code[2]])] = NON_TWO_DIGIT[i].1;
        i += 1;
    }
    table
}

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency {
        code: *b"USD",
        minor_units: 2,
    };

    /// Looks up an ISO 4217 code, in any letter case.
    ///
    /// # Errors
    /// [`Error::UnknownCurrency`] when the code is not an active ISO 4217 code
    /// with a minor unit (precious metals and testing codes have none).
    pub fn try_from_code(code: &str) -> Result<Currency> {
        let unknown = || Error::UnknownCurrency {
            code: code.to_string(),
        };
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(unknown());
        }
        let upper = [
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ];
        let minor_units = MINOR_UNITS[code_index(upper)];
        if minor_units == NOT_A_CODE {
            return Err(unknown());
        }
        Ok(Currency {
            code: upper,
            minor_units,
        })
    }

    /// The currency of an unambiguous money symbol: `£` GBP, `€` EUR, `₹` INR.
    ///
    /// `$`, `¥` and other symbols that several currencies share give `None`.
    pub fn from_unambiguous_symbol(symbol: &str) -> Option<Currency> {
        let code = match symbol {
            "£" => "GBP",
            "€" => "EUR",
            "₹" => "INR",
            "₩" => "KRW",
            "₪" => "ILS",
            "₦" => "NGN",
            "₱" => "PHP",
            "₫" => "VND",
            "₴" => "UAH",
            "₺" => "TRY",
            _ => return None,
        };
        Currency::try_from_code(code).ok()
    }

    /// Whether a money symbol can stand for this currency: `£` only for GBP,
    /// `$` for any dollar (or peso) currency, `¥` for JPY and CNY, and so on.
    ///
    /// ```
    /// use sessionpay_core::Currency;
    /// let usd = Currency::USD;
    /// assert!(usd.fits_symbol("$") && usd.fits_symbol("US$"));
    /// assert!(!usd.fits_symbol("£"));
    /// assert!(Currency::try_from_code("AUD")?.fits_symbol("$"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fits_symbol(&self, symbol: &str) -> bool {
        if let Some(only) = Currency::from_unambiguous_symbol(symbol) {
            return only == *self;
        }
        let codes: &[&str] = match symbol {
            "$" => &[
                "USD", "AUD", "CAD", "NZD", "HKD", "SGD", "MXN", "ARS", "CLP", "COP", "TWD", "BSD", "BBD",
                "BMD", "BND", "BZD", "FJD", "GYD", "JMD", "KYD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD",
                "CUP", "DOP", "UYU", "TOP", "WST",
            ],
            "US$" => &["USD"],
            "CA$" | "C$" => &["CAD", "NIO"],
            "AU$" | "A$" => &["AUD"],
            "NZ$" => &["NZD"],
            "HK$" => &["HKD"],
            "R$" => &["BRL"],
            "¥" | "￥" => &["JPY", "CNY"],
            _ => &[],
        };
        codes.contains(&self.code())
    }

    /// The upper-case ISO code.
    pub fn code(&self) -> &str {
        // OK because `code` only ever holds three ASCII letters.
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// The code and minor unit as one word, for hashing, ordered as `Currency`.
    pub(crate) fn bits(&self) -> u32 {
        u32::from_be_bytes([self.code[0], self.code[1], self.code[2], self.minor_units])
    }

    /// Digits of the minor unit (JPY 0, GBP 2, KWD 3).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// One minor unit as an amount (`0.01` for GBP, `1` for JPY).
    pub fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.minor_units())
    }

    /// Rounds `amount` to the minor unit with `mode`, and gives it exactly that
    /// many decimal places (so `5` GBP becomes `5.00`).
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use sessionpay_core::{Currency, RoundingMode};
    ///
    /// let gbp = Currency::try_from_code("GBP")?;
    /// let d = |s: &str| s.parse::<Decimal>().unwrap();
    /// assert_eq!(gbp.round(d("2.345"), RoundingMode::HalfUp).to_string(), "2.35");
    /// assert_eq!(gbp.round(d("2.345"), RoundingMode::HalfEven).to_string(), "2.34");
    /// assert_eq!(gbp.round(d("-2.345"), RoundingMode::HalfUp).to_string(), "-2.35");
    /// assert_eq!(gbp.round(d("5"), RoundingMode::HalfUp).to_string(), "5.00");
    /// let jpy = Currency::try_from_code("JPY")?;
    /// assert_eq!(jpy.round(d("1232.5"), RoundingMode::HalfEven).to_string(), "1232");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Amounts so large that `Decimal` cannot hold the minor unit's places
    /// (from about 7.9e26 for two places) keep fewer places here; pay
    /// calculation uses [`Currency::checked_round`], which refuses them.
    pub fn round(&self, amount: Decimal, mode: RoundingMode) -> Decimal {
        let mut rounded = amount.round_dp_with_strategy(self.minor_units(), mode.strategy());
        // `round_dp` never raises the scale; `rescale` pads with zeros where it can.
        rounded.rescale(self.minor_units());
        rounded
    }

    /// [`Currency::round`], or `None` when the result cannot carry exactly the
    /// minor unit's places (amounts near the top of `Decimal`'s range).
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use sessionpay_core::{Currency, RoundingMode};
    ///
    /// let gbp = Currency::try_from_code("GBP")?;
    /// assert_eq!(gbp.checked_round(Decimal::new(5, 0), RoundingMode::HalfUp).unwrap().to_string(), "5.00");
    /// assert!(gbp.checked_round(Decimal::MAX, RoundingMode::HalfUp).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checked_round(&self, amount: Decimal, mode: RoundingMode) -> Option<Decimal> {
        let rounded = self.round(amount, mode);
        (rounded.scale() == self.minor_units()).then_some(rounded)
    }

    /// `numerator / divisor` rounded to the minor unit with `mode`, exactly:
    /// the quotient is never cut to `Decimal`'s 28 digits before the rounding,
    /// so a figure on a midpoint (`1252.50 / 60 = 20.875`) rounds as a
    /// midpoint. `None` when `divisor` is 0 or the result does not fit.
    ///
    /// ```
    /// use rust_decimal::Decimal;
    /// use sessionpay_core::{Currency, RoundingMode};
    ///
    /// let usd = Currency::try_from_code("USD")?;
    /// let n = Decimal::new(125250, 2); // 25.05 an hour for 50 minutes
    /// assert_eq!(usd.checked_round_ratio(n, 60, RoundingMode::HalfUp).unwrap().to_string(), "20.88");
    /// assert_eq!(usd.checked_round_ratio(n, 60, RoundingMode::HalfEven).unwrap().to_string(), "20.88");
    /// let n = Decimal::new(10110, 2); // 10.11 an hour for 10 minutes: 1.685
    /// assert_eq!(usd.checked_round_ratio(n, 60, RoundingMode::HalfEven).unwrap().to_string(), "1.68");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checked_round_ratio(
        &self,
        numerator: Decimal,
        divisor: u32,
        mode: RoundingMode,
    ) -> Option<Decimal> {
        if divisor == 1 {
            return self.checked_round(numerator, mode);
        }
        let places = self.minor_units();
        let scale = numerator.scale();
        // numerator / divisor = mantissa / (divisor × 10^scale); in minor
        // units that is mantissa × 10^places / (divisor × 10^scale).
        let (n, d) = if scale >= places {
            let d = i128::from(divisor).checked_mul(10i128.checked_pow(scale - places)?)?;
            (numerator.mantissa(), d)
        } else {
            let n = numerator
                .mantissa()
                .checked_mul(10i128.checked_pow(places - scale)?)?;
            (n, i128::from(divisor))
        };
        if d == 0 {
            return None;
        }
        let (quotient, remainder) = (n / d, n % d);
        // |remainder| < d <= 60 × 10^28, so twice it fits.
        let away = match (remainder.unsigned_abs() * 2).cmp(&d.unsigned_abs()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => match mode {
                RoundingMode::HalfUp => true,
                RoundingMode::HalfEven => quotient % 2 != 0,
            },
        };
        let rounded = if away { quotient + n.signum() } else { quotient };
        Decimal::try_from_i128_with_scale(rounded, places).ok()
    }

    /// Formats an amount at exactly the minor unit, without symbol or grouping
    /// (`1234.50`, JPY `1200`), rounding half-up if it has more digits.
    pub fn format(&self, amount: Decimal) -> String {
        self.round(amount, RoundingMode::HalfUp).to_string()
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Currency {
    type Err = Error;

    fn from_str(s: &str) -> Result<Currency> {
        Currency::try_from_code(s)
    }
}

/// How a figure is rounded to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum RoundingMode {
    /// Midpoints away from zero: 2.345 → 2.35, -2.345 → -2.35 (the default).
    #[default]
    HalfUp,
    /// Midpoints to the even neighbour (banker's rounding): 2.345 → 2.34.
    HalfEven,
}

impl RoundingMode {
    /// Every mode, in a fixed order.
    pub const ALL: [RoundingMode; 2] = [RoundingMode::HalfUp, RoundingMode::HalfEven];

    /// The name used in policy files: `half_up` or `half_even`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfEven => "half_even",
        }
    }

    /// Parses `half_up` or `half_even`.
    pub fn from_name(name: &str) -> Option<RoundingMode> {
        match name {
            "half_up" => Some(RoundingMode::HalfUp),
            "half_even" => Some(RoundingMode::HalfEven),
            _ => None,
        }
    }

    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// `a + b`, or [`Error::Overflow`] naming `op`, also when `Decimal` would
/// keep the sum only by dropping decimal places.
#[inline]
pub(crate) fn add(a: Decimal, b: Decimal, op: &'static str) -> Result<Decimal> {
    // The common case of a running total: two non-zero amounts at the same
    // scale whose sum is not zero and fits 96 bits. That sum is exact, and
    // it is what `checked_add` gives (the same mantissa, sign and scale), so
    // its general path and the check for dropped places can be skipped.
    // Zeros keep `checked_add`'s own rules (`0 + x` is `x` at `x`'s scale).
    // (Rescaling one side here too costs more in i128 than it saves.)
    if a.scale() == b.scale() && !a.is_zero() && !b.is_zero() {
        // Each mantissa is below 2^96 in magnitude: the i128 sum cannot overflow.
        let sum = a.mantissa() + b.mantissa();
        if sum != 0 {
            if let Ok(exact) = Decimal::try_from_i128_with_scale(sum, a.scale()) {
                return Ok(exact);
            }
        }
    }
    add_in_general(a, b, op)
}

/// [`add`] for any operands.
#[inline(never)]
fn add_in_general(a: Decimal, b: Decimal, op: &'static str) -> Result<Decimal> {
    a.checked_add(b)
        .filter(|sum| keeps_places(*sum, a, b))
        .ok_or(Error::Overflow { op })
}

/// Whether `result` can carry the decimal places of its operands: `Decimal`
/// drops places only when the magnitude leaves no room for them (it also
/// returns `a` as it is for `a + 0`, which is exact).
fn keeps_places(result: Decimal, a: Decimal, b: Decimal) -> bool {
    let places = a.scale().max(b.scale());
    if result.scale() >= places {
        return true;
    }
    let mut padded = result;
    padded.rescale(places);
    padded.scale() == places
}

/// `a - b`, or [`Error::Overflow`] naming `op` (as [`add`]).
pub(crate) fn sub(a: Decimal, b: Decimal, op: &'static str) -> Result<Decimal> {
    a.checked_sub(b)
        .filter(|difference| keeps_places(*difference, a, b))
        .ok_or(Error::Overflow { op })
}

/// `a * b`, or [`Error::Overflow`] naming `op`, also when `Decimal` would
/// keep the product only by rounding it (past 28 decimal places, or past 96
/// bits of digits): `0.005 × 1.000000000000000000000000002` would otherwise
/// land on the midpoint `0.005`.
#[inline]
pub(crate) fn mul(a: Decimal, b: Decimal, op: &'static str) -> Result<Decimal> {
    let product = a.checked_mul(b).ok_or(Error::Overflow { op })?;
    // With every place kept, the product is exact (and so is a zero).
    if product.scale() == a.scale() + b.scale() || product.is_zero() {
        return Ok(product);
    }
    // Places were dropped: exact only if they were zeros, that is when the
    // factors without their trailing zeros multiply keeping every place.
    let (a, b) = (a.normalize(), b.normalize());
    match a.checked_mul(b) {
        Some(product) if product.scale() == a.scale() + b.scale() => Ok(product),
        _ => Err(Error::Overflow { op }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::d;

    #[test]
    fn every_listed_code_resolves_with_its_minor_units() {
        for code in TWO_DIGIT {
            assert_eq!(Currency::try_from_code(code).unwrap().minor_units(), 2);
        }
        for (code, m) in NON_TWO_DIGIT {
            assert_eq!(
                Currency::try_from_code(code).unwrap().minor_units(),
                u32::from(*m)
            );
        }
        assert!(TWO_DIGIT.len() + NON_TWO_DIGIT.len() > 150);
    }

    #[test]
    fn the_two_digit_table_is_sorted_for_binary_search() {
        assert!(TWO_DIGIT.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Currency::try_from_code("USD").unwrap(), Currency::USD);
    }

    #[test]
    fn codes_are_case_insensitive_and_strict() {
        assert_eq!(Currency::try_from_code("gbp").unwrap().code(), "GBP");
        for bad in ["", "GB", "GBPP", "G1P", "XAU", "XXX", "£"] {
            assert!(Currency::try_from_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn midpoints_round_both_ways_per_mode() {
        let gbp = Currency::try_from_code("GBP").unwrap();
        let table = [
            ("0.005", "0.01", "0.00"),
            ("0.015", "0.02", "0.02"),
            ("0.025", "0.03", "0.02"),
            ("-0.005", "-0.01", "0.00"),
            ("1.2349", "1.23", "1.23"),
            ("1.2351", "1.24", "1.24"),
            ("7", "7.00", "7.00"),
        ];
        for (input, up, even) in table {
            assert_eq!(
                gbp.round(d(input), RoundingMode::HalfUp).to_string(),
                up,
                "{input}"
            );
            assert_eq!(
                gbp.round(d(input), RoundingMode::HalfEven).to_string(),
                even,
                "{input}"
            );
        }
    }

    #[test]
    fn jpy_and_three_digit_currencies_round_to_their_unit() {
        let jpy = Currency::try_from_code("JPY").unwrap();
        assert_eq!(jpy.round(d("1499.5"), RoundingMode::HalfUp).to_string(), "1500");
        assert_eq!(jpy.round(d("1498.5"), RoundingMode::HalfEven).to_string(), "1498");
        let kwd = Currency::try_from_code("KWD").unwrap();
        assert_eq!(kwd.round(d("1.2345"), RoundingMode::HalfUp).to_string(), "1.235");
        assert_eq!(
            kwd.round(d("1.2345"), RoundingMode::HalfEven).to_string(),
            "1.234"
        );
        assert_eq!(kwd.round(d("2"), RoundingMode::HalfEven).to_string(), "2.000");
        assert_eq!(kwd.minor_unit(), d("0.001"));
    }

    #[test]
    fn sums_that_would_drop_decimal_places_are_overflows() {
        let big = Decimal::from_i128_with_scale(9 * 10i128.pow(26), 0);
        let cents = Decimal::new(1, 2);
        assert!(add(big, cents, "t").is_err());
        assert_eq!(add(d("1.10"), d("2"), "t").unwrap().to_string(), "3.10");
        assert_eq!(sub(d("15"), d("0.00"), "t").unwrap(), d("15"));
        assert!(sub(-big, cents, "t").is_err());
    }

    #[test]
    fn ratios_round_exactly_both_ways_and_both_signs() {
        let usd = Currency::USD;
        let jpy = Currency::try_from_code("JPY").unwrap();
        let kwd = Currency::try_from_code("KWD").unwrap();
        let r = |c: Currency, n: &str, div: u32, mode| {
            c.checked_round_ratio(d(n), div, mode).map(|x| x.to_string())
        };
        let (up, even) = (RoundingMode::HalfUp, RoundingMode::HalfEven);
        // (currency, numerator, divisor, half-up, half-even)
        let table = [
            (usd, "1252.50", 60, "20.88", "20.88"),
            (usd, "-1252.50", 60, "-20.88", "-20.88"),
            (usd, "101.10", 60, "1.69", "1.68"),
            (usd, "-101.10", 60, "-1.69", "-1.68"),
            (usd, "10", 60, "0.17", "0.17"),
            (jpy, "30", 60, "1", "0"),
            (jpy, "90", 60, "2", "2"),
            (kwd, "0.15", 60, "0.003", "0.002"),
            (usd, "2.345", 1, "2.35", "2.34"),
            (usd, "0", 60, "0.00", "0.00"),
        ];
        for (c, n, div, want_up, want_even) in table {
            assert_eq!(r(c, n, div, up).as_deref(), Some(want_up), "{c} {n}/{div}");
            assert_eq!(r(c, n, div, even).as_deref(), Some(want_even), "{c} {n}/{div}");
        }
        assert_eq!(r(usd, "1", 0, up), None);
        assert_eq!(r(kwd, &Decimal::MAX.to_string(), 1, up), None);
    }

    #[test]
    fn products_that_would_be_rounded_are_overflows() {
        // Exact products, zeros of any scale, and places that are only zeros.
        assert_eq!(mul(d("1.50"), d("2"), "t").unwrap().to_string(), "3.00");
        assert!(mul(d("0.00"), d("1.5"), "t").unwrap().is_zero());
        let zeros = d("2.0000000000000000000000000000");
        assert_eq!(mul(d("1.50"), zeros, "t").unwrap(), d("3"));
        assert_eq!(
            mul(d("0.8333333333333334"), d("12.345"), "t")
                .unwrap()
                .to_string(),
            "10.2875000000000008230"
        );
        // Products Decimal can keep only rounded.
        assert!(mul(d("0.005"), d("1.000000000000000000000000002"), "t").is_err());
        assert!(mul(d("0.8333333333333334"), d("12.3456789012345"), "t").is_err());
        assert!(mul(Decimal::MAX, d("2"), "t").is_err());
    }

    #[test]
    fn bits_order_as_currencies_do() {
        let mut all: Vec<Currency> = TWO_DIGIT
            .iter()
            .copied()
            .chain(NON_TWO_DIGIT.iter().map(|(c, _)| *c))
            .map(|c| Currency::try_from_code(c).unwrap())
            .collect();
        all.sort();
        assert!(all.windows(2).all(|w| w[0].bits() < w[1].bits()));
    }

    #[test]
    fn every_three_letters_look_up_as_the_two_lists_say() {
        let listed = |code: &str| {
            NON_TWO_DIGIT
                .iter()
                .find(|(c, _)| *c == code)
                .map(|&(_, m)| m)
                .or_else(|| TWO_DIGIT.contains(&code).then_some(2))
        };
        let mut found = 0;
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                for c in b'A'..=b'Z' {
                    let code = String::from_utf8(vec![a, b, c]).unwrap();
                    let got = Currency::try_from_code(&code).ok().map(|c| c.minor_units);
                    assert_eq!(got, listed(&code), "{code}");
                    assert_eq!(
                        Currency::try_from_code(&code.to_lowercase()).ok(),
                        Currency::try_from_code(&code).ok()
                    );
                    found += usize::from(got.is_some());
                }
            }
        }
        // No code is in both lists, or twice in one.
        assert_eq!(found, TWO_DIGIT.len() + NON_TWO_DIGIT.len());
    }

    /// Amounts at the edges of `add`'s quick path: zeros of either sign at
    /// several scales, one-word and three-word mantissas, the largest ones,
    /// both signs, and scales 0 to 28 (unequal scales take the general path).
    fn edge_amounts() -> Vec<Decimal> {
        let mantissas: [i128; 12] = [
            0,
            1,
            7,
            4_294_967_295,
            4_294_967_296,
            18_446_744_073_709_551_615,
            18_446_744_073_709_551_616,
            123_456_789_012_345_678_901_234,
            (1 << 95) + 3,
            (1 << 96) - 2,
            (1 << 96) - 1,
            500,
        ];
        let mut out = Vec::new();
        for m in mantissas {
            for scale in [0, 1, 2, 3, 16, 28] {
                for sign in [1, -1] {
                    let mut d = Decimal::from_i128_with_scale(m, scale);
                    d.set_sign_negative(sign < 0);
                    out.push(d);
                }
            }
        }
        out
    }

    #[test]
    fn quick_sums_are_bit_for_bit_the_general_ones() {
        let amounts = edge_amounts();
        for &a in &amounts {
            for &b in &amounts {
                let quick = add(a, b, "t").map(|d| d.serialize()).ok();
                let general = add_in_general(a, b, "t").map(|d| d.serialize()).ok();
                assert_eq!(quick, general, "{a:?} + {b:?}");
            }
        }
        // And a spread of ordinary amounts, including sums to zero.
        let mut x: u64 = 1;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let m1 = (x >> 20) as i64 % 1_000_000 - 500_000;
            let m2 = if x & 7 == 0 {
                -m1
            } else {
                (x >> 40) as i64 % 10_000 - 5_000
            };
            let (s1, s2) = ((x & 3) as u32, ((x >> 2) & 3) as u32);
            let (a, b) = (Decimal::new(m1, s1), Decimal::new(m2, s2));
            let quick = add(a, b, "t").unwrap();
            let general = add_in_general(a, b, "t").unwrap();
            assert_eq!(quick.serialize(), general.serialize(), "{a} + {b}");
            assert_eq!(quick.to_string(), general.to_string(), "{a} + {b}");
        }
    }

    #[test]
    fn unambiguous_symbols_only() {
        assert_eq!(Currency::from_unambiguous_symbol("£").unwrap().code(), "GBP");
        assert_eq!(Currency::from_unambiguous_symbol("€").unwrap().code(), "EUR");
        assert_eq!(Currency::from_unambiguous_symbol("₹").unwrap().code(), "INR");
        assert!(Currency::from_unambiguous_symbol("$").is_none());
        assert!(Currency::from_unambiguous_symbol("¥").is_none());
    }
}
