//! `sessionpay payroll`: the summary per instructor and period, as CSV, JSON,
//! a spreadsheet or a report page, and the statements.

use std::path::Path;

use crate::args::{OutputFormat, PayrollArgs};
use crate::resolve::{plan, KeepLines, PayrollQuery, Source};
use crate::run::{compute_payroll, mismatch_advice, write_report};
use crate::ui::Outcome;

pub(crate) fn payroll(args: &PayrollArgs) -> anyhow::Result<Outcome> {
    let tolerance = args.tolerance.get()?;
    anyhow::ensure!(
        args.ledger.is_none() || args.tolerance.is_empty(),
        "--tolerance cannot be used with --ledger: the ledger's figures are compared exactly"
    );
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let format = args.input.format;
    if format == OutputFormat::Xlsx && source.output.is_none() {
        anyhow::bail!("--format xlsx needs -o FILE: a spreadsheet is not written to a terminal");
    }
    let folders: Vec<&Path> = args.statements.as_deref().into_iter().collect();
    let ledger: Vec<&Path> = args.ledger.as_deref().into_iter().collect();
    let planned = plan(&source, &ledger, &folders, &mut notes)?;
    if let Some(path) = &args.ledger {
        return super::ledger::payroll(args, path, (&source, planned), &mut notes);
    }
    // A spreadsheet streams its rows and a page keeps what it shows;
    // statements stream theirs, unless a spreadsheet or a page is also
    // asked for (then every line is kept).
    let keep = match format {
        OutputFormat::Csv | OutputFormat::Json if args.statements.is_some() => KeepLines::Statements,
        _ if args.statements.is_some() => KeepLines::All,
        OutputFormat::Xlsx => KeepLines::Spreadsheet,
        OutputFormat::Html => KeepLines::Page,
        OutputFormat::Csv | OutputFormat::Json => KeepLines::No,
    };
    let (mut run, inputs, outputs) = compute_payroll(
        &source,
        &PayrollQuery {
            periods: args.periods,
            to: args.to,
            keep,
        },
        tolerance,
        &mut notes,
        planned,
    )?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    let report = sessionpay_render::Report {
        rows: &run.rows,
        lines: &run.lines,
        line_rows: &run.line_rows,
        inputs: &inputs,
        policy: args.input.rates.path.as_deref(),
        period: args.periods.kind()?,
        from: args.periods.from,
        to: args.to,
        rejected: notes.rejected,
        adjustments: &[],
        ledger: false,
    };
    let kept = sessionpay_render::Kept {
        sorted: run.sorted.take(),
        statements: run.statements.take(),
        digest: run.digest.take(),
    };
    let output = source.output.as_deref();
    write_report(
        &report,
        (format, output, args.statements.as_deref()),
        kept,
        (outputs, &mut notes),
        |out, table| Ok(sessionpay_io::write_payroll(out, &run.rows, table)?),
    )?;
    let mismatches = run.mismatches;
    if mismatches > 0 {
        notes.say(format!(
            "{mismatches} session(s) do not match TeamUp's figure: run `sessionpay reconcile` for the reasons{}",
            mismatch_advice(&source, mismatches, run.sessions)
        ));
        if args.fail_on_mismatch {
            return Ok(notes.finish(Outcome::Mismatch));
        }
    }
    Ok(notes.finish(Outcome::Clean))
}
