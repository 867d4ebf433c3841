//! Input shapes (fixtures/shapes): three header styles, BOM and CRLF, quoted
//! fields, money cells, NDJSON and JSON responses, stdin, folders; all the
//! same rows give the same bytes.

use crate::util::{fixture, Run, Table, TestDir};

/// The same six sessions in every shape `sessionpay` reads.
const SAME_ROWS: [&str; 6] = [
    "dot_headers.csv",
    "flat_headers.csv",
    "label_headers.csv",
    "crlf_bom.csv",
    "rows.ndjson",
    "response.json",
];

fn shapes() -> TestDir {
    let dir = TestDir::new();
    for name in SAME_ROWS {
        dir.copy(&format!("shapes/{name}"));
    }
    dir
}

#[test]
fn the_fixtures_are_what_their_names_say() {
    let bytes = std::fs::read(fixture("shapes/crlf_bom.csv")).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbfid,name,"),
        "crlf_bom.csv starts with a BOM"
    );
    assert!(
        bytes.ends_with(b"false\r\n"),
        "crlf_bom.csv ends its records with CRLF"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.matches("\r\n").count(), 7, "7 records, CRLF each");
    let flat = std::fs::read_to_string(fixture("shapes/flat_headers.csv")).unwrap();
    for alias in [
        "instructor_pay_rate_id",
        "attended_comped_count",
        "pay_rate_tiers",
        "venue_id",
    ] {
        assert!(
            flat.lines().next().unwrap().split(',').any(|h| h == alias),
            "{alias}"
        );
    }
    let labels = std::fs::read_to_string(fixture("shapes/label_headers.csv")).unwrap();
    assert!(labels.starts_with("Instructor Pay Calculation Pending,Instructor Pay,"));
    assert!(labels
        .lines()
        .next()
        .unwrap()
        .contains(",Instructor Pay Rate Id,"));
}

#[test]
fn header_styles_bom_crlf_and_json_shapes_give_identical_bytes() {
    let dir = shapes();
    for command in ["payroll", "reconcile", "sessions"] {
        let reference = dir.run(&[command, SAME_ROWS[0]]);
        assert!(!reference.stdout.is_empty());
        for other in &SAME_ROWS[1..] {
            let run = dir.run(&[command, other]);
            assert_eq!(
                run.code, reference.code,
                "{command} {other}: exit status: {}",
                run.stderr
            );
            assert!(
                run.stdout == reference.stdout,
                "{command} {other} differs from {}:\n{}\n---\n{}",
                SAME_ROWS[0],
                run.out(),
                reference.out()
            );
        }
    }
}

#[test]
fn the_six_sessions_reconcile_as_computed_by_hand() {
    let dir = shapes();
    let run = dir.run(&["reconcile", "dot_headers.csv"]);
    run.assert_code(1);
    let t = Table::parse(&run.out());
    let cells = |id: &str| {
        [
            "counted_customers",
            "computed_pay",
            "reported_pay",
            "difference",
            "currency",
            "status",
            "local_start",
        ]
        .map(|c| t.cell("session_id", id, c))
        .join(" ")
    };
    assert_eq!(t.values("session_id"), ["11", "12", "13", "14", "15", "16"]);
    // 4 attended less 1 comped, 3 × 5.
    assert_eq!(
        cells("11"),
        "3 15.00 15.00 0.00 GBP match 2026-05-02T10:00:00+01:00"
    );
    // 1.5 h × 30.
    assert_eq!(
        cells("12"),
        "0 45.00 45.00 0.00 GBP match 2026-05-09T10:00:00+01:00"
    );
    // Slab: 7 customers in the second tier, 7 × 3.00.
    assert_eq!(
        cells("13"),
        "7 21.00 21.00 0.00 EUR match 2026-05-10T18:00:00+02:00"
    );
    // 4 × 2.00 = 8.00, but TeamUp says 9.00.
    assert_eq!(
        cells("14"),
        "4 8.00 9.00 1.00 EUR mismatch 2026-05-17T18:00:00+02:00"
    );
    // Pending: no figure, no difference.
    assert_eq!(cells("15"), "3 15.00   GBP pending 2026-05-20T10:00:00+01:00");
    // `£1,234.50` read as 1234.50.
    assert_eq!(
        cells("16"),
        "247 1235.00 1234.50 -0.50 GBP mismatch 2026-05-23T10:00:00+01:00"
    );
    assert_eq!(
        run.stderr,
        "sessionpay: no rate policy given (--rates): TeamUp's hidden settings (counting of comped, \
         late-cancelled and no-show customers, tier mode, caps, empty-session pay, rounding) are taken at \
         their defaults; run `sessionpay rates infer` on this export to derive them from TeamUp's own figures\n\
         sessionpay: 6 sessions: 3 match, 2 mismatch (unexplained 2), 1 pending, 0 unrated, 0 unreported; \
         more than 5% of sessions mismatch: TeamUp's hidden settings were taken at their defaults (no --rates); \
         run `sessionpay rates infer` to derive them from TeamUp's own figures\n"
    );
}

#[test]
fn quoted_fields_with_commas_quotes_and_newlines_survive() {
    let dir = shapes();
    for file in ["dot_headers.csv", "crlf_bom.csv"] {
        let t = Table::parse(&dir.run(&["reconcile", file]).out());
        assert_eq!(
            t.cell("session_id", "11", "session_name"),
            "Stretch, \"Deep\"\n& Relax",
            "{file}"
        );
        assert_eq!(
            t.cell("session_id", "11", "instructor_name"),
            "O'Brien, Siobhán",
            "{file}"
        );
        assert_eq!(
            t.cell("session_id", "13", "instructor_name"),
            "Zoë \"Z\" Ng",
            "{file}"
        );
    }
}

#[test]
fn the_payroll_of_the_six_sessions() {
    let dir = shapes();
    let run = dir.run(&["payroll", "label_headers.csv"]);
    run.assert_code(0);
    assert_eq!(
        run.out(),
        "instructor_id,instructor_name,currency,period_start,period_end,sessions,hours,counted_customers,\
         computed_pay,reported_pay,difference,mismatched_sessions,pending_sessions,unrated_sessions\n\
         7,\"O'Brien, Siobhán\",GBP,2026-05-01,2026-05-31,4,6.5,250,1295.00,1294.50,-0.50,1,1,0\n\
         8,\"Zoë \"\"Z\"\" Ng\",EUR,2026-05-01,2026-05-31,2,2,11,29.00,30.00,1.00,1,0,0\n"
    );
}

#[test]
fn money_cells_in_every_format() {
    let dir = TestDir::new();
    dir.copy("shapes/money_cells.csv");
    dir.copy("shapes/venues.toml");
    let run = dir.run(&["reconcile", "--rates", "venues.toml", "money_cells.csv"]);
    run.assert_code(1);
    let t = Table::parse(&run.out());
    let got: Vec<String> = t
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r[t.column("session_id")],
                r[t.column("reported_pay")],
                r[t.column("currency")]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "31 1234.50 GBP", // £1,234.50
            "32 20.00 GBP",   // 20.00: venue 1's other session says £
            "33 45.00 EUR",   // 45.00 €
            "34 -9.99 USD",   // $-9.99 with [venues.3] currency = "USD"
            "35 45.00 USD",   // $45
            "36 1234.50 USD", // 1234.5
        ]
    );
}

#[test]
fn a_local_start_without_offset_is_venue_time() {
    let dir = TestDir::new();
    let csv = std::fs::read_to_string(fixture("errors/negative_count.csv"))
        .unwrap()
        .replace(",-1,", ",0,");
    // The hour repeated when clocks go back: the earlier offset (BST, +01:00).
    dir.write(
        "local.csv",
        csv.replace("2026-05-02T09:00:00Z", "2026-10-25T01:30:00"),
    );
    let t = Table::parse(&dir.run(&["reconcile", "local.csv"]).out());
    assert_eq!(
        t.cell("session_id", "1", "local_start"),
        "2026-10-25T01:30:00+01:00"
    );
    // A winter local time is GMT.
    dir.write(
        "winter.csv",
        csv.replace("2026-05-02T09:00:00Z", "2026-12-01 18:00"),
    );
    let t = Table::parse(&dir.run(&["reconcile", "winter.csv"]).out());
    assert_eq!(
        t.cell("session_id", "1", "local_start"),
        "2026-12-01T18:00:00+00:00"
    );
}

fn same(run: &Run, reference: &Run, what: &str) {
    assert_eq!(run.code, reference.code, "{what}: exit status: {}", run.stderr);
    assert!(
        run.stdout == reference.stdout,
        "{what}:\n{}\n--- expected:\n{}",
        run.out(),
        reference.out()
    );
}

#[test]
fn stdin_csv_ndjson_and_json_are_sniffed() {
    let dir = shapes();
    for command in ["payroll", "reconcile"] {
        let reference = dir.run(&[command, "dot_headers.csv"]);
        for file in ["dot_headers.csv", "crlf_bom.csv", "rows.ndjson", "response.json"] {
            let bytes = dir.read(file);
            let run = dir.run_with_stdin(&[command, "-"], &bytes);
            same(&run, &reference, &format!("{command} - < {file}"));
        }
    }
    // A compact one-line JSON response too.
    let compact: serde_json::Value = serde_json::from_slice(&dir.read("response.json")).unwrap();
    let run = dir.run_with_stdin(&["payroll", "-"], compact.to_string().as_bytes());
    same(
        &run,
        &dir.run(&["payroll", "dot_headers.csv"]),
        "payroll - < compact JSON",
    );
}

#[test]
fn stdin_beside_a_file_counts_repeats_once() {
    let dir = shapes();
    let reference = dir.run(&["payroll", "dot_headers.csv"]);
    let run = dir.run_with_stdin(&["payroll", "dot_headers.csv", "-"], &dir.read("rows.ndjson"));
    same(&run, &reference, "payroll dot_headers.csv - < rows.ndjson");
    assert!(
        run.stderr.contains(
            "sessionpay: 6 row(s) repeated an earlier session exactly and were counted once (e.g. session 1"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" at <stdin>: line "), "{}", run.stderr);
}

#[test]
fn a_folder_is_read_in_name_order_and_other_files_are_noted() {
    let dir = TestDir::new();
    dir.copy_as("shapes/dot_headers.csv", "export/a.csv");
    dir.write("export/notes.txt", "not an export\n");
    dir.write("export/.hidden.csv", "junk\n");
    let reference = {
        let d = TestDir::new();
        d.copy("shapes/dot_headers.csv");
        d.run(&["payroll", "dot_headers.csv"])
    };
    let run = dir.run(&["payroll", "export"]);
    same(&run, &reference, "payroll export/");
    assert!(
        run.stderr.starts_with(
            "sessionpay: skipped export/notes.txt (not a .csv, .json, .ndjson or .jsonl file)\n"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".hidden.csv"), "{}", run.stderr);
}
