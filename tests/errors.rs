//! Every class of bad input: one clear message on stderr naming the file, the
//! record or line, the column or key and the value; exit status 2; nothing on
//! stdout; and with `-o` no file created.

use crate::util::{fixture_text, TestDir};

/// Runs `payroll [extra..] fixtures/errors/<file>` twice, to stdout and with
/// `-o`, and checks the error both times.
#[track_caller]
fn check(file: &str, extra: &[&str], message: &str) {
    let dir = TestDir::new();
    let name = dir.copy(&format!("errors/{file}"));
    let mut args = vec!["payroll"];
    args.extend_from_slice(extra);
    args.push(&name);
    dir.run(&args).assert_error(message);
    check_no_output_file(&dir, &args, message);
}

/// With `-o out.csv`, the same error and no file (nor temporary file) left behind.
#[track_caller]
fn check_no_output_file(dir: &TestDir, args: &[&str], message: &str) {
    let before = dir.listing();
    let mut with_output = args.to_vec();
    with_output.insert(1, "-o");
    with_output.insert(2, "out.csv");
    dir.run(&with_output).assert_error(message);
    assert_eq!(dir.listing(), before, "no output file, no temporary file");
}

/// The text the OS gives for a missing file (`No such file or directory (os error 2)` on Linux).
fn not_found() -> String {
    std::fs::metadata("/no/such/sessionpay/file")
        .unwrap_err()
        .to_string()
}

#[test]
fn missing_required_column() {
    check(
        "missing_column.csv",
        &[],
        "missing_column.csv: missing required column \"hours\"",
    );
}

#[test]
fn a_comma_less_file_hints_at_the_separator() {
    let dir = TestDir::new();
    let csv = fixture_text("shapes/dot_headers.csv").replace(',', "|");
    dir.write("semicolons.csv", csv);
    let run = dir.run(&["payroll", "semicolons.csv"]);
    run.assert_error(
        "semicolons.csv: missing required column \"id\" (the header has one column: is the file comma-separated?)",
    );
}

#[test]
fn short_row() {
    check(
        "short_row.csv",
        &[],
        "short_row.csv: record 2 (line 3): expected 21 fields as in the header, but found 18",
    );
}

#[test]
fn non_numeric_count() {
    check(
        "non_numeric_count.csv",
        &[],
        "non_numeric_count.csv: record 2 (line 3) (column \"attended_count\"): expected a whole number, but found \"many\"",
    );
}

#[test]
fn negative_count() {
    check(
        "negative_count.csv",
        &[],
        "negative_count.csv: record 1 (line 2) (column \"no_show_count\"): expected a count of zero or more, but found \"-1\"",
    );
}

#[test]
fn negative_count_in_json_names_the_key_and_line() {
    let dir = TestDir::new();
    let first = fixture_text("shapes/rows.ndjson")
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(first.contains("\"no_show_count\": 1,"));
    let bad = first
        .replace("\"no_show_count\": 1,", "\"no_show_count\": -1,")
        .replace("\"id\": 11,", "\"id\": 99,");
    dir.write("bad.ndjson", format!("{first}\n{bad}\n"));
    let args = ["payroll", "bad.ndjson"];
    dir.run(&args).assert_error(
        "bad.ndjson: line 2 (key \"no_show_count\"): expected a count of zero or more, but found \"-1\"",
    );
    check_no_output_file(
        &dir,
        &args,
        "bad.ndjson: line 2 (key \"no_show_count\"): expected a count of zero or more, but found \"-1\"",
    );
    dir.write("bad.json", format!("{{\"total\": 1, \"rows\": [{bad}]}}"));
    dir.run(&["payroll", "bad.json"]).assert_error(
        "bad.json: row 1 (key \"no_show_count\"): expected a count of zero or more, but found \"-1\"",
    );
}

#[test]
fn comped_more_than_attended() {
    check(
        "comped_exceeds_attended.csv",
        &[],
        "comped_exceeds_attended.csv: record 1 (line 2): comped attendees (3) exceed attended (2)",
    );
}

#[test]
fn bad_date() {
    check(
        "bad_date.csv",
        &[],
        "bad_date.csv: record 1 (line 2) (column \"starts_at\"): expected an ISO 8601 date-time such as \
         2026-05-02T09:00:00Z, but found \"2026-02-30T09:00:00Z\"",
    );
}

#[test]
fn unknown_time_zone() {
    check(
        "unknown_time_zone.csv",
        &[],
        "unknown_time_zone.csv: record 1 (line 2) (column \"venue_timezone\"): expected an IANA time zone \
         such as Europe/London, but found \"Europe/Londn\"",
    );
}

#[test]
fn unknown_rate_type() {
    check(
        "unknown_rate_type.csv",
        &[],
        "unknown_rate_type.csv: record 1 (line 2) (column \"instructor_pay_rate.type\"): expected \
         per_customer, per_hour or per_customer_tiered, but found \"per_minute\"",
    );
}

#[test]
fn overlapping_tiers() {
    check(
        "overlapping_tiers.csv",
        &[],
        "overlapping_tiers.csv: record 1 (line 2) (column \"instructor_pay_rate.tiers\"): tier 1: lower \
         bound 4 overlaps the previous tier, which ends at 5",
    );
}

#[test]
fn bad_tiers_json() {
    check(
        "bad_tiers_json.csv",
        &[],
        "bad_tiers_json.csv: record 1 (line 2) (column \"instructor_pay_rate.tiers\"): expected the tiers \
         as JSON (EOF while parsing a value at line 1 column 37), but found \
         \"[{\\\"lower_bound\\\": 1, \\\"upper_bound\\\": 5,\"",
    );
}

#[test]
fn bad_money_cell() {
    check(
        "bad_money.csv",
        &[],
        "bad_money.csv: record 1 (line 2) (column \"instructor_pay\"): expected an amount such as 45.00 or \
         £1,234.50, but found \"£12,34.00\"",
    );
}

#[test]
fn dollar_without_a_venue_currency_names_the_venue_and_the_fix() {
    check(
        "dollar_without_currency.csv",
        &[],
        "dollar_without_currency.csv: record 1 (line 2): the currency of venue 3 is unknown (symbol \"$\" \
         is shared by several currencies): set [venues.3] currency in the rate policy file",
    );
}

#[test]
fn a_venue_with_two_currencies() {
    // `£20.00` then `20.00 €` at venue 1.
    check(
        "two_currencies.csv",
        &[],
        "two_currencies.csv: record 2 (line 3): venue 1 is seen with two currencies, GBP and EUR",
    );
}

#[test]
fn a_venue_with_two_currency_codes_in_json() {
    let dir = TestDir::new();
    let first = fixture_text("shapes/rows.ndjson")
        .lines()
        .next()
        .unwrap()
        .to_string();
    let euro = first
        .replace("\"id\": 11,", "\"id\": 99,")
        .replace("\"iso_currency_code\": \"gbp\"", "\"iso_currency_code\": \"eur\"")
        .replace("£15.00", "€15.00");
    dir.write("two.ndjson", format!("{first}\n{euro}\n"));
    dir.run(&["payroll", "two.ndjson"])
        .assert_error("two.ndjson: line 2: venue 1 is seen with two currencies, GBP and EUR");
}

#[test]
fn a_symbol_that_contradicts_the_configured_venue_currency() {
    // [venues.1] currency = "USD", but the cells say £ and €: never paid as dollars.
    let dir = TestDir::new();
    dir.copy("errors/two_currencies.csv");
    dir.write("usd.toml", "[venues.1]\ncurrency = \"USD\"\n");
    let run = dir.run(&["payroll", "--rates", "usd.toml", "two_currencies.csv"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", String::from_utf8_lossy(&run.stdout));
    assert!(
        run.stderr.starts_with(
            "sessionpay: two_currencies.csv: record 1 (line 2): venue 1 is seen with two currencies"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_json_document_that_is_not_a_report() {
    check(
        "not_a_report.json",
        &[],
        "not_a_report.json: not a TeamUp report: expected an object with a \"rows\" array",
    );
}

#[test]
fn rows_that_are_not_an_array() {
    check(
        "rows_not_array.json",
        &[],
        "rows_not_array.json: not a TeamUp report: invalid type: map, expected \"rows\" as an array of row \
         objects at line 1 column 23",
    );
}

#[test]
fn truncated_ndjson() {
    check(
        "truncated.ndjson",
        &[],
        "truncated.ndjson: line 2: EOF while parsing a value at line 1 column 121 (the file looks truncated)",
    );
    // The same from stdin names <stdin>.
    let dir = TestDir::new();
    dir.run_with_stdin(
        &["payroll", "-"],
        fixture_text("errors/truncated.ndjson").as_bytes(),
    )
    .assert_error(
        "<stdin>: line 2: EOF while parsing a value at line 1 column 121 (the file looks truncated)",
    );
}

#[test]
fn invalid_utf8() {
    let dir = TestDir::new();
    dir.copy("errors/invalid_utf8.csv");
    let args = ["payroll", "invalid_utf8.csv"];
    let run = dir.run(&args);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    // "Siobh\xe1n": the bad byte is the sixth of the field.
    let message = &run.stderr;
    assert!(
        message.starts_with(
            "sessionpay: invalid_utf8.csv: record 1 (line 2) (column \"instructor.name\"): not valid UTF-8 ("
        ) && message.contains("byte 5 of the field")
            && message.ends_with("; re-export the file as UTF-8\n")
            && message.lines().count() == 1,
        "{message}"
    );
    check_no_output_file(&dir, &args, message.trim_end().trim_start_matches("sessionpay: "));
}

#[test]
fn a_skipped_local_time() {
    let dir = TestDir::new();
    let csv = fixture_text("errors/negative_count.csv")
        .replace("2026-05-02T09:00:00Z", "2026-03-29T01:30:00")
        .replace(",-1,", ",0,");
    dir.write("dst.csv", csv);
    dir.run(&["payroll", "dst.csv"]).assert_error(
        "dst.csv: record 1 (line 2): local time 2026-03-29 01:30:00 does not exist in Europe/London \
         (the clocks skip it)",
    );
}

/// A policy error, with an otherwise good input.
#[track_caller]
fn check_policy(file: &str, message: &str) {
    let dir = TestDir::new();
    let policy = dir.copy(&format!("errors/{file}"));
    let input = dir.copy("shapes/dot_headers.csv");
    let args = ["payroll", "--rates", &policy, &input];
    dir.run(&args).assert_error(message);
    check_no_output_file(&dir, &args, message);
}

#[test]
fn policy_with_an_unknown_key() {
    check_policy(
        "unknown_key.toml",
        "unknown_key.toml: line 5, column 1: key rates.3.count_noshows: unknown key \"count_noshows\"; \
         expected one of count_comped, count_late_cancels, count_no_shows, tier_mode, empty_session_pay, \
         max_pay, rounding, hours_basis",
    );
}

#[test]
fn policy_with_a_negative_amount() {
    check_policy(
        "negative_amount.toml",
        "negative_amount.toml: line 3, column 11: key rates.3.max_pay: expected an amount of zero or more, \
         but found \"-5.00\"",
    );
}

#[test]
fn policy_that_is_not_toml() {
    let dir = TestDir::new();
    dir.copy("errors/broken.toml");
    dir.copy("shapes/dot_headers.csv");
    let run = dir.run(&["payroll", "--rates", "broken.toml", "dot_headers.csv"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    // The parser's own words may change with its version; the place may not.
    assert!(
        run.stderr.starts_with("sessionpay: broken.toml: line 3, column ")
            && run.stderr.contains(": broken TOML: ")
            && run.stderr.lines().count() == 1,
        "{}",
        run.stderr
    );
}

#[test]
fn policy_file_missing() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.run(&["payroll", "--rates", "nope.toml", "dot_headers.csv"])
        .assert_error(
            "nope.toml: the rate policy file given with --rates does not exist (is the path mistyped?)",
        );
}

#[test]
fn missing_input_file() {
    let dir = TestDir::new();
    let args = ["payroll", "nope.csv"];
    let message = format!("nope.csv: {}", not_found());
    dir.run(&args).assert_error(&message);
    check_no_output_file(&dir, &args, &message);
}

#[test]
fn an_empty_folder() {
    let dir = TestDir::new();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    dir.run(&["payroll", "empty"])
        .assert_error("empty: the folder holds no .csv, .json, .ndjson or .jsonl file");
}

#[test]
fn stdin_twice() {
    let dir = TestDir::new();
    dir.run(&["payroll", "-", "-"])
        .assert_error("standard input (-) can be read only once");
}

#[test]
fn a_conflicting_duplicate_names_both_places() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.copy("errors/conflicting_duplicate.ndjson");
    for command in ["payroll", "reconcile", "sessions"] {
        let run = dir.run(&[command, "dot_headers.csv", "conflicting_duplicate.ndjson"]);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{command}: nothing on stdout");
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{command}: one message: {}", run.stderr);
        assert!(
            lines[0].starts_with("sessionpay: session 12 appears twice with different content: at "),
            "{}",
            lines[0]
        );
        // Session 12 is CSV record 2, which starts on line 4 (record 1 holds a newline).
        assert!(
            lines[0].contains("dot_headers.csv: record 2 (line 4)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("conflicting_duplicate.ndjson: line 1"),
            "{}",
            lines[0]
        );
    }
}

#[test]
fn a_conflicting_duplicate_names_the_earlier_input_first() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.copy("errors/conflicting_duplicate.ndjson");
    dir.run(&["payroll", "dot_headers.csv", "conflicting_duplicate.ndjson"])
        .assert_error(
            "session 12 appears twice with different content: at dot_headers.csv: record 2 (line 4) and at \
             conflicting_duplicate.ndjson: line 1",
        );
}

#[test]
fn fortnight_without_an_anchor() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let args = ["payroll", "--period", "fortnight", "dot_headers.csv"];
    let message = "--period fortnight needs --anchor DATE, a date that starts one of your fortnights";
    dir.run(&args).assert_error(message);
    check_no_output_file(&dir, &args, message);
}

#[test]
fn from_after_to() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.run(&[
        "payroll",
        "--from",
        "2026-05-02",
        "--to",
        "2026-05-01",
        "dot_headers.csv",
    ])
    .assert_error("--from 2026-05-02 is after --to 2026-05-01");
}

#[test]
fn usage_errors_exit_2() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    for (args, says) in [
        (
            &["payroll", "--bogus", "dot_headers.csv"][..],
            "unexpected argument '--bogus'",
        ),
        (&["payroll"], "the following required arguments were not provided"),
        (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (
            &["payroll", "--period", "decade", "dot_headers.csv"],
            "invalid value 'decade'",
        ),
        (
            &["payroll", "--week-start", "someday", "dot_headers.csv"],
            "expected a day of the week such as monday or sun, but found \"someday\"",
        ),
        (
            &["payroll", "--from", "2026-13-01", "dot_headers.csv"],
            "invalid value '2026-13-01'",
        ),
        (
            &["reconcile", "--tolerance=-1", "dot_headers.csv"],
            "expected a tolerance of zero or more, but found \"-1\"",
        ),
        (
            &["payroll", "--format", "xml", "dot_headers.csv"],
            "invalid value 'xml'",
        ),
    ] {
        let before = dir.listing();
        let run = dir.run(args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("Usage:") || run.stderr.contains("--help"),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(dir.listing(), before);
    }
}

#[test]
fn an_output_folder_that_does_not_exist() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let run = dir.run(&["payroll", "-q", "-o", "missing/out.csv", "dot_headers.csv"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].starts_with("sessionpay: missing/out.csv: "),
        "{}",
        lines[0]
    );
    assert!(
        !lines[0].contains(".tmp"),
        "names the file asked for, not a temporary one: {}",
        lines[0]
    );
    assert_eq!(
        lines[0].matches("does not exist").count(),
        1,
        "says it once: {}",
        lines[0]
    );
}
