//! `sessionpay rates infer` (being written).

use crate::commands::Outcome;

/// Options of `sessionpay rates infer`.
#[derive(Debug, clap::Args)]
pub(crate) struct InferArgs {}

/// Runs `sessionpay rates infer`.
pub(crate) fn run(_args: &InferArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("rates infer is not implemented yet")
}
