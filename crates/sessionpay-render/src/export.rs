//! The payroll as the file a payroll system imports.
//!
//! Each instructor with pay in a period becomes a row of Gusto's payroll
//! CSV, the UpSheets-style CSV used with Xero, BrightPay's Additions CSV, or
//! a layout described by a TOML [`Template`] (ADP, Paychex, Sage, ...).
//! [`People`] says who each TeamUp instructor is in the payroll system. One
//! file is made per currency and pay period.

pub(crate) mod people;
pub(crate) mod providers;
pub(crate) mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use sessionpay_core::{Currency, InstructorId, LineRows, PayrollRow, Period, SessionLine};

use self::people::People;
use self::providers::GUSTO_CORRECTION;
use self::template::Template;
use crate::error::{Error, Result, AMOUNT_OVERFLOW};

/// Refuses the export with a message ([`Error::Refused`]).
macro_rules! refuse {
    ($($message:tt)*) => {
        return Err(Error::Refused(format!($($message)*)))
    };
}

/// Refuses the export unless a condition holds.
macro_rules! require {
    ($condition:expr, $($message:tt)*) => {
        if !$condition {
            refuse!($($message)*);
        }
    };
}

/// The payroll systems an export is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Gusto's payroll CSV upload (US, USD).
    Gusto,
    /// The UpSheets timesheet CSV used with Xero Payroll (UK, AU, NZ).
    Xero,
    /// BrightPay's Additions CSV import (UK GBP, Ireland EUR).
    Brightpay,
    /// Columns, header, date format and earning codes from a [`Template`].
    Template,
}

impl Provider {
    /// The name, as messages give it (`gusto`).
    pub fn name(self) -> &'static str {
        match self {
            Provider::Gusto => "gusto",
            Provider::Xero => "xero",
            Provider::Brightpay => "brightpay",
            Provider::Template => "template",
        }
    }

    /// The currencies a fixed layout takes; `None` for any.
    pub fn currencies(self) -> Option<&'static [&'static str]> {
        match self {
            Provider::Gusto => Some(&["USD"]),
            Provider::Xero => Some(&["GBP", "AUD", "NZD"]),
            Provider::Brightpay => Some(&["GBP", "EUR"]),
            Provider::Template => None,
        }
    }
}

/// What to export, and how.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions<'a> {
    /// The payroll system.
    pub provider: Provider,
    /// The template, for [`Provider::Template`] (and only for it).
    pub template: Option<&'a Template>,
    /// The earning: Gusto's column, Xero's earnings rate or BrightPay's
    /// addition description; empty for a template, whose codes it gives.
    pub earning: &'a str,
    /// Only the pay in this currency, if given.
    pub currency: Option<Currency>,
    /// The file to write: itself for one file, else the base of
    /// `STEM-CURRENCY-PERIODSTART.EXT` beside it.
    pub output: &'a Path,
    /// With a ledger, the adjustment carried into each of the rows (in
    /// their order): the file pays each row's pay plus it. Gusto gets it in
    /// its own `correction_payment` column unless the earning is that column.
    pub adjustments: Option<&'a [Decimal]>,
}

/// One import file, rendered.
#[derive(Debug)]
pub struct ExportFile {
    /// Where it goes.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The instructors paid in it (0 for a header-only file).
    pub instructors: usize,
    /// The pay in it.
    pub total: Decimal,
    /// Its currency.
    pub currency: Currency,
}

/// The files of an export and what was left out of them.
#[derive(Debug)]
pub struct Export {
    /// The files, in order of currency and period. With no pay to export,
    /// one file with a header only.
    pub files: Vec<ExportFile>,
    /// Whether there was no pay to export.
    pub empty: bool,
    /// Instructor periods with no pay, left out (a zero would overwrite what
    /// was entered by hand).
    pub unpaid: usize,
    /// Pending sessions, whose pay is not in the amounts.
    pub pending: u64,
    /// Sessions whose pay does not match TeamUp's figure.
    pub mismatches: u64,
}

/// Whether the export needs the session lines, not only the summary rows:
/// a template whose earning codes split a row's pay.
pub fn needs_lines(template: Option<&Template>) -> bool {
    template.is_some_and(Template::splits)
}

/// One line of an import file: an instructor's pay in a period under one
/// earning code.
pub(crate) struct PayLine<'a> {
    /// The summary row it comes from.
    pub(crate) row: &'a PayrollRow,
    /// The template's earning code (empty for the fixed layouts).
    pub(crate) code: &'a str,
    /// Computed pay (with a ledger, plus the adjustment unless that has a column of its own).
    pub(crate) amount: Decimal,
    /// The adjustment carried in, when it has a column of its own (Gusto's `correction_payment`).
    pub(crate) correction: Option<Decimal>,
    /// Hours of the sessions.
    pub(crate) hours: Decimal,
    /// Sessions.
    pub(crate) sessions: u64,
    /// Counted customers of the sessions that are not pending.
    pub(crate) counted_customers: u64,
}

/// Renders the import files of a payroll: `rows` sorted as the payroll
/// gives them, `lines` every session in range and `line_rows` the row of
/// each (needed only when [`needs_lines`]).
///
/// # Errors
/// No pay in the currency asked for, a currency the payroll system does not take, a paid instructor missing
/// from `people` or without the fields the system matches on, or a date
/// the template cannot write.
pub fn export(
    all_rows: &[PayrollRow],
    lines: &[SessionLine],
    line_rows: &LineRows,
    people: &People,
    options: &ExportOptions<'_>,
) -> Result<Export> {
    let template = options.template;
    let in_currency = |r: &PayrollRow| options.currency.is_none_or(|c| r.currency == c);
    let rows: Vec<&PayrollRow> = all_rows.iter().filter(|r| in_currency(r)).collect();
    if let (Some(c), true, false) = (options.currency, rows.is_empty(), all_rows.is_empty()) {
        let found: BTreeSet<Currency> = all_rows.iter().map(|r| r.currency).collect();
        refuse!(
            "the payroll has no {c} pay; it has {}",
            list(found.iter().map(|c| c.code()))
        );
    }
    let split = options.provider == Provider::Gusto && options.earning != GUSTO_CORRECTION;
    let adjustment_of = |row: &PayrollRow, index: usize| -> Result<(Decimal, Option<Decimal>)> {
        match options.adjustments.and_then(|a| a.get(index)).copied() {
            None => Ok((row.totals.computed_pay, None)),
            Some(adjustment) if split => Ok((row.totals.computed_pay, Some(adjustment))),
            Some(adjustment) => Ok((
                row.totals
                    .computed_pay
                    .checked_add(adjustment)
                    .ok_or(AMOUNT_OVERFLOW)?,
                None,
            )),
        }
    };
    let pay_lines = match template {
        Some(t) if t.splits() => {
            let by_row = line_rows.group(lines)?;
            let rows = all_rows.iter().zip(by_row).filter(|(r, _)| in_currency(r));
            split_by_earning(rows, t)?
        }
        _ => all_rows
            .iter()
            .enumerate()
            .filter(|(_, r)| in_currency(r))
            .map(|(index, row)| {
                let (amount, correction) = adjustment_of(row, index)?;
                Ok(PayLine {
                    row,
                    code: template.map_or("", |t| t.default_code()),
                    amount,
                    correction,
                    hours: row.totals.hours,
                    sessions: row.totals.sessions,
                    counted_customers: row.totals.counted_customers,
                })
            })
            .collect::<Result<_>>()?,
    };
    let mut unpaid: BTreeSet<(InstructorId, Period)> = BTreeSet::new();
    for (index, row) in all_rows.iter().enumerate().filter(|(_, r)| in_currency(r)) {
        let (amount, correction) = adjustment_of(row, index)?;
        if amount.is_zero() && correction.is_none_or(|c| c.is_zero()) {
            unpaid.insert((row.instructor, row.period));
        }
    }
    // Nothing to pay is left out: a zero would overwrite what was entered by hand.
    let pay_lines: Vec<PayLine<'_>> = pay_lines
        .into_iter()
        .filter(|l| !l.amount.is_zero() || l.correction.is_some_and(|c| !c.is_zero()))
        .collect();

    let present: BTreeSet<Currency> = all_rows
        .iter()
        .filter(|r| !r.totals.computed_pay.is_zero())
        .map(|r| r.currency)
        .collect();
    check_currencies(
        options.provider,
        template,
        &pay_lines,
        (options.currency, &present),
    )?;
    check_people(people, &pay_lines, options.provider, template)?;

    let mut groups: BTreeMap<(Currency, Period), Vec<PayLine<'_>>> = BTreeMap::new();
    for line in pay_lines {
        groups
            .entry((line.row.currency, line.row.period))
            .or_default()
            .push(line);
    }
    let keys: Vec<(Currency, Period)> = groups.keys().copied().collect();
    let paths = file_names(options.output, &keys);
    let mut files = Vec::with_capacity(paths.len().max(1));
    if groups.is_empty() {
        let currency = options
            .currency
            .or_else(|| Currency::try_from_code(options.provider.currencies()?.first()?).ok())
            .unwrap_or(Currency::USD);
        let bytes = render(
            options,
            people,
            currency,
            &[],
            split && options.adjustments.is_some(),
        )?;
        files.push(ExportFile {
            path: options.output.to_path_buf(),
            bytes,
            instructors: 0,
            total: Decimal::ZERO,
            currency,
        });
    }
    for (((currency, _), group), path) in groups.iter().zip(paths) {
        let bytes = render(
            options,
            people,
            *currency,
            group,
            split && options.adjustments.is_some(),
        )?;
        let instructors: BTreeSet<InstructorId> = group.iter().map(|l| l.row.instructor).collect();
        let mut total = Decimal::ZERO;
        for line in group {
            total = total.checked_add(line.amount).ok_or(AMOUNT_OVERFLOW)?;
            if let Some(correction) = line.correction {
                total = total.checked_add(correction).ok_or(AMOUNT_OVERFLOW)?;
            }
        }
        files.push(ExportFile {
            path,
            bytes,
            instructors: instructors.len(),
            total,
            currency: *currency,
        });
    }
    Ok(Export {
        files,
        empty: groups.is_empty(),
        unpaid: unpaid.len(),
        pending: rows.iter().map(|r| r.totals.pending_sessions).sum(),
        mismatches: rows.iter().map(|r| r.totals.mismatched_sessions).sum(),
    })
}

/// The bytes of one file.
fn render(
    options: &ExportOptions<'_>,
    people: &People,
    currency: Currency,
    lines: &[PayLine<'_>],
    corrections: bool,
) -> Result<Vec<u8>> {
    let earning = options.earning;
    let mut out = Vec::new();
    match (options.provider, options.template) {
        (Provider::Gusto, _) if corrections => providers::gusto_corrected(lines, people, earning, &mut out)?,
        (Provider::Gusto, _) => providers::gusto(lines, people, earning, &mut out)?,
        (Provider::Xero, _) => providers::xero(lines, people, earning, &mut out)?,
        (Provider::Brightpay, _) => providers::brightpay(lines, people, currency, earning, &mut out)?,
        (Provider::Template, Some(t)) => t.write(lines, people, &mut out)?,
        (Provider::Template, None) => {
            return Err(Error::Refused("a template export needs a template".to_string()))
        }
    }
    Ok(out)
}

/// Appends one record: fields holding the delimiter, a quote, CR or LF, or
/// leading or trailing spaces, are quoted (spaces so that an import does not
/// trim them).
pub(crate) fn write_record<S: AsRef<str>>(
    out: &mut Vec<u8>,
    fields: &[S],
    delimiter: u8,
    crlf: bool,
) -> Result<()> {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        let f = field.as_ref();
        if f.is_empty() {
            continue;
        }
        let style = if f.starts_with(' ') || f.ends_with(' ') {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        };
        // A one-field record per field, for the quoting of each, without
        // its terminator; CRLF makes the writer quote a CR as well as an LF.
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::CRLF)
            .quote_style(style)
            .from_writer(Vec::with_capacity(f.len() + 4));
        writer.write_record([f]).map_err(csv_error)?;
        let bytes = writer.into_inner().map_err(|e| Error::Write(e.into_error()))?;
        out.extend_from_slice(bytes.strip_suffix(b"\r\n").unwrap_or(&bytes));
    }
    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
    Ok(())
}

/// A CSV writer's error (it writes into memory, so none is expected).
fn csv_error(e: csv::Error) -> Error {
    Error::Write(std::io::Error::other(e))
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
    rows: impl Iterator<Item = (&'a PayrollRow, Vec<&'a SessionLine>)>,
    template: &'a Template,
) -> Result<Vec<PayLine<'a>>> {
    let mut out = Vec::new();
    for (row, sessions) in rows {
        let mut by_code: BTreeMap<&str, PayLine<'a>> = BTreeMap::new();
        for line in sessions {
            let s = &line.session;
            let code = template.earning_code(line);
            let entry = by_code.entry(code).or_insert_with(|| PayLine {
                row,
                code,
                amount: Decimal::ZERO,
                correction: None,
                hours: Decimal::ZERO,
                sessions: 0,
                counted_customers: 0,
            });
            entry.sessions += 1;
            entry.hours = entry
                .hours
                .checked_add(s.hours)
                .ok_or(Error::Overflow("hours too large to add up"))?;
            if !s.pending {
                entry.amount = entry.amount.checked_add(line.pay.pay).ok_or(AMOUNT_OVERFLOW)?;
                entry.counted_customers += line.pay.counted.total;
            }
        }
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

/// Refuses pay in a currency the payroll system does not take, advising a
/// `--currency` it takes that the payroll (`present`) has pay in, if any.
fn check_currencies(
    provider: Provider,
    template: Option<&Template>,
    lines: &[PayLine<'_>],
    (asked, present): (Option<Currency>, &BTreeSet<Currency>),
) -> Result<()> {
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
    let usable: Vec<&Currency> = allowed.iter().filter(|c| present.contains(c)).collect();
    let advice = match usable.first() {
        Some(c) => format!("export one currency at a time with --currency {}", c.code()),
        None => format!("the payroll has no pay in {takes}, so none of it can go to {what}"),
    };
    match asked {
        Some(c) => refuse!("{what} takes {takes} pay only, not {c} (--currency {c}); {advice}"),
        None => refuse!(
            "{what} takes {takes} pay only, but the payroll also has {}; {advice}",
            list(found)
        ),
    }
}

/// Every paid instructor needs a row in people.csv with the fields the
/// payroll system matches on.
fn check_people(
    people: &People,
    lines: &[PayLine<'_>],
    provider: Provider,
    template: Option<&Template>,
) -> Result<()> {
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
        .map(|(id, (name, _))| format!("{} ({})", id.0, sessionpay_io::printable(name)))
        .collect();
    require!(
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
        require!(
            empty.is_empty(),
            "{shown}: {column} is empty for instructor_id {}; {} needs it",
            list(&empty),
            template.map_or(provider.name(), |t| t.name.as_str())
        );
    }
    if provider == Provider::Gusto {
        for id in paid.keys() {
            if let Some(p) = people.get(*id) {
                require!(
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
            let (first, last) = (sessionpay_io::printable(first), sessionpay_io::printable(last));
            if provider == Provider::Xero {
                refuse!(
                    "{shown}: instructors {ids_text} are all named {first} {last} and paid in {currency}; \
                     xero matches people by name, so give each the name they have in Xero"
                );
            }
            let without: Vec<String> = ids
                .iter()
                .filter(|id| people.get(**id).is_some_and(|p| p.get("ssn").is_empty()))
                .map(|id| id.0.to_string())
                .collect();
            require!(
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
                        refuse!(
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
    use chrono::NaiveDate;

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
    fn records_are_quoted_only_where_needed() {
        let mut out = Vec::new();
        write_record(
            &mut out,
            &["plain", "a,b", "say \"hi\"", " pad", "", "cr\r"],
            b',',
            true,
        )
        .unwrap();
        write_record(&mut out, &["a;b", "c,d", "two\nlines", "end "], b';', false).unwrap();
        write_record(&mut out, &["tab\there", "x"], b'\t', false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\" pad\",,\"cr\r\"\r\n\
             \"a;b\";c,d;\"two\nlines\";\"end \"\n\
             \"tab\there\"\tx\n"
        );
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(list(["a"]), "a");
        assert_eq!(list(["a", "b"]), "a and b");
        assert_eq!(list(["a", "b", "c"]), "a, b and c");
    }
}
