//! Issue 12, the input side: every way an input could lose or misassign a
//! session without a word is refused, exit status 2, with a message naming
//! the file, the place and the value.

use crate::util::{fixture_text, TestDir};

/// The first row of `fixtures/shapes/rows.ndjson` (session 11, instructor 7).
fn first_row() -> String {
    fixture_text("shapes/rows.ndjson")
        .lines()
        .next()
        .expect("a row")
        .to_string()
}

/// Copies the conformance pages into `pages/`, leaving out those `skip` names.
fn copy_pages(dir: &TestDir, skip: &[&str]) {
    let from = crate::util::fixture("conformance/pages");
    let mut names: Vec<String> = std::fs::read_dir(&from)
        .expect("pages")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names.iter().filter(|n| !skip.contains(&n.as_str())) {
        dir.copy_as(&format!("conformance/pages/{name}"), &format!("pages/{name}"));
    }
}

#[test]
fn a_tolerance_with_underscores_or_an_exponent_is_a_usage_error() {
    let dir = TestDir::new();
    let name = dir.copy("shapes/rows.ndjson");
    for bad in ["0_01", "1e-2", "+0.01"] {
        let run = dir.run(&["reconcile", "--tolerance", bad, &name]);
        run.assert_code(2);
        assert!(run.stdout.is_empty());
        assert!(
            run.stderr.contains(&format!(
                "or an amount and currency such as 0.05USD, but found \"{bad}\""
            )),
            "{bad}: {}",
            run.stderr
        );
    }
    dir.run(&["reconcile", "--tolerance", "1", &name]).assert_code(1);
}

#[test]
fn two_policy_sections_for_one_id_are_refused_naming_both_lines() {
    let dir = TestDir::new();
    let name = dir.copy("shapes/rows.ndjson");
    for (policy, message) in [
        (
            "[rates.3]\ncount_comped = true\n\n[rates.003]\ncount_comped = false\n",
            "line 4, column 8: key rates.003: a second section for id 3: line 1 already has rates.3",
        ),
        (
            "[venues.\" 1\"]\ncurrency = \"GBP\"\n[venues.1]\ncurrency = \"EUR\"\n",
            "line 3, column 9: key venues.1: a second section for id 1: line 1 already has venues.\" 1\"",
        ),
    ] {
        dir.write("rates.toml", policy);
        dir.run(&["payroll", "--rates", "rates.toml", &name])
            .assert_error(&format!("rates.toml: {message} (ids are read as whole numbers)"));
    }
}

#[test]
fn a_folder_of_pages_short_of_its_total_names_the_missing_page() {
    let dir = TestDir::new();
    copy_pages(&dir, &[]);
    dir.run(&["payroll", "pages"]).assert_code(0);
    let dir = TestDir::new();
    copy_pages(&dir, &["page-00007.json"]);
    let run = dir.run(&["payroll", "-o", "out.csv", "pages"]);
    run.assert_error(
        "pages: the pages hold 2900 rows, but the report's total is 3000 (100 missing); page 7 looks \
         missing (a page's number is the last digits of its file name; 100 rows a page)",
    );
    assert!(!dir.path().join("out.csv").exists());
}

#[test]
fn pages_that_disagree_on_their_total_are_refused() {
    let dir = TestDir::new();
    copy_pages(&dir, &[]);
    let page = String::from_utf8(dir.read("pages/page-00030.json")).expect("utf-8");
    dir.write(
        "pages/page-00030.json",
        page.replacen("\"total\": 3000", "\"total\": 3100", 1),
    );
    dir.run(&["payroll", "pages"]).assert_error(
        "pages: the pages disagree on the report's total: page-00001.json says 3000 but \
         page-00030.json says 3100",
    );
}

#[test]
fn a_json_key_twice_in_a_row_is_refused_naming_the_row_and_the_key() {
    let dir = TestDir::new();
    let row = first_row();
    let twice = row.replacen(
        "\"instructor\": {\"id\": 7,",
        "\"instructor\": {\"id\": 99, \"name\": \"X\"}, \"instructor\": {\"id\": 7,",
        1,
    );
    assert_ne!(twice, row);
    dir.write("twice.ndjson", format!("{twice}\n"));
    dir.run(&["payroll", "twice.ndjson"]).assert_error(
        "twice.ndjson: line 1 (key \"instructor\"): the key appears twice in one object; which value \
         is meant cannot be told",
    );
    // Nested, in a JSON response, and on stdin.
    let pending = row.replacen(
        "\"instructor_pay_calculation_pending\": false",
        "\"instructor_pay_calculation_pending\": false, \"instructor_pay_calculation_pending\": true",
        1,
    );
    let nested = row.replacen("\"id\": 7,", "\"id\": 7, \"id\": 8,", 1);
    dir.write(
        "report.json",
        format!("{{\"total\": 2, \"rows\": [{row}, {pending}]}}"),
    );
    dir.run(&["payroll", "report.json"]).assert_error(
        "report.json: row 2 (key \"instructor_pay_calculation_pending\"): the key appears twice in one \
         object; which value is meant cannot be told",
    );
    dir.run_with_stdin(&["payroll", "-"], format!("{nested}\n").as_bytes())
        .assert_error(
            "<stdin>: line 1 (key \"instructor.id\"): the key appears twice in one object; which value \
             is meant cannot be told",
        );
}

#[test]
fn two_spellings_of_one_field_must_agree() {
    let dir = TestDir::new();
    let row = first_row();
    let flat = |id: u32| {
        row.replacen(
            "{\"id\": 11,",
            &format!("{{\"id\": 11, \"instructor_id\": {id},"),
            1,
        )
    };
    dir.write("differ.ndjson", format!("{}\n", flat(4242)));
    dir.run(&["payroll", "differ.ndjson"]).assert_error(
        "differ.ndjson: line 1 (key \"instructor.id\"): two spellings of one field disagree: \
         instructor.id is \"7\" but instructor_id is \"4242\"",
    );
    // Equal values say the same thing twice: tolerated, a number and its text too.
    let text = row.replacen("{\"id\": 11,", "{\"id\": 11, \"instructor_id\": \"7\",", 1);
    dir.write("equal.ndjson", format!("{}\n{text}\n", flat(7)));
    let run = dir.run(&["payroll", "equal.ndjson"]);
    run.assert_code(0);
    assert!(run.out().contains("\n7,"), "{}", run.out());
}

#[test]
fn a_csv_column_named_twice_names_both_header_cells() {
    let dir = TestDir::new();
    let csv = fixture_text("shapes/dot_headers.csv");
    let (header, body) = csv.split_once('\n').expect("a header");
    for (extra, cell) in [("instructor_id", "instructor_id"), ("Hours", "Hours")] {
        let rows: String = body
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| format!("{l},1\n"))
            .collect();
        dir.write("twice.csv", format!("{header},{extra}\n{rows}"));
        let run = dir.run(&["payroll", "twice.csv"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(&format!("and \"{cell}\" both hold")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_ndjson_line_over_the_record_cap_is_refused_without_reading_it_whole() {
    let dir = TestDir::new();
    let mut text = first_row().into_bytes();
    text.push(b'\n');
    let mut long = b"{\"id\": 12, \"name\": \"".to_vec();
    long.resize(65 << 20, b'x');
    text.extend_from_slice(&long);
    text.extend_from_slice(b"\"}\n");
    dir.write("long.ndjson", text);
    dir.run(&["payroll", "long.ndjson"])
        .assert_error("long.ndjson: line 2: a line is longer than 64 MiB; is this really a TeamUp export?");
}

#[test]
fn a_rate_with_more_than_a_thousand_tiers_is_refused() {
    let dir = TestDir::new();
    let tier = |k: u32| {
        format!(
            "{{\"lower_bound\": {k}, \"upper_bound\": {k}, \"per_customer_amount\": {{\"amount\": \"1\", \"currency\": \"gbp\"}}}}"
        )
    };
    let tiers: Vec<String> = (1..=1001).map(tier).collect();
    let row = first_row().replacen(
        "\"type\": \"per_customer\", \"base\": \"5\", \"tiers\": []",
        &format!(
            "\"type\": \"per_customer_tiered\", \"base\": \"0\", \"tiers\": [{}]",
            tiers.join(", ")
        ),
        1,
    );
    dir.write("tiers.ndjson", format!("{row}\n"));
    dir.run(&["payroll", "tiers.ndjson"]).assert_error(
        "tiers.ndjson: line 1 (key \"instructor_pay_rate.tiers\"): expected at most 1000 tiers, but found 1001",
    );
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_once_in_one_pass() {
    use std::io::Write as _;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = TestDir::new();
    let csv = fixture_text("shapes/dot_headers.csv");
    dir.write("file.csv", &csv);
    let want = dir.run(&["payroll", "file.csv"]);
    want.assert_code(0);

    let fifo = dir.path().join("x.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    // Every worker and the smallest split size: only the pipe itself keeps
    // the run from the parallel plan, which would open the file again.
    let mut child = dir
        .command(&["payroll", "x.csv"])
        .env("SESSIONPAY_THREADS", "4")
        .env("SESSIONPAY_PARALLEL_MIN_BYTES", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sessionpay");
    // Opening the pipe for writing waits for the reader; a run that opens it
    // a second time would wait for a second writer that never comes. The
    // writer is not joined, so a run that never opens the pipe cannot hang
    // the test.
    let writer_path = fifo.clone();
    std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .expect("open the pipe");
        let _ = pipe.write_all(csv.as_bytes());
    });
    // A safety net against a hang, not a measure of speed.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("sessionpay is still waiting on the pipe: it opened it twice");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(output.stdout, want.stdout);
}

/// A stand-in for the report endpoint on 127.0.0.1: each request's head is
/// read, the `id_gt` it asks for handed to `page`, and the answer sent.
/// `page` returning `None` holds the connection open until the test ends.
struct Server {
    base: String,
    requests: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Server {
    fn start(page: impl Fn(Option<u64>) -> Option<String> + Send + 'static) -> Server {
        use std::io::{Read as _, Write as _};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}/api/v2", listener.local_addr().expect("address"));
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (count, halt) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let id_gt = head
                    .split(['?', '&', ' '])
                    .find_map(|p| p.strip_prefix("id_gt="))
                    .and_then(|v| v.parse().ok());
                count.fetch_add(1, Ordering::SeqCst);
                match page(id_gt) {
                    Some(body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                             Connection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    None => {
                        while !halt.load(Ordering::SeqCst) {
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                    }
                }
            }
        });
        Server { base, requests, stop }
    }

    fn requests(&self) -> usize {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A report of sessions 1..=`n` in pages of at most `cap` rows, stating `total`.
fn report_page(id_gt: Option<u64>, n: u64, cap: u64, total: u64) -> String {
    let after = id_gt.unwrap_or(0);
    let rows: Vec<String> = (after + 1..=n)
        .take(cap as usize)
        .map(|id| format!("{{\"id\": {id}, \"name\": \"s{id}\"}}"))
        .collect();
    format!("{{\"total\": {total}, \"rows\": [{}]}}", rows.join(", "))
}

fn fetch(dir: &TestDir, server: &Server, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["fetch", "--base-url", &server.base, "-q", "-o", "out.ndjson"];
    args.extend_from_slice(extra);
    dir.run_env(
        &args,
        &[("TEAMUP_TOKEN", "tok-123"), ("SESSIONPAY_FETCH_BACKOFF_MS", "1")],
    )
}

#[test]
fn fetch_pages_past_short_pages_and_refuses_a_report_short_of_its_total() {
    // Pages capped at 50 rows, whatever page_size asks for.
    let server = Server::start(|id_gt| Some(report_page(id_gt, 120, 50, 120)));
    let dir = TestDir::new();
    fetch(&dir, &server, &[]).assert_code(0);
    let text = String::from_utf8(dir.read("out.ndjson")).expect("utf-8");
    assert_eq!(text.lines().count(), 120);
    assert!(text.ends_with("{\"id\": 120, \"name\": \"s120\"}\n"), "{text}");
    assert_eq!(server.requests(), 4, "three pages and the empty one");

    // An empty page after 50 rows, though the report says 120.
    let server = Server::start(|id_gt| Some(report_page(id_gt, 50, 50, 120)));
    let run = fetch(&dir, &server, &[]);
    run.assert_error(
        "the report ended after 50 sessions, but states a total of 120 (70 missing); out.ndjson \
         was left as it was: run the fetch again",
    );
    assert_eq!(dir.read("out.ndjson"), text.as_bytes(), "the old file is kept");
    assert_eq!(dir.listing(), ["out.ndjson"]);
}

#[test]
fn fetch_says_its_progress_and_the_file_it_wrote() {
    let server = Server::start(|id_gt| Some(report_page(id_gt, 1200, 100, 1200)));
    let dir = TestDir::new();
    let args = ["fetch", "--base-url", &server.base, "-o", "out.ndjson"];
    let run = dir.run_env(&args, &[("TEAMUP_TOKEN", "tok-123")]);
    run.assert_code(0);
    assert_eq!(
        run.stderr,
        "sessionpay: page 10: 1,000 of 1,200 sessions\n\
         sessionpay: page 12: 1,200 of 1,200 sessions\n\
         sessionpay: wrote out.ndjson: 1,200 sessions\n"
    );
}

#[cfg(unix)]
#[test]
fn an_interrupted_fetch_removes_its_partial_file_unless_resuming() {
    use std::time::{Duration, Instant};
    for resume in [false, true] {
        // The first page comes; the second never does.
        let server = Server::start(|id_gt| id_gt.is_none().then(|| report_page(None, 300, 100, 300)));
        let dir = TestDir::new();
        let mut args = vec!["fetch", "--base-url", &server.base, "-q", "-o", "out.ndjson"];
        if resume {
            args.push("--resume");
        }
        let mut child = dir
            .command(&args)
            .env("TEAMUP_TOKEN", "tok-123")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn sessionpay");
        // A safety net against a hang, not a measure of speed.
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.requests() < 2 {
            assert!(Instant::now() < deadline, "the second page was never asked for");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(dir.path().join("out.ndjson.partial").exists());
        let sent = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(130));
        let want: &[&str] = if resume { &["out.ndjson.partial"] } else { &[] };
        assert_eq!(dir.listing(), want, "resume: {resume}");
    }
}
