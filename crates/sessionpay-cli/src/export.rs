//! `sessionpay export`: the payroll as the file a payroll system imports.
//!
//! The payroll is computed exactly as `sessionpay payroll` computes it; each
//! instructor with pay in a period becomes a row of Gusto's payroll CSV, the
//! UpSheets-style CSV used with Xero, BrightPay's Additions CSV, or a layout
//! described by a TOML template (ADP, Paychex, Sage, ...). `people.csv` says
//! who each TeamUp instructor is in the payroll system. One file is written
//! per currency and pay period.

mod csvfile;
mod people;
mod providers;
mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sessionpay_core::{local_date, Currency, InstructorId, PayrollRow, Period};
use sessionpay_io::{AtomicFile, SessionLine};

use crate::args::{InputArgs, OutputFormat, PayrollArgs, PeriodArgs};
use crate::commands::{self, Notes, Outcome};

use self::people::People;
use self::template::Template;

/// The payroll systems `export` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Provider {
    /// Gusto's payroll CSV upload (US, USD)
    Gusto,
    /// The UpSheets timesheet CSV used with Xero Payroll (UK, AU, NZ)
    Xero,
    /// BrightPay's Additions CSV import (UK GBP, Ireland EUR)
    Brightpay,
    /// Columns, header, date format and earning codes from --template FILE (ADP, Paychex, Sage, ...)
    Template,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Gusto => "gusto",
            Provider::Xero => "xero",
            Provider::Brightpay => "brightpay",
            Provider::Template => "template",
        }
    }

    /// The currencies a fixed layout takes; `None` for any.
    fn currencies(self) -> Option<&'static [&'static str]> {
        match self {
            Provider::Gusto => Some(&["USD"]),
            Provider::Xero => Some(&["GBP", "AUD", "NZD"]),
            Provider::Brightpay => Some(&["GBP", "EUR"]),
            Provider::Template => None,
        }
    }
}

/// Options of `sessionpay export`.
///
/// The payroll options are those of `payroll`, except that the last date is
/// `--until DATE`: `--to` names the payroll system.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The payroll system to write for
    #[arg(long = "to", value_enum, value_name = "PROVIDER")]
    pub(crate) provider: Provider,

    /// people.csv: instructor_id, first_name, last_name and the identity columns the payroll system needs
    #[arg(long, value_name = "FILE")]
    pub(crate) people: PathBuf,

    /// For --to template: the template (TOML) with the columns, header, date format and earning codes
    #[arg(long, value_name = "FILE", required_if_eq("provider", "template"))]
    pub(crate) template: Option<PathBuf>,

    /// Export only the pay in this currency (an ISO code such as USD)
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub(crate) currency: Option<Currency>,

    /// The earning in the payroll system: Gusto's column (commission, bonus or correction_payment;
    /// default commission), Xero's earnings rate or BrightPay's addition description (default "Class pay")
    #[arg(long, value_name = "NAME")]
    pub(crate) earning: Option<String>,

    #[command(flatten)]
    pub(crate) periods: PeriodArgs,

    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive; payroll's --to)
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match (the files are still written)
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    /// Rate policy file (TOML): counting, caps, empty-session pay, tier mode, rounding, venue currencies
    #[arg(long, value_name = "FILE")]
    pub(crate) rates: Option<PathBuf>,

    /// The file to write (atomically); with several currencies or periods, one file each, named
    /// STEM-CURRENCY-PERIODSTART.EXT beside it
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub(crate) output: PathBuf,

    /// Print no notes on stderr (errors are still printed)
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Also say on stderr how the input was read (rows, parallel workers)
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,

    /// Export files (.csv, .json, .ndjson, .jsonl), folders of them (read in name order), or - for stdin
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::try_from_code(text.trim())
        .map_err(|_| format!("expected an ISO 4217 currency code such as USD, but found {text:?}"))
}

/// One line of an import file: an instructor's pay in a period under one
/// earning code.
pub(crate) struct PayLine<'a> {
    /// The summary row it comes from.
    pub(crate) row: &'a PayrollRow,
    /// The template's earning code (empty for the fixed layouts).
    pub(crate) code: &'a str,
    /// Computed pay.
    pub(crate) amount: Decimal,
    /// Hours of the sessions.
    pub(crate) hours: Decimal,
    /// Sessions.
    pub(crate) sessions: u64,
    /// Counted customers of the sessions that are not pending.
    pub(crate) counted_customers: u64,
}

/// Runs `sessionpay export`.
pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let payroll = PayrollArgs {
        periods: args.periods,
        from: args.from,
        to: args.until,
        fail_on_mismatch: args.fail_on_mismatch,
        statements: None,
        input: InputArgs {
            rates: args.rates.clone(),
            columns_from: None,
            format: OutputFormat::Csv,
            output: Some(args.output.clone()),
            quiet: args.quiet,
            verbose: args.verbose,
            skip_invalid: None,
            allow_rejects: false,
            inputs: args.inputs.clone(),
        },
    };
    let mut notes = Notes::for_input(&payroll.input);
    let template = match (args.provider, &args.template) {
        (Provider::Template, Some(path)) => Some(Template::read(path)?),
        (Provider::Template, None) => anyhow::bail!("--to template needs --template FILE"),
        (other, Some(_)) => anyhow::bail!("--template is for --to template, not --to {}", other.name()),
        (_, None) => None,
    };
    let earning = earning(args)?;
    let people = People::read(&args.people)?;
    if let Some(t) = &template {
        t.check_people(&people)?;
    }

    let with_lines = template.as_ref().is_some_and(Template::splits);
    let run = commands::compute_payroll(&payroll, with_lines, &mut notes)?;
    let rows: Vec<&PayrollRow> = run
        .rows
        .iter()
        .filter(|r| args.currency.is_none_or(|c| r.currency == c))
        .collect();
    if let (Some(c), true, false) = (args.currency, rows.is_empty(), run.rows.is_empty()) {
        let found: BTreeSet<Currency> = run.rows.iter().map(|r| r.currency).collect();
        anyhow::bail!(
            "the payroll has no {c} pay; it has {}",
            list(found.iter().map(|c| c.code()))
        );
    }
    let lines = match &template {
        Some(t) if with_lines => split_by_earning(&rows, &run.lines, t)?,
        _ => rows
            .iter()
            .map(|row| PayLine {
                row,
                code: template.as_ref().map_or("", |t| t.default_code()),
                amount: row.totals.computed_pay,
                hours: row.totals.hours,
                sessions: row.totals.sessions,
                counted_customers: row.totals.counted_customers,
            })
            .collect(),
    };
    let unpaid: BTreeSet<(InstructorId, Period)> = rows
        .iter()
        .filter(|r| r.totals.computed_pay.is_zero())
        .map(|r| (r.instructor, r.period))
        .collect();
    // Nothing to pay is left out: a zero would overwrite what was entered by hand.
    let lines: Vec<PayLine<'_>> = lines.into_iter().filter(|l| !l.amount.is_zero()).collect();

    check_currencies(args.provider, template.as_ref(), &lines)?;
    check_people(&people, &lines, args.provider, template.as_ref())?;

    let mut groups: BTreeMap<(Currency, Period), Vec<PayLine<'_>>> = BTreeMap::new();
    for line in lines {
        groups
            .entry((line.row.currency, line.row.period))
            .or_default()
            .push(line);
    }
    let keys: Vec<(Currency, Period)> = groups.keys().copied().collect();
    let paths = file_names(&args.output, &keys);
    let mut files = Vec::with_capacity(paths.len().max(1));
    if groups.is_empty() {
        let currency = args
            .currency
            .or_else(|| Currency::try_from_code(args.provider.currencies()?.first()?).ok())
            .unwrap_or(Currency::USD);
        let bytes = render(args.provider, template.as_ref(), &earning, &people, currency, &[])?;
        files.push((args.output.clone(), bytes, 0usize, Decimal::ZERO, currency));
    }
    for (((currency, _), group), path) in groups.iter().zip(paths) {
        let bytes = render(
            args.provider,
            template.as_ref(),
            &earning,
            &people,
            *currency,
            group,
        )?;
        let instructors: BTreeSet<InstructorId> = group.iter().map(|l| l.row.instructor).collect();
        let mut total = Decimal::ZERO;
        for line in group {
            total = total
                .checked_add(line.amount)
                .context("an amount is too large to add up")?;
        }
        files.push((path, bytes, instructors.len(), total, *currency));
    }
    // Write every file before committing any, so a failure leaves no half set.
    let mut pending = Vec::with_capacity(files.len());
    for (path, bytes, ..) in &files {
        let mut file = AtomicFile::create(path)?;
        file.write_all(bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        pending.push(file);
    }
    for file in pending {
        file.commit()?;
    }

    if groups.is_empty() {
        notes.say(format!(
            "no pay to export: wrote {} with a header only",
            args.output.display()
        ));
    }
    for (path, _, instructors, total, currency) in files.iter().filter(|f| f.2 > 0) {
        notes.say(format!(
            "wrote {}: {instructors} instructor{}, {currency} {}",
            path.display(),
            if *instructors == 1 { "" } else { "s" },
            currency.format(*total)
        ));
    }
    if !unpaid.is_empty() {
        notes.say(format!(
            "{} instructor period(s) with no pay were left out",
            unpaid.len()
        ));
    }
    let pending: u64 = rows.iter().map(|r| r.totals.pending_sessions).sum();
    if pending > 0 {
        notes.say(format!(
            "{pending} pending session(s) are not in the amounts: TeamUp's figure is still provisional"
        ));
    }
    let mismatches: u64 = rows.iter().map(|r| r.totals.mismatched_sessions).sum();
    if mismatches > 0 {
        notes.say(format!(
            "{mismatches} session(s) do not match TeamUp's figure: run `sessionpay reconcile` for the reasons"
        ));
        if args.fail_on_mismatch {
            return Ok(Outcome::Mismatch);
        }
    }
    Ok(Outcome::Clean)
}

/// The earning name or column for the provider.
fn earning(args: &ExportArgs) -> anyhow::Result<String> {
    match (args.provider, args.earning.as_deref()) {
        (Provider::Gusto, None) => Ok(providers::GUSTO_EARNINGS[0].to_string()),
        (Provider::Gusto, Some(e)) => {
            let e = e.trim().to_ascii_lowercase().replace(' ', "_");
            anyhow::ensure!(
                providers::GUSTO_EARNINGS.contains(&e.as_str()),
                "--earning for gusto is the column to fill: {}; Gusto's CSV upload takes no custom earning types",
                providers::GUSTO_EARNINGS.join(", ")
            );
            Ok(e)
        }
        (Provider::Template, Some(_)) => {
            anyhow::bail!("--earning is not for --to template: the template's [earnings] gives the codes")
        }
        (Provider::Template, None) => Ok(String::new()),
        (_, Some(e)) if !e.trim().is_empty() => Ok(e.trim().to_string()),
        (_, Some(_)) => anyhow::bail!("--earning needs a name, such as \"Class pay\""),
        (_, None) => Ok("Class pay".to_string()),
    }
}

/// The bytes of one file.
fn render(
    provider: Provider,
    template: Option<&Template>,
    earning: &str,
    people: &People,
    currency: Currency,
    lines: &[PayLine<'_>],
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    match (provider, template) {
        (Provider::Gusto, _) => providers::gusto(lines, people, earning, &mut out),
        (Provider::Xero, _) => providers::xero(lines, people, earning, &mut out),
        (Provider::Brightpay, _) => providers::brightpay(lines, people, currency, earning, &mut out),
        (Provider::Template, Some(t)) => t.write(lines, people, &mut out)?,
        (Provider::Template, None) => anyhow::bail!("--to template needs --template FILE"),
    }
    Ok(out)
}

/// `-o` itself for one file; otherwise `STEM-CURRENCY-PERIODSTART.EXT` beside it.
fn file_names(output: &Path, groups: &[(Currency, Period)]) -> Vec<PathBuf> {
    if groups.len() <= 1 {
        return vec![output.to_path_buf()];
    }
    let stem = output
        .file_stem()
        .map_or_else(|| "export".into(), |s| s.to_string_lossy().into_owned());
    let ext = output
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    groups
        .iter()
        .map(|(currency, period)| output.with_file_name(format!("{stem}-{currency}-{}{ext}", period.start)))
        .collect()
}

/// Splits each row's pay by the template's earning codes, from its sessions.
fn split_by_earning<'a>(
    rows: &[&'a PayrollRow],
    lines: &'a [SessionLine],
    template: &'a Template,
) -> anyhow::Result<Vec<PayLine<'a>>> {
    let mut by_instructor: BTreeMap<InstructorId, Vec<&SessionLine>> = BTreeMap::new();
    for line in lines {
        by_instructor
            .entry(line.session.instructor)
            .or_default()
            .push(line);
    }
    let mut out = Vec::new();
    for row in rows {
        let mut by_code: BTreeMap<&str, PayLine<'a>> = BTreeMap::new();
        for line in by_instructor.get(&row.instructor).into_iter().flatten() {
            let s = &line.session;
            let date = local_date(s.starts_at, s.zone);
            if s.currency != row.currency || date < row.period.start || date > row.period.end {
                continue;
            }
            let code = template.earning_code(line);
            let entry = by_code.entry(code).or_insert_with(|| PayLine {
                row,
                code,
                amount: Decimal::ZERO,
                hours: Decimal::ZERO,
                sessions: 0,
                counted_customers: 0,
            });
            entry.sessions += 1;
            entry.hours = entry
                .hours
                .checked_add(s.hours)
                .context("hours too large to add up")?;
            if !s.pending {
                entry.amount = entry
                    .amount
                    .checked_add(line.pay.pay)
                    .context("an amount is too large to add up")?;
                entry.counted_customers += line.pay.counted.total;
            }
        }
        let amount: Decimal = by_code.values().map(|l| l.amount).sum();
        let sessions: u64 = by_code.values().map(|l| l.sessions).sum();
        anyhow::ensure!(
            amount == row.totals.computed_pay && sessions == row.totals.sessions,
            "internal error: instructor {}'s earnings for {} add up to {amount} over {sessions} sessions, \
             but the summary has {} over {}",
            row.instructor.0,
            row.period.start,
            row.totals.computed_pay,
            row.totals.sessions
        );
        out.extend(by_code.into_values());
    }
    Ok(out)
}

/// A list for messages: `a, b and c`.
fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Refuses pay in a currency the payroll system does not take.
fn check_currencies(
    provider: Provider,
    template: Option<&Template>,
    lines: &[PayLine<'_>],
) -> anyhow::Result<()> {
    let allowed: Option<Vec<Currency>> = match (provider.currencies(), template) {
        (Some(codes), _) => Some(
            codes
                .iter()
                .filter_map(|c| Currency::try_from_code(c).ok())
                .collect(),
        ),
        (None, Some(t)) => t.currencies.clone(),
        (None, None) => None,
    };
    let Some(allowed) = allowed else {
        return Ok(());
    };
    let mut refused: BTreeMap<Currency, BTreeSet<InstructorId>> = BTreeMap::new();
    for line in lines.iter().filter(|l| !allowed.contains(&l.row.currency)) {
        refused
            .entry(line.row.currency)
            .or_default()
            .insert(line.row.instructor);
    }
    if refused.is_empty() {
        return Ok(());
    }
    let what = match template {
        Some(t) => format!("the template {}", t.name),
        None => provider.name().to_string(),
    };
    let found: Vec<String> = refused
        .iter()
        .map(|(c, ids)| {
            format!(
                "{c} ({} instructor{})",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            )
        })
        .collect();
    let takes = list(allowed.iter().map(|c| c.code()));
    anyhow::bail!(
        "{what} takes {takes} pay only, but the payroll also has {}; export one currency at a time with --currency {}",
        list(found),
        allowed.first().map_or("CODE", |c| c.code())
    )
}

/// Every paid instructor needs a row in people.csv with the fields the
/// payroll system matches on.
fn check_people(
    people: &People,
    lines: &[PayLine<'_>],
    provider: Provider,
    template: Option<&Template>,
) -> anyhow::Result<()> {
    let shown = people.path().display();
    let mut paid: BTreeMap<InstructorId, (&str, BTreeSet<Currency>)> = BTreeMap::new();
    for line in lines {
        paid.entry(line.row.instructor)
            .or_insert_with(|| (&line.row.instructor_name, BTreeSet::new()))
            .1
            .insert(line.row.currency);
    }
    let missing: Vec<String> = paid
        .iter()
        .filter(|(id, _)| people.get(**id).is_none())
        .map(|(id, (name, _))| format!("{} ({name})", id.0))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "{shown}: no row for {} instructor{} with pay in the export: instructor_id {}",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" },
        list(&missing)
    );
    let mut required: Vec<String> = vec!["first_name".into(), "last_name".into()];
    if let Some(t) = template {
        required.extend(t.required_people_columns().into_iter().map(String::from));
    }
    for column in &required {
        let empty: Vec<String> = paid
            .keys()
            .filter_map(|id| {
                people
                    .get(*id)
                    .filter(|p| p.get(column).is_empty())
                    .map(|p| (id, p))
            })
            .map(|(id, p)| format!("{} (line {})", id.0, p.line))
            .collect();
        anyhow::ensure!(
            empty.is_empty(),
            "{shown}: {column} is empty for instructor_id {}; {} needs it",
            list(&empty),
            template.map_or(provider.name(), |t| t.name.as_str())
        );
    }
    if provider == Provider::Gusto {
        for id in paid.keys() {
            if let Some(p) = people.get(*id) {
                anyhow::ensure!(
                    providers::is_last_four(p.get("ssn")),
                    "{shown}: line {}, column \"ssn\": expected the last four digits of the SSN (such as *1234), \
                     not more: Gusto needs no more, and the file should not carry it",
                    p.line
                );
            }
        }
    }
    if matches!(provider, Provider::Gusto | Provider::Xero) {
        // Both match people by name: within one currency's files, a shared
        // name must be told apart (Gusto: by the last four SSN digits).
        let mut by_name: BTreeMap<(Currency, String, String), Vec<InstructorId>> = BTreeMap::new();
        for (id, (_, currencies)) in &paid {
            if let Some(p) = people.get(*id) {
                for currency in currencies {
                    by_name
                        .entry((
                            *currency,
                            p.get("first_name").to_lowercase(),
                            p.get("last_name").to_lowercase(),
                        ))
                        .or_default()
                        .push(*id);
                }
            }
        }
        for ((currency, _, _), ids) in by_name.iter().filter(|(_, ids)| ids.len() > 1) {
            let ids_text = list(ids.iter().map(|i| i.0.to_string()));
            let (first, last) = people
                .get(ids[0])
                .map_or(("", ""), |p| (p.get("first_name"), p.get("last_name")));
            if provider == Provider::Xero {
                anyhow::bail!(
                    "{shown}: instructors {ids_text} are all named {first} {last} and paid in {currency}; \
                     xero matches people by name, so give each the name they have in Xero"
                );
            }
            let without: Vec<String> = ids
                .iter()
                .filter(|id| people.get(**id).is_some_and(|p| p.get("ssn").is_empty()))
                .map(|id| id.0.to_string())
                .collect();
            anyhow::ensure!(
                without.is_empty(),
                "{shown}: instructors {ids_text} are all named {first} {last} and paid in {currency}; Gusto \
                 tells them apart by ssn (the last four digits), which is empty for {}",
                list(&without)
            );
        }
    }
    if provider == Provider::Brightpay {
        // BrightPay matches on every identity column the user selects, so a
        // blank NINO or PPSN would not match: say so now, not in BrightPay.
        for (id, (_, currencies)) in &paid {
            for currency in currencies {
                let (header, column) = providers::brightpay_identity(*currency);
                if people.has_column(column) {
                    if let Some(p) = people.get(*id).filter(|p| p.get(column).is_empty()) {
                        anyhow::bail!(
                            "{shown}: {column} is empty for instructor_id {} (line {}); the {currency} file's {header} \
                             column needs it, or leave the column out of people.csv to match by name and works number",
                            id.0,
                            p.line
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_groups_get_one_file_each_beside_the_output() {
        let gbp = Currency::try_from_code("GBP").unwrap();
        let d = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
        let p = |m| Period {
            start: d(m),
            end: d(m),
        };
        assert_eq!(
            file_names(Path::new("out/gusto.csv"), &[(gbp, p(5))]),
            [PathBuf::from("out/gusto.csv")]
        );
        assert_eq!(
            file_names(Path::new("out/gusto.csv"), &[(gbp, p(5)), (Currency::USD, p(5))]),
            [
                PathBuf::from("out/gusto-GBP-2026-05-01.csv"),
                PathBuf::from("out/gusto-USD-2026-05-01.csv")
            ]
        );
        assert_eq!(
            file_names(Path::new("PRABCEPI"), &[(gbp, p(5)), (gbp, p(6))]),
            [
                PathBuf::from("PRABCEPI-GBP-2026-05-01"),
                PathBuf::from("PRABCEPI-GBP-2026-06-01")
            ]
        );
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(list(["a"]), "a");
        assert_eq!(list(["a", "b"]), "a and b");
        assert_eq!(list(["a", "b", "c"]), "a, b and c");
    }
}
