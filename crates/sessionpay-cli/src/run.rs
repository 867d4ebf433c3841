//! What the commands that read exports share: the engine run with its
//! rejects file and notes, the payroll computation, writing to -o or stdout,
//! and writing a payroll report in its format.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;
use sessionpay_core::DateRange;
use sessionpay_engine::{
    Collector, InRange, Keep, PayrollCollected, PayrollCollector, Planned, Resolved, Run, SortedRows,
    SortedTable, StagedTable, Stats, Tolerance,
};
use sessionpay_io::{ExternalSort, Format, Input, LineDigest, OutputSet, RejectsFile, Shown, Table};
use sessionpay_render::{Kept, Report};

use crate::args::{DateArgs, OutputFormat, PeriodArg, PeriodArgs, SortArgs};
use crate::resolve::{plan, run_options, KeepLines, PayrollQuery, Source};
use crate::ui::{say, Notes, BYTES_READ};

/// A warning for each policy section no session has (a mistyped id is the usual cause), then, without a policy,
/// that TeamUp's hidden settings were taken at their defaults.
pub(crate) fn policy_notes(args: &Source, resolved: &Resolved, stats: &Stats, notes: &mut Notes) {
    if let Some(path) = &args.rates {
        for section in resolved.unmatched(stats) {
            notes.say(format!(
                "warning: {}: line {}: [{}.{}] matches no session read (is the id mistyped?)",
                path.display(),
                section.line,
                section.kind,
                section.id
            ));
        }
    } else {
        notes.say(NO_POLICY.to_string());
    }
}

/// The note of a run without --rates.
const NO_POLICY: &str = "no rate policy given (--rates): TeamUp's hidden settings (counting of comped, \
late-cancelled and no-show customers, tier mode, caps, empty-session pay, rounding) are taken at their \
defaults; run `sessionpay rates infer` on this export to derive them from TeamUp's own figures";

/// What the closing note adds when more than 5% of `sessions` mismatch.
pub(crate) fn mismatch_advice(args: &Source, mismatches: u64, sessions: u64) -> String {
    if mismatches.saturating_mul(20) <= sessions {
        return String::new();
    }
    match &args.rates {
        None => "; more than 5% of sessions mismatch: TeamUp's hidden settings were taken at their defaults \
                 (no --rates); run `sessionpay rates infer` to derive them from TeamUp's own figures"
            .to_string(),
        Some(path) => format!(
            "; more than 5% of sessions mismatch: {} may not hold TeamUp's hidden settings; \
             `sessionpay rates infer` derives them from TeamUp's own figures",
            path.display()
        ),
    }
}

/// Writes through `write` to `output`, staged in `outputs` (it appears when
/// the set is committed), or, without one, to stdout. Stdout cannot be taken
/// back, so the inputs are checked unchanged before it is written, and the
/// caller stages every file output first.
pub(crate) fn emit_to(
    output: Option<&Path>,
    outputs: &mut OutputSet,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let mut file = outputs.create(path)?;
            write(&mut file).with_context(|| format!("writing {}", path.display()))?;
            outputs.add(file)?;
        }
        None => {
            outputs.inputs().check_unchanged()?;
            let stdout = io::stdout();
            let mut out = io::BufWriter::with_capacity(256 * 1024, stdout.lock());
            write(&mut out).context("writing to stdout")?;
            out.flush().context("writing to stdout")?;
        }
    }
    Ok(())
}

/// Reads the inputs of `source` and computes the payroll `query` asks for;
/// gives it with the inputs read and the set the outputs go in.
pub(crate) fn compute_payroll(
    source: &Source,
    query: &PayrollQuery,
    tolerance: Tolerance,
    notes: &mut Notes,
    planned: Planned,
) -> anyhow::Result<(PayrollCollected, Vec<Input>, OutputSet)> {
    let kind = query.periods.kind()?;
    let (from, to) = (query.periods.from, query.to);
    if let (Some(from), Some(to)) = (from, to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    anchor_note(&query.periods, notes);
    let (resolved, mut outputs) = planned.resolve()?;
    let folder = sessionpay_io::spill_folder(source.output.as_deref());
    let share = sessionpay_io::DEFAULT_SORT_MEMORY / run_options(tolerance).threads.max(1);
    let make = || {
        let keep = match query.keep {
            KeepLines::No => Keep::None,
            KeepLines::All => Keep::All,
            KeepLines::Spreadsheet => Keep::Sorted(
                ExternalSort::new(&folder, share),
                Box::new(sessionpay_render::encode_xlsx_line),
            ),
            KeepLines::Statements => Keep::Statements(
                ExternalSort::new(&folder, share),
                Box::new(sessionpay_render::encode_statement_line),
            ),
            KeepLines::Page => Keep::Digest(sessionpay_render::html_digest()),
        };
        PayrollCollector::new(kind, from, to, keep)
    };
    let collected = run_engine(source, &resolved, tolerance, make, notes, &mut outputs)?;
    let payroll = collected.finish()?;
    empty_range_note(DateRange::new(from, to), payroll.sessions, notes);
    Ok((payroll, resolved.inputs, outputs))
}

/// Every session's row of `table`, priced and reconciled, sorted by
/// session id within the --sort-memory budget, the set the outputs go in,
/// and the staged -o file. The rows go into that file as they come while
/// their ids ascend (an export in id order needs no sort); stdout cannot be
/// taken back, so its rows are sorted first (into run files past the budget).
pub(crate) fn collect(
    args: &Source,
    (sort, dates): (SortArgs, DateArgs),
    tolerance: Tolerance,
    (table, format): (Table, Format),
    notes: &mut Notes,
) -> anyhow::Result<(SortedRows, OutputSet, Option<StagedTable>)> {
    if let (Some(from), Some(to)) = (dates.from, dates.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let range = DateRange::new(dates.from, dates.to);
    let planned = plan(args, &[], &[], notes)?;
    let (resolved, mut outputs) = planned.resolve()?;
    let folder = sessionpay_io::spill_folder(args.output.as_deref());
    let threads = run_options(tolerance).threads;
    let mut rows = SortedTable::new(table, format, &folder, sort.sort_memory, threads);
    let mut staged = None;
    if let Some(path) = &args.output {
        let (streaming, file) = rows.stage(path, &mut outputs)?;
        (rows, staged) = (streaming, Some(file));
    }
    let make = || InRange::new(rows.collector(), range);
    let InRange {
        inner: rows, kept, ..
    } = run_engine(args, &resolved, tolerance, make, notes, &mut outputs)?;
    empty_range_note(range, kept, notes);
    Ok((rows, outputs, staged))
}

/// A note when --from/--to keep no session (the outputs are still written, empty).
fn empty_range_note(range: DateRange, sessions: u64, notes: &mut Notes) {
    if sessions > 0 || range == DateRange::OPEN {
        return;
    }
    let from = range
        .from()
        .map_or_else(|| "the start".to_string(), |d| d.to_string());
    let to = range
        .to()
        .map_or_else(|| "the end".to_string(), |d| d.to_string());
    notes.say(format!(
        "no session falls in the range {from} to {to} (venue-local dates): the output has no rows"
    ));
}

/// A warning when --anchor is given with a period that does not use it.
fn anchor_note(periods: &PeriodArgs, notes: &mut Notes) {
    if let (Some(anchor), false) = (periods.anchor, periods.period == PeriodArg::Fortnight) {
        notes.say(format!(
            "warning: --anchor {anchor} is ignored: only --period fortnight uses it (the period is {})",
            periods.period.name()
        ));
    }
}

/// Writes the sorted rows to the staged -o file `staged` (adding it to
/// `outputs`) or to stdout; gives their tally.
pub(crate) fn emit_rows(
    args: &Source,
    outputs: &mut OutputSet,
    (mut rows, staged): (SortedRows, Option<StagedTable>),
    notes: &mut Notes,
) -> anyhow::Result<LineDigest> {
    let tally = std::mem::replace(&mut rows.tally, LineDigest::new(0));
    let written = match staged {
        Some(staged) => rows.finish_staged(staged, outputs)?,
        None => {
            let mut written = None;
            emit_to(None, outputs, |out| {
                written = Some(rows.write_table(out)?);
                Ok(())
            })?;
            written.context("the rows were not written")?
        }
    };
    if notes.verbose() {
        let folder = sessionpay_io::spill_folder(args.output.as_deref());
        if written.streamed {
            notes.say(format!(
                "wrote {} rows as they came: their session ids ascend, so nothing was sorted",
                written.rows
            ));
        } else if written.runs > 0 {
            notes.say(format!(
                "sorted {} rows through {} temporary run(s) in {}",
                written.rows,
                written.runs,
                Shown(&folder)
            ));
        }
    }
    Ok(tally)
}

/// Runs the engine over the inputs, writing rows that cannot be read to the
/// --skip-invalid file (staged in `outputs`) when one is asked for.
pub(crate) fn run_engine<C: Collector>(
    args: &Source,
    resolved: &Resolved,
    tolerance: impl Into<Tolerance>,
    make: impl Fn() -> C + Sync,
    notes: &mut Notes,
    outputs: &mut OutputSet,
) -> anyhow::Result<C> {
    let _progress = crate::ui::Progress::start(&resolved.inputs);
    // The ids the sessions had are kept only to warn of policy sections no session has.
    let options = run_options(tolerance)
        .seen_ids(args.rates.is_some())
        .spill_folder(sessionpay_io::spill_folder(args.output.as_deref()));
    let run = Run::new(&resolved.inputs, &resolved.table, options).progress(&BYTES_READ);
    let Some(path) = &args.skip_invalid else {
        let (collected, stats) = run.collect(make)?;
        notes.stats(&stats);
        policy_notes(args, resolved, &stats, notes);
        return Ok(collected);
    };
    let mut rejects = RejectsFile::create(path, outputs)?;
    let (collected, stats) = run
        .rejects(&mut |rejected| Ok(rejects.write(&rejected)?))
        .collect(make)?;
    let count = rejects.finish(outputs)?;
    notes.stats(&stats);
    policy_notes(args, resolved, &stats, notes);
    notes.rejected = count;
    if count > 0 {
        let verdict = if args.allow_rejects {
            "left out (--allow-rejects)"
        } else {
            "left out: exit status 2 and no other output, as the figures are incomplete"
        };
        // Said even under --quiet: the figures are incomplete.
        say(&format!(
            "{count} row(s) could not be read and were {verdict}; see {}",
            Shown(path)
        ));
    }
    Ok(collected)
}

/// Writes a payroll's statements into the folder `statements` (first:
/// stdout, written last, cannot be taken back), then its `format` to
/// `output` or stdout, `table` writing CSV or JSON; commits the outputs and
/// says how many statements it wrote.
pub(crate) fn write_report(
    report: &Report<'_>,
    (format, output, statements): (OutputFormat, Option<&Path>, Option<&Path>),
    kept: Kept,
    (mut outputs, notes): (OutputSet, &mut Notes),
    table: impl FnOnce(&mut dyn Write, Format) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let written = statements
        .map(|dir| sessionpay_render::write_statements(report, kept.statements, dir, &mut outputs))
        .transpose()?;
    match format {
        OutputFormat::Csv | OutputFormat::Json => {
            emit_to(output, &mut outputs, |out| table(out, format.table()))?;
        }
        OutputFormat::Xlsx => {
            let path = output.context("--format xlsx needs -o FILE")?;
            sessionpay_render::write_xlsx(report, kept.sorted, path, &mut outputs)?;
        }
        OutputFormat::Html => emit_to(output, &mut outputs, |out| {
            Ok(sessionpay_render::write_html(report, kept.digest.as_ref(), out)?)
        })?,
    }
    outputs.commit()?;
    if let (Some(dir), Some(count)) = (statements, written) {
        notes.say(format!(
            "wrote {count} statement{} to {}",
            if count == 1 { "" } else { "s" },
            sessionpay_io::Shown(dir)
        ));
    }
    Ok(())
}
