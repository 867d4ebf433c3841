//! The command line: help and exit statuses, `-o` written atomically, JSON
//! output, payroll periods and date filters, tolerance, --quiet, a closed pipe.

use std::io::Read;
use std::process::Stdio;

use serde_json::Value;

use crate::util::{Table, TestDir};

#[test]
fn help_of_every_command_mentions_the_exit_statuses() {
    let dir = TestDir::new();
    for command in [&[][..], &["payroll"], &["reconcile"], &["sessions"]] {
        for flag in ["--help", "-h"] {
            let mut args = command.to_vec();
            args.push(flag);
            // Help comes before any file is looked at.
            args.push("no-such-input.csv");
            let run = dir.run(&args);
            run.assert_code(0);
            let text = run.out();
            for line in ["EXIT STATUS", "  0    ", "  1    ", "  2    an error", "130"] {
                assert!(
                    text.contains(line),
                    "`sessionpay {}` lacks {line:?}:\n{text}",
                    args.join(" ")
                );
            }
        }
    }
}

#[test]
fn output_file_is_written_whole_and_replaces_the_old_one() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let to_stdout = dir.run(&["payroll", "dot_headers.csv"]);
    dir.write("out.csv", "old contents\n");
    let run = dir.run(&["payroll", "-o", "out.csv", "dot_headers.csv"]);
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "nothing on stdout with -o");
    assert_eq!(dir.read("out.csv"), to_stdout.stdout);
    assert_eq!(
        dir.listing(),
        ["dot_headers.csv", "out.csv"],
        "no temporary file left"
    );
    // reconcile exits 1 on a mismatch, but the run worked: the file is written.
    let reconcile = dir.run(&["reconcile", "--output", "rec.csv", "dot_headers.csv"]);
    reconcile.assert_code(1);
    assert_eq!(
        dir.read("rec.csv"),
        dir.run(&["reconcile", "dot_headers.csv"]).stdout
    );
    assert_eq!(dir.listing(), ["dot_headers.csv", "out.csv", "rec.csv"]);
}

#[cfg(unix)]
#[test]
fn output_file_is_readable_like_any_other_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.run(&["payroll", "-o", "new.csv", "dot_headers.csv"])
        .assert_code(0);
    let mode = std::fs::metadata(dir.path().join("new.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o044, 0o044, "group and others may read it: {mode:o}");
}

#[test]
fn on_an_error_the_old_output_file_is_untouched() {
    let dir = TestDir::new();
    dir.copy("errors/short_row.csv");
    dir.copy("shapes/dot_headers.csv");
    dir.write("out.csv", "last month's payroll\n");
    for args in [
        &["payroll", "-o", "out.csv", "short_row.csv"][..],
        &["payroll", "-o", "out.csv", "dot_headers.csv", "short_row.csv"],
        &["reconcile", "-o", "out.csv", "short_row.csv"],
        &["sessions", "-o", "out.csv", "short_row.csv"],
    ] {
        let run = dir.run(args);
        run.assert_code(2);
        assert!(
            run.stderr
                .starts_with("sessionpay: short_row.csv: record 2 (line 3): "),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(dir.read("out.csv"), b"last month's payroll\n", "{args:?}");
        assert_eq!(
            dir.listing(),
            ["dot_headers.csv", "out.csv", "short_row.csv"],
            "{args:?}"
        );
    }
}

fn json_array(bytes: &[u8]) -> Vec<Value> {
    match serde_json::from_slice(bytes).expect("the output is JSON") {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, found {other}"),
    }
}

/// A JSON cell as the CSV would write it: strings as they are, numbers as text, booleans as
/// yes/no, null as empty.
fn as_cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "yes".to_string(),
        Value::Bool(false) => "no".to_string(),
        other => panic!("unexpected JSON cell {other}"),
    }
}

#[test]
fn json_output_holds_the_same_rows_as_csv() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    for command in ["payroll", "reconcile", "sessions"] {
        let csv = Table::parse(&dir.run(&[command, "dot_headers.csv"]).out());
        let run = dir.run(&[command, "--format", "json", "dot_headers.csv"]);
        let items = json_array(&run.stdout);
        assert_eq!(
            items.len(),
            csv.rows.len(),
            "{command}: as many objects as CSV rows"
        );
        for (item, row) in items.iter().zip(&csv.rows) {
            let object = item.as_object().expect("an object per row");
            let mut keys: Vec<&String> = object.keys().collect();
            let mut columns: Vec<&String> = csv.header.iter().collect();
            keys.sort();
            columns.sort();
            assert_eq!(keys, columns, "{command}: the same fields");
            for (i, column) in csv.header.iter().enumerate() {
                assert_eq!(as_cell(&object[column]), row[i], "{command}: {column}");
            }
        }
        // Amounts are strings, so no reader turns them into floating point.
        let first = items[0].as_object().unwrap();
        assert!(
            first["computed_pay"].is_string(),
            "{command}: {}",
            first["computed_pay"]
        );
    }
    // -o with JSON too.
    dir.run(&["reconcile", "--format", "json", "-o", "r.json", "dot_headers.csv"])
        .assert_code(1);
    assert_eq!(json_array(&dir.read("r.json")).len(), 6);
}

#[test]
fn json_output_of_an_empty_selection_is_an_empty_array() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let run = dir.run(&[
        "payroll",
        "--format",
        "json",
        "--from",
        "2030-01-01",
        "dot_headers.csv",
    ]);
    run.assert_code(0);
    assert!(json_array(&run.stdout).is_empty());
    let csv = dir.run(&["payroll", "--from", "2030-01-01", "dot_headers.csv"]);
    assert_eq!(csv.out().lines().count(), 1, "the header alone: {}", csv.out());
}

/// `payroll` of fixtures/shapes/periods.csv (five $20 sessions in New York) as
/// `period_start..period_end sessions computed_pay` lines.
fn periods(args: &[&str]) -> Vec<String> {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let mut all = vec!["payroll", "--rates", "venues.toml"];
    all.extend_from_slice(args);
    all.push("periods.csv");
    let run = dir.run(&all);
    run.assert_code(0);
    let t = Table::parse(&run.out());
    assert!(t.values("instructor_id").iter().all(|v| *v == "9"));
    assert!(t.values("currency").iter().all(|v| *v == "USD"));
    t.rows
        .iter()
        .map(|r| {
            format!(
                "{}..{} {} {}",
                r[t.column("period_start")],
                r[t.column("period_end")],
                r[t.column("sessions")],
                r[t.column("computed_pay")]
            )
        })
        .collect()
}

#[test]
fn periods_follow_the_venue_local_date() {
    // Session 24 starts 2026-04-01T03:30Z: 23:30 on Tuesday 31 March in New York.
    assert_eq!(
        periods(&[]),
        ["2026-03-01..2026-03-31 4 80.00", "2026-04-01..2026-04-30 1 20.00"]
    );
    assert_eq!(periods(&["--period", "month"]), periods(&[]));
    assert_eq!(
        periods(&["--period", "semimonth"]),
        [
            "2026-03-01..2026-03-15 2 40.00",
            "2026-03-16..2026-03-31 2 40.00",
            "2026-04-01..2026-04-15 1 20.00",
        ]
    );
    assert_eq!(
        periods(&["--period", "week"]),
        [
            "2026-02-23..2026-03-01 1 20.00",
            "2026-03-09..2026-03-15 1 20.00",
            "2026-03-16..2026-03-22 1 20.00",
            "2026-03-30..2026-04-05 2 40.00",
        ]
    );
    assert_eq!(
        periods(&["--period", "week", "--week-start", "sunday"]),
        [
            "2026-03-01..2026-03-07 1 20.00",
            "2026-03-15..2026-03-21 2 40.00",
            "2026-03-29..2026-04-04 2 40.00",
        ]
    );
    assert_eq!(
        periods(&["--period", "fortnight", "--anchor", "2026-03-02"]),
        [
            "2026-02-16..2026-03-01 1 20.00",
            "2026-03-02..2026-03-15 1 20.00",
            "2026-03-16..2026-03-29 1 20.00",
            "2026-03-30..2026-04-12 2 40.00",
        ]
    );
    // Any fortnight start gives the same fortnights.
    assert_eq!(
        periods(&["--period", "fortnight", "--anchor", "2026-05-25"]),
        periods(&["--period", "fortnight", "--anchor", "2026-03-02"])
    );
    assert_eq!(periods(&["--period", "all"]), ["2026-03-01..2026-04-01 5 100.00"]);
}

#[test]
fn from_and_to_select_venue_local_dates() {
    // 23:30 on 31 March in New York is in March, though UTC says 1 April.
    assert_eq!(
        periods(&["--from", "2026-03-31", "--to", "2026-03-31"]),
        ["2026-03-01..2026-03-31 1 20.00"]
    );
    assert_eq!(
        periods(&["--from", "2026-04-01"]),
        ["2026-04-01..2026-04-30 1 20.00"]
    );
    assert_eq!(
        periods(&["--to", "2026-03-15", "--period", "semimonth"]),
        ["2026-03-01..2026-03-15 2 40.00"]
    );
    // With --period all, the period is the one asked for.
    assert_eq!(
        periods(&["--period", "all", "--from", "2026-03-02", "--to", "2026-03-31"]),
        ["2026-03-02..2026-03-31 3 60.00"]
    );
    // At an open end it is the first or last venue-local date of a session.
    assert_eq!(
        periods(&["--period", "all", "--from", "2026-03-02"]),
        ["2026-03-02..2026-04-01 4 80.00"]
    );
    assert_eq!(
        periods(&["--period", "all", "--to", "2026-03-31"]),
        ["2026-03-01..2026-03-31 4 80.00"]
    );
}

#[test]
fn tolerance_turns_small_differences_into_matches() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let status = |tolerance: &[&str]| {
        let mut args = vec!["reconcile"];
        for t in tolerance {
            args.extend(["--tolerance", t]);
        }
        args.push("dot_headers.csv");
        let run = dir.run(&args);
        let t = Table::parse(&run.out());
        (
            run.code,
            t.cell("session_id", "14", "status"),
            t.cell("session_id", "16", "status"),
        )
    };
    // Session 14 differs by EUR 1.00, session 16 by GBP -0.50. A plain
    // number counts minor units (cents, pence) of each currency.
    let m = || "mismatch".to_string();
    let y = || "match".to_string();
    assert_eq!(status(&[]), (Some(1), m(), m()));
    assert_eq!(status(&["0"]), (Some(1), m(), m()));
    assert_eq!(status(&["50"]), (Some(1), m(), y()));
    assert_eq!(status(&["99"]), (Some(1), m(), y()));
    assert_eq!(status(&["100"]), (Some(0), y(), y()));
    // An amount in one currency applies to it alone; the plain number to the rest.
    assert_eq!(status(&["1EUR"]), (Some(1), y(), m()));
    assert_eq!(status(&["1.00EUR", "0.5GBP"]), (Some(0), y(), y()));
    assert_eq!(status(&["0.50GBP", "99"]), (Some(1), m(), y()));
    assert_eq!(status(&["1EUR", "50"]), (Some(0), y(), y()));
    // Payroll and export take it too: the mismatch count follows.
    for (tolerance, mismatches) in [("0", "1"), ("100", "0")] {
        let run = dir.run(&["payroll", "-q", "--tolerance", tolerance, "dot_headers.csv"]);
        let t = Table::parse(&run.out());
        let eur = t.row("currency", "EUR");
        let column = t.column("mismatched_sessions");
        assert_eq!(eur[column], mismatches, "--tolerance {tolerance}");
    }
}

#[test]
fn quiet_silences_notes_but_not_data() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    for command in ["payroll", "reconcile"] {
        let loud = dir.run(&[command, "dot_headers.csv"]);
        let quiet = dir.run(&[command, "-q", "dot_headers.csv"]);
        assert!(!loud.stderr.is_empty(), "{command} has notes");
        assert_eq!(quiet.stderr, "", "{command} -q");
        assert_eq!(quiet.code, loud.code);
        assert!(quiet.stdout == loud.stdout);
    }
}

/// Runs a command with stdout into a pipe that the test closes after reading a few bytes.
fn closed_pipe(args: &[&str]) -> (Option<i32>, String, Vec<u8>) {
    let dir = TestDir::new();
    dir.copy("conformance/report.csv");
    dir.copy("conformance/rates.toml");
    let mut child = dir
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut head = vec![0u8; 64];
    stdout.read_exact(&mut head).expect("the first bytes");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("wait");
    (status.code(), stderr, head)
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    // Both outputs (147 kB, 474 kB) are larger than a pipe's buffer (64 kB), so
    // the writes hit the closed pipe.
    for args in [
        &[
            "payroll",
            "--period",
            "week",
            "--rates",
            "rates.toml",
            "report.csv",
        ][..],
        &["sessions", "--rates", "rates.toml", "report.csv"],
    ] {
        let command = args[0];
        let (code, stderr, head) = closed_pipe(args);
        assert!(head.starts_with(b"instructor_id,") || head.starts_with(b"session_id,"));
        assert_eq!(code, Some(0), "{command}: exit status; stderr: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        assert!(
            !stderr.to_lowercase().contains("broken pipe"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("os error"), "{command}: {stderr}");
    }
}

#[test]
fn reconcile_explain_gives_the_breakdown_of_both_figures() {
    let dir = TestDir::new();
    dir.copy_as("conformance/rates.toml", "rates.toml");
    dir.copy_as("conformance/report.csv", "report.csv");
    let run = dir.run(&[
        "reconcile",
        "-q",
        "--explain",
        "--rates",
        "rates.toml",
        "report.csv",
    ]);
    run.assert_code(1);
    let out = run.out();
    let header = out.lines().next().unwrap();
    assert!(
        header.ends_with(",hours,computed_breakdown,reported_breakdown"),
        "{header}"
    );
    let line = |id: &str| out.lines().find(|l| l.starts_with(id)).unwrap().to_string();
    // A cap of 6299 explains TeamUp's figure for session 501118.
    assert!(
        line("501118,")
            .ends_with(",9 × 700.00 = 6300 → 6300,with cap: 9 × 700.00 = 6300; capped at 6299 → 6299"),
        "{}",
        line("501118,")
    );
    assert!(line("500171,").ends_with(",2 × 3.00 = 6 → 6.00,no single change of policy gives 4.01"));
    // Without --explain the columns are those of SPEC 6 and the auditor's names.
    let plain = dir.run(&["reconcile", "-q", "--rates", "rates.toml", "report.csv"]);
    assert!(plain.out().lines().next().unwrap().ends_with(",rate_type,hours"));
}

#[test]
fn a_minutes_basis_line_shows_the_whole_minutes_it_paid() {
    // 0.833333 h is 50 whole minutes: 25.05 × 50 / 60 = 20.875 exactly, which
    // the line must say (0.833333 h × 25.05 would be 20.8749916…).
    let dir = TestDir::new();
    dir.write(
        "m.csv",
        "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
         late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
         instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
         1,5,2026-05-01T10:00:00Z,1,Europe/London,0.833333,3,0,0,0,9,per_hour,25.05,£20.88,false\n",
    );
    dir.write("m.toml", "[rates.9]\nhours_basis = \"minutes\"\n");
    let run = dir.run(&["sessions", "--rates", "m.toml", "m.csv"]);
    run.assert_code(0);
    let table = Table::parse(&run.out());
    assert_eq!(table.cell("session_id", "1", "formula"), "50 min × 25.05 / 60");
    assert_eq!(table.cell("session_id", "1", "formula_amount"), "20.875");
    assert_eq!(table.cell("session_id", "1", "computed_pay"), "20.88");
}
