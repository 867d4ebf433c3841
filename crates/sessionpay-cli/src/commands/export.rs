//! `sessionpay export`: the payroll as the file a payroll system imports.
//!
//! The payroll is computed exactly as `sessionpay payroll` computes it, and
//! [`sessionpay_render::export()`] renders the files (one per currency and
//! pay period); this module maps the flags onto it, writes the files and
//! says what was left out.

use std::path::Path;

use sessionpay_render::{ExportOptions, People, Template, GUSTO_EARNINGS};

use crate::args::{ExportArgs, Provider};
use crate::resolve::{plan, KeepLines, PayrollQuery, Source};
use crate::run::{compute_payroll, emit_to};
use crate::ui::Outcome;

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

/// Runs `sessionpay export`.
pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<Outcome> {
    let to_stdout = args.output.as_os_str() == "-";
    let source = Source {
        inputs: args.paths.inputs.clone(),
        rates: args.rates.path.clone(),
        columns_from: None,
        output: (!to_stdout).then(|| args.output.clone()),
        skip_invalid: None,
        allow_rejects: false,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    let mut notes = source.notes();
    // Before anything is read: no output may replace an input.
    let also_read: Vec<&Path> = [
        Some(args.people.as_path()),
        args.template.as_deref(),
        args.ledger.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let planned = plan(&source, &also_read, &[], &mut notes)?;
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
    let query = PayrollQuery {
        periods: args.periods,
        to: args.until,
        keep: if with_lines { KeepLines::All } else { KeepLines::No },
    };
    let (rows, lines, line_rows, mut outputs, adjustments) = match &args.ledger {
        Some(ledger) => {
            anyhow::ensure!(
                !with_lines,
                "--ledger cannot be used with a template that lists sessions"
            );
            anyhow::ensure!(
                args.tolerance.is_empty(),
                "--tolerance cannot be used with --ledger: the ledger's figures are compared exactly"
            );
            let (run, _, outputs) =
                super::ledger::carried_payroll(&source, &query, ledger, planned, false, &mut notes)?;
            let (rows, adjustments) = run.export_rows();
            (rows, Vec::new(), run.line_rows, outputs, Some(adjustments))
        }
        None => {
            let (run, outputs) =
                compute_payroll(&source, &query, args.tolerance.get()?, &mut notes, planned)?;
            (run.rows, run.lines, run.line_rows, outputs, None)
        }
    };
    let export = sessionpay_render::export(
        &rows,
        &lines,
        &line_rows,
        &people,
        &ExportOptions {
            provider: args.provider.render(),
            template: template.as_ref(),
            earning: &earning,
            currency: args.currency,
            output: &args.output,
            adjustments: adjustments.as_deref(),
        },
    )?;
    if to_stdout {
        // Stdout takes one file, written only once nothing else can fail.
        let [file] = export.files.as_slice() else {
            anyhow::bail!(
                "-o - writes one file to stdout, but this export makes {} (one per currency and pay \
                 period); give -o FILE, or keep one with --currency CODE and --from/--until",
                export.files.len()
            );
        };
        emit_to(None, &mut outputs, |out| Ok(out.write_all(&file.bytes)?))?;
    } else {
        // Every file is written and synced before any is renamed into place.
        for file in &export.files {
            outputs.write(&file.path, &file.bytes)?;
        }
    }
    outputs.commit()?;

    let shown = |path: &Path| {
        if to_stdout {
            "stdout".to_string()
        } else {
            path.display().to_string()
        }
    };
    if export.empty {
        notes.say(format!(
            "no pay to export: wrote {} with a header only",
            shown(&args.output)
        ));
    }
    for file in export.files.iter().filter(|f| f.instructors > 0) {
        notes.say(format!(
            "wrote {}: {} instructor{}, {} {}",
            shown(&file.path),
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
