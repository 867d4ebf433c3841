//! The payroll as people read it: the spreadsheet opened with a reader crate,
//! the report page and the statements read as HTML; every amount against the
//! CSV summary, exactly.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{open_workbook, Data, Range, Reader, Xlsx};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::util::{Table, TestDir};

/// The conformance export and policy, copied into a test folder.
fn conformance() -> TestDir {
    let dir = TestDir::new();
    dir.copy("conformance/report.csv");
    dir.copy("conformance/rates.toml");
    dir
}

const INPUT: [&str; 3] = ["--rates", "rates.toml", "report.csv"];

fn args<'a>(first: &[&'a str]) -> Vec<&'a str> {
    let mut all = first.to_vec();
    all.extend_from_slice(&INPUT);
    all
}

fn dec(text: &str) -> Decimal {
    text.parse()
        .unwrap_or_else(|_| panic!("expected a decimal, found {text:?}"))
}

/// The CSV summary of the same run.
fn csv_summary(dir: &TestDir, extra: &[&str]) -> Table {
    let mut a = vec!["payroll", "-q"];
    a.extend_from_slice(extra);
    let run = dir.run(&args(&a));
    run.assert_code(0);
    Table::parse(&run.out())
}

/// Exact totals of a CSV column per currency.
fn totals_by_currency(table: &Table, column: &str) -> BTreeMap<String, Decimal> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    let c = table.column("currency");
    let v = table.column(column);
    for row in &table.rows {
        *out.entry(row[c].clone()).or_default() += dec(&row[v]);
    }
    out
}

/// A numeric cell as the exact decimal the file stores (its shortest form).
fn cell_decimal(cell: &Data) -> Decimal {
    match cell {
        Data::Float(f) => dec(&f.to_string()),
        Data::Int(i) => Decimal::from(*i),
        other => panic!("expected a number, found {other:?}"),
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

/// An Excel date cell as ISO text.
fn cell_date(cell: &Data) -> String {
    let Data::DateTime(dt) = cell else {
        panic!("expected a date, found {cell:?}")
    };
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    (epoch + chrono::Days::new(dt.as_f64() as u64)).to_string()
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut book: Xlsx<_> = open_workbook(path).expect("open the workbook");
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// The machine names of a sheet's columns, from the `Notes` sheet, checked
/// against the headings the sheet shows.
fn names(path: &Path, name: &str) -> Vec<String> {
    let notes = sheet(path, "Notes");
    let header: Vec<String> = notes.rows().next().unwrap().iter().map(cell_text).collect();
    assert_eq!(
        header,
        ["Sheet", "Column", "Heading", "Name in the CSV and JSON", "Note"]
    );
    let shown: Vec<String> = sheet(path, name)
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(cell_text)
        .collect();
    let mut out = Vec::new();
    for row in notes.rows().skip(1).filter(|r| cell_text(&r[0]) == name) {
        let col = out.len();
        assert_eq!(cell_text(&row[2]), shown[col], "{name} column {col}'s heading");
        out.push(cell_text(&row[3]));
    }
    assert_eq!(out.len(), shown.len(), "{name}: a note per column");
    out
}

/// An Excel date-time cell as ISO text to the second.
fn cell_datetime(cell: &Data) -> String {
    let Data::DateTime(dt) = cell else {
        panic!("expected a date-time, found {cell:?}")
    };
    assert!(dt.is_datetime(), "{dt:?}");
    // Days since Excel's epoch, the time of day as the fraction: to the nearest second.
    let seconds = (dt.as_f64() * 86_400.0).round() as i64;
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (epoch + chrono::TimeDelta::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// One part of the workbook's zip, as text.
fn zip_part(path: &Path, part: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(part).unwrap(), &mut text).unwrap();
    text
}

#[test]
fn spreadsheet_summary_equals_the_csv_to_the_cent_with_a_total_per_currency() {
    let dir = conformance();
    let csv = csv_summary(&dir, &[]);
    dir.run(&args(&[
        "payroll",
        "-q",
        "--format",
        "xlsx",
        "-o",
        "payroll.xlsx",
    ]))
    .assert_code(0);
    let path = dir.path().join("payroll.xlsx");
    let book: Xlsx<_> = open_workbook(&path).expect("open the workbook");
    assert_eq!(
        book.sheet_names(),
        ["Summary", "Sessions", "Differences", "Notes"]
    );

    let summary = sheet(&path, "Summary");
    let rows: Vec<&[Data]> = summary.rows().collect();
    let header: Vec<String> = rows[0].iter().map(cell_text).collect();
    assert_eq!(
        header[..4],
        ["Instructor ID", "Instructor", "Currency", "Period start"],
        "headings for people"
    );
    assert_eq!(
        names(&path, "Summary"),
        csv.header,
        "the Notes name the payroll columns of SPEC section 6"
    );
    let money = ["computed_pay", "reported_pay", "difference"];
    let counts = [
        "instructor_id",
        "sessions",
        "hours",
        "counted_customers",
        "mismatched_sessions",
        "pending_sessions",
        "unrated_sessions",
    ];
    for (n, expected) in csv.rows.iter().enumerate() {
        let got = rows[n + 1];
        for (i, column) in csv.header.iter().enumerate() {
            let cell = &got[i];
            let what = format!("row {} column {column}", n + 1);
            if money.contains(&column.as_str()) || counts.contains(&column.as_str()) {
                // Numeric cells: the stored number is the CSV's exact decimal.
                assert_eq!(cell_decimal(cell), dec(&expected[i]), "{what}");
            } else if column.starts_with("period_") {
                assert_eq!(cell_date(cell), expected[i], "{what}");
            } else {
                assert_eq!(cell_text(cell), expected[i], "{what}");
            }
        }
    }
    // A blank row, then one total row per currency with exact sums.
    assert!(rows[csv.rows.len() + 1].iter().all(|c| *c == Data::Empty));
    let totals = &rows[csv.rows.len() + 2..];
    let computed = totals_by_currency(&csv, "computed_pay");
    let reported = totals_by_currency(&csv, "reported_pay");
    let difference = totals_by_currency(&csv, "difference");
    let sessions = totals_by_currency(&csv, "sessions");
    assert_eq!(totals.len(), computed.len(), "one total row per currency");
    for row in totals {
        assert_eq!(cell_text(&row[0]), "total");
        let currency = cell_text(&row[2]);
        assert_eq!(cell_decimal(&row[8]), computed[&currency], "{currency} computed");
        assert_eq!(cell_decimal(&row[9]), reported[&currency], "{currency} reported");
        assert_eq!(
            cell_decimal(&row[10]),
            difference[&currency],
            "{currency} difference"
        );
        assert_eq!(cell_decimal(&row[5]), sessions[&currency], "{currency} sessions");
    }
}

#[test]
fn spreadsheet_sessions_and_differences_add_up_to_the_summary() {
    // A quarter of the conformance export keeps the test quick.
    let dir = conformance();
    let quarter = ["--from", "2026-04-01", "--to", "2026-06-30"];
    let csv = csv_summary(&dir, &quarter);
    let mut a = vec!["payroll", "-q", "--format", "xlsx", "-o", "p.xlsx"];
    a.extend_from_slice(&quarter);
    dir.run(&args(&a)).assert_code(0);
    let path = dir.path().join("p.xlsx");
    // The reconciliation of the same sessions (reconcile has no date window).
    let sessions = Table::parse(&dir.run(&args(&["sessions", "-q"])).out());
    let in_quarter = |r: &Vec<String>| {
        let start = &r[sessions.column("local_start")][..10];
        ("2026-04-01"..="2026-06-30").contains(&start)
    };
    let reconcile = Table {
        header: sessions.header.clone(),
        rows: sessions.rows.iter().filter(|r| in_quarter(r)).cloned().collect(),
    };

    let header = names(&path, "Sessions");
    let sessions = sheet(&path, "Sessions");
    let rows: Vec<&[Data]> = sessions.rows().collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len() - 1, reconcile.rows.len(), "every session is a line");
    let mut paid: BTreeMap<String, Decimal> = BTreeMap::new();
    for (row, expected) in rows[1..].iter().zip(&reconcile.rows) {
        if cell_text(&row[col("status")]) != "pending" {
            *paid.entry(cell_text(&row[col("currency")])).or_default() +=
                cell_decimal(&row[col("computed_pay")]);
        }
        // The start is a date-time cell of the local time; its offset is beside it.
        let start = &expected[reconcile.column("local_start")];
        let (local, offset) = start.split_at(19);
        assert_eq!(cell_datetime(&row[col("local_start")]), local, "{start}");
        assert_eq!(cell_text(&row[col("utc_offset")]), offset, "{start}");
    }
    assert_eq!(paid, totals_by_currency(&csv, "computed_pay"));

    let header = names(&path, "Differences");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let differences = sheet(&path, "Differences");
    let rows: Vec<&[Data]> = differences.rows().collect();
    let mismatches: Vec<&Vec<String>> = reconcile
        .rows
        .iter()
        .filter(|r| r[reconcile.column("status")] == "mismatch")
        .collect();
    assert!(!mismatches.is_empty());
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for (row, expected) in rows[1..].iter().zip(&mismatches) {
        assert_eq!(
            cell_decimal(&row[col("session_id")]),
            dec(&expected[reconcile.column("session_id")])
        );
        assert_eq!(
            cell_decimal(&row[col("difference")]),
            dec(&expected[reconcile.column("difference")])
        );
        assert_eq!(
            cell_text(&row[col("reason")]),
            expected[reconcile.column("reason")]
        );
        assert!(
            !cell_text(&row[col("explanation")]).is_empty(),
            "each reason is explained"
        );
        *sums
            .entry(expected[reconcile.column("currency")].clone())
            .or_default() += dec(&expected[reconcile.column("difference")]);
    }
    // A blank row, then a total per currency: the mismatches' differences,
    // which are all of the summary's differences.
    let totals = &rows[mismatches.len() + 1..];
    assert!(totals[0].iter().all(|c| *c == Data::Empty));
    let totals: BTreeMap<String, Decimal> = totals[1..]
        .iter()
        .map(|r| {
            assert_eq!(cell_text(&r[0]), "total");
            (
                cell_text(&r[col("currency")]),
                cell_decimal(&r[col("difference")]),
            )
        })
        .collect();
    assert_eq!(totals, sums);
    // The CSV payroll's differences: those of the currencies with a
    // mismatch, and zero in the others.
    let mut in_csv = totals_by_currency(&csv, "difference");
    in_csv.retain(|c, d| totals.contains_key(c) || !d.is_zero());
    assert_eq!(totals, in_csv, "the CSV payroll's differences");

    // Non-zero differences are highlighted: a conditional format on the
    // difference column of each sheet, dark red on light red.
    let letter = |i: usize| char::from(b'A' + i as u8);
    for (part, column, last) in [
        (
            "xl/worksheets/sheet1.xml",
            10,
            csv.rows.len() + 2 + totals_by_currency(&csv, "difference").len(),
        ),
        ("xl/worksheets/sheet3.xml", col("difference"), rows.len()),
    ] {
        let xml = zip_part(&path, part);
        let l = letter(column);
        let rule = format!(
            "<conditionalFormatting sqref=\"{l}2:{l}{last}\"><cfRule type=\"cellIs\" dxfId=\"0\" priority=\"1\" operator=\"notEqual\"><formula>0</formula></cfRule></conditionalFormatting>"
        );
        assert!(xml.contains(&rule), "{part}: {rule}");
    }
    let styles = zip_part(&path, "xl/styles.xml");
    let dxfs = styles.split("<dxfs").nth(1).unwrap();
    assert!(dxfs.contains("FF9C0006") && dxfs.contains("FFFFC7CE"), "{dxfs}");
}

#[test]
fn spreadsheet_is_byte_identical_run_after_run() {
    let dir = conformance();
    let may = ["--from", "2026-05-01", "--to", "2026-05-31"];
    dir.run(&args(
        &[&["payroll", "-q", "--format", "xlsx", "-o", "a.xlsx"][..], &may].concat(),
    ))
    .assert_code(0);
    dir.run_env(
        &args(&[&["payroll", "-q", "--format", "xlsx", "-o", "b.xlsx"][..], &may].concat()),
        &[("SESSIONPAY_THREADS", "1")],
    )
    .assert_code(0);
    let a = dir.read("a.xlsx");
    assert!(a.starts_with(b"PK"), "a zip file");
    assert!(a == dir.read("b.xlsx"), "same input, same bytes");
    assert_eq!(dir.listing(), ["a.xlsx", "b.xlsx", "rates.toml", "report.csv"]);
}

/// The `data-field` figures of each currency's card on the report page.
fn cards(html: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for part in html.split("<div class=\"card\" data-currency=\"").skip(1) {
        let currency = part[..3].to_string();
        let mut fields = BTreeMap::new();
        for f in part.split("data-field=\"").skip(1) {
            let (name, rest) = f.split_once('"').unwrap();
            let value = rest.split_once('>').unwrap().1.split_once('<').unwrap().0;
            fields.insert(name.to_string(), value.replace(',', ""));
        }
        out.insert(currency, fields);
    }
    out
}

#[test]
fn report_page_totals_equal_the_csv_and_it_loads_nothing() {
    let dir = conformance();
    let csv = csv_summary(&dir, &[]);
    dir.run(&args(&["payroll", "-q", "--format", "html", "-o", "report.html"]))
        .assert_code(0);
    let html = String::from_utf8(dir.read("report.html")).unwrap();

    let cards = cards(&html);
    let computed = totals_by_currency(&csv, "computed_pay");
    assert_eq!(cards.len(), computed.len(), "a card per currency");
    for (currency, fields) in &cards {
        for column in ["computed_pay", "reported_pay", "difference", "sessions"] {
            assert_eq!(
                dec(&fields[column]),
                totals_by_currency(&csv, column)[currency],
                "{currency} {column}"
            );
        }
    }
    // Self-contained: no script, stylesheet, font, image or frame to fetch.
    for banned in [
        "<script",
        "<link",
        "<img",
        "<iframe",
        "src=",
        "href=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(!html.contains(banned), "the page contains {banned:?}");
    }
    let http: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..i + 26])
        .collect();
    assert!(
        http.iter().all(|h| *h == "http://www.w3.org/2000/svg"),
        "only the SVG namespace names a URL: {http:?}"
    );
    for needed in [
        "<meta name=\"viewport\"",
        "@page { size: A4",
        "@media print",
        "@media (max-width: 600px)",
        "<svg xmlns=",
        "id=\"reconciliation\"",
        "id=\"differences\"",
        "2025-12-01 to 2027-01-31",
    ] {
        assert!(html.contains(needed), "the page lacks {needed:?}");
    }
    // The checksums of both inputs.
    for name in ["report.csv", "rates.toml"] {
        let digest = format!("{:x}", Sha256::digest(dir.read(name)));
        assert!(html.contains(&digest), "the SHA-256 of {name}");
    }
    // The same bytes again.
    let again = dir.run(&args(&["payroll", "-q", "--format", "html"]));
    assert!(
        again.stdout == dir.read("report.html"),
        "deterministic, and stdout works too"
    );
}

/// An export whose names try to inject markup and formulas.
const HOSTILE: &str = "id,name,instructor.id,instructor.name,starts_at,venue.id,venue.name,venue_timezone,hours,\
attended_count,no_show_count,late_cancel_count,comped_counts.attended,session_type,instructor_pay_rate.id,\
instructor_pay_rate.name,instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay_rate.tiers,instructor_pay,\
instructor_pay_calculation_pending\n\
1,\"\"\"><img src=x onerror=alert(1)>\",7,<script>alert('x')</script>,2026-05-02T09:00:00Z,1,\"Camden & <u>Co</u>\",\
Europe/London,1,4,0,0,0,class,3,\"</td><svg onload=alert(2)>\",per_customer,5,[],£20.00,false\n\
2,\"=HYPERLINK(\"\"http://x\"\")\",7,<script>alert('x')</script>,2026-05-03T09:00:00Z,1,Camden,Europe/London,1,3,0,0,0,class,3,\
Per head,per_customer,5,[],£16.00,false\n";

#[test]
fn names_from_the_export_are_escaped_in_the_page_and_the_statements() {
    let dir = TestDir::new();
    dir.write("hostile.csv", HOSTILE);
    dir.run(&[
        "payroll",
        "-q",
        "--format",
        "html",
        "-o",
        "r.html",
        "--statements",
        "st",
        "hostile.csv",
    ])
    .assert_code(0);
    let page = String::from_utf8(dir.read("r.html")).unwrap();
    let statement_names: Vec<String> = std::fs::read_dir(dir.path().join("st"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(statement_names.len(), 2, "{statement_names:?}");
    for html in std::iter::once(page.clone()).chain(
        statement_names
            .iter()
            .map(|n| String::from_utf8(dir.read(&format!("st/{n}"))).unwrap()),
    ) {
        for raw in ["<script", "<img", "<u>", "<svg onload", "</td><svg"] {
            assert!(!html.contains(raw), "unescaped {raw:?}");
        }
    }
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    let statement = std::fs::read_dir(dir.path().join("st"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.ends_with("index.html"))
        .unwrap();
    let statement = std::fs::read_to_string(statement).unwrap();
    assert!(statement.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(statement.contains("Camden &amp; &lt;u&gt;Co&lt;/u&gt;"));
    // The spreadsheet keeps names as text: a formula-like name is not a formula.
    dir.run(&["payroll", "-q", "--format", "xlsx", "-o", "h.xlsx", "hostile.csv"])
        .assert_code(0);
    let sessions = sheet(&dir.path().join("h.xlsx"), "Sessions");
    assert_eq!(
        cell_text(&sessions.rows().nth(2).unwrap()[3]),
        "=HYPERLINK(\"http://x\")"
    );
}

#[test]
fn a_report_page_from_stdin_says_it_has_no_checksum() {
    let dir = TestDir::new();
    let input = crate::util::fixture_text("shapes/dot_headers.csv");
    let run = dir.run_with_stdin(&["payroll", "-q", "--format", "html", "-"], input.as_bytes());
    run.assert_code(0);
    let html = run.out();
    assert!(html.contains("&lt;stdin&gt;"));
    assert!(html.contains("standard input: read once as a stream, so no checksum"));
}

/// The statement files of a folder, by name.
fn statements(dir: &TestDir, folder: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(dir.path().join(folder))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn statements_are_one_file_per_instructor_and_period_in_venue_time() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let run = dir.run(&[
        "payroll",
        "-q",
        "--rates",
        "venues.toml",
        "--statements",
        "st",
        "periods.csv",
    ]);
    run.assert_code(0);
    let csv = Table::parse(&run.out());
    let files = statements(&dir, "st");
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [
            "2026-03-01_9_kai-moreno.html",
            "2026-04-01_9_kai-moreno.html",
            "index.html"
        ]
    );
    let march = &files["2026-03-01_9_kai-moreno.html"];
    // 03:30 UTC on 1 April is still 31 March in New York, so it is March's pay.
    assert!(march.contains("Tue 31 Mar 2026, 23:30"), "{march}");
    assert!(march.contains("EDT, UTC-04:00"));
    assert!(march.contains("Sun 1 Mar 2026, 09:00") && march.contains("EST, UTC-05:00"));
    assert!(march.contains("4 attended = 4 counted"));
    assert!(march.contains("4 customers at $5.00 each = $20.00"), "{march}");
    for (file, row) in [
        ("2026-03-01_9_kai-moreno.html", "2026-03-01"),
        ("2026-04-01_9_kai-moreno.html", "2026-04-01"),
    ] {
        let html = &files[file];
        let computed = csv.cell("period_start", row, "computed_pay");
        let reported = csv.cell("period_start", row, "reported_pay");
        assert!(
            html.contains(&format!("data-field=\"computed_pay\">USD {computed}<")),
            "{file}"
        );
        assert!(
            html.contains(&format!("data-field=\"reported_pay\">{reported}<")),
            "{file}"
        );
    }
    assert!(files["index.html"].contains("href=\"2026-04-01_9_kai-moreno.html\""));
}

#[test]
fn every_statement_adds_up_to_its_summary_row() {
    let dir = conformance();
    let window = ["--from", "2026-05-01", "--to", "2026-05-31"];
    let csv = csv_summary(&dir, &window);
    let mut a = vec!["payroll", "-q", "--statements", "st"];
    a.extend_from_slice(&window);
    dir.run(&args(&a)).assert_code(0);
    let files = statements(&dir, "st");
    let mut seen = 0;
    for row in &csv.rows {
        let id = &row[csv.column("instructor_id")];
        let start = &row[csv.column("period_start")];
        let currency = &row[csv.column("currency")];
        let prefix = format!("{start}_{id}_");
        let (_, html) = files
            .iter()
            .find(|(name, _)| name.starts_with(&prefix))
            .unwrap_or_else(|| panic!("a statement for {prefix}"));
        let part = html
            .split(&format!("<section data-currency=\"{currency}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("{prefix}: a {currency} part"));
        let part = part.split("</section>").next().unwrap();
        // The sessions' pay, read from the page, adds up to the summary's figure.
        let mut paid = Decimal::ZERO;
        let body = part.split("<tfoot>").next().unwrap();
        for tr in body.split("<tr class=\"\" data-session=").skip(1) {
            let pay = tr.split("data-label=\"Pay\"><div>").nth(1).unwrap();
            paid += dec(&pay.split('<').next().unwrap().replace(',', ""));
        }
        let computed = dec(&row[csv.column("computed_pay")]);
        assert_eq!(paid, computed, "{prefix} {currency}");
        let shown = format!("data-field=\"computed_pay\">{currency} ");
        let big = part.split(&shown).nth(1).unwrap().split('<').next().unwrap();
        assert_eq!(dec(&big.replace(',', "")), computed);
        seen += 1;
    }
    assert!(seen > 40, "a month of the conformance export");
    assert_eq!(files.len() - 1, {
        let mut keys: Vec<(&str, &str)> = csv
            .rows
            .iter()
            .map(|r| {
                (
                    r[csv.column("instructor_id")].as_str(),
                    r[csv.column("period_start")].as_str(),
                )
            })
            .collect();
        keys.dedup();
        keys.len()
    });
}

#[test]
fn statements_say_how_each_figure_was_computed() {
    let dir = TestDir::new();
    dir.write(
        "rates.toml",
        "[rates.3]\nmax_pay = \"18\"\nempty_session_pay = \"15\"\n[rates.4]\ncount_no_shows = true\n\
         [rates.5]\ntier_mode = \"graduated\"\n[rates.6]\n",
    );
    dir.write(
        "s.csv",
        "id,instructor.id,instructor.name,starts_at,venue.id,venue.name,venue_timezone,hours,attended_count,\
no_show_count,late_cancel_count,comped_counts.attended,session_type,instructor_pay_rate.id,instructor_pay_rate.name,\
instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay_rate.tiers,instructor_pay,instructor_pay_calculation_pending\n\
1,7,Ana,2026-05-02T09:00:00Z,1,Camden,Europe/London,1,5,0,0,1,class,3,Per head,per_customer,5,[],£18.00,false\n\
2,7,Ana,2026-05-03T09:00:00Z,1,Camden,Europe/London,1,0,0,0,0,class,3,Per head,per_customer,5,[],£15.00,false\n\
3,7,Ana,2026-05-04T09:00:00Z,1,Camden,Europe/London,0.75,3,2,0,0,class,4,Per head,per_customer,2.333,[],£11.67,false\n\
4,7,Ana,2026-05-05T09:00:00Z,1,Camden,Europe/London,1,2,0,0,0,class,4,Per head,per_customer,2.333,[],,true\n\
5,7,Ana,2026-05-06T09:00:00Z,1,Camden,Europe/London,1,7,0,0,0,class,5,Tiered,per_customer_tiered,0,\
\"[{\"\"upper_bound\"\": 5, \"\"lower_bound\"\": 1, \"\"per_customer_amount\"\": {\"\"amount\"\": 1.8}}, \
{\"\"upper_bound\"\": null, \"\"lower_bound\"\": 6, \"\"per_customer_amount\"\": {\"\"amount\"\": 2.2}}]\",£13.40,false\n\
6,7,Ana,2026-05-07T09:00:00Z,1,Camden,Europe/London,1.5,2,0,0,0,class,6,Hourly,per_hour,40,[],£13.37,false\n",
    );
    dir.run(&[
        "payroll",
        "-q",
        "--rates",
        "rates.toml",
        "--statements",
        "st",
        "s.csv",
    ])
    .assert_code(0);
    let html = statements(&dir, "st")
        .into_iter()
        .find(|(n, _)| n != "index.html")
        .unwrap()
        .1;
    for expected in [
        "5 attended − 1 comped = 4 counted",
        "4 customers at £5.00 each = £20.00",
        "pay capped at £18.00",
        "0 customers at £5.00 each = £0.00",
        "nobody was counted: a flat £15.00 for the session",
        "3 attended + 2 no-shows = 5 counted",
        "5 customers at £2.333 each = £11.665",
        "rounded from £11.665 to £11.67",
        "pending: TeamUp&#39;s figure is not final, so it is not paid in this statement",
        "Total (pending sessions left out)",
        "£5.00 per customer",
        "the first 5 customers at £1.80 each and the next 2 at £2.20 each = £13.40",
        "per customer by tier: 1–5 £1.80, 6+ £2.20",
        "1.5 hours at £40.00 an hour = £60.00",
        "differs from TeamUp",
        "no setting of the rate accounts for it",
    ] {
        assert!(html.contains(expected), "the statement lacks {expected:?}");
    }
    // Words, not the formulas and settings of the CSV.
    for jargon in [
        "×",
        "graduated:",
        "slab:",
        "no single setting explains it",
        "empty-session pay 15",
    ] {
        assert!(!html.contains(jargon), "the statement says {jargon:?}");
    }
    assert!(html.contains("data-field=\"computed_pay\">GBP 118.07<"), "{html}");
}

/// A small export: Siobhán Müller (7) teaches twice in May and once in June,
/// Zoë Ng (8) once in May; `attended` of sessions 1 and 4 is given.
fn small_export(first: u32, fourth: u32) -> String {
    let header = "id,name,instructor.id,instructor.name,starts_at,venue.id,venue.name,venue_timezone,hours,\
attended_count,no_show_count,late_cancel_count,comped_counts.attended,session_type,instructor_pay_rate.id,\
instructor_pay_rate.name,instructor_pay_rate.type,instructor_pay_rate.base,instructor_pay_rate.tiers,instructor_pay,\
instructor_pay_calculation_pending\n";
    let row = |id: u32, who: &str, day: &str, attended: u32| {
        format!(
            "{id},Yoga Flow,{who},2026-{day}T09:00:00Z,1,Camden,Europe/London,1,{attended},0,0,0,class,3,Per head,\
per_customer,5,[],£{}.00,false\n",
            attended * 5
        )
    };
    [
        header.to_string(),
        row(1, "7,Siobhán Müller", "05-02", first),
        row(2, "7,Siobhán Müller", "05-09", 3),
        row(3, "7,Siobhán Müller", "06-06", 2),
        row(4, "8,Zoë Ng", "05-03", fourth),
    ]
    .concat()
}

/// A folder whose ledger closed May of [`small_export`] as first exported,
/// and `edited.csv` with sessions 1 (4 → 6 attended) and 4 (3 → 2) changed.
fn small_ledger() -> TestDir {
    let dir = TestDir::new();
    dir.write("first.csv", small_export(4, 3));
    dir.write("edited.csv", small_export(6, 2));
    dir.run(&[
        "close",
        "-q",
        "--ledger",
        "pay.db",
        "--through",
        "2026-05-31",
        "first.csv",
    ])
    .assert_code(0);
    dir
}

#[test]
fn with_a_ledger_the_summary_sheet_shows_adjustments_and_total_due() {
    let dir = small_ledger();
    let ledger = ["--ledger", "pay.db", "edited.csv"];
    let run = dir.run(&[&["payroll", "-q"][..], &ledger].concat());
    run.assert_code(0);
    let csv = Table::parse(&run.out());
    dir.run(
        &[
            &["payroll", "-q", "--format", "xlsx", "-o", "p.xlsx"][..],
            &ledger,
        ]
        .concat(),
    )
    .assert_code(0);
    let path = dir.path().join("p.xlsx");
    let header = names(&path, "Summary");
    assert_eq!(header, csv.header);
    assert_eq!(header[14..], ["adjustments", "total_due"]);
    let summary = sheet(&path, "Summary");
    let rows: Vec<&[Data]> = summary.rows().collect();
    assert_eq!(cell_text(&rows[0][14]), "Adjustments");
    assert_eq!(cell_text(&rows[0][15]), "Total due");
    for (n, expected) in csv.rows.iter().enumerate() {
        for column in ["computed_pay", "adjustments", "total_due"] {
            let i = csv.column(column);
            assert_eq!(
                cell_decimal(&rows[n + 1][i]),
                dec(&expected[i]),
                "row {n} {column}"
            );
        }
    }
    // Siobhán's +10.00 goes into her June row; Zoë, who taught nothing in
    // June, gets a June row of 0 sessions with her −5.00.
    assert_eq!(csv.cell("instructor_id", "7", "total_due"), "20.00");
    assert_eq!(csv.cell("instructor_id", "8", "total_due"), "-5.00");
    let total = rows[csv.rows.len() + 2];
    assert_eq!(cell_text(&total[0]), "total");
    assert_eq!(cell_decimal(&total[14]), dec("5.00"));
    assert_eq!(cell_decimal(&total[15]), dec("15.00"));
}

#[test]
fn statement_names_are_transliterated_and_list_the_adjustments_in_words() {
    let dir = small_ledger();
    dir.run(&[
        "payroll",
        "-q",
        "--ledger",
        "pay.db",
        "--statements",
        "st",
        "edited.csv",
    ])
    .assert_code(0);
    let files = statements(&dir, "st");
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [
            "2026-06-01_7_siobhan-muller.html",
            "2026-06-01_8_zoe-ng.html",
            "index.html"
        ]
    );
    let siobhan = &files["2026-06-01_7_siobhan-muller.html"];
    for expected in [
        "Adjustments to periods already paid",
        "pay changed since it was paid",
        "attendance 4 → 6",
        "data-field=\"total_due\">GBP 20.00<",
    ] {
        assert!(siobhan.contains(expected), "{expected}: {siobhan}");
    }
    // Zoë taught nothing in June: her statement is the adjustment alone.
    let zoe = &files["2026-06-01_8_zoe-ng.html"];
    assert!(zoe.contains("attendance 3 → 2"), "{zoe}");
    assert!(zoe.contains("data-field=\"total_due\">GBP -5.00<"), "{zoe}");

    // Two instructors of one name still get a file each, by their ids,
    // whatever the order of the export.
    let export = small_export(4, 3).replace("8,Zoë Ng", "8,Siobhan Muller");
    let mut lines: Vec<&str> = export.lines().collect();
    let mut names = Vec::new();
    for reversed in [false, true] {
        if reversed {
            lines[1..].reverse();
        }
        dir.write("same.csv", lines.join("\n") + "\n");
        dir.run(&["payroll", "-q", "--statements", "same", "same.csv"])
            .assert_code(0);
        names.push(statements(&dir, "same"));
    }
    assert!(
        names[0] == names[1],
        "the same files, byte for byte, in any order"
    );
    assert_eq!(
        names[0].keys().collect::<Vec<_>>(),
        [
            "2026-05-01_7_siobhan-muller.html",
            "2026-05-01_8_siobhan-muller.html",
            "2026-06-01_7_siobhan-muller.html",
            "index.html"
        ]
    );
}

#[test]
fn the_report_page_reads_dates_spans_the_width_and_prints_the_totals_and_differences() {
    let dir = conformance();
    dir.run(&args(&["payroll", "-q", "--format", "html", "-o", "report.html"]))
        .assert_code(0);
    let html = String::from_utf8(dir.read("report.html")).unwrap();
    // Local starts read as dates, with the venue's offset.
    assert!(
        html.contains(">Mon 28 Sep 2026, 04:45 (+10:00)<"),
        "a date to read"
    );
    assert!(html.contains(">1–31 May 2026<"), "periods as dates to read");
    // The status bar stretches to the page's width.
    assert!(html.contains("<svg class=\"bar\"") && html.contains("preserveAspectRatio=\"none\""));
    // Printed: the long payroll table stops after its first rows, with a note.
    let rows = html.matches("<tr data-instructor=").count();
    assert!(rows > 40, "{rows}");
    assert_eq!(
        html.matches("<tr data-instructor=\"").count() - html.matches(" class=\"screen-only\">").count(),
        30
    );
    assert!(html.contains(&format!("Printed: the first 30 of {rows} rows")));
    let print = html.split("@media print").nth(1).unwrap();
    assert!(print.contains(".screen-only, #chart { display: none; }"));
    assert!(
        !html.contains("data-field=\"total_due\""),
        "no ledger, no total due"
    );
}

#[test]
fn with_a_ledger_the_report_page_shows_adjustments_and_total_due() {
    let dir = small_ledger();
    let ledger = ["--ledger", "pay.db", "edited.csv"];
    let run = dir.run(&[&["payroll", "-q"][..], &ledger].concat());
    run.assert_code(0);
    let csv = Table::parse(&run.out());
    let page = dir.run(&[&["payroll", "-q", "--format", "html"][..], &ledger].concat());
    page.assert_code(0);
    let html = page.out();
    let totals = html.split("<section id=\"chart\"").next().unwrap();
    let card = &cards(totals)["GBP"];
    assert_eq!(dec(&card["adjustments"]), dec("5.00"));
    assert_eq!(dec(&card["total_due"]), dec("15.00"));
    assert_eq!(dec(&card["computed_pay"]), dec("10.00"), "June's pay only");
    // Each row of the table, as the CSV has it.
    let rows: Vec<&str> = html.split("<tr data-instructor=\"").skip(1).collect();
    assert_eq!(rows.len(), csv.rows.len());
    for (tr, expected) in rows.iter().zip(&csv.rows) {
        assert!(tr.starts_with(&format!("{}\"", expected[csv.column("instructor_id")])));
        for column in ["adjustments", "total_due"] {
            let cell = tr.split(&format!("data-field=\"{column}\">")).nth(1).unwrap();
            let value = cell.split('<').next().unwrap();
            assert_eq!(dec(value), dec(&expected[csv.column(column)]), "{column}");
        }
    }
    assert!(html.contains("Zoë Ng"));
}
