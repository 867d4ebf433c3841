//! `sessionpay reconcile`: one row per session, computed against reported pay.

use sessionpay_core::Status;
use sessionpay_io::Table;

use crate::args::ReconcileArgs;
use crate::resolve::Source;
use crate::run::{collect, emit_rows, mismatch_advice};
use crate::ui::Outcome;

pub(crate) fn reconcile(args: &ReconcileArgs) -> anyhow::Result<Outcome> {
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let table = if args.explain {
        Table::ReconcileExplained
    } else {
        Table::Reconcile
    };
    let format = args.input.format.table();
    let tolerance = args.tolerance.get()?;
    let (rows, mut outputs, staged) = collect(
        &source,
        (args.sort, args.dates),
        tolerance,
        (table, format),
        &mut notes,
    )?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    let tally = emit_rows(&source, &mut outputs, (rows, staged), &mut notes)?;
    outputs.commit()?;
    let reasons: Vec<String> = tally
        .by_reason
        .iter()
        .map(|(r, (n, _))| format!("{} {n}", r.as_str()))
        .collect();
    let mismatches = tally.count(Status::Mismatch);
    notes.say(
        format!(
            "{} sessions: {} match, {} mismatch{}, {} pending, {} unrated, {} unreported",
            tally.sessions,
            tally.count(Status::Match),
            mismatches,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            },
            tally.count(Status::Pending),
            tally.count(Status::Unrated),
            tally.count(Status::Unreported),
        ) + &mismatch_advice(&source, mismatches, tally.sessions),
    );
    Ok(notes.finish(if mismatches > 0 {
        Outcome::Mismatch
    } else {
        Outcome::Clean
    }))
}
