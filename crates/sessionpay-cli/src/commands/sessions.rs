//! `sessionpay sessions`: one row per session with the breakdown of its pay.

use rust_decimal::Decimal;

use crate::args::SessionsArgs;
use crate::resolve::{check_table_format, table_format, Source};
use crate::run::{collect, emit};
use crate::ui::Outcome;

pub(crate) fn sessions(args: &SessionsArgs) -> anyhow::Result<Outcome> {
    let source = Source::of(&args.input);
    let mut notes = source.notes();
    check_table_format(&args.input)?;
    let (lines, mut outputs) = collect(&source, Decimal::ZERO, &mut notes)?;
    if notes.blocked() {
        outputs.commit()?;
        return Ok(Outcome::Rejected);
    }
    emit(&source, &mut outputs, |out| {
        sessionpay_io::write_sessions(out, &lines, table_format(args.input.format))
    })?;
    outputs.commit()?;
    Ok(notes.finish(Outcome::Clean))
}
