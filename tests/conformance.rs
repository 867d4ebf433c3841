//! The conformance export (fixtures/conformance): every shape gives the
//! expected payroll and reconciliation, byte-identical across shapes and row
//! orders; sessions repeated across inputs count once.

use std::sync::OnceLock;

use crate::util::{fixture_text, numeric_differences, raw_csv_records, shuffle, Run, Table, TestDir};

/// A folder with the conformance export in every shape and its policy.
fn conformance() -> TestDir {
    let dir = TestDir::new();
    for name in ["report.csv", "report.ndjson", "rates.toml"] {
        dir.copy(&format!("conformance/{name}"));
    }
    for entry in std::fs::read_dir(crate::util::fixture("conformance/pages")).expect("pages") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        dir.copy_as(&format!("conformance/pages/{name}"), &format!("pages/{name}"));
    }
    dir
}

/// The output of `COMMAND --rates rates.toml report.csv`, run once per command for the whole suite.
fn reference(command: &str) -> &'static Run {
    static CACHE: [OnceLock<Run>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match command {
        "payroll" => &CACHE[0],
        "reconcile" => &CACHE[1],
        "sessions" => &CACHE[2],
        other => panic!("no reference for {other}"),
    };
    slot.get_or_init(|| {
        let dir = TestDir::new();
        dir.copy("conformance/report.csv");
        dir.copy("conformance/rates.toml");
        run(&dir, command, &["report.csv"])
    })
}

fn run(dir: &TestDir, command: &str, inputs: &[&str]) -> Run {
    let mut args = vec![command, "--rates", "rates.toml"];
    args.extend_from_slice(inputs);
    dir.run(&args)
}

#[test]
fn payroll_by_month_matches_the_expected_summary() {
    let run = reference("payroll");
    run.assert_code(0);
    let ours = Table::parse(&run.out());
    assert_eq!(
        ours.header.join(","),
        "instructor_id,instructor_name,currency,period_start,period_end,sessions,hours,counted_customers,\
         computed_pay,reported_pay,difference,mismatched_sessions,pending_sessions,unrated_sessions",
        "the payroll columns of SPEC section 6, exactly"
    );
    let expected = Table::parse(&fixture_text("conformance/expected_payroll_month.csv"));
    let problems = numeric_differences(&ours, &expected, &["instructor_id", "currency", "period_start"]);
    assert!(problems.is_empty(), "payroll differs:\n{}", problems.join("\n"));
    assert!(
        run.stderr.contains("43 session(s) do not match TeamUp's figure"),
        "payroll notes the mismatches on stderr: {}",
        run.stderr
    );
}

#[test]
fn reconcile_matches_the_expected_reconciliation_and_exits_1() {
    let run = reference("reconcile");
    run.assert_code(1);
    let ours = Table::parse(&run.out());
    let expected = Table::parse(&fixture_text("conformance/expected_reconcile.csv"));
    assert_eq!(
        &ours.header[..11].join(","),
        "session_id,instructor_id,local_start,pay_rate_id,counted_customers,computed_pay,reported_pay,\
         difference,currency,status,reason",
        "the reconcile columns of SPEC section 6 come first"
    );
    let problems = numeric_differences(&ours, &expected, &["session_id"]);
    assert!(problems.is_empty(), "reconcile differs:\n{}", problems.join("\n"));
    let statuses = ours.values("status");
    let count = |s: &str| statuses.iter().filter(|v| **v == s).count();
    assert_eq!(count("mismatch"), 43);
    // Every mismatch carries a reason; nothing else does.
    let reasons = ours.values("reason");
    for (status, reason) in statuses.iter().zip(&reasons) {
        assert_eq!(
            *status == "mismatch",
            !reason.is_empty(),
            "{status} with reason {reason:?}"
        );
    }
    // One totals line on stderr.
    let totals: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(totals.len(), 1, "one line on stderr: {}", run.stderr);
    assert!(
        totals[0].starts_with("sessionpay: 3000 sessions: 2927 match, 43 mismatch ("),
        "{}",
        totals[0]
    );
    assert!(
        totals[0].ends_with("), 30 pending, 0 unrated, 0 unreported"),
        "{}",
        totals[0]
    );
}

#[test]
fn every_shape_gives_byte_identical_output() {
    let dir = conformance();
    for command in ["payroll", "reconcile", "sessions"] {
        let csv = reference(command);
        assert!(!csv.stdout.is_empty(), "{command} wrote something");
        for other in ["report.ndjson", "pages"] {
            let run = run(&dir, command, &[other]);
            assert_eq!(run.code, csv.code, "{command} {other}: exit status");
            assert!(
                run.stdout == csv.stdout,
                "{command} {other}: output differs from the CSV's"
            );
        }
    }
}

#[test]
fn shuffled_rows_give_identical_bytes() {
    let dir = conformance();
    let csv = fixture_text("conformance/report.csv");
    let mut records = raw_csv_records(&csv);
    let header = records.remove(0);
    assert_eq!(records.len(), 3000);
    shuffle(&mut records, 0x5e55_10d5);
    dir.write("shuffled.csv", format!("{header}{}", records.concat()));

    let ndjson = fixture_text("conformance/report.ndjson");
    let mut lines: Vec<&str> = ndjson.lines().collect();
    shuffle(&mut lines, 42);
    dir.write("shuffled.ndjson", lines.join("\n") + "\n");
    // The same rows split over two inputs, in yet another order.
    let (a, b) = lines.split_at(1234);
    dir.write("part-b.ndjson", b.join("\n") + "\n");
    dir.write("part-a.ndjson", a.join("\n") + "\n");

    // reconcile lists the same sessions as `sessions`, by the same path.
    for command in ["payroll", "sessions"] {
        let original = reference(command);
        for inputs in [
            &["shuffled.csv"][..],
            &["shuffled.ndjson"],
            &["part-b.ndjson", "part-a.ndjson"],
        ] {
            let run = run(&dir, command, inputs);
            assert_eq!(run.code, original.code, "{command} {inputs:?}: exit status");
            assert!(
                run.stdout == original.stdout,
                "{command} {inputs:?}: output differs from the original order's"
            );
        }
    }
}

#[test]
fn a_session_in_two_inputs_counts_once() {
    let dir = conformance();
    for command in ["payroll", "reconcile"] {
        let one = reference(command);
        let both = run(&dir, command, &["report.csv", "report.ndjson"]);
        assert_eq!(both.code, one.code, "{command}: exit status");
        assert!(
            both.stdout == one.stdout,
            "{command}: output differs from one input's"
        );
        assert!(
            both.stderr.contains(
                "sessionpay: 3000 row(s) repeated an earlier session exactly and were counted once"
            ),
            "{command}: stderr says the repeats were counted once: {}",
            both.stderr
        );
        assert!(
            both.stderr
                .contains("session 500000 at report.csv: record 1 (line 2) and at report.ndjson: line 1"),
            "{command}: the note names an example: {}",
            both.stderr
        );
    }
}

#[test]
fn fail_on_mismatch_exits_1_after_writing_the_payroll() {
    let dir = conformance();
    let plain = reference("payroll");
    plain.assert_code(0);
    let failing = dir.run(&[
        "payroll",
        "--fail-on-mismatch",
        "--rates",
        "rates.toml",
        "report.csv",
    ]);
    failing.assert_code(1);
    assert!(
        failing.stdout == plain.stdout,
        "the payroll is still written in full"
    );
    assert!(
        failing
            .stderr
            .contains("sessionpay: 43 session(s) do not match TeamUp's figure"),
        "{}",
        failing.stderr
    );
}

#[test]
fn without_the_policy_each_venue_currency_is_learned_from_its_other_sessions() {
    // report.csv's `$` and `¥` cells say no currency; their venues' tiered
    // rates do, so even without [venues.N] every session gets the right one.
    let dir = conformance();
    let run = dir.run(&["reconcile", "report.csv"]);
    run.assert_code(1);
    let ours = Table::parse(&run.out());
    let expected = Table::parse(&fixture_text("conformance/expected_reconcile.csv"));
    assert_eq!(ours.values("session_id"), expected.values("session_id"));
    assert_eq!(ours.values("currency"), expected.values("currency"));
    assert_eq!(ours.values("local_start"), expected.values("local_start"));
    // Without the policy the counting differs, and reconcile explains why.
    let reasons = ours.values("reason");
    assert!(
        reasons.contains(&"comped_counted"),
        "comped_counted among the reasons"
    );
}
