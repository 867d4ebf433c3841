//! The `sessionpay` command: parse the arguments, run, map the outcome to an exit status.

mod args;
mod commands;
mod resolve;
mod run;
mod ui;

use std::process::ExitCode;

use crate::args::{Cli, Command};
use crate::ui::Outcome;

fn main() -> ExitCode {
    // clap exits with status 2 on usage errors and 0 for --help and --version.
    let cli = Cli::parse_args();
    ui::set_global(cli.global);
    stop_on_signals();
    let result = match &cli.command {
        Command::Payroll(args) => commands::payroll(args),
        Command::Reconcile(args) => commands::reconcile(args),
        Command::Sessions(args) => commands::sessions(args),
        Command::Export(args) => commands::export(args),
        Command::Fetch(args) => commands::fetch(args).map(|()| Outcome::Clean),
        Command::Rates(args::RatesCommand::Infer(args)) => commands::infer(args),
        Command::Close(args) => commands::close(args),
        Command::Adjustments(args) => commands::adjustments(args),
        Command::Ledger(command) => commands::ledger(command),
        Command::Completions { shell } => commands::completions(*shell).map(|()| Outcome::Clean),
        Command::Man => commands::man().map(|()| Outcome::Clean),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Mismatch) => ExitCode::from(1),
        Ok(Outcome::Rejected) => ExitCode::from(2),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            ui::error(&err);
            ExitCode::from(2)
        }
    }
}

/// On SIGINT (Ctrl-C), SIGTERM or SIGHUP, outputs still being written are
/// removed before the process ends, with 128 + the signal's number as its
/// status (130, 143, 129), so a stopped run leaves the old files or none,
/// never half of one. An output set being renamed into place is let finish.
fn stop_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            sessionpay_io::remove_pending_files_for_exit();
            let what = match signal {
                SIGINT => "interrupted",
                SIGTERM => "terminated (SIGTERM)",
                _ => "hung up (SIGHUP)",
            };
            ui::say(&format!("{what}; no output of this run was left half written"));
            std::process::exit(128 + signal);
        }
    });
}

/// A closed stdout (`sessionpay ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::error::Error;
    /// Whether `cause` is an `E` that `is` calls a broken pipe.
    fn broken<E: Error + 'static>(cause: &(dyn Error + 'static), is: fn(&E) -> bool) -> bool {
        cause.downcast_ref::<E>().is_some_and(is)
    }
    let closed = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        broken(cause, closed)
            || broken(cause, sessionpay_io::Error::is_broken_pipe)
            || broken(cause, sessionpay_engine::Error::is_broken_pipe)
            || broken(cause, sessionpay_render::Error::is_broken_pipe)
            || broken(cause, sessionpay_ledger::Error::is_broken_pipe)
    })
}
