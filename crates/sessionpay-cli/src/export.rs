//! `sessionpay export`: the payroll as the file a payroll system imports.
//!
//! The payroll is computed exactly as `sessionpay payroll` computes it, and
//! [`sessionpay_render::export()`] renders the files (one per currency and
//! pay period); this module maps the flags onto it, writes the files and
//! says what was left out.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sessionpay_core::Currency;
use sessionpay_render::{ExportOptions, People, Template, GUSTO_EARNINGS};

use crate::args::{InputArgs, OutputFormat, PayrollArgs, PeriodArgs};
use crate::commands::{self, Notes, Outcome};

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

impl Provider {
    fn name(self) -> &'static str {
        self.render().name()
    }

    /// The provider as the renderer knows it.
    fn render(self) -> sessionpay_render::Provider {
        match self {
            Provider::Gusto => sessionpay_render::Provider::Gusto,
            Provider::Xero => sessionpay_render::Provider::Xero,
            Provider::Brightpay => sessionpay_render::Provider::Brightpay,
            Provider::Template => sessionpay_render::Provider::Template,
        }
    }
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

    /// First venue-local date to include (YYYY-MM-DD, inclusive)
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Last venue-local date to include (YYYY-MM-DD, inclusive; payroll's --to)
    #[arg(long, value_name = "DATE")]
    pub(crate) until: Option<NaiveDate>,

    /// Exit with status 1 when any session's reported pay does not match (the files are still written)
    #[arg(long)]
    pub(crate) fail_on_mismatch: bool,

    /// Rate policy file (TOML): counting, caps, empty-session pay, tier mode, rounding, venue currencies
    #[arg(long, value_name = "FILE")]
    pub(crate) rates: Option<PathBuf>,

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

    /// Export files (.csv, .json, .ndjson, .jsonl), folders of them (read in name order), or - for stdin
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    Currency::try_from_code(text.trim())
        .map_err(|_| format!("expected an ISO 4217 currency code such as USD, but found {text:?}"))
}

/// Runs `sessionpay export`.
pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let payroll = PayrollArgs {
        periods: args.periods,
        from: args.from,
        to: args.until,
        fail_on_mismatch: args.fail_on_mismatch,
        statements: None,
        ledger: None,
        input: InputArgs {
            rates: args.rates.clone(),
            columns_from: None,
            format: OutputFormat::Csv,
            output: Some(args.output.clone()),
            quiet: args.quiet,
            verbose: args.verbose,
            skip_invalid: None,
            allow_rejects: false,
            inputs: args.inputs.clone(),
        },
    };
    let mut notes = Notes::for_input(&payroll.input);
    // Before anything is read: no output may replace an input.
    let also_read: Vec<&Path> = [
        Some(args.people.as_path()),
        args.template.as_deref(),
        args.ledger.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let planned = commands::plan(&payroll.input, &also_read, &[], &mut notes)?;
    let template = match (args.provider, &args.template) {
        (Provider::Template, Some(path)) => Some(Template::read(path)?),
        (Provider::Template, None) => anyhow::bail!("--to template needs --template FILE"),
        (other, Some(_)) => anyhow::bail!("--template is for --to template, not --to {}", other.name()),
        (_, None) => None,
    };
    let earning = earning(args)?;
    let people = People::read(&args.people)?;
    if let Some(t) = &template {
        t.check_people(&people)?;
    }

    let with_lines = sessionpay_render::needs_lines(template.as_ref());
    let (rows, lines, mut outputs) = match &args.ledger {
        Some(ledger) => {
            anyhow::ensure!(
                !with_lines,
                "--ledger cannot be used with a template that lists sessions"
            );
            crate::ledger::export_rows(&payroll, ledger, planned, &mut notes)?
        }
        None => {
            let (run, outputs) = commands::compute_payroll(&payroll, with_lines, &mut notes, planned)?;
            (run.rows, run.lines, outputs)
        }
    };
    let export = sessionpay_render::export(
        &rows,
        &lines,
        &people,
        &ExportOptions {
            provider: args.provider.render(),
            template: template.as_ref(),
            earning: &earning,
            currency: args.currency,
            output: &args.output,
        },
    )?;
    // Every file is written and synced before any is renamed into place.
    for file in &export.files {
        outputs.write(&file.path, &file.bytes)?;
    }
    outputs.commit()?;

    if export.empty {
        notes.say(format!(
            "no pay to export: wrote {} with a header only",
            args.output.display()
        ));
    }
    for file in export.files.iter().filter(|f| f.instructors > 0) {
        notes.say(format!(
            "wrote {}: {} instructor{}, {} {}",
            file.path.display(),
            file.instructors,
            if file.instructors == 1 { "" } else { "s" },
            file.currency,
            file.currency.format(file.total)
        ));
    }
    if export.unpaid > 0 {
        notes.say(format!(
            "{} instructor period(s) with no pay were left out",
            export.unpaid
        ));
    }
    let pending = export.pending;
    if pending > 0 {
        notes.say(format!(
            "{pending} pending session(s) are not in the amounts: TeamUp's figure is still provisional"
        ));
    }
    let mismatches = export.mismatches;
    if mismatches > 0 {
        notes.say(format!(
            "{mismatches} session(s) do not match TeamUp's figure: run `sessionpay reconcile` for the reasons"
        ));
        if args.fail_on_mismatch {
            return Ok(Outcome::Mismatch);
        }
    }
    Ok(Outcome::Clean)
}

/// The earning name or column for the provider.
fn earning(args: &ExportArgs) -> anyhow::Result<String> {
    match (args.provider, args.earning.as_deref()) {
        (Provider::Gusto, None) => Ok(GUSTO_EARNINGS[0].to_string()),
        (Provider::Gusto, Some(e)) => {
            let e = e.trim().to_ascii_lowercase().replace(' ', "_");
            anyhow::ensure!(
                GUSTO_EARNINGS.contains(&e.as_str()),
                "--earning for gusto is the column to fill: {}; Gusto's CSV upload takes no custom earning types",
                GUSTO_EARNINGS.join(", ")
            );
            Ok(e)
        }
        (Provider::Template, Some(_)) => {
            anyhow::bail!("--earning is not for --to template: the template's [earnings] gives the codes")
        }
        (Provider::Template, None) => Ok(String::new()),
        (_, Some(e)) if !e.trim().is_empty() => Ok(e.trim().to_string()),
        (_, Some(_)) => anyhow::bail!("--earning needs a name, such as \"Class pay\""),
        (_, None) => Ok("Class pay".to_string()),
    }
}
