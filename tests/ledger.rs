//! Issue 18, the pay ledger: close, adjustments, payroll --ledger, runs, voids,
//! and what a kill, a second close at once or a foreign file do to it.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::util::{fixture_text, parse_csv, Table, TestDir};

const RATES: &str = "conformance/rates.toml";
const EXPORT: &str = "conformance/report.csv";

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|_| panic!("a decimal: {text:?}"))
}

/// Closes the conformance export under its policy through `through`.
fn close(dir: &TestDir, through: &str) -> crate::util::Run {
    dir.run(&[
        "close",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "--through",
        through,
        "report.csv",
    ])
}

/// A test folder with the conformance export and policy, and a ledger closed through May.
fn closed_through_may() -> TestDir {
    let dir = TestDir::new();
    dir.copy(EXPORT);
    dir.copy(RATES);
    let run = close(&dir, "2026-05-31");
    run.assert_code(0);
    let closed = Table::parse(&run.out());
    assert!(
        closed.values("status").iter().all(|s| *s == "closed"),
        "{}",
        run.out()
    );
    assert_eq!(closed.values("period_start").last(), Some(&"2026-05-01"));
    dir
}

/// The `sessions` computed_pay of every session of `file`, by id.
fn computed(dir: &TestDir, file: &str) -> BTreeMap<String, String> {
    let run = dir.run(&["sessions", "-q", "--rates", "rates.toml", file]);
    run.assert_code(0);
    let t = Table::parse(&run.out());
    let (id, pay) = (t.column("session_id"), t.column("computed_pay"));
    t.rows.iter().map(|r| (r[id].clone(), r[pay].clone())).collect()
}

/// The export with three May sessions edited (more attended, more hours),
/// one removed and one added; gives the edited text and the five ids.
fn edited_export() -> (String, Vec<String>) {
    let mut records = parse_csv(&fixture_text(EXPORT));
    let header = records.remove(0);
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (start, kind, pending) = (
        col("starts_at"),
        col("instructor_pay_rate.type"),
        col("instructor_pay_calculation_pending"),
    );
    let may: Vec<usize> = (0..records.len())
        .filter(|&i| {
            let r = &records[i];
            r[start].starts_with("2026-05-1") && r[pending] == "false" && r[kind] == "per_hour"
        })
        .collect();
    assert!(may.len() >= 5, "enough May sessions paid by the hour");
    let hours = col("hours");
    for &i in &may[..3] {
        let h = dec(&records[i][hours]) + Decimal::ONE;
        records[i][hours] = h.to_string();
    }
    let mut added = records[may[3]].clone();
    added[0] = "900001".into();
    let removed = records[may[4]][0].clone();
    let mut ids: Vec<String> = may[..3].iter().map(|&i| records[i][0].clone()).collect();
    ids.push(removed.clone());
    ids.push("900001".into());
    ids.sort();
    records.retain(|r| r[0] != removed);
    records.push(added);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("header");
    for r in &records {
        w.write_record(r).expect("row");
    }
    (
        String::from_utf8(w.into_inner().expect("csv")).expect("utf-8"),
        ids,
    )
}

#[test]
fn the_monthly_cycle_carries_five_edits_of_may_into_june() {
    let dir = closed_through_may();
    let (text, ids) = edited_export();
    dir.write("edited.csv", text);
    let before = dir.read("pay.db");

    // Nothing changed yet: no adjustment.
    let run = dir.run(&[
        "adjustments",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "report.csv",
    ]);
    run.assert_code(0);
    assert_eq!(Table::parse(&run.out()).rows.len(), 0, "{}", run.out());

    let run = dir.run(&[
        "adjustments",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "edited.csv",
    ]);
    run.assert_code(0);
    let adj = Table::parse(&run.out());
    assert_eq!(
        adj.header[..8],
        [
            "session_id",
            "instructor_id",
            "currency",
            "period_start",
            "paid_pay",
            "computed_pay",
            "adjustment",
            "change"
        ]
    );
    assert_eq!(adj.values("session_id"), ids, "exactly the five sessions, by id");
    let old = computed(&dir, "report.csv");
    let new = computed(&dir, "edited.csv");
    for row in &adj.rows {
        let id = &row[0];
        let paid = old.get(id).map_or(Decimal::ZERO, |p| dec(p));
        let now = new.get(id).map_or(Decimal::ZERO, |p| dec(p));
        assert_eq!(dec(&adj.cell("session_id", id, "paid_pay")), paid, "{id}");
        assert_eq!(dec(&adj.cell("session_id", id, "computed_pay")), now, "{id}");
        assert_eq!(dec(&adj.cell("session_id", id, "adjustment")), now - paid, "{id}");
        assert_ne!(now, paid, "{id}: each edit changes the pay");
        let change = adj.cell("session_id", id, "change");
        let expected = match (old.contains_key(id), new.contains_key(id)) {
            (true, true) => "changed",
            (false, true) => "added",
            _ => "removed",
        };
        assert_eq!(change, expected, "{id}");
        assert_eq!(adj.cell("session_id", id, "period_start"), "2026-05-01");
    }
    let changed = adj.row("change", "added");
    assert_eq!(changed[0], "900001");

    // payroll --ledger: June onwards only, each instructor's adjustments in their first open row.
    let run = dir.run(&[
        "payroll",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "edited.csv",
    ]);
    run.assert_code(0);
    let pay = Table::parse(&run.out());
    assert_eq!(pay.header[pay.header.len() - 2..], ["adjustments", "total_due"]);
    assert!(
        pay.values("period_start").iter().all(|d| *d >= "2026-06-01"),
        "closed periods are left out"
    );
    let (inst, cur, start) = (
        pay.column("instructor_id"),
        pay.column("currency"),
        pay.column("period_start"),
    );
    let (adjc, due, comp) = (
        pay.column("adjustments"),
        pay.column("total_due"),
        pay.column("computed_pay"),
    );
    let mut carried: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for r in &pay.rows {
        assert_eq!(
            dec(&r[due]),
            dec(&r[comp]) + dec(&r[adjc]),
            "total_due = computed_pay + adjustments"
        );
        if !dec(&r[adjc]).is_zero() {
            let first = pay
                .rows
                .iter()
                .filter(|o| o[inst] == r[inst] && o[cur] == r[cur])
                .map(|o| o[start].clone())
                .min();
            assert_eq!(
                first.as_deref(),
                Some(r[start].as_str()),
                "carried into the first open period"
            );
            *carried.entry((r[inst].clone(), r[cur].clone())).or_default() += dec(&r[adjc]);
        }
    }
    let mut expected: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for r in &adj.rows {
        *expected.entry((r[1].clone(), r[2].clone())).or_default() += dec(&r[6]);
    }
    expected.retain(|_, v| !v.is_zero());
    assert_eq!(carried, expected);

    // Neither command wrote the ledger.
    assert_eq!(
        dir.read("pay.db"),
        before,
        "the ledger is never written by payroll or adjustments"
    );
}

#[test]
fn a_period_closed_is_skipped_and_a_voided_run_opens_its_periods_again() {
    let dir = closed_through_may();
    let run = close(&dir, "2026-06-30");
    run.assert_code(0);
    let t = Table::parse(&run.out());
    assert_eq!(t.cell("period_start", "2026-06-01", "status"), "closed");
    assert_eq!(
        t.cell("period_start", "2026-05-01", "status"),
        "skipped (closed already)"
    );

    let run = dir.run(&[
        "close",
        "--ledger",
        "pay.db",
        "--period",
        "week",
        "--through",
        "2026-07-31",
        "report.csv",
    ]);
    assert!(
        run.stderr.contains("the ledger's runs close month periods"),
        "{}",
        run.stderr
    );
    run.assert_code(2);

    dir.run(&[
        "ledger",
        "void",
        "--ledger",
        "pay.db",
        "2",
        "--why",
        "closed June too early",
    ])
    .assert_code(0);
    let run = dir.run(&["ledger", "runs", "--ledger", "pay.db"]);
    run.assert_code(0);
    let runs = Table::parse(&run.out());
    assert_eq!(runs.values("run_id"), ["1", "2"]);
    assert!(runs.cell("run_id", "2", "status").starts_with("voided "));
    assert_eq!(runs.cell("run_id", "2", "void_reason"), "closed June too early");
    let again = dir.run(&["ledger", "void", "--ledger", "pay.db", "2", "--why", "again"]);
    again.assert_code(2);

    let run = close(&dir, "2026-06-30");
    run.assert_code(0);
    assert_eq!(
        Table::parse(&run.out()).cell("period_start", "2026-06-01", "status"),
        "closed"
    );

    let run = dir.run(&["ledger", "show", "--ledger", "pay.db", "1"]);
    run.assert_code(0);
    let text = run.out();
    assert!(
        text.contains("input         report.csv  1000589 bytes  sha256 "),
        "{text}"
    );
    assert!(
        text.contains("period        2026-05-01 to 2026-05-31: "),
        "{text}"
    );
}

#[test]
fn a_foreign_or_newer_file_is_refused_untouched() {
    let dir = TestDir::new();
    dir.copy(EXPORT);
    dir.write("notes.db", "not a database at all\n");
    {
        let conn = rusqlite::Connection::open(dir.path().join("other.db")).expect("sqlite");
        conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .expect("table");
    }
    for file in ["notes.db", "other.db"] {
        let before = dir.read(file);
        for args in [
            vec!["close", "--ledger", file, "--through", "2026-05-31", "report.csv"],
            vec!["adjustments", "--ledger", file, "report.csv"],
            vec!["payroll", "--ledger", file, "report.csv"],
            vec!["ledger", "runs", "--ledger", file],
        ] {
            let run = dir.run(&args);
            run.assert_code(2);
            assert!(
                run.stderr.contains("not a sessionpay ledger"),
                "{args:?}: {}",
                run.stderr
            );
            assert!(run.stdout.is_empty());
            assert_eq!(dir.read(file), before, "{file} untouched by {args:?}");
        }
    }
    // A ledger of a newer schema.
    dir.run(&[
        "close",
        "-q",
        "--ledger",
        "new.db",
        "--through",
        "2026-05-31",
        "report.csv",
    ])
    .assert_code(0);
    {
        let conn = rusqlite::Connection::open(dir.path().join("new.db")).expect("sqlite");
        conn.execute_batch("PRAGMA user_version = 99;").expect("version");
    }
    let before = dir.read("new.db");
    let run = dir.run(&[
        "close",
        "--ledger",
        "new.db",
        "--through",
        "2026-06-30",
        "report.csv",
    ]);
    run.assert_code(2);
    assert!(run.stderr.contains("schema version 99, newer"), "{}", run.stderr);
    assert_eq!(dir.read("new.db"), before);
    let run = dir.run(&["ledger", "runs", "--ledger", "missing.db"]);
    run.assert_code(2);
    assert!(
        !dir.path().join("missing.db").exists(),
        "only close creates a ledger"
    );
}

/// The number of runs and of paid sessions in the ledger, read as an auditor would.
fn audit(dir: &TestDir, file: &str) -> (i64, i64, String) {
    let conn = rusqlite::Connection::open(dir.path().join(file)).expect("sqlite");
    let runs: i64 = conn
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .expect("runs");
    let paid: i64 = conn
        .query_row("SELECT count(*) FROM paid", [], |r| r.get(0))
        .expect("paid");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    (runs, paid, check)
}

/// Runs the binary twice at the same time with `args`; gives both outputs.
fn two_at_once(dir: &TestDir, args: &[&str]) -> Vec<std::process::Output> {
    let children: Vec<_> = (0..2)
        .map(|_| {
            dir.command(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect()
}

/// Asserts every run exited 0; gives how many recorded a run.
fn all_succeed(outs: &[std::process::Output]) -> usize {
    for out in outs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
    }
    outs.iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains(": closed "))
        .count()
}

#[test]
fn two_closes_at_once_record_one_run_and_the_other_waits_and_skips() {
    let dir = TestDir::new();
    dir.copy(EXPORT);
    let args = [
        "close",
        "--ledger",
        "pay.db",
        "--through",
        "2026-05-31",
        "report.csv",
    ];
    // On a new ledger: one records the run, the other finds it closed.
    let outs = two_at_once(&dir, &args);
    assert_eq!(all_succeed(&outs), 1, "one run recorded, never two");
    let (runs, paid, check) = audit(&dir, "pay.db");
    assert_eq!((runs, check.as_str()), (1, "ok"));
    assert!(paid > 1000, "{paid}");
    // Again on the ledger closed: both skip every period.
    let outs = two_at_once(&dir, &args);
    assert_eq!(all_succeed(&outs), 0);
    for out in &outs {
        assert!(String::from_utf8_lossy(&out.stdout).contains("skipped (closed already)"));
    }
    assert_eq!(audit(&dir, "pay.db"), (1, paid, "ok".to_string()));
}

#[test]
fn a_close_killed_mid_run_leaves_the_ledger_sound_and_a_second_close_succeeds() {
    let dir = TestDir::new();
    // A large export: the conformance rows twenty times over, with new ids.
    let text = fixture_text(EXPORT);
    let mut lines = text.lines();
    let mut big = String::from(lines.next().expect("header"));
    big.push('\n');
    let rows: Vec<&str> = lines.collect();
    for copy in 0..20u64 {
        for row in &rows {
            let (id, rest) = row.split_once(',').expect("an id");
            let id: u64 = id.parse().expect("numeric id");
            big.push_str(&format!("{},{rest}\n", id + copy * 1_000_000));
        }
    }
    dir.write("big.csv", big);
    // January first, so the close killed is one into an existing ledger.
    dir.run(&[
        "close",
        "-q",
        "--ledger",
        "pay.db",
        "--through",
        "2026-01-31",
        "big.csv",
    ])
    .assert_code(0);
    let (_, january, _) = audit(&dir, "pay.db");
    let args = [
        "close",
        "--ledger",
        "pay.db",
        "--through",
        "2026-12-31",
        "big.csv",
    ];
    let mut child = dir
        .command(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it once its transaction has begun (the rollback journal appears),
    // or whenever it ends first.
    let journal = dir.path().join("pay.db-journal");
    loop {
        if journal.exists() || child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::yield_now();
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    // The ledger opens sound: the whole run or nothing.
    let run = dir.run(&["ledger", "runs", "--ledger", "pay.db"]);
    run.assert_code(0);
    let (runs, paid, check) = audit(&dir, "pay.db");
    assert_eq!(check, "ok");
    assert!((1..=2).contains(&runs));
    if runs == 1 {
        assert_eq!(paid, january, "no half-recorded run");
    }
    let before = paid;
    let run = dir.run(&args);
    run.assert_code(0);
    let (runs, paid, check) = audit(&dir, "pay.db");
    assert_eq!((runs, check.as_str()), (2, "ok"));
    if before > january {
        assert_eq!(paid, before, "the killed run was whole");
    }
    assert!(paid > 50_000, "{paid}");
}

#[test]
fn export_with_the_ledger_pays_total_due() {
    let dir = closed_through_may();
    dir.copy("people/conformance.csv");
    let (text, _) = edited_export();
    dir.write("edited.csv", text);
    let run = dir.run(&[
        "payroll",
        "-q",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "--to",
        "2026-06-30",
        "edited.csv",
    ]);
    run.assert_code(0);
    let pay = Table::parse(&run.out());
    let (cur, due, comp) = (
        pay.column("currency"),
        pay.column("total_due"),
        pay.column("computed_pay"),
    );
    let gbp = pay.rows.iter().filter(|r| r[cur] == "GBP");
    let (due, computed): (Decimal, Decimal) = gbp.fold((Decimal::ZERO, Decimal::ZERO), |(d, c), r| {
        (d + dec(&r[due]), c + dec(&r[comp]))
    });
    assert_ne!(due, computed, "the edits carry a GBP adjustment into June");
    dir.run(&[
        "export",
        "-q",
        "--to",
        "brightpay",
        "--currency",
        "GBP",
        "--people",
        "conformance.csv",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "--until",
        "2026-06-30",
        "-o",
        "brightpay.csv",
        "edited.csv",
    ])
    .assert_code(0);
    let file = Table::parse(&String::from_utf8(dir.read("brightpay.csv")).expect("utf-8"));
    let paid: Decimal = file.values("Amount").iter().map(|a| dec(a)).sum();
    assert_eq!(paid, due, "the import pays total_due");
}

#[test]
fn the_spreadsheet_gets_an_adjustments_sheet_and_statements_the_total_due() {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    let dir = closed_through_may();
    let (text, ids) = edited_export();
    dir.write("edited.csv", text);
    let run = dir.run(&[
        "payroll",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "--format",
        "xlsx",
        "-o",
        "pay.xlsx",
        "--statements",
        "statements",
        "edited.csv",
    ]);
    run.assert_code(0);
    // The folder holds the statements and their index.html.
    let written = std::fs::read_dir(dir.path().join("statements"))
        .expect("statements")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "index.html"))
        .count();
    assert!(written > 0);
    assert!(
        run.stderr
            .contains(&format!("sessionpay: wrote {written} statements to statements\n")),
        "{}",
        run.stderr
    );
    let mut book: Xlsx<_> = open_workbook(dir.path().join("pay.xlsx")).expect("open the workbook");
    assert!(book.sheet_names().contains(&"Adjustments".to_string()));
    let sheet = book
        .worksheet_range("Adjustments")
        .expect("the Adjustments sheet");
    let ids_in_sheet: Vec<String> = sheet
        .rows()
        .skip(1)
        .map(|r| match &r[0] {
            Data::Float(f) => format!("{f}"),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(ids_in_sheet, ids);
    // The summary holds the open periods only.
    let summary = book.worksheet_range("Summary").expect("Summary");
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("date");
    let june = (chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date") - epoch).num_days() as f64;
    let starts: Vec<f64> = summary
        .rows()
        .skip(1)
        .filter_map(|r| match &r[3] {
            Data::DateTime(d) => Some(d.as_f64()),
            Data::Float(f) => Some(*f),
            _ => None,
        })
        .collect();
    assert!(
        !starts.is_empty() && starts.iter().all(|s| *s >= june),
        "{starts:?}"
    );

    // Each adjusted instructor's first June statement lists the adjustments and the total due.
    let run = dir.run(&[
        "payroll",
        "-q",
        "--ledger",
        "pay.db",
        "--rates",
        "rates.toml",
        "edited.csv",
    ]);
    let pay = Table::parse(&run.out());
    let adjusted: Vec<&Vec<String>> = pay
        .rows
        .iter()
        .filter(|r| !dec(&r[pay.column("adjustments")]).is_zero())
        .collect();
    assert!(!adjusted.is_empty());
    for r in adjusted {
        let prefix = format!(
            "{}_{}",
            r[pay.column("period_start")],
            r[pay.column("instructor_id")]
        );
        let file = std::fs::read_dir(dir.path().join("statements"))
            .expect("statements")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(&prefix))
            .unwrap_or_else(|| panic!("a statement {prefix}"));
        let html = String::from_utf8(dir.read(&format!("statements/{file}"))).expect("utf-8");
        assert!(html.contains("Adjustments to periods already paid"), "{file}");
        let due = format!(
            "data-field=\"total_due\">{} {}",
            r[pay.column("currency")],
            sessionpay_render::group(&r[pay.column("total_due")])
        );
        assert!(html.contains(&due), "{file}: {due}");
    }
}

/// The export with three USD sessions of May paid by the hour given an
/// hour more, one removed and one added.
fn usd_edited_export(dir: &TestDir) -> String {
    let run = dir.run(&["sessions", "-q", "--rates", "rates.toml", "report.csv"]);
    run.assert_code(0);
    let t = Table::parse(&run.out());
    let (id, currency, start, kind) = (
        t.column("session_id"),
        t.column("currency"),
        t.column("local_start"),
        t.column("rate_type"),
    );
    let usd: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| r[currency] == "USD" && r[start].starts_with("2026-05") && r[kind] == "per_hour")
        .map(|r| r[id].as_str())
        .collect();
    assert!(usd.len() >= 5, "enough USD May sessions paid by the hour");
    let mut records = parse_csv(&fixture_text(EXPORT));
    let header = records.remove(0);
    let (hours, pending) = (
        header.iter().position(|h| h == "hours").expect("hours"),
        header
            .iter()
            .position(|h| h == "instructor_pay_calculation_pending")
            .expect("pending"),
    );
    let mut added = None;
    for r in &mut records {
        if usd[..3].contains(&r[0].as_str()) && r[pending] == "false" {
            r[hours] = (dec(&r[hours]) + Decimal::ONE).to_string();
        } else if r[0] == usd[3] {
            let mut copy = r.clone();
            copy[0] = "900002".into();
            added = Some(copy);
        }
    }
    records.retain(|r| r[0] != usd[4]);
    records.push(added.expect("a session to copy"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("header");
    for r in &records {
        w.write_record(r).expect("row");
    }
    String::from_utf8(w.into_inner().expect("csv")).expect("utf-8")
}

#[test]
fn gusto_gets_the_adjustment_as_a_correction_payment_unless_the_earning_is_that_column() {
    let dir = closed_through_may();
    dir.copy("people/conformance.csv");
    let text = usd_edited_export(&dir);
    dir.write("edited.csv", text);
    let ledger_args = ["--ledger", "pay.db", "--rates", "rates.toml"];
    let mut args = vec!["payroll", "-q", "--to", "2026-06-30"];
    args.extend(ledger_args);
    args.push("edited.csv");
    let run = dir.run(&args);
    run.assert_code(0);
    let pay = Table::parse(&run.out());
    let (id, cur, comp, adj, due) = (
        pay.column("instructor_id"),
        pay.column("currency"),
        pay.column("computed_pay"),
        pay.column("adjustments"),
        pay.column("total_due"),
    );
    let people = Table::parse(&fixture_text("people/conformance.csv"));
    let last_name = |instructor: &str| people.cell("instructor_id", instructor, "last_name");
    let first_name = |instructor: &str| people.cell("instructor_id", instructor, "first_name");
    let usd: Vec<&Vec<String>> = pay.rows.iter().filter(|r| r[cur] == "USD").collect();
    assert!(
        usd.iter().any(|r| !dec(&r[adj]).is_zero()),
        "the edits carry USD adjustments into June"
    );
    let export = |earning: Option<&str>, file: &str| {
        let mut args = vec![
            "export",
            "-q",
            "--to",
            "gusto",
            "--currency",
            "USD",
            "--people",
            "conformance.csv",
            "--until",
            "2026-06-30",
            "-o",
            file,
        ];
        if let Some(e) = earning {
            args.extend(["--earning", e]);
        }
        args.extend(ledger_args);
        args.push("edited.csv");
        dir.run(&args).assert_code(0);
        Table::parse(&String::from_utf8(dir.read(file)).expect("utf-8"))
    };
    // The default earning (commission) leaves correction_payment free.
    let file = export(None, "gusto.csv");
    assert_eq!(
        file.header,
        [
            "first_name",
            "last_name",
            "ssn",
            "gusto_employee_id",
            "title",
            "commission",
            "correction_payment"
        ]
    );
    let cell = |text: &str| if text.is_empty() { Decimal::ZERO } else { dec(text) };
    let paid: Vec<_> = usd
        .iter()
        .filter(|r| !dec(&r[due]).is_zero())
        .map(|r| (first_name(&r[id]), last_name(&r[id]), dec(&r[comp]), dec(&r[adj])))
        .collect();
    let (first, last, commission, correction) = (
        file.column("first_name"),
        file.column("last_name"),
        file.column("commission"),
        file.column("correction_payment"),
    );
    let written: Vec<_> = file
        .rows
        .iter()
        .map(|r| {
            (
                r[first].clone(),
                r[last].clone(),
                cell(&r[commission]),
                cell(&r[correction]),
            )
        })
        .collect();
    assert_eq!(
        written, paid,
        "the period's pay as commission, the adjustment as a correction"
    );
    assert!(file.rows.iter().any(|r| !r[correction].is_empty()));
    // An adjustment of 0 is a blank, so Gusto keeps what was entered by hand.
    assert!(file
        .values("correction_payment")
        .iter()
        .all(|c| !c.starts_with("0.00")));

    // The earning is correction_payment: total_due in that one column.
    let file = export(Some("correction_payment"), "gusto2.csv");
    assert_eq!(
        file.header,
        [
            "first_name",
            "last_name",
            "ssn",
            "gusto_employee_id",
            "title",
            "correction_payment"
        ]
    );
    let totals: Vec<Decimal> = file.values("correction_payment").iter().map(|c| dec(c)).collect();
    let due: Vec<Decimal> = paid.iter().map(|(_, _, c, a)| c + a).collect();
    assert_eq!(totals, due);
}
