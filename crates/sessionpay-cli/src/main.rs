//! The `sessionpay` command: parse the arguments, run, map the outcome to an exit status.

mod args;
mod commands;
mod fetch;
mod infer;
mod pipeline;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::Outcome;

fn main() -> ExitCode {
    // clap exits with status 2 on usage errors and 0 for --help and --version.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Payroll(args) => commands::payroll(args),
        Command::Reconcile(args) => commands::reconcile(args),
        Command::Sessions(args) => commands::sessions(args),
        Command::Fetch(args) => fetch::run(args).map(|()| Outcome::Clean),
        Command::Rates(args::RatesCommand::Infer(args)) => infer::run(args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr().lock(), "sessionpay: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`sessionpay ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<sessionpay_io::Error>()
                .is_some_and(sessionpay_io::Error::is_broken_pipe)
    })
}
