//! Command-line flags: every command's clap structs, parsed and checked here,
//! before any file is read. Nothing here depends on the rest of the CLI.

use std::path::PathBuf;

use chrono::{NaiveDate, Weekday};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use sessionpay_core::{Currency, PeriodKind};
use sessionpay_engine::TolerancePart;
use sessionpay_render::Provider;
use sessionpay_teamup::{SessionType, DEFAULT_BASE_URL};

/// A command's help end: what statuses 0 and 1 mean to it, then the statuses
/// every command shares, its ENVIRONMENT lines when it has any, and its examples.
macro_rules! help_end {
    ($zero:literal, $one:literal, $(env: $env:expr,)? $($example:literal),+ $(,)?) => {
        concat!(
            "EXIT STATUS:\n  0    ", $zero, "\n  1    ", $one, "\n",
            "  2    an error: bad input, bad usage, or an I/O failure (nothing is written)\n",
            "  130  interrupted (Ctrl-C, SIGINT); 143 terminated (SIGTERM); 129 hung up (SIGHUP):\n",
            "       no output of the run is left half written\n\n",
            $("ENVIRONMENT:\n", $env, "\n",)?
            "EXAMPLES:\n",
            $("  sessionpay ", $example, "\n"),+
        )
    };
}

/// The environment variables of the commands that read exports.
macro_rules! env_read {
    () => {
        "  SESSIONPAY_THREADS  worker threads for reading and pricing (default: one per core;\n                      \
         1 reads everything in one sequential pass)\n"
    };
}

const TOP_AFTER: &str = help_end!(
    "success",
    "the run worked, but reconcile found a mismatch (or --fail-on-mismatch tripped);\n       \
     see each command's --help for what 1 means to it",
    env: concat!(
        env_read!(),
        "  TEAMUP_TOKEN        fetch: the API token (another variable with --token-env NAME)\n"
    ),
    "payroll --rates rates.toml export.csv",
    "reconcile --rates rates.toml --from 2026-05-01 --to 2026-05-31 export.csv",
    "help payroll",
);

const PAYROLL_AFTER: &str = help_end!(
    "success",
    "with --fail-on-mismatch: some session's reported pay does not match (outputs are written)",
    env: env_read!(),
    "payroll --rates rates.toml export.csv",
    "payroll --period semimonth --from 2026-05-01 --to 2026-05-31 --format json -o - export.csv",
    "payroll --rates rates.toml --format xlsx -o payroll.xlsx --statements statements/ export.csv",
);

const RECONCILE_AFTER: &str = help_end!(
    "every session matches (within --tolerance), or is pending, unrated or unreported",
    "the run worked, but reconcile found a mismatch (the rows are written)",
    env: env_read!(),
    "reconcile --rates rates.toml export.csv",
    "reconcile --from 2026-05-01 --to 2026-05-31 --tolerance 0.05USD --explain export.csv",
    "reconcile --format json -o reconcile.json exports/",
);

const SESSIONS_AFTER: &str = help_end!(
    "success",
    "not used by this command (mismatches are shown in the rows)",
    env: env_read!(),
    "sessions --rates rates.toml export.csv",
    "sessions --from 2026-05-01 --to 2026-05-07 --format json export.ndjson",
);

const EXPORT_AFTER: &str = help_end!(
    "success",
    "with --fail-on-mismatch: some session's reported pay does not match (the files are written)",
    env: env_read!(),
    "export --to gusto --people people.csv --from 2026-05-01 --until 2026-05-31 -o gusto.csv export.csv",
    "export --to xero --people people.csv --currency GBP -o - export.csv",
    "export --to template --template adp.toml --people people.csv -o adp.csv export.csv",
);

const FETCH_AFTER: &str = help_end!(
    "success: every page fetched and FILE written",
    "not used by this command",
    env: "  TEAMUP_TOKEN        the API token (another variable with --token-env NAME; never a flag)\n",
    "fetch --provider-id 123 --from 2026-05-01 --to 2026-05-31 -o may.ndjson",
    "fetch --provider-id 123 --from 2026-05-01 --to 2026-05-31 --resume -o may.ndjson",
    "fetch --token-env STUDIO_B_TOKEN --provider-id 456 -o studio-b.ndjson",
);

const INFER_AFTER: &str = help_end!(
    "every rate has a policy that explains most of its sessions",
    "some rate has no policy that explains most of its sessions (see the table on stderr)",
    env: env_read!(),
    "rates infer export.csv > rates.toml",
    "rates infer --format json -o evidence.json export.csv",
);

const CLOSE_AFTER: &str = help_end!(
    "success: the periods are recorded as paid",
    "not used by this command",
    env: env_read!(),
    "close --ledger pay.sqlite --rates rates.toml --through 2026-05-31 export.csv",
);

const ADJUSTMENTS_AFTER: &str = help_end!(
    "success (whether or not any session differs from what was paid)",
    "not used by this command",
    env: env_read!(),
    "adjustments --ledger pay.sqlite --rates rates.toml export.csv",
    "adjustments --ledger pay.sqlite --from 2026-04-01 --format json export.csv",
);

const LEDGER_AFTER: &str = help_end!(
    "success",
    "not used by this command",
    "ledger runs --ledger pay.sqlite",
    "ledger void --ledger pay.sqlite 3 --why \"closed the wrong month\"",
);

const COMPLETIONS_AFTER: &str = concat!(
    "EXAMPLES:\n",
    "  sessionpay completions bash > ~/.local/share/bash-completion/completions/sessionpay\n",
    "  sessionpay completions zsh > ~/.zfunc/_sessionpay\n",
    "  sessionpay completions fish > ~/.config/fish/completions/sessionpay.fish\n",
);

const MAN_AFTER: &str = concat!(
    "EXAMPLES:\n",
    "  sessionpay man > sessionpay.1 && man ./sessionpay.1\n",
);

/// The version line: the package version and the commit it was built from.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SESSIONPAY_COMMIT"), ")");

/// Pays fitness instructors exactly from TeamUp's instructed-sessions report.
///
/// sessionpay recomputes every session's pay from its rate and counts under a
/// rate policy, reconciles it with TeamUp's figure, and rolls payroll up per
/// instructor and pay period in each venue's local time.
#[derive(Debug, Parser)]
#[command(name = "sessionpay", version = VERSION, after_help = TOP_AFTER)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The options every command takes, declared once.
#[derive(Debug, Clone, Copy, Default, Args)]
pub(crate) struct GlobalArgs {
    /// Print no notes on stderr (errors are still printed)
    #[arg(
        short = 'q',
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 900
    )]
    pub(crate) quiet: bool,

    /// Also say on stderr how the input was read (rows, parallel workers)
    #[arg(short = 'v', long, global = true, display_order = 901)]
    pub(crate) verbose: bool,

    /// How errors, warnings and notes are written on stderr: lines of text, or one JSON object a line
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        global = true,
        default_value_t = MessageFormat::Human,
        display_order = 902
    )]
    pub(crate) message_format: MessageFormat,
}

/// `--message-format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum MessageFormat {
    /// `sessionpay: message` lines
    #[default]
    Human,
    /// One JSON object a line: level, message and, where known, file, line, column and value
    Json,
}

impl Cli {
    /// Parses the command line (clap exits with status 2 on a usage error,
    /// 0 after --help or --version).
    pub(crate) fn parse_args() -> Cli {
        Cli::try_parse().unwrap_or_else(|err| usage_error(&err))
    }
}

/// Ends the process for a usage error (status 2) or after --help and
/// --version (status 0); under `--message-format json` a usage error is one
/// JSON line like every other error.
fn usage_error(err: &clap::Error) -> ! {
    use clap::error::ErrorKind;
    let informational = matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !json_asked(std::env::args_os().skip(1)) {
        err.exit();
    }
    let text = err.render().to_string();
    let message = text.trim().strip_prefix("error: ").unwrap_or(text.trim());
    let line = sessionpay_io::Message::new("error", message).line(true);
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    std::process::exit(2);
}

/// Whether the words ask for `--message-format json` (read before they parse).
fn json_asked(words: impl Iterator<Item = std::ffi::OsString>) -> bool {
    let mut previous_was_flag = false;
    for word in words {
        let word = word.to_string_lossy();
        if word == "--" {
            return false;
        }
        if word == "--message-format=json" || (previous_was_flag && word == "json") {
            return true;
        }
        previous_was_flag = word == "--message-format";
    }
    false
}

/// `--format` of the per-session commands: csv or json.
fn csv_or_json(arg: clap::Arg) -> clap::Arg {
    arg.value_parser(csv_or_json_parser())
}

/// The values csv and json of [`OutputFormat`], with their help.
fn csv_or_json_parser() -> impl TypedValueParser<Value = OutputFormat> {
    let values = [OutputFormat::Csv, OutputFormat::Json]
        .map(|f| f.to_possible_value().unwrap_or_else(|| PossibleValue::new("csv")));
    PossibleValuesParser::new(values).try_map(|name| OutputFormat::from_str(&name, false))
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Per-instructor payroll summaries per pay period
    #[command(after_help = PAYROLL_AFTER)]
    Payroll(PayrollArgs),
    /// One row per session: computed against reported pay, with the reason for each mismatch
    #[command(after_help = RECONCILE_AFTER, mut_arg("format", csv_or_json))]
    Reconcile(ReconcileArgs),
    /// One row per session with the full breakdown of its pay
    #[command(after_help = SESSIONS_AFTER, mut_arg("format", csv_or_json))]
    Sessions(SessionsArgs),
    /// Work on the rate policy
    #[command(subcommand)]
    Rates(RatesCommand),
    /// Write the payroll as a payroll provider's import file (Gusto, Xero, BrightPay, a template)
    #[command(after_help = EXPORT_AFTER)]
    Export(ExportArgs),
    /// Page the instructed-sessions report from TeamUp's API into an NDJSON file
    #[command(after_help = FETCH_AFTER)]
    Fetch(FetchArgs),
    /// Record the whole pay periods through a date as paid, in the ledger
    #[command(after_help = CLOSE_AFTER)]
    Close(CloseArgs),
    /// Every session of the closed periods whose figure differs from what was paid
    #[command(after_help = ADJUSTMENTS_AFTER, mut_arg("format", csv_or_json))]
    Adjustments(AdjustmentsArgs),
    /// The ledger's runs: list, show, void
    #[command(subcommand)]
    #[command(after_help = LEDGER_AFTER)]
    Ledger(LedgerCommand),
    /// Print the shell completion script for SHELL on stdout
    #[command(after_help = COMPLETIONS_AFTER)]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the manual page (roff) on stdout
    #[command(after_help = MAN_AFTER)]
    Man,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RatesCommand {
    /// Find the policy of each rate that explains TeamUp's reported figures
    #[command(after_help = INFER_AFTER)]
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
    /// Write to FILE (atomically: it appears only when complete) instead of stdout; - is stdout
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

    /// Instead of stopping at the first row that cannot be read, write every such row with its
    /// place and reason to FILE (CSV) and go on. The run still exits with status 2 unless
    /// --allow-rejects is given, so nobody pays from a partial run by accident
    #[arg(long, value_name = "FILE")]
    pub(crate) skip_invalid: Option<PathBuf>,

    /// With --skip-invalid: exit 0 even when rows were rejected
    #[arg(long, requires = "skip_invalid")]
    pub(crate) allow_rejects: bool,

    #[command(flatten)]
    pub(crate) paths: InputPaths,
}

/// `-o -` means stdout, as no -o does.
pub(crate) fn stdout_dash(path: Option<PathBuf>) -> Option<PathBuf> {
    path.filter(|p| p.as_os_str() != "-")
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

impl OutputFormat {
    /// The table format of csv and json; the parser lets only those reach
    /// the commands that write tables.
    pub(crate) fn table(self) -> sessionpay_io::Format {
        match self {
            OutputFormat::Json => sessionpay_io::Format::Json,
            _ => sessionpay_io::Format::Csv,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeriodArg {
    Month,
    Semimonth,
    Week,
    Fortnight,
    All,
}

impl PeriodArg {
    /// The name `--period` takes.
    pub(crate) fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// How sessions are bucketed into pay periods, and the first date: `payroll` and
/// `export` take the same options (the last date is `--to` in one, `--until` in the other).
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct PeriodArgs {
    /// Pay period: calendar month, 1st-15th and 16th-end, week, fortnight (needs --anchor), or all
    #[arg(long, value_enum, default_value_t = PeriodArg::Month)]
    pub(crate) period: PeriodArg,

    /// First day of a week for --period week
    #[arg(long, value_name = "DAY", value_parser = sessionpay_core::parse_weekday, default_value = "monday")]
    pub(crate) week_start: Weekday,

    /// A date that starts a fortnight, for --period fortnight (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) anchor: Option<NaiveDate>,

    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
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
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) to: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    #[command(flatten)]
    pub(crate) tolerance: ToleranceArgs,

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

/// `--tolerance`, as payroll, reconcile and export take it.
#[derive(Debug, Args)]
pub(crate) struct ToleranceArgs {
    /// Largest difference still counted as a match: a number of each currency's minor units
    /// (1 is one cent, one yen), or an amount in one currency (0.05USD); repeat for several
    /// currencies, e.g. --tolerance 0.05USD --tolerance 2 (2 minor units of every other)
    #[arg(
        long = "tolerance",
        id = "tolerance",
        value_name = "TOLERANCE",
        value_parser = TolerancePart::parse,
        action = clap::ArgAction::Append
    )]
    pub(crate) parts: Vec<TolerancePart>,
}

impl ToleranceArgs {
    /// The tolerance the flags give (one minor unit of each currency when none is given).
    pub(crate) fn get(&self) -> anyhow::Result<sessionpay_engine::Tolerance> {
        sessionpay_engine::Tolerance::from_parts(&self.parts).map_err(anyhow::Error::msg)
    }

    /// Whether the flag was given at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    #[command(flatten)]
    pub(crate) tolerance: ToleranceArgs,

    #[command(flatten)]
    pub(crate) dates: DateArgs,

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
    pub(crate) dates: DateArgs,

    #[command(flatten)]
    pub(crate) sort: SortArgs,

    #[command(flatten)]
    pub(crate) input: InputArgs,
}

/// The venue-local dates a per-session command keeps.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct DateArgs {
    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) from: Option<NaiveDate>,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) to: Option<NaiveDate>,
}

/// How the per-session commands sort their rows by session id.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct SortArgs {
    /// Memory for sorting the rows by session id (e.g. 64MiB, 512KiB, 1GiB); past it, sorted runs
    /// go to temporary files beside the -o file (or in the system's temporary folder), merged at
    /// the end and removed on every exit
    #[arg(long, value_name = "SIZE", value_parser = sessionpay_io::parse_size, default_value = "64MiB")]
    pub(crate) sort_memory: usize,
}

/// Options of `sessionpay export`.
///
/// The payroll options are those of `payroll`, except that the last date is
/// `--until DATE`: `--to` names the payroll system.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportArgs {
    /// The payroll system to write for
    #[arg(long = "to", value_name = "PROVIDER", value_parser = ProviderParser, overrides_with = "provider")]
    pub(crate) provider: Provider,

    /// people.csv: instructor_id, first_name, last_name and the identity columns the payroll system needs
    #[arg(long, value_name = "FILE")]
    pub(crate) people: PathBuf,

    /// For --to template: the template (TOML) with the columns, header, date format and earning codes
    #[arg(long, value_name = "FILE", required_if_eq("provider", "template"))]
    pub(crate) template: Option<PathBuf>,

    /// Export only the pay in this currency (an ISO code such as USD)
    #[arg(long, value_name = "CODE", value_parser = sessionpay_core::parse_currency)]
    pub(crate) currency: Option<Currency>,

    /// The earning in the payroll system: Gusto's column (commission, bonus or correction_payment;
    /// default commission), Xero's earnings rate or BrightPay's addition description (default "Class pay")
    #[arg(long, value_name = "NAME")]
    pub(crate) earning: Option<String>,

    #[command(flatten)]
    pub(crate) periods: PeriodArgs,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive; payroll's --to)
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) until: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match (the files are still written)
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    #[command(flatten)]
    pub(crate) tolerance: ToleranceArgs,

    #[command(flatten)]
    pub(crate) rates: RatesArg,

    /// The file to write (atomically); with several currencies or periods, one file each, named
    /// STEM-CURRENCY-PERIODSTART.EXT beside it; - writes one file to stdout
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub(crate) output: PathBuf,

    /// Leave out the periods this ledger closed and pay each instructor's total_due
    /// (their first open period's pay plus the adjustments carried into it)
    #[arg(long, value_name = "FILE")]
    pub(crate) ledger: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) paths: InputPaths,
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
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) through: NaiveDate,

    #[command(flatten)]
    pub(crate) rates: RatesArg,

    #[command(flatten)]
    pub(crate) columns_from: ColumnsFromArg,

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
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) from: Option<NaiveDate>,

    /// Compare the closed periods up to this venue-local date
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
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
        #[arg(long, value_parser = csv_or_json_parser(), default_value = "csv")]
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
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
    pub(crate) from: Option<NaiveDate>,

    /// Last date (YYYY-MM-DD), inclusive; widened like --from
    #[arg(long, value_name = "DATE", value_parser = sessionpay_core::parse_date)]
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

    #[command(flatten)]
    pub(crate) paths: InputPaths,
}

/// Output formats of `rates infer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InferFormat {
    Toml,
    Json,
}

/// `--to` of `export`: a payroll system; a date there is meant for `--until`.
#[derive(Debug, Clone, Copy)]
struct ProviderParser;

impl TypedValueParser for ProviderParser {
    type Value = Provider;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Provider, clap::Error> {
        let text = value.to_string_lossy();
        if text.trim().starts_with(|c: char| c.is_ascii_digit()) {
            let message = format!(
                "--to names the payroll system (gusto, xero, brightpay or template), but found the date \
                 {text:?}: in export the last date is --until DATE\n"
            );
            return Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, message).with_cmd(cmd));
        }
        let name = PossibleValuesParser::new(self.values()).parse_ref(cmd, arg, value)?;
        let found = Provider::ALL.into_iter().find(|p| p.name() == name);
        found.ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.values().into_iter()))
    }
}

impl ProviderParser {
    fn values(&self) -> [PossibleValue; 4] {
        Provider::ALL.map(|p| PossibleValue::new(p.name()).help(p.description()))
    }
}

#[cfg(test)]
mod tests;
