//! `sessionpay fetch`: being written.

/// Options of `sessionpay fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {}

/// Runs `sessionpay fetch`.
pub(crate) fn run(_args: &FetchArgs) -> anyhow::Result<()> {
    anyhow::bail!("fetch is not implemented yet")
}
