//! The fixed import layouts: Gusto's payroll CSV, the UpSheets-style CSV
//! used with Xero, and BrightPay's Additions CSV. Each writes one row per
//! instructor with pay in the period; the columns are in docs/OUTPUTS.md.

use rust_decimal::Decimal;
use sessionpay_core::Currency;

use super::people::People;
use super::{write_record, PayLine};
use crate::error::Result;

/// The Gusto columns that take money and suit per-class pay (Gusto's CSV
/// upload takes no custom earning types).
pub const GUSTO_EARNINGS: [&str; 3] = ["commission", "bonus", GUSTO_CORRECTION];

/// Gusto's column for a correction to an earlier payroll: where a ledger's
/// adjustments go unless the earning itself is that column.
pub const GUSTO_CORRECTION: &str = "correction_payment";

/// A comma-separated file with CRLF line ends: the header, then one record
/// per line.
fn write_csv<const N: usize>(
    out: &mut Vec<u8>,
    header: [&str; N],
    lines: &[PayLine<'_>],
    record: impl Fn(&PayLine<'_>) -> [String; N],
) -> Result<()> {
    write_record(out, &header, b',', true)?;
    for line in lines {
        write_record(out, &record(line), b',', true)?;
    }
    Ok(())
}

/// The people.csv columns every Gusto layout starts with, named as in Gusto.
const GUSTO_PERSON: [&str; 5] = ["first_name", "last_name", "ssn", "gusto_employee_id", "title"];

/// A Gusto CSV: [`GUSTO_PERSON`]'s columns, then `earnings`, whose cells
/// `amounts` gives for each line.
fn write_gusto<const N: usize>(
    out: &mut Vec<u8>,
    people: &People,
    lines: &[PayLine<'_>],
    earnings: [&str; N],
    amounts: impl Fn(&PayLine<'_>) -> [String; N],
) -> Result<()> {
    let header: Vec<&str> = GUSTO_PERSON.into_iter().chain(earnings).collect();
    write_record(out, &header, b',', true)?;
    for line in lines {
        let who = GUSTO_PERSON.map(|column| match person(people, line, column) {
            ssn if column == "ssn" => gusto_ssn(&ssn),
            value => value,
        });
        let record: Vec<String> = who.into_iter().chain(amounts(line)).collect();
        write_record(out, &record, b',', true)?;
    }
    Ok(())
}

/// `first_name,last_name,ssn,gusto_employee_id,title,<earning>`: names as
/// in Gusto; `ssn` (`*1234`) only matters when two people share a name.
pub(crate) fn gusto(lines: &[PayLine<'_>], people: &People, earning: &str, out: &mut Vec<u8>) -> Result<()> {
    write_gusto(out, people, lines, [earning], |line| {
        [line.row.currency.format(line.amount)]
    })
}

/// [`gusto`] with one more column, `correction_payment`, holding the
/// adjustment carried in; the earning column holds the period's own pay. A
/// zero is left blank: in Gusto's import a blank leaves a value entered by
/// hand alone, a zero would overwrite it.
pub(crate) fn gusto_corrected(
    lines: &[PayLine<'_>],
    people: &People,
    earning: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    let cell = |line: &PayLine<'_>, amount: Decimal| {
        if amount.is_zero() {
            String::new()
        } else {
            line.row.currency.format(amount)
        }
    };
    write_gusto(out, people, lines, [earning, GUSTO_CORRECTION], |line| {
        [
            cell(line, line.amount),
            cell(line, line.correction.unwrap_or_default()),
        ]
    })
}

/// The last four digits as Gusto wants them (`*1234`), from `1234` or `*1234`.
pub(crate) fn gusto_ssn(value: &str) -> String {
    match value.strip_prefix('*').unwrap_or(value) {
        "" => String::new(),
        digits => format!("*{digits}"),
    }
}

/// Whether an ssn cell holds only the last four digits (with or without `*`).
pub(crate) fn is_last_four(value: &str) -> bool {
    let digits = value.strip_prefix('*').unwrap_or(value);
    value.is_empty() || (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `first_name,last_name,date,hours,type`: one timesheet line per
/// instructor dated the period's last day, for a Xero earnings rate of type
/// "rate per unit" at 1.00 (units = the amount, so Xero pays it exactly).
pub(crate) fn xero(lines: &[PayLine<'_>], people: &People, earning: &str, out: &mut Vec<u8>) -> Result<()> {
    let header = ["first_name", "last_name", "date", "hours", "type"];
    write_csv(out, header, lines, |line| {
        let p = |c: &str| person(people, line, c);
        [
            p("first_name"),
            p("last_name"),
            line.row.period.end.to_string(),
            line.row.currency.format(line.amount),
            earning.to_string(),
        ]
    })
}

/// `Works Number,First Name,Surname,NI Number|PPS Number,Description,Amount`:
/// one addition per instructor; the identity column is the NINO for GBP
/// (BrightPay UK) and the PPSN for EUR (BrightPay Ireland).
pub(crate) fn brightpay(
    lines: &[PayLine<'_>],
    people: &People,
    currency: Currency,
    earning: &str,
    out: &mut Vec<u8>,
) -> Result<()> {
    let (id_header, id_column) = brightpay_identity(currency);
    let header = [
        "Works Number",
        "First Name",
        "Surname",
        id_header,
        "Description",
        "Amount",
    ];
    write_csv(out, header, lines, |line| {
        let p = |c: &str| person(people, line, c);
        [
            p("works_number"),
            p("first_name"),
            p("last_name"),
            p(id_column),
            earning.to_string(),
            line.row.currency.format(line.amount),
        ]
    })
}

/// BrightPay's national identity column for a currency: its header and the
/// people.csv column it comes from.
pub(crate) fn brightpay_identity(currency: Currency) -> (&'static str, &'static str) {
    if currency.code() == "EUR" {
        ("PPS Number", "ppsn")
    } else {
        ("NI Number", "nino")
    }
}

/// A people.csv value, safe from spreadsheet formulas.
fn person(people: &People, line: &PayLine<'_>, column: &str) -> String {
    let value = people.get(line.row.instructor).map_or("", |p| p.get(column));
    sessionpay_io::neutralise(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gusto_ssns_are_the_last_four_digits_with_a_star() {
        assert_eq!(gusto_ssn("1234"), "*1234");
        assert_eq!(gusto_ssn("*1234"), "*1234");
        assert_eq!(gusto_ssn(""), "");
        assert!(is_last_four("*0042") && is_last_four("0042") && is_last_four(""));
        assert!(!is_last_four("123-45-6789") && !is_last_four("12a4") && !is_last_four("*12345"));
    }
}
