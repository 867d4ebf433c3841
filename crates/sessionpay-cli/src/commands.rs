//! The commands that read exports: payroll, reconcile, sessions.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rust_decimal::Decimal;
use sessionpay_core::{PayrollRow, PeriodKind, RateTable, Reason, Status};
use sessionpay_io::{Format, Input, InputFiles, OutputSet, RejectsWriter, SessionLine, Shown};

use sessionpay_engine::{Collector, Lines, PayrollCollected, PayrollCollector, Run, RunOptions, Stats};

use crate::args::{InputArgs, OutputFormat, PayrollArgs, ReconcileArgs, SessionsArgs};
use crate::progress::BYTES_READ;

/// How a run that worked ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report.
    Clean,
    /// A mismatch was found (exit status 1).
    Mismatch,
    /// Rows were rejected under --skip-invalid without --allow-rejects (exit status 2).
    Rejected,
}

/// The inputs and policy of a run, resolved from the arguments.
pub(crate) struct Resolved {
    pub(crate) inputs: Vec<Input>,
    pub(crate) table: RateTable,
    /// The policy file's `[rates.N]` and `[venues.N]` sections.
    sections: Vec<sessionpay_io::PolicySection>,
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
    args: &InputArgs,
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

pub(crate) fn resolve(args: &InputArgs, planned: Planned) -> anyhow::Result<(Resolved, OutputSet)> {
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

/// A warning for each policy section no session has (a mistyped id is the usual cause), then, without a policy,
/// that TeamUp's hidden settings were taken at their defaults.
fn policy_notes(args: &InputArgs, resolved: &Resolved, stats: &Stats, notes: &mut Notes) {
    if let Some(path) = &args.rates {
        for section in &resolved.sections {
            let seen = match section.kind {
                "rates" => stats.seen.rates.contains(&section.id),
                _ => stats.seen.venues.contains(&section.id),
            };
            if !seen {
                notes.say(format!(
                    "warning: {}: line {}: [{}.{}] matches no session read (is the id mistyped?)",
                    path.display(),
                    section.line,
                    section.kind,
                    section.id
                ));
            }
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
fn mismatch_advice(args: &InputArgs, mismatches: u64, sessions: u64) -> String {
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

/// Writes `sessionpay: message` on stderr, with no control character but a
/// line break: what reaches a terminal cannot move the cursor or set a title.
pub(crate) fn say(message: &str) {
    let _ = writeln!(
        io::stderr().lock(),
        "sessionpay: {}",
        sessionpay_io::printable_lines(message)
    );
}

/// Notes for stderr, silenced by --quiet.
pub(crate) struct Notes {
    quiet: bool,
    verbose: bool,
    rejected: u64,
    allow_rejects: bool,
}

impl Notes {
    /// Notes for a command without the usual input options.
    pub(crate) fn new(quiet: bool) -> Notes {
        Notes {
            quiet,
            verbose: false,
            rejected: 0,
            allow_rejects: false,
        }
    }

    pub(crate) fn for_input(args: &InputArgs) -> Notes {
        Notes {
            quiet: args.quiet,
            verbose: args.verbose,
            rejected: 0,
            allow_rejects: args.allow_rejects,
        }
    }

    /// Says `message` on stderr; its data parts should be escaped already
    /// ([`sessionpay_io::printable`]), and no control character but a line
    /// break gets through in any case.
    pub(crate) fn say(&mut self, message: String) {
        if !self.quiet {
            say(&message);
        }
    }

    /// The outcome of a run that worked, given what was rejected on the way.
    fn finish(&self, outcome: Outcome) -> Outcome {
        if self.blocked() {
            Outcome::Rejected
        } else {
            outcome
        }
    }

    /// Rows were rejected without --allow-rejects: only the rejects file is written.
    fn blocked(&self) -> bool {
        self.rejected > 0 && !self.allow_rejects
    }

    pub(crate) fn stats(&mut self, stats: &Stats) {
        for note in &stats.notes {
            self.say(note.clone());
        }
        if self.verbose {
            let how = if stats.workers > 1 {
                format!("in parallel by {} workers", stats.workers)
            } else {
                "in one pass".to_string()
            };
            self.say(format!("read {} rows {how}", stats.rows));
        }
        if stats.duplicates > 0 {
            let example = stats
                .first_duplicate
                .as_ref()
                .map(|(id, a, b)| format!(" (e.g. session {id} at {a} and at {b})"))
                .unwrap_or_default();
            self.say(format!(
                "{} row(s) repeated an earlier session exactly and were counted once{example}",
                stats.duplicates
            ));
        }
    }
}

/// The table format of a per-session command: CSV or JSON only.
fn table_format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Json => Format::Json,
        _ => Format::Csv,
    }
}

/// Refuses the payroll-only formats for per-session commands.
fn check_table_format(args: &InputArgs) -> anyhow::Result<()> {
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

/// Writes through `write` to the -o file (staged in `outputs`) or to stdout.
fn emit(
    args: &InputArgs,
    outputs: &mut OutputSet,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    emit_to(args.output.as_deref(), outputs, |out| {
        write(out).map_err(anyhow::Error::from)
    })
}

/// [`emit`] for writers whose errors are not only I/O.
fn emit_with(
    args: &InputArgs,
    outputs: &mut OutputSet,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    emit_to(args.output.as_deref(), outputs, write)
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

/// A computed payroll: the summary rows and, when asked for, every session line.
pub(crate) struct PayrollRun {
    /// The summary rows, sorted.
    pub(crate) rows: Vec<PayrollRow>,
    /// Every session in the period range, sorted by id (empty unless asked for).
    pub(crate) lines: Vec<SessionLine>,
    /// The inputs read.
    pub(crate) inputs: Vec<Input>,
    /// The period kind.
    pub(crate) kind: PeriodKind,
    /// Sessions whose reported figure does not match.
    pub(crate) mismatches: u64,
    /// Sessions in the period range.
    pub(crate) sessions: u64,
}

/// Reads the inputs and computes the payroll of `args`; `with_lines` also
/// keeps every session line (for spreadsheets, reports and statements).
pub(crate) fn compute_payroll(
    args: &PayrollArgs,
    with_lines: bool,
    notes: &mut Notes,
    planned: Planned,
) -> anyhow::Result<(PayrollRun, OutputSet)> {
    let kind = args.periods.kind()?;
    if let (Some(from), Some(to)) = (args.from, args.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let (resolved, mut outputs) = resolve(&args.input, planned)?;
    let make = || PayrollCollector::new(kind, args.from, args.to, with_lines);
    let collected = run_engine(&args.input, &resolved, Decimal::ZERO, make, notes, &mut outputs)?;
    let PayrollCollected {
        mut rows,
        lines,
        mismatches,
        sessions,
    } = collected.finish()?;
    if let PeriodKind::All = kind {
        // With --from/--to, the period is what was asked for.
        for row in &mut rows {
            row.period.start = args.from.unwrap_or(row.period.start);
            row.period.end = args.to.unwrap_or(row.period.end);
        }
    }
    Ok((
        PayrollRun {
            rows,
            lines,
            inputs: resolved.inputs,
            kind,
            mismatches,
            sessions,
        },
        outputs,
    ))
}

pub(crate) fn payroll(args: &PayrollArgs) -> anyhow::Result<Outcome> {
    if let Some(ledger) = &args.ledger {
        return crate::ledger::payroll(args, ledger);
    }
    let mut notes = Notes::for_input(&args.input);
    let format = args.input.format;
    if format == OutputFormat::Xlsx && args.input.output.is_none() {
        anyhow::bail!("--format xlsx needs -o FILE: a spreadsheet is not written to a terminal");
    }
    let with_lines = matches!(format, OutputFormat::Xlsx | OutputFormat::Html) || args.statements.is_some();
    let folders: Vec<&Path> = args.statements.as_deref().into_iter().collect();
    let planned = plan(&args.input, &[], &folders, &mut notes)?;
    let (run, mut outputs) = compute_payroll(args, with_lines, &mut notes, planned)?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    let report = sessionpay_render::Report {
        rows: &run.rows,
        lines: &run.lines,
        inputs: &run.inputs,
        policy: args.input.rates.as_deref(),
        period: run.kind,
        from: args.from,
        to: args.to,
        rejected: notes.rejected,
        adjustments: &[],
    };
    // The statements first: stdout, written last, cannot be taken back.
    if let Some(dir) = &args.statements {
        sessionpay_render::write_statements(&report, dir, &mut outputs)?;
    }
    match format {
        OutputFormat::Csv | OutputFormat::Json => emit(&args.input, &mut outputs, |out| {
            sessionpay_io::write_payroll(out, &run.rows, table_format(format))
        })?,
        OutputFormat::Xlsx => {
            let path = args
                .input
                .output
                .as_deref()
                .context("--format xlsx needs -o FILE")?;
            sessionpay_render::write_xlsx(&report, path, &mut outputs)?;
        }
        OutputFormat::Html => emit_with(&args.input, &mut outputs, |out| {
            Ok(sessionpay_render::write_html(&report, out)?)
        })?,
    }
    outputs.commit()?;
    let mismatches = run.mismatches;
    if mismatches > 0 {
        notes.say(format!(
            "{mismatches} session(s) do not match TeamUp's figure: run `sessionpay reconcile` for the reasons{}",
            mismatch_advice(&args.input, mismatches, run.sessions)
        ));
        if args.fail_on_mismatch {
            return Ok(notes.finish(Outcome::Mismatch));
        }
    }
    Ok(notes.finish(Outcome::Clean))
}

/// The engine's options for a run with `tolerance`: one worker per core,
/// unless `SESSIONPAY_THREADS` says otherwise (1 forces the single
/// sequential pass); a single CSV file is split across them from 4 MiB, or
/// from `SESSIONPAY_PARALLEL_MIN_BYTES` (so tests can take the parallel path
/// on small files).
pub(crate) fn run_options(tolerance: Decimal) -> RunOptions {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse().ok());
    let mut options = RunOptions::default().tolerance(tolerance);
    if let Some(threads) = var("SESSIONPAY_THREADS").filter(|&n: &u64| n >= 1) {
        options = options.threads(usize::try_from(threads).unwrap_or(usize::MAX));
    }
    if let Some(min_bytes) = var("SESSIONPAY_PARALLEL_MIN_BYTES") {
        options = options.parallel_min_bytes(min_bytes);
    }
    options
}

/// Every session, priced and reconciled, sorted by session id, and the set
/// the outputs go in.
fn collect(
    args: &InputArgs,
    tolerance: Decimal,
    notes: &mut Notes,
) -> anyhow::Result<(Vec<SessionLine>, OutputSet)> {
    let planned = plan(args, &[], &[], notes)?;
    let (resolved, mut outputs) = resolve(args, planned)?;
    let lines = run_engine(args, &resolved, tolerance, Lines::default, notes, &mut outputs)?.sorted();
    Ok((lines, outputs))
}

/// Runs the engine over the inputs, writing rows that cannot be read to the
/// --skip-invalid file (staged in `outputs`) when one is asked for.
pub(crate) fn run_engine<C: Collector>(
    args: &InputArgs,
    resolved: &Resolved,
    tolerance: Decimal,
    make: impl Fn() -> C + Sync,
    notes: &mut Notes,
    outputs: &mut OutputSet,
) -> anyhow::Result<C> {
    let _progress = crate::progress::Progress::start(&resolved.inputs, args.quiet);
    let run = Run::new(&resolved.inputs, &resolved.table, run_options(tolerance)).progress(&BYTES_READ);
    let Some(path) = &args.skip_invalid else {
        let (collected, stats) = run.collect(make)?;
        notes.stats(&stats);
        policy_notes(args, resolved, &stats, notes);
        return Ok(collected);
    };
    let file = outputs.create(path)?;
    let mut writer = RejectsWriter::new(file).with_context(|| format!("writing {}", path.display()))?;
    let (collected, stats) = run
        .rejects(&mut |rejected| {
            writer
                .write(&rejected)
                .map_err(|source| sessionpay_engine::Error::Write {
                    path: path.clone(),
                    source,
                })
        })
        .collect(make)?;
    let count = writer.count();
    let file = writer
        .finish()
        .with_context(|| format!("writing {}", path.display()))?;
    outputs.add(file)?;
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

pub(crate) fn reconcile(args: &ReconcileArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    check_table_format(&args.input)?;
    let (lines, mut outputs) = collect(&args.input, args.tolerance, &mut notes)?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    emit(&args.input, &mut outputs, |out| {
        if args.explain {
            sessionpay_io::write_reconcile_explained(out, &lines, table_format(args.input.format))
        } else {
            sessionpay_io::write_reconcile(out, &lines, table_format(args.input.format))
        }
    })?;
    outputs.commit()?;
    let mut by_status: BTreeMap<Status, u64> = BTreeMap::new();
    let mut by_reason: BTreeMap<Reason, u64> = BTreeMap::new();
    for line in &lines {
        *by_status.entry(line.rec.status).or_default() += 1;
        if let Some(reason) = line.rec.reason {
            *by_reason.entry(reason).or_default() += 1;
        }
    }
    let count = |s| by_status.get(&s).copied().unwrap_or(0);
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    let mismatches = count(Status::Mismatch);
    notes.say(
        format!(
            "{} sessions: {} match, {} mismatch{}, {} pending, {} unrated, {} unreported",
            lines.len(),
            count(Status::Match),
            mismatches,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            },
            count(Status::Pending),
            count(Status::Unrated),
            count(Status::Unreported),
        ) + &mismatch_advice(&args.input, mismatches, lines.len() as u64),
    );
    Ok(notes.finish(if mismatches > 0 {
        Outcome::Mismatch
    } else {
        Outcome::Clean
    }))
}

pub(crate) fn sessions(args: &SessionsArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    check_table_format(&args.input)?;
    let (lines, mut outputs) = collect(&args.input, Decimal::ZERO, &mut notes)?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    emit(&args.input, &mut outputs, |out| {
        sessionpay_io::write_sessions(out, &lines, table_format(args.input.format))
    })?;
    outputs.commit()?;
    Ok(notes.finish(Outcome::Clean))
}
