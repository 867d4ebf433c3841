//! # sessionpay-render
//!
//! The payroll as people read it, from the rows and session lines a run
//! computed: nothing here reads flags, the environment or an export.
//!
//! - [`Report`]: everything a payroll output may show; [`write_html`] (the
//!   report page), [`write_statements`] (one page per instructor and
//!   period), [`write_xlsx`] (the workbook).
//! - [`export()`]: the files a payroll system imports ([`Provider`]: Gusto,
//!   Xero, BrightPay, or a TOML [`Template`]), matched to people through
//!   [`People`] (`people.csv`).
//!
//! Every amount is the exact decimal of the CSV summary; no file carries a
//! timestamp, so the same payroll gives the same bytes.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
mod export;
mod report;

pub use error::{Error, Result};
pub use export::people::{People, Person};
pub use export::providers::{GUSTO_CORRECTION, GUSTO_EARNINGS};
pub use export::template::{Template, FIELDS};
pub use export::{export, needs_lines, Export, ExportFile, ExportOptions, Provider};
pub use report::markup::group;
pub use report::{
    describe_period, encode_statement_line, encode_xlsx_line, explain, html_digest, partial_banner,
    write_html, write_statements, write_xlsx, Kept, Report,
};
