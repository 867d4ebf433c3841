//! The commands that read exports: payroll, reconcile, sessions.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anyhow::Context;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sessionpay_core::{local_date, Payroll, PeriodKind, RateTable, Reason, Status};
use sessionpay_io::{AtomicFile, Format, Input, SessionLine};

use crate::args::{InputArgs, OutputFormat, PayrollArgs, PeriodArg, ReconcileArgs, SessionsArgs};
use crate::pipeline::{self, Collector, Stats};

/// How a run that worked ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report.
    Clean,
    /// A mismatch was found (exit status 1).
    Mismatch,
}

/// The inputs and policy of a run, resolved from the arguments.
struct Resolved {
    inputs: Vec<Input>,
    table: RateTable,
}

fn resolve(args: &InputArgs, notes: &mut Notes) -> anyhow::Result<Resolved> {
    let table = match &args.rates {
        Some(path) => sessionpay_io::read_policy_file(path)?,
        None => RateTable::default(),
    };
    let (inputs, skipped) = sessionpay_io::expand_inputs(&args.inputs)?;
    if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
        anyhow::bail!("standard input (-) can be read only once");
    }
    for path in skipped {
        notes.say(format!(
            "skipped {} (not a .csv, .json, .ndjson or .jsonl file)",
            path.display()
        ));
    }
    Ok(Resolved { inputs, table })
}

/// Notes for stderr, silenced by --quiet.
pub(crate) struct Notes {
    quiet: bool,
    verbose: bool,
}

impl Notes {
    fn for_input(args: &InputArgs) -> Notes {
        Notes {
            quiet: args.quiet,
            verbose: args.verbose,
        }
    }

    pub(crate) fn say(&mut self, message: String) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "sessionpay: {message}");
        }
    }

    fn stats(&mut self, stats: &Stats) {
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

fn format(f: OutputFormat) -> Format {
    match f {
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Json => Format::Json,
    }
}

/// Writes through `write` to the -o file (atomically) or to stdout.
fn emit(args: &InputArgs, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    match &args.output {
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

pub(crate) fn payroll(args: &PayrollArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    let kind = match args.period {
        PeriodArg::Month => PeriodKind::Month,
        PeriodArg::Semimonth => PeriodKind::Semimonth,
        PeriodArg::Week => PeriodKind::Week {
            start: args.week_start,
        },
        PeriodArg::Fortnight => PeriodKind::Fortnight {
            anchor: args.anchor.context(
                "--period fortnight needs --anchor DATE, a date that starts one of your fortnights",
            )?,
        },
        PeriodArg::All => PeriodKind::All,
    };
    if let (Some(from), Some(to)) = (args.from, args.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let resolved = resolve(&args.input, &mut notes)?;
    let make = || PayrollCollector {
        payroll: Payroll::new(kind),
        from: args.from,
        to: args.to,
        mismatches: 0,
    };
    let (collected, stats) =
        pipeline::run(&resolved.inputs, &resolved.table, Decimal::ZERO, threads(), &make)?;
    let PayrollCollector {
        payroll, mismatches, ..
    } = collected;
    notes.stats(&stats);
    let mut rows = payroll.rows()?;
    if let PeriodKind::All = kind {
        // With --from/--to, the period is what was asked for.
        for row in &mut rows {
            row.period.start = args.from.unwrap_or(row.period.start);
            row.period.end = args.to.unwrap_or(row.period.end);
        }
    }
    emit(&args.input, |out| {
        sessionpay_io::write_payroll(out, &rows, format(args.input.format))
    })?;
    if mismatches > 0 {
        notes.say(format!("{mismatches} session(s) do not match TeamUp's figure: run `sessionpay reconcile` for the reasons"));
        if args.fail_on_mismatch {
            return Ok(Outcome::Mismatch);
        }
    }
    Ok(Outcome::Clean)
}

/// Totals per instructor and period, for sessions between `from` and `to`.
struct PayrollCollector {
    payroll: Payroll,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    mismatches: u64,
}

impl Collector for PayrollCollector {
    fn add(&mut self, line: SessionLine) -> anyhow::Result<()> {
        let date = local_date(line.session.starts_at, line.session.zone);
        if self.from.is_some_and(|f| date < f) || self.to.is_some_and(|t| date > t) {
            return Ok(());
        }
        if line.rec.status == Status::Mismatch {
            self.mismatches += 1;
        }
        self.payroll.add(&line.session, &line.pay, &line.rec)?;
        Ok(())
    }

    fn merge(&mut self, other: Self) -> anyhow::Result<()> {
        self.mismatches += other.mismatches;
        self.payroll.merge(other.payroll)?;
        Ok(())
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
fn threads() -> usize {
    std::env::var("SESSIONPAY_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &usize| n >= 1)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Every session, priced and reconciled, sorted by session id.
fn collect(args: &InputArgs, tolerance: Decimal, notes: &mut Notes) -> anyhow::Result<Vec<SessionLine>> {
    let resolved = resolve(args, notes)?;
    let (Lines(mut lines), stats) =
        pipeline::run(&resolved.inputs, &resolved.table, tolerance, threads(), &|| {
            Lines(Vec::new())
        })?;
    notes.stats(&stats);
    lines.sort_by_key(|l| l.session.id);
    Ok(lines)
}

pub(crate) fn reconcile(args: &ReconcileArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    let lines = collect(&args.input, args.tolerance, &mut notes)?;
    emit(&args.input, |out| {
        sessionpay_io::write_reconcile(out, &lines, format(args.input.format))
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
    notes.say(format!(
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
    ));
    Ok(if mismatches > 0 {
        Outcome::Mismatch
    } else {
        Outcome::Clean
    })
}

pub(crate) fn sessions(args: &SessionsArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::for_input(&args.input);
    let lines = collect(&args.input, Decimal::ZERO, &mut notes)?;
    emit(&args.input, |out| {
        sessionpay_io::write_sessions(out, &lines, format(args.input.format))
    })?;
    Ok(Outcome::Clean)
}
