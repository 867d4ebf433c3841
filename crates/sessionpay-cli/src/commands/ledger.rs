//! The pay ledger's commands (`close`, `adjustments`, `ledger runs|show|void`,
//! `payroll --ledger`, `export --ledger`): flags mapped onto
//! [`sessionpay_ledger`]'s calls, around a run of the engine, and printed.

use std::path::Path;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sessionpay_core::PeriodKind;
use sessionpay_engine::{Collector, Planned, Resolved};
use sessionpay_io::OutputSet;
use sessionpay_ledger::{Adjusting, CarriedPayroll, CloseRequest, Closing, Digest, Ledger, LedgerPayroll};

use crate::args::{AdjustmentsArgs, CloseArgs, LedgerCommand, OutputFormat, PayrollArgs};
use crate::resolve::{plan, PayrollQuery, Source};
use crate::run::{emit_to, run_engine};
use crate::ui::{say, Notes, Outcome};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn now() -> String {
    DateTime::<Utc>::from(std::time::SystemTime::now()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Where the figures' sort spills, and how many workers share its memory.
fn spill() -> (std::path::PathBuf, usize) {
    (
        std::env::temp_dir(),
        crate::resolve::run_options(Decimal::ZERO).threads,
    )
}

/// Reads every session of `source` into `make`'s collector.
fn read<C: Collector>(
    source: &Source,
    planned: Planned,
    make: impl Fn() -> C + Sync,
    notes: &mut Notes,
) -> anyhow::Result<(C, Resolved, OutputSet)> {
    anyhow::ensure!(
        source.skip_invalid.is_none(),
        "--skip-invalid cannot be used with a ledger: every session must be read"
    );
    let (resolved, mut outputs) = planned.resolve()?;
    let collected = run_engine(source, &resolved, Decimal::ZERO, make, notes, &mut outputs)?;
    Ok((collected, resolved, outputs))
}

pub(crate) fn close(args: &CloseArgs) -> anyhow::Result<Outcome> {
    let kind = args.periods.kind()?;
    anyhow::ensure!(
        kind != PeriodKind::All,
        "--period all has no end to close; choose month, semimonth, week or fortnight"
    );
    anyhow::ensure!(
        !args.inputs.iter().any(|p| p.as_os_str() == "-"),
        "close records each input's SHA-256, so it reads files, not standard input (-)"
    );
    let input = Source {
        inputs: args.inputs.clone(),
        rates: args.rates.path.clone(),
        columns_from: args.columns_from.path.clone(),
        ..Source::default()
    };
    let mut notes = input.notes();
    let closing = Closing::open(&args.ledger, kind)?;
    let planned = plan(&input, &[], &[], &mut notes)?;
    let (collected, resolved, mut outputs) = read(
        &input,
        planned,
        closing.collectors(&spill().0, spill().1),
        &mut notes,
    )?;
    let digests = resolved
        .inputs
        .iter()
        .map(|i| Digest::of(&i.path))
        .collect::<Result<_, _>>()?;
    let policy = args.rates.path.as_deref().map(Digest::of).transpose()?;
    outputs.inputs().check_unchanged()?;
    let request = CloseRequest {
        through: args.through,
        table: &resolved.table,
        rates: args.rates.path.as_deref(),
        columns_from: args.columns_from.path.as_deref(),
        inputs: &args.inputs,
        digests,
        policy,
        closed_at: now(),
        tool_version: VERSION,
    };
    let done = closing.close(request, collected)?;
    let (closed, skipped) = (done.closed.len(), done.skipped.len());
    notes.say(match done.run {
        Some(run) => format!("run {run}: closed {closed} period(s), skipped {skipped} closed already"),
        None => format!(
            "nothing to close through {}: {skipped} period(s) closed already",
            args.through
        ),
    });
    if done.paid_before > 0 {
        notes.say(format!(
            "{} session(s) of the closed periods were paid by an earlier run (their date moved); \
             `sessionpay adjustments` lists any difference",
            done.paid_before
        ));
    }
    emit_to(None, &mut outputs, |w| {
        Ok(sessionpay_ledger::write_closed(w, &done)?)
    })?;
    Ok(Outcome::Clean)
}

pub(crate) fn adjustments(args: &AdjustmentsArgs) -> anyhow::Result<Outcome> {
    let format = args.input.format.table();
    if let (Some(from), Some(to)) = (args.from, args.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let adjusting = Adjusting::open(&args.ledger, args.from, args.to)?;
    let planned = plan(&source, &[&args.ledger], &[], &mut notes)?;
    let (folder, threads) = spill();
    let make = adjusting.collectors(&folder, threads);
    let (collected, _, mut outputs) = read(&source, planned, make, &mut notes)?;
    let mut rows = 0;
    emit_to(source.output.as_deref(), &mut outputs, |out| {
        rows = adjusting.write(collected, out, format)?;
        Ok(())
    })?;
    outputs.commit()?;
    notes.say(format!("{rows} session(s) differ from what was paid"));
    Ok(Outcome::Clean)
}

/// The payroll `query` asks of `source` without the periods the ledger at
/// `path` closed, each instructor's adjustments carried into their first
/// open period; `lines` keeps the open periods' session lines.
pub(crate) fn carried_payroll(
    source: &Source,
    query: &PayrollQuery,
    path: &Path,
    planned: Planned,
    lines: bool,
    notes: &mut Notes,
) -> anyhow::Result<(CarriedPayroll, Resolved, OutputSet)> {
    let kind = query.periods.kind()?;
    let (from, to) = (query.periods.from, query.to);
    if let (Some(from), Some(to)) = (from, to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    anyhow::ensure!(
        kind != PeriodKind::All,
        "--ledger needs the period the ledger closes, not --period all"
    );
    let payroll = LedgerPayroll::open(path, kind, from, to)?;
    let (folder, threads) = spill();
    let make = payroll.collectors(lines, &folder, threads);
    let (collected, resolved, outputs) = read(source, planned, make, notes)?;
    let run = payroll.finish(collected, lines)?;
    if run.carried > 0 {
        notes.say(format!(
            "{} adjustment(s) of closed periods carried in; `sessionpay adjustments` lists them",
            run.carried
        ));
    }
    Ok((run, resolved, outputs))
}

/// `payroll --ledger FILE`: the open periods only, each instructor's
/// adjustments carried into their first open period.
pub(crate) fn payroll(
    args: &PayrollArgs,
    path: &Path,
    (source, planned): (&Source, Planned),
    notes: &mut Notes,
) -> anyhow::Result<Outcome> {
    let format = args.input.format;
    let query = PayrollQuery {
        periods: args.periods,
        to: args.to,
        keep: crate::resolve::KeepLines::No,
    };
    // A spreadsheet, the report page or statements list the open periods' sessions.
    let lines = matches!(format, OutputFormat::Xlsx | OutputFormat::Html) || args.statements.is_some();
    let (run, resolved, outputs) = carried_payroll(source, &query, path, planned, lines, notes)?;
    let rows: Vec<sessionpay_core::PayrollRow> = run.rows.iter().map(|c| c.row.clone()).collect();
    let report = sessionpay_render::Report {
        rows: &rows,
        lines: &run.lines,
        line_rows: &run.line_rows,
        inputs: &resolved.inputs,
        policy: args.input.rates.path.as_deref(),
        period: args.periods.kind()?,
        from: args.periods.from,
        to: args.to,
        rejected: 0,
        adjustments: &run.adjustments,
        ledger: true,
    };
    let output = source.output.as_deref();
    let (statements, kept) = (args.statements.as_deref(), sessionpay_render::Kept::default());
    crate::run::write_report(
        &report,
        (format, output, statements),
        kept,
        (outputs, notes),
        |out, table| Ok(sessionpay_ledger::write_carried(out, &run.rows, table)?),
    )?;
    if run.mismatches > 0 {
        notes.say(format!(
            "{} session(s) of the open periods do not match TeamUp's figure: run `sessionpay reconcile` for the reasons",
            run.mismatches
        ));
        if args.fail_on_mismatch {
            return Ok(Outcome::Mismatch);
        }
    }
    Ok(Outcome::Clean)
}

pub(crate) fn ledger(command: &LedgerCommand) -> anyhow::Result<Outcome> {
    let stdout = std::io::stdout();
    match command {
        LedgerCommand::Runs { ledger, format } => {
            let format = format.table();
            let runs = Ledger::open(ledger)?.runs()?;
            sessionpay_ledger::write_runs(stdout.lock(), &runs, format)?;
        }
        LedgerCommand::Show { ledger, run } => {
            let detail = Ledger::open(ledger)?.show(*run)?;
            sessionpay_ledger::write_show(stdout.lock(), &detail)?;
        }
        LedgerCommand::Void { ledger, run, why } => {
            anyhow::ensure!(
                !why.trim().is_empty(),
                "--why needs a reason, recorded with the void"
            );
            Ledger::open(ledger)?.void(*run, why, &now(), VERSION)?;
            say(&format!("run {run} voided: its periods are open again"));
        }
    }
    Ok(Outcome::Clean)
}
