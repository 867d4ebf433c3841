//! From flags to a run: the inputs expanded and labelled, the policy read,
//! the output set checked against the inputs, and the engine's options.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use sessionpay_core::RateTable;
use sessionpay_engine::RunOptions;
use sessionpay_io::{Format, Input, InputFiles, OutputSet, Shown};

use crate::args::{InputArgs, OutputFormat, PeriodArgs};
use crate::ui::Notes;

/// What a run reads and where it writes, in plain values: each command
/// fills it from its own flags, and the run takes only this.
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
    /// No notes on stderr.
    pub(crate) quiet: bool,
    /// Also say how the input was read.
    pub(crate) verbose: bool,
}

impl Source {
    /// The source of a command with the shared input flags.
    pub(crate) fn of(args: &InputArgs) -> Source {
        Source {
            inputs: args.paths.inputs.clone(),
            rates: args.rates.path.clone(),
            columns_from: args.columns_from.path.clone(),
            output: args.output.path.clone(),
            skip_invalid: args.skip_invalid.clone(),
            allow_rejects: args.allow_rejects,
            quiet: args.quiet,
            verbose: args.verbose,
        }
    }

    /// The notes of a run from this source.
    pub(crate) fn notes(&self) -> Notes {
        Notes::for_input(self.quiet, self.verbose, self.allow_rejects)
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

/// The inputs and policy of a run, resolved from the arguments.
pub(crate) struct Resolved {
    pub(crate) inputs: Vec<Input>,
    pub(crate) table: RateTable,
    /// The policy file's `[rates.N]` and `[venues.N]` sections.
    pub(crate) sections: Vec<sessionpay_io::PolicySection>,
}

/// A run's inputs, expanded, and the set its outputs will be committed in,
/// checked before anything is read.
pub(crate) struct Planned {
    inputs: Vec<Input>,
    outputs: OutputSet,
}

/// Expands the inputs and refuses, before reading anything, outputs that
/// would replace an input (`-o`, `--skip-invalid`, `folders`); `also_read`
/// are the run's other input files (people.csv, a template).
pub(crate) fn plan(
    args: &Source,
    also_read: &[&Path],
    folders: &[&Path],
    notes: &mut Notes,
) -> anyhow::Result<Planned> {
    let inputs = expand(&args.inputs, notes)?;
    let mut read = also_read.to_vec();
    read.extend(args.rates.as_deref());
    read.extend(args.columns_from.as_deref());
    let files: Vec<&Path> = [args.output.as_deref(), args.skip_invalid.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let outputs = guard(&inputs, &read, &files, folders)?;
    Ok(Planned { inputs, outputs })
}

/// The output set of a run reading `inputs` and `also_read`, with the
/// outputs it plans (`files`, `folders`) checked against them.
pub(crate) fn guard(
    inputs: &[Input],
    also_read: &[&Path],
    files: &[&Path],
    folders: &[&Path],
) -> anyhow::Result<OutputSet> {
    let mut watched = InputFiles::default();
    for input in inputs {
        if input.is_stdin() {
            watched.watch_stdin();
        } else {
            watched.watch(&input.path);
        }
    }
    for path in also_read {
        watched.watch(path);
    }
    let outputs = OutputSet::new(watched);
    outputs.check_planned(files, folders)?;
    Ok(outputs)
}

pub(crate) fn resolve(args: &Source, planned: Planned) -> anyhow::Result<(Resolved, OutputSet)> {
    let policy = match &args.rates {
        Some(path) => sessionpay_io::read_policy(path)?,
        None => sessionpay_io::PolicyFile::default(),
    };
    let mut inputs = planned.inputs;
    label_inputs(&mut inputs, policy.columns, args.columns_from.as_deref())?;
    Ok((
        Resolved {
            inputs,
            table: policy.table,
            sections: policy.sections,
        },
        planned.outputs,
    ))
}

/// Gives every input the studio's header labels: the policy's `[columns]`
/// and the `column_headers` of a `--columns-from` file.
pub(crate) fn label_inputs(
    inputs: &mut [Input],
    mut columns: sessionpay_io::ColumnMap,
    columns_from: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(path) = columns_from {
        let saved = sessionpay_io::ColumnMap::from_report_file(path)?;
        columns = columns
            .merged(&saved)
            .map_err(|problem| anyhow::anyhow!("{}: {problem}", path.display()))?;
    }
    for input in inputs {
        input.columns = columns.clone();
    }
    Ok(())
}

/// The inputs named on the command line, folders expanded; stdin at most once.
pub(crate) fn expand(paths: &[PathBuf], notes: &mut Notes) -> anyhow::Result<Vec<Input>> {
    let (inputs, skipped) = sessionpay_io::expand_inputs(paths)?;
    if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
        anyhow::bail!("standard input (-) can be read only once");
    }
    for path in skipped {
        notes.say(format!(
            "skipped {} (not a .csv, .json, .ndjson or .jsonl file)",
            Shown(&path)
        ));
    }
    Ok(inputs)
}

/// The table format of a per-session command: CSV or JSON only.
pub(crate) fn table_format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Json => Format::Json,
        _ => Format::Csv,
    }
}

/// Refuses the payroll-only formats for per-session commands.
pub(crate) fn check_table_format(args: &InputArgs) -> anyhow::Result<()> {
    match args.format {
        OutputFormat::Csv | OutputFormat::Json => Ok(()),
        other => anyhow::bail!(
            "--format {} is for payroll; this command writes csv or json",
            if other == OutputFormat::Xlsx {
                "xlsx"
            } else {
                "html"
            }
        ),
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
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    #[test]
    fn every_input_flag_reaches_the_source() {
        let mut cli = Cli::try_parse_from([
            "sessionpay",
            "reconcile",
            "--rates",
            "p.toml",
            "--columns-from",
            "c.json",
            "-o",
            "out.csv",
            "--skip-invalid",
            "rejects.csv",
            "--allow-rejects",
            "-v",
            "a.csv",
            "-",
        ])
        .expect("reconcile");
        cli.spread_global();
        let Command::Reconcile(args) = cli.command else {
            panic!("parsed as another command");
        };
        let source = Source::of(&args.input);
        assert_eq!(source.inputs, [PathBuf::from("a.csv"), PathBuf::from("-")]);
        assert_eq!(source.rates, Some(PathBuf::from("p.toml")));
        assert_eq!(source.columns_from, Some(PathBuf::from("c.json")));
        assert_eq!(source.output, Some(PathBuf::from("out.csv")));
        assert_eq!(source.skip_invalid, Some(PathBuf::from("rejects.csv")));
        assert!(source.allow_rejects && source.verbose && !source.quiet);
    }
}
