//! Issue 19, the command line: help texts (compared with the files under
//! `tests/snapshots/`), completions, the manual page, `--version`, `-o -`,
//! date and tolerance flags, and `--message-format json`.
//!
//! After a deliberate change to a help text, regenerate the snapshots with
//! `SESSIONPAY_BLESS=1 cargo test --test integration interface` and review the diff.

use serde_json::Value;

use crate::util::{repo, Table, TestDir};

/// Every command whose help is kept as a snapshot, as its words.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["payroll"],
    &["reconcile"],
    &["sessions"],
    &["export"],
    &["fetch"],
    &["rates", "infer"],
    &["close"],
    &["adjustments"],
    &["ledger"],
    &["completions"],
    &["man"],
];

#[test]
fn help_texts_match_their_snapshots() {
    let dir = TestDir::new();
    let bless = std::env::var_os("SESSIONPAY_BLESS").is_some();
    let mut stale = Vec::new();
    for words in COMMANDS {
        let mut args = words.to_vec();
        args.push("--help");
        // Help is wrapped to the width COLUMNS gives when stdout is not a terminal.
        let run = dir.run_env(&args, &[("COLUMNS", "100")]);
        run.assert_code(0);
        let name = if words.is_empty() {
            "sessionpay".to_string()
        } else {
            words.join("-")
        };
        let path = repo().join("tests/snapshots").join(format!("help-{name}.txt"));
        if bless {
            std::fs::write(&path, run.out()).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != run.out() {
            stale.push(format!("{}:\n{}", path.display(), run.out()));
        }
    }
    assert!(
        stale.is_empty(),
        "help differs from its snapshot (regenerate with SESSIONPAY_BLESS=1 after checking):\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_command_help_has_exit_statuses_and_examples() {
    let dir = TestDir::new();
    for words in COMMANDS {
        let mut args = words.to_vec();
        args.push("--help");
        let text = dir.run(&args).out();
        assert!(text.contains("EXAMPLES:\n  sessionpay "), "{words:?}:\n{text}");
        if !matches!(words, [] | ["completions"] | ["man"]) {
            for line in [
                "EXIT STATUS:",
                "  0    ",
                "  1    ",
                "  2    an error",
                "130",
                "143",
            ] {
                assert!(text.contains(line), "{words:?} lacks {line:?}:\n{text}");
            }
        }
    }
    // What 1 means differs from command to command.
    let one = |words: &[&str]| {
        let mut args = words.to_vec();
        args.push("--help");
        let text = dir.run(&args).out();
        let line = text
            .lines()
            .find(|l| l.starts_with("  1    "))
            .map(str::to_string);
        line.unwrap_or_default()
    };
    assert!(one(&["reconcile"]).contains("found a mismatch"));
    assert!(one(&["payroll"]).contains("--fail-on-mismatch"));
    assert!(one(&["sessions"]).contains("not used"));
    assert!(one(&["rates", "infer"]).contains("no policy that explains"));
    // The environment variables are documented where they matter.
    assert!(dir
        .run(&["payroll", "--help"])
        .out()
        .contains("SESSIONPAY_THREADS"));
    assert!(dir.run(&["fetch", "--help"]).out().contains("TEAMUP_TOKEN"));
}

#[test]
fn formats_a_command_refuses_are_not_offered_to_it() {
    let dir = TestDir::new();
    for command in ["reconcile", "sessions", "adjustments"] {
        let text = dir.run(&[command, "--help"]).out();
        let format = text
            .split("--format <FORMAT>")
            .nth(1)
            .and_then(|rest| rest.split("[default: csv]").next())
            .unwrap_or_default();
        assert!(
            format.contains("csv") && format.contains("json"),
            "{command}:\n{format}"
        );
        assert!(
            !format.contains("xlsx") && !format.contains("html"),
            "{command}:\n{format}"
        );
        let run = dir.run(&[command, "--format", "xlsx", "x.csv"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("[possible values: csv, json]"),
            "{}",
            run.stderr
        );
    }
    let text = dir.run(&["payroll", "--help"]).out();
    assert!(text.contains("xlsx") && text.contains("html"));
}

#[test]
fn quiet_and_verbose_are_declared_once_and_go_anywhere() {
    let dir = TestDir::new();
    let text = dir.run(&["payroll", "--help"]).out();
    assert_eq!(text.matches("-q, --quiet").count(), 1, "{text}");
    assert_eq!(text.matches("-v, --verbose").count(), 1, "{text}");
    dir.copy("shapes/dot_headers.csv");
    let before = dir.run(&["-q", "payroll", "dot_headers.csv"]);
    let after = dir.run(&["payroll", "dot_headers.csv", "-q"]);
    assert_eq!(before.stdout, after.stdout);
    assert_eq!((before.stderr.as_str(), after.stderr.as_str()), ("", ""));
    dir.run(&["payroll", "-q", "-v", "dot_headers.csv"])
        .assert_code(2);
}

#[test]
fn version_names_the_commit() {
    let dir = TestDir::new();
    let out = dir.run(&["--version"]).out();
    let rest = out
        .strip_prefix(&format!("sessionpay {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{out}"));
    let inside = rest.strip_suffix(")\n").unwrap_or_else(|| panic!("{out}"));
    let hash_shaped = inside
        .strip_prefix("commit ")
        .is_some_and(|h| h.len() >= 7 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(hash_shaped || inside == "unknown commit", "{out}");
}

#[test]
fn completions_and_the_manual_page_go_to_stdout() {
    let dir = TestDir::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef sessionpay"),
        ("fish", "complete -c sessionpay"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = dir.run(&["completions", shell]);
        run.assert_code(0);
        let text = run.out();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("reconcile") && text.contains("--tolerance"),
            "{shell}"
        );
    }
    dir.run(&["completions", "tcsh"]).assert_code(2);
    let man = dir.run(&["man"]);
    man.assert_code(0);
    let text = man.out();
    assert!(
        text.starts_with(".ie") || text.starts_with(".TH"),
        "{}",
        &text[..80.min(text.len())]
    );
    for part in [
        ".TH sessionpay",
        ".SH NOTES\n.nf\nEXIT STATUS:",
        "SESSIONPAY RECONCILE",
        "SESSIONPAY RATES INFER",
        "SESSIONPAY_THREADS",
        "EXAMPLES:",
    ] {
        assert!(text.contains(part), "the manual page lacks {part:?}");
    }
    assert!(dir.listing().is_empty(), "nothing is written to the folder");
}

/// The rows of a payroll CSV, without the header.
fn rows(text: &str) -> Vec<String> {
    text.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn dash_output_is_stdout_for_every_command_that_writes_one_file() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    for command in ["payroll", "reconcile", "sessions"] {
        let plain = dir.run(&[command, "-q", "dot_headers.csv"]);
        let dash = dir.run(&[command, "-q", "-o", "-", "dot_headers.csv"]);
        assert_eq!(plain.code, dash.code, "{command}");
        assert!(!dash.stdout.is_empty(), "{command}");
        assert_eq!(plain.stdout, dash.stdout, "{command}");
    }
    let infer = dir.run(&["rates", "infer", "-q", "-o", "-", "dot_headers.csv"]);
    assert!(
        infer.out().starts_with("# Rate policy inferred"),
        "{}",
        infer.stderr
    );
    let html = dir.run(&["payroll", "-q", "--format", "html", "-o", "-", "dot_headers.csv"]);
    assert!(html.out().starts_with("<!DOCTYPE html>"), "{}", html.stderr);
    let xlsx = dir.run(&["payroll", "--format", "xlsx", "-o", "-", "dot_headers.csv"]);
    xlsx.assert_code(2);
    assert!(xlsx.stderr.contains("needs -o FILE"), "{}", xlsx.stderr);
    let fetch = dir.run(&["fetch", "-o", "-"]);
    fetch.assert_error(
        "fetch writes a file, not stdout (-o -): it keeps FILE.partial so that --resume can continue \
         an interrupted run; give -o FILE",
    );
    assert!(
        !dir.listing().iter().any(|n| n.starts_with('-')),
        "{:?}",
        dir.listing()
    );
}

#[test]
fn dash_output_writes_nothing_when_the_run_fails() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.write("bad.csv", "id,name\n1,x\n");
    let run = dir.run(&["payroll", "-o", "-", "dot_headers.csv", "bad.csv"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.out());
}

#[test]
fn export_to_dash_writes_one_file_to_stdout_and_refuses_several() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    dir.copy_as("people/shapes.csv", "people.csv");
    let export = |output: &str, more: &[&str]| {
        let mut args = vec!["export", "--to", "xero", "--people", "people.csv", "-o", output];
        args.extend_from_slice(more);
        dir.run(&args)
    };
    let file = export("x.csv", &["--currency", "GBP", "dot_headers.csv"]);
    file.assert_code(0);
    let dash = export("-", &["--currency", "GBP", "dot_headers.csv"]);
    dash.assert_code(0);
    assert_eq!(dash.stdout, dir.read("x.csv"));
    assert!(
        dash.stderr
            .contains("sessionpay: wrote stdout: 1 instructor, GBP"),
        "{}",
        dash.stderr
    );
    // Two months make two files: stdout cannot take them.
    let many = dir.run(&[
        "export",
        "--to",
        "gusto",
        "--people",
        "people.csv",
        "--rates",
        "venues.toml",
        "-o",
        "-",
        "periods.csv",
    ]);
    many.assert_code(2);
    assert!(many.stdout.is_empty());
    assert!(
        many.stderr
            .contains("-o - writes one file to stdout, but this export makes 2"),
        "{}",
        many.stderr
    );
    assert!(
        !dir.listing().iter().any(|n| n.starts_with('-')),
        "{:?}",
        dir.listing()
    );
}

#[test]
fn currency_advice_names_a_currency_the_command_takes_and_the_payroll_has() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    dir.copy_as("people/shapes.csv", "people.csv");
    let advice = |to: &str, currency: &str| {
        let run = dir.run(&[
            "export",
            "--to",
            to,
            "--people",
            "people.csv",
            "--currency",
            currency,
            "-o",
            "x.csv",
            "dot_headers.csv",
        ]);
        run.assert_code(2);
        run.stderr.lines().last().unwrap_or_default().to_string()
    };
    // The payroll has EUR and GBP pay: xero takes GBP, not EUR.
    assert_eq!(
        advice("xero", "EUR"),
        "sessionpay: xero takes GBP, AUD and NZD pay only, not EUR (--currency EUR); \
         export one currency at a time with --currency GBP"
    );
    // Gusto takes USD, which the payroll has none of: no --currency would do.
    assert_eq!(
        advice("gusto", "GBP"),
        "sessionpay: gusto takes USD pay only, not GBP (--currency GBP); \
         the payroll has no pay in USD, so none of it can go to gusto"
    );
}

#[test]
fn export_to_with_a_date_points_at_until() {
    let dir = TestDir::new();
    let run = dir.run(&[
        "export",
        "--to",
        "gusto",
        "--people",
        "p.csv",
        "--to",
        "2026-05-31",
        "-o",
        "g.csv",
        "x.csv",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("in export the last date is --until DATE"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_dates_name_the_expected_form() {
    let dir = TestDir::new();
    for (command, flag) in [
        ("payroll", "--from"),
        ("payroll", "--to"),
        ("reconcile", "--from"),
        ("sessions", "--to"),
    ] {
        for (bad, says) in [
            (
                "2026-02-30",
                "2026-02-30 is not a calendar date (expected YYYY-MM-DD",
            ),
            (
                "03/01/2026",
                "expected a date as YYYY-MM-DD (such as 2026-03-01), but found \"03/01/2026\"",
            ),
        ] {
            let run = dir.run(&[command, flag, bad, "x.csv"]);
            run.assert_code(2);
            assert!(
                run.stderr.contains(says),
                "{command} {flag} {bad}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn reconcile_and_sessions_keep_the_dates_asked_for() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let ids = |command: &str, range: &[&str]| {
        let mut args = vec![command, "-q", "--rates", "venues.toml"];
        args.extend_from_slice(range);
        args.push("periods.csv");
        let run = dir.run(&args);
        Table::parse(&run.out())
            .values("session_id")
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for command in ["reconcile", "sessions"] {
        let all = ids(command, &[]);
        let april = ids(command, &["--from", "2026-04-01"]);
        let march = ids(command, &["--to", "2026-03-31"]);
        assert!(!april.is_empty() && !march.is_empty(), "{command}");
        assert_eq!(april.len() + march.len(), all.len(), "{command}");
        assert!(april.iter().all(|id| !march.contains(id)), "{command}");
        // The same split as payroll's periods.
        let payroll = dir.run(&[
            "payroll",
            "-q",
            "--rates",
            "venues.toml",
            "--from",
            "2026-04-01",
            "periods.csv",
        ]);
        let sessions: usize = Table::parse(&payroll.out())
            .values("sessions")
            .iter()
            .map(|n| n.parse::<usize>().expect("count"))
            .sum();
        assert_eq!(sessions, april.len(), "{command}");
    }
    let run = dir.run(&[
        "reconcile",
        "--from",
        "2026-04-02",
        "--to",
        "2026-04-01",
        "periods.csv",
    ]);
    run.assert_error("--from 2026-04-02 is after --to 2026-04-01");
}

#[test]
fn a_range_with_no_session_says_so() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    for command in ["payroll", "reconcile", "sessions"] {
        let run = dir.run(&[
            command,
            "--rates",
            "venues.toml",
            "--from",
            "2030-01-01",
            "--to",
            "2030-01-31",
            "periods.csv",
        ]);
        run.assert_code(0);
        assert!(
            run.stderr
                .contains("no session falls in the range 2030-01-01 to 2030-01-31"),
            "{command}: {}",
            run.stderr
        );
        assert_eq!(rows(&run.out()).len(), 0, "{command}");
    }
}

#[test]
fn an_anchor_that_the_period_ignores_is_a_warning() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let run = dir.run(&[
        "payroll",
        "--rates",
        "venues.toml",
        "--period",
        "month",
        "--anchor",
        "2026-03-02",
        "periods.csv",
    ]);
    run.assert_code(0);
    assert!(
        run.stderr.contains(
            "sessionpay: warning: --anchor 2026-03-02 is ignored: only --period fortnight uses it (the period is month)"
        ),
        "{}",
        run.stderr
    );
    let fortnight = dir.run(&[
        "payroll",
        "--rates",
        "venues.toml",
        "--period",
        "fortnight",
        "--anchor",
        "2026-03-02",
        "periods.csv",
    ]);
    assert!(!fortnight.stderr.contains("ignored"), "{}", fortnight.stderr);
}

/// Each JSON line of stderr, parsed.
fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn message_format_json_writes_errors_warnings_and_notes_as_json_lines() {
    let dir = TestDir::new();
    dir.copy("shapes/periods.csv");
    dir.copy("shapes/venues.toml");
    let run = dir.run(&[
        "payroll",
        "--message-format",
        "json",
        "--rates",
        "venues.toml",
        "--period",
        "week",
        "--anchor",
        "2026-03-02",
        "periods.csv",
    ]);
    run.assert_code(0);
    let lines = json_lines(&run.stderr);
    let levels: Vec<&str> = lines
        .iter()
        .map(|l| l["level"].as_str().expect("level"))
        .collect();
    assert!(levels.contains(&"warning"), "{levels:?}");
    let warning = lines.iter().find(|l| l["level"] == "warning").expect("warning");
    assert!(warning["message"]
        .as_str()
        .expect("text")
        .starts_with("--anchor 2026-03-02 is ignored"));
    let keys: Vec<&String> = warning.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 2, "{warning}");

    let good = crate::util::fixture_text("shapes/dot_headers.csv");
    dir.write("bad.csv", good.replacen(",2026-05-02T", ",2026-99-05-02T", 1));
    let run = dir.run(&["--message-format", "json", "reconcile", "bad.csv"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    let lines = json_lines(&run.stderr);
    let error = lines.last().expect("an error line");
    assert_eq!(error["level"], "error", "{error}");
    assert!(
        error["message"].as_str().expect("text").contains("bad.csv"),
        "{error}"
    );
    assert_eq!(error["file"], "bad.csv", "{error}");
    assert_eq!(
        (&error["record"], &error["line"]),
        (&Value::from(1), &Value::from(2)),
        "{error}"
    );
    assert_eq!(error["field"], "starts_at", "{error}");
    assert_eq!(error["value"], "2026-99-05-02T09:00:00Z", "{error}");
    // Where the record starts in the file: just after the header line.
    let header_end = good.find('\n').expect("a header line") + 1;
    assert_eq!(error["byte"], Value::from(header_end), "{error}");
    let keys: Vec<&String> = error.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 8, "{error}");

    // An NDJSON line's place is its number and its first byte.
    let rows = crate::util::fixture_text("shapes/rows.ndjson");
    let first = rows.find('\n').expect("two lines") + 1;
    let second = rows[first..].find("\"starts_at\"").expect("a start") + first;
    let mut bad = rows.clone();
    bad.replace_range(
        second..second + "\"starts_at\"".len(),
        "\"starts_at\":\"later\",\"x\"",
    );
    dir.write("bad.ndjson", &bad);
    let run = dir.run(&["--message-format", "json", "reconcile", "bad.ndjson"]);
    run.assert_code(2);
    let lines = json_lines(&run.stderr);
    let error = lines.last().expect("an error line");
    assert_eq!(
        (&error["line"], &error["byte"]),
        (&Value::from(2), &Value::from(first)),
        "{error}"
    );
    let notes = dir.run(&[
        "reconcile",
        "--message-format=json",
        "--rates",
        "venues.toml",
        "periods.csv",
    ]);
    let lines = json_lines(&notes.stderr);
    assert_eq!(lines.len(), 1, "{}", notes.stderr);
    assert_eq!(lines[0]["level"], "note");
    assert!(
        lines[0]["message"]
            .as_str()
            .expect("text")
            .starts_with("5 sessions: "),
        "{}",
        notes.stderr
    );
    // A usage error too.
    let usage = dir.run(&[
        "payroll",
        "--message-format",
        "json",
        "--from",
        "03/01/2026",
        "x.csv",
    ]);
    usage.assert_code(2);
    let lines = json_lines(&usage.stderr);
    assert_eq!(lines.len(), 1, "{}", usage.stderr);
    assert_eq!(lines[0]["level"], "error");
    assert!(lines[0]["message"]
        .as_str()
        .expect("text")
        .contains("expected a date as YYYY-MM-DD"));
    // The text form is unchanged without the flag.
    let text = dir.run(&["reconcile", "bad.csv"]);
    assert!(text.stderr.starts_with("sessionpay: bad.csv"), "{}", text.stderr);
}

/// A JSON object's members in the order the text gives them (a `Value`
/// object sorts its keys).
struct Ordered(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Ordered(members))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Checks one command's `--format json` against its CSV: the same rows, keys
/// in the CSV's column order, ids and counts numbers, flags booleans, amounts
/// and hours exact decimal strings. Gives how many rows it checked.
fn check_json_shape(dir: &TestDir, args: &[&str]) -> usize {
    let csv_run = dir.run(args);
    let csv = Table::parse(&csv_run.out());
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = dir.run(&json_args);
    assert_eq!(run.code, csv_run.code, "{args:?}: {}", run.stderr);
    let objects: Vec<Ordered> =
        serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(objects.len(), csv.rows.len(), "{args:?}");
    for (object, row) in objects.iter().zip(&csv.rows) {
        let keys: Vec<&str> = object.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, csv.header, "{args:?}: keys in column order");
        for ((key, value), cell) in object.0.iter().zip(row) {
            let id_or_count = key.ends_with("_id")
                || [
                    "sessions",
                    "counted_customers",
                    "mismatched_sessions",
                    "pending_sessions",
                    "unrated_sessions",
                    "attended",
                    "comped_excluded",
                    "late_cancels_added",
                    "no_shows_added",
                    "periods",
                ]
                .contains(&key.as_str());
            match value {
                Value::Null => assert_eq!(cell, "", "{args:?} {key}"),
                Value::Number(n) => {
                    assert!(id_or_count && n.is_u64(), "{args:?} {key}: {n}");
                    assert_eq!(&n.to_string(), cell, "{args:?} {key}");
                }
                Value::Bool(b) => {
                    assert!(key.ends_with("_applied"), "{args:?} {key}");
                    assert_eq!(cell, if *b { "yes" } else { "no" }, "{args:?} {key}");
                }
                Value::String(text) => {
                    assert!(!id_or_count, "{args:?} {key} is a string: {text}");
                    assert!(text != "yes" && text != "no", "{args:?} {key}");
                    assert_eq!(text, cell, "{args:?} {key}");
                }
                other => panic!("{args:?} {key}: {other}"),
            }
        }
    }
    objects.len()
}

#[test]
fn json_outputs_agree_across_commands() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    for command in ["payroll", "reconcile", "sessions"] {
        assert!(
            check_json_shape(&dir, &[command, "-q", "dot_headers.csv"]) > 0,
            "{command}"
        );
    }
    assert!(check_json_shape(&dir, &["reconcile", "-q", "--explain", "dot_headers.csv"]) > 0);
    // The ledger's outputs: runs, adjustments, and payroll with what is carried.
    dir.run(&[
        "close",
        "-q",
        "--ledger",
        "pay.db",
        "--through",
        "2026-05-31",
        "dot_headers.csv",
    ])
    .assert_code(0);
    let text = crate::util::fixture_text("shapes/dot_headers.csv");
    // Session 12 gets half an hour more: an adjustment.
    dir.write(
        "edited.csv",
        text.replacen(",Europe/London,1.5,", ",Europe/London,2,", 1),
    );
    assert_eq!(
        check_json_shape(&dir, &["ledger", "runs", "--ledger", "pay.db"]),
        1
    );
    let adjustments = check_json_shape(&dir, &["adjustments", "-q", "--ledger", "pay.db", "edited.csv"]);
    assert!(adjustments > 0, "the edit is an adjustment");
    check_json_shape(&dir, &["payroll", "-q", "--ledger", "pay.db", "edited.csv"]);
}

#[test]
fn payroll_says_how_many_statements_it_wrote() {
    let dir = TestDir::new();
    dir.copy("shapes/dot_headers.csv");
    let run = dir.run(&["payroll", "--statements", "st", "dot_headers.csv"]);
    run.assert_code(0);
    // The folder holds the statements and their index.html.
    let written = std::fs::read_dir(dir.path().join("st"))
        .expect("statements")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "index.html"))
        .count();
    assert!(written > 0);
    assert!(
        run.stderr
            .contains(&format!("sessionpay: wrote {written} statements to st\n")),
        "{}",
        run.stderr
    );
    let quiet = dir.run(&["payroll", "-q", "--statements", "st", "dot_headers.csv"]);
    assert_eq!(quiet.stderr, "");
}
