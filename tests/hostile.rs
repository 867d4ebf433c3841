//! Hostile and broken input, faults and spreadsheet safety (issue 5): nothing
//! lost, nothing half-written, nothing panics.

use proptest::prelude::*;

use crate::util::{fixture_text, TestDir};

/// The header of the hand-written exports (also used by `loss_outputs`).
pub(crate) const HEADER: &str =
    "id,instructor.id,instructor.name,starts_at,venue.id,venue_timezone,hours,attended_count,\
no_show_count,late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending";

fn row(id: u64, name: &str, attended: &str, pay: &str, pending: &str) -> String {
    format!("{id},7,{name},2026-05-02T09:00:00Z,1,Europe/London,1,{attended},0,0,0,3,per_customer,5,{pay},{pending}")
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = TestDir::new();
    dir.write("empty.csv", "");
    dir.run(&["payroll", "empty.csv"])
        .assert_error("empty.csv: the file is empty: expected a header row");
}

#[test]
fn a_header_alone_is_zero_sessions_not_an_error() {
    let dir = TestDir::new();
    dir.write("header.csv", format!("{HEADER}\n"));
    let run = dir.run(&["payroll", "header.csv"]);
    run.assert_code(0);
    assert_eq!(run.out().lines().count(), 1, "only the header: {}", run.out());
}

#[test]
fn a_truncated_json_response_is_an_error() {
    let dir = TestDir::new();
    let page = fixture_text("conformance/pages/page-00001.json");
    dir.write("cut.json", &page[..page.len() / 2]);
    let run = dir.run(&["payroll", "cut.json"]);
    run.assert_code(2);
    assert!(
        run.stderr.starts_with("sessionpay: cut.json: line 1, column "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("(the file looks truncated)"),
        "{}",
        run.stderr
    );
}

#[test]
fn amounts_that_overflow_are_errors_not_panics() {
    let dir = TestDir::new();
    let huge = "79228162514264337593543950335";
    dir.write(
        "huge.csv",
        format!(
            "{HEADER}\n{}\n",
            row(1, "Ana", "4", "£20.00", "false").replace(",5,£20.00", &format!(",{huge},£20.00"))
        ),
    );
    let run = dir.run(&["payroll", "huge.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("huge.csv: record 1 (line 2)") && run.stderr.contains("overflow"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // rates infer prices observations, not rows: it names the rate and the session.
    let run = dir.run(&["rates", "infer", "huge.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(", session 1: arithmetic overflow"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn a_pending_flag_that_is_not_a_boolean_is_an_error() {
    let dir = TestDir::new();
    dir.write(
        "pending.csv",
        format!("{HEADER}\n{}\n", row(1, "Ana", "4", "£20.00", "maybe")),
    );
    dir.run(&["payroll", "pending.csv"]).assert_error(
        "pending.csv: record 1 (line 2) (column \"instructor_pay_calculation_pending\"): expected true or false, but found \"maybe\"",
    );
}

fn mixed_rows() -> String {
    [
        HEADER.to_string(),
        row(1, "Ana", "4", "£20.00", "false"),
        row(2, "Ana", "-4", "£20.00", "false"),
        row(3, "Ana", "2", "£10.00", "false"),
        "4,7,Ana,2026-05-03T09:00:00Z".to_string(),
        row(5, "Ana", "x", "£10.00", "false"),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn skip_invalid_writes_every_rejected_row_and_still_exits_2() {
    let dir = TestDir::new();
    dir.write("mixed.csv", mixed_rows());
    let run = dir.run(&[
        "payroll",
        "--skip-invalid",
        "rejects.csv",
        "-o",
        "payroll.csv",
        "mixed.csv",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("3 row(s) could not be read and were left out: exit status 2"),
        "{}",
        run.stderr
    );
    let rejects = String::from_utf8(dir.read("rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines[0], "file,location,reason,row");
    assert_eq!(lines.len(), 4, "{rejects}");
    assert!(lines[1].starts_with(
        "mixed.csv,record 2 (line 3),\"column \"\"attended_count\"\": expected a count of zero or more"
    ));
    assert!(lines[2]
        .starts_with("mixed.csv,record 4 (line 5),\"expected 16 fields as in the header, but found 4\""));
    assert!(lines[3].contains("record 5 (line 6)") && lines[3].contains("expected a whole number"));
    // Exit 2 writes only the rejects file: no payroll to pay from by accident.
    assert!(!dir.path().join("payroll.csv").exists(), "{:?}", dir.listing());
    // --allow-rejects: the payroll too, exit 0.
    let run = dir.run(&[
        "payroll",
        "--skip-invalid",
        "rejects.csv",
        "--allow-rejects",
        "-q",
        "-o",
        "payroll.csv",
        "mixed.csv",
    ]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("(--allow-rejects)"),
        "said even under -q: {}",
        run.stderr
    );
    // The good rows are in the payroll: sessions 1 and 3, 6 customers.
    let payroll = String::from_utf8(dir.read("payroll.csv")).unwrap();
    assert!(
        payroll
            .lines()
            .nth(1)
            .unwrap()
            .contains(",2,2,6,30.00,30.00,0.00,"),
        "{payroll}"
    );
}

#[test]
fn skip_invalid_does_not_skip_a_broken_file() {
    let dir = TestDir::new();
    dir.copy("errors/truncated.ndjson");
    dir.copy("errors/missing_column.csv");
    let run = dir.run(&["payroll", "--skip-invalid", "rejects.csv", "missing_column.csv"]);
    run.assert_code(2);
    assert!(
        !dir.path().join("rejects.csv").exists(),
        "no rejects file for a failed run"
    );
    // A broken NDJSON line is a bad row: rejected, and the run says so.
    let run = dir.run(&["payroll", "--skip-invalid", "rejects.csv", "truncated.ndjson"]);
    run.assert_code(2);
    let rejects = String::from_utf8(dir.read("rejects.csv")).unwrap();
    assert!(rejects.contains("looks truncated"), "{rejects}");
}

#[test]
fn allow_rejects_needs_skip_invalid() {
    let dir = TestDir::new();
    dir.write("mixed.csv", mixed_rows());
    let run = dir.run(&["payroll", "--allow-rejects", "mixed.csv"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--skip-invalid"), "{}", run.stderr);
}

#[test]
fn formulas_in_names_are_neutralised_in_csv_and_kept_in_json() {
    let dir = TestDir::new();
    let names = [
        "=HYPERLINK(\"http://x\")",
        "+1",
        "-2",
        "@SUM(A1)",
        "\tTab",
        "Plain",
    ];
    let mut text = format!("{HEADER}\n");
    for (i, name) in names.iter().enumerate() {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        text.push_str(
            &row(i as u64 + 1, &quoted, "1", "£5.00", "false").replace(",7,", &format!(",{},", 10 + i)),
        );
        text.push('\n');
    }
    dir.write("names.csv", text);
    let csv = dir.run(&["payroll", "names.csv"]);
    csv.assert_code(0);
    let out = csv.out();
    for name in names {
        let cell_starts = out.lines().skip(1).any(|l| {
            let second = l.split_once(',').map(|(_, rest)| rest).unwrap_or("");
            second.starts_with(name) || second.starts_with(&format!("\"{name}"))
        });
        if name == "Plain" {
            assert!(cell_starts, "{out}");
        } else {
            assert!(!cell_starts, "{name} reached the CSV as a formula: {out}");
        }
    }
    assert!(out.contains("'=HYPERLINK") && out.contains("'@SUM(A1)") && out.contains("'+1"));
    let json = dir.run(&["payroll", "--format", "json", "names.csv"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let json_names: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["instructor_name"].as_str().unwrap())
        .collect();
    for name in names {
        assert!(
            json_names.contains(&name),
            "{name} not kept as is in JSON: {json_names:?}"
        );
    }
}

#[test]
fn a_full_disk_on_stdout_is_an_error() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        return; // no /dev/full on this system
    };
    let output = dir
        .command(&["payroll", "dot_headers.csv"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn an_interrupt_leaves_the_old_file_and_no_temporary_one() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = TestDir::new();
    dir.write("payroll.csv", "the old payroll\n");
    // Reading stdin that never ends: the run is interrupted mid-way, while
    // the rejects file (opened at the start) is being written.
    let mut child = dir
        .command(&[
            "payroll",
            "-o",
            "payroll.csv",
            "--skip-invalid",
            "rejects.csv",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{HEADER}\n").as_bytes()).unwrap();
    stdin
        .write_all(row(1, "Ana", "4", "£20.00", "false").as_bytes())
        .unwrap();
    stdin.write_all(b"\n").unwrap();
    stdin.flush().unwrap();
    // Wait until the output's temporary file exists, then interrupt.
    let started = std::time::Instant::now();
    while dir.listing().len() < 2 && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        dir.listing().iter().any(|name| name.starts_with(".rejects.csv.")),
        "{:?}",
        dir.listing()
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        dir.listing(),
        vec!["payroll.csv".to_string()],
        "no temporary file is left"
    );
    assert_eq!(
        String::from_utf8(dir.read("payroll.csv")).unwrap(),
        "the old payroll\n"
    );
}

/// The conformance NDJSON rows, for the permutation property.
fn conformance_lines() -> Vec<String> {
    fixture_text("conformance/report.ndjson")
        .lines()
        .take(400)
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// Any permutation of the rows and any split of them into several inputs
    /// gives byte-identical outputs.
    #[test]
    fn any_order_and_any_split_give_the_same_bytes(seed in any::<u64>(), cuts in proptest::collection::vec(1usize..399, 0..4)) {
        let dir = TestDir::new();
        dir.copy_as("conformance/rates.toml", "rates.toml");
        let lines = conformance_lines();
        dir.write("all.ndjson", lines.join("\n") + "\n");
        let mut shuffled = lines.clone();
        crate::util::shuffle(&mut shuffled, seed);
        let mut cuts = cuts;
        cuts.sort_unstable();
        cuts.dedup();
        let mut names = Vec::new();
        let mut start = 0;
        for (i, end) in cuts.iter().copied().chain([shuffled.len()]).enumerate() {
            let name = format!("part{i}.ndjson");
            dir.write(&name, shuffled[start..end].join("\n") + "\n");
            names.push(name);
            start = end;
        }
        for command in ["payroll", "reconcile"] {
            let whole = dir.run(&[command, "-q", "--rates", "rates.toml", "all.ndjson"]);
            let mut args = vec![command, "-q", "--rates", "rates.toml"];
            args.extend(names.iter().map(String::as_str));
            let parts = dir.run(&args);
            prop_assert_eq!(whole.code, parts.code);
            prop_assert!(whole.stdout == parts.stdout, "{} differs for seed {} and cuts {:?}", command, seed, cuts);
        }
    }
}
