//! Tests of the `fetch` flags, their mapping onto the client's options, and
//! the lines the client's events print. The client is tested in its crate.

use super::*;
use chrono::NaiveDate;
use clap::{CommandFactory as _, Parser};
use sessionpay_teamup::{SessionType, DEFAULT_BASE_URL};
use std::path::Path;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    args: FetchArgs,
}

#[test]
fn arguments_parse_and_help_is_consistent() {
    Cli::command().debug_assert();
    let cli = Cli::try_parse_from(["fetch", "-o", "x.ndjson"]).expect("defaults");
    assert_eq!(cli.args.base_url, DEFAULT_BASE_URL);
    assert_eq!(cli.args.token_env, "TEAMUP_TOKEN");
    assert!(!cli.args.resume && !cli.args.quiet);
    assert!(Cli::try_parse_from(["fetch"]).is_err(), "-o is required");
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--from", "2024-13-01"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--venues", "1,x"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--session-types", "other"]).is_err());
    assert!(Cli::try_parse_from(["fetch", "-o", "x", "--token", "abc"]).is_err());
    let help = Cli::command().render_long_help().to_string();
    assert!(help.contains("course_session: One date of a course"), "{help}");
}

#[test]
fn flags_map_onto_the_options() {
    let cli = Cli::try_parse_from([
        "fetch",
        "--base-url",
        "http://127.0.0.1:9/api/v2/",
        "--provider-id",
        "42",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-31",
        "--venues",
        "7,8",
        "--instructors",
        "5",
        "--pay-rates",
        "17,18",
        "--session-types",
        "class,course_session",
        "--resume",
        "-o",
        "out.ndjson",
    ])
    .expect("arguments parse");
    let o = options(&cli.args);
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
    assert_eq!(o.base_url, "http://127.0.0.1:9/api/v2/");
    assert_eq!(o.provider_id, Some(42));
    assert_eq!((o.from, o.to), (Some(d("2024-03-01")), Some(d("2024-03-31"))));
    assert_eq!(o.venues, [7, 8]);
    assert_eq!(o.instructors, [5]);
    assert_eq!(o.pay_rates, [17, 18]);
    assert_eq!(o.session_types, [SessionType::Class, SessionType::CourseSession]);
    assert!(o.resume);
    let defaults = FetchOptions::default();
    assert_eq!(
        (o.page_size, o.max_attempts),
        (defaults.page_size, defaults.max_attempts)
    );
}

#[test]
fn run_without_the_token_variable_names_it() {
    let var = "SESSIONPAY_TEST_UNSET_TOKEN_3F9A1C";
    assert!(std::env::var_os(var).is_none());
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.ndjson");
    let cli = Cli::try_parse_from([
        "fetch",
        "--token-env",
        var,
        "--base-url",
        "http://127.0.0.1:9/api/v2",
        "-o",
        out.to_str().expect("utf-8"),
    ])
    .expect("arguments");
    let err = format!("{:#}", run(&cli.args).expect_err("no token"));
    assert!(err.contains(var), "{err}");
    assert!(!out.exists());
}

#[test]
fn progress_redraws_in_place_on_a_terminal() {
    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf, false, true);
    p.page(1, 100, Some(250));
    p.page(2, 200, Some(250));
    p.note("a note");
    p.page(3, 250, Some(250));
    p.finish(250, Some(250));
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "\rsessionpay: page 1: 100 of 250 sessions\rsessionpay: page 2: 200 of 250 sessions\n\
         sessionpay: a note\n\
         \rsessionpay: page 3: 250 of 250 sessions\n"
    );

    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf, false, false);
    for n in 1..=12 {
        p.page(n, n * 100, None);
    }
    p.finish(1200, None);
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "sessionpay: page 10: 1,000 sessions\nsessionpay: page 12: 1,200 sessions\n"
    );
}

#[test]
fn events_print_as_notes_unless_quiet() {
    let events = [
        Event::Resuming {
            from: Path::new("s.ndjson.partial"),
            after: 3,
            kept: 3,
        },
        Event::NothingToResume {
            path: Path::new("s.ndjson"),
        },
        Event::Retrying {
            reason: "u: HTTP 429 (rate limited)",
            delay: Duration::from_millis(1500),
            attempt: 2,
            attempts: 6,
        },
        Event::Page {
            pages: 10,
            fetched: 997,
            total: Some(3000),
        },
        Event::Finished {
            fetched: 2997,
            total: Some(3000),
        },
    ];
    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf, false, false);
    for event in events {
        p.event(event);
    }
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "sessionpay: resuming s.ndjson.partial after session 3 (3 sessions kept)\n\
         sessionpay: s.ndjson does not exist yet; fetching from the start\n\
         sessionpay: warning: u: HTTP 429 (rate limited); retrying in 1.5s (attempt 2 of 6)\n\
         sessionpay: page 10: 1,000 of 3,000 sessions\n\
         sessionpay: page 10: 3,000 of 3,000 sessions\n"
    );
    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf, true, false);
    for event in events {
        p.event(event);
    }
    assert_eq!(
        String::from_utf8(buf).expect("utf-8"),
        "sessionpay: warning: u: HTTP 429 (rate limited); retrying in 1.5s (attempt 2 of 6)\n",
        "--quiet keeps only the warning"
    );
    let mut buf = Vec::new();
    let mut p = Printer::new(&mut buf, false, true);
    p.json = true;
    for event in events {
        p.event(event);
    }
    let text = String::from_utf8(buf).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines[2]["level"], "warning", "{text}");
    assert_eq!(
        lines.last().expect("last")["message"],
        "page 10: 3,000 of 3,000 sessions"
    );
}

#[test]
fn save_columns_writes_what_columns_from_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("columns.json");
    let headers = serde_json::json!([{"label": "Id", "key": "id", "sortable": true}]);
    save_columns(&saved, Some(&headers)).expect("saved");
    let text = std::fs::read_to_string(&saved).expect("columns file");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["column_headers"][0]["label"], "Id");
    assert_eq!(value["column_headers"][0]["key"], "id");
    sessionpay_io::ColumnMap::from_report_file(&saved).expect("readable by --columns-from");
    let err = save_columns(&dir.path().join("none.json"), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the report sent no column_headers: nothing to save for --save-columns"
    );
    assert!(!dir.path().join("none.json").exists());
}
