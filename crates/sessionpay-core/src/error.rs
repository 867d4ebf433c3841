//! The one error type of the core.

use rust_decimal::Decimal;

/// What went wrong when building or pricing a session.
///
/// Reconciliation mismatches are not errors: they are results (see
/// [`crate::Reconciliation`]). An `Error` means nothing could be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An arithmetic operation overflowed the range of `Decimal`.
    #[error("arithmetic overflow while computing {op}")]
    Overflow {
        /// Which operation overflowed.
        op: &'static str,
    },
    /// A count that must be zero or more was negative.
    #[error("{field} must be zero or more, but found {value}")]
    NegativeCount {
        /// The field.
        field: &'static str,
        /// The offending value.
        value: i64,
    },
    /// More comped attendees than attendees.
    #[error("comped attendees ({comped}) exceed attended ({attended})")]
    CompedExceedsAttended {
        /// Comped attendees.
        comped: u32,
        /// Attended.
        attended: u32,
    },
    /// A duration below zero.
    #[error("hours must be zero or more, but found {hours}")]
    NegativeHours {
        /// The offending value.
        hours: Decimal,
    },
    /// An amount below zero where only zero or more makes sense.
    #[error("{field} must be zero or more, but found {value}")]
    NegativeAmount {
        /// The field.
        field: &'static str,
        /// The offending value.
        value: Decimal,
    },
    /// A tier list that is not ordered, overlaps, or is otherwise malformed.
    #[error("tier {index}: {problem}")]
    InvalidTier {
        /// Index of the tier, from 0.
        index: usize,
        /// What is wrong with it.
        problem: TierProblem,
    },
    /// A currency code that is not an active ISO 4217 code.
    #[error("unknown currency code {code:?}")]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
    /// Two currencies where one was expected.
    #[error("venue {venue} is seen with two currencies, {first} and {second}")]
    CurrencyConflict {
        /// The venue id.
        venue: u64,
        /// The currency seen first.
        first: crate::Currency,
        /// The other currency.
        second: crate::Currency,
    },
    /// A money symbol that cannot stand for the venue's currency.
    #[error("venue {venue}: a figure written with {symbol:?} cannot be in the venue's currency {currency}")]
    SymbolMismatch {
        /// The venue id.
        venue: u64,
        /// The symbol seen.
        symbol: String,
        /// The currency the venue has.
        currency: crate::Currency,
    },
    /// Nothing tells the session's currency.
    #[error(
        "the currency of venue {venue} is unknown{}: set [venues.{venue}] currency in the rate policy file",
        symbol.as_ref().map(|s| format!(" (symbol {s:?} is shared by several currencies)")).unwrap_or_default()
    )]
    UnknownVenueCurrency {
        /// The venue id.
        venue: u64,
        /// The money symbol seen, if any.
        symbol: Option<String>,
    },
    /// A venue-local time that does not exist (clocks went forward over it).
    #[error("local time {local} does not exist in {zone} (the clocks skip it)")]
    SkippedLocalTime {
        /// The local time as given.
        local: chrono::NaiveDateTime,
        /// The zone.
        zone: chrono_tz::Tz,
    },
    /// A date outside the range that pay periods can represent.
    #[error("date {date} is out of range for {what}")]
    DateOutOfRange {
        /// The date.
        date: chrono::NaiveDate,
        /// What was being computed.
        what: &'static str,
    },
    /// A row reference that this payroll did not give (it came from another).
    #[error(
        "no payroll row for instructor {instructor}, {currency}, period from {start}: \
         the session was added to another payroll"
    )]
    UnknownPayrollRow {
        /// The instructor of the row.
        instructor: u64,
        /// Its currency.
        currency: crate::Currency,
        /// The first day of its period.
        start: chrono::NaiveDate,
    },
    /// Lines grouped under payroll rows by the places of another list.
    #[error("{lines} session lines were given to group by the rows of {placed}")]
    LinesMisplaced {
        /// The lines given.
        lines: usize,
        /// The lines whose rows are known.
        placed: usize,
    },
}

/// Why a tier list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TierProblem {
    /// `upper_bound` below `lower_bound`.
    #[error("upper bound {upper} is below lower bound {lower}")]
    UpperBelowLower {
        /// Lower bound.
        lower: u32,
        /// Upper bound.
        upper: u32,
    },
    /// This tier starts before the previous one ends.
    #[error("lower bound {lower} overlaps the previous tier, which ends at {previous_upper}")]
    Overlap {
        /// This tier's lower bound.
        lower: u32,
        /// The previous tier's upper bound.
        previous_upper: u32,
    },
    /// An open-ended tier that is not the last.
    #[error("only the last tier may be open-ended")]
    OpenEndedNotLast,
    /// A negative per-customer amount.
    #[error("per-customer amount {amount} is negative")]
    NegativeAmount {
        /// The amount.
        amount: Decimal,
    },
    /// Tiers in different currencies.
    #[error("currency {found} differs from the first tier's {first}")]
    MixedCurrencies {
        /// The first tier's currency.
        first: crate::Currency,
        /// This tier's currency.
        found: crate::Currency,
    },
}

/// The result type of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
