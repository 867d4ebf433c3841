//! Command-line arguments: parsed and checked here, before any file is read.

use std::path::PathBuf;

use chrono::{NaiveDate, Weekday};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;
use sessionpay_core::PeriodKind;

const EXIT_STATUS: &str = "\
EXIT STATUS:
  0  success
  1  the run worked, but reconcile found a mismatch (or --fail-on-mismatch tripped)
  2  an error: bad input, bad usage, or an I/O failure (nothing is written)";

const INFER_EXIT_STATUS: &str = "\
EXIT STATUS:
  0  every rate has a policy that explains most of its sessions
  1  some rate has no policy that explains most of its sessions (see the table on stderr)
  2  an error: bad input, bad usage, or an I/O failure (nothing is written)";

/// Pays fitness instructors exactly from TeamUp's instructed-sessions report.
///
/// sessionpay recomputes every session's pay from its rate and counts under a
/// rate policy, reconciles it with TeamUp's figure, and rolls payroll up per
/// instructor and pay period in each venue's local time.
#[derive(Debug, Parser)]
#[command(name = "sessionpay", version, after_long_help = EXIT_STATUS, after_help = EXIT_STATUS)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Per-instructor payroll summaries per pay period
    #[command(after_help = EXIT_STATUS)]
    Payroll(PayrollArgs),
    /// One row per session: computed against reported pay, with the reason for each mismatch
    #[command(after_help = EXIT_STATUS)]
    Reconcile(ReconcileArgs),
    /// One row per session with the full breakdown of its pay
    #[command(after_help = EXIT_STATUS)]
    Sessions(SessionsArgs),
    /// Work on the rate policy
    #[command(subcommand)]
    #[command(after_help = EXIT_STATUS)]
    Rates(RatesCommand),
    /// Write the payroll as a payroll provider's import file (Gusto, Xero, BrightPay, a template)
    #[command(after_help = EXIT_STATUS)]
    Export(crate::export::ExportArgs),
    /// Page the instructed-sessions report from TeamUp's API into an NDJSON file
    #[command(after_help = EXIT_STATUS)]
    Fetch(crate::fetch::FetchArgs),
    /// Record the whole pay periods through a date as paid, in the ledger
    #[command(after_help = EXIT_STATUS)]
    Close(crate::ledger::CloseArgs),
    /// Every session of the closed periods whose figure differs from what was paid
    #[command(after_help = EXIT_STATUS)]
    Adjustments(crate::ledger::AdjustmentsArgs),
    /// The ledger's runs: list, show, void
    #[command(subcommand)]
    #[command(after_help = EXIT_STATUS)]
    Ledger(crate::ledger::LedgerCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RatesCommand {
    /// Find the policy of each rate that explains TeamUp's reported figures
    #[command(after_help = INFER_EXIT_STATUS)]
    Infer(crate::infer::InferArgs),
}

/// What every command that reads exports shares.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Rate policy file (TOML): counting, caps, empty-session pay, tier mode, rounding, venue currencies
    #[arg(long, value_name = "FILE")]
    pub(crate) rates: Option<PathBuf>,

    /// A saved JSON response of the same report: its column_headers (label and key) name the CSV's header cells
    #[arg(long, value_name = "FILE")]
    pub(crate) columns_from: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    pub(crate) format: OutputFormat,

    /// Write to FILE (atomically: it appears only when complete) instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// Print no notes on stderr (errors are still printed)
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Instead of stopping at the first row that cannot be read, write every such row with its
    /// place and reason to FILE (CSV) and go on. The run still exits with status 2 unless
    /// --allow-rejects is given, so nobody pays from a partial run by accident
    #[arg(long, value_name = "FILE")]
    pub(crate) skip_invalid: Option<PathBuf>,

    /// With --skip-invalid: exit 0 even when rows were rejected
    #[arg(long, requires = "skip_invalid")]
    pub(crate) allow_rejects: bool,

    /// Also say on stderr how the input was read (rows, parallel workers)
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,

    /// Export files (.csv, .json, .ndjson, .jsonl), folders of them (read in name order), or - for stdin
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Comma-separated values with a header row
    Csv,
    /// A JSON array of objects (amounts as exact decimal strings)
    Json,
    /// payroll only: a spreadsheet with Summary, Sessions and Differences sheets (needs -o)
    Xlsx,
    /// payroll only: one self-contained report page for a payroll review
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeriodArg {
    Month,
    Semimonth,
    Week,
    Fortnight,
    All,
}

/// How sessions are bucketed into pay periods: `payroll` and `export` take the same options.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct PeriodArgs {
    /// Pay period: calendar month, 1st-15th and 16th-end, week, fortnight (needs --anchor), or all
    #[arg(long, value_enum, default_value_t = PeriodArg::Month)]
    pub(crate) period: PeriodArg,

    /// First day of a week for --period week
    #[arg(long, value_name = "DAY", value_parser = parse_weekday, default_value = "monday")]
    pub(crate) week_start: Weekday,

    /// A date that starts a fortnight, for --period fortnight (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub(crate) anchor: Option<NaiveDate>,
}

impl PeriodArgs {
    /// The period kind these options ask for.
    ///
    /// # Errors
    /// `--period fortnight` without `--anchor`.
    pub(crate) fn kind(&self) -> anyhow::Result<PeriodKind> {
        Ok(match self.period {
            PeriodArg::Month => PeriodKind::Month,
            PeriodArg::Semimonth => PeriodKind::Semimonth,
            PeriodArg::Week => PeriodKind::Week {
                start: self.week_start,
            },
            PeriodArg::Fortnight => PeriodKind::Fortnight {
                anchor: self.anchor.ok_or_else(|| {
                    anyhow::anyhow!(
                        "--period fortnight needs --anchor DATE, a date that starts one of your fortnights"
                    )
                })?,
            },
            PeriodArg::All => PeriodKind::All,
        })
    }
}

#[derive(Debug, Args)]
pub(crate) struct PayrollArgs {
    #[command(flatten)]
    pub(crate) periods: PeriodArgs,

    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    /// Also write one HTML statement per instructor and period into DIR, which is replaced as a
    /// whole (an existing DIR may hold only .html files, such as earlier statements)
    #[arg(long, value_name = "DIR")]
    pub(crate) statements: Option<PathBuf>,

    /// Leave out the periods this ledger closed, and carry each instructor's adjustments
    /// into their first open period (two more columns: adjustments, total_due)
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// Largest difference still counted as a match (an amount, e.g. 0.01)
    #[arg(long, value_name = "AMOUNT", value_parser = parse_tolerance, default_value = "0")]
    pub(crate) tolerance: Decimal,

    /// Add two columns: how our figure was reached, and how TeamUp's is reached
    /// under the change of policy named in `reason`
    #[arg(long)]
    pub(crate) explain: bool,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SessionsArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("expected a day of the week such as monday or sun, but found {text:?}"))
}

/// A plain decimal: digits with at most one point (`0.01`, `1`, `.5`). The
/// decimal crate would also take `0_01` and `1e-2`, which no one means.
fn parse_tolerance(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("expected an amount of zero or more, but found {text:?}"));
    }
    let plain = t.bytes().any(|b| b.is_ascii_digit())
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && t.bytes().filter(|&b| b == b'.').count() <= 1;
    let value = plain
        .then(|| Decimal::from_str_exact(t).ok())
        .flatten()
        .ok_or_else(|| format!("expected an amount such as 0.01, but found {text:?}"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn weekdays_and_tolerances_parse_strictly() {
        assert_eq!(parse_weekday("Sunday").unwrap(), Weekday::Sun);
        assert_eq!(parse_weekday("tue").unwrap(), Weekday::Tue);
        assert!(parse_weekday("someday").is_err());
        assert_eq!(parse_tolerance("0.01").unwrap().to_string(), "0.01");
        assert!(parse_tolerance("-1").is_err());
        assert!(parse_tolerance("1,5").is_err());
        assert_eq!(parse_tolerance(".5").unwrap().to_string(), "0.5");
        assert_eq!(parse_tolerance("1").unwrap().to_string(), "1");
        for bad in [
            "0_01", "1_000", "1e-2", "+0.01", "0.0.1", ".", "", "0x1", "Inf", "NaN",
        ] {
            let err = parse_tolerance(bad);
            assert!(err.is_err(), "{bad:?} gave {err:?}");
        }
    }
}
