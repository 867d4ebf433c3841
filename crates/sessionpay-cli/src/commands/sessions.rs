//! `sessionpay sessions`: one row per session with the breakdown of its pay.

use sessionpay_engine::Tolerance;
use sessionpay_io::Table;

use crate::args::SessionsArgs;
use crate::resolve::Source;
use crate::run::{collect, emit_rows};
use crate::ui::Outcome;

pub(crate) fn sessions(args: &SessionsArgs) -> anyhow::Result<Outcome> {
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    let format = args.input.format.table();
    let (rows, mut outputs, staged) = collect(
        &source,
        (args.sort, args.dates),
        Tolerance::default(),
        (Table::Sessions, format),
        &mut notes,
    )?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    emit_rows(&source, &mut outputs, (rows, staged), &mut notes)?;
    outputs.commit()?;
    Ok(notes.finish(Outcome::Clean))
}
