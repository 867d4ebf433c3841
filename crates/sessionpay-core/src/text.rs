//! The values a person types (a date, a day of the week, a currency code),
//! read strictly, with a message that names the form expected.

use chrono::{NaiveDate, Weekday};

use crate::Currency;

/// A date as `YYYY-MM-DD`, with a message that names that form.
///
/// # Errors
/// The text is not shaped `YYYY-MM-DD`, or is not a calendar date.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(format!(
            "expected a date as YYYY-MM-DD (such as 2026-03-01), but found {text:?}"
        ));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| format!("{t} is not a calendar date (expected YYYY-MM-DD, such as 2026-03-01)"))
}

/// A day of the week, named in full or short (`monday`, `sun`), in any case.
///
/// # Errors
/// The text names no day of the week.
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("expected a day of the week such as monday or sun, but found {text:?}"))
}

/// An ISO 4217 currency code such as `USD`.
///
/// # Errors
/// The text is not a currency code.
pub fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::try_from_code(text.trim())
        .map_err(|_| format!("expected an ISO 4217 currency code such as USD, but found {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_name_the_expected_form() {
        assert_eq!(
            parse_date("2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert!(parse_date("2026-02-30")
            .unwrap_err()
            .contains("not a calendar date (expected YYYY-MM-DD"));
        for bad in ["03/01/2026", "2026-3-1", "20260301", "", "2026-03-01T00:00"] {
            assert!(
                parse_date(bad)
                    .unwrap_err()
                    .contains("expected a date as YYYY-MM-DD"),
                "{bad}"
            );
        }
    }

    #[test]
    fn weekdays_and_currencies_parse_strictly() {
        assert_eq!(parse_weekday("Sunday").unwrap(), Weekday::Sun);
        assert_eq!(parse_weekday("tue").unwrap(), Weekday::Tue);
        assert!(parse_weekday("someday").is_err());
        assert_eq!(parse_currency(" usd ").unwrap().code(), "USD");
        assert!(parse_currency("XYZ").unwrap_err().contains("ISO 4217"));
    }
}
