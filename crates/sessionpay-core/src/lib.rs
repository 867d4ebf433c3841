//! # sessionpay-core
//!
//! Everything sessionpay knows about instructor pay, as pure functions over plain
//! data: no files, clock, environment or printing.
//!
//! - [`Currency`] and [`RoundingMode`]: ISO 4217 minor units and explicit rounding.
//! - [`PayRate`], [`RateKind`], [`Tiers`]: TeamUp's three kinds of pay rate.
//! - [`RatePolicy`], [`RateTable`]: the settings TeamUp keeps off the report.
//! - [`Session`]: one instructed session, validated.
//! - [`compute_pay`]: the pay of one session with a [`PayBreakdown`]; [`PayMemo`]
//!   gives a figure met before again without the arithmetic.
//! - [`reconcile`]: TeamUp's figure against the computed one, with a [`Reason`].
//! - [`SessionLine`]: a session priced and reconciled; [`Explanation`]: both
//!   figures in words.
//! - [`PeriodKind`], [`DateRange`], [`local_date`], [`local_start`]: venue-local pay periods.
//! - [`Payroll`]: per instructor × currency × period totals, mergeable; each
//!   session's [`RowRef`], so kept lines group under their rows ([`LineRows`]).
//! - [`ObservationSet`]: the distinct sessions of each rate, mergeable;
//!   [`infer_rate_policy`] finds the policy that explains their figures, and
//!   [`Inferred`] is what `rates infer` writes.
//!
//! ```
//! use std::sync::Arc;
//! use rust_decimal::Decimal;
//! use sessionpay_core::*;
//!
//! let d = |s: &str| s.parse::<Decimal>().unwrap();
//! let rate = PayRate::try_new(RateId(15), "Per customer".into(), RateKind::PerCustomer { base: d("6.75") })?;
//! let session = Session {
//!     id: SessionId(500000), name: "Stretch".into(),
//!     instructor: InstructorId(1010), instructor_name: "Ana Nakamura".into(),
//!     venue: VenueId(101), venue_name: "Camden Studio".into(), zone: chrono_tz::Europe::London,
//!     starts_at: "2026-05-02T01:00:00Z".parse()?, hours: d("1.5"),
//!     counts: Counts::try_new(11, 1, 0, 1)?, session_type: SessionType::Class,
//!     rate: Some(Arc::new(rate)), reported: Some(d("74.25")), pending: false,
//!     currency: Currency::try_from_code("GBP")?,
//! };
//! let mut table = RateTable::default();
//! table.rates.insert(RateId(15), PolicyOverrides { count_comped: Some(true), ..Default::default() });
//! let policy = table.policy_for(RateId(15));
//! let pay = compute_pay(&session, &policy)?;
//! assert_eq!(pay.pay, d("74.25"));
//! let rec = reconcile(&session, &policy, &pay, Decimal::ZERO)?;
//! assert_eq!(rec.status, Status::Match);
//! assert_eq!(local_start(session.starts_at, session.zone), "2026-05-02T02:00:00+01:00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod adjustment;
mod aggregate;
mod calc;
mod error;
mod infer;
mod inferred;
mod line;
mod memo;
mod money;
mod period;
mod policy;
mod rate;
mod reconcile;
mod session;
#[cfg(test)]
mod testing;
mod text;

pub use adjustment::{Adjustment, Change};
pub use aggregate::{LineRows, Payroll, PayrollKey, PayrollRow, PayrollTotals, RowPart, RowRef};
pub use calc::{
    compute_pay, counted_customers, hours_used, pay_for, tiered_amount, CountedCustomers, Formula,
    PayBreakdown,
};
pub use error::{Error, Result, TierProblem};
pub use infer::{
    infer_rate_policy, Finding, InferOptions, Observation, Outlier, RateInference, Setting, SettingReport,
};
pub use inferred::{
    Inferred, InferredRate, ObservationSet, OutlierFinder, OutlierGroup, OutlierSession, RateObservations,
    SeenVenue,
};
pub use line::{describe_formula, format_hours, Explanation, SessionLine};
pub use memo::PayMemo;
pub use money::{Currency, RoundingMode};
pub use period::{local_date, local_start, DateRange, LocalDates, Period, PeriodKind};
pub use policy::{HoursBasis, PolicyOverrides, RatePolicy, RateTable, TierMode};
pub use rate::{PayRate, RateId, RateKind, Tier, Tiers};
pub use reconcile::{
    explain_mismatch, reconcile, reconcile_parts, single_changes, Reason, Reconciliation, Status,
};
pub use session::{
    Counts, CurrencyBook, CurrencyEvidence, InstructorId, Name, Session, SessionDraft, SessionId,
    SessionType, Settled, StartsAt, Unsettled, VenueId,
};
pub use text::{parse_currency, parse_date, parse_weekday};

// Re-exported so callers name the same types the core uses.
pub use chrono;
pub use chrono_tz;
pub use rust_decimal;
