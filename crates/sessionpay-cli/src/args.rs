//! Command-line flags: every command's clap structs, parsed and checked here,
//! before any file is read. Nothing here depends on the rest of the CLI.

use std::path::PathBuf;

use chrono::{NaiveDate, Weekday};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;
use sessionpay_core::{Currency, PeriodKind};
use sessionpay_teamup::{SessionType, DEFAULT_BASE_URL};

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
    Export(ExportArgs),
    /// Page the instructed-sessions report from TeamUp's API into an NDJSON file
    #[command(after_help = EXIT_STATUS)]
    Fetch(FetchArgs),
    /// Record the whole pay periods through a date as paid, in the ledger
    #[command(after_help = EXIT_STATUS)]
    Close(CloseArgs),
    /// Every session of the closed periods whose figure differs from what was paid
    #[command(after_help = EXIT_STATUS)]
    Adjustments(AdjustmentsArgs),
    /// The ledger's runs: list, show, void
    #[command(subcommand)]
    #[command(after_help = EXIT_STATUS)]
    Ledger(LedgerCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RatesCommand {
    /// Find the policy of each rate that explains TeamUp's reported figures
    #[command(after_help = INFER_EXIT_STATUS)]
    Infer(InferArgs),
}

/// The exports a command reads: the one positional argument of every command that reads them.
#[derive(Debug, Args)]
pub(crate) struct InputPaths {
    /// Export files (.csv, .json, .ndjson, .jsonl), folders of them (read in name order), or - for stdin
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

/// `--rates`, as payroll, reconcile, sessions and export take it.
#[derive(Debug, Args)]
pub(crate) struct RatesArg {
    /// Rate policy file (TOML): counting, caps, empty-session pay, tier mode, rounding, venue currencies
    #[arg(id = "rates", long = "rates", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,
}

/// `--columns-from`: the studio's header labels, from a saved JSON response.
#[derive(Debug, Args)]
pub(crate) struct ColumnsFromArg {
    /// A saved JSON response of the same report: its column_headers (label and key) name the CSV's header cells
    #[arg(id = "columns_from", long = "columns-from", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,
}

/// `-o`, for a command that otherwise writes to stdout.
#[derive(Debug, Args)]
pub(crate) struct OutputArg {
    /// Write to FILE (atomically: it appears only when complete) instead of stdout
    #[arg(id = "output", short = 'o', long = "output", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,
}

/// What every command that reads exports shares.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    #[command(flatten)]
    pub(crate) rates: RatesArg,

    #[command(flatten)]
    pub(crate) columns_from: ColumnsFromArg,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
    pub(crate) format: OutputFormat,

    #[command(flatten)]
    pub(crate) output: OutputArg,

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

    #[command(flatten)]
    pub(crate) paths: InputPaths,
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

/// How sessions are bucketed into pay periods, and the first date: `payroll` and
/// `export` take the same options (the last date is `--to` in one, `--until` in the other).
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

    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,
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
    pub(crate) sort: SortArgs,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SessionsArgs {
    #[command(flatten)]
    pub(crate) sort: SortArgs,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// How the per-session commands sort their rows by session id.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct SortArgs {
    /// Memory for sorting the rows by session id (e.g. 64MiB, 512KiB, 1GiB); past it, sorted runs
    /// go to temporary files beside the -o file (or in the system's temporary folder), merged at
    /// the end and removed on every exit
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64MiB")]
    pub(crate) sort_memory: usize,
}

/// A size in bytes: digits, optionally followed by KiB, MiB or GiB (or K, M, G; powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => return Err(format!("expected a size such as 64MiB, but found {text:?}")),
    };
    let size = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1usize << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("expected a size of at least one byte such as 64MiB, but found {text:?}"))?;
    Ok(size)
}

/// The payroll systems `export` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Provider {
    /// Gusto's payroll CSV upload (US, USD)
    Gusto,
    /// The UpSheets timesheet CSV used with Xero Payroll (UK, AU, NZ)
    Xero,
    /// BrightPay's Additions CSV import (UK GBP, Ireland EUR)
    Brightpay,
    /// Columns, header, date format and earning codes from --template FILE (ADP, Paychex, Sage, ...)
    Template,
}

/// Options of `sessionpay export`.
///
/// The payroll options are those of `payroll`, except that the last date is
/// `--until DATE`: `--to` names the payroll system.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The payroll system to write for
    #[arg(long = "to", value_enum, value_name = "PROVIDER")]
    pub(crate) provider: Provider,

    /// people.csv: instructor_id, first_name, last_name and the identity columns the payroll system needs
    #[arg(long, value_name = "FILE")]
    pub(crate) people: PathBuf,

    /// For --to template: the template (TOML) with the columns, header, date format and earning codes
    #[arg(long, value_name = "FILE", required_if_eq("provider", "template"))]
    pub(crate) template: Option<PathBuf>,

    /// Export only the pay in this currency (an ISO code such as USD)
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub(crate) currency: Option<Currency>,

    /// The earning in the payroll system: Gusto's column (commission, bonus or correction_payment;
    /// default commission), Xero's earnings rate or BrightPay's addition description (default "Class pay")
    #[arg(long, value_name = "NAME")]
    pub(crate) earning: Option<String>,

    #[command(flatten)]
    pub(crate) periods: PeriodArgs,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive; payroll's --to)
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match (the files are still written)
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    #[command(flatten)]
    pub(crate) rates: RatesArg,

    /// The file to write (atomically); with several currencies or periods, one file each, named
    /// STEM-CURRENCY-PERIODSTART.EXT beside it
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub(crate) output: PathBuf,

    /// Print no notes on stderr (errors are still printed)
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Also say on stderr how the input was read (rows, parallel workers)
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,

    /// Leave out the periods this ledger closed and pay each instructor's total_due
    /// (their first open period's pay plus the adjustments carried into it)
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) paths: InputPaths,
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::try_from_code(text.trim())
        .map_err(|_| format!("expected an ISO 4217 currency code such as USD, but found {text:?}"))
}

/// `sessionpay close`.
#[derive(Debug, Args)]
pub(crate) struct CloseArgs {
    /// The ledger file (SQLite); created when absent
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: PathBuf,

    #[command(flatten)]
    pub(crate) periods: PeriodArgs,

    /// Close every whole period that ends on or before this venue-local date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub(crate) through: NaiveDate,

    /// Rate policy file (TOML)
    #[arg(long, value_name = "FILE")]
    pub(crate) rates: Option<PathBuf>,

    /// A saved JSON response of the same report: its column_headers name the CSV's header cells
    #[arg(long, value_name = "FILE")]
    pub(crate) columns_from: Option<PathBuf>,

    /// Print no notes on stderr (errors are still printed)
    #[arg(short = 'q', long)]
    pub(crate) quiet: bool,

    /// Export files or folders of them (not stdin: a close records each input's checksum)
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

/// `sessionpay adjustments`.
#[derive(Debug, Args)]
pub(crate) struct AdjustmentsArgs {
    /// The ledger file (read, never written)
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: PathBuf,

    /// Compare the closed periods from this venue-local date (instead of those the input has sessions in)
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Compare the closed periods up to this venue-local date
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<NaiveDate>,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// `sessionpay ledger ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Every run: when it was closed, what it closed, from which inputs
    Runs {
        /// The ledger file
        #[arg(long, value_name = "FILE")]
        ledger: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Csv)]
        format: OutputFormat,
    },
    /// One run in full: options, inputs with their SHA-256, periods, totals
    Show {
        /// The ledger file
        #[arg(long, value_name = "FILE")]
        ledger: PathBuf,
        /// The run id (see `ledger runs`)
        run: i64,
    },
    /// Void a run closed by mistake: its periods are open again (nothing is deleted)
    Void {
        /// The ledger file
        #[arg(long, value_name = "FILE")]
        ledger: PathBuf,
        /// The run id (see `ledger runs`)
        run: i64,
        /// Why it is voided (recorded)
        #[arg(long, value_name = "TEXT")]
        why: String,
    },
}

/// Options of `sessionpay fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {
    /// Base URL of the TeamUp API (plain http:// only for loopback hosts)
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    /// Name of the environment variable that holds the API token (the token itself is never
    /// taken from a flag)
    #[arg(long, value_name = "NAME", default_value = "TEAMUP_TOKEN")]
    pub(crate) token_env: String,

    /// TeamUp provider (business) id, sent as the TeamUp-Provider-ID header
    #[arg(long, value_name = "ID")]
    pub(crate) provider_id: Option<u64>,

    /// First date (YYYY-MM-DD). The request is widened by 14 hours on both sides so that no
    /// venue-local day is cut; `payroll --from/--to` then select by venue-local date
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Last date (YYYY-MM-DD), inclusive; widened like --from
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<NaiveDate>,

    /// Only these venue ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) venues: Vec<u64>,

    /// Only these instructor ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) instructors: Vec<u64>,

    /// Only these pay rate ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) pay_rates: Vec<u64>,

    /// Only these session types (comma-separated)
    #[arg(long, value_name = "TYPES", value_delimiter = ',', value_parser = session_types())]
    pub(crate) session_types: Vec<SessionType>,

    /// Continue an existing output file after its highest session id, keeping its rows (use the
    /// same filters as the run that wrote it); an interrupted --resume run keeps FILE.partial, and
    /// the next one continues from it
    #[arg(long)]
    pub(crate) resume: bool,

    /// Print no progress (warnings and errors are still printed)
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,

    /// NDJSON file to write (one session row per line); replaced only when the run succeeds
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// Also write the report's column_headers (the label and key of each column) to FILE, for
    /// reading a CSV export of the same report with --columns-from FILE
    #[arg(long, value_name = "FILE")]
    pub(crate) save_columns: Option<PathBuf>,
}

/// The values of `--session-types`, with their help.
fn session_types() -> impl TypedValueParser<Value = SessionType> {
    let values = SessionType::ALL.map(|t| PossibleValue::new(t.as_str()).help(t.description()));
    PossibleValuesParser::new(values).try_map(|name| name.parse::<SessionType>())
}

/// Options of `sessionpay rates infer`.
#[derive(Debug, clap::Args)]
pub(crate) struct InferArgs {
    /// Output format: a policy file with the evidence in comments, or JSON with the evidence as data
    #[arg(long, value_enum, default_value_t = InferFormat::Toml)]
    pub(crate) format: InferFormat,

    // The help is an attribute, not a doc comment: rustdoc would read the
    // TOML table names in brackets as links.
    #[arg(
        long,
        value_name = "FILE",
        help = "Policy file whose [venues] currencies are used (for CSV exports whose money carries only $ or ¥) \
                and copied into the output; its [defaults] and [rates] are not used"
    )]
    pub(crate) rates: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) columns_from: ColumnsFromArg,

    /// The fewest sessions by which a setting must out-explain its alternative to be determined; on fewer,
    /// it is still adopted (marked weak) when no session matches the alternative
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_support: u64,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Print neither notes nor the table of rates on stderr (errors are still printed)
    #[arg(short = 'q', long)]
    pub(crate) quiet: bool,

    #[command(flatten)]
    pub(crate) paths: InputPaths,
}

/// Output formats of `rates infer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InferFormat {
    Toml,
    Json,
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
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("1 GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "0", "MiB", "-1MiB", "1.5MiB", "1TiB", "99999999999999999999"] {
            let err = parse_size(bad);
            assert!(err.is_err(), "{bad:?} gave {err:?}");
        }
    }

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
        let payroll =
            Cli::try_parse_from(["sessionpay", "payroll"].into_iter().chain(shared)).expect("payroll");
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
