//! Tests of `args.rs`.

use super::*;

#[test]
fn the_command_line_is_well_formed() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn payroll_and_export_read_the_same_period_policy_and_input_flags() {
    let shared = [
        "--period",
        "week",
        "--from",
        "2024-01-01",
        "--rates",
        "p.toml",
        "a.csv",
        "b.csv",
    ];
    let payroll = Cli::try_parse_from(["sessionpay", "payroll"].into_iter().chain(shared)).expect("payroll");
    let export = Cli::try_parse_from(
        [
            "sessionpay",
            "export",
            "--to",
            "gusto",
            "--people",
            "people.csv",
            "-o",
            "out.csv",
        ]
        .into_iter()
        .chain(shared),
    )
    .expect("export");
    let (Command::Payroll(payroll), Command::Export(export)) = (payroll.command, export.command) else {
        panic!("parsed as other commands");
    };
    assert_eq!(payroll.periods.period, PeriodArg::Week);
    assert_eq!(export.periods.period, PeriodArg::Week);
    assert_eq!(payroll.periods.from, NaiveDate::from_ymd_opt(2024, 1, 1));
    assert_eq!(export.periods.from, payroll.periods.from);
    assert_eq!(payroll.input.rates.path, Some(PathBuf::from("p.toml")));
    assert_eq!(export.rates.path, payroll.input.rates.path);
    assert_eq!(
        payroll.input.paths.inputs,
        [PathBuf::from("a.csv"), PathBuf::from("b.csv")]
    );
    assert_eq!(export.paths.inputs, payroll.input.paths.inputs);
}

#[test]
fn a_request_for_json_messages_is_seen_before_parsing() {
    let asked = |words: &[&str]| json_asked(words.iter().map(std::ffi::OsString::from));
    assert!(asked(&["payroll", "--message-format", "json", "--bad"]));
    assert!(asked(&["--message-format=json", "payroll"]));
    assert!(!asked(&["payroll", "--format", "json"]));
    assert!(!asked(&["payroll", "--", "--message-format=json"]));
}
