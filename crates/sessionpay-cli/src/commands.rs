//! The commands that read exports: payroll, reconcile, sessions.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sessionpay_core::{LocalDates, Payroll, PayrollRow, PeriodKind, RateTable, Reason, Status};
use sessionpay_io::{AtomicFile, Format, Input, Names, RejectsWriter, SessionLine};

use crate::args::{InputArgs, OutputFormat, PayrollArgs, ReconcileArgs, SessionsArgs};
use crate::pipeline::{self, Collector, Stats};
use crate::report;

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
struct Resolved {
    inputs: Vec<Input>,
    table: RateTable,
    /// The policy file's `[rates.N]` and `[venues.N]` sections.
    sections: Vec<sessionpay_io::PolicySection>,
}

fn resolve(args: &InputArgs, notes: &mut Notes) -> anyhow::Result<Resolved> {
    let policy = match &args.rates {
        Some(path) => sessionpay_io::read_policy(path)?,
        None => sessionpay_io::PolicyFile::default(),
    };
    let mut inputs = expand(&args.inputs, notes)?;
    label_inputs(&mut inputs, policy.columns, args.columns_from.as_deref())?;
    Ok(Resolved {
        inputs,
        table: policy.table,
        sections: policy.sections,
    })
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
                "rates" => stats.ids.rates.contains(&section.id),
                _ => stats.ids.venues.contains(&section.id),
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
            path.display()
        ));
    }
    Ok(inputs)
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

    pub(crate) fn say(&mut self, message: String) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "sessionpay: {message}");
        }
    }

    /// The outcome of a run that worked, given what was rejected on the way.
    fn finish(&self, outcome: Outcome) -> Outcome {
        if self.rejected > 0 && !self.allow_rejects {
            Outcome::Rejected
        } else {
            outcome
        }
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

/// Writes through `write` to the -o file (atomically) or to stdout.
fn emit(args: &InputArgs, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    emit_to(args.output.as_deref(), |out| {
        write(out).map_err(anyhow::Error::from)
    })
}

/// [`emit`] for writers whose errors are not only I/O.
fn emit_with(
    args: &InputArgs,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    emit_to(args.output.as_deref(), write)
}

/// Writes through `write` to `output` (atomically) or, without one, to stdout.
pub(crate) fn emit_to(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            write(&mut file).with_context(|| format!("writing {}", path.display()))?;
            file.commit()?;
        }
        None => {
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
) -> anyhow::Result<PayrollRun> {
    let kind = args.periods.kind()?;
    if let (Some(from), Some(to)) = (args.from, args.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let resolved = resolve(&args.input, notes)?;
    let make = || PayrollCollector {
        payroll: Payroll::new(kind),
        from: args.from,
        to: args.to,
        mismatches: 0,
        sessions: 0,
        lines: with_lines.then(Vec::new),
        dates: LocalDates::default(),
    };
    let collected = run_pipeline(&args.input, &resolved, Decimal::ZERO, &make, notes)?;
    let PayrollCollector {
        payroll,
        mismatches,
        sessions,
        lines,
        ..
    } = collected;
    let mut rows = payroll.rows()?;
    if let PeriodKind::All = kind {
        // With --from/--to, the period is what was asked for.
        for row in &mut rows {
            row.period.start = args.from.unwrap_or(row.period.start);
            row.period.end = args.to.unwrap_or(row.period.end);
        }
    }
    let mut lines = lines.unwrap_or_default();
    lines.sort_by_key(|l| l.session.id);
    Ok(PayrollRun {
        rows,
        lines,
        inputs: resolved.inputs,
        kind,
        mismatches,
        sessions,
    })
}

pub(crate) fn payroll(args: &PayrollArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    let format = args.input.format;
    if format == OutputFormat::Xlsx && args.input.output.is_none() {
        anyhow::bail!("--format xlsx needs -o FILE: a spreadsheet is not written to a terminal");
    }
    let with_lines = matches!(format, OutputFormat::Xlsx | OutputFormat::Html) || args.statements.is_some();
    let run = compute_payroll(args, with_lines, &mut notes)?;
    let report = report::Report {
        rows: &run.rows,
        lines: &run.lines,
        inputs: &run.inputs,
        policy: args.input.rates.as_deref(),
        period: run.kind,
        from: args.from,
        to: args.to,
    };
    match format {
        OutputFormat::Csv | OutputFormat::Json => emit(&args.input, |out| {
            sessionpay_io::write_payroll(out, &run.rows, table_format(format))
        })?,
        OutputFormat::Xlsx => {
            let path = args
                .input
                .output
                .as_deref()
                .context("--format xlsx needs -o FILE")?;
            report::write_xlsx(&report, path)?;
        }
        OutputFormat::Html => emit_with(&args.input, |out| report::write_html(&report, out))?,
    }
    if let Some(dir) = &args.statements {
        report::write_statements(&report, dir)?;
    }
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

/// Totals per instructor and period, for sessions between `from` and `to`.
struct PayrollCollector {
    payroll: Payroll,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    mismatches: u64,
    sessions: u64,
    lines: Option<Vec<SessionLine>>,
    dates: LocalDates,
}

impl Collector for PayrollCollector {
    fn add(&mut self, line: SessionLine) -> anyhow::Result<()> {
        let date = self.dates.local_date(line.session.starts_at, line.session.zone);
        if self.from.is_some_and(|f| date < f) || self.to.is_some_and(|t| date > t) {
            return Ok(());
        }
        self.sessions += 1;
        if line.rec.status == Status::Mismatch {
            self.mismatches += 1;
        }
        self.payroll.add_on(date, &line.session, &line.pay, &line.rec)?;
        if let Some(lines) = &mut self.lines {
            lines.push(line);
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) -> anyhow::Result<()> {
        self.mismatches += other.mismatches;
        self.sessions += other.sessions;
        self.payroll.merge(other.payroll)?;
        if let (Some(mine), Some(mut theirs)) = (&mut self.lines, other.lines) {
            mine.append(&mut theirs);
        }
        Ok(())
    }

    fn names(&self) -> Names {
        // Payroll rows show the instructor's name; kept lines show them all.
        match self.lines {
            Some(_) => Names::All,
            None => Names::InstructorOnly,
        }
    }
}

/// Every priced session, for per-session outputs.
struct Lines(Vec<SessionLine>);

impl Collector for Lines {
    fn add(&mut self, line: SessionLine) -> anyhow::Result<()> {
        self.0.push(line);
        Ok(())
    }

    fn merge(&mut self, mut other: Self) -> anyhow::Result<()> {
        self.0.append(&mut other.0);
        Ok(())
    }
}

/// Worker threads: one per core, unless `SESSIONPAY_THREADS` says otherwise
/// (1 forces the single sequential pass).
pub(crate) fn threads() -> usize {
    std::env::var("SESSIONPAY_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &usize| n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Every session, priced and reconciled, sorted by session id.
fn collect(args: &InputArgs, tolerance: Decimal, notes: &mut Notes) -> anyhow::Result<Vec<SessionLine>> {
    let resolved = resolve(args, notes)?;
    let Lines(mut lines) = run_pipeline(args, &resolved, tolerance, &|| Lines(Vec::new()), notes)?;
    lines.sort_by_key(|l| l.session.id);
    Ok(lines)
}

/// Runs the pipeline over the inputs, writing rows that cannot be read to the
/// --skip-invalid file (atomically, once the run is through) when one is asked for.
fn run_pipeline<C: Collector + Send>(
    args: &InputArgs,
    resolved: &Resolved,
    tolerance: Decimal,
    make: &(dyn Fn() -> C + Sync),
    notes: &mut Notes,
) -> anyhow::Result<C> {
    let _progress = crate::progress::Progress::start(&resolved.inputs, args.quiet);
    let Some(path) = &args.skip_invalid else {
        let (collected, stats) =
            pipeline::run(&resolved.inputs, &resolved.table, tolerance, threads(), make)?;
        notes.stats(&stats);
        policy_notes(args, resolved, &stats, notes);
        return Ok(collected);
    };
    let file = AtomicFile::create(path)?;
    let mut writer = RejectsWriter::new(file).with_context(|| format!("writing {}", path.display()))?;
    let (collected, stats) = pipeline::run_with(
        &resolved.inputs,
        &resolved.table,
        tolerance,
        threads(),
        make,
        Some(&mut |rejected| {
            writer
                .write(&rejected)
                .with_context(|| format!("writing {}", path.display()))
        }),
    )?;
    let count = writer.count();
    writer
        .finish()
        .with_context(|| format!("writing {}", path.display()))?
        .commit()?;
    notes.stats(&stats);
    policy_notes(args, resolved, &stats, notes);
    notes.rejected = count;
    if count > 0 {
        let verdict = if args.allow_rejects {
            "left out (--allow-rejects)"
        } else {
            "left out: exit status 2, as the figures are incomplete"
        };
        // Said even under --quiet: the figures are incomplete.
        let _ = writeln!(
            io::stderr().lock(),
            "sessionpay: {count} row(s) could not be read and were {verdict}; see {}",
            path.display()
        );
    }
    Ok(collected)
}

pub(crate) fn reconcile(args: &ReconcileArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    check_table_format(&args.input)?;
    let lines = collect(&args.input, args.tolerance, &mut notes)?;
    emit(&args.input, |out| {
        if args.explain {
            sessionpay_io::write_reconcile_explained(out, &lines, table_format(args.input.format))
        } else {
            sessionpay_io::write_reconcile(out, &lines, table_format(args.input.format))
        }
    })?;
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
    let lines = collect(&args.input, Decimal::ZERO, &mut notes)?;
    emit(&args.input, |out| {
        sessionpay_io::write_sessions(out, &lines, table_format(args.input.format))
    })?;
    Ok(notes.finish(Outcome::Clean))
}
