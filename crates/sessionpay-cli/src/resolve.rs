//! From flags to a run: the inputs expanded and labelled, the policy read,
//! the output set checked against the inputs, and the engine's options.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use sessionpay_engine::{Plan, Planned, RunOptions};
use sessionpay_io::Shown;

use crate::args::{InputArgs, PeriodArgs};
use crate::ui::Notes;

/// What a run reads and where it writes, in plain values: each command
/// fills it from its own flags, and the run takes only this.
#[derive(Debug, Default)]
pub(crate) struct Source {
    /// The inputs as named on the command line (folders not yet expanded).
    pub(crate) inputs: Vec<PathBuf>,
    /// The policy file (`--rates`).
    pub(crate) rates: Option<PathBuf>,
    /// A saved JSON response whose column_headers label the CSV's header cells.
    pub(crate) columns_from: Option<PathBuf>,
    /// The output file, or none for stdout.
    pub(crate) output: Option<PathBuf>,
    /// Where rows that cannot be read go, instead of stopping at the first.
    pub(crate) skip_invalid: Option<PathBuf>,
    /// Rejected rows do not block the outputs.
    pub(crate) allow_rejects: bool,
}

impl Source {
    /// The source of a command with the shared input flags.
    pub(crate) fn of(args: &InputArgs) -> Source {
        Source {
            inputs: args.paths.inputs.clone(),
            rates: args.rates.path.clone(),
            columns_from: args.columns_from.path.clone(),
            output: crate::args::stdout_dash(args.output.path.clone()),
            skip_invalid: args.skip_invalid.clone(),
            allow_rejects: args.allow_rejects,
        }
    }

    /// The notes of a run from this source.
    pub(crate) fn notes(&self) -> Notes {
        Notes::new(self.allow_rejects)
    }
}

/// The payroll a run computes: `payroll` and `export` fill it from their flags.
pub(crate) struct PayrollQuery {
    /// The pay periods and the first date.
    pub(crate) periods: PeriodArgs,
    /// The last venue-local date to include.
    pub(crate) to: Option<NaiveDate>,
    /// What to keep of each session besides the totals.
    pub(crate) keep: KeepLines,
}

/// What a payroll run keeps of each session besides the totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepLines {
    /// Nothing.
    No,
    /// Every line (statements, provider files that list sessions).
    All,
    /// Every line as its spreadsheet rows, sorted in a fixed memory budget.
    Spreadsheet,
    /// What the report page shows of the lines: counts, the biggest mismatches.
    Page,
    /// Every line as its statement row, sorted as statements list them in
    /// a fixed memory budget.
    Statements,
}

/// Checks, before anything is read, the run `args` plans (see
/// [`Plan::check`]), with its other input files `also_read` (people.csv, a
/// template) and the folders it replaces; says which files were passed over.
pub(crate) fn plan(
    args: &Source,
    also_read: &[&Path],
    folders: &[&Path],
    notes: &mut Notes,
) -> anyhow::Result<Planned> {
    let files: Vec<&Path> = [args.output.as_deref(), args.skip_invalid.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let plan = Plan {
        inputs: &args.inputs,
        rates: args.rates.as_deref(),
        columns_from: args.columns_from.as_deref(),
        also_read,
        files: &files,
        folders,
    };
    let planned = plan.check()?;
    skipped_notes(&planned, notes);
    Ok(planned)
}

/// A note for each file of an input folder that is not an export.
pub(crate) fn skipped_notes(planned: &Planned, notes: &mut Notes) {
    for path in &planned.skipped {
        notes.say(format!(
            "skipped {} (not a .csv, .json, .ndjson or .jsonl file)",
            Shown(path)
        ));
    }
}

/// The engine's options for a run with `tolerance`: one worker per core,
/// unless `SESSIONPAY_THREADS` says otherwise (1 forces the single
/// sequential pass); a single CSV file is split across them from 4 MiB, or
/// from `SESSIONPAY_PARALLEL_MIN_BYTES` (so tests can take the parallel path
/// on small files).
pub(crate) fn run_options(tolerance: impl Into<sessionpay_engine::Tolerance>) -> RunOptions {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse().ok());
    let mut options = RunOptions::default()
        .tolerance(tolerance)
        .spill_folder(sessionpay_io::spill_folder(None));
    if let Some(threads) = var("SESSIONPAY_THREADS").filter(|&n: &u64| n >= 1) {
        options = options.threads(usize::try_from(threads).unwrap_or(usize::MAX));
    }
    if let Some(min_bytes) = var("SESSIONPAY_PARALLEL_MIN_BYTES") {
        options = options.parallel_min_bytes(min_bytes);
    }
    options
}

#[cfg(test)]
mod tests;
