//! The `sessionpay` command: parse the arguments, run, map the outcome to an exit status.

mod args;
mod commands;
mod export;
mod fetch;
mod infer;
mod pipeline;
mod progress;
mod report;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::Outcome;

/// The exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    // clap exits with status 2 on usage errors and 0 for --help and --version.
    let cli = Cli::parse();
    // On Ctrl-C, outputs still being written are removed before the process
    // ends, so an interrupt leaves the old file or none, never half of one.
    let _ = ctrlc::set_handler(|| {
        sessionpay_io::remove_pending_files();
        let _ = writeln!(
            std::io::stderr().lock(),
            "sessionpay: interrupted; no output was written"
        );
        std::process::exit(INTERRUPTED);
    });
    let result = match &cli.command {
        Command::Payroll(args) => commands::payroll(args),
        Command::Reconcile(args) => commands::reconcile(args),
        Command::Sessions(args) => commands::sessions(args),
        Command::Export(args) => export::run(args),
        Command::Fetch(args) => fetch::run(args).map(|()| Outcome::Clean),
        Command::Rates(args::RatesCommand::Infer(args)) => infer::run(args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Ok(Outcome::Rejected) => ExitCode::from(2),
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
