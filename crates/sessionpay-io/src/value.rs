//! Parsing single values exactly from their text: decimals, counts, money cells, times.

use chrono::{DateTime, NaiveDateTime};
use rust_decimal::Decimal;
use sessionpay_core::{Currency, StartsAt};

/// Parses a decimal exactly from text: optional sign, digits, one optional
/// point, optional exponent. No separators, no rounding, at most 28 decimal places.
///
/// `1_000` (which `Decimal::from_str` accepts) and `1,5` are refused.
pub(crate) fn decimal(text: &str) -> Result<Decimal, String> {
    if let Some(d) = simple_decimal(text.as_bytes()) {
        return Ok(d);
    }
    let t = text.trim();
    let refuse = || format!("expected a decimal number, but found {text:?}");
    if t.is_empty() {
        return Err(format!("expected a decimal number, but found {text:?}"));
    }
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = mantissa.strip_prefix(['-', '+']).unwrap_or(mantissa);
    let mut points = 0;
    let mut any_digit = false;
    for c in digits.chars() {
        match c {
            '0'..='9' => any_digit = true,
            '.' => points += 1,
            _ => return Err(refuse()),
        }
    }
    if !any_digit || points > 1 {
        return Err(refuse());
    }
    let value = match exponent {
        None => Decimal::from_str_exact(t).map_err(|_| too_precise(text))?,
        Some(exp) => {
            let ok = !exp.is_empty()
                && exp
                    .strip_prefix(['-', '+'])
                    .unwrap_or(exp)
                    .chars()
                    .all(|c| c.is_ascii_digit());
            if !ok {
                return Err(refuse());
            }
            Decimal::from_scientific(t).map_err(|_| too_precise(text))?
        }
    };
    Ok(value)
}

/// The common case without allocation: `-?digits(.digits)?`, at most 18 digits.
pub(crate) fn simple_decimal(bytes: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut scale = None;
    let mut count = 0;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' if count < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                count += 1;
            }
            b'.' if scale.is_none() && i > 0 && i + 1 < digits.len() => {
                scale = Some((digits.len() - i - 1) as u32)
            }
            _ => return None,
        }
    }
    if count > 18 {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale.unwrap_or(0),
    ))
}

fn too_precise(text: &str) -> String {
    format!("{text:?} is out of the exact decimal range (at most 28 digits after the point, magnitude below 7.9e28)")
}

/// The common case of a count or id without allocation: 1 to `max` ASCII
/// digits and nothing else (`max` at most 18, so the value fits).
pub(crate) fn plain_digits(b: &[u8], max: usize) -> Option<u64> {
    if b.is_empty() || b.len() > max {
        return None;
    }
    b.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// Parses a non-negative whole number that fits `u32`.
pub(crate) fn count(text: &str) -> Result<u32, String> {
    if let Some(n) = plain_digits(text.as_bytes(), 9).and_then(|n| u32::try_from(n).ok()) {
        return Ok(n);
    }
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('-') {
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("expected a count of zero or more, but found {text:?}"));
        }
    }
    // "3.0" is a whole number written as a decimal: accept it, refuse "3.5".
    if let Ok(d) = decimal(t) {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(format!("expected a count of zero or more, but found {text:?}"));
        }
        if d.fract().is_zero() {
            if let Ok(n) = u32::try_from(d) {
                return Ok(n);
            }
            return Err(format!("count {text:?} is too large"));
        }
    }
    Err(format!("expected a whole number, but found {text:?}"))
}

/// Parses an id: a whole number that fits `u64`.
pub(crate) fn id(text: &str) -> Result<u64, String> {
    if let Some(n) = plain_digits(text.as_bytes(), 18) {
        return Ok(n);
    }
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return t.parse().map_err(|_| format!("id {text:?} is too large"));
    }
    Err(format!("expected a whole-number id, but found {text:?}"))
}

/// Parses a boolean: `true`/`false`, `1`/`0`, `yes`/`no` in any case.
pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    match text {
        "false" => return Ok(false),
        "true" => return Ok(true),
        _ => {}
    }
    let t = text.trim();
    let is = |word: &str| t.eq_ignore_ascii_case(word);
    if is("true") || is("1") || is("yes") || is("t") || is("y") {
        Ok(true)
    } else if is("false") || is("0") || is("no") || is("f") || is("n") {
        Ok(false)
    } else {
        Err(format!("expected true or false, but found {text:?}"))
    }
}

/// Parses `starts_at`: RFC 3339 with `Z` or an offset, or a local time without one.
pub(crate) fn starts_at(text: &str) -> Result<StartsAt, String> {
    if let Some(fast) = simple_instant(text.as_bytes()) {
        return Ok(fast);
    }
    let t = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(t) {
        return Ok(StartsAt::Instant(instant));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(StartsAt::Local(local));
        }
    }
    // An offset without a colon (+0100) or with a space before it.
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f %z",
    ] {
        if let Ok(instant) = DateTime::parse_from_str(t, format) {
            return Ok(StartsAt::Instant(instant));
        }
    }
    Err(format!(
        "expected an ISO 8601 date-time such as 2026-05-02T09:00:00Z, but found {text:?}"
    ))
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM`, without chrono's general parser.
fn simple_instant(b: &[u8]) -> Option<StartsAt> {
    use chrono::{FixedOffset, NaiveDate, TimeZone};
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let offset_seconds = match &b[19..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let h = i32::from(h1 - b'0') * 10 + i32::from(h2 - b'0');
            let m = i32::from(m1 - b'0') * 10 + i32::from(m2 - b'0');
            if m >= 60 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let local = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    offset.from_local_datetime(&local).single().map(StartsAt::Instant)
}

/// A money cell: the amount and what it says about the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MoneyCell {
    pub(crate) amount: Decimal,
    pub(crate) code: Option<Currency>,
    pub(crate) symbol: Option<&'static str>,
}

/// Money symbols sessionpay recognises, longest first so `US$` wins over `$`.
const SYMBOLS: &[&str] = &[
    "US$", "CA$", "AU$", "NZ$", "HK$", "A$", "C$", "R$", "$", "£", "€", "¥", "₹", "₩", "₪", "₦", "₱", "₫",
    "₴", "₺", "￥",
];

/// Parses a money cell: a plain decimal (`1234.50`), or a formatted figure with
/// a symbol or ISO code before or after it and comma thousands separators
/// (`£1,234.50`, `$45`, `45.00 €`, `-$9.99`, `$-9.99`, `GBP 12.00`).
pub(crate) fn money(text: &str) -> Result<MoneyCell, String> {
    if let Some(amount) = simple_decimal(text.as_bytes()) {
        return Ok(MoneyCell {
            amount,
            code: None,
            symbol: None,
        });
    }
    if let Some(cell) = symbol_then_digits(text) {
        return Ok(cell);
    }
    general_money(text)
}

/// [`money`] without its shortcuts.
fn general_money(text: &str) -> Result<MoneyCell, String> {
    let refuse = || format!("expected an amount such as 45.00 or £1,234.50, but found {text:?}");
    let mut rest = text.trim();
    let mut negative = false;
    let mut symbol = None;
    let mut code = None;
    // Leading sign, symbol or code, in any order, each at most once.
    for _ in 0..3 {
        if let Some(r) = rest.strip_prefix('-') {
            if negative {
                return Err(refuse());
            }
            negative = true;
            rest = r.trim_start();
        } else if let Some(s) = symbol
            .is_none()
            .then(|| SYMBOLS.iter().find(|s| rest.starts_with(**s)))
            .flatten()
        {
            symbol = Some(*s);
            rest = rest[s.len()..].trim_start();
        } else if code.is_none() && rest.len() > 3 && rest.as_bytes()[..3].iter().all(u8::is_ascii_alphabetic)
        {
            code = Some(Currency::try_from_code(&rest[..3]).map_err(|_| refuse())?);
            rest = rest[3..].trim_start();
        }
    }
    // Trailing symbol or code.
    if let Some(s) = symbol
        .is_none()
        .then(|| SYMBOLS.iter().find(|s| rest.ends_with(**s)))
        .flatten()
    {
        symbol = Some(*s);
        rest = rest[..rest.len() - s.len()].trim_end();
    }
    if code.is_none() && rest.len() > 3 {
        // `get` rather than slicing: the tail may cut a multi-byte character.
        let tail = rest.get(rest.len() - 3..).unwrap_or("");
        if tail.len() == 3 && tail.bytes().all(|b| b.is_ascii_alphabetic()) {
            code = Some(Currency::try_from_code(tail).map_err(|_| refuse())?);
            rest = rest[..rest.len() - 3].trim_end();
        }
    }
    if rest.starts_with('-') {
        if negative {
            return Err(refuse());
        }
        negative = true;
        rest = &rest[1..];
    }
    let amount = match simple_grouped(rest.as_bytes()) {
        Some(amount) => amount,
        None => {
            let plain = strip_thousands(rest).ok_or_else(refuse)?;
            decimal(&plain).map_err(|_| refuse())?
        }
    };
    if amount.is_sign_negative() && !amount.is_zero() && negative {
        return Err(refuse());
    }
    let amount = if negative { -amount } else { amount };
    Ok(MoneyCell { amount, code, symbol })
}

/// The commonest formatted figures, `$49.13`, `£7.50` or `¥1,500`: one of the
/// commonest symbols, then an unsigned amount (commas grouping by three). Gives
/// what the general path gives for it, without its search over every symbol;
/// `None` for anything else.
fn symbol_then_digits(text: &str) -> Option<MoneyCell> {
    let (symbol, rest) = ["$", "£", "€", "¥", "₹"]
        .into_iter()
        .find_map(|s| text.strip_prefix(s).map(|rest| (s, rest)))?;
    // A sign, a space, a second symbol or a code go the general way.
    if !rest.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let amount = simple_grouped(rest.as_bytes())?;
    Some(MoneyCell {
        amount,
        code: None,
        symbol: Some(symbol),
    })
}

/// `1,234.50` or `1234.50` (commas grouping by three), at most 18 digits, without allocation.
fn simple_grouped(b: &[u8]) -> Option<Decimal> {
    // Without commas (most figures) this is `simple_decimal`, which reads
    // the digits in one pass: both take the same unsigned shapes.
    if b.first().is_some_and(u8::is_ascii_digit) {
        if let Some(d) = simple_decimal(b) {
            return Some(d);
        }
    }
    grouped(b)
}

/// [`simple_grouped`] without its shortcut.
fn grouped(b: &[u8]) -> Option<Decimal> {
    let whole_end = b.iter().position(|&c| c == b'.').unwrap_or(b.len());
    let (whole, fraction) = (&b[..whole_end], b.get(whole_end + 1..).unwrap_or_default());
    if whole.is_empty() || (whole_end < b.len() && fraction.is_empty()) {
        return None;
    }
    let mut mantissa: i64 = 0;
    let mut digits = 0;
    let grouped = whole.contains(&b',');
    for (i, &c) in whole.iter().enumerate() {
        if c == b',' {
            // A comma must have 1-3 digits before the first and exactly 3 between.
            let from_end = whole.len() - i;
            if from_end % 4 != 0 || i == 0 {
                return None;
            }
            continue;
        }
        if !c.is_ascii_digit() || (grouped && (whole.len() - i) % 4 == 0) {
            return None;
        }
        mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
        digits += 1;
    }
    for &c in fraction {
        if !c.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
        digits += 1;
    }
    if digits > 18 || (grouped && whole.iter().position(|&c| c == b',').is_some_and(|p| p > 3)) {
        return None;
    }
    Some(Decimal::new(mantissa, fraction.len() as u32))
}

/// Removes comma thousands separators, checking they group by three.
fn strip_thousands(text: &str) -> Option<String> {
    if !text.contains(',') {
        return Some(text.to_string());
    }
    let (whole, fraction) = match text.find('.') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    if !first_ok || !rest_ok || fraction.contains(',') {
        return None;
    }
    Some(format!("{}{fraction}", groups.concat()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn decimals_are_exact_and_strict() {
        assert_eq!(decimal("74.25").unwrap(), d("74.25"));
        assert_eq!(decimal("1.0").unwrap().to_string(), "1.0");
        assert_eq!(decimal("-0.5").unwrap(), d("-0.5"));
        assert_eq!(decimal("1e2").unwrap(), d("100"));
        assert_eq!(decimal("0.1").unwrap().to_string(), "0.1");
        for bad in [
            "", "1_000", "1,5", "abc", "1.2.3", "NaN", "inf", "1e", "--1", "0x10",
        ] {
            assert!(decimal(bad).is_err(), "{bad:?}");
        }
        assert!(decimal("0.00000000000000000000000000001").is_err(), "29 places");
        assert!(decimal("99999999999999999999999999999999").is_err(), "overflow");
        // 19 digits: past the fast path, still exact.
        assert_eq!(
            decimal("9999999999999999999").unwrap().to_string(),
            "9999999999999999999"
        );
    }

    #[test]
    fn counts_are_whole_and_not_negative() {
        assert_eq!(count("11").unwrap(), 11);
        assert_eq!(count("3.0").unwrap(), 3);
        assert!(count("-1").unwrap_err().contains("zero or more"));
        assert!(count("2.5").unwrap_err().contains("whole number"));
        assert!(count("x").is_err());
        assert!(count("99999999999").is_err());
    }

    proptest::proptest! {
        #[test]
        fn the_shortcut_for_figures_reads_as_the_grouped_reading(
            text in proptest::collection::vec(proptest::sample::select(&b"0123456789.,-"[..]), 0..24),
        ) {
            // The same digits and scale, not only the same value: `1.50` stays `1.50`.
            let parts = |d: Option<Decimal>| d.map(|d| (d.mantissa(), d.scale()));
            proptest::prop_assert_eq!(parts(simple_grouped(&text)), parts(grouped(&text)));
        }
    }

    #[test]
    fn money_cells_in_every_shape() {
        let gbp = Currency::try_from_code("GBP").unwrap();
        let cases: [(&str, &str, Option<&str>, Option<Currency>); 11] = [
            ("74.25", "74.25", None, None),
            ("£1,234.50", "1234.50", Some("£"), None),
            ("$45", "45", Some("$"), None),
            ("45.00 €", "45.00", Some("€"), None),
            ("$-9.99", "-9.99", Some("$"), None),
            ("-$9.99", "-9.99", Some("$"), None),
            ("¥1,500", "1500", Some("¥"), None),
            ("₹9,999.99", "9999.99", Some("₹"), None),
            ("GBP 12.00", "12.00", None, Some(gbp)),
            ("12.00 gbp", "12.00", None, Some(gbp)),
            ("1,234,567.8", "1234567.8", None, None),
        ];
        for (text, amount, symbol, code) in cases {
            let m = money(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((m.amount, m.symbol, m.code), (d(amount), symbol, code), "{text}");
        }
        for bad in [
            "£",
            "12,34.00",
            "1,2345",
            "£12£",
            "--1",
            "-$-1",
            "12.3.4",
            "XYZ 12",
            "1.234,50 €",
        ] {
            assert!(money(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_symbol_shortcut_agrees_with_the_general_path() {
        let taken = [
            "¥1,500",
            "₹9,999.99",
            "¥7",
            "$1,234,567.80",
            "$49.13",
            "£7.50",
            "€0.00",
            "$1234",
            "£0.5",
            "€12.345",
            "$007.10",
            "£1",
        ];
        for text in taken {
            let fast = symbol_then_digits(text).unwrap_or_else(|| panic!("{text}: not taken"));
            let general = general_money(text).unwrap();
            assert_eq!(fast, general, "{text}");
            // The same scale too: `7.50` stays two places.
            assert_eq!(fast.amount.scale(), general.amount.scale(), "{text}");
        }
        let left = [
            "¥12,34",
            "₹1,2345",
            "$,123",
            "￥5",
            "$-0.00",
            "$ 5",
            "US$5",
            "$5 USD",
            "$.5",
            "$5.",
            "€",
            "$1.2.3",
            "45.00 €",
        ];
        for text in left {
            assert_eq!(symbol_then_digits(text), None, "{text}");
        }
    }

    #[test]
    fn start_times_with_and_without_offsets() {
        assert!(matches!(
            starts_at("2026-05-02T02:00:00+01:00"),
            Ok(StartsAt::Instant(_))
        ));
        assert!(matches!(
            starts_at("2026-02-14T09:00:00Z"),
            Ok(StartsAt::Instant(_))
        ));
        assert!(matches!(starts_at("2026-02-14T09:00:00"), Ok(StartsAt::Local(_))));
        assert!(matches!(starts_at("2026-02-14 09:00"), Ok(StartsAt::Local(_))));
        for bad in ["2026-02-30T09:00:00Z", "yesterday", "2026-13-01T00:00:00Z", ""] {
            assert!(starts_at(bad).is_err(), "{bad}");
        }
    }
}
