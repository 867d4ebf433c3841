//! The pay ledger's commands: `close`, `adjustments`, `ledger runs|show|void`,
//! and `payroll --ledger` (closed periods left out, adjustments carried).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sessionpay_core::{Period, PeriodKind, RateId};
use sessionpay_engine::Pricing;
use sessionpay_io::Format;
use sessionpay_ledger::{kind_name, ClosePlan, Digest, Figures, FiguresCollected, Ledger};

use crate::args::{AdjustmentsArgs, CloseArgs, LedgerCommand, OutputFormat, PayrollArgs};
use crate::resolve::{plan, resolve, KeepLines, PayrollQuery, Planned, Resolved, Source};
use crate::run::{emit_to, run_engine};
use crate::ui::{say, Notes, Outcome};

fn now() -> String {
    DateTime::<Utc>::from(std::time::SystemTime::now()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn table_format(format: OutputFormat) -> anyhow::Result<Format> {
    match format {
        OutputFormat::Csv => Ok(Format::Csv),
        OutputFormat::Json => Ok(Format::Json),
        _ => anyhow::bail!("this command writes csv or json"),
    }
}

/// The closed periods to leave out of a payroll, its --from/--to, and
/// whether its session lines are kept.
struct OpenPayroll {
    closed: Arc<[Period]>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    lines: bool,
}

/// Reads `args.inputs` into figures (and, with `closed`, the open payroll).
fn figures(
    args: &Source,
    planned: Planned,
    kind: PeriodKind,
    open: Option<OpenPayroll>,
    notes: &mut Notes,
) -> anyhow::Result<(FiguresCollected, Resolved, sessionpay_io::OutputSet)> {
    anyhow::ensure!(
        args.skip_invalid.is_none(),
        "--skip-invalid cannot be used with a ledger: every session must be read"
    );
    let (resolved, mut outputs) = resolve(args, planned)?;
    let make = || {
        let figures = Figures::new(kind);
        match &open {
            Some(o) if o.lines => figures
                .with_payroll(Arc::clone(&o.closed), o.from, o.to)
                .keep_lines(),
            Some(o) => figures.with_payroll(Arc::clone(&o.closed), o.from, o.to),
            None => figures,
        }
    };
    let collected = run_engine(args, &resolved, Decimal::ZERO, make, notes, &mut outputs)?;
    Ok((collected.finish()?, resolved, outputs))
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
        rates: args.rates.clone(),
        columns_from: args.columns_from.clone(),
        output: None,
        skip_invalid: None,
        allow_rejects: false,
        quiet: args.quiet,
        verbose: false,
    };
    let mut notes = input.notes();
    let mut ledger = Ledger::open_or_create(&args.ledger)?;
    let period_kind = kind_name(kind);
    ledger.check_kind(&period_kind)?;
    let planned = plan(&input, &[], &[], &mut notes)?;
    let (collected, resolved, outputs) = figures(&input, planned, kind, None, &mut notes)?;
    let mut inputs = Vec::new();
    for i in &resolved.inputs {
        inputs.push(Digest::of(&i.path)?);
    }
    let policy = args.rates.as_deref().map(Digest::of).transpose()?;
    outputs.inputs().check_unchanged()?;
    let figures = collected.figures;
    let closed = ledger.closed_periods()?;
    let first_open = sessionpay_ledger::first_open(kind, &closed)?.map(|p| p.start);
    let first_session = figures.iter().map(|f| f.date).min();
    let Some(first) = [first_session, first_open].into_iter().flatten().min() else {
        anyhow::bail!("no session in the input and nothing closed before: no period to close");
    };
    let periods = kind.whole_periods(first, args.through)?;
    let pricing = Pricing::new(&resolved.table, Decimal::ZERO);
    let mut rates: Vec<(u64, &'static str, String)> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for f in &figures {
        if let (Some(id), Some(kind)) = (f.rate, f.rate_type) {
            if seen.insert(id) {
                rates.push((id, kind, format!("{:?}", pricing.policy(Some(RateId(id))))));
            }
        }
    }
    rates.sort();
    let options = serde_json::json!({
        "period": period_kind,
        "through": args.through.to_string(),
        "rates": args.rates.as_ref().map(|p| p.display().to_string()),
        "columns_from": args.columns_from.as_ref().map(|p| p.display().to_string()),
        "inputs": args.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    let plan = ClosePlan {
        closed_at: now(),
        tool_version: VERSION.into(),
        period_kind,
        through: args.through,
        options: options.to_string(),
        inputs,
        policy,
        default_policy: format!("{:?}", pricing.policy(None)),
        rates,
        periods,
    };
    let done = ledger.close(&plan, &figures)?;
    let mut out = String::from("period_start,period_end,sessions,status\n");
    for (p, n) in &done.closed {
        out.push_str(&format!("{},{},{n},closed\n", p.start, p.end));
    }
    for p in &done.skipped {
        out.push_str(&format!("{},{},,skipped (closed already)\n", p.start, p.end));
    }
    match done.run {
        Some(run) => notes.say(format!(
            "run {run}: closed {} period(s), skipped {} closed already",
            done.closed.len(),
            done.skipped.len()
        )),
        None => notes.say(format!(
            "nothing to close through {}: {} period(s) closed already",
            args.through,
            done.skipped.len()
        )),
    }
    if done.paid_before > 0 {
        notes.say(format!(
            "{} session(s) of the closed periods were paid by an earlier run (their date moved); \
             `sessionpay adjustments` lists any difference",
            done.paid_before
        ));
    }
    let mut outputs = outputs;
    emit_to(None, &mut outputs, |w| Ok(w.write_all(out.as_bytes())?))?;
    Ok(Outcome::Clean)
}

pub(crate) fn adjustments(args: &AdjustmentsArgs) -> anyhow::Result<Outcome> {
    let format = table_format(args.input.format)?;
    if let (Some(from), Some(to)) = (args.from, args.to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let ledger = Ledger::open(&args.ledger)?;
    let closed = ledger.closed_periods()?;
    let paid = ledger.paid()?;
    let planned = plan(&source, &[&args.ledger], &[], &mut notes)?;
    let (collected, _, mut outputs) = figures(&source, planned, PeriodKind::All, None, &mut notes)?;
    let rows = sessionpay_ledger::adjustments(&closed, &paid, &collected.figures, args.from, args.to)?;
    emit_to(source.output.as_deref(), &mut outputs, |out| {
        Ok(sessionpay_ledger::write_adjustments(out, &rows, format)?)
    })?;
    outputs.commit()?;
    notes.say(format!("{} session(s) differ from what was paid", rows.len()));
    Ok(Outcome::Clean)
}

/// A payroll of the open periods with the adjustments carried in.
pub(crate) struct CarriedRun {
    /// The rows, adjustments carried.
    pub(crate) rows: Vec<sessionpay_ledger::Carried>,
    /// Mismatched sessions of the open periods.
    pub(crate) mismatches: u64,
    /// The open periods' session lines (when asked for).
    pub(crate) lines: Vec<sessionpay_io::SessionLine>,
    /// The row in `rows` of each of `lines`.
    pub(crate) line_rows: sessionpay_core::LineRows,
    /// The adjustments carried, for a spreadsheet or statements.
    pub(crate) adjustments: Vec<sessionpay_render::AdjustmentLine>,
    /// The inputs read.
    pub(crate) inputs: Vec<sessionpay_io::Input>,
    /// Where the outputs go.
    pub(crate) outputs: sessionpay_io::OutputSet,
}

/// The payroll `query` asks of `source` without the periods the ledger at
/// `path` closed, each instructor's adjustments carried into their first open period.
pub(crate) fn carried_payroll(
    source: &Source,
    query: &PayrollQuery,
    path: &Path,
    planned: Planned,
    notes: &mut Notes,
) -> anyhow::Result<CarriedRun> {
    let kind = query.periods.kind()?;
    let (from, to) = (query.periods.from, query.to);
    if let (Some(from), Some(to)) = (from, to) {
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    }
    anyhow::ensure!(
        kind != PeriodKind::All,
        "--ledger needs the period the ledger closes, not --period all"
    );
    let ledger = Ledger::open(path)?;
    ledger.check_kind(&kind_name(kind))?;
    let closed = ledger.closed_periods()?;
    let paid = ledger.paid()?;
    let closed_periods: Arc<[Period]> = closed.iter().map(|c| c.period).collect();
    let (collected, resolved, outputs) = figures(
        source,
        planned,
        kind,
        Some(OpenPayroll {
            closed: closed_periods,
            from,
            to,
            lines: query.keep != KeepLines::No,
        }),
        notes,
    )?;
    let adjustments = sessionpay_ledger::adjustments(&closed, &paid, &collected.figures, None, None)?;
    let names: FxHashMap<u64, Arc<str>> = collected
        .figures
        .iter()
        .map(|f| (f.instructor, Arc::clone(&f.instructor_name)))
        .collect();
    let first_open = sessionpay_ledger::first_open(kind, &closed)?;
    let key = |row: &sessionpay_core::PayrollRow| (row.instructor.0, row.currency, row.period.start);
    let keys: Vec<_> = collected.rows.iter().map(key).collect();
    let rows = sessionpay_ledger::carry(collected.rows, &adjustments, first_open, &names)?;
    // The rows carrying adjustments alone were added in order: the lines' rows moved.
    let moved: Vec<usize> = keys
        .iter()
        .map(|k| {
            rows.binary_search_by_key(k, |c| key(&c.row))
                .unwrap_or(usize::MAX)
        })
        .collect();
    let line_rows = collected.line_rows.moved(rows.len(), &moved)?;
    if !adjustments.is_empty() {
        notes.say(format!(
            "{} adjustment(s) of closed periods carried in; `sessionpay adjustments` lists them",
            adjustments.len()
        ));
    }
    let adjustments = adjustments
        .into_iter()
        .map(|a| sessionpay_render::AdjustmentLine {
            session: a.session,
            instructor: sessionpay_core::InstructorId(a.instructor),
            currency: a.currency,
            period_start: a.period_start,
            paid: a.paid,
            computed: a.computed,
            adjustment: a.adjustment,
            change: a.change.as_str(),
            what: a.what,
        })
        .collect();
    Ok(CarriedRun {
        rows,
        mismatches: collected.mismatches,
        lines: collected.lines,
        line_rows,
        adjustments,
        inputs: resolved.inputs,
        outputs,
    })
}

/// `payroll --ledger FILE`: the open periods only, each instructor's
/// adjustments carried into their first open period.
pub(crate) fn payroll(args: &PayrollArgs, path: &Path) -> anyhow::Result<Outcome> {
    let format = args.input.format;
    if format == OutputFormat::Xlsx && args.input.output.path.is_none() {
        anyhow::bail!("--format xlsx needs -o FILE: a spreadsheet is not written to a terminal");
    }
    // The ledger's payroll keeps every line for a spreadsheet, a page or statements.
    let keep = if matches!(format, OutputFormat::Xlsx | OutputFormat::Html) || args.statements.is_some() {
        KeepLines::All
    } else {
        KeepLines::No
    };
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let folders: Vec<&Path> = args.statements.as_deref().into_iter().collect();
    let planned = plan(&source, &[path], &folders, &mut notes)?;
    let query = PayrollQuery {
        periods: args.periods,
        to: args.to,
        keep,
    };
    let mut run = carried_payroll(&source, &query, path, planned, &mut notes)?;
    let rows: Vec<sessionpay_core::PayrollRow> = run.rows.iter().map(|c| c.row.clone()).collect();
    let report = sessionpay_render::Report {
        rows: &rows,
        lines: &run.lines,
        line_rows: &run.line_rows,
        inputs: &run.inputs,
        policy: args.input.rates.path.as_deref(),
        period: args.periods.kind()?,
        from: args.periods.from,
        to: args.to,
        rejected: 0,
        adjustments: &run.adjustments,
        ledger: true,
    };
    if let Some(dir) = &args.statements {
        sessionpay_render::write_statements(&report, dir, &mut run.outputs)?;
    }
    match (format, source.output.as_deref()) {
        (OutputFormat::Xlsx, Some(file)) => sessionpay_render::write_xlsx(&report, file, &mut run.outputs)?,
        (OutputFormat::Html, output) => emit_to(output, &mut run.outputs, |out| {
            Ok(sessionpay_render::write_html(&report, out)?)
        })?,
        _ => {
            let format = table_format(format)?;
            emit_to(source.output.as_deref(), &mut run.outputs, |out| {
                Ok(sessionpay_ledger::write_carried(out, &run.rows, format)?)
            })?;
        }
    }
    run.outputs.commit()?;
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

/// `export --ledger`: the rows of [`carried_payroll`], each paying its `total_due`.
pub(crate) fn export_rows(
    source: &Source,
    query: &PayrollQuery,
    path: &Path,
    planned: Planned,
    notes: &mut Notes,
) -> anyhow::Result<(
    Vec<sessionpay_core::PayrollRow>,
    Vec<sessionpay_io::SessionLine>,
    sessionpay_core::LineRows,
    sessionpay_io::OutputSet,
)> {
    let run = carried_payroll(source, query, path, planned, notes)?;
    let rows = run
        .rows
        .into_iter()
        .map(|c| {
            let mut row = c.row;
            row.totals.computed_pay = c.total_due;
            row
        })
        .collect();
    Ok((rows, Vec::new(), run.line_rows, run.outputs))
}

pub(crate) fn ledger(command: &LedgerCommand) -> anyhow::Result<Outcome> {
    let stdout = std::io::stdout();
    match command {
        LedgerCommand::Runs { ledger, format } => {
            let format = table_format(*format)?;
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
            let mut ledger = Ledger::open(ledger)?;
            ledger.void(*run, why, &now(), VERSION)?;
            say(&format!("run {run} voided: its periods are open again"));
        }
    }
    Ok(Outcome::Clean)
}
