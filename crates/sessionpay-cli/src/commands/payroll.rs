//! `sessionpay payroll`: the summary per instructor and period, as CSV, JSON,
//! a spreadsheet or a report page, and the statements.

use std::path::Path;

use anyhow::Context;

use crate::args::{OutputFormat, PayrollArgs};
use crate::resolve::{plan, table_format, PayrollQuery, Source};
use crate::run::{compute_payroll, emit, emit_with, mismatch_advice};
use crate::ui::Outcome;

pub(crate) fn payroll(args: &PayrollArgs) -> anyhow::Result<Outcome> {
    if let Some(ledger) = &args.ledger {
        return super::ledger::payroll(args, ledger);
    }
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let format = args.input.format;
    if format == OutputFormat::Xlsx && args.input.output.path.is_none() {
        anyhow::bail!("--format xlsx needs -o FILE: a spreadsheet is not written to a terminal");
    }
    let with_lines = matches!(format, OutputFormat::Xlsx | OutputFormat::Html) || args.statements.is_some();
    let folders: Vec<&Path> = args.statements.as_deref().into_iter().collect();
    let planned = plan(&source, &[], &folders, &mut notes)?;
    let (run, mut outputs) = compute_payroll(
        &source,
        &PayrollQuery {
            periods: args.periods,
            to: args.to,
            with_lines,
        },
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
        inputs: &run.inputs,
        policy: args.input.rates.path.as_deref(),
        period: run.kind,
        from: args.periods.from,
        to: args.to,
        rejected: notes.rejected,
        adjustments: &[],
    };
    // The statements first: stdout, written last, cannot be taken back.
    if let Some(dir) = &args.statements {
        sessionpay_render::write_statements(&report, dir, &mut outputs)?;
    }
    match format {
        OutputFormat::Csv | OutputFormat::Json => emit(&source, &mut outputs, |out| {
            sessionpay_io::write_payroll(out, &run.rows, table_format(format))
        })?,
        OutputFormat::Xlsx => {
            let path = args
                .input
                .output
                .path
                .as_deref()
                .context("--format xlsx needs -o FILE")?;
            sessionpay_render::write_xlsx(&report, path, &mut outputs)?;
        }
        OutputFormat::Html => emit_with(&source, &mut outputs, |out| {
            Ok(sessionpay_render::write_html(&report, out)?)
        })?,
    }
    outputs.commit()?;
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
