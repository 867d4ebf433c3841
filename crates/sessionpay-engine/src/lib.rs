//! # sessionpay-engine
//!
//! One run of sessionpay, between the readers of [`sessionpay_io`] and the
//! rules of [`sessionpay_core`]: every input read once, each row's currency
//! settled by a [`sessionpay_core::CurrencyBook`], a session repeated exactly
//! counted once, each session priced and reconciled under its rate's policy
//! and handed to a [`Collector`].
//!
//! - [`Run`]: the inputs, the policy and the [`RunOptions`] (tolerance,
//!   threads), a progress counter and a sink for rows that cannot be read.
//! - [`Collector`]: where sessions go; its [`Item`] says whether it wants them
//!   priced ([`sessionpay_io::SessionLine`]) or as read
//!   ([`sessionpay_core::Session`]).
//! - [`PayrollCollector`], [`Lines`]: totals per instructor and period, and
//!   every priced session; [`SortedTable`] and its [`SortedRows`]: every
//!   session's output row, sorted by id in a fixed memory budget, streamed
//!   straight to the output while the ids come in ascending order.
//! - [`Observations`]: the collector of `rates infer`, distinct sessions per
//!   rate content, and the search over them; [`OutlierIds`]: a second
//!   reading for the outlier ids a full report lists.
//!
//! A single large CSV file is read in parallel parts; anything only one pass
//! in order can decide makes the run start again sequentially, and both give
//! the same result. Nothing here reads the environment: the caller passes
//! every setting.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod collect;
mod collectors;
mod error;
mod infer;
mod options;
mod parallel;
mod rows;
mod run;
mod seen;
mod sequential;
mod setup;
mod workers;

pub use collect::{Collector, Item, Pricer, Pricing};
pub use collectors::{InRange, Keep, LineEncoder, Lines, PayrollCollected, PayrollCollector};
pub use error::{Error, Result};
pub use infer::{Observations, OutlierIds};
pub use options::{default_threads, RunOptions, Tolerance, TolerancePart, PARALLEL_MIN_BYTES};
pub use parallel::NeedsSequential;
pub use rows::{RowsWritten, SortedRows, SortedTable, StagedTable};
pub use run::{RejectSink, Run, SeenIds, Stats};
pub use setup::{Plan, Planned, Resolved};
