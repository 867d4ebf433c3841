//! Issue 12, the output side: every run's outputs are one unit (all of them
//! or none), exit 2 writes nothing but the rejects file, no output replaces
//! an input, a changed input fails the run, signals and the umask are
//! honoured, and data reaching a terminal or a spreadsheet is made harmless.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::hostile::HEADER;
use crate::util::{Run, TestDir};

/// One session of 4 customers at 5 a head, paid £20.00 as reported.
fn row(id: u64, instructor: u64, name: &str, date: &str) -> String {
    format!(
        "{id},{instructor},{name},{date}T09:00:00Z,1,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false"
    )
}

fn csv(rows: impl IntoIterator<Item = String>) -> String {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(&r);
        text.push('\n');
    }
    text
}

/// Ana (1) with one session in May, Ben (2) with 300: Ben's statement is
/// far larger than Ana's or the payroll CSV.
fn one_small_one_large() -> String {
    csv(std::iter::once(row(1, 1, "Ana", "2026-05-02"))
        .chain((0..300).map(|i| row(100 + i, 2, "Ben", "2026-05-03"))))
}

/// Good rows and three that cannot be read.
fn with_rejects() -> String {
    let mut text = csv([
        row(1, 1, "Ana", "2026-05-02"),
        row(2, 1, "Ana", "2026-05-03").replace(",4,0,0,0,", ",-4,0,0,0,"),
        row(3, 1, "Ana", "2026-05-04"),
        row(4, 1, "Ana", "2026-05-05").replace(",4,0,0,0,", ",x,0,0,0,"),
    ]);
    text.push_str("5,1,Ana,2026-05-06T09:00:00Z\n");
    text
}

/// The binary run through `sh` with a shell prelude (`ulimit`, `umask`).
fn run_in_shell(dir: &TestDir, prelude: &str, args: &[&str]) -> Run {
    let script = format!("{prelude} && exec \"$0\" \"$@\"");
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_sessionpay"))
        .args(args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("SESSIONPAY_THREADS")
        .env_remove("SESSIONPAY_PARALLEL_MIN_BYTES")
        .stdin(Stdio::null())
        .output()
        .expect("run sh");
    Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The binary with files limited to `kib` KiB each: a write past it fails
/// with "File too large", as a full disk fails a write (SIGXFSZ is ignored
/// so the write returns the error instead of ending the process).
fn run_with_small_disk(dir: &TestDir, kib: u32, args: &[&str]) -> Run {
    run_in_shell(dir, &format!("ulimit -f {} && trap '' XFSZ", kib * 2), args)
}

fn names_in(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn text(dir: &TestDir, name: &str) -> String {
    String::from_utf8(dir.read(name)).unwrap()
}

#[cfg(unix)]
#[test]
fn a_failed_statement_leaves_the_old_payroll_and_the_old_statements_folder() {
    let dir = TestDir::new();
    dir.write("export.csv", one_small_one_large());
    dir.write("payroll.csv", "the old payroll\n");
    dir.write("st/2026-04-01_1_ana.html", "the old statement");
    let run = run_with_small_disk(
        &dir,
        32,
        &[
            "payroll",
            "-q",
            "-o",
            "payroll.csv",
            "--statements",
            "st",
            "export.csv",
        ],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("File too large"), "{}", run.stderr);
    assert_eq!(text(&dir, "payroll.csv"), "the old payroll\n");
    assert_eq!(names_in(&dir.path().join("st")), ["2026-04-01_1_ana.html"]);
    assert_eq!(text(&dir, "st/2026-04-01_1_ana.html"), "the old statement");
    assert_eq!(
        dir.listing(),
        ["export.csv", "payroll.csv", "st"],
        "no temporary file or folder"
    );

    // With room, the same run replaces both, and the folder holds exactly
    // this run's statements: the stale one is gone.
    let run = dir.run(&[
        "payroll",
        "-q",
        "-o",
        "payroll.csv",
        "--statements",
        "st",
        "export.csv",
    ]);
    run.assert_code(0);
    assert!(text(&dir, "payroll.csv").starts_with("instructor_id,"));
    assert_eq!(
        names_in(&dir.path().join("st")),
        ["2026-05-01_1_ana.html", "2026-05-01_2_ben.html", "index.html"]
    );
    assert_eq!(dir.listing(), ["export.csv", "payroll.csv", "st"]);
}

#[cfg(unix)]
#[test]
fn a_full_disk_in_an_export_set_leaves_none_of_its_files() {
    let dir = TestDir::new();
    // March: one instructor; April: 300, so April's file is the large one.
    let rows = std::iter::once(row(1, 1, "First1 Last1", "2026-03-02"))
        .chain((1..=300).map(|i| row(1000 + i, i, &format!("First{i} Last{i}"), "2026-04-02")));
    dir.write("export.csv", csv(rows));
    let mut people = String::from("instructor_id,first_name,last_name\n");
    for i in 1..=300 {
        people.push_str(&format!("{i},First{i},Last{i}\n"));
    }
    dir.write("people.csv", people);
    dir.write("xero-GBP-2026-03-01.csv", "the old March file\n");
    let args = [
        "export",
        "-q",
        "--to",
        "xero",
        "--people",
        "people.csv",
        "-o",
        "xero.csv",
        "export.csv",
    ];
    let run = run_with_small_disk(&dir, 4, &args);
    run.assert_code(2);
    assert!(run.stderr.contains("File too large"), "{}", run.stderr);
    assert_eq!(
        dir.listing(),
        ["export.csv", "people.csv", "xero-GBP-2026-03-01.csv"],
        "no file of the failed set, no temporary file"
    );
    assert_eq!(text(&dir, "xero-GBP-2026-03-01.csv"), "the old March file\n");
    dir.run(&args).assert_code(0);
    assert!(dir.listing().contains(&"xero-GBP-2026-04-01.csv".to_string()));
}

#[test]
fn statements_do_not_replace_a_folder_of_other_files() {
    let dir = TestDir::new();
    dir.write("export.csv", one_small_one_large());
    dir.write("notes.txt", "mine");
    let run = dir.run(&["payroll", "-q", "--statements", ".", "export.csv"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains(".: the folder holds \"export.csv\", which is not a statement")
            || run.stderr.contains(".: the folder holds the input export.csv"),
        "{}",
        run.stderr
    );
    assert_eq!(dir.listing(), ["export.csv", "notes.txt"]);
    assert!(run.stdout.is_empty(), "nothing on stdout either");

    dir.write("st/notes.txt", "mine");
    let run = dir.run(&["payroll", "-q", "--statements", "st", "export.csv"]);
    run.assert_error(
        "st: the folder holds \"notes.txt\", which is not a statement; statements replace the whole \
         folder, so name a new or empty folder (or a folder of earlier statements)",
    );
    assert_eq!(names_in(&dir.path().join("st")), ["notes.txt"]);
}

#[test]
fn rejected_rows_without_allow_rejects_write_only_the_rejects_file() {
    let dir = TestDir::new();
    dir.write("export.csv", with_rejects());
    dir.write("payroll.csv", "the old payroll\n");
    for command in ["payroll", "reconcile", "sessions"] {
        let run = dir.run(&[
            command,
            "--skip-invalid",
            "rejects.csv",
            "-o",
            "payroll.csv",
            "export.csv",
        ]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("3 row(s) could not be read"),
            "{}",
            run.stderr
        );
        assert_eq!(text(&dir, "payroll.csv"), "the old payroll\n", "{command}");
        assert_eq!(text(&dir, "rejects.csv").lines().count(), 4, "{command}");
        std::fs::remove_file(dir.path().join("rejects.csv")).unwrap();
        // To stdout: nothing there either.
        let run = dir.run(&[command, "--skip-invalid", "rejects.csv", "export.csv"]);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{command}: {}", run.out());
        assert!(dir.path().join("rejects.csv").exists());
    }
    assert_eq!(dir.listing(), ["export.csv", "payroll.csv", "rejects.csv"]);
}

#[test]
fn allowed_rejects_mark_the_report_the_spreadsheet_and_every_statement_partial() {
    let dir = TestDir::new();
    dir.write("export.csv", with_rejects());
    let partial = "partial: 3 rows rejected";
    let args = |format: &'static str, out: &'static str| {
        vec![
            "payroll",
            "-q",
            "--skip-invalid",
            "rejects.csv",
            "--allow-rejects",
            "--format",
            format,
            "-o",
            out,
            "--statements",
            "st",
            "export.csv",
        ]
    };
    dir.run(&args("html", "report.html")).assert_code(0);
    assert!(text(&dir, "report.html").contains(partial));
    let statements = names_in(&dir.path().join("st"));
    assert_eq!(statements, ["2026-05-01_1_ana.html", "index.html"]);
    for name in &statements {
        assert!(text(&dir, &format!("st/{name}")).contains(partial), "{name}");
    }
    dir.run(&args("xlsx", "payroll.xlsx")).assert_code(0);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.path().join("payroll.xlsx")).unwrap();
    assert_eq!(book.sheet_names()[0], "Partial", "the first sheet a reader sees");
    let sheet = book.worksheet_range("Partial").unwrap();
    let banner = sheet
        .get_value((0, 0))
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(banner.starts_with(partial), "{banner}");

    // A whole run carries no banner.
    dir.write("export.csv", csv([row(1, 1, "Ana", "2026-05-02")]));
    dir.run(&args("html", "report.html")).assert_code(0);
    assert!(!text(&dir, "report.html").contains("partial:"));
    assert!(!text(&dir, "st/index.html").contains("partial:"));
}

#[test]
fn an_output_that_is_an_input_is_refused_before_reading() {
    let dir = TestDir::new();
    let export = csv([row(1, 1, "Ana", "2026-05-02")]);
    dir.write("export.csv", &export);
    dir.write("in/export.csv", &export);
    dir.write("rates.toml", "[defaults]\ncount_comped = false\n");
    dir.write("people.csv", "instructor_id,first_name,last_name\n1,Ana,Ng\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("export.csv", dir.path().join("link.csv")).unwrap();
        std::fs::hard_link(dir.path().join("export.csv"), dir.path().join("hard.csv")).unwrap();
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["payroll", "-o", "export.csv", "export.csv"],
            "export.csv: this output is also an input (export.csv)",
        ),
        (
            vec!["payroll", "-o", "in/../export.csv", "export.csv"],
            "in/../export.csv: this output is also an input (export.csv)",
        ),
        (
            vec!["payroll", "-o", "in/export.csv", "in"],
            "in/export.csv: this output is also an input (in/export.csv)",
        ),
        (
            vec!["sessions", "--skip-invalid", "export.csv", "export.csv"],
            "export.csv: this output is also an input",
        ),
        (
            vec![
                "reconcile",
                "--rates",
                "rates.toml",
                "-o",
                "rates.toml",
                "export.csv",
            ],
            "rates.toml: this output is also an input (rates.toml)",
        ),
        (
            vec!["payroll", "--statements", "in", "in/export.csv"],
            "in: the folder holds the input in/export.csv",
        ),
        (
            vec![
                "payroll",
                "-o",
                "st/payroll.csv",
                "--statements",
                "st",
                "export.csv",
            ],
            "it is inside st, which this run replaces as a whole",
        ),
        (
            vec![
                "payroll",
                "-o",
                "same.csv",
                "--skip-invalid",
                "same.csv",
                "export.csv",
            ],
            "same.csv: named as two outputs of one run",
        ),
        (
            vec![
                "export",
                "--to",
                "xero",
                "--people",
                "people.csv",
                "-o",
                "people.csv",
                "export.csv",
            ],
            "people.csv: this output is also an input (people.csv)",
        ),
        (
            vec!["rates", "infer", "-o", "export.csv", "export.csv"],
            "export.csv: this output is also an input (export.csv)",
        ),
    ];
    #[cfg(unix)]
    let cases = {
        let mut cases = cases;
        cases.push((
            vec!["payroll", "-o", "link.csv", "export.csv"],
            "link.csv: this output is also an input (export.csv)",
        ));
        cases.push((
            vec!["payroll", "-o", "hard.csv", "export.csv"],
            "hard.csv: this output is also an input (export.csv)",
        ));
        cases
    };
    for (args, message) in cases {
        let run = dir.run(&args);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
        assert_eq!(text(&dir, "export.csv"), export, "{args:?}");
        assert_eq!(text(&dir, "in/export.csv"), export, "{args:?}");
    }
    assert_eq!(text(&dir, "rates.toml"), "[defaults]\ncount_comped = false\n");
    assert!(text(&dir, "people.csv").starts_with("instructor_id,"));
    assert!(!dir.path().join("st").exists() && !dir.path().join("same.csv").exists());

    // Standard input redirected from the file is the file too.
    #[cfg(unix)]
    {
        let file = std::fs::File::open(dir.path().join("export.csv")).unwrap();
        let output = dir
            .command(&["payroll", "-o", "export.csv", "-"])
            .stdin(file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("export.csv: this output is also an input (<stdin>)"),
            "{stderr}"
        );
        assert_eq!(text(&dir, "export.csv"), export);
    }
}

/// Spawns the binary reading `files` then stdin, with --skip-invalid, and
/// waits until its rejects file is started (the run has looked at its
/// inputs and is reading).
fn spawn_reading_stdin(dir: &TestDir, args: &[&str]) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = dir
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{HEADER}\n").as_bytes()).unwrap();
    stdin.flush().unwrap();
    let started = std::time::Instant::now();
    while !dir.listing().iter().any(|n| n.starts_with(".rejects.csv.")) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the run never started its rejects file: {:?}",
            dir.listing()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child, stdin)
}

#[test]
fn an_input_that_grows_or_shrinks_while_it_is_read_fails_the_run_and_writes_nothing() {
    let two = csv([row(1, 1, "Ana", "2026-05-02"), row(2, 1, "Ana", "2026-05-03")]);
    let one = csv([row(1, 1, "Ana", "2026-05-02")]);
    // Grows: another session appended; shrinks: the last one cut off.
    for (before, after, sizes) in [
        (&one, &two, "(352 bytes before, 438 bytes after)"),
        (&two, &one, "(438 bytes before, 352 bytes after)"),
    ] {
        let dir = TestDir::new();
        dir.write("export.csv", before);
        dir.write("payroll.csv", "the old payroll\n");
        let (child, mut stdin) = spawn_reading_stdin(
            &dir,
            &[
                "payroll",
                "-q",
                "-o",
                "payroll.csv",
                "--skip-invalid",
                "rejects.csv",
                "export.csv",
                "-",
            ],
        );
        // Changed in place (same file, same inode) while the run is on.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(dir.path().join("export.csv"))
            .unwrap();
        file.write_all(after.as_bytes()).unwrap();
        drop(file);
        stdin
            .write_all(format!("{}\n", row(3, 1, "Ana", "2026-05-04")).as_bytes())
            .unwrap();
        drop(stdin);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("export.csv: the file changed while it was read {sizes}")),
            "{stderr}"
        );
        assert_eq!(text(&dir, "payroll.csv"), "the old payroll\n");
        assert_eq!(
            dir.listing(),
            ["export.csv", "payroll.csv"],
            "no rejects file either"
        );
    }
}

#[cfg(unix)]
#[test]
fn sigterm_and_sighup_remove_temporary_files_and_exit_128_plus_the_signal() {
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let dir = TestDir::new();
        dir.write("payroll.csv", "the old payroll\n");
        let (child, stdin) = spawn_reading_stdin(
            &dir,
            &[
                "payroll",
                "-o",
                "payroll.csv",
                "--skip-invalid",
                "rejects.csv",
                "-",
            ],
        );
        let output = crate::util::signal_and_wait(child, signal);
        drop(stdin);
        assert_eq!(
            output.status.code(),
            Some(code),
            "SIG{signal}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            dir.listing(),
            ["payroll.csv"],
            "SIG{signal}: no temporary file is left"
        );
        assert_eq!(text(&dir, "payroll.csv"), "the old payroll\n");
    }
}

#[cfg(unix)]
#[test]
fn outputs_get_the_mode_file_create_gives_under_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |dir: &TestDir, name: &str| {
        std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    let dir = TestDir::new();
    dir.write("export.csv", csv([row(1, 1, "Ana", "2026-05-02")]));
    let args = [
        "payroll",
        "-q",
        "-o",
        "payroll.csv",
        "--statements",
        "st",
        "export.csv",
    ];
    run_in_shell(&dir, "umask 077", &args).assert_code(0);
    assert_eq!(mode(&dir, "payroll.csv"), 0o600, "private under umask 077");
    assert_eq!(mode(&dir, "st"), 0o700);
    assert_eq!(mode(&dir, "st/index.html"), 0o600);
    assert_eq!(mode(&dir, "st/2026-05-01_1_ana.html"), 0o600);

    std::fs::remove_file(dir.path().join("payroll.csv")).unwrap();
    std::fs::remove_dir_all(dir.path().join("st")).unwrap();
    run_in_shell(&dir, "umask 002", &args).assert_code(0);
    assert_eq!(mode(&dir, "payroll.csv"), 0o664);
    assert_eq!(mode(&dir, "st"), 0o775);
    assert_eq!(mode(&dir, "st/index.html"), 0o664);

    // A file replaced keeps its mode, as File::create would leave it.
    std::fs::set_permissions(
        dir.path().join("payroll.csv"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    run_in_shell(&dir, "umask 000", &args).assert_code(0);
    assert_eq!(mode(&dir, "payroll.csv"), 0o640);
}

#[test]
fn data_reaching_stderr_has_its_control_characters_escaped() {
    let dir = TestDir::new();
    // A file name and a value with an OSC title sequence, a name with ESC and CR.
    let evil_value = row(1, 1, "Ana", "2026-05-02").replace(",4,0,0,0,", ",\u{1b}]0;pwned\u{7},0,0,0,");
    dir.write("in/x\u{1b}[2J.csv", csv([evil_value]));
    dir.write("in/y\u{1b}[31m.txt", "not an export");
    let run = dir.run(&["payroll", "in"]);
    run.assert_code(2);
    assert!(run.stderr.contains("in/x\\u{1b}[2J.csv"), "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped in/y\\u{1b}[31m.txt"),
        "{}",
        run.stderr
    );

    dir.write(
        "names.csv",
        csv([row(1, 1, "\"Ana\u{1b}[31m\rNg\"", "2026-05-02")]),
    );
    dir.write("people.csv", "instructor_id,first_name,last_name\n");
    let missing = dir.run(&[
        "export",
        "--to",
        "xero",
        "--people",
        "people.csv",
        "-o",
        "x.csv",
        "names.csv",
    ]);
    missing.assert_code(2);
    assert!(
        missing.stderr.contains("1 (Ana\\u{1b}[31m\\u{d}Ng)"),
        "{}",
        missing.stderr
    );

    for stderr in [&run.stderr, &missing.stderr] {
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "a raw control character reached stderr: {stderr:?}"
        );
    }
}

#[test]
fn csv_outputs_neutralise_every_formula_start() {
    let dir = TestDir::new();
    let names = [
        " =1+1",
        "\n=1+1",
        "\r=1+1",
        "\u{FF1D}1+1",
        "\u{FF0B}1",
        "\u{FF0D}1",
        "\u{FF20}SUM(A1)",
        "  @SUM(A1)",
    ];
    let rows = names.iter().enumerate().map(|(i, name)| {
        let id = i as u64 + 1;
        row(id, id, &format!("\"{name}\""), "2026-05-02")
    });
    dir.write("names.csv", csv(rows));
    let run = dir.run(&["payroll", "-q", "names.csv"]);
    run.assert_code(0);
    let table = crate::util::parse_csv(&run.out());
    let cells: Vec<&str> = table[1..].iter().map(|r| r[1].as_str()).collect();
    for name in names {
        let neutral = format!("'{name}");
        assert!(
            cells.contains(&neutral.as_str()),
            "{name:?} not neutralised: {cells:?}"
        );
    }
    // The sessions and reconcile outputs name them too.
    let sessions = dir.run(&["sessions", "-q", "names.csv"]);
    assert!(sessions.out().contains("'\u{FF1D}1+1"), "{}", sessions.out());
}
