//! What a session's figure is now against what was paid for it: the
//! adjustment a pay ledger carries into the next payroll, as statements,
//! the spreadsheet and provider files show it.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::{Currency, InstructorId};

/// How a session's figure differs from what was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Paid, and in the input with another figure.
    Changed,
    /// In a closed period of the input, never paid.
    Added,
    /// Paid, and absent from the input (or moved to an open period).
    Removed,
}

impl Change {
    /// `changed`, `added` or `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One session to pay (or claw back) the difference of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// The session id.
    pub session: u64,
    /// The instructor.
    pub instructor: InstructorId,
    /// The currency.
    pub currency: Currency,
    /// The first day of the closed period it is in now (or was paid in).
    pub period_start: NaiveDate,
    /// What was paid.
    pub paid: Decimal,
    /// What it comes to now (0 when removed).
    pub computed: Decimal,
    /// `computed − paid`.
    pub adjustment: Decimal,
    /// How it changed.
    pub change: Change,
    /// What changed, e.g. `attended 12→14; rate 7→9`.
    pub what: String,
}
