//! One module per command: each maps its flags through [`crate::resolve`],
//! runs, and reports through [`crate::ui`].

mod docs;
mod export;
mod fetch;
mod infer;
mod ledger;
mod payroll;
mod reconcile;
mod sessions;

pub(crate) use docs::{completions, man};
pub(crate) use export::run as export;
pub(crate) use fetch::run as fetch;
pub(crate) use infer::run as infer;
pub(crate) use ledger::{adjustments, close, ledger};
pub(crate) use payroll::payroll;
pub(crate) use reconcile::reconcile;
pub(crate) use sessions::sessions;
