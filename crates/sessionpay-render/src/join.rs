//! Session lines grouped under the payroll rows they were summed into.

use std::collections::HashMap;

use sessionpay_core::{local_date, Currency, InstructorId, PayrollRow, Period};
use sessionpay_io::SessionLine;

/// The lines of each row, in the order of `rows`; each list keeps the order
/// of `lines`. A line goes to the row of its instructor and currency whose
/// period holds its venue-local date; a line in no row (out of range) is in
/// none.
///
/// One pass over the lines, by key. The payroll does not yet say which row
/// each line went into, so callers still check that each row's lines add up
/// to its totals.
pub(crate) fn lines_by_row<'a>(rows: &[&PayrollRow], lines: &'a [SessionLine]) -> Vec<Vec<&'a SessionLine>> {
    let mut periods: HashMap<(InstructorId, Currency), Vec<(Period, usize)>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        periods
            .entry((row.instructor, row.currency))
            .or_default()
            .push((row.period, i));
    }
    let mut out = vec![Vec::new(); rows.len()];
    for line in lines {
        let s = &line.session;
        let Some(candidates) = periods.get(&(s.instructor, s.currency)) else {
            continue;
        };
        let date = local_date(s.starts_at, s.zone);
        if let Some((_, i)) = candidates.iter().find(|(p, _)| p.start <= date && date <= p.end) {
            out[*i].push(line);
        }
    }
    out
}
