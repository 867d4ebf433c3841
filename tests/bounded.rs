//! Issue 17: `reconcile`, `sessions` and statements in bounded memory. Rows past
//! --sort-memory are sorted through temporary runs, and the output is the
//! same bytes whatever the budget, the workers or the input order; the runs
//! are removed on every exit, a signal included.

use std::io::Write;
use std::process::Stdio;

use crate::hostile::HEADER;
use crate::util::{fixture_text, shuffle, Run, TestDir};

/// The conformance CSV with its rows in a shuffled order.
fn shuffled_conformance(seed: u64) -> String {
    let text = fixture_text("conformance/report.csv");
    let (header, body) = text.split_once('\n').unwrap();
    let mut rows: Vec<&str> = body.lines().collect();
    shuffle(&mut rows, seed);
    format!("{header}\n{}\n", rows.join("\n"))
}

/// Runs `args` on `threads` workers, the temporary folder set to the test's;
/// it must succeed (a mismatch, exit 1, is a success here).
fn run_on(dir: &TestDir, args: &[&str], threads: &str) -> Run {
    let tmp = dir.path().to_str().unwrap().to_string();
    let run = dir.run_env(
        args,
        &[
            ("SESSIONPAY_THREADS", threads),
            ("SESSIONPAY_PARALLEL_MIN_BYTES", "1"),
            ("TMPDIR", &tmp),
        ],
    );
    assert!(matches!(run.code, Some(0 | 1)), "{args:?}: {}", run.stderr);
    run
}

/// [`run_on`], its stdout.
fn run(dir: &TestDir, args: &[&str], threads: &str) -> Vec<u8> {
    let stdout = run_on(dir, args, threads).stdout;
    assert!(!stdout.is_empty(), "{args:?}");
    stdout
}

/// The arguments of `table` (`reconcile`, `sessions` …) in `format` under a
/// sort budget of `memory`, written to `out` or stdout, reading `input`.
fn sorted_table<'a>(
    table: &[&'a str],
    format: &'a str,
    memory: &'a str,
    out: Option<&'a str>,
    input: &'a str,
) -> Vec<&'a str> {
    let mut args = table.to_vec();
    args.extend([
        "-v",
        "--rates",
        "rates.toml",
        "--format",
        format,
        "--sort-memory",
        memory,
    ]);
    if let Some(out) = out {
        args.extend(["-o", out]);
    }
    args.push(input);
    args
}

#[test]
fn sorting_through_runs_gives_the_bytes_of_the_in_memory_sort_in_any_row_order() {
    let dir = TestDir::new();
    dir.copy_as("conformance/report.csv", "ordered.csv");
    dir.write("shuffled.csv", shuffled_conformance(17));
    dir.copy_as("conformance/rates.toml", "rates.toml");
    let tables: [&[&str]; 3] = [&["reconcile"], &["reconcile", "--explain"], &["sessions"]];
    for table in tables {
        for format in ["csv", "json"] {
            let args = |input, memory| sorted_table(table, format, memory, None, input);
            let reference = run(&dir, &args("ordered.csv", "64MiB"), "1");
            // A budget of one byte (a run per row, merged in rounds) once.
            let mut budgets = vec![("64MiB", "3"), ("16KiB", "1"), ("16KiB", "3")];
            if format == "csv" && table == ["sessions"] {
                budgets.push(("1", "1"));
            }
            for input in ["ordered.csv", "shuffled.csv"] {
                for &(memory, threads) in &budgets {
                    let got = run(&dir, &args(input, memory), threads);
                    assert!(
                        got == reference,
                        "{table:?} {format} {input} --sort-memory {memory} on {threads} thread(s) differs"
                    );
                }
            }
            assert_eq!(
                dir.listing(),
                ["ordered.csv", "rates.toml", "shuffled.csv"],
                "no run is left"
            );
        }
    }
}

/// The conformance CSV in id order but for two rows swapped near its end.
fn nearly_ascending_conformance() -> String {
    let text = fixture_text("conformance/report.csv");
    let (header, body) = text.split_once('\n').unwrap();
    let mut rows: Vec<&str> = body.lines().collect();
    let n = rows.len();
    rows.swap(n - 40, n - 3);
    format!("{header}\n{}\n", rows.join("\n"))
}

#[test]
fn the_output_file_written_as_rows_come_is_the_sorted_stdout_in_any_row_order() {
    let dir = TestDir::new();
    dir.copy_as("conformance/report.csv", "ordered.csv");
    dir.write("shuffled.csv", shuffled_conformance(29));
    dir.write("nearly.csv", nearly_ascending_conformance());
    dir.copy_as("conformance/rates.toml", "rates.toml");
    let tables: [&[&str]; 3] = [&["reconcile"], &["reconcile", "--explain"], &["sessions"]];
    for table in tables {
        for format in ["csv", "json"] {
            let reference = run(
                &dir,
                &sorted_table(table, format, "64MiB", None, "ordered.csv"),
                "1",
            );
            for input in ["ordered.csv", "shuffled.csv", "nearly.csv"] {
                for (memory, threads) in [("64MiB", "1"), ("64MiB", "3"), ("16KiB", "1"), ("16KiB", "3")] {
                    let args = sorted_table(table, format, memory, Some("out.txt"), input);
                    let run = run_on(&dir, &args, threads);
                    let what =
                        format!("{table:?} {format} {input} --sort-memory {memory} on {threads} thread(s)");
                    assert!(dir.read("out.txt") == reference, "{what}: the -o file differs");
                    // An ascending export goes straight to the file, whatever the workers.
                    let streamed = run.stderr.contains("wrote 3000 rows as they came");
                    assert_eq!(streamed, input == "ordered.csv", "{what}: {}", run.stderr);
                    std::fs::remove_file(dir.path().join("out.txt")).unwrap();
                }
            }
            assert_eq!(
                dir.listing(),
                ["nearly.csv", "ordered.csv", "rates.toml", "shuffled.csv"],
                "no run or staged file is left"
            );
        }
    }
}

#[test]
fn a_bad_row_after_rows_went_to_the_output_file_leaves_no_file() {
    let dir = TestDir::new();
    let mut text = fixture_text("conformance/report.csv");
    text.push_str("999999999,x,1,x,1,x,,not-a-date,101,x,Europe/London,1,1,1,0,0,0,class,1,x,per_hour,1,[],£1.00,false\n");
    dir.write("late.csv", text);
    dir.copy_as("conformance/rates.toml", "rates.toml");
    dir.write("out.csv", "old\n");
    for threads in ["1", "3"] {
        let run = dir.run_env(
            &[
                "sessions",
                "--rates",
                "rates.toml",
                "--sort-memory",
                "16KiB",
                "-o",
                "out.csv",
                "late.csv",
            ],
            &[
                ("SESSIONPAY_THREADS", threads),
                ("SESSIONPAY_PARALLEL_MIN_BYTES", "1"),
            ],
        );
        run.assert_code(2);
        assert!(run.stderr.contains("not-a-date"), "{}", run.stderr);
        assert_eq!(dir.read("out.csv"), b"old\n", "the old file stays");
        assert_eq!(
            dir.listing(),
            ["late.csv", "out.csv", "rates.toml"],
            "nothing else is left"
        );
    }
}

#[test]
fn the_runs_go_beside_the_output_file_and_verbose_says_so() {
    let dir = TestDir::new();
    dir.write("shuffled.csv", shuffled_conformance(3));
    let run = dir.run_env(
        &[
            "sessions",
            "-v",
            "--sort-memory",
            "4KiB",
            "-o",
            "out.csv",
            "shuffled.csv",
        ],
        &[("SESSIONPAY_THREADS", "1")],
    );
    run.assert_code(0);
    assert!(
        run.stderr.contains("sorted 3000 rows through ") && run.stderr.contains("temporary run(s) in ."),
        "{}",
        run.stderr
    );
    assert_eq!(dir.listing(), ["out.csv", "shuffled.csv"]);
}

#[test]
fn a_sort_memory_that_is_not_a_size_is_a_usage_error() {
    let dir = TestDir::new();
    for bad in ["0", "lots", "1.5MiB"] {
        let run = dir.run(&["reconcile", "--sort-memory", bad, "x.csv"]);
        run.assert_code(2);
        assert!(run.stderr.contains("expected a size"), "{bad}: {}", run.stderr);
    }
}

#[cfg(unix)]
#[test]
fn a_signal_during_a_sort_removes_its_runs() {
    for signal in ["TERM", "INT"] {
        let dir = TestDir::new();
        // The venue's currency is known, so no row waits for the end of the input.
        dir.write("rates.toml", "[venues.1]\ncurrency = \"GBP\"\n");
        let mut child = dir
            .command(&[
                "reconcile",
                "--rates",
                "rates.toml",
                "--sort-memory",
                "1",
                "-o",
                "out.csv",
                "-",
            ])
            .env("SESSIONPAY_THREADS", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{HEADER}\n").as_bytes()).unwrap();
        let started = std::time::Instant::now();
        let mut id = 0;
        // Rows until the reader has sorted some into a run (it reads in blocks).
        while !dir.listing().iter().any(|n| n.starts_with(".sessionpay-sort-")) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "no run was written: {:?}",
                dir.listing()
            );
            let rows: String = (0..500)
                .map(|i| format!("{},1,Ana,2026-05-02T09:00:00Z,1,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n", id + i))
                .collect();
            id += 500;
            stdin.write_all(rows.as_bytes()).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let output = crate::util::signal_and_wait(child, signal);
        drop(stdin);
        assert!(
            output.status.code().is_some_and(|c| c > 128),
            "SIG{signal}: {output:?}"
        );
        assert_eq!(dir.listing(), ["rates.toml"], "SIG{signal}: no run is left");
    }
}

#[test]
fn the_report_page_from_its_digest_is_the_page_from_every_line() {
    let dir = TestDir::new();
    dir.write("shuffled.csv", shuffled_conformance(5));
    dir.copy_as("conformance/rates.toml", "rates.toml");
    let page = |extra: &[&str], threads: &str| {
        let mut args = vec!["payroll", "--format", "html", "--rates", "rates.toml"];
        args.extend(extra);
        args.push("shuffled.csv");
        run(&dir, &args, threads)
    };
    // With statements every line is kept, and the page is made from them.
    let reference = page(&["--statements", "st"], "1");
    let text = String::from_utf8(reference.clone()).unwrap();
    assert!(
        text.contains("smaller mismatch"),
        "the page cuts the list of differences"
    );
    for threads in ["1", "3"] {
        assert!(
            page(&[], threads) == reference,
            "the digest's page differs on {threads} thread(s)"
        );
    }
}

/// Every file of a folder of the test, sorted by name.
fn folder_files(dir: &TestDir, name: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path().join(name))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn streamed_statements_are_the_statements_from_every_line() {
    let dir = TestDir::new();
    dir.copy_as("conformance/report.csv", "ordered.csv");
    dir.write("shuffled.csv", shuffled_conformance(23));
    dir.copy_as("conformance/rates.toml", "rates.toml");
    for period in ["month", "all"] {
        // With the report page every line is kept, and the statements are
        // made from them, as they all were before.
        let reference = {
            let args = [
                "payroll",
                "--period",
                period,
                "--rates",
                "rates.toml",
                "--format",
                "html",
                "--statements",
                "kept",
                "ordered.csv",
            ];
            run(&dir, &args, "1");
            folder_files(&dir, "kept")
        };
        assert!(reference.len() > 40, "{period}: {} files", reference.len());
        for (input, threads) in [("ordered.csv", "3"), ("shuffled.csv", "1"), ("shuffled.csv", "3")] {
            let args = [
                "payroll",
                "--period",
                period,
                "--rates",
                "rates.toml",
                "--statements",
                "streamed",
                input,
            ];
            run(&dir, &args, threads);
            assert!(
                folder_files(&dir, "streamed") == reference,
                "{period} {input} on {threads} thread(s): the statements differ"
            );
        }
    }
    assert_eq!(
        dir.listing(),
        ["kept", "ordered.csv", "rates.toml", "shuffled.csv", "streamed"],
        "no run is left"
    );
}
