//! The parallel reader gives exactly what the single sequential pass gives.

use crate::util::{fixture_text, TestDir};

/// The conformance CSV repeated `copies` times with fresh session ids.
fn big_csv(copies: u64) -> String {
    let text = fixture_text("conformance/report.csv");
    let (header, body) = text.split_once('\n').unwrap();
    let mut out = format!("{header}\n");
    for copy in 0..copies {
        for line in body.lines() {
            // Rows start with the id; quoted names never span lines in this export.
            let (id, rest) = line.split_once(',').unwrap();
            let id: u64 = id.parse().unwrap();
            out.push_str(&format!("{},{rest}\n", id + copy * 1_000_000));
        }
    }
    out
}

fn run_both(dir: &TestDir, args: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let sequential = dir.run_env(args, &[("SESSIONPAY_THREADS", "1")]);
    let parallel = dir.run_env(
        args,
        &[
            ("SESSIONPAY_THREADS", "3"),
            ("SESSIONPAY_PARALLEL_MIN_BYTES", "1"),
        ],
    );
    assert_eq!(sequential.code, parallel.code, "{}", parallel.stderr);
    (sequential.stdout, parallel.stdout)
}

#[test]
fn parallel_and_sequential_outputs_are_byte_identical() {
    let dir = TestDir::new();
    dir.write("big.csv", big_csv(3));
    dir.copy_as("conformance/rates.toml", "rates.toml");
    for command in ["payroll", "reconcile", "sessions"] {
        let args = [command, "-v", "--rates", "rates.toml", "big.csv"];
        let (sequential, parallel) = run_both(&dir, &args);
        assert!(!sequential.is_empty());
        assert!(sequential == parallel, "{command}: outputs differ");
    }
    // A payroll alone skips the session and venue names in parallel; a page that
    // lists sessions keeps them.
    let args = ["payroll", "--format", "html", "--rates", "rates.toml", "big.csv"];
    let (sequential, parallel) = run_both(&dir, &args);
    let page = String::from_utf8(sequential.clone()).unwrap();
    // The session name `The "Big" Stretch`, among the biggest differences.
    assert!(page.contains("Big&quot; Stretch"), "no session name on the page");
    assert!(sequential == parallel, "payroll --format html: outputs differ");
    assert_read_in_parallel(&dir, "big.csv");
}

/// `payroll -v` on three workers says it read `input`'s 9,000 rows in parallel.
fn assert_read_in_parallel(dir: &TestDir, input: &str) {
    let run = dir.run_env(
        &["payroll", "-v", "--rates", "rates.toml", input],
        &[
            ("SESSIONPAY_THREADS", "3"),
            ("SESSIONPAY_PARALLEL_MIN_BYTES", "1"),
        ],
    );
    assert!(
        run.stderr.contains("read 9000 rows in parallel by 3 workers"),
        "{input}: {}",
        run.stderr
    );
}

#[test]
fn a_quoted_newline_or_a_repeated_session_falls_back_to_one_pass() {
    let dir = TestDir::new();
    dir.copy_as("conformance/rates.toml", "rates.toml");
    let mut text = big_csv(2);
    // A name with a line break in the middle of the file, and a repeat of the first row at the end.
    let middle = text.len() / 2;
    let line_start = text[middle..].find('\n').unwrap() + middle + 1;
    let row_end = text[line_start..].find('\n').unwrap() + line_start;
    let row = text[line_start..row_end].to_string();
    let mut fields: Vec<&str> = row.splitn(3, ',').collect();
    let quoted = "\"Split\nName\"";
    fields[1] = quoted;
    text.replace_range(line_start..row_end, &fields.join(","));
    let first_row = text.lines().nth(1).unwrap().to_string();
    text.push_str(&first_row);
    text.push('\n');
    dir.write("tricky.csv", text);
    let args = ["payroll", "-v", "--rates", "rates.toml", "tricky.csv"];
    let (sequential, parallel) = run_both(&dir, &args);
    assert!(sequential == parallel, "outputs differ");
    let run = dir.run_env(
        &args,
        &[
            ("SESSIONPAY_THREADS", "2"),
            ("SESSIONPAY_PARALLEL_MIN_BYTES", "1"),
        ],
    );
    assert!(run.stderr.contains("in one pass"), "{}", run.stderr);
    assert!(run.stderr.contains("counted once"), "{}", run.stderr);
}

/// The conformance NDJSON repeated `copies` times with fresh session ids.
fn big_ndjson(copies: u64) -> String {
    let text = fixture_text("conformance/report.ndjson");
    let mut out = String::new();
    for copy in 0..copies {
        for line in text.lines() {
            let rest = line.strip_prefix("{\"id\": ").unwrap();
            let (id, rest) = rest.split_once(',').unwrap();
            let id: u64 = id.parse().unwrap();
            out.push_str(&format!("{{\"id\": {},{rest}\n", id + copy * 1_000_000));
        }
    }
    out
}

/// The same rows as [`big_ndjson`], as one JSON response.
fn big_json(copies: u64) -> String {
    let text = big_ndjson(copies);
    let rows: Vec<&str> = text.lines().collect();
    format!(
        "{{\"total\": {}, \"column_headers\": [], \"rows\": [\n{}\n]}}\n",
        rows.len(),
        rows.join(",\n")
    )
}

#[test]
fn ndjson_and_pages_read_in_parallel_match_one_pass_byte_for_byte() {
    let dir = TestDir::new();
    dir.write("big.ndjson", big_ndjson(3));
    dir.write("big.json", big_json(3));
    dir.copy_as("conformance/rates.toml", "rates.toml");
    std::fs::create_dir(dir.path().join("pages")).unwrap();
    for entry in std::fs::read_dir(crate::util::fixture("conformance/pages")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("pages").join(entry.file_name())).unwrap();
    }
    for input in ["big.ndjson", "big.json", "pages"] {
        for command in ["payroll", "reconcile", "sessions"] {
            let args = [command, "-v", "--rates", "rates.toml", input];
            let (sequential, parallel) = run_both(&dir, &args);
            assert!(!sequential.is_empty());
            assert!(sequential == parallel, "{command} {input}: outputs differ");
        }
    }
    // NDJSON is split at newlines, one JSON response into ranges of whole rows.
    for input in ["big.ndjson", "big.json"] {
        assert_read_in_parallel(&dir, input);
    }
    let run = dir.run_env(
        &["payroll", "-v", "--rates", "rates.toml", "pages"],
        &[("SESSIONPAY_THREADS", "2")],
    );
    assert!(run.stderr.contains("in parallel by 2 workers"), "{}", run.stderr);
    // A short folder is refused in parallel as in one pass.
    std::fs::remove_file(dir.path().join("pages/page-00002.json")).unwrap();
    let sequential = dir.run_env(
        &["payroll", "--rates", "rates.toml", "pages"],
        &[("SESSIONPAY_THREADS", "1")],
    );
    let parallel = dir.run_env(
        &["payroll", "--rates", "rates.toml", "pages"],
        &[("SESSIONPAY_THREADS", "2")],
    );
    assert_eq!(sequential.code, Some(2));
    assert_eq!(parallel.code, Some(2));
    assert_eq!(sequential.stderr, parallel.stderr);
}
