//! Numbers, dates and amounts appended to a reused buffer as text, each
//! exactly as its `Display` writes it, without the formatting machinery or
//! a new `String` per cell: a payroll of 76,000 rows writes a million cells.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use sessionpay_core::{Currency, RoundingMode};

/// Appends `n` as `n.to_string()` writes it.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `d` as its `Display` writes it: `YYYY-MM-DD`.
pub(crate) fn push_date(out: &mut String, d: NaiveDate) {
    let (year, month, day) = (d.year(), d.month(), d.day());
    let Ok(year @ 0..=9999) = u32::try_from(year) else {
        // A signed year of five digits or more: chrono's own spelling.
        let _ = write!(out, "{d}");
        return;
    };
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    for c in [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        '-',
        digit(month / 10),
        digit(month),
        '-',
        digit(day / 10),
        digit(day),
    ] {
        out.push(c);
    }
}

/// Appends `d` as its `Display` writes it (`rust_decimal` without a
/// precision): the sign of a negative value, zero included, then every
/// digit of the mantissa with the point `scale` places from the right, a
/// `0` before a point with no whole digits, and `0` for no digits at all.
pub(crate) fn push_decimal(out: &mut String, d: Decimal) {
    if d.is_sign_negative() {
        out.push('-');
    }
    let mut buffer = itoa::Buffer::new();
    let digits = match d.mantissa().unsigned_abs() {
        0 => "",
        m => buffer.format(m),
    };
    let scale = d.scale() as usize;
    if scale == 0 {
        out.push_str(if digits.is_empty() { "0" } else { digits });
        return;
    }
    match digits.len().checked_sub(scale) {
        Some(whole) if whole > 0 => {
            out.push_str(&digits[..whole]);
            out.push('.');
            out.push_str(&digits[whole..]);
        }
        _ => {
            out.push_str("0.");
            for _ in digits.len()..scale {
                out.push('0');
            }
            out.push_str(digits);
        }
    }
}

/// Appends `amount` as [`Currency::format`] writes it.
pub(crate) fn push_amount(out: &mut String, currency: Currency, amount: Decimal) {
    push_decimal(out, currency.round(amount, RoundingMode::HalfUp));
}

/// Appends `hours` as [`sessionpay_core::format_hours`] writes them.
pub(crate) fn push_hours(out: &mut String, hours: Decimal) {
    push_decimal(out, hours.normalize());
}

/// The cells of one row written one after another into one reused buffer:
/// a row costs no allocation per cell.
#[derive(Debug, Default)]
pub(crate) struct Cells {
    text: String,
    ends: Vec<usize>,
}

impl Cells {
    /// Empties the cells, keeping their room.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Ends the cell written since the last one (an empty one if nothing was).
    pub(crate) fn end(&mut self) {
        self.ends.push(self.text.len());
    }

    /// Adds `cell`.
    pub(crate) fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        self.end();
    }

    /// Adds the cell that `write` appends to the buffer.
    pub(crate) fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.end();
    }

    /// Adds a count or an id.
    pub(crate) fn push_u64(&mut self, n: u64) {
        self.push_with(|out| push_u64(out, n));
    }

    /// The cells, in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(a, b)| &self.text[a..b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn text(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::from("|");
        write(&mut out);
        out.split_off(1)
    }

    #[test]
    fn zeros_and_small_values_are_spelt_as_display_spells_them() {
        for (mantissa, scale) in [
            (0, 0),
            (0, 2),
            (5, 2),
            (-5, 2),
            (1200, 0),
            (-1234, 2),
            (7, 1),
            (10, 3),
        ] {
            let d = Decimal::new(mantissa, scale);
            assert_eq!(text(|o| push_decimal(o, d)), d.to_string(), "{mantissa} {scale}");
        }
        let negative_zero = -Decimal::new(0, 2);
        assert!(negative_zero.is_sign_negative());
        assert_eq!(
            text(|o| push_decimal(o, negative_zero)),
            negative_zero.to_string()
        );
    }

    #[test]
    fn dates_outside_four_digit_years_keep_chrono_spelling() {
        for (y, m, d) in [
            (2026, 5, 2),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("a date");
            assert_eq!(text(|o| push_date(o, date)), date.to_string());
        }
    }

    proptest! {
        #[test]
        fn a_decimal_is_spelt_as_display_spells_it(
            lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
            negative: bool, scale in 0u32..=28, small in any::<bool>(),
        ) {
            let d = if small {
                Decimal::new(i64::from(lo % 100_000) * if negative { -1 } else { 1 }, scale % 6)
            } else {
                Decimal::from_parts(lo, mid, hi, negative, scale)
            };
            prop_assert_eq!(text(|o| push_decimal(o, d)), d.to_string());
            prop_assert_eq!(text(|o| push_hours(o, d)), sessionpay_core::format_hours(d));
            prop_assert_eq!(text(|o| push_amount(o, Currency::USD, d)), Currency::USD.format(d));
            prop_assert_eq!(text(|o| push_amount(o, Currency::try_from_code("JPY").expect("JPY"), d)), Currency::try_from_code("JPY").expect("JPY").format(d));
        }

        #[test]
        fn a_date_is_spelt_as_display_spells_it(days in -4_000_000i32..4_000_000) {
            let date = NaiveDate::from_num_days_from_ce_opt(days).expect("in chrono's range");
            prop_assert_eq!(text(|o| push_date(o, date)), date.to_string());
        }

        #[test]
        fn cells_are_the_pieces_pushed(pieces in proptest::collection::vec("[a-z,\"]{0,5}", 0..6)) {
            let mut cells = Cells::default();
            cells.push("stale");
            cells.clear();
            for p in &pieces {
                cells.push(p);
            }
            prop_assert_eq!(cells.iter().collect::<Vec<_>>(), pieces.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
