//! Running the real `sessionpay` binary in a temporary folder, and small
//! helpers to read what it wrote: a CSV splitter, exact decimal comparison.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (fixtures live under it).
pub(crate) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture file, by its path under `fixtures/`.
pub(crate) fn fixture(path: &str) -> PathBuf {
    repo().join("fixtures").join(path)
}

/// The text of a fixture.
pub(crate) fn fixture_text(path: &str) -> String {
    std::fs::read_to_string(fixture(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A temporary folder per test; the binary runs with it as its working folder,
/// so messages name inputs by the short relative paths the test gave.
pub(crate) struct TestDir {
    dir: tempfile::TempDir,
}

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit status (`None` when killed by a signal).
    pub(crate) code: Option<i32>,
    /// Standard output, raw.
    pub(crate) stdout: Vec<u8>,
    /// Standard error, as text.
    pub(crate) stderr: String,
}

impl Run {
    /// Standard output as text.
    pub(crate) fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Asserts the exit status, showing stderr when it differs.
    #[track_caller]
    pub(crate) fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status\n--- stderr:\n{}\n--- stdout:\n{}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout)
        );
        self
    }

    /// Asserts an error run: status 2, nothing on stdout, and exactly `message` on stderr.
    #[track_caller]
    pub(crate) fn assert_error(&self, message: &str) {
        self.assert_code(2);
        assert!(
            self.stdout.is_empty(),
            "stdout should be empty on an error, but has:\n{}",
            String::from_utf8_lossy(&self.stdout)
        );
        assert_eq!(
            self.stderr,
            format!("sessionpay: {message}\n"),
            "the error message"
        );
    }
}

impl TestDir {
    pub(crate) fn new() -> TestDir {
        TestDir {
            dir: tempfile::Builder::new()
                .prefix("sessionpay-it-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies `fixtures/<from>` into the folder under its own file name; returns that name.
    pub(crate) fn copy(&self, from: &str) -> String {
        let name = Path::new(from)
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_string();
        self.copy_as(from, &name);
        name
    }

    /// Copies `fixtures/<from>` into the folder as `name`.
    pub(crate) fn copy_as(&self, from: &str, name: &str) {
        let to = self.path().join(name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::copy(fixture(from), &to).unwrap_or_else(|e| panic!("copy {from}: {e}"));
    }

    /// Writes a file into the folder.
    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        let to = self.path().join(name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(to, contents).expect("write file");
    }

    /// Reads a file of the folder.
    pub(crate) fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path().join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// The names in the folder, sorted (hidden ones included).
    pub(crate) fn listing(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path())
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A command for the binary, run in this folder, with a clean environment for colour.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionpay"));
        cmd.args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .env_remove("SESSIONPAY_THREADS")
            .env_remove("SESSIONPAY_PARALLEL_MIN_BYTES");
        cmd
    }

    /// Runs the binary with `args` and extra environment variables.
    pub(crate) fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        cmd.envs(vars.iter().copied()).stdin(Stdio::null());
        let output = cmd.output().expect("run sessionpay");
        Run {
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs the binary with `args` and empty stdin.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, b"")
    }

    /// Runs the binary with `args`, feeding `stdin`.
    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sessionpay");
        let mut input = child.stdin.take().expect("stdin");
        let data = stdin.to_vec();
        // Feed stdin from a thread so a child that writes before it reads cannot deadlock.
        let feeder = std::thread::spawn(move || {
            // The child may stop reading early (an error): that is not the test's concern.
            let _ = input.write_all(&data);
        });
        let output = child.wait_with_output().expect("wait for sessionpay");
        feeder.join().expect("stdin feeder");
        Run {
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes,
/// commas and newlines inside quotes; `\n` or `\r\n` between records).
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv_reader(text)
        .records()
        .map(|r| {
            let record = r.expect("well-formed CSV");
            record.iter().map(String::from).collect()
        })
        .collect()
}

/// Splits CSV text into its raw records (header first), each with its line
/// ending, keeping quoted newlines inside their record.
pub(crate) fn raw_csv_records(text: &str) -> Vec<String> {
    let mut starts: Vec<usize> = csv_reader(text)
        .records()
        .map(|r| {
            let record = r.expect("well-formed CSV");
            record.position().map_or(0, |p| p.byte() as usize)
        })
        .collect();
    starts.push(text.len());
    starts.windows(2).map(|w| text[w[0]..w[1]].to_string()).collect()
}

/// A reader of every record, of any length, with no header.
fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// A CSV table: its header and rows, looked up by column name.
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn parse(text: &str) -> Table {
        let mut records = parse_csv(text);
        assert!(!records.is_empty(), "a CSV with a header");
        let header = records.remove(0);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(
                r.len(),
                header.len(),
                "record {} has as many fields as the header",
                i + 1
            );
        }
        Table {
            header,
            rows: records,
        }
    }

    pub(crate) fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header))
    }

    /// The cells of one column, top to bottom.
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        let i = self.column(name);
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// The row whose `key` column is `value`.
    pub(crate) fn row(&self, key: &str, value: &str) -> Vec<&str> {
        let i = self.column(key);
        let matches: Vec<&Vec<String>> = self.rows.iter().filter(|r| r[i] == value).collect();
        assert_eq!(matches.len(), 1, "one row with {key} = {value}");
        matches[0].iter().map(String::as_str).collect()
    }

    /// The cell of the row whose `key` column is `value`, in column `column`.
    pub(crate) fn cell(&self, key: &str, value: &str, column: &str) -> String {
        self.row(key, value)[self.column(column)].to_string()
    }
}

/// A decimal written canonically, exactly (no floating point): `5.00`, `5.0`
/// and `5` all become `5`; `-0.00` becomes `0`; anything that is not a plain
/// decimal is returned unchanged.
pub(crate) fn canonical_decimal(text: &str) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let plain = !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit())
        && !(digits.contains('.') && fraction.is_empty());
    if !plain {
        return text.to_string();
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = fraction.trim_end_matches('0');
    let magnitude = if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    };
    if negative && magnitude != "0" {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// Compares `ours` with `expected` cell by cell over the expected columns
/// (ours may add columns after them), numbers as exact decimals; rows in order.
///
/// Returns the differences, at most 20, each naming the row, its key and the column.
pub(crate) fn numeric_differences(ours: &Table, expected: &Table, key: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    assert_eq!(
        &ours.header[..expected.header.len().min(ours.header.len())],
        &expected.header[..],
        "our columns start with the expected ones, in order"
    );
    if ours.rows.len() != expected.rows.len() {
        problems.push(format!(
            "{} rows, but {} expected",
            ours.rows.len(),
            expected.rows.len()
        ));
    }
    let key_columns: Vec<usize> = key.iter().map(|k| expected.column(k)).collect();
    for (n, (a, b)) in ours.rows.iter().zip(&expected.rows).enumerate() {
        let id: Vec<&str> = key_columns.iter().map(|&i| b[i].as_str()).collect();
        for (i, column) in expected.header.iter().enumerate() {
            if canonical_decimal(&a[i]) != canonical_decimal(&b[i]) {
                problems.push(format!(
                    "row {} ({}): {column}: ours {:?}, expected {:?}",
                    n + 1,
                    id.join("/"),
                    a[i],
                    b[i]
                ));
            }
        }
        if problems.len() >= 20 {
            break;
        }
    }
    problems
}

/// Sends `SIG<signal>` (`TERM`, `INT` …) to `child` and waits for it to end.
#[cfg(unix)]
pub(crate) fn signal_and_wait(child: std::process::Child, signal: &str) -> std::process::Output {
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait_with_output().unwrap()
}

/// A deterministic shuffle (xorshift64*, Fisher-Yates): the same seed, the same order.
pub(crate) fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[test]
fn the_helpers_split_csv_and_compare_decimals_exactly() {
    assert_eq!(
        parse_csv("a,b\r\n\"x, \"\"y\"\"\nz\",2\n"),
        vec![vec!["a", "b"], vec!["x, \"y\"\nz", "2"]]
    );
    assert_eq!(parse_csv("a,\n,b"), vec![vec!["a", ""], vec!["", "b"]]);
    assert_eq!(
        raw_csv_records("h\n\"a\nb\",1\nc,2"),
        vec!["h\n", "\"a\nb\",1\n", "c,2"]
    );
    for (a, b) in [
        ("5.00", "5"),
        ("5.0", "5"),
        ("5", "5"),
        ("0.10", "0.1"),
        ("-0.00", "0"),
        ("-9.990", "-9.99"),
        ("007.50", "7.5"),
        ("1200", "1200"),
        ("GBP", "GBP"),
        ("2026-01-31", "2026-01-31"),
        ("5.", "5."),
        ("", ""),
    ] {
        assert_eq!(canonical_decimal(a), b, "{a}");
    }
    let mut v: Vec<u32> = (0..50).collect();
    shuffle(&mut v, 7);
    let mut w: Vec<u32> = (0..50).collect();
    shuffle(&mut w, 7);
    assert_eq!(v, w, "deterministic");
    assert_ne!(v, (0..50).collect::<Vec<u32>>(), "shuffled");
}
