//! Tests of `resolve.rs`.

use super::*;
use crate::args::{Cli, Command};
use clap::Parser;

#[test]
fn every_input_flag_reaches_the_source() {
    let cli = Cli::try_parse_from([
        "sessionpay",
        "reconcile",
        "--rates",
        "p.toml",
        "--columns-from",
        "c.json",
        "-o",
        "out.csv",
        "--skip-invalid",
        "rejects.csv",
        "--allow-rejects",
        "-v",
        "a.csv",
        "-",
    ])
    .expect("reconcile");
    let Command::Reconcile(args) = cli.command else {
        panic!("parsed as another command");
    };
    let source = Source::of(&args.input);
    assert_eq!(source.inputs, [PathBuf::from("a.csv"), PathBuf::from("-")]);
    assert_eq!(source.rates, Some(PathBuf::from("p.toml")));
    assert_eq!(source.columns_from, Some(PathBuf::from("c.json")));
    assert_eq!(source.output, Some(PathBuf::from("out.csv")));
    assert_eq!(source.skip_invalid, Some(PathBuf::from("rejects.csv")));
    assert!(source.allow_rejects);
}
