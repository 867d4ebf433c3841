//! # sessionpay-ledger
//!
//! The pay ledger: what was paid, kept in one SQLite file, so that a pay
//! period stays paid and a session edited after payday becomes an
//! adjustment in the next payroll instead of a silent change of history.
//!
//! - [`Ledger`]: the file, opened and checked ([`Ledger::open`],
//!   [`Ledger::open_or_create`]); a foreign file or one from a newer schema
//!   is refused untouched. The schema is in [`schema`] and `docs/LEDGER.md`.
//! - [`Ledger::close`]: one pay run recorded in one transaction, with its
//!   inputs' and policy's SHA-256 ([`Digest`]), the periods closed and one
//!   row per session paid ([`Figure`]).
//! - [`Ledger::void`], [`Ledger::runs`], [`Ledger::show`]: a run undone by a
//!   new record (nothing is updated or deleted), and what was closed.
//! - [`Figures`]: the collector a run of the engine fills with each session's
//!   figure (and, for `payroll`, the totals of the open periods).
//! - [`adjustments`], [`carry`]: every session whose figure differs from what
//!   was paid, and their sum carried into each instructor's first open period.
//! - [`Closing`], [`Adjusting`], [`LedgerPayroll`]: the `close`,
//!   `adjustments` and `payroll --ledger` commands as library calls around a
//!   run of the engine.
//! - [`write_adjustments`], [`write_carried`]: those as CSV or JSON.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod adjust;
mod cycle;
mod error;
mod figure;
pub mod schema;
mod store;
mod write;

pub use adjust::{adjustments, carry, carry_sums, first_open, join_adjustments, Carried, Sums};
pub use cycle::{Adjusting, CarriedPayroll, CloseRequest, Closing, LedgerPayroll, SORT_MEMORY};
pub use error::{Error, Result};
pub use figure::{kind_name, Figure, Figures, FiguresCollected, Seen, SortedFigures};
/// An adjustment as the core defines it, for callers of this crate.
pub use sessionpay_core::{Adjustment, Change};
pub use store::{ClosePlan, Closed, ClosedPeriod, Digest, Ledger, PaidSession, RunDetail, RunSummary};
pub use write::{
    write_adjustments, write_carried, write_closed, write_runs, write_show, AdjustmentWriter, RUN_COLUMNS,
};
