//! `sessionpay rates infer`: the policy of each rate that explains TeamUp's figures.
//!
//! Every input is read by the same engine run as `reconcile` (currencies,
//! duplicates) into [`sessionpay_engine::Observations`], which also runs the
//! search per rate; `sessionpay_io` writes what it found (a policy file, or
//! JSON) and the table on stderr. This module maps the flags and prints.
//!
//! The observations keep a few session ids per distinct observation. The
//! JSON report lists every outlier session, so when an outlier stands for
//! more sessions than that, the inputs are read a second time for their ids
//! (standard input cannot be, so with it every id is kept from the start).

use std::io::{self, Write};

use rust_decimal::Decimal;
use sessionpay_core::InferOptions;
use sessionpay_engine::{Observations, OutlierIds, Plan, Resolved, Run};
use sessionpay_io::OUTLIERS_IN_COMMENTS;

use crate::args::{InferArgs, InferFormat};
use crate::resolve::{run_options, skipped_notes};
use crate::run::emit_to;
use crate::ui::{Notes, Outcome, BYTES_READ};

/// Runs `sessionpay rates infer`.
pub(crate) fn run(args: &InferArgs) -> anyhow::Result<Outcome> {
    let mut notes = Notes::new(false);
    let output = crate::args::stdout_dash(args.output.path.clone());
    let files: Vec<&std::path::Path> = output.as_deref().into_iter().collect();
    let plan = Plan {
        inputs: &args.paths.inputs,
        rates: args.rates.as_deref(),
        columns_from: args.columns_from.path.as_deref(),
        files: &files,
        ..Plan::default()
    };
    let planned = plan.check()?;
    skipped_notes(&planned, &mut notes);
    let (Resolved { inputs, table, .. }, mut outputs) = planned.resolve()?;
    if let Some(path) = &args.rates {
        if !table.rates.is_empty() || table.defaults != Default::default() {
            notes.say(format!(
                "{}: only its [venues] currencies are used; the rates are inferred afresh",
                path.display()
            ));
        }
    }

    // One reading path for every command (currencies, duplicates, parallel
    // reading); the observations take sessions unpriced.
    let options = run_options(Decimal::ZERO);
    let json = matches!(args.format, InferFormat::Json);
    let examples = if json && inputs.iter().any(|i| i.is_stdin()) {
        usize::MAX
    } else {
        OUTLIERS_IN_COMMENTS
    };
    let (observations, stats) = Run::new(&inputs, &table, options.clone())
        .progress(&BYTES_READ)
        .collect(|| Observations::keeping(examples))?;
    notes.stats(&stats);

    let infer = InferOptions {
        min_support: args.min_support,
    };
    let mut inferred = observations.infer(&infer, options.threads)?;
    inferred.declare_venues(table.venue_currencies.iter().map(|(v, c)| (*v, *c)));
    if json && !inferred.outliers_complete() {
        let (found, _) =
            Run::new(&inputs, &table, options).collect(|| OutlierIds(inferred.outlier_finder()))?;
        inferred.fill_outliers(found.0);
    }

    emit_to(output.as_deref(), &mut outputs, |out: &mut dyn Write| {
        match args.format {
            InferFormat::Toml => sessionpay_io::write_inferred_policy(out, &inferred),
            InferFormat::Json => sessionpay_io::write_inferred_json(out, &inferred),
        }
        .map_err(anyhow::Error::from)
    })?;
    outputs.commit()?;
    if !crate::ui::quiet() {
        sessionpay_io::write_inferred_table(&mut io::stderr().lock(), &inferred)?;
    }
    let mut clean = true;
    for rate in inferred.rates.iter().filter(|r| !r.explains_most()) {
        clean = false;
        notes.say(format!(
            "rate {}: no policy explains most of its sessions ({} of {}); its figures follow some other rule",
            rate.id.0, rate.inference.explained, rate.inference.seen
        ));
    }
    Ok(if clean { Outcome::Clean } else { Outcome::Mismatch })
}
