//! `sessionpay reconcile`: one row per session, computed against reported pay.

use std::collections::BTreeMap;

use sessionpay_core::{Reason, Status};

use crate::args::ReconcileArgs;
use crate::resolve::{check_table_format, table_format, Source};
use crate::run::{collect, emit, mismatch_advice};
use crate::ui::Outcome;

pub(crate) fn reconcile(args: &ReconcileArgs) -> anyhow::Result<Outcome> {
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    check_table_format(&args.input)?;
    let (lines, mut outputs) = collect(&source, args.tolerance, &mut notes)?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    emit(&source, &mut outputs, |out| {
        if args.explain {
            sessionpay_io::write_reconcile_explained(out, &lines, table_format(args.input.format))
        } else {
            sessionpay_io::write_reconcile(out, &lines, table_format(args.input.format))
        }
    })?;
    outputs.commit()?;
    let mut by_status: BTreeMap<Status, u64> = BTreeMap::new();
    let mut by_reason: BTreeMap<Reason, u64> = BTreeMap::new();
    for line in &lines {
        *by_status.entry(line.rec.status).or_default() += 1;
        if let Some(reason) = line.rec.reason {
            *by_reason.entry(reason).or_default() += 1;
        }
    }
    let count = |s| by_status.get(&s).copied().unwrap_or(0);
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    let mismatches = count(Status::Mismatch);
    notes.say(
        format!(
            "{} sessions: {} match, {} mismatch{}, {} pending, {} unrated, {} unreported",
            lines.len(),
            count(Status::Match),
            mismatches,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            },
            count(Status::Pending),
            count(Status::Unrated),
            count(Status::Unreported),
        ) + &mismatch_advice(&source, mismatches, lines.len() as u64),
    );
    Ok(notes.finish(if mismatches > 0 {
        Outcome::Mismatch
    } else {
        Outcome::Clean
    }))
}
