//! Tests of the `fetch` flags and their mapping onto the client's options.
//! The client and the lines its events print are tested in its crate.

use super::*;
use chrono::NaiveDate;
use clap::{CommandFactory as _, Parser};
use sessionpay_teamup::{SessionType, DEFAULT_BASE_URL};

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
