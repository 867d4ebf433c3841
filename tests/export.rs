//! `sessionpay export`: each provider's file read as CSV the way its import
//! reads it, every amount against the CSV summary to the cent; people.csv
//! mistakes; one file per currency and period.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::util::{parse_csv, Table, TestDir};

fn conformance() -> TestDir {
    let dir = TestDir::new();
    dir.copy("conformance/report.csv");
    dir.copy("conformance/rates.toml");
    dir.copy("people/conformance.csv");
    dir
}

/// May 2026 of the conformance export, in one currency.
fn may(currency: &str) -> Vec<String> {
    window(currency, MAY)
}

const MAY: (&str, &str) = ("2026-05-01", "2026-05-31");
const MARCH: (&str, &str) = ("2026-03-01", "2026-03-31");

/// Some dates of the conformance export, in one currency.
fn window(currency: &str, (from, until): (&str, &str)) -> Vec<String> {
    [
        "--currency",
        currency,
        "--from",
        from,
        "--until",
        until,
        "--rates",
        "rates.toml",
        "report.csv",
    ]
    .map(String::from)
    .to_vec()
}

fn export(dir: &TestDir, first: &[&str], rest: &[String]) -> crate::util::Run {
    let mut a: Vec<&str> = vec!["export"];
    a.extend_from_slice(first);
    a.extend(rest.iter().map(String::as_str));
    dir.run(&a)
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("expected a decimal, found {text:?}"))
}

/// The CSV summary's computed pay of May 2026 in `currency`, by instructor id.
fn summary(dir: &TestDir, currency: &str) -> BTreeMap<String, Decimal> {
    summary_of(dir, currency, MAY)
}

/// The CSV summary's computed pay between two dates in `currency`, by instructor id.
fn summary_of(dir: &TestDir, currency: &str, (from, to): (&str, &str)) -> BTreeMap<String, Decimal> {
    let run = dir.run(&[
        "payroll",
        "-q",
        "--from",
        from,
        "--to",
        to,
        "--rates",
        "rates.toml",
        "report.csv",
    ]);
    run.assert_code(0);
    let t = Table::parse(&run.out());
    t.rows
        .iter()
        .filter(|r| r[t.column("currency")] == currency)
        .map(|r| {
            (
                r[t.column("instructor_id")].clone(),
                dec(&r[t.column("computed_pay")]),
            )
        })
        .filter(|(_, pay)| !pay.is_zero())
        .collect()
}

/// people.csv's instructor id by some of its columns, among the `paid` ids
/// (two instructors may share a name, but not in one file).
fn people_by(dir: &TestDir, key: &[&str], paid: &BTreeMap<String, Decimal>) -> BTreeMap<Vec<String>, String> {
    let t = Table::parse(&String::from_utf8(dir.read("conformance.csv")).unwrap());
    t.rows
        .iter()
        .filter(|r| paid.contains_key(&r[t.column("instructor_id")]))
        .map(|r| {
            (
                key.iter().map(|k| r[t.column(k)].clone()).collect(),
                r[t.column("instructor_id")].clone(),
            )
        })
        .collect()
}

/// Checks that a file pays exactly the summary: one line per paid
/// instructor, identified by `key` columns of the file (people.csv's `by`).
fn assert_pays_the_summary(
    dir: &TestDir,
    file: &Table,
    key: &[&str],
    by: &[&str],
    amount: &str,
    currency: &str,
) {
    let expected = summary(dir, currency);
    let who = people_by(dir, by, &expected);
    let mut paid: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &file.rows {
        let k: Vec<String> = key.iter().map(|c| row[file.column(c)].clone()).collect();
        let id = who.get(&k).unwrap_or_else(|| panic!("{k:?} is in people.csv"));
        let text = &row[file.column(amount)];
        // Plain decimals at the minor unit: no symbol, no grouping.
        assert!(
            text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && text.split('.').nth(1).map(str::len) == Some(2),
            "{text:?}"
        );
        assert!(paid.insert(id.clone(), dec(text)).is_none(), "one line for {id}");
    }
    assert_eq!(paid, expected, "every paid instructor, to the cent");
}

#[test]
fn gusto_gets_one_row_per_paid_instructor_matching_the_summary() {
    let dir = conformance();
    let run = export(
        &dir,
        &["--to", "gusto", "--people", "conformance.csv", "-o", "gusto.csv"],
        &may("USD"),
    );
    run.assert_code(0);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("sessionpay: wrote gusto.csv: 16 instructors, USD "),
        "{}",
        run.stderr
    );
    let text = String::from_utf8(dir.read("gusto.csv")).unwrap();
    assert!(text.contains("\r\n"), "CRLF line ends");
    let file = Table::parse(&text);
    assert_eq!(
        file.header,
        [
            "first_name",
            "last_name",
            "ssn",
            "gusto_employee_id",
            "title",
            "commission"
        ]
    );
    assert_pays_the_summary(
        &dir,
        &file,
        &["gusto_employee_id"],
        &["gusto_employee_id"],
        "commission",
        "USD",
    );
    // Two instructors are named Olu Müller: the last four SSN digits tell them apart.
    let olus: Vec<String> = file
        .rows
        .iter()
        .filter(|r| r[0] == "Olu" && r[1] == "Müller")
        .map(|r| r[2].clone())
        .collect();
    assert!(
        olus.len() == 2 && olus.iter().all(|s| s.len() == 5 && s.starts_with('*')),
        "{olus:?}"
    );
    // Without them, Gusto could not tell the two apart.
    let people = String::from_utf8(dir.read("conformance.csv")).unwrap();
    let blank: String = people
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            if l.starts_with("1004,") {
                f[3] = "";
                f.join(",")
            } else if l.starts_with("1010,") {
                (f[1], f[2]) = ("Jo", "Singh");
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    dir.write("blank.csv", blank);
    export(&dir, &["--to", "gusto", "--people", "blank.csv", "-o", "x.csv"], &may("USD")).assert_error(
        "blank.csv: instructors 1004 and 1035 are all named Olu Müller and paid in USD; Gusto tells them apart \
         by ssn (the last four digits), which is empty for 1004",
    );
    // Xero matches by name only.
    export(&dir, &["--to", "xero", "--people", "blank.csv", "-o", "x.csv"], &may("GBP")).assert_error(
        "blank.csv: instructors 1008 and 1010 are all named Jo Singh and paid in GBP; xero matches people by \
         name, so give each the name they have in Xero",
    );
    // Another bucket on request.
    export(
        &dir,
        &[
            "--to",
            "gusto",
            "--earning",
            "bonus",
            "--people",
            "conformance.csv",
            "-o",
            "b.csv",
        ],
        &may("USD"),
    )
    .assert_code(0);
    assert_eq!(
        Table::parse(&String::from_utf8(dir.read("b.csv")).unwrap()).header[5],
        "bonus"
    );
}

#[test]
fn xero_gets_units_of_the_amount_dated_the_period_end() {
    let dir = conformance();
    export(
        &dir,
        &["--to", "xero", "--people", "conformance.csv", "-o", "xero.csv"],
        &may("GBP"),
    )
    .assert_code(0);
    let file = Table::parse(&String::from_utf8(dir.read("xero.csv")).unwrap());
    assert_eq!(file.header, ["first_name", "last_name", "date", "hours", "type"]);
    assert!(file.values("date").iter().all(|d| *d == "2026-05-31"));
    assert!(file.values("type").iter().all(|t| *t == "Class pay"));
    assert_pays_the_summary(
        &dir,
        &file,
        &["first_name", "last_name"],
        &["first_name", "last_name"],
        "hours",
        "GBP",
    );
}

#[test]
fn brightpay_uses_the_nino_in_the_uk_and_the_ppsn_in_ireland() {
    let dir = conformance();
    for (currency, identity, column) in [("GBP", "NI Number", "nino"), ("EUR", "PPS Number", "ppsn")] {
        let name = format!("bp-{currency}.csv");
        export(
            &dir,
            &[
                "--to",
                "brightpay",
                "--earning",
                "Class fees",
                "--people",
                "conformance.csv",
                "-o",
                &name,
            ],
            &may(currency),
        )
        .assert_code(0);
        let file = Table::parse(&String::from_utf8(dir.read(&name)).unwrap());
        assert_eq!(
            file.header,
            [
                "Works Number",
                "First Name",
                "Surname",
                identity,
                "Description",
                "Amount"
            ]
        );
        assert!(file.values("Description").iter().all(|d| *d == "Class fees"));
        assert_pays_the_summary(&dir, &file, &[identity], &[column], "Amount", currency);
    }
}

#[test]
fn templates_write_adp_paychex_and_sage_files() {
    let dir = conformance();
    for name in ["adp.toml", "paychex.toml", "sage.toml"] {
        let from = crate::util::repo().join("examples/templates").join(name);
        std::fs::copy(from, dir.path().join(name)).unwrap();
    }
    let template = |t: &str, out: &str, currency: &str| {
        export(
            &dir,
            &[
                "--to",
                "template",
                "--template",
                t,
                "--people",
                "conformance.csv",
                "-o",
                out,
            ],
            &may(currency),
        )
    };
    template("adp.toml", "PRABCEPI.csv", "USD").assert_code(0);
    let adp = Table::parse(&String::from_utf8(dir.read("PRABCEPI.csv")).unwrap());
    assert_eq!(
        adp.header,
        [
            "Co Code",
            "Batch ID",
            "File #",
            "Earnings 3 Code",
            "Earnings 3 Amount"
        ]
    );
    assert!(adp
        .rows
        .iter()
        .all(|r| r[0] == "ABC" && r[1] == "SP053126" && r[3] == "CLS"));
    assert_pays_the_summary(
        &dir,
        &adp,
        &["File #"],
        &["file_number"],
        "Earnings 3 Amount",
        "USD",
    );

    template("paychex.toml", "spi.csv", "USD").assert_code(0);
    let spi = Table::parse(&String::from_utf8(dir.read("spi.csv")).unwrap());
    assert_eq!(spi.header.len(), 16, "every SPI column, even when empty");
    assert_eq!(spi.header[4], "PAY COMPONENT");
    assert_pays_the_summary(&dir, &spi, &["WORKER ID"], &["worker_id"], "AMOUNT", "USD");

    // Sage has no header row: add the column names to read it.
    template("sage.toml", "sage.csv", "GBP").assert_code(0);
    let text = String::from_utf8(dir.read("sage.csv")).unwrap();
    assert!(text.starts_with("2,"), "no header: {text}");
    let sage = Table::parse(&format!(
        "type,employee_number,payment,department,cost_centre,value,rate\r\n{text}"
    ));
    assert!(sage.values("payment").iter().all(|p| *p == "5"));
    assert_pays_the_summary(
        &dir,
        &sage,
        &["employee_number"],
        &["employee_number"],
        "value",
        "GBP",
    );

    // A template that names its currencies refuses others.
    let run = template("sage.toml", "sage-usd.csv", "USD");
    run.assert_error(
        "the template Sage 50 Payroll multi-timesheet takes GBP and EUR pay only, not USD (--currency USD); \
         export one currency at a time with --currency GBP",
    );
}

#[test]
fn template_earning_codes_split_the_pay_by_session_type_and_rate() {
    let dir = conformance();
    dir.write(
        "split.toml",
        "delimiter = \";\"\nline_ending = \"lf\"\ndate_format = \"%d/%m/%Y\"\n\
         [earnings]\ndefault = \"CLASS\"\ncourse_session = \"COURSE\"\nrates = { 15 = \"CAMDEN\" }\n\
         [[columns]]\nheader = \"id\"\nfield = \"instructor_id\"\n\
         [[columns]]\nheader = \"name\"\nfield = \"full_name\"\n\
         [[columns]]\nheader = \"from\"\nfield = \"period_start\"\n\
         [[columns]]\nheader = \"code\"\nfield = \"earning_code\"\n\
         [[columns]]\nheader = \"sessions\"\nfield = \"sessions\"\n\
         [[columns]]\nheader = \"amount\"\nfield = \"amount\"\n",
    );
    export(
        &dir,
        &[
            "--to",
            "template",
            "--template",
            "split.toml",
            "--people",
            "conformance.csv",
            "-o",
            "split.csv",
        ],
        &window("GBP", MARCH),
    )
    .assert_code(0);
    let text = String::from_utf8(dir.read("split.csv")).unwrap();
    assert!(!text.contains('\r'));
    let rows: Vec<Vec<String>> = parse_csv(&text.replace(';', ","));
    assert_eq!(rows[0], ["id", "name", "from", "code", "sessions", "amount"]);
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    let mut paid: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &rows[1..] {
        assert_eq!(row[2], "01/03/2026");
        *by_code.entry(row[3].clone()).or_default() += 1;
        *paid.entry(row[0].clone()).or_default() += dec(&row[5]);
    }
    assert_eq!(
        by_code.keys().collect::<Vec<_>>(),
        ["CAMDEN", "CLASS", "COURSE"],
        "{text}"
    );
    assert_eq!(
        paid,
        summary_of(&dir, "GBP", MARCH),
        "the lines of each instructor add up to the summary"
    );
}

#[test]
fn instructors_missing_from_people_are_all_listed_and_nothing_is_written() {
    let dir = conformance();
    dir.copy("people/conformance_missing_two.csv");
    let run = export(
        &dir,
        &[
            "--to",
            "gusto",
            "--people",
            "conformance_missing_two.csv",
            "-o",
            "gusto.csv",
        ],
        &may("USD"),
    );
    run.assert_error(
        "conformance_missing_two.csv: no row for 2 instructors with pay in the export: \
         instructor_id 1027 (Gus Ní Bhriain) and 1029 (Kofi Nakamura)",
    );
    assert!(!dir.listing().iter().any(|n| n.starts_with("gusto")));
}

#[test]
fn several_currencies_or_periods_give_one_file_each() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    dir.copy("people/shapes.csv");
    let run = dir.run(&[
        "export",
        "--to",
        "gusto",
        "--people",
        "shapes.csv",
        "--rates",
        "venues.toml",
        "-o",
        "out.csv",
        "periods.csv",
    ]);
    run.assert_code(0);
    assert_eq!(
        dir.listing(),
        [
            "out-USD-2026-03-01.csv",
            "out-USD-2026-04-01.csv",
            "periods.csv",
            "shapes.csv",
            "venues.toml"
        ]
    );
    let payroll = Table::parse(
        &dir.run(&["payroll", "-q", "--rates", "venues.toml", "periods.csv"])
            .out(),
    );
    for (file, start) in [
        ("out-USD-2026-03-01.csv", "2026-03-01"),
        ("out-USD-2026-04-01.csv", "2026-04-01"),
    ] {
        let t = Table::parse(&String::from_utf8(dir.read(file)).unwrap());
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][..2], ["Kai", "Moreno"]);
        assert_eq!(t.rows[0][2], "*4321");
        assert_eq!(t.rows[0][5], payroll.cell("period_start", start, "computed_pay"));
    }

    // Two currencies in one period: BrightPay's GBP and EUR files.
    dir.copy("shapes/dot_headers.csv");
    let run = dir.run(&[
        "export",
        "--to",
        "brightpay",
        "--period",
        "all",
        "--people",
        "shapes.csv",
        "-o",
        "bp.csv",
        "dot_headers.csv",
    ]);
    run.assert_code(0);
    let gbp = Table::parse(&String::from_utf8(dir.read("bp-GBP-2026-05-02.csv")).unwrap());
    let eur = Table::parse(&String::from_utf8(dir.read("bp-EUR-2026-05-02.csv")).unwrap());
    assert_eq!(gbp.rows[0][..4], ["W007", "Siobhán", "O'Brien", "QQ123456C"]);
    assert_eq!(eur.header[3], "PPS Number");
    assert_eq!(eur.rows[0][..4], ["W008", "Zoë", "Ng, \"Z\"", "1234567T"]);
    let same = dir.run(&[
        "export",
        "--to",
        "brightpay",
        "--period",
        "all",
        "--people",
        "shapes.csv",
        "-o",
        "again.csv",
        "dot_headers.csv",
    ]);
    same.assert_code(0);
    assert_eq!(
        dir.read("again-GBP-2026-05-02.csv"),
        dir.read("bp-GBP-2026-05-02.csv"),
        "deterministic"
    );
}

#[test]
fn people_mistakes_and_provider_rules_are_errors() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let run_with = |people: &str, extra: &[&str]| {
        dir.write("p.csv", people);
        let mut a = vec![
            "export",
            "--people",
            "p.csv",
            "--rates",
            "venues.toml",
            "--period",
            "all",
            "-o",
            "o.csv",
        ];
        a.extend_from_slice(extra);
        a.push("periods.csv");
        dir.run(&a)
    };
    run_with(
        "instructor_id,first_name,last_name\n9,,Moreno\n",
        &["--to", "gusto"],
    )
    .assert_error("p.csv: first_name is empty for instructor_id 9 (line 2); gusto needs it");
    run_with(
        "instructor_id,first_name,last_name,ssn\n9,Kai,Moreno,123-45-6789\n",
        &["--to", "gusto"],
    )
    .assert_error(
        "p.csv: line 2, column \"ssn\": expected the last four digits of the SSN (such as *1234), not more: \
         Gusto needs no more, and the file should not carry it",
    );
    run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "xero"],
    )
    .assert_error(
        "xero takes GBP, AUD and NZD pay only, but the payroll also has USD (1 instructor); \
         the payroll has no pay in GBP, AUD and NZD, so none of it can go to xero",
    );
    run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "gusto", "--currency", "EUR"],
    )
    .assert_error("the payroll has no EUR pay; it has USD");
    run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "gusto", "--earning", "tips"],
    )
    .assert_error(
        "--earning for gusto is the column to fill: commission, bonus, correction_payment; \
         Gusto's CSV upload takes no custom earning types",
    );
    run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "gusto", "--template", "t.toml"],
    )
    .assert_error("--template is for --to template, not --to gusto");
    let usage = run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "template"],
    );
    usage.assert_code(2);
    assert!(usage.stderr.contains("--template <FILE>"), "{}", usage.stderr);
    // A template that reads a column people.csv lacks.
    dir.write(
        "t.toml",
        "[earnings]\ndefault = \"X\"\n[[columns]]\nheader = \"File #\"\nperson = \"file_number\"\n",
    );
    run_with(
        "instructor_id,first_name,last_name\n9,Kai,Moreno\n",
        &["--to", "template", "--template", "t.toml"],
    )
    .assert_error("p.csv: no file_number column, which the template t.toml reads for \"File #\"");
    assert!(
        !dir.listing()
            .iter()
            .any(|n| n.starts_with("o.csv") || n.starts_with("o-")),
        "no output after an error"
    );
    // A formula in people.csv is written as text.
    run_with(
        "instructor_id,first_name,last_name\n9,=cmd|' /C calc'!A0,Moreno\n",
        &["--to", "gusto"],
    )
    .assert_code(0);
    let file = Table::parse(&String::from_utf8(dir.read("o.csv")).unwrap());
    assert_eq!(file.rows[0][0], "'=cmd|' /C calc'!A0");
}

#[test]
fn export_help_names_every_provider() {
    let dir = TestDir::new();
    let run = dir.run(&["export", "--help"]);
    run.assert_code(0);
    let help = run.out();
    for word in [
        "gusto",
        "xero",
        "brightpay",
        "template",
        "--people",
        "--until",
        "EXIT STATUS",
    ] {
        assert!(help.contains(word), "export --help lacks {word:?}:\n{help}");
    }
}
