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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rust_decimal::Decimal;
    use sessionpay_core::{compute_pay, reconcile, CurrencyBook, Payroll, PeriodKind, RatePolicy};

    use super::*;

    /// Three sessions: instructor 7 on 2 May and (venue-local) 1 June, and
    /// instructor 8 on 3 May.
    fn lines() -> Vec<SessionLine> {
        let csv = "id,instructor.id,starts_at,venue.id,venue_timezone,hours,attended_count,no_show_count,\
late_cancel_count,comped_counts.attended,instructor_pay_rate.id,instructor_pay_rate.type,\
instructor_pay_rate.base,instructor_pay,instructor_pay_calculation_pending\n\
1,7,2026-05-02T09:00:00Z,101,Europe/London,1,4,0,0,0,3,per_customer,5,£20.00,false\n\
2,7,2026-05-31T23:30:00Z,101,Europe/London,1,2,0,0,0,3,per_customer,5,£10.00,false\n\
3,8,2026-05-03T09:00:00Z,101,Europe/London,1,1,0,0,0,3,per_customer,5,£5.00,false\n";
        let mut rows = Vec::new();
        sessionpay_io::Reader::bytes(csv.as_bytes(), Path::new("x.csv"))
            .shape(sessionpay_io::Shape::Csv)
            .read(&mut rows)
            .unwrap();
        let policy = RatePolicy::default();
        let mut book = CurrencyBook::default();
        rows.into_iter()
            .map(|row| {
                let session = book.settle_late(row.draft, &row.evidence).unwrap();
                let pay = compute_pay(&session, &policy).unwrap();
                let rec = reconcile(&session, &policy, &pay, Decimal::ZERO).unwrap();
                SessionLine { session, pay, rec }
            })
            .collect()
    }

    #[test]
    fn each_line_goes_to_the_row_whose_period_holds_its_local_date() {
        let lines = lines();
        // The payroll of instructor 7 only: instructor 8's line is in no row.
        let mut payroll = Payroll::new(PeriodKind::Month);
        for line in &lines[..2] {
            payroll.add(&line.session, &line.pay, &line.rec).unwrap();
        }
        let rows = payroll.rows().unwrap();
        let rows: Vec<&PayrollRow> = rows.iter().collect();
        let ids = |lines: &Vec<&SessionLine>| lines.iter().map(|l| l.session.id.0).collect::<Vec<_>>();
        let by_row = lines_by_row(&rows, &lines);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].period.start.to_string(), "2026-05-01");
        // 23:30 UTC on 31 May is 00:30 on 1 June in London: June's row.
        assert_eq!(by_row.iter().map(ids).collect::<Vec<_>>(), [vec![1], vec![2]]);
    }
}
