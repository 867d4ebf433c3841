//! Small helpers the unit tests of several modules share.

use rust_decimal::Decimal;

use crate::money::Currency;

/// An exact decimal from its text.
pub(crate) fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Pounds sterling (two decimal places).
pub(crate) fn gbp() -> Currency {
    Currency::try_from_code("GBP").unwrap()
}
